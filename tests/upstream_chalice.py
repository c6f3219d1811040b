"""AWS Chalice 1.34.0, run as a black box from ``.venv/upstream``.

``make upstream`` (and ``make test``, ``make functional``, ``make
integration``) installs it there from the package registry: its package is
also called ``chalice``, so it never shares our venv.  A missing or
different installation fails the tests that need it (:func:`upstream_chalice`):
it never skips them.
"""
from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

UPSTREAM_VERSION = '1.34.0'
REPO_ROOT = Path(__file__).resolve().parents[1]
UPSTREAM = REPO_ROOT / '.venv' / 'upstream' / 'bin' / 'chalice'


def upstream_chalice() -> Path:
    """AWS Chalice's ``chalice`` executable; fails (never skips) when it is not there."""
    if not UPSTREAM.exists():
        pytest.fail('AWS Chalice %s is not installed in .venv/upstream: run `make upstream` '
                    '(pip must reach the package registry)' % UPSTREAM_VERSION)
    version = subprocess.run([str(UPSTREAM), '--version'], capture_output=True, text=True,
                             timeout=60, stdin=subprocess.DEVNULL).stdout
    if not version.startswith('chalice %s,' % UPSTREAM_VERSION):
        pytest.fail('.venv/upstream holds %r, not AWS Chalice %s: remove it and run '
                    '`make upstream`' % (version.strip(), UPSTREAM_VERSION))
    return UPSTREAM


def run_other_chalice(executable: Path | str, project_dir: Path | str, *args: str,
                      env: dict[str, str],
                      timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run another installation's ``chalice`` (e.g. AWS Chalice's) as a black box.

    ``PYTHONPATH`` is dropped from ``env`` so that it imports its own
    ``chalice`` package, not this checkout's.
    """
    env = {name: value for name, value in env.items() if name != 'PYTHONPATH'}
    return subprocess.run([str(executable), '--project-dir', str(project_dir), *args],
                          env=env, capture_output=True, text=True, timeout=timeout,
                          cwd=str(project_dir), stdin=subprocess.DEVNULL)
