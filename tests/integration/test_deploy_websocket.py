"""Websocket apps: ``chalice deploy``/``delete`` of an API Gateway v2 websocket API.

Against the moto server, with the shims of ``shims_websocket`` (moto 5.2.1
has no CreateDeployment/UpdateStage for API Gateway v2).  Each test runs
the CLI, then checks its output, the state file and what moto holds:
the API, its routes, integrations and stage, the Lambda permissions and
the role's ``execute-api:ManageConnections``.  The fault loop makes every
call of a clean deploy fail in turn and checks that the state file lists
exactly what exists, that a rerun converges and that delete cleans up.

The fault injector names API Gateway v2 requests ``apigateway:?`` (both
versions sign as ``apigateway`` and it resolves operations with the v1
model), so calls are compared here by HTTP method and id-free path.
"""
import re

import pytest
from botocore.exceptions import ClientError

from tests.integration import deploy_checks
from tests.integration.conftest import ACCOUNT_ID, REGION, make_project, run_chalice
from tests.integration.deploy_checks import (
    assert_failed_at_the_kth_call,
    assert_fault_reported,
    assert_rerun_converges,
    changed_nothing,
    each_call_failing,
    existing_functions,
    existing_roles,
    first_mutating_index,
    function_policy_statements,
    json_document,
    recorded_function,
    recorded_role,
    remove_state,
    run_ok,
    share_of,
)
from tests.integration.deploy_checks import existing_websocket_apis as existing_apis
from tests.integration.moto_support import SHIMS, shims_disabled
from tests.integration.shims_websocket import deployed_routes

APP_NAME = 'echo-server'
API_NAME = 'echo-server-dev-websocket-api'
ECHO_APP = '''\
from boto3.session import Session

from chalice import Chalice
from chalice import WebsocketDisconnectedError

app = Chalice(app_name="echo-server")
app.websocket_api.session = Session()
app.experimental_feature_flags.update([
    'WEBSOCKETS'
])
{handlers}
'''
CONNECT = '''

@app.on_ws_connect()
def connect(event):
    print('New connection: %s' % event.connection_id)
'''
MESSAGE = '''

@app.on_ws_message()
def message(event):
    try:
        app.websocket_api.send(
            connection_id=event.connection_id,
            message=event.body,
        )
    except WebsocketDisconnectedError as e:
        pass  # Disconnected so we can't send the message back.
'''
DISCONNECT = '''

@app.on_ws_disconnect()
def disconnect(event):
    print('%s disconnected' % event.connection_id)
'''
FULL_APP = ECHO_APP.format(handlers=CONNECT + MESSAGE + DISCONNECT)
NO_DISCONNECT_APP = ECHO_APP.format(handlers=CONNECT + MESSAGE)
TUTORIAL_APP = ECHO_APP.format(handlers=MESSAGE)
HANDLERS = {'$connect': 'websocket_connect', '$default': 'websocket_message',
            '$disconnect': 'websocket_disconnect'}
REQUIRED_KEYS = {
    'iam_role': {'role_name', 'role_arn'},
    'lambda_function': {'lambda_arn'},
    'websocket_api': {'websocket_api_id', 'websocket_api_url'},
}


# --------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------

def function_name(name):
    return '%s-dev-%s' % (APP_NAME, name)


def function_arn(name):
    return 'arn:aws:lambda:%s:%s:function:%s' % (REGION, ACCOUNT_ID, function_name(name))


def invocation_uri(name):
    return 'arn:aws:apigateway:%s:lambda:path/2015-03-31/functions/%s/invocations' % (
        REGION, function_arn(name))


def ws_url(api_id, stage='api'):
    return 'wss://%s.execute-api.%s.amazonaws.com/%s/' % (api_id, REGION, stage)


def read_records(project):
    """The state file's records, checked against the documented format."""
    return deploy_checks.read_state_records(project, REQUIRED_KEYS)


def deploy(project, aws_env):
    return run_chalice(project, 'deploy', env=aws_env)


def deployed(project, aws_env):
    return run_ok(project, 'deploy', aws_env)


def websocket_api(aws_clients):
    """(api, {route key: route}, {integration id: integration}, [stages])."""
    v2 = aws_clients.apigatewayv2
    [api] = v2.get_apis()['Items']
    api_id = api['ApiId']
    routes = {r['RouteKey']: r for r in v2.get_routes(ApiId=api_id)['Items']}
    integrations = {i['IntegrationId']: i for i in v2.get_integrations(ApiId=api_id)['Items']}
    stages = v2.get_stages(ApiId=api_id)['Items']
    return api, routes, integrations, stages


def _integration_of(integrations, target):
    found = integrations.get(target.split('/', 1)[1])
    return (found['IntegrationType'], found['IntegrationUri']) if found else None


def snapshot(aws_clients):
    """What moto holds, with the ids that differ between deploys left out."""
    iam = aws_clients.iam
    roles = {}
    for name in sorted(existing_roles(aws_clients)):
        roles[name] = {
            policy: json_document(iam.get_role_policy(RoleName=name, PolicyName=policy)[
                'PolicyDocument'])
            for policy in iam.list_role_policies(RoleName=name)['PolicyNames']}
    api_ids = sorted(existing_apis(aws_clients))

    def without_ids(text):
        for api_id in api_ids:
            text = text.replace(api_id, '<api>')
        return text

    functions = {}
    for name in sorted(existing_functions(aws_clients)):
        config = aws_clients['lambda'].get_function(FunctionName=name)['Configuration']
        functions[name] = {
            'Handler': config['Handler'], 'Role': config['Role'],
            'CodeSha256': config['CodeSha256'],
            'permissions': sorted(
                (s['Principal']['Service'], s['Action'],
                 without_ids(s['Condition']['ArnLike']['AWS:SourceArn']))
                for s in function_policy_statements(aws_clients, name))}
    apis = []
    v2 = aws_clients.apigatewayv2
    for api in sorted(v2.get_apis()['Items'], key=lambda a: a['ApiId']):
        api_id = api['ApiId']
        integrations = {i['IntegrationId']: i for i in v2.get_integrations(ApiId=api_id)['Items']}
        routes = v2.get_routes(ApiId=api_id)['Items']
        stages = {}
        for stage in v2.get_stages(ApiId=api_id)['Items']:
            served = deployed_routes(ACCOUNT_ID, REGION, api_id, stage.get('DeploymentId'))
            stages[stage['StageName']] = None if served is None else {
                key: _integration_of(integrations, target) for key, target in served.items()}
        apis.append({
            'name': api['Name'], 'protocol': api['ProtocolType'],
            'selection': api['RouteSelectionExpression'],
            'routes': {r['RouteKey']: _integration_of(integrations, r['Target'])
                       for r in routes},
            'integrations': len(integrations), 'stages': stages})
    return {'roles': roles, 'functions': functions, 'apis': apis}


def assert_state_matches_moto(project, aws_clients):
    """Everything recorded exists; everything that exists is recorded."""
    records = read_records(project)
    roles, functions, apis = set(), set(), set()
    for record in records:
        kind = record['resource_type']
        if kind == 'iam_role':
            roles.add(recorded_role(aws_clients, record))
        elif kind == 'lambda_function':
            functions.add(recorded_function(aws_clients, record))
        else:
            api = aws_clients.apigatewayv2.get_api(ApiId=record['websocket_api_id'])
            assert record['websocket_api_url'] == ws_url(api['ApiId'])
            apis.add(api['ApiId'])
    assert existing_roles(aws_clients) == roles
    assert existing_functions(aws_clients) == functions
    assert existing_apis(aws_clients) == apis
    return records


def assert_nothing_left(project, aws_clients):
    assert existing_roles(aws_clients) == set()
    assert existing_functions(aws_clients) == set()
    assert existing_apis(aws_clients) == set()
    assert read_records(project) == []


_ID_SEGMENT = re.compile(r'/(apis|routes|integrations|deployments|stages)/[^/]+')


def shape(call):
    """A call without the ids moto generates anew on every deploy."""
    return call.service, call.operation, call.method, _ID_SEGMENT.sub(r'/\1/<id>', call.path)


# --------------------------------------------------------------------------
# deploy, redeploy, delete
# --------------------------------------------------------------------------

def test_tutorial_echo_server_output_matches_the_docs(tmp_path, aws_env, aws_clients):
    project = make_project(tmp_path, TUTORIAL_APP, app_name=APP_NAME)
    result = deployed(project, aws_env)
    [api_id] = existing_apis(aws_clients)
    assert result.stdout.splitlines() == [
        'Creating deployment package.',
        'Creating IAM role: echo-server-dev',
        'Creating lambda function: echo-server-dev-websocket_message',
        'Creating websocket api: echo-server-dev-websocket-api',
        'Resources deployed:',
        '  - Lambda ARN: %s' % function_arn('websocket_message'),
        '  - Websocket API URL: %s' % ws_url(api_id),
    ]
    deleted = run_chalice(project, 'delete', env=aws_env)
    assert deleted.returncode == 0, deleted.stderr
    assert deleted.stdout.splitlines() == [
        'Deleting Websocket API: %s' % api_id,
        'Deleting function: %s' % function_arn('websocket_message'),
        'Deleting IAM role: echo-server-dev',
    ]
    assert_nothing_left(project, aws_clients)


def test_deploy_creates_api_routes_integrations_stage_and_permissions(
        tmp_path, aws_env, aws_clients, fault_injector):
    project = make_project(tmp_path, FULL_APP, app_name=APP_NAME)
    result = deployed(project, aws_env)
    lines = result.stdout.splitlines()
    api, routes, integrations, stages = websocket_api(aws_clients)
    api_id = api['ApiId']
    assert 'Creating websocket api: %s' % API_NAME in lines
    assert lines.index('Creating websocket api: %s' % API_NAME) > lines.index(
        'Creating lambda function: %s' % function_name('websocket_disconnect'))
    assert lines[-1] == '  - Websocket API URL: %s' % ws_url(api_id)
    assert ['  - Lambda ARN: %s' % function_arn(n) for n in HANDLERS.values()] == \
        [line for line in lines if line.startswith('  - Lambda ARN: ')]

    # The state file: one record per resource, the API with its id and URL.
    records = assert_state_matches_moto(project, aws_clients)
    assert [r['name'] for r in records] == [
        'default-role', 'websocket_connect', 'websocket_message', 'websocket_disconnect',
        'websocket_api']
    record = records[-1]
    assert record['resource_type'] == 'websocket_api'
    assert record['websocket_api_id'] == api_id
    assert record['websocket_api_url'] == ws_url(api_id)

    # The API, one route per handler, each to a Lambda proxy integration.
    assert api['Name'] == API_NAME
    assert api['ProtocolType'] == 'WEBSOCKET'
    assert api['RouteSelectionExpression'] == '$request.body.action'
    assert set(routes) == set(HANDLERS)
    for key, name in HANDLERS.items():
        integration = integrations[routes[key]['Target'].split('/', 1)[1]]
        assert integration['IntegrationType'] == 'AWS_PROXY'
        assert integration['IntegrationUri'] == invocation_uri(name)
    assert len(integrations) == 3

    # One stage, 'api', serving a deployment of exactly these routes.
    [stage] = stages
    assert stage['StageName'] == 'api'
    deployments = aws_clients.apigatewayv2.get_deployments(ApiId=api_id)['Items']
    assert stage['DeploymentId'] in {d['DeploymentId'] for d in deployments}
    served = deployed_routes(ACCOUNT_ID, REGION, api_id, stage['DeploymentId'])
    assert served == {key: route['Target'] for key, route in routes.items()}

    # API Gateway may invoke each handler, from this API only.
    for name in HANDLERS.values():
        [statement] = function_policy_statements(aws_clients, function_name(name))
        assert statement['Principal'] == {'Service': 'apigateway.amazonaws.com'}
        assert statement['Action'] == 'lambda:InvokeFunction'
        assert statement['Condition']['ArnLike']['AWS:SourceArn'] == \
            'arn:aws:execute-api:%s:%s:%s/*' % (REGION, ACCOUNT_ID, api_id)

    # The handlers may post to connections.
    document = json_document(aws_clients.iam.get_role_policy(
        RoleName='echo-server-dev', PolicyName='echo-server-dev')['PolicyDocument'])
    actions = set()
    for statement in document['Statement']:
        action = statement['Action']
        actions.update([action] if isinstance(action, str) else action)
    assert 'execute-api:ManageConnections' in actions
    for name in HANDLERS.values():
        config = aws_clients['lambda'].get_function(
            FunctionName=function_name(name))['Configuration']
        assert config['Handler'] == 'app.%s' % name.split('_')[1]
        assert config['Role'] == 'arn:aws:iam::%s:role/echo-server-dev' % ACCOUNT_ID

    # A redeploy of the unchanged app changes nothing.
    fault_injector.arm()
    again = deployed(project, aws_env)
    assert fault_injector.mutating_calls == [], [str(c) for c in fault_injector.mutating_calls]
    assert 'No changes to websocket api: %s' % API_NAME in again.stdout.splitlines()
    assert again.stdout.splitlines()[-1] == '  - Websocket API URL: %s' % ws_url(api_id)
    assert read_records(project) == records


def test_removing_and_restoring_the_disconnect_handler(tmp_path, aws_env, aws_clients,
                                                       fault_injector):
    project = make_project(tmp_path, FULL_APP, app_name=APP_NAME)
    deployed(project, aws_env)
    full = snapshot(aws_clients)
    api, _, _, [stage] = websocket_api(aws_clients)

    (project / 'app.py').write_text(NO_DISCONNECT_APP)
    fault_injector.arm()
    result = deployed(project, aws_env)
    lines = result.stdout.splitlines()
    assert 'Updating websocket api: %s' % API_NAME in lines
    assert 'Deleting function: %s' % function_arn('websocket_disconnect') in lines
    same_api, routes, integrations, [new_stage] = websocket_api(aws_clients)
    assert same_api['ApiId'] == api['ApiId']
    assert set(routes) == {'$connect', '$default'}
    assert {i['IntegrationUri'] for i in integrations.values()} == {
        invocation_uri('websocket_connect'), invocation_uri('websocket_message')}
    assert new_stage['DeploymentId'] != stage['DeploymentId']
    assert deployed_routes(ACCOUNT_ID, REGION, api['ApiId'], new_stage['DeploymentId']) == {
        key: route['Target'] for key, route in routes.items()}
    assert function_name('websocket_disconnect') not in existing_functions(aws_clients)
    assert 'websocket_disconnect' not in [r['name'] for r in read_records(project)]
    assert_state_matches_moto(project, aws_clients)
    # Only what the change needs: the route, its integration, a deployment, the function.
    v2_changes = [(c.method, shape(c)[3]) for c in fault_injector.mutating_calls
                  if c.service == 'apigateway']
    assert sorted(v2_changes) == sorted([
        ('DELETE', '/v2/apis/<id>/routes/<id>'), ('DELETE', '/v2/apis/<id>/integrations/<id>'),
        ('POST', '/v2/apis/<id>/deployments'), ('PATCH', '/v2/apis/<id>/stages/<id>')])

    (project / 'app.py').write_text(FULL_APP)
    deployed(project, aws_env)
    assert snapshot(aws_clients) == full
    assert_state_matches_moto(project, aws_clients)


def test_websocket_api_stage_setting(tmp_path, aws_env, aws_clients):
    config = {'version': '2.0', 'app_name': APP_NAME,
              'stages': {'dev': {'api_gateway_stage': 'api', 'websocket_api_stage': 'live'}}}
    project = make_project(tmp_path, TUTORIAL_APP, config=config, app_name=APP_NAME)
    result = deployed(project, aws_env)
    _, _, _, [stage] = websocket_api(aws_clients)
    assert stage['StageName'] == 'live'
    [api_id] = existing_apis(aws_clients)
    assert result.stdout.splitlines()[-1] == '  - Websocket API URL: %s' % ws_url(api_id, 'live')


def test_delete_removes_everything(tmp_path, aws_env, aws_clients):
    project = make_project(tmp_path, FULL_APP, app_name=APP_NAME)
    deployed(project, aws_env)
    [api_id] = existing_apis(aws_clients)
    result = run_chalice(project, 'delete', env=aws_env)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == 'Deleting Websocket API: %s' % api_id
    assert lines[-1] == 'Deleting IAM role: echo-server-dev'
    assert sorted(lines[1:-1]) == sorted('Deleting function: %s' % function_arn(name)
                                         for name in HANDLERS.values())
    assert_nothing_left(project, aws_clients)
    assert aws_clients.apigatewayv2.get_apis()['Items'] == []


def test_delete_tolerates_an_api_already_gone(tmp_path, aws_env, aws_clients):
    project = make_project(tmp_path, TUTORIAL_APP, app_name=APP_NAME)
    deployed(project, aws_env)
    [api_id] = existing_apis(aws_clients)
    aws_clients.apigatewayv2.delete_api(ApiId=api_id)
    result = run_chalice(project, 'delete', env=aws_env)
    assert result.returncode == 0, result.stderr
    assert_nothing_left(project, aws_clients)


def test_api_deleted_behind_our_back_is_recreated(tmp_path, aws_env, aws_clients):
    project = make_project(tmp_path, FULL_APP, app_name=APP_NAME)
    deployed(project, aws_env)
    reference = snapshot(aws_clients)
    [api_id] = existing_apis(aws_clients)
    aws_clients.apigatewayv2.delete_api(ApiId=api_id)
    result = deployed(project, aws_env)
    assert 'Creating websocket api: %s' % API_NAME in result.stdout.splitlines()
    assert_state_matches_moto(project, aws_clients)
    again = snapshot(aws_clients)
    # The old API's grants stay on the functions; the new API has its own.
    for function in again['functions'].values():
        assert ('apigateway.amazonaws.com', 'lambda:InvokeFunction',
                'arn:aws:execute-api:%s:%s:<api>/*' % (REGION, ACCOUNT_ID)) in \
            function['permissions']
    assert again['apis'] == reference['apis']


# --------------------------------------------------------------------------
# every failed call is recoverable
# --------------------------------------------------------------------------

@pytest.mark.parametrize('part', range(2))
def test_every_failed_call_is_recoverable(part, tmp_path, aws_env, aws_clients, fault_injector,
                                          moto_server):
    project = make_project(tmp_path, FULL_APP, app_name=APP_NAME)

    fault_injector.arm()
    deployed(project, aws_env)
    calls = fault_injector.calls
    reference = snapshot(aws_clients)
    [api] = reference['apis']
    assert set(api['routes']) == set(HANDLERS) and api['integrations'] == 3
    assert api['stages'] == {'api': api['routes']}
    v2_calls = [c for c in calls if c.path.startswith('/v2/')]
    assert len(v2_calls) == 9, [str(c) for c in calls]
    first_mutating = first_mutating_index(calls)

    def reset():
        moto_server.reset()
        remove_state(project)

    for attempt in each_call_failing(calls, fault_injector, reset,
                                     lambda: deploy(project, aws_env),
                                     positions=share_of(calls, part)):
        assert_failed_at_the_kth_call(attempt, same=shape)
        assert_fault_reported(attempt, project, first_mutating, run_again=True)
        assert_state_matches_moto(project, aws_clients)
        if changed_nothing(attempt, first_mutating):
            assert_nothing_left(project, aws_clients)
            continue
        assert_rerun_converges(attempt, project, aws_env,
                               lambda: assert_state_matches_moto(project, aws_clients),
                               lambda: snapshot(aws_clients), reference)

        result = run_chalice(project, 'delete', env=aws_env)
        assert result.returncode == 0, (attempt.context, result.stdout + result.stderr)
        assert_nothing_left(project, aws_clients)


# --------------------------------------------------------------------------
# the shims: each works, and each is still needed
# --------------------------------------------------------------------------

WEBSOCKET_SHIMS = ('apigatewayv2-deployments', 'apigatewayv2-update-stage',
                   'apigatewayv2-stage-deployment-id')


def _api_with_route(v2):
    api_id = v2.create_api(Name='shimmed', ProtocolType='WEBSOCKET',
                           RouteSelectionExpression='$request.body.action')['ApiId']
    integration = v2.create_integration(ApiId=api_id, IntegrationType='AWS_PROXY',
                                        IntegrationUri=invocation_uri('websocket_message'))
    v2.create_route(ApiId=api_id, RouteKey='$default',
                    Target='integrations/%s' % integration['IntegrationId'])
    return api_id


def test_websocket_shims_are_applied_and_name_their_gaps():
    for name in WEBSOCKET_SHIMS:
        shim = SHIMS[name]
        assert shim.applied, name
        assert shim.gap.split(':')[0] in shim.targets, (name, shim.gap)


def test_shim_deployments_and_update_stage(aws_clients):
    v2 = aws_clients.apigatewayv2
    api_id = _api_with_route(v2)
    first = v2.create_deployment(ApiId=api_id)['DeploymentId']
    v2.create_stage(ApiId=api_id, StageName='api', DeploymentId=first)
    assert v2.get_stages(ApiId=api_id)['Items'][0]['DeploymentId'] == first
    second = v2.create_deployment(ApiId=api_id)['DeploymentId']
    assert second != first
    updated = v2.update_stage(ApiId=api_id, StageName='api', DeploymentId=second)
    assert updated['DeploymentId'] == second
    assert {d['DeploymentId'] for d in v2.get_deployments(ApiId=api_id)['Items']} == {
        first, second}
    with pytest.raises(ClientError) as unknown:
        v2.update_stage(ApiId=api_id, StageName='api', DeploymentId='nope')
    assert unknown.value.response['Error']['Code'] == 'BadRequestException'
    empty = v2.create_api(Name='empty', ProtocolType='WEBSOCKET',
                          RouteSelectionExpression='$request.body.action')['ApiId']
    with pytest.raises(ClientError) as no_routes:
        v2.create_deployment(ApiId=empty)
    assert no_routes.value.response['Error']['Code'] == 'BadRequestException'


@pytest.mark.parametrize('name, attempt', [
    ('apigatewayv2-deployments', lambda v2, api_id: v2.create_deployment(ApiId=api_id)),
    ('apigatewayv2-update-stage', lambda v2, api_id: v2.update_stage(
        ApiId=api_id, StageName='api', DeploymentId='d')),
])
def test_without_the_shim_moto_cannot(aws_clients, name, attempt):
    v2 = aws_clients.apigatewayv2
    api_id = _api_with_route(v2)
    v2.create_stage(ApiId=api_id, StageName='api', DeploymentId='d')
    with shims_disabled(name):
        with pytest.raises(ClientError) as failed:
            attempt(v2, api_id)
    assert failed.value.response['ResponseMetadata']['HTTPStatusCode'] in (404, 500)


def test_without_the_shim_stages_do_not_say_what_they_serve(aws_clients):
    v2 = aws_clients.apigatewayv2
    api_id = _api_with_route(v2)
    deployment = v2.create_deployment(ApiId=api_id)['DeploymentId']
    v2.create_stage(ApiId=api_id, StageName='api', DeploymentId=deployment)
    with shims_disabled('apigatewayv2-stage-deployment-id'):
        assert 'DeploymentId' not in v2.get_stages(ApiId=api_id)['Items'][0]
    assert v2.get_stages(ApiId=api_id)['Items'][0]['DeploymentId'] == deployment
