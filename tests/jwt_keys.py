"""RSA keys and signed JWTs for tests of JWT authorizers.

Signing uses the ``cryptography`` package (a test dependency through moto),
independently of :mod:`chalice.localjwt`, which verifies with integer
arithmetic: a token this module signs is one any JWT library would accept.
"""
import base64
import json
import time
from functools import lru_cache

ISSUER = 'https://issuer.example.com/'
AUDIENCE = 'chalice-client'


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b'=').decode('ascii')


@lru_cache(maxsize=None)
def private_key(kid='key-1', bits=2048):
    from cryptography.hazmat.primitives.asymmetric import rsa

    return rsa.generate_private_key(public_exponent=65537, key_size=bits)


def jwk(kid='key-1'):
    """The public JSON Web Key of ``private_key(kid)``."""
    numbers = private_key(kid).public_key().public_numbers()

    def encode(value):
        return b64url(value.to_bytes((value.bit_length() + 7) // 8, 'big'))
    return {'kty': 'RSA', 'kid': kid, 'use': 'sig', 'alg': 'RS256',
            'n': encode(numbers.n), 'e': encode(numbers.e)}


def jwks(*kids):
    return {'keys': [jwk(kid) for kid in (kids or ('key-1',))]}


def sign(claims, kid='key-1', alg='RS256', header=None, signing_kid=None):
    """A JWT with ``claims`` signed by ``signing_kid``'s key (default: ``kid``'s)."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding

    head = {'alg': alg, 'typ': 'JWT'}
    if kid is not None:
        head['kid'] = kid
    head.update(header or {})
    signing_input = '%s.%s' % (b64url(json.dumps(head).encode()),
                               b64url(json.dumps(claims).encode()))
    algorithm = {'RS256': hashes.SHA256(), 'RS384': hashes.SHA384(),
                 'RS512': hashes.SHA512()}.get(alg, hashes.SHA256())
    signature = private_key(signing_kid or kid or 'key-1').sign(
        signing_input.encode(), padding.PKCS1v15(), algorithm)
    return '%s.%s' % (signing_input, b64url(signature))


def claims(**overrides):
    """Valid claims for ISSUER/AUDIENCE, expiring in an hour."""
    now = int(time.time())
    values = {'iss': ISSUER, 'aud': AUDIENCE, 'sub': 'user-1', 'iat': now - 10,
              'exp': now + 3600, 'scope': 'read write'}
    values.update(overrides)
    return {k: v for k, v in values.items() if v is not None}
