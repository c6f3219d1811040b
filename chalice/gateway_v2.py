"""An HTTP API's part of a request, for ``chalice local`` and the test client.

When the stage's ``api_gateway_type`` is ``HTTP``,
:class:`chalice.gateway.LocalGateway` hands each request to
:class:`HttpAPIGateway`, which does what a deployed HTTP API does:

1. the request must match one of the API's routes (a view's path and
   method): anything else is 404 ``{"message":"Not Found"}``; with CORS on,
   ``OPTIONS`` requests are answered by the gateway itself (204, the
   configured CORS headers), and every response to a request with an
   ``Origin`` carries the API's CORS headers instead of the app's;
2. the route's authorizer runs: a :class:`~chalice.JWTAuthorizer` checks the
   token against the stage's ``local_jwks`` (or, without one, lets requests
   through with a one-time warning); an ``@app.authorizer()`` function runs
   as a payload format 2.0 Lambda authorizer (:mod:`chalice.localauth`);
   refusals are 401 ``{"message":"Unauthorized"}`` or 403
   ``{"message":"Forbidden"}``;
3. the request becomes a payload format 2.0 event
   (:func:`chalice.proxy.build_http_api_event`) and the 2.0 answer is turned
   back into HTTP; an exception or an invalid answer is 500
   ``{"message":"Internal Server Error"}``, as HTTP APIs answer.

Responses carry the ``apigw-requestid`` header.  Standard library only.
"""
from __future__ import annotations

import traceback
from typing import Any
from urllib.parse import parse_qsl

from chalice import httpapi, localauth
from chalice.app import ChaliceAuthorizer, JWTAuthorizer
from chalice.localjwt import JWTRejected, claims_for_event, token_from_request, verify_jwt
from chalice.proxy import (
    DEFAULT_ACCOUNT_ID,
    DEFAULT_API_ID,
    HTTPResponse,
    LambdaContext,
    build_http_api_event,
    check_response_headers,
    find_header,
    json_response,
    new_request_id,
    validate_http_api_response,
)
from chalice.routing import matcher_for_app

__all__ = ['HttpAPIGateway']

NOT_FOUND_BODY = {'message': 'Not Found'}
UNAUTHORIZED_BODY = {'message': 'Unauthorized'}
ERROR_BODY = {'message': 'Internal Server Error'}


class HttpAPIGateway:
    """The HTTP API emulation of one :class:`~chalice.gateway.LocalGateway`."""

    def __init__(self, gateway: Any) -> None:
        self.gateway = gateway
        app = gateway.app
        httpapi.check_app(app)
        self.cors = httpapi.cors_configuration(app)
        config = gateway.config
        self.jwks = config.local_jwks_document() if config is not None else None

    # -- the request

    def handle(self, method: str, target: str, headers: list[tuple[str, str]],
               body: bytes, client_ip: str = '127.0.0.1') -> HTTPResponse:
        gateway = self.gateway
        path, _, query_string = target.split('#', 1)[0].partition('?')
        request_id = new_request_id()
        origin = find_header(headers, 'origin')
        match = matcher_for_app(gateway.app).match(path)
        entry = gateway.app.routes.get(match.route, {}).get(method) if match else None
        if match is None or entry is None:
            if method == 'OPTIONS' and self.cors is not None:
                return self._preflight(self.cors, origin, request_id)
            return self._answer(404, NOT_FOUND_BODY, request_id, origin)
        event = build_http_api_event(
            method=method, path=path, query_string=query_string, headers=headers, body=body,
            match=match, source_ip=client_ip, request_id=request_id,
            account_id=DEFAULT_ACCOUNT_ID, api_id=DEFAULT_API_ID)
        if entry.authorizer is not None:
            outcome = self._authorize(entry, event, headers, query_string)
            if not outcome.allowed:
                return self._answer(outcome.status_code, outcome.body, request_id, origin)
            if outcome.context is not None:
                event['requestContext']['authorizer'] = outcome.context
        context = LambdaContext(gateway.function_name, memory_size=gateway.memory_size,
                                timeout_seconds=gateway.timeout, region=gateway.region)
        try:
            result = gateway.app(event, context)
        except Exception:
            if gateway.propagate_errors:
                raise
            gateway._print(f'{method} {path}: the app raised an exception (an HTTP API '
                           f'answers 500):\n{traceback.format_exc()}')
            return self._answer(500, ERROR_BODY, request_id, origin)
        try:
            response = validate_http_api_response(result)
            check_response_headers(response.headers)
        except ValueError as error:
            gateway._print(f'{method} {path}: {error} (an HTTP API answers 500)')
            return self._answer(500, ERROR_BODY, request_id, origin)
        return self._finish(response, request_id, origin)

    def _answer(self, status: int, body: Any, request_id: str, origin: str | None
                ) -> HTTPResponse:
        return self._finish(json_response(status, body), request_id, origin)

    def _finish(self, response: HTTPResponse, request_id: str, origin: str | None
                ) -> HTTPResponse:
        headers = response.headers
        if self.cors is not None:
            # The API's CORS configuration replaces whatever the app sent.
            headers = [(name, value) for name, value in headers
                       if not name.lower().startswith('access-control-')]
            if origin is not None:
                headers.extend(_cors_headers(self.cors, origin, preflight=False))
        if not any(name.lower() == 'apigw-requestid' for name, _ in headers):
            headers = list(headers) + [('apigw-requestid', request_id)]
        return HTTPResponse(response.status_code, headers, response.body)

    @staticmethod
    def _preflight(cors: dict, origin: str | None, request_id: str) -> HTTPResponse:
        headers = _cors_headers(cors, origin, preflight=True)
        headers.append(('apigw-requestid', request_id))
        return HTTPResponse(204, headers, b'')

    # -- authorizers

    def _authorize(self, entry: Any, event: dict, headers: list[tuple[str, str]],
                   query_string: str) -> localauth.AuthOutcome:
        authorizer = entry.authorizer
        if isinstance(authorizer, JWTAuthorizer):
            return self._check_jwt(authorizer, entry, headers, query_string)
        if isinstance(authorizer, ChaliceAuthorizer):
            return self._run_lambda_authorizer(authorizer, entry, event)
        self.gateway._warn_unemulated(authorizer, entry)
        return localauth.AuthOutcome(True)

    def _check_jwt(self, authorizer: Any, entry: Any, headers: list[tuple[str, str]],
                   query_string: str) -> localauth.AuthOutcome:
        gateway = self.gateway
        if self.jwks is None:
            self._warn_once(authorizer.name, (
                f'Warning: {gateway.emulator} does not check tokens for the JWTAuthorizer '
                f'{authorizer.name!r} (used by {entry.method} {entry.uri_pattern}) without a '
                'key set: requests are let through. Set "local_jwks" in .chalice/config.json '
                'to check them.'))
            return localauth.AuthOutcome(True)
        query = dict(parse_qsl(query_string, keep_blank_values=True))
        token = token_from_request(authorizer.identity_source, headers, query)
        if token is None:
            return localauth.AuthOutcome(False, 401, UNAUTHORIZED_BODY,
                                         error_type='UnauthorizedException')
        try:
            verified = verify_jwt(token, self.jwks, authorizer.issuer, authorizer.audience,
                                  authorizer.scopes)
        except JWTRejected as rejected:
            gateway._print(f'{entry.method} {entry.uri_pattern}: JWTAuthorizer '
                           f'{authorizer.name!r} refused the token: {rejected}')
            body = UNAUTHORIZED_BODY if rejected.status == 401 else \
                localauth.HTTP_API_FORBIDDEN_BODY
            return localauth.AuthOutcome(False, rejected.status, body)
        return localauth.AuthOutcome(True, context={'jwt': {
            'claims': claims_for_event(verified.claims), 'scopes': verified.scopes}})

    def _run_lambda_authorizer(self, authorizer: Any, entry: Any,
                               event: dict) -> localauth.AuthOutcome:
        gateway = self.gateway
        header = getattr(authorizer.config, 'header', None) or 'Authorization'
        token = event['headers'].get(header.lower())
        if token is None or not token.strip():
            return localauth.AuthOutcome(False, 401, UNAUTHORIZED_BODY,
                                         error_type='UnauthorizedException')
        auth_event = {key: value for key, value in event.items()
                      if key not in ('body', 'isBase64Encoded')}
        auth_event.update({
            'type': 'REQUEST', 'identitySource': [token],
            'routeArn': localauth.build_method_arn(
                entry.method, event['rawPath'], stage='$default', region=gateway.region,
                account_id=DEFAULT_ACCOUNT_ID, api_id=DEFAULT_API_ID)})
        memory, timeout = gateway._function_settings(authorizer.name)
        context = LambdaContext(gateway.context_name(authorizer.name), memory_size=memory,
                                timeout_seconds=timeout, region=gateway.region)
        outcome = localauth.run_http_api_authorizer(authorizer, auth_event, context)
        if not outcome.allowed and outcome.status_code == 500:
            gateway._print(f'{entry.method} {event["rawPath"]}: authorizer '
                           f'{authorizer.name!r}: {outcome.detail}')
        return outcome

    def _warn_once(self, key: str, message: str) -> None:
        gateway = self.gateway
        with gateway._lock:
            if key in gateway._warned:
                return
            gateway._warned.add(key)
        gateway._print(message)


def _cors_headers(cors: dict, origin: str | None, preflight: bool) -> list[tuple[str, str]]:
    """The CORS headers the API answers ``origin`` with (none for another origin)."""
    origins = cors['AllowOrigins']
    allowed = '*' if '*' in origins else (origin if origin in origins else None)
    if allowed is None:
        return []
    headers = [('access-control-allow-origin', allowed)]
    if cors.get('AllowCredentials'):
        headers.append(('access-control-allow-credentials', 'true'))
    if preflight:
        headers.append(('access-control-allow-methods', ','.join(cors['AllowMethods'])))
        headers.append(('access-control-allow-headers', ','.join(cors['AllowHeaders'])))
        if cors.get('MaxAge'):
            headers.append(('access-control-max-age', str(cors['MaxAge'])))
    elif cors.get('ExposeHeaders'):
        headers.append(('access-control-expose-headers', ','.join(cors['ExposeHeaders'])))
    return headers
