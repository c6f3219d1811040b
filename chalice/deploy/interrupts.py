"""Ctrl-C and SIGTERM during ``chalice deploy``/``delete``: stop where the state is exact.

The executor writes the state file right after each AWS call that creates
or deletes something (see :mod:`chalice.deploy.executor`).  A signal must
therefore not stop the command between such a call and that write: the
resource would exist without a record.  While an :class:`InterruptGuard` is
installed, SIGINT and SIGTERM are handled like this:

* outside of a changing AWS call (building the package, reading what
  exists, read-only calls and waits), the command stops at once:
  :class:`Interrupted` is raised where the program is;
* during a call that changes something, and the bookkeeping steps right
  after it, the signal is *held*: the call finishes, its result is
  recorded, and the executor stops at its next checkpoint, before the
  next AWS call (:meth:`InterruptGuard.begin_call`);
* a second signal while one is held stops at once (the user insists; the
  message then says the state file may miss that call's result).

The executor and the remote reader make their AWS calls from worker
threads, several at a time.  Signals are then always handled by the main
thread (workers block SIGINT and SIGTERM, :func:`block_signals`), and the
guard keeps one hold per thread: a signal is held while *any* thread is in
a changing call or its bookkeeping, every worker stops at its next call
(:meth:`InterruptGuard.begin_call`), and the main thread waits until the
calls in flight that change something have completed and been journaled
(:meth:`InterruptGuard.wait_for_holds`) before it stops the command.  While
the guard is installed, the signal number also reaches a socket the moment
the signal is delivered (``signal.set_wakeup_fd``), so a worker does not
start another call in the short time before the main thread runs the
handler.

:class:`Interrupted` derives from ``BaseException``, so ``except
Exception`` blocks do not swallow it, and not from ``KeyboardInterrupt``,
so a prompt (``click.confirm``) does not turn it into "Aborted!".  The CLI
reports it on one line and exits with 128 + the signal number (130 for
SIGINT, 143 for SIGTERM).
"""
import os
import signal
import socket
import threading
import time
from contextlib import contextmanager

HANDLED_SIGNALS = tuple(getattr(signal, name) for name in ('SIGINT', 'SIGTERM')
                        if hasattr(signal, name))


def block_signals():
    """In a worker thread: leave SIGINT and SIGTERM to the main thread."""
    if hasattr(signal, 'pthread_sigmask') and \
            threading.current_thread() is not threading.main_thread():
        signal.pthread_sigmask(signal.SIG_BLOCK, set(HANDLED_SIGNALS))


class Interrupted(BaseException):
    """The command was stopped by a signal (SIGINT or SIGTERM)."""

    def __init__(self, signum, forced_during=None):
        super().__init__(signum)
        self.signum = signum
        #: The changing call that was running when a second signal forced the stop.
        self.forced_during = forced_during

    @property
    def exit_code(self):
        return 128 + int(self.signum)


class InterruptGuard:
    """Decides, for each signal, whether to stop now or after the calls in flight.

    ``with guard.installed():`` sets the handlers (main thread only; a
    signal the process ignores stays ignored) and restores the previous
    ones afterwards.  Not installed, a guard never sees a signal and its
    methods cost nothing, so the executor can always use one.
    """

    def __init__(self, notify=None):
        self.pending = None      # the signal being held, if any
        self.current = None      # 'service.method' of the latest changing call
        self.changed = False     # whether a changing call was started
        self.stop_signal = None  # set once the command is stopping: no call starts
        self._notify = notify if notify is not None else _write_stderr
        self._previous = {}
        self._lock = threading.Lock()
        self._holds = {}         # thread id -> 'service.method' of its changing call
        self._blocks = 0         # held() blocks of the main thread
        self._wakeup = None      # (reader socket, writer socket, previous wakeup fd)

    @property
    def holding(self):
        """True during a changing call and its bookkeeping (in any thread), or a held block."""
        return bool(self._holds) or self._blocks > 0

    # -- installing

    @contextmanager
    def installed(self):
        try:
            self._install()
            yield self
            self.checkpoint()
        finally:
            self._uninstall()

    def _install(self):
        if threading.current_thread() is not threading.main_thread():
            return
        for signum in HANDLED_SIGNALS:
            previous = signal.getsignal(signum)
            if previous is signal.SIG_IGN:
                continue
            self._previous[signum] = previous
            signal.signal(signum, self._handle)
        if self._previous:
            reader, writer = socket.socketpair()
            reader.setblocking(False)
            writer.setblocking(False)
            try:
                previous_fd = signal.set_wakeup_fd(writer.fileno(), warn_on_full_buffer=False)
            except (ValueError, OSError):  # pragma: no cover - not the main thread
                reader.close()
                writer.close()
            else:
                self._wakeup = (reader, writer, previous_fd)

    def _uninstall(self):
        previous, self._previous = self._previous, {}
        for signum, handler in previous.items():
            signal.signal(signum, handler if handler is not None else signal.SIG_DFL)
        wakeup, self._wakeup = self._wakeup, None
        if wakeup is not None:
            reader, writer, previous_fd = wakeup
            signal.set_wakeup_fd(previous_fd)
            reader.close()
            writer.close()

    def _handle(self, signum, frame):
        if self.pending is not None:
            raise Interrupted(signum, forced_during=self.current)
        if not self.holding:
            raise Interrupted(signum)
        self.pending = signum
        in_flight = list(self._holds.values())
        if len(in_flight) > 1:
            self._notify('Interrupted: finishing %d calls (%s) so that the state file '
                         'records their results (interrupt again to stop at once).'
                         % (len(in_flight), ', '.join(sorted(set(in_flight)))))
        elif in_flight or self.current is not None:
            self._notify('Interrupted: finishing %s so that the state file records its result '
                         '(interrupt again to stop at once).'
                         % (in_flight[0] if in_flight else self.current))

    def _delivered(self):
        """A signal delivered to the process (maybe not handled yet), or None.

        The wakeup socket has the signal's number once the C-level handler
        ran; before that, the signal is still pending for the process, and
        a worker (which blocks it) sees it with ``sigpending``.
        """
        if self._wakeup is None:
            return None
        try:
            data = self._wakeup[0].recv(64, socket.MSG_PEEK)
        except (BlockingIOError, InterruptedError, OSError):
            data = b''
        for value in data:
            if value in HANDLED_SIGNALS:
                return value
        if hasattr(signal, 'sigpending'):
            waiting = signal.sigpending() & set(HANDLED_SIGNALS)
            if waiting:
                return min(waiting)
        return None

    def _let_the_handler_run(self, limit=5.0):
        """Before a thread lets go of its hold: a signal delivered during its call is
        handled by the main thread first (and so held, not acted on at once)."""
        deadline = time.monotonic() + limit
        while self.pending is None and self.stop_signal is None and \
                self._delivered() is not None and time.monotonic() < deadline:
            time.sleep(0.005)

    # -- the executor's side

    def checkpoint(self):
        """Stop here if a signal is being held."""
        if self.pending is not None:
            signum, self.pending = self.pending, None
            self._holds.pop(threading.get_ident(), None)
            raise Interrupted(signum)

    def stop(self, signum):
        """No call starts from now on (the command is stopping because of ``signum``)."""
        if self.stop_signal is None:
            self.stop_signal = signum

    def begin_call(self, description, mutating):
        """Before each AWS call: stop if asked to, then hold signals if it changes things.

        Called by the thread making the call; its hold on the previous call
        (whose bookkeeping is done by now) ends here.
        """
        me = threading.get_ident()
        if me in self._holds:
            self._let_the_handler_run()
        with self._lock:
            self._holds.pop(me, None)
            self.checkpoint()
            signum = self.stop_signal or self._delivered()
            if signum is not None:
                self.stop(signum)
                raise Interrupted(signum)
            if mutating:
                self.current = description
                self.changed = True
                self._holds[me] = description

    def end_calls(self):
        """A thread is done with its calls and their bookkeeping: its hold ends."""
        if threading.get_ident() in self._holds:
            self._let_the_handler_run()
        with self._lock:
            self._holds.pop(threading.get_ident(), None)

    def wait_for_holds(self, poll=0.05):
        """Block until no thread is in a changing call or its bookkeeping.

        The main thread calls it before stopping the command; taking the
        lock first means a worker that was about to start a changing call
        has either registered it (and is waited for) or will see that the
        command is stopping.  A second signal meanwhile stops at once.
        """
        me = threading.get_ident()
        while True:
            with self._lock:
                others = [ident for ident in self._holds if ident != me]
            if not others:
                return
            time.sleep(poll)

    def settle(self):
        """After the last step: stop if asked to, then stop holding signals."""
        self.checkpoint()
        self.end_calls()
        self.current = None

    @contextmanager
    def held(self):
        """Hold signals for a block that must not be cut short (taking or releasing a lock).

        A signal that came meanwhile stops the command right after the block
        (unless signals were held already outside it).
        """
        holding = self.holding
        self._blocks += 1
        try:
            yield
        finally:
            self._blocks -= 1
        if not holding:
            self.checkpoint()


def _write_stderr(line):
    # os.write: a signal handler must not re-enter sys.stderr's buffered writer.
    try:
        os.write(2, (line + '\n').encode('utf-8', 'replace'))
    except OSError:
        pass
