"""Handlers given an event that is not what they expect (issue 11, section 3).

Every event-source handler either runs or raises ``MalformedEventError``
naming the event type it expected; nothing else (no KeyError, TypeError...)
escapes from inside the runtime.  Hypothesis feeds arbitrary JSON values and
valid events with one part removed or replaced.  The HTTP handler's side
(always a proxy response, a 500 for a malformed event) is in
tests/unit/test_dropin_http.py.
"""
import copy

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chalice import AuthResponse, Chalice
from chalice.app import MalformedEventError
from chalice.test import Client
from tests.unit import events
from tests.unit.events import FakeLambdaContext

STREAM_ARN = events.dynamodb_stream_arn()

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) |
    st.text(max_size=6),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
        st.sampled_from(['Records', 'Sns', 's3', 'kinesis', 'dynamodb', 'requestContext',
                         'body', 'data', 'x']), inner, max_size=3),
    max_leaves=10)


_MISSING = object()


def _read_everything(event):
    """What a handler might touch: every attribute, every record."""
    for name in dir(event):
        if not name.startswith('_') and name not in ('to_dict', 'json_body'):
            getattr(event, name)
    try:
        assert event.json_body is not _MISSING
    except AttributeError:
        pass  # not a websocket event
    except ValueError:
        pass  # documented: a body that is not JSON
    if hasattr(event, '__iter__'):
        for record in event:
            _read_everything(record)


def build_app():
    app = Chalice('malformed')
    app.log.setLevel(100)
    handlers = {}

    def register(kind, decorator):
        @decorator
        def handler(event):
            _read_everything(event)
            return 'ok'
        handlers[kind] = handler

    register('sns', app.on_sns_message(topic='t', name='sns'))
    register('s3', app.on_s3_event(bucket='b', name='s3'))
    register('sqs', app.on_sqs_message(queue='q', name='sqs'))
    register('kinesis', app.on_kinesis_record(stream='s', name='kinesis'))
    register('dynamodb', app.on_dynamodb_record(stream_arn=STREAM_ARN, name='dynamodb'))
    register('eventbridge', app.on_cw_event({'source': ['x']}, name='eventbridge'))
    register('scheduled', app.schedule('rate(1 hour)', name='scheduled'))
    register('websocket', app.on_ws_message(name='websocket'))
    return app, handlers


APP, HANDLERS = build_app()

# The event type each handler's error message must name, and a valid event.
CASES = {
    'sns': ('SNS', lambda: events.sns_event('hello', subject='s')),
    's3': ('S3', lambda: events.s3_event('bucket', 'some key.txt')),
    'sqs': ('SQS', lambda: events.sqs_event(['one', 'two'])),
    'kinesis': ('Kinesis', lambda: events.kinesis_event([b'a', b'b'])),
    'dynamodb': ('DynamoDB', lambda: events.dynamodb_event([events.dynamodb_record(
        {'id': {'S': '1'}}, new_image={'id': {'S': '1'}})])),
    'eventbridge': ('EventBridge', lambda: events.cloudwatch_event()),
    'scheduled': ('EventBridge', lambda: events.scheduled_event()),
    'websocket': ('websocket', lambda: events.websocket_message_event('{"a": 1}')),
}


def check(kind, event):
    """Run the handler; only success or a MalformedEventError naming the type."""
    name = CASES[kind][0]
    try:
        result = HANDLERS[kind](event, FakeLambdaContext())
        # A websocket handler answers API Gateway with a status code.
        assert result == ({'statusCode': 200} if kind == 'websocket' else 'ok')
    except MalformedEventError as error:
        assert name in str(error), str(error)
        return False
    return True


@pytest.mark.parametrize('kind', sorted(CASES))
def test_valid_events_are_handled(kind):
    assert check(kind, CASES[kind][1]())


@pytest.mark.parametrize('kind', sorted(CASES))
@pytest.mark.parametrize('event', [{'random': 'event'}, [], 'text', None, 7])
def test_obviously_wrong_events_raise_a_clear_error(kind, event):
    if kind in ('eventbridge', 'scheduled') and isinstance(event, dict):
        # Every field of an EventBridge event is optional to the runtime.
        assert check(kind, event)
        return
    with pytest.raises(MalformedEventError) as raised:
        HANDLERS[kind](event, FakeLambdaContext())
    assert CASES[kind][0] in str(raised.value)
    assert 'handler received an event that is not' in str(raised.value)


def test_the_message_says_what_is_wrong():
    with pytest.raises(MalformedEventError) as raised:
        HANDLERS['sns'](events.s3_event('b', 'k'), FakeLambdaContext())
    assert str(raised.value) == (
        "An SNS handler received an event that is not an SNS notification "
        "({'Records': [{'Sns': {...}}]}) (got an object with keys Records; KeyError: 'Sns')")


def _paths(value, prefix=()):
    yield prefix
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _paths(item, prefix + (key,))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _paths(item, prefix + (index,))


def _mutate(event, path, replacement, delete):
    event = copy.deepcopy(event)
    if not path:
        return replacement
    parent = event
    for step in path[:-1]:
        parent = parent[step]
    if delete:
        del parent[path[-1]]
    else:
        parent[path[-1]] = replacement
    return event


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
@pytest.mark.parametrize('kind', sorted(CASES))
def test_valid_events_with_one_part_broken(kind, data):
    valid = CASES[kind][1]()
    path = data.draw(st.sampled_from(list(_paths(valid))), label='path')
    delete = bool(path) and data.draw(st.booleans(), label='delete')
    replacement = None if delete else data.draw(json_values, label='replacement')
    check(kind, _mutate(valid, path, replacement, delete))


@settings(max_examples=60, deadline=None)
@given(event=json_values)
@pytest.mark.parametrize('kind', sorted(CASES))
def test_arbitrary_json_events(kind, event):
    check(kind, event)


@pytest.mark.parametrize('kind', ['sns', 'sqs', 'websocket'])
def test_malformed_events_through_the_test_client(kind, tmp_path):
    with Client(APP, project_dir=str(tmp_path)) as client:
        with pytest.raises(MalformedEventError, match=CASES[kind][0]):
            client.lambda_.invoke(kind, {'random': 'event'})
        assert client.lambda_.invoke(kind, CASES[kind][1]()).payload is not None


def test_a_malformed_record_fails_when_reached():
    event = events.kinesis_event([b'fine'])
    event['Records'].append({'kinesis': {'data': 42}})
    seen = []

    app = Chalice('records')

    @app.on_kinesis_record(stream='s')
    def handler(event):
        for record in event:
            seen.append(record.data)

    with pytest.raises(MalformedEventError, match='Kinesis'):
        handler(event, FakeLambdaContext())
    assert seen == [b'fine']


def test_builtin_authorizer_given_a_non_object():
    app = Chalice('auth')

    @app.authorizer()
    def auth(auth_request):
        return AuthResponse(routes=['*'], principal_id='p')

    with pytest.raises(MalformedEventError, match='authorizer'):
        auth(['not', 'an', 'event'], FakeLambdaContext())
    answer = auth({'type': 'REQUEST', 'headers': 'weird', 'methodArn':
                   events.method_arn()}, FakeLambdaContext())
    assert answer['principalId'] == 'p'
