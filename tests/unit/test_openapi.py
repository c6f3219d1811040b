"""chalice.openapi: the OpenAPI 3.0 document of an app, and what views say about themselves."""
import dataclasses
from typing import Optional, TypedDict

import pytest
from openapi_spec_validator import validate

import chalice
from chalice import (
    AuthResponse,
    BadRequestError,
    Chalice,
    CognitoUserPoolAuthorizer,
    CORSConfig,
    CustomAuthorizer,
    IAMAuthorizer,
    NotFoundError,
    Response,
)
from chalice.app import Authorizer
from chalice.deploy.swagger import SwaggerGenerator, render_document
from chalice.openapi import SECURITY_SCHEMES, OpenAPI3Generator, docs_document
from chalice.openapi.views import NOTHING, describe_view

REGION = 'us-west-2'
HANDLER_ARN = 'arn:aws:lambda:us-west-2:123456789012:function:app-dev'
AUTH_ARN = 'arn:aws:lambda:us-west-2:123456789012:function:app-dev-token'
POOL_ARN = 'arn:aws:cognito-idp:us-west-2:123456789012:userpool/us-west-2_abc'
CUSTOM_URI = ('arn:aws:apigateway:us-west-2:lambda:path/2015-03-31/functions/'
              'arn:aws:lambda:us-west-2:123456789012:function:ext/invocations')

app = Chalice(app_name='views')


@dataclasses.dataclass
class Item:
    name: str
    price: float = 0.0


class NewItem(TypedDict):
    name: str


# ------------------------------------------------------------ describe_view

def documented(item_id: int, path: str):
    """Fetch one item.

    The item is looked up
    in the store.

    Second paragraph.

    :param item_id: the item's number,
        as printed on the label
    :param verbose: say more
    :query fields: which fields to return
    """


def test_docstring_summary_description_and_fields():
    info = describe_view(documented, ['item_id', 'path'])
    assert info.summary == 'Fetch one item.'
    assert info.description == 'The item is looked up\nin the store.\n\nSecond paragraph.'
    assert info.parameter_docs == {
        'item_id': "the item's number, as printed on the label", 'verbose': 'say more'}
    assert info.query['fields'].description == 'which fields to return'
    assert info.path_types == {'item_id': int, 'path': str}
    assert info.return_type is NOTHING


def reads_queries() -> list[Item]:
    request = app.current_request
    params = request.query_params or {}
    limit = params.get('limit')
    tags = app.current_request.query_params.getlist('tag')
    sort = (app.current_request.query_params or {}).get('sort', 'name')
    needed = app.current_request.query_params['needed']
    dynamic = params.get(limit)  # not a literal: not a parameter
    return [limit, tags, sort, needed, dynamic]


def test_query_parameters_from_the_source():
    info = describe_view(reads_queries)
    assert set(info.query) == {'needed', 'limit', 'tag', 'sort'}
    assert info.query['tag'].array is True
    assert info.query['needed'].required is True
    assert info.query['limit'].required is False and info.query['limit'].array is False
    assert info.return_type == list[Item]


def takes_a_body() -> Item:
    body: NewItem = app.current_request.json_body
    if not body:
        raise BadRequestError('empty')
    if body['name'] == 'x':
        raise chalice.NotFoundError('x')
    try:
        pass
    except KeyError:
        raise
    raise ValueError('not a view error')


def test_body_annotation_and_raised_view_errors():
    info = describe_view(takes_a_body)
    assert info.body_type is NewItem
    assert info.errors == {400: 'BadRequestError', 404: 'NotFoundError'}
    assert info.return_type is Item


def unknown_body_type():
    body: NoSuchType = app.current_request.json_body  # noqa: F821
    return body


def test_what_cannot_be_resolved_is_left_out():
    assert describe_view(unknown_body_type).body_type is NOTHING
    # No source at all (a builtin, a lambda): nothing, and no error.
    assert describe_view(len).query == {}
    info = describe_view(lambda: None)
    assert info.query == {} and info.body_type is NOTHING
    namespace = {}
    exec('def made():\n    """Made up."""\n    return 1\n', namespace)
    made = describe_view(namespace['made'])
    assert made.summary == 'Made up.' and made.query == {}


# ------------------------------------------------------------ the generator

def make_app():
    demo = Chalice(app_name='demo')

    @demo.authorizer(ttl_seconds=60, header='X-Token')
    def token(auth_request):
        return AuthResponse(routes=['*'], principal_id='u')

    pool = CognitoUserPoolAuthorizer('pool', provider_arns=[POOL_ARN])
    custom = CustomAuthorizer('ext', authorizer_uri=CUSTOM_URI, header='X-Ext')

    @demo.route('/')
    def index():
        """The index."""
        return {}

    @demo.route('/items', methods=['GET', 'POST'], cors=CORSConfig(
        allow_origin='https://example.com', max_age=600))
    def items() -> list[Item]:
        body: NewItem = demo.current_request.json_body
        return body

    @demo.route('/items/{item_id}', authorizer=IAMAuthorizer())
    def get_item(item_id: int) -> Item:
        """Get an item.

        :param item_id: its number
        """
        raise NotFoundError(item_id)

    @demo.route('/items/{item_id}', methods=['PUT'], authorizer=token,
                api_key_required=True)
    def put_item(item_id) -> Optional[Item]:
        return None

    @demo.route('/secure', methods=['DELETE'],
                authorizer=pool.with_scopes(['items/delete']))
    def secure():
        return {}

    @demo.route('/upload', methods=['POST'], authorizer=custom,
                content_types=['application/octet-stream', 'application/json'])
    def upload() -> Response:
        return Response(b'')

    @demo.route('/files/{path+}')
    def files(path):
        return {'path': path}

    return demo


def generate(app_obj, **options):
    generator = OpenAPI3Generator(REGION, HANDLER_ARN, {'token': AUTH_ARN}, **options)
    return render_document(generator.generate(app_obj), str)


def test_the_document_is_valid_openapi_30():
    document = generate(make_app())
    validate(document)
    assert document['openapi'] == '3.0.3'
    assert document['info'] == {'version': '1.0', 'title': 'demo'}
    assert list(document['paths']) == sorted(document['paths'])
    validate(generate(make_app(), aws_extensions=False))


def test_same_paths_and_methods_as_the_swagger_model():
    demo = make_app()
    swagger = render_document(
        SwaggerGenerator(REGION, HANDLER_ARN, {'token': AUTH_ARN}).generate(demo), str)
    document = generate(demo)
    assert {path: sorted(item) for path, item in document['paths'].items()} == {
        path: sorted(item) for path, item in swagger['paths'].items()}
    assert document['x-amazon-apigateway-binary-media-types'] == swagger[
        'x-amazon-apigateway-binary-media-types']
    for path, item in swagger['paths'].items():
        for method, operation in item.items():
            assert document['paths'][path][method]['x-amazon-apigateway-integration'] == \
                operation['x-amazon-apigateway-integration']


def test_security_schemes_for_every_authorizer_kind():
    document = generate(make_app())
    schemes = document['components']['securitySchemes']
    assert set(schemes) == {'sigv4', 'token', 'api_key', 'pool', 'ext'}
    assert schemes['sigv4']['x-amazon-apigateway-authtype'] == 'awsSigv4'
    assert 'Signature Version 4' in schemes['sigv4']['description']
    assert schemes['token']['name'] == 'X-Token'
    assert schemes['token']['x-amazon-apigateway-authorizer'] == {
        'type': 'token', 'authorizerResultTtlInSeconds': 60,
        'authorizerUri': 'arn:aws:apigateway:us-west-2:lambda:path/2015-03-31/functions/'
                         + AUTH_ARN + '/invocations'}
    assert '@app.authorizer() function token' in schemes['token']['description']
    assert schemes['pool']['x-amazon-apigateway-authorizer']['providerARNs'] == [POOL_ARN]
    assert POOL_ARN in schemes['pool']['description']
    assert schemes['ext']['name'] == 'X-Ext'
    assert schemes['ext']['x-amazon-apigateway-authorizer']['authorizerUri'] == CUSTOM_URI
    assert schemes['api_key'] == {'type': 'apiKey', 'name': 'x-api-key', 'in': 'header',
                                  'description': schemes['api_key']['description']}
    for scheme in schemes.values():
        assert scheme['type'] == 'apiKey' and scheme['in'] == 'header'
    paths = document['paths']
    assert paths['/items/{item_id}']['get']['security'] == [{'sigv4': []}]
    # An API key and an authorizer are both needed: one requirement object.
    assert paths['/items/{item_id}']['put']['security'] == [{'api_key': [], 'token': []}]
    assert paths['/secure']['delete']['security'] == [{'pool': ['items/delete']}]
    assert 'security' not in paths['/']['get']


class FutureAuthorizer(Authorizer):
    """Stands in for an authorizer kind with no Swagger 2.0 form (an HTTP API's JWT)."""

    def __init__(self, name, issuer):
        self.name = name
        self.issuer = issuer
        self.scopes = ['read']


def test_a_new_authorizer_kind_is_one_row_of_security_schemes(monkeypatch):
    def jwt_scheme(generator, authorizer):
        return {'type': 'http', 'scheme': 'bearer', 'bearerFormat': 'JWT',
                'description': 'Issued by %s' % authorizer.issuer}

    monkeypatch.setattr('chalice.openapi.SECURITY_SCHEMES',
                        [(FutureAuthorizer, jwt_scheme)] + SECURITY_SCHEMES)
    demo = Chalice(app_name='jwt')

    @demo.route('/me', authorizer=FutureAuthorizer('jwt', 'https://issuer.example'))
    def me():
        return {}

    document = generate(demo)
    assert document['components']['securitySchemes'] == {'jwt': {
        'type': 'http', 'scheme': 'bearer', 'bearerFormat': 'JWT',
        'description': 'Issued by https://issuer.example'}}
    assert document['paths']['/me']['get']['security'] == [{'jwt': ['read']}]


def test_operations_from_docstrings_hints_and_source():
    document = generate(make_app())
    paths = document['paths']
    index = paths['/']['get']
    assert index['summary'] == 'The index.'
    assert index['operationId'] == 'index'
    assert index['responses'] == {'200': {'description': '200 response',
                                          'content': {'application/json': {}}}}
    assert 'requestBody' not in index

    get_item = paths['/items/{item_id}']['get']
    assert get_item['summary'] == 'Get an item.'
    assert get_item['parameters'] == [{'name': 'item_id', 'in': 'path', 'required': True,
                                       'schema': {'type': 'integer'},
                                       'description': 'its number'}]
    assert get_item['responses']['200']['content']['application/json']['schema'] == {
        '$ref': '#/components/schemas/Item'}
    assert get_item['responses']['404'] == {
        'description': 'NotFoundError',
        'content': {'application/json': {
            'schema': {'$ref': '#/components/schemas/ChaliceViewError'}}}}
    put_item = paths['/items/{item_id}']['put']
    assert put_item['responses']['200']['content']['application/json']['schema'] == {
        'allOf': [{'$ref': '#/components/schemas/Item'}], 'nullable': True}
    # A PUT without an annotated body still takes one, of any shape.
    assert put_item['requestBody'] == {'content': {'application/json': {}}, 'required': False}

    upload = paths['/upload']['post']
    assert upload['requestBody'] == {'content': {'application/octet-stream': {},
                                                 'application/json': {}},
                                     'required': False}
    assert 'content' not in upload['responses']['200']
    schemas = document['components']['schemas']
    assert set(schemas) == {'Item', 'NewItem', 'ChaliceViewError'}


def test_one_view_on_several_methods_gets_unique_operation_ids():
    paths = generate(make_app())['paths']
    get_items, post_items = paths['/items']['get'], paths['/items']['post']
    assert (get_items['operationId'], post_items['operationId']) == ('items_get', 'items_post')
    # The view reads an annotated body: the POST takes it, the GET takes none.
    assert 'requestBody' not in get_items
    assert post_items['requestBody'] == {
        'content': {'application/json': {'schema': {'$ref': '#/components/schemas/NewItem'}}},
        'required': True}
    ids = [operation['operationId'] for item in paths.values()
           for method, operation in item.items() if 'operationId' in operation]
    assert len(ids) == len(set(ids))


def test_cors_headers_and_the_preflight():
    paths = generate(make_app())['paths']
    headers = paths['/items']['get']['responses']['200']['headers']
    assert set(headers) == {'Access-Control-Allow-Origin', 'Access-Control-Allow-Headers',
                            'Access-Control-Max-Age'}
    preflight = paths['/items']['options']
    assert preflight['summary'] == 'CORS preflight'
    assert set(preflight['responses']['200']['headers']) == set(headers) | {
        'Access-Control-Allow-Methods'}
    integration = preflight['x-amazon-apigateway-integration']
    assert integration['type'] == 'mock'
    params = integration['responses']['default']['responseParameters']
    assert params['method.response.header.Access-Control-Allow-Origin'] == \
        "'https://example.com'"
    assert 'options' not in paths['/']


def test_greedy_path_parameters():
    operation = generate(make_app())['paths']['/files/{path+}']['get']
    assert operation['parameters'] == [{
        'name': 'path+', 'in': 'path', 'required': True, 'schema': {'type': 'string'},
        'description': '(Greedy: may contain "/".)'}]


def test_servers():
    document = generate(make_app(), base_path='v1')
    server = document['servers'][0]
    assert server['url'] == 'https://{restApiId}.execute-api.{region}.amazonaws.com/{basePath}'
    assert server['variables']['basePath']['default'] == 'v1'
    assert generate(make_app(), aws_extensions=False)['servers'] == [{'url': '/'}]
    assert generate(make_app(), servers=[{'url': 'http://x'}])['servers'] == [
        {'url': 'http://x'}]


def test_docs_document_has_no_aws_extensions():
    demo = make_app()
    document = docs_document(demo)
    validate(document)

    def keys(value):
        if isinstance(value, dict):
            for key, item in value.items():
                yield key
                yield from keys(item)
        elif isinstance(value, list):
            for item in value:
                yield from keys(item)

    assert not [key for key in keys(document) if key.startswith('x-amazon-apigateway')]
    assert set(document['components']['securitySchemes']) == {
        'sigv4', 'token', 'api_key', 'pool', 'ext'}
    assert document['paths']['/items/{item_id}']['put']['security'] == [
        {'api_key': [], 'token': []}]


def test_an_app_without_routes_is_an_empty_description():
    document = docs_document(Chalice(app_name='empty'))
    validate(document)
    assert document['paths'] == {}
    assert 'components' not in document


def test_two_authorizers_with_one_name_are_an_error():
    demo = Chalice(app_name='clash')

    @demo.route('/a', authorizer=CustomAuthorizer('same', authorizer_uri='uri-a'))
    def a():
        return {}

    @demo.route('/b', authorizer=CustomAuthorizer('same', authorizer_uri='uri-b'))
    def b():
        return {}

    with pytest.raises(ValueError, match="Two different authorizers are named 'same'"):
        generate(demo)
