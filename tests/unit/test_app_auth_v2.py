"""Authorizers for HTTP APIs: JWTAuthorizer, authorization_scopes, and the
built-in ``@app.authorizer`` answering payload format 2.0 authorizer events."""
import pytest

from chalice import (
    AuthResponse,
    AuthRoute,
    Chalice,
    CognitoUserPoolAuthorizer,
    IAMAuthorizer,
    JWTAuthorizer,
)
from tests.unit.events_v2 import authorizer_event, route_arn

ISSUER = 'https://issuer.example.com/'


def test_jwt_authorizer_fields_and_defaults():
    auth = JWTAuthorizer('jwt', ISSUER, 'client-1')
    assert (auth.name, auth.issuer, auth.audience) == ('jwt', ISSUER, ['client-1'])
    assert auth.identity_source == '$request.header.Authorization'
    assert auth.scopes == []
    scoped = auth.with_scopes(['read'])
    assert scoped.scopes == ['read'] and auth.scopes == []
    assert scoped != auth and scoped == auth.with_scopes(['read'])
    assert JWTAuthorizer('j', ISSUER, ['a', 'b'],
                         identity_source='$request.querystring.token').audience == ['a', 'b']


@pytest.mark.parametrize('kwargs, error', [
    ({'issuer': '', 'audience': 'a'}, TypeError),
    ({'issuer': ISSUER, 'audience': []}, TypeError),
    ({'issuer': ISSUER, 'audience': [1]}, TypeError),
    ({'issuer': ISSUER, 'audience': 'a', 'identity_source': 'Authorization'}, ValueError),
])
def test_jwt_authorizer_rejects_bad_arguments(kwargs, error):
    with pytest.raises(error):
        JWTAuthorizer('jwt', **kwargs)


def test_jwt_authorizer_is_for_http_apis_only_in_swagger():
    with pytest.raises(ValueError) as error:
        JWTAuthorizer('jwt', ISSUER, 'a').to_swagger()
    assert '"api_gateway_type": "HTTP"' in str(error.value)


def test_authorization_scopes_on_a_route():
    app = Chalice('scopes')
    auth = JWTAuthorizer('jwt', ISSUER, 'client-1')
    cognito = CognitoUserPoolAuthorizer('pool', ['arn:aws:cognito-idp:x'])

    @app.route('/read', authorizer=auth, authorization_scopes=['read'])
    def read():
        return {}

    @app.route('/plain', authorizer=auth)
    def plain():
        return {}

    @app.route('/c', authorizer=cognito, authorization_scopes=['email'])
    def c():
        return {}
    assert app.routes['/read']['GET'].authorizer.scopes == ['read']
    assert app.routes['/read']['GET'].authorizer_name == 'jwt'
    assert app.routes['/plain']['GET'].authorizer.scopes == []
    assert app.routes['/c']['GET'].authorizer.scopes == ['email']


@pytest.mark.parametrize('kwargs, message', [
    ({'authorization_scopes': ['x']}, 'needs an authorizer that checks OAuth scopes'),
    ({'authorization_scopes': ['x'], 'authorizer': IAMAuthorizer()},
     'needs an authorizer that checks OAuth scopes'),
    ({'authorization_scopes': 'read', 'authorizer': JWTAuthorizer('j', ISSUER, 'a')},
     'authorization_scopes must be a list of strings'),
])
def test_bad_authorization_scopes(kwargs, message):
    app = Chalice('scopes')
    with pytest.raises(ValueError) as error:
        app.route('/', **kwargs)(lambda: {})
    assert message in str(error.value)
    assert app.routes == {}


@pytest.fixture
def app():
    return Chalice('auth-v2')


def test_builtin_authorizer_reads_the_2_0_identity_source(app):
    seen = []

    @app.authorizer()
    def auth(auth_request):
        seen.append((auth_request.auth_type, auth_request.token, auth_request.method_arn))
        return AuthResponse(routes=['/users/*', AuthRoute('/admin', ['POST'])],
                            principal_id='u1', context={'user': 'u1'})
    event = authorizer_event('allow-me', 'GET', '/users/5')
    answer = auth(event, None)
    assert seen == [('REQUEST', 'allow-me', route_arn('GET', '/users/5'))]
    prefix = 'arn:aws:execute-api:us-west-2:123456789012:r3pmxmplak/$default/'
    assert answer == {
        'principalId': 'u1', 'context': {'user': 'u1'},
        'policyDocument': {'Version': '2012-10-17', 'Statement': [{
            'Action': 'execute-api:Invoke', 'Effect': 'Allow',
            'Resource': [prefix + '*/users/*', prefix + 'POST/admin']}]},
    }


@pytest.mark.parametrize('authorized, effect', [(True, 'Allow'), (False, 'Deny')])
def test_simple_responses_become_a_policy_for_every_route(app, authorized, effect):
    @app.authorizer()
    def auth(auth_request):
        return {'isAuthorized': authorized, 'context': {'tier': 'gold'}}
    answer = auth(authorizer_event('token', 'DELETE', '/items/3'), None)
    assert answer == {
        'principalId': 'user', 'context': {'tier': 'gold'},
        'policyDocument': {'Version': '2012-10-17', 'Statement': [{
            'Action': 'execute-api:Invoke', 'Effect': effect,
            'Resource': ['arn:aws:execute-api:us-west-2:123456789012:r3pmxmplak/$default/*']}]},
    }


def test_simple_response_without_context_and_truthy_non_bool_is_a_deny(app):
    @app.authorizer()
    def auth(auth_request):
        return {'isAuthorized': 'yes'}
    answer = auth(authorizer_event('token'), None)
    assert answer['policyDocument']['Statement'][0]['Effect'] == 'Deny'
    assert 'context' not in answer


def test_a_policy_answer_is_passed_through(app):
    policy = {'principalId': 'p', 'policyDocument': {'Version': '2012-10-17', 'Statement': []}}

    @app.authorizer()
    def auth(auth_request):
        return policy
    assert auth(authorizer_event('t'), None) is policy


def test_rest_token_events_are_unchanged(app):
    @app.authorizer()
    def auth(auth_request):
        return {'token': auth_request.token, 'arn': auth_request.method_arn,
                'isAuthorized': True}
    event = {'type': 'TOKEN', 'authorizationToken': 'abc',
             'methodArn': 'arn:aws:execute-api:us-west-2:1:api/dev/GET/'}
    # A REST authorizer's dict answer is never rewritten as a simple response.
    assert auth(event, None) == {'token': 'abc', 'arn': event['methodArn'], 'isAuthorized': True}
