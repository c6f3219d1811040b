"""The local dev server, in-process, exercised over real HTTP on 127.0.0.1."""
import io
import json
import os
import platform
import re
import socket
import threading

import pytest
import requests

from chalice import AuthResponse, Chalice, IAMAuthorizer, Response
from chalice.config import Config
from chalice.errors import ChaliceError
from chalice.local import LocalDevServer, PortInUseError
from tests.functional.localserver import serving

# Seconds any one HTTP call may take: a server that stops answering fails
# the test instead of hanging it.
TIMEOUT = 30
# The /slow view signals that it runs, then waits to be released.
SLOW_VIEW_ENTERED = threading.Event()
SLOW_VIEW_RELEASE = threading.Event()

CONFIG = {
    'version': '2.0',
    'app_name': 'sample',
    'stages': {'dev': {
        'api_gateway_stage': 'v1',
        'lambda_timeout': 30,
        'lambda_memory_size': 256,
        'environment_variables': {'LOCAL_TEST_STAGE_VAR': 'from-dev-stage'},
    }},
}


def make_app():
    app = Chalice(app_name='sample', configure_logs=False)

    @app.route('/')
    def index():
        return {'hello': 'world'}

    @app.route('/users/{user_id}')
    def user(user_id):
        return {'user_id': user_id}

    @app.route('/files/{proxy+}')
    def files(proxy):
        return {'proxy': proxy}

    @app.route('/items/special')
    def special_item():
        return {'kind': 'literal'}

    @app.route('/items/{item}')
    def item(item):
        return {'kind': 'capture', 'item': item}

    @app.route('/cors', methods=['GET', 'PUT'], cors=True)
    def cors():
        return {'cors': True}

    @app.route('/only-get')
    def only_get():
        return {'only': 'get'}

    @app.route('/echo', methods=['POST'])
    def echo():
        return {'json': app.current_request.json_body}

    @app.route('/text', methods=['POST'], content_types=['text/plain'])
    def text():
        return {'text': app.current_request.raw_body.decode('utf-8')}

    @app.route('/binary', methods=['POST'], content_types=['application/octet-stream'])
    def binary():
        return Response(body=app.current_request.raw_body,
                        headers={'Content-Type': 'application/octet-stream'})

    @app.route('/cookies')
    def cookies():
        return Response(body='cookies', headers={
            'Content-Type': 'text/plain', 'Set-Cookie': ['a=1; Path=/', 'b=2; Path=/']})

    @app.route('/query')
    def query():
        params = app.current_request.query_params or {}
        return {name: params.getlist(name) for name in params}

    @app.route('/head', methods=['GET', 'HEAD'])
    def head():
        return {'head': 'body that HEAD must not send'}

    @app.route('/context')
    def context():
        lambda_context = app.lambda_context
        return {
            'context': app.current_request.context,
            'env': os.environ.get('LOCAL_TEST_STAGE_VAR'),
            'remaining': lambda_context.get_remaining_time_in_millis(),
            'function_name': lambda_context.function_name,
            'memory': lambda_context.memory_limit_in_mb,
        }

    @app.route('/bad-status')
    def bad_status():
        return Response(body='x', status_code=1000)

    @app.route('/slow')
    def slow():
        # Busy until the test says so (never longer than two client timeouts).
        SLOW_VIEW_ENTERED.set()
        return {'slow': True, 'released': SLOW_VIEW_RELEASE.wait(timeout=2 * TIMEOUT)}

    @app.authorizer()
    def demo_auth(auth_request):
        token = auth_request.token
        if token == 'allow':
            return AuthResponse(routes=['/secret'], principal_id='user-1',
                                context={'role': 'admin', 'level': 3, 'active': True})
        if token == 'boom':
            raise ValueError('the authorizer blew up')
        if token == 'deny':
            return {'principalId': 'user-1', 'policyDocument': {
                'Version': '2012-10-17',
                'Statement': [{'Effect': 'Deny', 'Action': 'execute-api:Invoke',
                               'Resource': [auth_request.method_arn]}]}}
        if token == 'elsewhere':
            return AuthResponse(routes=['/other'], principal_id='user-1')
        return AuthResponse(routes=[], principal_id='user-1')

    @app.route('/secret', authorizer=demo_auth)
    def secret():
        return {'authorizer': app.current_request.context['authorizer']}

    @app.route('/iam', authorizer=IAMAuthorizer())
    def iam():
        return {'iam': True}

    return app


@pytest.fixture(scope='module')
def server():
    stream = io.StringIO()
    config = Config('dev', 'api_handler', config_from_disk=CONFIG)
    with serving(make_app(), config, stream=stream) as dev_server:
        dev_server.stream = stream
        yield dev_server


@pytest.fixture
def url(server):
    return server.url


# -- raw socket helpers -------------------------------------------------------

def connect(server, timeout=TIMEOUT):
    sock = socket.create_connection(server.server_address, timeout=timeout)
    return sock, sock.makefile('rb')


def read_response(reader, head=False):
    """Read one full response; returns (status, [(name, value)], body)."""
    status_line = reader.readline()
    assert status_line.startswith(b'HTTP/1.1 '), status_line
    status = int(status_line.split()[1])
    headers = []
    for _ in range(200):
        line = reader.readline()
        if line in (b'\r\n', b''):
            break
        name, _, value = line.decode('latin-1').partition(':')
        headers.append((name.strip(), value.strip()))
    length = int(dict((n.lower(), v) for n, v in headers).get('content-length', '0'))
    body = b'' if head else reader.read(length)
    return status, headers, body


def header(headers, name):
    values = [v for n, v in headers if n.lower() == name.lower()]
    return values[-1] if values else None


def assert_closed(sock, reader):
    sock.settimeout(TIMEOUT)
    assert reader.read() == b''


# -- routing --------------------------------------------------------------------

def test_json_route(url):
    response = requests.get(url + '/', timeout=TIMEOUT)
    assert response.status_code == 200
    assert response.json() == {'hello': 'world'}
    assert response.headers['Content-Type'] == 'application/json'
    assert response.headers['Content-Length'] == str(len(response.content))
    assert response.headers['Server'].startswith('BaseHTTP/')
    assert response.headers['Date'].endswith('GMT')


def test_server_header_names_basehttp_and_the_python_version(url):
    response = requests.get(url + '/', timeout=TIMEOUT)
    assert response.headers['Server'] == 'BaseHTTP/0.6 Python/' + platform.python_version()


def test_captures_are_percent_decoded(url):
    response = requests.get(url + '/users/a%20b%2Fc%C3%A9', timeout=TIMEOUT)
    assert response.json() == {'user_id': 'a b/c\u00e9'}


def test_greedy_proxy_capture(url):
    assert requests.get(url + '/files/a/b/c.txt', timeout=TIMEOUT).json() == {'proxy': 'a/b/c.txt'}


def test_literal_beats_capture(url):
    assert requests.get(url + '/items/special', timeout=TIMEOUT).json() == {'kind': 'literal'}
    assert requests.get(url + '/items/other', timeout=TIMEOUT).json() == {
        'kind': 'capture', 'item': 'other'}


def test_trailing_slash_matches_like_api_gateway(url):
    assert requests.get(url + '/users/42/', timeout=TIMEOUT).json() == {'user_id': '42'}
    assert requests.get(url + '/users//', timeout=TIMEOUT).status_code == 403


@pytest.mark.parametrize('path', ['/nope', '/users', '/users/1/2', '/items//x'])
def test_unknown_path_is_403(url, path):
    response = requests.get(url + path, timeout=TIMEOUT)
    assert response.status_code == 403
    assert response.json() == {'message': 'Missing Authentication Token'}


def test_unknown_path_with_authorization_header_is_403_incomplete_signature(url):
    response = requests.get(url + '/nope', headers={'Authorization': 'allow'},
                            timeout=TIMEOUT)
    assert response.status_code == 403
    assert response.headers['x-amzn-ErrorType'] == 'IncompleteSignatureException'
    assert response.json()['message'].startswith(
        "Authorization header requires 'Credential' parameter. ")
    assert response.json()['message'].endswith(' Authorization=allow')


def test_query_string_with_repeated_keys(url):
    response = requests.get(url + '/query?a=1&b=x%20y&a=2&empty=', timeout=TIMEOUT)
    assert response.json() == {'a': ['1', '2'], 'b': ['x y'], 'empty': ['']}


# -- behaviour that comes from the app --------------------------------------------

def test_cors_preflight_and_headers(url):
    preflight = requests.options(url + '/cors', headers={
        'Origin': 'http://example.com', 'Access-Control-Request-Method': 'PUT'}, timeout=TIMEOUT)
    assert preflight.status_code == 200
    assert preflight.headers['Access-Control-Allow-Origin'] == '*'
    allowed = preflight.headers['Access-Control-Allow-Methods'].split(',')
    assert sorted(allowed) == ['GET', 'OPTIONS', 'PUT']
    response = requests.put(url + '/cors', timeout=TIMEOUT)
    assert response.json() == {'cors': True}
    assert response.headers['Access-Control-Allow-Origin'] == '*'


def test_method_not_allowed(url):
    response = requests.post(url + '/only-get', json={}, timeout=TIMEOUT)
    assert response.status_code == 405
    assert response.headers['Allow'] == 'GET'


def test_unsupported_media_type(url):
    response = requests.post(url + '/echo', data='x', headers={'Content-Type': 'text/plain'},
                             timeout=TIMEOUT)
    assert response.status_code == 415
    echoed = requests.post(url + '/echo', json={'a': [1]}, timeout=TIMEOUT)
    assert echoed.json() == {'json': {'a': [1]}}


def test_binary_round_trip(url):
    payload = bytes(range(256)) * 64 + b'\x00\xff\r\n'
    response = requests.post(url + '/binary', data=payload, headers={
        'Content-Type': 'application/octet-stream', 'Accept': 'application/octet-stream'},
        timeout=TIMEOUT)
    assert response.status_code == 200
    assert response.headers['Content-Type'] == 'application/octet-stream'
    assert response.content == payload


def test_multi_value_headers_are_repeated(server):
    sock, reader = connect(server)
    with sock:
        sock.sendall(b'GET /cookies HTTP/1.1\r\nHost: localhost\r\n\r\n')
        status, headers, body = read_response(reader)
    assert status == 200 and body == b'cookies'
    assert [v for n, v in headers if n == 'Set-Cookie'] == ['a=1; Path=/', 'b=2; Path=/']


def test_invalid_handler_response_is_502(server, url):
    response = requests.get(url + '/bad-status', timeout=TIMEOUT)
    assert response.status_code == 502
    assert response.json() == {'message': 'Internal server error'}
    assert 'GET /bad-status: Invalid proxy response: statusCode' in server.stream.getvalue()


# -- the event and the context -------------------------------------------------------

def test_event_context_and_stage_settings(url):
    first = requests.get(url + '/context', headers={'User-Agent': 'agent/1'},
                         timeout=TIMEOUT).json()
    second = requests.get(url + '/context', timeout=TIMEOUT).json()
    context = first['context']
    assert context['stage'] == 'v1'
    assert context['resourcePath'] == '/context'
    assert context['httpMethod'] == 'GET'
    assert context['path'] == '/v1/context'
    assert context['identity']['sourceIp'] == '127.0.0.1'
    assert context['identity']['userAgent'] == 'agent/1'
    assert context['requestId'] != second['context']['requestId']
    assert first['env'] == 'from-dev-stage'
    assert 0 < first['remaining'] <= 30 * 1000
    assert first['function_name'] == 'sample-dev'
    assert first['memory'] == '256'


def test_server_applies_and_restores_stage_environment(monkeypatch):
    # The module's server may have applied the variable already; monkeypatch
    # puts it back afterwards, whatever order the tests run in.
    monkeypatch.delenv('LOCAL_TEST_STAGE_VAR', raising=False)
    config = Config('dev', 'api_handler', config_from_disk=CONFIG)
    dev_server = LocalDevServer(make_app(), config, port=0, stream=io.StringIO())
    try:
        assert os.environ['LOCAL_TEST_STAGE_VAR'] == 'from-dev-stage'
    finally:
        dev_server.server_close()
    assert 'LOCAL_TEST_STAGE_VAR' not in os.environ


# -- authorizers -----------------------------------------------------------------

def test_builtin_authorizer_allows_with_context(url):
    response = requests.get(url + '/secret', headers={'Authorization': 'allow'}, timeout=TIMEOUT)
    assert response.status_code == 200
    assert response.json() == {'authorizer': {
        'role': 'admin', 'level': '3', 'active': 'true', 'principalId': 'user-1'}}


@pytest.mark.parametrize('headers, status, body', [
    ({}, 401, {'message': 'Unauthorized'}),
    ({'Authorization': ''}, 401, {'message': 'Unauthorized'}),
    ({'Authorization': 'nothing'}, 403,
     {'Message': 'User is not authorized to access this resource'}),
    ({'Authorization': 'deny'}, 403,
     {'Message': 'User is not authorized to access this resource with an explicit deny'}),
    ({'Authorization': 'elsewhere'}, 403,
     {'Message': 'User is not authorized to access this resource'}),
])
def test_builtin_authorizer_refusals(url, headers, status, body):
    response = requests.get(url + '/secret', headers=headers, timeout=TIMEOUT)
    assert response.status_code == status
    assert response.json() == body


def test_authorizer_exception_is_401_and_printed(server, url):
    response = requests.get(url + '/secret', headers={'Authorization': 'boom'}, timeout=TIMEOUT)
    assert response.status_code == 401
    assert response.json() == {'message': 'Unauthorized'}
    output = server.stream.getvalue()
    assert 'Traceback' in output and 'the authorizer blew up' in output


def test_iam_authorizer_is_let_through_with_one_warning(server, url):
    for _ in range(3):
        response = requests.get(url + '/iam', timeout=TIMEOUT)
        assert response.json() == {'iam': True}
    warnings = [line for line in server.stream.getvalue().splitlines()
                if line.startswith('Warning:') and "'sigv4'" in line]
    assert len(warnings) == 1


# -- HTTP/1.1 ------------------------------------------------------------------------

def test_keep_alive_serves_many_requests_on_one_connection(server):
    sock, reader = connect(server)
    with sock:
        for index in range(5):
            sock.sendall(b'GET /users/%d HTTP/1.1\r\nHost: localhost\r\n\r\n' % index)
            status, headers, body = read_response(reader)
            assert status == 200
            assert json.loads(body) == {'user_id': str(index)}
            assert header(headers, 'Connection') is None


def test_pipelined_requests(server):
    sock, reader = connect(server)
    with sock:
        sock.sendall(b'GET /users/1 HTTP/1.1\r\nHost: x\r\n\r\n'
                     b'GET /users/2 HTTP/1.1\r\nHost: x\r\n\r\n')
        assert json.loads(read_response(reader)[2]) == {'user_id': '1'}
        assert json.loads(read_response(reader)[2]) == {'user_id': '2'}


def test_connection_close_is_honoured(server):
    sock, reader = connect(server)
    with sock:
        sock.sendall(b'GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')
        status, headers, body = read_response(reader)
        assert status == 200 and json.loads(body) == {'hello': 'world'}
        assert header(headers, 'Connection') == 'close'
        assert_closed(sock, reader)


def test_http10_closes_unless_keep_alive_is_asked_for(server):
    sock, reader = connect(server)
    with sock:
        sock.sendall(b'GET / HTTP/1.0\r\n\r\n')
        status, headers, _ = read_response(reader)
        assert status == 200 and header(headers, 'Connection') == 'close'
        assert_closed(sock, reader)
    sock, reader = connect(server)
    with sock:
        for _ in range(2):
            sock.sendall(b'GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n')
            status, headers, _ = read_response(reader)
            assert status == 200 and header(headers, 'Connection') == 'keep-alive'


def test_head_sends_headers_only(server):
    sock, reader = connect(server)
    with sock:
        sock.sendall(b'GET /head HTTP/1.1\r\nHost: x\r\n\r\n')
        _, get_headers, get_body = read_response(reader)
        sock.sendall(b'HEAD /head HTTP/1.1\r\nHost: x\r\n\r\n')
        status, headers, _ = read_response(reader, head=True)
        assert status == 200
        assert header(headers, 'Content-Length') == str(len(get_body))
        # No body was sent: the next response starts right away.
        sock.sendall(b'GET / HTTP/1.1\r\nHost: x\r\n\r\n')
        assert read_response(reader)[2] == b'{"hello":"world"}'


def test_chunked_request_body(server):
    sock, reader = connect(server)
    with sock:
        sock.sendall(b'POST /text HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\n'
                     b'Transfer-Encoding: chunked\r\n\r\n'
                     b'5\r\nhello\r\n7;ext=1\r\n, world\r\n0\r\n\r\n')
        status, _, body = read_response(reader)
        assert status == 200 and json.loads(body) == {'text': 'hello, world'}


def test_expect_100_continue(server):
    sock, reader = connect(server)
    with sock:
        sock.sendall(b'POST /text HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\n'
                     b'Content-Length: 2\r\nExpect: 100-continue\r\n\r\n')
        assert reader.readline() == b'HTTP/1.1 100 Continue\r\n'
        assert reader.readline() == b'\r\n'
        sock.sendall(b'hi')
        status, _, body = read_response(reader)
        assert status == 200 and json.loads(body) == {'text': 'hi'}


# -- limits and bad input --------------------------------------------------------------

def test_oversized_body_gets_413_without_being_sent(server):
    sock, reader = connect(server)
    with sock:
        # Only the headers are sent, never the body: the answer can only come
        # from the announced length (a server that waited for the body would
        # let the read time out).
        sock.sendall(b'POST /text HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\n'
                     b'Content-Length: %d\r\n\r\n' % (11 * 1024 * 1024))
        status, headers, body = read_response(reader)
        assert status == 413
        assert json.loads(body) == {'message': 'Request Too Long'}
        assert header(headers, 'Connection') == 'close'
        sock.shutdown(socket.SHUT_WR)
        assert_closed(sock, reader)


def test_oversized_body_sent_by_a_client_still_gets_413(url):
    response = requests.post(url + '/text', data=b'x' * (10 * 1024 * 1024 + 1),
                             headers={'Content-Type': 'text/plain'}, timeout=TIMEOUT)
    assert response.status_code == 413
    assert requests.get(url + '/', timeout=TIMEOUT).status_code == 200


def test_body_at_the_limit_is_accepted(url):
    payload = b'y' * (10 * 1024 * 1024)
    response = requests.post(url + '/binary', data=payload, headers={
        'Content-Type': 'application/octet-stream', 'Accept': 'application/octet-stream'},
        timeout=TIMEOUT)
    assert response.status_code == 200 and len(response.content) == len(payload)


@pytest.mark.parametrize('raw, status', [
    (b'GARBAGE\r\n\r\n', 400),
    (b'GET /\r\n\r\n', 400),
    (b'GET / HTTP/1.1 extra\r\n\r\n', 400),
    (b'GET / HTTX/1.1\r\n\r\n', 400),
    (b'GET / HTTP/2.0\r\n\r\n', 505),
    (b'GET noslash HTTP/1.1\r\n\r\n', 400),
    (b'G(T / HTTP/1.1\r\n\r\n', 400),
    (b'GET / HTTP/1.1\r\nNo colon here\r\n\r\n', 400),
    (b'GET / HTTP/1.1\r\nBad Name: x\r\n\r\n', 400),
    (b'GET / HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n', 400),
    (b'POST /text HTTP/1.1\r\nContent-Length: abc\r\n\r\n', 400),
    (b'POST /text HTTP/1.1\r\nContent-Length: -1\r\n\r\n', 400),
    (b'POST /text HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nx', 400),
    (b'POST /text HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n', 501),
    (b'POST /text HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n', 400),
    (b'GET /' + b'a' * 20000 + b' HTTP/1.1\r\n\r\n', 414),
    (b'GET / HTTP/1.1\r\n' + b'X-Big: ' + b'b' * 70000 + b'\r\n\r\n', 431),
])
def test_malformed_requests_get_an_error_and_the_server_keeps_serving(server, raw, status):
    sock, reader = connect(server)
    with sock:
        sock.sendall(raw)
        got, headers, body = read_response(reader)
        assert got == status
        assert header(headers, 'Connection') == 'close'
        assert 'message' in json.loads(body)
    assert requests.get(server.url + '/', timeout=TIMEOUT).json() == {'hello': 'world'}


def test_client_disconnecting_mid_request_does_not_hurt(server):
    sock, _ = connect(server)
    sock.sendall(b'POST /text HTTP/1.1\r\nContent-Length: 100\r\n\r\nonly a bit')
    sock.close()
    assert requests.get(server.url + '/', timeout=TIMEOUT).status_code == 200


def test_requests_on_other_connections_are_not_blocked(url):
    SLOW_VIEW_ENTERED.clear()
    SLOW_VIEW_RELEASE.clear()
    results = {}

    def call_slow_view():
        results['slow'] = requests.get(url + '/slow', timeout=3 * TIMEOUT)

    slow = threading.Thread(target=call_slow_view, daemon=True)
    slow.start()
    try:
        assert SLOW_VIEW_ENTERED.wait(timeout=TIMEOUT), 'the /slow view never ran'
        # /slow is still busy and stays so until released: a server that
        # handled one connection at a time would let this call time out.
        assert requests.get(url + '/', timeout=TIMEOUT).json() == {'hello': 'world'}
        assert slow.is_alive() and 'slow' not in results
    finally:
        SLOW_VIEW_RELEASE.set()
        slow.join(timeout=3 * TIMEOUT)
    assert results['slow'].json() == {'slow': True, 'released': True}


def test_one_log_line_per_request(server, url):
    requests.get(url + '/users/log-me?x=1', timeout=TIMEOUT)
    pattern = re.compile(r'^127\.0\.0\.1 - - \[\d\d/\w{3}/\d{4} \d\d:\d\d:\d\d\] '
                         r'"GET /users/log-me\?x=1 HTTP/1\.1" 200 -$', re.M)
    assert len(pattern.findall(server.stream.getvalue())) == 1


# -- starting ------------------------------------------------------------------------

def test_port_in_use_is_a_clear_error(server):
    port = server.server_address[1]
    with pytest.raises(PortInUseError) as excinfo:
        LocalDevServer(make_app(), None, host='127.0.0.1', port=port)
    error = excinfo.value
    assert isinstance(error, ChaliceError) and error.exit_code == 2
    message = str(error)
    assert str(port) in message and '--port' in message and '\n' not in message


def test_shutdown_before_serving_does_not_hang():
    dev_server = LocalDevServer(make_app(), port=0, stream=io.StringIO())
    dev_server.shutdown()
    # serve_forever must return at once; run it in a thread so a regression
    # fails this test instead of hanging the suite.
    serving = threading.Thread(target=dev_server.serve_forever, daemon=True)
    serving.start()
    serving.join(timeout=5)
    try:
        assert not serving.is_alive(), 'serve_forever kept running after shutdown()'
    finally:
        dev_server.server_close()
