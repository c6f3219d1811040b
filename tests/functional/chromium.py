"""A headless Chromium driven over the DevTools protocol, for browser tests.

Standard library only: Chromium is started with ``--remote-debugging-pipe``
and speaks the protocol over two pipes (it reads commands on its fd 3 and
writes replies and events on its fd 4, each message JSON ending in a NUL
byte), so there is no debugging port and no websocket library.

Nothing may leave the machine: Chromium gets a fresh profile, no proxy, no
background networking, component updates, sync or QUIC, and a host resolver
that resolves nothing but 127.0.0.1 and localhost (``MAP * ~NOTFOUND``):
only the loopback server under test can be reached.  Every URL the page
requests (but ``data:`` ones) is recorded (:attr:`Chromium.requested_urls`)
so a test can check.

Debian's ``chromium`` package provides the browser (``make browser``
installs it); :func:`find_chromium` locates it.
"""
import base64
import fcntl
import json
import os
import queue
import shutil
import signal
import subprocess
import threading
import time

CANDIDATES = ('chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable')

FLAGS = (
    '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
    '--disable-extensions', '--disable-default-apps', '--disable-dev-shm-usage',
    '--no-default-browser-check', '--no-proxy-server', '--mute-audio',
    '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost',
    '--disable-features=Translate,OptimizationHints,MediaRouter,AutofillServerCommunication',
    '--remote-debugging-pipe',
)


def find_chromium():
    """The Chromium executable ($CHROMIUM, then the usual names), or None."""
    explicit = os.environ.get('CHROMIUM')
    if explicit:
        return explicit if os.access(explicit, os.X_OK) else None
    for name in CANDIDATES:
        path = shutil.which(name)
        if path:
            return path
    return None


class BrowserError(Exception):
    pass


class Chromium:
    """One headless browser with one page; use as a context manager.

    ``call(method, **params)`` sends a command to the page and returns its
    result; ``evaluate(js)`` runs an expression in the page;
    ``wait_for(js, timeout)`` polls an expression until it is truthy.
    """

    def __init__(self, executable, profile_dir, width=1280, height=2400,
                 timeout=30.0) -> None:
        self.timeout = timeout
        self.requested_urls = []
        self.console_errors = []
        self._next_id = 0
        self._replies = {}
        self._lock = threading.Lock()
        commands_read, self._commands = os.pipe()
        self._events, events_write = os.pipe()
        # Chromium wants the pipes as its fds 3 and 4.  Copy them above 9
        # first, so the dup2 calls in the child cannot clobber each other.
        high_read = fcntl.fcntl(commands_read, fcntl.F_DUPFD, 10)
        high_write = fcntl.fcntl(events_write, fcntl.F_DUPFD, 10)

        def into_place():
            os.dup2(high_read, 3)
            os.dup2(high_write, 4)

        args = [executable, *FLAGS, '--user-data-dir=%s' % profile_dir,
                '--window-size=%d,%d' % (width, height), 'about:blank']
        try:
            self.process = subprocess.Popen(
                args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE, pass_fds=(3, 4), preexec_fn=into_place,
                start_new_session=True)
        finally:
            for fd in (commands_read, events_write, high_read, high_write):
                os.close(fd)
        self._stderr = []
        self._reader = threading.Thread(target=self._read_events, daemon=True)
        self._reader.start()
        threading.Thread(target=self._read_stderr, daemon=True).start()
        self.session = None
        try:
            target = self.call('Target.createTarget', url='about:blank', session=False)
            attached = self.call('Target.attachToTarget', targetId=target['targetId'],
                                 flatten=True, session=False)
            self.session = attached['sessionId']
            for domain in ('Page', 'Runtime', 'Network'):
                self.call(domain + '.enable')
        except BaseException:
            self.close()
            raise

    # -- protocol

    def _read_events(self):
        buffer = b''
        with os.fdopen(self._events, 'rb', buffering=0) as stream:
            while True:
                chunk = stream.read(65536)
                if not chunk:
                    break
                buffer += chunk
                while b'\0' in buffer:
                    raw, buffer = buffer.split(b'\0', 1)
                    self._dispatch(json.loads(raw))
        with self._lock:
            for waiter in self._replies.values():
                waiter.put({'error': {'message': 'Chromium closed the pipe'}})

    def _read_stderr(self):
        for line in iter(self.process.stderr.readline, b''):
            self._stderr.append(line.decode('utf-8', 'replace'))

    def _dispatch(self, message):
        if 'id' in message:
            with self._lock:
                waiter = self._replies.pop(message['id'], None)
            if waiter is not None:
                waiter.put(message)
            return
        method = message.get('method')
        params = message.get('params', {})
        if method == 'Network.requestWillBeSent':
            url = params['request']['url']
            if not url.startswith('data:'):
                self.requested_urls.append(url)
        elif method == 'Runtime.exceptionThrown':
            self.console_errors.append(params['exceptionDetails'].get('text'))

    def call(self, method, session=True, **params):
        waiter = queue.Queue()
        with self._lock:
            self._next_id += 1
            message = {'id': self._next_id, 'method': method, 'params': params}
            if session and self.session is not None:
                message['sessionId'] = self.session
            self._replies[self._next_id] = waiter
        os.write(self._commands, json.dumps(message).encode('utf-8') + b'\0')
        try:
            reply = waiter.get(timeout=self.timeout)
        except queue.Empty:
            raise BrowserError('%s: no reply within %ss; stderr: %s'
                               % (method, self.timeout, ''.join(self._stderr)[-2000:])) from None
        if 'error' in reply:
            raise BrowserError('%s failed: %s' % (method, reply['error'].get('message')))
        return reply.get('result', {})

    # -- page helpers

    def navigate(self, url):
        self.call('Page.navigate', url=url)

    def evaluate(self, expression):
        result = self.call('Runtime.evaluate', expression=expression, returnByValue=True,
                           awaitPromise=True)
        if 'exceptionDetails' in result:
            raise BrowserError('%s: %s' % (expression[:80], result['exceptionDetails']))
        return result['result'].get('value')

    def type_into(self, element_js, text):
        """Type ``text`` into the input ``element_js`` evaluates to, as keystrokes would.

        The input is focused, gets the text through the input pipeline
        (``Input.insertText``), then loses focus, so that components that
        debounce their input see the change at once.
        """
        self.evaluate('%s.focus()' % element_js)
        self.call('Input.insertText', text=text)
        self.evaluate('%s.blur()' % element_js)

    def wait_for(self, expression, timeout=20.0, what=None):
        """Poll ``expression`` until it is truthy; its value (bounded by ``timeout``)."""
        deadline = time.monotonic() + timeout
        value = None
        while time.monotonic() < deadline:
            value = self.evaluate(expression)
            if value:
                return value
            time.sleep(0.1)
        raise BrowserError('Timed out waiting for %s (last value %r)'
                           % (what or expression, value))

    def screenshot(self, path):
        data = self.call('Page.captureScreenshot', format='png', captureBeyondViewport=True)
        with open(path, 'wb') as handle:
            handle.write(base64.b64decode(data['data']))
        return path

    # -- lifetime

    def close(self):
        if self.process.poll() is None:
            try:
                self.call('Browser.close', session=False)
            except (BrowserError, OSError):
                pass
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass
        # Its helper processes (renderer, GPU, zygote) share its process group.
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        self.process.wait(timeout=10)
        try:
            os.close(self._commands)
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()
