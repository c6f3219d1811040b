"""API Gateway's part of a request, for ``chalice local`` and the test client.

:class:`LocalGateway` takes a plain HTTP request (method, target, headers,
body) and does what API Gateway does in front of a Chalice app:

1. the path is matched with the app's compiled route matcher; an unknown
   path gets API Gateway's 403 ``{"message":"Missing Authentication Token"}``
   (or, with an ``Authorization`` header, its 403 for an incomplete SigV4
   signature);
2. a built-in ``@app.authorizer()`` protecting the route runs as a TOKEN
   authorizer and its policy is evaluated (see :mod:`chalice.localauth`):
   401 ``{"message":"Unauthorized"}`` without a token, 403 when the policy
   does not allow the route, and its context reaches the view.  IAM,
   Cognito and custom authorizers are not emulated: requests go through and
   a warning is reported once per authorizer;
3. the request becomes a REST API proxy event and the app is called with a
   Lambda-like context whose remaining time counts down from the
   function's ``lambda_timeout``;
4. the proxy response is turned back into HTTP.  A response that is not a
   valid proxy response gives API Gateway's 502 and the reason is reported.

``chalice local`` (:mod:`chalice.local`) and ``chalice.test.Client`` both
answer through this class, so they give the same status, headers and body,
byte for byte, for the same request.  When the stage's ``api_gateway_type``
is ``HTTP`` the request goes through an HTTP API instead, with payload
format 2.0 events (:mod:`chalice.gateway_v2`).  Standard library only.
"""

from __future__ import annotations

import os
import sys
import threading
import traceback
from typing import Any, Callable

from chalice import localauth
from chalice.app import ChaliceAuthorizer
from chalice.config import lambda_settings
from chalice.proxy import (
    DEFAULT_ACCOUNT_ID,
    DEFAULT_API_ID,
    HTTPResponse,
    LambdaContext,
    build_proxy_event,
    check_response_headers,
    find_header,
    json_response,
    new_request_id,
    validate_proxy_response,
)
from chalice.routing import matcher_for_app

__all__ = ['LocalGateway']

BAD_GATEWAY_BODY = {'message': 'Internal server error'}


def aws_region() -> str:
    return os.environ.get('AWS_REGION') or os.environ.get('AWS_DEFAULT_REGION') or 'us-east-1'


def deployed_function_name(app_name: str, stage: str, name: str) -> str:
    """``<app>-<stage>`` for the API handler, ``<app>-<stage>-<name>`` otherwise."""
    if name == 'api_handler':
        return f'{app_name}-{stage}'
    return f'{app_name}-{stage}-{name}'


def unknown_path_response(headers: list[tuple[str, str]]) -> HTTPResponse:
    """API Gateway's 403 for a path no route matches.  With an
    ``Authorization`` header the request is taken for a malformed SigV4
    signature, and the message says which parts of one are missing."""
    authorization = find_header(headers, 'authorization')
    if authorization is None:
        return json_response(403, {'message': 'Missing Authentication Token'},
                             (('x-amzn-ErrorType', 'MissingAuthenticationTokenException'),))
    message = ("Authorization header requires 'Credential' parameter. "
               "Authorization header requires 'Signature' parameter. "
               "Authorization header requires 'SignedHeaders' parameter. "
               "Authorization header requires existence of either a 'X-Amz-Date' or a "
               "'Date' header. Authorization=" + authorization)
    return json_response(403, {'message': message},
                         (('x-amzn-ErrorType', 'IncompleteSignatureException'),))


class LocalGateway:
    """API Gateway's part of a request: route, authorize, invoke, convert.

    ``config`` is a :class:`chalice.config.Config` (or ``None`` for the
    defaults: API stage ``api``, a 60 s timeout and 128 MB); ``stage`` the
    Chalice stage.  ``context_name(logical_name)`` gives the Lambda
    context's ``function_name`` (default: the deployed name,
    ``<app>-<stage>[-<name>]``).  Messages (warnings, invalid responses,
    tracebacks) go to ``report`` when given, else to ``stream`` (stderr when
    ``None``).  With ``propagate_errors`` an exception escaping the app is
    raised to the caller instead of becoming a 502.  ``emulator`` names the
    caller in warnings (``chalice local`` by default).
    """

    def __init__(self, app: Any, config: Any = None, stage: str = 'dev',
                 stream: Any = None, *, context_name: Callable[[str], str] | None = None,
                 report: Callable[[str], None] | None = None,
                 propagate_errors: bool = False, emulator: str = 'chalice local') -> None:
        self.app = app
        self.config = config
        self.stage = stage
        self._stream = stream
        self._report = report
        self.propagate_errors = propagate_errors
        self.emulator = emulator
        self.api_stage = (config.api_gateway_stage if config is not None else None) or 'api'
        app_name = (config.app_name if config is not None else None) or app.app_name
        self.app_name = app_name
        self.context_name = context_name or (
            lambda name: deployed_function_name(app_name, stage, name))
        self.function_name = self.context_name('api_handler')
        self.region = aws_region()
        self.memory_size, self.timeout = self._function_settings('api_handler')
        self._warned: set[str] = set()
        self._lock = threading.Lock()
        self._http_api = None
        if config is not None and config.api_gateway_type == 'HTTP':
            from chalice.gateway_v2 import HttpAPIGateway

            self._http_api = HttpAPIGateway(self)

    @property
    def stream(self) -> Any:
        return self._stream if self._stream is not None else sys.stderr

    def _function_settings(self, function_name: str) -> tuple[int, int]:
        scoped = self.config.scope(self.stage, function_name) if self.config else None
        memory, timeout, _ = lambda_settings(scoped)
        return memory, timeout

    def _print(self, message: str) -> None:
        if self._report is not None:
            self._report(message.rstrip('\n'))
            return
        with self._lock:
            try:
                self.stream.write(message if message.endswith('\n') else message + '\n')
                self.stream.flush()
            except (OSError, ValueError):
                pass

    def handle(self, method: str, target: str, headers: list[tuple[str, str]],
               body: bytes, client_ip: str = '127.0.0.1') -> HTTPResponse:
        """Answer one request; ``target`` is the raw path plus query string."""
        if self._http_api is not None:
            return self._http_api.handle(method, target, headers, body, client_ip)
        path, _, query_string = target.split('#', 1)[0].partition('?')
        app = self.app
        match = matcher_for_app(app).match(path)
        if match is None:
            return unknown_path_response(headers)
        authorizer_context = None
        entry = app.routes.get(match.route, {}).get(method)
        if entry is not None and entry.authorizer is not None:
            outcome = self._authorize(entry, method, path, headers)
            if not outcome.allowed:
                return json_response(outcome.status_code, outcome.body,
                                     (('x-amzn-ErrorType', outcome.error_type),))
            authorizer_context = outcome.context
        request_id = new_request_id()
        event = build_proxy_event(
            method=method, path=path, query_string=query_string, headers=headers,
            body=body, match=match, binary_types=app.api.binary_types,
            stage=self.api_stage, source_ip=client_ip, request_id=request_id,
            authorizer=authorizer_context, api_id=DEFAULT_API_ID,
            account_id=DEFAULT_ACCOUNT_ID)
        context = LambdaContext(self.function_name, memory_size=self.memory_size,
                                timeout_seconds=self.timeout, region=self.region)
        try:
            result = app(event, context)
        except Exception:
            if self.propagate_errors:
                raise
            self._print(f'{method} {path}: the app raised an exception '
                        f'(API Gateway answers 502):\n{traceback.format_exc()}')
            return json_response(502, BAD_GATEWAY_BODY)
        try:
            response = validate_proxy_response(result)
            has_request_id = check_response_headers(response.headers)
            if response.status_code < 200:
                raise ValueError(f'Invalid proxy response: statusCode '
                                 f'{response.status_code} is not a final status')
        except ValueError as error:
            self._print(f'{method} {path}: {error} (API Gateway answers 502)')
            return json_response(502, BAD_GATEWAY_BODY)
        if not has_request_id:
            response.headers.append(('x-amzn-RequestId', request_id))
        return response

    def _authorize(self, entry: Any, method: str, path: str,
                   headers: list[tuple[str, str]]) -> localauth.AuthOutcome:
        authorizer = entry.authorizer
        if not isinstance(authorizer, ChaliceAuthorizer):
            self._warn_unemulated(authorizer, entry)
            return localauth.AuthOutcome(True)
        header = getattr(authorizer.config, 'header', None) or 'Authorization'
        method_arn = localauth.build_method_arn(
            method, path, stage=self.api_stage, region=self.region,
            account_id=DEFAULT_ACCOUNT_ID, api_id=DEFAULT_API_ID)
        memory, timeout = self._function_settings(authorizer.name)
        context = LambdaContext(self.context_name(authorizer.name),
                                memory_size=memory, timeout_seconds=timeout,
                                region=self.region)
        outcome = localauth.run_token_authorizer(authorizer, header, headers,
                                                 method_arn, context)
        if not outcome.allowed and outcome.detail and (
                outcome.status_code == 500 or 'Traceback' in outcome.detail):
            self._print(f'{method} {path}: authorizer {authorizer.name!r}: {outcome.detail}')
        return outcome

    def _warn_unemulated(self, authorizer: Any, entry: Any) -> None:
        name = getattr(authorizer, 'name', None) or type(authorizer).__name__
        with self._lock:
            if name in self._warned:
                return
            self._warned.add(name)
        kind = type(authorizer).__name__
        self._print(f'Warning: {self.emulator} does not emulate the {kind} {name!r} '
                    f'(used by {entry.method} {entry.uri_pattern}); requests are let '
                    f'through without authorization.')
