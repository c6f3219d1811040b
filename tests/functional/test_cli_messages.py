"""Messages every command shares: a missing project, nothing deployed, an unknown profile.

Each command is run in-process through click's runner with AWS pointed at a
closed port, so a message that came from an AWS call could not match.
"""
import json

import pytest
from click.testing import CliRunner

from chalice.cli import cli
from chalice.cli.group import COMMANDS
from chalice.config import missing_project_message
from chalice.deploy.state import DeployedState, state_file_path

# Commands that create or need no project.
NO_PROJECT = {'new-project', 'generate-pipeline'}
# Arguments a command needs before it gets as far as looking for the project.
ARGUMENTS = {
    'invoke': ['-n', 'api_handler'],
    'logs': ['-n', 'api_handler'],
    'package': ['out'],
    'generate-sdk': ['out'],
}
CLOSED_PORT_ENDPOINT = 'http://127.0.0.1:9'


def project_commands():
    """Every command line that works on a project, ``dev`` subcommands included."""
    lines = []
    for name in sorted(COMMANDS):
        if name in NO_PROJECT:
            continue
        if name == 'dev':
            lines.extend([['dev', 'plan'], ['dev', 'appgraph']])
        else:
            lines.append([name] + ARGUMENTS.get(name, []))
    return lines


@pytest.fixture(autouse=True)
def closed_endpoint(monkeypatch):
    monkeypatch.setenv('AWS_ENDPOINT_URL', CLOSED_PORT_ENDPOINT)


def run(project_dir, args, input=None):
    return CliRunner().invoke(cli, ['--project-dir', str(project_dir)] + args, input=input)


def record_function(project_dir, name, function_name):
    """A state file for stage dev recording one deployed Lambda function."""
    DeployedState(state_file_path(str(project_dir), 'dev'), [{
        'name': name, 'resource_type': 'lambda_function',
        'lambda_arn': 'arn:aws:lambda:us-west-2:123456789012:function:%s' % function_name,
    }]).save()


def new_project(root, name='demo'):
    result = CliRunner().invoke(cli, ['new-project', name], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return root / name


@pytest.mark.parametrize('args', project_commands(), ids=' '.join)
def test_every_command_names_a_missing_project_in_the_same_words(tmp_path, args):
    result = run(tmp_path, args)
    assert result.exit_code == 2, result.output
    assert result.stderr == 'Error: %s\n' % missing_project_message(str(tmp_path))
    assert result.stdout == ''


def test_the_missing_project_message_says_how_to_fix_it(tmp_path):
    message = missing_project_message(str(tmp_path))
    assert str(tmp_path) in message and '\n' not in message
    for hint in ('.chalice/config.json', '--project-dir', 'chalice new-project'):
        assert hint in message


@pytest.mark.parametrize('args', [
    ['url'], ['invoke', '-n', 'api_handler'], ['logs', '-n', 'api_handler'],
    ['url', '--stage', 'prod'],
], ids=' '.join)
def test_nothing_deployed_hints_to_deploy_in_the_same_words(tmp_path, monkeypatch, args):
    monkeypatch.chdir(tmp_path)
    project = new_project(tmp_path)
    stage = args[args.index('--stage') + 1] if '--stage' in args else 'dev'
    result = run(project, args)
    assert result.exit_code == 2, result.output
    assert result.stderr == (
        "Error: Nothing is deployed for stage '%s' (no resources recorded in %s). "
        "Run 'chalice deploy --stage %s' first.\n"
        % (stage, state_file_path(str(project), stage), stage))
    assert result.stdout == ''


def test_url_of_a_stage_without_a_rest_api_keeps_its_message(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    project = new_project(tmp_path)
    record_function(project, 'worker', 'demo-dev-worker')
    result = run(project, ['url'])
    assert result.exit_code == 2
    assert result.stderr == "Error: Could not find a record of a Rest API in chalice stage: 'dev'\n"


def test_gen_policy_with_a_config_but_no_app_py_names_the_file(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    project = new_project(tmp_path)
    (project / 'app.py').unlink()
    result = run(project, ['gen-policy'])
    assert result.exit_code == 2
    assert result.stderr == 'Error: App file does not exist: %s\n' % (project / 'app.py')


@pytest.mark.parametrize('args', [['deploy'], ['delete'], ['dev', 'plan']], ids=' '.join)
@pytest.mark.parametrize('variable', ['AWS_PROFILE', 'AWS_DEFAULT_PROFILE'])
def test_unknown_profile_from_the_environment_is_named(tmp_path, monkeypatch, args, variable):
    monkeypatch.chdir(tmp_path)
    project = new_project(tmp_path)
    monkeypatch.delenv('AWS_PROFILE', raising=False)
    monkeypatch.setenv(variable, 'nope')
    result = run(project, args)
    assert result.exit_code == 2, result.output
    assert result.stderr == (
        "Error: The AWS profile 'nope' (from %s) was not found in your AWS config; check the "
        'name, or list your profiles with "aws configure list-profiles".\n' % variable)
    assert not (project / '.chalice' / 'deployed').exists()


def test_unknown_profile_option_is_named(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    project = new_project(tmp_path)
    monkeypatch.setenv('AWS_PROFILE', 'ignored-because-the-option-wins')
    result = run(project, ['deploy', '--profile', 'typo'])
    assert result.exit_code == 2
    assert result.stderr.startswith(
        "Error: The AWS profile 'typo' (from --profile) was not found in your AWS config;")


def test_invoke_with_an_unknown_profile_is_named(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    project = new_project(tmp_path)
    record_function(project, 'api_handler', 'demo-dev')
    monkeypatch.setenv('AWS_PROFILE', 'nope')
    result = run(project, ['invoke', '-n', 'api_handler'], input=json.dumps({}))
    assert result.exit_code == 2, result.output
    assert "The AWS profile 'nope' (from AWS_PROFILE) was not found" in result.stderr


def test_state_file_commands_work_without_the_config(tmp_path):
    """delete, url, invoke and logs read only the state file, which is project enough."""
    url = 'https://abcd123456.execute-api.us-west-2.amazonaws.com/api/'
    DeployedState(state_file_path(str(tmp_path), 'dev'), [{
        'name': 'rest_api', 'resource_type': 'rest_api', 'rest_api_id': 'abcd123456',
        'rest_api_url': url,
    }]).save()
    result = run(tmp_path, ['url'])
    assert result.exit_code == 0, result.output
    assert result.stdout == url + '\n'
    other_stage = run(tmp_path, ['url', '--stage', 'prod'])
    assert other_stage.exit_code == 2
    assert other_stage.stderr.startswith("Error: Nothing is deployed for stage 'prod'")
