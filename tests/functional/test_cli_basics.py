"""The CLI skeleton: global options, lazy commands, error handling, app loading."""
import json
import os
import re
import subprocess
import sys
import textwrap

import click
import pytest
from click.testing import CliRunner

import chalice
from chalice import cli as cli_module
from chalice.cli import COMMANDS, cli, version_string
from chalice.cli.factory import CLIFactory, check_experimental_features
from chalice.errors import (
    AppLoadError,
    ChaliceError,
    DeploymentError,
    ExperimentalFeatureError,
)

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(chalice.__file__)))


# -- commands registered only by these tests ---------------------------------

@click.command('fail-input')
def fail_input_command():
    """Fail the way a bad argument would."""
    raise ChaliceError('the widget name is not valid')


@click.command('fail-deploy')
def fail_deploy_command():
    """Fail the way a deployment would."""
    raise DeploymentError('the deployment went wrong')


@click.command('crash')
def crash_command():
    """Fail with a bug."""
    raise ValueError('something\nunexpected')


@click.command('interrupt')
def interrupt_command():
    """Act as if the user pressed Ctrl-C."""
    raise KeyboardInterrupt()


@click.command('load-app')
@click.pass_context
def load_app_command(ctx):
    """Load the project's app and print its repr."""
    app = ctx.obj['factory'].load_chalice_app()
    click.echo('loaded {!r}'.format(app))


@click.command('show-obj')
@click.pass_context
def show_obj_command(ctx):
    """Print what the group put on the context."""
    click.echo(json.dumps({'project_dir': ctx.obj['project_dir'],
                           'debug': ctx.obj['debug'],
                           'factory_dir': ctx.obj['factory'].project_dir,
                           'cli_mode': os.environ.get('AWS_CHALICE_CLI_MODE')}))


TEST_COMMANDS = {
    'fail-input': 'fail_input_command',
    'fail-deploy': 'fail_deploy_command',
    'crash': 'crash_command',
    'interrupt': 'interrupt_command',
    'load-app': 'load_app_command',
    'show-obj': 'show_obj_command',
}


@pytest.fixture
def runner(monkeypatch):
    for name, attr in TEST_COMMANDS.items():
        monkeypatch.setitem(COMMANDS, name, (__name__, attr, 'Test-only command.'))
    return CliRunner()



def write_project(root, files):
    for relative, content in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(content))
    return root


# -- global options -------------------------------------------------------------

def test_version_prints_one_line_with_versions(runner):
    result = runner.invoke(cli, ['--version'])
    assert result.exit_code == 0
    assert result.output == version_string() + '\n'
    pattern = r'chalice {}, python \d+\.\d+\.\d+, \S+ \S+'.format(re.escape(chalice.__version__))
    assert re.fullmatch(pattern, result.output.strip())


def test_help_lists_new_project(runner):
    result = runner.invoke(cli, ['--help'])
    assert result.exit_code == 0
    assert result.output.startswith('Usage: chalice [OPTIONS] COMMAND [ARGS]...')
    assert re.search(r'^\s+new-project\s+Create a new Chalice project\.$', result.output, re.M)
    for option in ('--version', '--project-dir', '--debug / --no-debug'):
        assert option in result.output


def test_help_does_not_import_command_modules(monkeypatch):
    monkeypatch.setitem(COMMANDS, 'ghost', ('chalice.cli._no_such_module', 'ghost',
                                            'A command whose module does not exist.'))
    result = CliRunner().invoke(cli, ['--help'])
    assert result.exit_code == 0
    assert re.search(r'^\s+ghost\s+A command whose module does not exist\.$',
                     result.output, re.M)


def test_command_module_is_imported_when_the_command_runs(monkeypatch):
    monkeypatch.setitem(COMMANDS, 'ghost', ('chalice.cli._no_such_module', 'ghost', 'Ghost.'))
    result = CliRunner().invoke(cli, ['ghost'])
    assert result.exit_code == 1
    assert result.stderr.startswith(
        "Error: ModuleNotFoundError: No module named 'chalice.cli._no_such_module'")


def test_unknown_command_is_a_usage_error(runner):
    result = runner.invoke(cli, ['no-such-command'])
    assert result.exit_code == 2
    assert "No such command 'no-such-command'" in result.stderr


def test_unknown_global_option_is_a_usage_error(runner):
    result = runner.invoke(cli, ['--no-such-option', 'new-project'])
    assert result.exit_code == 2


def test_group_stores_absolute_project_dir_and_sets_cli_mode(runner, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / 'proj').mkdir()
    result = runner.invoke(cli, ['--project-dir', 'proj', 'show-obj'])
    assert result.exit_code == 0, result.output
    obj = json.loads(result.stdout)
    assert obj == {'project_dir': str(tmp_path / 'proj'), 'debug': False,
                   'factory_dir': str(tmp_path / 'proj'), 'cli_mode': 'true'}


def test_project_dir_defaults_to_current_directory(runner, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(cli, ['--debug', 'show-obj'])
    assert result.exit_code == 0, result.output
    obj = json.loads(result.stdout)
    assert obj['project_dir'] == str(tmp_path)
    assert obj['debug'] is True


@pytest.mark.parametrize('args', [['--version'], ['--help']])
def test_startup_does_not_import_aws_sdk_or_commands(args):
    script = textwrap.dedent('''
        import json, sys
        from chalice.cli import main
        sys.argv = ['chalice'] + {args!r}
        try:
            main()
        except SystemExit as e:
            code = e.code
        heavy = sorted(m for m in sys.modules
                       if m.split('.')[0] in ('botocore', 'boto3')
                       or m in ('chalice.cli.newproj', 'chalice.cli.factory', 'chalice.config'))
        sys.stderr.write(json.dumps({{'code': code, 'heavy': heavy}}))
    ''').format(args=args)
    env = dict(os.environ, PYTHONPATH=REPO_ROOT)
    proc = subprocess.run([sys.executable, '-c', script], capture_output=True, text=True,
                          env=env, cwd=REPO_ROOT, timeout=60)
    report = json.loads(proc.stderr)
    assert report == {'code': 0, 'heavy': []}
    assert proc.stdout.strip()


def test_python_m_chalice_cli_runs_the_cli():
    env = dict(os.environ, PYTHONPATH=REPO_ROOT)
    proc = subprocess.run([sys.executable, '-m', 'chalice.cli', '--version'],
                          capture_output=True, text=True, env=env, timeout=60)
    assert proc.returncode == 0
    assert proc.stdout == version_string() + '\n'


# -- error handling ---------------------------------------------------------------

def test_chalice_error_prints_one_line_and_exits_with_its_code(runner):
    result = runner.invoke(cli, ['fail-input'])
    assert result.exit_code == 2
    assert result.stderr == 'Error: the widget name is not valid\n'
    assert result.stdout == ''


def test_chalice_error_with_failure_exit_code(runner):
    result = runner.invoke(cli, ['fail-deploy'])
    assert result.exit_code == 1
    assert result.stderr == 'Error: the deployment went wrong\n'


def test_chalice_error_with_debug_prints_traceback_first(runner):
    result = runner.invoke(cli, ['--debug', 'fail-input'])
    assert result.exit_code == 2
    lines = result.stderr.splitlines()
    assert lines[0] == 'Traceback (most recent call last):'
    assert 'raise ChaliceError' in result.stderr
    assert lines[-1] == 'Error: the widget name is not valid'


def test_unexpected_error_prints_type_message_and_hint(runner):
    result = runner.invoke(cli, ['crash'])
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        'Error: ValueError: something unexpected',
        cli_module.DEBUG_HINT,
    ]
    assert 'Traceback' not in result.output


def test_unexpected_error_with_debug_prints_traceback(runner):
    result = runner.invoke(cli, ['--debug', 'crash'])
    assert result.exit_code == 1
    assert 'Traceback (most recent call last):' in result.stderr
    assert "raise ValueError('something\\nunexpected')" in result.stderr
    assert result.stderr.splitlines()[-1] == 'Error: ValueError: something unexpected'
    assert cli_module.DEBUG_HINT not in result.stderr


def test_keyboard_interrupt_exits_130_quietly(runner):
    result = runner.invoke(cli, ['interrupt'])
    assert result.exit_code == 130
    assert result.output == ''


# -- loading the user's app --------------------------------------------------------

def test_load_app_returns_the_app_object(tmp_path):
    write_project(tmp_path, {'app.py': '''
        class FakeApp:
            experimental_feature_flags = set()
        app = FakeApp()
        app.name = 'demo'
    '''})
    app = CLIFactory(str(tmp_path)).load_chalice_app()
    assert type(app).__name__ == 'FakeApp'
    assert app.name == 'demo'
    assert sys.modules['app'].app is app
    assert sys.path[0] == str(tmp_path)


def test_load_app_imports_chalicelib_and_reloads_fresh_code(tmp_path):
    write_project(tmp_path, {
        'app.py': 'from chalicelib.settings import VALUE\napp = VALUE\n',
        'chalicelib/__init__.py': '',
        'chalicelib/settings.py': 'VALUE = 1\n',
    })
    factory = CLIFactory(str(tmp_path))
    assert factory.load_chalice_app() == 1
    # A different size guarantees Python notices the edit even within one second.
    (tmp_path / 'chalicelib' / 'settings.py').write_text('VALUE = 12345\n')
    assert factory.load_chalice_app() == 12345


def test_load_app_applies_environment_variables_first(tmp_path, monkeypatch):
    monkeypatch.setenv('CHALICE_TEST_GREETING', 'placeholder')
    write_project(tmp_path, {'app.py': '''
        import os
        app = os.environ['CHALICE_TEST_GREETING']
    '''})
    app = CLIFactory(str(tmp_path)).load_chalice_app({'CHALICE_TEST_GREETING': 'hi'})
    assert app == 'hi'


def test_load_app_without_app_py(tmp_path):
    with pytest.raises(AppLoadError) as info:
        CLIFactory(str(tmp_path)).load_chalice_app()
    assert str(info.value) == (
        'No app.py file found in {}. Run this command from a Chalice project directory, '
        'or pass --project-dir.'.format(tmp_path))
    assert info.value.exit_code == 2


def test_load_app_with_syntax_error(tmp_path):
    write_project(tmp_path, {'app.py': 'app = 1\ndef broken(:\n    pass\n'})
    with pytest.raises(AppLoadError) as info:
        CLIFactory(str(tmp_path)).load_chalice_app()
    message = str(info.value)
    assert message.startswith('Unable to import your app.py file: SyntaxError: ')
    assert message.endswith('(app.py:2)')
    assert '\n' not in message
    assert 'def broken(:' in info.value.user_traceback
    assert 'importlib' not in info.value.user_traceback
    assert 'app' not in sys.modules


def test_load_app_with_import_error_points_at_user_code(tmp_path):
    write_project(tmp_path, {
        'app.py': 'import chalicelib.helpers\napp = 1\n',
        'chalicelib/__init__.py': '',
        'chalicelib/helpers.py': 'x = 1\nimport no_such_module_for_chalice_tests\n',
    })
    with pytest.raises(AppLoadError) as info:
        CLIFactory(str(tmp_path)).load_chalice_app()
    assert str(info.value) == (
        "Unable to import your app.py file: ModuleNotFoundError: No module named "
        "'no_such_module_for_chalice_tests' (chalicelib/helpers.py:2)")
    user_tb = info.value.user_traceback
    assert user_tb.startswith('Traceback (most recent call last):')
    assert 'app.py", line 1' in user_tb
    assert 'helpers.py", line 2' in user_tb
    assert 'factory.py' not in user_tb
    assert not any(m == 'app' or m.startswith('chalicelib') for m in sys.modules)


def test_load_app_with_runtime_error_at_import(tmp_path):
    write_project(tmp_path, {'app.py': 'x = 1\nraise RuntimeError("no config")\n'})
    with pytest.raises(AppLoadError) as info:
        CLIFactory(str(tmp_path)).load_chalice_app()
    assert str(info.value) == (
        'Unable to import your app.py file: RuntimeError: no config (app.py:2)')


def test_load_app_without_app_variable(tmp_path):
    write_project(tmp_path, {'app.py': 'application = object()\n'})
    with pytest.raises(AppLoadError) as info:
        CLIFactory(str(tmp_path)).load_chalice_app()
    assert str(info.value) == (
        "app.py must define a variable named 'app' holding the Chalice object.")


def test_cli_reports_app_load_error_on_one_line(runner, tmp_path):
    write_project(tmp_path, {'app.py': 'x = 1\nraise RuntimeError("no config")\n'})
    result = runner.invoke(cli, ['--project-dir', str(tmp_path), 'load-app'])
    assert result.exit_code == 2
    assert result.stderr == (
        'Error: Unable to import your app.py file: RuntimeError: no config (app.py:2)\n')


def test_cli_debug_prints_the_user_traceback_for_app_load_errors(runner, tmp_path):
    write_project(tmp_path, {'app.py': 'x = 1\nraise RuntimeError("no config")\n'})
    result = runner.invoke(cli, ['--debug', '--project-dir', str(tmp_path), 'load-app'])
    assert result.exit_code == 2
    lines = result.stderr.splitlines()
    assert lines[0] == 'Traceback (most recent call last):'
    assert 'app.py", line 2, in <module>' in lines[1]
    assert 'factory.py' not in result.stderr
    assert lines[-2] == 'RuntimeError: no config'
    assert lines[-1].startswith('Error: Unable to import your app.py file')


def test_cli_loads_app_from_project_dir(runner, tmp_path):
    write_project(tmp_path, {'app.py': 'app = "the-app"\n'})
    result = runner.invoke(cli, ['--project-dir', str(tmp_path), 'load-app'])
    assert result.exit_code == 0, result.output
    assert result.stdout == "loaded 'the-app'\n"


# -- experimental feature flags -----------------------------------------------------

class FakeApp:
    def __init__(self, used=(), enabled=()):
        self._features_used = set(used)
        self.experimental_feature_flags = set(enabled)


# The text of the "Experimental APIs" documentation, with the flag filled in.
DOCUMENTED_MESSAGE = '\n'.join([
    'You are using experimental features without explicitly opting in.',
    'Experimental features do not guarantee backwards compatibility and may be removed '
    'in the future.',
    'If you still like to use these experimental features, you can opt-in by adding this '
    'to your app.py file:',
    '',
    'app.experimental_feature_flags.update([',
    "    'WEBSOCKETS'",
    '])',
    '',
    '',
    'See https://chalice.readthedocs.io/en/latest/topics/experimental.rst for more details.',
])


def test_missing_feature_flag_is_reported_with_instructions():
    with pytest.raises(ExperimentalFeatureError) as info:
        check_experimental_features(FakeApp(used=['WEBSOCKETS']))
    assert str(info.value) == DOCUMENTED_MESSAGE
    assert info.value.exit_code == 2


def test_every_missing_flag_is_named_once_in_order():
    app = FakeApp(used=['ZEBRA', 'WEBSOCKETS', 'ALPHA'], enabled=['ZEBRA'])
    with pytest.raises(ExperimentalFeatureError) as info:
        check_experimental_features(app)
    message = str(info.value)
    assert "update([\n    'ALPHA',\n    'WEBSOCKETS'\n])" in message
    assert "'ZEBRA'" not in message


@pytest.mark.parametrize('app', [
    FakeApp(used=['WEBSOCKETS'], enabled=['WEBSOCKETS']),
    FakeApp(used=['BLUEPRINTS']),
    FakeApp(),
    object(),
])
def test_opted_in_accepted_or_unused_features_pass(app):
    check_experimental_features(app)


def test_load_app_checks_feature_flags(tmp_path):
    write_project(tmp_path, {'app.py': '''
        class FakeApp:
            _features_used = {'WEBSOCKETS'}
            experimental_feature_flags = set()
        app = FakeApp()
    '''})
    factory = CLIFactory(str(tmp_path))
    with pytest.raises(ExperimentalFeatureError):
        factory.load_chalice_app()
    app = factory.load_chalice_app(validate_feature_flags=False)
    assert app._features_used == {'WEBSOCKETS'}


def test_cli_prints_feature_flag_error(runner, tmp_path):
    write_project(tmp_path, {'app.py': '''
        class FakeApp:
            _features_used = {'WEBSOCKETS'}
            experimental_feature_flags = set()
        app = FakeApp()
    '''})
    result = runner.invoke(cli, ['--project-dir', str(tmp_path), 'load-app'])
    assert result.exit_code == 2
    # Printed as documented: the message as it is, no "Error:" prefix.
    assert result.stderr == DOCUMENTED_MESSAGE + '\n'
    assert result.stdout == ''


WEBSOCKET_APP = """\
from chalice import Chalice

app = Chalice(app_name='ws')


@app.route('/')
def index():
    return {}


@app.on_ws_message()
def message(event):
    pass
"""


@pytest.mark.parametrize('command', [
    ['deploy'], ['package', 'out'], ['local', '--no-autoreload', '--port', '0'],
    ['dev', 'plan'], ['dev', 'appgraph'], ['generate-models'], ['gen-policy'],
    ['invoke', '--local', '-n', 'message'],
])
def test_every_command_that_loads_the_app_checks_feature_flags(tmp_path, command,
                                                                monkeypatch):
    # No AWS endpoint answers here: a command that got past the check would fail
    # differently (and deploy would try to connect).
    monkeypatch.setenv('AWS_ENDPOINT_URL', 'http://127.0.0.1:9')
    write_project(tmp_path, {
        'app.py': WEBSOCKET_APP,
        '.chalice/config.json': json.dumps({'version': '2.0', 'app_name': 'ws'}),
    })
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ['--project-dir', str(tmp_path), *command])
    assert result.exit_code == 2, result.output
    assert result.stderr == DOCUMENTED_MESSAGE + '\n'
    assert not (tmp_path / 'out').exists()
    assert not (tmp_path / '.chalice' / 'deployments').exists()


# -- config and sessions -------------------------------------------------------------

def test_create_config_obj_loads_app_with_stage_environment(tmp_path, monkeypatch):
    monkeypatch.setenv('CHALICE_TEST_STAGE_VAR', 'placeholder')
    write_project(tmp_path, {
        'app.py': '''
            import os
            from chalice import Chalice
            app = Chalice(app_name='demo')
            app.stage_var = os.environ['CHALICE_TEST_STAGE_VAR']
        ''',
        '.chalice/config.json': json.dumps({
            'version': '2.0', 'app_name': 'demo',
            'environment_variables': {'CHALICE_TEST_STAGE_VAR': 'top'},
            'stages': {'prod': {'environment_variables': {'CHALICE_TEST_STAGE_VAR': 'prod'}}},
        }),
    })
    factory = CLIFactory(str(tmp_path))
    config = factory.create_config_obj('prod', autogen_policy=False, api_gateway_stage='v2')
    assert config.chalice_app.stage_var == 'prod'
    assert config.chalice_stage == 'prod'
    assert config.app_name == 'demo'
    assert config.project_dir == str(tmp_path)
    assert config.api_gateway_stage == 'v2'
    assert config.user_provided_params['autogen_policy'] is False

    dev = factory.create_config_obj()
    assert dev.chalice_app.stage_var == 'top'
    assert dev.api_gateway_stage == 'api'
    assert 'autogen_policy' not in dev.user_provided_params


def test_create_botocore_session_sets_profile_and_user_agent(tmp_path):
    session = CLIFactory(str(tmp_path), profile='myprofile').create_botocore_session(
        connection_timeout=7)
    assert session.profile == 'myprofile'
    assert 'chalice/{}'.format(chalice.__version__) in session.user_agent_extra
    assert session.get_default_client_config().connect_timeout == 7


@pytest.mark.parametrize('opt_in, expect_error', [
    ('', True),
    ("app.experimental_feature_flags.update(['WEBSOCKETS'])", False),
])
def test_real_websocket_app_needs_the_flag(tmp_path, opt_in, expect_error):
    write_project(tmp_path, {'app.py': '''
        from chalice import Chalice
        app = Chalice(app_name='ws')
        {}

        @app.on_ws_message()
        def message(event):
            pass
    '''.format(opt_in)})
    factory = CLIFactory(str(tmp_path))
    if expect_error:
        with pytest.raises(ExperimentalFeatureError, match="'WEBSOCKETS'"):
            factory.load_chalice_app()
    else:
        assert factory.load_chalice_app().app_name == 'ws'


GEN_POLICY_APP = '''
    import boto3
    from chalice import Chalice

    app = Chalice(app_name='gp')
    s3 = boto3.client('s3')


    @app.route('/')
    def index():
        return s3.list_buckets()


    @app.on_sqs_message(queue='jobs')
    def job(event):
        pass
'''


def test_gen_policy_prints_the_stages_generated_policy(runner, tmp_path):
    # X-Ray in prod only, and autogen_policy off there: gen-policy still
    # prints what deploy would generate for that stage.
    config = {'version': '2.0', 'app_name': 'gp',
              'stages': {'dev': {}, 'prod': {'xray': True, 'autogen_policy': False}}}
    write_project(tmp_path, {'app.py': GEN_POLICY_APP,
                             '.chalice/config.json': json.dumps(config)})

    def policy(*args):
        result = runner.invoke(cli, ['--project-dir', str(tmp_path), 'gen-policy', *args])
        assert result.exit_code == 0, result.output
        return json.loads(result.output)

    dev = policy()
    actions = {a for s in dev['Statement'] for a in (
        [s['Action']] if isinstance(s['Action'], str) else s['Action'])}
    assert 's3:ListAllMyBuckets' in actions
    assert 'sqs:ReceiveMessage' in actions and 'xray:PutTraceSegments' not in actions
    (sqs,) = [s for s in dev['Statement'] if 'sqs:ReceiveMessage' in s['Action']]
    assert sqs['Resource'] == 'arn:*:sqs:*:*:jobs'
    xray = {'Effect': 'Allow', 'Action': ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'],
            'Resource': '*'}
    assert policy('--stage', 'prod')['Statement'] == dev['Statement'][:2] + [xray, sqs]
