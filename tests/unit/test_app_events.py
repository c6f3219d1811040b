"""Event-source decorators, their registries, event classes and middleware.

Handlers are called the way Lambda calls them, ``handler(event, context)``,
with events in the exact shape AWS delivers them (``tests.unit.events``).
"""
import base64
import copy
import json
from datetime import datetime, timedelta

import pytest

from chalice import (
    Blueprint,
    Chalice,
    CloudWatchEvent,
    ConvertToMiddleware,
    Cron,
    DynamoDBEvent,
    DynamoDBRecord,
    KinesisEvent,
    KinesisRecord,
    LambdaFunctionEvent,
    Rate,
    S3Event,
    SNSEvent,
    SQSEvent,
    SQSRecord,
)
from chalice.app import (
    CloudWatchEventConfig,
    DynamoDBEventConfig,
    KinesisEventConfig,
    LambdaFunction,
    S3EventConfig,
    ScheduledEventConfig,
    SNSEventConfig,
    SQSEventConfig,
)
from chalice.appcheck import AppCheckError, check_app, function_location
from chalice.deploy.appgraph import schedule_string
from tests.unit import events
from tests.unit.events import FakeLambdaContext

STREAM_ARN = events.dynamodb_stream_arn('users')


@pytest.fixture
def app():
    return Chalice('testapp')


@pytest.fixture
def ctx():
    return FakeLambdaContext(function_name='testapp-dev-handler')


def only_source(app):
    assert len(app.event_sources) == 1
    return app.event_sources[0]


# ----------------------------------------------------------- pure lambdas

def test_lambda_function_is_recorded_with_handler_string(app):
    @app.lambda_function()
    def custom_lambda_function(event, context):
        return {}

    [function] = app.pure_lambda_functions
    assert isinstance(function, LambdaFunction)
    assert function.name == 'custom_lambda_function'
    assert function.handler_string == 'app.custom_lambda_function'
    assert app.handler_map == {'custom_lambda_function': custom_lambda_function}
    assert app.event_sources == []


def test_lambda_function_name_overrides_function_name_not_handler_string(app):
    @app.lambda_function(name='MyFunction')
    def other_lambda_function(event, context):
        return {}

    [function] = app.pure_lambda_functions
    assert function.name == 'MyFunction'
    # The handler string names the module attribute, i.e. the Python name.
    assert function.handler_string == 'app.other_lambda_function'
    assert set(app.handler_map) == {'MyFunction'}


def test_pure_lambda_gets_event_and_context_untouched(app, ctx):
    seen = []

    @app.lambda_function()
    def handler(event, context):
        seen.append((event, context))
        return {'answer': 42, 'echo': event}

    payload = {'key': ['value'], 'n': 1}
    assert handler(payload, ctx) == {'answer': 42, 'echo': payload}
    assert seen[0][0] is payload
    assert seen[0][1] is ctx
    assert payload == {'key': ['value'], 'n': 1}


def test_recorded_lambda_function_calls_through(app, ctx):
    @app.lambda_function()
    def handler(event, context):
        return [event, context.function_name]

    [function] = app.pure_lambda_functions
    assert function({'a': 1}, ctx) == [{'a': 1}, 'testapp-dev-handler']


# --------------------------------------------------------------- schedules

def test_schedule_with_string_expression(app):
    @app.schedule('rate(1 hour)')
    def every_hour(event):
        pass

    config = only_source(app)
    assert isinstance(config, ScheduledEventConfig)
    assert config.name == 'every_hour'
    assert config.handler_string == 'app.every_hour'
    assert config.schedule_expression == 'rate(1 hour)'
    assert config.description == ''
    assert app.handler_map == {'every_hour': every_hour}


def test_schedule_string_is_passed_verbatim(app):
    @app.schedule('cron(15 10 ? * 6L 2002-2005)', name='cron_handler',
                  description='Every last Friday')
    def handler(event):
        pass

    config = only_source(app)
    assert config.schedule_expression == 'cron(15 10 ? * 6L 2002-2005)'
    assert config.name == 'cron_handler'
    assert config.handler_string == 'app.handler'
    assert config.description == 'Every last Friday'


@pytest.mark.parametrize('value, unit, expected', [
    (1, Rate.MINUTES, 'rate(1 minute)'),
    (5, Rate.MINUTES, 'rate(5 minutes)'),
    (1, Rate.HOURS, 'rate(1 hour)'),
    (2, Rate.HOURS, 'rate(2 hours)'),
    (1, Rate.DAYS, 'rate(1 day)'),
    (7, Rate.DAYS, 'rate(7 days)'),
])
def test_rate_expressions(app, value, unit, expected):
    rate = Rate(value, unit=unit)
    assert rate.value == value
    assert rate.unit == unit
    assert rate.to_string() == expected

    @app.schedule(rate)
    def handler(event):
        pass

    # Kept as given (as Chalice 1.x does); the deployer makes it a string.
    assert only_source(app).schedule_expression is rate
    assert schedule_string(only_source(app).schedule_expression) == expected


def test_rate_units_are_the_documented_constants():
    assert (Rate.MINUTES, Rate.HOURS, Rate.DAYS) == ('MINUTES', 'HOURS', 'DAYS')


def test_rate_rejects_unknown_unit():
    with pytest.raises(ValueError):
        Rate(5, unit='SECONDS')


@pytest.mark.parametrize('args, expected', [
    ((15, 10, '?', '*', '6L', '2002-2005'), 'cron(15 10 ? * 6L 2002-2005)'),
    ((0, 10, '*', '*', '?', '*'), 'cron(0 10 * * ? *)'),
    ((0, 18, '?', '*', 'MON-FRI', '*'), 'cron(0 18 ? * MON-FRI *)'),
    ((0, 8, 1, '*', '?', '*'), 'cron(0 8 1 * ? *)'),
    (('0/15', '*', '*', '*', '?', '*'), 'cron(0/15 * * * ? *)'),
    (('0/5', '8-17', '?', '*', 'MON-FRI', '*'), 'cron(0/5 8-17 ? * MON-FRI *)'),
])
def test_cron_expressions(app, args, expected):
    cron = Cron(*args)
    assert cron.to_string() == expected
    assert (cron.minutes, cron.hours, cron.day_of_month, cron.month, cron.day_of_week,
            cron.year) == args

    @app.schedule(cron)
    def handler(event):
        pass

    assert only_source(app).schedule_expression is cron
    assert schedule_string(only_source(app).schedule_expression) == expected


@pytest.mark.parametrize('day_of_month, day_of_week', [
    ('*', 'MON'), (1, 'MON-FRI'), ('L', '*'),
])
def test_cron_rejects_both_day_fields(day_of_month, day_of_week):
    with pytest.raises(ValueError):
        Cron(0, 10, day_of_month, '*', day_of_week, '*')


def test_multiple_schedules_are_separate_functions(app):
    @app.schedule(Rate(1, unit=Rate.HOURS))
    def every_hour(event):
        pass

    @app.schedule(Rate(2, unit=Rate.HOURS))
    def every_two_hours(event):
        pass

    assert [(c.name, schedule_string(c.schedule_expression)) for c in app.event_sources] == [
        ('every_hour', 'rate(1 hour)'), ('every_two_hours', 'rate(2 hours)')]
    assert app.handler_map == {'every_hour': every_hour,
                               'every_two_hours': every_two_hours}


def test_scheduled_handler_gets_cloudwatch_event(app, ctx):
    received = []

    @app.schedule('rate(1 minute)')
    def every_minute(event):
        received.append(event)
        return 'done'

    raw = events.scheduled_event(rule_name='testapp-dev-every_minute')
    original = copy.deepcopy(raw)
    assert every_minute(raw, ctx) == 'done'
    [event] = received
    assert isinstance(event, CloudWatchEvent)
    assert event.version == '0'
    assert event.account == events.ACCOUNT_ID
    assert event.region == 'us-west-2'
    assert event.detail == {}
    assert event.detail_type == 'Scheduled Event'
    assert event.source == 'aws.events'
    assert event.time == '2023-11-14T22:13:20Z'
    assert event.event_id == raw['id']
    assert event.resources == [
        'arn:aws:events:us-west-2:123456789012:rule/testapp-dev-every_minute']
    assert event.context is ctx
    assert event.to_dict() == original


# --------------------------------------------------------------- cw events

def test_on_cw_event_records_pattern(app):
    pattern = {'source': ['aws.codecommit']}

    @app.on_cw_event(pattern)
    def on_code_commit_changes(event):
        pass

    config = only_source(app)
    assert isinstance(config, CloudWatchEventConfig)
    assert config.event_pattern == pattern
    assert config.name == 'on_code_commit_changes'
    assert config.handler_string == 'app.on_code_commit_changes'


def test_on_cw_event_name_override(app):
    @app.on_cw_event({'source': ['aws.ec2']}, name='ec2_changes')
    def handler(event):
        pass

    assert only_source(app).name == 'ec2_changes'
    assert app.handler_map == {'ec2_changes': handler}


def test_on_cw_event_takes_the_pattern_by_either_keyword(app):
    # The API reference documents ``on_cw_event(pattern, name=None)``;
    # Chalice 1.34 names the parameter ``event_pattern``.  Both work.
    @app.on_cw_event(pattern={'source': ['aws.codecommit']})
    def by_doc_name(event):
        pass

    @app.on_cw_event(event_pattern={'source': ['aws.ec2']}, name='ec2')
    def by_code_name(event):
        pass

    patterns = {c.name: c.event_pattern for c in app.event_sources}
    assert patterns == {'by_doc_name': {'source': ['aws.codecommit']},
                        'ec2': {'source': ['aws.ec2']}}
    with pytest.raises(TypeError, match='event_pattern'):
        app.on_cw_event()
    with pytest.raises(TypeError, match='event_pattern'):
        app.on_cw_event({'source': ['a']}, pattern={'source': ['b']})


def test_cw_pattern_handler_gets_cloudwatch_event(app, ctx):
    received = []

    @app.on_cw_event({'source': ['aws.ec2']})
    def handler(event):
        received.append(event)

    raw = events.cloudwatch_event(detail={'instance-id': 'i-1', 'state': 'stopped'})
    original = copy.deepcopy(raw)
    assert handler(raw, ctx) is None
    [event] = received
    assert isinstance(event, CloudWatchEvent)
    assert event.detail == {'instance-id': 'i-1', 'state': 'stopped'}
    assert event.detail_type == 'EC2 Instance State-change Notification'
    assert event.source == 'aws.ec2'
    assert event.version == '0'
    assert event.account == '123456789012'
    assert event.region == 'us-west-2'
    assert event.time == raw['time']
    assert event.event_id == raw['id']
    assert event.resources == raw['resources']
    assert event.context is ctx
    assert event.to_dict() == original


# ---------------------------------------------------------------------- s3

def test_on_s3_event_defaults(app):
    @app.on_s3_event(bucket='mybucket-name')
    def handle_s3_event(event):
        pass

    config = only_source(app)
    assert isinstance(config, S3EventConfig)
    assert config.bucket == 'mybucket-name'
    assert config.events == ['s3:ObjectCreated:*']
    assert config.prefix is None
    assert config.suffix is None
    assert config.name == 'handle_s3_event'
    assert config.handler_string == 'app.handle_s3_event'


def test_on_s3_event_all_options(app):
    @app.on_s3_event('mybucket', events=['s3:ObjectCreated:Put', 's3:ObjectRemoved:*'],
                     prefix='images/', suffix='.jpg', name='resizer')
    def resize_image(event):
        pass

    config = only_source(app)
    assert config.bucket == 'mybucket'
    assert config.events == ['s3:ObjectCreated:Put', 's3:ObjectRemoved:*']
    assert config.prefix == 'images/'
    assert config.suffix == '.jpg'
    assert config.name == 'resizer'
    assert config.handler_string == 'app.resize_image'


@pytest.mark.parametrize('key, encoded', [
    ('images/house.jpg', 'images/house.jpg'),
    ('my photos/beach day (1).jpg', 'my+photos/beach+day+%281%29.jpg'),
    ('a+b=c&d.txt', 'a%2Bb%3Dc%26d.txt'),
    ('caf\u00e9/\u00fcber.txt', 'caf%C3%A9/%C3%BCber.txt'),
])
def test_s3_event_key_is_url_decoded_but_to_dict_is_not(app, ctx, key, encoded):
    received = []

    @app.on_s3_event(bucket='mybucket')
    def handler(event):
        received.append(event)

    raw = events.s3_event('mybucket', key)
    assert raw['Records'][0]['s3']['object']['key'] == encoded
    handler(raw, ctx)
    [event] = received
    assert isinstance(event, S3Event)
    assert event.bucket == 'mybucket'
    assert event.key == key
    assert event.to_dict()['Records'][0]['s3']['object']['key'] == encoded
    assert event.to_dict() == events.s3_event('mybucket', key)
    assert event.context is ctx


# --------------------------------------------------------------------- sns

@pytest.mark.parametrize('call', [
    lambda app: app.on_sns_message('MyTopic'),
    lambda app: app.on_sns_message(topic='MyTopic'),
])
def test_on_sns_message_topic_name(app, call):
    @call(app)
    def handle_sns_message(event):
        pass

    config = only_source(app)
    assert isinstance(config, SNSEventConfig)
    assert config.topic == 'MyTopic'
    assert config.name == 'handle_sns_message'
    assert config.handler_string == 'app.handle_sns_message'


def test_on_sns_message_topic_arn_and_name(app):
    arn = 'arn:aws:sns:eu-west-1:210987654321:other-topic'

    @app.on_sns_message(topic=arn, name='cross_account')
    def handler(event):
        pass

    config = only_source(app)
    assert config.topic == arn
    assert config.name == 'cross_account'


def test_sns_handler_gets_subject_and_message(app, ctx):
    received = []

    @app.on_sns_message(topic='mytopic')
    def handler(event):
        received.append(event)
        return event.message.upper()

    raw = events.sns_event('TestMessage1', subject='TestSubject1',
                           message_attributes={'k': {'Type': 'String', 'Value': 'v'}})
    original = copy.deepcopy(raw)
    assert handler(raw, ctx) == 'TESTMESSAGE1'
    [event] = received
    assert isinstance(event, SNSEvent)
    assert event.subject == 'TestSubject1'
    assert event.message == 'TestMessage1'
    assert event.context is ctx
    assert event.to_dict() == original


def test_sns_without_subject(app, ctx):
    received = []

    @app.on_sns_message(topic='mytopic')
    def handler(event):
        received.append((event.subject, event.message))

    handler(events.sns_event('{"json": true}'), ctx)
    assert received == [(None, '{"json": true}')]


# --------------------------------------------------------------------- sqs

def test_on_sqs_message_defaults(app):
    @app.on_sqs_message(queue='my-queue')
    def handle_sqs_message(event):
        pass

    config = only_source(app)
    assert isinstance(config, SQSEventConfig)
    assert config.queue == 'my-queue'
    assert config.queue_arn is None
    assert config.batch_size == 1
    assert config.maximum_batching_window_in_seconds == 0
    assert config.maximum_concurrency is None
    assert config.name == 'handle_sqs_message'
    assert config.handler_string == 'app.handle_sqs_message'


def test_on_sqs_message_all_options(app):
    @app.on_sqs_message(queue='my-queue.fifo', batch_size=10, name='fifo_handler',
                        maximum_batching_window_in_seconds=30, maximum_concurrency=5)
    def handler(event):
        pass

    config = only_source(app)
    assert config.queue == 'my-queue.fifo'
    assert config.batch_size == 10
    assert config.name == 'fifo_handler'
    assert config.maximum_batching_window_in_seconds == 30
    assert config.maximum_concurrency == 5


def test_on_sqs_message_queue_arn(app):
    arn = 'arn:aws:sqs:us-west-2:123456789012:other-queue'

    @app.on_sqs_message(queue_arn=arn, batch_size=5)
    def handler(event):
        pass

    config = only_source(app)
    assert config.queue is None
    assert config.queue_arn == arn
    assert config.batch_size == 5


@pytest.mark.parametrize('kwargs', [
    {},
    {'batch_size': 5},
    {'queue': 'q', 'queue_arn': 'arn:aws:sqs:us-west-2:123456789012:q'},
])
def test_on_sqs_message_needs_exactly_one_of_queue_and_queue_arn(app, kwargs):
    with pytest.raises(ValueError):
        app.on_sqs_message(**kwargs)
    assert app.event_sources == []


def test_sqs_handler_iterates_records(app, ctx):
    received = []

    @app.on_sqs_message(queue='my-queue', batch_size=3)
    def handler(event):
        received.append(event)
        return [record.body for record in event]

    raw = events.sqs_event(['first', 'second', '{"third": 3}'], queue_name='my-queue')
    original = copy.deepcopy(raw)
    assert handler(raw, ctx) == ['first', 'second', '{"third": 3}']
    [event] = received
    assert isinstance(event, SQSEvent)
    assert event.context is ctx
    assert event.to_dict() == original
    records = list(event)
    assert len(records) == 3
    for record, raw_record in zip(records, original['Records']):
        assert isinstance(record, SQSRecord)
        assert record.body == raw_record['body']
        assert record.receipt_handle == raw_record['receiptHandle']
        assert record.receipt_handle.startswith('AQEB')
        assert record.context is ctx
        assert record.to_dict() == raw_record
    # Iterating again gives the same records.
    assert [r.body for r in event] == ['first', 'second', '{"third": 3}']


def test_sqs_handler_exception_propagates_to_lambda(app, ctx):
    @app.on_sqs_message(queue='my-queue')
    def handler(event):
        raise RuntimeError('batch failed')

    # Lambda must see the failure so it does not delete the batch.
    with pytest.raises(RuntimeError, match='batch failed'):
        handler(events.sqs_event(['x']), ctx)


# ----------------------------------------------------------------- kinesis

def test_on_kinesis_record_defaults(app):
    @app.on_kinesis_record(stream='mystream')
    def handler(event):
        pass

    config = only_source(app)
    assert isinstance(config, KinesisEventConfig)
    assert config.stream == 'mystream'
    assert config.batch_size == 100
    assert config.starting_position == 'LATEST'
    assert config.maximum_batching_window_in_seconds == 0
    assert config.name == 'handler'
    assert config.handler_string == 'app.handler'


def test_on_kinesis_record_options(app):
    @app.on_kinesis_record(stream='mystream', batch_size=7, starting_position='TRIM_HORIZON',
                           name='reader', maximum_batching_window_in_seconds=60)
    def handler(event):
        pass

    config = only_source(app)
    assert (config.batch_size, config.starting_position, config.name,
            config.maximum_batching_window_in_seconds) == (7, 'TRIM_HORIZON', 'reader', 60)


def _as_utc_naive(value):
    assert isinstance(value, datetime)
    if value.tzinfo is not None:
        assert value.utcoffset() == timedelta(0)
        value = value.replace(tzinfo=None)
    return value


def test_kinesis_handler_decodes_records(app, ctx):
    received = []

    @app.on_kinesis_record(stream='mystream')
    def handler(event):
        received.append(event)
        return [record.data for record in event]

    payloads = [b'\x00\xffbinary', 'Hello, this is a test.', json.dumps({'a': 1})]
    raw = events.kinesis_event(payloads, stream='mystream', partition_keys=['p1', 'p2', 'p3'])
    original = copy.deepcopy(raw)
    assert handler(raw, ctx) == [b'\x00\xffbinary', b'Hello, this is a test.', b'{"a": 1}']
    [event] = received
    assert isinstance(event, KinesisEvent)
    assert event.context is ctx
    assert event.to_dict() == original
    records = list(event)
    assert [r.partition_key for r in records] == ['p1', 'p2', 'p3']
    for index, (record, raw_record) in enumerate(zip(records, original['Records'])):
        assert isinstance(record, KinesisRecord)
        assert isinstance(record.data, bytes)
        assert record.data == base64.b64decode(raw_record['kinesis']['data'])
        assert record.sequence_number == raw_record['kinesis']['sequenceNumber']
        expected = datetime(2023, 11, 14, 22, 13, 20, index * 1000)
        assert _as_utc_naive(record.timestamp) == expected
        assert record.context is ctx
        assert record.to_dict() == raw_record


def test_kinesis_timestamp_keeps_subsecond_precision(app, ctx):
    raw = events.kinesis_event(['x'])
    raw['Records'][0]['kinesis']['approximateArrivalTimestamp'] = 1545084650.987
    [record] = list(KinesisEvent(raw, ctx))
    assert _as_utc_naive(record.timestamp) == datetime(2018, 12, 17, 22, 10, 50, 987000)


# ---------------------------------------------------------------- dynamodb

def test_on_dynamodb_record_defaults(app):
    @app.on_dynamodb_record(stream_arn=STREAM_ARN)
    def handler(event):
        pass

    config = only_source(app)
    assert isinstance(config, DynamoDBEventConfig)
    assert config.stream_arn == STREAM_ARN
    assert config.batch_size == 100
    assert config.starting_position == 'LATEST'
    assert config.maximum_batching_window_in_seconds == 0
    assert config.handler_string == 'app.handler'


def test_on_dynamodb_record_options(app):
    @app.on_dynamodb_record(STREAM_ARN, batch_size=1, starting_position='TRIM_HORIZON',
                            name='ddb', maximum_batching_window_in_seconds=5)
    def handler(event):
        pass

    config = only_source(app)
    assert (config.batch_size, config.starting_position, config.name,
            config.maximum_batching_window_in_seconds) == (1, 'TRIM_HORIZON', 'ddb', 5)
    assert app.handler_map == {'ddb': handler}


def test_dynamodb_handler_gets_records(app, ctx):
    received = []

    @app.on_dynamodb_record(stream_arn=STREAM_ARN)
    def handler(event):
        received.append(event)
        return len(list(event))

    key = {'id': {'S': 'u1'}}
    new = {'id': {'S': 'u1'}, 'name': {'S': 'Ann'}, 'age': {'N': '30'}}
    newer = {'id': {'S': 'u1'}, 'name': {'S': 'Anne'}, 'age': {'N': '31'}}
    raw = events.dynamodb_event([
        events.dynamodb_record(key, new_image=new),
        events.dynamodb_record(key, new_image=newer, old_image=new),
        events.dynamodb_record(key, old_image=newer),
    ], table='users')
    original = copy.deepcopy(raw)
    assert handler(raw, ctx) == 3
    [event] = received
    assert isinstance(event, DynamoDBEvent)
    assert event.context is ctx
    assert event.to_dict() == original
    insert, modify, remove = list(event)
    for record in (insert, modify, remove):
        assert isinstance(record, DynamoDBRecord)
        assert record.keys == key
        assert record.table_name == 'users'
        assert record.aws_region == 'us-west-2'
        assert record.event_source_arn == STREAM_ARN
        assert record.stream_view_type == 'NEW_AND_OLD_IMAGES'
        assert record.context is ctx
    assert [r.event_name for r in (insert, modify, remove)] == ['INSERT', 'MODIFY', 'REMOVE']
    assert (insert.new_image, insert.old_image) == (new, None)
    assert (modify.new_image, modify.old_image) == (newer, new)
    assert (remove.new_image, remove.old_image) == (None, newer)
    assert _as_utc_naive(insert.timestamp) == datetime(2023, 11, 14, 22, 13, 20)
    assert _as_utc_naive(remove.timestamp) == datetime(2023, 11, 14, 22, 13, 22)
    for record, raw_record in zip((insert, modify, remove), original['Records']):
        assert record.sequence_number == raw_record['dynamodb']['SequenceNumber']
        assert record.size_bytes == raw_record['dynamodb']['SizeBytes']
        assert record.event_id == raw_record['eventID']
        assert record.to_dict() == raw_record


def test_dynamodb_table_name_from_stream_arn_with_colons_in_label(ctx):
    arn = ('arn:aws:dynamodb:us-east-1:123456789012:table/Orders-2024/stream/'
           '2015-06-27T00:48:05.899')
    raw = events.dynamodb_event([events.dynamodb_record({'pk': {'N': '1'}},
                                                        new_image={'pk': {'N': '1'}})])
    raw['Records'][0]['eventSourceARN'] = arn
    [record] = list(DynamoDBEvent(raw, ctx))
    assert record.table_name == 'Orders-2024'


# ------------------------------------------------------- registries, names

def test_config_event_types_match_middleware_types():
    assert ScheduledEventConfig.event_type == 'scheduled'
    assert CloudWatchEventConfig.event_type == 'cloudwatch'
    assert S3EventConfig.event_type == 's3'
    assert SNSEventConfig.event_type == 'sns'
    assert SQSEventConfig.event_type == 'sqs'
    assert KinesisEventConfig.event_type == 'kinesis'
    assert DynamoDBEventConfig.event_type == 'dynamodb'


def test_handler_map_holds_every_function_and_api_handler_once_routed(app):
    @app.schedule('rate(1 day)')
    def daily(event):
        pass

    @app.on_s3_event(bucket='b', name='s3_handler')
    def on_s3(event):
        pass

    @app.lambda_function()
    def pure(event, context):
        pass

    assert app.handler_map == {'daily': daily, 's3_handler': on_s3, 'pure': pure}
    assert 'api_handler' not in app.handler_map

    @app.route('/')
    def index():
        return {}

    assert app.handler_map['api_handler'] is app
    assert set(app.handler_map) == {'daily', 's3_handler', 'pure', 'api_handler'}
    assert [c.name for c in app.event_sources] == ['daily', 's3_handler']


def test_decorated_handler_keeps_function_identity(app):
    @app.on_sns_message('topic')
    def my_handler(event):
        """Docs."""

    assert my_handler.__name__ == 'my_handler'
    assert my_handler.__doc__ == 'Docs.'
    assert callable(my_handler)


@pytest.mark.parametrize('second', [
    lambda app: app.lambda_function(),
    lambda app: app.schedule('rate(5 minutes)'),
    lambda app: app.on_sqs_message(queue='q'),
    lambda app: app.on_sns_message('t'),
    lambda app: app.on_s3_event('b'),
    lambda app: app.on_cw_event({'source': ['x']}),
    lambda app: app.on_kinesis_record('s'),
    lambda app: app.on_dynamodb_record(STREAM_ARN),
])
def test_duplicate_function_names_load_but_do_not_deploy(app, second):
    # Chalice 1.x imports such an app; `chalice deploy/package/local` refuse it.
    @app.schedule('rate(1 hour)')
    def handler(event):
        pass

    def handler(event, context=None):  # noqa: F811 - same name on purpose
        pass

    second(app)(handler)
    with pytest.raises(AppCheckError, match="Duplicate function name 'handler'"):
        check_app(app)


def test_duplicate_name_via_name_override_loads_but_does_not_deploy(app):
    @app.lambda_function(name='worker')
    def one(event, context):
        pass

    @app.on_sqs_message(queue='q', name='worker')
    def two(event):
        pass

    assert app.handler_map['worker'] is two  # the later one wins, as in Chalice 1.x
    with pytest.raises(AppCheckError, match="'worker'") as raised:
        check_app(app)
    assert function_location(raised.value.function)[1] == \
        two.__wrapped__.__code__.co_firstlineno


def test_lambda_context_is_not_set_for_event_handlers(app, ctx):
    seen = []

    @app.on_sns_message('t')
    def handler(event):
        seen.append((app.lambda_context, event.context))

    handler(events.sns_event('m'), ctx)
    assert seen == [(None, ctx)]


# ---------------------------------------------------------------- middleware

def _register(app, kind):
    """Decorate a handler of middleware type ``kind``; returns (handler, raw, class)."""
    if kind == 's3':
        deco, raw, cls = app.on_s3_event('b'), events.s3_event('b', 'k'), S3Event
    elif kind == 'sns':
        deco, raw, cls = app.on_sns_message('t'), events.sns_event('m'), SNSEvent
    elif kind == 'sqs':
        deco, raw, cls = app.on_sqs_message(queue='q'), events.sqs_event(['m']), SQSEvent
    elif kind == 'cloudwatch':
        deco, raw, cls = (app.on_cw_event({'source': ['aws.ec2']}),
                          events.cloudwatch_event(), CloudWatchEvent)
    elif kind == 'scheduled':
        deco, raw, cls = app.schedule('rate(1 hour)'), events.scheduled_event(), \
            CloudWatchEvent
    elif kind == 'kinesis':
        deco, raw, cls = app.on_kinesis_record('s'), events.kinesis_event(['x']), \
            KinesisEvent
    elif kind == 'dynamodb':
        deco, raw, cls = (app.on_dynamodb_record(STREAM_ARN),
                          events.dynamodb_event([events.dynamodb_record(
                              {'id': {'S': '1'}}, new_image={'id': {'S': '1'}})]),
                          DynamoDBEvent)
    else:
        assert kind == 'pure_lambda'

        @app.lambda_function(name='handler_' + kind)
        def pure(event, context):
            return {'handled': event}

        return pure, {'payload': 1}, LambdaFunctionEvent

    def user_handler(event):
        return {'handled': type(event).__name__}

    user_handler.__name__ = 'handler_' + kind
    return deco(user_handler), raw, cls


EVENT_KINDS = ['s3', 'sns', 'sqs', 'cloudwatch', 'scheduled', 'kinesis', 'dynamodb',
               'pure_lambda']


@pytest.mark.parametrize('kind', EVENT_KINDS)
@pytest.mark.parametrize('middleware_type', ['own', 'all'])
def test_middleware_wraps_each_event_type(app, ctx, kind, middleware_type):
    handler, raw, event_class = _register(app, kind)
    calls = []

    @app.middleware(kind if middleware_type == 'own' else 'all')
    def mw(event, get_response):
        calls.append(event)
        response = get_response(event)
        return {'wrapped': response}

    result = handler(raw, ctx)
    [event] = calls
    assert isinstance(event, event_class)
    assert event.context is ctx
    assert event.to_dict() == raw
    if kind == 'pure_lambda':
        assert event.event is raw
        assert result == {'wrapped': {'handled': raw}}
    else:
        assert result == {'wrapped': {'handled': event_class.__name__}}


@pytest.mark.parametrize('kind', EVENT_KINDS)
def test_middleware_of_other_types_is_not_applied(app, ctx, kind):
    handler, raw, _ = _register(app, kind)
    calls = []
    for other in EVENT_KINDS + ['http', 'websocket']:
        if other != kind:
            app.register_middleware(
                lambda event, get_response, other=other: calls.append(other), other)
    result = handler(raw, ctx)
    assert calls == []
    assert result is not None


def test_middleware_runs_in_registration_order(app, ctx):
    order = []

    @app.on_sns_message('t')
    def handler(event):
        order.append('handler')
        return ['handler']

    def make(label):
        def mw(event, get_response):
            order.append(label + ':before')
            response = get_response(event)
            order.append(label + ':after')
            return response + [label]
        return mw

    app.register_middleware(make('first'), 'all')
    app.register_middleware(make('second'), 'sns')
    app.register_middleware(make('third'), 'all')
    assert handler(events.sns_event('m'), ctx) == ['handler', 'third', 'second', 'first']
    assert order == ['first:before', 'second:before', 'third:before', 'handler',
                     'third:after', 'second:after', 'first:after']


def test_middleware_can_short_circuit(app, ctx):
    called = []

    @app.on_sqs_message(queue='q')
    def handler(event):
        called.append(event)

    @app.middleware('sqs')
    def deny(event, get_response):
        if any(record.body == 'poison' for record in event):
            return 'skipped'
        return get_response(event)

    assert handler(events.sqs_event(['poison']), ctx) == 'skipped'
    assert called == []
    handler(events.sqs_event(['fine']), ctx)
    assert len(called) == 1


def test_middleware_can_replace_the_event(app, ctx):
    @app.on_s3_event('bucket')
    def handler(event):
        return (event.bucket, event.key, getattr(event, 'tag', None))

    @app.middleware('s3')
    def rewrite(event, get_response):
        event.tag = 'tagged'
        replaced = S3Event(events.s3_event('other', 'new key'), event.context)
        replaced.tag = event.tag
        return get_response(replaced)

    assert handler(events.s3_event('bucket', 'old'), ctx) == ('other', 'new key', 'tagged')


def test_middleware_registered_after_first_invocation_applies(app, ctx):
    @app.on_sns_message('t')
    def handler(event):
        return event.message

    raw = events.sns_event('hello')
    assert handler(raw, ctx) == 'hello'

    @app.middleware('sns')
    def shout(event, get_response):
        return get_response(event).upper()

    assert handler(raw, ctx) == 'HELLO'

    def exclaim(event, get_response):
        return get_response(event) + '!'

    app.register_middleware(exclaim)
    assert handler(raw, ctx) == 'HELLO!'


def test_middleware_applies_to_pure_lambda_registered_after_it(app, ctx):
    @app.middleware('pure_lambda')
    def mw(event, get_response):
        assert isinstance(event, LambdaFunctionEvent)
        return {'mw': get_response(event)}

    @app.lambda_function()
    def pure(event, context):
        return [event, context.function_name]

    assert pure({'x': 1}, ctx) == {'mw': [{'x': 1}, 'testapp-dev-handler']}


def test_unknown_middleware_type_is_rejected(app):
    with pytest.raises(ValueError):
        app.middleware('s3_event')
    with pytest.raises(ValueError):
        app.register_middleware(lambda e, g: g(e), 'sqs_message')


def _recording_decorator(log):
    """A plain Lambda decorator, the kind ConvertToMiddleware adapts."""
    def decorator(func):
        def wrapper(event, context):
            log.append(('before', event, context))
            result = func(event, context)
            log.append(('after', result))
            return {'decorated': result}
        return wrapper
    return decorator


def test_convert_to_middleware_for_event_handler(app, ctx):
    log = []
    app.register_middleware(ConvertToMiddleware(_recording_decorator(log)), 'sqs')

    @app.on_sqs_message(queue='q')
    def handler(event):
        log.append(('handler', [r.body for r in event]))
        return 'ok'

    raw = events.sqs_event(['a', 'b'])
    assert handler(raw, ctx) == {'decorated': 'ok'}
    assert log == [('before', raw, ctx), ('handler', ['a', 'b']), ('after', 'ok')]


def test_convert_to_middleware_for_pure_lambda(app, ctx):
    log = []

    @app.lambda_function()
    def pure(event, context):
        log.append(('handler', event, context))
        return event['n'] + 1

    app.register_middleware(ConvertToMiddleware(_recording_decorator(log)), 'pure_lambda')
    raw = {'n': 41}
    assert pure(raw, ctx) == {'decorated': 42}
    assert log == [('before', raw, ctx), ('handler', raw, ctx), ('after', 42)]


def test_convert_to_middleware_can_short_circuit(app, ctx):
    def block(func):
        def wrapper(event, context):
            return 'blocked %s' % event['Records'][0]['Sns']['Message']
        return wrapper

    called = []

    @app.on_sns_message('t')
    def handler(event):
        called.append(event)

    app.register_middleware(ConvertToMiddleware(block), 'all')
    assert handler(events.sns_event('m'), ctx) == 'blocked m'
    assert called == []


# ---------------------------------------------------------------- blueprints

def _events_blueprint():
    bp = Blueprint('chalicelib.events')

    @bp.schedule('rate(5 minutes)')
    def cron(event):
        return ('cron', event.detail_type)

    @bp.on_cw_event({'source': ['aws.ec2']})
    def ec2(event):
        return ('ec2', event.source)

    @bp.on_s3_event('mybucket', prefix='in/')
    def upload(event):
        return ('upload', event.key)

    @bp.on_sns_message('MyTopic')
    def handle_sns_message(event):
        return ('sns', event.message)

    @bp.on_sqs_message(queue='q', batch_size=4)
    def sqs(event):
        return ('sqs', [r.body for r in event])

    @bp.on_kinesis_record('stream')
    def kinesis(event):
        return ('kinesis', [r.data for r in event])

    @bp.on_dynamodb_record(STREAM_ARN)
    def ddb(event):
        return ('ddb', [r.event_name for r in event])

    @bp.lambda_function(name='pure_fn')
    def pure(event, context):
        return ('pure', event)

    @bp.route('/')
    def index():
        return {'bp': 'index'}

    @bp.route('/items/{item_id}')
    def item(item_id):
        return {'item': item_id}

    return bp


EVENT_NAMES = ['cron', 'ec2', 'upload', 'handle_sns_message', 'sqs', 'kinesis', 'ddb']


def test_blueprint_registers_nothing_until_registered(app):
    _events_blueprint()
    assert app.event_sources == []
    assert app.handler_map == {}


def test_blueprint_records_every_decorator_with_module_handler_strings(app):
    bp = _events_blueprint()
    app.register_blueprint(bp)
    assert [c.name for c in app.event_sources] == EVENT_NAMES
    assert [c.handler_string for c in app.event_sources] == [
        'chalicelib.events.' + name for name in EVENT_NAMES]
    kinds = [type(c) for c in app.event_sources]
    assert kinds == [ScheduledEventConfig, CloudWatchEventConfig, S3EventConfig,
                     SNSEventConfig, SQSEventConfig, KinesisEventConfig,
                     DynamoDBEventConfig]
    s3 = app.event_sources[2]
    assert (s3.bucket, s3.prefix, s3.events) == ('mybucket', 'in/', ['s3:ObjectCreated:*'])
    assert app.event_sources[4].batch_size == 4
    [pure] = app.pure_lambda_functions
    assert (pure.name, pure.handler_string) == ('pure_fn', 'chalicelib.events.pure')
    assert set(app.routes) == {'/', '/items/{item_id}'}
    assert app.routes['/']['GET'].view_name == 'index'
    assert set(app.handler_map) == set(EVENT_NAMES) | {'pure_fn', 'api_handler'}
    assert app.handler_map['api_handler'] is app


def test_blueprint_name_prefix_applies_to_functions_not_routes(app):
    app.register_blueprint(_events_blueprint(), name_prefix='ev_')
    assert [c.name for c in app.event_sources] == ['ev_' + n for n in EVENT_NAMES]
    # Handler strings still name the module attributes.
    assert [c.handler_string for c in app.event_sources] == [
        'chalicelib.events.' + name for name in EVENT_NAMES]
    [pure] = app.pure_lambda_functions
    assert (pure.name, pure.handler_string) == ('ev_pure_fn', 'chalicelib.events.pure')
    assert app.routes['/']['GET'].view_name == 'index'
    assert app.routes['/items/{item_id}']['GET'].view_name == 'item'
    assert set(app.handler_map) == {'ev_' + n for n in EVENT_NAMES} | {
        'ev_pure_fn', 'api_handler'}


def test_blueprint_url_prefix_applies_to_routes_only(app):
    app.register_blueprint(_events_blueprint(), url_prefix='/bp')
    assert set(app.routes) == {'/bp', '/bp/items/{item_id}'}
    assert [c.name for c in app.event_sources] == EVENT_NAMES
    response = app(events.rest_event('/bp/items/{item_id}', path_params={'item_id': '7'}),
                   FakeLambdaContext())
    assert response['statusCode'] == 200
    assert json.loads(response['body']) == {'item': '7'}


def test_blueprint_handlers_run_with_real_events(app, ctx):
    app.register_blueprint(_events_blueprint(), name_prefix='ev_')
    handlers = app.handler_map
    assert handlers['ev_cron'](events.scheduled_event(), ctx) == ('cron', 'Scheduled Event')
    assert handlers['ev_ec2'](events.cloudwatch_event(), ctx) == ('ec2', 'aws.ec2')
    assert handlers['ev_upload'](events.s3_event('mybucket', 'in/a b.txt'), ctx) == (
        'upload', 'in/a b.txt')
    assert handlers['ev_handle_sns_message'](events.sns_event('hi'), ctx) == ('sns', 'hi')
    assert handlers['ev_sqs'](events.sqs_event(['1', '2']), ctx) == ('sqs', ['1', '2'])
    assert handlers['ev_kinesis'](events.kinesis_event([b'k']), ctx) == ('kinesis', [b'k'])
    ddb_event = events.dynamodb_event([events.dynamodb_record(
        {'id': {'S': '1'}}, old_image={'id': {'S': '1'}})])
    assert handlers['ev_ddb'](ddb_event, ctx) == ('ddb', ['REMOVE'])
    assert handlers['ev_pure_fn']({'p': 1}, ctx) == ('pure', {'p': 1})


def test_blueprint_middleware_applies_to_app_handlers(app, ctx):
    bp = Blueprint('chalicelib.mw')
    seen = []

    @bp.middleware('sns')
    def bp_middleware(event, get_response):
        seen.append(('decorator', event.message))
        return get_response(event)

    def registered(event, get_response):
        seen.append(('registered', type(event).__name__))
        return get_response(event)

    bp.register_middleware(registered, 'all')

    @app.on_sns_message('t')
    def app_handler(event):
        return 'app'

    @app.lambda_function()
    def app_pure(event, context):
        return 'pure'

    assert app_handler(events.sns_event('before'), ctx) == 'app'
    assert seen == []
    app.register_blueprint(bp)
    assert app_handler(events.sns_event('after'), ctx) == 'app'
    assert app_pure({}, ctx) == 'pure'
    assert seen == [('decorator', 'after'), ('registered', 'SNSEvent'),
                    ('registered', 'LambdaFunctionEvent')]


def test_app_middleware_applies_to_blueprint_handlers(app, ctx):
    app.register_blueprint(_events_blueprint())

    @app.middleware('sqs')
    def count(event, get_response):
        name, bodies = get_response(event)
        return name, len(bodies)

    assert app.handler_map['sqs'](events.sqs_event(['a', 'b', 'c']), ctx) == ('sqs', 3)


def test_blueprint_duplicate_name_with_app_is_refused_at_deploy(app):
    @app.schedule('rate(1 hour)')
    def cron(event):
        pass

    app.register_blueprint(_events_blueprint())
    with pytest.raises(AppCheckError, match='cron'):
        check_app(app)


def test_blueprint_current_app_after_registration(app):
    bp = _events_blueprint()
    app.register_blueprint(bp)
    assert bp.current_app is app


def test_blueprint_handler_uses_registered_app_for_current_state(app, ctx):
    bp = Blueprint('chalicelib.state')

    @bp.on_s3_event('b')
    def handler(event):
        return (bp.current_app.app_name, bp.lambda_context, event.context)

    app.register_blueprint(bp)
    assert handler(events.s3_event('b', 'k'), ctx) == ('testapp', None, ctx)


def test_events_are_json_round_trippable_through_to_dict(ctx):
    raw = events.sqs_event(['x'])
    event = SQSEvent(json.loads(json.dumps(raw)), ctx)
    assert event.to_dict() == raw
    assert [record.to_dict() for record in event] == raw['Records']
