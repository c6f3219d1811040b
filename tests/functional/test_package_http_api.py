"""``chalice package`` for an HTTP API stage: SAM (cfn-lint clean) and Terraform."""
import json

import pytest
from click.testing import CliRunner

from chalice.cli import cli
from chalice.deploy import cfnyaml
from tests.functional import test_cli_package
from tests.functional.test_cli_package import (
    assert_terraform_reads_it,
    lint_errors,
    new_project,
    package,
    read_terraform,
)

# The package tests' fixtures: a scratch working directory, the import state restored.
workdir = test_cli_package.workdir

APP = '''\
from chalice import AuthResponse, Chalice, CORSConfig, IAMAuthorizer, JWTAuthorizer

app = Chalice(app_name='people')
jwt = JWTAuthorizer('jwt', 'https://issuer.example.com/', ['client-a', 'client-b'])
cors = CORSConfig(allow_origin='https://people.example', max_age=300,
                  expose_headers=['X-Total'])


@app.authorizer(ttl_seconds=30)
def gatekeeper(auth_request):
    return AuthResponse(routes=['*'], principal_id='u')


@app.route('/', cors=cors)
def index():
    return {}


@app.route('/people/{person}', methods=['GET', 'PUT'], authorizer=jwt,
           authorization_scopes=['people:read'], cors=cors)
def person(person):
    return {}


@app.route('/admin', authorizer=gatekeeper)
def admin():
    return {}


@app.route('/signed', authorizer=IAMAuthorizer())
def signed():
    return {}


@app.route('/files/{proxy+}')
def files(proxy):
    return {}
'''


def set_stage(project, **settings):
    """Add ``settings`` to the dev stage of the project's config."""
    config_path = project / '.chalice' / 'config.json'
    config = json.loads(config_path.read_text())
    config['stages']['dev'].update(settings)
    config_path.write_text(json.dumps(config))
    return project


def http_project(workdir, app_py=APP):
    return set_stage(new_project(workdir, 'people', app_py), api_gateway_type='HTTP')


def sam_template(workdir, project, template_format):
    """``(path, template)`` of the project packaged in ``template_format``."""
    out = workdir / 'out'
    result = package(project, '--template-format', template_format, str(out))
    assert result.exit_code == 0, result.output
    path = out / ('sam.%s' % template_format)
    return path, (json.loads(path.read_text()) if template_format == 'json'
                  else cfnyaml.load(path.read_text()))


@pytest.mark.parametrize('template_format', ['json', 'yaml'])
def test_sam_template_has_an_http_api_and_lints_clean(workdir, template_format):
    path, template = sam_template(workdir, http_project(workdir), template_format)
    resources = template['Resources']
    assert 'RestAPI' not in resources
    api = resources['HttpAPI']
    assert api['Type'] == 'AWS::Serverless::HttpApi'
    cors = api['Properties']['CorsConfiguration']
    assert cors['AllowOrigins'] == ['https://people.example']
    assert cors['AllowMethods'] == ['GET', 'OPTIONS', 'PUT']
    assert cors['ExposeHeaders'] == ['X-Total']
    auth = api['Properties']['Auth']
    assert auth['EnableIamAuthorizer'] is True
    assert auth['Authorizers']['jwt'] == {
        'IdentitySource': '$request.header.Authorization',
        'JwtConfiguration': {'issuer': 'https://issuer.example.com/',
                             'audience': ['client-a', 'client-b']}}
    gatekeeper = auth['Authorizers']['gatekeeper']
    assert gatekeeper['FunctionArn'] == {'Fn::GetAtt': ['Gatekeeper', 'Arn']}
    assert (gatekeeper['AuthorizerPayloadFormatVersion'],
            gatekeeper['EnableSimpleResponses']) == ('2.0', False)
    assert gatekeeper['Identity'] == {'Headers': ['Authorization'], 'ReauthorizeEvery': 30}
    events = resources['APIHandler']['Properties']['Events']
    by_route = {(e['Properties']['Method'], e['Properties']['Path']): e['Properties']
                for e in events.values()}
    assert all(e['Type'] == 'HttpApi' for e in events.values())
    assert set(by_route) == {('GET', '/'), ('GET', '/people/{person}'),
                             ('PUT', '/people/{person}'), ('GET', '/admin'),
                             ('GET', '/signed'), ('GET', '/files/{proxy+}')}
    assert by_route[('GET', '/people/{person}')]['Auth'] == {
        'Authorizer': 'jwt', 'AuthorizationScopes': ['people:read']}
    assert by_route[('GET', '/admin')]['Auth'] == {'Authorizer': 'gatekeeper'}
    assert by_route[('GET', '/signed')]['Auth'] == {'Authorizer': 'AWS_IAM'}
    assert 'Auth' not in by_route[('GET', '/')]
    assert all(e['PayloadFormatVersion'] == '2.0' for e in by_route.values())
    # Written like the REST API's authorizer grants (AWS Chalice's forms).
    assert resources['GatekeeperInvokePermission']['Properties']['SourceArn'] == {
        'Fn::Sub': ['arn:${AWS::Partition}:execute-api:${AWS::Region}:${AWS::AccountId}:'
                    '${HttpAPIId}/authorizers/*', {'HttpAPIId': {'Ref': 'HttpAPI'}}]}
    assert resources['GatekeeperInvokePermission']['Properties']['FunctionName'] == {
        'Fn::GetAtt': ['Gatekeeper', 'Arn']}
    assert template['Outputs']['EndpointURL'] == {'Value': {'Fn::Sub': (
        'https://${HttpAPI}.execute-api.${AWS::Region}.${AWS::URLSuffix}/')}}
    assert {'HttpAPIId', 'APIHandlerName', 'APIHandlerArn'} <= set(template['Outputs'])
    assert lint_errors(path) == []


def terraform_of(workdir, project):
    """``(out, document)`` of the project packaged for Terraform, with the
    configuration checked (documented arguments only, no dangling references)."""
    out = workdir / 'out'
    result = package(project, '--pkg-format', 'terraform', str(out))
    assert result.exit_code == 0, result.output
    return out, read_terraform(out)


def test_terraform_configuration_for_an_http_api(workdir):
    out, document = terraform_of(workdir, http_project(workdir))
    resource = document['resource']
    assert 'aws_api_gateway_rest_api' not in resource
    [api] = resource['aws_apigatewayv2_api'].values()
    assert api['protocol_type'] == 'HTTP'
    assert api['cors_configuration']['allow_origins'] == ['https://people.example']
    assert api['cors_configuration']['max_age'] == 300
    [integration] = resource['aws_apigatewayv2_integration'].values()
    assert (integration['integration_type'], integration['payload_format_version']) == (
        'AWS_PROXY', '2.0')
    assert integration['integration_uri'] == '${aws_lambda_function.api_handler.arn}'
    authorizers = {a['name']: a for a in resource['aws_apigatewayv2_authorizer'].values()}
    assert authorizers['jwt']['jwt_configuration'] == {
        'issuer': 'https://issuer.example.com/', 'audience': ['client-a', 'client-b']}
    assert authorizers['gatekeeper']['authorizer_uri'] == \
        '${aws_lambda_function.gatekeeper.invoke_arn}'
    assert authorizers['gatekeeper']['authorizer_result_ttl_in_seconds'] == 30
    routes = {r['route_key']: r for r in resource['aws_apigatewayv2_route'].values()}
    assert set(routes) == {'GET /', 'GET /people/{person}', 'PUT /people/{person}',
                           'GET /admin', 'GET /signed', 'GET /files/{proxy+}'}
    assert routes['GET /people/{person}']['authorization_scopes'] == ['people:read']
    assert routes['GET /signed']['authorization_type'] == 'AWS_IAM'
    [stage] = resource['aws_apigatewayv2_stage'].values()
    assert (stage['name'], stage['auto_deploy']) == ('$default', True)
    assert len(resource['aws_lambda_permission']) == 2
    assert set(document['output']) >= {'EndpointURL', 'HttpAPIId'}
    assert_terraform_reads_it(out)


def test_package_refuses_what_an_http_api_cannot_do(workdir):
    app_py = APP.replace("@app.route('/admin', authorizer=gatekeeper)",
                         "@app.route('/admin', authorizer=gatekeeper, api_key_required=True)")
    project = http_project(workdir, app_py)
    result = package(project, str(workdir / 'out'))
    assert result.exit_code == 2
    assert 'HTTP APIs have no API keys' in result.output


REGIONAL_CERT = 'arn:aws:acm:us-west-2:123456789012:certificate/regional'


def http_domain_project(workdir, **domain):
    return set_stage(http_project(workdir), api_gateway_custom_domain=dict({
        'domain_name': 'api.example.com', 'certificate_arn': REGIONAL_CERT,
        'url_prefixes': ['/', 'v1/people'], 'tags': {'team': 'web'}}, **domain))


@pytest.mark.parametrize('template_format', ['json', 'yaml'])
def test_sam_template_maps_a_custom_domain_to_the_http_api(workdir, template_format):
    path, template = sam_template(workdir, http_domain_project(workdir), template_format)
    resources = template['Resources']
    assert resources['HttpApiCustomDomain'] == {
        'Type': 'AWS::ApiGatewayV2::DomainName', 'Properties': {
            'DomainName': 'api.example.com', 'Tags': {'team': 'web'},
            'DomainNameConfigurations': [{'CertificateArn': REGIONAL_CERT,
                                          'EndpointType': 'REGIONAL',
                                          'SecurityPolicy': 'TLS_1_2'}]}}
    target = {'DomainName': {'Ref': 'HttpApiCustomDomain'}, 'ApiId': {'Ref': 'HttpAPI'},
              'Stage': {'Ref': 'HttpAPI.Stage'}}  # SAM's name for the $default stage
    assert resources['HttpApiCustomDomainMapping'] == {
        'Type': 'AWS::ApiGatewayV2::ApiMapping', 'Properties': target}
    assert resources['HttpApiCustomDomainMapping1'] == {
        'Type': 'AWS::ApiGatewayV2::ApiMapping',
        'Properties': dict(target, ApiMappingKey='v1/people')}
    assert not any(r['Type'].startswith('AWS::ApiGateway::') for r in resources.values())
    outputs = template['Outputs']
    assert outputs['HttpApiCustomDomainHostedZoneId'] == {
        'Value': {'Fn::GetAtt': ['HttpApiCustomDomain', 'RegionalHostedZoneId']}}
    assert outputs['HttpApiCustomDomainAliasDomainName'] == {
        'Value': {'Fn::GetAtt': ['HttpApiCustomDomain', 'RegionalDomainName']}}
    assert lint_errors(path) == []


def test_terraform_maps_a_custom_domain_to_the_http_api(workdir):
    out, document = terraform_of(workdir, http_domain_project(workdir))
    resource = document['resource']
    assert resource['aws_apigatewayv2_domain_name'] == {'http_api_custom_domain': {
        'domain_name': 'api.example.com', 'tags': {'team': 'web'},
        'domain_name_configuration': {'certificate_arn': REGIONAL_CERT,
                                      'endpoint_type': 'REGIONAL',
                                      'security_policy': 'TLS_1_2'}}}
    target = {'api_id': '${aws_apigatewayv2_api.http_api.id}',
              'domain_name': '${aws_apigatewayv2_domain_name.http_api_custom_domain.domain_name}',
              'stage': '${aws_apigatewayv2_stage.http_api.name}'}
    assert resource['aws_apigatewayv2_api_mapping'] == {
        'http_api_custom_domain_mapping': target,
        'http_api_custom_domain_mapping-1': dict(target, api_mapping_key='v1/people')}
    assert 'aws_api_gateway_domain_name' not in resource
    configuration = ('${aws_apigatewayv2_domain_name.http_api_custom_domain.'
                     'domain_name_configuration[0].')
    assert document['output']['HttpApiCustomDomainHostedZoneId'] == {
        'value': configuration + 'hosted_zone_id}'}
    assert document['output']['HttpApiCustomDomainAliasDomainName'] == {
        'value': configuration + 'target_domain_name}'}
    assert_terraform_reads_it(out)


@pytest.mark.parametrize('pkg_format', ['cloudformation', 'terraform'])
def test_package_refuses_tls_1_0_for_an_http_api_domain(workdir, pkg_format):
    project = http_domain_project(workdir, tls_version='TLS_1_0')
    result = package(project, '--pkg-format', pkg_format, str(workdir / 'out'))
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [
        'Error: Invalid .chalice/config.json: stages.dev.api_gateway_custom_domain.tls_version '
        'is TLS_1_0, but API Gateway offers HTTP API custom domains TLS_1_2 only '
        '(api_gateway_type HTTP, stage dev): set it to TLS_1_2 or remove it, or set '
        'api_gateway_type to REST.']
    assert not (workdir / 'out').exists()


def test_dev_appgraph_shows_the_domain_of_the_http_api(workdir):
    # The graph is built without an AWS session: the certificate of a regional
    # domain is not held against a region it cannot know.
    project = http_domain_project(workdir)
    result = CliRunner().invoke(cli, ['--project-dir', str(project), 'dev', 'appgraph'])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    domain = [line for line in lines if 'CustomDomain' in line]
    assert domain == ['└── CustomDomain(http_api_custom_domain)']
    assert lines[lines.index(domain[0]) + 1] == '    └── HttpAPI(http_api)'
