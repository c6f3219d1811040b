"""A stage as AWS Chalice 1.34 leaves it, built with boto3 against moto.

AWS Chalice itself is never installed: :func:`build_stage` creates the AWS
resources of :data:`APP_SOURCE`'s 14 functions with the names and settings
AWS Chalice 1.34 gives them, and writes ``.chalice/deployed/dev.json`` with
the records (and only the fields) AWS Chalice writes:

* role ``takeover-dev`` with an inline policy of the same name;
* functions ``takeover-dev[-<name>]`` tagged ``aws-chalice``;
* permission statements with random statement ids: API Gateway from
  ``<rest api id>/*`` for the handler *and* the authorizer, and from
  ``<websocket api id>/*`` for the websocket handlers; EventBridge from
  each rule; SNS from the topic; S3 from the bucket (with the account);
* EventBridge rules ``<function name>-event``, target Id ``'1'``;
* the SNS subscription, the SQS/Kinesis/DynamoDB event source mappings;
* an entry in the bucket's notification configuration with an Id S3 made up;
* the REST API (a stage ``api`` with a deployment) and the websocket API
  (integrations and routes with AWS Chalice's settings, stage ``api``);
* the worker's log group with its retention.

The topic, queue, stream, table and bucket are the user's, as with any
Chalice app; the bucket also notifies a queue of the user's.

:func:`picture` is what moto holds of the stage, ids included (a recreated
resource changes it), to compare before and after a deploy by either tool.
"""
import io
import json
import uuid
import zipfile

from chalice.config import lambda_python_version
from chalice.deploy.swagger import SwaggerGenerator, render_document
from tests.integration.deploy_checks import (
    create_event_sources,
    existing_functions,
    existing_mappings,
    existing_rest_apis,
    existing_roles,
    existing_rules,
    existing_subscriptions,
    existing_websocket_apis,
    function_policy_statements,
    load_state,
)

ACCOUNT_ID = '123456789012'
REGION = 'us-west-2'
APP_NAME = 'takeover'
PREFIX = 'takeover-dev'
TOPIC, QUEUE, STREAM, TABLE, BUCKET = (
    'takeover-topic', 'takeover-queue', 'takeover-stream', 'takeover-table', 'takeover-uploads')
STREAM_ARN_VARIABLE = 'TAKEOVER_STREAM_ARN'
APP_SOURCE = '''\
import os

from chalice import AuthResponse, Chalice, Cron, Rate

app = Chalice(app_name='takeover')
app.experimental_feature_flags.update(['WEBSOCKETS'])
STREAM_ARN = os.environ.get('TAKEOVER_STREAM_ARN', 'arn:aws:dynamodb:::table/none/stream/none')


@app.authorizer()
def auth(auth_request):
    return AuthResponse(routes=['*'], principal_id='user')


@app.route('/')
def index():
    return {'hello': 'world'}


@app.route('/private', authorizer=auth, cors=True)
def private():
    return {'secret': True}


@app.schedule(Rate(1, unit=Rate.HOURS))
def every_hour(event):
    return {}


@app.schedule(Cron(0, 3, '*', '*', '?', '*'))
def nightly(event):
    return {}


@app.on_cw_event({'source': ['aws.codecommit']})
def on_commit(event):
    return {}


@app.on_sns_message(topic='takeover-topic')
def on_topic(event):
    return {}


@app.on_sqs_message(queue='takeover-queue')
def on_queue(event):
    return {}


@app.on_s3_event(bucket='takeover-uploads', events=['s3:ObjectCreated:*'])
def on_upload(event):
    return {}


@app.on_kinesis_record(stream='takeover-stream')
def on_stream(event):
    return {}


@app.on_dynamodb_record(stream_arn=STREAM_ARN)
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


@app.lambda_function()
def worker(event, context):
    return {}
'''
CONFIG = {'version': '2.0', 'app_name': APP_NAME, 'stages': {'dev': {
    'api_gateway_stage': 'api',
    'lambda_functions': {'worker': {'log_retention_in_days': 7}}}}}
# record name -> (function name, handler)
FUNCTIONS = {
    'api_handler': (PREFIX, 'app.app'),
    'auth': (PREFIX + '-auth', 'app.auth'),
    'every_hour': (PREFIX + '-every_hour', 'app.every_hour'),
    'nightly': (PREFIX + '-nightly', 'app.nightly'),
    'on_commit': (PREFIX + '-on_commit', 'app.on_commit'),
    'on_topic': (PREFIX + '-on_topic', 'app.on_topic'),
    'on_queue': (PREFIX + '-on_queue', 'app.on_queue'),
    'on_upload': (PREFIX + '-on_upload', 'app.on_upload'),
    'on_stream': (PREFIX + '-on_stream', 'app.on_stream'),
    'on_table': (PREFIX + '-on_table', 'app.on_table'),
    'websocket_connect': (PREFIX + '-websocket_connect', 'app.connect'),
    'websocket_message': (PREFIX + '-websocket_message', 'app.message'),
    'websocket_disconnect': (PREFIX + '-websocket_disconnect', 'app.disconnect'),
    'worker': (PREFIX + '-worker', 'app.worker'),
}
# record name -> (rule name, schedule or pattern)
RULES = {
    'every_hour-event': (PREFIX + '-every_hour-event', 'rate(1 hour)'),
    'nightly-event': (PREFIX + '-nightly-event', 'cron(0 3 * * ? *)'),
    'on_commit-event': (PREFIX + '-on_commit-event', {'source': ['aws.codecommit']}),
}
WEBSOCKET_ROUTES = {'$connect': ('websocket_connect', 'connect'),
                    '$default': ('websocket_message', 'message'),
                    '$disconnect': ('websocket_disconnect', 'disconnect')}
ROLE_POLICY = {'Version': '2012-10-17', 'Statement': [{
    'Effect': 'Allow', 'Action': ['logs:CreateLogGroup', 'logs:CreateLogStream',
                                  'logs:PutLogEvents'],
    'Resource': 'arn:*:logs:*:*:*'}]}
TRUST_POLICY = {'Version': '2012-10-17', 'Statement': [{
    'Sid': '', 'Effect': 'Allow', 'Principal': {'Service': 'lambda.amazonaws.com'},
    'Action': 'sts:AssumeRole'}]}
# Not Chalice's: the user's own use of the bucket.
USER_QUEUE = 'takeover-audit'
USER_NOTIFICATION = {'Id': 'audit-deletes', 'Events': ['s3:ObjectRemoved:*'],
                     'QueueArn': 'arn:aws:sqs:%s:%s:%s' % (REGION, ACCOUNT_ID, USER_QUEUE)}


def function_arn(name):
    return 'arn:aws:lambda:%s:%s:function:%s' % (REGION, ACCOUNT_ID, name)


def execute_api_arn(api_id):
    return 'arn:aws:execute-api:%s:%s:%s/*' % (REGION, ACCOUNT_ID, api_id)


def create_user_resources(aws_clients, env):
    """The topic, queue, stream, table and bucket the app uses (not Chalice's)."""
    stream_arn = create_event_sources(aws_clients, topic=TOPIC, queues=[QUEUE], bucket=BUCKET,
                                      stream=STREAM, table=TABLE,
                                      queue_attributes={'VisibilityTimeout': '60'})
    aws_clients.sqs.create_queue(QueueName=USER_QUEUE)
    aws_clients.s3.put_bucket_notification_configuration(
        Bucket=BUCKET, NotificationConfiguration={'QueueConfigurations': [USER_NOTIFICATION]})
    env[STREAM_ARN_VARIABLE] = stream_arn
    return stream_arn


def _zip():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, 'w') as zf:
        zf.writestr('app.py', APP_SOURCE)
    return buffer.getvalue()


def _allow(aws_clients, function_name, principal, source_arn, **extra):
    aws_clients['lambda'].add_permission(
        FunctionName=function_name, StatementId=str(uuid.uuid4()),
        Action='lambda:InvokeFunction', Principal=principal, SourceArn=source_arn, **extra)


def build_stage(aws_clients, project, stream_arn):
    """Create the resources and write the state file; returns the state file's data."""
    iam, lambda_ = aws_clients.iam, aws_clients['lambda']
    records = []
    role_arn = iam.create_role(RoleName=PREFIX, AssumeRolePolicyDocument=json.dumps(
        TRUST_POLICY))['Role']['Arn']
    iam.put_role_policy(RoleName=PREFIX, PolicyName=PREFIX,
                        PolicyDocument=json.dumps(ROLE_POLICY))
    records.append({'name': 'default-role', 'resource_type': 'iam_role',
                    'role_name': PREFIX, 'role_arn': role_arn})
    code = _zip()
    for name, (function_name, handler) in FUNCTIONS.items():
        arn = lambda_.create_function(
            FunctionName=function_name, Runtime=lambda_python_version(), Handler=handler,
            Role=role_arn, Code={'ZipFile': code}, MemorySize=128, Timeout=60,
            Environment={'Variables': {}},
            Tags={'aws-chalice': 'version=1.34.0:stage=dev:app=%s' % APP_NAME})['FunctionArn']
        records.append({'name': name, 'resource_type': 'lambda_function', 'lambda_arn': arn})
    aws_clients.logs.create_log_group(logGroupName='/aws/lambda/%s-worker' % PREFIX)
    aws_clients.logs.put_retention_policy(logGroupName='/aws/lambda/%s-worker' % PREFIX,
                                          retentionInDays=7)
    records.append({'name': 'worker-log-group', 'resource_type': 'log_group',
                    'log_group_name': '/aws/lambda/%s-worker' % PREFIX})

    events = aws_clients.events
    for name, (rule_name, what) in RULES.items():
        function_name = FUNCTIONS[name[:-len('-event')]][0]
        if isinstance(what, dict):
            rule_arn = events.put_rule(Name=rule_name, EventPattern=json.dumps(what),
                                       State='ENABLED')['RuleArn']
        else:
            rule_arn = events.put_rule(Name=rule_name, ScheduleExpression=what,
                                       State='ENABLED')['RuleArn']
        events.put_targets(Rule=rule_name, Targets=[{'Id': '1',
                                                     'Arn': function_arn(function_name)}])
        _allow(aws_clients, function_name, 'events.amazonaws.com', rule_arn)
        records.append({'name': name, 'resource_type': 'cloudwatch_event',
                        'rule_name': rule_name})

    topic_arn = 'arn:aws:sns:%s:%s:%s' % (REGION, ACCOUNT_ID, TOPIC)
    topic_function = FUNCTIONS['on_topic'][0]
    _allow(aws_clients, topic_function, 'sns.amazonaws.com', topic_arn)
    subscription = aws_clients.sns.subscribe(
        TopicArn=topic_arn, Protocol='lambda',
        Endpoint=function_arn(topic_function))['SubscriptionArn']
    records.append({'name': 'on_topic-sns-subscription', 'resource_type': 'sns_event',
                    'topic': TOPIC, 'topic_arn': topic_arn,
                    'lambda_arn': function_arn(topic_function),
                    'subscription_arn': subscription})

    queue_arn = 'arn:aws:sqs:%s:%s:%s' % (REGION, ACCOUNT_ID, QUEUE)
    kinesis_arn = 'arn:aws:kinesis:%s:%s:stream/%s' % (REGION, ACCOUNT_ID, STREAM)
    mappings = (
        ('on_queue-sqs-event-source', 'sqs_event', 'on_queue', queue_arn, {'BatchSize': 1},
         {'queue': QUEUE, 'queue_arn': queue_arn}),
        ('on_stream-kinesis-event-source', 'kinesis_event', 'on_stream', kinesis_arn,
         {'BatchSize': 100, 'StartingPosition': 'LATEST'},
         {'stream': STREAM, 'kinesis_arn': kinesis_arn}),
        ('on_table-dynamodb-event-source', 'dynamodb_event', 'on_table', stream_arn,
         {'BatchSize': 100, 'StartingPosition': 'LATEST'}, {'stream_arn': stream_arn}),
    )
    for record_name, kind, function, source_arn, settings, fields in mappings:
        arn = function_arn(FUNCTIONS[function][0])
        uuid_ = lambda_.create_event_source_mapping(
            EventSourceArn=source_arn, FunctionName=arn, MaximumBatchingWindowInSeconds=0,
            **settings)['UUID']
        records.append(dict(fields, name=record_name, resource_type=kind, event_uuid=uuid_,
                            lambda_arn=arn))

    upload_arn = function_arn(FUNCTIONS['on_upload'][0])
    _allow(aws_clients, FUNCTIONS['on_upload'][0], 's3.amazonaws.com',
           'arn:aws:s3:::%s' % BUCKET, SourceAccount=ACCOUNT_ID)
    aws_clients.s3.put_bucket_notification_configuration(
        Bucket=BUCKET, NotificationConfiguration={
            'QueueConfigurations': [USER_NOTIFICATION],
            'LambdaFunctionConfigurations': [{
                'Id': 'ZTU3YjUxNWQtNzc0Ni00ZmMxLWI1ZjgtYWQ1',  # S3's choice
                'LambdaFunctionArn': upload_arn, 'Events': ['s3:ObjectCreated:*']}]})
    records.append({'name': 'on_upload-s3event', 'resource_type': 's3_event',
                    'bucket': BUCKET, 'lambda_arn': upload_arn})

    records.append(_websocket_api(aws_clients))
    records.append(_rest_api(aws_clients))
    state = {'resources': records, 'schema_version': '2.0', 'backend': 'api'}
    directory = project / '.chalice' / 'deployed'
    directory.mkdir(parents=True, exist_ok=True)
    (directory / 'dev.json').write_text(json.dumps(state, indent=2))
    return state


def _websocket_api(aws_clients):
    v2 = aws_clients.apigatewayv2
    api_id = v2.create_api(Name=PREFIX + '-websocket-api', ProtocolType='WEBSOCKET',
                           RouteSelectionExpression='$request.body.action')['ApiId']
    for key, (name, description) in WEBSOCKET_ROUTES.items():
        function_name = FUNCTIONS[name][0]
        uri = ('arn:aws:apigateway:%s:lambda:path/2015-03-31/functions/%s/invocations'
               % (REGION, function_arn(function_name)))
        integration = v2.create_integration(
            ApiId=api_id, ConnectionType='INTERNET', ContentHandlingStrategy='CONVERT_TO_TEXT',
            Description=description, IntegrationType='AWS_PROXY', IntegrationUri=uri)
        v2.create_route(ApiId=api_id, RouteKey=key, RouteResponseSelectionExpression='$default',
                        Target='integrations/%s' % integration['IntegrationId'])
        _allow(aws_clients, function_name, 'apigateway.amazonaws.com', execute_api_arn(api_id))
    deployment = v2.create_deployment(ApiId=api_id)['DeploymentId']
    v2.create_stage(ApiId=api_id, StageName='api', DeploymentId=deployment)
    return {'name': 'websocket_api', 'resource_type': 'websocket_api',
            'websocket_api_id': api_id,
            'websocket_api_url': 'wss://%s.execute-api.%s.amazonaws.com/api/' % (
                api_id, REGION)}


def _rest_api(aws_clients):
    # What AWS Chalice imports is the app's Swagger document with the
    # functions' ARNs: generate it from the app source.
    namespace = {'__name__': 'takeover_app'}
    exec(compile(APP_SOURCE, 'app.py', 'exec'), namespace)
    generator = SwaggerGenerator(REGION, function_arn(PREFIX),
                                 {'auth': function_arn(PREFIX + '-auth')})
    definition = render_document(generator.generate(namespace['app']), str)
    apigateway = aws_clients.apigateway
    api_id = apigateway.import_rest_api(
        body=json.dumps(definition).encode('utf-8'),
        parameters={'endpointConfigurationTypes': 'EDGE'})['id']
    apigateway.create_deployment(restApiId=api_id, stageName='api')
    for name in ('api_handler', 'auth'):
        _allow(aws_clients, FUNCTIONS[name][0], 'apigateway.amazonaws.com',
               execute_api_arn(api_id))
    return {'name': 'rest_api', 'resource_type': 'rest_api', 'rest_api_id': api_id,
            'rest_api_url': 'https://%s.execute-api.%s.amazonaws.com/api/' % (api_id, REGION)}


# --------------------------------------------------------------------------
# what moto holds, ids included (a recreated resource changes the picture)
# --------------------------------------------------------------------------

def grants(aws_clients, function_name):
    """(principal, source ARN, source account) of each statement of a function's policy."""
    found = []
    for statement in function_policy_statements(aws_clients, function_name):
        condition = statement.get('Condition') or {}
        found.append((statement['Principal']['Service'],
                      condition['ArnLike']['AWS:SourceArn'],
                      (condition.get('StringEquals') or {}).get('AWS:SourceAccount')))
    return sorted(found)


def bucket_notifications(aws_clients):
    """The bucket's Lambda entries (ARN, events) and the rest of its configuration."""
    configuration = aws_clients.s3.get_bucket_notification_configuration(
        Bucket=BUCKET)
    configuration.pop('ResponseMetadata', None)
    return {
        'lambda': sorted((e['LambdaFunctionArn'], tuple(e['Events']))
                         for e in configuration.pop('LambdaFunctionConfigurations', [])),
        'others': configuration,
    }


def websocket_apis(aws_clients):
    """Each websocket API's name, routes (with their integrations) and stages, by id."""
    v2 = aws_clients.apigatewayv2
    apis = {}
    for api_id in existing_websocket_apis(aws_clients):
        integrations = {i['IntegrationId']: (
            i['IntegrationType'], i['IntegrationUri'], i.get('ConnectionType'),
            i.get('ContentHandlingStrategy'), i.get('Description'))
            for i in v2.get_integrations(ApiId=api_id)['Items']}
        routes = sorted((r['RouteKey'], r.get('RouteResponseSelectionExpression'),
                         integrations[r['Target'][len('integrations/'):]])
                        for r in v2.get_routes(ApiId=api_id)['Items'])
        apis[api_id] = {'name': v2.get_api(ApiId=api_id)['Name'], 'routes': routes,
                        'integrations': len(integrations),
                        'stages': sorted(s['StageName']
                                         for s in v2.get_stages(ApiId=api_id)['Items'])}
    return apis


def picture(aws_clients):
    """Everything the stage is made of, comparable before and after a deploy."""
    rules = {}
    for name, rule in existing_rules(aws_clients).items():
        targets = aws_clients.events.list_targets_by_rule(Rule=name)['Targets']
        rules[name] = {'arn': rule['Arn'], 'schedule': rule.get('ScheduleExpression'),
                       'pattern': json.loads(rule['EventPattern'])
                       if rule.get('EventPattern') else None,
                       'targets': sorted((t['Id'], t['Arn']) for t in targets)}
    groups = aws_clients.logs.describe_log_groups(logGroupNamePrefix='/aws/lambda/')
    return {
        'roles': sorted(existing_roles(aws_clients)),
        'functions': sorted(existing_functions(aws_clients)),
        'grants': {name: grants(aws_clients, name)
                   for name in sorted(existing_functions(aws_clients))},
        'rules': rules,
        'subscriptions': sorted((arn, s['TopicArn'], s['Endpoint'])
                                for arn, s in existing_subscriptions(aws_clients).items()),
        'mappings': sorted((uuid, m['EventSourceArn'], m['FunctionArn'])
                           for uuid, m in existing_mappings(aws_clients).items()),
        'bucket': bucket_notifications(aws_clients),
        'rest_apis': sorted(existing_rest_apis(aws_clients)),
        'websocket_apis': websocket_apis(aws_clients),
        'log_groups': {g['logGroupName']: g.get('retentionInDays')
                       for g in groups['logGroups']},
    }


def statement_count(snapshot):
    """How many permission statements the functions of a picture have."""
    return sum(len(found) for found in snapshot['grants'].values())


def after_takeover(before):
    """The picture a completed takeover leaves, from the picture before it.

    Everything stays as AWS Chalice made it (ids, ARNs, UUIDs included) but
    the authorizer's grant, narrowed to the API's authorizers.
    """
    expected = json.loads(json.dumps(before))
    auth, api_id = FUNCTIONS['auth'][0], before['rest_apis'][0]
    expected['grants'][auth] = [['apigateway.amazonaws.com', execute_api_arn(
        api_id)[:-len('/*')] + '/authorizers/*', None]]
    return expected


def assert_nothing_of_the_stage_left(project, aws_clients):
    """After a delete: none of the stage in moto, no record in the state file."""
    left = picture(aws_clients)
    assert left['roles'] == [] and left['functions'] == []
    assert left['rules'] == {} and left['subscriptions'] == [] and left['mappings'] == []
    assert left['rest_apis'] == [] and left['websocket_apis'] == {}
    # The worker's logs are kept, without the retention (as AWS Chalice 1.34 does).
    assert left['log_groups'] == {'/aws/lambda/%s-worker' % PREFIX: None}
    # The bucket is the user's: only the handler's entry is gone.
    assert left['bucket'] == {'lambda': [], 'others': {
        'QueueConfigurations': [dict(USER_NOTIFICATION, Events=['s3:ObjectRemoved:*'])]}}
    assert load_state(project)['resources'] == []
