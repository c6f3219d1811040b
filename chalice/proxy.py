"""Converting between HTTP and API Gateway's proxy formats, plus a
Lambda-like context object.

``chalice local`` and the test client both receive plain HTTP requests, but a
Chalice app only understands what API Gateway sends to Lambda: a REST API
*proxy integration* event (payload format 1.0).  This module builds that
event from the pieces of an HTTP request (:func:`build_proxy_event`), turns the
proxy response dict returned by the app back into HTTP pieces
(:func:`proxy_response_to_http`), and provides :class:`LambdaContext`, a
stand-in for the context object the Lambda runtime passes to handlers.

Choices made where API Gateway's behaviour leaves room:

* ``path`` in the event is the request path exactly as sent (still
  percent-encoded), as REST APIs deliver it; ``pathParameters`` and query
  string values are decoded.
* ``requestContext.path`` is ``'/' + stage + path``, which is what a deployed
  API reports for a request made through the default execute-api URL (for
  example ``/api/users``).
* ``requestContext.domainName`` is taken from the ``Host`` header (without a
  port) when present, else ``localhost``.
* ``binary_types`` entries may use API Gateway's wildcards (``image/*`` and
  ``*/*``); media types are compared case-insensitively and ignore
  parameters such as ``charset``.

An HTTP API (``api_gateway_type: HTTP``) speaks payload format 2.0 instead:
:func:`build_http_api_event` builds that event and
:func:`validate_http_api_response` reads the 2.0 answer (``cookies``, and
API Gateway's inference for an answer without ``statusCode``).

Standard library only.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import random
import re
import time
from datetime import datetime, timezone
from typing import Any, Callable, Iterable, NamedTuple
from urllib.parse import parse_qsl

from chalice.routing import MatchResult

__all__ = [
    'DEFAULT_ACCOUNT_ID', 'DEFAULT_API_ID', 'HTTPResponse', 'LambdaContext',
    'build_http_api_event', 'build_proxy_event', 'check_response_headers',
    'is_binary_media_type', 'json_response', 'proxy_response_to_http',
    'validate_http_api_response',
]

DEFAULT_ACCOUNT_ID = '123456789012'
DEFAULT_API_ID = 'localapi01'

_MONTHS = ('Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun',
           'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec')

# What API Gateway answers when the integration's response is not a valid
# proxy response.
_BAD_GATEWAY_BODY = json.dumps({'message': 'Internal server error'}).encode('utf-8')


def media_type(content_type: str | None) -> str:
    """Return the lower-cased media type of a Content-Type value.

    Parameters are dropped: ``'Text/Plain; charset=utf-8'`` -> ``'text/plain'``.
    """
    if not content_type:
        return ''
    return content_type.split(';', 1)[0].strip().lower()


def is_binary_media_type(content_type: str | None, binary_types: Iterable[str]) -> bool:
    """Whether ``content_type`` is covered by one of ``binary_types``.

    Entries are compared by media type (case-insensitive, parameters ignored)
    and may be ``type/*`` or ``*/*`` wildcards as in API Gateway's
    binaryMediaTypes setting.
    """
    wanted = media_type(content_type)
    if not wanted:
        return False
    main_type = wanted.split('/', 1)[0]
    for candidate in binary_types:
        candidate = media_type(candidate)
        if candidate in (wanted, '*/*', main_type + '/*'):
            return True
    return False


# Request ids: random, in the format of the real ones.  They identify
# requests in logs and need no cryptographic strength, so they come from
# one seeded Mersenne Twister (a fraction of the cost of uuid.uuid4()).
_ids = random.Random().getrandbits  # seeded from os.urandom
_UUID4_VERSION_MASK = ~(0xF000 << 64 | 0xC000 << 48)
_UUID4_VERSION_BITS = 0x4000 << 64 | 0x8000 << 48


def new_request_id() -> str:
    """A random id formatted as a version 4 UUID (``xxxxxxxx-xxxx-4xxx-...``)."""
    text = '%032x' % ((_ids(128) & _UUID4_VERSION_MASK) | _UUID4_VERSION_BITS)
    return f'{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}'


def once_a_second(format_second: Callable[[int], Any]) -> Callable[..., Any]:
    """Wrap ``format_second(epoch_second)``: the result is kept for the second.

    The wrapper takes the epoch time (``time.time()`` when left out).  For
    timestamps written into every request or response.
    """
    holder: list[tuple[int, Any]] = [(-1, None)]

    def formatted(now: float | None = None) -> Any:
        second = int(time.time() if now is None else now)
        cached = holder[0]
        if cached[0] != second:
            cached = holder[0] = (second, format_second(second))
        return cached[1]

    return formatted


def _format_request_time(when: datetime) -> str:
    """Format a UTC time the way API Gateway fills ``requestTime``."""
    return (f'{when.day:02d}/{_MONTHS[when.month - 1]}/{when.year:04d}:'
            f'{when.hour:02d}:{when.minute:02d}:{when.second:02d} +0000')


def _group_headers(headers: list[tuple[str, str]]
                   ) -> tuple[dict[str, str] | None, dict[str, list[str]] | None]:
    """Build the ``headers`` and ``multiValueHeaders`` fields.

    Header names keep the case they were sent with.  ``headers`` holds the
    last value sent for each name; both fields are ``None`` when no headers
    were sent.
    """
    if not headers:
        return None, None
    single: dict[str, str] = {}
    multi: dict[str, list[str]] = {}
    for name, value in headers:
        single[name] = value
        multi.setdefault(name, []).append(value)
    return single, multi


def find_header(headers: Iterable[tuple[str, str]], wanted: str) -> str | None:
    """Return the last value of header ``wanted`` (case-insensitive), if any."""
    wanted = wanted.lower()
    found = None
    for name, value in headers:
        if name.lower() == wanted:
            found = value
    return found


def _group_query(query_string: str
                 ) -> tuple[dict[str, str] | None, dict[str, list[str]] | None]:
    """Parse a raw query string into the two query parameter fields.

    Blank values are kept (``a=&b`` gives ``a`` and ``b`` the value ``''``),
    ``+`` and percent escapes are decoded, and both fields are ``None`` when
    there are no parameters at all.
    """
    if query_string.startswith('?'):
        query_string = query_string[1:]
    pairs = parse_qsl(query_string, keep_blank_values=True)
    if not pairs:
        return None, None
    single: dict[str, str] = {}
    multi: dict[str, list[str]] = {}
    for name, value in pairs:
        single[name] = value
        multi.setdefault(name, []).append(value)
    return single, multi


def _encode_body(body: bytes, content_type: str | None,
                 binary_types: Iterable[str]) -> tuple[str | None, bool]:
    """Return the event ``body`` text and its ``isBase64Encoded`` flag."""
    if not body:
        return None, False
    if not is_binary_media_type(content_type, binary_types):
        try:
            return body.decode('utf-8'), False
        except UnicodeDecodeError:
            pass
    return base64.b64encode(body).decode('ascii'), True


def _domain_name(host: str | None) -> str:
    """The Host header without its port (IPv6 brackets kept), or ``localhost``."""
    host = (host or '').strip()
    if host.startswith('['):
        end = host.find(']')
        return host[:end + 1] if end != -1 else host
    return host.split(':', 1)[0] or 'localhost'


_RESOURCE_IDS: dict[str, str] = {}


def _resource_id(route: str) -> str:
    """A stable, API Gateway looking resource id derived from the route."""
    resource_id = _RESOURCE_IDS.get(route)
    if resource_id is None:
        resource_id = hashlib.sha1(route.encode('utf-8')).hexdigest()[:6]
        if len(_RESOURCE_IDS) < 4096:
            _RESOURCE_IDS[route] = resource_id
    return resource_id


def _extended_request_id() -> str:
    """A random id shaped like API Gateway's ``extendedRequestId``."""
    return base64.b64encode(_ids(80).to_bytes(10, 'big')).decode('ascii')


# ``requestTime`` for an epoch time.
_request_time = once_a_second(
    lambda second: _format_request_time(datetime.fromtimestamp(second, timezone.utc)))


def build_proxy_event(*, method: str, path: str, query_string: str,
                      headers: list[tuple[str, str]], body: bytes, match: MatchResult,
                      binary_types: Iterable[str] = (), stage: str = 'api',
                      source_ip: str = '127.0.0.1', request_id: str | None = None,
                      stage_variables: dict | None = None, authorizer: dict | None = None,
                      account_id: str = DEFAULT_ACCOUNT_ID, api_id: str = DEFAULT_API_ID,
                      ) -> dict[str, Any]:
    """Build the REST API proxy event API Gateway would send for a request.

    ``path`` is the raw request path, ``query_string`` the raw query string
    (without ``?``; an empty string means none), ``headers`` the request
    headers in the order sent, ``body`` the raw request body and ``match``
    the route the path selected.  The request body is base64-encoded (with
    ``isBase64Encoded`` set) when its Content-Type is one of ``binary_types``
    or when it is not valid UTF-8.  ``authorizer`` becomes
    ``requestContext.authorizer`` only when given.
    """
    headers = list(headers or ())
    method = method.upper()
    single_headers, multi_headers = _group_headers(headers)
    if query_string:
        single_query, multi_query = _group_query(query_string)
    else:
        single_query = multi_query = None
    if single_headers:
        content_type = find_header(headers, 'content-type')
        host = find_header(headers, 'host')
        user_agent = find_header(headers, 'user-agent')
    else:
        content_type = host = user_agent = None
    body_text, is_base64 = _encode_body(body or b'', content_type, binary_types)

    domain_name = _domain_name(host)

    now = time.time()
    request_context: dict[str, Any] = {
        'resourceId': _resource_id(match.route),
        'resourcePath': match.route,
        'httpMethod': method,
        'extendedRequestId': _extended_request_id(),
        'requestTime': _request_time(now),
        'path': '/' + stage + path,
        'accountId': account_id,
        'protocol': 'HTTP/1.1',
        'stage': stage,
        'domainPrefix': domain_name.split('.', 1)[0],
        'requestTimeEpoch': int(now * 1000),
        'requestId': request_id if request_id is not None else new_request_id(),
        'identity': {
            'cognitoIdentityPoolId': None,
            'accountId': None,
            'cognitoIdentityId': None,
            'caller': None,
            'sourceIp': source_ip,
            'principalOrgId': None,
            'accessKey': None,
            'cognitoAuthenticationType': None,
            'cognitoAuthenticationProvider': None,
            'userArn': None,
            'userAgent': user_agent,
            'user': None,
        },
        'domainName': domain_name,
        'apiId': api_id,
    }
    if authorizer is not None:
        request_context['authorizer'] = dict(authorizer)

    return {
        'resource': match.route,
        'path': path,
        'httpMethod': method,
        'headers': single_headers,
        'multiValueHeaders': multi_headers,
        'queryStringParameters': single_query,
        'multiValueQueryStringParameters': multi_query,
        'pathParameters': dict(match.captured) or None,
        'stageVariables': dict(stage_variables) if stage_variables else None,
        'requestContext': request_context,
        'body': body_text,
        'isBase64Encoded': is_base64,
    }


# Media types an HTTP API passes to Lambda as text; any other body is base64.
_TEXT_TYPES = ('application/json', 'application/javascript', 'application/xml',
               'application/x-www-form-urlencoded', 'application/graphql')


def _is_text_type(content_type: str | None) -> bool:
    wanted = media_type(content_type)
    return (wanted.startswith('text/') or wanted in _TEXT_TYPES or
            wanted.endswith(('+json', '+xml')))


def build_http_api_event(*, method: str, path: str, query_string: str,
                         headers: list[tuple[str, str]], body: bytes, match: MatchResult,
                         route_key: str | None = None, source_ip: str = '127.0.0.1',
                         request_id: str | None = None, authorizer: dict | None = None,
                         account_id: str = DEFAULT_ACCOUNT_ID, api_id: str = DEFAULT_API_ID,
                         ) -> dict[str, Any]:
    """Build the payload format 2.0 event an HTTP API sends for a request.

    The arguments are those of :func:`build_proxy_event`; ``route_key``
    defaults to ``"<METHOD> <matched route>"``.  As HTTP APIs do, header
    names are lower-cased and repeated headers (and query parameters) are
    joined with commas in the single-value fields, the ``Cookie`` header
    becomes the ``cookies`` list, and a body is base64-encoded unless its
    Content-Type is a text type and it is valid UTF-8.  ``authorizer``
    becomes ``requestContext.authorizer`` only when given.
    """
    method = method.upper()
    route_key = route_key or '%s %s' % (method, match.route)
    single_headers: dict[str, str] = {}
    cookies: list[str] = []
    for name, value in headers or ():
        name = name.lower()
        if name == 'cookie':
            cookies.extend(part.strip() for part in value.split(';') if part.strip())
        elif name in single_headers:
            single_headers[name] += ',' + value
        else:
            single_headers[name] = value
    query = query_string[1:] if query_string.startswith('?') else query_string
    single_query: dict[str, str] = {}
    for name, value in parse_qsl(query, keep_blank_values=True):
        single_query[name] = single_query[name] + ',' + value if name in single_query \
            else value
    domain_name = _domain_name(single_headers.get('host'))
    now = time.time()
    event: dict[str, Any] = {
        'version': '2.0',
        'routeKey': route_key,
        'rawPath': path,
        'rawQueryString': query,
        'headers': single_headers,
        'requestContext': {
            'accountId': account_id,
            'apiId': api_id,
            'domainName': domain_name,
            'domainPrefix': domain_name.split('.', 1)[0],
            'http': {'method': method, 'path': path, 'protocol': 'HTTP/1.1',
                     'sourceIp': source_ip, 'userAgent': single_headers.get('user-agent')},
            'requestId': request_id if request_id is not None else new_request_id(),
            'routeKey': route_key,
            'stage': '$default',
            'time': _request_time(now),
            'timeEpoch': int(now * 1000),
        },
        'isBase64Encoded': False,
    }
    if cookies:
        event['cookies'] = cookies
    if single_query:
        event['queryStringParameters'] = single_query
    if match.captured:
        event['pathParameters'] = dict(match.captured)
    if authorizer is not None:
        event['requestContext']['authorizer'] = dict(authorizer)
    if body:
        text = None
        if _is_text_type(single_headers.get('content-type')):
            try:
                text = body.decode('utf-8')
            except UnicodeDecodeError:
                pass
        if text is None:
            event['body'] = base64.b64encode(body).decode('ascii')
            event['isBase64Encoded'] = True
        else:
            event['body'] = text
    return event


class HTTPResponse(NamedTuple):
    """Plain HTTP response pieces: status, header list (in order), body."""

    status_code: int
    headers: list[tuple[str, str]]
    body: bytes


class _InvalidResponse(Exception):
    """Raised internally when the app's return value is not a proxy response."""


def _header_text(name: Any, value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    raise _InvalidResponse(f'header {name!r} has a non-string value {value!r}')


def _status_code(response: dict) -> int:
    status = response.get('statusCode')
    if isinstance(status, bool):
        raise _InvalidResponse('statusCode must be an integer')
    if isinstance(status, str) and status.strip().isdigit():
        status = int(status)
    if not isinstance(status, int) or not 100 <= status <= 599:
        raise _InvalidResponse(f'statusCode must be an integer 100-599, got {status!r}')
    return status


def _response_headers(response: dict) -> list[tuple[str, str]]:
    single = response.get('headers') or {}
    multi = response.get('multiValueHeaders') or {}
    if not isinstance(single, dict) or not isinstance(multi, dict):
        raise _InvalidResponse('headers and multiValueHeaders must be objects')
    result: list[tuple[str, str]] = []
    if not multi:
        for name, value in single.items():
            if type(name) is str and type(value) is str:
                result.append((name, value))
            else:
                result.append((str(name), _header_text(name, value)))
        return result
    overridden = {str(name).lower() for name in multi}
    for name, value in single.items():
        if str(name).lower() not in overridden:
            result.append((str(name), _header_text(name, value)))
    for name, values in multi.items():
        if not isinstance(values, list):
            raise _InvalidResponse(f'multiValueHeaders[{name!r}] must be a list')
        for value in values:
            result.append((str(name), _header_text(name, value)))
    return result


def _response_body(response: dict) -> bytes:
    body = response.get('body')
    if body is None:
        return b''
    if not isinstance(body, str):
        raise _InvalidResponse(f'body must be a string or null, got {type(body).__name__}')
    if response.get('isBase64Encoded'):
        try:
            return base64.b64decode(body, validate=True)
        except (binascii.Error, ValueError) as error:
            raise _InvalidResponse(f'body is not valid base64: {error}') from None
    return body.encode('utf-8')


_TEXT_TOKEN_RE = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_BAD_VALUE_RE = re.compile(r'[\r\n\x00]')
_JSON_HEADERS = (('Content-Type', 'application/json'),)


def json_response(status: int, body: Any, extra: tuple = ()) -> HTTPResponse:
    """An HTTP response with a compact JSON body (API Gateway's own errors)."""
    data = json.dumps(body, separators=(',', ':')).encode('utf-8')
    return HTTPResponse(status, list(_JSON_HEADERS) + list(extra), data)


# Header names already checked (a bounded set: apps send few distinct names).
_GOOD_NAMES: set[str] = set()


def check_response_headers(headers: list[tuple[str, str]]) -> bool:
    """Refuse what API Gateway would; True when x-amzn-RequestId is among them."""
    has_request_id = False
    for name, value in headers:
        if name not in _GOOD_NAMES:
            if not _TEXT_TOKEN_RE.fullmatch(name):
                raise ValueError(f'Invalid proxy response: header name {name!r} is not valid')
            if len(_GOOD_NAMES) < 1024:
                _GOOD_NAMES.add(name)
        if _BAD_VALUE_RE.search(value):
            raise ValueError(
                f'Invalid proxy response: header {name!r} contains a line break')
        if name[0] in 'xX' and name.lower() == 'x-amzn-requestid':
            has_request_id = True
    return has_request_id


def validate_proxy_response(response: Any) -> HTTPResponse:
    """Like :func:`proxy_response_to_http` but raise ``ValueError`` on bad input.

    Useful for callers (the dev server, the test client) that want to explain
    *why* a handler's return value was rejected.
    """
    try:
        if not isinstance(response, dict):
            raise _InvalidResponse(
                f'expected a dict, got {type(response).__name__}')
        headers = _response_headers(response)
        for name, _ in headers:
            if name == 'Content-Type' or name.lower() == 'content-type':
                break
        else:
            # API Gateway answers with this default when the handler set none.
            headers.append(('Content-Type', 'application/json'))
        return HTTPResponse(_status_code(response), headers, _response_body(response))
    except _InvalidResponse as error:
        raise ValueError(f'Invalid proxy response: {error}') from None


def validate_http_api_response(response: Any) -> HTTPResponse:
    """Read a payload format 2.0 answer the way an HTTP API does.

    A dict with ``statusCode`` is a response: ``headers`` (one value each),
    ``cookies`` (one ``Set-Cookie`` header per entry), ``body`` and
    ``isBase64Encoded``.  Anything else that is JSON - a dict without
    ``statusCode``, a list, a string - is the body of a 200
    ``application/json`` response.  Raises ``ValueError`` for an answer
    API Gateway would reject (it then answers 500).
    """
    if not isinstance(response, dict) or 'statusCode' not in response:
        try:
            data = json.dumps(response)
        except (TypeError, ValueError) as error:
            raise ValueError(f'Invalid proxy response: not JSON: {error}') from None
        return HTTPResponse(200, [('Content-Type', 'application/json')], data.encode('utf-8'))
    cookies = response.get('cookies') or []
    if not isinstance(cookies, list):
        raise ValueError('Invalid proxy response: cookies must be a list of strings')
    converted = {key: response.get(key) for key in ('statusCode', 'headers', 'body',
                                                    'isBase64Encoded')}
    if cookies:
        converted['multiValueHeaders'] = {'Set-Cookie': cookies}
    return validate_proxy_response(converted)


def proxy_response_to_http(response: dict) -> HTTPResponse:
    """Turn a proxy response dict into status, header list and body bytes.

    Every ``multiValueHeaders`` value becomes its own header line; entries of
    ``headers`` are kept unless the same name (case-insensitive) appears in
    ``multiValueHeaders``, which wins.  Single-value headers come first, in
    dict order, then the multi-value ones.  The body is base64-decoded when
    ``isBase64Encoded`` is true, otherwise UTF-8 encoded; a ``None`` body
    becomes ``b''``.  No Content-Length or Server header is added.

    As API Gateway does, a value that is not a valid proxy response (missing
    or bad ``statusCode``, non-string body, bad base64, ...) yields a 502 with
    the body ``{"message": "Internal server error"}`` instead of raising.
    """
    try:
        return validate_proxy_response(response)
    except ValueError:
        return HTTPResponse(502, [('Content-Type', 'application/json')], _BAD_GATEWAY_BODY)


# Today (UTC) as a log stream name starts: ``2026/01/31``.
_log_stream_day = once_a_second(lambda second: time.strftime('%Y/%m/%d', time.gmtime(second)))


class LambdaContext:
    """A local stand-in for the Lambda runtime's context object.

    Carries the same attributes the Python Lambda runtime provides, and
    :meth:`get_remaining_time_in_millis` counts down from ``timeout_seconds``
    starting when the context is created.
    """

    def __init__(self, function_name: str, memory_size: int = 128, timeout_seconds: int = 60,
                 region: str = 'us-east-1', account_id: str = DEFAULT_ACCOUNT_ID) -> None:
        self.function_name = function_name
        self.function_version = '$LATEST'
        self.invoked_function_arn = (
            f'arn:aws:lambda:{region}:{account_id}:function:{function_name}')
        self.memory_limit_in_mb = str(memory_size)
        self.aws_request_id = new_request_id()
        self.log_group_name = f'/aws/lambda/{function_name}'
        self.log_stream_name = f'{_log_stream_day()}/[$LATEST]{_ids(128):032x}'
        self.identity = None
        self.client_context = None
        self._deadline = time.monotonic() + timeout_seconds

    def get_remaining_time_in_millis(self) -> int:
        """Milliseconds left before the (simulated) timeout, never negative."""
        remaining = self._deadline - time.monotonic()
        return max(0, int(remaining * 1000))

    def __repr__(self) -> str:
        return (f'LambdaContext(function_name={self.function_name!r}, '
                f'aws_request_id={self.aws_request_id!r})')
