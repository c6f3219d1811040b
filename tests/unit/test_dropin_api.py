"""Drop-in behaviour of events, the test client and the names tools import
(issue 7, items 4-6)."""
import json
from datetime import datetime, timezone

import pytest

from chalice import (
    APIGateway,
    AuthResponse,
    AuthRoute,
    Chalice,
    CognitoUserPoolAuthorizer,
    CORSConfig,
    Cron,
    DynamoDBRecord,
    KinesisRecord,
    Rate,
    Response,
    WebsocketAPI,
)
from chalice.app import (
    BuiltinAuthConfig,
    CloudWatchEventConfig,
    DynamoDBEventConfig,
    KinesisEventConfig,
    LambdaFunction,
    RouteEntry,
    S3EventConfig,
    ScheduledEventConfig,
    SNSEventConfig,
    SQSEventConfig,
)
from chalice.config import Config
from chalice.test import Client, FunctionNotFoundError
from tests.unit import events
from tests.unit.events import FakeLambdaContext

EPOCH = 1700000000  # events.EPOCH_MS / 1000
STREAM_ARN = events.dynamodb_stream_arn()


@pytest.fixture
def app():
    app = Chalice('dropin-api')
    app.log.setLevel(100)
    return app


@pytest.fixture
def client(app, tmp_path):
    with Client(app, project_dir=str(tmp_path)) as test_client:
        yield test_client


# ---------------------------------------------------------------------------
# 4. Events
# ---------------------------------------------------------------------------

def _datetimes(obj):
    # Every public attribute: those set when the event is read (some kept in
    # __slots__) and the fields read on access.
    values = [getattr(obj, name) for name in dir(obj) if not name.startswith('_')]
    return [value for value in values if isinstance(value, datetime)]


def test_kinesis_and_dynamodb_timestamps_are_naive_utc(app, client):
    seen = []

    @app.on_kinesis_record(stream='s')
    def kinesis(event):
        seen.extend(record.timestamp for record in event)

    @app.on_dynamodb_record(stream_arn=STREAM_ARN)
    def dynamodb(event):
        seen.extend(record.timestamp for record in event)

    kinesis(events.kinesis_event([b'a']), FakeLambdaContext())
    dynamodb(events.dynamodb_event([events.dynamodb_record({'id': {'S': '1'}},
                                                           new_image={'id': {'S': '1'}})]),
             FakeLambdaContext())
    expected = datetime.fromtimestamp(EPOCH, timezone.utc).replace(tzinfo=None)
    assert seen == [expected, expected]
    assert all(stamp.tzinfo is None for stamp in seen)
    # The same through the test client's own event generators.
    seen.clear()
    client.lambda_.invoke('kinesis', client.events.generate_kinesis_event([b'x']))
    client.lambda_.invoke('dynamodb', client.events.generate_dynamodb_event(
        [{'keys': {'id': {'S': '1'}}}]))
    assert len(seen) == 2 and all(stamp.tzinfo is None for stamp in seen)
    assert all(abs((datetime.now(timezone.utc).replace(tzinfo=None) - s).total_seconds())
               < 3600 for s in seen)


def test_no_event_class_has_a_timezone_aware_datetime(app):
    from chalice.app import (
        CloudWatchEvent,
        DynamoDBEvent,
        KinesisEvent,
        S3Event,
        SNSEvent,
        SQSEvent,
    )
    ctx = FakeLambdaContext()
    objects = [
        CloudWatchEvent(events.scheduled_event(), ctx),
        CloudWatchEvent(events.cloudwatch_event(), ctx),
        S3Event(events.s3_event('b', 'k'), ctx),
        SNSEvent(events.sns_event('m'), ctx),
    ]
    objects += list(SQSEvent(events.sqs_event(['a']), ctx))
    objects += list(KinesisEvent(events.kinesis_event([b'a']), ctx))
    objects += list(DynamoDBEvent(events.dynamodb_event([events.dynamodb_record(
        {'id': {'S': '1'}}, new_image={'id': {'S': '1'}})]), ctx))
    for obj in objects:
        assert all(stamp.tzinfo is None for stamp in _datetimes(obj)), obj
    assert isinstance(objects[-1], DynamoDBRecord) and _datetimes(objects[-1])
    assert any(isinstance(o, KinesisRecord) and _datetimes(o) for o in objects)


def test_schedule_expression_keeps_the_object_until_deployed(app, tmp_path):
    from chalice.deploy.appgraph import build_application
    from tests.unit.deploy.fakes import make_config, make_package, write_project

    rate = Rate(5, unit=Rate.MINUTES)
    cron = Cron(0, 10, '*', '*', '?', '*')

    @app.schedule(rate)
    def every_five(event):
        pass

    @app.schedule(cron)
    def daily(event):
        pass

    @app.schedule('rate(1 hour)')
    def hourly(event):
        pass

    assert [s.schedule_expression for s in app.event_sources] == [rate, cron, 'rate(1 hour)']
    assert app.event_sources[0].schedule_expression is rate
    project = write_project(tmp_path / 'project')
    application = build_application(make_config(app, project), make_package(tmp_path))
    expressions = {r.resource_name: r.schedule_expression for r in application.resources
                   if hasattr(r, 'schedule_expression')}
    assert expressions == {'every_five-event': 'rate(5 minutes)',
                           'daily-event': 'cron(0 10 * * ? *)',
                           'hourly-event': 'rate(1 hour)'}


# ---------------------------------------------------------------------------
# 5. The test client
# ---------------------------------------------------------------------------

def auth_app(app):
    @app.authorizer()
    def demo_auth(auth_request):
        if auth_request.token == 'allow':
            return AuthResponse(routes=['/private'], principal_id='user',
                                context={'team': 'blue'})
        if auth_request.token == 'other-route':
            return AuthResponse(routes=[AuthRoute('/elsewhere', ['GET'])],
                                principal_id='user')
        if auth_request.token == 'nothing':
            return AuthResponse(routes=[], principal_id='user')
        raise Exception('not a token I know')

    @app.route('/private', authorizer=demo_auth)
    def private():
        return {'authorizer': app.current_request.context.get('authorizer')}

    @app.route('/public')
    def public():
        return {'public': True}

    return app


def test_client_enforces_builtin_authorizers(app, client):
    auth_app(app)
    response = client.http.get('/private')
    assert response.status_code == 401
    assert response.body == b'{"message":"Unauthorized"}'
    response = client.http.get('/private', headers={'Authorization': 'other-route'})
    assert response.status_code == 403
    assert response.json_body == {'Message': 'User is not authorized to access this resource'}
    # An empty routes list grants nothing: API Gateway's implicit-deny 403.
    response = client.http.get('/private', headers={'Authorization': 'nothing'})
    assert response.status_code == 403
    assert response.json_body == {'Message': 'User is not authorized to access this resource'}
    response = client.http.get('/private', headers={'Authorization': 'allow'})
    assert response.status_code == 200
    assert response.json_body == {'authorizer': {'team': 'blue', 'principalId': 'user'}}
    assert client.http.get('/public').json_body == {'public': True}


def test_client_lets_other_authorizers_through_with_one_warning(app, client, caplog):
    from chalice import IAMAuthorizer

    @app.route('/iam', authorizer=IAMAuthorizer())
    def iam():
        return {'iam': True}

    with caplog.at_level('ERROR', logger='chalice.test'):
        assert client.http.get('/iam').json_body == {'iam': True}
        assert client.http.get('/iam').status_code == 200
    assert [r.getMessage() for r in caplog.records if r.name == 'chalice.test'] == [
        "Warning: chalice.test.Client does not emulate the IAMAuthorizer 'sigv4' (used by "
        "GET /iam); requests are let through without authorization."]


def test_client_invokes_every_function_by_name(app, client):
    calls = []

    @app.lambda_function()
    def pure(event, context):
        calls.append(('pure', context.function_name))
        return 'pure'

    @app.on_sns_message(topic='t')
    def on_sns(event):
        calls.append(('sns', event.context.function_name))

    @app.schedule('rate(1 hour)', name='renamed_schedule')
    def on_schedule(event):
        calls.append(('schedule', event.context.function_name))

    @app.on_ws_connect()
    def connect(event):
        calls.append(('connect', event.context.function_name))

    @app.on_ws_message()
    def message(event):
        calls.append(('message', event.context.function_name))

    @app.route('/')
    def index():
        calls.append(('route', app.lambda_context.function_name))
        return {}

    assert client.lambda_.invoke('pure', {}).payload == 'pure'
    client.lambda_.invoke('on_sns', client.events.generate_sns_event('hi'))
    client.lambda_.invoke('renamed_schedule', events.scheduled_event())
    client.lambda_.invoke('connect', events.websocket_connect_event())
    client.lambda_.invoke('message', events.websocket_message_event('body'))
    client.lambda_.invoke('websocket_message', events.websocket_message_event('body'))
    api = client.lambda_.invoke('api_handler', events.rest_event('/')).payload
    assert api['statusCode'] == 200
    client.http.get('/')
    assert calls == [('pure', 'pure'), ('sns', 'on_sns'),
                     ('schedule', 'renamed_schedule'), ('connect', 'connect'),
                     ('message', 'message'), ('message', 'websocket_message'),
                     ('route', 'api_handler'), ('route', 'api_handler')]
    with pytest.raises(FunctionNotFoundError, match='nope'):
        client.lambda_.invoke('nope', {})


def test_function_not_found_error_is_importable_from_chalice_test():
    import chalice.test

    assert chalice.test.FunctionNotFoundError is FunctionNotFoundError
    assert issubclass(FunctionNotFoundError, Exception)


def test_dir_of_the_package_lists_each_public_name_once():
    import chalice

    assert chalice.Chalice  # loaded on first use, now also a module global
    names = dir(chalice)
    assert len(names) == len(set(names))
    assert names == sorted(names)
    assert {'Chalice', 'Response', 'Blueprint', '__version__'} <= set(names)


def test_client_binary_response_body_is_raw_bytes(app, client):
    @app.route('/bin')
    def binary():
        return Response(body=b'\x00\xff\xfe', headers={'Content-Type': 'image/png'})

    response = client.http.get('/bin', headers={'Accept': 'image/png'})
    assert response.status_code == 200
    assert response.body == b'\x00\xff\xfe'
    with pytest.raises(ValueError):
        assert response.json_body is None  # never reached: the body is not JSON


# ---------------------------------------------------------------------------
# 6. Names tools and test suites import
# ---------------------------------------------------------------------------

def test_app_routes_and_route_entries(app):
    cors = CORSConfig(allow_origin='https://x.example')
    authorizer = CognitoUserPoolAuthorizer('pool', provider_arns=['arn:pool'])

    @app.route('/items/{item_id}', methods=['GET', 'PUT'], cors=cors, authorizer=authorizer,
               api_key_required=True, content_types=['application/json', 'text/plain'])
    def item(item_id):
        return {}

    assert list(app.routes) == ['/items/{item_id}']
    assert sorted(app.routes['/items/{item_id}']) == ['GET', 'PUT']
    entry = app.routes['/items/{item_id}']['PUT']
    assert isinstance(entry, RouteEntry)
    assert (entry.view_function, entry.view_name, entry.method, entry.uri_pattern) == (
        item, 'item', 'PUT', '/items/{item_id}')
    assert (entry.authorizer_name, entry.authorizer, entry.api_key_required) == (
        'pool', authorizer, True)
    assert entry.content_types == ['application/json', 'text/plain']
    assert entry.view_args == ['item_id']
    assert entry.cors == cors
    same = RouteEntry(item, 'item', '/items/{item_id}', 'PUT', api_key_required=True,
                      content_types=['application/json', 'text/plain'], cors=cors,
                      authorizer=authorizer)
    assert entry == same and not entry != same
    assert entry != RouteEntry(item, 'item', '/items/{item_id}', 'GET',
                               api_key_required=True,
                               content_types=['application/json', 'text/plain'],
                               cors=cors, authorizer=authorizer)
    assert RouteEntry(item, 'item', '/a', 'GET', cors=True).cors == CORSConfig()
    assert RouteEntry(item, 'item', '/a', 'GET', cors=False).cors is None


def test_app_registries_have_chalice_shapes(app):
    @app.authorizer(ttl_seconds=30, header='X-Token')
    def auth(auth_request):
        pass

    @app.lambda_function(name='worker')
    def pure(event, context):
        pass

    @app.schedule('rate(1 day)', description='daily')
    def sched(event):
        pass

    @app.on_cw_event({'source': ['aws.ec2']})
    def cw(event):
        pass

    @app.on_s3_event(bucket='b', events=['s3:ObjectRemoved:*'], prefix='p/', suffix='.x')
    def s3(event):
        pass

    @app.on_sns_message(topic='t')
    def sns(event):
        pass

    @app.on_sqs_message(queue='q', batch_size=5, maximum_batching_window_in_seconds=3,
                        maximum_concurrency=4)
    def sqs(event):
        pass

    @app.on_kinesis_record(stream='s', batch_size=10, starting_position='TRIM_HORIZON')
    def kinesis(event):
        pass

    @app.on_dynamodb_record(stream_arn=STREAM_ARN, batch_size=7)
    def ddb(event):
        pass

    @app.on_ws_disconnect()
    def gone(event):
        pass

    config = app.builtin_auth_handlers[0]
    assert isinstance(config, BuiltinAuthConfig)
    assert (config.name, config.handler_string, config.ttl_seconds, config.header) == (
        'auth', 'app.auth', 30, 'X-Token')
    lambdas = app.pure_lambda_functions
    assert isinstance(lambdas[0], LambdaFunction)
    assert (lambdas[0].name, lambdas[0].handler_string) == ('worker', 'app.pure')
    sources = {source.name: source for source in app.event_sources}
    assert all(s.handler_string == 'app.%s' % n for n, s in sources.items())
    assert isinstance(sources['sched'], ScheduledEventConfig)
    assert (sources['sched'].schedule_expression, sources['sched'].description) == (
        'rate(1 day)', 'daily')
    assert isinstance(sources['cw'], CloudWatchEventConfig)
    assert sources['cw'].event_pattern == {'source': ['aws.ec2']}
    assert isinstance(sources['s3'], S3EventConfig)
    assert (sources['s3'].bucket, sources['s3'].events, sources['s3'].prefix,
            sources['s3'].suffix) == ('b', ['s3:ObjectRemoved:*'], 'p/', '.x')
    assert isinstance(sources['sns'], SNSEventConfig) and sources['sns'].topic == 't'
    assert isinstance(sources['sqs'], SQSEventConfig)
    assert (sources['sqs'].queue, sources['sqs'].queue_arn, sources['sqs'].batch_size,
            sources['sqs'].maximum_batching_window_in_seconds,
            sources['sqs'].maximum_concurrency) == ('q', None, 5, 3, 4)
    assert isinstance(sources['kinesis'], KinesisEventConfig)
    assert (sources['kinesis'].stream, sources['kinesis'].batch_size,
            sources['kinesis'].starting_position,
            sources['kinesis'].maximum_batching_window_in_seconds) == (
        's', 10, 'TRIM_HORIZON', 0)
    assert isinstance(sources['ddb'], DynamoDBEventConfig)
    assert (sources['ddb'].stream_arn, sources['ddb'].batch_size,
            sources['ddb'].starting_position) == (STREAM_ARN, 7, 'LATEST')
    assert list(app.websocket_handlers) == ['$disconnect']
    assert app.websocket_handlers['$disconnect'].handler_function is gone.__wrapped__
    assert isinstance(app.api, APIGateway)
    assert app.api.cors is False
    assert app.api.binary_types == app.api.default_binary_types
    assert 'application/octet-stream' in app.api.default_binary_types
    assert app.experimental_feature_flags == set()


def test_cli_group_and_commands_are_importable():
    import click

    import chalice.cli
    from chalice.cli import cli

    assert isinstance(cli, click.Group)
    for name, command_name in [('new_project', 'new-project'), ('local', 'local'),
                               ('deploy', 'deploy'), ('delete', 'delete'),
                               ('package', 'package'), ('gen_policy', 'gen-policy'),
                               ('invoke', 'invoke'), ('logs', 'logs'), ('url', 'url')]:
        command = getattr(chalice.cli, name)
        assert isinstance(command, click.Command) and command.name == command_name
    with pytest.raises(AttributeError):
        assert chalice.cli.not_a_command is None


def test_config_constructor_and_create():
    app = Chalice('cfg')
    config = Config(chalice_stage='dev', function_name='api_handler',
                    user_provided_params=None, config_from_disk=None, default_params=None)
    assert config.lambda_memory_size is None and config.lambda_timeout is None
    created = Config.create(chalice_stage='prod', function_name='worker',
                            project_dir='/p', chalice_app=app, app_name='cfg',
                            profile='dev-profile', lambda_timeout=30)
    assert (created.chalice_stage, created.function_name) == ('prod', 'worker')
    assert (created.project_dir, created.chalice_app, created.app_name, created.profile) == (
        '/p', app, 'cfg', 'dev-profile')
    assert created.lambda_timeout == 30 and created.lambda_memory_size is None
    disk = {'lambda_memory_size': 256, 'stages': {'prod': {'lambda_timeout': 5}}}
    layered = Config('prod', 'api_handler', user_provided_params={'lambda_timeout': 9},
                     config_from_disk=disk, default_params={'lambda_memory_size': 128})
    assert (layered.lambda_memory_size, layered.lambda_timeout) == (256, 9)
    assert Config(default_params={'lambda_memory_size': 1024}).lambda_memory_size == 1024


class FakeManagementClient:
    class exceptions:
        class GoneException(Exception):
            pass

    def __init__(self, endpoint_url, sent):
        self.endpoint_url = endpoint_url
        self.sent = sent

    def post_to_connection(self, ConnectionId, Data):
        self.sent.append((self.endpoint_url, ConnectionId, Data))


class FakeSession:
    def __init__(self):
        self.sent = []

    def client(self, service_name, endpoint_url=None):
        assert service_name == 'apigatewaymanagementapi'
        return FakeManagementClient(endpoint_url, self.sent)


def test_websocket_api_needs_a_session_first(app):
    @app.on_ws_message()
    def message(event):
        app.websocket_api.send(event.connection_id, 'x')

    with pytest.raises(ValueError) as raised:
        message(events.websocket_message_event('hi'), FakeLambdaContext())
    assert str(raised.value) == ('Assign app.websocket_api.session to a boto3 session '
                                 'before using the WebsocketAPI')
    for call in (lambda: WebsocketAPI().send('c', 'm'), lambda: WebsocketAPI().close('c'),
                 lambda: WebsocketAPI().info('c')):
        with pytest.raises(ValueError, match='Assign app.websocket_api.session'):
            call()


def test_websocket_api_env_and_configure_from_api_id():
    api = WebsocketAPI(env={'AWS_REGION': 'eu-west-1'})
    api.session = FakeSession()
    api.configure_from_api_id('abc123', 'prod')
    api.send('conn', 'hello')
    assert api.session.sent == [
        ('https://abc123.execute-api.eu-west-1.amazonaws.com/prod', 'conn', 'hello')]
    china = WebsocketAPI(env={'AWS_DEFAULT_REGION': 'cn-north-1'})
    china.session = FakeSession()
    china.configure_from_api_id('x', 'api')
    china.send('c', 'm')
    assert china.session.sent[0][0] == 'https://x.execute-api.cn-north-1.amazonaws.com.cn/api'
    with pytest.raises(ValueError, match='AWS_REGION'):
        WebsocketAPI(env={}).configure_from_api_id('x', 'api')


def test_request_and_event_payloads_are_json_through_the_client(app, client):
    @app.route('/echo', methods=['POST'])
    def echo():
        return app.current_request.json_body

    response = client.http.post('/echo', headers={'Content-Type': 'application/json'},
                                body=json.dumps({'a': [1, 2]}))
    assert response.json_body == {'a': [1, 2]}
