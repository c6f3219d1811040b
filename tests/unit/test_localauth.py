"""Built-in authorizer emulation: policy evaluation, events, context."""
import pytest

from chalice import AuthResponse, AuthRoute, Chalice
from chalice.localauth import (
    ALLOW,
    EXPLICIT_DENY,
    IMPLICIT_DENY,
    NO_GRANT,
    authorizer_context,
    build_method_arn,
    build_token_event,
    evaluate_policy,
    resource_matches,
    run_token_authorizer,
)

ARN = 'arn:aws:execute-api:us-west-2:123456789012:localapi01/api/GET/users/5'
PREFIX = 'arn:aws:execute-api:us-west-2:123456789012:localapi01/api'


def policy(*statements):
    return {'Version': '2012-10-17', 'Statement': list(statements)}


def allow(*resources, action='execute-api:Invoke'):
    return {'Effect': 'Allow', 'Action': action, 'Resource': list(resources)}


def deny(*resources, action='execute-api:Invoke'):
    return {'Effect': 'Deny', 'Action': action, 'Resource': list(resources)}


@pytest.mark.parametrize('document, expected', [
    (policy(allow(ARN)), ALLOW),
    (policy(allow('*')), ALLOW),
    (policy(allow(PREFIX + '/*/*')), ALLOW),
    (policy(allow(PREFIX + '/GET/users/*')), ALLOW),
    (policy(allow(PREFIX + '/GET/users/?')), ALLOW),
    (policy(allow(PREFIX + '/GET/users/??')), IMPLICIT_DENY),
    (policy(allow('arn:aws:execute-api:*:*:*')), ALLOW),
    (policy(allow(PREFIX + '/POST/users/*')), IMPLICIT_DENY),
    (policy(allow(PREFIX + '/GET/users')), IMPLICIT_DENY),
    (policy(allow(PREFIX.upper() + '/GET/users/5')), IMPLICIT_DENY),
    (policy(allow(PREFIX + '/GET/users/5'), deny(PREFIX + '/GET/*')), EXPLICIT_DENY),
    (policy(deny(PREFIX + '/*'), allow('*')), EXPLICIT_DENY),
    (policy(deny(PREFIX + '/POST/*'), allow('*')), ALLOW),
    (policy(deny(PREFIX + '/POST/*')), IMPLICIT_DENY),
    (policy(allow(ARN, action='execute-api:*')), ALLOW),
    (policy(allow(ARN, action=['s3:GetObject', '*'])), ALLOW),
    (policy(allow(ARN, action='s3:GetObject')), NO_GRANT),
    (policy(allow()), NO_GRANT),
    (policy(), NO_GRANT),
    ({'Statement': allow(ARN)}, ALLOW),
    ({'Statement': [{'Effect': 'Allow', 'Action': 'execute-api:Invoke',
                     'Resource': ARN}]}, ALLOW),
    ({'Statement': [{'Effect': 'Allow', 'Action': 'execute-api:Invoke',
                     'NotResource': PREFIX + '/POST/*'}]}, ALLOW),
    ({'Statement': [{'Effect': 'Maybe', 'Action': 'execute-api:Invoke',
                     'Resource': ARN}]}, NO_GRANT),
])
def test_evaluate_policy(document, expected):
    assert evaluate_policy(document, ARN) == expected


@pytest.mark.parametrize('document', [None, 'allow', {'Statement': 'x'}, {'Statement': [1]}])
def test_evaluate_policy_rejects_non_policies(document):
    with pytest.raises(ValueError):
        evaluate_policy(document, ARN)


@pytest.mark.parametrize('pattern, arn, expected', [
    ('*', 'anything', True),
    ('a*c', 'abbbc', True),
    ('a*c', 'ab/c:d', False),
    ('a*', 'ab/c:d', True),
    ('a?c', 'abc', True),
    ('a?c', 'ac', False),
    ('a.c', 'abc', False),
    ('a[b]c', 'a[b]c', True),
    (None, 'x', False),
])
def test_resource_matches(pattern, arn, expected):
    assert resource_matches(pattern, arn) is expected


def test_method_arn_shape():
    kwargs = dict(stage='api', region='us-west-2', account_id='123456789012',
                  api_id='localapi01')
    assert build_method_arn('get', '/users/5', **kwargs) == ARN
    assert build_method_arn('GET', '/users/5/', **kwargs) == ARN
    assert build_method_arn('POST', '/', **kwargs) == PREFIX + '/POST/'


def test_token_event_shape():
    assert build_token_event('abc', ARN) == {
        'type': 'TOKEN', 'authorizationToken': 'abc', 'methodArn': ARN}


def test_context_values_are_stringified():
    context = authorizer_context(
        {'user': 'bob', 'n': 3, 'ratio': 1.5, 'admin': True, 'off': False, 'none': None},
        'user-1')
    assert context == {'user': 'bob', 'n': '3', 'ratio': '1.5', 'admin': 'true',
                       'off': 'false', 'none': 'null', 'principalId': 'user-1'}
    assert authorizer_context(None, 'p') == {'principalId': 'p'}


def _auth_app():
    app = Chalice('authdemo')

    @app.authorizer(header='X-Token')
    def checker(auth_request):
        token = auth_request.token
        if token == 'boom':
            raise RuntimeError('authorizer bug')
        if token == 'nothing':
            return AuthResponse(routes=[], principal_id='user')
        if token == 'other':
            return AuthResponse(routes=['/other'], principal_id='user')
        if token == 'weird':
            return 'not a policy'
        if token == 'deny':
            return {'principalId': 'u', 'policyDocument': policy(
                allow('*'), {'Effect': 'Deny', 'Action': 'execute-api:Invoke',
                             'Resource': auth_request.method_arn})}
        return AuthResponse(routes=[AuthRoute('/users/{id}', ['GET'])],
                            principal_id='user-7', context={'token': token, 'level': 2})

    return checker


def _run(token, arn=ARN, header='X-Token'):
    headers = [('Host', 'localhost')]
    if token is not None:
        headers.append((header, token))
    return run_token_authorizer(_auth_app(), 'X-Token', headers, arn)


def test_allowed_request_gets_context():
    outcome = _run('good')
    assert outcome.allowed
    assert outcome.context == {'token': 'good', 'level': '2', 'principalId': 'user-7'}


def test_header_lookup_is_case_insensitive():
    assert _run('good', header='x-token').allowed


@pytest.mark.parametrize('token, status, body', [
    (None, 401, {'message': 'Unauthorized'}),
    ('', 401, {'message': 'Unauthorized'}),
    ('boom', 401, {'message': 'Unauthorized'}),
    # API Gateway's answer to AuthResponse(routes=[]), as in aws/chalice#971.
    ('nothing', 403, {'Message': 'User is not authorized to access this resource'}),
    ('other', 403, {'Message': 'User is not authorized to access this resource'}),
    ('deny', 403, {'Message': 'User is not authorized to access this resource with an '
                              'explicit deny'}),
    ('weird', 500, {'message': None}),
])
def test_refusals(token, status, body):
    outcome = _run(token)
    assert not outcome.allowed
    assert (outcome.status_code, outcome.body) == (status, body)
    assert outcome.context is None


def test_exception_detail_has_traceback():
    outcome = _run('boom')
    assert 'Traceback' in outcome.detail and 'authorizer bug' in outcome.detail


def test_other_method_is_not_allowed():
    outcome = _run('good', arn=PREFIX + '/DELETE/users/5')
    assert outcome.status_code == 403
