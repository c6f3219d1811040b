"""Checks on an app's routes and function names that a deploy needs.

Importing an app never fails for these (Chalice 1.x imports such apps too,
in Lambda and in ``chalice.test.Client``); ``chalice deploy``, ``chalice
package`` and ``chalice local`` run :func:`check_app` right after importing
``app.py`` and refuse a failing app with one line naming the problem and the
function at fault.  What is checked:

* every route path is ``/`` or ``/``-separated segments of ``[a-zA-Z0-9._-]``
  or ``{name}`` captures, optionally ending in a greedy ``{name+}``, with no
  trailing slash and no capture name used twice;
* HTTP methods are ones API Gateway knows;
* a view accepts every name its path captures as a keyword argument;
* CORS: no explicit ``OPTIONS`` view on a CORS route, and one CORS setting
  for all views of a path;
* a route's ``content_types`` are all binary or all non-binary;
* one view name per function on a path;
* no two Lambda functions share a name;
* no two routes match the same paths (the matcher ``chalice local`` uses).
"""
import re

from chalice.errors import ChaliceError

VALID_METHODS = frozenset(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'])
_SEGMENT = r'(?:[a-zA-Z0-9._-]+|\{[a-zA-Z_][a-zA-Z0-9_]*\})'
_ROUTE_RE = re.compile(r'^(?:/|(?:/%s)+(?:/\{[a-zA-Z_][a-zA-Z0-9_]*\+\})?|/\{[a-zA-Z_]'
                       r'[a-zA-Z0-9_]*\+\})$' % _SEGMENT)
_CAPTURE_RE = re.compile(r'\{([a-zA-Z_][a-zA-Z0-9_]*)\+?\}')
_CO_VARKEYWORDS = 0x08


class AppCheckError(ValueError):
    """An app that imports but cannot be deployed; ``function`` is at fault."""

    def __init__(self, message, function=None):
        super().__init__(message)
        self.function = function


class InvalidRouteError(ChaliceError):
    """Two routes of the app match the same paths (the matcher rejects them)."""


def check_app(app):
    """Raise AppCheckError (or InvalidRouteError) for the first problem found."""
    for path, methods in app.routes.items():
        entries = list(methods.values())
        if not entries:
            continue
        first = entries[0]
        check_route_path(path, first.view_function)
        for entry in entries:
            _check_method(entry)
            check_view_args(entry.view_function, path)
            _check_content_types(entry, app.api.binary_types)
            if entry.cors is not None and entry.method == 'OPTIONS':
                raise AppCheckError(
                    "Route %s enables CORS, which adds the OPTIONS method itself: remove "
                    "'OPTIONS' from methods or turn CORS off for this view" % path,
                    entry.view_function)
        _check_same_path(path, entries)
    _check_function_names(app)
    _check_matcher(app)


def check_route_path(path, function=None):
    if not isinstance(path, str) or not path.startswith('/'):
        raise AppCheckError('Route %r must be a string starting with "/"' % (path,), function)
    if path != '/' and path.endswith('/'):
        raise AppCheckError('Route cannot end with a trailing slash: %s (use %s)'
                            % (path, path.rstrip('/') or '/'), function)
    if not _ROUTE_RE.match(path):
        raise AppCheckError(
            'Invalid route %r: a route is "/" or "/"-separated segments of [a-zA-Z0-9._-] '
            'characters or {name} captures, optionally ending in a greedy {name+}' % path,
            function)
    names = _CAPTURE_RE.findall(path)
    if len(names) != len(set(names)):
        raise AppCheckError('Route %s captures the same name twice' % path, function)


def check_view_args(view_func, path):
    """A view must take every capture of its path as a keyword argument."""
    code = getattr(view_func, '__code__', None)
    if code is None or code.co_flags & _CO_VARKEYWORDS:
        return
    params = set(code.co_varnames[:code.co_argcount + code.co_kwonlyargcount])
    missing = [n for n in _CAPTURE_RE.findall(path) if n not in params]
    if missing:
        raise AppCheckError(
            'View function %r must accept keyword argument(s) %s captured by route %s'
            % (view_func.__name__, ', '.join(repr(n) for n in missing), path), view_func)


def _check_method(entry):
    if entry.method not in VALID_METHODS:
        raise AppCheckError('Unsupported HTTP method %r for route %s; use one of: %s'
                            % (entry.method, entry.uri_pattern,
                               ', '.join(sorted(VALID_METHODS))), entry.view_function)


def _check_content_types(entry, binary_types):
    binary = {t.lower() for t in binary_types}
    kinds = {c.lower() in binary for c in entry.content_types if c != '*/*'}
    if len(kinds) > 1:
        raise AppCheckError(
            'Route %s mixes binary and non-binary content_types %r; API Gateway cannot '
            'treat one route both ways, so list only one kind'
            % (entry.uri_pattern, entry.content_types), entry.view_function)


def _check_same_path(path, entries):
    for index, entry in enumerate(entries):
        for other in entries[:index]:
            if other.view_name == entry.view_name and \
                    other.view_function is not entry.view_function:
                raise AppCheckError(
                    "Duplicate view name %r on route %s: give one of the views a "
                    "different function name or name=..." % (entry.view_name, path),
                    entry.view_function)
            if other.cors != entry.cors:
                raise AppCheckError(
                    "On route %s the views '%s' and '%s' have different CORS settings; "
                    "all views of one path must share one CORS configuration"
                    % (path, other.view_name, entry.view_name), entry.view_function)


def _check_function_names(app):
    """Every Lambda function the app defines needs its own name."""
    names = ['api_handler'] if app.routes else []
    names += [config.name for config in app.builtin_auth_handlers]
    names += [fn.name for fn in app.pure_lambda_functions]
    names += [source.name for source in app.event_sources]
    names += [ws.name for ws in app.websocket_handlers.values()]
    seen = set()
    for name in names:
        if name in seen:
            raise AppCheckError(
                'Duplicate function name %r: every Lambda function in an app needs a '
                'unique name; pass name=... to the decorator' % name,
                app.handler_map.get(name))
        seen.add(name)


def _check_matcher(app):
    from chalice.routing import RouteMatcher

    try:
        RouteMatcher(app.routes)
    except ValueError as error:
        raise InvalidRouteError('Invalid route in app.py: {}'.format(
            ' '.join(str(error).split()))) from None


def function_location(function):
    """``(filename, line)`` where ``function`` is defined, or None."""
    for attr in ('__wrapped__', 'func'):  # a decorated handler: find the user's function
        function = getattr(function, attr, function)
    code = getattr(function, '__code__', None)
    if code is None:
        return None
    return code.co_filename, code.co_firstlineno
