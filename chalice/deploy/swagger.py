"""Build the REST API definition (Swagger 2.0 plus API Gateway extensions).

The deployer creates and updates a REST API by importing one document that
describes every route of the app.  :class:`SwaggerGenerator` builds that
document from ``app.routes``, ``app.api.binary_types`` and the authorizers
the routes name.  It is pure data in, data out: nothing here talks to AWS.

ARNs that do not exist yet
--------------------------
When the document is generated the Lambda functions behind it may not have
been created, so their ARNs can be opaque placeholder objects that the
executor fills in later.  Such values are never turned into strings here.
Every string that embeds an ARN is a :class:`Template` -- a tuple of
literal text and opaque values -- and :func:`render_document` produces the
final JSON-ready tree once a ``resolve`` callable can map each placeholder
to its real value.  With plain string ARNs ``render_document(doc, str)``
gives the finished document.

Stable output
-------------
Paths are emitted in sorted order and methods in a fixed order, so the same
routes always give the same document whatever order they were declared in;
:func:`definition_sha256` hashes a rendered document so the deployer can
tell whether the API changed.
"""
import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any, Callable

from chalice.runtime.auth import ChaliceAuthorizer

__all__ = [
    'SwaggerGenerator', 'Template', 'render_document', 'has_placeholders',
    'definition_sha256', 'private_endpoint_policy', 'lambda_invoke_uri',
    'ENDPOINT_TYPES', 'METHOD_ORDER',
]

ENDPOINT_TYPES = ('EDGE', 'REGIONAL', 'PRIVATE')

# The order operations appear in a path item and in Access-Control-Allow-Methods.
METHOD_ORDER = ('GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS')

MAX_COMPRESSION_SIZE = 10485760

_LAMBDA_INVOKE_PATH = 'lambda:path/2015-03-31/functions/'
_JSON = 'application/json'
_CAPTURE_RE = re.compile(r'\{([^{}+]+)\+?\}')
_SCALARS = (str, int, float, bool, type(None))

_EMPTY_REF = {'$ref': '#/definitions/Empty'}
_API_KEY_DEFINITION = {'type': 'apiKey', 'name': 'x-api-key', 'in': 'header'}


# ------------------------------------------------------------ placeholders

@dataclass(frozen=True)
class Template:
    """A string assembled from literal text and opaque values.

    ``parts`` holds ``str`` pieces, kept verbatim, and any other objects,
    which :meth:`render` hands to ``resolve`` to get their text.  Nothing
    is converted until then, so placeholders survive generation untouched.
    """

    parts: tuple

    def __post_init__(self):
        if not isinstance(self.parts, tuple):
            object.__setattr__(self, 'parts', tuple(self.parts))

    def render(self, resolve: Callable[[Any], str]) -> str:
        """Join the parts, replacing each non-string part by ``resolve(part)``."""
        pieces = []
        for part in self.parts:
            if not isinstance(part, str):
                part = resolve(part)
                if not isinstance(part, str):
                    raise TypeError('resolve() must return a str, got %r' % (part,))
            pieces.append(part)
        return ''.join(pieces)

    @property
    def is_literal(self) -> bool:
        """True when every part is already plain text."""
        return all(isinstance(part, str) for part in self.parts)


def render_document(document, resolve: Callable[[Any], str]):
    """Return a copy of ``document`` that is plain JSON data.

    Dicts and lists (tuples too, which become lists) are copied, every
    :class:`Template` becomes its rendered string, JSON scalars are kept,
    and any other leaf is taken to be a placeholder and replaced by
    ``resolve(leaf)``.  The input is not modified.
    """
    if isinstance(document, dict):
        return {key: render_document(value, resolve) for key, value in document.items()}
    if isinstance(document, (list, tuple)):
        return [render_document(value, resolve) for value in document]
    if isinstance(document, Template):
        return document.render(resolve)
    if isinstance(document, _SCALARS):
        return document
    return resolve(document)


def has_placeholders(document) -> bool:
    """True if rendering ``document`` needs to resolve at least one placeholder."""
    if isinstance(document, dict):
        return any(has_placeholders(value) for value in document.values())
    if isinstance(document, (list, tuple)):
        return any(has_placeholders(value) for value in document)
    if isinstance(document, Template):
        return not document.is_literal
    return not isinstance(document, _SCALARS)


def definition_sha256(document_rendered: dict) -> str:
    """Hex sha256 of the canonical JSON form of a rendered document."""
    try:
        text = json.dumps(document_rendered, sort_keys=True, separators=(',', ':'))
    except TypeError as error:
        raise TypeError('definition_sha256() needs a rendered document '
                        '(see render_document()): %s' % error) from None
    return hashlib.sha256(text.encode('utf-8')).hexdigest()


def lambda_invoke_uri(partition: str, region: str, function_arn) -> Template:
    """The API Gateway integration URI that invokes ``function_arn``."""
    prefix = 'arn:%s:apigateway:%s:%s' % (partition, region, _LAMBDA_INVOKE_PATH)
    return Template((prefix, function_arn, '/invocations'))


def private_endpoint_policy(vpce_ids) -> dict:
    """Default resource policy of a PRIVATE API: invoke only through these VPC endpoints.

    ``vpce_ids`` is one endpoint id or a list of them (the two forms the
    ``api_gateway_endpoint_vpce`` setting accepts), written in the form
    given, for any partition, as AWS Chalice writes it.
    """
    ids = [vpce_ids] if isinstance(vpce_ids, str) else list(vpce_ids or [])
    if not ids or not all(isinstance(i, str) and i for i in ids):
        raise ValueError('A PRIVATE API needs at least one VPC endpoint id '
                         '(api_gateway_endpoint_vpce), got %r' % (vpce_ids,))
    return {
        'Version': '2012-10-17',
        'Statement': [{
            'Effect': 'Allow',
            'Principal': '*',
            'Action': 'execute-api:Invoke',
            'Resource': 'arn:*:execute-api:*:*:*',
            'Condition': {
                'StringEquals': {'aws:SourceVpce': vpce_ids if isinstance(vpce_ids, str)
                                 else ids},
            },
        }],
    }


# --------------------------------------------------------------- generator

def _ordered_methods(methods):
    """``methods`` (upper case) in :data:`METHOD_ORDER`, unknown ones last, sorted."""
    known = [m for m in METHOD_ORDER if m in methods]
    return known + sorted(m for m in methods if m not in METHOD_ORDER)


def _copy_tree(value):
    """Copy dicts and lists, keeping every other value (placeholders too) as is."""
    if isinstance(value, dict):
        return {key: _copy_tree(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_copy_tree(item) for item in value]
    return value


def _quoted(header, value):
    """A static API Gateway mapping value: the text in single quotes."""
    if not isinstance(value, str):
        value = '%s' % (value,)
    if "'" in value:
        raise ValueError('CORS header %s cannot contain a single quote: %r' % (header, value))
    return "'%s'" % value


class SwaggerGenerator:
    """Turn a Chalice app into its REST API definition.

    ``api_handler_arn`` is the ARN of the Lambda function serving every
    route, ``authorizer_arns`` maps each built-in authorizer's name to its
    function's ARN; both may be placeholders (see the module docstring).
    ``resource_policy`` becomes the API's resource policy: for a PRIVATE
    API the deployer passes :func:`private_endpoint_policy` or the user's
    policy file.  The endpoint type is not part of the document (the
    deployer sets it when creating the API); ``vpc_endpoint_ids`` (a PRIVATE
    API's endpoints) are, as AWS Chalice writes them.
    """

    def __init__(self, region: str, api_handler_arn, authorizer_arns: dict | None = None,
                 partition: str = 'aws', minimum_compression_size: int | None = None,
                 endpoint_type: str = 'EDGE', resource_policy: dict | None = None,
                 vpc_endpoint_ids: list | None = None) -> None:
        if not isinstance(region, str) or not region:
            raise ValueError('region must be a non-empty string, got %r' % (region,))
        if api_handler_arn is None:
            raise ValueError('api_handler_arn is required')
        if endpoint_type not in ENDPOINT_TYPES:
            raise ValueError('endpoint_type must be one of %s, got %r'
                             % (', '.join(ENDPOINT_TYPES), endpoint_type))
        if minimum_compression_size is not None and (
                isinstance(minimum_compression_size, bool)
                or not isinstance(minimum_compression_size, int)
                or not 0 <= minimum_compression_size <= MAX_COMPRESSION_SIZE):
            raise ValueError('minimum_compression_size must be an integer from 0 to %d, '
                             'got %r' % (MAX_COMPRESSION_SIZE, minimum_compression_size))
        if resource_policy is not None and not isinstance(resource_policy, dict):
            raise TypeError('resource_policy must be a dict, got %r' % (resource_policy,))
        self.region = region
        self.partition = partition
        self.api_handler_arn = api_handler_arn
        self.authorizer_arns = dict(authorizer_arns or {})
        self.minimum_compression_size = minimum_compression_size
        self.endpoint_type = endpoint_type
        self.resource_policy = resource_policy
        self.vpc_endpoint_ids = list(vpc_endpoint_ids or [])

    # -- document

    def generate(self, app) -> dict:
        """The API definition of ``app``; ARNs appear as :class:`Template` values."""
        definitions: dict[str, Any] = {}
        paths = {}
        for path in sorted(app.routes):
            methods = app.routes[path]
            if methods:
                paths[path] = self._path_item(path, methods, definitions)
        document: dict[str, Any] = {
            'swagger': '2.0',
            'info': {'version': '1.0', 'title': app.app_name},
            'schemes': ['https'],
            'paths': paths,
            'definitions': {'Empty': {'type': 'object', 'title': 'Empty Schema'}},
            'x-amazon-apigateway-binary-media-types': list(app.api.binary_types),
        }
        if definitions:
            document['securityDefinitions'] = {
                name: definitions[name] for name in sorted(definitions)}
        if self.minimum_compression_size is not None:
            document['x-amazon-apigateway-minimum-compression-size'] = (
                self.minimum_compression_size)
        if self.resource_policy is not None:
            document['x-amazon-apigateway-policy'] = _copy_tree(self.resource_policy)
        if self.vpc_endpoint_ids:
            document['x-amazon-apigateway-endpoint-configuration'] = {
                'vpcEndpointIds': list(self.vpc_endpoint_ids)}
        return document

    def _path_item(self, path, methods, definitions):
        item = {}
        cors = None
        ordered = _ordered_methods(methods)
        for method in ordered:
            entry = methods[method]
            item[method.lower()] = self._operation(path, entry, definitions)
            if cors is None and entry.cors is not None:
                cors = entry.cors
        if cors is not None and 'OPTIONS' not in methods:
            allowed = ','.join(ordered + ['OPTIONS'])
            item['options'] = self._preflight(path, cors, allowed)
        return item

    def _operation(self, path, entry, definitions):
        operation = {
            'consumes': list(entry.content_types),
            'produces': [_JSON],
            'responses': {'200': {'description': '200 response', 'schema': dict(_EMPTY_REF)}},
            'x-amazon-apigateway-integration': {
                'responses': {'default': {'statusCode': '200'}},
                'uri': lambda_invoke_uri(self.partition, self.region, self.api_handler_arn),
                'passthroughBehavior': 'when_no_match',
                'httpMethod': 'POST',
                'contentHandling': 'CONVERT_TO_TEXT',
                'type': 'aws_proxy',
            },
        }
        _add_path_parameters(operation, path)
        security = []
        if entry.api_key_required:
            _add_definition(definitions, 'api_key', dict(_API_KEY_DEFINITION))
            security.append({'api_key': []})
        if entry.authorizer is not None:
            authorizer = entry.authorizer
            _add_definition(definitions, authorizer.name,
                            self._authorizer_definition(authorizer))
            security.append({authorizer.name: list(getattr(authorizer, 'scopes', None) or [])})
        if security:
            operation['security'] = security
        return operation

    def _authorizer_definition(self, authorizer):
        if isinstance(authorizer, ChaliceAuthorizer):
            return self._builtin_definition(authorizer)
        to_swagger = getattr(authorizer, 'to_swagger', None)
        if to_swagger is None or not getattr(authorizer, 'name', None):
            raise TypeError('Unsupported authorizer %r: it needs a name and a to_swagger() '
                            'method' % (authorizer,))
        return _copy_tree(to_swagger())

    def _builtin_definition(self, authorizer):
        """Security definition of an ``@app.authorizer()`` function."""
        if authorizer.name not in self.authorizer_arns:
            raise ValueError('No Lambda ARN was given for the built-in authorizer %r '
                             '(authorizer_arns has: %s)'
                             % (authorizer.name, ', '.join(sorted(self.authorizer_arns))
                                or 'nothing'))
        definition = _copy_tree(authorizer.to_swagger())
        settings = definition['x-amazon-apigateway-authorizer']
        ttl = settings.pop('authorizerResultTtlInSeconds', None)
        settings['authorizerUri'] = lambda_invoke_uri(
            self.partition, self.region, self.authorizer_arns[authorizer.name])
        if ttl is not None:
            settings['authorizerResultTtlInSeconds'] = ttl  # after the URI, as AWS Chalice
        config = authorizer.config
        role = getattr(config, 'execution_role', None) if config is not None else None
        if role is not None:
            settings['authorizerCredentials'] = role
        return definition

    @staticmethod
    def _preflight(path, cors, allowed_methods):
        """The OPTIONS operation answering CORS preflight requests (a MOCK integration)."""
        headers = {'Access-Control-Allow-Methods': allowed_methods}
        headers.update(cors.get_access_control_headers())
        operation = {
            'consumes': [_JSON],
            'produces': [_JSON],
            'responses': {
                '200': {
                    'description': '200 response',
                    'schema': dict(_EMPTY_REF),
                    'headers': {name: {'type': 'string'} for name in headers},
                },
            },
            'x-amazon-apigateway-integration': {
                'responses': {
                    'default': {
                        'statusCode': '200',
                        'responseParameters': {
                            'method.response.header.%s' % name: _quoted(name, value)
                            for name, value in headers.items()
                        },
                    },
                },
                'requestTemplates': {_JSON: '{"statusCode": 200}'},
                'passthroughBehavior': 'when_no_match',
                'contentHandling': 'CONVERT_TO_TEXT',
                'type': 'mock',
            },
        }
        _add_path_parameters(operation, path)
        return operation


def _add_path_parameters(operation, path):
    """Declare each capture of ``path`` (``{name}`` or ``{name+}``) as a path parameter."""
    captures = _CAPTURE_RE.findall(path)
    if captures:
        operation['parameters'] = [
            {'name': name, 'in': 'path', 'required': True, 'type': 'string'}
            for name in captures
        ]


def _add_definition(definitions, name, definition):
    """Record a security definition; two different ones may not share a name."""
    existing = definitions.get(name)
    if existing is None:
        definitions[name] = definition
    elif existing != definition:
        if name == 'api_key':
            raise ValueError("An authorizer may not be named 'api_key': API Gateway's "
                             "API key check uses that name")
        raise ValueError('Two different authorizers are named %r; give each authorizer '
                         'a unique name' % (name,))
