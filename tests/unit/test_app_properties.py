"""Property tests: whatever API Gateway sends, the handler answers properly.

For arbitrary headers, query strings, path parameter values and bodies the
REST handler never raises, always returns a valid proxy response, hands the
view exactly what was sent, and never leaks a traceback unless debug is on.
"""
import base64
import json
import logging

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chalice import BadRequestError, Chalice, NotFoundError, Response
from tests.unit.events import FakeLambdaContext, rest_event

SETTINGS = settings(max_examples=150, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])
INTERNAL_ERROR = {'Code': 'InternalServerError',
                  'Message': 'An internal server error occurred.'}
METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS']
CONTENT_TYPES = [
    'application/json', 'application/json; charset=utf-8', 'text/plain',
    'application/x-www-form-urlencoded', 'application/octet-stream', 'image/png',
    'multipart/form-data; boundary=xyz', 'APPLICATION/JSON', '', ';', 'a/b/c',
]


class CustomError(Exception):
    pass


class BadStrError(Exception):
    def __str__(self):
        return 'Traceback (most recent call last): fake'


EXCEPTIONS = [ValueError, KeyError, TypeError, RuntimeError, ZeroDivisionError,
              AttributeError, IndexError, LookupError, AssertionError, OSError,
              NotImplementedError, CustomError, BadStrError, Exception]


def assert_proxy_response(response):
    assert isinstance(response, dict)
    assert type(response['statusCode']) is int
    assert 100 <= response['statusCode'] <= 599
    headers = response['headers']
    assert isinstance(headers, dict)
    for name, value in headers.items():
        assert isinstance(name, str) and isinstance(value, str), (name, value)
    multi = response.get('multiValueHeaders', {})
    assert isinstance(multi, dict)
    for name, values in multi.items():
        assert isinstance(name, str)
        assert isinstance(values, list) and all(isinstance(v, str) for v in values)
    assert response['body'] is None or isinstance(response['body'], str)
    if response.get('isBase64Encoded'):
        base64.b64decode(response['body'], validate=True)
    json.dumps(response)


# ----------------------------------------------------------------- strategies

header_names = st.one_of(
    st.sampled_from(['Content-Type', 'content-type', 'Accept', 'ACCEPT', 'Origin',
                     'X-Custom', 'Authorization', 'Host']),
    st.text(min_size=1, max_size=20),
)
header_values = st.one_of(st.sampled_from(CONTENT_TYPES + ['*/*', 'image/png']),
                          st.text(max_size=40))
header_dicts = st.dictionaries(header_names, header_values, max_size=8)
query_dicts = st.dictionaries(
    st.text(min_size=1, max_size=15),
    st.one_of(st.text(max_size=20), st.lists(st.text(max_size=20), min_size=1, max_size=4)),
    max_size=6)
path_values = st.text(min_size=1, max_size=40)


@st.composite
def bodies(draw):
    """(event body, isBase64Encoded flag, the bytes the view should see or None)."""
    kind = draw(st.sampled_from(['none', 'text', 'binary', 'base64-text', 'bogus-base64']))
    if kind == 'none':
        return None, False, b''
    if kind == 'text':
        text = draw(st.text(max_size=200))
        return text, False, text.encode('utf-8')
    if kind == 'binary':
        data = draw(st.binary(max_size=200))
        return data, True, data
    if kind == 'base64-text':
        data = draw(st.binary(max_size=200))
        return base64.b64encode(data).decode('ascii'), True, data
    # Claims to be base64 but might not be: the view may fail, the handler may not.
    return draw(st.text(max_size=50)), True, None


json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=20),
              st.floats(allow_nan=False, allow_infinity=False)),
    lambda children: st.one_of(st.lists(children, max_size=4),
                               st.dictionaries(st.text(max_size=10), children, max_size=4)),
    max_leaves=15)


# ----------------------------------------------------------------------- apps

def build_app(debug, cors=False, middleware=False):
    app = Chalice('property-app-%s-%s-%s' % (debug, cors, middleware), debug=debug)
    # Many examples log tracebacks; keep the test output readable.
    app.log.setLevel(logging.CRITICAL + 1)
    if middleware:
        @app.middleware('http')
        def passthrough(event, get_response):
            return get_response(event)

    @app.route('/echo/{value}', methods=['GET', 'POST', 'PUT', 'PATCH', 'DELETE'],
               content_types=['*/*'], cors=cors)
    def echo(value):
        request = app.current_request
        query = request.query_params
        return {
            'value': value,
            'method': request.method,
            'headers': dict(request.headers),
            'query': None if query is None else {k: query.getlist(k) for k in query},
            'raw_body': base64.b64encode(request.raw_body).decode('ascii'),
            'to_dict': json.loads(json.dumps(request.to_dict())) is not None,
        }

    @app.route('/json', methods=['GET', 'POST', 'PUT'], cors=cors)
    def json_view():
        return {'type': type(app.current_request.json_body).__name__}

    @app.route('/json-echo', methods=['POST'])
    def json_echo():
        return {'json': app.current_request.json_body}

    @app.route('/binary', cors=cors)
    def binary():
        return Response(b'\x89PNG\x00\xff', headers={'Content-Type': 'image/png'})

    @app.route('/raise/{index}', methods=['GET', 'POST'], content_types=['*/*'], cors=cors)
    def raise_view(index):
        exc_class, message = RAISES[int(index)]
        raise exc_class(message)

    @app.route('/files/{proxy+}', cors=cors)
    def files(proxy):
        return {'proxy': proxy}

    return app


# Filled per example by the raising tests; the view looks its exception up.
RAISES = {}

APPS = {
    (debug, cors, middleware): build_app(debug, cors, middleware)
    for debug in (False, True) for cors in (False, True) for middleware in (False, True)
}
app_keys = st.sampled_from(sorted(APPS))


def call(app, resource, method='GET', **kwargs):
    response = app(rest_event(resource, method, **kwargs), FakeLambdaContext())
    assert_proxy_response(response)
    return response


# ----------------------------------------------------------------- properties

@SETTINGS
@given(key=app_keys, method=st.sampled_from(METHODS), headers=header_dicts,
       query=query_dicts, value=path_values, body=bodies())
def test_echo_never_raises_and_sees_exactly_what_was_sent(key, method, headers, query,
                                                          value, body):
    app = APPS[key]
    event_body, is_base64, expected_raw = body
    response = call(app, '/echo/{value}', method, headers=headers, query=query,
                    path_params={'value': value}, body=event_body, is_base64=is_base64)
    status = response['statusCode']
    if method in ('HEAD', 'OPTIONS'):
        cors = key[1]
        assert status == (200 if method == 'OPTIONS' and cors else 405)
        return
    if expected_raw is None and status == 500:
        return  # undecodable "base64": the view failed, the handler did not
    assert status == 200, response
    result = json.loads(response['body'])
    assert result['value'] == value
    assert result['method'] == method
    assert result['headers'] == {name.lower(): val for name, val in headers.items()}
    if query:
        assert result['query'] == {
            name: list(v) if isinstance(v, list) else [v] for name, v in query.items()}
    else:
        assert result['query'] is None
    if expected_raw is not None:
        assert base64.b64decode(result['raw_body']) == expected_raw


@SETTINGS
@given(key=app_keys, method=st.sampled_from(METHODS), headers=header_dicts,
       query=query_dicts, body=bodies(),
       resource=st.sampled_from(['/json', '/binary', '/files/{proxy+}', '/nowhere']),
       proxy=path_values)
def test_any_request_gets_a_valid_proxy_response(key, method, headers, query, body,
                                                 resource, proxy):
    app = APPS[key]
    event_body, is_base64, expected_raw = body
    params = {'proxy': proxy} if resource == '/files/{proxy+}' else None
    response = call(app, resource, method, headers=headers, query=query,
                    path_params=params, body=event_body, is_base64=is_base64)
    allowed = {200, 400, 404, 405, 415}
    if expected_raw is None:
        allowed.add(500)  # undecodable "base64" body: the view fails, not the handler
    assert response['statusCode'] in allowed
    if not key[0]:
        assert 'Traceback' not in (response['body'] or '')
    if response['statusCode'] == 500 and key[0]:
        assert response['headers']['Content-Type'] == 'text/plain'
        assert response['body'].startswith('Traceback (most recent call last):')
    elif response['statusCode'] != 200:
        assert response['headers']['Content-Type'] == 'application/json'
        error = json.loads(response['body'])
        assert set(error) == {'Code', 'Message'}
    if key[1] and resource != '/nowhere':
        assert response['headers']['Access-Control-Allow-Origin'] == '*'


@SETTINGS
@given(key=st.sampled_from([k for k in sorted(APPS) if not k[0]]),
       exc_index=st.integers(0, len(EXCEPTIONS) - 1),
       message=st.one_of(st.text(max_size=60),
                         st.just('Traceback (most recent call last):\n  File "x"')),
       headers=header_dicts, method=st.sampled_from(['GET', 'POST']), body=bodies())
def test_without_debug_no_traceback_ever_reaches_the_client(key, exc_index, message,
                                                            headers, method, body):
    app = APPS[key]
    RAISES[0] = (EXCEPTIONS[exc_index], message)
    event_body, is_base64, _ = body
    response = call(app, '/raise/{index}', method, headers=headers,
                    path_params={'index': '0'}, body=event_body, is_base64=is_base64)
    assert response['statusCode'] == 500
    assert json.loads(response['body']) == INTERNAL_ERROR
    assert 'Traceback' not in response['body']
    assert response['headers']['Content-Type'] == 'application/json'


@SETTINGS
@given(key=st.sampled_from([k for k in sorted(APPS) if k[0]]),
       exc_index=st.integers(0, len(EXCEPTIONS) - 1),
       message=st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126),
                       max_size=40),
       method=st.sampled_from(['GET', 'POST']))
def test_with_debug_unhandled_errors_return_the_traceback(key, exc_index, message,
                                                          method):
    app = APPS[key]
    exc_class = EXCEPTIONS[exc_index]
    RAISES[0] = (exc_class, message)
    response = call(app, '/raise/{index}', method, path_params={'index': '0'})
    assert response['statusCode'] == 500
    assert response['headers']['Content-Type'] == 'text/plain'
    assert response['body'].startswith('Traceback (most recent call last):')
    assert exc_class.__name__ in response['body']


@SETTINGS
@given(key=app_keys, message=st.text(max_size=60),
       error=st.sampled_from([(BadRequestError, 400), (NotFoundError, 404)]))
def test_view_errors_are_never_turned_into_tracebacks(key, message, error):
    app = APPS[key]
    RAISES[0] = (error[0], message)
    response = call(app, '/raise/{index}', path_params={'index': '0'})
    assert response['statusCode'] == error[1]
    assert json.loads(response['body']) == {'Code': error[0].__name__, 'Message': message}


@SETTINGS
@given(value=json_values, charset=st.sampled_from(['', '; charset=utf-8']))
def test_json_bodies_round_trip(value, charset):
    app = APPS[(False, False, False)]
    response = call(app, '/json-echo', 'POST',
                    headers={'Content-Type': 'application/json' + charset},
                    body=json.dumps(value))
    assert response['statusCode'] == 200
    assert json.loads(response['body']) == {'json': value}


@SETTINGS
@given(text=st.text(max_size=50))
def test_invalid_json_bodies_are_a_400(text):
    try:
        json.loads(text)
    except ValueError:
        pass
    else:
        return
    app = APPS[(False, False, False)]
    response = call(app, '/json-echo', 'POST', headers={'Content-Type': 'application/json'},
                    body=text)
    if text == '':
        # An empty body is simply no JSON body.
        assert json.loads(response['body']) == {'json': None}
        return
    assert response['statusCode'] == 400
    assert json.loads(response['body']) == {'Code': 'BadRequestError',
                                            'Message': 'Error Parsing JSON'}
