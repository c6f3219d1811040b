"""The Terraform configuration describes what ``chalice deploy`` creates.

One app uses every kind of resource both can make: a REST API with a
built-in authorizer, a pure Lambda, a schedule, an event pattern, an SNS
subscription, an SQS mapping, S3 notifications and a websocket API, with
log retention set and a custom domain for each API.  It is deployed to moto
with ``chalice deploy`` and packaged with ``chalice package --pkg-format
terraform``; each side is reduced to the same set of ``(Terraform resource
type, identity)`` pairs - what exists in moto, read back with boto3, and
what the configuration declares, with its references followed to the
resources they name - and the two sets must be equal.
"""
import json
import re
import zipfile

import pytest

from tests.integration.conftest import REGION, make_project, run_chalice
from tests.integration.deploy_checks import (
    create_event_sources,
    function_policy_statements,
    run_ok,
)
from tests.integration.test_deploy import build_wheel, local_pip_env
from tests.terraform_checks import dangling_references, resources, undocumented

APP_NAME = 'tfparity'
TOPIC, QUEUE, BUCKET = 'parity-topic', 'parity-queue', 'parity-bucket'
APP = '''\
from chalice import Chalice

app = Chalice(app_name='tfparity')
app.experimental_feature_flags.update(['WEBSOCKETS'])


@app.authorizer()
def my_auth(auth_request):
    pass


@app.route('/', authorizer=my_auth)
def index():
    return {'hello': 'world'}


@app.lambda_function()
def plain(event, context):
    return {}


@app.schedule('rate(1 hour)')
def tick(event):
    return {}


@app.on_cw_event({'source': ['aws.ec2']})
def watch(event):
    return {}


@app.on_sns_message(topic='parity-topic')
def on_topic(event):
    return {}


@app.on_sqs_message(queue='parity-queue', batch_size=5)
def on_queue(event):
    return {}


@app.on_s3_event(bucket='parity-bucket', events=['s3:ObjectCreated:*'], suffix='.csv')
def on_upload(event):
    return {}


@app.on_ws_connect()
def connect(event):
    return {}


@app.on_ws_message()
def message(event):
    return {}
'''
CERTIFICATE = 'arn:aws:acm:%s:123456789012:certificate/0a1b2c3d'
CONFIG = {'version': '2.0', 'app_name': APP_NAME, 'log_retention_in_days': 7,
          'stages': {'dev': {
              'api_gateway_stage': 'api',
              'api_gateway_custom_domain': {
                  'domain_name': 'api.example.com', 'certificate_arn': CERTIFICATE % 'us-east-1',
                  'url_prefixes': ['/', 'v1']},
              'websocket_api_custom_domain': {
                  'domain_name': 'ws.example.com', 'certificate_arn': CERTIFICATE % REGION,
                  'url_prefix': 'chat'}}}}


def last_name(arn):
    """The name at the end of an ARN (``...:function:x``, ``...:stream/x``)."""
    return re.split(r'[:/]', arn)[-1]


# -- what moto holds

def deployed_resources(aws):
    found = set()
    for role in aws.iam.list_roles()['Roles']:
        name = role['RoleName']
        found.add(('aws_iam_role', name))
        for policy in aws.iam.list_role_policies(RoleName=name)['PolicyNames']:
            found.add(('aws_iam_role_policy', (name, policy)))
    for layer in aws['lambda'].list_layers()['Layers']:
        found.add(('aws_lambda_layer_version', layer['LayerName']))
    functions = [f['FunctionName'] for f in aws['lambda'].list_functions()['Functions']]
    for name in functions:
        found.add(('aws_lambda_function', name))
        for statement in function_policy_statements(aws, name):
            found.add(('aws_lambda_permission', (name, statement['Principal']['Service'])))
    for group in aws.logs.describe_log_groups(logGroupNamePrefix='/aws/lambda/')['logGroups']:
        found.add(('aws_cloudwatch_log_group', (group['logGroupName'],
                                                group.get('retentionInDays'))))
    for api in aws.apigateway.get_rest_apis()['items']:
        found.add(('aws_api_gateway_rest_api', api['name']))
        if aws.apigateway.get_deployments(restApiId=api['id'])['items']:
            found.add(('aws_api_gateway_deployment', api['name']))
        for stage in aws.apigateway.get_stages(restApiId=api['id'])['item']:
            found.add(('aws_api_gateway_stage', (api['name'], stage['stageName'])))
    for rule in aws.events.list_rules()['Rules']:
        found.add(('aws_cloudwatch_event_rule', rule['Name']))
        for target in aws.events.list_targets_by_rule(Rule=rule['Name'])['Targets']:
            found.add(('aws_cloudwatch_event_target',
                       (rule['Name'], target['Id'], last_name(target['Arn']))))
    for subscription in aws.sns.list_subscriptions()['Subscriptions']:
        found.add(('aws_sns_topic_subscription', (last_name(subscription['TopicArn']),
                                                  last_name(subscription['Endpoint']))))
    mappings = aws['lambda'].list_event_source_mappings()['EventSourceMappings']
    for mapping in mappings:
        found.add(('aws_lambda_event_source_mapping', (
            last_name(mapping['EventSourceArn']), last_name(mapping['FunctionArn']),
            mapping['BatchSize'])))
    for bucket in aws.s3.list_buckets()['Buckets']:
        configuration = aws.s3.get_bucket_notification_configuration(Bucket=bucket['Name'])
        entries = configuration.get('LambdaFunctionConfigurations') or []
        if entries:
            found.add(('aws_s3_bucket_notification', (bucket['Name'], tuple(sorted(
                (entry['Id'], last_name(entry['LambdaFunctionArn'])) for entry in entries)))))
    for api in aws.apigatewayv2.get_apis()['Items']:
        name, api_id = api['Name'], api['ApiId']
        found.add(('aws_apigatewayv2_api', name))
        integrations = {item['IntegrationId']: last_name(
            item['IntegrationUri'].replace('/invocations', ''))
            for item in aws.apigatewayv2.get_integrations(ApiId=api_id)['Items']}
        for function in integrations.values():
            found.add(('aws_apigatewayv2_integration', (name, function)))
        for route in aws.apigatewayv2.get_routes(ApiId=api_id)['Items']:
            target = integrations[route['Target'].split('/', 1)[1]]
            found.add(('aws_apigatewayv2_route', (name, route['RouteKey'], target)))
        for authorizer in aws.apigatewayv2.get_authorizers(ApiId=api_id)['Items']:
            found.add(('aws_apigatewayv2_authorizer', (name, authorizer['Name'],
                                                       authorizer['AuthorizerType'])))
        if aws.apigatewayv2.get_deployments(ApiId=api_id)['Items']:
            found.add(('aws_apigatewayv2_deployment', name))
        for stage in aws.apigatewayv2.get_stages(ApiId=api_id)['Items']:
            found.add(('aws_apigatewayv2_stage', (name, stage['StageName'])))
    found |= deployed_domains(aws)
    return found


def deployed_domains(aws):
    found = set()
    rest_names = {api['id']: api['name'] for api in aws.apigateway.get_rest_apis()['items']}
    for domain in aws.apigateway.get_domain_names()['items']:
        name = domain['domainName']
        found.add(('aws_api_gateway_domain_name', (name, domain['securityPolicy'])))
        for mapping in aws.apigateway.get_base_path_mappings(domainName=name)['items']:
            found.add(('aws_api_gateway_base_path_mapping', (
                name, mapping['basePath'], rest_names[mapping['restApiId']], mapping['stage'])))
    ws_names = {api['ApiId']: api['Name'] for api in aws.apigatewayv2.get_apis()['Items']}
    for domain in aws.apigatewayv2.get_domain_names()['Items']:
        name = domain['DomainName']
        found.add(('aws_apigatewayv2_domain_name', (
            name, domain['DomainNameConfigurations'][0]['SecurityPolicy'])))
        for mapping in aws.apigatewayv2.get_api_mappings(DomainName=name)['Items']:
            found.add(('aws_apigatewayv2_api_mapping', (
                name, mapping.get('ApiMappingKey') or '(none)', ws_names[mapping['ApiId']],
                mapping['Stage'])))
    return found


# -- what the configuration declares

class Configuration:
    """The configuration's resources, with references followed to literal names."""

    def __init__(self, document):
        self.by_address = {'%s.%s' % (rtype, label): arguments
                           for rtype, label, arguments in resources(document)}

    def name_of(self, value, attribute):
        """A literal name, or the ``attribute`` of the resource ``value`` refers to."""
        match = re.fullmatch(r'\$\{(\w+\.[\w-]+)\.\w+\}', value)
        if match:
            return self.by_address[match.group(1)][attribute]
        return last_name(value)

    def function(self, value):
        """The name of the function ``value`` refers to (by ARN or by name)."""
        found = re.search(r'\$\{(aws_lambda_function\.[\w-]+)\.(?:arn|function_name)\}', value)
        return self.by_address[found.group(1)]['function_name']

    def identities(self):
        found = set()
        for address, args in self.by_address.items():
            rtype = address.split('.', 1)[0]
            found.add((rtype, self.identity(rtype, args)))
        return found

    def identity(self, rtype, args):
        simple = {'aws_iam_role': 'name', 'aws_lambda_function': 'function_name',
                  'aws_api_gateway_rest_api': 'name', 'aws_cloudwatch_event_rule': 'name',
                  'aws_apigatewayv2_api': 'name', 'aws_lambda_layer_version': 'layer_name'}
        if rtype in simple:
            return args[simple[rtype]]
        if rtype == 'aws_iam_role_policy':
            return (self.name_of(args['role'], 'name'), args['name'])
        if rtype == 'aws_lambda_permission':
            return (self.function(args['function_name']), args['principal'])
        if rtype == 'aws_cloudwatch_log_group':
            return (args['name'], args['retention_in_days'])
        if rtype == 'aws_api_gateway_deployment':
            return self.name_of(args['rest_api_id'], 'name')
        if rtype == 'aws_api_gateway_stage':
            return (self.name_of(args['rest_api_id'], 'name'), args['stage_name'])
        if rtype == 'aws_cloudwatch_event_target':
            return (self.name_of(args['rule'], 'name'), args['target_id'],
                    self.function(args['arn']))
        if rtype == 'aws_sns_topic_subscription':
            return (last_name(args['topic_arn']), self.function(args['endpoint']))
        if rtype == 'aws_lambda_event_source_mapping':
            return (last_name(args['event_source_arn']), self.function(args['function_name']),
                    args['batch_size'])
        if rtype == 'aws_s3_bucket_notification':
            return (args['bucket'], tuple(sorted(
                (entry['id'], self.function(entry['lambda_function_arn']))
                for entry in args['lambda_function'])))
        if rtype == 'aws_apigatewayv2_integration':
            return (self.name_of(args['api_id'], 'name'), self.function(args['integration_uri']))
        if rtype == 'aws_apigatewayv2_route':
            integration = self.by_address[re.search(
                r'(aws_apigatewayv2_integration\.[\w-]+)', args['target']).group(1)]
            return (self.name_of(args['api_id'], 'name'), args['route_key'],
                    self.function(integration['integration_uri']))
        if rtype == 'aws_apigatewayv2_authorizer':
            return (self.name_of(args['api_id'], 'name'), args['name'], args['authorizer_type'])
        if rtype == 'aws_apigatewayv2_deployment':
            return self.name_of(args['api_id'], 'name')
        if rtype == 'aws_apigatewayv2_stage':
            return (self.name_of(args['api_id'], 'name'), args['name'])
        if rtype == 'aws_api_gateway_domain_name':
            return (args['domain_name'], args['security_policy'])
        if rtype == 'aws_api_gateway_base_path_mapping':
            return (self.name_of(args['domain_name'], 'domain_name'),
                    args.get('base_path', '(none)'), self.name_of(args['api_id'], 'name'),
                    self.name_of(args['stage_name'], 'stage_name'))
        if rtype == 'aws_apigatewayv2_domain_name':
            return (args['domain_name'], args['domain_name_configuration']['security_policy'])
        if rtype == 'aws_apigatewayv2_api_mapping':
            return (self.name_of(args['domain_name'], 'domain_name'),
                    args.get('api_mapping_key', '(none)'), self.name_of(args['api_id'], 'name'),
                    self.name_of(args['stage'], 'name'))
        raise AssertionError('no identity for %s' % rtype)


def deploy_and_package(project, env, aws_clients, out):
    """(what deploy made, what the configuration declares), asserted equal."""
    run_ok(project, 'deploy', env)
    deployed = deployed_resources(aws_clients)
    result = run_chalice(project, 'package', '--pkg-format', 'terraform', str(out), env=env)
    assert result.returncode == 0, result.stderr
    document = json.loads((out / 'chalice.tf.json').read_text())
    assert undocumented(document) == []
    assert dangling_references(document) == []
    declared = Configuration(document).identities()
    assert declared == deployed, {'only in terraform': sorted(declared - deployed, key=str),
                                  'only deployed': sorted(deployed - declared, key=str)}
    return declared


def test_terraform_declares_what_deploy_creates(tmp_path, aws_env, aws_clients):
    create_event_sources(aws_clients, topic=TOPIC, queues=[QUEUE], bucket=BUCKET)
    project = make_project(tmp_path, APP, config=CONFIG, app_name=APP_NAME)
    declared = deploy_and_package(project, aws_env, aws_clients, tmp_path / 'terraform')
    # The comparison covers every kind of resource of the app.
    assert {rtype for rtype, _ in declared} == {
        'aws_iam_role', 'aws_iam_role_policy', 'aws_lambda_function', 'aws_lambda_permission',
        'aws_cloudwatch_log_group', 'aws_api_gateway_rest_api', 'aws_api_gateway_deployment',
        'aws_api_gateway_stage', 'aws_cloudwatch_event_rule', 'aws_cloudwatch_event_target',
        'aws_sns_topic_subscription', 'aws_lambda_event_source_mapping',
        'aws_s3_bucket_notification', 'aws_apigatewayv2_api', 'aws_apigatewayv2_integration',
        'aws_apigatewayv2_route', 'aws_apigatewayv2_deployment', 'aws_apigatewayv2_stage',
        'aws_api_gateway_domain_name', 'aws_api_gateway_base_path_mapping',
        'aws_apigatewayv2_domain_name', 'aws_apigatewayv2_api_mapping'}


def test_http_api(tmp_path, aws_env, aws_clients):
    from tests.functional.test_package_http_api import APP as HTTP_API_APP

    config = {'version': '2.0', 'app_name': 'people', 'stages': {'dev': {
        'api_gateway_type': 'HTTP', 'api_gateway_custom_domain': {
            'domain_name': 'people.example.com', 'url_prefixes': ['/', 'v1/people'],
            'certificate_arn': 'arn:aws:acm:%s:123456789012:certificate/people' % REGION}}}}
    project = make_project(tmp_path, HTTP_API_APP, config=config, app_name='people')
    declared = deploy_and_package(project, aws_env, aws_clients, tmp_path / 'terraform')
    assert {rtype for rtype, _ in declared} == {
        'aws_iam_role', 'aws_iam_role_policy', 'aws_lambda_function', 'aws_lambda_permission',
        'aws_apigatewayv2_api', 'aws_apigatewayv2_integration', 'aws_apigatewayv2_route',
        'aws_apigatewayv2_authorizer', 'aws_apigatewayv2_stage',
        'aws_apigatewayv2_domain_name', 'aws_apigatewayv2_api_mapping'}
    assert ('aws_apigatewayv2_stage', ('people', '$default')) in declared
    # The domain's mappings point at the HTTP API's $default stage on both sides.
    assert sorted(i for t, i in declared if t == 'aws_apigatewayv2_api_mapping') == [
        ('people.example.com', '(none)', 'people', '$default'),
        ('people.example.com', 'v1/people', 'people', '$default')]
    assert ('aws_apigatewayv2_authorizer', ('people', 'gatekeeper', 'REQUEST')) in declared


def test_automatic_layer(tmp_path, aws_env, aws_clients):
    wheel_dir = tmp_path / 'wheels'
    build_wheel(wheel_dir, 'tinydep', '1.0', 'ANSWER = 42\n')
    config = {'version': '2.0', 'app_name': 'tflayer', 'automatic_layer': True,
              'stages': {'dev': {'api_gateway_stage': 'api'}}}
    app = 'from chalice import Chalice\n\napp = Chalice(app_name="tflayer")\n\n\n' \
          '@app.lambda_function()\ndef work(event, context):\n    return {}\n'
    project = make_project(tmp_path, app, config=config, requirements='tinydep==1.0\n',
                           app_name='tflayer')
    env = local_pip_env(aws_env, wheel_dir)
    out = tmp_path / 'terraform'
    result = run_chalice(project, 'package', '--pkg-format', 'terraform', str(out), env=env)
    if 'Could not install dependencies' in result.stderr:
        pytest.skip('pip could not install the local wheel offline: %s' % result.stderr)
    declared = deploy_and_package(project, env, aws_clients, out)
    assert ('aws_lambda_layer_version', 'tflayer-dev-managed-layer') in declared
    with zipfile.ZipFile(out / 'layer-deployment.zip') as archive:
        assert archive.read('python/tinydep.py') == b'ANSWER = 42\n'
    with zipfile.ZipFile(out / 'deployment.zip') as archive:
        assert 'tinydep.py' not in archive.namelist()
