"""The websocket side of ``chalice local``: API Gateway's websocket API, played here.

A client connects to ``ws://HOST:PORT/ws`` (query parameters are passed on,
as API Gateway passes them).  The WebSocket protocol itself (handshake and
frames) is wsproto's; this module does what API Gateway does around it:

* the upgrade request becomes a ``$connect`` event; a handler that raises
  refuses the handshake with 500, one that answers a status other than 2xx
  with 403, otherwise the connection is accepted (with the subprotocol the
  handler's response names in ``Sec-WebSocket-Protocol``, if any);
* every message (text, or binary as base64) becomes a ``$default`` event,
  one at a time per connection; messages over 128 KB close the connection
  (1009).  Without a ``$default`` handler, or when it raises, the client
  gets API Gateway's ``{"message": "Forbidden"|"Internal server error",
  "connectionId": ..., "requestId": ...}``;
* when the connection ends (either side closes, or the server stops), the
  ``$disconnect`` handler runs with ``disconnectStatusCode`` and
  ``disconnectReason``.

The server also plays API Gateway's management API at
``/_chalice/ws/@connections/{connectionId}`` (POST sends, GET describes,
DELETE closes; a connection that is not open answers 410
``GoneException``), and :class:`LocalManagementSession` points
``app.websocket_api``'s boto3 client there, so ``app.websocket_api.send``,
``close`` and ``info`` talk to the local connections through real boto3
calls, from any handler.
"""
from __future__ import annotations

import base64
import json
import os
import socket
import threading
import time
import traceback
from datetime import datetime, timezone
from typing import Any, Callable

from wsproto import ConnectionType, WSConnection
from wsproto.connection import ConnectionState
from wsproto.events import (
    AcceptConnection,
    BytesMessage,
    CloseConnection,
    Message,
    Ping,
    RejectConnection,
    RejectData,
    Request,
    TextMessage,
)
from wsproto.utilities import ProtocolError

from chalice.proxy import HTTPResponse, json_response

__all__ = ['LocalManagementSession', 'WebsocketEndpoint', 'MANAGEMENT_PATH', 'WEBSOCKET_PATH']

WEBSOCKET_PATH = '/ws'
MANAGEMENT_PATH = '/_chalice/ws'
#: API Gateway's limit on one websocket message.
MAX_MESSAGE_BYTES = 128 * 1024
#: API Gateway closes idle websocket connections after 10 minutes.
IDLE_TIMEOUT_SECONDS = 600.0
CLOSE_WAIT_SECONDS = 2.0
_API_ID = 'localwsapi'
_HANDSHAKE_HEADERS = frozenset(['host', 'connection', 'upgrade', 'sec-websocket-key',
                                'sec-websocket-version', 'sec-websocket-protocol'])
_JSON = (('Content-Type', 'application/json'),)
# What $disconnect reports for the ways a connection can end.
_GOING_AWAY = (1001, 'Going away')
_NO_STATUS = (1005, 'Client closed connection without status code')


def _now_ms() -> int:
    return int(time.time() * 1000)


def _request_time(epoch_ms: int) -> str:
    return time.strftime('%d/%b/%Y:%H:%M:%S +0000', time.gmtime(epoch_ms / 1000))


def _iso_ms(epoch_ms: int) -> str:
    moment = datetime.fromtimestamp(epoch_ms / 1000, tz=timezone.utc)
    return moment.strftime('%Y-%m-%dT%H:%M:%S.') + '%03dZ' % (epoch_ms % 1000)


def _short_id() -> str:
    """An ID shaped like API Gateway's connection and request IDs (letters,
    digits and a final ``=``: nothing that needs escaping in a URL path)."""
    text = base64.b64encode(os.urandom(9)).decode('ascii')
    return text.replace('+', 'x').replace('/', 'y') + '='


class _Connection:
    """One open websocket: the wsproto state, guarded by a lock for senders."""

    def __init__(self, connection_id: str, sock: socket.socket, ws: WSConnection,
                 source_ip: str, user_agent: str) -> None:
        self.id = connection_id
        self.sock = sock
        self.ws = ws
        self.source_ip = source_ip
        self.user_agent = user_agent
        self.connected_at = _now_ms()
        self.last_active_at = self.connected_at
        self.lock = threading.Lock()
        self.close_status: tuple[int, str] | None = None
        self.done = threading.Event()

    def _send(self, event: Any) -> bool:
        with self.lock:
            if self.ws.state is not ConnectionState.OPEN:
                return False
            try:
                self.sock.sendall(self.ws.send(event))
            except OSError:
                return False
        return True

    def send(self, data: bytes | str) -> bool:
        """Send one message (text when it is UTF-8); False if the connection is gone."""
        if isinstance(data, str):
            return self._send(TextMessage(data=data))
        try:
            text = data.decode('utf-8')
        except UnicodeDecodeError:
            return self._send(BytesMessage(data=data))
        return self._send(TextMessage(data=text))

    def close(self, code: int, reason: str) -> bool:
        """Start the closing handshake (the reader finishes it, or gives up on
        the client after a few seconds)."""
        with self.lock:
            if self.ws.state is not ConnectionState.OPEN:
                return False
            self.close_status = (code, reason)
            try:
                self.sock.sendall(self.ws.send(CloseConnection(code=code, reason=reason)))
            except OSError:
                pass
        timer = threading.Timer(CLOSE_WAIT_SECONDS, self._give_up)
        timer.daemon = True
        timer.start()
        return True

    def _give_up(self) -> None:
        if not self.done.is_set():
            try:
                self.sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def describe(self) -> dict[str, Any]:
        """GetConnection's answer, as the management API words it."""
        return {'connectedAt': _iso_ms(self.connected_at),
                'identity': {'sourceIp': self.source_ip, 'userAgent': self.user_agent},
                'lastActiveAt': _iso_ms(self.last_active_at)}


class WebsocketEndpoint:
    """The app's websocket handlers behind ``/ws``, and the management API.

    ``call(name, handler, event)`` runs a handler with its function's
    settings (:meth:`chalice.localinvoke.LocalInvoker.call`); ``log(client,
    request line, status)`` writes an access-log line; ``report(text)``
    prints a message (tracebacks) to stderr.
    """

    def __init__(self, app: Any, call: Callable[[str, Any, Any], Any], api_stage: str,
                 log: Callable[[str, str, int], None],
                 report: Callable[[str], None]) -> None:
        self.app = app
        self._call = call
        self.api_stage = api_stage
        self._log = log
        self._report = report
        self._connections: dict[str, _Connection] = {}
        self._lock = threading.Lock()
        self.closing = False

    # -- handlers

    def _handler(self, route_key: str) -> tuple[str, Any] | None:
        config = self.app.websocket_handlers.get(route_key)
        if config is None:
            return None
        return config.name, self.app.handler_map[config.name]

    def _context(self, route_key: str, event_type: str, connection_id: str, domain: str,
                 connected_at: int, source_ip: str, user_agent: str,
                 **extra: Any) -> dict[str, Any]:
        now = _now_ms()
        context = {
            'routeKey': route_key, 'eventType': event_type,
            'extendedRequestId': _short_id(), 'requestTime': _request_time(now),
            'messageDirection': 'IN', 'stage': self.api_stage, 'connectedAt': connected_at,
            'requestTimeEpoch': now,
            'identity': {'userAgent': user_agent, 'sourceIp': source_ip},
            'requestId': _short_id(), 'domainName': domain, 'connectionId': connection_id,
            'apiId': _API_ID,
        }
        context.update(extra)
        return context

    # -- the websocket endpoint

    def serve(self, method: str, target: str, headers: list[tuple[str, str]],
              sock: socket.socket, rfile: Any, client_ip: str,
              request_line: str) -> HTTPResponse | None:
        """Serve one upgrade request; None once the connection is over."""
        ws = WSConnection(ConnectionType.SERVER)
        handshake = ['%s %s HTTP/1.1' % (method, WEBSOCKET_PATH)]
        handshake += ['%s: %s' % (name, value) for name, value in headers
                      if name.lower() in _HANDSHAKE_HEADERS]
        try:
            ws.receive_data(('\r\n'.join(handshake) + '\r\n\r\n').encode('utf-8'))
            requests = [e for e in ws.events() if isinstance(e, Request)]
        except ProtocolError as error:
            return json_response(400, {'message': 'Bad websocket handshake: %s' % error})
        if not requests:
            return json_response(400, {'message': 'Bad websocket handshake'})
        lower = {name.lower(): value for name, value in headers}
        domain = lower.get('host', '127.0.0.1')
        user_agent = lower.get('user-agent', '')
        connection_id = _short_id()
        connected_at = _now_ms()
        status, subprotocol = self._connect(target, headers, connection_id, domain,
                                            connected_at, client_ip, user_agent)
        if status != 101:
            body = json.dumps({'message': 'Forbidden' if status == 403
                               else 'Internal server error'}).encode('utf-8')
            data = ws.send(RejectConnection(
                status_code=status, has_body=True,
                headers=[(b'content-type', b'application/json'),
                         (b'content-length', str(len(body)).encode('ascii'))]))
            data += ws.send(RejectData(data=body))
            self._log(client_ip, request_line, status)
            sock.sendall(data)
            return None
        if subprotocol is not None and subprotocol not in requests[0].subprotocols:
            self._report('websocket $connect: the handler answered Sec-WebSocket-Protocol '
                         '%r, which the client did not offer; accepting without it.'
                         % subprotocol)
            subprotocol = None
        connection = _Connection(connection_id, sock, ws, client_ip, user_agent)
        connection.connected_at = connected_at
        with self._lock:
            self._connections[connection_id] = connection
        self._log(client_ip, request_line, 101)
        with connection.lock:
            sock.sendall(ws.send(AcceptConnection(subprotocol=subprotocol)))
        if self.closing:
            connection.close(*_GOING_AWAY)
        try:
            self._read(connection, rfile, domain)
        finally:
            with self._lock:
                self._connections.pop(connection_id, None)
            self._disconnect(connection, domain)
            connection.done.set()
        return None

    def _connect(self, target: str, headers: list[tuple[str, str]], connection_id: str,
                 domain: str, connected_at: int, source_ip: str,
                 user_agent: str) -> tuple[int, str | None]:
        """Run ``$connect``: (101 or the refusal's status, the subprotocol)."""
        found = self._handler('$connect')
        if found is None:
            return 101, None
        single: dict[str, str] = {}
        multi: dict[str, list[str]] = {}
        for name, value in headers:
            single[name] = value
            multi.setdefault(name, []).append(value)
        event: dict[str, Any] = {
            'headers': single, 'multiValueHeaders': multi,
            'requestContext': self._context('$connect', 'CONNECT', connection_id, domain,
                                            connected_at, source_ip, user_agent),
            'isBase64Encoded': False,
        }
        query = _query_parameters(target)
        if query:
            event['queryStringParameters'] = {k: v[-1] for k, v in query.items()}
            event['multiValueQueryStringParameters'] = query
        name, handler = found
        try:
            result = self._call(name, handler, event)
        except Exception:
            self._report('websocket $connect: the handler raised an exception (the '
                         'handshake is refused with 500):\n' + traceback.format_exc())
            return 500, None
        status = result.get('statusCode', 200) if isinstance(result, dict) else 200
        if not isinstance(status, int) or not 200 <= status < 300:
            return 403, None
        response_headers = result.get('headers') if isinstance(result, dict) else None
        subprotocol = None
        for key, value in (response_headers or {}).items():
            if key.lower() == 'sec-websocket-protocol':
                subprotocol = str(value)
        return 101, subprotocol

    def _read(self, connection: _Connection, rfile: Any, domain: str) -> None:
        sock = connection.sock
        sock.settimeout(IDLE_TIMEOUT_SECONDS)
        parts: list[Any] = []
        size = 0
        while True:
            try:
                data: bytes | None = rfile.read1(65536) or None
            except TimeoutError:
                connection.close(1001, 'Idle timeout')
                data = None
            except OSError:
                data = None
            with connection.lock:
                try:
                    connection.ws.receive_data(data)
                    events = list(connection.ws.events())
                except ProtocolError:
                    return
            for event in events:
                if isinstance(event, CloseConnection):
                    self._closed(connection, event)
                    return
                if isinstance(event, Ping):
                    connection._send(event.response())
                elif isinstance(event, Message) and connection.close_status is None:
                    # (Once the server is closing, messages are not delivered.)
                    connection.last_active_at = _now_ms()
                    parts.append(event.data)
                    size += len(event.data)
                    if size > MAX_MESSAGE_BYTES:
                        connection.close(1009, 'Message too big')
                    elif event.message_finished:
                        self._message(connection, parts, domain)
                        parts, size = [], 0
            if data is None:
                return

    def _closed(self, connection: _Connection, event: CloseConnection) -> None:
        with connection.lock:
            state = connection.ws.state
            try:
                if state is ConnectionState.REMOTE_CLOSING:
                    connection.sock.sendall(connection.ws.send(event.response()))
                elif state is ConnectionState.OPEN:  # a protocol error of the client's
                    connection.sock.sendall(connection.ws.send(
                        CloseConnection(code=event.code, reason=event.reason)))
            except (OSError, ProtocolError):
                pass
        if connection.close_status is None:
            code = event.code if event.code not in (None, 1005) else _NO_STATUS[0]
            reason = event.reason or (_NO_STATUS[1] if code == 1005 else '')
            connection.close_status = (code, reason)

    def _message(self, connection: _Connection, parts: list[Any], domain: str) -> None:
        if parts and isinstance(parts[0], str):
            body, encoded = ''.join(parts), False
        else:
            body, encoded = base64.b64encode(b''.join(parts)).decode('ascii'), True
        request_id = _short_id()
        found = self._handler('$default')
        if found is None:
            self._error_reply(connection, 'Forbidden', request_id)
            return
        event = {
            'requestContext': self._context(
                '$default', 'MESSAGE', connection.id, domain, connection.connected_at,
                connection.source_ip, connection.user_agent, messageId=_short_id(),
                requestId=request_id),
            'body': body,
            'isBase64Encoded': encoded,
        }
        if not self._run(found, '$default', event):
            self._error_reply(connection, 'Internal server error', request_id)

    def _run(self, found: tuple[str, Any], route_key: str, event: dict[str, Any]) -> bool:
        """Call a handler; False (and the traceback reported) if it raised."""
        name, handler = found
        try:
            self._call(name, handler, event)
        except Exception:
            self._report('websocket %s: the handler raised an exception:\n%s'
                         % (route_key, traceback.format_exc()))
            return False
        return True

    def _error_reply(self, connection: _Connection, message: str, request_id: str) -> None:
        connection.send(json.dumps({'message': message, 'connectionId': connection.id,
                                    'requestId': request_id}))

    def _disconnect(self, connection: _Connection, domain: str) -> None:
        found = self._handler('$disconnect')
        code, reason = connection.close_status or (1006, 'Connection lost')
        if found is None:
            return
        headers = {'Host': domain, 'x-api-key': '', 'X-Forwarded-For': '', 'x-restapi': ''}
        event = {
            'headers': headers,
            'multiValueHeaders': {k: [v] for k, v in headers.items()},
            'requestContext': self._context(
                '$disconnect', 'DISCONNECT', connection.id, domain, connection.connected_at,
                connection.source_ip, connection.user_agent, disconnectStatusCode=code,
                disconnectReason=reason),
            'isBase64Encoded': False,
        }
        self._run(found, '$disconnect', event)

    def close_all(self, timeout: float = CLOSE_WAIT_SECONDS) -> None:
        """Close every connection (1001) and give ``$disconnect`` time to run."""
        self.closing = True
        with self._lock:
            connections = list(self._connections.values())
        for connection in connections:
            connection.close(*_GOING_AWAY)
        deadline = time.monotonic() + timeout
        for connection in connections:
            connection.done.wait(max(0.0, deadline - time.monotonic()))

    # -- the management API

    def manage(self, method: str, connection_id: str, body: bytes) -> HTTPResponse:
        """``/@connections/{id}``: PostToConnection, GetConnection, DeleteConnection."""
        with self._lock:
            connection = self._connections.get(connection_id)
        if method not in ('POST', 'GET', 'DELETE'):
            return json_response(405, {'message': 'Method not allowed'},
                                 (('Allow', 'DELETE, GET, POST'),))
        if method == 'POST' and len(body) > MAX_MESSAGE_BYTES:
            return _aws_error(413, 'PayloadTooLargeException',
                              'Message too long; the limit is 128 KB')
        if connection is None:
            return _aws_error(410, 'GoneException', None)
        if method == 'GET':
            return json_response(200, connection.describe())
        if method == 'DELETE':
            if not connection.close(1000, ''):
                return _aws_error(410, 'GoneException', None)
            return HTTPResponse(204, [], b'')
        if not connection.send(body):
            return _aws_error(410, 'GoneException', None)
        return HTTPResponse(200, list(_JSON), b'{}')


def _aws_error(status: int, error_type: str, message: str | None) -> HTTPResponse:
    return json_response(status, {'message': message}, (('x-amzn-ErrorType', error_type),))


def _query_parameters(target: str) -> dict[str, list[str]]:
    from urllib.parse import parse_qsl

    query = target.partition('?')[2]
    result: dict[str, list[str]] = {}
    for key, value in parse_qsl(query, keep_blank_values=True):
        result.setdefault(key, []).append(value)
    return result


class LocalManagementSession:
    """Stands in for ``app.websocket_api.session`` under ``chalice local``.

    Clients of ``apigatewaymanagementapi`` are made by the user's session
    but pointed at the local management API (with placeholder credentials:
    the local server checks no signature); every other client is the user's
    session's own.  Anything else is looked up on the user's session.
    """

    def __init__(self, session: Any, endpoint_url: str) -> None:
        self.session = session
        self.endpoint_url = endpoint_url

    def client(self, service_name: str, *args: Any, **kwargs: Any) -> Any:
        if service_name != 'apigatewaymanagementapi':
            return self.session.client(service_name, *args, **kwargs)
        kwargs['endpoint_url'] = self.endpoint_url
        if not kwargs.get('region_name') and not getattr(self.session, 'region_name', None):
            kwargs['region_name'] = 'us-east-1'
        kwargs.update(aws_access_key_id='local', aws_secret_access_key='local',
                      aws_session_token=None)
        return self.session.client(service_name, *args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.session, name)


def use_local_management_api(app: Any, endpoint_url: str) -> None:
    """Point ``app.websocket_api`` at the local management API (once set up)."""
    api: Any = getattr(app, 'websocket_api', None)
    session = getattr(api, 'session', None)
    if session is None or isinstance(session, LocalManagementSession):
        return
    api.session = LocalManagementSession(session, endpoint_url)
    # A client made before (pointing at AWS) must not be reused.
    api._client = None


def connection_id_of(path: str) -> str | None:
    """``{id}`` of ``/_chalice/ws/@connections/{id}`` (URL-decoded), else None."""
    from urllib.parse import unquote

    prefix = MANAGEMENT_PATH + '/@connections/'
    if not path.startswith(prefix):
        return None
    connection_id = unquote(path[len(prefix):])
    return connection_id if connection_id and '/' not in connection_id else None
