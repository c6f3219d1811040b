"""The integration-test support itself: server, environment, fault injection,
the moto shims (each shown to be needed), and a capability map of the AWS
calls the deployer makes, proven against the server.
"""
import base64
import copy
import hashlib
import io
import json
import os
import socket
import subprocess
import sys
import zipfile

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.integration.moto_support import (
    ACCOUNT_ID,
    REGION,
    REPO_ROOT,
    SHIMS,
    DeployedState,
    make_project,
    run_chalice,
    shims_disabled,
)

TRUST_POLICY = {
    'Version': '2012-10-17',
    'Statement': [{'Sid': '', 'Effect': 'Allow', 'Action': 'sts:AssumeRole',
                   'Principal': {'Service': 'lambda.amazonaws.com'}}],
}
LOGS_POLICY = {
    'Version': '2012-10-17',
    'Statement': [{'Effect': 'Allow', 'Resource': 'arn:*:logs:*:*:*',
                   'Action': ['logs:CreateLogGroup', 'logs:CreateLogStream',
                              'logs:PutLogEvents']}],
}
FUNCTION_ARN = f'arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:app-dev'
AUTH_FUNCTION_ARN = f'arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:app-dev-auth'
POOL_ARN = f'arn:aws:cognito-idp:{REGION}:{ACCOUNT_ID}:userpool/{REGION}_abc'


def invoke_uri(function_arn):
    return (f'arn:aws:apigateway:{REGION}:lambda:path/2015-03-31/functions/'
            f'{function_arn}/invocations')


def proxy_operation(**extra):
    operation = {
        'consumes': ['application/json'],
        'produces': ['application/json'],
        'responses': {'200': {'description': '200 response',
                              'schema': {'$ref': '#/definitions/Empty'}}},
        'x-amazon-apigateway-integration': {
            'responses': {'default': {'statusCode': '200'}},
            'uri': invoke_uri(FUNCTION_ARN),
            'passthroughBehavior': 'when_no_match',
            'httpMethod': 'POST',
            'contentHandling': 'CONVERT_TO_TEXT',
            'type': 'aws_proxy',
        },
    }
    operation.update(extra)
    return operation


CORS_HEADERS = {
    'Access-Control-Allow-Methods': "'GET,PUT,OPTIONS'",
    'Access-Control-Allow-Origin': "'*'",
}


def preflight_operation():
    return {
        'consumes': ['application/json'],
        'produces': ['application/json'],
        'responses': {'200': {
            'description': '200 response', 'schema': {'$ref': '#/definitions/Empty'},
            'headers': {name: {'type': 'string'} for name in CORS_HEADERS}}},
        'x-amazon-apigateway-integration': {
            'responses': {'default': {
                'statusCode': '200',
                'responseParameters': {f'method.response.header.{name}': value
                                       for name, value in CORS_HEADERS.items()}}},
            'requestTemplates': {'application/json': '{"statusCode": 200}'},
            'passthroughBehavior': 'when_no_match',
            'type': 'mock',
        },
    }


def swagger_definition():
    """A Swagger 2.0 definition shaped like the one the deployer generates."""
    return {
        'swagger': '2.0',
        'info': {'version': '1.0', 'title': 'app'},
        'schemes': ['https'],
        'paths': {
            '/': {'get': proxy_operation()},
            '/users/{name}': {
                'parameters': [{'name': 'name', 'in': 'path', 'required': True,
                                'type': 'string'}],
                'get': proxy_operation(security=[{'api_key': []}]),
                'put': proxy_operation(),
                'options': preflight_operation(),
            },
            '/secret': {'get': proxy_operation(security=[{'MyPool': ['openid']}])},
            '/custom': {'post': proxy_operation(security=[{'api_key': []},
                                                          {'myauth': []}])},
            '/iam': {'get': proxy_operation(security=[{'sigv4': []}])},
        },
        'definitions': {'Empty': {'type': 'object', 'title': 'Empty Schema'}},
        'x-amazon-apigateway-binary-media-types': ['application/octet-stream', 'image/png'],
        'securityDefinitions': {
            'api_key': {'type': 'apiKey', 'name': 'x-api-key', 'in': 'header'},
            'sigv4': {'type': 'apiKey', 'name': 'Authorization', 'in': 'header',
                      'x-amazon-apigateway-authtype': 'awsSigv4'},
            'MyPool': {'type': 'apiKey', 'name': 'Authorization', 'in': 'header',
                       'x-amazon-apigateway-authtype': 'cognito_user_pools',
                       'x-amazon-apigateway-authorizer': {
                           'type': 'cognito_user_pools', 'providerARNs': [POOL_ARN]}},
            'myauth': {'type': 'apiKey', 'name': 'Authorization', 'in': 'header',
                       'x-amazon-apigateway-authtype': 'custom',
                       'x-amazon-apigateway-authorizer': {
                           'type': 'token', 'authorizerUri': invoke_uri(AUTH_FUNCTION_ARN),
                           'authorizerResultTtlInSeconds': 60}},
        },
    }


def openapi3_definition(*paths, description=None):
    info = {'title': 'oas', 'version': '1'}
    if description is not None:
        info['description'] = description
    return {
        'openapi': '3.0.1',
        'info': info,
        'paths': {path: {'get': {
            'responses': {'200': {'description': 'ok'}},
            'x-amazon-apigateway-integration': {
                'type': 'AWS_PROXY', 'httpMethod': 'POST', 'uri': invoke_uri(FUNCTION_ARN)}}}
            for path in paths},
    }


def resources_by_path(aws_clients, api_id):
    items = aws_clients.apigateway.get_resources(restApiId=api_id, limit=500)['items']
    return {r['path']: r for r in items}


def import_api(aws_clients, definition, **kwargs):
    return aws_clients.apigateway.import_rest_api(body=json.dumps(definition), **kwargs)


def error_code(excinfo):
    return excinfo.value.response['Error']['Code']


def zip_bytes(source='def handler(event, context):\n    return {}\n', name='app.py'):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, 'w') as archive:
        archive.writestr(zipfile.ZipInfo(name, (2020, 1, 1, 0, 0, 0)), source)
    return buffer.getvalue()


def b64_sha256(data):
    return base64.b64encode(hashlib.sha256(data).digest()).decode('ascii')


def create_role(aws_clients, name='app-dev'):
    return aws_clients.iam.create_role(
        RoleName=name, AssumeRolePolicyDocument=json.dumps(TRUST_POLICY))['Role']['Arn']


def create_function(aws_clients, name='app-dev', **extra):
    role_arn = create_role(aws_clients, f'{name}-role')
    code = zip_bytes()
    params = dict(FunctionName=name, Runtime='python3.12', Role=role_arn,
                  Handler='app.handler', Code={'ZipFile': code}, Timeout=60, MemorySize=128)
    params.update(extra)
    return aws_clients['lambda'].create_function(**params), code


# ---------------------------------------------------------------------------
# Server, reset, environment
# ---------------------------------------------------------------------------

def test_server_listens_on_a_loopback_port(moto_server):
    assert moto_server.endpoint_url == f'http://127.0.0.1:{moto_server.port}'
    with socket.create_connection(('127.0.0.1', moto_server.port), timeout=2):
        pass


def test_lambda_is_configured_without_docker(moto_server):
    assert moto_server.get_config()['lambda'] == {'use_docker': False}


def test_reset_drops_state_and_keeps_the_lambda_config(moto_server, aws_clients):
    create_role(aws_clients)
    moto_server.reset()
    with pytest.raises(ClientError) as excinfo:
        aws_clients.iam.get_role(RoleName='app-dev')
    assert error_code(excinfo) == 'NoSuchEntity'
    assert moto_server.get_config()['lambda'] == {'use_docker': False}


def test_reset_reapplies_the_config_if_it_was_lost(moto_server):
    moto_server.configure({'lambda': {'use_docker': True}})
    moto_server.reset()
    assert moto_server.get_config()['lambda'] == {'use_docker': False}


def test_each_test_starts_from_an_empty_moto(aws_clients):
    # The autouse fixture reset moto: nothing from earlier tests is left.
    assert aws_clients.iam.list_roles()['Roles'] == []
    assert aws_clients['lambda'].list_functions()['Functions'] == []
    assert aws_clients.apigateway.get_rest_apis()['items'] == []


def test_aws_env_points_only_at_the_server(aws_env, moto_server):
    assert aws_env['AWS_ENDPOINT_URL'] == moto_server.endpoint_url
    assert aws_env['AWS_ACCESS_KEY_ID'] == aws_env['AWS_SECRET_ACCESS_KEY'] == 'testing'
    assert aws_env['AWS_SESSION_TOKEN'] == 'testing'
    assert aws_env['AWS_DEFAULT_REGION'] == 'us-west-2'
    assert aws_env['AWS_EC2_METADATA_DISABLED'] == 'true'
    assert 'AWS_PROFILE' not in aws_env and 'AWS_DEFAULT_PROFILE' not in aws_env
    assert not [k for k in aws_env if k.startswith('AWS_ENDPOINT_URL_')]
    assert aws_env['PYTHONPATH'].split(os.pathsep)[0] == str(REPO_ROOT)


def test_boto3_in_this_process_reaches_the_server(moto_server, fault_injector):
    assert os.environ['AWS_ENDPOINT_URL'] == moto_server.endpoint_url
    identity = boto3.client('sts').get_caller_identity()
    assert identity['Account'] == ACCOUNT_ID
    assert [(c.service, c.operation) for c in fault_injector.calls] == [
        ('sts', 'GetCallerIdentity')]


def test_a_subprocess_with_aws_env_reaches_the_server(aws_env, fault_injector):
    code = ("import boto3; print(boto3.client('lambda').list_functions()['Functions'], "
            "boto3.client('sts').get_caller_identity()['Account'])")
    result = subprocess.run([sys.executable, '-c', code], env=aws_env, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ['[]', ACCOUNT_ID]
    assert fault_injector.operations() == ['ListFunctions', 'GetCallerIdentity']


# ---------------------------------------------------------------------------
# Fault injection
# ---------------------------------------------------------------------------

def retrying_client(moto_server, service):
    """A client that would retry a retryable error (standard mode, 5 attempts)."""
    return boto3.client(service, endpoint_url=moto_server.endpoint_url, region_name=REGION,
                        config=Config(retries={'mode': 'standard', 'max_attempts': 5}))


CALLS_BY_PROTOCOL = {
    # service: (protocol, a read call that succeeds on an empty moto)
    'iam': ('query/XML', lambda c: c.list_roles()),
    'sts': ('query/XML', lambda c: c.get_caller_identity()),
    'lambda': ('rest-json', lambda c: c.list_functions()),
    'apigateway': ('rest-json', lambda c: c.get_rest_apis()),
    'logs': ('json', lambda c: c.describe_log_groups()),
}


@pytest.mark.parametrize('service', sorted(CALLS_BY_PROTOCOL))
def test_fail_call_fails_exactly_the_kth_request_and_is_not_retried(
        moto_server, fault_injector, service):
    client = retrying_client(moto_server, service)
    call = CALLS_BY_PROTOCOL[service][1]
    fault_injector.fail_call(2)
    call(client)
    with pytest.raises(ClientError) as excinfo:
        call(client)
    error = excinfo.value.response
    assert error['Error']['Code'] == 'InjectedFault'
    assert 'Fault injected' in error['Error']['Message']
    assert error['ResponseMetadata']['HTTPStatusCode'] == 400
    assert error['ResponseMetadata'].get('RetryAttempts', 0) == 0
    assert fault_injector.count == 2  # no retry of the injected failure
    call(client)  # one failure per arming; everything else passes
    assert fault_injector.count == 3
    assert [c.injected for c in fault_injector.calls] == [False, True, False]
    assert [c.status for c in fault_injector.calls] == [200, 400, 200]
    assert fault_injector.failed is fault_injector.calls[1]


def test_fault_injector_counts_only_aws_requests_and_logs_operations(
        moto_server, aws_clients, fault_injector):
    fault_injector.arm()
    moto_server.get_config()  # /moto-api is not an AWS request
    create_role(aws_clients)
    aws_clients.iam.get_role(RoleName='app-dev')
    aws_clients['lambda'].list_functions()
    import_api(aws_clients, openapi3_definition('/a'))
    aws_clients.apigateway.get_rest_apis()
    aws_clients.logs.create_log_group(logGroupName='/aws/lambda/x')
    calls = fault_injector.calls
    assert fault_injector.count == 6
    assert [(c.service, c.operation, c.method) for c in calls] == [
        ('iam', 'CreateRole', 'POST'),
        ('iam', 'GetRole', 'POST'),
        ('lambda', 'ListFunctions', 'GET'),
        ('apigateway', 'ImportRestApi', 'POST'),
        ('apigateway', 'GetRestApis', 'GET'),
        ('logs', 'CreateLogGroup', 'POST'),
    ]
    assert calls[2].path == '/2015-03-31/functions'
    assert [c.operation for c in fault_injector.mutating_calls] == [
        'CreateRole', 'ImportRestApi', 'CreateLogGroup']
    assert fault_injector.operations('iam') == ['CreateRole', 'GetRole']
    fault_injector.arm()
    assert fault_injector.count == 0 and fault_injector.calls == []


def test_fault_injector_names_rest_operations_by_path(aws_clients, fault_injector):
    apigateway = aws_clients.apigateway
    api_id = import_api(aws_clients, openapi3_definition('/a'))['id']
    fault_injector.arm()
    apigateway.get_rest_api(restApiId=api_id)
    resource_id = resources_by_path(aws_clients, api_id)['/a']['id']
    apigateway.get_method(restApiId=api_id, resourceId=resource_id, httpMethod='GET')
    apigateway.get_integration(restApiId=api_id, resourceId=resource_id, httpMethod='GET')
    apigateway.get_authorizers(restApiId=api_id)
    apigateway.update_rest_api(restApiId=api_id, patchOperations=[
        {'op': 'replace', 'path': '/minimumCompressionSize', 'value': '0'}])
    apigateway.put_rest_api(restApiId=api_id, mode='overwrite',
                            body=json.dumps(openapi3_definition('/b')))
    apigateway.create_deployment(restApiId=api_id, stageName='api')
    apigateway.get_stage(restApiId=api_id, stageName='api')
    apigateway.delete_rest_api(restApiId=api_id)
    assert fault_injector.operations() == [
        'GetRestApi', 'GetResources', 'GetMethod', 'GetIntegration', 'GetAuthorizers',
        'UpdateRestApi', 'PutRestApi', 'CreateDeployment', 'GetStage', 'DeleteRestApi']
    assert [c.operation for c in fault_injector.mutating_calls] == [
        'UpdateRestApi', 'PutRestApi', 'CreateDeployment', 'DeleteRestApi']


def test_fail_when_injects_a_chosen_error_into_a_chosen_operation(
        moto_server, aws_clients, fault_injector):
    client = retrying_client(moto_server, 'iam')
    fault_injector.fail_when(lambda call: call.operation == 'PutRolePolicy',
                             code='AccessDenied', status=403,
                             message='not authorized to perform: iam:PutRolePolicy')
    client.create_role(RoleName='r', AssumeRolePolicyDocument=json.dumps(TRUST_POLICY))
    with pytest.raises(ClientError) as excinfo:
        client.put_role_policy(RoleName='r', PolicyName='p',
                               PolicyDocument=json.dumps(LOGS_POLICY))
    assert error_code(excinfo) == 'AccessDenied'
    assert excinfo.value.response['ResponseMetadata']['HTTPStatusCode'] == 403
    assert 'iam:PutRolePolicy' in excinfo.value.response['Error']['Message']
    # The failed request never reached moto.
    assert aws_clients.iam.list_role_policies(RoleName='r')['PolicyNames'] == []
    assert fault_injector.failed.operation == 'PutRolePolicy'


def test_an_injected_fault_reaches_a_cli_subprocess(tmp_path, aws_env, fault_injector):
    code = ("import boto3, botocore.exceptions as e\n"
            "try:\n    boto3.client('iam').list_roles()\n"
            "except e.ClientError as x:\n    print(x.response['Error']['Code'])\n")
    fault_injector.fail_call(1)
    result = subprocess.run([sys.executable, '-c', code], env=aws_env, capture_output=True,
                            text=True, timeout=60)
    assert result.stdout.strip() == 'InjectedFault', result.stderr
    assert fault_injector.count == 1


# ---------------------------------------------------------------------------
# Shims: each works, and each is still needed (moto's own code fails)
# ---------------------------------------------------------------------------

def test_every_shim_is_applied_and_names_its_gap():
    # The core REST/Lambda shims live in moto_support.py; areas add their own
    # (tests/integration/shims_*.py), each tested beside the area's tests.
    core = {
        'import-description-optional', 'swagger2-import', 'mock-integration-without-uri',
        'import-authorizers-and-binary-types', 'import-endpoint-configuration-types',
        'update-rest-api-patch-ops', 'delete-rest-api-not-found',
        'get-integration-not-found', 'lambda-layers-without-docker',
        'lambda-update-configuration-fields', 'lambda-update-code-architectures',
        'lambda-get-layer-version-by-arn',
    }
    assert set(SHIMS) >= core
    for shim in SHIMS.values():
        assert shim.applied, shim.name
        assert shim.gap.strip() and shim.targets, shim.name
        if shim.name in core:
            # The gap names the moto code it works around.
            assert shim.gap.split(':')[0] in shim.targets + ['APIGatewayBackend.put_rest_api']


def test_shim_import_without_info_description(aws_clients):
    definition = openapi3_definition('/a')
    api = import_api(aws_clients, definition)
    assert api['name'] == 'oas' and not api.get('description')
    described = import_api(aws_clients, openapi3_definition('/a', description='about'))
    assert described['description'] == 'about'
    with shims_disabled('import-description-optional'):
        with pytest.raises(ClientError) as excinfo:
            import_api(aws_clients, definition)
    assert excinfo.value.response['ResponseMetadata']['HTTPStatusCode'] == 500


def test_shim_import_swagger2_creates_resources_methods_and_integrations(aws_clients):
    api = import_api(aws_clients, swagger_definition())
    resources = resources_by_path(aws_clients, api['id'])
    assert sorted(resources) == ['/', '/custom', '/iam', '/secret', '/users', '/users/{name}']
    assert api['rootResourceId'] == resources['/']['id']
    assert sorted(resources['/users/{name}']['resourceMethods']) == ['GET', 'OPTIONS', 'PUT']
    assert 'resourceMethods' not in resources['/users']

    def method(path, http_method):
        return aws_clients.apigateway.get_method(
            restApiId=api['id'], resourceId=resources[path]['id'], httpMethod=http_method)

    root_get = method('/', 'GET')
    assert root_get['authorizationType'] == 'NONE'
    assert root_get['apiKeyRequired'] is False
    assert root_get['methodResponses']['200']['responseModels'] == {
        'application/json': 'Empty'}
    integration = aws_clients.apigateway.get_integration(
        restApiId=api['id'], resourceId=resources['/']['id'], httpMethod='GET')
    assert integration['type'] == 'AWS_PROXY'
    assert integration['uri'] == invoke_uri(FUNCTION_ARN)
    assert integration['httpMethod'] == 'POST'
    assert integration['passthroughBehavior'] == 'WHEN_NO_MATCH'
    assert integration['contentHandling'] == 'CONVERT_TO_TEXT'

    user_get = method('/users/{name}', 'GET')
    assert user_get['apiKeyRequired'] is True
    assert user_get['authorizationType'] == 'NONE'
    assert user_get['requestParameters'] == {'method.request.path.name': True}
    assert method('/users/{name}', 'PUT')['apiKeyRequired'] is False

    authorizers = {a['name']: a['id'] for a in
                   aws_clients.apigateway.get_authorizers(restApiId=api['id'])['items']}
    secret = method('/secret', 'GET')
    assert secret['authorizationType'] == 'COGNITO_USER_POOLS'
    assert secret['authorizerId'] == authorizers['MyPool']
    assert secret['authorizationScopes'] == ['openid']
    custom = method('/custom', 'POST')
    assert custom['authorizationType'] == 'CUSTOM'
    assert custom['authorizerId'] == authorizers['myauth']
    assert custom['apiKeyRequired'] is True
    assert method('/iam', 'GET')['authorizationType'] == 'AWS_IAM'

    with shims_disabled('swagger2-import'):
        with pytest.raises(ClientError) as excinfo:
            import_api(aws_clients, swagger_definition())
    assert error_code(excinfo) == 'BadRequestException'


def test_shim_put_rest_api_overwrite_replaces_resources(aws_clients):
    api_id = import_api(aws_clients, swagger_definition())['id']
    root_id = resources_by_path(aws_clients, api_id)['/']['id']
    smaller = swagger_definition()
    del smaller['paths']['/users/{name}']
    del smaller['paths']['/custom']
    smaller['paths']['/new/deep'] = {'get': proxy_operation()}
    del smaller['securityDefinitions']['myauth']
    smaller['x-amazon-apigateway-binary-media-types'] = ['image/gif']
    pool_id = {a['name']: a['id'] for a in aws_clients.apigateway.get_authorizers(
        restApiId=api_id)['items']}['MyPool']

    aws_clients.apigateway.put_rest_api(restApiId=api_id, mode='overwrite',
                                        body=json.dumps(smaller))

    resources = resources_by_path(aws_clients, api_id)
    assert sorted(resources) == ['/', '/iam', '/new', '/new/deep', '/secret']
    assert resources['/']['id'] == root_id
    api = aws_clients.apigateway.get_rest_api(restApiId=api_id)
    assert api['rootResourceId'] == root_id
    assert api['binaryMediaTypes'] == ['image/gif']
    authorizers = aws_clients.apigateway.get_authorizers(restApiId=api_id)['items']
    # The surviving authorizer keeps its id; the dropped one is gone.
    assert [(a['name'], a['id']) for a in authorizers] == [('MyPool', pool_id)]
    secret = aws_clients.apigateway.get_method(
        restApiId=api_id, resourceId=resources['/secret']['id'], httpMethod='GET')
    assert secret['authorizerId'] == pool_id

    # merge mode adds without duplicating what exists
    aws_clients.apigateway.put_rest_api(restApiId=api_id, mode='merge',
                                        body=json.dumps(openapi3_definition('/iam', '/more')))
    assert sorted(resources_by_path(aws_clients, api_id)) == [
        '/', '/iam', '/more', '/new', '/new/deep', '/secret']

    with shims_disabled('swagger2-import'):
        # moto's own overwrite orphans the root: rootResourceId points nowhere.
        api_id = import_api(aws_clients, openapi3_definition('/a', description='d'))['id']
        aws_clients.apigateway.put_rest_api(
            restApiId=api_id, mode='overwrite',
            body=json.dumps(openapi3_definition('/b', description='d')))
        api = aws_clients.apigateway.get_rest_api(restApiId=api_id)
        assert api['rootResourceId'] not in {
            r['id'] for r in resources_by_path(aws_clients, api_id).values()}


def test_shim_cors_preflight_mock_integration_without_uri(aws_clients):
    api_id = import_api(aws_clients, swagger_definition())['id']
    resource_id = resources_by_path(aws_clients, api_id)['/users/{name}']['id']
    integration = aws_clients.apigateway.get_integration(
        restApiId=api_id, resourceId=resource_id, httpMethod='OPTIONS')
    assert integration['type'] == 'MOCK'
    assert 'uri' not in integration
    assert integration['requestTemplates'] == {'application/json': '{"statusCode": 200}'}
    assert integration['integrationResponses']['200']['responseParameters'] == {
        f'method.response.header.{name}': value for name, value in CORS_HEADERS.items()}
    options = aws_clients.apigateway.get_method(
        restApiId=api_id, resourceId=resource_id, httpMethod='OPTIONS')
    assert options['methodResponses']['200']['responseParameters'] == {
        f'method.response.header.{name}': False for name in CORS_HEADERS}
    # PutIntegration with a MOCK and no uri works directly, too.
    aws_clients.apigateway.put_method(restApiId=api_id, resourceId=resource_id,
                                      httpMethod='DELETE', authorizationType='NONE')
    aws_clients.apigateway.put_integration(restApiId=api_id, resourceId=resource_id,
                                           httpMethod='DELETE', type='MOCK')

    cors_only = openapi3_definition('/a', description='d')
    cors_only['paths']['/a']['options'] = preflight_operation()
    with shims_disabled('mock-integration-without-uri'):
        for definition in (swagger_definition(), cors_only):
            with pytest.raises(ClientError) as excinfo:
                import_api(aws_clients, definition)
            assert excinfo.value.response['ResponseMetadata']['HTTPStatusCode'] == 500
    # a failed import leaves no half-made API behind
    assert [a['id'] for a in aws_clients.apigateway.get_rest_apis()['items']] == [api_id]


def test_shim_authorizers_and_binary_media_types_are_imported(aws_clients):
    api = import_api(aws_clients, swagger_definition())
    assert api['binaryMediaTypes'] == ['application/octet-stream', 'image/png']
    authorizers = {a['name']: a for a in
                   aws_clients.apigateway.get_authorizers(restApiId=api['id'])['items']}
    assert sorted(authorizers) == ['MyPool', 'myauth']
    pool = authorizers['MyPool']
    assert pool['type'] == 'COGNITO_USER_POOLS'
    assert pool['providerARNs'] == [POOL_ARN]
    assert pool['identitySource'] == 'method.request.header.Authorization'
    assert pool['authorizerResultTtlInSeconds'] == 300
    token = authorizers['myauth']
    assert token['type'] == 'TOKEN'
    assert token['authorizerUri'] == invoke_uri(AUTH_FUNCTION_ARN)
    assert token['identitySource'] == 'method.request.header.Authorization'
    assert token['authorizerResultTtlInSeconds'] == 60
    assert token['authType'] == 'custom'

    with shims_disabled('import-authorizers-and-binary-types'):
        dropped = import_api(aws_clients, swagger_definition())
    assert dropped['binaryMediaTypes'] == []
    assert aws_clients.apigateway.get_authorizers(restApiId=dropped['id'])['items'] == []


def test_shim_import_honours_endpoint_configuration_types(aws_clients):
    regional = import_api(aws_clients, swagger_definition(),
                          parameters={'endpointConfigurationTypes': 'REGIONAL'})
    assert regional['endpointConfiguration']['types'] == ['REGIONAL']
    api = aws_clients.apigateway.get_rest_api(restApiId=regional['id'])
    assert api['endpointConfiguration']['types'] == ['REGIONAL']
    assert import_api(aws_clients, swagger_definition())['endpointConfiguration'][
        'types'] == ['EDGE']
    with shims_disabled('import-endpoint-configuration-types'):
        ignored = import_api(aws_clients, swagger_definition(),
                             parameters={'endpointConfigurationTypes': 'PRIVATE'})
    assert ignored['endpointConfiguration']['types'] == ['EDGE']


def test_shim_update_rest_api_patch_operations(aws_clients):
    api_id = import_api(aws_clients, swagger_definition())['id']

    def update(*operations):
        return aws_clients.apigateway.update_rest_api(restApiId=api_id,
                                                      patchOperations=list(operations))

    policy = json.dumps({'Version': '2012-10-17', 'Statement': []})
    api = update({'op': 'replace', 'path': '/minimumCompressionSize', 'value': '1024'},
                 {'op': 'replace', 'path': '/policy', 'value': policy},
                 {'op': 'add', 'path': '/binaryMediaTypes/image~1gif'},
                 {'op': 'remove', 'path': '/binaryMediaTypes/image~1png'},
                 {'op': 'replace', 'path': '/endpointConfiguration/types/EDGE',
                  'value': 'REGIONAL'})
    assert api['minimumCompressionSize'] == 1024
    assert api['policy'] == policy
    assert api['binaryMediaTypes'] == ['application/octet-stream', 'image/gif']
    assert api['endpointConfiguration']['types'] == ['REGIONAL']
    api = update({'op': 'replace', 'path': '/minimumCompressionSize', 'value': ''})
    assert api.get('minimumCompressionSize') is None
    assert aws_clients.apigateway.get_rest_api(restApiId=api_id)['binaryMediaTypes'] == [
        'application/octet-stream', 'image/gif']

    with shims_disabled('update-rest-api-patch-ops'):
        api = update({'op': 'replace', 'path': '/minimumCompressionSize', 'value': '10'},
                     {'op': 'add', 'path': '/binaryMediaTypes/text~1csv'})
        assert api.get('minimumCompressionSize') is None
        assert '' in api['binaryMediaTypes'] and 'text/csv' not in api['binaryMediaTypes']
        api = update({'op': 'remove', 'path': '/binaryMediaTypes/image~1gif'})
        assert 'image/gif' in api['binaryMediaTypes']  # it removed the '' instead
        with pytest.raises(ClientError) as excinfo:  # ValueError in moto
            update({'op': 'remove', 'path': '/binaryMediaTypes/image~1gif'})
        assert excinfo.value.response['ResponseMetadata']['HTTPStatusCode'] == 500


def test_shim_delete_rest_api_of_a_missing_api_is_not_found(aws_clients):
    api_id = import_api(aws_clients, swagger_definition())['id']
    aws_clients.apigateway.delete_rest_api(restApiId=api_id)
    with pytest.raises(ClientError) as excinfo:
        aws_clients.apigateway.delete_rest_api(restApiId=api_id)
    assert error_code(excinfo) == 'NotFoundException'
    with shims_disabled('delete-rest-api-not-found'):
        with pytest.raises(ClientError) as excinfo:
            aws_clients.apigateway.delete_rest_api(restApiId=api_id)
    assert excinfo.value.response['ResponseMetadata']['HTTPStatusCode'] == 500


def test_shim_get_integration_of_a_method_without_one_is_not_found(aws_clients):
    api_id = import_api(aws_clients, openapi3_definition('/a'))['id']
    resource_id = resources_by_path(aws_clients, api_id)['/a']['id']
    aws_clients.apigateway.put_method(restApiId=api_id, resourceId=resource_id,
                                      httpMethod='PUT', authorizationType='NONE')
    with pytest.raises(ClientError) as excinfo:
        aws_clients.apigateway.get_integration(restApiId=api_id, resourceId=resource_id,
                                               httpMethod='PUT')
    assert error_code(excinfo) == 'NotFoundException'
    with shims_disabled('get-integration-not-found'):
        response = aws_clients.apigateway.get_integration(
            restApiId=api_id, resourceId=resource_id, httpMethod='PUT')
    assert 'type' not in response


def test_shim_lambda_layers_work_without_docker(aws_clients):
    layer = aws_clients['lambda'].publish_layer_version(
        LayerName='app-dev-managed-layer', Content={'ZipFile': zip_bytes(name='python/x.py')},
        CompatibleRuntimes=['python3.12'])
    assert layer['Version'] == 1
    function, _ = create_function(aws_clients, Layers=[layer['LayerVersionArn']])
    assert [x['Arn'] for x in function['Layers']] == [layer['LayerVersionArn']]
    config = aws_clients['lambda'].update_function_configuration(FunctionName='app-dev',
                                                                 Layers=[])
    assert config['Layers'] == []
    with shims_disabled('lambda-layers-without-docker'):
        with pytest.raises(ClientError) as excinfo:
            aws_clients['lambda'].update_function_configuration(
                FunctionName='app-dev', Layers=[layer['LayerVersionArn']])
    assert error_code(excinfo) == 'ResourceNotFoundException'


def test_shim_lambda_get_layer_version_by_arn(aws_clients):
    client = aws_clients['lambda']
    content = zip_bytes(name='python/lib.py')
    layer = client.publish_layer_version(LayerName='app-dev-managed-layer',
                                         Content={'ZipFile': content})
    found = client.get_layer_version_by_arn(Arn=layer['LayerVersionArn'])
    assert found['LayerVersionArn'] == layer['LayerVersionArn']
    assert found['Content']['CodeSha256'] == b64_sha256(content)
    assert client.list_layers()['Layers'][0]['LayerName'] == 'app-dev-managed-layer'
    with shims_disabled('lambda-get-layer-version-by-arn'):
        assert 'LayerVersionArn' not in client.get_layer_version_by_arn(
            Arn=layer['LayerVersionArn'])
    # The deployer deletes by the layer ARN (without the version).
    client.delete_layer_version(LayerName=layer['LayerArn'], VersionNumber=layer['Version'])
    with pytest.raises(ClientError) as excinfo:
        client.get_layer_version_by_arn(Arn=layer['LayerVersionArn'])
    assert error_code(excinfo) == 'ResourceNotFoundException'


def test_shim_lambda_update_configuration_fields(aws_clients):
    create_function(aws_clients, TracingConfig={'Mode': 'Active'},
                    EphemeralStorage={'Size': 1024}, Environment={'Variables': {'A': '1'}})
    config = aws_clients['lambda'].update_function_configuration(
        FunctionName='app-dev', TracingConfig={'Mode': 'PassThrough'},
        EphemeralStorage={'Size': 2048}, Environment={})
    assert config['TracingConfig'] == {'Mode': 'PassThrough'}
    assert config['EphemeralStorage'] == {'Size': 2048}
    assert 'Environment' not in config or config['Environment'].get('Variables') == {}
    with shims_disabled('lambda-update-configuration-fields'):
        config = aws_clients['lambda'].update_function_configuration(
            FunctionName='app-dev', TracingConfig={'Mode': 'Active'})
        assert config['TracingConfig'] == {'Mode': 'PassThrough'}
        with pytest.raises(ClientError):
            aws_clients['lambda'].update_function_configuration(FunctionName='app-dev',
                                                                Environment={})


def test_shim_lambda_update_code_architectures(aws_clients):
    create_function(aws_clients)
    config = aws_clients['lambda'].update_function_code(
        FunctionName='app-dev', ZipFile=zip_bytes(), Architectures=['arm64'])
    assert config['Architectures'] == ['arm64']
    with shims_disabled('lambda-update-code-architectures'):
        config = aws_clients['lambda'].update_function_code(
            FunctionName='app-dev', ZipFile=zip_bytes(), Architectures=['x86_64'])
    assert config['Architectures'] == ['arm64']


# ---------------------------------------------------------------------------
# Capability map: the calls the deployer makes, against the server
# ---------------------------------------------------------------------------

def test_sts_caller_identity(aws_clients):
    assert aws_clients.sts.get_caller_identity()['Account'] == ACCOUNT_ID


def test_iam_role_and_inline_policy_calls(aws_clients):
    iam = aws_clients.iam
    arn = create_role(aws_clients)
    assert arn == f'arn:aws:iam::{ACCOUNT_ID}:role/app-dev'
    role = iam.get_role(RoleName='app-dev')['Role']
    assert role['AssumeRolePolicyDocument'] == TRUST_POLICY  # boto3 decodes it
    iam.put_role_policy(RoleName='app-dev', PolicyName='app-dev',
                        PolicyDocument=json.dumps(LOGS_POLICY))
    assert iam.get_role_policy(RoleName='app-dev', PolicyName='app-dev')[
        'PolicyDocument'] == LOGS_POLICY
    assert iam.list_role_policies(RoleName='app-dev')['PolicyNames'] == ['app-dev']
    trust = copy.deepcopy(TRUST_POLICY)
    trust['Statement'][0]['Sid'] = 'Changed'
    iam.update_assume_role_policy(RoleName='app-dev', PolicyDocument=json.dumps(trust))
    assert iam.get_role(RoleName='app-dev')['Role']['AssumeRolePolicyDocument'] == trust
    with pytest.raises(ClientError) as excinfo:
        iam.delete_role(RoleName='app-dev')  # like AWS: inline policies first
    assert error_code(excinfo) == 'DeleteConflict'
    iam.delete_role_policy(RoleName='app-dev', PolicyName='app-dev')
    with pytest.raises(ClientError) as excinfo:
        iam.get_role_policy(RoleName='app-dev', PolicyName='app-dev')
    assert error_code(excinfo) == 'NoSuchEntity'
    iam.delete_role(RoleName='app-dev')
    with pytest.raises(ClientError) as excinfo:
        iam.delete_role(RoleName='app-dev')
    assert error_code(excinfo) == 'NoSuchEntity'


def test_lambda_function_calls_and_waiters(aws_clients):
    client = aws_clients['lambda']
    created, code = create_function(
        aws_clients, Environment={'Variables': {'A': '1'}}, Tags={'aws-chalice': 'v'},
        VpcConfig={'SubnetIds': ['subnet-1'], 'SecurityGroupIds': ['sg-1']},
        Architectures=['x86_64'], TracingConfig={'Mode': 'Active'})
    assert created['CodeSha256'] == b64_sha256(code)
    assert created['CodeSize'] == len(code)
    assert created['State'] == 'Active'
    # botocore's waiters are satisfied at once.
    for waiter in ('function_exists', 'function_active_v2', 'function_updated_v2',
                   'function_active', 'function_updated'):
        client.get_waiter(waiter).wait(FunctionName='app-dev',
                                       WaiterConfig={'Delay': 1, 'MaxAttempts': 2})
    config = client.get_function_configuration(FunctionName='app-dev')
    assert (config['State'], config['LastUpdateStatus']) == ('Active', 'Successful')
    assert config['Environment'] == {'Variables': {'A': '1'}}
    assert config['VpcConfig']['SubnetIds'] == ['subnet-1']
    function = client.get_function(FunctionName='app-dev')
    assert function['Configuration']['CodeSha256'] == b64_sha256(code)
    assert function['Tags'] == {'aws-chalice': 'v'}

    new_code = zip_bytes('def handler(event, context):\n    return 2\n')
    updated = client.update_function_code(FunctionName='app-dev', ZipFile=new_code)
    assert updated['CodeSha256'] == b64_sha256(new_code) != b64_sha256(code)
    updated = client.update_function_configuration(
        FunctionName='app-dev', Runtime='python3.13', Timeout=30, MemorySize=256,
        Handler='app.other', Environment={'Variables': {'B': '2'}},
        VpcConfig={'SubnetIds': [], 'SecurityGroupIds': []})
    config = client.get_function_configuration(FunctionName='app-dev')
    for key, value in (('Runtime', 'python3.13'), ('Timeout', 30), ('MemorySize', 256),
                       ('Handler', 'app.other'), ('Environment', {'Variables': {'B': '2'}})):
        assert updated[key] == config[key] == value, key
    assert not config['VpcConfig']['SubnetIds']

    arn = config['FunctionArn']
    client.tag_resource(Resource=arn, Tags={'extra': 'x'})
    client.untag_resource(Resource=arn, TagKeys=['aws-chalice'])
    assert client.list_tags(Resource=arn)['Tags'] == {'extra': 'x'}

    assert 'ReservedConcurrentExecutions' not in client.get_function_concurrency(
        FunctionName='app-dev')
    client.put_function_concurrency(FunctionName='app-dev', ReservedConcurrentExecutions=5)
    assert client.get_function_concurrency(FunctionName='app-dev')[
        'ReservedConcurrentExecutions'] == 5
    assert client.get_function(FunctionName='app-dev')['Concurrency'] == {
        'ReservedConcurrentExecutions': 5}
    client.delete_function_concurrency(FunctionName='app-dev')
    assert 'Concurrency' not in client.get_function(FunctionName='app-dev')

    client.delete_function(FunctionName=arn)
    with pytest.raises(ClientError) as excinfo:
        client.get_function(FunctionName='app-dev')
    assert error_code(excinfo) == 'ResourceNotFoundException'


def test_lambda_create_function_needs_an_existing_role(aws_clients):
    with pytest.raises(ClientError) as excinfo:
        aws_clients['lambda'].create_function(
            FunctionName='f', Runtime='python3.12', Handler='app.handler',
            Role=f'arn:aws:iam::{ACCOUNT_ID}:role/missing', Code={'ZipFile': zip_bytes()})
    assert error_code(excinfo) == 'InvalidParameterValueException'
    assert 'cannot be assumed' in excinfo.value.response['Error']['Message']


def test_lambda_permission_calls(aws_clients):
    client = aws_clients['lambda']
    create_function(aws_clients)
    with pytest.raises(ClientError) as excinfo:
        client.get_policy(FunctionName='app-dev')
    assert error_code(excinfo) == 'ResourceNotFoundException'
    source_arn = f'arn:aws:execute-api:{REGION}:{ACCOUNT_ID}:abc123/*'
    client.add_permission(FunctionName=FUNCTION_ARN, StatementId='chalice-1',
                          Action='lambda:InvokeFunction',
                          Principal='apigateway.amazonaws.com', SourceArn=source_arn)
    statements = json.loads(client.get_policy(FunctionName='app-dev')['Policy'])['Statement']
    assert statements == [{
        'Sid': 'chalice-1', 'Effect': 'Allow', 'Action': 'lambda:InvokeFunction',
        'Principal': {'Service': 'apigateway.amazonaws.com'}, 'Resource': FUNCTION_ARN,
        'Condition': {'ArnLike': {'AWS:SourceArn': source_arn}}}]
    client.remove_permission(FunctionName='app-dev', StatementId='chalice-1')
    with pytest.raises(ClientError) as excinfo:
        client.remove_permission(FunctionName='app-dev', StatementId='chalice-1')
    assert error_code(excinfo) == 'ResourceNotFoundException'


def test_lambda_layer_calls(aws_clients):
    client = aws_clients['lambda']
    content = zip_bytes(name='python/lib.py')
    first = client.publish_layer_version(LayerName='app-dev-managed-layer',
                                         Content={'ZipFile': content},
                                         CompatibleRuntimes=['python3.12'])
    assert first['Content']['CodeSha256'] == b64_sha256(content)
    second = client.publish_layer_version(LayerName='app-dev-managed-layer',
                                          Content={'ZipFile': content})
    assert (first['Version'], second['Version']) == (1, 2)
    assert second['LayerVersionArn'].endswith(':layer:app-dev-managed-layer:2')
    assert client.get_layer_version(LayerName='app-dev-managed-layer', VersionNumber=1)[
        'LayerVersionArn'] == first['LayerVersionArn']
    client.delete_layer_version(LayerName='app-dev-managed-layer', VersionNumber=1)
    client.delete_layer_version(LayerName='app-dev-managed-layer', VersionNumber=1)  # idem
    versions = client.list_layer_versions(LayerName='app-dev-managed-layer')['LayerVersions']
    assert [v['Version'] for v in versions] == [2]


def test_logs_calls(aws_clients):
    logs = aws_clients.logs
    logs.create_log_group(logGroupName='/aws/lambda/app-dev')
    with pytest.raises(ClientError) as excinfo:
        logs.create_log_group(logGroupName='/aws/lambda/app-dev')
    assert error_code(excinfo) == 'ResourceAlreadyExistsException'
    logs.put_retention_policy(logGroupName='/aws/lambda/app-dev', retentionInDays=14)
    groups = logs.describe_log_groups(logGroupNamePrefix='/aws/lambda/')['logGroups']
    assert [(g['logGroupName'], g['retentionInDays']) for g in groups] == [
        ('/aws/lambda/app-dev', 14)]
    with pytest.raises(ClientError) as excinfo:
        logs.put_retention_policy(logGroupName='/aws/lambda/missing', retentionInDays=14)
    assert error_code(excinfo) == 'ResourceNotFoundException'


def test_rest_api_calls(aws_clients):
    apigateway = aws_clients.apigateway
    api = import_api(aws_clients, swagger_definition(),
                     parameters={'endpointConfigurationTypes': 'REGIONAL'})
    api_id = api['id']
    assert apigateway.get_rest_api(restApiId=api_id)['name'] == 'app'
    resources = resources_by_path(aws_clients, api_id)
    assert apigateway.get_method(restApiId=api_id, resourceId=resources['/']['id'],
                                 httpMethod='GET')['methodIntegration']['type'] == 'AWS_PROXY'
    with pytest.raises(ClientError) as excinfo:
        apigateway.get_stage(restApiId=api_id, stageName='api')
    assert error_code(excinfo) == 'NotFoundException'
    deployment = apigateway.create_deployment(restApiId=api_id, stageName='api')
    stage = apigateway.get_stage(restApiId=api_id, stageName='api')
    assert stage['deploymentId'] == deployment['id']
    assert [s['stageName'] for s in apigateway.get_stages(restApiId=api_id)['item']] == ['api']
    apigateway.put_rest_api(restApiId=api_id, mode='overwrite',
                            body=json.dumps(swagger_definition()))
    redeployed = apigateway.create_deployment(restApiId=api_id, stageName='api')
    assert apigateway.get_stage(restApiId=api_id, stageName='api')[
        'deploymentId'] == redeployed['id'] != deployment['id']
    assert len(apigateway.get_authorizers(restApiId=api_id)['items']) == 2
    apigateway.delete_rest_api(restApiId=api_id)
    with pytest.raises(ClientError) as excinfo:
        apigateway.get_rest_api(restApiId=api_id)
    assert error_code(excinfo) == 'NotFoundException'


def test_create_deployment_of_an_api_without_methods_is_rejected(aws_clients):
    api_id = aws_clients.apigateway.create_rest_api(name='empty')['id']
    with pytest.raises(ClientError) as excinfo:
        aws_clients.apigateway.create_deployment(restApiId=api_id, stageName='api')
    assert error_code(excinfo) == 'BadRequestException'


# ---------------------------------------------------------------------------
# Projects and the CLI
# ---------------------------------------------------------------------------

APP = """\
from chalice import Chalice

app = Chalice(app_name='testapp')


@app.route('/', cors=True)
def index():
    return {'hello': 'world'}
"""


def test_make_project_writes_a_default_project(tmp_path):
    project = make_project(tmp_path, APP, requirements='six==1.16.0\n',
                           files={'chalicelib/__init__.py': ''})
    assert (project / 'app.py').read_text() == APP
    assert json.loads((project / '.chalice' / 'config.json').read_text()) == {
        'version': '2.0', 'app_name': 'testapp',
        'stages': {'dev': {'api_gateway_stage': 'api'}}}
    assert (project / 'requirements.txt').read_text() == 'six==1.16.0\n'
    assert (project / 'chalicelib' / '__init__.py').exists()
    custom = make_project(tmp_path / 'other', APP, config={'version': '2.0', 'app_name': 'x'})
    assert json.loads((custom / '.chalice' / 'config.json').read_text())['app_name'] == 'x'


def test_run_chalice_runs_the_cli_of_this_checkout(tmp_path, aws_env, fault_injector):
    project = make_project(tmp_path, APP)
    result = run_chalice(project, 'gen-policy', env=aws_env, timeout=60)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)['Version'] == '2012-10-17'
    assert fault_injector.count == 0  # gen-policy makes no AWS call


def test_chalice_deploy_and_delete_against_the_server(tmp_path, aws_env, aws_clients,
                                                      fault_injector):
    project = make_project(tmp_path, APP)
    deployed = run_chalice(project, 'deploy', env=aws_env)
    assert deployed.returncode == 0, deployed.stdout + deployed.stderr
    calls = fault_injector.calls
    assert all(c.status is not None and c.status < 500 for c in calls), [
        str(c) for c in calls if not c.status or c.status >= 500]
    (api,) = aws_clients.apigateway.get_rest_apis()['items']
    resources = resources_by_path(aws_clients, api['id'])
    assert sorted(resources['/']['resourceMethods']) == ['GET', 'OPTIONS']
    assert aws_clients.apigateway.get_stage(restApiId=api['id'], stageName='api')
    function = aws_clients['lambda'].get_function(FunctionName='testapp-dev')
    assert function['Configuration']['Role'].endswith(':role/testapp-dev')
    state = DeployedState.load(project)
    assert state.resources, state.data

    fault_injector.arm()
    again = run_chalice(project, 'deploy', env=aws_env)
    assert again.returncode == 0, again.stdout + again.stderr
    assert fault_injector.mutating_calls == [], [str(c) for c in fault_injector.mutating_calls]

    deleted = run_chalice(project, 'delete', env=aws_env)
    assert deleted.returncode == 0, deleted.stdout + deleted.stderr
    assert aws_clients.apigateway.get_rest_apis()['items'] == []
    assert aws_clients['lambda'].list_functions()['Functions'] == []
    assert aws_clients.iam.list_roles()['Roles'] == []
