"""The largest app the integration tests deploy, and how to read it back from moto.

One app with every kind of resource ``chalice deploy`` makes: REST API routes
with a built-in authorizer, a pure Lambda, a schedule, a CloudWatch event
pattern, SNS, SQS, S3, Kinesis and DynamoDB stream handlers, websocket
connect/message/disconnect handlers, and its requirements in an automatic
layer (built from a wheel made here, installed offline).

* ``setup_project``: the project, the offline pip environment and the event
  sources (topic, queue, bucket, stream, table) in moto;
* ``assert_state_matches_aws``: every record names something that exists,
  and everything that exists is recorded;
* ``assert_nothing_left``: after ``chalice delete``;
* ``snapshot``: what moto holds, comparable between runs (ids that change
  with every deploy are replaced by placeholders).
"""
import json
from typing import Any, NamedTuple

import pytest

from tests.integration import deploy_checks
from tests.integration.conftest import REGION, make_project
from tests.integration.deploy_checks import (
    create_table_with_stream,
    existing_functions,
    existing_mappings,
    existing_rest_apis,
    existing_roles,
    existing_rules,
    existing_subscriptions,
    existing_websocket_apis,
    function_policy_statements,
    json_document,
    recorded_function,
    recorded_role,
    run_ok,
)
from tests.integration.test_deploy import build_wheel, local_pip_env

APP_NAME = 'everything'
TOPIC, QUEUE, BUCKET, STREAM, TABLE = (
    'everything-topic', 'everything-queue', 'everything-bucket', 'everything-stream',
    'everything-table')
STREAM_ENV_VAR = 'EVERYTHING_TABLE_STREAM'
APP = '''\
import os

from chalice import AuthResponse, Chalice

app = Chalice(app_name='everything')
app.experimental_feature_flags.update(['WEBSOCKETS'])
TABLE_STREAM = os.environ.get('EVERYTHING_TABLE_STREAM', 'arn:aws:dynamodb:::table/t/stream/s')


@app.authorizer()
def gatekeeper(auth_request):
    return AuthResponse(routes=['*'], principal_id='user')


@app.route('/')
def index():
    return {'hello': 'world'}


@app.route('/items/{item_id}', methods=['GET', 'PUT'], authorizer=gatekeeper)
def item(item_id):
    return {'id': item_id}


@app.lambda_function()
def plain(event, context):
    return {}


@app.schedule('rate(1 hour)')
def tick(event):
    return {}


@app.on_cw_event({'source': ['aws.ec2']})
def watch(event):
    return {}


@app.on_sns_message(topic='everything-topic')
def on_topic(event):
    return {}


@app.on_sqs_message(queue='everything-queue', batch_size=5)
def on_queue(event):
    return {}


@app.on_s3_event(bucket='everything-bucket', events=['s3:ObjectCreated:*'], suffix='.csv')
def on_upload(event):
    return {}


@app.on_kinesis_record(stream='everything-stream')
def on_stream(event):
    return {}


@app.on_dynamodb_record(stream_arn=TABLE_STREAM)
def on_table(event):
    return {}


@app.on_ws_connect()
def connect(event):
    return {}


@app.on_ws_message()
def message(event):
    return {}


@app.on_ws_disconnect()
def disconnect(event):
    return {}
'''
CONFIG = {'version': '2.0', 'app_name': APP_NAME, 'automatic_layer': True,
          'stages': {'dev': {'api_gateway_stage': 'api'}}}
FUNCTIONS = {'everything-dev', 'everything-dev-gatekeeper'} | {
    'everything-dev-%s' % name for name in (
        'plain', 'tick', 'watch', 'on_topic', 'on_queue', 'on_upload', 'on_stream', 'on_table',
        'websocket_connect', 'websocket_message', 'websocket_disconnect')}
REQUIRED_KEYS = {
    'iam_role': {'role_name', 'role_arn'},
    'lambda_layer': {'layer_version_arn'},
    'lambda_function': {'lambda_arn'},
    'rest_api': {'rest_api_id', 'rest_api_url'},
    'websocket_api': {'websocket_api_id', 'websocket_api_url'},
    'cloudwatch_event': {'rule_name', 'rule_arn'},
    'sns_event': {'topic', 'topic_arn', 'subscription_arn', 'lambda_arn'},
    'sqs_event': {'queue', 'event_source_arn', 'event_uuid', 'lambda_arn'},
    'kinesis_event': {'stream', 'event_source_arn', 'event_uuid', 'lambda_arn'},
    'dynamodb_event': {'stream_arn', 'event_source_arn', 'event_uuid', 'lambda_arn'},
    's3_event': {'bucket', 'lambda_arn', 'notification_id'},
}
MAPPING_TYPES = ('sqs_event', 'kinesis_event', 'dynamodb_event')


def setup_project(directory, aws_env):
    """(project, env): the project under ``directory`` and its CLI environment.

    The environment installs requirements from a local wheel only; the
    event sources are created separately (``create_sources``).
    """
    wheels = directory / 'wheels'
    build_wheel(wheels, 'tinydep', '1.0', 'ANSWER = 42\n')
    env = local_pip_env(aws_env, wheels)
    project = make_project(directory, APP, config=CONFIG, requirements='tinydep==1.0\n',
                           app_name=APP_NAME)
    return project, env


def create_sources(aws_clients, env):
    """The topic, queue, bucket, stream and table; the table's stream ARN goes in env."""
    aws_clients.sns.create_topic(Name=TOPIC)
    aws_clients.sqs.create_queue(QueueName=QUEUE)
    aws_clients.s3.create_bucket(Bucket=BUCKET,
                                 CreateBucketConfiguration={'LocationConstraint': REGION})
    aws_clients.kinesis.create_stream(StreamName=STREAM, ShardCount=1)
    stream_arn = create_table_with_stream(aws_clients, TABLE)
    env[STREAM_ENV_VAR] = stream_arn
    return stream_arn


# --------------------------------------------------------------------------
# reading moto back
# --------------------------------------------------------------------------

def read_records(project):
    """The state file's records, checked against the documented format."""
    return deploy_checks.read_state_records(project, REQUIRED_KEYS, backend='api')


def existing_layer_versions(aws_clients):
    """ARNs of every version of every layer."""
    lambda_ = aws_clients['lambda']
    return {version['LayerVersionArn']
            for layer in lambda_.list_layers()['Layers']
            for version in lambda_.list_layer_versions(LayerName=layer['LayerName'])[
                'LayerVersions']}


def our_notifications(aws_clients):
    """Ids of the bucket's Lambda notification entries."""
    configuration = aws_clients.s3.get_bucket_notification_configuration(Bucket=BUCKET)
    return {entry['Id'] for entry in configuration.get('LambdaFunctionConfigurations') or []}


def _existing(aws_clients):
    """What exists in moto, keyed by resource type like the records below."""
    return {
        'iam_role': existing_roles(aws_clients),
        'lambda_layer': existing_layer_versions(aws_clients),
        'lambda_function': existing_functions(aws_clients),
        'rest_api': existing_rest_apis(aws_clients),
        'websocket_api': existing_websocket_apis(aws_clients),
        'cloudwatch_event': set(existing_rules(aws_clients)),
        'sns_event': set(existing_subscriptions(aws_clients)),
        'mapping': set(existing_mappings(aws_clients)),
        's3_event': our_notifications(aws_clients),
    }


def _recorded(aws_clients, record):
    """(key, identity) of what a record names, checked against moto."""
    kind = record['resource_type']
    if kind == 'iam_role':
        return kind, recorded_role(aws_clients, record)
    if kind == 'lambda_layer':
        aws_clients['lambda'].get_layer_version_by_arn(Arn=record['layer_version_arn'])
        return kind, record['layer_version_arn']
    if kind == 'lambda_function':
        return kind, recorded_function(aws_clients, record, check_arn=True)
    if kind == 'rest_api':
        api_id = aws_clients.apigateway.get_rest_api(restApiId=record['rest_api_id'])['id']
        assert record['rest_api_url'] == (
            'https://%s.execute-api.%s.amazonaws.com/api/' % (api_id, REGION)), record
        return kind, api_id
    if kind == 'websocket_api':
        api_id = aws_clients.apigatewayv2.get_api(ApiId=record['websocket_api_id'])['ApiId']
        assert record['websocket_api_url'] == (
            'wss://%s.execute-api.%s.amazonaws.com/api/' % (api_id, REGION)), record
        return kind, api_id
    if kind == 'cloudwatch_event':
        rule = aws_clients.events.describe_rule(Name=record['rule_name'])
        assert rule['Arn'] == record['rule_arn'], record
        return kind, record['rule_name']
    if kind == 'sns_event':
        attributes = aws_clients.sns.get_subscription_attributes(
            SubscriptionArn=record['subscription_arn'])['Attributes']
        assert attributes['TopicArn'] == record['topic_arn'], record
        assert attributes['Endpoint'] == record['lambda_arn'], record
        return kind, record['subscription_arn']
    if kind in MAPPING_TYPES:
        mapping = aws_clients['lambda'].get_event_source_mapping(UUID=record['event_uuid'])
        assert mapping['EventSourceArn'] == record['event_source_arn'], record
        assert mapping['FunctionArn'] == record['lambda_arn'], record
        return 'mapping', record['event_uuid']
    if kind == 's3_event':
        assert record['bucket'] == BUCKET, record
        return kind, record['notification_id']
    raise AssertionError('unexpected record %r' % record)  # pragma: no cover


def assert_state_matches_aws(project, aws_clients, context=''):
    """Every record names what exists; everything that exists is recorded."""
    records = read_records(project)
    recorded = {kind: set() for kind in _existing(aws_clients)}
    for record in records:
        kind, identity = _recorded(aws_clients, record)
        recorded[kind].add(identity)
    existing = _existing(aws_clients)
    for kind in existing:
        assert existing[kind] == recorded[kind], (context, kind, {
            'unrecorded': existing[kind] - recorded[kind],
            'recorded but missing': recorded[kind] - existing[kind]})
    return records


def assert_nothing_left(project, aws_clients, context=''):
    """After ``chalice delete``: no records, and nothing the app made exists."""
    assert read_records(project) == [], context
    left = {kind: found for kind, found in _existing(aws_clients).items() if found}
    assert left == {}, (context, left)


def snapshot(aws_clients, stream_arn):
    """What moto holds, comparable between runs: API ids and the table's stream ARN
    (which moto derives from the time the table was made) become placeholders."""
    rest_ids = existing_rest_apis(aws_clients)
    ws_ids = existing_websocket_apis(aws_clients)

    def stable(value):
        text = json.dumps(value, sort_keys=True, default=str).replace(stream_arn, '<stream>')
        for api_id in rest_ids:
            text = text.replace(api_id, '<rest-api>')
        for api_id in ws_ids:
            text = text.replace(api_id, '<websocket-api>')
        return json.loads(text)

    iam, lambda_ = aws_clients.iam, aws_clients['lambda']
    picture = {'roles': {}, 'functions': {}}
    for name in sorted(existing_roles(aws_clients)):
        role = iam.get_role(RoleName=name)['Role']
        picture['roles'][name] = {
            'trust': json_document(role['AssumeRolePolicyDocument']),
            'policies': {policy: json_document(iam.get_role_policy(
                RoleName=name, PolicyName=policy)['PolicyDocument'])
                for policy in iam.list_role_policies(RoleName=name)['PolicyNames']}}
    for name in sorted(existing_functions(aws_clients)):
        response = lambda_.get_function(FunctionName=name)
        config = response['Configuration']
        picture['functions'][name] = {
            key: config.get(key) for key in ('Runtime', 'Handler', 'Role', 'MemorySize',
                                             'Timeout', 'Environment', 'CodeSha256', 'Layers')}
        picture['functions'][name]['Tags'] = response.get('Tags')
        picture['functions'][name]['permissions'] = sorted(
            (json.dumps(s['Principal'], sort_keys=True), s['Action'],
             s['Condition']['ArnLike']['AWS:SourceArn'])
            for s in function_policy_statements(aws_clients, name))
    picture['layers'] = sorted(existing_layer_versions(aws_clients))
    picture['rest_apis'] = [_rest_api(aws_clients, api_id) for api_id in sorted(rest_ids)]
    picture['websocket_apis'] = [_websocket_api(aws_clients, api_id)
                                 for api_id in sorted(ws_ids)]
    events = aws_clients.events
    picture['rules'] = {
        name: {'schedule': rule.get('ScheduleExpression'),
               'pattern': rule.get('EventPattern') and json.loads(rule['EventPattern']),
               'state': rule['State'],
               'targets': sorted((t['Id'], t['Arn'])
                                 for t in events.list_targets_by_rule(Rule=name)['Targets'])}
        for name, rule in sorted(existing_rules(aws_clients).items())}
    picture['subscriptions'] = sorted(
        (s['TopicArn'], s['Protocol'], s['Endpoint'])
        for s in existing_subscriptions(aws_clients).values())
    picture['mappings'] = sorted(
        (m['EventSourceArn'], m['FunctionArn'], m['BatchSize'], m.get('StartingPosition'),
         m.get('MaximumBatchingWindowInSeconds'), m['State'])
        for m in existing_mappings(aws_clients).values())
    picture['notifications'] = aws_clients.s3.get_bucket_notification_configuration(
        Bucket=BUCKET).get('LambdaFunctionConfigurations')
    return stable(picture)


def _rest_api(aws_clients, api_id):
    apigateway = aws_clients.apigateway
    resources = apigateway.get_resources(restApiId=api_id, embed=['methods'])['items']
    return {
        'methods': sorted(
            (r['path'], verb, m.get('authorizationType'),
             m.get('methodIntegration', {}).get('uri'))
            for r in resources for verb, m in (r.get('resourceMethods') or {}).items()),
        'authorizers': sorted((a['name'], a['type'], a.get('authorizerUri'))
                              for a in apigateway.get_authorizers(restApiId=api_id)['items']),
        'stages': sorted(s['stageName']
                         for s in apigateway.get_stages(restApiId=api_id)['item']),
    }


def _websocket_api(aws_clients, api_id):
    v2 = aws_clients.apigatewayv2
    integrations = {i['IntegrationId']: (i['IntegrationType'], i['IntegrationUri'])
                    for i in v2.get_integrations(ApiId=api_id)['Items']}
    return {
        'routes': sorted((r['RouteKey'], integrations.get(r['Target'].split('/', 1)[1]))
                         for r in v2.get_routes(ApiId=api_id)['Items']),
        'integrations': sorted(integrations.values()),
        'stages': sorted(s['StageName'] for s in v2.get_stages(ApiId=api_id)['Items']),
    }


# --------------------------------------------------------------------------
# one uninterrupted deploy and delete, as the reference
# --------------------------------------------------------------------------

class CleanRun(NamedTuple):
    """What an uninterrupted deploy and delete of the app did."""

    project: Any          # the project directory (its package cache is warm)
    env: dict             # the CLI environment; create_sources updates it
    deploy_calls: list    # the AWSCalls of the deploy
    delete_calls: list    # the AWSCalls of the delete
    reference: dict       # snapshot() after the deploy
    records: list         # the state file's records after the deploy


@pytest.fixture(scope='module')
def clean_run(moto_server, _aws_env_base, aws_clients, tmp_path_factory):
    """Deploy and delete the app once without faults (once per module and worker)."""
    fault_injector = moto_server.fault_injector
    project, env = setup_project(tmp_path_factory.mktemp('largest'), dict(_aws_env_base))
    moto_server.reset()
    stream_arn = create_sources(aws_clients, env)
    fault_injector.arm()
    run_ok(project, 'deploy', env)
    deploy_calls = fault_injector.calls
    reference = snapshot(aws_clients, stream_arn)
    records = assert_state_matches_aws(project, aws_clients)
    assert set(reference['functions']) == FUNCTIONS
    fault_injector.arm()
    run_ok(project, 'delete', env)
    delete_calls = fault_injector.calls
    assert_nothing_left(project, aws_clients)
    return CleanRun(project, env, deploy_calls, delete_calls, reference, records)
