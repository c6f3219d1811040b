"""The websocket API home: pure planning, plus round trips through a small fake.

The planner tests call the home (and the planner) with hand-built remote
states.  :class:`FakeV2` is a minimal in-memory API Gateway v2 (and the
Lambda resource-policy calls the home makes), checking every request
against botocore's model, for executing plans: redeploys converge and a
failure at any call leaves a state file that a rerun completes.
"""
import copy
import dataclasses
import json

import pytest

from chalice.deploy.executor import Executor
from chalice.deploy.models import (
    Application,
    DeploymentPackage,
    LambdaFunction,
    ManagedIAMRole,
    WebsocketAPI,
)
from chalice.deploy.plan import (
    APICall,
    Digest,
    ForgetResource,
    Message,
    Plan,
    RecordResource,
    SetVar,
    Var,
    resolve,
)
from chalice.deploy.planner import PlanContext, plan_delete, plan_deploy
from chalice.deploy.resources import home_for
from chalice.deploy.state import DeployedState
from chalice.errors import DeploymentError
from tests.unit.deploy.fakes import RecordingUI, validate_params

REGION, ACCOUNT = 'us-west-2', '123456789012'
API_ID = 'wsapi123'
API_NAME = 'echo-dev-websocket-api'
PACKAGE = DeploymentPackage('/does/not/exist/deployment.zip', 'c2hhLW9uZQ==', 10)
ROLE = ManagedIAMRole('default-role', 'echo-dev', {'Version': '2012-10-17', 'Statement': []})
HOME = home_for('websocket_api')


def handler(name):
    return LambdaFunction('websocket_%s' % name, 'echo-dev-websocket_%s' % name,
                          'app.%s' % name, 'python3.11', ROLE, PACKAGE)


CONNECT, MESSAGE, DISCONNECT = handler('connect'), handler('message'), handler('disconnect')
ALL = WebsocketAPI('websocket_api', API_NAME, 'api', connect=CONNECT, message=MESSAGE,
                   disconnect=DISCONNECT)
NO_DISCONNECT = dataclasses.replace(ALL, disconnect=None)
MESSAGE_ONLY = WebsocketAPI('websocket_api', API_NAME, 'api', message=MESSAGE)


def function_arn(name):
    return 'arn:aws:lambda:%s:%s:function:%s' % (REGION, ACCOUNT, name)


def uri(function):
    return ('arn:aws:apigateway:%s:lambda:path/2015-03-31/functions/%s/invocations'
            % (REGION, function_arn(function.function_name)))


def source_arn(api_id=API_ID):
    return 'arn:aws:execute-api:%s:%s:%s/*' % (REGION, ACCOUNT, api_id)


DESCRIPTIONS = {'$connect': 'connect', '$default': 'message', '$disconnect': 'disconnect'}


def integration_as_read(key, function):
    """A route's integration as GetIntegrations reports it after a deploy."""
    return {'IntegrationType': 'AWS_PROXY', 'IntegrationUri': uri(function),
            'ConnectionType': 'INTERNET', 'ContentHandlingStrategy': 'CONVERT_TO_TEXT',
            'Description': DESCRIPTIONS[key]}


def grant(arn):
    return {'Sid': 's', 'Effect': 'Allow', 'Principal': {'Service': 'apigateway.amazonaws.com'},
            'Action': 'lambda:InvokeFunction', 'Condition': {'ArnLike': {'AWS:SourceArn': arn}}}


def known_arns(model):
    return {'%s.lambda_arn' % fn.resource_name: function_arn(fn.function_name)
            for _, fn in model.routes()}


def ctx(model=ALL, functions_exist=True):
    context = PlanContext(region=REGION, account_id=ACCOUNT)
    if functions_exist:
        context.known.update(known_arns(model))
    return context


def variables(model=ALL, **extra):
    values = {'region': REGION, 'account_id': ACCOUNT, 'partition': 'aws'}
    values.update(known_arns(model))
    values.update(extra)
    return values


def rendered(value, model=ALL, **extra):
    values = variables(model, **extra)
    return resolve(value, lambda var: values[var.name])


def digest_of(model):
    """The routes_sha256 a completed deploy of ``model`` records."""
    steps = HOME.plan(model, None, None, ctx(model))
    return rendered(steps[-1].values, model, **{'websocket_api.websocket_api_id': API_ID})[
        'routes_sha256']


def in_sync(model=ALL):
    """(record, remote) exactly as a completed deploy of ``model`` leaves them."""
    record = {'name': 'websocket_api', 'resource_type': 'websocket_api',
              'websocket_api_id': API_ID,
              'websocket_api_url': 'wss://%s.execute-api.%s.amazonaws.com/api/'
                                   % (API_ID, REGION),
              'routes_sha256': digest_of(model)}
    routes, integrations = {}, {}
    for index, (key, function) in enumerate(model.routes()):
        routes[key] = {'id': 'route%d' % index, 'target': 'integrations/int%d' % index,
                       'response_selection': '$default'}
        integrations['int%d' % index] = integration_as_read(key, function)
    remote = {'api': {'id': API_ID, 'name': API_NAME}, 'routes': routes,
              'integrations': integrations, 'stages': {'api': 'dep1'},
              'permissions': {fn.function_name: [grant(source_arn())]
                              for _, fn in model.routes()}}
    return record, remote


def calls(steps):
    return ['%s.%s' % (s.service, s.method) for s in steps if isinstance(s, APICall)]


def mutating(steps):
    return [c for c in calls(steps) if not c.split('.')[1].startswith(('get_', 'list_'))]


def call(steps, method):
    found = [s for s in steps if isinstance(s, APICall) and s.method == method]
    assert len(found) == 1, calls(steps)
    return found[0]


def texts(steps):
    return [s.text for s in steps if isinstance(s, Message)] + \
        [s.message for s in steps if isinstance(s, APICall) and s.message]


def describe(step):
    if isinstance(step, APICall):
        return '%s.%s' % (step.service, step.method)
    if isinstance(step, RecordResource):
        return 'record %s' % step.name
    return type(step).__name__


# ------------------------------------------------------------------ fresh deploy


def test_fresh_plan_creates_api_routes_permissions_and_stage_in_order():
    steps = HOME.plan(ALL, None, None, ctx())
    assert [describe(s) for s in steps] == [
        'apigatewayv2.create_api', 'record websocket_api',
        'apigatewayv2.create_integration', 'apigatewayv2.create_route',
        'apigatewayv2.create_integration', 'apigatewayv2.create_route',
        'apigatewayv2.create_integration', 'apigatewayv2.create_route',
        'lambda.add_permission', 'lambda.add_permission', 'lambda.add_permission',
        'apigatewayv2.create_deployment', 'apigatewayv2.create_stage',
        'record websocket_api',
    ]
    assert texts(steps) == ['Creating websocket api: %s' % API_NAME]


def test_fresh_plan_parameters_render_as_aws_expects():
    steps = HOME.plan(ALL, None, None, ctx())
    create_api = steps[0]
    assert create_api.params == {'Name': API_NAME, 'ProtocolType': 'WEBSOCKET',
                                 'RouteSelectionExpression': '$request.body.action'}
    assert create_api.outputs == {'websocket_api.websocket_api_id': 'ApiId'}
    # The API is recorded the moment it exists: id and wss:// URL.
    assert rendered(steps[1].values, **{'websocket_api.websocket_api_id': API_ID}) == {
        'websocket_api_id': API_ID,
        'websocket_api_url': 'wss://wsapi123.execute-api.us-west-2.amazonaws.com/api/'}

    integrations = [s for s in steps if isinstance(s, APICall)
                    and s.method == 'create_integration']
    routes = [s for s in steps if isinstance(s, APICall) and s.method == 'create_route']
    outputs = {}
    for integration, route, function, key in zip(
            integrations, routes, (CONNECT, MESSAGE, DISCONNECT),
            ('$connect', '$default', '$disconnect')):
        [(var_name, path)] = integration.outputs.items()
        assert path == 'IntegrationId'
        outputs[var_name] = 'int-' + key
        params = rendered(integration.params, **{'websocket_api.websocket_api_id': API_ID})
        assert params == dict(integration_as_read(key, function), ApiId=API_ID,
                              IntegrationMethod='POST')
        params = rendered(route.params, **dict(outputs, **{
            'websocket_api.websocket_api_id': API_ID}))
        assert params == {'ApiId': API_ID, 'RouteKey': key, 'Target': 'integrations/int-' + key,
                          'RouteResponseSelectionExpression': '$default'}

    permissions = [s for s in steps if isinstance(s, APICall) and s.method == 'add_permission']
    for permission, function in zip(permissions, (CONNECT, MESSAGE, DISCONNECT)):
        params = rendered(permission.params, **{'websocket_api.websocket_api_id': API_ID})
        assert params['FunctionName'] == function_arn(function.function_name)
        assert params['Principal'] == 'apigateway.amazonaws.com'
        assert params['Action'] == 'lambda:InvokeFunction'
        assert params['SourceArn'] == source_arn()
        assert params['StatementId'].startswith('chalice-websocket-')
        assert len(params['StatementId']) <= 100
        assert permission.ignore_errors == ('ResourceConflictException',)

    deployment, stage = call(steps, 'create_deployment'), call(steps, 'create_stage')
    assert deployment.params == {'ApiId': Var('websocket_api.websocket_api_id')}
    [(deployment_var, path)] = deployment.outputs.items()
    assert path == 'DeploymentId'
    assert rendered(stage.params, **{'websocket_api.websocket_api_id': API_ID,
                                     deployment_var: 'dep9'}) == {
        'ApiId': API_ID, 'StageName': 'api', 'DeploymentId': 'dep9'}
    final = steps[-1].values
    assert isinstance(final['routes_sha256'], Digest)


def test_fresh_plan_for_a_new_function_uses_its_arn_variable():
    # The handler functions are created earlier in the same plan.
    steps = HOME.plan(MESSAGE_ONLY, None, None, ctx(functions_exist=False))
    integration = call(steps, 'create_integration')
    assert Var('websocket_message.lambda_arn') in integration.params['IntegrationUri'].parts
    assert call(steps, 'add_permission').params['FunctionName'] == \
        Var('websocket_message.lambda_arn')


def test_stage_name_and_partition_shape_the_url_and_arns():
    model = dataclasses.replace(MESSAGE_ONLY, api_gateway_stage='prod')
    context = PlanContext(region='cn-north-1', account_id=ACCOUNT, partition='aws-cn')
    steps = HOME.plan(model, None, None, context)
    values = {'websocket_api.websocket_api_id': 'x1', 'websocket_message.lambda_arn': 'L'}
    record = resolve(steps[1].values, lambda var: values[var.name])
    assert record['websocket_api_url'] == 'wss://x1.execute-api.cn-north-1.amazonaws.com.cn/prod/'
    params = resolve(call(steps, 'create_integration').params, lambda var: values[var.name])
    assert params['IntegrationUri'] == \
        'arn:aws-cn:apigateway:cn-north-1:lambda:path/2015-03-31/functions/L/invocations'
    params = resolve(call(steps, 'add_permission').params, lambda var: values[var.name])
    assert params['SourceArn'] == 'arn:aws-cn:execute-api:cn-north-1:%s:x1/*' % ACCOUNT
    assert call(steps, 'create_stage').params['StageName'] == 'prod'


def test_the_app_plan_creates_role_functions_then_the_api():
    app = Application('echo', 'dev', (ALL,))
    plan = plan_deploy(app, DeployedState('/nowhere/s.json'), {}, ctx(functions_exist=False))
    names = [describe(s) for s in plan.steps]
    assert names.index('record websocket_disconnect') < names.index('apigatewayv2.create_api')
    assert names[0] == 'iam.create_role'
    assert [t for t in texts(plan.steps) if 'websocket api' in t] == [
        'Creating websocket api: %s' % API_NAME]


# ------------------------------------------------------------------ redeploys


def test_noop_redeploy_makes_no_mutating_calls_and_says_so():
    record, remote = in_sync()
    steps = HOME.plan(ALL, record, remote, ctx())
    assert mutating(steps) == []
    assert steps == [SetVar('websocket_api.websocket_api_id', API_ID),
                     Message('No changes to websocket api: %s' % API_NAME)]


def test_noop_redeploy_through_the_planner():
    record, remote = in_sync()
    app = Application('echo', 'dev', (ALL,))
    state = DeployedState('/nowhere/s.json', [record])
    plan = plan_deploy(app, state, {'websocket_api': remote}, ctx())
    assert [c for c in plan.mutating_calls if c.service == 'apigatewayv2'] == []


def test_noop_refreshes_a_stale_record_without_calls():
    record, remote = in_sync()
    stale = dict(record, websocket_api_url='wss://old/')
    steps = HOME.plan(ALL, stale, remote, ctx())
    assert mutating(steps) == []
    [recorded] = [s for s in steps if isinstance(s, RecordResource)]
    assert recorded.values == {k: v for k, v in record.items()
                               if k not in ('name', 'resource_type')}


def test_adding_a_handler_creates_its_route_and_redeploys():
    record, remote = in_sync(NO_DISCONNECT)
    steps = HOME.plan(ALL, record, remote, ctx())
    assert mutating(steps) == [
        'apigatewayv2.create_integration', 'apigatewayv2.create_route',
        'apigatewayv2.create_deployment', 'apigatewayv2.update_stage',
        'lambda.add_permission']
    assert call(steps, 'create_route').params['RouteKey'] == '$disconnect'
    assert call(steps, 'add_permission').params['FunctionName'] == \
        Var('websocket_disconnect.lambda_arn')
    assert texts(steps) == ['Updating websocket api: %s' % API_NAME]
    final = [s for s in steps if isinstance(s, RecordResource)][-1]
    assert rendered(final.values, **{'websocket_api.websocket_api_id': API_ID})[
        'routes_sha256'] == digest_of(ALL)


def test_removing_a_handler_deletes_its_route_and_integration_and_redeploys():
    record, remote = in_sync(ALL)
    steps = HOME.plan(NO_DISCONNECT, record, remote, ctx(NO_DISCONNECT))
    # The integration goes once the deployment no longer uses it.
    assert mutating(steps) == [
        'apigatewayv2.delete_route', 'apigatewayv2.create_deployment',
        'apigatewayv2.update_stage', 'apigatewayv2.delete_integration']
    assert call(steps, 'delete_route').params == {
        'ApiId': Var('websocket_api.websocket_api_id'), 'RouteId': 'route2'}
    assert call(steps, 'delete_route').ignore_errors == ('NotFoundException',)
    assert call(steps, 'delete_integration').params['IntegrationId'] == 'int2'
    final = [s for s in steps if isinstance(s, RecordResource)][-1]
    assert rendered(final.values, NO_DISCONNECT, **{'websocket_api.websocket_api_id': API_ID})[
        'routes_sha256'] == digest_of(NO_DISCONNECT)


def test_removing_a_handler_through_the_planner_deletes_the_function_afterwards():
    record, remote = in_sync(ALL)
    records = [{'name': fn.resource_name, 'resource_type': 'lambda_function',
                'lambda_arn': function_arn(fn.function_name)} for _, fn in ALL.routes()]
    state = DeployedState('/nowhere/s.json', records + [record])
    app = Application('echo', 'dev', (NO_DISCONNECT,))
    function_remote = {fn.resource_name: None for _, fn in ALL.routes()}
    plan = plan_deploy(app, state, dict(function_remote, websocket_api=remote),
                       ctx(NO_DISCONNECT))
    names = [describe(s) for s in plan.steps]
    assert names.index('apigatewayv2.delete_route') < names.index('lambda.delete_function')
    assert call(plan.steps, 'delete_function').params['FunctionName'] == \
        function_arn(DISCONNECT.function_name)


def test_a_route_pointing_elsewhere_is_repointed_and_redeployed():
    record, remote = in_sync()
    remote['integrations']['int1']['IntegrationUri'] = 'arn:somewhere-else'
    steps = HOME.plan(ALL, record, remote, ctx())
    assert mutating(steps) == ['apigatewayv2.update_integration',
                               'apigatewayv2.create_deployment', 'apigatewayv2.update_stage']
    params = rendered(call(steps, 'update_integration').params,
                      **{'websocket_api.websocket_api_id': API_ID})
    assert params == dict(integration_as_read('$default', MESSAGE), ApiId=API_ID,
                          IntegrationId='int1', IntegrationMethod='POST')


def test_a_route_whose_integration_is_gone_gets_a_new_one():
    record, remote = in_sync()
    del remote['integrations']['int0']
    steps = HOME.plan(ALL, record, remote, ctx())
    assert mutating(steps) == ['apigatewayv2.create_integration', 'apigatewayv2.update_route',
                               'apigatewayv2.create_deployment', 'apigatewayv2.update_stage']
    route = call(steps, 'update_route')
    assert route.params['RouteId'] == 'route0'


def test_an_unrouted_integration_from_a_stopped_run_is_reused():
    record, remote = in_sync()
    del remote['routes']['$disconnect']
    del record['routes_sha256']
    steps = HOME.plan(ALL, record, remote, ctx())
    assert mutating(steps) == ['apigatewayv2.create_route', 'apigatewayv2.create_deployment',
                               'apigatewayv2.update_stage']
    assert rendered(call(steps, 'create_route').params,
                    **{'websocket_api.websocket_api_id': API_ID})['Target'] == 'integrations/int2'


def test_unrouted_integrations_that_match_nothing_are_deleted_without_redeploying():
    record, remote = in_sync()
    remote['integrations']['stray'] = dict(integration_as_read('$default', MESSAGE),
                                           IntegrationUri='arn:other')
    steps = HOME.plan(ALL, record, remote, ctx())
    assert mutating(steps) == ['apigatewayv2.delete_integration']
    assert call(steps, 'delete_integration').params['IntegrationId'] == 'stray'


def test_record_without_digest_redeploys_only():
    # A run stopped after the routes were made but before the stage served them.
    record, remote = in_sync()
    del record['routes_sha256']
    steps = HOME.plan(ALL, record, remote, ctx())
    assert mutating(steps) == ['apigatewayv2.create_deployment', 'apigatewayv2.update_stage']


def test_missing_stage_is_created():
    record, remote = in_sync()
    remote['stages'] = {}
    steps = HOME.plan(ALL, record, remote, ctx())
    assert mutating(steps) == ['apigatewayv2.create_deployment', 'apigatewayv2.create_stage']


def test_a_new_stage_name_is_created_and_the_old_stage_deleted():
    record, remote = in_sync()
    model = dataclasses.replace(ALL, api_gateway_stage='prod')
    steps = HOME.plan(model, record, remote, ctx())
    assert mutating(steps) == ['apigatewayv2.create_deployment', 'apigatewayv2.create_stage',
                               'apigatewayv2.delete_stage']
    assert call(steps, 'delete_stage').params['StageName'] == 'api'
    final = [s for s in steps if isinstance(s, RecordResource)][-1]
    assert rendered(final.values, **{'websocket_api.websocket_api_id': API_ID})[
        'websocket_api_url'] == 'wss://wsapi123.execute-api.us-west-2.amazonaws.com/prod/'


def test_a_missing_permission_is_added_without_redeploying():
    record, remote = in_sync()
    remote['permissions'][MESSAGE.function_name] = [grant(source_arn('other'))]
    steps = HOME.plan(ALL, record, remote, ctx())
    assert mutating(steps) == ['lambda.add_permission']
    assert call(steps, 'add_permission').params['FunctionName'] == \
        Var('websocket_message.lambda_arn')


def test_a_recreated_function_gets_its_integration_refreshed_and_permission_back():
    record, remote = in_sync()
    remote['permissions'][MESSAGE.function_name] = []
    context = ctx()
    del context.known['websocket_message.lambda_arn']  # being created in this plan
    steps = HOME.plan(ALL, record, remote, context)
    assert mutating(steps) == ['apigatewayv2.update_integration',
                               'apigatewayv2.create_deployment', 'apigatewayv2.update_stage',
                               'lambda.add_permission']


def test_api_recorded_but_gone_is_created_again():
    record, _ = in_sync()
    remote = {'api': None, 'permissions': {}}
    steps = HOME.plan(ALL, record, remote, ctx())
    assert calls(steps)[0] == 'apigatewayv2.create_api'
    assert texts(steps) == ['Creating websocket api: %s' % API_NAME]


# ------------------------------------------------------------------ delete


def test_plan_delete_deletes_the_api_tolerating_that_it_is_gone():
    record, _ = in_sync()
    steps = HOME.plan_delete(record, None, ctx())
    assert steps == [
        APICall('apigatewayv2', 'delete_api', {'ApiId': API_ID},
                message='Deleting Websocket API: %s' % API_ID,
                ignore_errors=('NotFoundException',)),
        ForgetResource('websocket_api'),
    ]


def test_planner_deletes_the_api_before_the_functions():
    record, _ = in_sync()
    records = [{'name': fn.resource_name, 'resource_type': 'lambda_function',
                'lambda_arn': function_arn(fn.function_name)} for _, fn in ALL.routes()]
    plan = plan_delete(DeployedState('/nowhere/s.json', records + [record]), {}, ctx())
    assert [describe(s) for s in plan.steps][:2] == ['apigatewayv2.delete_api', 'ForgetResource']
    assert texts(plan.steps)[0] == 'Deleting Websocket API: %s' % API_ID


def test_dropping_every_handler_deletes_the_api():
    record, _ = in_sync()
    state = DeployedState('/nowhere/s.json', [record])
    plan = plan_deploy(Application('echo', 'dev', ()), state, {'websocket_api': None}, ctx())
    assert calls(plan.steps) == ['apigatewayv2.delete_api']


def test_planning_is_pure():
    record, remote = in_sync(NO_DISCONNECT)
    before = copy.deepcopy((record, remote))
    first = HOME.plan(ALL, record, remote, ctx())
    assert HOME.plan(ALL, record, remote, ctx()) == first
    assert (record, remote) == before


# ------------------------------------------------------------------ a small fake


class FakeV2:
    """API Gateway v2 websocket APIs and Lambda resource policies, in memory."""

    def __init__(self, functions=(CONNECT, MESSAGE, DISCONNECT)):
        self.apis = {}
        self.policies = {fn.function_name: [] for fn in functions}
        self.calls = []
        self.fail_at = None
        self._ids = 0

    def _id(self, prefix):
        self._ids += 1
        return '%s%d' % (prefix, self._ids)

    @property
    def mutating_calls(self):
        return [c for c in self.calls if not c[1].startswith(('get_', 'list_'))]

    def call(self, service, method, params=None, ignore_errors=(), region=None):
        params = dict(params or {})
        validate_params(service, method, params)
        self.calls.append((service, method))
        if self.fail_at is not None and len(self.calls) == self.fail_at:
            raise _error(service, method, 'InjectedFault')
        try:
            return copy.deepcopy(getattr(self, '_%s__%s' % (service, method))(params))
        except KeyError as missing:
            code = missing.args[0]
            if code in ignore_errors:
                return None
            raise _error(service, method, code) from None

    def _api(self, params):
        if params['ApiId'] not in self.apis:
            raise KeyError('NotFoundException')
        return self.apis[params['ApiId']]

    # -- apigatewayv2

    def _apigatewayv2__create_api(self, p):
        api_id = self._id('api')
        self.apis[api_id] = {'name': p['Name'], 'protocol': p['ProtocolType'],
                             'selection': p['RouteSelectionExpression'], 'routes': {},
                             'integrations': {}, 'deployments': {}, 'stages': {}}
        return {'ApiId': api_id, 'Name': p['Name']}

    def _apigatewayv2__get_api(self, p):
        return {'ApiId': p['ApiId'], 'Name': self._api(p)['name']}

    def _apigatewayv2__get_routes(self, p):
        return {'Items': [dict(route, RouteId=rid) for rid, route in
                          self._api(p)['routes'].items()]}

    def _apigatewayv2__get_integrations(self, p):
        return {'Items': [dict(i, IntegrationId=iid) for iid, i in
                          self._api(p)['integrations'].items()]}

    def _apigatewayv2__get_stages(self, p):
        return {'Items': [{'StageName': name, 'DeploymentId': dep} for name, dep in
                          self._api(p)['stages'].items()]}

    _INTEGRATION_KEYS = ('IntegrationType', 'IntegrationUri', 'ConnectionType',
                         'ContentHandlingStrategy', 'Description')

    def _apigatewayv2__create_integration(self, p):
        iid = self._id('int')
        self._api(p)['integrations'][iid] = {k: p[k] for k in self._INTEGRATION_KEYS if k in p}
        return {'IntegrationId': iid}

    def _apigatewayv2__update_integration(self, p):
        integration = self._integration(p)
        integration.update((k, p[k]) for k in self._INTEGRATION_KEYS if k in p)
        return {'IntegrationId': p['IntegrationId']}

    def _integration(self, p):
        integrations = self._api(p)['integrations']
        if p['IntegrationId'] not in integrations:
            raise KeyError('NotFoundException')
        return integrations[p['IntegrationId']]

    def _apigatewayv2__delete_integration(self, p):
        api = self._api(p)
        self._integration(p)
        if any(r['Target'] == 'integrations/' + p['IntegrationId']
               for r in api['routes'].values()):
            raise KeyError('ConflictException')  # AWS: still used by a route
        del api['integrations'][p['IntegrationId']]
        return {}

    def _target(self, api, target):
        if target[len('integrations/'):] not in api['integrations']:
            raise KeyError('BadRequestException')
        return target

    def _apigatewayv2__create_route(self, p):
        api = self._api(p)
        if any(r['RouteKey'] == p['RouteKey'] for r in api['routes'].values()):
            raise KeyError('ConflictException')
        rid = self._id('route')
        api['routes'][rid] = {'RouteKey': p['RouteKey'], 'Target': self._target(api, p['Target'])}
        if 'RouteResponseSelectionExpression' in p:
            api['routes'][rid]['RouteResponseSelectionExpression'] = \
                p['RouteResponseSelectionExpression']
        return {'RouteId': rid}

    def _apigatewayv2__update_route(self, p):
        api = self._api(p)
        if p['RouteId'] not in api['routes']:
            raise KeyError('NotFoundException')
        route = api['routes'][p['RouteId']]
        if 'Target' in p:
            route['Target'] = self._target(api, p['Target'])
        if 'RouteResponseSelectionExpression' in p:
            route['RouteResponseSelectionExpression'] = p['RouteResponseSelectionExpression']
        return {'RouteId': p['RouteId']}

    def _apigatewayv2__delete_route(self, p):
        api = self._api(p)
        if p['RouteId'] not in api['routes']:
            raise KeyError('NotFoundException')
        del api['routes'][p['RouteId']]
        return {}

    def _apigatewayv2__create_deployment(self, p):
        api = self._api(p)
        if not api['routes']:
            raise KeyError('BadRequestException')
        did = self._id('dep')
        api['deployments'][did] = {
            r['RouteKey']: api['integrations'][r['Target'][len('integrations/'):]][
                'IntegrationUri'] for r in api['routes'].values()}
        return {'DeploymentId': did}

    def _apigatewayv2__create_stage(self, p):
        api = self._api(p)
        if p['StageName'] in api['stages']:
            raise KeyError('ConflictException')
        if p['DeploymentId'] not in api['deployments']:
            raise KeyError('BadRequestException')
        api['stages'][p['StageName']] = p['DeploymentId']
        return {'StageName': p['StageName']}

    def _apigatewayv2__update_stage(self, p):
        api = self._api(p)
        if p['StageName'] not in api['stages']:
            raise KeyError('NotFoundException')
        if p['DeploymentId'] not in api['deployments']:
            raise KeyError('BadRequestException')
        api['stages'][p['StageName']] = p['DeploymentId']
        return {'StageName': p['StageName']}

    def _apigatewayv2__delete_stage(self, p):
        api = self._api(p)
        if p['StageName'] not in api['stages']:
            raise KeyError('NotFoundException')
        del api['stages'][p['StageName']]
        return {}

    def _apigatewayv2__delete_api(self, p):
        self._api(p)
        del self.apis[p['ApiId']]
        return {}

    # -- lambda resource policies

    def _function(self, name_or_arn):
        name = name_or_arn.split(':')[-1]
        if name not in self.policies:
            raise KeyError('ResourceNotFoundException')
        return self.policies[name]

    def _lambda__get_policy(self, p):
        statements = self._function(p['FunctionName'])
        if not statements:
            raise KeyError('ResourceNotFoundException')
        return {'Policy': json.dumps({'Statement': statements})}

    def _lambda__add_permission(self, p):
        statements = self._function(p['FunctionName'])
        if any(s['Sid'] == p['StatementId'] for s in statements):
            raise KeyError('ResourceConflictException')
        statements.append({'Sid': p['StatementId'], 'Effect': 'Allow',
                           'Principal': {'Service': p['Principal']}, 'Action': p['Action'],
                           'Condition': {'ArnLike': {'AWS:SourceArn': p['SourceArn']}}})
        return {}

    # -- views

    def snapshot(self):
        """Everything, with generated ids replaced by what they stand for."""
        apis = []
        for _, api in sorted(self.apis.items()):
            served = {name: api['deployments'][dep] for name, dep in api['stages'].items()}
            routes = {r['RouteKey']: api['integrations'][r['Target'][13:]]['IntegrationUri']
                      for r in api['routes'].values()}
            apis.append({'name': api['name'], 'protocol': api['protocol'],
                         'selection': api['selection'], 'routes': routes,
                         'integrations': len(api['integrations']), 'served': served})
        ids = {api_id: '<api%d>' % n for n, api_id in enumerate(sorted(self.apis))}
        grants = {}
        for name, statements in self.policies.items():
            arns = [s['Condition']['ArnLike']['AWS:SourceArn'] for s in statements]
            grants[name] = sorted(_replace_all(arn, ids) for arn in arns)
        return {'apis': apis, 'grants': grants}


def _replace_all(text, replacements):
    for old, new in replacements.items():
        text = text.replace(old, new)
    return text


def _error(service, method, code):
    error = DeploymentError('%s:%s failed: %s' % (service, method, code))
    error.error_code = code
    return error


def run_deploy(aws, state, model):
    context = ctx(model)
    record = state.get(model.resource_name)
    remote = HOME.read_remote(aws, model, record)
    plan = Plan(HOME.plan(model, record, remote, context))
    ui = RecordingUI()
    Executor(aws, state, ui, variables(model)).execute(plan)
    return ui.lines


def run_delete(aws, state):
    record = state.get('websocket_api')
    if record is not None:
        Executor(aws, state, RecordingUI(), variables()).execute(
            Plan(HOME.plan_delete(record, None, ctx())))


def recorded_api_ids(state):
    return [r['websocket_api_id'] for r in state.resources]


def test_read_remote_reports_what_exists(tmp_path):
    aws = FakeV2()
    assert HOME.read_remote(aws, ALL, None) == {
        'api': None, 'permissions': {fn.function_name: [] for _, fn in ALL.routes()}}
    state = DeployedState(str(tmp_path / 'dev.json'))
    run_deploy(aws, state, ALL)
    record = state.get('websocket_api')
    remote = HOME.read_remote(aws, ALL, record)
    api_id = record['websocket_api_id']
    assert remote['api'] == {'id': api_id, 'name': API_NAME}
    assert set(remote['routes']) == {'$connect', '$default', '$disconnect'}
    targets = {r['target'][len('integrations/'):] for r in remote['routes'].values()}
    assert targets == set(remote['integrations'])
    assert sorted(i['IntegrationUri'] for i in remote['integrations'].values()) == sorted(
        uri(fn) for _, fn in ALL.routes())
    assert list(remote['stages']) == ['api'] and remote['stages']['api']
    for _, fn in ALL.routes():
        [statement] = remote['permissions'][fn.function_name]
        assert statement['Condition']['ArnLike']['AWS:SourceArn'] == source_arn(api_id)
    # Recorded but deleted behind our back: gone, not an error.
    del aws.apis[api_id]
    assert HOME.read_remote(aws, ALL, record)['api'] is None


def test_read_remote_follows_next_tokens():
    class Paged:
        def __init__(self):
            self.requests = []

        def call(self, service, method, params, ignore_errors=(), region=None):
            self.requests.append((method, dict(params)))
            if method == 'get_policy':
                return None
            if method == 'get_api':
                return {'ApiId': 'a', 'Name': API_NAME}
            if method == 'get_routes':
                if 'NextToken' not in params:
                    return {'Items': [{'RouteId': 'r1', 'RouteKey': '$connect',
                                       'Target': 'integrations/i1'}], 'NextToken': 't'}
                return {'Items': [{'RouteId': 'r2', 'RouteKey': '$default',
                                   'Target': 'integrations/i2'}]}
            return {'Items': []}

    aws = Paged()
    remote = HOME.read_remote(aws, ALL, {'websocket_api_id': 'a'})
    assert set(remote['routes']) == {'$connect', '$default'}
    assert ('get_routes', {'ApiId': 'a', 'NextToken': 't'}) in aws.requests
    assert all(method.startswith('get_') for method, _ in aws.requests)


def test_deploy_redeploy_and_handler_changes_through_the_fake(tmp_path):
    aws = FakeV2()
    state = DeployedState(str(tmp_path / 'dev.json'))
    lines = run_deploy(aws, state, ALL)
    assert lines == ['Creating websocket api: %s' % API_NAME]
    full = aws.snapshot()
    [api] = full['apis']
    assert api['routes'] == {key: uri(fn) for key, fn in ALL.routes()}
    assert api['served'] == {'api': api['routes']}
    assert api['integrations'] == 3
    assert api['protocol'] == 'WEBSOCKET' and api['selection'] == '$request.body.action'
    assert full['grants'] == {fn.function_name: ['arn:aws:execute-api:%s:%s:<api0>/*'
                                                 % (REGION, ACCOUNT)]
                              for _, fn in ALL.routes()}

    before = len(aws.calls)
    assert run_deploy(aws, state, ALL) == ['No changes to websocket api: %s' % API_NAME]
    assert [c for c in aws.calls[before:] if not c[1].startswith('get_')] == []

    run_deploy(aws, state, NO_DISCONNECT)
    [api] = aws.snapshot()['apis']
    assert set(api['routes']) == {'$connect', '$default'}
    assert api['served'] == {'api': api['routes']} and api['integrations'] == 2

    run_deploy(aws, state, ALL)
    assert aws.snapshot() == full
    run_delete(aws, state)
    assert aws.apis == {} and state.resources == []


def test_a_failure_at_any_call_is_recoverable(tmp_path):
    reference_aws = FakeV2()
    run_deploy(reference_aws, DeployedState(str(tmp_path / 'ref.json')), ALL)
    reference = reference_aws.snapshot()
    total = len(reference_aws.calls)
    assert total >= 12
    for k in range(1, total + 1):
        aws = FakeV2()
        state = DeployedState(str(tmp_path / ('dev%d.json' % k)))
        aws.fail_at = k
        with pytest.raises(DeploymentError):
            run_deploy(aws, state, ALL)
        aws.fail_at = None
        # The state lists exactly the API that exists (or nothing).
        assert recorded_api_ids(state) == sorted(aws.apis), k
        run_deploy(aws, state, ALL)
        assert aws.snapshot() == reference, k
        before = len(aws.mutating_calls)
        run_deploy(aws, state, ALL)
        assert len(aws.mutating_calls) == before, k
        run_delete(aws, state)
        assert aws.apis == {} and state.resources == [], k


def test_a_failure_while_removing_a_handler_is_recoverable(tmp_path):
    base = FakeV2()
    base_state = DeployedState(str(tmp_path / 'base.json'))
    run_deploy(base, base_state, ALL)
    start = len(base.calls)
    run_deploy(base, base_state, NO_DISCONNECT)
    total = len(base.calls) - start
    reference = base.snapshot()
    for k in range(1, total + 1):
        aws = FakeV2()
        state = DeployedState(str(tmp_path / ('rm%d.json' % k)))
        run_deploy(aws, state, ALL)
        aws.fail_at = len(aws.calls) + k
        with pytest.raises(DeploymentError):
            run_deploy(aws, state, NO_DISCONNECT)
        aws.fail_at = None
        run_deploy(aws, state, NO_DISCONNECT)
        assert aws.snapshot()['apis'] == reference['apis'], k


def test_delete_tolerates_an_api_already_gone(tmp_path):
    aws = FakeV2()
    state = DeployedState(str(tmp_path / 'dev.json'))
    run_deploy(aws, state, ALL)
    aws.apis.clear()
    run_delete(aws, state)
    assert state.resources == []


# ---------------------------------------------------------------- takeover

def test_api_deployed_by_aws_chalice_is_taken_over_with_one_redeployment():
    # AWS Chalice's record has no routes_sha256; its routes and integrations
    # carry the settings ours would give them.
    record, remote = in_sync()
    del record['routes_sha256']
    steps = HOME.plan(ALL, record, remote, ctx())
    assert mutating(steps) == ['apigatewayv2.create_deployment', 'apigatewayv2.update_stage']
    (recorded,) = [s for s in steps if isinstance(s, RecordResource)]
    values = rendered(recorded.values, **{'websocket_api.websocket_api_id': API_ID})
    assert values['routes_sha256'] == digest_of(ALL)
    record = dict(record, routes_sha256=values['routes_sha256'])
    assert mutating(HOME.plan(ALL, record, remote, ctx())) == []


def test_integrations_and_routes_without_the_settings_get_them():
    record, remote = in_sync()
    for integration in remote['integrations'].values():
        for key in ('ConnectionType', 'ContentHandlingStrategy', 'Description'):
            integration[key] = None
    remote['routes']['$connect']['response_selection'] = None
    steps = HOME.plan(ALL, record, remote, ctx())
    assert mutating(steps) == ['apigatewayv2.update_integration',
                               'apigatewayv2.update_route',
                               'apigatewayv2.update_integration',
                               'apigatewayv2.update_integration',
                               'apigatewayv2.create_deployment', 'apigatewayv2.update_stage']
    route = rendered(call(steps, 'update_route').params,
                     **{'websocket_api.websocket_api_id': API_ID})
    assert route == {'ApiId': API_ID, 'RouteId': 'route0',
                     'RouteResponseSelectionExpression': '$default'}
