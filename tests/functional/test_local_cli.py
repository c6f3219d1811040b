"""``chalice local`` as a real subprocess on a free loopback port."""
import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time

import pytest
import requests

import chalice

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(chalice.__file__)))
START_TIMEOUT = 20.0
# Seconds any one HTTP call may take before the test fails instead of hanging.
TIMEOUT = 30

APP_PY = textwrap.dedent('''\
    import os
    from chalice import Chalice
    from chalicelib import VALUE

    app = Chalice(app_name='clitest')


    @app.route('/')
    def index():
        return {'version': 'v1', 'lib': VALUE}


    @app.route('/env')
    def env():
        return {'GREETING': os.environ.get('GREETING')}
    ''')

CONFIG = {
    'version': '2.0',
    'app_name': 'clitest',
    'environment_variables': {'GREETING': 'top-level'},
    'stages': {
        'dev': {'api_gateway_stage': 'api'},
        'prod': {'api_gateway_stage': 'api',
                 'environment_variables': {'GREETING': 'hello from prod'}},
    },
}


def free_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


@pytest.fixture
def project(tmp_path):
    root = tmp_path / 'proj'
    (root / '.chalice').mkdir(parents=True)
    (root / 'chalicelib').mkdir()
    (root / 'chalicelib' / '__init__.py').write_text("VALUE = 'lib1'\n")
    (root / 'app.py').write_text(APP_PY)
    (root / '.chalice' / 'config.json').write_text(json.dumps(CONFIG))
    return root


class Running:
    """A ``chalice local`` subprocess whose output is collected by threads."""

    def __init__(self, project_dir, *args, extra_env=None, cwd=None, launcher=None):
        env = dict(os.environ)
        env.update(extra_env or {})
        env['PYTHONPATH'] = REPO_ROOT + os.pathsep + env.get('PYTHONPATH', '')
        env['PYTHONUNBUFFERED'] = '1'
        env.pop('PYTHONDONTWRITEBYTECODE', None)  # the reloader must cope with .pyc files
        launcher = launcher or [sys.executable, '-m', 'chalice.cli']
        self.process = subprocess.Popen(
            launcher + ['--project-dir', str(project_dir), 'local'] + list(args),
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=cwd,
            start_new_session=True)
        self.stdout = []
        self.stderr = []
        self._threads = [
            threading.Thread(target=self._drain, args=(self.process.stdout, self.stdout),
                             daemon=True),
            threading.Thread(target=self._drain, args=(self.process.stderr, self.stderr),
                             daemon=True),
        ]
        for thread in self._threads:
            thread.start()

    @staticmethod
    def _drain(pipe, lines):
        for line in iter(pipe.readline, b''):
            lines.append(line.decode('utf-8', 'replace'))

    def output(self):
        return ''.join(self.stdout), ''.join(self.stderr)

    def wait_for(self, text, stream='stdout', timeout=START_TIMEOUT, count=1):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            lines = self.stdout if stream == 'stdout' else self.stderr
            if sum(text in line for line in list(lines)) >= count:
                return
            if self.process.poll() is not None:
                time.sleep(0.2)  # let the reader threads catch up
                lines = self.stdout if stream == 'stdout' else self.stderr
                if sum(text in line for line in list(lines)) >= count:
                    return
                break
            time.sleep(0.05)
        raise AssertionError('%r not seen on %s; output: %r' % (text, stream, self.output()))

    def stop(self, sig=signal.SIGTERM, timeout=10):
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                pass
        self.kill_group()
        for thread in self._threads:
            thread.join(timeout=2)
        return self.process.returncode

    def kill_group(self):
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass


@pytest.fixture
def run_local():
    started = []

    def start(project_dir, *args, **kwargs):
        running = Running(project_dir, *args, **kwargs)
        started.append(running)
        return running

    yield start
    for running in started:
        running.kill_group()


def poll_json(url, expected, timeout=15.0):
    """GET ``url`` until it returns ``expected`` (bounded); the last body seen."""
    deadline = time.monotonic() + timeout
    seen = None
    while time.monotonic() < deadline:
        try:
            seen = requests.get(url, timeout=2).json()
        except requests.RequestException as error:
            seen = repr(error)
        if seen == expected:
            return seen
        time.sleep(0.1)
    return seen


def port_is_closed(port, timeout=5.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(('127.0.0.1', port), timeout=0.5).close()
        except OSError:
            return True
        time.sleep(0.1)
    return False


def test_serves_the_app_and_stops_quietly(project, run_local):
    port = free_port()
    server = run_local(project, '--port', str(port), '--no-autoreload')
    server.wait_for('Serving on')
    assert server.output()[0].strip() == 'Serving on http://127.0.0.1:%d' % port
    base = 'http://127.0.0.1:%d' % port
    assert requests.get(base + '/', timeout=TIMEOUT).json() == {'version': 'v1', 'lib': 'lib1'}
    assert requests.get(base + '/env', timeout=TIMEOUT).json() == {'GREETING': 'top-level'}
    missing = requests.get(base + '/missing', timeout=TIMEOUT)
    assert missing.status_code == 403
    assert missing.json() == {'message': 'Missing Authentication Token'}
    server.wait_for('"GET /missing HTTP/1.1" 403 -', stream='stderr')
    assert server.stop(signal.SIGINT) == 0
    assert 'Traceback' not in server.output()[1]


def test_stage_environment_variables(project, run_local):
    port = free_port()
    server = run_local(project, '--port', str(port), '--stage', 'prod', '--no-autoreload')
    server.wait_for('Serving on')
    body = requests.get('http://127.0.0.1:%d/env' % port, timeout=TIMEOUT).json()
    assert body == {'GREETING': 'hello from prod'}
    assert server.stop() == 0


def _run_to_completion(project, *args):
    env = dict(os.environ)
    env['PYTHONPATH'] = REPO_ROOT + os.pathsep + env.get('PYTHONPATH', '')
    return subprocess.run(
        [sys.executable, '-m', 'chalice.cli', '--project-dir', str(project), 'local']
        + list(args), capture_output=True, text=True, timeout=30, env=env)


@pytest.mark.parametrize('reload_flag', ['--no-autoreload', '--autoreload'])
def test_port_in_use_exits_2_with_one_line(project, reload_flag):
    with socket.socket() as taken:
        taken.bind(('127.0.0.1', 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        result = _run_to_completion(project, '--port', str(port), reload_flag)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith('Error: Port %d ' % port) and '--port' in lines[0]
    assert 'Serving on' not in result.stdout


def test_route_rejected_by_the_matcher_exits_2(project):
    (project / 'app.py').write_text(textwrap.dedent('''\
        from chalice import Chalice
        app = Chalice(app_name='clitest')

        @app.route('/users/{user_id}')
        def by_id(user_id):
            return {}

        @app.route('/users/{name}')
        def by_name(name):
            return {}
        '''))
    result = _run_to_completion(project, '--port', str(free_port()), '--no-autoreload')
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith('Error: Invalid route in app.py: ')
    assert '/users/{name}' in lines[0]


def test_unknown_stage_exits_2(project):
    result = _run_to_completion(project, '--port', str(free_port()), '--stage', 'nope',
                                '--no-autoreload')
    assert result.returncode == 2
    assert "Stage 'nope'" in result.stderr


def _has_watchdog():
    try:
        import watchdog.observers  # noqa: F401
    except ImportError:
        return False
    return True


@pytest.mark.parametrize('reloader', ['poll', 'watchdog'])
def test_autoreload_follows_edits_and_survives_a_syntax_error(project, run_local, reloader):
    if reloader == 'watchdog' and not _has_watchdog():
        pytest.skip('watchdog is not installed; the polling run covers the reloader')
    port = free_port()
    base = 'http://127.0.0.1:%d/' % port
    app_py = project / 'app.py'
    second = int(time.time()) - 10
    os.utime(app_py, ns=(second * 10**9 + 10**8,) * 2)
    server = run_local(project, '--port', str(port), '--autoreload',
                       extra_env={'CHALICE_LOCAL_RELOADER': reloader})
    server.wait_for('Serving on')
    assert requests.get(base, timeout=TIMEOUT).json() == {'version': 'v1', 'lib': 'lib1'}

    # An edit of the same length within the same second as the previous
    # version: Python's bytecode cache cannot tell them apart, the reloader must.
    app_py.write_text(APP_PY.replace("'v1'", "'v2'"))
    os.utime(app_py, ns=(second * 10**9 + 2 * 10**8,) * 2)
    assert poll_json(base, {'version': 'v2', 'lib': 'lib1'}) == {'version': 'v2', 'lib': 'lib1'}

    app_py.write_text(APP_PY.replace("'v1'", "'v2'") + '\ndef broken(:\n')
    server.wait_for('SyntaxError', stream='stderr')
    server.wait_for('still serving the previous version', stream='stderr')
    assert server.process.poll() is None
    syntax_lines = [line for line in server.stderr if 'SyntaxError' in line]
    assert syntax_lines[0].startswith('Error: ') and 'app.py' in syntax_lines[0]
    assert requests.get(base, timeout=TIMEOUT).json() == {'version': 'v2', 'lib': 'lib1'}

    app_py.write_text(APP_PY.replace("'v1'", "'v3'"))
    assert poll_json(base, {'version': 'v3', 'lib': 'lib1'}) == {'version': 'v3', 'lib': 'lib1'}

    (project / 'chalicelib' / '__init__.py').write_text("VALUE = 'lib2'\n")
    assert poll_json(base, {'version': 'v3', 'lib': 'lib2'}) == {'version': 'v3', 'lib': 'lib2'}

    assert server.stop() == 0
    assert port_is_closed(port), 'the worker outlived the supervisor'


def test_autoreload_worker_stops_when_the_supervisor_is_killed(project, run_local):
    port = free_port()
    server = run_local(project, '--port', str(port))
    server.wait_for('Serving on')
    os.kill(server.process.pid, signal.SIGKILL)  # no chance to clean up
    server.process.wait(timeout=5)
    assert port_is_closed(port), 'the worker outlived the supervisor'


@pytest.mark.parametrize('where', ['current-directory', 'project'])
def test_autoreload_worker_ignores_a_chalice_folder_of_the_user(tmp_path, project, run_local,
                                                                where):
    """A ``chalice/`` folder where the command runs is not imported as chalice."""
    workdir = project if where == 'project' else tmp_path
    impostor = workdir / 'chalice'
    impostor.mkdir()
    (impostor / '__init__.py').write_text("# the user's own code, not the chalice package\n")
    port = free_port()
    # The ``chalice`` script, as a user runs it (``python -m chalice.cli`` from
    # that directory would import the impostor before chalice could help it).
    script = os.path.join(os.path.dirname(sys.executable), 'chalice')
    server = run_local(project, '--port', str(port), '--autoreload', cwd=str(workdir),
                       launcher=[script])
    server.wait_for('Serving on')
    base = 'http://127.0.0.1:%d/' % port
    assert requests.get(base, timeout=TIMEOUT).json() == {'version': 'v1', 'lib': 'lib1'}
    (project / 'app.py').write_text(APP_PY.replace("'v1'", "'v2'"))
    assert poll_json(base, {'version': 'v2', 'lib': 'lib1'}) == {'version': 'v2', 'lib': 'lib1'}
    assert server.stop() == 0
    assert 'Error' not in server.output()[1]


WHOAMI_APP = textwrap.dedent('''\
    import boto3
    from chalice import Chalice

    app = Chalice(app_name='clitest')


    @app.route('/whoami')
    def whoami():
        session = boto3.session.Session()
        return {'profile': session.profile_name,
                'key': session.get_credentials().access_key}
    ''')


def test_the_app_runs_with_the_callers_credentials(project, run_local, tmp_path):
    """No Lambda role is assumed: boto3 in the app uses the caller's AWS_PROFILE."""
    (project / 'app.py').write_text(WHOAMI_APP)
    credentials = tmp_path / 'credentials'
    credentials.write_text('[local-dev]\naws_access_key_id = LOCALDEVKEY\n'
                           'aws_secret_access_key = local-dev-secret\n')
    port = free_port()
    # Empty variables: the test-wide fake keys must not outrank the profile.
    server = run_local(project, '--port', str(port), '--no-autoreload', extra_env={
        'AWS_PROFILE': 'local-dev', 'AWS_SHARED_CREDENTIALS_FILE': str(credentials),
        'AWS_ACCESS_KEY_ID': '', 'AWS_SECRET_ACCESS_KEY': '', 'AWS_SESSION_TOKEN': '',
        'AWS_SECURITY_TOKEN': ''})
    server.wait_for('Serving on')
    body = requests.get('http://127.0.0.1:%d/whoami' % port, timeout=TIMEOUT).json()
    assert body == {'profile': 'local-dev', 'key': 'LOCALDEVKEY'}
    assert server.stop() == 0
