"""Run Chalice's built-in authorizers locally, the way API Gateway does.

A route protected by an ``@app.authorizer()`` function is, once deployed,
guarded by a TOKEN authorizer: API Gateway reads the token from the
authorizer's header, calls the authorizer Lambda with a TOKEN event, then
evaluates the IAM policy it returns against the method ARN of the request.
This module reproduces those steps without AWS so that ``chalice local``
(and, later, the test client) behave like the deployed API:

* no token (header absent or empty) -> 401 ``{"message": "Unauthorized"}``
  without calling the authorizer;
* the authorizer raises -> 401 ``{"message": "Unauthorized"}`` (the
  traceback is reported to the caller for printing);
* a policy that grants nothing at all (``AuthResponse(routes=[])``) -> 403
  "User is not authorized to access this resource", as deployed (it is the
  request without a token that gets the 401);
* an explicit ``Deny`` matching the method ARN -> 403 with API Gateway's
  "explicit deny" message; ``Deny`` always wins over ``Allow``;
* an ``Allow`` matching the method ARN -> the request goes through and
  ``requestContext.authorizer`` is the returned ``context`` with every value
  turned into a string, plus ``principalId``;
* anything else -> 403 "User is not authorized to access this resource";
* an answer that is not a policy at all -> 500 ``{"message": null}``, which
  is what API Gateway returns for an AuthorizerConfigurationException.

Resource patterns use IAM's wildcards: ``*`` matches any run of characters
(``/`` and ``:`` included) and ``?`` exactly one character.  Matching is
case-sensitive, as it is for execute-api ARNs.

For an HTTP API (``api_gateway_type: HTTP``) the built-in authorizer is a
Lambda ``REQUEST`` authorizer with payload format 2.0:
:func:`run_http_api_authorizer` calls it with the 2.0 authorizer event and
evaluates the policy against the route ARN; a refusal is 403
``{"message":"Forbidden"}``, a failing authorizer 500, and the context
reaches the view as ``requestContext.authorizer.lambda``.

Standard library only; nothing here imports the runtime.
"""

from __future__ import annotations

import json
import re
import traceback
from typing import Any, Callable, Iterable, NamedTuple

from chalice.proxy import find_header

__all__ = [
    'ALLOW', 'EXPLICIT_DENY', 'IMPLICIT_DENY', 'NO_GRANT', 'AuthOutcome',
    'authorizer_context', 'build_method_arn', 'build_token_event', 'evaluate_policy',
    'resource_matches', 'run_http_api_authorizer', 'run_token_authorizer',
]

# Results of evaluate_policy().
ALLOW = 'allow'
EXPLICIT_DENY = 'explicit-deny'
IMPLICIT_DENY = 'implicit-deny'
NO_GRANT = 'no-grant'   # the policy lists no resources at all

UNAUTHORIZED_BODY = {'message': 'Unauthorized'}
EXPLICIT_DENY_BODY = {
    'Message': 'User is not authorized to access this resource with an explicit deny'}
IMPLICIT_DENY_BODY = {'Message': 'User is not authorized to access this resource'}
CONFIGURATION_ERROR_BODY = {'message': None}

_INVOKE_ACTION = 'execute-api:Invoke'


class AuthOutcome(NamedTuple):
    """What happened when a request went through an authorizer.

    ``allowed`` requests carry ``context`` (the ``requestContext.authorizer``
    value).  Refused ones carry the ``status_code``, the JSON ``body`` and
    the ``error_type`` (API Gateway's ``x-amzn-ErrorType``) to answer with;
    ``detail`` explains why, for logging (a traceback when the authorizer
    raised).
    """

    allowed: bool
    status_code: int = 200
    body: dict | None = None
    context: dict | None = None
    error_type: str | None = None
    detail: str | None = None


def build_method_arn(method: str, path: str, *, stage: str, region: str,
                     account_id: str, api_id: str) -> str:
    """The ``methodArn`` API Gateway hands a TOKEN authorizer.

    ``arn:aws:execute-api:<region>:<account>:<api_id>/<stage>/<METHOD>/<path>``
    with the request path minus its leading slash (the root path gives an
    empty last part, as deployed APIs do).  A trailing slash on a non-root
    path is dropped, since API Gateway routes ``/a/`` and ``/a`` alike.
    """
    resource = path[1:] if path.startswith('/') else path
    if resource.endswith('/'):
        resource = resource[:-1]
    return (f'arn:aws:execute-api:{region}:{account_id}:{api_id}/{stage}/'
            f'{method.upper()}/{resource}')


def build_token_event(token: str, method_arn: str) -> dict[str, Any]:
    """The TOKEN authorizer event for ``token`` and ``method_arn``."""
    return {'type': 'TOKEN', 'authorizationToken': token, 'methodArn': method_arn}


_PATTERN_CACHE: dict[str, re.Pattern] = {}


def _compile_pattern(pattern: str) -> re.Pattern:
    compiled = _PATTERN_CACHE.get(pattern)
    if compiled is None:
        parts = []
        for char in pattern:
            if char == '*':
                parts.append('.*')
            elif char == '?':
                parts.append('.')
            else:
                parts.append(re.escape(char))
        compiled = re.compile(''.join(parts), re.DOTALL)
        if len(_PATTERN_CACHE) < 4096:
            _PATTERN_CACHE[pattern] = compiled
    return compiled


def resource_matches(pattern: Any, arn: str) -> bool:
    """Whether an IAM resource ``pattern`` (``*``/``?`` wildcards) covers ``arn``."""
    if not isinstance(pattern, str):
        return False
    if pattern == '*':
        return True
    return _compile_pattern(pattern).fullmatch(arn) is not None


def _as_list(value: Any) -> list:
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return list(value)
    return [value]


def _action_matches(action: Any) -> bool:
    # Action names are case-insensitive in IAM.
    return isinstance(action, str) and resource_matches(action.lower(),
                                                        _INVOKE_ACTION.lower())


def _covers_invoke(statement: dict) -> bool:
    """Whether the statement's Action (or NotAction) applies to Invoke."""
    if 'NotAction' in statement:
        return not any(_action_matches(action) for action in _as_list(statement['NotAction']))
    return any(_action_matches(action) for action in _as_list(statement.get('Action')))


def _statement_matches(statement: dict, method_arn: str) -> bool:
    if 'NotResource' in statement:
        return not any(resource_matches(resource, method_arn)
                       for resource in _as_list(statement['NotResource']))
    return any(resource_matches(resource, method_arn)
               for resource in _as_list(statement.get('Resource')))


def _statements(policy_document: Any) -> list[dict]:
    if not isinstance(policy_document, dict):
        raise ValueError('policyDocument must be an object')
    statements = policy_document.get('Statement')
    if isinstance(statements, dict):
        statements = [statements]
    if not isinstance(statements, list) or not all(isinstance(s, dict) for s in statements):
        raise ValueError('policyDocument.Statement must be a list of objects')
    return statements


def evaluate_policy(policy_document: Any, method_arn: str) -> str:
    """Evaluate an authorizer's IAM policy for ``method_arn`` like API Gateway.

    Returns :data:`EXPLICIT_DENY` if any applicable Deny statement matches
    (deny always wins), else :data:`ALLOW` if an Allow statement matches,
    else :data:`NO_GRANT` when the policy names no resource at all (an
    ``AuthResponse`` with empty routes), else :data:`IMPLICIT_DENY`.
    Raises ``ValueError`` when ``policy_document`` is not a policy.
    """
    statements = _statements(policy_document)
    allowed = False
    grants_anything = False
    for statement in statements:
        effect = str(statement.get('Effect', '')).lower()
        if effect not in ('allow', 'deny') or not _covers_invoke(statement):
            continue
        if _as_list(statement.get('Resource')) or 'NotResource' in statement:
            grants_anything = True
        if not _statement_matches(statement, method_arn):
            continue
        if effect == 'deny':
            return EXPLICIT_DENY
        allowed = True
    if allowed:
        return ALLOW
    return IMPLICIT_DENY if grants_anything else NO_GRANT


def _stringify(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return 'true' if value else 'false'
    if value is None:
        return 'null'
    if isinstance(value, (int, float)):
        return str(value)
    return json.dumps(value, separators=(',', ':'), default=str)


def authorizer_context(context: Any, principal_id: Any) -> dict[str, str]:
    """``requestContext.authorizer`` for an allowed request.

    API Gateway passes the authorizer's ``context`` on with every value
    converted to a string (booleans as ``true``/``false``) and adds the
    ``principalId``.
    """
    result = {}
    if isinstance(context, dict):
        result = {str(key): _stringify(value) for key, value in context.items()}
    result['principalId'] = _stringify(principal_id)
    return result




def _refused(status_code: int, body: dict, error_type: str, detail: str) -> AuthOutcome:
    return AuthOutcome(False, status_code, body, None, error_type, detail)


def _call_authorizer(handler: Callable[[dict, Any], Any], event: dict, lambda_context: Any,
                     arn: str, raised: tuple, invalid_body: dict) -> Any:
    """Call an authorizer and evaluate its policy for ``arn``.

    Returns ``(answer, verdict)``, or the refusal: ``raised`` (status, body,
    error type) when the authorizer raises, a 500 with ``invalid_body`` when
    its answer is not a policy.
    """
    try:
        answer = handler(event, lambda_context)
    except Exception:
        status, body, error_type = raised
        return _refused(status, body, error_type, 'the authorizer raised an exception:\n' +
                        traceback.format_exc())
    if not isinstance(answer, dict):
        return _refused(500, invalid_body, 'AuthorizerConfigurationException',
                        f'the authorizer returned {type(answer).__name__}, not a dict '
                        'with principalId and policyDocument')
    try:
        return answer, evaluate_policy(answer.get('policyDocument'), arn)
    except ValueError as error:
        return _refused(500, invalid_body, 'AuthorizerConfigurationException',
                        f'the authorizer returned an invalid policy: {error}')


def run_token_authorizer(handler: Callable[[dict, Any], Any], header: str,
                         headers: Iterable[tuple[str, str]], method_arn: str,
                         lambda_context: Any = None) -> AuthOutcome:
    """Authorize one request with a TOKEN authorizer ``handler``.

    ``handler`` is the authorizer's Lambda handler (a ``ChaliceAuthorizer``),
    ``header`` the header holding the token, ``headers`` the request headers
    and ``method_arn`` the request's method ARN (:func:`build_method_arn`).
    """
    token = find_header(headers, header)
    if token is None or not token.strip():
        return _refused(401, UNAUTHORIZED_BODY, 'UnauthorizedException',
                        f'no token in the {header} header')
    called = _call_authorizer(handler, build_token_event(token, method_arn), lambda_context,
                              method_arn, (401, UNAUTHORIZED_BODY, 'UnauthorizedException'),
                              CONFIGURATION_ERROR_BODY)
    if isinstance(called, AuthOutcome):
        return called
    answer, verdict = called
    if verdict == ALLOW:
        context = authorizer_context(answer.get('context'), answer.get('principalId'))
        return AuthOutcome(True, context=context)
    if verdict == EXPLICIT_DENY:
        return _refused(403, EXPLICIT_DENY_BODY, 'AccessDeniedException',
                        f'the policy explicitly denies {method_arn}')
    # A policy granting nothing (AuthResponse(routes=[])) is an implicit deny
    # too: API Gateway answers 403, not 401 (aws/chalice#971).
    reason = ('the policy allows no resources' if verdict == NO_GRANT
              else f'no statement of the policy allows {method_arn}')
    return _refused(403, IMPLICIT_DENY_BODY, 'AccessDeniedException', reason)


HTTP_API_FORBIDDEN_BODY = {'message': 'Forbidden'}
HTTP_API_ERROR_BODY = {'message': 'Internal Server Error'}


def run_http_api_authorizer(handler: Callable[[dict, Any], Any], event: dict[str, Any],
                            lambda_context: Any = None) -> AuthOutcome:
    """Authorize one HTTP API request with a payload-format-2.0 Lambda authorizer.

    ``event`` is the authorizer event (``type`` REQUEST, ``routeArn``,
    ``identitySource``); the answer must be an IAM policy (the deployed
    authorizer does not enable simple responses: the runtime turns those
    into a policy).
    """
    route_arn = event['routeArn']
    called = _call_authorizer(handler, event, lambda_context, route_arn,
                              (500, HTTP_API_ERROR_BODY, 'AuthorizerFailure'),
                              HTTP_API_ERROR_BODY)
    if isinstance(called, AuthOutcome):
        return called
    answer, verdict = called
    if verdict != ALLOW:
        return _refused(403, HTTP_API_FORBIDDEN_BODY, 'AccessDeniedException',
                        f'the policy does not allow {route_arn}')
    context = answer.get('context')
    return AuthOutcome(True, context={'lambda': dict(context) if isinstance(context, dict)
                                      else {}})
