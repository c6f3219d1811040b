"""An app as an HTTP API (``api_gateway_type: HTTP``): routes, authorizers, CORS.

One description shared by ``chalice deploy`` (the ``http_api`` resource
home), ``chalice package`` and the local gateway, so that what is deployed
and what ``chalice local`` emulates agree:

* :func:`route_keys` - one route per view and method (``"GET /users/{id}"``),
  with the authorization it needs (:class:`RouteAuth`);
* :func:`authorizers` - the authorizers the API defines: a JWT authorizer
  per :class:`~chalice.JWTAuthorizer`, a Lambda (``REQUEST``, payload format
  2.0) authorizer per ``@app.authorizer()`` function; IAMAuthorizer needs
  none (routes use ``AWS_IAM``);
* :func:`cors_configuration` - the API's CorsConfiguration: an HTTP API has
  one for all routes, so the views that enable CORS must agree on it.

:func:`check_app` refuses, with one line, what an HTTP API cannot do: API
keys, Cognito user pool and REST custom (TOKEN) authorizers, two CORS
settings.  Imports nothing of the deployer.
"""
from __future__ import annotations

from typing import Any, NamedTuple

from chalice.errors import ChaliceError

NONE, JWT, CUSTOM, AWS_IAM = 'NONE', 'JWT', 'CUSTOM', 'AWS_IAM'
DEFAULT_TTL_SECONDS = 300


class RouteAuth(NamedTuple):
    """How one route is authorized: the type, the authorizer's name, scopes."""

    authorization_type: str = NONE
    authorizer: str | None = None
    scopes: tuple = ()


class AuthorizerSpec(NamedTuple):
    """One authorizer of the API, in API Gateway's terms.

    ``function`` is the logical name of the built-in authorizer's Lambda
    function (``REQUEST`` authorizers only).
    """

    name: str
    authorizer_type: str          # 'JWT' or 'REQUEST'
    identity_source: tuple
    issuer: str | None = None
    audience: tuple = ()
    function: str | None = None
    ttl_seconds: int = 0


def _kind(authorizer: Any) -> str:
    from chalice.app import ChaliceAuthorizer, IAMAuthorizer, JWTAuthorizer

    if isinstance(authorizer, JWTAuthorizer):
        return JWT
    if isinstance(authorizer, ChaliceAuthorizer):
        return CUSTOM
    if isinstance(authorizer, IAMAuthorizer):
        return AWS_IAM
    raise ChaliceError(
        'The %s %r cannot protect an HTTP API route: use a JWTAuthorizer (for a Cognito user '
        'pool, issuer https://cognito-idp.<region>.amazonaws.com/<pool id> and your app '
        'client id as audience), an @app.authorizer() function or IAMAuthorizer, or set '
        'api_gateway_type to REST.' % (type(authorizer).__name__, authorizer.name))


def route_keys(app: Any) -> list[tuple[str, RouteAuth]]:
    """``(route key, RouteAuth)`` for every view and method, sorted by key."""
    result = []
    for path, methods in app.routes.items():
        for method, entry in methods.items():
            auth = RouteAuth()
            if entry.authorizer is not None:
                auth = RouteAuth(_kind(entry.authorizer), entry.authorizer.name,
                                 tuple(getattr(entry.authorizer, 'scopes', None) or ()))
            result.append(('%s %s' % (method, path), auth))
    return sorted(result)


def authorizers(app: Any) -> list[AuthorizerSpec]:
    """The JWT and Lambda authorizers the app's routes use, sorted by name."""
    from chalice.app import ChaliceAuthorizer, JWTAuthorizer

    found: dict[str, AuthorizerSpec] = {}
    for methods in app.routes.values():
        for entry in methods.values():
            authorizer = entry.authorizer
            if isinstance(authorizer, JWTAuthorizer):
                spec = AuthorizerSpec(str(authorizer.name), 'JWT',
                                      (authorizer.identity_source,),
                                      issuer=authorizer.issuer,
                                      audience=tuple(authorizer.audience))
            elif isinstance(authorizer, ChaliceAuthorizer):
                config = authorizer.config
                header = getattr(config, 'header', None) or 'Authorization'
                ttl = getattr(config, 'ttl_seconds', None)
                spec = AuthorizerSpec(authorizer.name, 'REQUEST', ('$request.header.' + header,),
                                      function=authorizer.name,
                                      ttl_seconds=DEFAULT_TTL_SECONDS if ttl is None else ttl)
            else:
                continue
            known = found.setdefault(spec.name, spec)
            if known != spec:
                raise ChaliceError('Two different authorizers are named %r; give each '
                                   'authorizer of an HTTP API its own name.' % spec.name)
    return [found[name] for name in sorted(found)]


def cors_configuration(app: Any) -> dict | None:
    """The API's CorsConfiguration (API Gateway's parameter names), or None.

    Built from the one CORSConfig the CORS-enabled views share; AllowMethods
    lists their methods.  API Gateway answers preflight requests itself and
    adds these headers to every response of the API.
    """
    chosen, owner, methods = None, None, set()
    for _, entries in sorted(app.routes.items()):
        for method, entry in entries.items():
            cors = entry.cors
            if cors is None:
                continue
            if chosen is not None and cors != chosen:
                raise ChaliceError(
                    'An HTTP API has one CORS configuration for all routes, but the views '
                    '%r and %r ask for different ones: give them the same CORSConfig (or set '
                    'app.api.cors), or set api_gateway_type to REST.'
                    % (owner, entry.view_name))
            chosen, owner = cors, entry.view_name
            methods.add(method)
    if chosen is None:
        return None
    if chosen.allow_credentials is True and chosen.allow_origin == '*':
        raise ChaliceError(
            'An HTTP API cannot allow credentials for every origin: CORSConfig of view %r has '
            "allow_credentials=True with allow_origin='*'; name the origin." % owner)
    configuration: dict[str, Any] = {
        'AllowOrigins': [chosen.allow_origin],
        'AllowHeaders': chosen.allow_headers.split(','),
        'AllowMethods': sorted(methods | {'OPTIONS'}),
    }
    if chosen.expose_headers:
        configuration['ExposeHeaders'] = list(chosen.expose_headers)
    if chosen.max_age is not None:
        configuration['MaxAge'] = int(chosen.max_age)
    if chosen.allow_credentials is True:
        configuration['AllowCredentials'] = True
    return configuration


def normalized_cors(configuration: dict | None) -> dict | None:
    """A CorsConfiguration compared as API Gateway treats it: header names and
    methods case-insensitively, lists as sets, absent fields as their defaults."""
    if not configuration:
        return None
    result: dict[str, Any] = {}
    for key in ('AllowOrigins', 'AllowHeaders', 'AllowMethods', 'ExposeHeaders'):
        values = configuration.get(key) or []
        folded = values if key == 'AllowOrigins' else [value.lower() for value in values]
        result[key] = sorted(set(folded))
    result['MaxAge'] = configuration.get('MaxAge') or 0
    result['AllowCredentials'] = bool(configuration.get('AllowCredentials'))
    return result


def check_app(app: Any) -> None:
    """Raise ChaliceError for what an HTTP API cannot serve."""
    for path, methods in sorted(app.routes.items()):
        for method, entry in methods.items():
            if entry.api_key_required:
                raise ChaliceError(
                    'HTTP APIs have no API keys: view %r (%s %s) has api_key_required=True; '
                    'remove it or set api_gateway_type to REST.'
                    % (entry.view_name, method, path))
            if entry.authorizer is not None:
                _kind(entry.authorizer)
    authorizers(app)
    cors_configuration(app)
