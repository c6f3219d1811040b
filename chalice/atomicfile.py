"""The one way chalice replaces a file it writes: whole or not at all.

:func:`atomic_write` writes a temp file in the target's directory, fsyncs
it and renames it over the target, so a reader (or a run that was stopped
half-way) sees the old complete file or the new one, never a mix.  The
deployed-state file, the legacy ``deployed.json``, ``chalice package``'s
templates and ``generate-pipeline``'s files all go through it.
"""
import os
import tempfile


def atomic_write(path, text):
    """Replace ``path`` with ``text`` (UTF-8, ``\\n`` line ends); create its directory."""
    directory = os.path.dirname(path) or os.curdir
    os.makedirs(directory, exist_ok=True)
    fd, temp_path = tempfile.mkstemp(prefix='.%s.' % os.path.basename(path),
                                     suffix='.tmp', dir=directory)
    try:
        with os.fdopen(fd, 'w', encoding='utf-8', newline='\n') as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(temp_path, path)
    except BaseException:
        try:
            os.unlink(temp_path)
        except OSError:
            pass
        raise
