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

:class:`Interrupted` derives from ``BaseException``, so ``except
Exception`` blocks do not swallow it, and not from ``KeyboardInterrupt``,
so a prompt (``click.confirm``) does not turn it into "Aborted!".  The CLI
reports it on one line and exits with 128 + the signal number (130 for
SIGINT, 143 for SIGTERM).
"""
import os
import signal
import threading
from contextlib import contextmanager

HANDLED_SIGNALS = tuple(getattr(signal, name) for name in ('SIGINT', 'SIGTERM')
                        if hasattr(signal, name))


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
    """Decides, for each signal, whether to stop now or after the current call.

    ``with guard.installed():`` sets the handlers (main thread only; a
    signal the process ignores stays ignored) and restores the previous
    ones afterwards.  Not installed, a guard never sees a signal and its
    methods cost nothing, so the executor can always use one.
    """

    def __init__(self, notify=None):
        self.pending = None      # the signal being held, if any
        self.holding = False     # True during a changing call and its bookkeeping
        self.current = None      # 'service.method' of the call being made
        self.changed = False     # whether a changing call was started
        self._notify = notify if notify is not None else _write_stderr
        self._previous = {}

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

    def _uninstall(self):
        previous, self._previous = self._previous, {}
        for signum, handler in previous.items():
            signal.signal(signum, handler if handler is not None else signal.SIG_DFL)

    def _handle(self, signum, frame):
        if not self.holding:
            raise Interrupted(signum)
        if self.pending is not None:
            raise Interrupted(signum, forced_during=self.current)
        self.pending = signum
        if self.current is not None:
            self._notify('Interrupted: finishing %s so that the state file records its '
                         'result (interrupt again to stop at once).' % self.current)

    # -- the executor's side

    def checkpoint(self):
        """Stop here if a signal is being held."""
        if self.pending is not None:
            signum, self.pending = self.pending, None
            self.holding = False
            raise Interrupted(signum)

    def begin_call(self, description, mutating):
        """Before each AWS call: stop if asked to, then hold signals if it changes things."""
        self.checkpoint()
        self.current = description
        if mutating:
            self.changed = True
        self.holding = bool(mutating)

    def settle(self):
        """After the last step: stop if asked to, then stop holding signals."""
        self.checkpoint()
        self.holding = False
        self.current = None

    @contextmanager
    def held(self):
        """Hold signals for a block that must not be cut short (taking or releasing a lock).

        A signal that came meanwhile stops the command right after the block
        (unless signals were held already outside it).
        """
        holding, self.holding = self.holding, True
        try:
            yield
        finally:
            self.holding = holding
        if not holding:
            self.checkpoint()


def _write_stderr(line):
    # os.write: a signal handler must not re-enter sys.stderr's buffered writer.
    try:
        os.write(2, (line + '\n').encode('utf-8', 'replace'))
    except OSError:
        pass
