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
"""
import io
import json
import uuid
import zipfile

from chalice.config import lambda_python_version
from chalice.deploy.swagger import SwaggerGenerator, render_document
from tests.integration.deploy_checks import create_table_with_stream

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
    aws_clients.sns.create_topic(Name=TOPIC)
    aws_clients.sqs.create_queue(QueueName=QUEUE, Attributes={'VisibilityTimeout': '60'})
    aws_clients.sqs.create_queue(QueueName=USER_QUEUE)
    aws_clients.kinesis.create_stream(StreamName=STREAM, ShardCount=1)
    stream_arn = create_table_with_stream(aws_clients, TABLE)
    aws_clients.s3.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={
        'LocationConstraint': REGION})
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
