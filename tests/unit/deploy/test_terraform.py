"""The Terraform configuration built from the app graph (chalice.deploy.terraform).

No AWS, no zip, no terraform binary: the resources and their arguments are
checked against the AWS provider's documented arguments and attributes
(tests/terraform_checks.py) and every reference must name something the
configuration declares.
"""
import json

import pytest

from chalice import Chalice
from chalice.deploy.appgraph import build_application
from chalice.deploy.naming import TF_PARTITION, TF_REGION, tf_arguments, tf_name, tf_text
from chalice.deploy.terraform import build_configuration, merge
from tests.terraform_checks import dangling_references, resources, undocumented
from tests.unit.deploy.fakes import make_config, make_package, write_project
from tests.unit.deploy.test_sam import hello_app
from tests.unit.test_batch_failures import reporting_app

PARTITION_REF = '${data.aws_partition.chalice.partition}'
REGION_REF = '${data.aws_region.chalice.name}'
ACCOUNT_REF = '${data.aws_caller_identity.chalice.account_id}'


@pytest.fixture
def project(tmp_path):
    return write_project(tmp_path, app_py='from chalice import Chalice\n')


def configuration_for(app, project, layer=False, **disk):
    config = make_config(app, project, **disk)
    package = make_package(project)
    layer_package = make_package(project, name='layer-deployment.zip') if layer else None
    application = build_application(config, package, layer_package, region=TF_REGION,
                                     partition=TF_PARTITION)
    document = build_configuration(application)
    assert undocumented(document) == []
    assert dangling_references(document) == []
    # What Terraform reads is JSON: the document must be plain data.
    assert json.loads(json.dumps(document)) == document
    return document


def resource(document, rtype, label):
    return document['resource'][rtype][label]


def test_naming_helpers():
    assert tf_name('default-role') == 'default-role'
    assert tf_name('my.bucket') == 'my_bucket'
    assert tf_name('9lives') == '_9lives'
    assert tf_text('plain') == 'plain'
    assert tf_text('${HOME} and %{if x}') == '$${HOME} and %%{if x}'
    assert tf_text('arn:%s:x:%s' % (PARTITION_REF, REGION_REF)) == \
        'arn:%s:x:%s' % (PARTITION_REF, REGION_REF)
    assert tf_arguments({'MemorySize': 1, 'VpcConfig': {'SubnetIds': ['a']},
                         'Environment': {'Variables': {'MyVar': 'x'}},
                         'Tags': {'CostCenter': 'y'}}) == {
        'memory_size': 1, 'vpc_config': {'subnet_ids': ['a']},
        'environment': {'variables': {'MyVar': 'x'}}, 'tags': {'CostCenter': 'y'}}


def test_fragments_merge_objects_and_append_lists():
    base = {'resource': {'a': {'x': {'list': [1]}}}}
    merge(base, {'resource': {'a': {'x': {'list': [2], 'k': 'v'}}, 'b': {}}})
    assert base == {'resource': {'a': {'x': {'list': [1, 2], 'k': 'v'}}, 'b': {}}}


def test_hello_world(project):
    document = configuration_for(hello_app(), project)
    assert document['terraform'] == {'required_providers': {
        'aws': {'source': 'hashicorp/aws', 'version': '>= 3.61.0'},
        'null': {'source': 'hashicorp/null'}}}
    assert document['data']['aws_region'] == {'chalice': {}}
    assert document['data']['aws_caller_identity'] == {'chalice': {}}
    assert document['data']['null_data_source'] == {
        'chalice': {'inputs': {'app': 'demo', 'stage': 'dev'}}}
    assert sorted((rtype, label) for rtype, label, _ in resources(document)) == [
        ('aws_api_gateway_deployment', 'rest_api'),
        ('aws_api_gateway_rest_api', 'rest_api'),
        ('aws_api_gateway_stage', 'rest_api'),
        ('aws_iam_role', 'default-role'),
        ('aws_iam_role_policy', 'default-role'),
        ('aws_lambda_function', 'api_handler'),
        ('aws_lambda_permission', 'rest_api_invoke'),
    ]
    role = resource(document, 'aws_iam_role', 'default-role')
    assert role['name'] == 'demo-dev'
    assert json.loads(role['assume_role_policy'])['Statement'][0]['Principal'] == {
        'Service': 'lambda.amazonaws.com'}
    policy = resource(document, 'aws_iam_role_policy', 'default-role')
    assert policy['role'] == '${aws_iam_role.default-role.id}'
    assert json.loads(policy['policy'])['Version'] == '2012-10-17'
    handler = resource(document, 'aws_lambda_function', 'api_handler')
    assert handler['function_name'] == 'demo-dev'
    assert handler['handler'] == 'app.app'
    assert handler['runtime'].startswith('python3.')
    assert handler['role'] == '${aws_iam_role.default-role.arn}'
    assert (handler['memory_size'], handler['timeout']) == (128, 60)
    assert handler['filename'] == '${path.module}/deployment.zip'
    assert handler['source_code_hash'] == \
        '${filebase64sha256("${path.module}/deployment.zip")}'
    assert handler['architectures'] == ['x86_64']
    assert handler['tags']['aws-chalice'].endswith(':stage=dev:app=demo')
    assert not {'environment', 'vpc_config', 'layers', 'tracing_config',
                'ephemeral_storage', 'reserved_concurrent_executions'} & set(handler)
    api = resource(document, 'aws_api_gateway_rest_api', 'rest_api')
    assert api['name'] == 'demo'
    assert api['endpoint_configuration'] == {'types': ['EDGE']}
    # The definition is the local AWS Chalice names chalice_api_swagger.
    assert api['body'] == '${local.chalice_api_swagger}'
    body = json.loads(document['locals']['chalice_api_swagger'])
    assert body['paths']['/']['get']['x-amazon-apigateway-integration']['uri'] == (
        'arn:%s:apigateway:%s:lambda:path/2015-03-31/functions/'
        '${aws_lambda_function.api_handler.arn}/invocations' % (PARTITION_REF, REGION_REF))
    assert 'policy' not in api and 'minimum_compression_size' not in api
    deployment = resource(document, 'aws_api_gateway_deployment', 'rest_api')
    assert deployment['rest_api_id'] == '${aws_api_gateway_rest_api.rest_api.id}'
    assert deployment['triggers'] == {
        'redeployment': '${sha1(aws_api_gateway_rest_api.rest_api.body)}'}
    assert deployment['lifecycle'] == {'create_before_destroy': True}
    stage = resource(document, 'aws_api_gateway_stage', 'rest_api')
    assert stage == {'rest_api_id': '${aws_api_gateway_rest_api.rest_api.id}',
                     'deployment_id': '${aws_api_gateway_deployment.rest_api.id}',
                     'stage_name': 'api'}
    assert resource(document, 'aws_lambda_permission', 'rest_api_invoke') == {
        'function_name': '${aws_lambda_function.api_handler.arn}',
        'action': 'lambda:InvokeFunction',
        'principal': 'apigateway.amazonaws.com',
        'source_arn': '${aws_api_gateway_rest_api.rest_api.execution_arn}/*'}
    assert document['output'] == {
        'EndpointURL': {'value': '${aws_api_gateway_stage.rest_api.invoke_url}'},
        'RestAPIId': {'value': '${aws_api_gateway_rest_api.rest_api.id}'}}
    assert 'us-west-2' not in json.dumps(document)


def test_function_settings_layers_and_log_retention(project):
    app = Chalice(app_name='demo')

    @app.lambda_function()
    def my_function(event, context):
        pass

    document = configuration_for(
        app, project, layer=True, environment_variables={'FOO': 'bar', 'RAW': '${not_tf}'},
        lambda_memory_size=256, lambda_timeout=30, reserved_concurrency=3, xray=True,
        subnet_ids=['sn-1'], security_group_ids=['sg-1'], lambda_ephemeral_storage=1024,
        log_retention_in_days=14, automatic_layer=True,
        layers=['arn:aws:lambda:us-west-2:123456789012:layer:theirs:1'])
    function = resource(document, 'aws_lambda_function', 'my_function')
    assert function['function_name'] == 'demo-dev-my_function'
    assert function['handler'] == 'app.my_function'
    # A user's "${" is literal text for Terraform.
    assert function['environment'] == {'variables': {'FOO': 'bar', 'RAW': '$${not_tf}'}}
    assert (function['memory_size'], function['timeout']) == (256, 30)
    assert function['reserved_concurrent_executions'] == 3
    assert function['tracing_config'] == {'mode': 'Active'}
    assert function['vpc_config'] == {'subnet_ids': ['sn-1'], 'security_group_ids': ['sg-1']}
    assert function['ephemeral_storage'] == {'size': 1024}
    assert function['layers'] == ['arn:aws:lambda:us-west-2:123456789012:layer:theirs:1',
                                  '${aws_lambda_layer_version.managed-layer.arn}']
    assert function['depends_on'] == ['aws_cloudwatch_log_group.my_function']
    assert resource(document, 'aws_cloudwatch_log_group', 'my_function') == {
        'name': '/aws/lambda/demo-dev-my_function', 'retention_in_days': 14}
    layer = resource(document, 'aws_lambda_layer_version', 'managed-layer')
    assert layer == {
        'layer_name': 'demo-dev-managed-layer',
        'filename': '${path.module}/layer-deployment.zip',
        'source_code_hash': '${filebase64sha256("${path.module}/layer-deployment.zip")}',
        'compatible_runtimes': [function['runtime']],
        'compatible_architectures': ['x86_64']}
    policy = json.loads(resource(document, 'aws_iam_role_policy', 'default-role')['policy'])
    assert any('ec2:CreateNetworkInterface' in s['Action'] for s in policy['Statement'])
    assert 'output' not in document


def test_precreated_role_is_the_arn(project):
    arn = 'arn:aws:iam::123456789012:role/mine'
    document = configuration_for(hello_app(), project, manage_iam_role=False,
                                 iam_role_arn=arn)
    assert 'aws_iam_role' not in document['resource']
    assert resource(document, 'aws_lambda_function', 'api_handler')['role'] == arn


def test_rest_api_settings_and_authorizers(project):
    app = Chalice(app_name='demo')
    app.api.binary_types.append('application/x-custom')

    @app.authorizer()
    def my_auth(auth_request):
        pass

    @app.route('/private', authorizer=my_auth, cors=True)
    def private():
        return {}

    document = configuration_for(app, project, api_gateway_endpoint_type='PRIVATE',
                                 api_gateway_endpoint_vpce='vpce-123',
                                 minimum_compression_size=1024, api_gateway_stage='v1')
    api = resource(document, 'aws_api_gateway_rest_api', 'rest_api')
    assert api['endpoint_configuration'] == {'types': ['PRIVATE']}
    assert 'application/x-custom' in api['binary_media_types']
    assert api['minimum_compression_size'] == 1024
    policy = json.loads(api['policy'])
    assert policy['Statement'][0]['Condition'] == {
        'StringEquals': {'aws:SourceVpce': 'vpce-123'}}
    body = json.loads(document['locals']['chalice_api_swagger'])
    assert body['x-amazon-apigateway-policy'] == policy
    assert body['x-amazon-apigateway-minimum-compression-size'] == 1024
    authorizer = body['securityDefinitions']['my_auth']['x-amazon-apigateway-authorizer']
    assert authorizer['authorizerUri'].endswith(
        'functions/${aws_lambda_function.my_auth.arn}/invocations')
    assert 'options' in body['paths']['/private']
    # AWS Chalice's label, our narrower ARN (only the authorizers may invoke it).
    grant = resource(document, 'aws_lambda_permission', 'my_auth_invoke')
    assert grant['function_name'] == '${aws_lambda_function.my_auth.arn}'
    assert grant['source_arn'] == '${aws_api_gateway_rest_api.rest_api.execution_arn}' \
        '/authorizers/*'
    assert resource(document, 'aws_api_gateway_stage', 'rest_api')['stage_name'] == 'v1'


def test_event_rules_subscriptions_and_mappings(project):
    app = Chalice(app_name='demo')
    stream_arn = 'arn:aws:dynamodb:us-west-2:123456789012:table/t/stream/2020'

    @app.schedule('rate(1 hour)', description='hourly')
    def tick(event):
        pass

    @app.on_cw_event({'source': ['aws.ec2']})
    def watch(event):
        pass

    @app.on_sns_message(topic='mytopic')
    def by_name(event):
        pass

    @app.on_sqs_message(queue='myq', batch_size=5, maximum_batching_window_in_seconds=10,
                        maximum_concurrency=4)
    def queue_handler(event):
        pass

    @app.on_kinesis_record(stream='mystream', starting_position='TRIM_HORIZON')
    def kin(event):
        pass

    @app.on_dynamodb_record(stream_arn=stream_arn)
    def ddb(event):
        pass

    document = configuration_for(app, project)
    # Names come from the models: the rule is named as chalice deploy names it.
    rule = resource(document, 'aws_cloudwatch_event_rule', 'tick-event')
    assert rule == {'name': 'demo-dev-tick-event', 'schedule_expression': 'rate(1 hour)',
                    'description': 'hourly'}
    assert resource(document, 'aws_cloudwatch_event_target', 'tick-event') == {
        'rule': '${aws_cloudwatch_event_rule.tick-event.name}', 'target_id': '1',
        'arn': '${aws_lambda_function.tick.arn}'}
    assert resource(document, 'aws_lambda_permission', 'tick-event') == {
        'function_name': '${aws_lambda_function.tick.arn}',
        'action': 'lambda:InvokeFunction', 'principal': 'events.amazonaws.com',
        'source_arn': '${aws_cloudwatch_event_rule.tick-event.arn}'}
    pattern = resource(document, 'aws_cloudwatch_event_rule', 'watch-event')
    assert json.loads(pattern['event_pattern']) == {'source': ['aws.ec2']}
    topic_arn = 'arn:%s:sns:%s:%s:mytopic' % (PARTITION_REF, REGION_REF, ACCOUNT_REF)
    assert resource(document, 'aws_sns_topic_subscription', 'by_name-sns-subscription') == {
        'topic_arn': topic_arn, 'protocol': 'lambda',
        'endpoint': '${aws_lambda_function.by_name.arn}'}
    assert resource(document, 'aws_lambda_permission', 'by_name-sns-subscription')[
        'source_arn'] == topic_arn
    sqs = resource(document, 'aws_lambda_event_source_mapping',
                   'queue_handler-sqs-event-source')
    assert sqs == {
        'event_source_arn': 'arn:%s:sqs:%s:%s:myq' % (PARTITION_REF, REGION_REF, ACCOUNT_REF),
        'function_name': '${aws_lambda_function.queue_handler.arn}',
        'batch_size': 5, 'maximum_batching_window_in_seconds': 10,
        'scaling_config': {'maximum_concurrency': 4},
        'depends_on': ['aws_iam_role_policy.default-role']}
    kinesis = resource(document, 'aws_lambda_event_source_mapping', 'kin-kinesis-event-source')
    assert kinesis['starting_position'] == 'TRIM_HORIZON'
    assert kinesis['event_source_arn'].endswith(':stream/mystream')
    dynamodb = resource(document, 'aws_lambda_event_source_mapping',
                        'ddb-dynamodb-event-source')
    assert (dynamodb['event_source_arn'], dynamodb['batch_size']) == (stream_arn, 100)


def test_s3_handlers_of_one_bucket_share_its_notification(project):
    app = Chalice(app_name='demo')

    @app.on_s3_event(bucket='my.bucket', prefix='in/', suffix='.txt')
    def on_upload(event):
        pass

    @app.on_s3_event(bucket='my.bucket', events=['s3:ObjectRemoved:*'])
    def on_remove(event):
        pass

    @app.on_s3_event(bucket='other')
    def on_other(event):
        pass

    document = configuration_for(app, project)
    notifications = document['resource']['aws_s3_bucket_notification']
    # AWS Chalice's labels, <bucket>_notify (a dot is not allowed in a label).
    assert sorted(notifications) == ['my_bucket_notify', 'other_notify']
    shared = notifications['my_bucket_notify']
    assert shared['bucket'] == 'my.bucket'
    assert shared['lambda_function'] == [
        {'id': 'chalice-demo-dev-on_upload',
         'lambda_function_arn': '${aws_lambda_function.on_upload.arn}',
         'events': ['s3:ObjectCreated:*'], 'filter_prefix': 'in/', 'filter_suffix': '.txt'},
        {'id': 'chalice-demo-dev-on_remove',
         'lambda_function_arn': '${aws_lambda_function.on_remove.arn}',
         'events': ['s3:ObjectRemoved:*']}]
    assert shared['depends_on'] == ['aws_lambda_permission.on_upload-s3event',
                                    'aws_lambda_permission.on_remove-s3event']
    assert resource(document, 'aws_lambda_permission', 'on_upload-s3event') == {
        'function_name': '${aws_lambda_function.on_upload.arn}',
        'action': 'lambda:InvokeFunction', 'principal': 's3.amazonaws.com',
        'source_arn': 'arn:%s:s3:::my.bucket' % PARTITION_REF,
        'source_account': ACCOUNT_REF, 'statement_id': 'on_upload-s3event'}


def test_a_schedule_without_description_has_an_empty_one(project):
    app = Chalice(app_name='demo')

    @app.schedule('rate(2 hours)')
    def bare(event):
        pass

    @app.on_cw_event({'source': ['aws.ec2']})
    def watch(event):
        pass

    document = configuration_for(app, project)
    # As AWS Chalice writes them; an event pattern's rule has no description.
    assert resource(document, 'aws_cloudwatch_event_rule', 'bare-event')['description'] == ''
    assert 'description' not in resource(document, 'aws_cloudwatch_event_rule', 'watch-event')
    # The target Id chalice deploy gives (AWS Chalice's deploy too).
    assert resource(document, 'aws_cloudwatch_event_target', 'bare-event')['target_id'] == '1'


def test_websocket_api(project):
    app = Chalice(app_name='demo')
    app.experimental_feature_flags.update(['WEBSOCKETS'])

    @app.on_ws_connect()
    def connect(event):
        pass

    @app.on_ws_message()
    def message(event):
        pass

    document = configuration_for(app, project, websocket_api_stage='ws')
    api = resource(document, 'aws_apigatewayv2_api', 'websocket_api')
    assert api == {'name': 'demo-dev-websocket-api', 'protocol_type': 'WEBSOCKET',
                   'route_selection_expression': '$request.body.action'}
    # AWS Chalice's labels, named after each handler's function.
    assert sorted((rtype, label) for rtype, label, _ in resources(document)
                  if rtype.startswith('aws_apigatewayv2') or rtype == 'aws_lambda_permission') == [
        ('aws_apigatewayv2_api', 'websocket_api'),
        ('aws_apigatewayv2_deployment', 'websocket_api_deployment'),
        ('aws_apigatewayv2_integration', 'websocket_connect_api_integration'),
        ('aws_apigatewayv2_integration', 'websocket_message_api_integration'),
        ('aws_apigatewayv2_route', 'websocket_connect_route'),
        ('aws_apigatewayv2_route', 'websocket_message_route'),
        ('aws_apigatewayv2_stage', 'websocket_api_stage'),
        ('aws_lambda_permission', 'websocket_connect_invoke_permission'),
        ('aws_lambda_permission', 'websocket_message_invoke_permission')]
    integration = resource(document, 'aws_apigatewayv2_integration',
                           'websocket_connect_api_integration')
    assert integration['integration_type'] == 'AWS_PROXY'
    assert integration['integration_uri'] == (
        'arn:%s:apigateway:%s:lambda:path/2015-03-31/functions/'
        '${aws_lambda_function.websocket_connect.arn}/invocations' % (PARTITION_REF, REGION_REF))
    # The settings chalice deploy (and AWS Chalice) gives the integration.
    assert (integration['connection_type'], integration['content_handling_strategy'],
            integration['description']) == ('INTERNET', 'CONVERT_TO_TEXT', 'connect')
    route = resource(document, 'aws_apigatewayv2_route', 'websocket_message_route')
    assert route == {'api_id': '${aws_apigatewayv2_api.websocket_api.id}',
                     'route_key': '$default',
                     'route_response_selection_expression': '$default',
                     'target': 'integrations/${aws_apigatewayv2_integration.'
                               'websocket_message_api_integration.id}'}
    deployment = resource(document, 'aws_apigatewayv2_deployment', 'websocket_api_deployment')
    assert deployment['depends_on'] == ['aws_apigatewayv2_route.websocket_connect_route',
                                        'aws_apigatewayv2_route.websocket_message_route']
    assert deployment['triggers']['redeployment'].startswith(
        '${sha1(jsonencode([aws_apigatewayv2_route.websocket_connect_route, '
        'aws_apigatewayv2_integration.websocket_connect_api_integration, ')
    stage = resource(document, 'aws_apigatewayv2_stage', 'websocket_api_stage')
    assert stage['name'] == 'ws'
    assert stage['deployment_id'] == \
        '${aws_apigatewayv2_deployment.websocket_api_deployment.id}'
    grant = resource(document, 'aws_lambda_permission', 'websocket_message_invoke_permission')
    # By function name, as AWS Chalice writes it (a new name would replace the grant).
    assert grant['function_name'] == '${aws_lambda_function.websocket_message.function_name}'
    assert grant['source_arn'] == 'arn:%s:execute-api:%s:%s:' \
        '${aws_apigatewayv2_api.websocket_api.id}/*' % (PARTITION_REF, REGION_REF, ACCOUNT_REF)
    assert document['output'] == {
        'WebsocketAPIId': {'value': '${aws_apigatewayv2_api.websocket_api.id}'},
        'WebsocketConnectHandlerArn': {'value': '${aws_lambda_function.websocket_connect.arn}'},
        'WebsocketConnectHandlerName': {
            'value': '${aws_lambda_function.websocket_connect.function_name}'},
        'WebsocketMessageHandlerArn': {'value': '${aws_lambda_function.websocket_message.arn}'},
        'WebsocketMessageHandlerName': {
            'value': '${aws_lambda_function.websocket_message.function_name}'},
        # The URL chalice deploy prints, closing slash included.
        'WebsocketConnectEndpointURL': {
            'value': 'wss://${aws_apigatewayv2_api.websocket_api.id}.execute-api.%s.'
                     '${data.aws_partition.chalice.dns_suffix}/ws/' % REGION_REF}}
    policy = json.loads(resource(document, 'aws_iam_role_policy', 'default-role')['policy'])
    assert any('execute-api:ManageConnections' in s['Action'] for s in policy['Statement'])


def test_the_checks_catch_what_they_look_for():
    document = {'resource': {
        'aws_lambda_function': {'f': {'function_name': 'x', 'bogus': 1,
                                      'role': '${aws_iam_role.missing.arn}'}},
        'aws_iam_role': {'r': {'name': 'r'}},
        'aws_lambda_permission': {'p': {
            'function_name': '${aws_lambda_function.f.nope}', 'action': 'a', 'principal': 'p',
            'depends_on': ['aws_iam_role.gone']}}}}
    assert undocumented(document) == [
        'aws_lambda_function.f: unknown argument bogus',
        'aws_iam_role.r: missing required argument assume_role_policy']
    assert sorted(dangling_references(document)) == [
        'aws_lambda_function.f has no attribute nope',
        'aws_lambda_permission.p depends on undeclared aws_iam_role.gone',
        'resource aws_iam_role.missing is not declared']


def test_report_batch_item_failures_sets_function_response_types(project):
    app = reporting_app()
    document = configuration_for(app, project)
    for label in ('queue_handler-sqs-event-source', 'kin-kinesis-event-source',
                  'ddb-dynamodb-event-source'):
        mapping = resource(document, 'aws_lambda_event_source_mapping', label)
        assert mapping['function_response_types'] == ['ReportBatchItemFailures']
    plain_mapping = resource(document, 'aws_lambda_event_source_mapping',
                             'plain-sqs-event-source')
    assert 'function_response_types' not in plain_mapping


def test_xray_traces_the_rest_api_stage(project):
    document = configuration_for(hello_app(), project, xray=True)
    assert resource(document, 'aws_api_gateway_stage', 'rest_api')['xray_tracing_enabled'] is True
    untraced = configuration_for(hello_app(), project)
    assert 'xray_tracing_enabled' not in resource(untraced, 'aws_api_gateway_stage', 'rest_api')


def test_reserved_concurrency_zero_is_written(project):
    document = configuration_for(hello_app(), project, reserved_concurrency=0)
    handler = resource(document, 'aws_lambda_function', 'api_handler')
    assert handler['reserved_concurrent_executions'] == 0
