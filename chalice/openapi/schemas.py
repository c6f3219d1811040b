"""JSON schemas (the OpenAPI 3.0 dialect) from Python type hints.

:class:`SchemaRegistry` turns a type into a schema.  Scalars, containers,
``Optional``/``Union``, ``Literal`` and the like are described inline;
named types -- dataclasses, ``TypedDict`` classes, ``Enum`` classes and
pydantic models -- become entries of ``components.schemas`` and are
referred to with ``$ref``, so a type used by several views is described
once and recursive types work.

pydantic is never imported here: a model is recognised by its
``model_json_schema`` method (pydantic 2) or by ``schema`` plus
``__fields__`` (pydantic 1), and the JSON Schema it produces is rewritten
into OpenAPI 3.0's dialect (``nullable`` instead of a ``null`` type, no
``const``, ``examples`` or numeric ``exclusiveMinimum``).

This runs in the CLI only (``chalice generate-models``, ``chalice local
--docs``); nothing here is imported by the Lambda runtime.
"""
import collections.abc
import dataclasses
import datetime
import decimal
import enum
import re
import typing
import uuid
from typing import Any

__all__ = ['SchemaRegistry', 'REF_PREFIX']

REF_PREFIX = '#/components/schemas/'

_NAME_RE = re.compile(r'[^A-Za-z0-9._-]+')
_NONE_TYPE = type(None)

# Leaf types: the schema each is described with.
_SCALARS: dict[Any, dict] = {
    str: {'type': 'string'},
    bool: {'type': 'boolean'},
    int: {'type': 'integer'},
    float: {'type': 'number'},
    decimal.Decimal: {'type': 'number'},
    bytes: {'type': 'string', 'format': 'byte'},
    datetime.datetime: {'type': 'string', 'format': 'date-time'},
    datetime.date: {'type': 'string', 'format': 'date'},
    datetime.time: {'type': 'string', 'format': 'time'},
    uuid.UUID: {'type': 'string', 'format': 'uuid'},
}

_ARRAYS = (list, set, frozenset, tuple, collections.abc.Sequence,
           collections.abc.MutableSequence, collections.abc.Set,
           collections.abc.MutableSet, collections.abc.Collection,
           collections.abc.Iterable)
_MAPPINGS = (dict, collections.abc.Mapping, collections.abc.MutableMapping)


def is_pydantic_model(tp) -> bool:
    """True for a pydantic (1 or 2) model class, without importing pydantic."""
    if not isinstance(tp, type):
        return False
    return callable(getattr(tp, 'model_json_schema', None)) or (
        callable(getattr(tp, 'schema', None)) and isinstance(getattr(tp, '__fields__', None),
                                                             dict))


def _is_named(tp) -> bool:
    return isinstance(tp, type) and (
        dataclasses.is_dataclass(tp) or typing.is_typeddict(tp)
        or issubclass(tp, enum.Enum) or is_pydantic_model(tp))


def _class_description(cls: type) -> str | None:
    doc = cls.__dict__.get('__doc__')
    if not doc:
        return None
    import inspect

    text = inspect.cleandoc(doc)
    # dataclasses invent a docstring ("Point(x: int, y: int)"): not the user's words.
    if dataclasses.is_dataclass(cls) and text.startswith(cls.__name__ + '('):
        return None
    return text or None


def _type_hints(cls) -> dict:
    try:
        return typing.get_type_hints(cls)
    except Exception:  # an unresolvable forward reference: describe what is known
        return dict(getattr(cls, '__annotations__', {}))


def _nullable(schema: dict) -> dict:
    """``schema`` that also accepts null (OpenAPI 3.0 has no ``null`` type)."""
    if not schema:
        return {'nullable': True}
    if '$ref' in schema:  # siblings of $ref are ignored: wrap it
        return {'allOf': [schema], 'nullable': True}
    return dict(schema, nullable=True)


def _literal_schema(values) -> dict:
    kinds = {type(value) for value in values if value is not None}
    schema: dict[str, Any] = {'enum': [value for value in values if value is not None]}
    if len(kinds) == 1:
        kind = kinds.pop()
        schema.update(_SCALARS.get(kind, {}))
        schema.pop('format', None)
    if None in values:
        schema['nullable'] = True
    return schema


class SchemaRegistry:
    """Schemas for Python types; named types are collected in :attr:`components`.

    ``mode`` matters for pydantic models only: ``'validation'`` describes
    what a model accepts (request bodies), ``'serialization'`` what it
    produces (responses).
    """

    def __init__(self) -> None:
        #: ``components.schemas`` of the document: name -> schema.
        self.components: dict[str, dict] = {}
        self._names: dict[Any, str] = {}

    def schema(self, tp, mode: str = 'validation') -> dict:
        """The schema describing values of type ``tp`` ({} when unknown)."""
        try:
            return self._schema(tp, mode)
        except RecursionError:
            return {}

    # -- dispatch

    def _schema(self, tp, mode):
        if tp is Any or tp is object or isinstance(tp, (typing.TypeVar, str)):
            return {}
        if tp is None or tp is _NONE_TYPE:
            return {'nullable': True}
        supertype = getattr(tp, '__supertype__', None)  # typing.NewType
        if supertype is not None:
            return self._schema(supertype, mode)
        origin = typing.get_origin(tp)
        if origin is not None:
            return self._generic(tp, origin, typing.get_args(tp), mode)
        if _is_named(tp):
            return {'$ref': REF_PREFIX + self._component(tp, mode)}
        if isinstance(tp, type):
            for kind, schema in _SCALARS.items():
                if issubclass(tp, kind) and not (kind is int and issubclass(tp, bool)):
                    return dict(schema)
            if issubclass(tp, _MAPPINGS):
                return {'type': 'object'}
            if issubclass(tp, _ARRAYS) and not issubclass(tp, (str, bytes)):
                return {'type': 'array', 'items': {}}
        return {}

    def _generic(self, tp, origin, args, mode):
        if origin is typing.Annotated:
            return self._schema(args[0], mode)
        if origin is typing.Union or _is_union_type(tp):
            return self._union(args, mode)
        if origin is typing.Literal:
            return _literal_schema(list(args))
        if origin in _MAPPINGS:
            value = args[1] if len(args) == 2 else Any
            schema = {'type': 'object'}
            item = self._schema(value, mode)
            if item:
                schema['additionalProperties'] = item
            return schema
        if origin is tuple:
            return self._tuple(args, mode)
        if origin in _ARRAYS:
            schema = {'type': 'array', 'items': self._schema(args[0] if args else Any, mode)}
            if origin in (set, frozenset, collections.abc.Set, collections.abc.MutableSet):
                schema['uniqueItems'] = True
            return schema
        if isinstance(origin, type) and _is_named(origin):  # a generic model
            return self._schema(origin, mode)
        return {}

    def _union(self, args, mode):
        members = [arg for arg in args if arg is not _NONE_TYPE and arg is not None]
        nullable = len(members) != len(args)
        schemas = []
        for member in members:
            schema = self._schema(member, mode)
            if not schema:  # one member accepts anything: so does the union
                return {'nullable': True} if nullable else {}
            if schema not in schemas:
                schemas.append(schema)
        if len(schemas) == 1:
            schema = schemas[0]
        else:
            schema = {'anyOf': schemas}
        return _nullable(schema) if nullable else schema

    def _tuple(self, args, mode):
        if not args or (len(args) == 2 and args[1] is Ellipsis):
            return {'type': 'array', 'items': self._schema(args[0] if args else Any, mode)}
        if args == ((),):  # tuple[()]
            return {'type': 'array', 'maxItems': 0, 'items': {}}
        return {'type': 'array', 'minItems': len(args), 'maxItems': len(args),
                'items': self._union(args, mode) if len(args) > 1
                else self._schema(args[0], mode)}

    # -- named types

    def _component(self, cls, mode):
        if is_pydantic_model(cls):
            return self._pydantic(cls, mode)
        name = self._names.get(cls)
        if name is not None:
            return name
        name = self._free_name(cls)
        self._names[cls] = name
        self.components[name] = {}  # reserved: a recursive type refers to itself
        if issubclass(cls, enum.Enum):
            schema = _literal_schema([member.value for member in cls])
        elif typing.is_typeddict(cls):
            schema = self._typeddict(cls, mode)
        else:
            schema = self._dataclass(cls, mode)
        description = _class_description(cls)
        if description and 'description' not in schema:
            schema['description'] = description
        schema.setdefault('title', cls.__name__)
        self.components[name] = schema
        return name

    def _free_name(self, cls, schema=None):
        """``cls``'s name, or its module-qualified name when another schema has it."""
        base = _NAME_RE.sub('_', cls.__name__)
        qualified = _NAME_RE.sub('_', '%s.%s' % (cls.__module__, cls.__qualname__))
        for candidate in (base, qualified):
            existing = self.components.get(candidate)
            if existing is None or (schema is not None and existing == schema):
                return candidate
        number = 2
        while '%s_%d' % (qualified, number) in self.components:
            number += 1
        return '%s_%d' % (qualified, number)

    def _object(self, hints, required, mode, descriptions=None):
        properties = {}
        for field, hint in hints.items():
            schema = self._schema(hint, mode)
            text = (descriptions or {}).get(field)
            if text:
                schema = {'allOf': [schema], 'description': text} if '$ref' in schema \
                    else dict(schema, description=text)
            properties[field] = schema
        result = {'type': 'object', 'properties': properties}
        if required:
            result['required'] = required
        return result

    def _dataclass(self, cls, mode):
        hints = _type_hints(cls)
        fields = [field for field in dataclasses.fields(cls) if field.init or field.repr]
        required = [field.name for field in fields
                    if field.default is dataclasses.MISSING
                    and field.default_factory is dataclasses.MISSING]
        descriptions = {field.name: field.metadata.get('description') for field in fields}
        return self._object({field.name: hints.get(field.name, Any) for field in fields},
                            required, mode, descriptions)

    def _typeddict(self, cls, mode):
        hints = _type_hints(cls)
        required_keys = getattr(cls, '__required_keys__', frozenset(hints))
        return self._object(hints, [name for name in hints if name in required_keys], mode)

    def _pydantic(self, cls, mode):
        """The component name of a pydantic model; pydantic writes the schemas.

        A model whose schema is the same in both modes is described once;
        otherwise the serialization form is ``<Name>-Output`` (pydantic's
        own naming for the models nested in it).
        """
        key = (cls, mode)
        name = self._names.get(key)
        if name is not None:
            return name
        template = REF_PREFIX + '{model}'
        if callable(getattr(cls, 'model_json_schema', None)):
            raw = cls.model_json_schema(ref_template=template, mode=mode)
        else:  # pydantic 1
            raw = cls.schema(ref_template=template)
        raw = dict(raw)
        for defs_key in ('$defs', 'definitions'):
            for def_name, schema in (raw.pop(defs_key, None) or {}).items():
                self.components.setdefault(def_name, to_openapi30(schema))
        raw = to_openapi30(raw)
        ref = raw.get('$ref', '')
        if ref.startswith(REF_PREFIX) and len(raw) == 1:  # a recursive model: in $defs
            name = ref[len(REF_PREFIX):]
        else:
            base = _NAME_RE.sub('_', cls.__name__)
            candidates = (base, base + '-Output') if mode == 'serialization' else (base,)
            name = next((candidate for candidate in candidates
                         if self.components.get(candidate) in (None, raw)), None)
            name = name or self._free_name(cls, raw)
            self.components[name] = raw
        self._names[key] = name
        return name


def _is_union_type(tp) -> bool:
    import types

    return isinstance(tp, types.UnionType)


# JSON Schema keywords OpenAPI 3.0's schema object does not have.
_DROPPED_KEYWORDS = ('$schema', '$id', 'examples', 'const', 'prefixItems',
                     'contentMediaType', 'contentEncoding', 'unevaluatedProperties',
                     'dependentRequired', 'dependentSchemas', 'propertyNames', 'if',
                     'then', 'else', '$comment')


def to_openapi30(schema):
    """Rewrite a JSON Schema (draft 2020-12, as pydantic writes it) for OpenAPI 3.0."""
    if isinstance(schema, list):
        return [to_openapi30(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    result = {key: to_openapi30(value) if key not in ('enum', 'default', 'example')
              else value for key, value in schema.items() if key not in _DROPPED_KEYWORDS}
    if 'const' in schema:
        result['enum'] = [schema['const']]
    if schema.get('examples'):
        result['example'] = schema['examples'][0] if isinstance(schema['examples'], list) \
            else schema['examples']
    if 'prefixItems' in schema:
        items = [to_openapi30(item) for item in schema['prefixItems']]
        result['items'] = items[0] if len(items) == 1 else {'anyOf': items}
    for bound, flag in (('exclusiveMinimum', 'minimum'), ('exclusiveMaximum', 'maximum')):
        value = schema.get(bound)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            result[flag] = value
            result[bound] = True
    kind = result.get('type')
    if isinstance(kind, list):  # ["string", "null"]
        kinds = [item for item in kind if item != 'null']
        if len(kinds) == 1:
            result['type'] = kinds[0]
        else:
            del result['type']
            result['anyOf'] = [{'type': item} for item in kinds]
        if len(kinds) != len(kind):
            result['nullable'] = True
    elif kind == 'null':
        del result['type']
        result['nullable'] = True
    for key in ('anyOf', 'oneOf'):
        members = result.get(key)
        if not isinstance(members, list):
            continue
        rest = [member for member in members if member != {'nullable': True}]
        if len(rest) != len(members):
            result['nullable'] = True
            if len(rest) == 1:
                del result[key]
                only = rest[0]
                if '$ref' in only:
                    result['allOf'] = [only]
                else:
                    for name, value in only.items():
                        result.setdefault(name, value)
            else:
                result[key] = rest
    if '$ref' in result and len(result) > 1:  # 3.0 ignores $ref's siblings
        ref = result.pop('$ref')
        result['allOf'] = [{'$ref': ref}] + result.get('allOf', [])
    return result
