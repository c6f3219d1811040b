"""The autoreload supervisor's building blocks: what is watched, change detection."""
import os

import pytest

from chalice.cli import reloader
from chalice.cli.local_cmd import WORKER_BOOTSTRAP, worker_command


@pytest.fixture
def project(tmp_path):
    (tmp_path / '.chalice').mkdir()
    (tmp_path / '.chalice' / 'config.json').write_text('{}')
    (tmp_path / 'app.py').write_text('app = None\n')
    lib = tmp_path / 'chalicelib' / 'sub'
    lib.mkdir(parents=True)
    (lib / 'mod.py').write_text('X = 1\n')
    (lib / 'data.json').write_text('{}')
    (lib / '__pycache__').mkdir()
    (lib / '__pycache__' / 'mod.cpython-311.pyc').write_bytes(b'\0')
    (lib / '.mod.py.swp').write_text('')
    (tmp_path / 'other.py').write_text('')
    (tmp_path / 'tests').mkdir()
    (tmp_path / 'tests' / 'test_app.py').write_text('')
    return tmp_path


def test_snapshot_covers_app_config_and_chalicelib_only(project):
    watched = {os.path.relpath(path, project) for path in reloader.snapshot(str(project))}
    assert watched == {
        'app.py', os.path.join('.chalice', 'config.json'),
        os.path.join('chalicelib', 'sub', 'mod.py'),
        os.path.join('chalicelib', 'sub', 'data.json'),
    }


def test_polling_watcher_reports_real_changes_only(project, monkeypatch):
    monkeypatch.setattr(reloader, 'SETTLE_SECONDS', 0.01)
    watcher = reloader.PollingWatcher(str(project), interval=0.01)
    assert watcher.changes() == []
    (project / 'other.py').write_text('ignored = True\n')
    (project / 'chalicelib' / 'sub' / '__pycache__' / 'x.pyc').write_bytes(b'1')
    assert watcher.changes() == []
    (project / 'app.py').write_text('app = 1\n')
    (project / 'chalicelib' / 'new.py').write_text('')
    assert watcher.changes() == sorted([str(project / 'app.py'),
                                        str(project / 'chalicelib' / 'new.py')])
    (project / 'chalicelib' / 'sub' / 'data.json').unlink()
    assert watcher.changes() == [str(project / 'chalicelib' / 'sub' / 'data.json')]
    assert watcher.changes() == []


def test_make_watcher_honours_the_poll_override(project, monkeypatch):
    monkeypatch.setenv(reloader.RELOADER_ENV, 'poll')
    watcher = reloader.make_watcher(str(project))
    try:
        assert watcher.kind == 'polling'
    finally:
        watcher.close()


def test_worker_channel_comes_from_the_environment_and_is_consumed():
    environ = {reloader.WORKER_ENV: '7', 'OTHER': 'x'}
    channel = reloader.WorkerChannel.from_environ(environ)
    assert channel is not None and channel._status_fd == 7
    assert environ == {'OTHER': 'x'}
    assert reloader.WorkerChannel.from_environ({}) is None
    assert reloader.WorkerChannel.from_environ({reloader.WORKER_ENV: 'junk'}) is None


def test_worker_command_runs_the_same_command_without_autoreload():
    command = worker_command('/proj', True, '0.0.0.0', 9000, 'prod')
    assert command[1:] == ['-c', WORKER_BOOTSTRAP, '--project-dir', '/proj', '--debug',
                           'local', '--host', '0.0.0.0', '--port', '9000', '--stage',
                           'prod', '--no-autoreload']
