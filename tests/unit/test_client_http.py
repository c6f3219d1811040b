"""``chalice.test.Client`` over HTTP: requests in, app responses out."""
import json
import os

import pytest

import chalice.routing
from chalice import (
    BadRequestError,
    Chalice,
    CORSConfig,
    NotFoundError,
    Response,
)
from chalice.routing import matcher_for_app
from chalice.test import Client

MISSING_TOKEN = {'message': 'Missing Authentication Token'}


def build_app(name='client-app'):
    app = Chalice(name)
    app.log.setLevel(100)  # the 500 tests would print tracebacks otherwise

    @app.route('/')
    def index():
        return {'hello': 'world'}

    @app.route('/echo', methods=['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD'],
               content_types=['application/json', 'text/plain'])
    def echo():
        request = app.current_request
        query = request.query_params
        return {
            'method': request.method,
            'body': request.raw_body.decode('utf-8'),
            'json': request.json_body,
            'content_type': request.headers.get('content-type'),
            'custom': request.headers.get('x-custom'),
            'query': None if query is None else {k: query.getlist(k) for k in query},
        }

    @app.route('/users/{name}')
    def user(name):
        return {'name': name}

    @app.route('/a/{first}/b/{second}')
    def two(second, first):
        return {'first': first, 'second': second}

    @app.route('/files/{proxy+}')
    def files(proxy):
        return {'proxy': proxy}

    @app.route('/bin', methods=['POST'], content_types=['application/octet-stream'])
    def binary():
        return Response(body=app.current_request.raw_body,
                        headers={'Content-Type': 'application/octet-stream'})

    @app.route('/cors', methods=['PUT'], cors=CORSConfig(allow_origin='https://x.example'))
    def cors():
        return {'cors': True}

    @app.route('/error/{kind}')
    def error(kind):
        if kind == 'notfound':
            raise NotFoundError('no such thing')
        if kind == 'bad':
            raise BadRequestError('bad thing')
        raise RuntimeError('unexpected')

    @app.route('/text')
    def text():
        return Response('plain text', headers={'Content-Type': 'text/plain'}, status_code=201)

    @app.route('/empty')
    def empty():
        return Response('', status_code=204)

    @app.route('/introspect/{item}')
    def introspect(item):
        return app.current_request.to_dict()

    @app.route('/env')
    def env():
        return {name: os.environ.get(name) for name in ('TOP', 'STAGE_VAR', 'SHARED',
                                                        'FN_VAR', 'PREEXISTING')}

    @app.route('/context')
    def context():
        ctx = app.lambda_context
        return {'function_name': ctx.function_name, 'memory': ctx.memory_limit_in_mb,
                'remaining_positive': ctx.get_remaining_time_in_millis() > 0}

    return app


@pytest.fixture
def app():
    return build_app()


@pytest.fixture
def client(app, tmp_path):
    with Client(app, project_dir=str(tmp_path)) as test_client:
        yield test_client.http


# ---------------------------------------------------------------------------
# Basic requests
# ---------------------------------------------------------------------------

def test_get_returns_status_headers_body_and_json_body(client):
    response = client.get('/')
    assert response.status_code == 200
    assert response.headers['Content-Type'] == 'application/json'
    assert isinstance(response.body, bytes)
    assert json.loads(response.body) == {'hello': 'world'}
    assert response.json_body == {'hello': 'world'}


@pytest.mark.parametrize('method', ['post', 'put', 'patch', 'delete'])
def test_methods_with_str_and_bytes_bodies(client, method):
    send = getattr(client, method)
    response = send('/echo', headers={'Content-Type': 'application/json',
                                      'X-Custom': 'custom-value'},
                    body='{"sent": "as str"}')
    assert response.status_code == 200
    assert response.json_body == {
        'method': method.upper(), 'body': '{"sent": "as str"}', 'json': {'sent': 'as str'},
        'content_type': 'application/json', 'custom': 'custom-value', 'query': None}
    response = send('/echo', headers={'Content-Type': 'text/plain'},
                    body='caf\u00e9'.encode('utf-8'))
    assert response.json_body['body'] == 'caf\u00e9'
    assert response.json_body['json'] is None
    assert response.json_body['method'] == method.upper()


def test_get_without_body(client):
    result = client.get('/echo').json_body
    assert result == {'method': 'GET', 'body': '', 'json': None, 'content_type': None,
                      'custom': None, 'query': None}


def test_head_calls_the_view_with_head(client):
    response = client.head('/echo')
    assert response.status_code == 200


def test_options_preflight_for_a_cors_route(client):
    response = client.options('/cors')
    assert response.status_code == 200
    assert response.headers['Access-Control-Allow-Origin'] == 'https://x.example'
    assert response.headers['Access-Control-Allow-Methods'] == 'PUT,OPTIONS'
    assert response.body == b''
    response = client.put('/cors')
    assert response.json_body == {'cors': True}
    assert response.headers['Access-Control-Allow-Origin'] == 'https://x.example'


def test_request_method_generic_entry_point(client):
    response = client.request('PATCH', '/echo', headers={'Content-Type': 'text/plain'},
                              body='x')
    assert response.json_body['method'] == 'PATCH'
    assert client.request('get', '/').json_body == {'hello': 'world'}


def test_unsupported_method_on_a_known_path(client):
    response = client.post('/users/bob')
    assert response.status_code == 405
    assert response.json_body == {'Code': 'MethodNotAllowedError',
                                  'Message': 'Unsupported method: POST'}
    assert response.headers['Allow'] == 'GET'


def test_custom_status_and_content_type(client):
    response = client.get('/text')
    assert response.status_code == 201
    assert response.headers['Content-Type'] == 'text/plain'
    assert response.body == b'plain text'


def test_empty_body_has_no_json(client):
    response = client.get('/empty')
    assert response.status_code == 204
    assert response.body == b''
    assert response.json_body is None


def test_errors_come_back_as_http_responses(client):
    response = client.get('/error/notfound')
    assert response.status_code == 404
    assert response.json_body == {'Code': 'NotFoundError', 'Message': 'no such thing'}
    response = client.get('/error/bad')
    assert response.status_code == 400
    assert response.json_body == {'Code': 'BadRequestError', 'Message': 'bad thing'}
    response = client.get('/error/other')
    assert response.status_code == 500
    assert response.json_body == {'Code': 'InternalServerError',
                                  'Message': 'An internal server error occurred.'}


def test_unsupported_media_type(client):
    response = client.post('/echo', headers={'Content-Type': 'application/xml'},
                           body='<a/>')
    assert response.status_code == 415
    assert response.json_body == {'Code': 'UnsupportedMediaType',
                                  'Message': 'Unsupported media type: application/xml'}


def test_invalid_json_body(client):
    response = client.post('/echo', headers={'Content-Type': 'application/json'},
                           body='{oops')
    assert response.status_code == 400
    assert response.json_body == {'Code': 'BadRequestError', 'Message': 'Error Parsing JSON'}


# ---------------------------------------------------------------------------
# Paths and query strings
# ---------------------------------------------------------------------------

def test_query_strings(client):
    result = client.get('/echo?a=1&a=2&b=x%20y&c=&d=p+q').json_body
    assert result['query'] == {'a': ['1', '2'], 'b': ['x y'], 'c': [''], 'd': ['p q']}


def test_no_query_string_means_none(client):
    assert client.get('/echo?').json_body['query'] is None
    assert client.get('/echo').json_body['query'] is None


def test_captures(client):
    assert client.get('/users/james').json_body == {'name': 'james'}
    assert client.get('/a/1/b/2').json_body == {'first': '1', 'second': '2'}


def test_percent_encoded_captures_are_decoded(client):
    assert client.get('/users/a%20b').json_body == {'name': 'a b'}
    assert client.get('/users/a%2Fb').json_body == {'name': 'a/b'}
    assert client.get('/users/caf%C3%A9').json_body == {'name': 'caf\u00e9'}


def test_greedy_proxy_route(client):
    assert client.get('/files/a').json_body == {'proxy': 'a'}
    assert client.get('/files/a/b/c.txt').json_body == {'proxy': 'a/b/c.txt'}
    assert client.get('/files').status_code == 403


def test_trailing_slash_matches_the_route(client):
    assert client.get('/users/bob/').json_body == {'name': 'bob'}
    assert client.get('/files/x/y/').json_body == {'proxy': 'x/y'}


@pytest.mark.parametrize('path', ['/nope', '/users', '/users/a/b', '/a/1/b', '//',
                                  '/users//'])
def test_unknown_path_is_missing_authentication_token(client, path):
    response = client.get(path)
    assert response.status_code == 403
    assert response.json_body == MISSING_TOKEN
    assert response.headers['Content-Type'] == 'application/json'


def test_unknown_path_with_authorization_header_is_incomplete_signature(client):
    # API Gateway reads any Authorization header on an unknown path as a
    # malformed SigV4 signature (as chalice local does in Chalice 1.x).
    response = client.get('/nope', headers={'authorization': 'Bearer abc'})
    assert response.status_code == 403
    assert response.headers['x-amzn-ErrorType'] == 'IncompleteSignatureException'
    assert response.json_body == {'message': (
        "Authorization header requires 'Credential' parameter. "
        "Authorization header requires 'Signature' parameter. "
        "Authorization header requires 'SignedHeaders' parameter. "
        "Authorization header requires existence of either a 'X-Amz-Date' or a "
        "'Date' header. Authorization=Bearer abc")}
    assert client.get('/nope', headers={'X-Other': 'x'}).json_body == MISSING_TOKEN


def test_view_sees_a_complete_proxy_event(client):
    result = client.get('/introspect/it%20em?x=1', headers={'X-TestHeader': 'Foo'}).json_body
    assert result['method'] == 'GET'
    assert result['uri_params'] == {'item': 'it em'}
    assert result['query_params'] == {'x': '1'}
    assert result['headers']['x-testheader'] == 'Foo'
    assert result['context']['resourcePath'] == '/introspect/{item}'
    assert result['context']['httpMethod'] == 'GET'
    assert result['context']['stage'] == 'api'
    assert result['path'] == '/introspect/{item}'


# ---------------------------------------------------------------------------
# Binary content
# ---------------------------------------------------------------------------

def test_binary_round_trip(client):
    payload = bytes(range(256)) + b'\xfe\xed'
    response = client.post('/bin', headers={'Content-Type': 'application/octet-stream',
                                            'Accept': 'application/octet-stream'},
                           body=payload)
    assert response.status_code == 200
    assert response.headers['Content-Type'] == 'application/octet-stream'
    assert response.body == payload


def test_binary_response_without_accept_is_400(client):
    response = client.post('/bin', headers={'Content-Type': 'application/octet-stream'},
                           body=b'\xfe\xed')
    assert response.status_code == 400
    assert response.json_body['Code'] == 'BadRequest'


def test_binary_request_without_content_type_is_415(client):
    response = client.post('/bin', headers={'Accept': 'application/octet-stream'},
                           body=b'\xfe\xed')
    assert response.status_code == 415


# ---------------------------------------------------------------------------
# Stage configuration
# ---------------------------------------------------------------------------

def write_config(project_dir, config):
    chalice_dir = project_dir / '.chalice'
    chalice_dir.mkdir()
    (chalice_dir / 'config.json').write_text(json.dumps(config))
    return str(project_dir)


CONFIG = {
    'version': '2.0',
    'app_name': 'client-app',
    'environment_variables': {'TOP': 'top', 'SHARED': 'from-top',
                              'PREEXISTING': 'from-config'},
    'stages': {
        'dev': {
            'api_gateway_stage': 'api',
            'environment_variables': {'STAGE_VAR': 'dev-value', 'SHARED': 'from-dev'},
        },
        'prod': {
            'api_gateway_stage': 'api',
            'lambda_memory_size': 512,
            'environment_variables': {'STAGE_VAR': 'prod-value'},
            'lambda_functions': {
                'api_handler': {'environment_variables': {'FN_VAR': 'fn-value',
                                                          'SHARED': 'from-fn'}},
            },
        },
    },
}


@pytest.fixture
def clean_env(monkeypatch):
    for name in ('TOP', 'STAGE_VAR', 'SHARED', 'FN_VAR'):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv('PREEXISTING', 'original')


def test_stage_environment_variables_are_applied_and_restored(app, tmp_path, clean_env):
    project_dir = write_config(tmp_path, CONFIG)
    with Client(app, stage_name='dev', project_dir=project_dir) as client:
        assert client.http.get('/env').json_body == {
            'TOP': 'top', 'STAGE_VAR': 'dev-value', 'SHARED': 'from-dev', 'FN_VAR': None,
            'PREEXISTING': 'from-config'}
        assert os.environ['STAGE_VAR'] == 'dev-value'
    for name in ('TOP', 'STAGE_VAR', 'SHARED', 'FN_VAR'):
        assert name not in os.environ
    assert os.environ['PREEXISTING'] == 'original'


def test_stage_specific_overrides(app, tmp_path, clean_env):
    project_dir = write_config(tmp_path, CONFIG)
    with Client(app, stage_name='prod', project_dir=project_dir) as client:
        assert client.http.get('/env').json_body == {
            'TOP': 'top', 'STAGE_VAR': 'prod-value', 'SHARED': 'from-fn',
            'FN_VAR': 'fn-value', 'PREEXISTING': 'from-config'}
        context = client.http.get('/context').json_body
        assert context == {'function_name': 'api_handler', 'memory': '512',
                           'remaining_positive': True}
    assert 'FN_VAR' not in os.environ
    assert os.environ['PREEXISTING'] == 'original'


def test_environment_is_restored_when_the_block_raises(app, tmp_path, clean_env):
    project_dir = write_config(tmp_path, CONFIG)
    with pytest.raises(KeyError):
        with Client(app, stage_name='dev', project_dir=project_dir):
            assert os.environ['TOP'] == 'top'
            raise KeyError('inside')
    assert 'TOP' not in os.environ
    assert os.environ['PREEXISTING'] == 'original'


def test_without_a_config_file_nothing_is_set(app, tmp_path, clean_env):
    with Client(app, project_dir=str(tmp_path)) as client:
        assert client.http.get('/env').json_body == {
            'TOP': None, 'STAGE_VAR': None, 'SHARED': None, 'FN_VAR': None,
            'PREEXISTING': 'original'}
        context = client.http.get('/context').json_body
        assert context['function_name'] == 'api_handler'
        assert context['memory'] == '128'


# ---------------------------------------------------------------------------
# The route matcher is compiled once
# ---------------------------------------------------------------------------

def test_matcher_is_compiled_once_and_rebuilt_for_new_routes(app, tmp_path, monkeypatch):
    built = []
    original = chalice.routing.RouteMatcher

    class CountingMatcher(original):
        def __init__(self, routes, **kwargs):
            built.append(sorted(routes))
            super().__init__(routes, **kwargs)

    monkeypatch.setattr(chalice.routing, 'RouteMatcher', CountingMatcher)
    with Client(app, project_dir=str(tmp_path)) as client:
        for _ in range(5):
            assert client.http.get('/users/x').status_code == 200
        first = matcher_for_app(app)
        assert client.http.get('/').status_code == 200
        assert matcher_for_app(app) is first
        assert len(built) == 1
        assert client.http.get('/late').status_code == 403

        @app.route('/late')
        def late():
            return {'late': True}

        assert client.http.get('/late').json_body == {'late': True}
        second = matcher_for_app(app)
        assert second is not first
        assert '/late' in second
        assert len(built) == 2
        client.http.get('/late')
        assert matcher_for_app(app) is second
        assert len(built) == 2


def test_new_method_on_an_existing_path_is_picked_up(app, tmp_path):
    with Client(app, project_dir=str(tmp_path)) as client:
        assert client.http.delete('/users/bob').status_code == 405

        @app.route('/users/{name}', methods=['DELETE'])
        def delete_user(name):
            return {'deleted': name}

        assert client.http.delete('/users/bob').json_body == {'deleted': 'bob'}


def test_client_defaults_to_the_dev_stage_of_the_current_directory(app, tmp_path, clean_env,
                                                                   monkeypatch):
    """``Client(app)``: stage_name='dev', project_dir='.' (the config found from there)."""
    monkeypatch.chdir(write_config(tmp_path, CONFIG))
    with Client(app) as client:
        assert client.http.get('/env').json_body == {
            'TOP': 'top', 'STAGE_VAR': 'dev-value', 'SHARED': 'from-dev', 'FN_VAR': None,
            'PREEXISTING': 'from-config'}
    assert 'STAGE_VAR' not in os.environ
