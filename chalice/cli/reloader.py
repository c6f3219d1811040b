"""Restart ``chalice local`` when the project's code changes.

With ``--autoreload`` (the default) the ``chalice local`` process becomes a
supervisor: the server itself runs in a *worker* subprocess (the same
command with ``--no-autoreload``) and the supervisor watches ``app.py``,
everything under ``chalicelib/`` and ``.chalice/config.json``.  It uses
watchdog when it can be imported and otherwise polls modification times
every half second; either way a change is confirmed by comparing (mtime,
size) snapshots, so only real edits trigger a reload.

A reload never leaves you without a server because of a mistake in your code:

1. a new worker is started; it imports the app and validates its routes,
   then reports "loaded" on a private pipe and waits for the go-ahead on
   its stdin, *without* listening yet;
2. if it fails (syntax error, import error, invalid route), it prints the
   one-line error and exits; the previous worker keeps serving the last
   good version and the supervisor waits for the next change;
3. otherwise the supervisor stops the previous worker, tells the new one to
   go, and the new worker binds the port and prints ``Serving on ...``.

If the very first worker fails, there is no good version to keep: the
supervisor exits with the worker's exit code (2 for bad input such as a
port in use).  Workers notice when the supervisor goes away (their stdin
reaches end of file) and stop, so no orphan keeps the port.  Workers do not
write ``.pyc`` files: a file edited twice within one second would otherwise
risk being served from stale bytecode.  With ``--port 0`` every restart
picks a new free port.  The worker protocol uses inherited pipes, so
autoreload is POSIX only (``chalice local`` serves without it on Windows).
"""
import os
import select
import signal
import subprocess
import sys
import threading
import time

import click

WORKER_ENV = 'CHALICE_LOCAL_WORKER_FD'
RELOADER_ENV = 'CHALICE_LOCAL_RELOADER'   # 'poll' forces mtime polling
POLL_INTERVAL = 0.5
SETTLE_SECONDS = 0.15
LOAD_TIMEOUT = 120.0
STOP_TIMEOUT = 3.0
MAX_WATCHED_FILES = 20000
_IGNORED_SUFFIXES = ('.pyc', '.pyo', '~', '.swp', '.swx', '.tmp')


# ---------------------------------------------------------------- worker side

class WorkerChannel:
    """The worker's end of the supervisor protocol."""

    def __init__(self, status_fd):
        self._status_fd = status_fd

    @classmethod
    def from_environ(cls, environ=None):
        """The channel if this process is a reload worker, else ``None``.

        The marker is removed from the environment so that processes the
        app starts do not inherit it.
        """
        environ = os.environ if environ is None else environ
        value = environ.pop(WORKER_ENV, None)
        if not value or not value.isdigit():
            return None
        return cls(int(value))

    def report(self, state):
        try:
            os.write(self._status_fd, state.encode('ascii') + b'\n')
        except OSError:
            pass

    # stdin is read with os.read on the raw descriptor, never through
    # sys.stdin's buffered reader: a daemon thread blocked inside the buffered
    # reader holds its lock, and the interpreter then aborts at shutdown.

    def wait_for_go(self):
        """Block until the supervisor says go (True) or goes away (False)."""
        fd = sys.stdin.fileno()
        line = b''
        while not line.endswith(b'\n'):
            chunk = os.read(fd, 1)
            if not chunk:
                break
            line += chunk
        return line.strip() == b'go'

    def watch_supervisor(self, on_gone):
        """Call ``on_gone()`` from a thread once stdin reaches end of file."""
        fd = sys.stdin.fileno()

        def watch():
            while True:
                try:
                    if not os.read(fd, 4096):
                        break
                except OSError:
                    break
            on_gone()
        thread = threading.Thread(target=watch, name='chalice-supervisor-watch', daemon=True)
        thread.start()
        return thread


# ---------------------------------------------------------------- watching

def _is_relevant(project_dir, path):
    relative = os.path.relpath(os.path.abspath(path), project_dir)
    parts = relative.split(os.sep)
    if relative in ('app.py', os.path.join('.chalice', 'config.json')):
        return True
    if parts[0] != 'chalicelib' or '__pycache__' in parts:
        return False
    name = parts[-1]
    return not name.startswith('.') and not name.endswith(_IGNORED_SUFFIXES)


def snapshot(project_dir):
    """``{path: (mtime_ns, size)}`` for every file whose change means a reload."""
    result = {}
    for relative in ('app.py', os.path.join('.chalice', 'config.json')):
        path = os.path.join(project_dir, relative)
        try:
            info = os.stat(path)
        except OSError:
            continue
        result[path] = (info.st_mtime_ns, info.st_size)
    library = os.path.join(project_dir, 'chalicelib')
    for root, dirs, files in os.walk(library):
        dirs[:] = [d for d in dirs if d != '__pycache__' and not d.startswith('.')]
        for name in files:
            path = os.path.join(root, name)
            if not _is_relevant(project_dir, path):
                continue
            try:
                info = os.stat(path)
            except OSError:
                continue
            result[path] = (info.st_mtime_ns, info.st_size)
            if len(result) >= MAX_WATCHED_FILES:
                return result
    return result


def _changed_paths(before, after):
    changed = {path for path in set(before) | set(after) if before.get(path) != after.get(path)}
    return sorted(changed)


class PollingWatcher:
    """Finds changes by comparing snapshots every ``interval`` seconds."""

    kind = 'polling'

    def __init__(self, project_dir, interval=POLL_INTERVAL):
        self.project_dir = project_dir
        self.interval = interval
        self._last = snapshot(project_dir)

    def _wait_for_signal(self, timeout):
        time.sleep(timeout)
        return True

    def changes(self, timeout=None):
        """Wait up to ``timeout`` seconds, then return the changed paths."""
        if not self._wait_for_signal(self.interval if timeout is None else timeout):
            return []
        current = snapshot(self.project_dir)
        changed = _changed_paths(self._last, current)
        # Let a burst of writes (editors, git checkout) settle first.
        for _ in range(20):
            if not changed:
                break
            time.sleep(SETTLE_SECONDS)
            settled = snapshot(self.project_dir)
            if settled == current:
                break
            current = settled
            changed = _changed_paths(self._last, current)
        self._last = current
        return changed

    def close(self):
        pass


class WatchdogWatcher(PollingWatcher):
    """Uses watchdog's file system events to know when to take a snapshot."""

    kind = 'watchdog'
    _EVENT_TYPES = frozenset(['created', 'modified', 'deleted', 'moved'])

    def __init__(self, project_dir, interval=POLL_INTERVAL):
        from watchdog.events import FileSystemEventHandler
        from watchdog.observers import Observer

        super().__init__(project_dir, interval)
        self._event = threading.Event()
        watcher = self

        class Handler(FileSystemEventHandler):
            def on_any_event(self, event):
                if event.event_type not in watcher._EVENT_TYPES:
                    return
                paths = [event.src_path, getattr(event, 'dest_path', '') or '']
                if any(path and watcher._relevant_event_path(path) for path in paths):
                    watcher._event.set()

        self._handler = Handler()
        self._observer = Observer()
        self._watched = set()
        self._schedule()
        self._observer.start()

    def _relevant_event_path(self, path):
        if isinstance(path, bytes):
            path = os.fsdecode(path)
        name = os.path.basename(path)
        return _is_relevant(self.project_dir, path) or name in ('chalicelib', '.chalice')

    def _schedule(self):
        wanted = [(self.project_dir, False),
                  (os.path.join(self.project_dir, '.chalice'), False),
                  (os.path.join(self.project_dir, 'chalicelib'), True)]
        for path, recursive in wanted:
            if path not in self._watched and os.path.isdir(path):
                try:
                    self._observer.schedule(self._handler, path, recursive=recursive)
                except OSError:
                    continue
                self._watched.add(path)

    def _wait_for_signal(self, timeout):
        signalled = self._event.wait(timeout)
        self._event.clear()
        self._schedule()
        return signalled

    def close(self):
        try:
            self._observer.stop()
            self._observer.join(timeout=2)
        except Exception:
            pass


def make_watcher(project_dir):
    """A watchdog-based watcher when possible, else a polling one."""
    if os.environ.get(RELOADER_ENV, '').lower() != 'poll':
        try:
            return WatchdogWatcher(project_dir)
        except Exception:
            pass
    return PollingWatcher(project_dir)


# ---------------------------------------------------------------- supervisor

class _Worker:
    """One worker subprocess and the read end of its status pipe."""

    def __init__(self, command, env):
        status_read, status_write = os.pipe()
        env = dict(env)
        env[WORKER_ENV] = str(status_write)
        env['PYTHONDONTWRITEBYTECODE'] = '1'
        try:
            self.process = subprocess.Popen(command, env=env, stdin=subprocess.PIPE,
                                            pass_fds=(status_write,))
        finally:
            os.close(status_write)
        self._status = status_read
        self._buffer = b''

    def wait_for(self, state, timeout):
        """Wait for the worker to report ``state``; False if it exits first."""
        deadline = time.monotonic() + timeout
        for _ in range(100_000):
            lines = self._buffer.split(b'\n')
            if state.encode('ascii') in lines[:-1]:
                self._buffer = b''
                return True
            remaining = deadline - time.monotonic()
            if remaining <= 0 or self._status is None:
                return False
            ready, _, _ = select.select([self._status], [], [], min(remaining, 0.5))
            if not ready:
                continue
            data = os.read(self._status, 4096)
            if not data:
                self._close_status()
                return False
            self._buffer += data
        return False

    def go(self):
        try:
            self.process.stdin.write(b'go\n')
            self.process.stdin.flush()
        except OSError:
            pass

    def alive(self):
        return self.process.poll() is None

    def exit_code(self):
        code = self.process.poll()
        if code is None:
            return None
        return code if code >= 0 else 1

    def stop(self):
        """Stop the worker: end of stdin first, then SIGTERM, then SIGKILL."""
        try:
            self.process.stdin.close()
        except OSError:
            pass
        for action in (None, self.process.terminate, self.process.kill):
            if action is not None and self.process.poll() is None:
                try:
                    action()
                except OSError:
                    pass
            try:
                self.process.wait(timeout=STOP_TIMEOUT)
                break
            except subprocess.TimeoutExpired:
                continue
        self._close_status()

    def _close_status(self):
        if self._status is not None:
            os.close(self._status)
            self._status = None


class _Terminated(KeyboardInterrupt):
    """SIGTERM, handled like Ctrl-C so that workers are cleaned up."""


def _on_sigterm(signum, frame):
    raise _Terminated()


def _describe(paths, project_dir):
    names = [os.path.relpath(path, project_dir) for path in paths]
    shown = ', '.join(names[:3])
    return shown + (' and {} more'.format(len(names) - 3) if len(names) > 3 else '')


class Supervisor:
    """Runs the server in a worker process and restarts it on changes."""

    def __init__(self, command, project_dir, env=None, watcher=None):
        self.command = list(command)
        self.project_dir = os.path.abspath(project_dir)
        self.env = dict(os.environ if env is None else env)
        self._watcher = watcher
        self._workers = []

    def _echo(self, message):
        click.echo(message, err=True)

    def _start(self):
        worker = _Worker(self.command, self.env)
        self._workers.append(worker)
        return worker

    def _discard(self, worker):
        """Stop ``worker`` and return its exit code."""
        worker.stop()
        if worker in self._workers:
            self._workers.remove(worker)
        return worker.exit_code()

    def _launch(self, previous):
        """Start a worker and hand the port over to it.

        Returns ``(worker, None)`` once it serves, else ``(None, exit code)``;
        ``previous`` keeps serving unless the new worker loaded fine.
        """
        worker = self._start()
        if not worker.wait_for('loaded', LOAD_TIMEOUT):
            return None, self._discard(worker)
        if previous is not None:
            self._discard(previous)
        worker.go()
        if not worker.wait_for('serving', LOAD_TIMEOUT):
            return None, self._discard(worker)
        return worker, None

    def run(self):
        """Supervise until Ctrl-C or SIGTERM; returns the exit code."""
        previous_handler = None
        if threading.current_thread() is threading.main_thread():
            previous_handler = signal.signal(signal.SIGTERM, _on_sigterm)
        try:
            if self._watcher is None:
                self._watcher = make_watcher(self.project_dir)
            return self._loop()
        except KeyboardInterrupt:
            return 0
        finally:
            for worker in list(self._workers):
                self._discard(worker)
            if self._watcher is not None:
                self._watcher.close()
            if previous_handler is not None:
                signal.signal(signal.SIGTERM, previous_handler)

    def _loop(self):
        current, code = self._launch(None)
        if current is None:
            # Nothing good to keep serving: report the worker's failure.
            return code or 1
        reported_exit = False
        for _ in range(sys.maxsize):
            changed = self._watcher.changes()
            if current is not None and not current.alive() and not reported_exit:
                reported_exit = True
                self._echo('The server exited (exit code {}); it will restart when '
                           'a file changes.'.format(current.exit_code()))
            if not changed:
                continue
            self._echo('Detected a change in {}; reloading.'.format(
                _describe(changed, self.project_dir)))
            still_serving = current is not None and current.alive()
            replacement, code = self._launch(current)
            if replacement is not None:
                current, reported_exit = replacement, False
            elif still_serving and current.alive():
                self._echo('Reload failed (see the error above); still serving the '
                           'previous version. Waiting for the next change.')
            else:
                current, reported_exit = None, True
                self._echo('Reload failed (exit code {}); waiting for the next '
                           'change.'.format(code))
        return 0


def run_supervisor(command, project_dir):
    """Entry point used by ``chalice local --autoreload``."""
    return Supervisor(command, project_dir).run()
