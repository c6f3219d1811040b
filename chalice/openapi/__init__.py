"""An OpenAPI 3.0 description of a Chalice app's REST API.

:class:`OpenAPI3Generator` extends the Swagger 2.0 generator that deploy
uses (:class:`chalice.deploy.swagger.SwaggerGenerator`): the paths, the
methods, the security requirements, CORS preflights and the API Gateway
extensions are the ones deploy imports, rewritten in OpenAPI 3.0's form and
completed with what the view functions say about themselves
(:mod:`chalice.openapi.views`): summaries and descriptions from docstrings,
query parameters, request and response schemas from type hints
(:mod:`chalice.openapi.schemas`) and the error responses the views raise.

Two users:

* ``chalice generate-models --format openapi3`` (through
  :func:`chalice.deploy.appgraph.rest_api_model`): the API Gateway
  extensions are kept, with the same placeholders as the Swagger model;
* ``chalice local --docs`` (:func:`docs_document`): the extensions are
  removed and the server is the local one.

Security schemes
----------------
:data:`SECURITY_SCHEMES` is the one place that says how each kind of
authorizer is described: a list of ``(authorizer class, builder)`` pairs,
the first ``isinstance`` match wins.  A builder gets the generator and the
authorizer and returns the scheme object (the generator records it under
the authorizer's name and puts ``{name: scopes}`` in the operation's
``security``).  A new kind of authorizer (say an HTTP API's JWT authorizer)
needs one row; an authorizer class not listed is described from its
``to_swagger()``.
"""
from collections import Counter

from chalice.deploy.swagger import SwaggerGenerator
from chalice.openapi.schemas import REF_PREFIX, SchemaRegistry
from chalice.openapi.views import NOTHING, describe_view
from chalice.runtime.auth import (
    ChaliceAuthorizer,
    CognitoUserPoolAuthorizer,
    CustomAuthorizer,
    IAMAuthorizer,
    JWTAuthorizer,
)

__all__ = ['OpenAPI3Generator', 'SECURITY_SCHEMES', 'OPENAPI_VERSION', 'docs_document']

OPENAPI_VERSION = '3.0.3'

_AWS_EXTENSION = 'x-amazon-apigateway-'
# Methods that get a request body even when the view does not annotate one.
_BODY_METHODS = ('POST', 'PUT', 'PATCH')
# Methods that never get one (OpenAPI leaves their bodies undefined).
_NO_BODY_METHODS = ('GET', 'HEAD', 'OPTIONS')
_ERROR_SCHEMA_NAME = 'ChaliceViewError'
_ERROR_SCHEMA = {
    'title': 'ChaliceViewError',
    'description': 'The body of an error a view raises (a ChaliceViewError subclass).',
    'type': 'object',
    'properties': {'Code': {'type': 'string', 'description': 'The exception class name.'},
                   'Message': {'type': 'string'}},
    'required': ['Code', 'Message'],
}
_API_KEY_DESCRIPTION = 'An API Gateway API key, sent in the x-api-key header.'
_EXECUTE_API_URL = 'https://{restApiId}.execute-api.{region}.amazonaws.com/{basePath}'


# ------------------------------------------------------------ security

def _described(text):
    """A builder: the scheme deploy uses, with ``text`` as its description."""
    def build(generator, authorizer):
        scheme = SwaggerGenerator._authorizer_definition(generator, authorizer)
        scheme['description'] = text.format(
            name=authorizer.name, header=scheme.get('name', 'Authorization'),
            pools=', '.join(getattr(authorizer, 'provider_arns', None) or ()))
        return scheme
    return build


#: ``(authorizer class, builder(generator, authorizer) -> security scheme)``.
SECURITY_SCHEMES = [
    (IAMAuthorizer, _described(
        'AWS Signature Version 4: requests signed with AWS credentials that may call '
        'execute-api:Invoke on this API.')),
    (CognitoUserPoolAuthorizer, _described(
        'An ID or access token from the Amazon Cognito user pool(s) {pools}, sent in the '
        '{header} header.')),
    (CustomAuthorizer, _described(
        'A token checked by the Lambda authorizer {name}, sent in the {header} header.')),
    (ChaliceAuthorizer, _described(
        'A token checked by the @app.authorizer() function {name}, sent in the {header} '
        'header (chalice local runs it too).')),
    (JWTAuthorizer, lambda generator, authorizer: _jwt_scheme(authorizer)),
]


def _jwt_scheme(authorizer):
    """An HTTP API's JWT authorizer: OpenID Connect discovery at the issuer."""
    source = authorizer.identity_source
    return {
        'type': 'openIdConnect',
        'openIdConnectUrl': authorizer.issuer.rstrip('/') + '/.well-known/openid-configuration',
        'description': 'A JWT issued by %s for %s, read from %s; API Gateway verifies it.' % (
            authorizer.issuer, ' or '.join(authorizer.audience), source),
        'x-amazon-apigateway-authorizer': {
            'type': 'jwt', 'identitySource': source,
            'jwtConfiguration': {'issuer': authorizer.issuer,
                                 'audience': list(authorizer.audience)}},
    }


# ------------------------------------------------------------ generator

class OpenAPI3Generator(SwaggerGenerator):
    """The OpenAPI 3.0 document of an app (see the module docstring).

    Takes :class:`SwaggerGenerator`'s arguments plus ``aws_extensions``
    (keep the ``x-amazon-apigateway-*`` keys), ``base_path`` (the API
    Gateway stage, the default of the execute-api server's ``basePath``)
    and ``servers`` (the ``servers`` list; default: the execute-api URL
    with the extensions, ``/`` without).
    """

    def __init__(self, *args, aws_extensions=True, base_path='api', servers=None,
                 **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.aws_extensions = aws_extensions
        self.base_path = base_path
        self.servers = servers
        self.schemas = SchemaRegistry()
        self._operation_ids: set = set()
        self._view_name_counts: Counter = Counter()

    def generate(self, app) -> dict:
        self.schemas = SchemaRegistry()
        self._operation_ids = set()
        self._view_name_counts = Counter(
            entry.view_name for methods in app.routes.values() for entry in methods.values())
        swagger = super().generate(app)
        document = {
            'openapi': OPENAPI_VERSION,
            'info': dict(swagger['info']),
            'servers': self._servers(),
            'paths': swagger['paths'],
        }
        components = {}
        if self.schemas.components:
            components['schemas'] = dict(sorted(self.schemas.components.items()))
        schemes = swagger.get('securityDefinitions')
        if schemes:
            if 'api_key' in schemes:
                schemes['api_key'].setdefault('description', _API_KEY_DESCRIPTION)
            components['securitySchemes'] = schemes
        if components:
            document['components'] = components
        document.update((key, value) for key, value in swagger.items()
                        if key.startswith(_AWS_EXTENSION))
        if not self.aws_extensions:
            document = _without_aws_extensions(document)
        return document

    def _servers(self):
        if self.servers is not None:
            return list(self.servers)
        if not self.aws_extensions:
            return [{'url': '/'}]
        return [{
            'url': _EXECUTE_API_URL,
            'variables': {
                'restApiId': {'default': 'restApiId',
                              'description': "The REST API's id (chalice url prints the "
                                             "deployed URL)."},
                'region': {'default': 'us-east-1'},
                'basePath': {'default': self.base_path,
                             'description': 'The API Gateway stage.'},
            },
        }]

    # -- operations

    def _authorizer_definition(self, authorizer):
        for kind, build in SECURITY_SCHEMES:
            if isinstance(authorizer, kind):
                return build(self, authorizer)
        return super()._authorizer_definition(authorizer)

    def _operation(self, path, entry, definitions):
        swagger = super()._operation(path, entry, definitions)
        view = describe_view(entry.view_function, entry.view_args)
        operation = {}
        if view.summary:
            operation['summary'] = view.summary
        if view.description:
            operation['description'] = view.description
        operation['operationId'] = self._operation_id(entry)
        parameters = self._path_parameters(path, swagger, view)
        parameters += self._query_parameters(view)
        if parameters:
            operation['parameters'] = parameters
        body = self._request_body(entry, view)
        if body is not None:
            operation['requestBody'] = body
        operation['responses'] = self._responses(entry, view)
        if swagger.get('security'):
            # Every scheme is needed (an API key and an authorizer): one
            # requirement object, as OpenAPI 3 says "all of these".
            requirement = {}
            for item in swagger['security']:
                requirement.update(item)
            operation['security'] = [requirement]
        if 'x-amazon-apigateway-integration' in swagger:
            operation['x-amazon-apigateway-integration'] = (
                swagger['x-amazon-apigateway-integration'])
        return operation

    def _operation_id(self, entry):
        name = entry.view_name
        if self._view_name_counts[name] > 1:
            name = '%s_%s' % (name, entry.method.lower())
        candidate, number = name, 2
        while candidate in self._operation_ids:
            candidate = '%s_%d' % (name, number)
            number += 1
        self._operation_ids.add(candidate)
        return candidate

    def _path_parameters(self, path, swagger, view=None):
        parameters = []
        for parameter in swagger.get('parameters', ()):
            name = parameter['name']
            greedy = '{%s+}' % name in path
            schema = {'type': 'string'}
            if view is not None and name in view.path_types:
                schema = self.schemas.schema(view.path_types[name]) or schema
            item = {'name': name + '+' if greedy else name, 'in': 'path', 'required': True,
                    'schema': schema}
            text = view.parameter_docs.get(name) if view is not None else None
            if greedy:
                text = ((text + ' ') if text else '') + '(Greedy: may contain "/".)'
            if text:
                item['description'] = text
            parameters.append(item)
        return parameters

    @staticmethod
    def _query_parameters(view):
        parameters = []
        for name, query in view.query.items():
            schema = {'type': 'string'}
            if query.array:
                schema = {'type': 'array', 'items': schema}
            item = {'name': name, 'in': 'query', 'required': query.required, 'schema': schema}
            text = query.description or view.parameter_docs.get(name)
            if text:
                item['description'] = text
            parameters.append(item)
        return parameters

    def _request_body(self, entry, view):
        if entry.method in _NO_BODY_METHODS:
            return None
        schema = None
        if view.body_type is not NOTHING:
            schema = self.schemas.schema(view.body_type, 'validation')
        elif entry.method not in _BODY_METHODS:
            return None
        content = {}
        for content_type in entry.content_types:
            media = {}
            if schema and _is_json(content_type):
                media['schema'] = schema
            content[content_type] = media
        return {'content': content, 'required': schema is not None}

    def _responses(self, entry, view):
        from chalice.app import Response

        ok = {'description': '200 response'}
        returned = view.return_type
        if returned is NOTHING or returned is None or returned is type(None):
            ok['content'] = {'application/json': {}}
        elif isinstance(returned, type) and issubclass(returned, Response):
            ok['description'] = ('The view returns a Response: its status code, headers '
                                 'and body are its own.')
        else:
            schema = self.schemas.schema(returned, 'serialization')
            ok['content'] = {'application/json': {'schema': schema} if schema else {}}
        cors = entry.cors
        if cors is not None:
            ok['headers'] = {name: {'schema': {'type': 'string'}}
                             for name in cors.get_access_control_headers()}
        responses = {'200': ok}
        for status, name in sorted(view.errors.items()):
            self.schemas.components.setdefault(_ERROR_SCHEMA_NAME, _ERROR_SCHEMA)
            responses[str(status)] = {
                'description': name,
                'content': {'application/json': {
                    'schema': {'$ref': REF_PREFIX + _ERROR_SCHEMA_NAME}}},
            }
        return responses

    def _preflight(self, path, cors, allowed_methods):
        swagger = super()._preflight(path, cors, allowed_methods)
        headers = swagger['responses']['200']['headers']
        operation = {'summary': 'CORS preflight'}
        parameters = self._path_parameters(path, swagger)
        if parameters:
            operation['parameters'] = parameters
        operation['responses'] = {'200': {
            'description': '200 response',
            'headers': {name: {'schema': {'type': 'string'}} for name in headers},
        }}
        operation['x-amazon-apigateway-integration'] = swagger['x-amazon-apigateway-integration']
        return operation


def _is_json(content_type):
    media = content_type.split(';', 1)[0].strip().lower()
    return media == 'application/json' or media.endswith('+json')


def _without_aws_extensions(value):
    if isinstance(value, dict):
        return {key: _without_aws_extensions(item) for key, item in value.items()
                if not (isinstance(key, str) and key.startswith(_AWS_EXTENSION))}
    if isinstance(value, list):
        return [_without_aws_extensions(item) for item in value]
    return value


def docs_document(app, servers=None) -> dict:
    """The OpenAPI 3.0 document ``chalice local --docs`` serves (no AWS extensions)."""
    from chalice.deploy.appgraph import (
        MODEL_API_HANDLER_ARN,
        MODEL_AUTHORIZER_ARN,
        MODEL_REGION,
    )
    from chalice.deploy.swagger import render_document

    authorizer_arns = {auth.name: MODEL_AUTHORIZER_ARN % auth.name
                       for auth in app.builtin_auth_handlers}
    generator = OpenAPI3Generator(MODEL_REGION, MODEL_API_HANDLER_ARN, authorizer_arns,
                                  aws_extensions=False, servers=servers)
    return render_document(generator.generate(app), str)
