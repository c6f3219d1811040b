"""One ``chalice deploy``/``delete`` of a stage at a time.

The lock is ``.chalice/deployed/<stage>.lock``, next to the stage's state
file.  It is taken with an advisory ``flock`` (``msvcrt.locking`` on
Windows) on the open file, never by the file's mere existence, so the
operating system releases it whenever the holder ends, however it ends: a
holder killed with ``kill -9`` cannot block the stage for ever.  The file
also says who holds it (pid, host, command, since when), written in one
``write`` after the lock is taken, for the message the second command
prints.

Taking it: open (create) the file, try the lock without waiting; if another
process has it, read who and raise :class:`StageLockedError` (exit code 2).
Once we have it, check that the path still names the file we locked (the
previous holder may have removed it between our open and our lock; then
start again).  A file that already says who held it was left by a process
that ended without releasing it (killed, or the machine stopped): that is
taken over, with a warning naming it.

Releasing it (on every way out of the ``with`` block): remove the file
while still holding the lock, then close it, which unlocks it.  Removing
first means that no other process can lock a file that is about to
disappear and believe it holds the stage.
"""
import datetime
import json
import os
import shlex
import socket
import sys

from chalice.errors import ChaliceError

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]
    import msvcrt

# On Windows the lock covers one byte far past what the file holds, so that
# reading who holds it is not blocked by the lock itself.
_WINDOWS_LOCK_OFFSET = 1 << 20
_MAX_ATTEMPTS = 10


class StageLockedError(ChaliceError):
    """Another process is deploying or deleting the same stage."""


def lock_file_path(project_dir, stage):
    return os.path.join(project_dir, '.chalice', 'deployed', '%s.lock' % stage)


def command_line(argv=None):
    """How the running command was invoked, e.g. ``chalice deploy --stage dev``."""
    argv = sys.argv if argv is None else argv
    return ' '.join(['chalice'] + [shlex.quote(arg) for arg in argv[1:]])


class StageLock:
    """``with StageLock(project_dir, stage, ui):`` - the stage is ours inside."""

    def __init__(self, project_dir, stage, ui=None, command=None):
        self.project_dir = project_dir
        self.stage = stage
        self.path = lock_file_path(project_dir, stage)
        self._ui = ui
        self._command = command or command_line()
        self._fd = None
        self._made_directories = []  # made for the lock, removed with it when empty

    # -- the context manager

    def __enter__(self):
        self.acquire()
        return self

    def __exit__(self, *exc_info):
        self.release()

    # -- taking and releasing

    def acquire(self):
        directory = os.path.dirname(self.path)
        missing = directory
        while not os.path.isdir(missing):
            self._made_directories.append(missing)
            missing = os.path.dirname(missing)
        os.makedirs(directory, exist_ok=True)
        for _ in range(_MAX_ATTEMPTS):
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                if not _try_lock(fd):
                    holder = _read_holder(fd)
                    raise StageLockedError(self._locked_message(holder))
                if _same_file(fd, self.path):
                    break
            except BaseException:
                os.close(fd)
                raise
            os.close(fd)  # the holder removed it meanwhile: lock the new one
        else:  # pragma: no cover - needs a lock taken and dropped 10 times in a row
            raise StageLockedError('Could not lock stage %r: %s keeps changing. Run the '
                                   'command again.' % (self.stage, self.path))
        self._fd = fd
        try:
            stale = _read_holder(fd)
            if stale is not None and self._ui is not None:
                self._ui.warning('Warning: took over the lock of stage %r from process %s, '
                                 'which ended without releasing it.'
                                 % (self.stage, _describe(stale)))
            _write_holder(fd, {'pid': os.getpid(), 'host': socket.gethostname(),
                               'command': self._command, 'since': _now()})
        except BaseException:
            self.release()
            raise
        return self

    def release(self):
        fd, self._fd = self._fd, None
        if fd is None:
            return
        try:
            if fcntl is not None:
                _remove(self.path)
            else:  # pragma: no cover - Windows cannot remove an open file
                os.ftruncate(fd, 0)
        finally:
            os.close(fd)  # unlocks
        if fcntl is None:  # pragma: no cover - Windows
            _remove(self.path)
        made, self._made_directories = self._made_directories, []
        for directory in made:  # innermost first
            try:
                os.rmdir(directory)
            except OSError:
                break  # not empty: something else lives there now

    def _locked_message(self, holder):
        who = _describe(holder) if holder else 'another chalice process'
        return ('Stage %r is being deployed or deleted by %s. Wait for it to finish (or stop '
                'it), then run the command again. The lock is %s.'
                % (self.stage, who, self.path))


def _try_lock(fd):
    """Take the lock without waiting; False when another process holds it."""
    if fcntl is not None:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except (BlockingIOError, PermissionError):
            return False
        return True
    os.lseek(fd, _WINDOWS_LOCK_OFFSET, os.SEEK_SET)  # pragma: no cover - Windows
    try:  # pragma: no cover - Windows
        msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
    except OSError:  # pragma: no cover - Windows
        return False
    return True  # pragma: no cover - Windows


def _same_file(fd, path):
    if fcntl is None:  # pragma: no cover - Windows never removes a locked file
        return True
    try:
        on_disk = os.stat(path)
    except FileNotFoundError:
        return False
    opened = os.fstat(fd)
    return (opened.st_dev, opened.st_ino) == (on_disk.st_dev, on_disk.st_ino)


def _read_holder(fd):
    """Who the file says holds the lock, or None (empty or unreadable)."""
    os.lseek(fd, 0, os.SEEK_SET)
    data = b''
    while len(data) < 65536:
        chunk = os.read(fd, 65536)
        if not chunk:
            break
        data += chunk
    try:
        holder = json.loads(data.decode('utf-8'))
    except ValueError:
        return None
    return holder if isinstance(holder, dict) else None


def _write_holder(fd, holder):
    data = (json.dumps(holder, sort_keys=True) + '\n').encode('utf-8')
    os.ftruncate(fd, 0)
    os.lseek(fd, 0, os.SEEK_SET)
    os.write(fd, data)
    os.fsync(fd)


def _describe(holder):
    """``pid 42 on host build-1 (chalice deploy --stage dev, since ...)``."""
    details = []
    if holder.get('command'):
        details.append(str(holder['command']))
    if holder.get('since'):
        details.append('since %s' % holder['since'])
    text = 'pid %s on host %s' % (holder.get('pid', '?'), holder.get('host', '?'))
    if details:
        text += ' (%s)' % ', '.join(details)
    return text


def _now():
    now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
    return now.strftime('%Y-%m-%d %H:%M:%S UTC')


def _remove(path):
    try:
        os.unlink(path)
    except OSError:
        pass
