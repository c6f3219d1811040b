"""Compiled bytecode (``__pycache__/*.pyc``) for the deployment package.

Lambda runs the package from a read-only ``/var/task``, so Python cannot
cache what it compiles there: without ``.pyc`` files in the zip, ``app.py``,
``chalicelib/`` and the chalice runtime are compiled again on every cold
start.  The packager therefore ships bytecode for the project's own modules
when it can produce bytecode the target runtime accepts:

* only when the interpreter running chalice is CPython of the same
  major.minor version as the Lambda runtime (bytecode is specific to one
  minor version); otherwise nothing is compiled and the package is exactly
  what it would be without this module;
* in the checked-hash invalidation mode of PEP 552: the ``.pyc`` header
  holds a hash of the source, and the importer hashes the source it finds
  and ignores a ``.pyc`` that does not match, so a file edited after the
  build (in the Lambda console, say) still runs as edited;
* deterministically: all files are compiled by one child interpreter with
  ``PYTHONHASHSEED=0`` (the order of a frozenset constant such as
  ``x in {'a', 'b'}`` follows string hashing), with optimisation level 0
  and the archive-relative name as the file name recorded in the code
  objects, never a local path;
* a file that does not compile (a syntax error, an undecodable source) gets
  no ``.pyc``; it is shipped as source, as before, and fails (or not) on
  import exactly as it would have.

The dependencies (``requirements.txt``) get no bytecode: they can be large,
and ``.pyc`` files count against Lambda's size limits.
"""
from __future__ import annotations

import importlib.util
import json
import os
import posixpath
import subprocess
import sys
from typing import Any, Sequence

from chalice.deploy.archives import FileEntry

#: Seconds the compiling child may take before the package goes without bytecode.
COMPILE_TIMEOUT = 300

# Run by the child interpreter: compile every [source, archive name, output]
# job read as JSON from stdin; print the failures as JSON.
COMPILE_SCRIPT = '''\
import json, py_compile, sys
failed = []
for source, dfile, cfile in json.load(sys.stdin):
    try:
        py_compile.compile(source, cfile=cfile, dfile=dfile, doraise=True, optimize=0,
                           invalidation_mode=py_compile.PycInvalidationMode.CHECKED_HASH)
    except py_compile.PyCompileError as error:
        failed.append([dfile, '%s: %s' % (error.exc_type_name, error.exc_value)])
    except Exception as error:
        failed.append([dfile, '%s: %s' % (type(error).__name__, error)])
json.dump(failed, sys.stdout)
'''


def bytecode_tag(major: int, minor: int) -> str | None:
    """What identifies the bytecode this interpreter writes for a ``pythonX.Y`` target.

    ``None`` when it cannot write bytecode that target loads: another Python
    version, or not CPython.  Otherwise the cache tag and the magic number
    (``cpython-311-a70d0d0a``), which go into the zip cache key.
    """
    cache_tag = sys.implementation.cache_tag
    if (sys.implementation.name != 'cpython' or not cache_tag or not sys.executable
            or tuple(sys.version_info[:2]) != (major, minor)):
        return None
    return '%s-%s' % (cache_tag, importlib.util.MAGIC_NUMBER.hex())


def pyc_arcname(arcname: str) -> str:
    """``chalicelib/db.py`` -> ``chalicelib/__pycache__/db.cpython-311.pyc``."""
    directory, name = posixpath.split(arcname)
    stem = name[:-len('.py')]
    return posixpath.join(directory, '__pycache__',
                          '%s.%s.pyc' % (stem, sys.implementation.cache_tag))


def compile_entries(entries: Sequence[FileEntry], work_dir: str, ui: Any) -> list[FileEntry]:
    """Entries for the ``.pyc`` of every ``.py`` among ``entries``, written in ``work_dir``.

    One child interpreter compiles them all.  Files that do not compile are
    left out (with a debug line); if the child itself fails, no bytecode at
    all is returned.
    """
    sources = [entry for entry in entries if entry.arcname.endswith('.py')]
    if not sources:
        return []
    jobs = [[entry.source, entry.arcname, os.path.join(work_dir, '%d.pyc' % index)]
            for index, entry in enumerate(sources)]
    env = {key: value for key, value in os.environ.items()
           if not key.startswith('PYTHON') or key == 'PYTHONHOME'}
    env['PYTHONHASHSEED'] = '0'
    failed: dict[str, str] = {}
    reason = ''
    try:
        proc = subprocess.run([sys.executable, '-s', '-S', '-c', COMPILE_SCRIPT],
                              input=json.dumps(jobs), capture_output=True, text=True,
                              cwd=work_dir, env=env, timeout=COMPILE_TIMEOUT)
        if proc.returncode != 0:
            reason = 'exit code %d: %s' % (proc.returncode, proc.stderr.strip()[-500:])
        else:
            failed = dict(json.loads(proc.stdout))
    except (OSError, ValueError, TypeError, subprocess.TimeoutExpired) as error:
        reason = '%s: %s' % (type(error).__name__, error)
    if reason:
        ui.debug('Shipping no bytecode: compiling the package failed (%s).' % reason)
        return []
    compiled = []
    for _, arcname, cfile in jobs:
        if arcname in failed or not os.path.isfile(cfile):
            ui.debug('No bytecode for %s: it does not compile (%s).'
                     % (arcname, failed.get(arcname, 'no output')))
            continue
        compiled.append(FileEntry(pyc_arcname(arcname), cfile, False, os.path.getsize(cfile)))
    ui.debug('Compiled %d of %d modules to bytecode (%s, checked-hash).'
             % (len(compiled), len(sources), sys.implementation.cache_tag))
    return compiled
