"""HTTP APIs (``"api_gateway_type": "HTTP"``): deploy, redeploy, delete, switch.

Against the moto server, with the shims of ``shims_httpapi`` (and
``shims_websocket``).  Each test runs the CLI, then checks its output, the
state file and what moto holds: the API (protocol, CORS), its routes with
their authorization, the one Lambda proxy integration (payload format 2.0),
the authorizers, the ``$default`` auto-deploy stage and the Lambda
permissions.  The fault loop makes every call of a clean deploy fail in
turn: the state file lists exactly what exists, a rerun converges and
delete cleans up.
"""
import json

import pytest
from botocore.exceptions import ClientError

from tests.integration import deploy_checks
from tests.integration.conftest import ACCOUNT_ID, REGION, make_project, run_chalice
from tests.integration.deploy_checks import (
    assert_failed_at_the_kth_call,
    assert_fault_reported,
    assert_rerun_converges,
    each_call_failing,
    existing_functions,
    existing_rest_apis,
    existing_roles,
    first_mutating_index,
    function_policy_statements,
    one_error_line,
    recorded_function,
    recorded_role,
    remove_state,
    run_ok,
)
from tests.integration.deploy_checks import existing_websocket_apis as existing_v2_apis
from tests.integration.moto_support import SHIMS, shims_disabled

APP_NAME = 'people'
APP = '''\
from chalice import AuthResponse, Chalice, CORSConfig, IAMAuthorizer, JWTAuthorizer

app = Chalice(app_name='people')
jwt = JWTAuthorizer('jwt', 'https://issuer.example.com/', ['client-a'])
{extra}

@app.authorizer(ttl_seconds=30)
def gatekeeper(auth_request):
    return AuthResponse(routes=['*'], principal_id='u')


@app.route('/', cors=CORS)
def index():
    return {{'hello': 'world'}}


@app.route('/people/{{person}}', methods=['GET', 'PUT'], authorizer=jwt,
           authorization_scopes=SCOPES, cors=CORS)
def person(person):
    return {{'person': person}}


@app.route('/admin', authorizer=gatekeeper, cors=CORS)
def admin():
    return {{}}
'''
IAM_ROUTE = '''

@app.route('/signed', authorizer=IAMAuthorizer(), cors=CORS)
def signed():
    return {}
'''
CORS = "CORSConfig(allow_origin='https://people.example', max_age=300)"


def app_source(cors=CORS, scopes="['people:read']", iam=True):
    source = APP.format(extra='CORS = %s\nSCOPES = %s\n' % (cors, scopes))
    return source + (IAM_ROUTE if iam else '')


HTTP_CONFIG = {'version': '2.0', 'app_name': APP_NAME,
               'stages': {'dev': {'api_gateway_type': 'HTTP'}}}
REQUIRED_KEYS = {
    'iam_role': {'role_name', 'role_arn'},
    'lambda_function': {'lambda_arn'},
    'http_api': {'http_api_id', 'http_api_url'},
    'rest_api': {'rest_api_id', 'rest_api_url'},
}


# --------------------------------------------------------------------------
# helpers

def function_name(name=None):
    return '%s-dev' % APP_NAME if name is None else '%s-dev-%s' % (APP_NAME, name)


def function_arn(name=None):
    return 'arn:aws:lambda:%s:%s:function:%s' % (REGION, ACCOUNT_ID, function_name(name))


def api_url(api_id):
    return 'https://%s.execute-api.%s.amazonaws.com/' % (api_id, REGION)


def project_for(tmp_path, source=None, config=None):
    return make_project(tmp_path, source or app_source(), config=config or HTTP_CONFIG,
                        app_name=APP_NAME)


def set_type(project, api_type):
    path = project / '.chalice' / 'config.json'
    config = json.loads(path.read_text())
    config['stages']['dev']['api_gateway_type'] = api_type
    path.write_text(json.dumps(config))


def read_records(project):
    return deploy_checks.read_state_records(project, REQUIRED_KEYS)


def http_api(aws_clients):
    """(api, {route key: route}, {id: integration}, {id: authorizer}, [stages])."""
    v2 = aws_clients.apigatewayv2
    [api] = v2.get_apis()['Items']
    api_id = api['ApiId']
    routes = {r['RouteKey']: r for r in v2.get_routes(ApiId=api_id)['Items']}
    integrations = {i['IntegrationId']: i for i in v2.get_integrations(ApiId=api_id)['Items']}
    authorizers = {a['AuthorizerId']: a for a in v2.get_authorizers(ApiId=api_id)['Items']}
    stages = v2.get_stages(ApiId=api_id)['Items']
    return api, routes, integrations, authorizers, stages


def snapshot(aws_clients):
    """What moto holds for the app, without the ids that change between deploys."""
    api_ids = sorted(existing_v2_apis(aws_clients))

    def without_ids(text):
        for api_id in api_ids:
            text = text.replace(api_id, '<api>')
        return text

    functions = {}
    for name in sorted(existing_functions(aws_clients)):
        config = aws_clients['lambda'].get_function(FunctionName=name)['Configuration']
        functions[name] = {
            'Handler': config['Handler'],
            'permissions': sorted(
                (s['Principal']['Service'], without_ids(s['Condition']['ArnLike'][
                    'AWS:SourceArn'])) for s in function_policy_statements(aws_clients, name))}
    apis = []
    for _ in api_ids:
        api, routes, integrations, authorizers, stages = http_api(aws_clients)
        by_id = {a['AuthorizerId']: a['Name'] for a in authorizers.values()}
        apis.append({
            'name': api['Name'], 'protocol': api['ProtocolType'],
            'cors': api.get('CorsConfiguration'),
            'routes': {key: (route['AuthorizationType'], by_id.get(route.get('AuthorizerId'))
                             if route['AuthorizationType'] not in ('NONE', 'AWS_IAM') else None,
                             sorted(route.get('AuthorizationScopes') or [])
                             if route['AuthorizationType'] == 'JWT' else [],
                             _integration(integrations, route['Target']))
                       for key, route in routes.items()},
            'integrations': len(integrations),
            'authorizers': {a['Name']: (a['AuthorizerType'], a.get('IdentitySource'),
                                        a.get('JwtConfiguration'), a.get('AuthorizerUri'),
                                        a.get('AuthorizerPayloadFormatVersion'),
                                        a.get('EnableSimpleResponses'),
                                        a.get('AuthorizerResultTtlInSeconds'))
                            for a in authorizers.values()},
            'stages': {s['StageName']: s.get('AutoDeploy') for s in stages}})
    return {'roles': sorted(existing_roles(aws_clients)), 'functions': functions, 'apis': apis}


def _integration(integrations, target):
    found = integrations.get(target.split('/', 1)[1])
    if found is None:
        return None
    return found['IntegrationType'], found['IntegrationUri'], found['PayloadFormatVersion']


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
        elif kind == 'http_api':
            api = aws_clients.apigatewayv2.get_api(ApiId=record['http_api_id'])
            assert record['http_api_url'] == api_url(api['ApiId'])
            apis.add(api['ApiId'])
    assert existing_roles(aws_clients) == roles
    assert existing_functions(aws_clients) == functions
    assert existing_v2_apis(aws_clients) == apis
    return records


def assert_nothing_left(project, aws_clients):
    assert existing_roles(aws_clients) == set()
    assert existing_functions(aws_clients) == set()
    assert existing_v2_apis(aws_clients) == set()
    assert existing_rest_apis(aws_clients) == set()
    assert read_records(project) == []


# --------------------------------------------------------------------------
# deploy, redeploy, url, delete

def test_deploy_creates_the_http_api(tmp_path, aws_env, aws_clients, fault_injector):
    project = project_for(tmp_path)
    result = run_ok(project, 'deploy', aws_env)
    api, routes, integrations, authorizers, stages = http_api(aws_clients)
    api_id = api['ApiId']
    lines = result.stdout.splitlines()
    # The API handler before its authorizer, as AWS Chalice orders them.
    assert lines[-4:] == ['Resources deployed:',
                          '  - Lambda ARN: %s' % function_arn(),
                          '  - Lambda ARN: %s' % function_arn('gatekeeper'),
                          '  - HTTP API URL: %s' % api_url(api_id)]
    assert 'Creating HTTP API: %s' % APP_NAME in lines

    records = assert_state_matches_moto(project, aws_clients)
    assert [r['name'] for r in records] == ['default-role', 'api_handler', 'gatekeeper',
                                            'http_api']
    assert records[-1] == {'name': 'http_api', 'resource_type': 'http_api',
                           'http_api_id': api_id, 'http_api_url': api_url(api_id)}
    url = run_chalice(project, 'url', env=aws_env)
    assert (url.returncode, url.stdout) == (0, api_url(api_id) + '\n')

    assert (api['Name'], api['ProtocolType']) == (APP_NAME, 'HTTP')
    cors = api['CorsConfiguration']
    assert cors['AllowOrigins'] == ['https://people.example']
    assert cors['AllowMethods'] == ['GET', 'OPTIONS', 'PUT']
    assert cors['MaxAge'] == 300
    assert 'Authorization' in cors['AllowHeaders']

    [integration] = integrations.values()
    assert (integration['IntegrationType'], integration['IntegrationUri'],
            integration['PayloadFormatVersion']) == ('AWS_PROXY', function_arn(), '2.0')
    by_name = {a['Name']: a for a in authorizers.values()}
    assert set(by_name) == {'jwt', 'gatekeeper'}
    assert by_name['jwt']['AuthorizerType'] == 'JWT'
    assert by_name['jwt']['JwtConfiguration'] == {'Issuer': 'https://issuer.example.com/',
                                                  'Audience': ['client-a']}
    assert by_name['jwt']['IdentitySource'] == ['$request.header.Authorization']
    gatekeeper = by_name['gatekeeper']
    assert (gatekeeper['AuthorizerType'], gatekeeper['AuthorizerPayloadFormatVersion'],
            gatekeeper['EnableSimpleResponses'], gatekeeper['AuthorizerResultTtlInSeconds']) \
        == ('REQUEST', '2.0', False, 30)
    assert gatekeeper['AuthorizerUri'] == (
        'arn:aws:apigateway:%s:lambda:path/2015-03-31/functions/%s/invocations'
        % (REGION, function_arn('gatekeeper')))

    assert set(routes) == {'GET /', 'GET /people/{person}', 'PUT /people/{person}',
                           'GET /admin', 'GET /signed'}
    for route in routes.values():
        assert route['Target'] == 'integrations/%s' % integration['IntegrationId']
    assert routes['GET /']['AuthorizationType'] == 'NONE'
    person = routes['PUT /people/{person}']
    assert (person['AuthorizationType'], person['AuthorizerId'],
            person['AuthorizationScopes']) == ('JWT', by_name['jwt']['AuthorizerId'],
                                               ['people:read'])
    assert (routes['GET /admin']['AuthorizationType'],
            routes['GET /admin']['AuthorizerId']) == ('CUSTOM', gatekeeper['AuthorizerId'])
    assert routes['GET /signed']['AuthorizationType'] == 'AWS_IAM'
    assert [(s['StageName'], s['AutoDeploy']) for s in stages] == [('$default', True)]

    source = 'arn:aws:execute-api:%s:%s:%s' % (REGION, ACCOUNT_ID, api_id)
    [handler_grant] = function_policy_statements(aws_clients, function_name())
    assert handler_grant['Condition']['ArnLike']['AWS:SourceArn'] == source + '/*'
    [auth_grant] = function_policy_statements(aws_clients, function_name('gatekeeper'))
    assert auth_grant['Condition']['ArnLike']['AWS:SourceArn'] == source + '/authorizers/*'

    # A redeploy of the unchanged app changes nothing at all.
    fault_injector.arm()
    again = run_ok(project, 'deploy', aws_env)
    assert fault_injector.mutating_calls == [], [str(c) for c in fault_injector.mutating_calls]
    assert 'No changes to HTTP API: %s' % APP_NAME in again.stdout.splitlines()
    assert read_records(project) == records


def test_changes_are_made_in_place(tmp_path, aws_env, aws_clients, fault_injector):
    project = project_for(tmp_path)
    run_ok(project, 'deploy', aws_env)
    first, _, _, _, _ = http_api(aws_clients)

    # No CORS, no scopes, no IAM route: the same API, changed in place.
    changed = app_source(cors='None', scopes='[]', iam=False)
    (project / 'app.py').write_text(changed)
    fault_injector.arm()
    result = run_ok(project, 'deploy', aws_env)
    assert 'Updating HTTP API: %s' % APP_NAME in result.stdout.splitlines()
    operations = deploy_checks.mutating_operations(fault_injector)
    # The code changed for both functions; the API needs three kinds of change only.
    assert operations == sorted(['DeleteCorsConfiguration', 'DeleteRoute', 'UpdateRoute',
                                 'UpdateRoute', 'UpdateFunctionCode', 'UpdateFunctionCode'])
    api, routes, _, _, _ = http_api(aws_clients)
    assert api['ApiId'] == first['ApiId']
    assert api.get('CorsConfiguration') is None
    assert 'GET /signed' not in routes
    assert routes['GET /people/{person}']['AuthorizationScopes'] == []
    in_place = snapshot(aws_clients)
    assert_state_matches_moto(project, aws_clients)

    # The same app deployed afresh gives the same result.
    run_ok(project, 'delete', aws_env)
    run_ok(project, 'deploy', aws_env)
    assert snapshot(aws_clients) == in_place
    fault_injector.arm()
    run_ok(project, 'deploy', aws_env)
    assert fault_injector.mutating_calls == []


def test_delete_removes_it(tmp_path, aws_env, aws_clients):
    project = project_for(tmp_path)
    run_ok(project, 'deploy', aws_env)
    [api_id] = existing_v2_apis(aws_clients)
    result = run_ok(project, 'delete', aws_env)
    lines = result.stdout.splitlines()
    assert lines[0] == 'Deleting HTTP API: %s' % api_id
    assert lines[-1] == 'Deleting IAM role: %s' % function_name()
    assert_nothing_left(project, aws_clients)
    # Deleting again, or an API already gone, is fine.
    run_ok(project, 'deploy', aws_env)
    aws_clients.apigatewayv2.delete_api(ApiId=list(existing_v2_apis(aws_clients))[0])
    run_ok(project, 'delete', aws_env)
    assert_nothing_left(project, aws_clients)


def test_an_api_deleted_behind_our_back_is_recreated(tmp_path, aws_env, aws_clients):
    project = project_for(tmp_path)
    run_ok(project, 'deploy', aws_env)
    reference = snapshot(aws_clients)
    [api_id] = existing_v2_apis(aws_clients)
    aws_clients.apigatewayv2.delete_api(ApiId=api_id)
    result = run_ok(project, 'deploy', aws_env)
    assert 'Creating HTTP API: %s' % APP_NAME in result.stdout.splitlines()
    assert_state_matches_moto(project, aws_clients)
    assert snapshot(aws_clients)['apis'] == reference['apis']


def test_switching_between_rest_and_http_creates_the_new_api_then_deletes_the_old(
        tmp_path, aws_env, aws_clients):
    project = project_for(tmp_path, app_source(iam=False), config={
        'version': '2.0', 'app_name': APP_NAME, 'stages': {'dev': {}}})
    source = (project / 'app.py').read_text().replace("authorizer=jwt,\n", '\n').replace(
        'authorization_scopes=SCOPES, ', '')
    (project / 'app.py').write_text(source)
    run_ok(project, 'deploy', aws_env)
    [rest_id] = existing_rest_apis(aws_clients)

    set_type(project, 'HTTP')
    result = run_ok(project, 'deploy', aws_env)
    lines = result.stdout.splitlines()
    [http_id] = existing_v2_apis(aws_clients)
    created = lines.index('Creating HTTP API: %s' % APP_NAME)
    assert created < lines.index('Deleting Rest API: %s' % rest_id)
    assert existing_rest_apis(aws_clients) == set()
    assert lines[-1] == '  - HTTP API URL: %s' % api_url(http_id)
    names = [r['name'] for r in assert_state_matches_moto(project, aws_clients)]
    assert 'http_api' in names and 'rest_api' not in names

    set_type(project, 'REST')
    back = run_ok(project, 'deploy', aws_env).stdout.splitlines()
    [new_rest_id] = existing_rest_apis(aws_clients)
    assert back.index('Creating Rest API') < back.index('Deleting HTTP API: %s' % http_id)
    assert existing_v2_apis(aws_clients) == set()
    assert run_chalice(project, 'url', env=aws_env).stdout.strip() == \
        'https://%s.execute-api.%s.amazonaws.com/api/' % (new_rest_id, REGION)
    run_ok(project, 'delete', aws_env)
    assert_nothing_left(project, aws_clients)


@pytest.mark.parametrize('stage, app_change, message', [
    ({'api_gateway_type': 'HTTP', 'api_gateway_endpoint_type': 'PRIVATE'}, None,
     'HTTP APIs have no private endpoints'),
    ({'api_gateway_type': 'HTTP'}, ('@app.route(\'/\', cors=CORS)',
                                    '@app.route(\'/\', cors=CORS, api_key_required=True)'),
     'HTTP APIs have no API keys'),
    ({}, None, 'JWTAuthorizer \'jwt\' (used by GET /people/{person}) needs an HTTP API'),
])
def test_what_an_http_api_refuses_fails_before_any_aws_call(tmp_path, aws_env, aws_clients,
                                                           fault_injector, stage, app_change,
                                                           message):
    project = project_for(tmp_path, config={'version': '2.0', 'app_name': APP_NAME,
                                            'stages': {'dev': stage}})
    if app_change:
        source = (project / 'app.py').read_text()
        (project / 'app.py').write_text(source.replace(*app_change))
    fault_injector.arm()
    result = run_chalice(project, 'deploy', env=aws_env)
    assert result.returncode == 2, result.stdout + result.stderr
    assert message in one_error_line(result)
    assert fault_injector.calls == []
    assert read_records(project) == []


def test_generate_sdk_says_http_apis_have_none(tmp_path, aws_env):
    project = project_for(tmp_path)
    run_ok(project, 'deploy', aws_env)
    result = run_chalice(project, 'generate-sdk', str(tmp_path / 'sdk'), env=aws_env)
    assert result.returncode == 2
    assert 'is deployed as an HTTP API' in one_error_line(result)


# --------------------------------------------------------------------------
# every failed call is recoverable

def test_every_failed_call_is_recoverable(tmp_path, aws_env, aws_clients, fault_injector,
                                         moto_server):
    project = project_for(tmp_path, app_source(iam=False))

    fault_injector.arm()
    run_ok(project, 'deploy', aws_env)
    calls = fault_injector.calls
    reference = snapshot(aws_clients)
    v2_calls = [c for c in calls if c.path.startswith('/v2/')]
    assert sorted(c.operation for c in v2_calls if c.mutating) == sorted(
        ['CreateApi', 'CreateIntegration', 'CreateAuthorizer', 'CreateAuthorizer'] +
        ['CreateRoute'] * 4 + ['CreateStage'])
    first_mutating = first_mutating_index(calls)

    def reset():
        moto_server.reset()
        remove_state(project)

    for attempt in each_call_failing(calls, fault_injector, reset,
                                     lambda: run_chalice(project, 'deploy', env=aws_env)):
        assert_failed_at_the_kth_call(attempt)
        assert_fault_reported(attempt, project, first_mutating, run_again=True)
        assert_state_matches_moto(project, aws_clients)
        assert_rerun_converges(attempt, project, aws_env,
                               lambda: assert_state_matches_moto(project, aws_clients),
                               lambda: snapshot(aws_clients), reference)
        result = run_chalice(project, 'delete', env=aws_env)
        assert result.returncode == 0, (attempt.context, result.stdout + result.stderr)
        assert_nothing_left(project, aws_clients)


def test_every_failed_call_of_a_delete_is_recoverable(tmp_path, aws_env, aws_clients,
                                                     fault_injector, moto_server):
    project = project_for(tmp_path, app_source(iam=False))
    run_ok(project, 'deploy', aws_env)
    fault_injector.arm()
    run_ok(project, 'delete', aws_env)
    calls = fault_injector.calls

    def redeploy():
        moto_server.reset()
        remove_state(project)
        run_ok(project, 'deploy', aws_env)

    for attempt in each_call_failing(calls, fault_injector, redeploy,
                                     lambda: run_chalice(project, 'delete', env=aws_env)):
        assert_failed_at_the_kth_call(attempt)
        assert_state_matches_moto(project, aws_clients)
        rerun = run_chalice(project, 'delete', env=aws_env)
        assert rerun.returncode == 0, (attempt.context, rerun.stderr)
        assert_nothing_left(project, aws_clients)


# --------------------------------------------------------------------------
# the shims: each works, and each is still needed

HTTP_SHIMS = ('apigatewayv2-get-authorizers', 'apigatewayv2-route-clear-scopes')


def _api_with_jwt_route(v2):
    api_id = v2.create_api(Name='shimmed', ProtocolType='HTTP')['ApiId']
    authorizer = v2.create_authorizer(
        ApiId=api_id, Name='jwt', AuthorizerType='JWT',
        IdentitySource=['$request.header.Authorization'],
        JwtConfiguration={'Issuer': 'https://issuer.example.com/', 'Audience': ['a']})
    route = v2.create_route(ApiId=api_id, RouteKey='GET /', AuthorizationType='JWT',
                            AuthorizerId=authorizer['AuthorizerId'],
                            AuthorizationScopes=['read'])
    return api_id, authorizer['AuthorizerId'], route['RouteId']


def test_http_api_shims_are_applied_and_name_their_gaps():
    for name in HTTP_SHIMS:
        shim = SHIMS[name]
        assert shim.applied, name
        assert shim.gap.split(':')[0] in shim.targets, (name, shim.gap)


def test_shim_get_authorizers(aws_clients):
    v2 = aws_clients.apigatewayv2
    api_id, authorizer_id, _ = _api_with_jwt_route(v2)
    [listed] = v2.get_authorizers(ApiId=api_id)['Items']
    assert (listed['AuthorizerId'], listed['Name']) == (authorizer_id, 'jwt')
    with shims_disabled('apigatewayv2-get-authorizers'):
        with pytest.raises(ClientError) as failed:
            v2.get_authorizers(ApiId=api_id)
    assert failed.value.response['ResponseMetadata']['HTTPStatusCode'] in (404, 500)


def test_shim_route_scopes_can_be_cleared(aws_clients):
    v2 = aws_clients.apigatewayv2
    api_id, _, route_id = _api_with_jwt_route(v2)
    with shims_disabled('apigatewayv2-route-clear-scopes'):
        v2.update_route(ApiId=api_id, RouteId=route_id, AuthorizationScopes=[])
        assert v2.get_route(ApiId=api_id, RouteId=route_id)['AuthorizationScopes'] == ['read']
    v2.update_route(ApiId=api_id, RouteId=route_id, AuthorizationScopes=[])
    assert v2.get_route(ApiId=api_id, RouteId=route_id).get('AuthorizationScopes') in ([], None)
