"""Tests for chalice.deploy.swagger: the REST API definition built from an app."""
import copy
import json
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openapi_spec_validator import OpenAPIV2SpecValidator, validate

from chalice import (
    AuthResponse,
    Blueprint,
    Chalice,
    CognitoUserPoolAuthorizer,
    CORSConfig,
    CustomAuthorizer,
    IAMAuthorizer,
)
from chalice.deploy.swagger import (
    SwaggerGenerator,
    Template,
    definition_sha256,
    has_placeholders,
    lambda_invoke_uri,
    private_endpoint_policy,
    render_document,
)

REGION = 'us-west-2'
HANDLER_ARN = 'arn:aws:lambda:us-west-2:123456789012:function:app-dev'
AUTH_ARN = 'arn:aws:lambda:us-west-2:123456789012:function:app-dev-myauth'
INVOKE_PREFIX = 'arn:aws:apigateway:us-west-2:lambda:path/2015-03-31/functions/'
HANDLER_URI = INVOKE_PREFIX + HANDLER_ARN + '/invocations'
AUTH_URI = INVOKE_PREFIX + AUTH_ARN + '/invocations'
DEFAULT_CORS_HEADERS = 'Authorization,Content-Type,X-Amz-Date,X-Amz-Security-Token,X-Api-Key'
DEFAULT_BINARY_TYPES = [
    'application/octet-stream', 'application/x-tar', 'application/zip',
    'audio/basic', 'audio/ogg', 'audio/mp4', 'audio/mpeg', 'audio/wav',
    'audio/webm', 'image/png', 'image/jpg', 'image/jpeg', 'image/gif',
    'video/ogg', 'video/mpeg', 'video/webm',
]
EMPTY_RESPONSES = {
    '200': {'description': '200 response', 'schema': {'$ref': '#/definitions/Empty'}},
}


class Placeholder:
    """Stands in for an ARN the deployer only knows at execution time."""

    def __init__(self, key):
        self.key = key

    def __str__(self):  # pragma: no cover - the generator must never call it
        raise AssertionError('str() called on a placeholder')

    def __repr__(self):
        return 'Placeholder(%r)' % self.key


def generate(app, **kwargs):
    """Generate and render with plain-string ARNs."""
    kwargs.setdefault('authorizer_arns', {'myauth': AUTH_ARN})
    generator = SwaggerGenerator(REGION, HANDLER_ARN, **kwargs)
    document = generator.generate(app)
    assert not has_placeholders(document)
    return render_document(document, str)


def assert_valid_swagger(document):
    # API Gateway's greedy capture ``{name+}`` declares a parameter ``name``; plain
    # Swagger 2.0 knows no such syntax, so the validator sees ``{name}`` instead.
    paths = {re.sub(r'\{(\w+)\+\}', r'{\1}', path): item
             for path, item in document['paths'].items()}
    validate(dict(document, paths=paths), cls=OpenAPIV2SpecValidator)


def proxy_operation(content_types=None, parameters=None, security=None, uri=HANDLER_URI):
    operation = {
        'consumes': content_types or ['application/json'],
        'produces': ['application/json'],
        'responses': copy.deepcopy(EMPTY_RESPONSES),
        'x-amazon-apigateway-integration': {
            'responses': {'default': {'statusCode': '200'}},
            'uri': uri,
            'passthroughBehavior': 'when_no_match',
            'httpMethod': 'POST',
            'contentHandling': 'CONVERT_TO_TEXT',
            'type': 'aws_proxy',
        },
    }
    if parameters:
        operation['parameters'] = [
            {'name': name, 'in': 'path', 'required': True, 'type': 'string'}
            for name in parameters
        ]
    if security is not None:
        operation['security'] = security
    return operation


def preflight_operation(headers, parameters=None):
    operation = {
        'consumes': ['application/json'],
        'produces': ['application/json'],
        'responses': {
            '200': {
                'description': '200 response',
                'schema': {'$ref': '#/definitions/Empty'},
                'headers': {name: {'type': 'string'} for name in headers},
            },
        },
        'x-amazon-apigateway-integration': {
            'responses': {
                'default': {
                    'statusCode': '200',
                    'responseParameters': {
                        'method.response.header.' + name: "'%s'" % value
                        for name, value in headers.items()
                    },
                },
            },
            'requestTemplates': {'application/json': '{"statusCode": 200}'},
            'passthroughBehavior': 'when_no_match',
            'contentHandling': 'CONVERT_TO_TEXT',
            'type': 'mock',
        },
    }
    if parameters:
        operation['parameters'] = [
            {'name': name, 'in': 'path', 'required': True, 'type': 'string'}
            for name in parameters
        ]
    return operation


def hello_app():
    app = Chalice(app_name='helloworld')

    @app.route('/')
    def index():
        return {'hello': 'world'}

    return app


# ----------------------------------------------------------------- basics

def test_hello_world_document_is_exact():
    document = generate(hello_app())
    assert document == {
        'swagger': '2.0',
        'info': {'version': '1.0', 'title': 'helloworld'},
        'schemes': ['https'],
        'paths': {'/': {'get': proxy_operation()}},
        'definitions': {'Empty': {'type': 'object', 'title': 'Empty Schema'}},
        'x-amazon-apigateway-binary-media-types': DEFAULT_BINARY_TYPES,
    }
    assert_valid_swagger(document)


def test_app_without_routes_has_no_paths():
    document = generate(Chalice(app_name='empty'))
    assert document['paths'] == {}
    assert 'securityDefinitions' not in document
    assert_valid_swagger(document)


def test_captures_become_path_parameters():
    app = Chalice(app_name='captures')

    @app.route('/users/{user_id}/posts/{post_id}')
    def post(user_id, post_id):
        return {}

    document = generate(app)
    assert document['paths'] == {
        '/users/{user_id}/posts/{post_id}': {
            'get': proxy_operation(parameters=['user_id', 'post_id']),
        },
    }
    assert_valid_swagger(document)


def test_greedy_proxy_capture_is_named_without_plus():
    app = Chalice(app_name='proxy')

    @app.route('/static/{proxy+}')
    def static(proxy):
        return {}

    document = generate(app)
    assert document['paths'] == {
        '/static/{proxy+}': {'get': proxy_operation(parameters=['proxy'])},
    }


def test_multiple_methods_each_get_an_operation_in_fixed_order():
    app = Chalice(app_name='methods')

    @app.route('/res', methods=['DELETE', 'PUT', 'POST', 'GET', 'PATCH', 'HEAD'])
    def res():
        return {}

    document = generate(app)
    item = document['paths']['/res']
    assert list(item) == ['get', 'head', 'post', 'put', 'patch', 'delete']
    for operation in item.values():
        assert operation == proxy_operation()
    assert_valid_swagger(document)


def test_methods_from_separate_views_share_one_path_item():
    app = Chalice(app_name='views')

    @app.route('/items', methods=['POST'])
    def create():
        return {}

    @app.route('/items', methods=['GET'])
    def listing():
        return {}

    document = generate(app)
    assert list(document['paths']['/items']) == ['get', 'post']


def test_user_options_view_without_cors_is_a_proxy_operation():
    app = Chalice(app_name='options')

    @app.route('/multi', methods=['GET', 'OPTIONS'])
    def multi():
        return {}

    item = generate(app)['paths']['/multi']
    assert list(item) == ['get', 'options']
    assert item['options'] == proxy_operation()


def test_content_types_are_consumed():
    app = Chalice(app_name='content')

    @app.route('/form', methods=['POST'],
               content_types=['application/x-www-form-urlencoded', 'text/plain'])
    def form():
        return {}

    document = generate(app)
    assert document['paths']['/form']['post'] == proxy_operation(
        content_types=['application/x-www-form-urlencoded', 'text/plain'])
    assert_valid_swagger(document)


def test_paths_are_sorted():
    app = Chalice(app_name='sorted')
    for path in ['/zeta', '/alpha/{x}', '/', '/beta']:
        app.route(path)(lambda x=None: {})
    assert list(generate(app)['paths']) == ['/', '/alpha/{x}', '/beta', '/zeta']


def test_blueprint_routes_are_included_with_prefix():
    blueprint = Blueprint(__name__)

    @blueprint.route('/things/{thing}')
    def thing(thing):
        return {}

    app = Chalice(app_name='bp')
    app.register_blueprint(blueprint, url_prefix='/v1')
    document = generate(app)
    assert document['paths'] == {
        '/v1/things/{thing}': {'get': proxy_operation(parameters=['thing'])},
    }


def test_partition_and_region_are_used_in_the_integration_uri():
    document = render_document(
        SwaggerGenerator('cn-north-1', 'arn:aws-cn:lambda:cn-north-1:1:function:f',
                         partition='aws-cn').generate(hello_app()), str)
    assert document['paths']['/']['get']['x-amazon-apigateway-integration']['uri'] == (
        'arn:aws-cn:apigateway:cn-north-1:lambda:path/2015-03-31/functions/'
        'arn:aws-cn:lambda:cn-north-1:1:function:f/invocations')


# ------------------------------------------------------------------- CORS

def test_cors_true_adds_a_mock_preflight():
    app = Chalice(app_name='cors')

    @app.route('/items/{item}', methods=['PUT', 'GET'], cors=True)
    def item(item):
        return {}

    document = generate(app)
    path_item = document['paths']['/items/{item}']
    assert list(path_item) == ['get', 'put', 'options']
    assert path_item['get'] == proxy_operation(parameters=['item'])
    assert path_item['put'] == proxy_operation(parameters=['item'])
    assert path_item['options'] == preflight_operation({
        'Access-Control-Allow-Methods': 'GET,PUT,OPTIONS',
        'Access-Control-Allow-Origin': '*',
        'Access-Control-Allow-Headers': DEFAULT_CORS_HEADERS,
    }, parameters=['item'])
    assert_valid_swagger(document)


def test_single_method_preflight_allows_method_and_options():
    app = Chalice(app_name='cors')

    @app.route('/put', methods=['PUT'], cors=True)
    def put():
        return {}

    integration = generate(app)['paths']['/put']['options']['x-amazon-apigateway-integration']
    parameters = integration['responses']['default']['responseParameters']
    assert parameters['method.response.header.Access-Control-Allow-Methods'] == \
        "'PUT,OPTIONS'"


def test_cors_config_with_every_option():
    app = Chalice(app_name='corsconfig')
    config = CORSConfig(allow_origin='https://foo.example.com',
                        allow_headers=['X-Special-Header'], max_age=600,
                        expose_headers=['X-Special-Header', 'X-Other'],
                        allow_credentials=True)

    @app.route('/custom', methods=['GET', 'POST'], cors=config)
    def custom():
        return {}

    document = generate(app)
    assert document['paths']['/custom']['options'] == preflight_operation({
        'Access-Control-Allow-Methods': 'GET,POST,OPTIONS',
        'Access-Control-Allow-Origin': 'https://foo.example.com',
        'Access-Control-Allow-Headers': DEFAULT_CORS_HEADERS + ',X-Special-Header',
        'Access-Control-Expose-Headers': 'X-Special-Header,X-Other',
        'Access-Control-Max-Age': '600',
        'Access-Control-Allow-Credentials': 'true',
    })
    assert_valid_swagger(document)


def test_global_cors_applies_to_every_path():
    app = Chalice(app_name='globalcors')
    app.api.cors = True

    @app.route('/a')
    def a():
        return {}

    @app.route('/b', cors=False)
    def b():
        return {}

    paths = generate(app)['paths']
    assert list(paths['/a']) == ['get', 'options']
    assert list(paths['/b']) == ['get']


def test_no_preflight_without_cors():
    paths = generate(hello_app())['paths']
    assert 'options' not in paths['/']


def test_preflight_is_never_protected_by_auth_or_api_key():
    app = Chalice(app_name='corsauth')

    @app.route('/secret', cors=True, api_key_required=True, authorizer=IAMAuthorizer())
    def secret():
        return {}

    item = generate(app)['paths']['/secret']
    assert 'security' in item['get']
    assert 'security' not in item['options']


def test_single_quote_in_cors_value_is_rejected():
    app = Chalice(app_name='quote')

    @app.route('/q', cors=CORSConfig(allow_origin="https://o'neil.example.com"))
    def q():
        return {}

    with pytest.raises(ValueError, match='single quote'):
        SwaggerGenerator(REGION, HANDLER_ARN).generate(app)


# ------------------------------------------------------------ authorizers

def test_iam_authorizer():
    app = Chalice(app_name='iam')

    @app.route('/iam-auth', authorizer=IAMAuthorizer())
    def iam():
        return {}

    document = generate(app)
    assert document['paths']['/iam-auth']['get'] == proxy_operation(
        security=[{'sigv4': []}])
    assert document['securityDefinitions'] == {
        'sigv4': {
            'in': 'header',
            'type': 'apiKey',
            'name': 'Authorization',
            'x-amazon-apigateway-authtype': 'awsSigv4',
        },
    }
    assert_valid_swagger(document)


def test_cognito_authorizer_with_scopes():
    app = Chalice(app_name='cognito')
    authorizer = CognitoUserPoolAuthorizer(
        'MyPool', provider_arns=['arn:aws:cognito-idp:us-west-2:1:userpool/pool'],
        header='X-Token')

    @app.route('/plain', authorizer=authorizer)
    def plain():
        return {}

    @app.route('/scoped', authorizer=authorizer.with_scopes(['read', 'write']))
    def scoped():
        return {}

    document = generate(app)
    assert document['paths']['/plain']['get']['security'] == [{'MyPool': []}]
    assert document['paths']['/scoped']['get']['security'] == [
        {'MyPool': ['read', 'write']}]
    assert document['securityDefinitions'] == {
        'MyPool': {
            'in': 'header',
            'type': 'apiKey',
            'name': 'X-Token',
            'x-amazon-apigateway-authtype': 'cognito_user_pools',
            'x-amazon-apigateway-authorizer': {
                'type': 'cognito_user_pools',
                'providerARNs': ['arn:aws:cognito-idp:us-west-2:1:userpool/pool'],
            },
        },
    }


def test_custom_authorizer():
    app = Chalice(app_name='custom')
    uri = INVOKE_PREFIX + 'arn:aws:lambda:us-west-2:1:function:existing/invocations'
    authorizer = CustomAuthorizer('MyCustomAuth', authorizer_uri=uri, ttl_seconds=60,
                                  header='X-Auth', invoke_role_arn='arn:aws:iam::1:role/r')

    @app.route('/custom-auth', authorizer=authorizer)
    def custom():
        return {}

    document = generate(app)
    assert document['paths']['/custom-auth']['get']['security'] == [{'MyCustomAuth': []}]
    assert document['securityDefinitions'] == {
        'MyCustomAuth': {
            'in': 'header',
            'type': 'apiKey',
            'name': 'X-Auth',
            'x-amazon-apigateway-authtype': 'custom',
            'x-amazon-apigateway-authorizer': {
                'type': 'token',
                'authorizerUri': uri,
                'authorizerResultTtlInSeconds': 60,
                'authorizerCredentials': 'arn:aws:iam::1:role/r',
            },
        },
    }
    assert_valid_swagger(document)


def test_builtin_authorizer_defaults():
    app = Chalice(app_name='builtin')

    @app.authorizer()
    def myauth(auth_request):
        return AuthResponse(routes=['/'], principal_id='user')

    @app.route('/', authorizer=myauth)
    def index():
        return {}

    document = generate(app)
    assert document['paths']['/']['get'] == proxy_operation(security=[{'myauth': []}])
    assert document['securityDefinitions'] == {
        'myauth': {
            'in': 'header',
            'type': 'apiKey',
            'name': 'Authorization',
            'x-amazon-apigateway-authtype': 'custom',
            # No ttl_seconds: no authorizerResultTtlInSeconds, as AWS Chalice.
            'x-amazon-apigateway-authorizer': {
                'type': 'token',
                'authorizerUri': AUTH_URI,
            },
        },
    }
    assert_valid_swagger(document)


def test_builtin_authorizer_with_every_option():
    app = Chalice(app_name='builtin')

    @app.authorizer(name='myauth', ttl_seconds=0, header='X-Token',
                    execution_role='arn:aws:iam::1:role/invoke-auth')
    def some_function(auth_request):
        return AuthResponse(routes=['/'], principal_id='user')

    @app.route('/', authorizer=some_function)
    def index():
        return {}

    definition = generate(app)['securityDefinitions']['myauth']
    assert definition['name'] == 'X-Token'
    assert definition['x-amazon-apigateway-authorizer'] == {
        'type': 'token',
        'authorizerResultTtlInSeconds': 0,
        'authorizerUri': AUTH_URI,
        'authorizerCredentials': 'arn:aws:iam::1:role/invoke-auth',
    }


def test_builtin_authorizer_without_arn_is_an_error():
    app = Chalice(app_name='builtin')

    @app.authorizer()
    def other(auth_request):
        return AuthResponse(routes=['/'], principal_id='user')

    @app.route('/', authorizer=other)
    def index():
        return {}

    with pytest.raises(ValueError, match="'other'"):
        SwaggerGenerator(REGION, HANDLER_ARN, authorizer_arns={'myauth': AUTH_ARN}) \
            .generate(app)


def test_shared_authorizer_is_defined_once():
    app = Chalice(app_name='shared')
    authorizer = IAMAuthorizer()
    for path in ['/a', '/b', '/c']:
        app.route(path, authorizer=authorizer)(lambda: {})
    app.route('/d', authorizer=IAMAuthorizer())(lambda: {})
    document = generate(app)
    assert list(document['securityDefinitions']) == ['sigv4']
    for path in ['/a', '/b', '/c', '/d']:
        assert document['paths'][path]['get']['security'] == [{'sigv4': []}]


def test_two_different_authorizers_with_one_name_are_an_error():
    app = Chalice(app_name='clash')
    first = CognitoUserPoolAuthorizer('Auth', provider_arns=['arn:one'])
    second = CognitoUserPoolAuthorizer('Auth', provider_arns=['arn:two'])
    app.route('/a', authorizer=first)(lambda: {})
    app.route('/b', authorizer=second)(lambda: {})
    with pytest.raises(ValueError, match="'Auth'"):
        SwaggerGenerator(REGION, HANDLER_ARN).generate(app)


def test_authorizer_named_api_key_clashes_with_api_keys():
    app = Chalice(app_name='clash')
    app.route('/a', api_key_required=True)(lambda: {})
    app.route('/b', authorizer=CognitoUserPoolAuthorizer('api_key', ['arn:p']))(lambda: {})
    with pytest.raises(ValueError, match='api_key'):
        SwaggerGenerator(REGION, HANDLER_ARN).generate(app)


def test_security_definitions_are_sorted():
    app = Chalice(app_name='many')
    app.route('/z', authorizer=CognitoUserPoolAuthorizer('Zed', ['arn:p']))(lambda: {})
    app.route('/a', authorizer=CognitoUserPoolAuthorizer('Alpha', ['arn:p']))(lambda: {})
    app.route('/k', api_key_required=True)(lambda: {})
    assert list(generate(app)['securityDefinitions']) == ['Alpha', 'Zed', 'api_key']


# ---------------------------------------------------------------- API keys

def test_api_key_required():
    app = Chalice(app_name='apikey')

    @app.route('/authenticated', methods=['GET'], api_key_required=True)
    def authenticated():
        return {}

    @app.route('/open')
    def open_route():
        return {}

    document = generate(app)
    assert document['paths']['/authenticated']['get'] == proxy_operation(
        security=[{'api_key': []}])
    assert 'security' not in document['paths']['/open']['get']
    assert document['securityDefinitions'] == {
        'api_key': {'type': 'apiKey', 'name': 'x-api-key', 'in': 'header'},
    }
    assert_valid_swagger(document)


def test_api_key_and_authorizer_together():
    app = Chalice(app_name='both')

    @app.route('/both', api_key_required=True, authorizer=IAMAuthorizer())
    def both():
        return {}

    document = generate(app)
    assert document['paths']['/both']['get']['security'] == [
        {'api_key': []}, {'sigv4': []}]
    assert set(document['securityDefinitions']) == {'api_key', 'sigv4'}
    assert_valid_swagger(document)


# --------------------------------------------- binary, compression, policy

def test_custom_binary_types():
    app = hello_app()
    app.api.binary_types.append('application/x-custom')
    document = generate(app)
    assert document['x-amazon-apigateway-binary-media-types'] == (
        DEFAULT_BINARY_TYPES + ['application/x-custom'])
    app.api.binary_types = ['image/png']
    assert generate(app)['x-amazon-apigateway-binary-media-types'] == ['image/png']


def test_binary_types_list_is_copied():
    app = hello_app()
    document = SwaggerGenerator(REGION, HANDLER_ARN).generate(app)
    document['x-amazon-apigateway-binary-media-types'].append('x/y')
    assert 'x/y' not in app.api.binary_types


def test_minimum_compression_size():
    document = generate(hello_app(), minimum_compression_size=1024)
    assert document['x-amazon-apigateway-minimum-compression-size'] == 1024
    assert generate(hello_app(), minimum_compression_size=0)[
        'x-amazon-apigateway-minimum-compression-size'] == 0
    assert 'x-amazon-apigateway-minimum-compression-size' not in generate(hello_app())
    assert_valid_swagger(document)


@pytest.mark.parametrize('size', [-1, 10485761, '100', 1.5, True])
def test_invalid_minimum_compression_size(size):
    with pytest.raises(ValueError, match='minimum_compression_size'):
        SwaggerGenerator(REGION, HANDLER_ARN, minimum_compression_size=size)


def test_invalid_endpoint_type():
    with pytest.raises(ValueError, match='EDGE, REGIONAL, PRIVATE'):
        SwaggerGenerator(REGION, HANDLER_ARN, endpoint_type='edge')


def test_endpoint_configuration_is_not_in_the_body():
    for endpoint_type in ['EDGE', 'REGIONAL', 'PRIVATE']:
        document = generate(hello_app(), endpoint_type=endpoint_type)
        assert 'x-amazon-apigateway-endpoint-configuration' not in document
        assert 'x-amazon-apigateway-policy' not in document


def test_private_endpoint_policy_one_id():
    # Any partition, and the id in the form configured, as AWS Chalice writes it.
    assert private_endpoint_policy('vpce-123') == {
        'Version': '2012-10-17',
        'Statement': [{
            'Effect': 'Allow',
            'Principal': '*',
            'Action': 'execute-api:Invoke',
            'Resource': 'arn:*:execute-api:*:*:*',
            'Condition': {'StringEquals': {'aws:SourceVpce': 'vpce-123'}},
        }],
    }
    assert private_endpoint_policy(['vpce-123'])['Statement'][0]['Condition'] == {
        'StringEquals': {'aws:SourceVpce': ['vpce-123']}}


def test_private_endpoint_policy_several_ids():
    policy = private_endpoint_policy(['vpce-1', 'vpce-2'])
    assert policy['Statement'][0]['Condition'] == {
        'StringEquals': {'aws:SourceVpce': ['vpce-1', 'vpce-2']}}


@pytest.mark.parametrize('ids', [[], None, '', [''], [1]])
def test_private_endpoint_policy_needs_ids(ids):
    with pytest.raises(ValueError, match='api_gateway_endpoint_vpce'):
        private_endpoint_policy(ids)


def test_private_api_carries_the_resource_policy():
    policy = private_endpoint_policy(['vpce-1', 'vpce-2'])
    document = generate(hello_app(), endpoint_type='PRIVATE', resource_policy=policy)
    assert document['x-amazon-apigateway-policy'] == policy
    assert_valid_swagger(document)


def test_private_api_lists_its_vpc_endpoints():
    document = generate(hello_app(), endpoint_type='PRIVATE',
                        resource_policy=private_endpoint_policy('vpce-1'),
                        vpc_endpoint_ids=['vpce-1'])
    # As AWS Chalice writes it; API Gateway associates the endpoints on import.
    assert document['x-amazon-apigateway-endpoint-configuration'] == {
        'vpcEndpointIds': ['vpce-1']}
    assert_valid_swagger(document)
    assert 'x-amazon-apigateway-endpoint-configuration' not in generate(hello_app())


def test_resource_policy_is_copied_not_shared():
    policy = private_endpoint_policy('vpce-1')
    document = SwaggerGenerator(REGION, HANDLER_ARN, endpoint_type='PRIVATE',
                                resource_policy=policy).generate(hello_app())
    document['x-amazon-apigateway-policy']['Statement'].append({})
    assert len(policy['Statement']) == 1


# ----------------------------------------------------------- placeholders

def placeholder_app():
    app = Chalice(app_name='placeholders')

    @app.authorizer(execution_role='arn:aws:iam::1:role/r')
    def myauth(auth_request):
        return AuthResponse(routes=['/'], principal_id='user')

    @app.route('/', authorizer=myauth)
    def index():
        return {}

    @app.route('/other/{x}', methods=['POST'])
    def other(x):
        return {}

    return app


def test_placeholders_survive_generation():
    handler, auth = Placeholder('api_handler'), Placeholder('myauth')
    document = SwaggerGenerator(REGION, handler, authorizer_arns={'myauth': auth}) \
        .generate(placeholder_app())
    assert has_placeholders(document)
    uri = document['paths']['/']['get']['x-amazon-apigateway-integration']['uri']
    assert uri == Template((INVOKE_PREFIX, handler, '/invocations'))
    assert uri.parts[1] is handler
    authorizer = document['securityDefinitions']['myauth']['x-amazon-apigateway-authorizer']
    assert authorizer['authorizerUri'].parts[1] is auth


def test_placeholders_render_to_the_plain_document():
    handler, auth = Placeholder('api_handler'), Placeholder('myauth')
    generated = SwaggerGenerator(REGION, handler, authorizer_arns={'myauth': auth}) \
        .generate(placeholder_app())
    before = copy.copy(generated)
    arns = {'api_handler': HANDLER_ARN, 'myauth': AUTH_ARN}
    rendered = render_document(generated, lambda p: arns[p.key])
    assert generated == before
    assert not has_placeholders(rendered)
    assert rendered == generate(placeholder_app())
    assert rendered['paths']['/other/{x}']['post']['x-amazon-apigateway-integration'][
        'uri'] == HANDLER_URI
    assert json.loads(json.dumps(rendered)) == rendered


def test_plain_arns_still_give_templates():
    document = SwaggerGenerator(REGION, HANDLER_ARN).generate(hello_app())
    uri = document['paths']['/']['get']['x-amazon-apigateway-integration']['uri']
    assert isinstance(uri, Template)
    assert uri == lambda_invoke_uri('aws', REGION, HANDLER_ARN)
    assert uri.render(str) == HANDLER_URI
    assert not has_placeholders(document)


def test_template_render_requires_string_from_resolve():
    template = Template(('a', Placeholder('x'), 'b'))
    assert template.render(lambda p: p.key.upper()) == 'aXb'
    with pytest.raises(TypeError, match='str'):
        template.render(lambda p: 42)


def test_template_parts_given_as_list_become_tuple():
    template = Template(['a', 'b'])
    assert template.parts == ('a', 'b')
    assert hash(template) == hash(Template(('a', 'b')))


def test_render_document_resolves_bare_placeholder_leaves():
    leaf = Placeholder('role')
    document = {'a': [leaf, 1, None, True, 'x', (Template(('p', leaf)),)]}
    assert has_placeholders(document)
    assert render_document(document, lambda p: 'R') == {
        'a': ['R', 1, None, True, 'x', ['pR']]}
    assert not has_placeholders({'a': [1, 'x', {'b': Template(('only text',))}]})


def test_sha_of_unrendered_document_is_an_error():
    document = SwaggerGenerator(REGION, HANDLER_ARN).generate(hello_app())
    with pytest.raises(TypeError, match='render'):
        definition_sha256(document)


def test_definition_sha256_is_canonical():
    first = {'b': 1, 'a': [1, {'y': 2, 'x': 'é'}]}
    second = {'a': [1, {'x': 'é', 'y': 2}], 'b': 1}
    assert definition_sha256(first) == definition_sha256(second)
    assert len(definition_sha256(first)) == 64
    assert definition_sha256(first) != definition_sha256({'a': [1], 'b': 1})


# ------------------------------------------------------------- determinism

def rich_app(order):
    """An app exercising most features, with routes declared in ``order``."""
    app = Chalice(app_name='rich')
    app.api.binary_types.append('application/x-custom')

    @app.authorizer()
    def myauth(auth_request):
        return AuthResponse(routes=['/'], principal_id='user')

    pool = CognitoUserPoolAuthorizer('Pool', provider_arns=['arn:aws:cognito-idp:p'])
    declarations = {
        'root': ('/', {'methods': ['GET']}),
        'items_get': ('/items/{item}', {'methods': ['GET'], 'cors': True}),
        'items_put': ('/items/{item}', {'methods': ['PUT', 'DELETE'], 'cors': True}),
        'key': ('/key', {'api_key_required': True, 'authorizer': IAMAuthorizer()}),
        'pool': ('/pool', {'authorizer': pool, 'methods': ['POST'],
                           'content_types': ['text/plain']}),
        'builtin': ('/builtin', {'authorizer': myauth}),
        'greedy': ('/files/{proxy+}', {'methods': ['GET', 'HEAD']}),
    }
    for name in order:
        path, options = declarations[name]
        app.route(path, name=name, **options)(lambda **kwargs: {})
    return app


RICH_ORDER = ['root', 'items_get', 'items_put', 'key', 'pool', 'builtin', 'greedy']


def rich_document(order=RICH_ORDER):
    return generate(rich_app(order), minimum_compression_size=100,
                    resource_policy=private_endpoint_policy('vpce-1'),
                    endpoint_type='PRIVATE')


def test_rich_document_is_valid_swagger():
    document = rich_document()
    assert_valid_swagger(document)
    assert list(document['paths']) == [
        '/', '/builtin', '/files/{proxy+}', '/items/{item}', '/key', '/pool']
    assert list(document['paths']['/items/{item}']) == ['get', 'put', 'delete', 'options']
    integration = document['paths']['/items/{item}']['options'][
        'x-amazon-apigateway-integration']
    assert integration['responses']['default']['responseParameters'][
        'method.response.header.Access-Control-Allow-Methods'] == "'GET,PUT,DELETE,OPTIONS'"


def test_same_app_twice_gives_same_sha():
    assert definition_sha256(rich_document()) == definition_sha256(rich_document())


def test_reordered_routes_give_identical_documents():
    forward = rich_document()
    backward = rich_document(list(reversed(RICH_ORDER)))
    assert json.dumps(forward) == json.dumps(backward)
    assert definition_sha256(forward) == definition_sha256(backward)


def test_a_change_changes_the_sha():
    base = definition_sha256(rich_document())
    fewer = generate(rich_app(RICH_ORDER[:-1]), minimum_compression_size=100,
                     resource_policy=private_endpoint_policy('vpce-1'),
                     endpoint_type='PRIVATE')
    assert definition_sha256(fewer) != base


@settings(max_examples=40, deadline=None)
@given(st.permutations(RICH_ORDER))
def test_any_declaration_order_gives_the_same_sha(order):
    assert definition_sha256(rich_document(order)) == definition_sha256(rich_document())


# ------------------------------------------------------------ constructor

def test_constructor_validation():
    with pytest.raises(ValueError, match='region'):
        SwaggerGenerator('', HANDLER_ARN)
    with pytest.raises(ValueError, match='api_handler_arn'):
        SwaggerGenerator(REGION, None)
    with pytest.raises(TypeError, match='resource_policy'):
        SwaggerGenerator(REGION, HANDLER_ARN, resource_policy='{}')


def test_authorizer_without_a_name_is_an_error():
    from chalice.app import Authorizer

    class Nameless(Authorizer):
        def to_swagger(self):
            return {}

    app = Chalice(app_name='nameless')
    app.route('/', authorizer=Nameless())(lambda: {})
    with pytest.raises(TypeError, match='name'):
        SwaggerGenerator(REGION, HANDLER_ARN).generate(app)


def test_only_the_documented_app_attributes_are_used():
    from types import SimpleNamespace

    def entry(path, method):
        return SimpleNamespace(uri_pattern=path, method=method, content_types=['text/csv'],
                               api_key_required=False, authorizer=None, cors=None)

    app = SimpleNamespace(
        app_name='duck',
        api=SimpleNamespace(binary_types=('image/png',)),
        routes={'/r/{a}': {'PURGE': entry('/r/{a}', 'PURGE'), 'GET': entry('/r/{a}', 'GET')},
                '/empty': {}},
    )
    document = generate(app)
    assert list(document['paths']) == ['/r/{a}']
    assert list(document['paths']['/r/{a}']) == ['get', 'purge']
    assert document['paths']['/r/{a}']['purge'] == proxy_operation(
        content_types=['text/csv'], parameters=['a'])
    assert document['x-amazon-apigateway-binary-media-types'] == ['image/png']
