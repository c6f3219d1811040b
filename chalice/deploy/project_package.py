"""Package one stage of a project directory: the SAM template and its zip(s).

:func:`package_project` is the entry point for code outside the CLI that
needs what ``chalice package`` writes (the CDK construct in
:mod:`chalice.cdk` is the first user).  It takes a project directory, a
stage name and an output directory, and leaves ``sam.json`` and
``deployment.zip`` (plus the layer zip with ``automatic_layer``) in the
output directory.

The work happens in a child Python process running ``chalice package`` with
the same interpreter.  Packaging imports the user's ``app.py`` and applies
the stage's environment variables first; in a child process that can change
neither this process's ``os.environ`` nor its ``sys.path`` and modules (a
CDK app often has an ``app.py`` of its own).  The contract relied on is the
CLI's, so changes inside the packager or the SAM writer do not reach here.
"""
import os
import subprocess
import sys
from dataclasses import dataclass

from chalice.errors import PackagingError

TEMPLATE_FILENAME = 'sam.json'
ERROR_PREFIX = 'Error: '


@dataclass(frozen=True)
class PackageResult:
    """Where the package went and what the packager printed."""

    out_dir: str
    template_path: str
    output: str


def package_project(project_dir, stage, out_dir, environ=None):
    """Run ``chalice package --stage STAGE OUT_DIR`` for ``project_dir``.

    Returns a :class:`PackageResult`.  Raises
    :class:`~chalice.errors.PackagingError` carrying the packager's own
    one-line message when packaging fails.
    """
    project_dir = os.path.abspath(project_dir)
    out_dir = os.path.abspath(out_dir)
    command = [sys.executable, '-m', 'chalice.cli', '--project-dir', project_dir,
               'package', '--stage', stage, out_dir]
    proc = subprocess.run(command, capture_output=True, text=True,
                          env=_child_environment(environ), stdin=subprocess.DEVNULL)
    if proc.returncode != 0:
        raise PackagingError(packager_message(proc.stderr, proc.returncode))
    return PackageResult(out_dir=out_dir, template_path=os.path.join(out_dir, TEMPLATE_FILENAME),
                         output=proc.stdout)


def packager_message(stderr, returncode):
    """The ``Error: ...`` text the CLI printed, without the prefix."""
    lines = [line for line in stderr.splitlines() if line.startswith(ERROR_PREFIX)]
    if lines:
        return lines[-1][len(ERROR_PREFIX):]
    last = [line for line in stderr.splitlines() if line.strip()]
    detail = (': ' + last[-1].strip()) if last else ''
    return 'chalice package failed with exit code %d%s' % (returncode, detail)


def _child_environment(environ):
    """``environ`` (default: ours), with this chalice importable in the child.

    An installed chalice is found by the same interpreter anyway; a source
    checkout put on ``sys.path`` by hand is added to ``PYTHONPATH``.
    """
    import site

    env = dict(os.environ if environ is None else environ)
    env.pop('AWS_CHALICE_CLI_MODE', None)
    package_parent = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    site_dirs = {os.path.abspath(path) for path in site.getsitepackages()}
    site_dirs.add(os.path.abspath(site.getusersitepackages()))
    if package_parent not in site_dirs:
        existing = env.get('PYTHONPATH')
        env['PYTHONPATH'] = package_parent + (os.pathsep + existing if existing else '')
    return env
