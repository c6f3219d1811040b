"""``chalice package`` end to end through the CLI, with cfn-lint on the output.

cfn-lint runs the SAM transform and reports errors (E*) only here.  One rule
is suppressed: E2533 (runtime deprecated), because the runtime follows the
local interpreter and whether it is deprecated depends on today's date, not
on the template.
"""
import json
import os
import re
import sys
import zipfile

import pytest
from click.testing import CliRunner

from chalice.cli import cli
from chalice.deploy import cfnyaml
from tests import terraform_checks

SUPPRESSED = {'E2533'}

EVENTS_APP = '''\
from chalice import Chalice

app = Chalice(app_name='events')


@app.authorizer()
def my_auth(auth_request):
    pass


@app.route('/private', authorizer=my_auth, cors=True)
def private():
    return {}


@app.lambda_function()
def my_function(event, context):
    pass


@app.schedule('rate(1 hour)', description='hourly')
def tick(event):
    pass


@app.on_cw_event({'source': ['aws.ec2']})
def watch(event):
    pass


@app.on_sns_message(topic='mytopic')
def on_topic(event):
    pass


@app.on_sqs_message(queue='myq', batch_size=5)
def on_queue(event):
    pass


@app.on_kinesis_record(stream='mystream')
def on_stream(event):
    pass


@app.on_dynamodb_record(
    stream_arn='arn:aws:dynamodb:us-west-2:123456789012:table/t/stream/2020')
def on_table(event):
    pass
'''

WEBSOCKET_APP = '''\
from chalice import Chalice

app = Chalice(app_name='sockets')
app.experimental_feature_flags.update(['WEBSOCKETS'])


@app.on_ws_connect()
def connect(event):
    pass


@app.on_ws_message()
def message(event):
    pass


@app.on_ws_disconnect()
def disconnect(event):
    pass
'''

S3_APP = '''\
from chalice import Chalice

app = Chalice(app_name='s3app')


@app.on_s3_event(bucket='my-bucket')
def on_upload(event):
    pass
'''



@pytest.fixture
def workdir(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return tmp_path


def new_project(workdir, name='demo', app_py=None):
    result = CliRunner().invoke(cli, ['new-project', name])
    assert result.exit_code == 0, result.output
    project = workdir / name
    if app_py is not None:
        (project / 'app.py').write_text(app_py)
    return project


def package(project, *args):
    return CliRunner().invoke(cli, ['--project-dir', str(project), 'package', *args])


def lint_errors(path):
    from cfnlint.api import lint

    with open(path) as f:
        matches = lint(f.read(), regions=['us-east-1'])
    return ['%s %s' % (m.rule.id, m.message) for m in matches
            if m.rule.id.startswith('E') and m.rule.id not in SUPPRESSED]


def test_hello_world_package(workdir):
    project = new_project(workdir)
    out = workdir / 'out'
    result = package(project, str(out))
    assert result.exit_code == 0, result.output
    assert 'Creating deployment package.' in result.output
    assert sorted(os.listdir(out)) == ['deployment.zip', 'sam.json']
    with zipfile.ZipFile(out / 'deployment.zip') as archive:
        assert 'app.py' in archive.namelist()
    template = json.loads((out / 'sam.json').read_text())
    assert template['AWSTemplateFormatVersion'] == '2010-09-09'
    assert template['Resources']['APIHandler']['Properties']['CodeUri'] == './deployment.zip'
    assert {'RestAPIId', 'APIHandlerName', 'APIHandlerArn', 'EndpointURL'} <= set(
        template['Outputs'])
    assert lint_errors(out / 'sam.json') == []


def test_events_app_lints_clean(workdir):
    project = new_project(workdir, 'events', EVENTS_APP)
    result = package(project, str(workdir / 'out'))
    assert result.exit_code == 0, result.output
    template = json.loads((workdir / 'out' / 'sam.json').read_text())
    assert {'MyFunction', 'Tick', 'Watch', 'OnTopic', 'OnQueue', 'OnStream', 'OnTable',
            'MyAuth', 'MyAuthInvokePermission'} <= set(template['Resources'])
    assert lint_errors(workdir / 'out' / 'sam.json') == []


def test_websocket_app_yaml_lints_clean(workdir):
    project = new_project(workdir, 'sockets', WEBSOCKET_APP)
    out = workdir / 'out'
    result = package(project, '--template-format', 'yaml', str(out))
    assert result.exit_code == 0, result.output
    assert sorted(os.listdir(out)) == ['deployment.zip', 'sam.yaml']
    template = cfnyaml.load((out / 'sam.yaml').read_text())
    assert 'WebsocketConnectEndpointURL' in template['Outputs']
    assert template['Resources']['WebsocketConnect']['Type'] == 'AWS::Serverless::Function'
    assert lint_errors(out / 'sam.yaml') == []


@pytest.mark.parametrize('name,app_py', [('demo', None), ('events', EVENTS_APP),
                                         ('sockets', WEBSOCKET_APP)])
def test_yaml_output_of_every_test_app_lints_clean(workdir, name, app_py):
    project = new_project(workdir, name, app_py)
    out = workdir / 'out'
    result = package(project, '--template-format', 'yaml', str(out))
    assert result.exit_code == 0, result.output
    text = (out / 'sam.yaml').read_text()
    # CloudFormation rejects YAML anchors and aliases.
    assert not re.search(r'[&*]id\d+', text)
    assert '!GetAtt' in text
    assert lint_errors(out / 'sam.yaml') == []
    # The YAML says exactly what the JSON template says.
    assert package(project, str(workdir / 'json')).exit_code == 0
    assert cfnyaml.load(text) == json.loads((workdir / 'json' / 'sam.json').read_text())


def test_yaml_merge_template_short_forms_round_trip(workdir):
    project = new_project(workdir)
    extras = workdir / 'extras.yaml'
    extras.write_text(
        'Resources:\n'
        '  MusicTable:\n'
        '    Type: AWS::DynamoDB::Table\n'
        '    Properties:\n'
        '      AttributeDefinitions: [{AttributeName: Album, AttributeType: S}]\n'
        '      KeySchema: [{AttributeName: Album, KeyType: HASH}]\n'
        '      BillingMode: PAY_PER_REQUEST\n'
        '  APIHandler:\n'
        '    Properties:\n'
        '      Environment:\n'
        '        Variables:\n'
        '          MUSIC_TABLE: !Ref MusicTable\n'
        '          TABLE_ARN: !GetAtt MusicTable.Arn\n'
        "          TABLE_URL: !Sub 'https://${MusicTable}.${AWS::Region}.example.com'\n")
    out = workdir / 'out'
    result = package(project, '--merge-template', str(extras), '--template-format', 'yaml',
                     str(out))
    assert result.exit_code == 0, result.output
    text = (out / 'sam.yaml').read_text()
    assert "MUSIC_TABLE: !Ref 'MusicTable'" in text
    assert "TABLE_ARN: !GetAtt 'MusicTable.Arn'" in text
    assert "TABLE_URL: !Sub 'https://${MusicTable}.${AWS::Region}.example.com'" in text
    variables = cfnyaml.load(text)['Resources']['APIHandler']['Properties']['Environment'][
        'Variables']
    assert variables == {'MUSIC_TABLE': {'Ref': 'MusicTable'},
                         'TABLE_ARN': {'Fn::GetAtt': ['MusicTable', 'Arn']},
                         'TABLE_URL': {'Fn::Sub': 'https://${MusicTable}.${AWS::Region}'
                                                  '.example.com'}}
    assert lint_errors(out / 'sam.yaml') == []
    # The same merge template into JSON output: the long forms.
    result = package(project, '--merge-template', str(extras), str(workdir / 'json'))
    assert result.exit_code == 0, result.output
    template = json.loads((workdir / 'json' / 'sam.json').read_text())
    assert template['Resources']['APIHandler']['Properties']['Environment'][
        'Variables'] == variables
    assert lint_errors(workdir / 'json' / 'sam.json') == []


def pyc_names(path):
    with zipfile.ZipFile(path) as archive:
        return sorted(name for name in archive.namelist() if name.endswith('.pyc'))


@pytest.mark.parametrize('pkg_format', ['cloudformation', 'terraform'])
def test_package_ships_bytecode_of_the_app(workdir, pkg_format):
    project = new_project(workdir)
    out = workdir / 'out'
    result = package(project, '--pkg-format', pkg_format, str(out))
    assert result.exit_code == 0, result.output
    names = pyc_names(out / 'deployment.zip')
    tag = sys.implementation.cache_tag
    assert '__pycache__/app.%s.pyc' % tag in names
    assert 'chalice/__pycache__/app.%s.pyc' % tag in names
    # The same inputs give the same bytes, whichever format wraps them.
    again = workdir / 'again'
    assert package(project, '--pkg-format', pkg_format, str(again)).exit_code == 0
    assert (again / 'deployment.zip').read_bytes() == (out / 'deployment.zip').read_bytes()


def test_package_for_another_python_ships_no_bytecode_and_says_so(workdir, monkeypatch):
    import chalice.config

    other = 'python3.%d' % (sys.version_info[1] + 1)
    monkeypatch.setattr(chalice.config, 'lambda_python_version', lambda *args: other)
    project = new_project(workdir)
    out = workdir / 'out'
    result = CliRunner().invoke(cli, ['--debug', '--project-dir', str(project), 'package',
                                      str(out)])
    assert result.exit_code == 0, result.output
    assert pyc_names(out / 'deployment.zip') == []
    assert ('[debug] Shipping no bytecode in the deployment package: chalice runs on '
            'Python %d.%d (cpython), the Lambda runtime is %s.'
            % (sys.version_info[0], sys.version_info[1], other)) in result.output
    template = json.loads((out / 'sam.json').read_text())
    assert template['Resources']['APIHandler']['Properties']['Runtime'] == other


def test_single_file(workdir):
    project = new_project(workdir)
    out = workdir / 'bundle.zip'
    result = package(project, '--single-file', str(out))
    assert result.exit_code == 0, result.output
    with zipfile.ZipFile(out) as archive:
        assert sorted(archive.namelist()) == ['deployment.zip', 'sam.json']
        template = json.loads(archive.read('sam.json'))
    assert 'APIHandler' in template['Resources']


def test_merge_template(workdir):
    project = new_project(workdir)
    extras = workdir / 'extras.json'
    extras.write_text(json.dumps({'Resources': {
        'MusicTable': {'Type': 'AWS::DynamoDB::Table', 'Properties': {
            'AttributeDefinitions': [{'AttributeName': 'Album', 'AttributeType': 'S'}],
            'KeySchema': [{'AttributeName': 'Album', 'KeyType': 'HASH'}],
            'BillingMode': 'PAY_PER_REQUEST'}},
        'APIHandler': {'Properties': {'Environment': {'Variables': {
            'MUSIC_TABLE': {'Ref': 'MusicTable'}}}}}}}))
    out = workdir / 'out'
    result = package(project, '--merge-template', str(extras), str(out))
    assert result.exit_code == 0, result.output
    template = json.loads((out / 'sam.json').read_text())
    handler = template['Resources']['APIHandler']['Properties']
    assert handler['Environment'] == {'Variables': {'MUSIC_TABLE': {'Ref': 'MusicTable'}}}
    assert handler['Handler'] == 'app.app'
    assert template['Resources']['MusicTable']['Type'] == 'AWS::DynamoDB::Table'
    assert lint_errors(out / 'sam.json') == []


def test_merge_template_yaml_and_missing(workdir):
    project = new_project(workdir)
    extras = workdir / 'extras.yaml'
    extras.write_text('Resources:\n  APIHandler:\n    Properties:\n      Timeout: 10\n')
    result = package(project, '--merge-template', str(extras), str(workdir / 'out'))
    assert result.exit_code == 0, result.output
    template = json.loads((workdir / 'out' / 'sam.json').read_text())
    assert template['Resources']['APIHandler']['Properties']['Timeout'] == 10
    result = package(project, '--merge-template', str(workdir / 'nope.json'),
                     str(workdir / 'out2'))
    assert result.exit_code == 2
    assert result.output.strip().startswith('Error: Cannot read the merge template')
    assert len(result.output.strip().splitlines()) == 1
    assert not (workdir / 'out2').exists()


def test_s3_app_fails(workdir):
    project = new_project(workdir, 's3app', S3_APP)
    result = package(project, str(workdir / 'out'))
    assert result.exit_code == 2
    assert 'on_s3_event cannot be packaged' in result.output
    # Refused before anything is built: no half-made output is left behind.
    assert not (workdir / 'out').exists()


def test_clashing_logical_ids_are_refused(workdir):
    app_py = '''\
from chalice import Chalice

app = Chalice(app_name='clash')


@app.lambda_function()
def my_func(event, context):
    pass


@app.lambda_function(name='my-func')
def other(event, context):
    pass
'''
    project = new_project(workdir, 'clash', app_py)
    result = package(project, str(workdir / 'out'))
    assert result.exit_code == 2
    assert "'my_func' and 'my-func' both become the CloudFormation logical id" in result.output


def test_switching_template_format_leaves_one_template(workdir):
    project = new_project(workdir)
    out = workdir / 'out'
    assert package(project, str(out)).exit_code == 0
    assert package(project, '--template-format', 'yaml', str(out)).exit_code == 0
    assert sorted(os.listdir(out)) == ['deployment.zip', 'sam.yaml']


def read_terraform(out):
    document = json.loads((out / 'chalice.tf.json').read_text())
    assert terraform_checks.undocumented(document) == []
    assert terraform_checks.dangling_references(document) == []
    return document


def assert_terraform_reads_it(out):
    """``terraform validate`` fails only because no provider can be installed here."""
    if terraform_checks.terraform_binary() is None:
        pytest.skip('the terraform binary is not installed')
    verdict, errors = terraform_checks.terraform_validate(out)
    assert verdict in ('valid', 'provider unavailable'), errors


def test_terraform_hello_world(workdir):
    project = new_project(workdir)
    out = workdir / 'out'
    out.mkdir()
    # The user's own Terraform beside chalice's is left alone.
    extra = 'output "app" {\n  value = data.null_data_source.chalice.outputs.app\n}\n'
    (out / 'extra.tf').write_text(extra)
    result = package(project, '--pkg-format', 'terraform', str(out))
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0] == 'Creating deployment package.'
    assert sorted(os.listdir(out)) == ['chalice.tf.json', 'deployment.zip', 'extra.tf']
    assert (out / 'extra.tf').read_text() == extra
    with zipfile.ZipFile(out / 'deployment.zip') as archive:
        assert 'app.py' in archive.namelist()
    document = read_terraform(out)
    handler = document['resource']['aws_lambda_function']['api_handler']
    assert handler['filename'] == '${path.module}/deployment.zip'
    assert handler['function_name'] == 'demo-dev'
    assert set(document['output']) == {'EndpointURL', 'RestAPIId'}
    assert_terraform_reads_it(out)
    # Packaging again replaces chalice's file only.
    assert package(project, '--pkg-format', 'terraform', str(out)).exit_code == 0
    assert sorted(os.listdir(out)) == ['chalice.tf.json', 'deployment.zip', 'extra.tf']


@pytest.mark.parametrize('name,app_py', [('events', EVENTS_APP), ('sockets', WEBSOCKET_APP),
                                         ('s3app', S3_APP)])
def test_terraform_for_every_test_app(workdir, name, app_py):
    project = new_project(workdir, name, app_py)
    out = workdir / 'out'
    result = package(project, '--pkg-format', 'terraform', '--stage', 'dev', str(out))
    assert result.exit_code == 0, result.output
    document = read_terraform(out)
    types = set(document['resource'])
    expected = {'events': {'aws_cloudwatch_event_rule', 'aws_sns_topic_subscription',
                           'aws_lambda_event_source_mapping', 'aws_api_gateway_rest_api'},
                'sockets': {'aws_apigatewayv2_api', 'aws_apigatewayv2_route',
                            'aws_apigatewayv2_stage'},
                's3app': {'aws_s3_bucket_notification'}}[name]
    assert expected <= types
    assert_terraform_reads_it(out)


def test_terraform_configuration_parses_in_checkov(workdir):
    if terraform_checks.checkov_binary() is None:
        pytest.skip('checkov is not installed: make checkov')
    project = new_project(workdir, 'events', EVENTS_APP)
    out = workdir / 'out'
    assert package(project, '--pkg-format', 'terraform', str(out)).exit_code == 0
    report = terraform_checks.checkov_scan(out)
    assert report['check_type'] == 'terraform_json'
    assert report['summary']['parsing_errors'] == 0
    checked = {check['resource'] for outcome in ('passed_checks', 'failed_checks')
               for check in report['results'][outcome]}
    # checkov saw the resources themselves, not an empty file.
    assert {'aws_lambda_function.api_handler', 'aws_lambda_function.my_auth'} <= checked


def test_terraform_validation_tells_a_broken_configuration(tmp_path):
    if terraform_checks.terraform_binary() is None:
        pytest.skip('the terraform binary is not installed')
    (tmp_path / 'chalice.tf.json').write_text(json.dumps({'outputz': {}}))
    verdict, errors = terraform_checks.terraform_validate(tmp_path)
    assert verdict == 'configuration error'
    assert 'outputz' in ' '.join(errors)


@pytest.mark.parametrize('option', [['--single-file'], ['--merge-template', 'x.json'],
                                    ['--template-format', 'json']])
def test_terraform_with_cloudformation_options(workdir, option):
    project = new_project(workdir)
    result = package(project, '--pkg-format', 'terraform', *option, str(workdir / 'out'))
    assert result.exit_code == 2
    assert ('Terraform format does not support --merge-template, --single-file, or '
            '--template-format') in result.output
    assert not (workdir / 'out').exists()


DOMAINS_APP = WEBSOCKET_APP.replace("app_name='sockets'", "app_name='domains'") + '''

@app.route('/')
def index():
    return {}
'''
EDGE_CERT = 'arn:aws:acm:us-east-1:123456789012:certificate/edge'
REGIONAL_CERT = 'arn:aws:acm:us-west-2:123456789012:certificate/regional'


def domains_project(workdir, endpoint_type):
    project = new_project(workdir, 'domains', DOMAINS_APP)
    path = project / '.chalice' / 'config.json'
    config = json.loads(path.read_text())
    config['stages']['dev'].update({
        'api_gateway_endpoint_type': endpoint_type,
        'api_gateway_custom_domain': {
            'domain_name': 'api.example.com', 'tls_version': 'TLS_1_0',
            'certificate_arn': EDGE_CERT if endpoint_type == 'EDGE' else REGIONAL_CERT,
            'url_prefixes': ['/', 'v1'], 'tags': {'team': 'web'}},
        'websocket_api_custom_domain': {
            'domain_name': 'ws.example.com', 'certificate_arn': REGIONAL_CERT,
            'url_prefix': 'chat', 'tags': {'team': 'chat'}}})
    path.write_text(json.dumps(config))
    return project


@pytest.mark.parametrize('endpoint_type', ['EDGE', 'REGIONAL'])
def test_custom_domains_in_the_sam_template_lint_clean(workdir, endpoint_type):
    project = domains_project(workdir, endpoint_type)
    out = workdir / 'out'
    result = package(project, str(out))
    assert result.exit_code == 0, result.output
    template = json.loads((out / 'sam.json').read_text())
    resources, outputs = template['Resources'], template['Outputs']
    edge = endpoint_type == 'EDGE'
    assert resources['ApiGatewayCustomDomain'] == {
        'Type': 'AWS::ApiGateway::DomainName', 'Properties': {
            'DomainName': 'api.example.com', 'SecurityPolicy': 'TLS_1_0',
            'EndpointConfiguration': {'Types': [endpoint_type]},
            'CertificateArn' if edge else 'RegionalCertificateArn':
                EDGE_CERT if edge else REGIONAL_CERT,
            'Tags': [{'Key': 'team', 'Value': 'web'}]}}
    mappings = {k: v['Properties'] for k, v in resources.items()
                if v['Type'] == 'AWS::ApiGateway::BasePathMapping'}
    assert sorted(m.get('BasePath', '(root)') for m in mappings.values()) == ['(root)', 'v1']
    for mapping in mappings.values():
        assert mapping['DomainName'] == {'Ref': 'ApiGatewayCustomDomain'}
        assert mapping['RestApiId'] == {'Ref': 'RestAPI'}
        assert mapping['Stage'] == {'Ref': 'RestAPI.Stage'}
    assert resources['WebsocketApiCustomDomain'] == {
        'Type': 'AWS::ApiGatewayV2::DomainName', 'Properties': {
            'DomainName': 'ws.example.com', 'Tags': {'team': 'chat'},
            'DomainNameConfigurations': [{'CertificateArn': REGIONAL_CERT,
                                          'EndpointType': 'REGIONAL',
                                          'SecurityPolicy': 'TLS_1_2'}]}}
    assert resources['WebsocketApiCustomDomainMapping'] == {
        'Type': 'AWS::ApiGatewayV2::ApiMapping', 'Properties': {
            'DomainName': {'Ref': 'WebsocketApiCustomDomain'}, 'ApiId': {'Ref': 'WebsocketAPI'},
            'Stage': {'Ref': 'WebsocketAPIStage'}, 'ApiMappingKey': 'chat'}}
    # The alias target to point DNS at.
    zone, alias = (('DistributionHostedZoneId', 'DistributionDomainName') if edge else
                   ('RegionalHostedZoneId', 'RegionalDomainName'))
    assert outputs['ApiGatewayCustomDomainHostedZoneId'] == {
        'Value': {'Fn::GetAtt': ['ApiGatewayCustomDomain', zone]}}
    assert outputs['ApiGatewayCustomDomainAliasDomainName'] == {
        'Value': {'Fn::GetAtt': ['ApiGatewayCustomDomain', alias]}}
    assert outputs['WebsocketApiCustomDomainAliasDomainName'] == {
        'Value': {'Fn::GetAtt': ['WebsocketApiCustomDomain', 'RegionalDomainName']}}
    assert 'WebsocketApiCustomDomainHostedZoneId' in outputs
    assert lint_errors(out / 'sam.json') == []
    yaml_out = workdir / 'yaml'
    assert package(project, '--template-format', 'yaml', str(yaml_out)).exit_code == 0
    assert lint_errors(yaml_out / 'sam.yaml') == []


@pytest.mark.parametrize('endpoint_type', ['EDGE', 'REGIONAL'])
def test_custom_domains_in_the_terraform_configuration(workdir, endpoint_type):
    project = domains_project(workdir, endpoint_type)
    out = workdir / 'out'
    result = package(project, '--pkg-format', 'terraform', str(out))
    assert result.exit_code == 0, result.output
    document = read_terraform(out)
    resources, edge = document['resource'], endpoint_type == 'EDGE'
    assert resources['aws_api_gateway_domain_name'] == {'api_gateway_custom_domain': {
        'domain_name': 'api.example.com', 'security_policy': 'TLS_1_0',
        'endpoint_configuration': {'types': [endpoint_type]},
        'certificate_arn' if edge else 'regional_certificate_arn':
            EDGE_CERT if edge else REGIONAL_CERT,
        'tags': {'team': 'web'}}}
    # AWS Chalice's label for the first mapping, then one per further prefix.
    mappings = resources['aws_api_gateway_base_path_mapping']
    assert {label: m.get('base_path', '(root)') for label, m in mappings.items()} == {
        'api_gateway_custom_domain_mapping': '(root)',
        'api_gateway_custom_domain_mapping-1': 'v1'}
    for mapping in mappings.values():
        assert mapping['api_id'] == '${aws_api_gateway_rest_api.rest_api.id}'
        assert mapping['stage_name'] == '${aws_api_gateway_stage.rest_api.stage_name}'
    ws_mapping = resources['aws_apigatewayv2_api_mapping'].pop(
        'websocket_api_custom_domain_mapping')
    assert resources['aws_apigatewayv2_api_mapping'] == {}
    assert ws_mapping['api_mapping_key'] == 'chat'
    assert ws_mapping['stage'] == '${aws_apigatewayv2_stage.websocket_api_stage.name}'
    assert resources['aws_apigatewayv2_domain_name']['websocket_api_custom_domain'][
        'domain_name_configuration'] == {'certificate_arn': REGIONAL_CERT,
                                         'endpoint_type': 'REGIONAL',
                                         'security_policy': 'TLS_1_2'}
    zone = 'cloudfront_zone_id' if edge else 'regional_zone_id'
    # The REST API's domain: AWS Chalice's output names.
    assert document['output']['HostedZoneId'] == {
        'value': '${aws_api_gateway_domain_name.api_gateway_custom_domain.%s}' % zone}
    assert 'ApiGatewayCustomDomainHostedZoneId' not in document['output']
    assert document['output']['WebsocketApiCustomDomainAliasDomainName'] == {
        'value': '${aws_apigatewayv2_domain_name.websocket_api_custom_domain.'
                 'domain_name_configuration[0].target_domain_name}'}
    assert_terraform_reads_it(out)


FAR_TOPIC_APP = '''\
from chalice import Chalice

app = Chalice(app_name='far')


@app.on_sns_message('arn:aws:sns:eu-west-1:123456789012:alerts')
def handle(event):
    pass
'''

# The recipe of docs/deploy.rst for a topic in another region with Terraform.
FAR_TOPIC_PROVIDER = '''\
provider "aws" {
  alias  = "eu_west_1"
  region = "eu-west-1"
}
'''
FAR_TOPIC_OVERRIDE = {'resource': {'aws_sns_topic_subscription': {
    'handle-sns-subscription': {'provider': 'aws.eu_west_1'}}}}


def test_sam_subscribes_to_a_topic_in_another_region_in_that_region(workdir):
    project = new_project(workdir, 'far', FAR_TOPIC_APP)
    out = workdir / 'out'
    result = package(project, str(out))
    assert result.exit_code == 0, result.output
    events = json.loads((out / 'sam.json').read_text())['Resources']['Handle'][
        'Properties']['Events']
    assert events == {'HandleSnsSubscription': {'Type': 'SNS', 'Properties': {
        'Topic': 'arn:aws:sns:eu-west-1:123456789012:alerts', 'Region': 'eu-west-1'}}}
    # cfn-lint runs the SAM transform: Region is a property SAM knows.
    assert lint_errors(out / 'sam.json') == []


def test_terraform_subscribes_through_the_default_provider(workdir):
    project = new_project(workdir, 'far', FAR_TOPIC_APP)
    out = workdir / 'out'
    out.mkdir()
    (out / 'sns_regions.tf').write_text(FAR_TOPIC_PROVIDER)
    (out / 'sns_regions_override.tf.json').write_text(json.dumps(FAR_TOPIC_OVERRIDE))
    result = package(project, '--pkg-format', 'terraform', str(out))
    assert result.exit_code == 0, result.output
    document = read_terraform(out)
    subscription = document['resource']['aws_sns_topic_subscription'][
        'handle-sns-subscription']
    # No provider of chalice's own: the documented override names the resource
    # exactly, and the user's files stay beside chalice's.
    assert 'provider' not in subscription and 'provider' not in document
    assert subscription['topic_arn'] == 'arn:aws:sns:eu-west-1:123456789012:alerts'
    assert document['resource']['aws_lambda_permission']['handle-sns-subscription'][
        'source_arn'] == 'arn:aws:sns:eu-west-1:123456789012:alerts'
    assert sorted(os.listdir(out)) == ['chalice.tf.json', 'deployment.zip',
                                       'sns_regions.tf', 'sns_regions_override.tf.json']
    assert_terraform_reads_it(out)


def test_unchanged_app_reuses_its_package_and_says_so_as_aws_chalice_does(workdir):
    project = new_project(workdir)
    first, second = (package(project, str(workdir / ('out%d' % i))).output.splitlines()
                     for i in range(2))
    assert first[0] == 'Creating deployment package.'
    assert 'Reusing existing deployment package.' not in first
    assert second[:2] == ['Creating deployment package.', 'Reusing existing deployment package.']
    with open(project / 'app.py', 'a') as stream:
        stream.write('# edited\n')
    edited = package(project, str(workdir / 'out2')).output.splitlines()
    assert 'Reusing existing deployment package.' not in edited
