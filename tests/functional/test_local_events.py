"""Events delivered locally: ``POST /_chalice/events/<name>`` and ``chalice invoke --local``.

Every event type goes through both: the endpoint of a real ``chalice
local`` process (over HTTP), and ``chalice invoke --local`` through click's
runner.  Both must give the handler the same realistic event, with the
stage's (and the function's own) environment variables, and the same reply.
"""
import json
import os
import textwrap

import pytest
import requests
from click.testing import CliRunner

from chalice.cli.group import cli
from chalice.cli.invoke_logs import EVENT_TYPES
from chalice.localinvoke import EVENT_TYPES as LOCAL_EVENT_TYPES
from tests.functional.test_local_cli import Running, free_port

APP_PY = textwrap.dedent('''\
    import os

    from chalice import Chalice, Rate

    app = Chalice(app_name='eventsapp')
    STREAM_ARN = ('arn:aws:dynamodb:us-west-2:123456789012:table/users/stream/'
                  '2024-01-01T00:00:00.000')


    def env():
        return {'GREETING': os.environ.get('GREETING'),
                'ONLY_UPLOAD': os.environ.get('ONLY_UPLOAD')}


    @app.on_s3_event(bucket='uploads')
    def on_upload(event):
        raw = event.to_dict()['Records'][0]
        return {'bucket': event.bucket, 'key': event.key, 'name': raw['eventName'],
                'env': env()}


    @app.on_sns_message(topic='news')
    def on_news(event):
        raw = event.to_dict()['Records'][0]['Sns']
        return {'message': event.message, 'subject': event.subject,
                'topic': raw['TopicArn'], 'env': env()}


    @app.on_sqs_message(queue='jobs', batch_size=10, report_batch_item_failures=True)
    def on_job(event):
        print('processing', len(event), 'messages')
        return [record for record in event if record.body.startswith('bad')]


    @app.on_kinesis_record(stream='clicks', report_batch_item_failures=True)
    def on_click(event):
        return [record for record in event if record.data == b'bad']


    @app.on_dynamodb_record(stream_arn=STREAM_ARN, report_batch_item_failures=True)
    def on_user(event):
        return [record for record in event if record.keys == {'id': {'S': 'bad'}}]


    @app.on_cw_event({'source': ['aws.ec2'],
                      'detail-type': ['EC2 Instance State-change Notification']})
    def on_ec2(event):
        return {'source': event.source, 'detail_type': event.detail_type,
                'detail': event.detail, 'env': env()}


    @app.schedule(Rate(1, unit=Rate.MINUTES))
    def every_minute(event):
        return {'source': event.source, 'detail_type': event.detail_type,
                'resources': event.resources}


    @app.lambda_function()
    def plain(event, context):
        return {'event': event, 'function': context.function_name,
                'memory': context.memory_limit_in_mb}


    @app.lambda_function()
    def fails(event, context):
        raise ValueError('this function always fails')


    @app.lambda_function()
    def unserializable(event, context):
        return object()


    @app.route('/')
    def index():
        return {'routes': 'still served'}
    ''')
CONFIG = {
    'version': '2.0',
    'app_name': 'eventsapp',
    'stages': {
        'dev': {
            'environment_variables': {'GREETING': 'hello from dev'},
            'lambda_functions': {
                'on_upload': {'environment_variables': {'ONLY_UPLOAD': 'upload only'}},
                'plain': {'lambda_memory_size': 512},
            },
        },
    },
}
DEV_ENV = {'GREETING': 'hello from dev', 'ONLY_UPLOAD': None}


def write_project(root):
    (root / '.chalice').mkdir(parents=True)
    (root / 'app.py').write_text(APP_PY)
    (root / '.chalice' / 'config.json').write_text(json.dumps(CONFIG))
    return root


@pytest.fixture(scope='module')
def project(tmp_path_factory):
    return write_project(tmp_path_factory.mktemp('events') / 'proj')


@pytest.fixture(scope='module')
def server(project):
    port = free_port()
    running = Running(project, '--port', str(port), '--no-autoreload')
    try:
        running.wait_for('Serving on')
        running.base = 'http://127.0.0.1:%d' % port
        yield running
    finally:
        running.stop()


@pytest.fixture
def restore_environ():
    saved = dict(os.environ)
    yield
    os.environ.clear()
    os.environ.update(saved)


class Reply:
    """What a delivery answered: the function's reply, or its error."""

    def __init__(self, payload, error=None):
        self.payload = payload
        self.error = error


def via_endpoint(server, name, payload, event_type=None):
    params = {'event_type': event_type} if event_type else None
    response = requests.post('%s/_chalice/events/%s' % (server.base, name), params=params,
                             data=payload, timeout=30)
    assert response.status_code == 200, response.text
    body = response.json()
    if response.headers.get('X-Amz-Function-Error'):
        assert response.headers['X-Amz-Function-Error'] == 'Unhandled'
        return Reply(None, body)
    return Reply(body)


def via_cli(project, name, payload, event_type=None):
    args = ['--project-dir', str(project), 'invoke', '--local', '-n', name]
    if event_type:
        args += ['--event-type', event_type]
    result = CliRunner().invoke(cli, args, input=payload)
    if result.exit_code == 1:
        return Reply(None, json.loads(result.stderr.strip().splitlines()[-1]))
    assert result.exit_code == 0, (result.stdout, result.stderr)
    # stdout is the reply alone: what the function prints goes to stderr.
    return Reply(json.loads(result.stdout))


@pytest.fixture(params=['endpoint', 'cli'])
def deliver(request, project):
    if request.param == 'endpoint':
        running = request.getfixturevalue('server')
        return lambda *args, **kwargs: via_endpoint(running, *args, **kwargs)
    request.getfixturevalue('restore_environ')
    return lambda *args, **kwargs: via_cli(project, *args, **kwargs)


# --------------------------------------------------------------------------
# each event type, as the handler's decorator subscribes it
# --------------------------------------------------------------------------

def test_s3_key_with_the_bucket_and_function_environment(deliver):
    reply = deliver('on_upload', b'photos/my cat.jpg\n')
    assert reply.payload == {'bucket': 'uploads', 'key': 'photos/my cat.jpg',
                             'name': 'ObjectCreated:Put',
                             'env': {'GREETING': 'hello from dev',
                                     'ONLY_UPLOAD': 'upload only'}}


def test_s3_generator_arguments(deliver):
    payload = json.dumps({'key': 'a.txt', 'event_name': 'ObjectRemoved:Delete'})
    reply = deliver('on_upload', payload.encode())
    assert (reply.payload['bucket'], reply.payload['key'], reply.payload['name']) == \
        ('uploads', 'a.txt', 'ObjectRemoved:Delete')


def test_sns_message(deliver):
    reply = deliver('on_news', b'breaking')
    assert reply.payload == {
        'message': 'breaking', 'subject': '',
        'topic': 'arn:aws:sns:us-west-2:123456789012:news', 'env': DEV_ENV}


def test_sqs_partial_batch_failure(deliver):
    payload = json.dumps({'message_bodies': ['ok-1', 'bad-1', 'ok-2', 'bad-2']})
    reply = deliver('on_job', payload.encode())
    failures = reply.payload['batchItemFailures']
    assert len(failures) == 2
    # Message IDs are the event's own (UUIDs from the generator).
    assert all(len(item['itemIdentifier']) == 36 for item in failures)


def test_sqs_plain_text_is_one_message(deliver):
    assert deliver('on_job', b'just one').payload == {'batchItemFailures': []}


def test_kinesis_partial_batch_failure(deliver):
    payload = json.dumps({'message_bodies': ['fine', 'bad', 'also fine']})
    reply = deliver('on_click', payload.encode())
    # The generator numbers records 1, 2, 3...: the second one failed.
    assert reply.payload == {'batchItemFailures': [{'itemIdentifier': '%056d' % 2}]}


def test_dynamodb_records(deliver):
    records = [{'keys': {'id': {'S': 'good'}}, 'new_image': {'id': {'S': 'good'}}},
               {'keys': {'id': {'S': 'bad'}}, 'new_image': {'id': {'S': 'bad'}}}]
    reply = deliver('on_user', json.dumps(records).encode())
    assert reply.payload == {'batchItemFailures': [{'itemIdentifier': '101'}]}
    one = deliver('on_user', json.dumps(records[0]).encode())
    assert one.payload == {'batchItemFailures': []}


def test_cloudwatch_detail_with_the_pattern_source(deliver):
    reply = deliver('on_ec2', b'{"state": "running"}')
    assert reply.payload == {'source': 'aws.ec2',
                             'detail_type': 'EC2 Instance State-change Notification',
                             'detail': {'state': 'running'}, 'env': DEV_ENV}


def test_schedule_gets_a_scheduled_event(deliver):
    reply = deliver('every_minute', b'')
    assert reply.payload['source'] == 'aws.events'
    assert reply.payload['detail_type'] == 'Scheduled Event'
    [rule] = reply.payload['resources']
    assert rule.startswith('arn:aws:events:') and \
        rule.endswith(':123456789012:rule/eventsapp-dev-every_minute')


def test_pure_function_gets_the_payload_and_its_settings(deliver):
    reply = deliver('plain', b'{"a": [1, 2]}')
    assert reply.payload == {'event': {'a': [1, 2]}, 'function': 'eventsapp-dev-plain',
                             'memory': '512'}
    assert deliver('plain', b'').payload['event'] == {}


# --------------------------------------------------------------------------
# --event-type / ?event_type= chooses the event
# --------------------------------------------------------------------------

@pytest.mark.parametrize('event_type, payload, key, expected', [
    ('s3', b'k.txt', 'Records', 'aws:s3'),
    ('sns', b'hi', 'Records', 'aws:sns'),
    ('sqs', b'hi', 'Records', 'aws:sqs'),
    ('kinesis', b'hi', 'Records', 'aws:kinesis'),
    ('dynamodb', b'{"keys": {"id": {"S": "1"}}}', 'Records', 'aws:dynamodb'),
    ('cw', b'{"x": 1}', 'detail', {'x': 1}),
])
def test_every_event_type_on_a_pure_function(deliver, event_type, payload, key, expected):
    event = deliver('plain', payload, event_type).payload['event']
    if key == 'Records':
        record = event['Records'][0]
        assert record.get('eventSource', record.get('EventSource')) == expected
    else:
        assert event[key] == expected


def test_event_types_are_the_same_in_the_cli_and_the_endpoint():
    assert EVENT_TYPES == LOCAL_EVENT_TYPES


def test_a_complete_event_is_delivered_unchanged(deliver):
    event = {'Records': [{'eventSource': 'aws:sqs', 'body': 'bad-x', 'messageId': 'm-1',
                          'receiptHandle': 'r'}]}
    reply = deliver('on_job', json.dumps(event).encode())
    assert reply.payload == {'batchItemFailures': [{'itemIdentifier': 'm-1'}]}


# --------------------------------------------------------------------------
# failures
# --------------------------------------------------------------------------

def test_a_failing_function_reports_lambdas_error(deliver):
    reply = deliver('fails', b'{}')
    assert reply.payload is None
    assert reply.error['errorType'] == 'ValueError'
    assert reply.error['errorMessage'] == 'this function always fails'
    assert any('app.py' in line for line in reply.error['stackTrace'])


def test_an_unserializable_reply_is_a_marshal_error(deliver):
    reply = deliver('unserializable', b'{}')
    assert reply.error['errorType'] == 'Runtime.MarshalError'


def test_endpoint_refuses_what_it_cannot_deliver(server):
    unknown = requests.post(server.base + '/_chalice/events/nope', data=b'{}', timeout=10)
    assert unknown.status_code == 404
    assert "No function named 'nope'" in unknown.json()['message']
    assert 'on_upload' in unknown.json()['message']
    bad = requests.post(server.base + '/_chalice/events/plain', data=b'not json', timeout=10)
    assert bad.status_code == 400 and 'not JSON' in bad.json()['message']
    bad_type = requests.post(server.base + '/_chalice/events/plain',
                             params={'event_type': 'nope'}, data=b'{}', timeout=10)
    assert bad_type.status_code == 400 and 'Unknown event type' in bad_type.json()['message']
    routes = requests.post(server.base + '/_chalice/events/api_handler', data=b'{}',
                           timeout=10)
    assert routes.status_code == 404
    wrong_method = requests.get(server.base + '/_chalice/events/plain', timeout=10)
    assert wrong_method.status_code == 405 and wrong_method.headers['Allow'] == 'POST'
    elsewhere = requests.get(server.base + '/_chalice/nothing', timeout=10)
    assert elsewhere.status_code == 404
    # The routes are still the app's.
    assert requests.get(server.base + '/', timeout=10).json() == {'routes': 'still served'}


def test_endpoint_logs_each_delivery_and_the_traceback(server):
    via_endpoint(server, 'fails', b'{}')
    server.wait_for('"POST /_chalice/events/fails HTTP/1.1" 200 -', stream='stderr')
    server.wait_for('ValueError: this function always fails', stream='stderr')


def test_cli_errors_are_one_line_with_exit_code_2(project, restore_environ):
    runner = CliRunner()
    base = ['--project-dir', str(project), 'invoke']
    unknown = runner.invoke(cli, base + ['--local', '-n', 'nope'], input='{}')
    assert unknown.exit_code == 2
    assert unknown.stderr.startswith("Error: No function named 'nope'")
    assert len(unknown.stderr.strip().splitlines()) == 1
    bad = runner.invoke(cli, base + ['--local', '-n', 'plain'], input='not json')
    assert bad.exit_code == 2 and 'not JSON' in bad.stderr
    no_local = runner.invoke(cli, base + ['-n', 'plain', '--event-type', 'sqs'], input='{}')
    assert no_local.exit_code == 2
    assert no_local.stderr.strip() == ('Error: --event-type needs --local (a deployed '
                                       'function gets the payload as it is); add --local '
                                       'or leave --event-type out.')


def test_cli_function_output_goes_to_stderr(project, restore_environ):
    result = CliRunner().invoke(cli, ['--project-dir', str(project), 'invoke', '--local',
                                      '-n', 'on_job'], input='ok')
    assert result.exit_code == 0
    assert json.loads(result.stdout) == {'batchItemFailures': []}
    assert 'processing 1 messages' in result.stderr


def test_cli_failure_prints_the_error_and_exits_1(project, restore_environ):
    result = CliRunner().invoke(cli, ['--project-dir', str(project), 'invoke', '--local',
                                      '-n', 'fails'], input='{}')
    assert result.exit_code == 1
    assert result.stdout == ''
    assert 'Traceback' in result.stderr
    error = json.loads(result.stderr.strip().splitlines()[-1])
    assert error['errorMessage'] == 'this function always fails'


def test_cli_uses_the_stage_given(tmp_path, restore_environ):
    config = json.loads(json.dumps(CONFIG))
    config['stages']['prod'] = {'environment_variables': {'GREETING': 'hello from prod'}}
    project = write_project(tmp_path / 'proj')
    (project / '.chalice' / 'config.json').write_text(json.dumps(config))
    result = CliRunner().invoke(cli, ['--project-dir', str(project), 'invoke', '--local',
                                      '--stage', 'prod', '-n', 'on_news'], input='x')
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)['env'] == {'GREETING': 'hello from prod',
                                                'ONLY_UPLOAD': None}
