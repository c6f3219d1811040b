"""The HTTP API home: pure planning against hand-built remote states.

Each test builds the HttpAPI model from a real app (through the app graph's
description in chalice.httpapi), plans against a remote state shaped like
``read_remote``'s, and checks the calls, their order and that botocore
accepts their parameters.  Deploying against moto is in
tests/integration/test_deploy_http_api.py.
"""
import dataclasses

import pytest

from chalice import AuthResponse, Chalice, IAMAuthorizer, JWTAuthorizer
from chalice.deploy.models import DeploymentPackage, HttpAPI, LambdaFunction, ManagedIAMRole
from chalice.deploy.plan import APICall, ForgetResource, Message, RecordResource, SetVar, resolve
from chalice.deploy.planner import PlanContext
from chalice.deploy.resources import home_for
from chalice.deploy.resources.http_api import _authorizer_shape, _route_shape
from chalice.httpapi import authorizers, cors_configuration, route_keys
from tests.unit.deploy.fakes import validate_params

REGION, ACCOUNT, API_ID = 'us-west-2', '123456789012', 'httpapi1'
HOME = home_for('http_api')
PACKAGE = DeploymentPackage('/nowhere/deployment.zip', 'c2hh', 10)
ROLE = ManagedIAMRole('default-role', 'demo-dev', {'Version': '2012-10-17', 'Statement': []})
JWT = JWTAuthorizer('jwt', 'https://issuer.example.com/', ['client-a'])


def function(name, function_name):
    return LambdaFunction(name, function_name, 'app.app', 'python3.11', ROLE, PACKAGE)


HANDLER = function('api_handler', 'demo-dev')
AUTH_FN = function('builtin', 'demo-dev-builtin')


def arn(function_name):
    return 'arn:aws:lambda:%s:%s:function:%s' % (REGION, ACCOUNT, function_name)


def make_app(cors=False, jwt_scopes=('read',), with_builtin=True, extra_route=False):
    app = Chalice('demo')

    @app.authorizer(ttl_seconds=60)
    def builtin(auth_request):
        return AuthResponse(routes=['*'], principal_id='u')

    @app.route('/', cors=cors)
    def index():
        return {}

    @app.route('/users/{id}', methods=['GET', 'PUT'], authorizer=JWT,
               authorization_scopes=list(jwt_scopes), cors=cors)
    def user(id):
        return {}

    if with_builtin:
        @app.route('/guarded', authorizer=builtin, cors=cors)
        def guarded():
            return {}

    @app.route('/iam', authorizer=IAMAuthorizer(), cors=cors)
    def iam():
        return {}

    if extra_route:
        @app.route('/extra', cors=cors)
        def extra():
            return {}
    return app


def model_of(app):
    return HttpAPI('http_api', 'demo', HANDLER, routes=tuple(route_keys(app)),
                   authorizers=tuple(authorizers(app)), authorizer_functions=(AUTH_FN,),
                   cors=cors_configuration(app))


def context(functions_exist=True):
    ctx = PlanContext(region=REGION, account_id=ACCOUNT)
    if functions_exist:
        ctx.known.update({'api_handler.lambda_arn': arn('demo-dev'),
                          'builtin.lambda_arn': arn('demo-dev-builtin')})
    return ctx


def grant(source_arn):
    return {'Effect': 'Allow', 'Principal': {'Service': 'apigateway.amazonaws.com'},
            'Action': 'lambda:InvokeFunction',
            'Condition': {'ArnLike': {'AWS:SourceArn': source_arn}}}


def in_sync(model):
    """(record, remote) as a completed deploy of ``model`` leaves them."""
    ctx = context()
    values = dict(ctx.known, **{'http_api.http_api_id': API_ID,
                                'http_api.integration_id': 'int1', 'region': REGION})
    ids = {spec.name: 'auth-%s' % spec.name for spec in model.authorizers}
    for spec in model.authorizers:
        values['http_api.authorizer_id.%s' % spec.name] = ids[spec.name]
    routes = {}
    for index, (key, auth) in enumerate(model.routes):
        routes[key] = {'id': 'route%d' % index, 'target': 'integrations/int1',
                       'shape': _route_shape('integrations/int1', auth.authorization_type,
                                             ids.get(auth.authorizer), auth.scopes)}
    from chalice.deploy.resources.http_api import authorizer_params

    remote = {
        'api': {'id': API_ID, 'name': 'demo', 'cors': model.cors},
        'routes': routes,
        'integrations': {'int1': ('AWS_PROXY', arn('demo-dev'), '2.0')},
        'authorizers': [{'id': ids[spec.name], 'name': spec.name, 'shape': _authorizer_shape(
            resolve(authorizer_params(model, spec, ctx), lambda var: values[var.name]))}
            for spec in model.authorizers],
        'stages': {'$default': True},
        'permissions': {
            'demo-dev': [grant('arn:aws:execute-api:%s:%s:%s/*' % (REGION, ACCOUNT, API_ID))],
            'demo-dev-builtin': [grant('arn:aws:execute-api:%s:%s:%s/authorizers/*' % (
                REGION, ACCOUNT, API_ID))]},
    }
    record = {'name': 'http_api', 'resource_type': 'http_api', 'http_api_id': API_ID,
              'http_api_url': 'https://%s.execute-api.%s.amazonaws.com/' % (API_ID, REGION)}
    return record, remote


def calls(steps):
    return [step for step in steps if isinstance(step, APICall)]


def methods(steps):
    return [step.method for step in calls(steps)]


def check_params(steps, **known):
    values = dict({'region': REGION, 'account_id': ACCOUNT, 'partition': 'aws',
                   'http_api.http_api_id': API_ID, 'http_api.integration_id': 'int1',
                   'http_api.authorizer_id.jwt': 'a1', 'http_api.authorizer_id.builtin': 'a2',
                   'api_handler.lambda_arn': arn('demo-dev'),
                   'builtin.lambda_arn': arn('demo-dev-builtin')}, **known)
    for step in calls(steps):
        validate_params(step.service, step.method, resolve(step.params,
                                                           lambda var: values[var.name]))


# --------------------------------------------------------------------------
# creating

def test_create_plan():
    model = model_of(make_app(cors=True))
    steps = HOME.plan(model, None, None, context())
    check_params(steps)
    assert methods(steps) == (
        ['create_api', 'create_integration', 'create_authorizer', 'create_authorizer'] +
        ['create_route'] * 5 + ['create_stage', 'add_permission', 'add_permission'])
    create_api = calls(steps)[0]
    assert create_api.params['ProtocolType'] == 'HTTP'
    assert create_api.params['CorsConfiguration']['AllowMethods'] == ['GET', 'OPTIONS', 'PUT']
    assert create_api.message == 'Creating HTTP API: demo'
    # The API is recorded as soon as it exists.
    assert isinstance(steps[1], RecordResource)
    assert set(steps[1].values) == {'http_api_id', 'http_api_url'}
    integration = calls(steps)[1].params
    assert (integration['IntegrationType'], integration['PayloadFormatVersion']) == (
        'AWS_PROXY', '2.0')
    # Authorizers in name order: the built-in one, then the JWT one.
    builtin, jwt = [c.params for c in calls(steps) if c.method == 'create_authorizer']
    assert jwt['JwtConfiguration'] == {'Issuer': 'https://issuer.example.com/',
                                       'Audience': ['client-a']}
    assert jwt['IdentitySource'] == ['$request.header.Authorization']
    assert builtin['AuthorizerType'] == 'REQUEST'
    assert builtin['AuthorizerPayloadFormatVersion'] == '2.0'
    assert builtin['EnableSimpleResponses'] is False
    assert builtin['AuthorizerResultTtlInSeconds'] == 60
    routes = {c.params['RouteKey']: c.params for c in calls(steps)
              if c.method == 'create_route'}
    assert set(routes) == {'GET /', 'GET /users/{id}', 'PUT /users/{id}', 'GET /guarded',
                           'GET /iam'}
    assert routes['GET /']['AuthorizationType'] == 'NONE'
    assert routes['GET /users/{id}']['AuthorizationType'] == 'JWT'
    assert routes['GET /users/{id}']['AuthorizationScopes'] == ['read']
    assert routes['GET /guarded']['AuthorizationType'] == 'CUSTOM'
    assert routes['GET /iam']['AuthorizationType'] == 'AWS_IAM'
    assert 'AuthorizerId' not in routes['GET /iam']
    stage = [c for c in calls(steps) if c.method == 'create_stage'][0].params
    assert (stage['StageName'], stage['AutoDeploy']) == ('$default', True)


def test_a_redeploy_of_an_unchanged_app_makes_no_calls():
    model = model_of(make_app(cors=True))
    record, remote = in_sync(model)
    steps = HOME.plan(model, record, remote, context())
    assert calls(steps) == []
    assert steps == [SetVar('http_api.http_api_id', API_ID),
                     Message('No changes to HTTP API: demo')]


def test_a_stale_record_is_refreshed_without_calls():
    model = model_of(make_app())
    record, remote = in_sync(model)
    record['http_api_url'] = 'https://old/'
    steps = HOME.plan(model, record, remote, context())
    assert calls(steps) == []
    assert any(isinstance(s, RecordResource) for s in steps)


# --------------------------------------------------------------------------
# changes

def test_route_added_and_removed():
    old = model_of(make_app(with_builtin=True))
    new = model_of(make_app(with_builtin=False, extra_route=True))
    record, remote = in_sync(old)
    steps = HOME.plan(new, record, remote, context())
    check_params(steps)
    assert methods(steps) == ['delete_route', 'create_route', 'delete_authorizer']
    assert calls(steps)[1].params['RouteKey'] == 'GET /extra'
    assert calls(steps)[2].params['AuthorizerId'] == 'auth-builtin'
    assert Message('Updating HTTP API: demo') in steps


def test_scopes_changed_updates_the_routes():
    record, remote = in_sync(model_of(make_app(jwt_scopes=('read',))))
    steps = HOME.plan(model_of(make_app(jwt_scopes=('read', 'admin'))), record, remote,
                      context())
    check_params(steps)
    assert methods(steps) == ['update_route', 'update_route']
    assert {tuple(c.params['AuthorizationScopes']) for c in calls(steps)} == {('read', 'admin')}
    assert all('RouteKey' not in c.params for c in calls(steps))


def test_cors_added_changed_and_removed():
    plain = model_of(make_app(cors=False))
    with_cors = model_of(make_app(cors=True))
    record, remote = in_sync(plain)
    added = HOME.plan(with_cors, record, remote, context())
    assert methods(added) == ['update_api']
    assert calls(added)[0].params['CorsConfiguration'] == with_cors.cors
    record, remote = in_sync(with_cors)
    removed = HOME.plan(plain, record, remote, context())
    assert methods(removed) == ['delete_cors_configuration']
    check_params(added + removed)
    # AWS may report header names in another case and lists in another order.
    record, remote = in_sync(with_cors)
    remote['api']['cors'] = dict(with_cors.cors, AllowHeaders=[
        h.lower() for h in reversed(with_cors.cors['AllowHeaders'])])
    assert calls(HOME.plan(with_cors, record, remote, context())) == []


def test_authorizer_settings_changed_are_updated_in_place():
    model = model_of(make_app())
    record, remote = in_sync(model)
    changed = dataclasses.replace(model, authorizers=tuple(
        spec._replace(audience=('client-b',)) if spec.name == 'jwt' else spec
        for spec in model.authorizers))
    steps = HOME.plan(changed, record, remote, context())
    check_params(steps)
    assert methods(steps) == ['update_authorizer']
    assert calls(steps)[0].params['AuthorizerId'] == 'auth-jwt'
    assert calls(steps)[0].params['JwtConfiguration']['Audience'] == ['client-b']


def test_handler_replaced_updates_the_integration():
    model = model_of(make_app())
    record, remote = in_sync(model)
    remote['integrations'] = {'int1': ('AWS_PROXY', arn('old-function'), '2.0')}
    steps = HOME.plan(model, record, remote, context())
    check_params(steps)
    assert methods(steps) == ['update_integration']
    assert calls(steps)[0].params['IntegrationId'] == 'int1'


# --------------------------------------------------------------------------
# a run that stopped half-way

def test_missing_pieces_are_created_and_spares_deleted():
    model = model_of(make_app())
    record, remote = in_sync(model)
    remote['routes'] = {}
    remote['stages'] = {}
    [jwt] = [a for a in remote['authorizers'] if a['name'] == 'jwt']
    remote['authorizers'] = [jwt, dict(jwt, id='auth-jwt-again')]
    remote['integrations']['int0'] = ('AWS_PROXY', arn('demo-dev'), '2.0')
    remote['permissions'] = {}
    steps = HOME.plan(model, record, remote, context())
    check_params(steps, **{'http_api.authorizer_id.builtin': 'a2'})
    assert methods(steps) == (['create_authorizer'] + ['create_route'] * 5 +
                              ['create_stage', 'delete_authorizer', 'delete_integration',
                               'add_permission', 'add_permission'])
    # The integration that does the job is kept (the first), the spare deleted.
    assert {c.params['Target'].parts[1] for c in calls(steps)
            if c.method == 'create_route'} == {'int0'}
    assert calls(steps)[-3].params['IntegrationId'] == 'int1'
    # A second authorizer of the same name (a stopped run's) is deleted, the first kept.
    assert calls(steps)[-4].params['AuthorizerId'] == 'auth-jwt-again'
    jwt_routes = [c.params for c in calls(steps) if c.params.get('AuthorizationType') == 'JWT']
    assert {route['AuthorizerId'] for route in jwt_routes} == {'auth-jwt'}


def test_an_api_without_integrations_gets_one():
    model = model_of(make_app())
    record, remote = in_sync(model)
    remote['integrations'] = {}
    steps = HOME.plan(model, record, remote, context())
    assert methods(steps)[0] == 'create_integration'
    assert set(methods(steps)[1:]) == {'update_route'}


def test_functions_being_created_get_grants_and_a_new_integration_target():
    model = model_of(make_app())
    steps = HOME.plan(model, None, None, context(functions_exist=False))
    assert methods(steps).count('add_permission') == 2


def test_delete():
    record, _ = in_sync(model_of(make_app()))
    steps = HOME.plan_delete(record, None, context())
    assert steps == [APICall('apigatewayv2', 'delete_api', {'ApiId': API_ID},
                             message='Deleting HTTP API: %s' % API_ID,
                             ignore_errors=('NotFoundException',)),
                     ForgetResource('http_api')]


@pytest.mark.parametrize('auth_type, scopes, expected', [
    (None, ['x'], ('t', 'NONE', None, ())),
    ('NONE', None, ('t', 'NONE', None, ())),
    ('CUSTOM', ['x'], ('t', 'CUSTOM', 'a', ())),
    ('JWT', ['b', 'a'], ('t', 'JWT', 'a', ('a', 'b'))),
])
def test_route_shapes_compare_what_matters(auth_type, scopes, expected):
    assert _route_shape('t', auth_type, 'a', scopes) == expected
