"""The runtime's shortcuts give what the long way gives.

Several hot paths of the runtime skip general-purpose code (issue 12): the
JSON encoder, S3 key decoding, Kinesis/DynamoDB timestamps, per-path
dispatch tables built on first use, event fields read on access, lazily
imported runtime modules.  Each test here checks a shortcut against the
general code it stands in for, or that what it defers still happens.
"""
import json
import subprocess
import sys
import uuid
from datetime import datetime, timezone
from decimal import Decimal
from urllib.parse import unquote_plus

from hypothesis import given, settings
from hypothesis import strategies as st

from chalice import Chalice
from chalice.proxy import LambdaContext, new_request_id, once_a_second
from chalice.runtime import events as runtime_events
from chalice.runtime import http as runtime_http
from chalice.runtime.events import (
    CloudWatchEvent,
    DynamoDBEvent,
    KinesisEvent,
    SQSEvent,
    SQSRecord,
)
from tests.unit import events
from tests.unit.events import FakeLambdaContext, rest_event
from tests.unit.events_v2 import http_api_event

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20)


@settings(max_examples=300)
@given(value=json_values)
def test_dumps_is_json_encoder_encode(value):
    standard = json.JSONEncoder(separators=(',', ':'),
                                default=runtime_http._json_default).encode
    assert runtime_http.dumps(value) == standard(value)


def test_dumps_keeps_the_default_hook_and_the_errors():
    assert runtime_http.dumps({'d': Decimal('1.5'), 'i': Decimal('2')}) == '{"d":1.5,"i":2}'
    circular = []
    circular.append(circular)
    for value, error in ((object(), TypeError), (circular, ValueError)):
        try:
            runtime_http.dumps(value)
        except error:
            pass
        else:
            raise AssertionError('no %s for %r' % (error.__name__, value))


@settings(max_examples=500)
@given(key=st.text(alphabet='ab/ +%2F0c9\u00e9\u20ac\x00', max_size=16))
def test_s3_key_is_unquote_plus(key):
    assert runtime_events._s3_key(key) == unquote_plus(key)


@settings(max_examples=500)
@given(seconds=st.floats(min_value=-6e10, max_value=2.5e11) | st.integers(0, 4_000_000_000))
def test_epoch_to_datetime_is_fromtimestamp_without_its_zone(seconds):
    expected = datetime.fromtimestamp(float(seconds), timezone.utc).replace(tzinfo=None)
    assert runtime_events._epoch_to_datetime(seconds) == expected


def test_routes_and_methods_added_after_the_first_request_are_served():
    app = Chalice('late')

    @app.route('/items', methods=['GET'])
    def list_items():
        return ['a']

    context = FakeLambdaContext()
    assert app(rest_event('/items', 'POST'), context)['statusCode'] == 405

    @app.route('/items', methods=['POST'])
    def add_item():
        return {'added': True}

    @app.route('/other')
    def other():
        return {'other': True}

    post = app(rest_event('/items', 'POST'), context)
    assert (post['statusCode'], json.loads(post['body'])) == (200, {'added': True})
    assert json.loads(app(rest_event('/other'), context)['body']) == {'other': True}
    assert app(rest_event('/items', 'PUT'), context)['headers']['Allow'] == 'GET,POST'


def test_http_api_events_reach_routes_added_after_the_first_request():
    app = Chalice('late-v2')

    @app.route('/first')
    def first():
        return {'route': 'first'}

    context = FakeLambdaContext()
    assert app(http_api_event('GET /first'), context)['statusCode'] == 200
    assert app(http_api_event('GET /second'), context)['statusCode'] == 404

    @app.route('/second')
    def second():
        return {'route': 'second'}

    response = app(http_api_event('GET /second'), context)
    assert (response['statusCode'], json.loads(response['body'])) == (200, {'route': 'second'})


def test_rarely_read_fields_are_read_on_access_and_can_be_assigned():
    app = Chalice('fields')
    seen = []

    @app.middleware('sqs')
    def tag(event, get_response):
        for record in event:
            record.message_id = 'changed'
            seen.append(record)
        return get_response(event)

    @app.on_sqs_message(queue='q')
    def handler(event):
        return [(r.body, r.receipt_handle, r.message_id) for r in event]

    sqs = events.sqs_event(['one'])
    [(body, receipt, message_id)] = handler(sqs, FakeLambdaContext())
    raw = sqs['Records'][0]
    assert (body, receipt, message_id) == ('one', raw['receiptHandle'], raw['messageId'])
    assert seen[0].message_id == 'changed'
    assert seen[0].receipt_handle == raw['receiptHandle']


def test_decorated_handlers_are_functions_carrying_the_users_function():
    app = Chalice('functions')

    def on_message(event):
        """Docs."""

    handler = app.on_sqs_message(queue='q')(on_message)
    assert callable(handler) and handler.__wrapped__ is on_message
    assert handler.func is on_message
    assert handler.event_class is runtime_events.SQSEvent
    assert handler.middleware_type == 'sqs'
    assert (handler.__name__, handler.__doc__) == ('on_message', 'Docs.')


def test_a_rest_api_does_not_load_the_event_and_authorizer_modules():
    code = ('import sys\n'
            'from chalice import Chalice\n'
            'app = Chalice("api")\n'
            '@app.route("/")\n'
            'def index():\n'
            '    return {}\n'
            'print(sorted(m for m in sys.modules if m.startswith("chalice.runtime.")))\n'
            'from chalice.app import SQSEvent, IAMAuthorizer, WebsocketAPI\n'
            'print(SQSEvent.__module__, IAMAuthorizer.__module__, WebsocketAPI.__module__)\n')
    out = subprocess.run([sys.executable, '-c', code], check=True, capture_output=True,
                         text=True, timeout=60).stdout.splitlines()
    assert out == ["['chalice.runtime.errors', 'chalice.runtime.http']",
                   'chalice.runtime.events chalice.runtime.auth chalice.runtime.websocket']


def test_request_ids_are_version_4_uuids():
    ids = {new_request_id() for _ in range(1000)}
    assert len(ids) == 1000
    for text in list(ids)[:50] + [LambdaContext('fn').aws_request_id]:
        parsed = uuid.UUID(text)
        assert (parsed.version, parsed.variant, str(parsed)) == (4, uuid.RFC_4122, text)


def test_once_a_second_formats_once_per_second():
    calls = []

    def format_second(second):
        calls.append(second)
        return 'at %d' % second

    formatted = once_a_second(format_second)
    assert [formatted(10.2), formatted(10.9), formatted(11.0), formatted(10.5)] == \
        ['at 10', 'at 10', 'at 11', 'at 10']
    assert calls == [10, 11, 10]


class _Mapping(dict):
    """A dict that is not exactly a dict: the fast paths must not care."""


record_values = st.one_of(
    st.none(), st.integers(), st.text(max_size=3), st.lists(st.integers(), max_size=2),
    st.fixed_dictionaries({}, optional={'body': st.none() | st.text(max_size=5),
                                        'messageId': st.text(max_size=5)}),
    st.builds(_Mapping, st.fixed_dictionaries({'body': st.text(max_size=5)})))
sqs_shaped = st.one_of(
    st.none(), st.integers(), st.lists(record_values, max_size=2),
    st.fixed_dictionaries({}, optional={'Records': st.none() | st.text(max_size=3)
                                        | st.tuples(record_values)
                                        | st.lists(record_values, max_size=4)}),
    st.builds(_Mapping, st.fixed_dictionaries(
        {'Records': st.lists(record_values, max_size=3)})))


def _outcome(make_records):
    """The records' (type, body, context, to_dict()) up to the first error, and the
    error's type and text."""
    seen = []
    try:
        for record in make_records():
            seen.append((type(record), record.body, record.context, record.to_dict()))
    except Exception as error:  # noqa: BLE001 - the error itself is compared
        seen.append((type(error), str(error)))
    return seen


@settings(max_examples=400)
@given(event=sqs_shaped)
def test_the_sqs_handler_reads_any_event_as_the_constructors_do(event):
    # The handler's shortcut (a batch without middleware, records made in
    # SQSEvent.__iter__) against SQSEvent(event, context) and SQSRecord(record,
    # context), which go through _fill.
    app = Chalice('batch')
    context = FakeLambdaContext()

    @app.on_sqs_message(queue='q')
    def handler(event):
        return [record for record in event]

    def constructors():
        records = SQSEvent(event, context)._records
        return [SQSRecord(record, context) for record in records]

    assert _outcome(lambda: handler(event, context)) == _outcome(constructors)


def test_batch_events_and_records_pickle_and_copy_with_every_attribute():
    import copy
    import pickle

    context = None
    sqs = SQSEvent(events.sqs_event(['one', 'two']), context)
    kinesis = KinesisEvent(events.kinesis_event([b'data']), context)
    dynamodb = DynamoDBEvent(events.dynamodb_event([events.dynamodb_record(
        {'id': {'S': '1'}}, new_image={'id': {'S': '1'}})]), context)
    objects = [sqs, kinesis, dynamodb] + list(sqs) + list(kinesis) + list(dynamodb)
    objects.append(CloudWatchEvent(events.scheduled_event(), context))
    for obj in objects:
        obj.note = 'set by a user'

    def public(obj):
        names = [name for name in dir(obj) if not name.startswith('_')]
        return {name: getattr(obj, name) for name in names if not callable(getattr(obj, name))}

    copies = [copy.copy, copy.deepcopy]
    copies += [lambda obj, p=p: pickle.loads(pickle.dumps(obj, p))
               for p in range(pickle.HIGHEST_PROTOCOL + 1)]
    for obj in objects:
        for make_copy in copies:
            twin = make_copy(obj)
            assert type(twin) is type(obj)
            assert public(twin) == public(obj) and twin.note == 'set by a user'
            assert twin.to_dict() == obj.to_dict()
            if isinstance(obj, (SQSEvent, KinesisEvent, DynamoDBEvent)):
                assert [public(r) for r in twin] == [public(r) for r in obj]


@settings(max_examples=500)
@given(data=st.one_of(st.text(alphabet='QUJDabc012+/=-_ \n\u00e9', max_size=12),
                      st.binary(max_size=12), st.integers(), st.none()))
def test_kinesis_data_is_decoded_as_b64decode_does(data):
    import base64

    def outcome(decode):
        try:
            return decode(data)
        except (TypeError, ValueError) as error:
            return type(error)
    assert outcome(runtime_events._b64decode) == outcome(base64.b64decode)


@settings(max_examples=300)
@given(event=st.one_of(
    st.none(), st.integers(), st.text(max_size=3), st.lists(st.integers(), max_size=2),
    st.dictionaries(st.sampled_from(['time', 'detail', 'id', 'source', 'detail-type']),
                    st.text(max_size=3), max_size=4),
    st.builds(_Mapping, st.fixed_dictionaries({'time': st.text(max_size=3)}))))
def test_the_eventbridge_handlers_read_any_event_as_the_constructor_does(event):
    # The handler's shortcut for a class whose _fill only keeps a dict event
    # (CloudWatchEvent) against CloudWatchEvent(event, context).
    app = Chalice('eventbridge')
    context = FakeLambdaContext()

    def seen(make_event):
        try:
            obj = make_event()
            return (type(obj), obj.to_dict(), obj.context, obj.time, obj.detail_type)
        except Exception as error:  # noqa: BLE001 - the error itself is compared
            return (type(error), str(error))

    def on_event(event):
        return event
    schedule = app.schedule('rate(1 hour)')(on_event)
    pattern = app.on_cw_event({'source': ['x']}, name='matched')(on_event)
    expected = seen(lambda: CloudWatchEvent(event, context))
    assert seen(lambda: schedule(event, context)) == expected
    assert seen(lambda: pattern(event, context)) == expected
