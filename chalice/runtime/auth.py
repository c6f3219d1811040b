"""Authorizers: the ones API Gateway provides, and Chalice's built-in ones.

``IAMAuthorizer``, ``CognitoUserPoolAuthorizer`` and ``CustomAuthorizer``
describe authorizers that already exist; the deployer writes them into the
API definition.  A *built-in* authorizer is a function in the app decorated
with ``@app.authorizer()``; Chalice deploys it as its own Lambda function,
which API Gateway calls with a TOKEN (or REQUEST) authorizer event and which
must answer with an IAM policy.  :class:`ChaliceAuthorizer` is that Lambda
handler: it turns the event into an :class:`AuthRequest`, calls the user's
function, and turns the :class:`AuthResponse` into the policy.

An HTTP API (``api_gateway_type: HTTP``) calls the same handler with a
payload format 2.0 REQUEST event; :class:`JWTAuthorizer` describes the JWT
authorizer an HTTP API checks tokens with itself.
"""
from chalice.runtime.errors import MalformedEventError


class Authorizer:
    """Base class of the authorizers a route can name."""

    name = None
    scopes = None

    def to_swagger(self):  # pragma: no cover - overridden
        raise NotImplementedError()


class IAMAuthorizer(Authorizer):
    """Requests must be signed with AWS SigV4 credentials (AWS_IAM auth)."""

    _AUTH_TYPE = 'aws_iam'

    def __init__(self):
        self.name = 'sigv4'

    def to_swagger(self):
        return {
            'in': 'header',
            'type': 'apiKey',
            'name': 'Authorization',
            'x-amazon-apigateway-authtype': 'awsSigv4',
        }


class CognitoUserPoolAuthorizer(Authorizer):
    """Requests must carry a token issued by one of the given user pools."""

    _AUTH_TYPE = 'cognito_user_pools'

    def __init__(self, name, provider_arns, header='Authorization', scopes=None):
        self.name = name
        self._header = header
        if not isinstance(provider_arns, list):
            # A bare string would be iterated character by character later.
            raise TypeError('provider_arns should be a list of ARNs, got %r' % (provider_arns,))
        self._provider_arns = provider_arns
        self.scopes = scopes or []

    @property
    def provider_arns(self):
        return self._provider_arns

    @property
    def header(self):
        return self._header

    def to_swagger(self):
        return {
            'in': 'header',
            'type': 'apiKey',
            'name': self._header,
            'x-amazon-apigateway-authtype': self._AUTH_TYPE,
            'x-amazon-apigateway-authorizer': {
                'type': self._AUTH_TYPE,
                'providerARNs': self._provider_arns,
            },
        }

    def with_scopes(self, scopes):
        """A copy of this authorizer that also requires OAuth ``scopes``."""
        return CognitoUserPoolAuthorizer(self.name, self._provider_arns, self._header,
                                         scopes=scopes)


class CustomAuthorizer(Authorizer):
    """An existing Lambda authorizer, named by its API Gateway invoke URI."""

    _AUTH_TYPE = 'custom'

    def __init__(self, name, authorizer_uri, ttl_seconds=300, header='Authorization',
                 invoke_role_arn=None, scopes=None):
        self.name = name
        self._header = header
        self._authorizer_uri = authorizer_uri
        self._ttl_seconds = ttl_seconds
        self._invoke_role_arn = invoke_role_arn
        self.scopes = scopes or []

    @property
    def authorizer_uri(self):
        return self._authorizer_uri

    @property
    def ttl_seconds(self):
        return self._ttl_seconds

    @property
    def header(self):
        return self._header

    @property
    def invoke_role_arn(self):
        return self._invoke_role_arn

    def to_swagger(self):
        authorizer = {
            'type': 'token',
            'authorizerUri': self._authorizer_uri,
            'authorizerResultTtlInSeconds': self._ttl_seconds,
        }
        if self._invoke_role_arn is not None:
            authorizer['authorizerCredentials'] = self._invoke_role_arn
        return {
            'in': 'header',
            'type': 'apiKey',
            'name': self._header,
            'x-amazon-apigateway-authtype': self._AUTH_TYPE,
            'x-amazon-apigateway-authorizer': authorizer,
        }


class JWTAuthorizer(Authorizer):
    """An HTTP API JWT authorizer: API Gateway checks the token itself.

    ``issuer`` is the token issuer's URL (its ``iss`` claim), ``audience``
    one client id or a list of them (a token's ``aud`` or ``client_id``
    must name one).  The token is read from ``identity_source``
    (``$request.header.<name>`` or ``$request.querystring.<name>``).  Routes
    may require OAuth scopes: ``authorization_scopes=[...]`` on the route, or
    ``with_scopes([...])``.  The verified claims reach the view as
    ``app.current_request.context['authorizer']['jwt']['claims']``.  Only
    HTTP APIs have JWT authorizers.
    """

    _AUTH_TYPE = 'jwt'

    def __init__(self, name, issuer, audience,
                 identity_source='$request.header.Authorization', scopes=None):
        if not isinstance(issuer, str) or not issuer:
            raise TypeError('issuer must be the token issuer URL (a string), got %r'
                            % (issuer,))
        if isinstance(audience, str):
            audience = [audience]
        if not audience or not all(isinstance(a, str) and a for a in audience):
            raise TypeError('audience must be a client id or a list of them, got %r'
                            % (audience,))
        if not isinstance(identity_source, str) or not identity_source.startswith(
                ('$request.header.', '$request.querystring.')):
            raise ValueError('identity_source must be $request.header.<name> or '
                             '$request.querystring.<name>, got %r' % (identity_source,))
        self.name = name
        self.issuer = issuer
        self.audience = list(audience)
        self.identity_source = identity_source
        self.scopes = list(scopes or [])

    def with_scopes(self, scopes):
        """A copy of this authorizer that also requires one of the OAuth ``scopes``."""
        return JWTAuthorizer(self.name, self.issuer, self.audience, self.identity_source,
                             scopes=scopes)

    def to_swagger(self):
        raise ValueError('JWTAuthorizer %r only works with HTTP APIs: set "api_gateway_type": '
                         '"HTTP" in .chalice/config.json' % self.name)

    def _key(self):
        return (self.name, self.issuer, tuple(self.audience), self.identity_source,
                tuple(self.scopes))

    def __eq__(self, other):
        if not isinstance(other, JWTAuthorizer):
            return NotImplemented
        return self._key() == other._key()

    def __hash__(self):
        return hash(self._key())

    def __repr__(self):
        return 'JWTAuthorizer(name=%r, issuer=%r, audience=%r)' % (
            self.name, self.issuer, self.audience)


class BuiltinAuthConfig:
    """Deployer-facing record of one ``@app.authorizer()`` function.

    ``name`` is the logical function name, ``handler_string`` the Lambda
    handler (``module.attr``).
    """

    def __init__(self, name, handler_string, ttl_seconds=None, execution_role=None,
                 header='Authorization'):
        self.name = name
        self.handler_string = handler_string
        self.ttl_seconds = ttl_seconds
        self.execution_role = execution_role
        self.header = header

    def __repr__(self):
        return 'BuiltinAuthConfig(name=%r, handler_string=%r)' % (
            self.name, self.handler_string)


class AuthRequest:
    """What a built-in authorizer function receives."""

    def __init__(self, auth_type, token, method_arn):
        self.auth_type = auth_type
        self.token = token
        self.method_arn = method_arn

    def __repr__(self):
        return 'AuthRequest(auth_type=%r, token=%r, method_arn=%r)' % (
            self.auth_type, self.token, self.method_arn)


class AuthRoute:
    """Allow only ``methods`` on ``path`` (used in ``AuthResponse.routes``)."""

    def __init__(self, path, methods):
        self.path = path
        self.methods = methods

    def __repr__(self):
        return 'AuthRoute(path=%r, methods=%r)' % (self.path, self.methods)


class AuthResponse:
    """What a built-in authorizer returns: the routes this caller may use.

    ``routes`` holds path strings (every method allowed), :class:`AuthRoute`
    objects, or ``'*'`` for everything.  An empty list authorizes nothing.
    """

    ALL_HTTP_METHODS = ['DELETE', 'HEAD', 'OPTIONS', 'PATCH', 'POST', 'PUT', 'GET']

    def __init__(self, routes, principal_id, context=None):
        self.routes = routes
        self.principal_id = principal_id
        self.context = context if context is not None else {}

    def to_dict(self, request):
        """The authorizer Lambda's answer to API Gateway for ``request``."""
        return {
            'context': self.context,
            'principalId': self.principal_id,
            'policyDocument': self._policy(request.method_arn),
        }

    def _policy(self, method_arn):
        resources = []
        for route in self.routes:
            if isinstance(route, AuthRoute):
                for method in route.methods:
                    resources.append(_resource_arn(method_arn, method, route.path))
            elif route == '*':
                resources.append(_resource_arn(method_arn, '*', '*'))
            else:
                resources.append(_resource_arn(method_arn, '*', route))
        return {
            'Version': '2012-10-17',
            'Statement': [{
                'Action': 'execute-api:Invoke',
                'Effect': 'Allow',
                'Resource': resources,
            }],
        }


def _resource_arn(method_arn, method, route):
    """Build an execute-api ARN for ``method`` on ``route``.

    ``method_arn`` looks like
    ``arn:aws:execute-api:us-west-2:123456789012:abcdef1234/dev/GET/users/5``;
    the result keeps its region, account, API id and stage.  Captures in the
    route (``{id}``) become ``*``.
    """
    arn_prefix, _, resource = method_arn.rpartition(':')
    parts = resource.split('/', 2)
    api_id, stage = parts[0], parts[1] if len(parts) > 1 else '*'
    if route == '*':
        path = '*'
    else:
        segments = [
            '*' if segment.startswith('{') and segment.endswith('}') else segment
            for segment in route.strip('/').split('/')
        ]
        path = '/'.join(segments)
    return '%s:%s/%s/%s/%s' % (arn_prefix, api_id, stage, method.upper(), path)


def _simple_response_policy(response, route_arn):
    """An HTTP API *simple response* (``{'isAuthorized': ..., 'context': ...}``)
    as the IAM policy the deployed authorizer answers with.

    ``isAuthorized`` allows (or denies) every route of the API, which is
    what a cached simple response means to API Gateway.
    """
    arn = route_arn if isinstance(route_arn, str) else ''
    prefix, _, resource = arn.rpartition(':')
    parts = resource.split('/', 2)
    everything = '%s:%s/%s/*' % (prefix, parts[0], parts[1] if len(parts) > 1 else '*')
    answer = {
        'principalId': str(response.get('principalId') or 'user'),
        'policyDocument': {'Version': '2012-10-17', 'Statement': [{
            'Action': 'execute-api:Invoke',
            'Effect': 'Allow' if response.get('isAuthorized') is True else 'Deny',
            'Resource': [everything]}]},
    }
    if response.get('context') is not None:
        answer['context'] = response['context']
    return answer


class ChaliceAuthorizer:
    """The Lambda handler of a built-in authorizer (and the route's authorizer).

    Calling it with the API Gateway authorizer event runs the user function.
    It can also be passed to ``@app.route(authorizer=...)``.
    """

    def __init__(self, name, func, scopes=None, config=None):
        self.name = name
        self.func = func
        self.scopes = scopes or []
        self.config = config

    def __call__(self, event, context):
        auth_request = self._to_auth_request(event)
        response = self.func(auth_request)
        if isinstance(response, AuthResponse):
            return response.to_dict(auth_request)
        if isinstance(response, dict) and 'isAuthorized' in response and \
                'policyDocument' not in response and event.get('version') == '2.0':
            return _simple_response_policy(response, auth_request.method_arn)
        return response

    @staticmethod
    def _to_auth_request(event):
        if not isinstance(event, dict):
            raise MalformedEventError(
                'A built-in authorizer received an event that is not an API Gateway '
                'authorizer event (an object with type, authorizationToken and methodArn); '
                'got %s' % type(event).__name__)
        if event.get('version') == '2.0':
            # An HTTP API's payload format 2.0: the token is the identity source.
            sources = event.get('identitySource')
            token = sources[0] if isinstance(sources, list) and sources else None
            return AuthRequest(event.get('type'), token, event.get('routeArn'))
        token = event.get('authorizationToken')
        if token is None and event.get('type') == 'REQUEST':
            headers = event.get('headers')
            if not isinstance(headers, dict):
                headers = {}
            token = headers.get('Authorization') or headers.get('authorization')
        return AuthRequest(event.get('type'), token, event.get('methodArn'))

    def with_scopes(self, scopes):
        return ChaliceAuthorizer(self.name, self.func, scopes=scopes, config=self.config)

    def to_swagger(self):
        ttl = self.config.ttl_seconds if self.config else None
        header = self.config.header if self.config else 'Authorization'
        settings = {'type': 'token'}
        if ttl is not None:
            # Unset, API Gateway caches for 300 s, so none is written.
            settings['authorizerResultTtlInSeconds'] = ttl
        return {
            'in': 'header',
            'type': 'apiKey',
            'name': header,
            'x-amazon-apigateway-authtype': 'custom',
            'x-amazon-apigateway-authorizer': settings,
        }

    def __repr__(self):
        return 'ChaliceAuthorizer(name=%r)' % self.name
