"""The defaults of ``chalice local`` (FEATURES.md section 9): port 8000, host, stage.

The server itself is not started: the function each path hands its settings
to is replaced, so the test sees exactly what the command line resolved.
"""
import json

import pytest
from click.testing import CliRunner

from chalice.cli import cli, local_cmd, reloader


@pytest.fixture
def project(tmp_path):
    (tmp_path / '.chalice').mkdir()
    (tmp_path / 'app.py').write_text(
        "from chalice import Chalice\napp = Chalice(app_name='defaults')\n")
    (tmp_path / '.chalice' / 'config.json').write_text(json.dumps(
        {'version': '2.0', 'app_name': 'defaults', 'stages': {'dev': {}}}))
    return tmp_path


def test_without_autoreload_the_server_gets_port_8000_on_loopback(project, monkeypatch):
    seen = []
    monkeypatch.setattr(local_cmd, 'run_local_server',
                        lambda factory, host, port, stage, schedules, docs:
                        seen.append((host, port, stage, schedules, docs)))
    result = CliRunner().invoke(cli, ['--project-dir', str(project), 'local',
                                      '--no-autoreload'])
    assert result.exit_code == 0, result.output
    assert seen == [('127.0.0.1', 8000, 'dev', False, False)]


def test_the_autoreload_worker_is_started_with_the_same_defaults(project, monkeypatch):
    commands = []

    def fake_supervisor(command, project_dir):
        commands.append(command)
        return 0

    monkeypatch.setattr(reloader, 'run_supervisor', fake_supervisor)
    result = CliRunner().invoke(cli, ['--project-dir', str(project), 'local'])
    assert result.exit_code == 0, result.output
    [command] = commands
    tail = command[command.index('local'):]
    assert tail == ['local', '--host', '127.0.0.1', '--port', '8000', '--stage', 'dev',
                    '--no-autoreload']


def test_help_shows_the_defaults():
    result = CliRunner().invoke(cli, ['local', '--help'])
    assert result.exit_code == 0, result.output
    text = ' '.join(result.output.split())
    for default in ('[default: 127.0.0.1]', '[default: 8000;', '[default: dev]'):
        assert default in text
