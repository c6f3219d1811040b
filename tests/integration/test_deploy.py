"""``chalice deploy``/``delete``/``url``/``dev`` against a moto server.

Each test runs the CLI as a subprocess, then checks its output, the state
file (``.chalice/deployed/<stage>.json``) and what AWS (moto) holds, read
back with boto3.  Mutating AWS calls are counted server-side by the fault
injector, so they include every request the subprocess made.
"""
import base64
import glob
import hashlib
import io
import json
import os
import re
import sys
import zipfile

import pytest

from chalice import __version__ as chalice_version
from tests.integration.conftest import (
    ACCOUNT_ID,
    REGION,
    make_project,
    run_chalice,
)
from tests.integration.deploy_checks import mutating_operations

LOGS_ACTIONS = {'logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents'}
TRUST_PRINCIPAL = {'Service': 'lambda.amazonaws.com'}

HELLO_APP = '''\
from chalice import Chalice

app = Chalice(app_name='{name}')


@app.route('/')
def index():
    return {{'hello': 'world'}}
'''

# An app whose boto3 calls the policy generator must find.
ROUTES_APP = '''\
import boto3
from chalice import Chalice

app = Chalice(app_name='{name}')
_s3 = boto3.client('s3', region_name='us-west-2')
_ddb = boto3.client('dynamodb', region_name='us-west-2')


@app.route('/')
def index():
    return {{'hello': 'world'}}


@app.route('/users/{{name}}', methods=['GET', 'POST'])
def user(name):
    _ddb.get_item(TableName='users', Key={{'name': {{'S': name}}}})
    return {{'name': name}}


@app.route('/buckets/{{bucket}}/keys/{{key}}')
def key(bucket, key):
    _s3.get_object(Bucket=bucket, Key=key)
    return {{}}
'''


# --------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------

def expected_runtime():
    minor = min(max(sys.version_info[1], 10), 14)
    return 'python3.%d' % minor


def chalice_tag(app_name, stage='dev'):
    return 'version=%s:stage=%s:app=%s' % (chalice_version, stage, app_name)


def function_arn(name):
    return 'arn:aws:lambda:%s:%s:function:%s' % (REGION, ACCOUNT_ID, name)


def deploy(project, env, *args):
    result = run_chalice(project, 'deploy', *args, env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert 'Traceback' not in result.stderr
    return result


def out_lines(result):
    return result.stdout.splitlines()


def load_state(project, stage='dev'):
    path = os.path.join(str(project), '.chalice', 'deployed', '%s.json' % stage)
    with open(path) as f:
        return json.load(f)


def records_by_name(state):
    return {r['name']: r for r in state['resources']}


def rest_api_id(project, stage='dev'):
    return records_by_name(load_state(project, stage))['rest_api']['rest_api_id']


def role_policy(aws_clients, role_name):
    iam = aws_clients.iam
    names = iam.list_role_policies(RoleName=role_name)['PolicyNames']
    assert names == [role_name]
    document = iam.get_role_policy(RoleName=role_name, PolicyName=role_name)['PolicyDocument']
    if isinstance(document, str):
        document = json.loads(document)
    return document


def policy_actions(document):
    actions = set()
    for statement in document['Statement']:
        value = statement['Action']
        actions.update([value] if isinstance(value, str) else value)
    return actions


def permission_statements(aws_clients, function_name):
    policy = aws_clients['lambda'].get_policy(FunctionName=function_name)['Policy']
    return json.loads(policy)['Statement']


def apigateway_source_arns(aws_clients, function_name):
    arns = []
    for statement in permission_statements(aws_clients, function_name):
        assert statement['Effect'] == 'Allow'
        assert statement['Action'] == 'lambda:InvokeFunction'
        principal = statement['Principal']
        service = principal.get('Service') if isinstance(principal, dict) else principal
        assert service == 'apigateway.amazonaws.com'
        arns.append(statement['Condition']['ArnLike']['AWS:SourceArn'])
    return arns


def resources_by_path(aws_clients, api_id):
    items = aws_clients.apigateway.get_resources(restApiId=api_id, embed=['methods'])['items']
    return {item['path']: item for item in items}


def deployment_zips(project):
    """The function zips: ``<hash>-<python version>.zip``, as AWS Chalice names them."""
    pattern = os.path.join(str(project), '.chalice', 'deployments', '*.zip')
    zips = [p for p in glob.glob(pattern)
            if not os.path.basename(p).startswith('managed-layer-')]
    for path in zips:
        assert re.fullmatch(r'[0-9a-f]{64}-%s\.zip' % re.escape(expected_runtime()),
                            os.path.basename(path)), path
    return zips


def code_sha256_of(path):
    with open(path, 'rb') as f:
        return base64.b64encode(hashlib.sha256(f.read()).digest()).decode('ascii')


def rebuilt_package_sha(project):
    """Rebuild the deployment package in this process; it must be the same zip."""
    from chalice.deploy.packager import create_deployment_package

    result = create_deployment_package(str(project), expected_runtime())
    return result.code_sha256, result.path


def write_config(project, config):
    path = os.path.join(str(project), '.chalice', 'config.json')
    with open(path, 'w') as f:
        json.dump(config, f, indent=2)


def read_config(project):
    with open(os.path.join(str(project), '.chalice', 'config.json')) as f:
        return json.load(f)


def all_function_names(aws_clients):
    functions = aws_clients['lambda'].list_functions()['Functions']
    return sorted(f['FunctionName'] for f in functions)


def all_role_names(aws_clients):
    return sorted(r['RoleName'] for r in aws_clients.iam.list_roles()['Roles'])


def all_rest_api_ids(aws_clients):
    return sorted(a['id'] for a in aws_clients.apigateway.get_rest_apis()['items'])


# --------------------------------------------------------------------------
# first deploy of a new project
# --------------------------------------------------------------------------

def test_new_project_hello_world_deploy(tmp_path, aws_env, aws_clients):
    created = run_chalice(tmp_path, 'new-project', 'helloworld', env=aws_env)
    assert created.returncode == 0, created.stderr
    project = tmp_path / 'helloworld'
    assert (project / 'app.py').is_file()

    result = deploy(project, aws_env)

    api_id = rest_api_id(project)
    arn = function_arn('helloworld-dev')
    url = 'https://%s.execute-api.us-west-2.amazonaws.com/api/' % api_id
    assert out_lines(result) == [
        'Creating deployment package.',
        'Creating IAM role: helloworld-dev',
        'Creating lambda function: helloworld-dev',
        'Creating Rest API',
        'Resources deployed:',
        '  - Lambda ARN: %s' % arn,
        '  - Rest API URL: %s' % url,
    ]

    # The state file: schema 2.0 with the documented records.
    state = load_state(project)
    assert state['schema_version'] == '2.0'
    assert state['backend'] == 'api'
    records = records_by_name(state)
    assert [r['name'] for r in state['resources']] == ['default-role', 'api_handler', 'rest_api']
    role_arn = 'arn:aws:iam::%s:role/helloworld-dev' % ACCOUNT_ID
    assert records['default-role']['resource_type'] == 'iam_role'
    assert records['default-role']['role_name'] == 'helloworld-dev'
    assert records['default-role']['role_arn'] == role_arn
    # settings_sha256: the digest of the tags and concurrency this deploy set.
    assert re.fullmatch('[0-9a-f]{64}', records['api_handler'].pop('settings_sha256'))
    assert records['api_handler'] == {
        'name': 'api_handler', 'resource_type': 'lambda_function', 'lambda_arn': arn}
    assert records['rest_api']['resource_type'] == 'rest_api'
    assert records['rest_api']['rest_api_url'] == url

    # IAM: the Lambda trust policy and the inline policy (logs only: no boto3).
    role = aws_clients.iam.get_role(RoleName='helloworld-dev')['Role']
    assert role['Arn'] == role_arn
    trust = role['AssumeRolePolicyDocument']
    if isinstance(trust, str):
        trust = json.loads(trust)
    [trust_statement] = trust['Statement']
    assert trust_statement['Principal'] == TRUST_PRINCIPAL
    assert trust_statement['Action'] == 'sts:AssumeRole'
    assert trust_statement['Effect'] == 'Allow'
    policy = role_policy(aws_clients, 'helloworld-dev')
    assert policy['Version'] == '2012-10-17'
    assert policy_actions(policy) == LOGS_ACTIONS
    logs = [s for s in policy['Statement'] if 'logs:PutLogEvents' in s['Action']]
    assert logs and logs[0]['Effect'] == 'Allow'
    assert 'logs:' in json.dumps(logs[0]['Resource'])

    # Lambda: the function's configuration.
    function = aws_clients['lambda'].get_function(FunctionName='helloworld-dev')
    config = function['Configuration']
    assert config['FunctionArn'] == arn
    assert config['Runtime'] == expected_runtime()
    assert config['Handler'] == 'app.app'
    assert config['Role'] == role_arn
    assert config['MemorySize'] == 128
    assert config['Timeout'] == 60
    assert function['Tags'] == {'aws-chalice': chalice_tag('helloworld')}

    # The uploaded code is the zip the deployer built.
    zips = deployment_zips(project)
    assert len(zips) == 1
    assert config['CodeSha256'] == code_sha256_of(zips[0])
    rebuilt_sha, rebuilt_path = rebuilt_package_sha(project)
    assert rebuilt_sha == config['CodeSha256']
    with zipfile.ZipFile(rebuilt_path) as zf:
        names = set(zf.namelist())
    assert {'app.py', 'chalice/__init__.py', 'chalice/app.py'} <= names

    # API Gateway: GET / wired to the function, the stage, the permission.
    resources = resources_by_path(aws_clients, api_id)
    assert set(resources) == {'/'}
    method = resources['/']['resourceMethods']['GET']
    integration = method['methodIntegration']
    assert integration['type'] == 'AWS_PROXY'
    assert integration['httpMethod'] == 'POST'
    assert arn in integration['uri']
    stages = aws_clients.apigateway.get_stages(restApiId=api_id)['item']
    assert [s['stageName'] for s in stages] == ['api']
    assert apigateway_source_arns(aws_clients, 'helloworld-dev') == [
        'arn:aws:execute-api:us-west-2:%s:%s/*' % (ACCOUNT_ID, api_id)]


def test_routes_boto3_calls_and_config(tmp_path, aws_env, aws_clients):
    config = {
        'version': '2.0', 'app_name': 'routes',
        'lambda_memory_size': 256,
        'environment_variables': {'TOP': 'top', 'SHARED': 'from-top'},
        'tags': {'team': 'blue'},
        'stages': {'dev': {'api_gateway_stage': 'api', 'lambda_timeout': 120,
                           'environment_variables': {'SHARED': 'from-dev'},
                           'tags': {'cost-center': '42'}}},
    }
    project = make_project(tmp_path, ROUTES_APP.format(name='routes'), config=config,
                           app_name='routes')
    result = deploy(project, aws_env)
    assert 'Creating Rest API' in out_lines(result)

    policy = role_policy(aws_clients, 'routes-dev')
    assert policy_actions(policy) == LOGS_ACTIONS | {'dynamodb:GetItem', 's3:GetObject'}

    function = aws_clients['lambda'].get_function(FunctionName='routes-dev')
    config = function['Configuration']
    assert config['MemorySize'] == 256
    assert config['Timeout'] == 120
    assert config['Environment']['Variables'] == {'TOP': 'top', 'SHARED': 'from-dev'}
    assert function['Tags'] == {'aws-chalice': chalice_tag('routes'), 'team': 'blue',
                                'cost-center': '42'}
    assert config['CodeSha256'] == rebuilt_package_sha(project)[0]

    api_id = rest_api_id(project)
    arn = function_arn('routes-dev')
    resources = resources_by_path(aws_clients, api_id)
    expected = {
        '/': {'GET'},
        '/users': set(),
        '/users/{name}': {'GET', 'POST'},
        '/buckets': set(),
        '/buckets/{bucket}': set(),
        '/buckets/{bucket}/keys': set(),
        '/buckets/{bucket}/keys/{key}': {'GET'},
    }
    assert {path: set(r.get('resourceMethods') or {}) for path, r in resources.items()} \
        == expected
    for path, methods in expected.items():
        for verb in methods:
            method = resources[path]['resourceMethods'][verb]
            assert method['authorizationType'] == 'NONE'
            integration = method['methodIntegration']
            assert integration['type'] == 'AWS_PROXY'
            assert arn in integration['uri']
            assert integration['uri'].startswith('arn:aws:apigateway:us-west-2:lambda:path/')
    key_method = resources['/buckets/{bucket}/keys/{key}']['resourceMethods']['GET']
    assert key_method['requestParameters'] == {
        'method.request.path.bucket': True, 'method.request.path.key': True}
    stage = aws_clients.apigateway.get_stage(restApiId=api_id, stageName='api')
    assert stage['stageName'] == 'api'


# --------------------------------------------------------------------------
# redeploys
# --------------------------------------------------------------------------

def test_noop_redeploy_makes_no_changes(tmp_path, aws_env, fault_injector):
    project = make_project(tmp_path, ROUTES_APP.format(name='noop'), app_name='noop')
    first = deploy(project, aws_env)
    state_before = load_state(project)

    fault_injector.arm()
    second = deploy(project, aws_env)
    assert fault_injector.mutating_calls == []
    assert fault_injector.count > 0  # it did look at what AWS has
    api_id = rest_api_id(project)
    assert out_lines(second) == [
        'Creating deployment package.',
        'Reusing existing deployment package.',
        'No changes to IAM role: noop-dev',
        'No changes to lambda function: noop-dev',
        'No changes to Rest API: %s' % api_id,
        'Resources deployed:',
        '  - Lambda ARN: %s' % function_arn('noop-dev'),
        '  - Rest API URL: https://%s.execute-api.us-west-2.amazonaws.com/api/' % api_id,
    ]
    assert out_lines(second)[-2:] == out_lines(first)[-2:]
    assert load_state(project) == state_before

    fault_injector.arm()
    url = run_chalice(project, 'url', env=aws_env)
    assert url.returncode == 0, url.stderr
    assert url.stdout == 'https://%s.execute-api.us-west-2.amazonaws.com/api/\n' % api_id
    assert fault_injector.count == 0


def test_redeploy_after_code_edit_and_new_route(tmp_path, aws_env, aws_clients,
                                                 fault_injector):
    project = make_project(tmp_path, HELLO_APP.format(name='edits'), app_name='edits')
    deploy(project, aws_env)
    api_id = rest_api_id(project)
    old_sha = aws_clients['lambda'].get_function(
        FunctionName='edits-dev')['Configuration']['CodeSha256']

    # A change inside a view: new code, same API definition.
    app_py = project / 'app.py'
    app_py.write_text(app_py.read_text().replace("'world'", "'there'"))
    fault_injector.arm()
    result = deploy(project, aws_env)
    assert mutating_operations(fault_injector) == ['UpdateFunctionCode']
    assert 'Updating lambda function: edits-dev' in out_lines(result)
    assert 'No changes to Rest API: %s' % api_id in out_lines(result)
    config = aws_clients['lambda'].get_function(FunctionName='edits-dev')['Configuration']
    assert config['CodeSha256'] != old_sha
    assert config['CodeSha256'] == rebuilt_package_sha(project)[0]

    # A new route: the API definition is put (not re-imported) and redeployed.
    app_py.write_text(app_py.read_text() + (
        "\n\n@app.route('/items/{item_id}', methods=['PUT'])\n"
        "def put_item(item_id):\n    return {'id': item_id}\n"))
    fault_injector.arm()
    result = deploy(project, aws_env)
    assert mutating_operations(fault_injector) == [
        'CreateDeployment', 'PutRestApi', 'UpdateFunctionCode']
    assert 'Updating rest API' in out_lines(result)
    assert rest_api_id(project) == api_id
    assert all_rest_api_ids(aws_clients) == [api_id]
    resources = resources_by_path(aws_clients, api_id)
    item = resources['/items/{item_id}']['resourceMethods']['PUT']
    assert function_arn('edits-dev') in item['methodIntegration']['uri']
    assert 'GET' in resources['/']['resourceMethods']
    # The permission grants the whole API already: it is not added twice.
    assert len(permission_statements(aws_clients, 'edits-dev')) == 1


def test_redeploy_after_config_changes(tmp_path, aws_env, aws_clients, fault_injector):
    project = make_project(tmp_path, HELLO_APP.format(name='cfg'), app_name='cfg')
    deploy(project, aws_env)
    lambda_ = aws_clients['lambda']

    config = read_config(project)
    config['stages']['dev']['lambda_memory_size'] = 512
    write_config(project, config)
    fault_injector.arm()
    result = deploy(project, aws_env)
    assert mutating_operations(fault_injector) == ['UpdateFunctionConfiguration']
    assert 'Updating lambda function: cfg-dev' in out_lines(result)
    assert lambda_.get_function(FunctionName='cfg-dev')['Configuration']['MemorySize'] == 512

    config['stages']['dev']['reserved_concurrency'] = 5
    write_config(project, config)
    fault_injector.arm()
    deploy(project, aws_env)
    assert mutating_operations(fault_injector) == ['PutFunctionConcurrency']
    function = lambda_.get_function(FunctionName='cfg-dev')
    assert function['Concurrency'] == {'ReservedConcurrentExecutions': 5}

    del config['stages']['dev']['reserved_concurrency']
    write_config(project, config)
    fault_injector.arm()
    deploy(project, aws_env)
    assert mutating_operations(fault_injector) == ['DeleteFunctionConcurrency']
    function = lambda_.get_function(FunctionName='cfg-dev')
    assert 'ReservedConcurrentExecutions' not in (function.get('Concurrency') or {})
    assert function['Configuration']['MemorySize'] == 512

    fault_injector.arm()
    deploy(project, aws_env)
    assert fault_injector.mutating_calls == []


def test_redeploy_after_adding_boto3_call(tmp_path, aws_env, aws_clients, fault_injector):
    project = make_project(tmp_path, HELLO_APP.format(name='pol'), app_name='pol')
    deploy(project, aws_env)
    assert policy_actions(role_policy(aws_clients, 'pol-dev')) == LOGS_ACTIONS

    app_py = project / 'app.py'
    app_py.write_text(app_py.read_text() + (
        "\n\n@app.route('/buckets')\n"
        "def buckets():\n"
        "    import boto3\n"
        "    s3 = boto3.client('s3')\n"
        "    return [b['Name'] for b in s3.list_buckets()['Buckets']]\n"))
    fault_injector.arm()
    result = run_chalice(project, 'deploy', env=aws_env)  # stdin is not a terminal
    assert result.returncode == 0, result.stderr
    lines = out_lines(result)
    start = lines.index('Updating IAM policy.')
    assert lines[start:start + 6] == [
        'Updating IAM policy.',
        '',
        'The following action will be added to the execution policy:',
        '',
        's3:ListAllMyBuckets',
        '',
    ]
    assert 'Not running on a terminal: continuing as if you answered yes.' in lines
    assert 'Updating policy for IAM role: pol-dev' in lines
    assert 'PutRolePolicy' in mutating_operations(fault_injector)
    assert 'CreateRole' not in mutating_operations(fault_injector)
    assert policy_actions(role_policy(aws_clients, 'pol-dev')) == \
        LOGS_ACTIONS | {'s3:ListAllMyBuckets'}


# --------------------------------------------------------------------------
# many functions, built-in authorizer
# --------------------------------------------------------------------------

MANY_APP = '''\
from chalice import AuthResponse, Chalice

app = Chalice(app_name='many')


@app.authorizer()
def token_auth(auth_request):
    return AuthResponse(routes=['*'], principal_id='user')

'''
MANY_ROUTES = [('/', 'GET'), ('/a', 'GET'), ('/a/{x}', 'GET'), ('/a/{x}/b', 'POST'),
               ('/c', 'PUT'), ('/c/{y}', 'DELETE'), ('/d', 'GET'), ('/d/e/f', 'GET'),
               ('/g/{z}', 'PATCH'), ('/secret', 'GET')]
PURE_LAMBDAS = ['alpha', 'beta', 'gamma']


def many_app_source():
    source = MANY_APP
    for index, (path, verb) in enumerate(MANY_ROUTES):
        params = ', '.join(part[1:-1] for part in path.split('/') if part.startswith('{'))
        auth = ', authorizer=token_auth' if path == '/secret' else ''
        source += ("@app.route(%r, methods=[%r]%s)\ndef view_%d(%s):\n    return {}\n\n\n"
                   % (path, verb, auth, index, params))
    for name in PURE_LAMBDAS:
        source += ("@app.lambda_function(name=%r)\ndef fn_%s(event, context):\n"
                   "    return {}\n\n\n" % (name, name))
    return source


def test_ten_routes_three_lambdas_and_builtin_authorizer(tmp_path, aws_env, aws_clients,
                                                         fault_injector):
    project = make_project(tmp_path, many_app_source(), app_name='many')
    result = deploy(project, aws_env)
    lines = out_lines(result)
    expected_functions = ['many-dev'] + ['many-dev-%s' % n for n in PURE_LAMBDAS + ['token_auth']]
    for name in expected_functions:
        assert 'Creating lambda function: %s' % name in lines
        assert '  - Lambda ARN: %s' % function_arn(name) in lines
    assert lines.count('Creating IAM role: many-dev') == 1
    assert all_function_names(aws_clients) == sorted(expected_functions)
    assert all_role_names(aws_clients) == ['many-dev']

    records = records_by_name(load_state(project))
    assert set(records) == {'default-role', 'api_handler', 'rest_api', 'token_auth'} | set(
        PURE_LAMBDAS)
    role_arn = records['default-role']['role_arn']
    handlers = {}
    for name in expected_functions:
        config = aws_clients['lambda'].get_function(FunctionName=name)['Configuration']
        assert config['Role'] == role_arn
        handlers[name] = config['Handler']
    assert handlers['many-dev'] == 'app.app'
    assert handlers['many-dev-alpha'] == 'app.fn_alpha'
    assert handlers['many-dev-token_auth'] == 'app.token_auth'

    api_id = records['rest_api']['rest_api_id']
    resources = resources_by_path(aws_clients, api_id)
    for path, verb in MANY_ROUTES:
        method = resources[path]['resourceMethods'][verb]
        assert function_arn('many-dev') in method['methodIntegration']['uri']
        assert method['methodIntegration']['type'] == 'AWS_PROXY'

    [authorizer] = aws_clients.apigateway.get_authorizers(restApiId=api_id)['items']
    assert authorizer['name'] == 'token_auth'
    assert authorizer['type'] == 'TOKEN'
    assert function_arn('many-dev-token_auth') in authorizer['authorizerUri']
    secret = resources['/secret']['resourceMethods']['GET']
    assert secret['authorizationType'] == 'CUSTOM'
    assert secret['authorizerId'] == authorizer['id']
    assert resources['/a']['resourceMethods']['GET']['authorizationType'] == 'NONE'

    prefix = 'arn:aws:execute-api:us-west-2:%s:%s' % (ACCOUNT_ID, api_id)
    assert apigateway_source_arns(aws_clients, 'many-dev-token_auth') == [
        prefix + '/authorizers/*']
    assert apigateway_source_arns(aws_clients, 'many-dev') == [prefix + '/*']
    for name in PURE_LAMBDAS:
        lambda_ = aws_clients['lambda']
        with pytest.raises(lambda_.exceptions.ResourceNotFoundException):
            lambda_.get_policy(FunctionName='many-dev-%s' % name)

    fault_injector.arm()
    result = deploy(project, aws_env)
    assert fault_injector.mutating_calls == []
    for name in expected_functions:
        assert 'No changes to lambda function: %s' % name in out_lines(result)


# --------------------------------------------------------------------------
# stages
# --------------------------------------------------------------------------

def test_stages_get_separate_resources(tmp_path, aws_env, aws_clients):
    config = {
        'version': '2.0', 'app_name': 'staged',
        'environment_variables': {'COMMON': '1'},
        'stages': {
            'dev': {'api_gateway_stage': 'api', 'environment_variables': {'STAGE': 'dev'}},
            'prod': {'api_gateway_stage': 'api', 'environment_variables': {'STAGE': 'prod'},
                     'lambda_memory_size': 1024},
        },
    }
    project = make_project(tmp_path, HELLO_APP.format(name='staged'), config=config,
                           app_name='staged')
    prod = deploy(project, aws_env, '--stage', 'prod', '--api-gateway-stage', 'beta')
    assert 'Creating IAM role: staged-prod' in out_lines(prod)
    assert 'Creating lambda function: staged-prod' in out_lines(prod)
    assert not (project / '.chalice' / 'deployed' / 'dev.json').exists()
    prod_records = records_by_name(load_state(project, 'prod'))
    prod_api = prod_records['rest_api']['rest_api_id']
    prod_url = 'https://%s.execute-api.us-west-2.amazonaws.com/beta/' % prod_api
    assert prod_records['rest_api']['rest_api_url'] == prod_url
    assert '  - Rest API URL: %s' % prod_url in out_lines(prod)
    stages = aws_clients.apigateway.get_stages(restApiId=prod_api)['item']
    assert [s['stageName'] for s in stages] == ['beta']

    dev = deploy(project, aws_env)
    assert 'Creating lambda function: staged-dev' in out_lines(dev)
    dev_records = records_by_name(load_state(project, 'dev'))
    dev_api = dev_records['rest_api']['rest_api_id']
    assert dev_api != prod_api
    assert dev_records['rest_api']['rest_api_url'].endswith('/api/')
    assert all_function_names(aws_clients) == ['staged-dev', 'staged-prod']
    assert all_role_names(aws_clients) == ['staged-dev', 'staged-prod']
    assert all_rest_api_ids(aws_clients) == sorted([dev_api, prod_api])

    lambda_ = aws_clients['lambda']
    prod_config = lambda_.get_function(FunctionName='staged-prod')['Configuration']
    dev_config = lambda_.get_function(FunctionName='staged-dev')['Configuration']
    assert prod_config['Environment']['Variables'] == {'COMMON': '1', 'STAGE': 'prod'}
    assert dev_config['Environment']['Variables'] == {'COMMON': '1', 'STAGE': 'dev'}
    assert prod_config['MemorySize'] == 1024
    assert dev_config['MemorySize'] == 128
    assert prod_config['Role'].endswith(':role/staged-prod')
    assert lambda_.get_function(FunctionName='staged-prod')['Tags']['aws-chalice'] == \
        chalice_tag('staged', 'prod')

    url = run_chalice(project, 'url', '--stage', 'prod', env=aws_env)
    assert url.stdout.strip() == prod_url

    # Deleting one stage leaves the other alone.
    deleted = run_chalice(project, 'delete', '--stage', 'prod', env=aws_env)
    assert deleted.returncode == 0, deleted.stderr
    assert all_function_names(aws_clients) == ['staged-dev']
    assert all_rest_api_ids(aws_clients) == [dev_api]
    assert records_by_name(load_state(project, 'dev')) == dev_records
    assert load_state(project, 'prod')['resources'] == []


def test_debug_deploy_to_a_stage_the_config_does_not_define(tmp_path, aws_env, aws_clients):
    """``chalice --debug deploy --stage prod`` on a new project: the stage is created,
    and --debug prints the Lambda runtime parameters."""
    project = make_project(tmp_path, HELLO_APP.format(name='fresh'), app_name='fresh')
    result = run_chalice(project, 'deploy', '--stage', 'prod', env=aws_env,
                         extra_args=['--debug'])
    assert result.returncode == 0, result.stderr
    assert out_lines(result)[:4] == [
        'Creating deployment package.',
        'Creating IAM role: fresh-prod',
        'Creating lambda function: fresh-prod',
        'Creating Rest API',
    ]
    [runtime_line] = [line for line in result.stderr.splitlines()
                      if line.startswith('[debug] Lambda ')]
    assert re.fullmatch(r'\[debug\] Lambda fresh-prod: runtime=%s architecture=x86_64 '
                        r'handler=app\.app memory=128MB timeout=60s package=\S+\.zip '
                        r'\(\d+ bytes\)' % re.escape(expected_runtime()), runtime_line)
    assert all_function_names(aws_clients) == ['fresh-prod']
    assert all_role_names(aws_clients) == ['fresh-prod']
    assert records_by_name(load_state(project, 'prod'))['rest_api']['rest_api_url'].endswith(
        '/api/')
    assert not (project / '.chalice' / 'deployed' / 'dev.json').exists()

    # Without --debug, no debug output.
    again = deploy(project, aws_env, '--stage', 'prod')
    assert '[debug]' not in again.stderr


# --------------------------------------------------------------------------
# IAM options
# --------------------------------------------------------------------------

def test_precreated_role(tmp_path, aws_env, aws_clients):
    trust = {'Version': '2012-10-17', 'Statement': [{
        'Effect': 'Allow', 'Principal': TRUST_PRINCIPAL, 'Action': 'sts:AssumeRole'}]}
    role_arn = aws_clients.iam.create_role(
        RoleName='my-own-role', AssumeRolePolicyDocument=json.dumps(trust))['Role']['Arn']
    config = {'version': '2.0', 'app_name': 'ownrole',
              'stages': {'dev': {'api_gateway_stage': 'api', 'manage_iam_role': False,
                                 'iam_role_arn': role_arn}}}
    project = make_project(tmp_path, ROUTES_APP.format(name='ownrole'), config=config,
                           app_name='ownrole')
    result = deploy(project, aws_env)
    assert not any('IAM role' in line for line in out_lines(result))
    assert all_role_names(aws_clients) == ['my-own-role']
    assert aws_clients.iam.list_role_policies(RoleName='my-own-role')['PolicyNames'] == []
    config = aws_clients['lambda'].get_function(FunctionName='ownrole-dev')['Configuration']
    assert config['Role'] == role_arn
    state = load_state(project)
    assert [r['resource_type'] for r in state['resources']] == ['lambda_function', 'rest_api']

    deleted = run_chalice(project, 'delete', env=aws_env)
    assert deleted.returncode == 0, deleted.stderr
    assert not any('IAM role' in line for line in out_lines(deleted))
    assert all_role_names(aws_clients) == ['my-own-role']
    assert all_function_names(aws_clients) == []


CUSTOM_POLICY = {
    'Version': '2012-10-17',
    'Statement': [{'Effect': 'Allow', 'Action': ['sqs:SendMessage'], 'Resource': ['*'],
                   'Sid': 'custom'}],
}


def test_autogen_policy_false_uses_policy_file(tmp_path, aws_env, aws_clients):
    config = {'version': '2.0', 'app_name': 'nogen', 'autogen_policy': False,
              'stages': {'dev': {'api_gateway_stage': 'api'}}}
    project = make_project(
        tmp_path, ROUTES_APP.format(name='nogen'), config=config, app_name='nogen',
        files={'.chalice/policy-dev.json': json.dumps(CUSTOM_POLICY)})
    deploy(project, aws_env)
    # A policy file gives each function a role of its own, as AWS Chalice does.
    assert role_policy(aws_clients, 'nogen-dev-api_handler') == CUSTOM_POLICY


def test_no_autogen_policy_flag(tmp_path, aws_env, aws_clients):
    project = make_project(
        tmp_path, ROUTES_APP.format(name='flag'), app_name='flag',
        files={'.chalice/policy-dev.json': json.dumps(CUSTOM_POLICY)})
    deploy(project, aws_env, '--no-autogen-policy')
    assert role_policy(aws_clients, 'flag-dev-api_handler') == CUSTOM_POLICY

    # Without the flag the policy is generated from the code again, on the
    # stage's shared role; the function's own role goes.
    result = deploy(project, aws_env)
    assert 'Creating IAM role: flag-dev' in out_lines(result)
    assert policy_actions(role_policy(aws_clients, 'flag-dev')) == \
        LOGS_ACTIONS | {'dynamodb:GetItem', 's3:GetObject'}
    roles = [r['RoleName'] for r in aws_clients.iam.list_roles()['Roles']]
    assert 'flag-dev-api_handler' not in roles


# --------------------------------------------------------------------------
# function settings
# --------------------------------------------------------------------------

def _vpc(aws_clients):
    ec2 = aws_clients.ec2
    vpc_id = ec2.create_vpc(CidrBlock='10.0.0.0/16')['Vpc']['VpcId']
    subnet_id = ec2.create_subnet(VpcId=vpc_id, CidrBlock='10.0.1.0/24')['Subnet']['SubnetId']
    group_id = ec2.create_security_group(GroupName='chalice-test', Description='test',
                                         VpcId=vpc_id)['GroupId']
    return subnet_id, group_id


def _publish_layer(aws_clients, name):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, 'w') as zf:
        zf.writestr('python/userlayer.py', 'VALUE = 1\n')
    return aws_clients['lambda'].publish_layer_version(
        LayerName=name, Content={'ZipFile': buffer.getvalue()},
        CompatibleRuntimes=[expected_runtime()])['LayerVersionArn']


def test_function_settings(tmp_path, aws_env, aws_clients, fault_injector):
    subnet_id, group_id = _vpc(aws_clients)
    layer_arn = _publish_layer(aws_clients, 'userlayer')
    config = {
        'version': '2.0', 'app_name': 'settings',
        'stages': {'dev': {
            'api_gateway_stage': 'api',
            'xray': True,
            'log_retention_in_days': 14,
            'lambda_ephemeral_storage': 1024,
            'layers': [layer_arn],
            'subnet_ids': [subnet_id],
            'security_group_ids': [group_id],
            'environment_variables': {'MODE': 'test'},
            'tags': {'owner': 'me'},
        }},
    }
    project = make_project(tmp_path, HELLO_APP.format(name='settings'), config=config,
                           app_name='settings')
    deploy(project, aws_env)

    function = aws_clients['lambda'].get_function(FunctionName='settings-dev')
    config = function['Configuration']
    assert config['TracingConfig'] == {'Mode': 'Active'}
    assert config['EphemeralStorage'] == {'Size': 1024}
    assert [layer['Arn'] for layer in config['Layers']] == [layer_arn]
    assert config['VpcConfig']['SubnetIds'] == [subnet_id]
    assert config['VpcConfig']['SecurityGroupIds'] == [group_id]
    assert config['Environment']['Variables'] == {'MODE': 'test'}
    assert function['Tags'] == {'aws-chalice': chalice_tag('settings'), 'owner': 'me'}
    groups = aws_clients.logs.describe_log_groups(
        logGroupNamePrefix='/aws/lambda/settings-dev')['logGroups']
    assert [(g['logGroupName'], g.get('retentionInDays')) for g in groups] == [
        ('/aws/lambda/settings-dev', 14)]
    actions = policy_actions(role_policy(aws_clients, 'settings-dev'))
    assert {'ec2:CreateNetworkInterface', 'ec2:DescribeNetworkInterfaces',
            'ec2:DeleteNetworkInterface'} <= actions
    assert {'xray:PutTraceSegments', 'xray:PutTelemetryRecords'} <= actions

    # Every one of these settings is read back as unchanged.
    fault_injector.arm()
    result = deploy(project, aws_env)
    assert fault_injector.mutating_calls == []
    assert 'No changes to lambda function: settings-dev' in out_lines(result)


# --------------------------------------------------------------------------
# automatic layer
# --------------------------------------------------------------------------

def build_wheel(directory, name, version, module_source):
    """Write a minimal pure-Python wheel ``<name>-<version>-py3-none-any.whl``."""
    dist_info = '%s-%s.dist-info' % (name, version)
    files = {
        '%s.py' % name: module_source,
        '%s/METADATA' % dist_info: 'Metadata-Version: 2.1\nName: %s\nVersion: %s\n'
                                   % (name, version),
        '%s/WHEEL' % dist_info: 'Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\n'
                                'Tag: py3-none-any\n',
    }
    record = ''.join('%s,sha256=%s,%d\n' % (
        path, base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest())
        .rstrip(b'=').decode(), len(text.encode())) for path, text in files.items())
    files['%s/RECORD' % dist_info] = record + '%s/RECORD,,\n' % dist_info
    os.makedirs(str(directory), exist_ok=True)
    path = os.path.join(str(directory), '%s-%s-py3-none-any.whl' % (name, version))
    with zipfile.ZipFile(path, 'w') as zf:
        for arcname, text in sorted(files.items()):
            zf.writestr(arcname, text)
    return path


def local_pip_env(aws_env, wheel_dir):
    env = dict(aws_env)
    env['CHALICE_PIP_EXTRA_ARGS'] = '--no-index --find-links %s' % wheel_dir
    env['PIP_NO_INDEX'] = '1'
    env['PIP_CONFIG_FILE'] = os.devnull
    return env


def test_automatic_layer(tmp_path, aws_env, aws_clients, fault_injector):
    wheel_dir = tmp_path / 'wheels'
    build_wheel(wheel_dir, 'tinydep', '1.0', 'ANSWER = 42\n')
    config = {'version': '2.0', 'app_name': 'layered', 'automatic_layer': True,
              'stages': {'dev': {'api_gateway_stage': 'api'}}}
    project = make_project(tmp_path, HELLO_APP.format(name='layered'), config=config,
                           requirements='tinydep==1.0\n', app_name='layered')
    result = deploy(project, local_pip_env(aws_env, wheel_dir))
    # The wheel is local and pip runs offline: failing to install it is a bug.
    assert 'Could not install dependencies' not in result.stderr, result.stderr

    layer_name = 'layered-dev-managed-layer'
    assert 'Creating lambda layer: %s' % layer_name in out_lines(result)
    versions = aws_clients['lambda'].list_layer_versions(LayerName=layer_name)['LayerVersions']
    assert len(versions) == 1
    layer_arn = versions[0]['LayerVersionArn']
    records = records_by_name(load_state(project))
    assert records['managed-layer'] == {'name': 'managed-layer', 'resource_type': 'lambda_layer',
                                        'layer_version_arn': layer_arn}
    assert '  - Lambda Layer ARN: %s' % layer_arn in out_lines(result)
    config = aws_clients['lambda'].get_function(FunctionName='layered-dev')['Configuration']
    assert [layer['Arn'] for layer in config['Layers']] == [layer_arn]

    # The dependency is in the layer, not in the function's own zip.
    [app_zip] = deployment_zips(project)
    with zipfile.ZipFile(app_zip) as zf:
        assert 'tinydep.py' not in zf.namelist()
    layer_zips = glob.glob(str(project / '.chalice' / 'deployments' /
                               ('managed-layer-*-%s.zip' % expected_runtime())))
    assert len(layer_zips) == 1
    with zipfile.ZipFile(layer_zips[0]) as zf:
        assert zf.read('python/tinydep.py') == b'ANSWER = 42\n'
    layer = aws_clients['lambda'].get_layer_version_by_arn(Arn=layer_arn)
    assert layer['Content']['CodeSha256'] == code_sha256_of(layer_zips[0])

    # Unchanged dependencies: the layer is not published again.
    fault_injector.arm()
    again = deploy(project, local_pip_env(aws_env, wheel_dir))
    assert fault_injector.mutating_calls == []
    assert 'No changes to lambda layer: %s' % layer_name in out_lines(again)

    deleted = run_chalice(project, 'delete', env=aws_env)
    assert deleted.returncode == 0, deleted.stderr
    assert 'Deleting layer version: %s' % layer_arn in out_lines(deleted)
    assert aws_clients['lambda'].list_layer_versions(LayerName=layer_name)[
        'LayerVersions'] == []
    assert load_state(project)['resources'] == []


# --------------------------------------------------------------------------
# delete
# --------------------------------------------------------------------------

def test_delete(tmp_path, aws_env, aws_clients, fault_injector):
    source = HELLO_APP.format(name='gone') + (
        "\n\n@app.lambda_function()\ndef worker(event, context):\n    return {}\n")
    project = make_project(tmp_path, source, app_name='gone')
    deploy(project, aws_env)
    api_id = rest_api_id(project)
    assert all_function_names(aws_clients) == ['gone-dev', 'gone-dev-worker']

    deleted = run_chalice(project, 'delete', env=aws_env)
    assert deleted.returncode == 0, deleted.stderr
    lines = out_lines(deleted)
    assert lines == [
        'Deleting Rest API: %s' % api_id,
        'Deleting function: %s' % function_arn('gone-dev'),
        'Deleting function: %s' % function_arn('gone-dev-worker'),
        'Deleting IAM role: gone-dev',
    ]
    assert all_function_names(aws_clients) == []
    assert all_role_names(aws_clients) == []
    assert all_rest_api_ids(aws_clients) == []
    state = load_state(project)
    assert state == {'resources': [], 'schema_version': '2.0', 'backend': 'api'}
    raw = (project / '.chalice' / 'deployed' / 'dev.json').read_text()
    assert '"resources": []' in raw

    fault_injector.arm()
    again = run_chalice(project, 'delete', env=aws_env)
    assert again.returncode == 0, again.stderr
    assert 'Traceback' not in again.stderr
    assert fault_injector.mutating_calls == []
    assert load_state(project) == state


def test_delete_tolerates_resources_already_gone(tmp_path, aws_env, aws_clients):
    project = make_project(tmp_path, HELLO_APP.format(name='half'), app_name='half')
    deploy(project, aws_env)
    api_id = rest_api_id(project)
    aws_clients.apigateway.delete_rest_api(restApiId=api_id)
    aws_clients['lambda'].delete_function(FunctionName='half-dev')

    deleted = run_chalice(project, 'delete', env=aws_env)
    assert deleted.returncode == 0, deleted.stderr
    assert 'Deleting IAM role: half-dev' in out_lines(deleted)
    assert all_role_names(aws_clients) == []
    assert load_state(project)['resources'] == []


# --------------------------------------------------------------------------
# chalice dev
# --------------------------------------------------------------------------

def test_dev_plan_and_appgraph(tmp_path, aws_env, fault_injector):
    source = ROUTES_APP.format(name='dev') + (
        "\n\n@app.lambda_function()\ndef worker(event, context):\n    return {}\n")
    project = make_project(tmp_path, source, app_name='dev')
    deploy(project, aws_env)
    state_before = (project / '.chalice' / 'deployed' / 'dev.json').read_bytes()

    fault_injector.arm()
    plan = run_chalice(project, 'dev', 'plan', env=aws_env)
    assert plan.returncode == 0, plan.stderr
    lines = out_lines(plan)
    assert 'Plan' in lines
    assert lines[-1] == '0 AWS calls would change resources.'
    assert '# No changes to lambda function: dev-dev-worker' in lines
    assert fault_injector.count > 0
    assert fault_injector.mutating_calls == []

    # With a change pending, the plan shows it but still applies nothing.
    (project / 'app.py').write_text(source.replace("'world'", "'moon'"))
    fault_injector.arm()
    plan = run_chalice(project, 'dev', 'plan', env=aws_env)
    assert plan.returncode == 0, plan.stderr
    # Both functions share the deployment package, so both get the new code.
    assert out_lines(plan)[-1] == '2 AWS calls would change resources.'
    updates = [line for line in out_lines(plan)
               if line.startswith('lambda.update_function_code(')]
    assert len(updates) == 2
    assert any('"FunctionName": "dev-dev"' in line for line in updates)
    assert any('"FunctionName": "dev-dev-worker"' in line for line in updates)
    assert fault_injector.mutating_calls == []
    assert (project / '.chalice' / 'deployed' / 'dev.json').read_bytes() == state_before

    fault_injector.arm()
    graph = run_chalice(project, 'dev', 'appgraph', env=aws_env)
    assert graph.returncode == 0, graph.stderr
    text = graph.stdout
    assert 'Application(app_name=dev, stage=dev)' in text
    for label in ('RestAPI(rest_api)', 'LambdaFunction(api_handler)',
                  'LambdaFunction(worker)', 'ManagedIAMRole(default-role)'):
        assert label in text
    assert '└──' in text
    # The role hangs below the functions that use it.
    graph_lines = text.splitlines()
    api_line = next(i for i, line in enumerate(graph_lines) if 'LambdaFunction(api_handler)'
                    in line)
    role_line = next(i for i in range(api_line, len(graph_lines))
                     if 'ManagedIAMRole(default-role)' in graph_lines[i])
    indent = len(graph_lines[api_line]) - len(graph_lines[api_line].lstrip(' │├└─'))
    assert len(graph_lines[role_line]) - len(graph_lines[role_line].lstrip(' │├└─')) > indent
    assert fault_injector.count == 0
