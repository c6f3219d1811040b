"""The stage lock (chalice/deploy/lock.py): one deploy or delete of a stage at a time.

``flock`` locks belong to an open file, so two ``StageLock`` objects in this
one process conflict exactly as two processes would.
"""
import json
import os
import socket

import pytest

from chalice.deploy import lock as lock_module
from chalice.deploy.lock import StageLock, StageLockedError, command_line, lock_file_path

pytestmark = pytest.mark.skipif(lock_module.fcntl is None, reason='POSIX flock semantics')


class RecordingUI:
    def __init__(self):
        self.warnings = []

    def warning(self, line):
        self.warnings.append(line)


@pytest.fixture
def project(tmp_path):
    (tmp_path / '.chalice').mkdir()
    return str(tmp_path)


def read_holder(project, stage='dev'):
    with open(lock_file_path(project, stage)) as f:
        return json.load(f)


def test_the_lock_file_says_who_holds_it_and_goes_away(project):
    path = lock_file_path(project, 'dev')
    assert path == os.path.join(project, '.chalice', 'deployed', 'dev.lock')
    ui = RecordingUI()
    with StageLock(project, 'dev', ui, command='chalice deploy --stage dev'):
        holder = read_holder(project)
        assert holder['pid'] == os.getpid()
        assert holder['host'] == socket.gethostname()
        assert holder['command'] == 'chalice deploy --stage dev'
        assert holder['since'].endswith(' UTC')
    assert not os.path.exists(path)
    # The deployed/ directory was made for the lock only, so it goes too.
    assert not os.path.exists(os.path.dirname(path))
    assert ui.warnings == []


def test_directories_made_for_the_lock_alone_go_with_it(tmp_path):
    project = str(tmp_path / 'bare')
    os.makedirs(project)
    with StageLock(project, 'dev'):
        assert os.path.isdir(os.path.join(project, '.chalice', 'deployed'))
    assert os.listdir(project) == []
    with StageLock(project, 'dev'):
        # Something else written meanwhile stays, and so does its directory.
        os.makedirs(os.path.join(project, '.chalice', 'deployments'))
    assert os.listdir(os.path.join(project, '.chalice')) == ['deployments']


def test_an_existing_deployed_directory_is_kept(project):
    deployed = os.path.join(project, '.chalice', 'deployed')
    os.makedirs(deployed)
    with StageLock(project, 'dev'):
        pass
    assert os.listdir(deployed) == []


def test_a_second_holder_is_refused_with_who_holds_it(project):
    with StageLock(project, 'dev', command='chalice deploy'):
        with pytest.raises(StageLockedError) as excinfo:
            StageLock(project, 'dev', command='chalice delete').acquire()
        message = str(excinfo.value)
        assert excinfo.value.exit_code == 2
        assert "Stage 'dev' is being deployed or deleted by pid %d on host %s " % (
            os.getpid(), socket.gethostname()) in message
        assert '(chalice deploy, since ' in message
        assert lock_file_path(project, 'dev') in message
        # The refused attempt changed nothing: the holder is still named.
        assert read_holder(project)['command'] == 'chalice deploy'
    assert not os.path.exists(lock_file_path(project, 'dev'))


def test_stages_are_locked_separately(project):
    with StageLock(project, 'dev'), StageLock(project, 'prod'):
        assert os.path.exists(lock_file_path(project, 'prod'))


def test_a_lock_left_by_a_dead_process_is_taken_over_with_a_warning(project):
    path = lock_file_path(project, 'dev')
    os.makedirs(os.path.dirname(path))
    stale = {'pid': 999999, 'host': 'old-host', 'command': 'chalice deploy',
             'since': '2020-01-01 00:00:00 UTC'}
    with open(path, 'w') as f:
        json.dump(stale, f)
    ui = RecordingUI()
    with StageLock(project, 'dev', ui, command='chalice deploy --stage dev'):
        assert read_holder(project)['pid'] == os.getpid()
    assert ui.warnings == [
        "Warning: took over the lock of stage 'dev' from process pid 999999 on host old-host "
        "(chalice deploy, since 2020-01-01 00:00:00 UTC), which ended without releasing it."]
    assert not os.path.exists(path)


def test_an_empty_or_garbled_lock_file_is_taken_silently(project):
    path = lock_file_path(project, 'dev')
    os.makedirs(os.path.dirname(path))
    for content in ('', '{not json', '[1, 2]'):
        with open(path, 'w') as f:
            f.write(content)
        ui = RecordingUI()
        with StageLock(project, 'dev', ui):
            assert read_holder(project)['pid'] == os.getpid()
        assert ui.warnings == []


def test_released_when_the_block_raises(project):
    with pytest.raises(RuntimeError):
        with StageLock(project, 'dev'):
            raise RuntimeError('boom')
    assert not os.path.exists(lock_file_path(project, 'dev'))
    with StageLock(project, 'dev'):
        pass


def test_a_file_removed_between_open_and_lock_is_not_trusted(project, monkeypatch):
    """The previous holder removed the file after we opened it: lock the new one."""
    real_try_lock = lock_module._try_lock
    opened = []

    def try_lock(fd):
        opened.append(os.fstat(fd).st_ino)
        if len(opened) == 1:
            # What a releasing holder does: remove the path, so ``fd`` is orphaned.
            os.unlink(lock_file_path(project, 'dev'))
        return real_try_lock(fd)

    monkeypatch.setattr(lock_module, '_try_lock', try_lock)
    with StageLock(project, 'dev'):
        on_disk = os.stat(lock_file_path(project, 'dev')).st_ino
        assert len(opened) == 2 and opened[1] == on_disk
        # and it is the file that really excludes others.
        monkeypatch.setattr(lock_module, '_try_lock', real_try_lock)
        with pytest.raises(StageLockedError):
            StageLock(project, 'dev').acquire()


def test_release_twice_is_harmless(project):
    held = StageLock(project, 'dev').acquire()
    held.release()
    held.release()
    assert not os.path.exists(lock_file_path(project, 'dev'))


def test_command_line_quotes_arguments():
    assert command_line(['/x/chalice', 'deploy', '--stage', 'my stage']) == \
        "chalice deploy --stage 'my stage'"
