"""The websocket endpoint of ``chalice local``, over real sockets with a real client.

The server side speaks the protocol through wsproto; the tests use another
implementation (the ``websockets`` package) as the client.  Handlers record
what they see on a queue, and the tests wait on that queue (bounded), never
on time.
"""
import base64
import io
import json
import queue
import textwrap
import time

import boto3
import pytest
import requests
from botocore.exceptions import ClientError
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import connect

from chalice import Chalice, Response
from chalice.local import LocalDevServer
from tests.functional.test_local_cli import Running, free_port, port_is_closed

TIMEOUT = 10


def make_app(with_default=True):
    app = Chalice(app_name='wsapp')
    app.experimental_feature_flags.update(['WEBSOCKETS'])
    app.websocket_api.session = boto3.session.Session()
    seen = queue.Queue()
    app.seen = seen

    @app.on_ws_connect()
    def connect_handler(event):
        query = event.to_dict().get('queryStringParameters') or {}
        seen.put(('connect', event.connection_id, query,
                  event.to_dict()['requestContext']['domainName']))
        if query.get('deny'):
            return Response(body='', status_code=401)
        if query.get('crash'):
            raise RuntimeError('connect crashed')
        if query.get('protocol'):
            return Response(body='', headers={'Sec-WebSocket-Protocol': query['protocol']})
        return None

    if with_default:
        @app.on_ws_message()
        def message_handler(event):
            raw = event.to_dict()
            seen.put(('message', event.connection_id, event.body, raw['isBase64Encoded']))
            body = event.body
            if body == 'info':
                info = app.websocket_api.info(event.connection_id)
                app.websocket_api.send(event.connection_id, json.dumps({
                    'keys': sorted(info), 'source_ip': info['Identity']['SourceIp']}))
            elif body == 'close me':
                app.websocket_api.close(event.connection_id)
            elif body == 'crash':
                raise ValueError('message crashed')
            elif body.startswith('to '):
                _, target, text = body.split(' ', 2)
                app.websocket_api.send(target, text)
            else:
                app.websocket_api.send(event.connection_id, 'echo: %s' % body)

    @app.on_ws_disconnect()
    def disconnect_handler(event):
        context = event.to_dict()['requestContext']
        seen.put(('disconnect', event.connection_id, context['disconnectStatusCode'],
                  context['disconnectReason']))

    @app.on_sqs_message(queue='outbox')
    def outbox(event):
        # A queue consumer pushing to clients, as a deployed app would.
        app.websocket_api.configure_from_api_id('localwsapi', 'api')
        for record in event:
            target, text = record.body.split(' ', 1)
            app.websocket_api.send(target, text)

    return app


class Server:
    def __init__(self, app):
        self.app = app
        self.log = io.StringIO()
        self.local = LocalDevServer(app, port=0, stream=self.log)
        self.thread = self.local.serve_in_thread()
        self.url = self.local.extras.websocket_url

    def next(self, kind):
        """The next event the handlers recorded, which must be of ``kind``."""
        item = self.app.seen.get(timeout=TIMEOUT)
        assert item[0] == kind, item
        return item

    def stop(self):
        self.local.shutdown()
        self.local.server_close()
        self.thread.join(TIMEOUT)


@pytest.fixture
def server():
    running = Server(make_app())
    yield running
    running.stop()


def test_connect_round_trip_and_client_close(server):
    assert server.url == '%s/ws' % server.local.url.replace('http://', 'ws://')
    with connect(server.url + '?room=blue&room=red&x=1', open_timeout=TIMEOUT) as ws:
        _, connection_id, query, domain = server.next('connect')
        assert query == {'room': 'red', 'x': '1'}
        assert domain == '127.0.0.1:%d' % server.local.port
        ws.send('hello')
        assert ws.recv(timeout=TIMEOUT) == "echo: hello", server.log.getvalue()
        assert server.next('message') == ('message', connection_id, 'hello', False)
        ws.send('ünïcode ✓')
        assert ws.recv(timeout=TIMEOUT) == 'echo: ünïcode ✓'
    assert server.next('message')[2] == 'ünïcode ✓'
    assert server.next('disconnect') == ('disconnect', connection_id, 1000, '')
    log = server.log.getvalue()
    assert '"GET /ws?room=blue&room=red&x=1 HTTP/1.1" 101 -' in log


def test_info_and_send_go_through_the_local_management_api(server):
    with connect(server.url, open_timeout=TIMEOUT) as ws:
        ws.send('info')
        info = json.loads(ws.recv(timeout=TIMEOUT))
    assert info == {'keys': ['ConnectedAt', 'Identity', 'LastActiveAt'],
                    'source_ip': '127.0.0.1'}
    log = server.log.getvalue()
    assert '"GET /_chalice/ws/@connections/' in log
    assert '"POST /_chalice/ws/@connections/' in log


def test_server_initiated_send_from_an_event_handler(server):
    with connect(server.url, open_timeout=TIMEOUT) as ws:
        connection_id = server.next('connect')[1]
        response = requests.post(server.local.url + '/_chalice/events/outbox',
                                 data=('%s pushed to you' % connection_id).encode(),
                                 timeout=TIMEOUT)
        assert response.status_code == 200 and 'X-Amz-Function-Error' not in response.headers
        assert ws.recv(timeout=TIMEOUT) == 'pushed to you'


def test_one_client_sends_to_another(server):
    with connect(server.url, open_timeout=TIMEOUT) as first, \
            connect(server.url, open_timeout=TIMEOUT) as second:
        first_id = server.next('connect')[1]
        server.next('connect')
        second.send('to %s from the second client' % first_id)
        assert first.recv(timeout=TIMEOUT) == 'from the second client'


def test_sending_to_a_gone_connection_is_websocket_disconnected_error(server):
    with connect(server.url, open_timeout=TIMEOUT):
        connection_id = server.next('connect')[1]
    server.next('disconnect')
    response = requests.post(server.local.url + '/_chalice/events/outbox',
                             data=('%s anyone there?' % connection_id).encode(),
                             timeout=TIMEOUT)
    assert response.headers['X-Amz-Function-Error'] == 'Unhandled'
    assert response.json()['errorType'] == 'WebsocketDisconnectedError'


def test_management_api_with_boto3(server):
    client = boto3.client('apigatewaymanagementapi',
                          endpoint_url=server.local.extras.management_url)
    with connect(server.url, open_timeout=TIMEOUT) as ws:
        connection_id = server.next('connect')[1]
        client.post_to_connection(ConnectionId=connection_id, Data=b'text frame')
        assert ws.recv(timeout=TIMEOUT) == 'text frame'
        client.post_to_connection(ConnectionId=connection_id, Data=b'\xff\x00binary')
        assert ws.recv(timeout=TIMEOUT) == b'\xff\x00binary'
        described = client.get_connection(ConnectionId=connection_id)
        assert described['Identity']['SourceIp'] == '127.0.0.1'
        assert described['ConnectedAt'] <= described['LastActiveAt']
        client.delete_connection(ConnectionId=connection_id)
        with pytest.raises(ConnectionClosed) as closed:
            ws.recv(timeout=TIMEOUT)
        assert closed.value.rcvd.code == 1000
    assert server.next('disconnect')[2] == 1000
    with pytest.raises(ClientError) as gone:
        client.post_to_connection(ConnectionId=connection_id, Data=b'late')
    assert gone.value.response['Error']['Code'] == 'GoneException'
    assert gone.value.response['ResponseMetadata']['HTTPStatusCode'] == 410
    with pytest.raises(client.exceptions.PayloadTooLargeException):
        client.post_to_connection(ConnectionId=connection_id, Data=b'x' * (128 * 1024 + 1))


def test_handler_closes_the_connection(server):
    with connect(server.url, open_timeout=TIMEOUT) as ws:
        ws.send('close me')
        with pytest.raises(ConnectionClosed) as closed:
            ws.recv(timeout=TIMEOUT)
    assert closed.value.rcvd.code == 1000
    server.next('connect')
    server.next('message')
    assert server.next('disconnect')[2] == 1000


def test_connect_refusals(server):
    with pytest.raises(InvalidStatus) as denied:
        connect(server.url + '?deny=1', open_timeout=TIMEOUT)
    assert denied.value.response.status_code == 403
    assert json.loads(bytes(denied.value.response.body)) == {'message': 'Forbidden'}
    with pytest.raises(InvalidStatus) as crashed:
        connect(server.url + '?crash=1', open_timeout=TIMEOUT)
    assert crashed.value.response.status_code == 500
    assert 'RuntimeError: connect crashed' in server.log.getvalue()
    # A refused connection never existed: no $disconnect.
    assert [server.next('connect')[2] for _ in range(2)] == [{'deny': '1'}, {'crash': '1'}]
    assert server.app.seen.empty()


def test_subprotocol_chosen_by_the_connect_handler(server):
    with connect(server.url + '?protocol=chat.v2', subprotocols=['chat.v1', 'chat.v2'],
                 open_timeout=TIMEOUT) as ws:
        assert ws.subprotocol == 'chat.v2'


def test_failing_message_handler_answers_internal_server_error(server):
    with connect(server.url, open_timeout=TIMEOUT) as ws:
        connection_id = server.next('connect')[1]
        ws.send('crash')
        reply = json.loads(ws.recv(timeout=TIMEOUT))
        assert reply['message'] == 'Internal server error'
        assert reply['connectionId'] == connection_id
        # The connection stays open.
        ws.send('still here')
        assert ws.recv(timeout=TIMEOUT) == 'echo: still here'
    assert 'ValueError: message crashed' in server.log.getvalue()


def test_binary_messages_arrive_base64_encoded(server):
    with connect(server.url, open_timeout=TIMEOUT) as ws:
        ws.send(b'\x00\x01binary')
        ws.recv(timeout=TIMEOUT)
    server.next('connect')
    _, _, body, encoded = server.next('message')
    assert encoded is True and base64.b64decode(body) == b'\x00\x01binary'


def test_message_over_128_kb_closes_with_1009(server):
    with connect(server.url, open_timeout=TIMEOUT, max_size=None) as ws:
        ws.send('x' * (128 * 1024 + 1))
        with pytest.raises(ConnectionClosed) as closed:
            ws.recv(timeout=TIMEOUT)
    assert closed.value.rcvd.code == 1009
    server.next('connect')
    assert server.next('disconnect')[2] == 1009
    assert server.app.seen.empty()


def test_ping_is_answered(server):
    with connect(server.url, open_timeout=TIMEOUT) as ws:
        assert ws.ping(b'are you there').wait(TIMEOUT)


def test_without_a_default_handler_messages_are_forbidden():
    running = Server(make_app(with_default=False))
    try:
        with connect(running.url, open_timeout=TIMEOUT) as ws:
            ws.send('anyone?')
            reply = json.loads(ws.recv(timeout=TIMEOUT))
        assert reply['message'] == 'Forbidden'
    finally:
        running.stop()


def test_shutdown_closes_connections_with_1001_and_runs_disconnect():
    running = Server(make_app())
    with connect(running.url, open_timeout=TIMEOUT) as ws:
        connection_id = running.next('connect')[1]
        running.stop()
        with pytest.raises(ConnectionClosed) as closed:
            ws.recv(timeout=TIMEOUT)
    assert closed.value.rcvd.code == 1001
    assert running.next('disconnect') == ('disconnect', connection_id, 1001, 'Going away')


def test_plain_requests_to_ws_go_to_the_routes(server):
    # Without the upgrade, /ws is an ordinary path (this app has no route there).
    response = requests.get(server.local.url + '/ws', timeout=TIMEOUT)
    assert response.status_code == 403
    assert response.json() == {'message': 'Missing Authentication Token'}


def test_app_without_websocket_handlers_has_no_endpoint():
    app = Chalice(app_name='plain')

    @app.route('/ws')
    def ws_route():
        return {'route': True}

    local = LocalDevServer(app, port=0, stream=io.StringIO())
    thread = local.serve_in_thread()
    try:
        assert local.extras.websocket_url is None
        headers = {'Upgrade': 'websocket', 'Connection': 'Upgrade'}
        response = requests.get(local.url + '/ws', headers=headers, timeout=TIMEOUT)
        assert response.json() == {'route': True}
    finally:
        local.shutdown()
        local.server_close()
        thread.join(TIMEOUT)


# --------------------------------------------------------------------------
# the CLI: start-up line, and reconnecting after a reload
# --------------------------------------------------------------------------

CLI_APP = textwrap.dedent('''\
    import boto3
    from chalice import Chalice

    app = Chalice(app_name='wscli')
    app.experimental_feature_flags.update(['WEBSOCKETS'])
    app.websocket_api.session = boto3.session.Session()


    @app.on_ws_message()
    def message(event):
        app.websocket_api.send(event.connection_id, 'v1: ' + event.body)


    @app.on_sns_message(topic='news')
    def news(event):
        return 'v1: ' + event.message
    ''')


@pytest.fixture
def ws_project(tmp_path):
    root = tmp_path / 'wsproj'
    (root / '.chalice').mkdir(parents=True)
    (root / 'app.py').write_text(CLI_APP)
    (root / '.chalice' / 'config.json').write_text(json.dumps(
        {'version': '2.0', 'app_name': 'wscli', 'stages': {'dev': {}}}))
    return root


def reply_to(url, text, attempts=50):
    """Connect, send ``text``, return the reply (retrying while the server restarts)."""
    last = None
    for _ in range(attempts):
        try:
            with connect(url, open_timeout=TIMEOUT) as ws:
                ws.send(text)
                return ws.recv(timeout=TIMEOUT)
        except (OSError, ConnectionClosed, InvalidStatus) as error:
            last = error
            time.sleep(0.2)
    raise AssertionError('no reply from %s: %r' % (url, last))


def test_reconnect_after_reload_and_events_reach_the_new_version(ws_project):
    port = free_port()
    url = 'ws://127.0.0.1:%d/ws' % port
    env = {'CHALICE_LOCAL_RELOADER': 'poll', 'AWS_DEFAULT_REGION': 'us-west-2'}
    server = Running(ws_project, '--port', str(port), '--autoreload', extra_env=env)
    try:
        server.wait_for('Websocket endpoint: %s' % url)
        with connect(url, open_timeout=TIMEOUT) as ws:
            ws.send('first')
            assert ws.recv(timeout=TIMEOUT) == 'v1: first'
            (ws_project / 'app.py').write_text(CLI_APP.replace("'v1: '", "'v2: '"))
            # The old worker goes away: the connection is closed as the server stops.
            with pytest.raises(ConnectionClosed) as closed:
                ws.recv(timeout=30)
            assert closed.value.rcvd is not None and closed.value.rcvd.code == 1001
        server.wait_for('Serving on', count=2)
        assert reply_to(url, 'again') == 'v2: again'
        # Events reach the new version too.
        delivered = requests.post('http://127.0.0.1:%d/_chalice/events/news' % port,
                                  data=b'hello', timeout=TIMEOUT)
        assert delivered.json() == 'v2: hello'
        assert server.stop() == 0
        assert port_is_closed(port)
        assert 'Traceback' not in server.output()[1]
    finally:
        server.kill_group()


def test_startup_lines(ws_project):
    port = free_port()
    server = Running(ws_project, '--port', str(port), '--no-autoreload',
                     extra_env={'AWS_DEFAULT_REGION': 'us-west-2'})
    try:
        server.wait_for('Websocket endpoint:')
        assert server.output()[0].splitlines() == [
            'Serving on http://127.0.0.1:%d' % port,
            'Websocket endpoint: ws://127.0.0.1:%d/ws' % port]
        assert reply_to('ws://127.0.0.1:%d/ws' % port, 'x') == 'v1: x'
    finally:
        server.stop()
        server.kill_group()


def test_environment_region_is_not_needed_for_the_local_client(ws_project):
    # The management client gets a region even when none is configured.
    port = free_port()
    env = {'AWS_DEFAULT_REGION': ''}
    server = Running(ws_project, '--port', str(port), '--no-autoreload', extra_env=env)
    try:
        server.wait_for('Websocket endpoint:')
        assert reply_to('ws://127.0.0.1:%d/ws' % port, 'y') == 'v1: y'
    finally:
        server.stop()
        server.kill_group()
