"""chalice.openapi.schemas: OpenAPI 3.0 schemas from Python type hints."""
import dataclasses
import datetime
import decimal
import enum
import uuid
from typing import (
    Annotated,
    Any,
    Dict,
    FrozenSet,
    List,
    Literal,
    Mapping,
    NewType,
    NotRequired,
    Optional,
    Sequence,
    Tuple,
    TypedDict,
    Union,
)

import pydantic
import pytest
from openapi_spec_validator import validate

from chalice.openapi.schemas import SchemaRegistry, is_pydantic_model, to_openapi30


def schema_of(tp, mode='validation'):
    registry = SchemaRegistry()
    return registry.schema(tp, mode), registry.components


def assert_valid(schema, components):
    """The schema and its components are valid in an OpenAPI 3.0 document."""
    validate({
        'openapi': '3.0.3', 'info': {'title': 't', 'version': '1'},
        'paths': {'/': {'get': {'responses': {'200': {
            'description': 'ok', 'content': {'application/json': {'schema': schema}}}}}}},
        'components': {'schemas': components},
    })


@pytest.mark.parametrize('tp, expected', [
    (str, {'type': 'string'}),
    (int, {'type': 'integer'}),
    (bool, {'type': 'boolean'}),
    (float, {'type': 'number'}),
    (decimal.Decimal, {'type': 'number'}),
    (bytes, {'type': 'string', 'format': 'byte'}),
    (datetime.datetime, {'type': 'string', 'format': 'date-time'}),
    (datetime.date, {'type': 'string', 'format': 'date'}),
    (uuid.UUID, {'type': 'string', 'format': 'uuid'}),
    (Any, {}),
    (object, {}),
    (dict, {'type': 'object'}),
    (list, {'type': 'array', 'items': {}}),
    (list[int], {'type': 'array', 'items': {'type': 'integer'}}),
    (List[str], {'type': 'array', 'items': {'type': 'string'}}),
    (Sequence[float], {'type': 'array', 'items': {'type': 'number'}}),
    (set[str], {'type': 'array', 'items': {'type': 'string'}, 'uniqueItems': True}),
    (FrozenSet[int], {'type': 'array', 'items': {'type': 'integer'}, 'uniqueItems': True}),
    (tuple[int, ...], {'type': 'array', 'items': {'type': 'integer'}}),
    (Tuple[int, str], {'type': 'array', 'minItems': 2, 'maxItems': 2,
                       'items': {'anyOf': [{'type': 'integer'}, {'type': 'string'}]}}),
    (dict[str, int], {'type': 'object', 'additionalProperties': {'type': 'integer'}}),
    (Dict[str, Any], {'type': 'object'}),
    (Mapping[str, list[str]], {'type': 'object', 'additionalProperties': {
        'type': 'array', 'items': {'type': 'string'}}}),
    (Optional[int], {'type': 'integer', 'nullable': True}),
    (int | None, {'type': 'integer', 'nullable': True}),
    (Union[int, str], {'anyOf': [{'type': 'integer'}, {'type': 'string'}]}),
    (Union[int, Any], {}),
    (Literal['a', 'b'], {'enum': ['a', 'b'], 'type': 'string'}),
    (Literal[1, 'x', None], {'enum': [1, 'x'], 'nullable': True}),
    (Annotated[int, 'meta'], {'type': 'integer'}),
    (NewType('UserId', int), {'type': 'integer'}),
])
def test_inline_types(tp, expected):
    schema, components = schema_of(tp)
    assert schema == expected
    assert components == {}
    assert_valid(schema, components)


def test_bool_is_not_an_integer_and_subclasses_follow_their_base():
    class Name(str):
        pass

    assert schema_of(Name)[0] == {'type': 'string'}
    assert schema_of(bool)[0] == {'type': 'boolean'}


class Colour(enum.Enum):
    RED = 'red'
    BLUE = 'blue'


@dataclasses.dataclass
class Address:
    """Where someone lives."""

    street: str
    city: str = 'Paris'


@dataclasses.dataclass
class Person:
    name: str
    favourite: Colour
    addresses: list[Address] = dataclasses.field(default_factory=list)
    age: Optional[int] = dataclasses.field(default=None, metadata={'description': 'Years.'})
    manager: Optional['Person'] = None


def test_dataclasses_become_components_with_required_fields_and_references():
    schema, components = schema_of(Person)
    assert schema == {'$ref': '#/components/schemas/Person'}
    assert set(components) == {'Person', 'Address', 'Colour'}
    person = components['Person']
    assert person['type'] == 'object'
    assert person['required'] == ['name', 'favourite']
    assert person['properties']['name'] == {'type': 'string'}
    assert person['properties']['favourite'] == {'$ref': '#/components/schemas/Colour'}
    assert person['properties']['addresses'] == {
        'type': 'array', 'items': {'$ref': '#/components/schemas/Address'}}
    assert person['properties']['age'] == {
        'type': 'integer', 'nullable': True, 'description': 'Years.'}
    # Recursive: a reference to itself, nullable (3.0 ignores $ref's siblings).
    assert person['properties']['manager'] == {
        'allOf': [{'$ref': '#/components/schemas/Person'}], 'nullable': True}
    # The dataclass's generated docstring is not used; the user's is.
    assert 'description' not in person
    assert components['Address']['description'] == 'Where someone lives.'
    assert components['Address']['required'] == ['street']
    assert components['Colour'] == {'enum': ['red', 'blue'], 'type': 'string',
                                    'title': 'Colour'}
    assert_valid(schema, components)


class Movie(TypedDict):
    title: str
    year: NotRequired[int]
    tags: list[str]


class Partial(TypedDict, total=False):
    note: str


def test_typeddicts_know_their_required_keys():
    schema, components = schema_of(list[Movie])
    assert schema == {'type': 'array', 'items': {'$ref': '#/components/schemas/Movie'}}
    assert components['Movie']['required'] == ['title', 'tags']
    assert components['Movie']['properties']['year'] == {'type': 'integer'}
    _, components = schema_of(Partial)
    assert 'required' not in components['Partial']
    assert_valid(schema, schema_of(list[Movie])[1])


def test_each_named_type_is_described_once():
    registry = SchemaRegistry()
    first = registry.schema(Address)
    second = registry.schema(list[Address])
    assert second['items'] == first
    assert list(registry.components) == ['Address']


def test_two_classes_with_one_name_get_distinct_components():
    def make():
        @dataclasses.dataclass
        class Item:
            value: int
        return Item

    @dataclasses.dataclass
    class Item:
        other: str

    registry = SchemaRegistry()
    first = registry.schema(Item)
    second = registry.schema(make())
    assert first == {'$ref': '#/components/schemas/Item'}
    assert second != first
    name = second['$ref'].rsplit('/', 1)[1]
    assert registry.components[name]['properties'] == {'value': {'type': 'integer'}}
    assert registry.components['Item']['properties'] == {'other': {'type': 'string'}}


def test_unresolvable_forward_references_describe_what_they_can():
    @dataclasses.dataclass
    class Odd:
        known: int
        unknown: 'NoSuchType'  # noqa: F821

    schema, components = schema_of(Odd)
    assert components['Odd']['properties']['unknown'] == {}
    assert components['Odd']['required'] == ['known', 'unknown']


# ---------------------------------------------------------------- pydantic

class Tag(pydantic.BaseModel):
    label: str = pydantic.Field(description='What the tag says.')


class Review(pydantic.BaseModel):
    """A review of a book."""

    stars: int = pydantic.Field(ge=1, le=5)
    text: str | None = None
    tags: list[Tag] = []
    kind: Literal['short'] = 'short'
    score: float = pydantic.Field(1, gt=0)


class Node(pydantic.BaseModel):
    name: str
    children: list['Node'] = []


class Computed(pydantic.BaseModel):
    value: int

    @pydantic.computed_field
    @property
    def double(self) -> int:
        return self.value * 2


def test_pydantic_models_are_recognised_without_importing_pydantic():
    assert is_pydantic_model(Review)
    assert not is_pydantic_model(Person)
    assert not is_pydantic_model(Review(stars=1))


def test_pydantic_models_become_openapi_30_components():
    schema, components = schema_of(Review)
    assert schema == {'$ref': '#/components/schemas/Review'}
    review = components['Review']
    assert review['description'] == 'A review of a book.'
    assert review['required'] == ['stars']
    assert review['properties']['stars']['minimum'] == 1
    # JSON Schema's {"anyOf": [X, {"type": "null"}]} is OpenAPI 3.0's nullable.
    assert review['properties']['text']['nullable'] is True
    assert review['properties']['text']['type'] == 'string'
    assert review['properties']['tags']['items'] == {'$ref': '#/components/schemas/Tag'}
    assert components['Tag']['properties']['label']['description'] == 'What the tag says.'
    # const becomes a one-value enum; a numeric exclusiveMinimum the 3.0 form.
    assert review['properties']['kind']['enum'] == ['short']
    assert review['properties']['score']['exclusiveMinimum'] is True
    assert review['properties']['score']['minimum'] == 0
    assert_valid(schema, components)


def test_a_pydantic_model_the_same_in_both_modes_is_described_once():
    registry = SchemaRegistry()
    assert registry.schema(Review, 'validation') == registry.schema(Review, 'serialization')
    assert 'Review-Output' not in registry.components


def test_a_pydantic_model_that_differs_when_serialized_gets_an_output_schema():
    registry = SchemaRegistry()
    accepted = registry.schema(Computed, 'validation')
    produced = registry.schema(Computed, 'serialization')
    assert accepted == {'$ref': '#/components/schemas/Computed'}
    assert produced == {'$ref': '#/components/schemas/Computed-Output'}
    assert 'double' in registry.components['Computed-Output']['properties']
    assert 'double' not in registry.components['Computed']['properties']


def test_recursive_pydantic_models():
    schema, components = schema_of(Node)
    assert schema == {'$ref': '#/components/schemas/Node'}
    assert components['Node']['properties']['children']['items'] == {
        '$ref': '#/components/schemas/Node'}
    assert_valid(schema, components)


def test_pydantic_inside_containers_and_dataclasses():
    @dataclasses.dataclass
    class Shelf:
        reviews: list[Review]

    schema, components = schema_of(Optional[Shelf])
    assert schema == {'allOf': [{'$ref': '#/components/schemas/Shelf'}], 'nullable': True}
    assert components['Shelf']['properties']['reviews']['items'] == {
        '$ref': '#/components/schemas/Review'}
    assert_valid(schema, components)


@pytest.mark.parametrize('source, expected', [
    ({'type': ['string', 'null']}, {'type': 'string', 'nullable': True}),
    ({'type': ['string', 'integer']}, {'anyOf': [{'type': 'string'}, {'type': 'integer'}]}),
    ({'type': 'null'}, {'nullable': True}),
    ({'const': 3}, {'enum': [3]}),
    ({'examples': ['a', 'b'], 'type': 'string'}, {'type': 'string', 'example': 'a'}),
    ({'prefixItems': [{'type': 'integer'}], 'type': 'array'},
     {'type': 'array', 'items': {'type': 'integer'}}),
    ({'exclusiveMaximum': 5}, {'maximum': 5, 'exclusiveMaximum': True}),
    ({'$ref': '#/components/schemas/A', 'description': 'x'},
     {'allOf': [{'$ref': '#/components/schemas/A'}], 'description': 'x'}),
    ({'anyOf': [{'$ref': '#/components/schemas/A'}, {'type': 'null'}], 'default': None},
     {'allOf': [{'$ref': '#/components/schemas/A'}], 'nullable': True, 'default': None}),
    ({'$schema': 'https://json-schema.org/draft/2020-12/schema', 'type': 'object'},
     {'type': 'object'}),
])
def test_to_openapi30(source, expected):
    assert to_openapi30(source) == expected
