"""Check JWTs locally the way an HTTP API's JWT authorizer does.

``chalice local`` and ``chalice.test.Client`` use this for routes protected
by a :class:`chalice.JWTAuthorizer` when the stage's config names a local
JSON Web Key Set (``local_jwks``): the token must be signed by one of its
keys and carry the authorizer's issuer and one of its audiences.  What is
checked, as API Gateway documents it for JWT authorizers:

* the token is read from the identity source (``Bearer`` prefix removed);
* ``alg`` is RS256, RS384 or RS512 and the signature verifies with the key
  whose ``kid`` matches (the only key, when the set has one and the token no
  ``kid``);
* ``iss`` equals the issuer; ``aud`` - or ``client_id`` for tokens without
  ``aud`` - names one of the audiences;
* ``exp`` is in the future, ``nbf`` and ``iat`` are not;
* a route with ``authorization_scopes`` needs a token whose ``scope`` (or
  ``scp``) claim holds at least one of them.

A token that fails any check is refused with 401 (403 for missing scopes).
RSA signatures are checked with integer arithmetic (PKCS #1 v1.5), so no
cryptography library is needed.  Nothing here ever fetches keys over the
network.  Standard library only.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import time
from typing import Any, Iterable, NamedTuple

__all__ = ['JWTRejected', 'VerifiedToken', 'token_from_request', 'verify_jwt']

# DER prefix of the DigestInfo structure (RFC 8017, 9.2) for each hash.
_DIGEST_INFO = {
    'RS256': ('sha256', bytes.fromhex('3031300d060960864801650304020105000420')),
    'RS384': ('sha384', bytes.fromhex('3041300d060960864801650304020205000430')),
    'RS512': ('sha512', bytes.fromhex('3051300d060960864801650304020305000440')),
}


class JWTRejected(Exception):
    """The token does not pass; ``status`` is 401 or 403, the message says why."""

    def __init__(self, message: str, status: int = 401) -> None:
        super().__init__(message)
        self.status = status


class VerifiedToken(NamedTuple):
    claims: dict
    scopes: list | None


def _b64url(segment: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(segment + '=' * (-len(segment) % 4))
    except (binascii.Error, ValueError):
        raise JWTRejected('the token is not base64url-encoded') from None


def _int(value: Any) -> int:
    if not isinstance(value, str):
        raise JWTRejected('a key in local_jwks has a malformed RSA parameter')
    return int.from_bytes(_b64url(value), 'big')


def token_from_request(identity_source: str, headers: Iterable[tuple[str, str]],
                       query: dict[str, str]) -> str | None:
    """The token an identity source names (``$request.header.X`` or
    ``$request.querystring.x``), without a ``Bearer`` prefix; None if absent."""
    if identity_source.startswith('$request.header.'):
        wanted = identity_source[len('$request.header.'):].lower()
        value = None
        for name, item in headers:
            if name.lower() == wanted:
                value = item
    else:
        value = query.get(identity_source[len('$request.querystring.'):])
    if value is None:
        return None
    scheme, _, rest = value.strip().partition(' ')
    if scheme.lower() == 'bearer':
        value = rest
    return value.strip() or None


def _select_key(jwks: dict, header: dict) -> dict:
    keys = [key for key in jwks.get('keys') or [] if isinstance(key, dict)]
    kid = header.get('kid')
    if kid is not None:
        keys = [key for key in keys if key.get('kid') == kid]
    elif len(keys) != 1:
        keys = []
    if not keys:
        raise JWTRejected('no key in local_jwks matches the token (kid %r)' % (kid,))
    return keys[0]


def _verify_rsa(alg: str, key: dict, signed: bytes, signature: bytes) -> None:
    if key.get('kty') != 'RSA':
        raise JWTRejected('the key %r is not an RSA key' % (key.get('kid'),))
    modulus, exponent = _int(key.get('n')), _int(key.get('e'))
    size = (modulus.bit_length() + 7) // 8
    hash_name, prefix = _DIGEST_INFO[alg]
    digest = prefix + hashlib.new(hash_name, signed).digest()
    expected = b'\x00\x01' + b'\xff' * (size - len(digest) - 3) + b'\x00' + digest
    value = int.from_bytes(signature, 'big')
    if len(signature) != size or value >= modulus:
        raise JWTRejected('the token signature is invalid')
    if not hmac.compare_digest(pow(value, exponent, modulus).to_bytes(size, 'big'), expected):
        raise JWTRejected('the token signature is invalid')


def _token_scopes(claims: dict) -> list | None:
    scope = claims.get('scope', claims.get('scp'))
    if isinstance(scope, str):
        return scope.split()
    if isinstance(scope, list):
        return [str(item) for item in scope]
    return None


def verify_jwt(token: str, jwks: dict, issuer: str, audience: Iterable[str],
               scopes: Iterable[str] = (), now: float | None = None) -> VerifiedToken:
    """Check ``token`` as an HTTP API JWT authorizer would; raise JWTRejected."""
    parts = token.split('.')
    if len(parts) != 3:
        raise JWTRejected('the token is not a JWT (three dot-separated parts)')
    try:
        header = json.loads(_b64url(parts[0]))
        claims = json.loads(_b64url(parts[1]))
    except ValueError:
        raise JWTRejected('the token header or payload is not JSON') from None
    if not isinstance(header, dict) or not isinstance(claims, dict):
        raise JWTRejected('the token header or payload is not a JSON object')
    alg = header.get('alg')
    if alg not in _DIGEST_INFO:
        raise JWTRejected('the token algorithm %r is not one HTTP APIs accept (RS256, '
                          'RS384, RS512)' % (alg,))
    _verify_rsa(alg, _select_key(jwks, header), ('%s.%s' % (parts[0], parts[1])).encode(),
                _b64url(parts[2]))
    if claims.get('iss') != issuer:
        raise JWTRejected('the token issuer %r is not %r' % (claims.get('iss'), issuer))
    wanted = set(audience)
    aud = claims.get('aud', claims.get('client_id'))
    given = set(aud) if isinstance(aud, list) else {aud}
    if not wanted & given:
        raise JWTRejected('the token audience %r is not one of %s' % (aud, sorted(wanted)))
    now = time.time() if now is None else now
    expires = claims.get('exp')
    if not isinstance(expires, (int, float)) or expires <= now:
        raise JWTRejected('the token has expired (or has no exp claim)')
    for name in ('nbf', 'iat'):
        value = claims.get(name)
        if isinstance(value, (int, float)) and value > now:
            raise JWTRejected('the token is not valid yet (%s is in the future)' % name)
    token_scopes = _token_scopes(claims)
    required = list(scopes)
    if required and not set(required) & set(token_scopes or ()):
        raise JWTRejected('the token has none of the scopes the route requires: %s'
                          % ', '.join(required), status=403)
    return VerifiedToken(claims, token_scopes)


def claims_for_event(claims: dict) -> dict[str, str]:
    """Claims as an HTTP API passes them on: strings, lists as ``[a b]``."""
    result = {}
    for name, value in claims.items():
        if isinstance(value, str):
            result[name] = value
        elif isinstance(value, bool):
            result[name] = 'true' if value else 'false'
        elif isinstance(value, list):
            result[name] = '[%s]' % ' '.join(str(item) for item in value)
        elif isinstance(value, dict):
            result[name] = json.dumps(value, separators=(',', ':'))
        else:
            result[name] = str(value)
    return result
