"""chalice.localjwt: JWTs checked the way an HTTP API's JWT authorizer does."""
import time

import pytest

from chalice.localjwt import JWTRejected, claims_for_event, token_from_request, verify_jwt
from tests import jwt_keys
from tests.jwt_keys import AUDIENCE, ISSUER, claims, jwks, sign


def verify(token, keys=None, scopes=(), audience=(AUDIENCE,), now=None):
    return verify_jwt(token, keys or jwks(), ISSUER, audience, scopes, now=now)


@pytest.mark.parametrize('alg', ['RS256', 'RS384', 'RS512'])
def test_a_valid_token_gives_its_claims_and_scopes(alg):
    verified = verify(sign(claims(), alg=alg))
    assert verified.claims['sub'] == 'user-1'
    assert verified.scopes == ['read', 'write']


def test_the_key_is_chosen_by_kid():
    keys = jwks('key-1', 'key-2')
    assert verify(sign(claims(), kid='key-2'), keys).claims['iss'] == ISSUER
    with pytest.raises(JWTRejected) as error:
        verify(sign(claims(), kid='key-3'), keys)
    assert 'no key in local_jwks matches' in str(error.value)


def test_a_token_without_kid_needs_a_single_key_set():
    token = sign(claims(), kid=None, signing_kid='key-1')
    assert verify(token, jwks('key-1')).claims['sub'] == 'user-1'
    with pytest.raises(JWTRejected):
        verify(token, jwks('key-1', 'key-2'))


def test_a_token_signed_by_another_key_is_refused():
    forged = sign(claims(), kid='key-1', signing_kid='key-2')
    with pytest.raises(JWTRejected) as error:
        verify(forged)
    assert str(error.value) == 'the token signature is invalid'
    assert error.value.status == 401


def test_a_changed_payload_breaks_the_signature():
    header, _, signature = sign(claims()).split('.')
    tampered = sign(claims(sub='admin')).split('.')[1]
    with pytest.raises(JWTRejected):
        verify('.'.join([header, tampered, signature]))


# Times are seconds from now, computed when the test runs (not when collected).
@pytest.mark.parametrize('overrides, reason', [
    ({'iss': 'https://evil.example.com/'}, 'issuer'),
    ({'aud': 'another-client'}, 'audience'),
    ({'exp': -5}, 'expired'),
    ({'exp': None}, 'expired'),
    ({'nbf': 600}, 'not valid yet'),
    ({'iat': 600}, 'not valid yet'),
])
def test_claims_that_fail(overrides, reason):
    now = int(time.time())
    overrides = {name: now + value if name in ('exp', 'nbf', 'iat') and value is not None
                 else value for name, value in overrides.items()}
    with pytest.raises(JWTRejected) as error:
        verify(sign(claims(**overrides)))
    assert reason in str(error.value)
    assert error.value.status == 401


def test_audience_lists_and_client_id():
    assert verify(sign(claims(aud=['other', AUDIENCE]))).claims
    assert verify(sign(claims(aud=None, client_id=AUDIENCE))).claims
    assert verify(sign(claims(aud='b')), audience=('a', 'b')).claims


def test_scopes():
    assert verify(sign(claims(scope='read')), scopes=['admin', 'read']).scopes == ['read']
    assert verify(sign(claims(scope=None, scp=['x', 'y'])), scopes=['y']).scopes == ['x', 'y']
    with pytest.raises(JWTRejected) as error:
        verify(sign(claims(scope='read')), scopes=['admin'])
    assert error.value.status == 403
    with pytest.raises(JWTRejected) as error:
        verify(sign(claims(scope=None)), scopes=['admin'])
    assert error.value.status == 403


@pytest.mark.parametrize('token', ['abc', 'a.b', 'a.b.c.d', '!!.!!.!!'])
def test_tokens_that_are_not_jwts(token):
    with pytest.raises(JWTRejected):
        verify(token)


def test_algorithms_http_apis_do_not_accept_are_refused():
    header = jwt_keys.b64url(b'{"alg":"none","kid":"key-1"}')
    payload = sign(claims()).split('.')[1]
    with pytest.raises(JWTRejected) as error:
        verify('%s.%s.' % (header, payload))
    assert "'none'" in str(error.value)
    with pytest.raises(JWTRejected):
        verify(sign(claims(), alg='HS256'))


def test_a_non_rsa_key_is_refused():
    keys = {'keys': [{'kty': 'oct', 'kid': 'key-1', 'k': 'c2VjcmV0'}]}
    with pytest.raises(JWTRejected) as error:
        verify(sign(claims()), keys)
    assert 'not an RSA key' in str(error.value)


def test_token_from_request():
    headers = [('Authorization', 'Bearer abc.def.ghi'), ('X-Token', 'raw')]
    assert token_from_request('$request.header.Authorization', headers, {}) == 'abc.def.ghi'
    assert token_from_request('$request.header.x-token', headers, {}) == 'raw'
    assert token_from_request('$request.header.Missing', headers, {}) is None
    assert token_from_request('$request.querystring.t', [], {'t': 'q'}) == 'q'
    assert token_from_request('$request.header.Authorization',
                              [('authorization', 'Bearer ')], {}) is None


def test_claims_are_passed_on_as_strings():
    assert claims_for_event({'sub': 'u', 'exp': 5, 'admin': True, 'groups': ['a', 'b'],
                             'obj': {'k': 1}}) == {
        'sub': 'u', 'exp': '5', 'admin': 'true', 'groups': '[a b]', 'obj': '{"k":1}'}
