"""Events built from payloads and functions called with their own settings (pure)."""
import base64
import json
import os

import pytest

from chalice import Chalice
from chalice.config import Config
from chalice.localinvoke import (
    InvokeInputError,
    LocalInvoker,
    build_event,
    event_type_of,
    invocable_functions,
)
from chalice.localws import LocalManagementSession, connection_id_of, use_local_management_api

STREAM_ARN = 'arn:aws:dynamodb:us-west-2:123456789012:table/users/stream/2024-01-01T00:00:00.000'


@pytest.fixture
def app():
    app = Chalice(app_name='inv')

    @app.on_s3_event(bucket='docs', events=['s3:ObjectRemoved:*'])
    def removed(event):
        return event.key

    @app.on_sns_message(topic='arn:aws:sns:eu-west-1:999999999999:alerts')
    def alerts(event):
        return event.message

    @app.on_sqs_message(queue_arn='arn:aws:sqs:eu-west-1:999999999999:far-queue')
    def far(event):
        return [r.body for r in event]

    @app.on_kinesis_record(stream='clicks')
    def clicks(event):
        return [r.data.decode() for r in event]

    @app.on_dynamodb_record(stream_arn=STREAM_ARN)
    def users(event):
        return [r.table_name for r in event]

    @app.on_cw_event({'source': ['my.app']})
    def custom(event):
        return event.detail

    @app.schedule('rate(1 hour)')
    def hourly(event):
        return event.detail_type

    @app.lambda_function(name='Raw')
    def raw(event, context):
        return event

    @app.on_ws_message()
    def message(event):
        return None

    @app.route('/')
    def index():
        return {}

    return app


def test_invocable_functions_leave_out_routes_and_websockets(app):
    assert sorted(invocable_functions(app)) == [
        'Raw', 'alerts', 'clicks', 'custom', 'far', 'hourly', 'removed', 'users']


@pytest.mark.parametrize('name, expected', [
    ('removed', 's3'), ('alerts', 'sns'), ('far', 'sqs'), ('clicks', 'kinesis'),
    ('users', 'dynamodb'), ('custom', 'cw'), ('hourly', 'cw'), ('Raw', None),
])
def test_event_type_of_each_handler(app, name, expected):
    assert event_type_of(app, name) == expected


def test_defaults_come_from_the_decorators(app):
    s3 = build_event(app, 'removed', b'a/b c.txt')['Records'][0]
    assert (s3['s3']['bucket']['name'], s3['eventName']) == ('docs', 'ObjectRemoved:Delete')
    assert s3['s3']['object']['key'] == 'a/b+c.txt'
    sns = build_event(app, 'alerts', b'fire')['Records'][0]['Sns']
    assert sns['TopicArn'].endswith(':alerts') and sns['Message'] == 'fire'
    sqs = build_event(app, 'far', b'job')['Records'][0]
    assert sqs['eventSourceARN'].endswith(':far-queue') and sqs['body'] == 'job'
    kinesis = build_event(app, 'clicks', b'click!')['Records'][0]
    assert kinesis['eventSourceARN'].endswith(':stream/clicks')
    assert base64.b64decode(kinesis['kinesis']['data']) == b'click!'
    ddb = build_event(app, 'users', b'{"keys": {"id": {"S": "1"}}}')['Records'][0]
    assert ':table/users/stream/' in ddb['eventSourceARN']
    custom = build_event(app, 'custom', b'{"n": 1}')
    assert (custom['source'], custom['detail-type'], custom['detail']) == \
        ('my.app', 'Local Event', {'n': 1})
    hourly = build_event(app, 'hourly', b'', stage='prod')
    assert hourly['resources'][0].endswith(':rule/inv-prod-hourly')
    assert hourly['detail-type'] == 'Scheduled Event' and hourly['detail'] == {}


def test_generator_arguments_override_the_defaults(app):
    event = build_event(app, 'far', json.dumps(
        {'message_bodies': ['a', 'b'], 'queue_name': 'other'}).encode())
    assert [r['body'] for r in event['Records']] == ['a', 'b']
    assert event['Records'][0]['eventSourceARN'].endswith(':other')
    cw = build_event(app, 'custom', json.dumps(
        {'detail': {'x': 1}, 'detail_type': 'Thing Happened'}).encode())
    assert (cw['detail-type'], cw['detail']) == ('Thing Happened', {'x': 1})


def test_a_cw_detail_that_looks_like_arguments_stays_a_detail(app):
    # No 'detail' key: the object is the detail itself.
    event = build_event(app, 'custom', b'{"source": "x", "region": "y"}')
    assert event['detail'] == {'source': 'x', 'region': 'y'}
    assert event['source'] == 'my.app'


def test_a_json_sqs_body_is_kept_as_text(app):
    event = build_event(app, 'far', b'{"order": 7}')
    assert event['Records'][0]['body'] == '{"order": 7}'


def test_pure_functions_get_the_payload(app):
    assert build_event(app, 'Raw', b'[1, 2]') == [1, 2]
    assert build_event(app, 'Raw', b'') == {}
    assert build_event(app, 'Raw', b'"text"') == 'text'
    assert build_event(app, 'Raw', b'hi', 'sns')['Records'][0]['Sns']['Message'] == 'hi'


@pytest.mark.parametrize('name, payload, event_type, message', [
    ('nope', b'', None, "No function named 'nope'"),
    ('index', b'', None, "No function named 'index'"),
    ('Raw', b'not json', None, 'is not JSON'),
    ('Raw', b'{}', 'bogus', 'Unknown event type'),
    ('removed', b'   ', None, 'the object key'),
    ('users', b'"text"', None, 'A dynamodb payload is a record'),
    ('custom', b'[1]', None, "A cw payload is the event's detail"),
    ('Raw', b'\xff\xfe', 'sns', 'not UTF-8'),
    ('far', b'{"queue_name": "q"}', None, 'needs message_bodies'),
    ('far', b'{"message_bodies": 5}', None, 'Cannot build a sqs event'),
])
def test_payload_errors(app, name, payload, event_type, message):
    with pytest.raises(InvokeInputError) as error:
        build_event(app, name, payload, event_type)
    assert message in str(error.value)


def test_unknown_function_is_a_404(app):
    with pytest.raises(InvokeInputError) as error:
        build_event(app, 'nope', b'')
    assert error.value.status == 404 and error.value.exit_code == 2


# ------------------------------------------------------------------ the invoker

def config_for(app):
    return Config(chalice_stage='dev', user_provided_params={'chalice_app': app},
                  config_from_disk={
                      'version': '2.0', 'app_name': 'inv',
                      'environment_variables': {'SHARED': 'top'},
                      'stages': {'dev': {'lambda_functions': {
                          'Raw': {'environment_variables': {'ONLY_RAW': 'yes'},
                                  'lambda_timeout': 9}}}}})


def test_the_function_environment_is_applied_then_restored(app, monkeypatch):
    monkeypatch.delenv('ONLY_RAW', raising=False)
    monkeypatch.setenv('SHARED', 'top')
    seen = {}

    def handler(event, context):
        seen.update(only=os.environ.get('ONLY_RAW'), shared=os.environ.get('SHARED'),
                    name=context.function_name,
                    remaining=context.get_remaining_time_in_millis())
        return 'ok'

    invoker = LocalInvoker(app, config_for(app), 'dev')
    assert invoker.call('Raw', handler, {}) == 'ok'
    assert seen['only'] == 'yes' and seen['shared'] == 'top'
    assert seen['name'] == 'inv-dev-Raw'
    assert 0 < seen['remaining'] <= 9000
    assert 'ONLY_RAW' not in os.environ


def test_the_environment_is_restored_when_the_function_raises(app, monkeypatch):
    monkeypatch.setenv('ONLY_RAW', 'before')

    def handler(event, context):
        assert os.environ['ONLY_RAW'] == 'yes'
        raise KeyError('x')

    with pytest.raises(KeyError):
        LocalInvoker(app, config_for(app), 'dev').call('Raw', handler, {})
    assert os.environ['ONLY_RAW'] == 'before'


def test_invoke_finds_the_function(app):
    invoker = LocalInvoker(app)
    assert invoker.invoke('Raw', {'a': 1}) == {'a': 1}
    assert invoker.invoke('removed', build_event(app, 'removed', b'k')) == 'k'
    with pytest.raises(InvokeInputError):
        invoker.invoke('index', {})


# ------------------------------------------------------------------ websocket helpers

class FakeSession:
    region_name = None

    def __init__(self):
        self.calls = []

    def client(self, service, *args, **kwargs):
        self.calls.append((service, kwargs))
        return service

    def get_credentials(self):
        return 'creds'


def test_local_session_points_only_the_management_client_here():
    user = FakeSession()
    session = LocalManagementSession(user, 'http://127.0.0.1:1/_chalice/ws')
    session.client('apigatewaymanagementapi', endpoint_url='https://abc.example/api')
    session.client('s3')
    assert user.calls[0] == ('apigatewaymanagementapi', {
        'endpoint_url': 'http://127.0.0.1:1/_chalice/ws', 'region_name': 'us-east-1',
        'aws_access_key_id': 'local', 'aws_secret_access_key': 'local',
        'aws_session_token': None})
    assert user.calls[1] == ('s3', {})
    assert session.get_credentials() == 'creds'


def test_the_session_is_wrapped_once_and_only_when_set():
    app = Chalice(app_name='ws')
    use_local_management_api(app, 'http://x')
    assert app.websocket_api.session is None
    user = FakeSession()
    app.websocket_api.session = user
    app.websocket_api._client = 'stale client'
    use_local_management_api(app, 'http://x')
    wrapped = app.websocket_api.session
    assert isinstance(wrapped, LocalManagementSession) and wrapped.session is user
    assert app.websocket_api._client is None
    use_local_management_api(app, 'http://y')
    assert app.websocket_api.session is wrapped


@pytest.mark.parametrize('path, expected', [
    ('/_chalice/ws/@connections/abc%3D', 'abc='),
    ('/_chalice/ws/@connections/', None),
    ('/_chalice/ws/@connections/a/b', None),
    ('/_chalice/ws/other', None),
])
def test_connection_id_of(path, expected):
    assert connection_id_of(path) == expected


def test_connection_ids_need_no_escaping():
    from urllib.parse import quote

    from chalice.localws import _short_id

    ids = {_short_id() for _ in range(2000)}
    assert len(ids) == 2000
    assert all(quote(i, safe='=') == i and len(i) == 13 for i in ids)
