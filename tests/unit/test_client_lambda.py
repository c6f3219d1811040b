"""chalice.test.Client: invoking Lambda functions and generating events."""
import base64
import hashlib
import json
import os
import re
from datetime import datetime
from urllib.parse import unquote_plus

import pytest

from chalice import AuthResponse, Chalice, proxy
from chalice.test import Client
from tests.unit import events

ISO_SECONDS = re.compile(r'^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$')
ISO_MILLIS = re.compile(r'^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$')
UUID = re.compile(r'^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$')


@pytest.fixture
def app():
    return Chalice('testapp')


@pytest.fixture
def client(app, tmp_path):
    # An empty project dir: no .chalice/config.json, so no environment.
    with Client(app, project_dir=str(tmp_path)) as test_client:
        yield test_client


def write_config(project_dir, config):
    chalice_dir = project_dir / '.chalice'
    chalice_dir.mkdir()
    (chalice_dir / 'config.json').write_text(json.dumps(config))
    return str(project_dir)


# --------------------------------------------------------------- invoke

def test_invoke_pure_lambda(app, client):
    @app.lambda_function()
    def foo(event, context):
        return {'event': event, 'function_name': context.function_name}

    response = client.lambda_.invoke('foo', {'hello': 'world'})
    assert response.payload == {'event': {'hello': 'world'},
                                'function_name': 'foo'}


def test_invoke_by_custom_name(app, client):
    @app.lambda_function(name='MyFunction')
    def other(event, context):
        return [event['n'] * 2, context.function_name]

    assert client.lambda_.invoke('MyFunction', {'n': 21}).payload == [
        42, 'MyFunction']


def test_invoke_passes_payload_untouched(app, client):
    received = []

    @app.lambda_function()
    def foo(event, context):
        received.append(event)

    payload = {'nested': {'list': [1, 2, None]}}
    assert client.lambda_.invoke('foo', payload).payload is None
    assert received[0] is payload


def test_invoke_context_is_lambda_like(app, client):
    @app.lambda_function()
    def foo(event, context):
        return {
            'remaining': context.get_remaining_time_in_millis(),
            'memory': context.memory_limit_in_mb,
            'request_id': context.aws_request_id,
            'arn': context.invoked_function_arn,
        }

    payload = client.lambda_.invoke('foo', {}).payload
    assert 0 < payload['remaining'] <= 60000
    assert payload['memory'] == '128'
    assert payload['request_id']
    assert payload['arn'].endswith(':function:foo')


def test_invoke_unknown_function_lists_known_names(app, client):
    @app.lambda_function()
    def foo(event, context):
        pass

    @app.on_sns_message('topic')
    def bar(event):
        pass

    with pytest.raises(ValueError) as info:
        client.lambda_.invoke('baz', {})
    message = str(info.value)
    assert 'baz' in message
    assert 'foo' in message
    assert 'bar' in message


def test_invoke_unknown_function_on_empty_app(client):
    with pytest.raises(ValueError, match='nothing'):
        client.lambda_.invoke('nothing', {})


def test_invoke_api_handler_with_rest_event(app, client):
    @app.route('/hello/{name}')
    def hello(name):
        return {'hello': name}

    response = client.lambda_.invoke(
        'api_handler', events.rest_event('/hello/{name}', path_params={'name': 'bob'}))
    assert response.payload['statusCode'] == 200
    assert json.loads(response.payload['body']) == {'hello': 'bob'}


def test_invoke_authorizer(app, client):
    @app.authorizer()
    def auth(auth_request):
        return AuthResponse(routes=['/'], principal_id=auth_request.token)

    payload = client.lambda_.invoke('auth', events.token_authorizer_event('bob')).payload
    assert payload['principalId'] == 'bob'
    assert payload['policyDocument']['Statement'][0]['Resource'] == [
        'arn:aws:execute-api:us-west-2:123456789012:abcdef1234/api/*/']


def test_invoke_websocket_handler(app, client):
    seen = []

    @app.on_ws_message()
    def message(event):
        seen.append((event.connection_id, event.json_body))

    payload = client.lambda_.invoke(
        'websocket_message', events.websocket_message_event('{"a": 1}')).payload
    assert payload == {'statusCode': 200}
    assert seen == [(events.WS_CONNECTION_ID, {'a': 1})]


def test_handler_exception_propagates(app, client):
    @app.on_sqs_message(queue='q')
    def handler(event):
        raise KeyError('boom')

    with pytest.raises(KeyError):
        client.lambda_.invoke('handler', client.events.generate_sqs_event(['x']))


def test_client_works_without_context_manager(app, tmp_path):
    @app.lambda_function()
    def foo(event, context):
        return 'ok'

    client = Client(app, project_dir=str(tmp_path))
    assert client.lambda_.invoke('foo', {}).payload == 'ok'
    client.close()


# ------------------------------------------------------- generated events

def test_generate_sns_event_shape_and_handler(app, client):
    received = []

    @app.on_sns_message(topic='mytopic')
    def handler(event):
        received.append(event)
        return event.message

    event = client.events.generate_sns_event(message='hello', subject='greeting')
    [record] = event['Records']
    assert record['EventSource'] == 'aws:sns'
    assert record['EventVersion'] == '1.0'
    assert record['EventSubscriptionArn'].startswith(
        'arn:aws:sns:us-west-2:123456789012:mytopic:')
    sns = record['Sns']
    assert set(sns) >= {'Type', 'MessageId', 'TopicArn', 'Subject', 'Message', 'Timestamp',
                        'SignatureVersion', 'Signature', 'SigningCertUrl', 'UnsubscribeUrl',
                        'MessageAttributes'}
    assert sns['Type'] == 'Notification'
    assert sns['TopicArn'] == 'arn:aws:sns:us-west-2:123456789012:mytopic'
    assert (sns['Subject'], sns['Message']) == ('greeting', 'hello')
    assert UUID.match(sns['MessageId'])
    assert sns['MessageAttributes'] == {}
    json.dumps(event)

    assert client.lambda_.invoke('handler', event).payload == 'hello'
    assert (received[0].subject, received[0].message) == ('greeting', 'hello')
    assert received[0].to_dict() == event


def test_generate_sns_event_message_attributes(client):
    attributes = {'color': {'Type': 'String', 'Value': 'blue'}}
    event = client.events.generate_sns_event('m', message_attributes=attributes)
    assert event['Records'][0]['Sns']['MessageAttributes'] == attributes


@pytest.mark.parametrize('key', [
    'hello.txt', 'dir/sub dir/file (1).jpg', 'a+b&c=d.txt', 'caf\u00e9.txt',
])
def test_generate_s3_event_shape_and_handler(app, client, key):
    received = []

    @app.on_s3_event(bucket='mybucket')
    def handler(event):
        received.append(event)
        return [event.bucket, event.key]

    event = client.events.generate_s3_event(bucket='mybucket', key=key)
    [record] = event['Records']
    assert record['eventSource'] == 'aws:s3'
    assert record['eventVersion'].startswith('2.')
    assert record['awsRegion'] == 'us-west-2'
    assert record['eventName'] == 'ObjectCreated:Put'
    s3 = record['s3']
    assert s3['s3SchemaVersion'] == '1.0'
    assert s3['bucket']['name'] == 'mybucket'
    assert s3['bucket']['arn'] == 'arn:aws:s3:::mybucket'
    encoded = s3['object']['key']
    assert ' ' not in encoded
    assert unquote_plus(encoded) == key
    assert set(s3['object']) >= {'key', 'size', 'eTag', 'sequencer'}

    assert client.lambda_.invoke('handler', event).payload == ['mybucket', key]
    assert received[0].to_dict()['Records'][0]['s3']['object']['key'] == encoded


def test_generate_s3_event_event_name(client):
    event = client.events.generate_s3_event('b', 'k', event_name='ObjectRemoved:Delete')
    assert event['Records'][0]['eventName'] == 'ObjectRemoved:Delete'


def test_generate_sqs_event_shape_and_handler(app, client):
    @app.on_sqs_message(queue='my-queue', batch_size=5)
    def handler(event):
        return [(record.body, record.receipt_handle) for record in event]

    bodies = ['first', '{"second": 2}', '']
    event = client.events.generate_sqs_event(message_bodies=bodies, queue_name='my-queue')
    records = event['Records']
    assert [r['body'] for r in records] == bodies
    for record in records:
        assert set(record) == {'messageId', 'receiptHandle', 'body', 'attributes',
                               'messageAttributes', 'md5OfBody', 'eventSource',
                               'eventSourceARN', 'awsRegion'}
        assert record['eventSource'] == 'aws:sqs'
        assert record['eventSourceARN'] == 'arn:aws:sqs:us-west-2:123456789012:my-queue'
        assert record['awsRegion'] == 'us-west-2'
        assert record['md5OfBody'] == hashlib.md5(record['body'].encode()).hexdigest()
        assert UUID.match(record['messageId'])
        attributes = record['attributes']
        assert set(attributes) >= {'ApproximateReceiveCount', 'SentTimestamp', 'SenderId',
                                   'ApproximateFirstReceiveTimestamp'}
        assert all(isinstance(v, str) for v in attributes.values())
        assert attributes['SentTimestamp'].isdigit()
    assert len({r['messageId'] for r in records}) == 3
    assert len({r['receiptHandle'] for r in records}) == 3

    payload = client.lambda_.invoke('handler', event).payload
    assert payload == [(r['body'], r['receiptHandle']) for r in records]


def test_generate_cw_event_shape_and_handler(app, client):
    @app.on_cw_event({'source': ['aws.codecommit']})
    def handler(event):
        return {'source': event.source, 'detail_type': event.detail_type,
                'detail': event.detail, 'resources': event.resources,
                'region': event.region, 'account': event.account,
                'version': event.version, 'event_id': event.event_id, 'time': event.time}

    detail = {'repositoryName': 'repo', 'event': 'referenceUpdated'}
    resources = ['arn:aws:codecommit:us-west-2:123456789012:repo']
    event = client.events.generate_cw_event(
        source='aws.codecommit', detail_type='CodeCommit Repository State Change',
        detail=detail, resources=resources)
    assert set(event) == {'version', 'id', 'detail-type', 'source', 'account', 'time',
                          'region', 'resources', 'detail'}
    assert event['version'] == '0'
    assert event['detail-type'] == 'CodeCommit Repository State Change'
    assert event['account'] == '123456789012'
    assert event['region'] == 'us-west-2'
    assert ISO_SECONDS.match(event['time'])
    assert UUID.match(event['id'])

    payload = client.lambda_.invoke('handler', event).payload
    assert payload == {
        'source': 'aws.codecommit', 'detail_type': 'CodeCommit Repository State Change',
        'detail': detail, 'resources': resources, 'region': 'us-west-2',
        'account': '123456789012', 'version': '0', 'event_id': event['id'],
        'time': event['time'],
    }


def test_generate_cw_event_region(client):
    event = client.events.generate_cw_event('aws.events', 'Scheduled Event', {},
                                            ['arn:aws:events:eu-west-1:1:rule/r'],
                                            region='eu-west-1')
    assert event['region'] == 'eu-west-1'


def test_generated_cw_event_drives_a_schedule(app, client):
    @app.schedule('rate(1 hour)')
    def every_hour(event):
        return [event.detail_type, event.source, event.detail]

    event = client.events.generate_cw_event(
        source='aws.events', detail_type='Scheduled Event', detail={},
        resources=['arn:aws:events:us-west-2:123456789012:rule/testapp-dev-every_hour'])
    assert client.lambda_.invoke('every_hour', event).payload == [
        'Scheduled Event', 'aws.events', {}]


def test_generate_kinesis_event_shape_and_handler(app, client):
    @app.on_kinesis_record(stream='mystream')
    def handler(event):
        return [(r.data, r.partition_key, r.sequence_number, r.timestamp) for r in event]

    event = client.events.generate_kinesis_event(
        message_bodies=['first', b'\x00\x01binary'], stream_name='mystream')
    records = event['Records']
    assert len(records) == 2
    for record in records:
        assert record['eventSource'] == 'aws:kinesis'
        assert record['eventName'] == 'aws:kinesis:record'
        assert record['eventVersion'] == '1.0'
        assert record['awsRegion'] == 'us-west-2'
        assert record['eventSourceARN'] == (
            'arn:aws:kinesis:us-west-2:123456789012:stream/mystream')
        kinesis = record['kinesis']
        assert set(kinesis) == {'kinesisSchemaVersion', 'partitionKey', 'sequenceNumber',
                                'data', 'approximateArrivalTimestamp'}
        assert isinstance(kinesis['approximateArrivalTimestamp'], float)
        assert record['eventID'].endswith(':' + kinesis['sequenceNumber'])
    assert base64.b64decode(records[0]['kinesis']['data']) == b'first'
    json.dumps(event)

    decoded = client.lambda_.invoke('handler', event).payload
    assert [d[0] for d in decoded] == [b'first', b'\x00\x01binary']
    assert [d[1] for d in decoded] == [r['kinesis']['partitionKey'] for r in records]
    assert [d[2] for d in decoded] == [r['kinesis']['sequenceNumber'] for r in records]
    for (_, _, _, timestamp), record in zip(decoded, records):
        assert isinstance(timestamp, datetime)
        assert abs(timestamp.timestamp()
                   - record['kinesis']['approximateArrivalTimestamp']) < 0.001


def test_generate_dynamodb_event_shape_and_handler(app, client):
    @app.on_dynamodb_record(stream_arn=events.dynamodb_stream_arn('users'))
    def handler(event):
        return [(r.event_name, r.keys, r.new_image, r.old_image, r.table_name)
                for r in event]

    key = {'id': {'S': '1'}}
    new = {'id': {'S': '1'}, 'name': {'S': 'Ann'}}
    event = client.events.generate_dynamodb_event([
        {'keys': key, 'new_image': new},
        {'keys': key, 'old_image': new, 'event_name': 'REMOVE'},
    ], table_name='users')
    insert, remove = event['Records']
    for record in (insert, remove):
        assert record['eventSource'] == 'aws:dynamodb'
        assert record['awsRegion'] == 'us-west-2'
        assert record['eventSourceARN'].startswith(
            'arn:aws:dynamodb:us-west-2:123456789012:table/users/stream/')
        assert isinstance(record['dynamodb']['ApproximateCreationDateTime'], (int, float))
        assert record['dynamodb']['Keys'] == key
        assert record['dynamodb']['StreamViewType'] == 'NEW_AND_OLD_IMAGES'
    assert (insert['eventName'], remove['eventName']) == ('INSERT', 'REMOVE')
    assert 'OldImage' not in insert['dynamodb']
    assert 'NewImage' not in remove['dynamodb']

    assert client.lambda_.invoke('handler', event).payload == [
        ('INSERT', key, new, None, 'users'),
        ('REMOVE', key, None, new, 'users'),
    ]


@pytest.mark.parametrize('field', ['sns', 's3'])
def test_generated_timestamps_have_milliseconds_like_aws(client, field):
    if field == 'sns':
        value = client.events.generate_sns_event('m')['Records'][0]['Sns']['Timestamp']
    else:
        value = client.events.generate_s3_event('b', 'k')['Records'][0]['eventTime']
    assert ISO_MILLIS.match(value), value


# -------------------------------------------------- environment variables

CONFIG = {
    'version': '2.0',
    'app_name': 'testapp',
    'environment_variables': {'SHARED': 'top', 'TOP_ONLY': 'top'},
    'stages': {
        'dev': {
            'environment_variables': {'SHARED': 'dev', 'STAGE_VAR': 'dev'},
            'lambda_functions': {
                'worker': {
                    'environment_variables': {'SHARED': 'worker', 'WORKER_VAR': 'w'},
                    'lambda_memory_size': 256,
                    'lambda_timeout': 30,
                },
            },
        },
        'prod': {
            'environment_variables': {'SHARED': 'prod', 'STAGE_VAR': 'prod'},
        },
    },
}
ENV_NAMES = ('SHARED', 'TOP_ONLY', 'STAGE_VAR', 'WORKER_VAR', 'API_ONLY')


@pytest.fixture
def clean_env(monkeypatch):
    for name in ENV_NAMES:
        monkeypatch.delenv(name, raising=False)


def _env_app():
    app = Chalice('testapp')

    def snapshot(event, context):
        return {name: os.environ.get(name) for name in ENV_NAMES}

    app.lambda_function(name='worker')(snapshot)

    def other(event, context):
        return dict(snapshot(event, context), memory=context.memory_limit_in_mb,
                    remaining=context.get_remaining_time_in_millis())

    app.lambda_function(name='other')(other)
    return app


def test_function_environment_applied_during_invoke_and_restored(tmp_path, clean_env):
    project_dir = write_config(tmp_path, CONFIG)
    client = Client(_env_app(), project_dir=project_dir)
    assert client.lambda_.invoke('worker', {}).payload == {
        'SHARED': 'worker', 'TOP_ONLY': 'top', 'STAGE_VAR': 'dev', 'WORKER_VAR': 'w',
        'API_ONLY': None}
    for name in ENV_NAMES:
        assert name not in os.environ
    other = client.lambda_.invoke('other', {}).payload
    assert (other['SHARED'], other['STAGE_VAR'], other['WORKER_VAR']) == ('dev', 'dev', None)
    assert other['memory'] == '128'
    for name in ENV_NAMES:
        assert name not in os.environ


def test_function_settings_shape_the_context(tmp_path, clean_env, monkeypatch):
    # A stopped clock: the remaining time is exactly the configured timeout.
    monkeypatch.setattr(proxy.time, 'monotonic', lambda: 5000.0)
    project_dir = write_config(tmp_path, CONFIG)
    app = Chalice('testapp')

    @app.lambda_function(name='worker')
    def worker(event, context):
        return [context.memory_limit_in_mb, context.get_remaining_time_in_millis()]

    memory, remaining = Client(app, project_dir=project_dir).lambda_.invoke(
        'worker', {}).payload
    assert memory == '256'
    assert remaining == 30000


def test_environment_restores_previous_values(tmp_path, clean_env, monkeypatch):
    monkeypatch.setenv('SHARED', 'from-the-shell')
    project_dir = write_config(tmp_path, CONFIG)
    with Client(_env_app(), project_dir=project_dir) as client:
        # The stage's (api_handler) environment applies inside the client.
        assert os.environ['SHARED'] == 'dev'
        assert os.environ['STAGE_VAR'] == 'dev'
        assert client.lambda_.invoke('worker', {}).payload['SHARED'] == 'worker'
        assert os.environ['SHARED'] == 'dev'
        assert 'WORKER_VAR' not in os.environ
    assert os.environ['SHARED'] == 'from-the-shell'
    for name in ('TOP_ONLY', 'STAGE_VAR', 'WORKER_VAR'):
        assert name not in os.environ


def test_environment_restored_when_handler_raises(tmp_path, clean_env):
    project_dir = write_config(tmp_path, CONFIG)
    app = Chalice('testapp')

    @app.lambda_function(name='worker')
    def worker(event, context):
        assert os.environ['WORKER_VAR'] == 'w'
        raise RuntimeError('fail')

    with pytest.raises(RuntimeError):
        Client(app, project_dir=project_dir).lambda_.invoke('worker', {})
    assert 'WORKER_VAR' not in os.environ


def test_stage_name_selects_stage_environment(tmp_path, clean_env):
    project_dir = write_config(tmp_path, CONFIG)
    with Client(_env_app(), stage_name='prod', project_dir=project_dir) as client:
        payload = client.lambda_.invoke('worker', {}).payload
    assert payload == {'SHARED': 'prod', 'TOP_ONLY': 'top', 'STAGE_VAR': 'prod',
                       'WORKER_VAR': None, 'API_ONLY': None}
    for name in ENV_NAMES:
        assert name not in os.environ


def test_event_handler_sees_its_environment(tmp_path, clean_env):
    config = dict(CONFIG, stages={'dev': {'lambda_functions': {
        'on_message': {'environment_variables': {'WORKER_VAR': 'sns'}}}}})
    project_dir = write_config(tmp_path, config)
    app = Chalice('testapp')

    @app.on_sns_message('t')
    def on_message(event):
        return [event.message, os.environ.get('WORKER_VAR'), os.environ.get('SHARED')]

    with Client(app, project_dir=project_dir) as client:
        event = client.events.generate_sns_event('hi')
        assert client.lambda_.invoke('on_message', event).payload == ['hi', 'sns', 'top']
    assert 'WORKER_VAR' not in os.environ


def test_api_handler_only_variables_do_not_leak_into_other_functions(tmp_path, clean_env):
    config = {'version': '2.0', 'app_name': 'testapp', 'stages': {'dev': {
        'lambda_functions': {'api_handler': {'environment_variables': {'API_ONLY': '1'}}}}}}
    project_dir = write_config(tmp_path, config)
    with Client(_env_app(), project_dir=project_dir) as client:
        assert client.lambda_.invoke('worker', {}).payload['API_ONLY'] is None
