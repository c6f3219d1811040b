"""``chalice generate-sdk`` against moto: GetSdk for the recorded REST API, unpacked.

moto does not implement GetSdk; tests/integration/shims_sdk.py answers it
with a zip laid out like API Gateway's JavaScript SDK, whose apigClient.js
names the REST API, the stage and one method per resource and method.
"""
import os

import pytest
from botocore.exceptions import ClientError

from tests.integration.conftest import make_project, run_chalice
from tests.integration.deploy_checks import load_state, one_error_line, state_path
from tests.integration.moto_support import shims_disabled
from tests.integration.shims_sdk import SDK_FILES
from tests.integration.test_deploy import deploy

# The app of the "SDK Generation" documentation.
SDK_APP = '''\
from chalice import Chalice

app = Chalice(app_name='sdktest')


@app.route('/', cors=True)
def index():
    return {'hello': 'world'}


@app.route('/foo', cors=True)
def foo():
    return {'foo': True}


@app.route('/hello/{name}', cors=True)
def hello_name(name):
    return {'hello': name}


@app.route('/users/{user_id}', methods=['PUT'], cors=True)
def update_user(user_id):
    return {'msg': 'fake updated user', 'userId': user_id}
'''


def files_under(root):
    found = []
    for directory, _, names in os.walk(root):
        found.extend(os.path.relpath(os.path.join(directory, name), root).replace(os.sep, '/')
                     for name in names)
    return sorted(found)


def recorded_api_id(project, stage='dev'):
    [record] = [r for r in load_state(project, stage)['resources']
                if r['resource_type'] == 'rest_api']
    return record['rest_api_id']


@pytest.fixture
def deployed(tmp_path, aws_env):
    project = make_project(tmp_path, SDK_APP, app_name='sdktest')
    deploy(project, aws_env)
    return project


def test_generate_sdk_unpacks_the_javascript_sdk(deployed, tmp_path, aws_env, fault_injector):
    out = tmp_path / 'sdkdemo'
    fault_injector.arm()
    result = run_chalice(deployed, 'generate-sdk', str(out), env=aws_env)
    assert result.returncode == 0, result.stderr
    assert result.stdout == ''
    assert [(c.operation, c.path) for c in fault_injector.calls] == [
        ('GetSdk', '/restapis/%s/stages/api/sdks/javascript' % recorded_api_id(deployed))]
    # The zip's top folder is stripped: OUTDIR holds apigClient.js and friends.
    assert files_under(out) == sorted(SDK_FILES)
    client = (out / 'apigClient.js').read_text()
    assert '// SDK for REST API %s, stage api' % recorded_api_id(deployed) in client
    for method in ('rootGet', 'fooGet', 'helloNameGet', 'usersUserIdPut'):
        assert '// apigClient.%s\n' % method in client
    # Nothing is left beside OUTDIR.
    assert sorted(os.listdir(tmp_path)) == ['sdkdemo', 'sdktest']

    # Again, into the now existing directory: files are replaced, others kept.
    (out / 'index.html').write_text('<html></html>\n')
    (out / 'apigClient.js').write_text('stale\n')
    result = run_chalice(deployed, 'generate-sdk', '--sdk-type', 'javascript', '--stage',
                         'dev', str(out), env=aws_env)
    assert result.returncode == 0, result.stderr
    assert (out / 'apigClient.js').read_text() == client
    assert files_under(out) == sorted(SDK_FILES + ('index.html',))


def test_generate_sdk_uses_the_deployed_api_gateway_stage(tmp_path, aws_env, fault_injector):
    project = make_project(tmp_path, SDK_APP, app_name='sdktest')
    deploy(project, aws_env, '--stage', 'prod', '--api-gateway-stage', 'v2')
    out = tmp_path / 'sdk'
    fault_injector.arm()
    result = run_chalice(project, 'generate-sdk', '--stage', 'prod', str(out), env=aws_env)
    assert result.returncode == 0, result.stderr
    api_id = recorded_api_id(project, 'prod')
    assert [c.path for c in fault_injector.calls] == [
        '/restapis/%s/stages/v2/sdks/javascript' % api_id]
    assert '// SDK for REST API %s, stage v2' % api_id in (out / 'apigClient.js').read_text()


def test_generate_sdk_without_a_deployed_rest_api(tmp_path, aws_env, fault_injector):
    project = make_project(tmp_path, SDK_APP, app_name='sdktest')
    fault_injector.arm()
    result = run_chalice(project, 'generate-sdk', str(tmp_path / 'out'), env=aws_env)
    assert result.returncode == 2
    url = run_chalice(project, 'url', env=aws_env)
    assert one_error_line(result) == one_error_line(url) == (
        "Error: Nothing is deployed for stage 'dev' (no resources recorded in %s). Run "
        "'chalice deploy --stage dev' first." % state_path(project))
    assert fault_injector.count == 0
    assert not (tmp_path / 'out').exists()


def test_generate_sdk_into_a_file(deployed, tmp_path, aws_env, fault_injector):
    target = tmp_path / 'sdk.js'
    target.write_text('keep me\n')
    fault_injector.arm()
    result = run_chalice(deployed, 'generate-sdk', str(target), env=aws_env)
    assert result.returncode == 2
    assert one_error_line(result) == (
        'Error: %s is a file; give generate-sdk a directory to write the SDK into (it is '
        'created when missing).' % target)
    assert fault_injector.count == 0
    assert target.read_text() == 'keep me\n'


def test_generate_sdk_when_the_api_vanished(deployed, tmp_path, aws_env, aws_clients):
    api_id = recorded_api_id(deployed)
    aws_clients.apigateway.delete_rest_api(restApiId=api_id)
    result = run_chalice(deployed, 'generate-sdk', str(tmp_path / 'out'), env=aws_env)
    assert result.returncode == 2
    assert one_error_line(result) == (
        "Error: API Gateway has no REST API %s with the stage 'api' that chalice stage "
        "'dev' recorded; run 'chalice deploy --stage dev' to deploy it again." % api_id)
    assert not (tmp_path / 'out').exists()


def test_generate_sdk_when_aws_refuses(deployed, tmp_path, aws_env, fault_injector):
    fault_injector.fail_when(lambda call: call.operation == 'GetSdk',
                             code='AccessDeniedException', status=403)
    result = run_chalice(deployed, 'generate-sdk', str(tmp_path / 'out'), env=aws_env)
    assert result.returncode == 2
    assert one_error_line(result).startswith(
        'Error: AccessDenied: the AWS credentials in use are not allowed to call '
        'apigateway:GetSdk')
    assert not (tmp_path / 'out').exists()


def test_without_the_shim_moto_has_no_get_sdk(deployed, aws_clients):
    api_id = recorded_api_id(deployed)
    sdk = aws_clients.apigateway.get_sdk(restApiId=api_id, stageName='api',
                                         sdkType='javascript')
    assert sdk['body'].read()[:2] == b'PK'
    with shims_disabled('apigateway-get-sdk'):
        with pytest.raises(ClientError) as failed:
            aws_clients.apigateway.get_sdk(restApiId=api_id, stageName='api',
                                           sdkType='javascript')
    assert failed.value.response['ResponseMetadata']['HTTPStatusCode'] in (404, 500)
