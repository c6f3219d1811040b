"""``chalice generate-models`` through the CLI, and the SDK unpacking of ``generate-sdk``.

``generate-sdk`` against API Gateway (a moto server) is tested in
tests/integration/test_generate_sdk.py.
"""
import io
import json
import os
import zipfile

import pytest
from click.testing import CliRunner
from openapi_spec_validator import OpenAPIV2SpecValidator, validate

from chalice.cli import cli
from chalice.cli.factory import CLIFactory
from chalice.cli.generate_cmds import unpack_sdk
from chalice.deploy.appgraph import build_application
from chalice.deploy.models import DeploymentPackage
from chalice.deploy.plan import Var
from chalice.deploy.swagger import render_document
from chalice.errors import ChaliceError

# Fresh app module and sys.path for every test, as in the package tests.

MODELS_APP = '''\
from chalice import Chalice, CORSConfig, IAMAuthorizer

app = Chalice(app_name='models')
app.api.binary_types.append('application/x-custom')
iam = IAMAuthorizer()


@app.authorizer()
def token(auth_request):
    pass


@app.route('/')
def index():
    return {}


@app.route('/users/{user_id}', methods=['GET', 'PUT'], cors=True, api_key_required=True)
def user(user_id):
    return {}


@app.route('/orders/{order}/items/{item}', methods=['POST'], authorizer=token,
           content_types=['application/json', 'text/plain'])
def item(order, item):
    return {}


@app.route('/admin', authorizer=iam, cors=CORSConfig(allow_origin='https://example.com'))
def admin():
    return {}


@app.lambda_function()
def worker(event, context):
    pass
'''

HANDLER_URI = ('arn:{partition}:apigateway:{region_name}:lambda:path/2015-03-31/functions/'
               '{api_handler_lambda_arn}/invocations')


def write_project(tmp_path, app_py, **config):
    project = tmp_path / 'models'
    (project / '.chalice').mkdir(parents=True)
    (project / 'app.py').write_text(app_py)
    document = {'version': '2.0', 'app_name': 'models', 'stages': {'dev': {}}}
    document.update(config)
    (project / '.chalice' / 'config.json').write_text(json.dumps(document))
    return project


def generate_models(project, *args):
    return CliRunner().invoke(cli, ['--project-dir', str(project), 'generate-models', *args])


def integration_uris(document):
    return {(path, method): operation['x-amazon-apigateway-integration'].get('uri')
            for path, item in document['paths'].items()
            for method, operation in item.items()}


def test_models_are_valid_swagger_with_placeholders(tmp_path):
    project = write_project(tmp_path, MODELS_APP)
    result = generate_models(project)
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    validate(document, cls=OpenAPIV2SpecValidator)
    assert document['swagger'] == '2.0'
    assert document['info']['title'] == 'models'
    assert sorted(document['paths']) == ['/', '/admin', '/orders/{order}/items/{item}',
                                         '/users/{user_id}']
    uris = integration_uris(document)
    # CORS preflights are MOCK integrations; every other method invokes the handler.
    assert uris.pop(('/users/{user_id}', 'options')) is None
    assert uris.pop(('/admin', 'options')) is None
    assert set(uris.values()) == {HANDLER_URI}
    token = document['securityDefinitions']['token']['x-amazon-apigateway-authorizer']
    assert token['authorizerUri'] == HANDLER_URI.replace('api_handler', 'token')
    assert 'application/x-custom' in document['x-amazon-apigateway-binary-media-types']
    assert document['paths']['/users/{user_id}']['get']['security'] == [{'api_key': []}]


def test_models_are_the_definition_deploy_imports(tmp_path):
    project = write_project(tmp_path, MODELS_APP)
    printed = json.loads(generate_models(project).stdout)
    config = CLIFactory(str(project)).create_config_obj()
    application = build_application(config, DeploymentPackage('deployment.zip', 'x'),
                                    region='us-west-2')
    [api] = [m for m in application.ordered() if m.resource_type == 'rest_api']
    placeholders = {'api_handler.lambda_arn': '{api_handler_lambda_arn}',
                    'token.lambda_arn': '{token_lambda_arn}'}

    def resolve(var):
        assert isinstance(var, Var)
        return placeholders[var.name]

    deployed = render_document(api.definition, resolve)
    assert json.loads(json.dumps(deployed).replace('arn:aws:apigateway:us-west-2:',
                                                  'arn:{partition}:apigateway:{region_name}:')
                      ) == printed


def test_stage_settings_are_in_the_model(tmp_path):
    project = write_project(tmp_path, MODELS_APP, stages={'prod': {
        'minimum_compression_size': 1024, 'api_gateway_endpoint_type': 'PRIVATE',
        'api_gateway_endpoint_vpce': 'vpce-123'}})
    result = generate_models(project, '--stage', 'prod')
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    validate(document, cls=OpenAPIV2SpecValidator)
    assert document['x-amazon-apigateway-minimum-compression-size'] == 1024
    policy = document['x-amazon-apigateway-policy']
    assert policy['Statement'][0]['Condition'] == {
        'StringEquals': {'aws:SourceVpce': 'vpce-123'}}
    dev = json.loads(generate_models(project).stdout)
    assert 'x-amazon-apigateway-policy' not in dev


def test_app_without_routes_is_a_one_line_error(tmp_path):
    project = write_project(tmp_path, 'from chalice import Chalice\n'
                                      "app = Chalice(app_name='models')\n")
    result = generate_models(project)
    assert result.exit_code == 2
    assert result.stdout == ''
    assert result.stderr == ('Error: No REST API found to generate a model from: app.py '
                             'defines no @app.route views.\n')


def test_missing_project_is_a_one_line_error(tmp_path):
    result = generate_models(tmp_path)
    assert result.exit_code == 2
    assert result.stderr.startswith('Error: The project at ')
    assert result.stderr.count('\n') == 1


# -- --format openapi3 --------------------------------------------------------------------

TYPED_APP = MODELS_APP + """

from dataclasses import dataclass


@dataclass
class User:
    name: str
    age: int = 0


@app.route('/typed/{user_id}', methods=['GET', 'POST'])
def typed(user_id: int) -> User:
    \"\"\"One user.

    :query verbose: say more
    \"\"\"
    body: User = app.current_request.json_body
    return body
"""


def test_openapi3_models_are_valid_and_describe_the_same_api(tmp_path):
    project = write_project(tmp_path, TYPED_APP)
    result = generate_models(project, '--format', 'openapi3')
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    validate(document)  # OpenAPI 3.0
    assert document['openapi'] == '3.0.3'
    swagger = json.loads(generate_models(project).stdout)
    assert json.loads(generate_models(project, '--format', 'swagger').stdout) == swagger
    assert {path: sorted(item) for path, item in document['paths'].items()} == {
        path: sorted(item) for path, item in swagger['paths'].items()}
    # The same placeholders as the Swagger model, where deploy puts real values.
    uris = integration_uris(document)
    assert uris.pop(('/users/{user_id}', 'options')) is None
    assert uris.pop(('/admin', 'options')) is None
    assert set(uris.values()) == {HANDLER_URI}
    schemes = document['components']['securitySchemes']
    assert set(schemes) == {'api_key', 'sigv4', 'token'}
    assert schemes['token']['x-amazon-apigateway-authorizer']['authorizerUri'] == \
        HANDLER_URI.replace('api_handler', 'token')
    assert document['servers'][0]['variables']['basePath']['default'] == 'api'
    typed = document['paths']['/typed/{user_id}']
    assert typed['get']['summary'] == 'One user.'
    assert typed['get']['parameters'] == [
        {'name': 'user_id', 'in': 'path', 'required': True, 'schema': {'type': 'integer'}},
        {'name': 'verbose', 'in': 'query', 'required': False, 'schema': {'type': 'string'},
         'description': 'say more'}]
    assert typed['post']['requestBody']['content']['application/json']['schema'] == {
        '$ref': '#/components/schemas/User'}
    assert document['components']['schemas']['User']['required'] == ['name']
    post = document['paths']['/orders/{order}/items/{item}']['post']
    assert set(post['requestBody']['content']) == {'application/json', 'text/plain'}


def test_openapi3_base_path_follows_the_stage(tmp_path):
    project = write_project(tmp_path, MODELS_APP, stages={'prod': {
        'api_gateway_stage': 'v2'}})
    result = generate_models(project, '--format', 'openapi3', '--stage', 'prod')
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)['servers'][0]['variables']['basePath']['default'] == 'v2'


def test_unknown_format_is_a_usage_error(tmp_path):
    project = write_project(tmp_path, MODELS_APP)
    result = generate_models(project, '--format', 'raml')
    assert result.exit_code == 2
    assert "Invalid value for '--format'" in result.stderr
    assert result.stdout == ''


# -- unpacking the SDK zip ---------------------------------------------------------------

def sdk_zip(files):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, 'w') as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return buffer.getvalue()


SDK = {
    'apiGateway-js-sdk/README.md': '# readme\n',
    'apiGateway-js-sdk/apigClient.js': 'var apigClientFactory = {};\n',
    'apiGateway-js-sdk/lib/apiGatewayCore/utils.js': '// utils\n',
}


def tree(root):
    found = {}
    for directory, _, names in os.walk(root):
        for name in names:
            path = os.path.join(directory, name)
            with open(path) as f:
                found[os.path.relpath(path, root).replace(os.sep, '/')] = f.read()
    return found


def test_unpack_strips_the_top_folder(tmp_path):
    out = tmp_path / 'sdk'
    assert unpack_sdk(sdk_zip(SDK), str(out)) == ['README.md', 'apigClient.js',
                                                  'lib/apiGatewayCore/utils.js']
    assert tree(out) == {name.split('/', 1)[1]: text for name, text in SDK.items()}
    # Nothing is left next to it.
    assert os.listdir(tmp_path) == ['sdk']


def test_unpack_into_an_existing_directory_replaces_files_and_keeps_others(tmp_path):
    out = tmp_path / 'sdk'
    (out / 'lib').mkdir(parents=True)
    (out / 'apigClient.js').write_text('old\n')
    (out / 'index.html').write_text('mine\n')
    unpack_sdk(sdk_zip(SDK), str(out))
    files = tree(out)
    assert files['apigClient.js'] == 'var apigClientFactory = {};\n'
    assert files['index.html'] == 'mine\n'
    assert files['lib/apiGatewayCore/utils.js'] == '// utils\n'
    assert os.listdir(tmp_path) == ['sdk']


def test_unpack_without_a_single_top_folder_keeps_the_layout(tmp_path):
    unpack_sdk(sdk_zip({'a.js': 'a', 'lib/b.js': 'b'}), str(tmp_path / 'sdk'))
    assert tree(tmp_path / 'sdk') == {'a.js': 'a', 'lib/b.js': 'b'}


@pytest.mark.parametrize('name', ['../evil.js', '/etc/evil', 'sdk/../../evil.js',
                                  'sdk\\..\\evil.js', 'C:/evil.js'])
def test_unpack_refuses_unsafe_paths_and_writes_nothing(tmp_path, name):
    with pytest.raises(ChaliceError, match='unsafe path'):
        unpack_sdk(sdk_zip({name: 'x', 'sdk/ok.js': 'ok'}), str(tmp_path / 'out'))
    assert os.listdir(tmp_path) == []


def test_unpack_refuses_what_is_not_a_zip(tmp_path):
    with pytest.raises(ChaliceError, match='not a zip file'):
        unpack_sdk(b'<html>oops</html>', str(tmp_path / 'out'))
    assert os.listdir(tmp_path) == []


def test_unpack_where_a_file_is_in_the_way(tmp_path):
    out = tmp_path / 'sdk'
    out.mkdir()
    (out / 'lib').write_text('a file, not a directory\n')
    with pytest.raises(ChaliceError, match='is a file'):
        unpack_sdk(sdk_zip(SDK), str(out))
    assert (out / 'lib').read_text() == 'a file, not a directory\n'
    assert os.listdir(tmp_path) == ['sdk']


def test_generate_sdk_without_a_deployed_api(tmp_path):
    """No REST API on record: the same one-line error as ``chalice url``."""
    (tmp_path / '.chalice').mkdir()
    (tmp_path / '.chalice' / 'config.json').write_text('{"version": "2.0", "app_name": "x"}')
    runner = CliRunner()
    result = runner.invoke(cli, ['--project-dir', str(tmp_path), 'generate-sdk',
                                 str(tmp_path / 'out')])
    url = runner.invoke(cli, ['--project-dir', str(tmp_path), 'url'])
    assert result.exit_code == url.exit_code == 2
    assert result.stderr == url.stderr
    assert result.stderr.startswith('Error: ') and result.stderr.count('\n') == 1
    assert 'chalice deploy' in result.stderr
    assert not (tmp_path / 'out').exists()


def test_generate_sdk_refuses_other_sdk_types(tmp_path):
    result = CliRunner().invoke(cli, ['--project-dir', str(tmp_path), 'generate-sdk',
                                      '--sdk-type', 'ruby', str(tmp_path / 'out')])
    assert result.exit_code == 2
    assert "Invalid value for '--sdk-type'" in result.stderr


JWT_APP = """\
from chalice import Chalice, JWTAuthorizer

app = Chalice(app_name='models')
jwt = JWTAuthorizer('jwt', issuer='https://issuer.example.com/', audience=['web', 'cli'])


@app.route('/me', authorizer=jwt, authorization_scopes=['profile:read'])
def me():
    return {}
"""


def test_openapi3_describes_an_http_apis_jwt_authorizer(tmp_path):
    project = write_project(tmp_path, JWT_APP, api_gateway_type='HTTP')
    result = generate_models(project, '--format', 'openapi3')
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    validate(document)
    scheme = document['components']['securitySchemes']['jwt']
    assert scheme['type'] == 'openIdConnect'
    assert scheme['openIdConnectUrl'] == (
        'https://issuer.example.com/.well-known/openid-configuration')
    assert scheme['x-amazon-apigateway-authorizer'] == {
        'type': 'jwt', 'identitySource': '$request.header.Authorization',
        'jwtConfiguration': {'issuer': 'https://issuer.example.com/',
                             'audience': ['web', 'cli']}}
    assert document['paths']['/me']['get']['security'] == [{'jwt': ['profile:read']}]


def test_swagger_model_of_an_http_api_with_jwt_points_to_openapi3(tmp_path):
    project = write_project(tmp_path, JWT_APP, api_gateway_type='HTTP')
    result = generate_models(project)
    assert result.exit_code == 2
    assert result.stderr == (
        "Error: JWTAuthorizer 'jwt' (used by GET /me) needs an HTTP API: the Swagger 2.0 "
        "model describes a REST API; use --format openapi3 for this HTTP API.\n")
