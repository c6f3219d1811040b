"""``chalice package`` (SAM) against AWS Chalice 1.34.0's on the same apps.

Each app is packaged by the real AWS Chalice 1.34.0 CLI (``.venv/upstream``,
see tests/upstream_chalice.py: a missing installation fails these tests, with
the command that builds it) and by ours through click's runner; the two
templates must be equal once the deliberate differences listed in
:data:`DELIBERATE` are taken out, each by a function that removes exactly
that difference.  YAML templates are compared as the documents they load to.
"""
import json
import os
import re

import pytest
from click.testing import CliRunner

from chalice.cli import cli
from chalice.deploy import cfnyaml
from tests.integration import aws_chalice_stage as stage
from tests.upstream_chalice import run_other_chalice, upstream_chalice

STREAM_ARN = 'arn:aws:dynamodb:us-west-2:123456789012:table/t/stream/2020-01-01T00:00:00.000'

# The 14-function app of the takeover tests, without its on_s3_event handler
# (which neither tool packages for CloudFormation).
TAKEOVER_APP = re.sub(r"@app\.on_s3_event\(.*?\n\n\n", '', stage.APP_SOURCE, flags=re.S)

AUTHORIZERS_APP = '''\
from chalice import (AuthResponse, Chalice, CognitoUserPoolAuthorizer, CustomAuthorizer,
                     IAMAuthorizer)

app = Chalice(app_name='authorizers')
URI = ('arn:aws:apigateway:us-west-2:lambda:path/2015-03-31/functions/'
       'arn:aws:lambda:us-west-2:123456789012:function:outside/invocations')
custom = CustomAuthorizer('custom', header='Authorization', authorizer_uri=URI)
custom_sixty = CustomAuthorizer('custom_sixty', header='X-Key', authorizer_uri=URI,
                                ttl_seconds=60)
POOL = 'arn:aws:cognito-idp:us-west-2:123456789012:userpool/us-west-2_abcDEF123'
cognito = CognitoUserPoolAuthorizer('cognito', provider_arns=[POOL])


@app.authorizer()
def default_ttl(auth_request):
    return AuthResponse(routes=['*'], principal_id='user')


@app.authorizer(ttl_seconds=60)
def sixty(auth_request):
    return AuthResponse(routes=['*'], principal_id='user')


@app.authorizer(ttl_seconds=0, header='X-Token')
def uncached(auth_request):
    return AuthResponse(routes=['*'], principal_id='user')


@app.authorizer(ttl_seconds=300)
def explicit_default(auth_request):
    return AuthResponse(routes=['*'], principal_id='user')


@app.route('/a', authorizer=default_ttl)
def a():
    return {}


@app.route('/b', authorizer=sixty)
def b():
    return {}


@app.route('/c', authorizer=uncached)
def c():
    return {}


@app.route('/d', authorizer=explicit_default)
def d():
    return {}


@app.route('/e', authorizer=custom)
def e():
    return {}


@app.route('/f', authorizer=custom_sixty)
def f():
    return {}


@app.route('/g', authorizer=cognito)
def g():
    return {}


@app.route('/h', authorizer=IAMAuthorizer())
def h():
    return {}
'''

SETTINGS_APP = '''\
from chalice import Chalice, CORSConfig, Rate

app = Chalice(app_name='settings')
app.api.binary_types.append('application/x-thing')
cors = CORSConfig(allow_origin='https://example.com', allow_headers=['X-Special'],
                  max_age=600, expose_headers=['X-E'], allow_credentials=True)


@app.route('/', cors=True)
def index():
    return {}


@app.route('/key', api_key_required=True, methods=['GET', 'POST'])
def key():
    return {}


@app.route('/cors/{name}', cors=cors, methods=['PUT'],
           content_types=['application/json', 'text/plain'])
def corsy(name):
    return {}


@app.lambda_function()
def worker(event, context):
    return {}


@app.schedule(Rate(5, unit=Rate.MINUTES), description='every five minutes')
def often(event):
    return {}


@app.on_sqs_message(queue='jobs', batch_size=5, maximum_batching_window_in_seconds=10,
                    maximum_concurrency=4)
def on_job(event):
    return {}


@app.on_sns_message(topic='arn:aws:sns:us-west-2:123456789012:alerts')
def on_alert(event):
    return {}
'''
SETTINGS_CONFIG = {
    'version': '2.0', 'app_name': 'settings', 'xray': True,
    'environment_variables': {'TOP': '1'}, 'tags': {'team': 'x'},
    'lambda_memory_size': 256, 'lambda_timeout': 30, 'minimum_compression_size': 1024,
    'layers': ['arn:aws:lambda:us-west-2:123456789012:layer:extra:3'],
    'stages': {'dev': {
        'api_gateway_stage': 'v1', 'subnet_ids': ['subnet-1', 'subnet-2'],
        'security_group_ids': ['sg-1'],
        'lambda_functions': {
            'api_handler': {'reserved_concurrency': 5, 'tags': {'fn': 'api'},
                            'environment_variables': {'HANDLER': '2'}},
            'worker': {'lambda_memory_size': 1024, 'lambda_ephemeral_storage': 2048,
                       'reserved_concurrency': 0}}}}}

# No HTTP API and no websockets: arm64, automatic_layer without requirements
# (so no layer, for neither tool: the layer's template is unit-tested), a role
# of the user's and a policy file, stream and queue sources with their settings.
EVENTS_APP = '''\
from chalice import Chalice, Cron

app = Chalice(app_name='events')


@app.lambda_function()
def worker(event, context):
    return {}


@app.lambda_function(name='named-function')
def other(event, context):
    return {}


@app.schedule(Cron(0, 12, '*', '*', '?', '*'), name='noon')
def noon(event):
    return {}


@app.on_cw_event({'source': ['aws.ec2'], 'detail-type': ['x']})
def on_ec2(event):
    return {}


@app.on_kinesis_record(stream='clicks', batch_size=50, starting_position='TRIM_HORIZON',
                       maximum_batching_window_in_seconds=3)
def streamer(event):
    return {}


@app.on_dynamodb_record(stream_arn='%s', batch_size=7)
def on_table(event):
    return {}


@app.on_sqs_message(queue_arn='arn:aws:sqs:us-west-2:123456789012:other-queue', batch_size=1)
def on_queue(event):
    return {}


@app.on_sns_message(topic='plain-topic')
def on_topic(event):
    return {}
''' % STREAM_ARN
EVENTS_CONFIG = {
    'version': '2.0', 'app_name': 'events', 'automatic_layer': True,
    'lambda_architecture': 'arm64',
    'stages': {'dev': {'lambda_functions': {
        'worker': {'manage_iam_role': False, 'lambda_timeout': 120,
                   'iam_role_arn': 'arn:aws:iam::123456789012:role/custom'},
        'streamer': {'autogen_policy': False, 'iam_policy_file': 'policy-streamer.json'}}}}}
STREAMER_POLICY = {'Version': '2012-10-17', 'Statement': [
    {'Effect': 'Allow', 'Action': ['s3:GetObject'], 'Resource': '*'}]}

# Custom domains (REST and websocket), a blueprint, a resource policy.
DOMAINS_APP = '''\
from chalice import Blueprint, Chalice

app = Chalice(app_name='domains')
app.experimental_feature_flags.update(['WEBSOCKETS'])
bp = Blueprint(__name__)


@bp.route('/bp/{x}', methods=['DELETE'])
def bp_route(x):
    return {}


@bp.lambda_function()
def bp_function(event, context):
    return {}


app.register_blueprint(bp, url_prefix='/pre', name_prefix='pre_')


@app.route('/')
def index():
    return {}


@app.on_ws_message()
def message(event):
    return {}
'''
CERTIFICATE = 'arn:aws:acm:us-west-2:123456789012:certificate/abc'
DOMAINS_CONFIG = {
    'version': '2.0', 'app_name': 'domains', 'api_gateway_endpoint_type': 'REGIONAL',
    'api_gateway_policy_file': 'api-policy.json',
    # The websocket API is served from the api_gateway_stage, as AWS Chalice's.
    'stages': {'dev': {
        'api_gateway_stage': 'v2',
        'api_gateway_custom_domain': {
            'domain_name': 'api.example.com', 'certificate_arn': CERTIFICATE,
            'url_prefix': 'v1', 'tls_version': 'TLS_1_2', 'tags': {'k': 'v'}},
        'websocket_api_custom_domain': {
            'domain_name': 'ws.example.com', 'certificate_arn': CERTIFICATE,
            'url_prefix': 'chat', 'tags': {'a': 'b'}}}}}
API_POLICY = {'Version': '2012-10-17', 'Statement': [{
    'Effect': 'Allow', 'Principal': '*', 'Action': 'execute-api:Invoke',
    'Resource': 'arn:aws:execute-api:*:*:*'}]}

# A PRIVATE API (its endpoint policy and endpoints), a greedy capture, a log
# group for a websocket handler, websockets served from a stage named "dev".
PRIVATE_APP = '''\
from chalice import Chalice, Response

app = Chalice(app_name='private')
app.experimental_feature_flags.update(['WEBSOCKETS'])


@app.route('/items/{id}', methods=['GET', 'PUT', 'DELETE'])
def item(id):
    return Response(body=b'x', headers={'Content-Type': 'application/octet-stream'})


@app.route('/files/{proxy+}')
def files(proxy):
    return {}


@app.on_ws_connect()
def connect(event):
    return {}


@app.on_ws_disconnect()
def disconnect(event):
    return {}
'''
PRIVATE_CONFIG = {
    'version': '2.0', 'app_name': 'private', 'api_gateway_endpoint_type': 'PRIVATE',
    'api_gateway_endpoint_vpce': ['vpce-0123', 'vpce-4567'],
    'stages': {'dev': {
        'api_gateway_stage': 'dev',
        'environment_variables': {'TEMPLATE_LIKE': 'a${b}c', 'JSON_LIKE': '{"x": 1}'},
        'lambda_functions': {'websocket_connect': {'log_retention_in_days': 14}}}}}

APPS = {
    'takeover': (TAKEOVER_APP, stage.CONFIG, {}),
    'authorizers': (AUTHORIZERS_APP, None, {}),
    'settings': (SETTINGS_APP, SETTINGS_CONFIG, {}),
    'events': (EVENTS_APP, EVENTS_CONFIG, {'policy-streamer.json': STREAMER_POLICY}),
    'domains': (DOMAINS_APP, DOMAINS_CONFIG, {'api-policy.json': API_POLICY}),
    'private': (PRIVATE_APP, PRIVATE_CONFIG, {}),
}


# -- the deliberate differences: each function removes exactly one

def _resources(template, kind=None):
    return [resource for resource in template['Resources'].values()
            if kind is None or resource['Type'] == kind]


def _events(template, kind):
    for function in _resources(template, 'AWS::Serverless::Function'):
        for event in function['Properties'].get('Events', {}).values():
            if event['Type'] == kind:
                yield event['Properties']


def least_privilege_role_policies(up, ours):
    for template in (up, ours):
        for role in _resources(template, 'AWS::IAM::Role'):
            for policy in role['Properties'].get('Policies', []):
                policy['PolicyDocument'].pop('Statement')


def authorizer_grants_only_authorizers(up, ours):
    for permission in _resources(ours, 'AWS::Lambda::Permission'):
        source = permission['Properties']['SourceArn'].get('Fn::Sub')
        if isinstance(source, list) and source[0].endswith('/authorizers/*'):
            source[0] = source[0][:-len('/authorizers/*')] + '/*'


def schedule_description_kept(up, ours):
    for properties in _events(ours, 'Schedule'):
        properties.pop('Description', None)


def sns_topic_region_stated(up, ours):
    for properties in _events(ours, 'SNS'):
        properties.pop('Region', None)


def xray_traces_the_api_stage(up, ours):
    for api in _resources(ours, 'AWS::Serverless::Api'):
        api['Properties'].pop('TracingEnabled', None)


def ephemeral_storage_kept(up, ours):
    for function in _resources(ours, 'AWS::Serverless::Function'):
        function['Properties'].pop('EphemeralStorage', None)


def every_capture_is_a_declared_parameter(up, ours):
    for api in _resources(ours, 'AWS::Serverless::Api'):
        for path, item in api['Properties']['DefinitionBody']['paths'].items():
            greedy = set(re.findall(r'\{(\w+)\+\}', path))
            for method, operation in item.items():
                kept = [parameter for parameter in operation.get('parameters', [])
                        if method != 'options' and parameter['name'] not in greedy]
                if 'parameters' in operation and not kept:
                    del operation['parameters']


def domain_dns_targets_output(up, ours):
    for name in [name for name in ours['Outputs']
                 if name.endswith(('CustomDomainHostedZoneId', 'CustomDomainAliasDomainName'))]:
        del ours['Outputs'][name]


def base_path_mapping_waits_for_the_stage(up, ours):
    for mapping in _resources(ours, 'AWS::ApiGateway::BasePathMapping'):
        if mapping['Properties']['Stage'] == {'Ref': 'RestAPI.Stage'}:
            api = ours['Resources']['RestAPI']['Properties']
            mapping['Properties']['Stage'] = api['StageName']


def websocket_domain_states_its_tls(up, ours):
    for domain in _resources(ours, 'AWS::ApiGatewayV2::DomainName'):
        for configuration in domain['Properties']['DomainNameConfigurations']:
            configuration.pop('SecurityPolicy', None)


#: (what, why): ours differs from AWS Chalice 1.34's template on purpose.
DELIBERATE = [
    (least_privilege_role_policies,
     "the role's statements name each resource instead of '*' (least privilege)"),
    (authorizer_grants_only_authorizers,
     'a built-in authorizer may be invoked for /authorizers/* only, not every route'),
    (schedule_description_kept,
     "schedule(description=...) reaches the rule; AWS Chalice's template drops it"),
    (sns_topic_region_stated,
     "a topic ARN's region is the subscription's Region, so a topic elsewhere works"),
    (xray_traces_the_api_stage,
     "xray traces the REST API's stage as chalice deploy does (TracingEnabled)"),
    (ephemeral_storage_kept,
     "lambda_ephemeral_storage is applied; AWS Chalice's template drops it"),
    (every_capture_is_a_declared_parameter,
     'the CORS preflight and greedy {name+} captures are declared path parameters too'),
    (domain_dns_targets_output,
     "each custom domain outputs the DNS target (HostedZoneId, AliasDomainName)"),
    (base_path_mapping_waits_for_the_stage,
     'the mapping refers to RestAPI.Stage so it is made after the stage '
     '(aws/chalice#1735: a literal stage name races it)'),
    (websocket_domain_states_its_tls,
     "the websocket domain's SecurityPolicy (TLS_1_2) is stated, as chalice deploy sets it"),
]


# -- running the two tools

def write_project(path, source, config, files):
    chalice_dir = path / '.chalice'
    chalice_dir.mkdir(parents=True)
    name = re.search(r"app_name='([^']+)'", source).group(1)
    config = config or {'version': '2.0', 'app_name': name, 'stages': {'dev': {}}}
    (chalice_dir / 'config.json').write_text(json.dumps(config))
    for filename, document in files.items():
        (chalice_dir / filename).write_text(json.dumps(document))
    (path / 'app.py').write_text(source)
    return path


def load(directory, template_format):
    if template_format == 'yaml':
        with open(os.path.join(directory, 'sam.yaml'), encoding='utf-8') as f:
            return cfnyaml.load(f.read())
    with open(os.path.join(directory, 'sam.json'), encoding='utf-8') as f:
        return json.load(f)


@pytest.fixture(scope='module')
def upstream():
    return upstream_chalice()


def package_both(upstream, tmp_path, name, template_format, monkeypatch):
    source, config, files = APPS[name]
    project = write_project(tmp_path / name, source, config, files)
    monkeypatch.setenv(stage.STREAM_ARN_VARIABLE, STREAM_ARN)
    args = ['package', '--template-format', template_format]
    result = run_other_chalice(upstream, project, *args, str(tmp_path / 'up'),
                               env=dict(os.environ), timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    ours = CliRunner().invoke(cli, ['--project-dir', str(project), *args,
                                    str(tmp_path / 'ours')])
    assert ours.exit_code == 0, ours.output
    return load(tmp_path / 'up', template_format), load(tmp_path / 'ours', template_format)


@pytest.mark.parametrize('name,template_format', [
    ('takeover', 'json'), ('takeover', 'yaml'), ('authorizers', 'json'),
    ('settings', 'json'), ('settings', 'yaml'), ('events', 'json'), ('domains', 'json'),
    ('private', 'json')])
def test_template_equals_aws_chalices_but_for_the_deliberate_differences(
        upstream, tmp_path, monkeypatch, name, template_format):
    up, ours = package_both(upstream, tmp_path, name, template_format, monkeypatch)
    for remove, _ in DELIBERATE:
        remove(up, ours)
    assert ours == up


def test_each_deliberate_difference_is_one_this_test_meets(upstream, tmp_path, monkeypatch):
    """Every entry of DELIBERATE removes something real from at least one app's
    templates: none is stale, none hides more than its own difference."""
    pairs = [package_both(upstream, tmp_path / name, name, 'json', monkeypatch)
             for name in ('takeover', 'settings', 'domains')]
    for remove, why in DELIBERATE:
        changed = False
        for up, ours in pairs:
            before = json.dumps([up, ours], sort_keys=True)
            remove(up, ours)
            changed = changed or json.dumps([up, ours], sort_keys=True) != before
        assert changed, 'nothing to remove for: %s' % why
