"""`chalice deploy/package/local` refuse an app that imports but cannot be deployed.

The checks moved out of import time (issue 7, item 7) print the same one
line as when they were import errors, exit 2, and make no AWS call.
"""
import json
import os
import subprocess
import sys
import textwrap

import pytest
from click.testing import CliRunner

from chalice.cli import cli

# The CLI changes sys.path, sys.modules and os.environ; this autouse fixture undoes it.

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

BAD_VIEW_APP = textwrap.dedent('''\
    from chalice import Chalice

    app = Chalice(app_name='appcheck')


    @app.route('/')
    def index():
        return {'ok': True}


    @app.route('/users/{name}')
    def users(user):
        return {}
    ''')
BAD_VIEW_LINE = ("Error: Unable to import your app.py file: ValueError: View function 'users' "
                 "must accept keyword argument(s) 'name' captured by route /users/{name} "
                 "(app.py:11)")

TRAILING_SLASH_APP = textwrap.dedent('''\
    from chalice import Chalice

    app = Chalice(app_name='appcheck')


    @app.route('/items/')
    def items():
        return {}
    ''')


@pytest.fixture(autouse=True)
def no_aws(monkeypatch):
    """Any AWS call would go to a closed port and fail differently."""
    monkeypatch.setenv('AWS_ENDPOINT_URL', 'http://127.0.0.1:9')


def make_project(tmp_path, app_py):
    project = tmp_path / 'proj'
    (project / '.chalice').mkdir(parents=True)
    (project / '.chalice' / 'config.json').write_text(json.dumps(
        {'version': '2.0', 'app_name': 'appcheck', 'stages': {'dev': {}}}))
    (project / 'app.py').write_text(app_py)
    return project


def snapshot(directory):
    return sorted(os.path.relpath(os.path.join(root, name), directory)
                  for root, _, names in os.walk(directory) for name in names)


@pytest.mark.parametrize('command', [['deploy'], ['package', 'out']])
def test_commands_refuse_a_view_missing_a_capture(tmp_path, command):
    project = make_project(tmp_path, BAD_VIEW_APP)
    before = snapshot(project)
    result = CliRunner().invoke(cli, ['--project-dir', str(project)] + command)
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [BAD_VIEW_LINE]
    assert snapshot(project) == before  # nothing written


def test_package_refuses_a_trailing_slash_route(tmp_path):
    project = make_project(tmp_path, TRAILING_SLASH_APP)
    result = CliRunner().invoke(cli, ['--project-dir', str(project), 'package', 'out'])
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        'Error: Unable to import your app.py file: ValueError: Route cannot end with a '
        'trailing slash: /items/ (use /items) (app.py:6)']


def test_local_refuses_the_app(tmp_path):
    project = make_project(tmp_path, BAD_VIEW_APP)
    env = dict(os.environ)
    env['PYTHONPATH'] = REPO_ROOT + os.pathsep + env.get('PYTHONPATH', '')
    result = subprocess.run(
        [sys.executable, '-m', 'chalice.cli', '--project-dir', str(project), 'local',
         '--port', '0', '--no-autoreload'], capture_output=True, text=True, timeout=60,
        env=env)
    assert result.returncode == 2
    assert result.stderr.splitlines() == [BAD_VIEW_LINE]
    assert 'Serving on' not in result.stdout


def test_the_same_app_imports_and_serves_in_the_test_client(tmp_path):
    project = make_project(tmp_path, BAD_VIEW_APP)
    code = textwrap.dedent('''\
        import json, sys
        sys.path.insert(0, %r)
        from app import app
        from chalice.test import Client
        with Client(app, project_dir=%r) as client:
            ok = client.http.get('/')
            broken = client.http.get('/users/bob')
        print(json.dumps([ok.status_code, ok.json_body, broken.status_code]))
        ''' % (str(project), str(project)))
    env = dict(os.environ)
    env['PYTHONPATH'] = REPO_ROOT + os.pathsep + env.get('PYTHONPATH', '')
    result = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True,
                            timeout=60, env=env, cwd=str(project))
    assert result.returncode == 0, result.stderr
    # The broken view fails when called (a TypeError -> 500), as in Chalice 1.x.
    assert json.loads(result.stdout.splitlines()[-1]) == [200, {'ok': True}, 500]
