"""The SAM template built from the app graph (chalice.deploy.sam), no AWS, no zip."""
import json

import pytest

from chalice import Chalice
from chalice.deploy import cfnyaml
from chalice.deploy.appgraph import build_application
from chalice.deploy.sam import (
    PARTITION,
    REGION,
    build_template,
    deep_merge,
    dump_template,
    load_template_file,
    to_logical_id,
)
from chalice.errors import ChaliceError
from tests.unit.deploy.fakes import make_config, make_package, write_project
from tests.unit.test_batch_failures import reporting_app

TRUST = {'Version': '2012-10-17', 'Statement': [{
    'Sid': '', 'Effect': 'Allow', 'Principal': {'Service': 'lambda.amazonaws.com'},
    'Action': 'sts:AssumeRole'}]}


@pytest.fixture
def project(tmp_path):
    return write_project(tmp_path, app_py='from chalice import Chalice\n')


def template_for(app, project, **disk):
    config = make_config(app, project, **disk)
    package = make_package(project)
    application = build_application(config, package, region=REGION, partition=PARTITION)
    return build_template(application)


def hello_app():
    app = Chalice(app_name='demo')

    @app.route('/')
    def index():
        return {'hello': 'world'}

    return app


def test_logical_ids_are_camel_case():
    assert to_logical_id('my_function') == 'MyFunction'
    assert to_logical_id('default-role') == 'DefaultRole'
    assert to_logical_id('tick-event') == 'TickEvent'
    assert to_logical_id('managed-layer') == 'ManagedLayer'


def test_log_retention_gives_the_function_a_log_group(project):
    template = template_for(hello_app(), project, log_retention_in_days=14)
    assert template['Resources']['APIHandlerLogGroup'] == {
        'Type': 'AWS::Logs::LogGroup',
        'Properties': {'LogGroupName': {'Fn::Sub': '/aws/lambda/${APIHandler}'},
                       'RetentionInDays': 14}}
    assert 'APIHandlerLogGroup' not in template_for(hello_app(), project)['Resources']


def test_hello_world(project):
    template = template_for(hello_app(), project)
    assert template['AWSTemplateFormatVersion'] == '2010-09-09'
    assert template['Transform'] == 'AWS::Serverless-2016-10-31'
    resources = template['Resources']
    assert sorted(resources) == ['APIHandler', 'APIHandlerInvokePermission', 'DefaultRole',
                                 'RestAPI']
    role = resources['DefaultRole']
    assert role['Type'] == 'AWS::IAM::Role'
    assert role['Properties']['AssumeRolePolicyDocument'] == TRUST
    [policy] = role['Properties']['Policies']
    assert policy['PolicyName'] == 'DefaultRolePolicy'
    assert policy['PolicyDocument']['Version'] == '2012-10-17'
    handler = resources['APIHandler']
    assert handler['Type'] == 'AWS::Serverless::Function'
    props = handler['Properties']
    assert props['Handler'] == 'app.app'
    assert props['CodeUri'] == './deployment.zip'
    assert props['Timeout'] == 60
    assert props['MemorySize'] == 128
    assert props['Role'] == {'Fn::GetAtt': ['DefaultRole', 'Arn']}
    assert props['Runtime'].startswith('python3.')
    assert props['Tags']['aws-chalice'].endswith(':stage=dev:app=demo')
    # The defaults are written, as AWS Chalice writes them.
    assert props['Tracing'] == 'PassThrough'
    assert props['Architectures'] == ['x86_64']
    assert 'Environment' not in props and 'Events' not in props
    assert 'EphemeralStorage' not in props and 'Layers' not in props
    api = resources['RestAPI']
    assert api['Type'] == 'AWS::Serverless::Api'
    assert api['Properties']['StageName'] == 'api'
    assert api['Properties']['EndpointConfiguration'] == 'EDGE'
    body = api['Properties']['DefinitionBody']
    assert body['paths']['/']['get']['x-amazon-apigateway-integration']['uri'] == {
        'Fn::Sub': 'arn:${AWS::Partition}:apigateway:${AWS::Region}:lambda:path/'
                   '2015-03-31/functions/${APIHandler.Arn}/invocations'}
    assert resources['APIHandlerInvokePermission'] == {
        'Type': 'AWS::Lambda::Permission',
        'Properties': {
            'FunctionName': {'Ref': 'APIHandler'},
            'Action': 'lambda:InvokeFunction',
            'Principal': 'apigateway.amazonaws.com',
            # The list form of Fn::Sub with a variable, as AWS Chalice writes it.
            'SourceArn': {'Fn::Sub': [
                'arn:${AWS::Partition}:execute-api:${AWS::Region}:${AWS::AccountId}:'
                '${RestAPIId}/*', {'RestAPIId': {'Ref': 'RestAPI'}}]}}}
    assert list(template['Outputs']) == ['RestAPIId', 'APIHandlerName', 'APIHandlerArn',
                                         'EndpointURL']
    assert template['Outputs']['RestAPIId'] == {'Value': {'Ref': 'RestAPI'}}
    assert template['Outputs']['APIHandlerName'] == {'Value': {'Ref': 'APIHandler'}}
    assert template['Outputs']['APIHandlerArn'] == {
        'Value': {'Fn::GetAtt': ['APIHandler', 'Arn']}}
    assert template['Outputs']['EndpointURL'] == {'Value': {'Fn::Sub': (
        'https://${RestAPI}.execute-api.${AWS::Region}.${AWS::URLSuffix}/api/')}}
    # Nothing region-specific leaks in as a literal.
    assert 'us-west-2' not in json.dumps(template)


def test_pure_lambdas_and_function_settings(project):
    app = Chalice(app_name='demo')

    @app.lambda_function()
    def my_function(event, context):
        pass

    @app.lambda_function(name='other-name')
    def other(event, context):
        pass

    template = template_for(app, project, environment_variables={'FOO': 'bar'},
                            lambda_memory_size=256, lambda_timeout=30,
                            reserved_concurrency=3, xray=True,
                            subnet_ids=['sn-1'], security_group_ids=['sg-1'])
    resources = template['Resources']
    assert sorted(resources) == ['DefaultRole', 'MyFunction', 'OtherName']
    props = resources['MyFunction']['Properties']
    assert props['Handler'] == 'app.my_function'
    assert props['Environment'] == {'Variables': {'FOO': 'bar'}}
    assert (props['MemorySize'], props['Timeout']) == (256, 30)
    assert props['ReservedConcurrentExecutions'] == 3
    assert props['Tracing'] == 'Active'
    assert props['VpcConfig'] == {'SubnetIds': ['sn-1'], 'SecurityGroupIds': ['sg-1']}
    # No API: the outputs are empty but there, as in AWS Chalice's template.
    assert template['Outputs'] == {}
    assert 'RestAPI' not in resources


def test_precreated_role_is_the_arn(project):
    arn = 'arn:aws:iam::123456789012:role/mine'
    template = template_for(hello_app(), project, manage_iam_role=False, iam_role_arn=arn)
    assert 'DefaultRole' not in template['Resources']
    assert template['Resources']['APIHandler']['Properties']['Role'] == arn


def test_schedule_and_cloudwatch_events_attach_to_the_function(project):
    app = Chalice(app_name='demo')

    @app.schedule('rate(1 hour)', description='hourly')
    def tick(event):
        pass

    @app.on_cw_event({'source': ['aws.ec2']})
    def watch(event):
        pass

    resources = template_for(app, project)['Resources']
    assert resources['Tick']['Properties']['Events'] == {'TickEvent': {
        'Type': 'Schedule',
        'Properties': {'Schedule': 'rate(1 hour)', 'Description': 'hourly'}}}
    assert resources['Watch']['Properties']['Events'] == {'WatchEvent': {
        'Type': 'CloudWatchEvent', 'Properties': {'Pattern': {'source': ['aws.ec2']}}}}
    assert resources['Tick']['Properties']['Handler'] == 'app.tick'


def test_sns_topic_name_is_in_the_stack_region_and_an_arn_names_its_region(project):
    app = Chalice(app_name='demo')

    @app.on_sns_message(topic='mytopic')
    def by_name(event):
        pass

    @app.on_sns_message(topic='arn:aws:sns:eu-west-1:123456789012:other')
    def by_arn(event):
        pass

    resources = template_for(app, project)['Resources']
    assert resources['ByName']['Properties']['Events'] == {'ByNameSnsSubscription': {
        'Type': 'SNS', 'Properties': {'Topic': {
            'Fn::Sub': 'arn:${AWS::Partition}:sns:${AWS::Region}:${AWS::AccountId}:mytopic'}}}}
    # The ARN's region goes to the event's Region: CloudFormation then
    # subscribes in the topic's region, whatever the stack's region is.
    assert resources['ByArn']['Properties']['Events']['ByArnSnsSubscription'][
        'Properties'] == {'Topic': 'arn:aws:sns:eu-west-1:123456789012:other',
                          'Region': 'eu-west-1'}


def test_sqs_kinesis_dynamodb_events(project):
    app = Chalice(app_name='demo')
    stream_arn = 'arn:aws:dynamodb:us-west-2:123456789012:table/t/stream/2020'

    @app.on_sqs_message(queue='myq', batch_size=5, maximum_batching_window_in_seconds=10)
    def queue_handler(event):
        pass

    @app.on_kinesis_record(stream='mystream', starting_position='TRIM_HORIZON')
    def kin(event):
        pass

    @app.on_dynamodb_record(stream_arn=stream_arn)
    def ddb(event):
        pass

    resources = template_for(app, project)['Resources']
    assert resources['QueueHandler']['Properties']['Events'] == {
        'QueueHandlerSqsEventSource': {'Type': 'SQS', 'Properties': {
            'Queue': {'Fn::Sub': 'arn:${AWS::Partition}:sqs:${AWS::Region}:'
                                 '${AWS::AccountId}:myq'},
            'BatchSize': 5, 'MaximumBatchingWindowInSeconds': 10}}}
    assert resources['Kin']['Properties']['Events'] == {
        'KinKinesisEventSource': {'Type': 'Kinesis', 'Properties': {
            'Stream': {'Fn::Sub': 'arn:${AWS::Partition}:kinesis:${AWS::Region}:'
                                  '${AWS::AccountId}:stream/mystream'},
            'BatchSize': 100, 'MaximumBatchingWindowInSeconds': 0,
            'StartingPosition': 'TRIM_HORIZON'}}}
    # The batching window is written when it is 0, as AWS Chalice does.
    assert resources['Ddb']['Properties']['Events'] == {
        'DdbDynamodbEventSource': {'Type': 'DynamoDB', 'Properties': {
            'Stream': stream_arn, 'BatchSize': 100, 'MaximumBatchingWindowInSeconds': 0,
            'StartingPosition': 'LATEST'}}}
    # The polling permissions are on the role chalice generates.
    statements = resources['DefaultRole']['Properties']['Policies'][0][
        'PolicyDocument']['Statement']
    assert any('sqs:ReceiveMessage' in s['Action'] for s in statements)


def websocket_app(*kinds):
    """An app with the websocket handlers named (``connect``, ``message``, ``disconnect``)."""
    app = Chalice(app_name='demo')
    app.experimental_feature_flags.update(['WEBSOCKETS'])
    for kind in kinds:
        def handler(event):
            pass
        handler.__name__ = kind
        getattr(app, 'on_ws_' + kind)()(handler)
    return app


def test_websocket_app(project):
    template = template_for(websocket_app('connect', 'message', 'disconnect'), project)
    resources = template['Resources']
    assert sorted(resources) == sorted([
        'DefaultRole', 'WebsocketConnect', 'WebsocketMessage', 'WebsocketDisconnect',
        'WebsocketAPI', 'WebsocketConnectAPIIntegration', 'WebsocketConnectRoute',
        'WebsocketMessageAPIIntegration', 'WebsocketMessageRoute',
        'WebsocketDisconnectAPIIntegration', 'WebsocketDisconnectRoute',
        'WebsocketConnectInvokePermission', 'WebsocketMessageInvokePermission',
        'WebsocketDisconnectInvokePermission', 'WebsocketAPIDeployment',
        'WebsocketAPIStage'])
    assert resources['WebsocketConnect']['Properties']['Handler'] == 'app.connect'
    assert resources['WebsocketAPI']['Properties'] == {
        'Name': 'demo-dev-websocket-api', 'ProtocolType': 'WEBSOCKET',
        'RouteSelectionExpression': '$request.body.action'}
    # AWS Chalice's logical ids (<handler>APIIntegration) and route properties:
    # no RouteResponseSelectionExpression, which without a route response
    # changes nothing.
    assert resources['WebsocketMessageRoute']['Properties'] == {
        'ApiId': {'Ref': 'WebsocketAPI'}, 'RouteKey': '$default',
        'Target': {'Fn::Join': ['/', ['integrations',
                                      {'Ref': 'WebsocketMessageAPIIntegration'}]]}}
    # The integration as AWS Chalice writes it: no Description, the URI made
    # from the function's name.
    assert resources['WebsocketConnectAPIIntegration']['Properties'] == {
        'ApiId': {'Ref': 'WebsocketAPI'}, 'IntegrationType': 'AWS_PROXY',
        'ConnectionType': 'INTERNET', 'ContentHandlingStrategy': 'CONVERT_TO_TEXT',
        'IntegrationUri': {'Fn::Sub': [
            'arn:${AWS::Partition}:apigateway:${AWS::Region}:lambda:path/2015-03-31/'
            'functions/arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:'
            'function:${WebsocketHandler}/invocations',
            {'WebsocketHandler': {'Ref': 'WebsocketConnect'}}]}}
    for kind in ('Connect', 'Message', 'Disconnect'):
        assert resources['Websocket%sInvokePermission' % kind]['Properties'] == {
            'FunctionName': {'Ref': 'Websocket' + kind}, 'Action': 'lambda:InvokeFunction',
            'Principal': 'apigateway.amazonaws.com',
            'SourceArn': {'Fn::Sub': [
                'arn:${AWS::Partition}:execute-api:${AWS::Region}:${AWS::AccountId}:'
                '${WebsocketAPIId}/*', {'WebsocketAPIId': {'Ref': 'WebsocketAPI'}}]}}
    assert sorted(resources['WebsocketAPIDeployment']['DependsOn']) == [
        'WebsocketConnectRoute', 'WebsocketDisconnectRoute', 'WebsocketMessageRoute']
    assert resources['WebsocketAPIStage']['Properties']['StageName'] == 'api'
    assert template['Outputs']['WebsocketConnectEndpointURL'] == {'Value': {'Fn::Sub': (
        'wss://${WebsocketAPI}.execute-api.${AWS::Region}.${AWS::URLSuffix}/api/')}}
    assert template['Outputs']['WebsocketAPIId'] == {'Value': {'Ref': 'WebsocketAPI'}}



def test_websocket_outputs_name_each_handler(project):
    """Like Chalice 1.34, the template outputs each websocket handler's name and ARN."""
    outputs = template_for(websocket_app('connect', 'message'), project)['Outputs']
    assert sorted(outputs) == [
        'WebsocketAPIId', 'WebsocketConnectEndpointURL', 'WebsocketConnectHandlerArn',
        'WebsocketConnectHandlerName', 'WebsocketMessageHandlerArn',
        'WebsocketMessageHandlerName']
    assert outputs['WebsocketConnectHandlerArn'] == {
        'Value': {'Fn::GetAtt': ['WebsocketConnect', 'Arn']}}
    assert outputs['WebsocketConnectHandlerName'] == {'Value': {'Ref': 'WebsocketConnect'}}
    assert outputs['WebsocketMessageHandlerArn'] == {
        'Value': {'Fn::GetAtt': ['WebsocketMessage', 'Arn']}}
    assert outputs['WebsocketMessageHandlerName'] == {'Value': {'Ref': 'WebsocketMessage'}}

def test_authorizer_app(project):
    app = Chalice(app_name='demo')

    @app.authorizer()
    def my_auth(auth_request):
        pass

    @app.route('/private', authorizer=my_auth)
    def private():
        return {}

    resources = template_for(app, project)['Resources']
    assert resources['MyAuth']['Properties']['Handler'] == 'app.my_auth'
    definition = resources['RestAPI']['Properties']['DefinitionBody']
    settings = definition['securityDefinitions']['my_auth']['x-amazon-apigateway-authorizer']
    assert settings['authorizerUri'] == {
        'Fn::Sub': 'arn:${AWS::Partition}:apigateway:${AWS::Region}:lambda:path/'
                   '2015-03-31/functions/${MyAuth.Arn}/invocations'}
    # No ttl_seconds: no authorizerResultTtlInSeconds (API Gateway's default
    # of 300 s applies), as in AWS Chalice's template.
    assert 'authorizerResultTtlInSeconds' not in settings
    # Our narrower /authorizers/* in AWS Chalice's form of Fn::Sub; the
    # authorizer named by its ARN, as AWS Chalice names it.
    assert resources['MyAuthInvokePermission']['Properties']['SourceArn'] == {
        'Fn::Sub': ['arn:${AWS::Partition}:execute-api:${AWS::Region}:${AWS::AccountId}:'
                    '${RestAPIId}/authorizers/*', {'RestAPIId': {'Ref': 'RestAPI'}}]}
    assert resources['MyAuthInvokePermission']['Properties']['FunctionName'] == {
        'Fn::GetAtt': ['MyAuth', 'Arn']}
    assert resources['APIHandlerInvokePermission']['Properties']['FunctionName'] == {
        'Ref': 'APIHandler'}


@pytest.mark.parametrize('ttl', [0, 60, 300])
def test_authorizer_ttl_is_written_when_given(project, ttl):
    app = Chalice(app_name='demo')

    @app.authorizer(ttl_seconds=ttl)
    def my_auth(auth_request):
        pass

    @app.route('/private', authorizer=my_auth)
    def private():
        return {}

    definition = template_for(app, project)['Resources']['RestAPI']['Properties'][
        'DefinitionBody']
    settings = definition['securityDefinitions']['my_auth']['x-amazon-apigateway-authorizer']
    # After the URI, as AWS Chalice orders them.
    assert list(settings) == ['type', 'authorizerUri', 'authorizerResultTtlInSeconds']
    assert settings['authorizerResultTtlInSeconds'] == ttl


def test_function_defaults_and_settings_as_aws_chalice_orders_them(project):
    app = Chalice(app_name='demo')

    @app.lambda_function()
    def worker(event, context):
        pass

    props = template_for(app, project, xray=True, lambda_architecture='arm64',
                         environment_variables={'FOO': 'bar'}, reserved_concurrency=2,
                         layers=['arn:aws:lambda:us-west-2:123456789012:layer:x:1'],
                         subnet_ids=['sn-1'], security_group_ids=['sg-1'])[
        'Resources']['Worker']['Properties']
    assert props['Tracing'] == 'Active'
    assert props['Architectures'] == ['arm64']
    assert list(props) == ['Runtime', 'Handler', 'CodeUri', 'Tags', 'Tracing', 'Timeout',
                           'MemorySize', 'Architectures', 'Environment', 'VpcConfig',
                           'ReservedConcurrentExecutions', 'Layers', 'Role']


def test_managed_layer_has_its_name(project):
    app = Chalice(app_name='demo')

    @app.lambda_function()
    def worker(event, context):
        pass

    config = make_config(app, project, automatic_layer=True)
    package = make_package(project)
    layer = make_package(project, name='layer-deployment.zip')
    application = build_application(config, package, layer, region=REGION,
                                    partition=PARTITION)
    resources = build_template(application)['Resources']
    assert resources['ManagedLayer']['Properties'] == {
        'CompatibleRuntimes': [resources['Worker']['Properties']['Runtime']],
        'CompatibleArchitectures': ['x86_64'],
        'ContentUri': './layer-deployment.zip',
        'LayerName': 'demo-dev-managed-layer'}


def test_minimum_compression_size_is_the_api_property(project):
    api = template_for(hello_app(), project, minimum_compression_size=1024)[
        'Resources']['RestAPI']['Properties']
    # SAM's MinimumCompressionSize, as AWS Chalice writes it, not the extension.
    assert api['MinimumCompressionSize'] == 1024
    assert 'x-amazon-apigateway-minimum-compression-size' not in api['DefinitionBody']
    plain = template_for(hello_app(), project)['Resources']['RestAPI']['Properties']
    assert 'MinimumCompressionSize' not in plain


def test_s3_events_cannot_be_packaged(project):
    app = Chalice(app_name='demo')

    @app.on_s3_event(bucket='my-bucket')
    def on_upload(event):
        pass

    with pytest.raises(ChaliceError, match='on_s3_event cannot be packaged') as raised:
        template_for(app, project)
    assert raised.value.exit_code == 2


def test_deep_merge_merges_dicts_and_replaces_the_rest():
    base = {'Resources': {'APIHandler': {'Properties': {'Timeout': 60, 'Layers': ['a']}}}}
    deep_merge(base, {'Resources': {
        'APIHandler': {'Properties': {'Layers': ['b'],
                                      'Environment': {'Variables': {'X': '1'}}}},
        'Table': {'Type': 'AWS::DynamoDB::Table'}}})
    assert base == {'Resources': {
        'APIHandler': {'Properties': {'Timeout': 60, 'Layers': ['b'],
                                      'Environment': {'Variables': {'X': '1'}}}},
        'Table': {'Type': 'AWS::DynamoDB::Table'}}}


def test_merge_template_files(tmp_path):
    json_file = tmp_path / 'extras.json'
    json_file.write_text('{"Resources": {"T": {"Type": "AWS::SNS::Topic"}}}')
    assert load_template_file(str(json_file)) == {
        'Resources': {'T': {'Type': 'AWS::SNS::Topic'}}}
    yaml_file = tmp_path / 'extras.yaml'
    yaml_file.write_text('Resources:\n  F:\n    Properties:\n      Environment:\n'
                         '        Variables:\n          T: !Ref T\n'
                         '          A: !GetAtt T.TopicName\n')
    assert load_template_file(str(yaml_file)) == {'Resources': {'F': {'Properties': {
        'Environment': {'Variables': {'T': {'Ref': 'T'},
                                      'A': {'Fn::GetAtt': ['T', 'TopicName']}}}}}}}
    with pytest.raises(ChaliceError, match='Cannot read the merge template'):
        load_template_file(str(tmp_path / 'missing.json'))
    bad = tmp_path / 'bad.json'
    bad.write_text('{not json')
    with pytest.raises(ChaliceError, match='not valid JSON or YAML') as raised:
        load_template_file(str(bad))
    assert '\n' not in str(raised.value)
    listing = tmp_path / 'list.yaml'
    listing.write_text('- 1\n')
    with pytest.raises(ChaliceError, match='must contain'):
        load_template_file(str(listing))


def test_yaml_dump_round_trips(project):
    template = template_for(hello_app(), project)
    text = dump_template(template, 'yaml')
    assert cfnyaml.load(text) == template
    assert "Role: !GetAtt 'DefaultRole.Arn'" in text
    assert json.loads(dump_template(template)) == template


def test_report_batch_item_failures_sets_function_response_types(project):
    app = reporting_app()
    resources = template_for(app, project)['Resources']
    for function, event in (('QueueHandler', 'QueueHandlerSqsEventSource'),
                            ('Kin', 'KinKinesisEventSource'),
                            ('Ddb', 'DdbDynamodbEventSource')):
        properties = resources[function]['Properties']['Events'][event]['Properties']
        assert properties['FunctionResponseTypes'] == ['ReportBatchItemFailures']
    plain_properties = resources['Plain']['Properties']['Events'][
        'PlainSqsEventSource']['Properties']
    assert 'FunctionResponseTypes' not in plain_properties


def test_xray_traces_the_rest_api_stage(project):
    resources = template_for(hello_app(), project, xray=True)['Resources']
    assert resources['RestAPI']['Properties']['TracingEnabled'] is True
    assert resources['APIHandler']['Properties']['Tracing'] == 'Active'
    untraced = template_for(hello_app(), project)['Resources']
    assert 'TracingEnabled' not in untraced['RestAPI']['Properties']


def test_only_functions_are_tagged(project):
    # tags (and the aws-chalice tag) go on the Lambda functions only (001:L1181-1185).
    resources = template_for(hello_app(), project, tags={'team': 'blue'})['Resources']
    assert resources['APIHandler']['Properties']['Tags']['team'] == 'blue'
    for logical_id in ('RestAPI', 'DefaultRole', 'APIHandlerInvokePermission'):
        assert 'Tags' not in resources[logical_id]['Properties'], logical_id


def test_reserved_concurrency_zero_is_written(project):
    resources = template_for(hello_app(), project, reserved_concurrency=0)['Resources']
    assert resources['APIHandler']['Properties']['ReservedConcurrentExecutions'] == 0
    untouched = template_for(hello_app(), project)['Resources']['APIHandler']['Properties']
    assert 'ReservedConcurrentExecutions' not in untouched


def test_cdk_chalice_stage_config_shape(project):
    """The stage config cdk-chalice writes (004): per-function api_handler settings."""
    arn = 'arn:aws:iam::123456789012:role/cdk-made-role'
    stage_config = {
        'api_gateway_stage': 'v1',
        'lambda_functions': {'api_handler': {
            'manage_iam_role': False, 'iam_role_arn': arn,
            'environment_variables': {'DYNAMODB_TABLE_NAME': 'tbl'},
            'lambda_memory_size': 256, 'lambda_timeout': 10}},
    }
    template = template_for(hello_app(), project, stages={'dev-stack': stage_config})
    # The stage named in the config is not this one: nothing of it applies.
    assert template['Resources']['APIHandler']['Properties']['MemorySize'] == 128
    config = make_config(hello_app(), project, stage='dev-stack',
                         stages={'dev-stack': stage_config})
    application = build_application(config, make_package(project), region=REGION,
                                     partition=PARTITION)
    template = build_template(application)
    resources = template['Resources']
    assert 'DefaultRole' not in resources
    props = resources['APIHandler']['Properties']
    assert props['Role'] == arn
    assert props['Environment'] == {'Variables': {'DYNAMODB_TABLE_NAME': 'tbl'}}
    assert (props['MemorySize'], props['Timeout']) == (256, 10)
    assert resources['RestAPI']['Properties']['StageName'] == 'v1'
    assert props['Tags']['aws-chalice'].endswith(':stage=dev-stack:app=demo')


@pytest.mark.parametrize('vpce, source', [('vpce-1', 'vpce-1'),
                                          (['vpce-1'], ['vpce-1']),
                                          (['vpce-1', 'vpce-2'], ['vpce-1', 'vpce-2'])])
def test_private_api_policy_and_endpoints_as_aws_chalice_writes_them(project, vpce, source):
    body = template_for(hello_app(), project, api_gateway_endpoint_type='PRIVATE',
                        api_gateway_endpoint_vpce=vpce)['Resources']['RestAPI'][
        'Properties']['DefinitionBody']
    [statement] = body['x-amazon-apigateway-policy']['Statement']
    assert statement['Resource'] == 'arn:*:execute-api:*:*:*'
    assert statement['Condition'] == {'StringEquals': {'aws:SourceVpce': source}}
    assert body['x-amazon-apigateway-endpoint-configuration'] == {
        'vpcEndpointIds': [vpce] if isinstance(vpce, str) else vpce}
