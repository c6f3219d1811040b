"""`chalice local` and `chalice.test.Client` answer errors identically.

Issue 11 section 4: the same body, byte for byte, for the same error, and
both say why a response was invalid.  Also `chalice.local.create_local_server`
(issue 7, item 6), the entry point users' pytest fixtures call.
"""
import io
import json
import logging
import threading

import pytest
import requests

from chalice import (
    AuthResponse,
    BadRequestError,
    Chalice,
    ChaliceViewError,
    NotFoundError,
    Response,
)
from chalice.config import Config
from chalice.local import create_local_server
from chalice.test import Client
from tests.functional.localserver import serving

TIMEOUT = 10


def make_app():
    app = Chalice(app_name='parity', configure_logs=False)
    app.log.setLevel(100)

    @app.authorizer()
    def auth(auth_request):
        if auth_request.token == 'yes':
            return AuthResponse(routes=['/private'], principal_id='u')
        return AuthResponse(routes=['/nowhere'], principal_id='u')

    @app.route('/private', authorizer=auth)
    def private():
        return {'private': True}

    @app.route('/ok', methods=['GET', 'POST'])
    def ok():
        return {'ok': app.current_request.json_body}

    @app.route('/error/{kind}')
    def error(kind):
        if kind == 'notfound':
            raise NotFoundError('no such thing')
        if kind == 'bad':
            raise BadRequestError('bad thing')
        if kind == 'view':
            raise ChaliceViewError('view failed')
        raise RuntimeError('unexpected')

    @app.route('/invalid/{kind}')
    def invalid(kind):
        if kind == 'status':
            return Response('x', status_code=99)
        if kind == 'unserialisable':
            return {'value': object()}
        return Response('x', headers={'X-Bad': 'a\nb'})

    @app.route('/image')
    def image():
        return Response(b'\x89PNG', headers={'Content-Type': 'image/png'})

    return app


@pytest.fixture
def local_url():
    stream = io.StringIO()
    with serving(make_app(), stream=stream, log_requests=False) as server:
        yield server.url, stream


REQUESTS = [
    ('GET', '/missing', {}, b''),
    ('GET', '/private', {}, b''),
    ('GET', '/private', {'Authorization': 'no'}, b''),
    ('GET', '/private', {'Authorization': 'yes'}, b''),
    ('DELETE', '/ok', {}, b''),
    ('POST', '/ok', {'Content-Type': 'text/plain'}, b'x'),
    ('POST', '/ok', {'Content-Type': 'application/json'}, b'{not json'),
    ('POST', '/ok', {'Content-Type': 'application/json'}, b'{"a": 1}'),
    ('GET', '/error/notfound', {}, b''),
    ('GET', '/error/bad', {}, b''),
    ('GET', '/error/view', {}, b''),
    ('GET', '/error/other', {}, b''),
    ('GET', '/invalid/status', {}, b''),
    ('GET', '/invalid/unserialisable', {}, b''),
    ('GET', '/invalid/header', {}, b''),
    ('GET', '/image', {'Accept': 'text/html'}, b''),
    ('GET', '/image', {'Accept': 'image/png'}, b''),
]


@pytest.mark.parametrize('method, path, headers, body', REQUESTS)
def test_same_status_and_body_byte_for_byte(local_url, tmp_path, method, path, headers,
                                            body):
    url, _ = local_url
    over_http = requests.request(method, url + path, headers=headers, data=body,
                                 timeout=TIMEOUT)
    with Client(make_app(), project_dir=str(tmp_path)) as client:
        in_process = client.http.request(method, path, headers=headers, body=body)
    assert in_process.status_code == over_http.status_code
    assert in_process.body == over_http.content
    assert in_process.headers.get('Content-Type') == over_http.headers.get('Content-Type')


def test_both_say_why_a_response_was_invalid(local_url, tmp_path, caplog):
    url, stream = local_url
    response = requests.get(url + '/invalid/status', timeout=TIMEOUT)
    assert response.status_code == 502
    assert response.content == b'{"message":"Internal server error"}'
    reason = ('GET /invalid/status: Invalid proxy response: statusCode must be an integer '
              '100-599, got 99 (API Gateway answers 502)')
    assert reason in stream.getvalue()
    with caplog.at_level(logging.ERROR, logger='chalice.test'):
        with Client(make_app(), project_dir=str(tmp_path)) as client:
            assert client.http.get('/invalid/status').status_code == 502
    assert [r.getMessage() for r in caplog.records if r.name == 'chalice.test'] == [reason]


def test_create_local_server_serves_a_pytest_fixture_style(tmp_path):
    app = make_app()
    config = Config.create(project_dir=str(tmp_path), chalice_app=app, app_name='parity')
    server = create_local_server(app, config, '127.0.0.1', 0)
    assert server.host == '127.0.0.1'
    assert isinstance(server.port, int) and server.port > 0
    assert server.server.server_address[1] == server.port
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        response = requests.get('http://127.0.0.1:%d/ok' % server.port, timeout=TIMEOUT)
        assert response.json() == {'ok': None}
    finally:
        server.shutdown()
        thread.join(timeout=TIMEOUT)
        server.server_close()
    assert not thread.is_alive()


def test_handle_single_request(tmp_path):
    server = create_local_server(make_app(), None, '127.0.0.1', 0)
    results = []

    def client():
        results.append(requests.get('http://127.0.0.1:%d/ok' % server.port,
                                    headers={'Connection': 'close'}, timeout=TIMEOUT))

    thread = threading.Thread(target=client)
    thread.start()
    try:
        server.handle_single_request()
        thread.join(timeout=TIMEOUT)
    finally:
        server.server_close()
    assert [r.status_code for r in results] == [200]
    assert json.loads(results[0].content) == {'ok': None}
