"""Shared by the functional tests."""
import sys

import pytest


@pytest.fixture(autouse=True)
def restore_import_state(monkeypatch):
    """Undo what running the CLI does to sys.path, sys.modules and os.environ:
    it puts the project on sys.path, imports its app.py and chalicelib, and
    sets AWS_CHALICE_CLI_MODE."""
    # setenv records the original state, so the variable the CLI sets is undone.
    monkeypatch.setenv('AWS_CHALICE_CLI_MODE', 'unset-by-test')
    monkeypatch.delenv('AWS_CHALICE_CLI_MODE')
    saved_path = sys.path[:]
    yield
    sys.path[:] = saved_path
    for name in list(sys.modules):
        if name == 'app' or name == 'chalicelib' or name.startswith('chalicelib.'):
            del sys.modules[name]
