"""``chalice.test.Client`` for a stage whose ``api_gateway_type`` is HTTP.

The client (and ``chalice local``, through the same gateway) sends payload
format 2.0 events and answers the way a deployed HTTP API does: 404 for
anything that is not a route, CORS handled by the gateway, JWT and Lambda
authorizers, 500 for a failing function.
"""
import base64
import json
import logging

import pytest

from chalice import (
    AuthResponse,
    Chalice,
    CognitoUserPoolAuthorizer,
    CORSConfig,
    IAMAuthorizer,
    JWTAuthorizer,
    Response,
)
from chalice.errors import ChaliceError, ConfigError
from chalice.proxy import build_http_api_event, validate_http_api_response
from chalice.routing import MatchResult
from chalice.test import Client
from tests.jwt_keys import AUDIENCE, ISSUER, claims, jwks, sign

JWT = JWTAuthorizer('jwt', ISSUER, AUDIENCE)


def write_project(tmp_path, **settings):
    config = {'version': '2.0', 'app_name': 'httpapi', 'api_gateway_type': 'HTTP'}
    config.update(settings)
    (tmp_path / '.chalice').mkdir(exist_ok=True)
    (tmp_path / '.chalice' / 'config.json').write_text(json.dumps(config))
    return str(tmp_path)


def build_app():
    app = Chalice('httpapi')
    app.log.setLevel(100)
    seen = {}

    @app.route('/')
    def index():
        seen['event'] = app.current_request.to_original_event()
        return {'hello': 'world'}

    @app.route('/echo/{name}', methods=['GET', 'POST'],
               content_types=['application/json', 'application/octet-stream'])
    def echo(name):
        request = app.current_request
        seen['event'] = request.to_original_event()
        query = request.query_params
        return {'name': name, 'path': request.path, 'method': request.method,
                'query': {k: query.getlist(k) for k in query} if query else None,
                'cookie': request.headers.get('cookie'),
                'raw': base64.b64encode(request.raw_body).decode('ascii')}

    @app.route('/cookies')
    def cookies():
        return Response('set', headers={'Set-Cookie': ['a=1', 'b=2'],
                                        'Content-Type': 'text/plain'})

    @app.route('/boom')
    def boom():
        raise RuntimeError('x')

    @app.route('/secret', authorizer=JWT, authorization_scopes=['read'])
    def secret():
        return app.current_request.context['authorizer']['jwt']

    @app.route('/admin', authorizer=JWT, authorization_scopes=['admin'])
    def admin():
        return {}

    @app.authorizer()
    def builtin(auth_request):
        if auth_request.token == 'let-me-in':
            return AuthResponse(routes=['/guarded'], principal_id='u1', context={'user': 'u1'})
        if auth_request.token == 'simple':
            return {'isAuthorized': True, 'context': {'user': 'simple'}}
        if auth_request.token == 'boom':
            raise RuntimeError('authorizer failed')
        return AuthResponse(routes=[], principal_id='nobody')

    @app.route('/guarded', authorizer=builtin)
    def guarded():
        return app.current_request.context['authorizer']

    app.seen = seen
    return app


@pytest.fixture
def client(tmp_path):
    app = build_app()
    with Client(app, project_dir=write_project(tmp_path, local_jwks=jwks())) as client:
        client.app = app
        yield client


def test_requests_arrive_as_2_0_events(client):
    response = client.http.get('/echo/al%20ice?a=1&a=2&b=', headers={'Cookie': 'x=1; y=2',
                                                                    'X-Thing': 'v'})
    assert response.status_code == 200
    assert response.json_body == {'name': 'al ice', 'path': '/echo/{name}', 'method': 'GET',
                                  'query': {'a': ['1', '2'], 'b': ['']}, 'cookie': 'x=1; y=2',
                                  'raw': ''}
    event = client.app.seen['event']
    assert event['version'] == '2.0'
    assert event['routeKey'] == 'GET /echo/{name}'
    assert event['rawPath'] == '/echo/al%20ice'
    assert event['rawQueryString'] == 'a=1&a=2&b='
    assert event['queryStringParameters'] == {'a': '1,2', 'b': ''}
    assert event['cookies'] == ['x=1', 'y=2']
    assert event['headers']['x-thing'] == 'v' and 'cookie' not in event['headers']
    assert event['pathParameters'] == {'name': 'al ice'}
    assert event['requestContext']['stage'] == '$default'
    assert event['requestContext']['http']['method'] == 'GET'
    assert response.headers['apigw-requestid'] == event['requestContext']['requestId']


def test_binary_bodies_arrive_base64_encoded(client):
    payload = bytes(range(256))
    response = client.http.post('/echo/x', headers={'Content-Type': 'application/octet-stream'},
                                body=payload)
    assert base64.b64decode(response.json_body['raw']) == payload
    assert client.app.seen['event']['isBase64Encoded'] is True
    client.http.post('/echo/x', headers={'Content-Type': 'application/json'}, body='{"a": 1}')
    assert client.app.seen['event']['isBase64Encoded'] is False


@pytest.mark.parametrize('method, path', [('GET', '/nope'), ('DELETE', '/echo/x'),
                                          ('HEAD', '/')])
def test_anything_but_a_route_is_404(client, method, path):
    response = client.http.request(method, path)
    assert (response.status_code, response.json_body) == (404, {'message': 'Not Found'})


def test_cookies_in_the_response(client):
    response = client.http.get('/cookies')
    assert response.status_code == 200 and response.body == b'set'
    # The client's headers are a dict: the last Set-Cookie line is kept.
    assert response.headers['Set-Cookie'] == 'b=2'


class _Answers(Chalice):
    """An app whose handler raises, or answers with ``answer``."""

    answer = None

    def __call__(self, event, context=None):
        if self.answer is None:
            raise RuntimeError('crash')
        return self.answer


@pytest.mark.parametrize('answer', [None, {'statusCode': 'abc'}, {'statusCode': 200,
                                                                  'body': 5}])
def test_a_crash_or_an_invalid_answer_is_a_500_as_http_apis_answer(answer):
    from chalice.config import Config
    from chalice.gateway import LocalGateway

    app = _Answers('answers')
    app.answer = answer
    app.route('/')(lambda: {})
    printed = []
    gateway = LocalGateway(app, Config(config_from_disk={'api_gateway_type': 'HTTP'}),
                           report=printed.append)
    response = gateway.handle('GET', '/', [], b'')
    assert (response.status_code, json.loads(response.body)) == (
        500, {'message': 'Internal Server Error'})
    assert len(printed) == 1 and 'an HTTP API answers 500' in printed[0]


def test_a_view_error_keeps_the_apps_own_500(client):
    response = client.http.get('/boom')
    assert response.status_code == 500
    assert response.json_body['Code'] == 'InternalServerError'


# ---------------------------------------------------------------- JWT

def test_a_valid_token_passes_and_its_claims_reach_the_view(client):
    token = sign(claims(scope='read write'))
    response = client.http.get('/secret', headers={'Authorization': 'Bearer ' + token})
    assert response.status_code == 200
    jwt = response.json_body
    assert jwt['claims']['sub'] == 'user-1' and jwt['claims']['iss'] == ISSUER
    assert isinstance(jwt['claims']['exp'], str)
    assert jwt['scopes'] == ['read', 'write']


@pytest.mark.parametrize('headers, status', [
    ({}, 401),
    ({'Authorization': 'Bearer not-a-jwt'}, 401),
    ({'Authorization': sign(claims(iss='https://other/'))}, 401),
    ({'Authorization': sign(claims(), signing_kid='intruder')}, 401),
])
def test_bad_tokens_are_401(client, headers, status):
    response = client.http.get('/secret', headers=headers)
    assert (response.status_code, response.json_body) == (401, {'message': 'Unauthorized'})


def test_missing_scope_is_403(client):
    response = client.http.get('/admin', headers={'Authorization': sign(claims(scope='read'))})
    assert (response.status_code, response.json_body) == (403, {'message': 'Forbidden'})


def test_without_a_key_set_jwt_routes_are_let_through_with_one_warning(tmp_path, caplog):
    app = build_app()
    with Client(app, project_dir=write_project(tmp_path)) as client:
        with caplog.at_level(logging.ERROR, logger='chalice.test'):
            first = client.http.get('/admin')
            second = client.http.get('/admin')
    assert first.status_code == second.status_code == 200
    warnings = [r.getMessage() for r in caplog.records if 'JWTAuthorizer' in r.getMessage()]
    assert warnings == [
        "Warning: chalice.test.Client does not check tokens for the JWTAuthorizer 'jwt' "
        '(used by GET /admin) without a key set: requests are let through. Set '
        '"local_jwks" in .chalice/config.json to check them.']


def test_local_jwks_from_a_file(tmp_path):
    (tmp_path / '.chalice').mkdir()
    (tmp_path / '.chalice' / 'keys.json').write_text(json.dumps(jwks()))
    app = build_app()
    with Client(app, project_dir=write_project(tmp_path, local_jwks='keys.json')) as client:
        assert client.http.get('/secret').status_code == 401
        ok = client.http.get('/secret', headers={'Authorization': sign(claims())})
        assert ok.status_code == 200


def test_a_missing_key_set_file_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError):
        project = write_project(tmp_path, local_jwks='nope.json')
        Client(build_app(), project_dir=project).http.get('/')


# ---------------------------------------------------------------- Lambda authorizer

def test_builtin_authorizer_allows_with_its_context(client):
    response = client.http.get('/guarded', headers={'Authorization': 'let-me-in'})
    assert response.status_code == 200
    assert response.json_body == {'lambda': {'user': 'u1'}, 'user': 'u1'}


def test_simple_response_from_the_builtin_authorizer(client):
    response = client.http.get('/guarded', headers={'Authorization': 'simple'})
    assert response.status_code == 200
    assert response.json_body['user'] == 'simple'


@pytest.mark.parametrize('headers, status, body', [
    ({}, 401, {'message': 'Unauthorized'}),
    ({'Authorization': 'wrong'}, 403, {'message': 'Forbidden'}),
    ({'Authorization': 'boom'}, 500, {'message': 'Internal Server Error'}),
])
def test_builtin_authorizer_refusals(client, headers, status, body):
    response = client.http.get('/guarded', headers=headers)
    assert (response.status_code, response.json_body) == (status, body)


def test_iam_authorizer_is_let_through_with_a_warning(tmp_path, caplog):
    app = Chalice('iam')

    @app.route('/', authorizer=IAMAuthorizer())
    def index():
        return {}
    with Client(app, project_dir=write_project(tmp_path)) as client:
        with caplog.at_level(logging.ERROR, logger='chalice.test'):
            assert client.http.get('/').status_code == 200
    assert any('IAMAuthorizer' in r.getMessage() for r in caplog.records)


# ---------------------------------------------------------------- CORS

@pytest.fixture
def cors_client(tmp_path):
    app = Chalice('cors')

    @app.route('/items', methods=['GET', 'POST'],
               cors=CORSConfig(allow_origin='https://site.example', max_age=600,
                               expose_headers=['X-Total'], allow_credentials=True))
    def items():
        return {}

    @app.route('/plain')
    def plain():
        return {}
    with Client(app, project_dir=write_project(tmp_path)) as client:
        yield client


def test_preflight_is_answered_by_the_gateway(cors_client):
    response = cors_client.http.options('/items', headers={
        'Origin': 'https://site.example', 'Access-Control-Request-Method': 'POST'})
    assert response.status_code == 204 and response.body == b''
    assert response.headers['access-control-allow-origin'] == 'https://site.example'
    assert response.headers['access-control-allow-methods'] == 'GET,OPTIONS,POST'
    assert response.headers['access-control-max-age'] == '600'
    assert response.headers['access-control-allow-credentials'] == 'true'
    assert 'Authorization' in response.headers['access-control-allow-headers']


def test_cors_headers_come_from_the_api_for_every_route(cors_client):
    response = cors_client.http.get('/plain', headers={'Origin': 'https://site.example'})
    assert response.headers['access-control-allow-origin'] == 'https://site.example'
    assert response.headers['access-control-expose-headers'] == 'X-Total'
    other = cors_client.http.get('/items', headers={'Origin': 'https://evil.example'})
    assert not any(name.lower().startswith('access-control-') for name in other.headers)
    no_origin = cors_client.http.get('/items')
    assert not any(name.lower().startswith('access-control-') for name in no_origin.headers)


# ---------------------------------------------------------------- what HTTP APIs refuse

@pytest.mark.parametrize('route_kwargs, words', [
    ({'api_key_required': True}, 'HTTP APIs have no API keys'),
    ({'authorizer': CognitoUserPoolAuthorizer('pool', ['arn:aws:cognito-idp:x'])},
     'use a JWTAuthorizer'),
])
def test_apps_an_http_api_cannot_serve(tmp_path, route_kwargs, words):
    app = Chalice('refused')
    app.route('/', **route_kwargs)(lambda: {})
    with pytest.raises(ChaliceError) as error:
        Client(app, project_dir=write_project(tmp_path)).http.get('/')
    assert words in str(error.value)


def test_two_cors_configurations_are_refused(tmp_path):
    app = Chalice('cors')
    app.route('/a', cors=True)(lambda: {})
    app.route('/b', cors=CORSConfig(allow_origin='https://b.example'))(lambda: {})
    with pytest.raises(ChaliceError) as error:
        Client(app, project_dir=write_project(tmp_path)).http.get('/')
    assert 'one CORS configuration for all routes' in str(error.value)


# ---------------------------------------------------------------- the event builder

def test_build_http_api_event_defaults():
    event = build_http_api_event(method='post', path='/a', query_string='', headers=[
        ('Host', 'example.com:8000'), ('X-A', '1'), ('x-a', '2')], body=b'',
        match=MatchResult('/a', {}))
    assert event['routeKey'] == 'POST /a'
    assert event['headers'] == {'host': 'example.com:8000', 'x-a': '1,2'}
    assert event['requestContext']['domainName'] == 'example.com'
    assert 'body' not in event and event['isBase64Encoded'] is False
    assert 'queryStringParameters' not in event and 'pathParameters' not in event
    json.dumps(event)


@pytest.mark.parametrize('content_type, binary', [
    ('text/plain', False), ('application/json', False), ('application/vnd.x+json', False),
    ('application/octet-stream', True), (None, True), ('image/png', True)])
def test_which_bodies_are_base64(content_type, binary):
    headers = [('Content-Type', content_type)] if content_type else []
    event = build_http_api_event(method='POST', path='/', query_string='', headers=headers,
                                 body=b'hello', match=MatchResult('/', {}))
    assert event['isBase64Encoded'] is binary
    assert (base64.b64decode(event['body']) if binary else event['body'].encode()) == b'hello'


def test_validate_http_api_response():
    full = validate_http_api_response({'statusCode': 201, 'headers': {'A': 'b'},
                                       'cookies': ['c=1', 'd=2'], 'body': 'x'})
    assert full.status_code == 201 and full.body == b'x'
    assert ('Set-Cookie', 'c=1') in full.headers and ('Set-Cookie', 'd=2') in full.headers
    # Without statusCode the whole answer is a JSON body (API Gateway's inference).
    inferred = validate_http_api_response({'hello': 'world'})
    assert inferred.status_code == 200
    assert json.loads(inferred.body) == {'hello': 'world'}
    assert validate_http_api_response('text').body == b'"text"'
    with pytest.raises(ValueError):
        validate_http_api_response({'statusCode': 'abc'})
    with pytest.raises(ValueError):
        validate_http_api_response({'statusCode': 200, 'cookies': 'a=1'})
