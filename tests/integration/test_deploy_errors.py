"""Bad input to ``chalice deploy``: a one-line error, exit 2, no AWS call.

Every case runs the CLI as a subprocess against the moto server, with the
fault injector counting the requests that reach it: a problem that can be
found locally must be reported before anything talks to AWS.  No case may
print a traceback unless ``--debug`` is given.
"""
import json
import os

import pytest

from tests.integration.conftest import make_project, run_chalice
from tests.integration.deploy_checks import state_path

APP = '''\
from chalice import Chalice

app = Chalice(app_name='errs')


@app.route('/')
def index():
    return {'hello': 'world'}
'''


def one_error_line(result):
    """The single ``Error: ...`` line on stderr (and no traceback anywhere)."""
    assert 'Traceback' not in result.stderr
    assert 'Traceback' not in result.stdout
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith('Error: '), lines[0]
    return lines[0]


@pytest.fixture
def project(tmp_path):
    return make_project(tmp_path, APP, app_name='errs')


@pytest.fixture
def empty_aws_files(tmp_path):
    config = tmp_path / 'aws-config'
    credentials = tmp_path / 'aws-credentials'
    config.write_text('')
    credentials.write_text('')
    return {'AWS_CONFIG_FILE': str(config), 'AWS_SHARED_CREDENTIALS_FILE': str(credentials)}


def deploy_fails(project, env, fault_injector, *args, code=2, extra_args=()):
    fault_injector.arm()
    result = run_chalice(project, 'deploy', *args, env=env, extra_args=extra_args)
    assert result.returncode == code, result.stdout + result.stderr
    return result


# --------------------------------------------------------------------------
# region, credentials, profile
# --------------------------------------------------------------------------

def test_no_region(project, aws_env, empty_aws_files, fault_injector):
    env = dict(aws_env, **empty_aws_files)
    env.pop('AWS_DEFAULT_REGION', None)
    env.pop('AWS_REGION', None)
    message = one_error_line(deploy_fails(project, env, fault_injector))
    assert 'AWS_DEFAULT_REGION' in message
    assert '--profile' in message
    assert fault_injector.count == 0
    assert not os.path.exists(state_path(project))


def test_no_credentials(project, aws_env, empty_aws_files, fault_injector):
    env = dict(aws_env, **empty_aws_files)
    for name in ('AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN',
                 'AWS_SECURITY_TOKEN', 'AWS_PROFILE'):
        env.pop(name, None)
    message = one_error_line(deploy_fails(project, env, fault_injector))
    assert 'credentials' in message.lower()
    assert '--profile' in message
    assert fault_injector.count == 0


@pytest.mark.parametrize('command', ['deploy', 'delete'])
def test_unknown_profile(project, aws_env, empty_aws_files, fault_injector, command):
    env = dict(aws_env, **empty_aws_files)
    fault_injector.arm()
    result = run_chalice(project, command, '--profile', 'no-such-profile', env=env)
    assert result.returncode == 2, result.stderr
    message = one_error_line(result)
    assert 'no-such-profile' in message
    assert '--profile' in message
    assert fault_injector.count == 0


# --------------------------------------------------------------------------
# the app and its configuration
# --------------------------------------------------------------------------

def test_invalid_routes(tmp_path, aws_env, fault_injector):
    source = APP + (
        "\n\n@app.route('/a/{x}')\ndef by_x(x):\n    return {}\n"
        "\n\n@app.route('/a/{y}', methods=['POST'])\ndef by_y(y):\n    return {}\n")
    project = make_project(tmp_path, source, app_name='errs')
    message = one_error_line(deploy_fails(project, aws_env, fault_injector))
    assert '/a/{x}' in message and '/a/{y}' in message
    assert 'route' in message.lower()
    assert fault_injector.count == 0


def test_config_is_not_json(project, aws_env, fault_injector):
    path = project / '.chalice' / 'config.json'
    path.write_text('{\n  "version": "2.0",\n  "app_name": \n}\n')
    message = one_error_line(deploy_fails(project, aws_env, fault_injector))
    assert 'config.json' in message
    assert 'line 4, column 1' in message
    assert fault_injector.count == 0


@pytest.mark.parametrize('config, key_path', [
    ({'stages': {'dev': {'lambda_memory_size': 'big'}}}, 'stages.dev.lambda_memory_size'),
    ({'stages': {'dev': {'lambda_functions': {'api_handler': {'lambda_timeout': 'x'}}}}},
     'stages.dev.lambda_functions.api_handler.lambda_timeout'),
    ({'environment_variables': {'COUNT': 3}}, 'environment_variables'),
])
def test_config_value_of_wrong_type(project, aws_env, fault_injector, config, key_path):
    full = {'version': '2.0', 'app_name': 'errs'}
    full.update(config)
    (project / '.chalice' / 'config.json').write_text(json.dumps(full))
    message = one_error_line(deploy_fails(project, aws_env, fault_injector))
    assert key_path in message
    assert fault_injector.count == 0


def test_missing_policy_file_with_no_autogen_policy(project, aws_env, fault_injector):
    result = deploy_fails(project, aws_env, fault_injector, '--no-autogen-policy')
    message = one_error_line(result)
    assert '.chalice/policy-dev.json' in message
    assert fault_injector.count == 0
    assert not os.path.exists(state_path(project))


def test_manage_iam_role_false_without_role_arn(project, aws_env, fault_injector):
    config = {'version': '2.0', 'app_name': 'errs',
              'stages': {'dev': {'manage_iam_role': False}}}
    (project / '.chalice' / 'config.json').write_text(json.dumps(config))
    message = one_error_line(deploy_fails(project, aws_env, fault_injector))
    assert 'manage_iam_role' in message
    assert 'iam_role_arn' in message
    assert fault_injector.count == 0


@pytest.mark.parametrize('content', [b'{"resources": [', b'\xff\xfe not json',
                                     b'{"resources": "nope", "schema_version": "2.0"}',
                                     b'["a list"]'])
def test_corrupt_state_file_is_refused_and_kept(project, aws_env, fault_injector, content):
    path = state_path(project)
    os.makedirs(os.path.dirname(path))
    with open(path, 'wb') as f:
        f.write(content)
    message = one_error_line(deploy_fails(project, aws_env, fault_injector))
    assert 'dev.json' in message
    assert fault_injector.count == 0
    with open(path, 'rb') as f:
        assert f.read() == content
    assert os.listdir(os.path.dirname(path)) == ['dev.json']

    delete = run_chalice(project, 'delete', env=aws_env)
    assert delete.returncode == 2
    assert 'dev.json' in one_error_line(delete)
    with open(path, 'rb') as f:
        assert f.read() == content
    assert fault_injector.count == 0


def test_package_over_the_size_limit(project, aws_env, fault_injector):
    big = project / 'chalicelib' / 'blob.bin'
    big.parent.mkdir()
    (project / 'chalicelib' / '__init__.py').write_text('')
    try:
        with open(big, 'wb') as f:
            for _ in range(60):
                f.write(os.urandom(1024 * 1024))
        result = deploy_fails(project, aws_env, fault_injector)
        message = one_error_line(result)
        assert '50 MB' in message
        assert 'chalicelib' in message
        assert fault_injector.count == 0
        # Nothing half-written is left in the package cache.
        cache = project / '.chalice' / 'deployments'
        leftovers = [name for name in os.listdir(cache)] if cache.exists() else []
        assert not [name for name in leftovers if name.endswith('.zip')], leftovers
    finally:
        if big.exists():
            big.unlink()


@pytest.mark.parametrize('requirement', ['tinydpe==1.0', 'tinydep==7.0'])
def test_requirement_pip_cannot_find_at_all(tmp_path, aws_env, fault_injector, requirement):
    from tests.integration.test_deploy import build_wheel, local_pip_env

    wheels = tmp_path / 'wheels'
    build_wheel(wheels, 'tinydep', '1.0', 'ANSWER = 42\n')
    project = make_project(tmp_path, APP, app_name='errs', requirements=requirement + '\n')
    result = deploy_fails(project, local_pip_env(aws_env, wheels), fault_injector)
    message = one_error_line(result)
    assert message.startswith("Error: requirements.txt: pip cannot find '%s' (" % requirement)
    assert fault_injector.count == 0
    assert not os.path.exists(state_path(project))
    assert not os.path.exists(project / '.chalice' / 'deployed')


# --------------------------------------------------------------------------
# AWS says no
# --------------------------------------------------------------------------

@pytest.mark.parametrize('operation, action', [
    ('CreateFunction', 'lambda:CreateFunction'),
    ('CreateRole', 'iam:CreateRole'),
    ('GetRole', 'iam:GetRole'),
])
def test_access_denied_names_the_action(project, aws_env, aws_clients, fault_injector,
                                        operation, action):
    code = 'AccessDeniedException' if action.startswith('lambda:') else 'AccessDenied'
    fault_injector.fail_when(lambda call: call.operation == operation, code=code,
                             message='User is not authorized to perform: %s' % action,
                             status=403)
    result = run_chalice(project, 'deploy', env=aws_env)
    fault_injector.disarm()
    # chalice/errors.py + awsclient.AccessDeniedError: the user must fix
    # permissions, which counts as bad input (exit 2).
    assert result.returncode == 2, result.stderr
    message = one_error_line(result)
    assert action in message
    assert 'AccessDenied' in message
    assert fault_injector.failed is not None
    if operation == 'CreateFunction':
        # The role was made before the failure and the state file says so.
        with open(state_path(project)) as f:
            records = json.load(f)['resources']
        assert [r['name'] for r in records] == ['default-role']
        assert state_path(project) in message


def test_access_denied_during_wait_names_the_real_action(project, aws_env, fault_injector):
    # A code update waits for the function (a new one that Lambda reports
    # Active at once is not polled).
    first = run_chalice(project, 'deploy', env=aws_env)
    assert first.returncode == 0, first.stderr
    with open(project / 'app.py', 'a') as f:
        f.write('\n# changed\n')
    fault_injector.fail_when(lambda call: call.operation == 'GetFunctionConfiguration',
                             code='AccessDeniedException', status=403,
                             message='not authorized to perform: '
                                     'lambda:GetFunctionConfiguration')
    result = run_chalice(project, 'deploy', env=aws_env)
    fault_injector.disarm()
    message = one_error_line(result)
    assert 'call lambda:GetFunctionConfiguration' in message


# --------------------------------------------------------------------------
# --debug
# --------------------------------------------------------------------------

def test_debug_shows_the_traceback(project, aws_env, fault_injector):
    config = {'version': '2.0', 'app_name': 'errs',
              'stages': {'dev': {'manage_iam_role': False}}}
    (project / '.chalice' / 'config.json').write_text(json.dumps(config))
    result = deploy_fails(project, aws_env, fault_injector, extra_args=['--debug'])
    assert 'Traceback (most recent call last):' in result.stderr
    last = [line for line in result.stderr.splitlines() if line.strip()][-1]
    assert last.startswith('Error: ') and 'iam_role_arn' in last
    assert fault_injector.count == 0
