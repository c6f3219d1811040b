"""``chalice local`` for an HTTP API stage, over real HTTP on 127.0.0.1.

The in-process server checks the 2.0 events, cookies, CORS and JWTs on the
wire (repeated Set-Cookie lines, 204 preflights); one subprocess run shows
``chalice local`` picks the type and the key set up from the config file.
"""
import json

import pytest
import requests

from chalice import Chalice, CORSConfig, JWTAuthorizer, Response
from chalice.config import Config
from tests.functional import test_local_cli
from tests.functional.localserver import serving
from tests.functional.test_local_cli import free_port
from tests.jwt_keys import AUDIENCE, ISSUER, claims, jwks, sign

TIMEOUT = 30
run_local = test_local_cli.run_local  # the fixture that starts chalice local subprocesses


def make_app():
    app = Chalice(app_name='httpapi', configure_logs=False)
    jwt = JWTAuthorizer('jwt', ISSUER, AUDIENCE)

    @app.route('/items/{item}', methods=['GET', 'PUT'],
               cors=CORSConfig(allow_origin='https://site.example', max_age=60))
    def item(item):
        request = app.current_request
        return {'item': item, 'version': request.to_original_event()['version'],
                'query': request.query_params.getlist('q') if request.query_params else None,
                'cookie': request.headers.get('cookie')}

    @app.route('/login', methods=['POST'])
    def login():
        return Response('', status_code=204,
                        headers={'Set-Cookie': ['session=1; HttpOnly', 'theme=dark']})

    @app.route('/me', authorizer=jwt, authorization_scopes=['read'])
    def me():
        return {'sub': app.current_request.context['authorizer']['jwt']['claims']['sub']}
    return app


@pytest.fixture(scope='module')
def url():
    config = Config('dev', 'api_handler', config_from_disk={
        'version': '2.0', 'app_name': 'httpapi', 'api_gateway_type': 'HTTP',
        'local_jwks': jwks()})
    with serving(make_app(), config) as server:
        yield server.url


def test_requests_reach_the_view_as_2_0_events(url):
    response = requests.get(url + '/items/a%2Fb?q=1&q=2', headers={'Cookie': 'a=1; b=2'},
                            timeout=TIMEOUT)
    assert response.status_code == 200
    assert response.json() == {'item': 'a/b', 'version': '2.0', 'query': ['1', '2'],
                               'cookie': 'a=1; b=2'}
    assert response.headers['apigw-requestid']


def test_every_cookie_is_its_own_set_cookie_line(url):
    response = requests.post(url + '/login', timeout=TIMEOUT)
    assert response.status_code == 204
    assert response.raw.headers.getlist('Set-Cookie') == ['session=1; HttpOnly', 'theme=dark']


def test_not_a_route_is_404_not_found(url):
    for method, path in (('GET', '/nope'), ('POST', '/items/1')):
        response = requests.request(method, url + path, timeout=TIMEOUT)
        assert (response.status_code, response.json()) == (404, {'message': 'Not Found'})


def test_cors_preflight_and_origin(url):
    preflight = requests.options(url + '/items/1', headers={
        'Origin': 'https://site.example', 'Access-Control-Request-Method': 'PUT'},
        timeout=TIMEOUT)
    assert preflight.status_code == 204
    assert preflight.headers['access-control-allow-origin'] == 'https://site.example'
    assert preflight.headers['access-control-allow-methods'] == 'GET,OPTIONS,PUT'
    assert preflight.headers['access-control-max-age'] == '60'
    plain = requests.get(url + '/items/1', headers={'Origin': 'https://site.example'},
                         timeout=TIMEOUT)
    assert plain.headers['access-control-allow-origin'] == 'https://site.example'


def test_jwt_checked_against_the_local_key_set(url):
    assert requests.get(url + '/me', timeout=TIMEOUT).status_code == 401
    token = sign(claims(sub='alice', scope='read'))
    ok = requests.get(url + '/me', headers={'Authorization': 'Bearer ' + token},
                      timeout=TIMEOUT)
    assert (ok.status_code, ok.json()) == (200, {'sub': 'alice'})
    no_scope = requests.get(url + '/me', headers={
        'Authorization': 'Bearer ' + sign(claims(scope='write'))}, timeout=TIMEOUT)
    assert (no_scope.status_code, no_scope.json()) == (403, {'message': 'Forbidden'})


APP_PY = '''\
from chalice import Chalice, JWTAuthorizer

app = Chalice(app_name='cli-httpapi')
jwt = JWTAuthorizer('jwt', %r, %r)


@app.route('/me', authorizer=jwt)
def me():
    return {'version': app.current_request.to_original_event()['version']}
''' % (ISSUER, AUDIENCE)


def test_chalice_local_reads_the_type_and_the_key_set_from_config(tmp_path, run_local):
    project = tmp_path / 'proj'
    (project / '.chalice').mkdir(parents=True)
    (project / 'app.py').write_text(APP_PY)
    (project / '.chalice' / 'keys.json').write_text(json.dumps(jwks()))
    (project / '.chalice' / 'config.json').write_text(json.dumps({
        'version': '2.0', 'app_name': 'cli-httpapi',
        'stages': {'dev': {'api_gateway_type': 'HTTP', 'local_jwks': 'keys.json'}}}))
    port = free_port()
    server = run_local(project, '--port', str(port), '--no-autoreload')
    server.wait_for('Serving on')
    base = 'http://127.0.0.1:%d' % port
    assert requests.get(base + '/me', timeout=TIMEOUT).status_code == 401
    ok = requests.get(base + '/me', headers={'Authorization': sign(claims())},
                      timeout=TIMEOUT)
    assert (ok.status_code, ok.json()) == (200, {'version': '2.0'})
    assert requests.get(base + '/other', timeout=TIMEOUT).json() == {'message': 'Not Found'}
    server.stop()
    assert 'Traceback' not in server.output()[1]
