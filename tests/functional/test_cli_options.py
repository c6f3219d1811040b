"""Every command's options: names as ``--help`` shows them, defaults, and a few
documented behaviours of single options (FEATURES.md section 1).

The table below is the CLI's public surface (Chalice 1.x names and defaults);
a renamed option or a changed default fails here.
"""
import json
import textwrap

import click
import pytest
from click.testing import CliRunner

from chalice.cli import cli
from chalice.cli.group import COMMANDS
from chalice.errors import ChaliceError
from tests.functional.test_cli_option_spellings import EXPECTED, UNSET

# The option table (every command's spellings, defaults, required options and
# choices, as Chalice 1.34 has them) is test_cli_option_spellings.EXPECTED;
# here each option is also checked as parsed and as --help shows it.
OPTIONS = [(tuple(path.split()), key, expected[1])
           for path, options in sorted(EXPECTED.items())
           for key, expected in sorted(options.items()) if key.startswith('-')]

# Every command that works on a Chalice stage.
STAGE_AWARE = {
    ('deploy',), ('delete',), ('url',), ('gen-policy',), ('dev', 'plan'), ('dev', 'appgraph'),
    ('invoke',), ('logs',), ('local',), ('package',), ('generate-sdk',), ('generate-models',),
}


def command_at(path):
    ctx = click.Context(cli)
    command = cli
    for name in path:
        command = command.get_command(ctx, name)
        assert command is not None, path
    return command


def all_command_paths():
    paths = []
    for name in sorted(COMMANDS):
        command = command_at((name,))
        if isinstance(command, click.Group):
            paths.extend((name, sub) for sub in command.list_commands(click.Context(command)))
        else:
            paths.append((name,))
    return paths


# Arguments a command cannot be parsed without.
REQUIRED_ARGS = {
    ('invoke',): ['-n', 'api_handler'],
    ('package',): ['out'],
    ('generate-sdk',): ['out'],
    ('generate-pipeline',): ['pipeline.json'],
}


def parsed_defaults(path):
    """The values a command gets when the user gives none of its options."""
    command = command_at(path)
    return command.make_context(path[-1], list(REQUIRED_ARGS.get(path, []))).params


def option(path, names):
    for param in command_at(path).params:
        if isinstance(param, click.Option) and sorted(param.opts) == sorted(names):
            return param
    raise AssertionError('%s has no option %s' % (' '.join(path), '/'.join(names)))


@pytest.mark.parametrize('path, key, default', OPTIONS,
                         ids=['%s %s' % (' '.join(row[0]), row[1]) for row in OPTIONS])
def test_option_defaults_as_parsed_and_spellings_as_help_shows_them(path, key, default):
    [param] = [p for p in command_at(path).params
               if isinstance(p, click.Option) and key in p.opts]
    if not param.required:
        assert parsed_defaults(path)[param.name] == (None if default is UNSET else default)
    help_text = CliRunner().invoke(cli, [*path, '--help']).output
    shown = ', '.join(param.opts) + (
        ' / ' + ' / '.join(param.secondary_opts) if param.secondary_opts else '')
    assert shown in help_text


def test_invoke_name_is_required():
    assert option(('invoke',), ['-n', '--name']).required is True


def test_every_stage_aware_command_defaults_to_the_dev_stage():
    with_stage = set()
    for path in all_command_paths():
        params = [p for p in command_at(path).params if p.name == 'stage']
        if params:
            with_stage.add(path)
            assert parsed_defaults(path)['stage'] == 'dev', path
            assert '[default: dev]' in CliRunner().invoke(cli, [*path, '--help']).output
    assert with_stage == STAGE_AWARE


def test_top_level_help_lists_every_command():
    output = CliRunner().invoke(cli, ['--help']).output
    for name in ('new-project', 'local', 'deploy', 'delete', 'url', 'gen-policy', 'dev',
                 'invoke', 'logs', 'package', 'generate-pipeline', 'generate-sdk',
                 'generate-models'):
        assert '\n  %s ' % name in output, name


def test_local_port_accepts_the_documented_equals_form():
    ctx = command_at(('local',)).make_context('local', ['--port=8080'])
    assert ctx.params['port'] == 8080
    assert ctx.params['host'] == '127.0.0.1'


# -- single options ------------------------------------------------------------------

def write_project(root, app_py, config=None):
    (root / '.chalice').mkdir(parents=True, exist_ok=True)
    (root / 'app.py').write_text(textwrap.dedent(app_py))
    config = config or {'version': '2.0', 'app_name': 'opts',
                        'stages': {'dev': {'api_gateway_stage': 'api'}}}
    (root / '.chalice' / 'config.json').write_text(json.dumps(config))
    return root


HELLO = '''\
    from chalice import Chalice

    app = Chalice(app_name='opts')


    @app.route('/')
    def index():
        return {'hello': 'world'}
    '''


def run(project, *args):
    return CliRunner().invoke(cli, ['--project-dir', str(project), *args])


def test_positional_stage_for_deploy_was_removed(tmp_path, monkeypatch):
    """``chalice deploy prod`` (removed in 1.0.0b1) is a usage error, nothing deployed."""
    monkeypatch.setenv('AWS_ENDPOINT_URL', 'http://127.0.0.1:9')
    project = write_project(tmp_path / 'proj', HELLO)
    result = run(project, 'deploy', 'prod')
    assert result.exit_code == 2
    assert 'Got unexpected extra argument (prod)' in result.stderr
    assert sorted(p.name for p in (project / '.chalice').iterdir()) == ['config.json']


GEN_POLICY_APP = '''\
    from chalice import Chalice

    app = Chalice(app_name='opts')


    @app.route('/')
    def index():
        return {}
    '''
OTHER_PY = '''\
    import boto3

    def buckets():
        return boto3.client('s3').list_buckets()
    '''


def policy_actions(output):
    document = json.loads(output)
    return {action for statement in document['Statement'] for action in (
        [statement['Action']] if isinstance(statement['Action'], str)
        else statement['Action'])}


def test_gen_policy_filename_analyses_that_file(tmp_path):
    project = write_project(tmp_path / 'proj', GEN_POLICY_APP)
    (project / 'other.py').write_text(textwrap.dedent(OTHER_PY))
    default = run(project, 'gen-policy')
    assert default.exit_code == 0, default.output
    assert 's3:ListAllMyBuckets' not in policy_actions(default.stdout)
    chosen = run(project, 'gen-policy', '--filename', 'other.py')
    assert chosen.exit_code == 0, chosen.output
    assert 's3:ListAllMyBuckets' in policy_actions(chosen.stdout)


def test_gen_policy_filename_that_does_not_exist(tmp_path):
    project = write_project(tmp_path / 'proj', GEN_POLICY_APP)
    result = run(project, 'gen-policy', '--filename', 'nope.py')
    assert result.exit_code == 2
    assert result.stderr == 'Error: App file does not exist: nope.py\n'
    assert result.stdout == ''


def test_deploy_connection_timeout_reaches_the_aws_client(tmp_path, monkeypatch):
    import chalice.awsclient

    seen = []

    class Recorded(ChaliceError):
        pass

    def recording_client(session, **kwargs):
        seen.append(kwargs)
        raise Recorded('stopped after creating the AWS client')

    monkeypatch.setattr(chalice.awsclient, 'AWSClient', recording_client)
    project = write_project(tmp_path / 'proj', HELLO)
    result = run(project, 'deploy', '--connection-timeout', '7')
    assert result.stderr == 'Error: stopped after creating the AWS client\n'
    assert seen == [{'connection_timeout': 7}]


def test_package_stage_uses_that_stages_settings(tmp_path):
    config = {'version': '2.0', 'app_name': 'opts',
              'stages': {'dev': {'api_gateway_stage': 'api'},
                         'prod': {'api_gateway_stage': 'api', 'lambda_memory_size': 512,
                                  'environment_variables': {'STAGE': 'prod'}}}}
    project = write_project(tmp_path / 'proj', HELLO, config)
    out = tmp_path / 'out'
    result = run(project, 'package', '--stage', 'prod', str(out))
    assert result.exit_code == 0, result.output
    handler = json.loads((out / 'sam.json').read_text())['Resources']['APIHandler']
    properties = handler['Properties']
    assert properties['MemorySize'] == 512
    assert properties['Environment'] == {'Variables': {'STAGE': 'prod'}}
    assert properties['Tags']['aws-chalice'].endswith(':stage=prod:app=opts')


TRAILING_SLASH_APP = '''\
    from chalice import Chalice

    app = Chalice(app_name='opts')


    @app.route('/items/')
    def items():
        return {}
    '''


def test_local_refuses_a_route_deploy_refuses(tmp_path):
    """``chalice local`` checks routes as deploy does: a trailing slash is an error."""
    project = write_project(tmp_path / 'proj', TRAILING_SLASH_APP)
    result = run(project, 'local', '--no-autoreload', '--port', '0')
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        'Error: Unable to import your app.py file: ValueError: Route cannot end with a '
        'trailing slash: /items/ (use /items) (app.py:6)']
    assert 'Serving on' not in result.stdout
