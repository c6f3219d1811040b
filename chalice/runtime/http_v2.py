"""HTTP APIs (API Gateway v2): payload format 2.0 requests and responses.

An app deployed behind an HTTP API (``"api_gateway_type": "HTTP"``) gets
events in payload format 2.0 (``version: "2.0"``, ``rawPath``,
``rawQueryString``, ``cookies``, ``requestContext.http``, ``routeKey``) and
must answer in the same format.  ``Chalice.__call__`` hands such events to
:func:`dispatch`; the same ``@app.route`` views serve them:

* the route is found from ``routeKey`` (``"GET /users/{id}"``), which API
  Gateway has already matched; for a ``$default`` catch-all route the
  request path is matched with the compiled trie of :mod:`chalice.routing`;
* ``app.current_request`` is a :class:`RequestV2`, which exposes the same
  fields as a REST request: ``method``, ``path`` (the route template),
  ``uri_params``, ``query_params`` (a MultiDict, repeated parameters kept),
  ``headers`` (``cookie`` included), ``json_body``, ``raw_body`` (base64
  bodies decoded) and ``context``, the request context with the REST names
  (``resourcePath``, ``httpMethod``, ``path``, ``identity.sourceIp``...)
  added beside the 2.0 ones;
* the answer is a 2.0 response: ``Set-Cookie`` headers become the
  ``cookies`` list and other repeated headers one comma-joined header, as
  HTTP APIs expect.  Response bodies whose Content-Type is one of
  ``app.api.binary_types`` are sent base64-encoded; an HTTP API decodes them
  without looking at the request's Accept header.

Standard library only (it ships in every deployment package).
"""
from chalice.runtime.errors import ChaliceUnhandledError, ChaliceViewError
from chalice.runtime.http import (
    _UNSET,
    JSON_CONTENT_TYPE,
    CaseInsensitiveMapping,
    MultiDict,
    Request,
    Response,
    _overridable,
    dumps,
    error_response,
    header_value,
    media_type,
    view_response,
)

__all__ = ['RequestV2', 'dispatch', 'to_v2_response']


def _http(event):
    return (event.get('requestContext') or {}).get('http') or {}


def _route_template(event):
    """The route pattern of ``routeKey`` (``GET /users/{id}`` -> ``/users/{id}``)."""
    route_key = event.get('routeKey')
    if isinstance(route_key, str) and ' ' in route_key:
        return route_key.partition(' ')[2]
    return _http(event).get('path') or event.get('rawPath')


class RequestV2(Request):
    """``app.current_request`` for an HTTP API payload format 2.0 event."""

    # The route serving the request, set by dispatch() for the middleware chain.
    __slots__ = ('_route',)

    method = _overridable('method', lambda event: _http(event).get('method'))
    path = _overridable('path', _route_template)
    uri_params = _overridable('uri_params', lambda event: event.get('pathParameters') or None)

    @property
    def context(self):
        overrides = self._overrides
        if overrides is None:
            overrides = self._overrides = {}
        if 'context' not in overrides:
            overrides['context'] = _rest_style_context(self._event, self.path)
        return overrides['context']

    @context.setter
    def context(self, value):
        if self._overrides is None:
            self._overrides = {}
        self._overrides['context'] = value

    @property
    def headers(self):
        if self._headers is None:
            headers = self._event.get('headers')
            cookies = self._event.get('cookies')
            if cookies:
                # HTTP APIs move the Cookie header into the cookies list.
                headers = dict(headers or {}, cookie='; '.join(cookies))
            self._headers = CaseInsensitiveMapping(headers)
        return self._headers

    @headers.setter
    def headers(self, value):
        self._headers = value

    @property
    def query_params(self):
        if self._query_params is _UNSET:
            event = self._event
            single = event.get('queryStringParameters')
            raw = event.get('rawQueryString') or ''
            if single and ',' not in raw and '%2' not in raw and \
                    raw.count('&') + 1 == len(single):
                # No name repeated and no comma in a value: the single-value
                # field is exact (and MultiDict takes plain values as they are).
                self._query_params = MultiDict(single)
            else:
                self._query_params = _query_params(event)
        return self._query_params

    @query_params.setter
    def query_params(self, value):
        self._query_params = value



def _query_params(event):
    """A MultiDict of the query string, every repeated value kept.

    ``queryStringParameters`` of a 2.0 event joins repeated values with
    commas (and a comma may also be part of one value), so the raw query
    string is parsed.
    """
    raw = event.get('rawQueryString')
    if raw:
        from urllib.parse import parse_qsl

        multi = {}
        for name, value in parse_qsl(raw, keep_blank_values=True):
            multi.setdefault(name, []).append(value)
        return MultiDict(multi) if multi else None
    single = event.get('queryStringParameters')
    return MultiDict({k: [v] for k, v in single.items()}) if single else None


def _rest_style_context(event, route_path):
    """The 2.0 request context plus the names REST views read from it."""
    context = dict(event.get('requestContext') or {})
    http = context.get('http') or {}
    context.setdefault('resourcePath', route_path)
    context.setdefault('httpMethod', http.get('method'))
    context.setdefault('path', http.get('path') or event.get('rawPath'))
    context.setdefault('protocol', http.get('protocol'))
    if 'timeEpoch' in context:
        context.setdefault('requestTimeEpoch', context['timeEpoch'])
    context.setdefault('identity', {'sourceIp': http.get('sourceIp'),
                                    'userAgent': http.get('userAgent')})
    authorizer = context.get('authorizer')
    if isinstance(authorizer, dict) and isinstance(authorizer.get('lambda'), dict):
        # A Lambda authorizer's context, also where a REST view finds it.
        flat = dict(authorizer['lambda'])
        flat.update(authorizer)
        context['authorizer'] = flat
    return context


# --------------------------------------------------------------- responses

def to_v2_response(proxy):
    """A proxy response dict in payload format 2.0 (changed in place).

    ``multiValueHeaders`` is not part of 2.0: ``Set-Cookie`` values go to
    ``cookies`` and any other repeated header becomes one comma-joined one.
    """
    multi = proxy.pop('multiValueHeaders', None)
    headers = proxy.get('headers') or {}
    cookies = []
    for name in [n for n in headers if n.lower() == 'set-cookie']:
        cookies.append(headers.pop(name))
    if multi:
        for name, values in multi.items():
            if name.lower() == 'set-cookie':
                cookies.extend(values)
            else:
                headers[name] = ','.join(values)
    if cookies:
        proxy['cookies'] = cookies
    proxy['headers'] = headers
    return proxy


# ---------------------------------------------------------------- dispatch

class _RouteKeys:
    """``routeKey`` -> route path for the app's routes, built once per compile
    (``source``: the app's dispatch tables) and set of routes (``generation``)."""

    __slots__ = ('source', 'generation', 'paths', 'chain')

    def __init__(self, source, generation, paths, chain):
        self.source = source
        self.generation = generation
        self.paths = paths
        self.chain = chain


def _route_keys(app):
    """The app's route-key index, rebuilt whenever the routes or their settings change."""
    compiled = app._compiled
    if compiled is None:
        compiled = app._reset_compiled()
    paths = {}
    for path, methods in app.routes.items():
        paths['ANY ' + path] = path
        for method in methods:
            paths['%s %s' % (method, path)] = path
    chain = None
    for middleware in reversed(app._middleware_for('http')):
        # The first middleware registered runs first, around all the others.
        chain = _link(middleware, chain or _innermost(app))
    keys = app._v2_route_keys = _RouteKeys(compiled, app._route_generation, paths, chain)
    return keys


def _link(middleware, get_response):
    return lambda request: middleware(request, get_response)


def _match_default(app, event):
    """``(route path, captures)`` for a ``$default`` route event, or ``(None, None)``."""
    from chalice.routing import matcher_for_app

    match = matcher_for_app(app).match(event.get('rawPath') or _http(event).get('path'))
    if match is None:
        return None, None
    return match.route, match.captured


def dispatch(app, event, context=None):
    """Answer an HTTP API payload format 2.0 event with the app's views."""
    try:
        keys = app._v2_route_keys
    except AttributeError:
        keys = None
    if keys is None or keys.source is not app._compiled or \
            keys.generation != app._route_generation:
        keys = _route_keys(app)
    try:
        method = event['requestContext']['http']['method']
        route_key = event.get('routeKey')
        captured = None
        path = keys.paths.get(route_key)
        if path is None:
            if route_key is None or route_key == '$default':
                path, captured = _match_default(app, event)
            if path is None:
                return error_response('NotFoundError', 'Unknown resource: %s' % (
                    _route_template(event),), 404)
        # (method -> compiled route, Allow value, CORS headers).
        table, allowed, path_cors_headers = app._path_table(path)
        route = table.get(method)
        if route is None:
            headers = {'Allow': allowed}
            if path_cors_headers:
                headers.update(path_cors_headers)
            return error_response('MethodNotAllowedError', 'Unsupported method: %s' % method,
                                  405, headers)
        if route.preflight:
            return {'headers': dict(route.headers), 'statusCode': 200}
        headers = event.get('headers')
        content_type = header_value(headers, 'content-type') if headers else None
        mime = None
        if content_type is not None or event.get('body'):
            mime = media_type(content_type) if content_type else JSON_CONTENT_TYPE
            if mime not in route.content_types and not route.any_content_type:
                return error_response('UnsupportedMediaType', 'Unsupported media type: %s' % mime,
                                      415, route.cors_headers)
    except Exception:
        return app._internal_error('a malformed HTTP API event', None)
    request = RequestV2(event, context)
    request._media_type = mime
    if captured is not None:
        request._overrides = {'path': path, 'uri_params': captured or None}
    local = app._local
    local.request = request
    local.context = context
    chain = keys.chain
    entry = route.entry
    try:
        try:
            if chain is not None:
                request._route = route
                result = chain(request)
            elif entry.view_args:
                params = (captured if captured is not None else event.get('pathParameters')) or {}
                result = entry.view_function(**{name: params.get(name)
                                                for name in entry.view_args})
            else:
                result = entry.view_function()
        except ChaliceViewError as error:
            return error_response(type(error).__name__, str(error), error.STATUS_CODE,
                                  route.cors_headers)
        except ChaliceUnhandledError:
            raise
        except Exception:
            return app._unhandled_error(entry, route.cors_headers)
        if chain is None and (type(result) is dict or type(result) is list) and \
                not route.json_is_binary:
            try:
                body = dumps(result)
            except (TypeError, ValueError) as error:
                return app._unserializable(entry, error, route.cors_headers)
            response_headers = {'Content-Type': JSON_CONTENT_TYPE}
            if route.cors_headers:
                response_headers.update(route.cors_headers)
            return {'headers': response_headers, 'statusCode': 200, 'body': body}
        return _finish(app, result, route)
    finally:
        local.request = None
        local.context = None


def _innermost(app):
    return lambda request: _view_response(app, request)


def _view_response(app, request):
    """Innermost link of the v2 middleware chain: always a Response."""
    return view_response(app, request._route.entry, request.uri_params)


def _finish(app, response, route):
    """A view's Response as the 2.0 proxy response: CORS, binary bodies, cookies."""
    if not isinstance(response, Response):
        response = Response(response, {'Content-Type': JSON_CONTENT_TYPE})
    if route.cors_headers:
        for name, value in route.cors_headers.items():
            response.headers.setdefault(name, value)
    try:
        proxy = response.to_dict(app._binary_types)
    except TypeError as error:
        return app._unserializable(route.entry, error, route.cors_headers)
    except Exception:
        return app._unhandled_error(route.entry, route.cors_headers)
    return to_v2_response(proxy)
