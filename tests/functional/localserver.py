"""``chalice local`` in a thread of the test process, for the HTTP tests."""
import contextlib
import io

from chalice.local import LocalDevServer


@contextlib.contextmanager
def serving(app, config=None, **options):
    """Serve ``app`` on 127.0.0.1 (a free port) until the block ends; yields
    the server (``server.url``; its log goes to ``options['stream']``, a
    fresh StringIO unless given)."""
    options.setdefault('stream', io.StringIO())
    server = LocalDevServer(app, config, host='127.0.0.1', port=0, **options)
    thread = server.serve_in_thread()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=30)
