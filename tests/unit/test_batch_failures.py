"""``report_batch_item_failures``: partial batch responses from batch handlers.

The option is recorded on the event source config (the deployer turns it
into the mapping's ``FunctionResponseTypes``) and the handler's return value
becomes ``{'batchItemFailures': [{'itemIdentifier': ...}]}``.
"""
import pytest

from chalice import Blueprint, Chalice
from tests.unit import events
from tests.unit.events import FakeLambdaContext

STREAM_ARN = events.dynamodb_stream_arn('users')


def reporting_app():
    """An app with one handler of each batch kind reporting failures, and one not."""
    app = Chalice(app_name='demo')
    stream_arn = 'arn:aws:dynamodb:us-west-2:123456789012:table/t/stream/2020'

    @app.on_sqs_message(queue='myq', report_batch_item_failures=True)
    def queue_handler(event):
        pass

    @app.on_kinesis_record(stream='mystream', report_batch_item_failures=True)
    def kin(event):
        pass

    @app.on_dynamodb_record(stream_arn=stream_arn, report_batch_item_failures=True)
    def ddb(event):
        pass

    @app.on_sqs_message(queue='plain')
    def plain(event):
        pass

    return app


@pytest.fixture
def app():
    return Chalice('batchapp')


@pytest.fixture
def ctx():
    return FakeLambdaContext(function_name='batchapp-dev-handler')


def test_the_option_defaults_to_off_and_is_recorded():
    app = reporting_app()
    flags = {c.name: c.report_batch_item_failures for c in app.event_sources}
    assert flags == {'plain': False, 'queue_handler': True, 'kin': True, 'ddb': True}
    # Without the option the return value is Lambda's business, as before.
    assert app.handler_map['plain'](events.sqs_event(['a']), FakeLambdaContext()) is None


def test_sqs_failed_records_become_message_ids(app, ctx):
    @app.on_sqs_message(queue='q', batch_size=3, report_batch_item_failures=True)
    def handler(event):
        return [record for record in event if record.body.startswith('bad')]

    raw = events.sqs_event(['ok', 'bad-1', 'bad-2'])
    ids = [r['messageId'] for r in raw['Records']]
    assert handler(raw, ctx) == {'batchItemFailures': [
        {'itemIdentifier': ids[1]}, {'itemIdentifier': ids[2]}]}


def test_none_means_every_record_succeeded(app, ctx):
    @app.on_sqs_message(queue='q', report_batch_item_failures=True)
    def handler(event):
        return None

    assert handler(events.sqs_event(['a', 'b']), ctx) == {'batchItemFailures': []}


def test_kinesis_failures_are_named_by_sequence_number(app, ctx):
    @app.on_kinesis_record(stream='s', report_batch_item_failures=True)
    def handler(event):
        return (record for record in event if record.data == b'boom')

    raw = events.kinesis_event([b'fine', b'boom'])
    expected = raw['Records'][1]['kinesis']['sequenceNumber']
    assert handler(raw, ctx) == {'batchItemFailures': [{'itemIdentifier': expected}]}


def test_dynamodb_failures_are_named_by_sequence_number(app, ctx):
    @app.on_dynamodb_record(stream_arn=STREAM_ARN, report_batch_item_failures=True)
    def handler(event):
        return [record for record in event if record.keys == {'id': {'S': '2'}}]

    raw = events.dynamodb_event([events.dynamodb_record({'id': {'S': '1'}}, {'n': {'N': '1'}}),
                                 events.dynamodb_record({'id': {'S': '2'}}, {'n': {'N': '2'}})])
    expected = raw['Records'][1]['dynamodb']['SequenceNumber']
    assert handler(raw, ctx) == {'batchItemFailures': [{'itemIdentifier': expected}]}


def test_identifiers_and_ready_made_responses_pass_through(app, ctx):
    answers = iter([['id-7'], {'batchItemFailures': [{'itemIdentifier': 'x'}]}])

    @app.on_sqs_message(queue='q', report_batch_item_failures=True)
    def handler(event):
        return next(answers)

    raw = events.sqs_event(['a'])
    assert handler(raw, ctx) == {'batchItemFailures': [{'itemIdentifier': 'id-7'}]}
    assert handler(raw, ctx) == {'batchItemFailures': [{'itemIdentifier': 'x'}]}


@pytest.mark.parametrize('returned, message', [
    ('a string', 'got str'),
    (42, 'got int'),
    ({'failed': []}, 'without batchItemFailures'),
    ([3], 'got int'),
])
def test_other_return_values_are_a_clear_error(app, ctx, returned, message):
    @app.on_sqs_message(queue='q', report_batch_item_failures=True)
    def handler(event):
        return returned

    with pytest.raises(TypeError, match=message):
        handler(events.sqs_event(['a']), ctx)


def test_an_exception_still_fails_the_whole_batch(app, ctx):
    @app.on_sqs_message(queue='q', report_batch_item_failures=True)
    def handler(event):
        raise RuntimeError('all of it')

    with pytest.raises(RuntimeError, match='all of it'):
        handler(events.sqs_event(['a']), ctx)


def test_middleware_sees_the_batch_response(app, ctx):
    seen = []

    @app.middleware('sqs')
    def record_response(event, get_response):
        response = get_response(event)
        seen.append(response)
        return response

    @app.on_sqs_message(queue='q', report_batch_item_failures=True)
    def handler(event):
        return list(event)

    raw = events.sqs_event(['a'])
    result = handler(raw, ctx)
    assert seen == [result]
    assert result['batchItemFailures'][0]['itemIdentifier'] == raw['Records'][0]['messageId']


def test_blueprint_handlers_take_the_option(app, ctx):
    blueprint = Blueprint(__name__)

    @blueprint.on_sqs_message(queue='q', report_batch_item_failures=True)
    def handler(event):
        return []

    app.register_blueprint(blueprint)
    [config] = app.event_sources
    assert config.report_batch_item_failures is True
    assert app.handler_map['handler'](events.sqs_event(['a']), ctx) == {'batchItemFailures': []}
