"""The ``chalice local`` development server.

:class:`LocalDevServer` serves a Chalice app over HTTP on a loopback (or
any) address.  Every request goes through :class:`chalice.gateway.LocalGateway`
(re-exported here), which plays API Gateway's part: route matching, built-in
authorizers, the proxy event and Lambda context, and the check of the proxy
response (an invalid one, or an exception escaping the app, gives API
Gateway's 502 and the reason is printed to stderr).  ``chalice.test.Client``
answers through the same gateway.

CORS preflights, 405 with ``Allow``, 415 and binary bodies are the app's own
behaviour and are passed through untouched (multi-value headers become
repeated header lines, binary bodies stay byte for byte).

The HTTP side is a small HTTP/1.1 server on :mod:`socketserver`: one daemon
thread per connection, keep-alive (HTTP/1.1 by default, HTTP/1.0 when the
client asks for it), ``Connection: close`` honoured, chunked request bodies
decoded, ``Expect: 100-continue`` answered.  Each response (status line,
headers and body) is written with a single ``sendall`` on a socket with
``TCP_NODELAY`` set, so there are no delayed-ACK stalls.  Request bodies
larger than API Gateway's 10 MB limit get a 413 as soon as the headers are
read, without reading the body, and the connection is closed.  Malformed
requests get a 400 (or 414/431/501/505) and the connection is closed; the
server keeps serving everyone else.  One log line per request goes to
stderr, in the format of :mod:`http.server`.

The websocket endpoint, event delivery and schedules live in
:mod:`chalice.localextras` (the server hands it ``/_chalice/...`` and
``/ws`` requests).  Standard library only (plus the rest of chalice, whose
websocket side uses wsproto).
"""

from __future__ import annotations

import email.utils
import errno
import os
import queue
import re
import socket
import socketserver
import sys
import threading
import time
import traceback
from http import HTTPStatus
from typing import Any, NamedTuple, cast

from chalice.errors import ChaliceError
from chalice.gateway import LocalGateway
from chalice.localextras import LOCAL_PREFIXES, LocalExtras
from chalice.proxy import HTTPResponse, json_response, once_a_second

__all__ = ['LocalDevServer', 'LocalGateway', 'PortInUseError', 'ServerStartError',
           'MAX_PAYLOAD_BYTES', 'create_local_server']

#: API Gateway's maximum request payload (10 MB).
MAX_PAYLOAD_BYTES = 10 * 1024 * 1024
MAX_REQUEST_LINE = 16 * 1024
MAX_HEADER_BYTES = 64 * 1024
MAX_HEADERS = 200
MAX_REQUESTS_PER_CONNECTION = 1_000_000
IDLE_TIMEOUT_SECONDS = 120.0
# After refusing a request (a 413, a 400...) the server drains and throws
# away what the client still sends, for at most this long, so the client
# gets to read the response instead of a connection reset.
LINGER_SECONDS = 2.0

SERVER_SOFTWARE = 'BaseHTTP/0.6 Python/' + sys.version.split()[0]

_TOKEN_RE = re.compile(rb"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_VERSION_RE = re.compile(rb'HTTP/(\d)\.(\d)')
_HOP_BY_HOP = frozenset(['connection', 'content-length', 'transfer-encoding', 'keep-alive'])
_NO_BODY_STATUSES = frozenset([204, 304])
_REASONS = {status.value: status.phrase for status in HTTPStatus}
_MONTHS = ('Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun',
           'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec')


# ---------------------------------------------------------------- errors

class PortInUseError(ChaliceError):
    """The port ``chalice local`` should listen on is taken."""


class ServerStartError(ChaliceError):
    """The server could not listen on the requested host and port."""


class _HTTPError(Exception):
    """A request the server answers itself, then closes the connection."""

    request_line = '-'

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class _ClientGone(Exception):
    """The client closed the connection in the middle of a request."""


# ---------------------------------------------------------------- helpers

# The Date header, and the time in the request log lines (local time).
_http_date = once_a_second(
    lambda second: email.utils.formatdate(second, usegmt=True).encode('ascii'))


def _format_log_date(second: int) -> str:
    t = time.localtime(second)
    return '%02d/%3s/%04d %02d:%02d:%02d' % (
        t.tm_mday, _MONTHS[t.tm_mon - 1], t.tm_year, t.tm_hour, t.tm_min, t.tm_sec)


_log_date = once_a_second(_format_log_date)


def _encode_header_text(text: str) -> bytes:
    try:
        return text.encode('latin-1')
    except UnicodeEncodeError:
        return text.encode('utf-8')


def _decode_header_value(raw: bytes) -> str:
    try:
        return raw.decode('utf-8')
    except UnicodeDecodeError:
        return raw.decode('latin-1')


# ---------------------------------------------------------------- HTTP parsing

class _Request(NamedTuple):
    method: str
    target: str
    version: tuple[int, int]
    headers: list[tuple[str, str]]
    body: bytes
    keep_alive: bool
    request_line: str


def _printable(raw: bytes) -> str:
    text = raw.rstrip(b'\r\n').decode('latin-1')
    text = repr(text)[1:-1] if not text.isprintable() else text
    return text[:200]


def _parse_request_line(line: bytes) -> tuple[str, str, tuple[int, int]]:
    stripped = line.rstrip(b'\r\n')
    if not line.endswith(b'\n'):
        raise _HTTPError(414, 'Request-URI Too Long')
    parts = stripped.split(b' ')
    if len(parts) != 3:
        raise _HTTPError(400, 'Bad Request: malformed request line')
    method, target, version = parts
    if not _TOKEN_RE.fullmatch(method):
        raise _HTTPError(400, 'Bad Request: malformed method')
    version_match = _VERSION_RE.fullmatch(version)
    if version_match is None:
        raise _HTTPError(400, 'Bad Request: malformed HTTP version')
    major, minor = int(version_match.group(1)), int(version_match.group(2))
    if major != 1:
        raise _HTTPError(505, 'HTTP Version Not Supported')
    if not target or any(byte < 0x21 or byte == 0x7f for byte in target):
        raise _HTTPError(400, 'Bad Request: malformed request target')
    try:
        text_target = target.decode('utf-8')
    except UnicodeDecodeError:
        raise _HTTPError(400, 'Bad Request: request target is not UTF-8') from None
    if not text_target.startswith('/'):
        lower = text_target.lower()
        if lower.startswith(('http://', 'https://')):
            rest = text_target.split('://', 1)[1]
            slash = rest.find('/')
            text_target = rest[slash:] if slash != -1 else '/'
        else:
            raise _HTTPError(400, 'Bad Request: the request target must be a path')
    return method.decode('ascii'), text_target, (major, minor)


def _read_headers(rfile: Any) -> list[tuple[str, str]]:
    headers: list[tuple[str, str]] = []
    total = 0
    for _ in range(MAX_HEADERS + 1):
        line = rfile.readline(MAX_HEADER_BYTES + 1)
        if not line:
            raise _ClientGone()
        total += len(line)
        if total > MAX_HEADER_BYTES:
            raise _HTTPError(431, 'Request Header Fields Too Large')
        if line == b'\r\n' or line == b'\n':
            return headers
        if not line.endswith(b'\n'):
            raise _ClientGone()
        if line[0] in b' \t':
            raise _HTTPError(400, 'Bad Request: folded header lines are not allowed')
        name, sep, value = line.partition(b':')
        if not sep or not _TOKEN_RE.fullmatch(name):
            raise _HTTPError(400, 'Bad Request: malformed header line')
        headers.append((name.decode('ascii'), _decode_header_value(value.strip(b' \t\r\n'))))
    raise _HTTPError(431, 'Request Header Fields Too Large: too many headers')


def _header_tokens(headers: list[tuple[str, str]], wanted: str) -> list[str]:
    tokens: list[str] = []
    for name, value in headers:
        if name.lower() == wanted:
            tokens.extend(item.strip().lower() for item in value.split(',') if item.strip())
    return tokens


def _content_length(headers: list[tuple[str, str]]) -> int | None:
    values = [value.strip() for name, value in headers if name.lower() == 'content-length']
    if not values:
        return None
    items = {item.strip() for value in values for item in value.split(',')}
    if len(items) != 1:
        raise _HTTPError(400, 'Bad Request: conflicting Content-Length values')
    item = items.pop()
    if not item.isdigit() or not item.isascii() or len(item) > 18:
        raise _HTTPError(400, 'Bad Request: invalid Content-Length')
    return int(item)


def _too_large() -> _HTTPError:
    return _HTTPError(413, 'Request Too Long')


def _read_chunked(rfile: Any) -> bytes:
    chunks = []
    total = 0
    for _ in range(MAX_PAYLOAD_BYTES + 1):
        line = rfile.readline(1024)
        if not line:
            raise _ClientGone()
        size_text = line.split(b';', 1)[0].strip()
        try:
            size = int(size_text, 16)
        except ValueError:
            raise _HTTPError(400, 'Bad Request: malformed chunk size') from None
        if size < 0 or not all(c in b'0123456789abcdefABCDEF' for c in size_text):
            raise _HTTPError(400, 'Bad Request: malformed chunk size')
        if size == 0:
            break
        total += size
        if total > MAX_PAYLOAD_BYTES:
            raise _too_large()
        data = rfile.read(size)
        if len(data) != size:
            raise _ClientGone()
        chunks.append(data)
        if rfile.readline(3) not in (b'\r\n', b'\n'):
            raise _HTTPError(400, 'Bad Request: malformed chunk')
    for _ in range(MAX_HEADERS + 1):  # trailer section
        line = rfile.readline(MAX_HEADER_BYTES)
        if not line:
            raise _ClientGone()
        if line in (b'\r\n', b'\n'):
            return b''.join(chunks)
    raise _HTTPError(431, 'Request Header Fields Too Large: too many trailers')


def _read_body(rfile: Any, wfile_send: Any, headers: list[tuple[str, str]],
               version: tuple[int, int]) -> bytes:
    codings = _header_tokens(headers, 'transfer-encoding')
    length = _content_length(headers)
    chunked = False
    if codings:
        if codings[-1] != 'chunked' or any(c != 'chunked' for c in codings):
            raise _HTTPError(501, 'Not Implemented: unsupported Transfer-Encoding')
        if length is not None:
            raise _HTTPError(400, 'Bad Request: both Content-Length and Transfer-Encoding')
        chunked = True
    elif length is None or length == 0:
        return b''
    elif length > MAX_PAYLOAD_BYTES:
        raise _too_large()
    expect = _header_tokens(headers, 'expect')
    if expect:
        if expect != ['100-continue']:
            raise _HTTPError(417, 'Expectation Failed')
        if version >= (1, 1):
            wfile_send(b'HTTP/1.1 100 Continue\r\n\r\n')
    if chunked:
        return _read_chunked(rfile)
    body = rfile.read(length)
    if len(body) != length:
        raise _ClientGone()
    return body


def read_request(rfile: Any, send: Any) -> _Request | None:
    """Read one request from ``rfile``; ``None`` at a clean end of stream.

    ``send`` writes bytes to the client (for ``100 Continue``).  Raises
    ``_HTTPError`` for requests the server must refuse itself.
    """
    line = b''
    for _ in range(4):  # tolerate a few empty lines between requests
        line = rfile.readline(MAX_REQUEST_LINE + 1)
        if not line:
            return None
        if line not in (b'\r\n', b'\n'):
            break
    else:
        raise _HTTPError(400, 'Bad Request: empty request line')
    request_line = _printable(line)
    try:
        method, target, version = _parse_request_line(line)
        headers = _read_headers(rfile)
        body = _read_body(rfile, send, headers, version)
    except _HTTPError as error:
        error.request_line = request_line
        raise
    connection = _header_tokens(headers, 'connection')
    if version >= (1, 1):
        keep_alive = 'close' not in connection
    else:
        keep_alive = 'keep-alive' in connection
    return _Request(method, target, version, headers, body, keep_alive, request_line)


def serialize_response(response: HTTPResponse, *, keep_alive: bool, head: bool = False,
                       http10_keep_alive: bool = False) -> bytes:
    """Status line, headers and body as one bytes object."""
    status = response.status_code
    reason = _REASONS.get(status, 'Unknown')
    parts = [b'HTTP/1.1 %d %s\r\n' % (status, reason.encode('ascii'))]
    has_date = has_server = False
    for name, value in response.headers:
        lower = name.lower()
        if lower in _HOP_BY_HOP:
            continue
        if lower == 'date':
            has_date = True
        elif lower == 'server':
            has_server = True
        parts.append(_encode_header_text(name) + b': ' + _encode_header_text(value) + b'\r\n')
    if not has_server:
        parts.append(b'Server: ' + SERVER_SOFTWARE.encode('ascii') + b'\r\n')
    if not has_date:
        parts.append(b'Date: ' + _http_date() + b'\r\n')
    body = response.body
    if status in _NO_BODY_STATUSES:
        body = b''
    else:
        parts.append(b'Content-Length: %d\r\n' % len(body))
    if not keep_alive:
        parts.append(b'Connection: close\r\n')
    elif http10_keep_alive:
        parts.append(b'Connection: keep-alive\r\n')
    parts.append(b'\r\n')
    if body and not head:
        parts.append(body)
    return b''.join(parts)


# ---------------------------------------------------------------- the server

class _ConnectionHandler(socketserver.BaseRequestHandler):
    """Serves every request of one connection, in its own thread."""

    server: _ThreadedHTTPServer

    def handle(self) -> None:
        sock = self.request
        server = self.server
        server.track(sock)
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            sock.settimeout(server.idle_timeout)
            client_ip = self.client_address[0] if self.client_address else '127.0.0.1'
            rfile = sock.makefile('rb', buffering=65536)
            try:
                self._serve(sock, rfile, client_ip)
            finally:
                rfile.close()
        except (OSError, _ClientGone):
            pass
        finally:
            server.untrack(sock)

    def _serve(self, sock: socket.socket, rfile: Any, client_ip: str) -> None:
        server = self.server
        gateway = server.gateway
        for count in range(1, MAX_REQUESTS_PER_CONNECTION + 1):
            try:
                request = read_request(rfile, sock.sendall)
            except _HTTPError as error:
                self._refuse(sock, error, client_ip)
                return
            if request is None:
                return
            try:
                if request.target.startswith(LOCAL_PREFIXES) and server.extras is not None:
                    # Events, websockets, the management API (chalice.localextras).
                    response = server.extras.handle(
                        request.method, request.target, request.headers, request.body,
                        sock, rfile, client_ip, request.request_line, gateway)
                    if response is None:  # the connection was a websocket
                        return
                else:
                    response = None
                    for mount in server.mounts:  # local-only paths (LocalDevServer.mount)
                        response = mount(request.method, request.target, request.headers)
                        if response is not None:
                            break
                    if response is None:
                        response = gateway.handle(request.method, request.target,
                                                  request.headers, request.body, client_ip)
            except Exception:
                gateway._print('chalice local: internal error:\n' + traceback.format_exc())
                response = json_response(500, {'message': 'Internal server error'})
            keep_alive = (request.keep_alive and not server.closing
                          and count < MAX_REQUESTS_PER_CONNECTION)
            data = serialize_response(
                response, keep_alive=keep_alive, head=request.method == 'HEAD',
                http10_keep_alive=keep_alive and request.version < (1, 1))
            # Logged before sending (as http.server does), so the line is
            # there by the time the client has its answer.
            server.log_request(client_ip, request.request_line, response.status_code)
            sock.sendall(data)
            if not keep_alive:
                return

    def _refuse(self, sock: socket.socket, error: _HTTPError, client_ip: str) -> None:
        if error.status == 413:
            body = {'message': 'Request Too Long'}
        else:
            body = {'message': error.message}
        response = json_response(error.status, body)
        self.server.log_request(client_ip, error.request_line, error.status)
        sock.sendall(serialize_response(response, keep_alive=False))
        # Let the client read the answer even if it is still sending.
        _linger(sock)


def _linger(sock: socket.socket) -> None:
    """Half-close, then discard what the client still sends, for a bounded time.

    Closing a socket with unread input makes the kernel send a reset, which
    can destroy the response before the client reads it.
    """
    try:
        sock.shutdown(socket.SHUT_WR)
    except OSError:
        return
    deadline = time.monotonic() + LINGER_SECONDS
    discarded = 0
    for _ in range(100_000):
        remaining = deadline - time.monotonic()
        if remaining <= 0 or discarded > 4 * MAX_PAYLOAD_BYTES:
            return
        try:
            sock.settimeout(remaining)
            data = sock.recv(262144)
        except OSError:
            return
        if not data:
            return
        discarded += len(data)


class _ThreadedHTTPServer(socketserver.TCPServer):
    """Serves each connection in a thread of its own.

    Threads are kept for the next connections rather than started for each
    one: starting a thread (which holds the GIL for a good part of the
    cost) was most of the work of a connection-per-request client.  A
    connection is handed to an idle thread when there is one, else a new
    (daemon) thread is started, so no connection ever waits for another;
    at most ``MAX_IDLE_THREADS`` stay waiting, and ``server_close`` ends
    the waiting ones.
    """

    allow_reuse_address = True
    request_queue_size = 128
    MAX_IDLE_THREADS = 16

    def __init__(self, address: tuple, family: int, gateway: LocalGateway,
                 log_requests: bool, stream: Any) -> None:
        self.address_family = family
        self.gateway = gateway
        self.log_requests = log_requests
        self._stream = stream
        self.idle_timeout = IDLE_TIMEOUT_SECONDS
        self.closing = False
        self.extras: LocalExtras | None = None
        self.mounts: tuple = ()
        self._connections: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._handoff: queue.SimpleQueue = queue.SimpleQueue()
        self._idle_threads = 0
        super().__init__(address, _ConnectionHandler)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._lock:
            reserved = self._idle_threads > 0
            if reserved:
                self._idle_threads -= 1
        if reserved:
            self._handoff.put((request, client_address))
            return
        threading.Thread(target=self._connection_thread, args=(request, client_address),
                         name='chalice-local-connection', daemon=True).start()

    def _connection_thread(self, request: Any, client_address: Any) -> None:
        while request is not None:
            try:
                self.finish_request(request, client_address)
            except Exception:
                self.handle_error(request, client_address)
            finally:
                self.shutdown_request(request)
            with self._lock:
                if self.closing or self._idle_threads >= self.MAX_IDLE_THREADS:
                    return
                self._idle_threads += 1
            request, client_address = self._handoff.get()

    def server_close(self) -> None:
        with self._lock:
            self.closing = True
            idle, self._idle_threads = self._idle_threads, 0
        super().server_close()
        for _ in range(idle):
            self._handoff.put((None, None))

    def track(self, sock: socket.socket) -> None:
        with self._lock:
            self._connections.add(sock)

    def untrack(self, sock: socket.socket) -> None:
        with self._lock:
            self._connections.discard(sock)

    def close_connections(self) -> None:
        with self._lock:
            connections = list(self._connections)
        for sock in connections:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def log_request(self, client_ip: str, request_line: str, status: int) -> None:
        if not self.log_requests:
            return
        stream = self._stream if self._stream is not None else sys.stderr
        line = '%s - - [%s] "%s" %d -\n' % (client_ip, _log_date(), request_line, status)
        try:
            stream.write(line)
        except (OSError, ValueError):
            pass

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Connection-level failures are already handled; never print noise.
        pass


class LocalDevServer:
    """A local HTTP server for a Chalice app.

    >>> server = LocalDevServer(app, config, host='127.0.0.1', port=0)
    >>> thread = server.serve_in_thread()   # or server.serve_forever()
    >>> server.url
    'http://127.0.0.1:54321'
    >>> server.shutdown(); server.server_close()

    Besides the routes it serves the app's websocket handlers, delivers
    events and fires schedules: see :attr:`extras`
    (:class:`chalice.localextras.LocalExtras`).

    ``port=0`` picks a free port.  A port that is taken raises
    :class:`PortInUseError` (exit code 2 in the CLI).  When ``config`` is
    given, the ``api_handler`` environment variables of ``stage`` are put
    in ``os.environ`` until :meth:`server_close` (set
    ``apply_environment=False`` to leave the environment alone).
    """

    def __init__(self, app: Any, config: Any = None, host: str = '127.0.0.1',
                 port: int = 8000, stage: str = 'dev', *, stream: Any = None,
                 log_requests: bool = True, apply_environment: bool = True) -> None:
        self.app = app
        self.config = config
        self.host = host
        self.stage = stage
        self.gateway = LocalGateway(app, config, stage=stage, stream=stream)
        self._saved_environ: dict[str, str | None] = {}
        self._serving = threading.Event()
        self._state_lock = threading.Lock()
        self._stop_requested = False
        if config is not None and apply_environment:
            variables = config.scope(stage, 'api_handler').environment_variables
            self._saved_environ = {name: os.environ.get(name) for name in variables}
            os.environ.update({name: str(value) for name, value in variables.items()})
        try:
            self._server = self._bind(host, port, log_requests, stream)
        except BaseException:
            self._restore_environ()
            raise
        self.extras = LocalExtras(app, config, stage, self.gateway.api_stage,
                                  self._server.log_request, stream)
        self.extras.bind(self.url)
        self._server.extras = self.extras

    def _bind(self, host: str, port: int, log_requests: bool,
              stream: Any) -> _ThreadedHTTPServer:
        family = socket.AF_INET6 if ':' in host else socket.AF_INET
        bind_host = host.strip('[]')
        try:
            return _ThreadedHTTPServer((bind_host, port), family, self.gateway,
                                       log_requests, stream)
        except socket.gaierror as error:
            raise ServerStartError(
                f'Cannot listen on host {host!r}: {error.strerror}; pass an IP address '
                f'or a resolvable name with --host.') from None
        except OSError as error:
            if error.errno == errno.EADDRINUSE:
                raise PortInUseError(
                    f'Port {port} on {host} is already in use; stop the program using it '
                    f'or choose another port with --port.') from None
            if error.errno in (errno.EACCES, errno.EPERM):
                raise ServerStartError(
                    f'Permission denied listening on {host}:{port}; choose a port above '
                    f'1023 with --port.') from None
            raise ServerStartError(
                f'Cannot listen on {host}:{port}: {error.strerror or error}; check --host '
                f'and --port.') from None

    @property
    def server(self) -> socketserver.TCPServer:
        """The underlying :mod:`socketserver` HTTP server."""
        return self._server

    @property
    def port(self) -> int:
        """The port listened on (the real one when created with port 0)."""
        return self.server_address[1]

    def mount(self, handler: Any) -> None:
        """Answer some requests before the app does (paths only ``chalice local`` has).

        ``handler(method, target, headers)`` returns an
        :class:`~chalice.proxy.HTTPResponse`, or None to pass the request on
        (to the next handler, then to the app).  Handlers run in the order
        they were mounted; an exception is a 500.
        """
        self._server.mounts += (handler,)

    def handle_single_request(self) -> None:
        """Accept one connection and serve it (in its own thread), then return."""
        self._server.handle_request()

    @property
    def server_address(self) -> tuple[str, int]:
        address = self._server.server_address
        # An AF_INET/AF_INET6 server's address is (host, port, ...) with a str
        # host; typeshed's type also allows the bytes of AF_UNIX addresses.
        return cast(str, address[0]), address[1]

    @property
    def url(self) -> str:
        host, port = self.server_address
        if ':' in host:
            host = f'[{host}]'
        return f'http://{host}:{port}'

    def serve_forever(self, poll_interval: float = 0.25) -> None:
        """Serve until :meth:`shutdown` (which may come before this starts)."""
        with self._state_lock:
            if self._stop_requested:
                return
            self._serving.set()
        try:
            self._server.serve_forever(poll_interval=poll_interval)
        finally:
            self._serving.clear()

    def serve_in_thread(self) -> threading.Thread:
        thread = threading.Thread(target=self.serve_forever, name='chalice-local',
                                  daemon=True)
        thread.start()
        return thread

    def shutdown(self) -> None:
        """Stop :meth:`serve_forever` (call from another thread)."""
        with self._state_lock:
            self._stop_requested = True
            self._server.closing = True
            serving = self._serving.is_set()
        if serving:
            self._server.shutdown()

    def server_close(self) -> None:
        """Close the listening socket and open connections; restore the env."""
        self._server.closing = True
        self._server.server_close()
        self.extras.close()
        self._server.close_connections()
        self._restore_environ()

    def _restore_environ(self) -> None:
        saved, self._saved_environ = self._saved_environ, {}
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value

    def __enter__(self) -> LocalDevServer:
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.server_close()


def create_local_server(app_obj: Any, config: Any, host: str, port: int) -> LocalDevServer:
    """A :class:`LocalDevServer` for ``app_obj`` (Chalice 1.x's entry point).

    ``config`` is a :class:`chalice.config.Config` (``Config.create(...)``
    will do) or None; its ``chalice_stage`` picks the stage.  The server is
    listening when this returns; call ``serve_forever()`` (in a thread, for
    a test fixture) and ``shutdown()`` from another thread to stop it.
    """
    stage = getattr(config, 'chalice_stage', None) or 'dev'
    return LocalDevServer(app_obj, config, host=host, port=port, stage=stage)
