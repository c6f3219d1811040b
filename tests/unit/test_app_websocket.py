"""Websocket handlers, WebsocketEvent and app.websocket_api.

Sending goes through a real boto3 Session (fake credentials, us-west-2)
whose ``apigatewaymanagementapi`` clients are stubbed with botocore's
Stubber, so nothing reaches the network.
"""
import json
from datetime import datetime, timezone

import boto3
import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber

from chalice import (
    Blueprint,
    Chalice,
    WebsocketAPI,
    WebsocketDisconnectedError,
    WebsocketEvent,
)
from chalice.app import WebsocketHandlerConfig
from tests.unit import events
from tests.unit.events import WS_CONNECTION_ID, WS_DOMAIN, FakeLambdaContext

ENDPOINT = 'https://%s/api' % WS_DOMAIN
NOT_CONFIGURED = 'WebsocketAPI needs to be configured before sending messages.'


class StubbedSession(boto3.session.Session):
    """A boto3 Session whose clients come with an active Stubber.

    ``setup(stubber)`` queues the expected calls on every client created;
    ``created`` records ``(service_name, endpoint_url, client, stubber)``.
    """

    def __init__(self, setup=None):
        super().__init__(aws_access_key_id='testing', aws_secret_access_key='testing',
                         region_name='us-west-2')
        self._setup = setup
        self.created = []

    def client(self, service_name, **kwargs):
        client = super().client(service_name, **kwargs)
        stubber = Stubber(client)
        if self._setup is not None:
            self._setup(stubber)
        stubber.activate()
        self.created.append((service_name, kwargs.get('endpoint_url'), client, stubber))
        return client

    @property
    def endpoints(self):
        return [(service, endpoint) for service, endpoint, _, _ in self.created]

    def assert_all_used(self):
        for _, _, _, stubber in self.created:
            stubber.assert_no_pending_responses()


@pytest.fixture
def app():
    return Chalice('wsapp')


@pytest.fixture
def ctx():
    return FakeLambdaContext(function_name='wsapp-dev-websocket_message')


def expect_post(stubber, data, connection_id=WS_CONNECTION_ID):
    stubber.add_response('post_to_connection', {},
                         {'ConnectionId': connection_id, 'Data': data})


def expect_gone(stubber, method, **params):
    stubber.add_client_error(method, service_error_code='GoneException',
                             service_message='Connection gone', http_status_code=410,
                             expected_params=params)


# ------------------------------------------------------------- registration

def test_websocket_decorators_record_route_keys_and_default_names(app):
    @app.on_ws_connect()
    def connect(event):
        pass

    @app.on_ws_message()
    def message(event):
        pass

    @app.on_ws_disconnect()
    def disconnect(event):
        pass

    assert set(app.websocket_handlers) == {'$connect', '$default', '$disconnect'}
    expected = {
        '$connect': ('websocket_connect', 'app.connect', connect),
        '$default': ('websocket_message', 'app.message', message),
        '$disconnect': ('websocket_disconnect', 'app.disconnect', disconnect),
    }
    for route_key, (name, handler_string, wrapper) in expected.items():
        config = app.websocket_handlers[route_key]
        assert isinstance(config, WebsocketHandlerConfig)
        assert config.route_key == route_key
        assert config.name == name
        assert config.handler_string == handler_string
        assert config.user_handler is wrapper.__wrapped__
        assert config.handler_function is wrapper.__wrapped__  # Chalice 1.x's name
        assert app.handler_map[name] is wrapper
    assert set(app.handler_map) == {'websocket_connect', 'websocket_message',
                                    'websocket_disconnect'}
    assert 'WEBSOCKETS' in app._features_used
    assert app.event_sources == []


def test_websocket_feature_is_not_recorded_without_handlers(app):
    @app.lambda_function()
    def pure(event, context):
        pass

    assert 'WEBSOCKETS' not in app._features_used
    assert app.websocket_handlers == {}


def test_websocket_name_override(app):
    @app.on_ws_message(name='chat')
    def message(event):
        pass

    config = app.websocket_handlers['$default']
    assert config.name == 'chat'
    assert config.handler_string == 'app.message'
    assert set(app.handler_map) == {'chat'}


@pytest.mark.parametrize('decorator', ['on_ws_connect', 'on_ws_message',
                                       'on_ws_disconnect'])
def test_two_handlers_for_one_websocket_route_collide(app, decorator):
    @getattr(app, decorator)()
    def one(event):
        pass

    with pytest.raises(ValueError) as raised:
        @getattr(app, decorator)(name='other_name')
        def two(event):
            pass

    assert str(raised.value) == (
        "Duplicate websocket handler: '%s'. There can only be one handler for each "
        "websocket decorator." % decorator)
    assert [c.handler_string for c in app.websocket_handlers.values()] == ['app.one']
    assert 'other_name' not in app.handler_map


def test_blueprint_websocket_handlers(app):
    bp = Blueprint('chalicelib.ws')

    @bp.on_ws_connect()
    def connect(event):
        pass

    @bp.on_ws_message()
    def message(event):
        pass

    @bp.on_ws_disconnect()
    def disconnect(event):
        pass

    assert app.websocket_handlers == {}
    assert 'WEBSOCKETS' not in app._features_used
    app.register_blueprint(bp)
    assert {k: (c.name, c.handler_string) for k, c in app.websocket_handlers.items()} == {
        '$connect': ('websocket_connect', 'chalicelib.ws.connect'),
        '$default': ('websocket_message', 'chalicelib.ws.message'),
        '$disconnect': ('websocket_disconnect', 'chalicelib.ws.disconnect'),
    }
    assert 'WEBSOCKETS' in app._features_used
    assert app.handler_map['websocket_message'] is message


# ----------------------------------------------------------- WebsocketEvent

def test_connect_event_attributes(app, ctx):
    received = []

    @app.on_ws_connect()
    def connect(event):
        received.append(event)

    raw = events.websocket_connect_event()
    assert connect(raw, ctx) == {'statusCode': 200}
    [event] = received
    assert isinstance(event, WebsocketEvent)
    assert event.domain_name == WS_DOMAIN
    assert event.stage == 'api'
    assert event.connection_id == WS_CONNECTION_ID
    assert event.body is None
    assert event.context is ctx
    assert event.to_dict() == events.websocket_connect_event()


def test_message_event_attributes(app, ctx):
    received = []

    @app.on_ws_message()
    def message(event):
        received.append(event)
        return 'ignored'

    body = json.dumps({'action': 'chat', 'text': 'hi \u2603'})
    raw = events.websocket_message_event(body, connection_id='abc=', stage='prod')
    assert message(raw, ctx) == {'statusCode': 200}
    [event] = received
    assert event.connection_id == 'abc='
    assert event.stage == 'prod'
    assert event.domain_name == WS_DOMAIN
    assert event.body == body
    assert event.json_body == {'action': 'chat', 'text': 'hi \u2603'}
    assert event.to_dict() is raw


def test_disconnect_event_attributes(app, ctx):
    received = []

    @app.on_ws_disconnect()
    def disconnect(event):
        received.append(event)

    assert disconnect(events.websocket_disconnect_event(connection_id='gone='), ctx) == {
        'statusCode': 200}
    [event] = received
    assert event.connection_id == 'gone='
    assert event.body is None
    assert event.stage == 'api'


@pytest.mark.parametrize('body', ['not json', '{"a": ', "{'single': 'quotes'}", ''])
def test_json_body_raises_value_error_for_non_json(ctx, body):
    event = WebsocketEvent(events.websocket_message_event(body), ctx)
    assert event.body == body
    with pytest.raises(ValueError):
        _ = event.json_body


@pytest.mark.parametrize('body, parsed', [
    ('[1, 2, 3]', [1, 2, 3]), ('"text"', 'text'), ('42', 42), ('null', None),
])
def test_json_body_any_json_value(ctx, body, parsed):
    assert WebsocketEvent(events.websocket_message_event(body), ctx).json_body == parsed


# ----------------------------------------------------- sending from handlers

def test_handler_configures_api_before_user_function_runs(app, ctx):
    session = StubbedSession(lambda stubber: expect_post(stubber, 'I got your message!'))
    app.websocket_api.session = session

    @app.on_ws_message()
    def message(event):
        app.websocket_api.send(event.connection_id, 'I got your message!')

    assert message(events.websocket_message_event('hello'), ctx) == {'statusCode': 200}
    assert session.endpoints == [('apigatewaymanagementapi', ENDPOINT)]
    assert session.created[0][2].meta.endpoint_url == ENDPOINT
    assert session.created[0][2].meta.region_name == 'us-west-2'
    session.assert_all_used()


@pytest.mark.parametrize('decorator, factory', [
    ('on_ws_connect', events.websocket_connect_event),
    ('on_ws_disconnect', events.websocket_disconnect_event),
])
def test_every_websocket_handler_is_configured(app, ctx, decorator, factory):
    session = StubbedSession(lambda stubber: expect_post(stubber, 'x', 'c1'))
    app.websocket_api.session = session

    @getattr(app, decorator)()
    def handler(event):
        app.websocket_api.send('c1', 'x')

    handler(factory(stage='dev'), ctx)
    assert session.endpoints == [('apigatewaymanagementapi', 'https://%s/dev' % WS_DOMAIN)]
    session.assert_all_used()


def test_echo_server(app, ctx):
    def setup(stubber):
        expect_post(stubber, 'one', 'conn-1')
        expect_post(stubber, 'two', 'conn-2')

    session = StubbedSession(setup)
    app.websocket_api.session = session

    @app.on_ws_message()
    def message(event):
        app.websocket_api.send(connection_id=event.connection_id, message=event.body)

    message(events.websocket_message_event('one', connection_id='conn-1'), ctx)
    message(events.websocket_message_event('two', connection_id='conn-2'), ctx)
    # One client serves every call to the same endpoint.
    assert len(session.created) == 1
    session.assert_all_used()


def test_new_endpoint_gets_a_new_client(app, ctx):
    session = StubbedSession(lambda stubber: expect_post(stubber, 'm'))
    app.websocket_api.session = session

    @app.on_ws_message()
    def message(event):
        app.websocket_api.send(event.connection_id, event.body)

    message(events.websocket_message_event('m', stage='dev'), ctx)
    message(events.websocket_message_event('m', stage='prod'), ctx)
    assert session.endpoints == [
        ('apigatewaymanagementapi', 'https://%s/dev' % WS_DOMAIN),
        ('apigatewaymanagementapi', 'https://%s/prod' % WS_DOMAIN),
    ]
    session.assert_all_used()


def test_send_to_gone_connection_raises_disconnected_error(app, ctx):
    session = StubbedSession(lambda stubber: expect_gone(
        stubber, 'post_to_connection', ConnectionId='dead=', Data='hello'))
    app.websocket_api.session = session
    errors = []

    @app.on_ws_message()
    def message(event):
        try:
            app.websocket_api.send('dead=', 'hello')
        except WebsocketDisconnectedError as error:
            errors.append(error)

    message(events.websocket_message_event('x'), ctx)
    [error] = errors
    assert error.connection_id == 'dead='
    assert 'dead=' in str(error)
    session.assert_all_used()


def test_disconnected_error_propagates_out_of_handler(app, ctx):
    app.websocket_api.session = StubbedSession(lambda stubber: expect_gone(
        stubber, 'post_to_connection', ConnectionId=WS_CONNECTION_ID, Data='x'))

    @app.on_ws_message()
    def message(event):
        app.websocket_api.send(event.connection_id, 'x')

    with pytest.raises(WebsocketDisconnectedError) as info:
        message(events.websocket_message_event('x'), ctx)
    assert info.value.connection_id == WS_CONNECTION_ID


def test_other_client_errors_are_not_disguised(app, ctx):
    def setup(stubber):
        stubber.add_client_error('post_to_connection', service_error_code='LimitExceededException',
                                 http_status_code=429)

    app.websocket_api.session = StubbedSession(setup)

    @app.on_ws_message()
    def message(event):
        app.websocket_api.send(event.connection_id, 'x')

    with pytest.raises(ClientError) as info:
        message(events.websocket_message_event('x'), ctx)
    assert not isinstance(info.value, WebsocketDisconnectedError)
    assert info.value.response['Error']['Code'] == 'LimitExceededException'


# ---------------------------------------------------------- WebsocketAPI API

@pytest.fixture
def api():
    return WebsocketAPI()


def test_send_before_configure_fails(api):
    api.session = StubbedSession()
    with pytest.raises(ValueError) as info:
        api.send('abc', 'hello')
    assert str(info.value) == NOT_CONFIGURED
    assert api.session.created == []


@pytest.mark.parametrize('call', [
    lambda api: api.close('abc'), lambda api: api.info('abc'),
])
def test_close_and_info_before_configure_fail(api, call):
    api.session = StubbedSession()
    with pytest.raises(ValueError, match='configured before sending'):
        call(api)


def test_app_websocket_api_is_unconfigured_until_a_handler_runs(app):
    assert isinstance(app.websocket_api, WebsocketAPI)
    app.websocket_api.session = StubbedSession()
    with pytest.raises(ValueError) as info:
        app.websocket_api.send('abc', 'hello')
    assert str(info.value) == NOT_CONFIGURED


def test_configure_send_close_info(api):
    connected = datetime(2024, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
    active = datetime(2024, 1, 2, 3, 9, 0, tzinfo=timezone.utc)

    def setup(stubber):
        expect_post(stubber, 'hello', 'abc')
        stubber.add_response('get_connection', {
            'ConnectedAt': connected,
            'Identity': {'SourceIp': '203.0.113.10', 'UserAgent': 'ws-client'},
            'LastActiveAt': active,
        }, {'ConnectionId': 'abc'})
        stubber.add_response('delete_connection', {}, {'ConnectionId': 'abc'})

    api.session = StubbedSession(setup)
    api.configure('a1b2c3.execute-api.us-west-2.amazonaws.com', 'dev')
    assert api.send('abc', 'hello') is None
    assert api.info('abc') == {
        'ConnectedAt': connected,
        'Identity': {'SourceIp': '203.0.113.10', 'UserAgent': 'ws-client'},
        'LastActiveAt': active,
    }
    assert api.close('abc') is None
    assert api.session.endpoints == [
        ('apigatewaymanagementapi', 'https://a1b2c3.execute-api.us-west-2.amazonaws.com/dev')]
    api.session.assert_all_used()


@pytest.mark.parametrize('method, call, params', [
    ('post_to_connection', lambda api: api.send('gone', 'hi'),
     {'ConnectionId': 'gone', 'Data': 'hi'}),
    ('delete_connection', lambda api: api.close('gone'), {'ConnectionId': 'gone'}),
    ('get_connection', lambda api: api.info('gone'), {'ConnectionId': 'gone'}),
])
def test_gone_connection_raises_for_every_call(api, method, call, params):
    api.session = StubbedSession(lambda stubber: expect_gone(stubber, method, **params))
    api.configure('a1b2c3.execute-api.us-west-2.amazonaws.com', 'dev')
    with pytest.raises(WebsocketDisconnectedError) as info:
        call(api)
    assert info.value.connection_id == 'gone'
    api.session.assert_all_used()


def test_websocket_disconnected_error_attributes():
    error = WebsocketDisconnectedError('conn-id=')
    assert error.connection_id == 'conn-id='
    assert isinstance(error, Exception)


def test_configure_china_partition_endpoint_keeps_stage(api):
    domain = 'a1b2c3.execute-api.cn-north-1.amazonaws.com.cn'
    api.session = StubbedSession(lambda stubber: expect_post(stubber, 'hi', 'abc'))
    api.configure(domain, 'dev')
    api.send('abc', 'hi')
    assert api.session.endpoints == [('apigatewaymanagementapi', 'https://%s/dev' % domain)]


# -------------------------------------------------------------- middleware

def test_websocket_middleware_sees_event_and_response(app, ctx):
    seen = []
    app.websocket_api.session = StubbedSession(lambda stubber: expect_post(stubber, 'mw'))

    @app.middleware('websocket')
    def mw(event, get_response):
        # The API is configured before the middleware chain runs.
        app.websocket_api.send(event.connection_id, 'mw')
        response = get_response(event)
        seen.append((type(event), event.body, response))
        return response

    @app.on_ws_message()
    def message(event):
        return None

    assert message(events.websocket_message_event('payload'), ctx) == {'statusCode': 200}
    assert seen == [(WebsocketEvent, 'payload', {'statusCode': 200})]
    app.websocket_api.session.assert_all_used()


def test_websocket_middleware_can_short_circuit(app, ctx):
    called = []

    @app.on_ws_connect()
    def connect(event):
        called.append(event)

    def reject(event, get_response):
        if event.to_dict()['headers'].get('X-Token') != 'ok':
            return {'statusCode': 403}
        return get_response(event)

    app.register_middleware(reject, 'websocket')
    assert connect(events.websocket_connect_event(), ctx) == {'statusCode': 403}
    assert called == []
    assert connect(events.websocket_connect_event(headers={'X-Token': 'ok'}), ctx) == {
        'statusCode': 200}
    assert len(called) == 1


def test_all_middleware_applies_to_websocket_and_others_do_not(app, ctx):
    seen = []

    @app.on_ws_disconnect()
    def disconnect(event):
        pass

    app.register_middleware(lambda e, g: seen.append('sqs'), 'sqs')
    app.register_middleware(lambda e, g: seen.append('http'), 'http')

    @app.middleware('all')
    def everything(event, get_response):
        seen.append(type(event).__name__)
        return get_response(event)

    assert disconnect(events.websocket_disconnect_event(), ctx) == {'statusCode': 200}
    assert seen == ['WebsocketEvent']
