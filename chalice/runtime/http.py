"""HTTP-facing runtime types: Request, Response, CORS and binary content.

The request side is lazy: a :class:`Request` keeps the API Gateway proxy
event it came from and builds its header mapping, query parameters and JSON
body only when a view asks for them.  The response side turns whatever a
view returns into the proxy response dict that API Gateway expects.
"""
import base64
import json
import re
from collections.abc import Mapping, MutableMapping

from chalice.runtime.errors import BadRequestError, ChaliceUnhandledError, ChaliceViewError

JSON_CONTENT_TYPE = 'application/json'

_DEFAULT_BINARY_TYPES = (
    'application/octet-stream', 'application/x-tar', 'application/zip',
    'audio/basic', 'audio/ogg', 'audio/mp4', 'audio/mpeg', 'audio/wav',
    'audio/webm', 'image/png', 'image/jpg', 'image/jpeg', 'image/gif',
    'video/ogg', 'video/mpeg', 'video/webm',
)

_CORS_DEFAULT_HEADERS = (
    'Content-Type', 'X-Amz-Date', 'Authorization', 'X-Api-Key',
    'X-Amz-Security-Token',
)

_EMPTY = {}  # type: dict
_ACCEPT_SPLIT = re.compile('[,;]').split


def _json_default(obj):
    # Decimal comes back from DynamoDB; MultiDict from request.query_params.
    cls_name = type(obj).__name__
    if cls_name == 'Decimal':
        return int(obj) if obj == obj.to_integral_value() else float(obj)
    if isinstance(obj, MultiDict):
        return obj._last_values()
    raise TypeError('Object of type %s is not JSON serializable' % cls_name)


def _make_dumps():
    """``json.dumps`` with compact separators and ``_json_default``.

    ``JSONEncoder.encode`` wraps the C encoder of the json module in two
    Python calls and a closure per call; calling that encoder directly does
    the same work in about half the time.  Its arguments are not a public
    interface, so it is used only after it gave exactly what ``encode``
    gives for a sample; otherwise (another Python, no C accelerator)
    ``encode`` it is.
    """
    encode = json.JSONEncoder(separators=(',', ':'), default=_json_default).encode
    try:
        from json.encoder import c_make_encoder, encode_basestring_ascii
    except ImportError:  # pragma: no cover - every CPython has them
        return encode
    if c_make_encoder is None:  # pragma: no cover - the json C accelerator is missing
        return encode

    def dumps(obj):
        if isinstance(obj, str):
            return encode(obj)
        return ''.join(c_make_encoder({}, _json_default, encode_basestring_ascii, None, ':',
                                      ',', False, False, True)(obj, 0))

    sample = {'a': [1, -2.5, None, True, 'caf\u00e9 "\n"', float('inf')], 'b': {}, '3': []}
    try:
        if dumps(sample) == encode(sample):
            return dumps
    except Exception:  # pragma: no cover - a Python whose encoder differs
        pass
    return encode  # pragma: no cover


# One encoder, chosen once; compact separators as API Gateway users expect.
dumps = _make_dumps()


_MEDIA_TYPES = {}  # type: dict


def _is_json_variant(mime):
    """``application/json-...+json`` (JSON Patch's ``application/json-patch+json``):
    JSON documents whose type starts with ``application/json``, which Chalice
    1.x parses into ``json_body`` too."""
    return mime.startswith('application/json-') and mime.endswith('+json')


def media_type(content_type):
    """Return the lower-cased media type of a Content-Type value.

    ``'Application/JSON; charset=utf-8'`` -> ``'application/json'``.  Results
    are memoised: a service sees few distinct Content-Type values.
    """
    if content_type is None:
        return None
    result = _MEDIA_TYPES.get(content_type)
    if result is None:
        result = content_type.split(';', 1)[0].strip().lower()
        if len(_MEDIA_TYPES) < 512:
            _MEDIA_TYPES[content_type] = result
    return result


def header_value(headers, name):
    """Case-insensitive lookup of ``name`` (lower case) in a plain dict."""
    if not headers:
        return None
    value = headers.get(name)
    if value is not None:
        return value
    for key, value in headers.items():
        if key.lower() == name:
            return value
    return None


class MultiDict(MutableMapping):
    """A mapping of a key to one or more values (``request.query_params``).

    ``d[key]`` is the last value sent for the key (as API Gateway's
    single-value fields are) and ``getlist(key)`` all of them.  It can be
    changed like a dict: ``d[key] = value`` makes ``value`` the key's only
    value.  The lists of the event it was built from are never modified: the
    first change works on a private copy.
    """

    __slots__ = ('_dict', '_owned')

    def __init__(self, mapping):
        # Kept by reference until the first change (copy on write).
        self._dict = mapping if mapping is not None else {}
        self._owned = mapping is None

    def _own(self):
        if not self._owned:
            self._dict = {key: list(values) if isinstance(values, list) else [values]
                          for key, values in self._dict.items()}
            self._owned = True
        return self._dict

    def __getitem__(self, key):
        values = self._dict[key]
        if isinstance(values, list):
            if not values:
                raise KeyError(key)
            return values[-1]
        return values

    def __setitem__(self, key, value):
        self._own()[key] = [value]

    def __delitem__(self, key):
        del self._own()[key]

    def getlist(self, key):
        """Every value of ``key`` (a new list); KeyError when it is missing."""
        values = self._dict[key]
        return list(values) if isinstance(values, list) else [values]

    def __iter__(self):
        return iter(self._dict)

    def __len__(self):
        return len(self._dict)

    def _last_values(self):
        """``{key: last value}`` skipping keys without values (never raises)."""
        result = {}
        for key, values in self._dict.items():
            if not isinstance(values, list):
                result[key] = values
            elif values:
                result[key] = values[-1]
        return result

    def __repr__(self):
        return 'MultiDict(%r)' % ({key: self.getlist(key) for key in self._dict},)

    __str__ = __repr__


class CaseInsensitiveMapping(Mapping):
    """A read-only mapping whose keys are compared case-insensitively.

    Iteration yields lower-cased keys.
    """

    def __init__(self, mapping):
        self._dict = {k.lower(): v for k, v in mapping.items()} if mapping else {}

    def __getitem__(self, key):
        return self._dict[key.lower()]

    def __contains__(self, key):
        return isinstance(key, str) and key.lower() in self._dict

    def get(self, key, default=None):
        return self._dict.get(key.lower(), default)

    def __iter__(self):
        return iter(self._dict)

    def __len__(self):
        return len(self._dict)

    def __repr__(self):
        return 'CaseInsensitiveMapping(%r)' % self._dict


_UNSET = object()
_INVALID_JSON = object()


def _overridable(name, compute):
    """A Request attribute read from the event, which a middleware may assign."""
    def getter(self):
        overrides = self._overrides
        if overrides is not None and name in overrides:
            return overrides[name]
        return compute(self._event)

    def setter(self, value):
        if self._overrides is None:
            self._overrides = {}
        self._overrides[name] = value
    getter.__name__ = name
    return property(getter, setter)


def _request_context(event):
    return event.get('requestContext') or {}


class Request:
    """The HTTP request a view is handling (``app.current_request``).

    Built from an API Gateway REST proxy event.  Every attribute is computed
    on first access and cached, so a view that only reads ``uri_params``
    never pays for parsing headers or JSON.  Only ``requestContext``
    (``resourcePath`` and ``httpMethod``) must be present; every other field
    of the event may be missing or null.  ``method``, ``path``, ``headers``,
    ``query_params``, ``uri_params``, ``context`` and ``stage_vars`` may be
    assigned (by a middleware, say); ``raw_body`` and ``json_body`` are
    read-only.
    """

    __slots__ = ('_event', 'lambda_context', '_headers', '_query_params',
                 '_raw_body', '_json_body', '_media_type', '_overrides')

    def __init__(self, event_dict, lambda_context=None):
        self._event = event_dict
        self.lambda_context = lambda_context
        self._headers = None
        self._query_params = _UNSET
        self._raw_body = None
        self._json_body = _UNSET
        # The dispatcher fills this in when it has already parsed the header.
        self._media_type = _UNSET
        self._overrides = None

    method = _overridable('method', lambda event: (
        _request_context(event).get('httpMethod') or event.get('httpMethod')))
    # The matched route pattern (``/users/{id}``), as in Chalice 1.x; the
    # path the client sent is ``to_original_event()['path']``.
    path = _overridable('path', lambda event: (
        _request_context(event).get('resourcePath') or event.get('resource')))
    uri_params = _overridable('uri_params', lambda event: event.get('pathParameters') or None)
    context = _overridable('context', _request_context)
    stage_vars = _overridable('stage_vars', lambda event: event.get('stageVariables') or None)

    @property
    def headers(self):
        if self._headers is None:
            self._headers = CaseInsensitiveMapping(self._event.get('headers'))
        return self._headers

    @headers.setter
    def headers(self, value):
        self._headers = value

    @property
    def query_params(self):
        if self._query_params is _UNSET:
            multi = self._event.get('multiValueQueryStringParameters')
            if not multi:
                single = self._event.get('queryStringParameters')
                multi = {k: [v] for k, v in single.items()} if single else None
            self._query_params = MultiDict(multi) if multi else None
        return self._query_params

    @query_params.setter
    def query_params(self, value):
        self._query_params = value

    @property
    def raw_body(self):
        if self._raw_body is None:
            body = self._event.get('body')
            if body is None:
                self._raw_body = b''
            elif self._event.get('isBase64Encoded'):
                self._raw_body = base64.b64decode(body)
            elif isinstance(body, bytes):
                self._raw_body = body
            else:
                self._raw_body = body.encode('utf-8')
        return self._raw_body

    @property
    def json_body(self):
        if self._json_body is _INVALID_JSON:
            raise BadRequestError('Error Parsing JSON')
        if self._json_body is _UNSET:
            self._json_body = None
            mime = self._media_type
            if mime is _UNSET or mime is None:
                content_type = header_value(self._event.get('headers'), 'content-type')
                mime = media_type(content_type) if content_type else JSON_CONTENT_TYPE
            if mime == JSON_CONTENT_TYPE or _is_json_variant(mime):
                body = self._event.get('body')
                if body is not None and not self._event.get('isBase64Encoded') \
                        and isinstance(body, str):
                    raw = body  # parse the text directly: no encode/decode round trip
                else:
                    raw = self.raw_body
                if raw:
                    try:
                        self._json_body = json.loads(raw)
                    except ValueError:
                        # Remember the failure: every later read raises too.
                        self._json_body = _INVALID_JSON
                        raise BadRequestError('Error Parsing JSON') from None
        return self._json_body

    def to_original_event(self):
        """The proxy event exactly as Lambda received it."""
        return self._event

    def to_dict(self):
        """A JSON-serialisable summary of the request, for introspection.

        The keys are those of Chalice 1.x: ``query_params`` (last value of
        each parameter, or None), ``headers`` (lower-cased names),
        ``uri_params``, ``method``, ``context``, ``stage_vars`` and ``path``
        (the route pattern).  The body is left out: use ``raw_body``.
        """
        query = self.query_params
        if isinstance(query, MultiDict):
            query = query._last_values()
        elif query is not None:
            query = dict(query)
        return {
            'query_params': query,
            'headers': dict(self.headers),
            'uri_params': self.uri_params,
            'method': self.method,
            'context': self.context,
            'stage_vars': self.stage_vars,
            'path': self.path,
        }


class Response:
    """What a view returns when it wants control of status and headers.

    ``body`` may be a str, bytes, or anything JSON-serialisable (dicts,
    lists, None...).  Header values may be lists; those are sent as
    repeated headers (API Gateway's ``multiValueHeaders``).
    """

    def __init__(self, body, headers=None, status_code=200):
        self.body = body
        self.headers = headers if headers is not None else {}
        self.status_code = status_code

    def __repr__(self):
        return 'Response(status_code=%r, headers=%r, body=%r)' % (
            self.status_code, self.headers, self.body)

    def to_dict(self, binary_types=None):
        """The API Gateway proxy response for this response.

        ``binary_types`` are the media types sent base64-encoded (``*/*``
        covers every type).  A body whose Content-Type is one of them must
        be bytes, except for JSON (``application/json`` or no Content-Type),
        which is encoded as UTF-8 first; anything else raises ValueError, as
        does a header name or value containing a line break.
        """
        single = {}
        multi = {}
        for name, value in self.headers.items():
            if isinstance(value, (list, tuple)):
                value = [v if isinstance(v, str) else str(v) for v in value]
                multi[name] = value
                _check_header(name, ''.join(value))
            else:
                if not isinstance(value, str):
                    value = str(value)
                single[name] = value
                _check_header(name, value)
        body = self.body
        content_type = header_value(single, 'content-type')
        if not isinstance(body, (str, bytes)):
            body = dumps(body)
            if content_type is None:
                single['Content-Type'] = JSON_CONTENT_TYPE
        response = {'headers': single, 'statusCode': self.status_code}
        if multi:
            response['multiValueHeaders'] = multi
        if binary_types and is_binary_type(content_type, binary_types):
            if content_type is None or media_type(content_type) == JSON_CONTENT_TYPE:
                if isinstance(body, str):
                    body = body.encode('utf-8')
            elif not isinstance(body, bytes):
                raise ValueError('Expected bytes type for body with binary Content-Type. '
                                 'Got %s type body instead.' % type(body))
            response['body'] = base64.b64encode(body).decode('ascii')
            response['isBase64Encoded'] = True
        elif isinstance(body, bytes):
            try:
                response['body'] = body.decode('utf-8')
            except UnicodeDecodeError:
                # Not text and not declared binary: ship it intact rather
                # than corrupting it; API Gateway passes base64 through.
                response['body'] = base64.b64encode(body).decode('ascii')
                response['isBase64Encoded'] = True
        else:
            response['body'] = body
        return response


def _check_header(name, value):
    if '\n' in value or '\r' in value or '\n' in name or '\r' in name:
        raise ValueError('Response header %r contains a line break, which would split '
                         'the HTTP response; remove it' % (name,))


def is_binary_type(content_type, binary_types):
    """Whether a response Content-Type is one of ``binary_types``.

    A missing Content-Type counts as ``application/json`` (what API Gateway
    assumes); ``*/*`` among ``binary_types`` makes every type binary.
    """
    if not isinstance(binary_types, frozenset):
        # The app passes a lower-cased frozenset; callers may pass any list.
        binary_types = frozenset(t.lower() for t in binary_types)
    if '*/*' in binary_types:
        return True
    return (media_type(content_type) if content_type else JSON_CONTENT_TYPE) in binary_types


def accepts_binary(accept, binary_types):
    """Whether a request's Accept header lets the client take a binary body.

    True when the header names any of ``binary_types`` (or ``*/*``), or when
    ``binary_types`` holds ``*/*``; False when the header is absent.  Media
    types are compared case-insensitively after splitting on ``,`` and ``;``.
    """
    if accept is None:
        return False
    if not isinstance(binary_types, frozenset):
        binary_types = frozenset(t.lower() for t in binary_types)
    accept = accept.lower()
    if '*/*' in accept or '*/*' in binary_types:
        return True
    return any(part.strip() in binary_types for part in _ACCEPT_SPLIT(accept))


def error_response(code, message, status_code, headers=None):
    """A proxy response with Chalice's JSON error body."""
    response_headers = {'Content-Type': JSON_CONTENT_TYPE}
    if headers:
        response_headers.update(headers)
    return {
        'headers': response_headers,
        'statusCode': status_code,
        'body': dumps({'Code': code, 'Message': message}),
    }


class ConvertToMiddleware:
    """Use a plain Lambda-handler decorator as Chalice middleware.

    ``lambda_wrapper`` is any decorator written for ``handler(event,
    context)`` functions (logging or tracing helpers, for example).  The
    handler it wraps continues down the middleware chain.
    """

    def __init__(self, lambda_wrapper):
        self._wrapper = lambda_wrapper

    def __call__(self, event, get_response):
        if isinstance(event, Request):
            original, context = event.to_original_event(), event.lambda_context
        else:
            original, context = event.to_dict(), event.context

        @self._wrapper
        def handler(original_event, context):
            return get_response(event)

        return handler(original, context)


def view_response(app, entry, uri_params):
    """Call a route's view (captures as keyword arguments); always a Response.

    The innermost link of both HTTP middleware chains (REST and HTTP API):
    a ChaliceViewError becomes its JSON error body, any other exception
    the app's 500 (with the traceback under debug).
    """
    try:
        if entry.view_args:
            params = uri_params or {}
            result = entry.view_function(**{name: params.get(name) for name in entry.view_args})
        else:
            result = entry.view_function()
    except ChaliceViewError as error:
        return Response({'Code': type(error).__name__, 'Message': str(error)},
                        {'Content-Type': JSON_CONTENT_TYPE}, error.STATUS_CODE)
    except ChaliceUnhandledError:
        raise
    except Exception:
        proxy = app._unhandled_error(entry, None)
        return Response(proxy['body'], proxy['headers'], proxy['statusCode'])
    if not isinstance(result, Response):
        result = Response(result, {'Content-Type': JSON_CONTENT_TYPE})
    return result


class CORSConfig:
    """CORS settings for a route, or for every route via ``app.api.cors``."""

    _REQUIRED_HEADERS = _CORS_DEFAULT_HEADERS

    def __init__(self, allow_origin='*', allow_headers=None, expose_headers=None,
                 max_age=None, allow_credentials=None):
        self.allow_origin = allow_origin
        self._allow_headers = list(allow_headers) if allow_headers else []
        self._expose_headers = list(expose_headers) if expose_headers else []
        self._max_age = max_age
        self._allow_credentials = allow_credentials

    @property
    def allow_headers(self):
        """The built-in headers and any extras, without duplicates, sorted.

        Sorted as AWS Chalice sorts them, so the header has the same value at
        runtime, in ``chalice local`` and in the API's preflight integration.
        """
        seen = {h.lower() for h in _CORS_DEFAULT_HEADERS}
        headers = list(_CORS_DEFAULT_HEADERS)
        for header in self._allow_headers:
            if header.lower() not in seen:
                seen.add(header.lower())
                headers.append(header)
        return ','.join(sorted(headers))

    @property
    def expose_headers(self):
        return self._expose_headers

    @property
    def max_age(self):
        return self._max_age

    @property
    def allow_credentials(self):
        return self._allow_credentials

    def get_access_control_headers(self):
        """Headers added to every response of a CORS-enabled route."""
        headers = {
            'Access-Control-Allow-Origin': self.allow_origin,
            'Access-Control-Allow-Headers': self.allow_headers,
        }
        if self._expose_headers:
            headers['Access-Control-Expose-Headers'] = ','.join(self._expose_headers)
        if self._max_age is not None:
            headers['Access-Control-Max-Age'] = str(self._max_age)
        if self._allow_credentials is True:
            headers['Access-Control-Allow-Credentials'] = 'true'
        return headers

    def _key(self):
        return (self.allow_origin, tuple(self._allow_headers), tuple(self._expose_headers),
                self._max_age, self._allow_credentials)

    def __eq__(self, other):
        if not isinstance(other, CORSConfig):
            return NotImplemented
        return self._key() == other._key()

    def __hash__(self):
        return hash(self._key())

    def __repr__(self):
        return ('CORSConfig(allow_origin=%r, allow_headers=%r, expose_headers=%r, '
                'max_age=%r, allow_credentials=%r)' % self._key())


def normalize_cors(cors):
    """Map a route's ``cors`` argument to a CORSConfig or None."""
    if cors is True:
        return CORSConfig()
    if cors is None or cors is False:
        return None
    if isinstance(cors, CORSConfig):
        return cors
    raise ValueError(
        'cors must be True, False, None or a CORSConfig instance, got %r' % (cors,))


class _WatchedList(list):
    """A list that reports in-place changes (``app.api.binary_types.append``)."""

    def __init__(self, values, on_change):
        super().__init__(values)
        self._on_change = on_change

    def append(self, item):
        super().append(item)
        self._on_change()

    def extend(self, items):
        super().extend(items)
        self._on_change()

    def insert(self, index, item):
        super().insert(index, item)
        self._on_change()

    def remove(self, item):
        super().remove(item)
        self._on_change()

    def pop(self, index=-1):
        item = super().pop(index)
        self._on_change()
        return item

    def clear(self):
        super().clear()
        self._on_change()

    def __setitem__(self, index, value):
        super().__setitem__(index, value)
        self._on_change()

    def __delitem__(self, index):
        super().__delitem__(index)
        self._on_change()

    # ``app.api.binary_types += [...]`` needs no override: it assigns the
    # result back through the binary_types setter, which reports the change.


class APIGateway:
    """Settings of the REST API that fronts the app (``app.api``).

    Changing ``cors`` or ``binary_types`` (also in place) tells the app, which
    recomputes its per-route data before the next request.
    """

    def __init__(self, on_change=None):
        self._on_change = on_change or (lambda: None)
        self._cors = False
        self.binary_types = list(self.default_binary_types)

    @property
    def default_binary_types(self):
        return list(_DEFAULT_BINARY_TYPES)

    @property
    def cors(self):
        return self._cors

    @cors.setter
    def cors(self, value):
        self._cors = value
        self._on_change()

    @property
    def binary_types(self):
        return self._binary_types

    @binary_types.setter
    def binary_types(self, value):
        self._binary_types = _WatchedList(value, self._on_change)
        self._on_change()
