"""Authorizers: the API Gateway ones and Chalice's built-in (Lambda) ones.

Built-in authorizer handlers are called as API Gateway calls them, with a
TOKEN (or REQUEST) authorizer event, and must answer with an IAM policy.
"""
import json

import pytest

from chalice import (
    AuthResponse,
    AuthRoute,
    Blueprint,
    Chalice,
    CognitoUserPoolAuthorizer,
    CustomAuthorizer,
    IAMAuthorizer,
)
from chalice.app import AuthRequest, BuiltinAuthConfig, ChaliceAuthorizer
from tests.unit import events
from tests.unit.events import FakeLambdaContext

METHOD_ARN = 'arn:aws:execute-api:us-west-2:123456789012:abcdef1234/dev/GET/users/5'
ARN_PREFIX = 'arn:aws:execute-api:us-west-2:123456789012:abcdef1234/dev'


def token_event(token='allow', method_arn=METHOD_ARN):
    """A TOKEN authorizer event exactly as API Gateway sends it."""
    return {'type': 'TOKEN', 'authorizationToken': token, 'methodArn': method_arn}


def policy(resources):
    return {
        'Version': '2012-10-17',
        'Statement': [{
            'Action': 'execute-api:Invoke',
            'Effect': 'Allow',
            'Resource': resources,
        }],
    }


@pytest.fixture
def app():
    return Chalice('authapp')


@pytest.fixture
def ctx():
    return FakeLambdaContext(function_name='authapp-dev-auth')


def make_authorizer(app, response, **options):
    """Register a built-in authorizer returning ``response``; record requests."""
    requests = []

    @app.authorizer(**options)
    def auth(auth_request):
        requests.append(auth_request)
        return response

    return auth, requests


# ------------------------------------------------------------- registration

def test_builtin_authorizer_is_recorded_with_defaults(app):
    @app.authorizer()
    def demo_auth(auth_request):
        return AuthResponse(routes=['/'], principal_id='user')

    [config] = app.builtin_auth_handlers
    assert isinstance(config, BuiltinAuthConfig)
    assert config.name == 'demo_auth'
    assert config.handler_string == 'app.demo_auth'
    assert config.ttl_seconds is None
    assert config.execution_role is None
    assert config.header == 'Authorization'
    assert isinstance(demo_auth, ChaliceAuthorizer)
    assert demo_auth.name == 'demo_auth'
    assert app.handler_map == {'demo_auth': demo_auth}
    # An authorizer is its own Lambda function, not an event source.
    assert app.event_sources == []
    assert app.pure_lambda_functions == []


def test_builtin_authorizer_options(app):
    role = 'arn:aws:iam::123456789012:role/auth-invoker'

    @app.authorizer(ttl_seconds=30, execution_role=role, name='token_auth',
                    header='X-Auth-Token')
    def my_auth(auth_request):
        return AuthResponse(routes=['/'], principal_id='username')

    [config] = app.builtin_auth_handlers
    assert config.name == 'token_auth'
    assert config.handler_string == 'app.my_auth'
    assert config.ttl_seconds == 30
    assert config.execution_role == role
    assert config.header == 'X-Auth-Token'
    assert my_auth.name == 'token_auth'
    assert set(app.handler_map) == {'token_auth'}


def test_route_records_builtin_authorizer(app):
    @app.authorizer(name='demo')
    def demo_auth(auth_request):
        return AuthResponse(routes=['/'], principal_id='user')

    @app.route('/', authorizer=demo_auth)
    def index():
        return {}

    @app.route('/other', methods=['GET', 'POST'], authorizer=demo_auth)
    def other():
        return {}

    entry = app.routes['/']['GET']
    assert entry.authorizer is demo_auth
    assert entry.authorizer_name == 'demo'
    assert app.routes['/other']['POST'].authorizer_name == 'demo'
    assert app.handler_map == {'demo': demo_auth, 'api_handler': app}


def test_route_without_authorizer(app):
    @app.route('/open')
    def open_view():
        return {}

    entry = app.routes['/open']['GET']
    assert entry.authorizer is None
    assert entry.authorizer_name is None


def test_authorizer_name_must_be_unique_to_deploy(app):
    from chalice.appcheck import AppCheckError, check_app

    @app.lambda_function(name='auth')
    def auth_fn(event, context):
        pass

    @app.authorizer()
    def auth(auth_request):
        pass

    # Loads, as in Chalice 1.x; `chalice deploy/package/local` refuse it.
    assert [c.name for c in app.builtin_auth_handlers] == ['auth']
    with pytest.raises(AppCheckError, match="Duplicate function name 'auth'"):
        check_app(app)


def test_route_rejects_non_authorizer(app):
    with pytest.raises(TypeError):
        @app.route('/', authorizer='demo_auth')
        def index():
            return {}


def test_builtin_authorizer_to_swagger(app):
    @app.authorizer()
    def default_ttl(auth_request):
        pass

    @app.authorizer(ttl_seconds=30, header='X-Token')
    def short_ttl(auth_request):
        pass

    assert default_ttl.to_swagger() == {
        'in': 'header',
        'type': 'apiKey',
        'name': 'Authorization',
        'x-amazon-apigateway-authtype': 'custom',
        # No ttl given: none written (API Gateway's default is 300 s), as AWS Chalice.
        'x-amazon-apigateway-authorizer': {
            'type': 'token',
        },
    }
    swagger = short_ttl.to_swagger()
    assert swagger['name'] == 'X-Token'
    assert swagger['x-amazon-apigateway-authorizer']['authorizerResultTtlInSeconds'] == 30


# -------------------------------------------------- invoking the authorizer

def test_authorizer_handler_gets_auth_request(app, ctx):
    auth, requests = make_authorizer(app, AuthResponse(routes=['/'], principal_id='user'))
    auth(token_event('secret-token'), ctx)
    [request] = requests
    assert isinstance(request, AuthRequest)
    assert request.auth_type == 'TOKEN'
    assert request.token == 'secret-token'
    assert request.method_arn == METHOD_ARN


def test_authorizer_allow_and_deny_like_the_docs(app, ctx):
    @app.authorizer()
    def demo_auth(auth_request):
        if auth_request.token == 'allow':
            return AuthResponse(routes=['/'], principal_id='user')
        return AuthResponse(routes=[], principal_id='user')

    allowed = demo_auth(token_event('allow'), ctx)
    assert allowed['principalId'] == 'user'
    assert allowed['policyDocument'] == policy([ARN_PREFIX + '/*/'])
    assert allowed.get('context', {}) == {}
    denied = demo_auth(token_event('deny'), ctx)
    assert denied['principalId'] == 'user'
    assert denied['policyDocument'] == policy([])


def test_authorizer_response_is_exactly_the_api_gateway_shape(app, ctx):
    auth, _ = make_authorizer(app, AuthResponse(routes=['/users/{id}'], principal_id='u1',
                                                context={'tier': 'gold', 'n': '1'}))
    result = auth(token_event(), ctx)
    assert result == {
        'principalId': 'u1',
        'policyDocument': policy([ARN_PREFIX + '/*/users/*']),
        'context': {'tier': 'gold', 'n': '1'},
    }
    assert json.loads(json.dumps(result)) == result


@pytest.mark.parametrize('routes, resources', [
    (['/'], [ARN_PREFIX + '/*/']),
    (['/users'], [ARN_PREFIX + '/*/users']),
    (['/users/{id}'], [ARN_PREFIX + '/*/users/*']),
    (['/a/{b}/c/{d}'], [ARN_PREFIX + '/*/a/*/c/*']),
    (['/files/{path+}'], [ARN_PREFIX + '/*/files/*']),
    (['*'], [ARN_PREFIX + '/*/*']),
    ([], []),
    ([AuthRoute('/users', ['GET', 'POST'])],
     [ARN_PREFIX + '/GET/users', ARN_PREFIX + '/POST/users']),
    ([AuthRoute('/users/{id}', ['DELETE'])], [ARN_PREFIX + '/DELETE/users/*']),
    ([AuthRoute('/', ['GET'])], [ARN_PREFIX + '/GET/']),
    (['/a', AuthRoute('/b', ['PUT']), '/c/{x}'],
     [ARN_PREFIX + '/*/a', ARN_PREFIX + '/PUT/b', ARN_PREFIX + '/*/c/*']),
])
def test_auth_response_routes_become_method_arns(app, ctx, routes, resources):
    auth, _ = make_authorizer(app, AuthResponse(routes=routes, principal_id='p'))
    result = auth(token_event(), ctx)
    assert result['policyDocument'] == policy(resources)
    assert result['principalId'] == 'p'


@pytest.mark.parametrize('method_arn, expected', [
    ('arn:aws:execute-api:eu-central-1:210987654321:q1w2e3r4t5/prod/POST/',
     'arn:aws:execute-api:eu-central-1:210987654321:q1w2e3r4t5/prod/*/orders/*'),
    ('arn:aws:execute-api:us-west-2:123456789012:abcdef1234/api/GET/orders/9/items',
     'arn:aws:execute-api:us-west-2:123456789012:abcdef1234/api/*/orders/*'),
    ('arn:aws-cn:execute-api:cn-north-1:123456789012:abcdef1234/dev/GET/x',
     'arn:aws-cn:execute-api:cn-north-1:123456789012:abcdef1234/dev/*/orders/*'),
])
def test_method_arns_keep_region_account_api_and_stage(app, ctx, method_arn, expected):
    auth, _ = make_authorizer(app, AuthResponse(routes=['/orders/{id}'], principal_id='p'))
    assert auth(token_event(method_arn=method_arn), ctx)['policyDocument'] == policy(
        [expected])


def test_auth_route_attributes():
    route = AuthRoute('/users', ['GET', 'PUT'])
    assert route.path == '/users'
    assert route.methods == ['GET', 'PUT']


def test_auth_response_attributes():
    response = AuthResponse(routes=['*'], principal_id='admin', context={'a': 'b'})
    assert response.routes == ['*']
    assert response.principal_id == 'admin'
    assert response.context == {'a': 'b'}


def test_auth_request_attributes():
    request = AuthRequest('TOKEN', 'tok', METHOD_ARN)
    assert (request.auth_type, request.token, request.method_arn) == (
        'TOKEN', 'tok', METHOD_ARN)


def test_raw_policy_dict_is_returned_unchanged(app, ctx):
    raw_policy = {
        'principalId': 'user',
        'policyDocument': {
            'Version': '2012-10-17',
            'Statement': [{'Action': 'execute-api:Invoke', 'Effect': 'Deny',
                           'Resource': [METHOD_ARN]}],
        },
        'context': {'reason': 'blocked'},
        'usageIdentifierKey': 'some-api-key',
    }
    auth, _ = make_authorizer(app, raw_policy)
    result = auth(token_event('blocked'), ctx)
    assert result is raw_policy
    assert result['policyDocument']['Statement'][0]['Effect'] == 'Deny'


def test_authorizer_with_shared_event_factory(app, ctx):
    auth, requests = make_authorizer(app, AuthResponse(routes=['*'], principal_id='p'))
    raw = events.token_authorizer_event('Bearer abc', method='PUT', path='/items/3')
    result = auth(raw, ctx)
    assert requests[0].token == 'Bearer abc'
    assert requests[0].method_arn == (
        'arn:aws:execute-api:us-west-2:123456789012:abcdef1234/api/PUT/items/3')
    assert result['policyDocument'] == policy([
        'arn:aws:execute-api:us-west-2:123456789012:abcdef1234/api/*/*'])


def test_request_authorizer_event_token_from_authorization_header(app, ctx):
    auth, requests = make_authorizer(app, AuthResponse(routes=['/items'], principal_id='p'))
    raw = events.request_authorizer_event('/items', headers={'Authorization': 'tok-123'})
    result = auth(raw, ctx)
    [request] = requests
    assert request.auth_type == 'REQUEST'
    assert request.token == 'tok-123'
    assert request.method_arn == raw['methodArn']
    assert result['policyDocument'] == policy([
        'arn:aws:execute-api:us-west-2:123456789012:abcdef1234/api/*/items'])


def test_authorizer_can_be_invoked_through_handler_map(app, ctx):
    make_authorizer(app, AuthResponse(routes=['/'], principal_id='p'), name='gate')
    result = app.handler_map['gate'](token_event(), ctx)
    assert result['principalId'] == 'p'


def test_authorizer_context_reaches_the_view(app):
    @app.authorizer()
    def demo_auth(auth_request):
        return AuthResponse(routes=['/'], principal_id='user', context={'role': 'admin'})

    @app.route('/', authorizer=demo_auth)
    def index():
        return {'context': app.current_request.context['authorizer']}

    # API Gateway calls the authorizer, then the API with its output as
    # requestContext.authorizer (principalId plus the stringified context).
    auth_result = demo_auth(token_event('allow'), FakeLambdaContext())
    authorizer_context = dict(auth_result['context'], principalId=auth_result['principalId'])
    response = app(events.rest_event('/', authorizer=authorizer_context), FakeLambdaContext())
    assert response['statusCode'] == 200
    assert json.loads(response['body']) == {
        'context': {'principalId': 'user', 'role': 'admin'}}


# ---------------------------------------------------------------- blueprints

def test_blueprint_authorizer(app, ctx):
    bp = Blueprint('chalicelib.auth')

    @bp.authorizer(ttl_seconds=60)
    def bp_auth(auth_request):
        return AuthResponse(routes=['/secure'], principal_id=auth_request.token)

    @bp.route('/secure', authorizer=bp_auth)
    def secure():
        return {}

    assert app.builtin_auth_handlers == []
    app.register_blueprint(bp, name_prefix='p_', url_prefix='/v1')
    [config] = app.builtin_auth_handlers
    assert config.name == 'p_bp_auth'
    assert config.handler_string == 'chalicelib.auth.bp_auth'
    assert config.ttl_seconds == 60
    entry = app.routes['/v1/secure']['GET']
    assert entry.authorizer is bp_auth
    # The route names the same authorizer the deployer creates.
    assert entry.authorizer_name == config.name
    assert app.handler_map['p_bp_auth'] is bp_auth
    result = app.handler_map['p_bp_auth'](token_event('alice'), ctx)
    assert result['principalId'] == 'alice'
    assert result['policyDocument'] == policy([ARN_PREFIX + '/*/secure'])


# -------------------------------------------- authorizers API Gateway owns

def test_iam_authorizer(app):
    authorizer = IAMAuthorizer()
    assert authorizer.to_swagger() == {
        'in': 'header',
        'type': 'apiKey',
        'name': 'Authorization',
        'x-amazon-apigateway-authtype': 'awsSigv4',
    }

    @app.route('/iam-auth', methods=['GET'], authorizer=authorizer)
    def authenticated():
        return {'success': True}

    entry = app.routes['/iam-auth']['GET']
    assert entry.authorizer is authorizer
    assert entry.authorizer_name == authorizer.name
    assert app.builtin_auth_handlers == []
    assert 'api_handler' in app.handler_map


def test_cognito_user_pool_authorizer(app):
    arns = ['arn:aws:cognito-idp:us-west-2:123456789012:userpool/us-west-2_abc']
    authorizer = CognitoUserPoolAuthorizer('MyPool', provider_arns=arns)
    assert authorizer.name == 'MyPool'
    assert authorizer.provider_arns == arns
    assert authorizer.header == 'Authorization'
    assert authorizer.to_swagger() == {
        'in': 'header',
        'type': 'apiKey',
        'name': 'Authorization',
        'x-amazon-apigateway-authtype': 'cognito_user_pools',
        'x-amazon-apigateway-authorizer': {
            'type': 'cognito_user_pools',
            'providerARNs': arns,
        },
    }

    @app.route('/user-pools', methods=['GET'], authorizer=authorizer)
    def one():
        return {}

    @app.route('/user-pools-2', methods=['GET'], authorizer=authorizer)
    def two():
        return {}

    assert app.routes['/user-pools']['GET'].authorizer_name == 'MyPool'
    assert app.routes['/user-pools-2']['GET'].authorizer is authorizer


def test_cognito_user_pool_authorizer_custom_header():
    authorizer = CognitoUserPoolAuthorizer(
        'MyPool', header='X-Id-Token', provider_arns=['arn:a', 'arn:b'])
    assert authorizer.header == 'X-Id-Token'
    swagger = authorizer.to_swagger()
    assert swagger['name'] == 'X-Id-Token'
    assert swagger['x-amazon-apigateway-authorizer']['providerARNs'] == ['arn:a', 'arn:b']


def test_custom_authorizer_defaults():
    uri = ('arn:aws:apigateway:us-west-2:lambda:path/2015-03-31/functions/'
           'arn:aws:lambda:us-west-2:123456789012:function:Auth/invocations')
    authorizer = CustomAuthorizer('MyCustomAuth', header='Authorization', authorizer_uri=uri)
    assert authorizer.name == 'MyCustomAuth'
    assert authorizer.authorizer_uri == uri
    assert authorizer.ttl_seconds == 300
    assert authorizer.header == 'Authorization'
    assert authorizer.to_swagger() == {
        'in': 'header',
        'type': 'apiKey',
        'name': 'Authorization',
        'x-amazon-apigateway-authtype': 'custom',
        'x-amazon-apigateway-authorizer': {
            'type': 'token',
            'authorizerUri': uri,
            'authorizerResultTtlInSeconds': 300,
        },
    }


def test_custom_authorizer_options(app):
    authorizer = CustomAuthorizer('Auth', 'arn:uri', ttl_seconds=0, header='X-Key')
    assert authorizer.ttl_seconds == 0
    assert authorizer.header == 'X-Key'
    swagger = authorizer.to_swagger()
    assert swagger['name'] == 'X-Key'
    assert swagger['x-amazon-apigateway-authorizer']['authorizerResultTtlInSeconds'] == 0
    assert swagger['x-amazon-apigateway-authorizer']['authorizerUri'] == 'arn:uri'

    @app.route('/custom-auth', methods=['GET'], authorizer=authorizer)
    def authenticated():
        return {'success': True}

    assert app.routes['/custom-auth']['GET'].authorizer_name == 'Auth'
