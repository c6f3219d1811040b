"""``chalice new-project``: templates, validation, prompts and atomic creation."""
import ast
import glob
import json
import os
import pty
import select
import subprocess
import sys
import time

import pytest
from click.testing import CliRunner

import chalice
from chalice.cli import cli, newproj
from chalice.cli.factory import CLIFactory

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(chalice.__file__)))

GITIGNORE_BASE = ['.chalice/deployments/', '.chalice/venv/']
TESTED_PROJECT_FILES = {
    '.chalice/config.json', '.gitignore', 'app.py', 'requirements.txt',
    'requirements-dev.txt', 'tests/__init__.py', 'tests/test_app.py',
}
EXPECTED_FILES = {
    'legacy': TESTED_PROJECT_FILES,
    'rest-api': TESTED_PROJECT_FILES,
    's3-event-handler': TESTED_PROJECT_FILES,
    'lambda-only': TESTED_PROJECT_FILES,
}
EXPECTED_CONFIG = {
    'legacy': {'version': '2.0', 'app_name': 'myapp',
               'stages': {'dev': {'api_gateway_stage': 'api'}}},
    'rest-api': {'version': '2.0', 'app_name': 'myapp',
                 'stages': {'dev': {'api_gateway_stage': 'api'}}},
    's3-event-handler': {
        'version': '2.0', 'app_name': 'myapp',
        'stages': {'dev': {'environment_variables': {
            'APP_BUCKET_NAME': 'replace-with-your-bucket-name'}}}},
    'lambda-only': {'version': '2.0', 'app_name': 'myapp', 'stages': {'dev': {}}},
}


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return tmp_path



def run(*args, input=None):
    return CliRunner().invoke(cli, ['new-project', *args], input=input)


def listing(root):
    found = set()
    for dirpath, _, filenames in os.walk(root):
        for filename in filenames:
            found.add(os.path.relpath(os.path.join(dirpath, filename), root).replace(os.sep, '/'))
    return found


def test_default_is_the_legacy_project(workdir):
    result = run('myapp')
    assert result.exit_code == 0, result.output
    assert result.stdout == 'Your project has been generated in ./myapp\n'
    project = workdir / 'myapp'
    assert listing(project) == EXPECTED_FILES['legacy']
    config_text = (project / '.chalice' / 'config.json').read_text()
    assert config_text == json.dumps(EXPECTED_CONFIG['legacy'], indent=2) + '\n'
    assert (project / 'requirements.txt').read_text() == ''
    assert (project / '.gitignore').read_text().splitlines() == GITIGNORE_BASE


def test_legacy_app_matches_the_documented_hello_world(workdir):
    assert run('myapp').exit_code == 0
    source = (workdir / 'myapp' / 'app.py').read_text()
    assert source.startswith(
        "from chalice import Chalice\n\napp = Chalice(app_name='myapp')\n\n\n"
        "@app.route('/')\ndef index():\n    return {'hello': 'world'}\n")
    # Further examples are there, but commented out.
    assert "# @app.route('/hello/{name}')" in source
    assert "# @app.route('/users', methods=['POST'])" in source
    tree = ast.parse(source)
    functions = [node.name for node in tree.body if isinstance(node, ast.FunctionDef)]
    assert functions == ['index']


@pytest.mark.parametrize('project_type', sorted(EXPECTED_FILES))
def test_each_project_type_generates_its_files(workdir, project_type):
    result = run('myapp', '-t', project_type)
    assert result.exit_code == 0, result.output
    project = workdir / 'myapp'
    assert listing(project) == EXPECTED_FILES[project_type]
    config_text = (project / '.chalice' / 'config.json').read_text()
    assert config_text == json.dumps(EXPECTED_CONFIG[project_type], indent=2) + '\n'
    gitignore = (project / '.gitignore').read_text().splitlines()
    assert gitignore[:2] == GITIGNORE_BASE
    for relative in listing(project):
        text = (project / relative).read_text()
        assert '{{' not in text, relative
        if relative.endswith('.py'):
            compile(text, relative, 'exec')
    # The staging directory is gone; only the project is left.
    assert os.listdir(workdir) == ['myapp']


@pytest.mark.parametrize('project_type', sorted(EXPECTED_FILES))
def test_tested_templates_ship_pytest_tests(workdir, project_type):
    assert run('myapp', '--project-type', project_type).exit_code == 0
    project = workdir / 'myapp'
    requirements_dev = (project / 'requirements-dev.txt').read_text().splitlines()
    assert 'pytest' in requirements_dev
    assert 'chalice>={},<2.0.0'.format(chalice.__version__) in requirements_dev
    tests = (project / 'tests' / 'test_app.py').read_text()
    assert 'from chalice.test import Client' in tests
    assert 'from app import app' in tests
    assert 'with Client(app) as client:' in tests
    assert (project / 'tests' / '__init__.py').read_text() == ''


def test_s3_template_handles_created_objects_in_the_configured_bucket(workdir):
    assert run('myapp', '-t', 's3-event-handler').exit_code == 0
    source = (workdir / 'myapp' / 'app.py').read_text()
    assert "os.environ.get('APP_BUCKET_NAME'" in source
    assert "@app.on_s3_event(bucket=BUCKET_NAME, events=['s3:ObjectCreated:*'])" in source
    assert 'def handle_s3_event(event):' in source
    tests = (workdir / 'myapp' / 'tests' / 'test_app.py').read_text()
    assert "generate_s3_event(bucket='mybucket', key='key')" in tests
    assert "client.lambda_.invoke('handle_s3_event', event)" in tests


def test_lambda_only_template_defines_pure_lambdas(workdir):
    assert run('myapp', '-t', 'lambda-only').exit_code == 0
    source = (workdir / 'myapp' / 'app.py').read_text()
    assert '@app.lambda_function()' in source
    assert '@app.route' not in source
    tests = (workdir / 'myapp' / 'tests' / 'test_app.py').read_text()
    assert "client.lambda_.invoke('first_function', {})" in tests
    assert 'response.payload' in tests


def _package_data_globs():
    """``(package directory, glob)`` for every package_data entry of setup.py."""
    with open(os.path.join(REPO_ROOT, 'setup.py')) as f:
        tree = ast.parse(f.read())
    for node in ast.walk(tree):
        if isinstance(node, ast.keyword) and node.arg == 'package_data':
            return [(os.path.join(REPO_ROOT, *package.split('.')), pattern)
                    for package, patterns in ast.literal_eval(node.value).items()
                    for pattern in patterns]
    raise AssertionError('setup.py has no package_data')


def test_every_template_file_ships_as_package_data():
    shipped = set()
    for package_dir, pattern in _package_data_globs():
        shipped.update(glob.glob(os.path.join(package_dir, pattern)))
    template_files = set()
    for project_type in newproj.PROJECT_TYPES:
        for source, _ in newproj.template_files(project_type):
            template_files.add(source)
    assert template_files
    assert template_files <= shipped, sorted(template_files - shipped)


def test_project_directory_gets_normal_permissions(workdir):
    assert run('myapp').exit_code == 0
    umask = os.umask(0)
    os.umask(umask)
    assert (workdir / 'myapp').stat().st_mode & 0o777 == 0o777 & ~umask


def test_unknown_project_type_is_a_usage_error(workdir):
    result = run('myapp', '-t', 'no-such-type')
    assert result.exit_code == 2
    assert "Invalid value for '-t' / '--project-type'" in result.stderr
    assert os.listdir(workdir) == []


# -- refusing to create -------------------------------------------------------------

def test_existing_directory_is_left_untouched(workdir):
    existing = workdir / 'myapp'
    existing.mkdir()
    (existing / 'keep.txt').write_text('mine')
    result = run('myapp')
    assert result.exit_code == 2
    assert result.stderr == 'Error: Directory already exists: myapp\n'
    assert result.stdout == ''
    assert listing(existing) == {'keep.txt'}
    assert (existing / 'keep.txt').read_text() == 'mine'
    assert os.listdir(workdir) == ['myapp']


def test_existing_file_with_the_name_is_refused(workdir):
    (workdir / 'myapp').write_text('a file')
    result = run('myapp')
    assert result.exit_code == 2
    assert result.stderr == 'Error: A file with the project name already exists: myapp\n'
    assert (workdir / 'myapp').read_text() == 'a file'


@pytest.mark.parametrize('name', [
    '', '   ', 'a/b', '../escape', 'back\\slash', '.hidden', '-dash', 'has space',
    'semi;colon', 'star*', 'ünïcode',
])
def test_invalid_project_names_are_refused(workdir, name):
    result = run('--', name)
    assert result.exit_code == 2
    lines = result.stderr.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith('Error: ')
    assert 'project name' in lines[0]
    assert os.listdir(workdir) == []


@pytest.mark.parametrize('name', ['myapp', 'my-app', 'my_app', 'my.app', 'App2', '_private'])
def test_valid_project_names(workdir, name):
    result = run(name)
    assert result.exit_code == 0, result.output
    config = json.loads((workdir / name / '.chalice' / 'config.json').read_text())
    assert config['app_name'] == name


def test_failure_while_writing_leaves_nothing_behind(workdir, monkeypatch):
    calls = []

    def flaky_render(text, app_name):
        calls.append(app_name)
        if len(calls) == 3:
            raise OSError('disk full')
        return text

    monkeypatch.setattr(newproj, 'render_template', flaky_render)
    result = run('myapp')
    assert result.exit_code == 1
    assert result.stderr.startswith('Error: OSError: disk full\n')
    assert os.listdir(workdir) == []


# -- prompting ---------------------------------------------------------------------------

def test_missing_name_without_a_terminal_is_a_usage_error(workdir, monkeypatch):
    monkeypatch.setattr(newproj, 'stdin_is_interactive', lambda: False)
    result = run()
    assert result.exit_code == 2
    assert 'A project name is required' in result.stderr
    assert os.listdir(workdir) == []


def test_prompts_for_name_and_type_on_a_terminal(workdir, monkeypatch):
    monkeypatch.setattr(newproj, 'stdin_is_interactive', lambda: True)
    result = run(input='myapp\n2\n')
    assert result.exit_code == 0, result.output
    assert 'What is the name of your project?' in result.output
    for number, name in enumerate(newproj.PROJECT_TYPES, start=1):
        assert '  {}) {} - '.format(number, name) in result.output
    assert result.stdout.endswith('Your project has been generated in ./myapp\n')
    assert listing(workdir / 'myapp') == EXPECTED_FILES['rest-api']


def test_prompt_reasks_after_an_invalid_name_and_defaults_to_legacy(workdir, monkeypatch):
    monkeypatch.setattr(newproj, 'stdin_is_interactive', lambda: True)
    result = run(input='bad/name\ngoodname\n\n')
    assert result.exit_code == 0, result.output
    assert 'it must be a directory name, not a path' in result.output
    assert os.listdir(workdir) == ['goodname']
    assert listing(workdir / 'goodname') == EXPECTED_FILES['legacy']


def test_prompt_skips_type_question_when_type_given(workdir, monkeypatch):
    monkeypatch.setattr(newproj, 'stdin_is_interactive', lambda: True)
    result = run('-t', 'lambda-only', input='myapp\n')
    assert result.exit_code == 0, result.output
    assert 'Select your project type' not in result.output
    assert listing(workdir / 'myapp') == EXPECTED_FILES['lambda-only']


def test_stdin_is_interactive_is_false_under_the_test_runner():
    # pytest captures stdin, so it is never a terminal here.
    assert newproj.stdin_is_interactive() is False


@pytest.mark.parametrize('answer, project_type', [
    ('rest-api', 'rest-api'), (' lambda-only ', 'lambda-only'), ('3', 's3-event-handler'),
])
def test_prompt_accepts_a_type_name_or_number(workdir, monkeypatch, answer, project_type):
    monkeypatch.setattr(newproj, 'stdin_is_interactive', lambda: True)
    result = run(input='myapp\n{}\n'.format(answer))
    assert result.exit_code == 0, result.output
    assert listing(workdir / 'myapp') == EXPECTED_FILES[project_type]
    config = json.loads((workdir / 'myapp' / '.chalice' / 'config.json').read_text())
    assert config == EXPECTED_CONFIG[project_type]


def test_prompt_reasks_after_an_unknown_type(workdir, monkeypatch):
    monkeypatch.setattr(newproj, 'stdin_is_interactive', lambda: True)
    result = run(input='myapp\nnope\n9\nlambda-only\n')
    assert result.exit_code == 0, result.output
    assert result.output.count("Unknown project type 'nope'") == 1
    assert result.output.count("Unknown project type '9'") == 1
    assert listing(workdir / 'myapp') == EXPECTED_FILES['lambda-only']


@pytest.mark.parametrize('stdin, project_type', [
    ('myapp\n', 'legacy'),
    ('myapp', 'legacy'),
    ('myapp\n\n', 'legacy'),
    ('myapp\nrest-api\n', 'rest-api'),
    ('  myapp  \n4\n', 'lambda-only'),
])
def test_piped_input_gives_the_name_and_type(workdir, stdin, project_type):
    result = run(input=stdin)
    assert result.exit_code == 0, result.output
    # Nothing is asked when nobody is there to answer.
    assert result.stdout == 'Your project has been generated in ./myapp\n'
    assert listing(workdir / 'myapp') == EXPECTED_FILES[project_type]


def test_piped_type_is_not_read_when_given_as_an_option(workdir):
    result = run('-t', 'rest-api', input='myapp\nlambda-only\n')
    assert result.exit_code == 0, result.output
    assert listing(workdir / 'myapp') == EXPECTED_FILES['rest-api']


@pytest.mark.parametrize('stdin, message', [
    ('bad/name\n', "Error: Invalid project name 'bad/name': it must be a directory name, "
                    "not a path."),
    ('myapp\nnope\n', "Error: Unknown project type 'nope': choose one of legacy, rest-api, "
                       "s3-event-handler, lambda-only, cdk-ddb (or its number, 1-5)."),
])
def test_piped_bad_answers_are_errors_not_questions(workdir, stdin, message):
    result = run(input=stdin)
    assert result.exit_code == 2
    assert result.stderr == message + '\n'
    assert result.stdout == ''
    assert os.listdir(workdir) == []


def test_new_project_reads_a_real_pipe(workdir):
    env = dict(os.environ, PYTHONPATH=REPO_ROOT)
    proc = subprocess.run([sys.executable, '-m', 'chalice.cli', 'new-project'],
                          input='piped\ns3-event-handler\n', cwd=str(workdir), env=env,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == 'Your project has been generated in ./piped\n'
    assert listing(workdir / 'piped') == EXPECTED_FILES['s3-event-handler']


def _wait_until_waiting_for_input(pid, deadline):
    """Wait until process ``pid`` sleeps, i.e. is blocked reading the terminal.

    Typing Ctrl-C between the prompt being printed and the read starting
    would set Python's signal flag without interrupting the read, which then
    blocks; a person is never that fast, but a test is.
    """
    stat_path = '/proc/%d/stat' % pid
    while time.monotonic() < deadline:
        try:
            with open(stat_path) as f:
                state = f.read().rsplit(')', 1)[1].split()[0]
        except OSError:  # no /proc (or the process is gone): nothing to wait for
            return
        if state == 'S':
            return
        time.sleep(0.01)
    raise AssertionError('process %d never waited for input' % pid)


def _run_on_a_terminal(args, cwd, answers, timeout=60.0):
    """Run the CLI on a pseudo-terminal; send each answer once ``prompt`` is shown.

    ``answers`` is a list of ``(prompt, bytes to type)``.  Returns the exit
    code and everything the terminal showed.
    """
    pid, fd = pty.fork()
    if pid == 0:  # pragma: no cover - the child
        try:
            os.chdir(cwd)
            os.environ['PYTHONPATH'] = REPO_ROOT
            os.execv(sys.executable, [sys.executable, '-m', 'chalice.cli'] + list(args))
        finally:
            os._exit(127)
    shown = b''
    deadline = time.monotonic() + timeout
    pending = list(answers)
    try:
        for _ in range(100_000):
            if pending and pending[0][0] in shown:
                _wait_until_waiting_for_input(pid, deadline)
                os.write(fd, pending.pop(0)[1])
            ready, _, _ = select.select([fd], [], [], max(0.0, deadline - time.monotonic()))
            if not ready:
                raise AssertionError('the CLI neither asked nor exited; it showed %r' % shown)
            try:
                chunk = os.read(fd, 4096)
            except OSError:  # EIO: the child closed the terminal
                chunk = b''
            if not chunk:
                break
            shown += chunk
        _, status = os.waitpid(pid, 0)
    finally:
        os.close(fd)
    return os.waitstatus_to_exitcode(status), shown.decode('utf-8', 'replace')


@pytest.mark.parametrize('answers', [
    [(b'What is the name of your project?', b'\x03')],
    [(b'What is the name of your project?', b'myapp\r'), (b'Project type', b'\x03')],
], ids=['at-the-name', 'at-the-type'])
def test_ctrl_c_at_a_prompt_exits_130_and_creates_nothing(workdir, answers):
    code, shown = _run_on_a_terminal(['new-project'], str(workdir), answers)
    assert code == 130, shown
    assert 'Traceback' not in shown and 'Aborted' not in shown
    assert os.listdir(workdir) == []


def test_a_terminal_gets_the_questions(workdir):
    code, shown = _run_on_a_terminal(['new-project'], str(workdir), [
        (b'What is the name of your project?', b'termapp\r'),
        (b'Project type', b'rest-api\r')])
    assert code == 0, shown
    assert 'Select your project type:' in shown
    assert 'Your project has been generated in ./termapp' in shown
    assert listing(workdir / 'termapp') == EXPECTED_FILES['rest-api']


# -- the generated apps ------------------------------------------------------------------

@pytest.mark.parametrize('project_type', sorted(EXPECTED_FILES))
def test_generated_app_imports_and_defines_app(workdir, project_type):
    assert run('myapp', '-t', project_type).exit_code == 0
    app = CLIFactory(str(workdir / 'myapp')).load_chalice_app()
    assert isinstance(app, chalice.Chalice)
    assert app.app_name == 'myapp'


@pytest.mark.parametrize('project_type', sorted(EXPECTED_FILES))
def test_generated_tests_pass(workdir, project_type):
    """``pytest`` in a new project of any type finds its tests and passes."""
    assert run('myapp', '-t', project_type).exit_code == 0
    assert ' passed' in run_generated_tests(workdir / 'myapp')


def run_generated_tests(project):
    """Run a generated project's own tests with pytest; return its output."""
    env = dict(os.environ, PYTHONPATH=REPO_ROOT)
    # The ``pytest`` script, not ``python -m pytest``: the latter would put the
    # project on sys.path by itself and hide a missing tests/__init__.py.
    pytest_script = os.path.join(os.path.dirname(sys.executable), 'pytest')
    proc = subprocess.run(
        [pytest_script, '-q', '-p', 'no:cacheprovider'],
        cwd=str(project), env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout


# -- the CDK template ----------------------------------------------------------------------

CDK_DDB_FILES = {
    '.gitignore', 'requirements.txt', 'requirements-dev.txt',
    'infrastructure/app.py', 'infrastructure/cdk.json', 'infrastructure/requirements.txt',
    'infrastructure/stacks/__init__.py', 'infrastructure/stacks/chaliceapp.py',
    'infrastructure/tests/conftest.py', 'infrastructure/tests/test_stack.py',
    'runtime/.chalice/config.json', 'runtime/app.py', 'runtime/requirements.txt',
    'runtime/tests/conftest.py', 'runtime/tests/test_app.py',
}


def test_cdk_ddb_template_files(workdir):
    result = run('myapp', '-t', 'cdk-ddb')
    assert result.exit_code == 0, result.output
    project = workdir / 'myapp'
    assert listing(project) == CDK_DDB_FILES
    config_text = (project / 'runtime' / '.chalice' / 'config.json').read_text()
    assert config_text == json.dumps(EXPECTED_CONFIG['rest-api'], indent=2) + '\n'
    assert json.loads((project / 'infrastructure' / 'cdk.json').read_text()) == {
        'app': 'python3 app.py'}
    requirements = (project / 'infrastructure' / 'requirements.txt').read_text().splitlines()
    assert 'chalice[cdk]>={},<2.0.0'.format(chalice.__version__) in requirements
    assert any(line.startswith('aws-cdk-lib>=2') for line in requirements)
    stack = (project / 'infrastructure' / 'stacks' / 'chaliceapp.py').read_text()
    assert 'from chalice.cdk import Chalice' in stack
    assert "get_role('DefaultRole')" in stack
    assert "'APP_TABLE_NAME': self.dynamodb_table.table_name" in stack
    assert 'ChaliceApp(app, APP_NAME, stack_name=stack_name(APP_NAME))' in (
        project / 'infrastructure' / 'app.py').read_text()
    gitignore = (project / '.gitignore').read_text().splitlines()
    assert {'chalice.out/', 'runtime/.chalice/deployments/'} <= set(gitignore)
    for relative in CDK_DDB_FILES:
        text = (project / relative).read_text()
        assert '{{' not in text, relative
        if relative.endswith('.py'):
            compile(text, relative, 'exec')


def test_cdk_ddb_runtime_app_imports(workdir):
    assert run('myapp', '-t', 'cdk-ddb').exit_code == 0
    app = CLIFactory(str(workdir / 'myapp' / 'runtime')).load_chalice_app()
    assert app.app_name == 'myapp'
    assert sorted(app.routes) == ['/users', '/users/{username}']


def test_cdk_ddb_generated_tests_pass(workdir):
    """Runs the project's own tests: the runtime's, and a CDK synthesis of the stack."""
    assert run('myapp', '-t', 'cdk-ddb').exit_code == 0
    assert '8 passed' in run_generated_tests(workdir / 'myapp')
