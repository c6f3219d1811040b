"""Where the tests find AWS Chalice 1.34.0, run as a black box.

``make upstream`` (and ``make test``) installs it from the package registry
into ``.venv/upstream`` of the repository root: its package is also called
``chalice``, so it never shares our venv.  A missing or different
installation fails the tests that need it; it never skips them.
"""
import subprocess
from pathlib import Path

import pytest

UPSTREAM_VERSION = '1.34.0'
REPO_ROOT = Path(__file__).resolve().parents[1]
UPSTREAM = REPO_ROOT / '.venv' / 'upstream' / 'bin' / 'chalice'


def upstream_executable():
    """AWS Chalice's ``chalice`` executable; ``pytest.fail`` when it is not there."""
    if not UPSTREAM.exists():
        pytest.fail('AWS Chalice %s is not installed in .venv/upstream: run `make upstream` '
                    '(pip must reach the package registry)' % UPSTREAM_VERSION)
    version = subprocess.run([str(UPSTREAM), '--version'], capture_output=True, text=True,
                             timeout=60, stdin=subprocess.DEVNULL).stdout
    if not version.startswith('chalice %s,' % UPSTREAM_VERSION):
        pytest.fail('.venv/upstream holds %r, not AWS Chalice %s: remove it and run '
                    '`make upstream`' % (version.strip(), UPSTREAM_VERSION))
    return UPSTREAM


def run_other_chalice(executable, project_dir, *args, env, timeout=120):
    """Run another installation's ``chalice`` (e.g. AWS Chalice's) as a black box.

    ``PYTHONPATH`` is dropped from ``env`` so that it imports its own
    ``chalice`` package, not this checkout's.
    """
    env = {name: value for name, value in env.items() if name != 'PYTHONPATH'}
    return subprocess.run([str(executable), '--project-dir', str(project_dir), *args],
                          env=env, capture_output=True, text=True, timeout=timeout,
                          cwd=str(project_dir), stdin=subprocess.DEVNULL)
