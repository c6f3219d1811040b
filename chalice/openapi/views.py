"""What a view function tells about itself: docstring, type hints, source.

:func:`describe_view` reads, without calling the view:

* the docstring: its first paragraph is the operation's summary, the rest
  its description; ``:param NAME: text`` lines describe a path or query
  parameter and ``:query NAME: text`` lines declare a query parameter;
* the type hints (``typing.get_type_hints``): the return annotation is the
  200 response's schema, the annotation of a view argument its path
  parameter's type;
* the source (:mod:`ast`, when ``inspect`` can find it):

  - ``body: NewUser = app.current_request.json_body`` (an annotated
    assignment from ``json_body``) gives the request body's schema;
  - ``...query_params.get('name')``, ``...query_params['name']`` and
    ``...query_params.getlist('name')`` (also through a local name bound
    to ``query_params``, with or without ``or {}``) are query parameters;
    a subscripted one is marked required, ``getlist`` makes an array;
  - ``raise NotFoundError(...)`` (any ``ChaliceViewError`` subclass the
    view's module can see) adds that status code to the responses.

Everything is best effort: what cannot be resolved is left out, never an
error.  CLI side only.
"""
import ast
import inspect
import re
import textwrap
import typing
from dataclasses import dataclass, field
from typing import Any

__all__ = ['ViewDescription', 'QueryParameter', 'describe_view', 'NOTHING']

#: "No annotation here" (``None`` is a valid annotation).
NOTHING: Any = inspect.Parameter.empty

_FIELD_RE = re.compile(r'^:(param|query)\s+([A-Za-z_][\w+]*)\s*:\s*(.*)$')


@dataclass
class QueryParameter:
    required: bool = False
    array: bool = False
    description: str | None = None


@dataclass
class ViewDescription:
    summary: str | None = None
    description: str | None = None
    #: Descriptions from ``:param NAME:`` lines.
    parameter_docs: dict = field(default_factory=dict)
    #: Path capture name -> annotation of the view argument.
    path_types: dict = field(default_factory=dict)
    query: dict = field(default_factory=dict)  # name -> QueryParameter
    body_type: Any = NOTHING
    return_type: Any = NOTHING
    #: status code -> exception class name, for each ChaliceViewError raised.
    errors: dict = field(default_factory=dict)


def describe_view(func, view_args=()) -> ViewDescription:
    """What ``func`` (a view function) says about its operation."""
    info = ViewDescription()
    _read_docstring(func, info)
    hints = _hints(func)
    info.return_type = hints.get('return', NOTHING)
    info.path_types = {name: hints[name] for name in view_args if name in hints}
    tree = _function_source(func)
    if tree is not None:
        _read_source(tree, getattr(func, '__globals__', {}), info)
    return info


def _hints(func):
    try:
        return typing.get_type_hints(func)
    except Exception:  # unresolvable names: use what is already an object
        return {name: value for name, value in getattr(func, '__annotations__', {}).items()
                if not isinstance(value, str)}


def _read_docstring(func, info):
    doc = inspect.getdoc(func)
    if not doc:
        return
    kept = []
    current = None
    for line in doc.splitlines():
        match = _FIELD_RE.match(line.strip())
        if match is not None:
            kind, name, text = match.groups()
            current = (kind, name.rstrip('+'))
            _add_field_text(info, current, text.strip())
        elif current is not None and line.startswith((' ', '\t')) and line.strip():
            _add_field_text(info, current, line.strip())
        else:
            current = None
            kept.append(line)
    paragraphs = [p.strip() for p in '\n'.join(kept).strip().split('\n\n') if p.strip()]
    if paragraphs:
        info.summary = ' '.join(paragraphs[0].split())
        if len(paragraphs) > 1:
            info.description = '\n\n'.join(paragraphs[1:])


def _add_field_text(info, current, text):
    kind, name = current
    if kind == 'query':
        parameter = info.query.setdefault(name, QueryParameter())
        parameter.description = _joined(parameter.description, text)
    else:
        info.parameter_docs[name] = _joined(info.parameter_docs.get(name), text)


def _joined(first, second):
    if not second:
        return first
    return second if not first else first + ' ' + second


def _function_source(func):
    """The ``ast.FunctionDef`` of ``func``, or None when its source is not available."""
    func = inspect.unwrap(func)
    try:
        source = textwrap.dedent(inspect.getsource(func))
        module = ast.parse(source)
    except (OSError, TypeError, SyntaxError, IndentationError):
        return None
    for node in module.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            return node
    return None


def _read_source(tree, namespace, info):
    query_names = set()  # local names bound to query_params
    # Assignments first, so a name bound later in the source still counts.
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and _is_query_params(node.value, query_names):
            query_names.update(t.id for t in node.targets if isinstance(t, ast.Name))
    for node in ast.walk(tree):
        if isinstance(node, ast.AnnAssign) and _is_json_body(node.value):
            if info.body_type is NOTHING:
                info.body_type = _evaluate(node.annotation, namespace)
            if isinstance(node.target, ast.Name) and node.value is not None \
                    and _is_query_params(node.value, query_names):
                query_names.add(node.target.id)
        elif isinstance(node, ast.Call):
            _query_call(node, query_names, info)
        elif isinstance(node, ast.Subscript) and _is_query_params(node.value, query_names):
            name = _string(node.slice)
            if name is not None:
                info.query.setdefault(name, QueryParameter()).required = True
        elif isinstance(node, ast.Raise) and node.exc is not None:
            _raised(node.exc, namespace, info)


def _query_call(node, query_names, info):
    func = node.func
    if not (isinstance(func, ast.Attribute) and func.attr in ('get', 'getlist')
            and node.args and _is_query_params(func.value, query_names)):
        return
    name = _string(node.args[0])
    if name is None:
        return
    parameter = info.query.setdefault(name, QueryParameter())
    if func.attr == 'getlist':
        parameter.array = True


def _is_query_params(node, query_names):
    if node is None:
        return False
    if isinstance(node, ast.Attribute) and node.attr == 'query_params':
        return True
    if isinstance(node, ast.Name) and node.id in query_names:
        return True
    if isinstance(node, ast.BoolOp) and isinstance(node.op, ast.Or) and node.values:
        return _is_query_params(node.values[0], query_names)
    return False


def _is_json_body(node):
    return isinstance(node, ast.Attribute) and node.attr == 'json_body'


def _string(node):
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def _evaluate(node, namespace):
    """The object an annotation names, looked up in the view's module."""
    try:
        return eval(compile(ast.Expression(node), '<annotation>', 'eval'),  # noqa: S307
                    dict(namespace))
    except Exception:
        return NOTHING


def _raised(node, namespace, info):
    from chalice.app import ChaliceViewError

    target = node.func if isinstance(node, ast.Call) else node
    if not isinstance(target, (ast.Name, ast.Attribute)):
        return
    cls = _evaluate(target, namespace)
    if isinstance(cls, type) and issubclass(cls, ChaliceViewError):
        status = getattr(cls, 'STATUS_CODE', 500)
        info.errors.setdefault(status, cls.__name__)
