"""The runtime with HTTP API events: payload format 2.0 in and out.

Every test drives ``app(event, context)`` with an event from
:mod:`tests.unit.events_v2` (API Gateway's documented 2.0 shape) and checks
the exact 2.0 response, or what ``app.current_request`` exposed.
"""
import base64
import json
import uuid

import pytest

from chalice import (
    BadRequestError,
    Chalice,
    ChaliceUnhandledError,
    ConvertToMiddleware,
    CORSConfig,
    NotFoundError,
    Response,
)
from chalice.runtime.http_v2 import RequestV2, to_v2_response
from tests.unit.events import rest_event
from tests.unit.events_v2 import default_route_event, http_api_event

CORS_STAR = {
    'Access-Control-Allow-Origin': '*',
    'Access-Control-Allow-Headers':
        'Content-Type,X-Amz-Date,Authorization,X-Api-Key,X-Amz-Security-Token',
}


@pytest.fixture
def app():
    return Chalice(app_name='v2-%s' % uuid.uuid4().hex[:8])


@pytest.fixture
def echo(app):
    """An app whose views answer with what current_request exposes."""
    seen = {}

    def record():
        request = app.current_request
        seen['request'] = request
        query = request.query_params
        return {
            'method': request.method, 'path': request.path, 'uri_params': request.uri_params,
            'query': {k: query.getlist(k) for k in query} if query else None,
            'headers': dict(request.headers), 'json_body': request.json_body,
            'raw_body': base64.b64encode(request.raw_body).decode('ascii'),
            'stage_vars': request.stage_vars,
        }

    @app.route('/', methods=['GET'])
    def index():
        return record()

    @app.route('/users/{user_id}', methods=['GET', 'PUT', 'POST'],
               content_types=['application/json', 'application/octet-stream'])
    def user(user_id):
        return record()

    @app.route('/files/{proxy+}')
    def files(proxy):
        return record()

    app.seen = seen
    return app


def call(app, event):
    response = app(event, None)
    json.dumps(response)  # what Lambda sends back must be JSON
    return response


def body_of(response):
    return json.loads(response['body'])


# ---------------------------------------------------------------- routing

def test_route_key_selects_the_view_and_path_parameters_are_passed(echo):
    response = call(echo, http_api_event('GET /users/{user_id}', path_params={'user_id': '42'}))
    assert response['statusCode'] == 200
    assert response['headers'] == {'Content-Type': 'application/json'}
    seen = body_of(response)
    assert seen['method'] == 'GET'
    assert seen['path'] == '/users/{user_id}'
    assert seen['uri_params'] == {'user_id': '42'}
    assert 'cookies' not in response and 'multiValueHeaders' not in response


def test_root_route(echo):
    seen = body_of(call(echo, http_api_event('GET /')))
    assert (seen['path'], seen['uri_params']) == ('/', None)


def test_any_route_key_uses_the_request_method(echo):
    event = http_api_event('ANY /users/{user_id}', path_params={'user_id': '7'})
    event['requestContext']['http']['method'] = 'PUT'
    assert body_of(call(echo, event))['method'] == 'PUT'


def test_default_route_is_matched_with_the_route_trie(echo):
    seen = body_of(call(echo, default_route_event('POST', '/users/a%20b',
                                                  headers={'content-type': 'application/json'},
                                                  body='{"x": 1}')))
    assert seen['path'] == '/users/{user_id}'
    assert seen['uri_params'] == {'user_id': 'a b'}
    assert seen['json_body'] == {'x': 1}
    greedy = body_of(call(echo, default_route_event('GET', '/files/a/b/c.txt')))
    assert greedy['uri_params'] == {'proxy': 'a/b/c.txt'}
    assert greedy['path'] == '/files/{proxy+}'


def test_default_route_with_an_unknown_path_is_404(echo):
    response = call(echo, default_route_event('GET', '/nothing/here'))
    assert response['statusCode'] == 404
    assert body_of(response) == {'Code': 'NotFoundError',
                                 'Message': 'Unknown resource: /nothing/here'}


def test_route_key_the_app_does_not_have_is_404(echo):
    response = call(echo, http_api_event('GET /gone'))
    assert response['statusCode'] == 404
    assert body_of(response)['Message'] == 'Unknown resource: /gone'


def test_method_the_path_does_not_have_is_405(echo):
    response = call(echo, default_route_event('DELETE', '/users/1'))
    assert response['statusCode'] == 405
    assert response['headers']['Allow'] == 'GET,PUT,POST'


def test_malformed_event_is_a_500_not_an_exception(app, caplog):
    @app.route('/')
    def index():
        return {}
    response = call(app, {'version': '2.0', 'rawPath': '/', 'routeKey': 'GET /'})
    assert response['statusCode'] == 500
    assert body_of(response)['Code'] == 'InternalServerError'
    assert 'malformed HTTP API event' in caplog.text


# ---------------------------------------------------------------- request fields

def test_query_params_keep_every_value_from_the_raw_query_string(echo):
    event = http_api_event('GET /', query=[('a', '1'), ('b', 'x,y'), ('a', '2'), ('e', '')])
    # The 2.0 single-value field joins repeated values with commas...
    assert event['queryStringParameters'] == {'a': '1,2', 'b': 'x,y', 'e': ''}
    # ...the request does not: each value stays whole.
    assert body_of(call(echo, event))['query'] == {'a': ['1', '2'], 'b': ['x,y'], 'e': ['']}
    request = echo.seen['request']
    assert request.query_params['a'] == '2'
    assert request.to_dict()['query_params'] == {'a': '2', 'b': 'x,y', 'e': ''}


def test_no_query_string_means_none(echo):
    assert body_of(call(echo, http_api_event('GET /')))['query'] is None


def test_query_params_from_the_single_value_field_when_no_raw_string(echo):
    event = http_api_event('GET /')
    event['queryStringParameters'] = {'q': 'v'}
    del event['rawQueryString']
    assert body_of(call(echo, event))['query'] == {'q': ['v']}


def test_cookies_come_back_as_the_cookie_header(echo):
    event = http_api_event('GET /', headers={'X-Custom': 'v'}, cookies=['a=1', 'b=two'])
    headers = body_of(call(echo, event))['headers']
    assert headers['cookie'] == 'a=1; b=two'
    assert headers['x-custom'] == 'v'
    assert echo.seen['request'].headers['Cookie'] == 'a=1; b=two'


def test_base64_body_is_decoded_for_raw_body_and_json_body(echo):
    event = http_api_event('POST /users/{user_id}', path_params={'user_id': '1'},
                           headers={'Content-Type': 'application/json'},
                           body='{"name": "\u00e9"}', binary=True)
    seen = body_of(call(echo, event))
    assert seen['json_body'] == {'name': '\u00e9'}
    assert base64.b64decode(seen['raw_body']) == '{"name": "\u00e9"}'.encode('utf-8')


def test_binary_body(echo):
    payload = bytes(range(256))
    event = http_api_event('PUT /users/{user_id}', path_params={'user_id': '1'},
                           headers={'content-type': 'application/octet-stream'},
                           body=payload, binary=True)
    seen = body_of(call(echo, event))
    assert base64.b64decode(seen['raw_body']) == payload
    assert seen['json_body'] is None


def test_invalid_json_is_a_400(app):
    @app.route('/', methods=['POST'])
    def index():
        return app.current_request.json_body
    response = call(app, http_api_event('POST /', headers={'content-type': 'application/json'},
                                        body='{nope'))
    assert response['statusCode'] == 400
    assert body_of(response) == {'Code': 'BadRequestError', 'Message': 'Error Parsing JSON'}


def test_unsupported_media_type_is_415(echo):
    response = call(echo, http_api_event('POST /users/{user_id}', path_params={'user_id': '1'},
                                         headers={'content-type': 'text/plain'}, body='x'))
    assert response['statusCode'] == 415


def test_context_has_the_2_0_fields_and_the_rest_names(app):
    @app.route('/items/{id}')
    def item(id):
        context = app.current_request.context
        return {key: context.get(key) for key in (
            'resourcePath', 'httpMethod', 'path', 'stage', 'requestId', 'identity',
            'routeKey', 'http', 'requestTimeEpoch', 'apiId')}
    context = body_of(call(app, http_api_event('GET /items/{id}', path_params={'id': '3'})))
    assert context['resourcePath'] == '/items/{id}'
    assert context['httpMethod'] == 'GET'
    assert context['path'] == '/items/3'
    assert context['stage'] == '$default'
    assert context['routeKey'] == 'GET /items/{id}'
    assert context['http']['sourceIp'] == '203.0.113.10'
    assert context['identity'] == {'sourceIp': '203.0.113.10', 'userAgent': 'pytest-events/1.0'}
    assert context['requestTimeEpoch'] == 1700000000000
    assert context['apiId'] == 'r3pmxmplak'


def test_jwt_claims_reach_the_context(app):
    claims = {'sub': 'user-1', 'scope': 'read write'}

    @app.route('/me')
    def me():
        return app.current_request.context['authorizer']['jwt']
    event = http_api_event('GET /me', authorizer={'jwt': {'claims': claims,
                                                          'scopes': ['read', 'write']}})
    assert body_of(call(app, event)) == {'claims': claims, 'scopes': ['read', 'write']}


def test_lambda_authorizer_context_is_also_where_rest_views_read_it(app):
    @app.route('/me')
    def me():
        return app.current_request.context['authorizer']
    event = http_api_event('GET /me', authorizer={'lambda': {'user': 'bob', 'tier': 'gold'}})
    assert body_of(call(app, event)) == {'lambda': {'user': 'bob', 'tier': 'gold'},
                                         'user': 'bob', 'tier': 'gold'}


def test_request_fields_can_be_assigned_and_context_is_stable(app):
    @app.route('/x/{v}')
    def x(v):
        request = app.current_request
        request.context['seen'] = True
        assert request.context['seen'] is True
        request.uri_params = {'v': 'changed'}
        request.method = 'PATCH'
        return {'uri': request.uri_params, 'method': request.method}
    assert body_of(call(app, http_api_event('GET /x/{v}', path_params={'v': '1'}))) == {
        'uri': {'v': 'changed'}, 'method': 'PATCH'}


def test_to_original_event_and_to_dict(echo):
    event = http_api_event('GET /users/{user_id}', path_params={'user_id': '9'},
                           stage_variables={'env': 'prod'})
    call(echo, event)
    request = echo.seen['request']
    assert isinstance(request, RequestV2)
    assert request.to_original_event() is event
    summary = request.to_dict()
    assert summary['method'] == 'GET' and summary['path'] == '/users/{user_id}'
    assert summary['uri_params'] == {'user_id': '9'}
    assert summary['stage_vars'] == {'env': 'prod'}
    json.dumps(summary)


# ---------------------------------------------------------------- responses

def test_cookies_and_repeated_headers_in_the_2_0_response(app):
    @app.route('/login')
    def login():
        return Response('ok', status_code=201, headers={
            'Content-Type': 'text/plain', 'Set-Cookie': ['session=abc; HttpOnly', 'theme=dark'],
            'X-Multi': ['a', 'b'], 'X-One': 'single'})
    response = call(app, http_api_event('GET /login'))
    assert response == {
        'statusCode': 201,
        'headers': {'Content-Type': 'text/plain', 'X-Multi': 'a,b', 'X-One': 'single'},
        'cookies': ['session=abc; HttpOnly', 'theme=dark'],
        'body': 'ok',
    }


def test_a_single_set_cookie_header_becomes_the_cookies_list(app):
    @app.route('/')
    def index():
        return Response({'ok': True}, headers={'set-cookie': 'a=1'})
    response = call(app, http_api_event('GET /'))
    assert response['cookies'] == ['a=1']
    assert 'set-cookie' not in response['headers']
    assert response['headers']['Content-Type'] == 'application/json'


def test_to_v2_response_converts_a_rest_proxy_response():
    rest = {'statusCode': 200, 'headers': {'A': '1', 'Set-Cookie': 'x=1'},
            'multiValueHeaders': {'Set-Cookie': ['y=2'], 'B': ['1', '2']}, 'body': ''}
    assert to_v2_response(rest) == {'statusCode': 200, 'headers': {'A': '1', 'B': '1,2'},
                                    'cookies': ['x=1', 'y=2'], 'body': ''}


def test_binary_response_is_base64_whatever_the_accept_header(app):
    @app.route('/image')
    def image():
        return Response(b'\x89PNG', headers={'Content-Type': 'image/png'})
    # A REST API needs a matching Accept header; an HTTP API does not.
    response = call(app, http_api_event('GET /image'))
    assert response['isBase64Encoded'] is True
    assert base64.b64decode(response['body']) == b'\x89PNG'
    assert call(app, rest_event('/image'))['statusCode'] == 400


def test_cors_headers_and_preflight(app):
    @app.route('/cors', methods=['GET'], cors=CORSConfig(allow_origin='https://a.example',
                                                         max_age=60))
    def cors_view():
        return {}
    response = call(app, http_api_event('GET /cors'))
    assert response['headers']['Access-Control-Allow-Origin'] == 'https://a.example'
    assert response['headers']['Access-Control-Max-Age'] == '60'
    preflight = call(app, default_route_event('OPTIONS', '/cors'))
    assert preflight['statusCode'] == 200
    assert preflight['headers']['Access-Control-Allow-Methods'] == 'GET,OPTIONS'


def test_view_errors(app):
    @app.route('/bad')
    def bad():
        raise BadRequestError('nope')

    @app.route('/missing')
    def missing():
        raise NotFoundError('no such thing')

    @app.route('/boom')
    def boom():
        raise RuntimeError('hidden')
    assert (call(app, http_api_event('GET /bad'))['statusCode'],
            body_of(call(app, http_api_event('GET /bad')))) == (
        400, {'Code': 'BadRequestError', 'Message': 'nope'})
    assert call(app, http_api_event('GET /missing'))['statusCode'] == 404
    response = call(app, http_api_event('GET /boom'))
    assert response['statusCode'] == 500
    assert 'hidden' not in response['body']


def test_chalice_unhandled_error_propagates(app):
    @app.route('/')
    def index():
        raise ChaliceUnhandledError('to Lambda')
    with pytest.raises(ChaliceUnhandledError):
        app(http_api_event('GET /'), None)


def test_unserialisable_result_is_a_500(app, caplog):
    @app.route('/')
    def index():
        return {'x': object()}
    response = call(app, http_api_event('GET /'))
    assert response['statusCode'] == 500
    assert "view function 'index'" in caplog.text


def test_current_request_is_cleared_afterwards(app):
    @app.route('/')
    def index():
        return {'set': app.current_request is not None}
    assert body_of(call(app, http_api_event('GET /'))) == {'set': True}
    assert app.current_request is None


# ---------------------------------------------------------------- middleware

def test_http_middleware_runs_for_v2_events(app):
    calls = []

    @app.middleware('http')
    def around(event, get_response):
        calls.append(('before', event.method, event.path))
        response = get_response(event)
        response.headers['X-Middleware'] = 'yes'
        return response

    @app.route('/items/{id}')
    def item(id):
        return {'id': id}

    @app.route('/boom')
    def boom():
        raise RuntimeError('x')
    response = call(app, http_api_event('GET /items/{id}', path_params={'id': '5'}))
    assert body_of(response) == {'id': '5'}
    assert response['headers']['X-Middleware'] == 'yes'
    assert calls == [('before', 'GET', '/items/{id}')]
    # An unhandled error still reaches the middleware as a 500 Response.
    failed = call(app, http_api_event('GET /boom'))
    assert (failed['statusCode'], failed['headers']['X-Middleware']) == (500, 'yes')


def test_middleware_registered_after_the_first_call_applies(app):
    @app.route('/')
    def index():
        return {}
    call(app, http_api_event('GET /'))

    @app.middleware('http')
    def late(event, get_response):
        response = get_response(event)
        response.headers['X-Late'] = '1'
        return response
    assert call(app, http_api_event('GET /'))['headers']['X-Late'] == '1'


def test_convert_to_middleware_sees_the_original_2_0_event(app):
    seen = []

    def wrapper(handler):
        def wrapped(event, context):
            seen.append(event['version'])
            return handler(event, context)
        return wrapped
    app.register_middleware(ConvertToMiddleware(wrapper), 'http')

    @app.route('/')
    def index():
        return {}
    call(app, http_api_event('GET /'))
    assert seen == ['2.0']


def test_rest_events_still_dispatch_the_rest_way_on_the_same_app(echo):
    rest = call(echo, rest_event('/users/{user_id}', path_params={'user_id': '1'}))
    v2 = call(echo, http_api_event('GET /users/{user_id}', path_params={'user_id': '1'}))
    assert body_of(rest)['uri_params'] == body_of(v2)['uri_params'] == {'user_id': '1'}
    assert 'multiValueHeaders' not in v2
