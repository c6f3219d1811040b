"""`chalice local` keeps its connection threads for the next connections.

A thread that has finished with a connection waits for the next one instead
of ending; these tests check that this never makes a connection wait for
another one, that threads are reused, and that closing the server ends the
waiting threads.
"""
import io
import socket
import threading
import time

from chalice import Chalice
from chalice.local import LocalDevServer

TIMEOUT = 10


def make_server(served_by=None):
    app = Chalice(app_name='threads', configure_logs=False)

    @app.route('/')
    def index():
        if served_by is not None:
            served_by.append(threading.current_thread())
        return {'hello': 'world'}

    server = LocalDevServer(app, None, host='127.0.0.1', port=0, stream=io.StringIO())
    thread = server.serve_in_thread()
    return server, thread


def stop(server, thread):
    server.shutdown()
    server.server_close()
    thread.join(timeout=TIMEOUT)


def request(sock, close=False):
    """Send GET / on ``sock`` and read the whole response; returns the status line."""
    extra = b'Connection: close\r\n' if close else b''
    sock.sendall(b'GET / HTTP/1.1\r\nHost: x\r\n' + extra + b'\r\n')
    reader = sock.makefile('rb')
    try:
        status = reader.readline()
        length = 0
        for line in iter(reader.readline, b'\r\n'):
            if line.lower().startswith(b'content-length:'):
                length = int(line.split(b':', 1)[1])
        assert reader.read(length) == b'{"hello":"world"}'
        return status
    finally:
        reader.close()


def connection_threads():
    return [t for t in threading.enumerate() if t.name == 'chalice-local-connection']


def wait_for(predicate):
    deadline = time.monotonic() + TIMEOUT
    while not predicate():
        assert time.monotonic() < deadline, 'condition not reached in %d s' % TIMEOUT
        time.sleep(0.01)


def test_open_keep_alive_connections_never_hold_up_a_new_one():
    server, thread = make_server()
    held = []
    try:
        # More open connections than the server keeps idle threads for.
        for _ in range(server.server.MAX_IDLE_THREADS + 4):
            sock = socket.create_connection(server.server_address, timeout=TIMEOUT)
            held.append(sock)
            assert request(sock).startswith(b'HTTP/1.1 200')
        with socket.create_connection(server.server_address, timeout=TIMEOUT) as sock:
            assert request(sock, close=True).startswith(b'HTTP/1.1 200')
        # The held connections are still served too.
        assert all(request(sock).startswith(b'HTTP/1.1 200') for sock in held)
    finally:
        for sock in held:
            sock.close()
        stop(server, thread)


def test_threads_are_reused_and_closing_the_server_ends_them():
    before = len(connection_threads())
    served_by = []
    server, thread = make_server(served_by)
    try:
        for _ in range(50):
            with socket.create_connection(server.server_address, timeout=TIMEOUT) as sock:
                assert request(sock, close=True).startswith(b'HTTP/1.1 200')
        # One connection at a time: a few threads served them all.
        assert len(served_by) == 50
        assert len(set(served_by)) < 10
        assert all(t.name == 'chalice-local-connection' for t in served_by)
    finally:
        stop(server, thread)
    wait_for(lambda: len(connection_threads()) <= before)
