"""``chalice logs`` and ``chalice invoke`` without AWS.

chalice.logs (formatting, --since, fetching and following) runs against a
fake AWSClient; the commands run in click's CliRunner with the AWS client
replaced, so every path (including read timeouts and AWS errors) is covered
without a network.  The moto-backed tests are in
tests/integration/test_invoke_logs.py.
"""
import datetime
import io
import json
import os

import boto3
import pytest
from botocore.exceptions import ReadTimeoutError
from botocore.response import StreamingBody
from botocore.stub import Stubber
from click.testing import CliRunner

from chalice import logs
from chalice.awsclient import LAMBDA_INVOKE_READ_TIMEOUT, AccessDeniedError, AWSClient
from chalice.cli import cli, invoke_logs
from chalice.errors import DeploymentError

UTC = datetime.timezone.utc
STREAM = '2016/11/07/[$LATEST]431786e1c6a54f3bb0d0c49ec6f38f70'
OTHER_STREAM = '2016/11/07/[$LATEST]9d2a92aa1e2d4c0b8f5b0c6a1d2e3f40'
# 2016-11-07 12:29:15.714 UTC
TS = 1478521755714
REGION = 'eu-central-1'
ARN = 'arn:aws:lambda:%s:123456789012:function:demolog-dev' % REGION
FOO_ARN = 'arn:aws:lambda:%s:123456789012:function:demolog-dev-foo' % REGION


def event(message, timestamp=TS, stream=STREAM, event_id=None, ingestion_time=None):
    return {'timestamp': timestamp, 'logStreamName': stream, 'message': message,
            'eventId': event_id if event_id is not None else '%d-%s' % (timestamp, message),
            'ingestionTime': ingestion_time if ingestion_time is not None else timestamp + 50}


class FakeLogsAWS:
    """Answers FilterLogEvents from a list of events, paged ``page_size`` at a time.

    ``events`` may be replaced between polls; ``calls`` records the params.
    """

    def __init__(self, events=(), page_size=2, missing=False):
        self.events = list(events)
        self.page_size = page_size
        self.missing = missing
        self.calls = []

    def call(self, service, method, params=None, ignore_errors=(), region=None):
        assert (service, method) == ('logs', 'filter_log_events')
        self.calls.append(dict(params))
        if self.missing:
            assert 'ResourceNotFoundException' in ignore_errors
            return None
        matching = [e for e in self.events
                    if e['timestamp'] >= params.get('startTime', 0)]
        start = int(params.get('nextToken', '0'))
        page = matching[start:start + self.page_size]
        response = {'events': page, 'searchedLogStreams': []}
        if start + self.page_size < len(matching):
            response['nextToken'] = str(start + self.page_size)
        return response


# ---------------------------------------------------------------------------
# names and formatting
# ---------------------------------------------------------------------------

def test_function_name_region_and_log_group_come_from_the_arn():
    assert logs.function_name_from_arn(ARN) == 'demolog-dev'
    assert logs.function_name_from_arn(ARN + ':live') == 'demolog-dev'
    assert logs.function_name_from_arn('plain-name') == 'plain-name'
    assert logs.region_from_arn(ARN) == REGION
    assert logs.region_from_arn('plain-name') is None
    assert logs.log_group_name('demolog-dev') == '/aws/lambda/demolog-dev'


@pytest.mark.parametrize('stream, expected', [
    (STREAM, '431786'),
    ('2024/01/31/[7]abcdef0123456789', 'abcdef'),
    ('2024/01/31/app-log-stream', 'app-lo'),
    ('abc', 'abc'),
])
def test_short_stream_id_is_the_start_of_the_hash_part(stream, expected):
    assert logs.short_stream_id(stream) == expected


def test_format_timestamp_is_utc_with_milliseconds():
    assert logs.format_timestamp(TS) == '2016-11-07 12:29:15.714'
    assert logs.format_timestamp(TS - 714) == '2016-11-07 12:29:15.000'
    assert logs.format_timestamp(5) == '1970-01-01 00:00:00.005'


def test_format_event_matches_the_documented_line():
    line = logs.format_event(logs.LogEvent.from_response(
        event('demolog - DEBUG - This is a debug statement\n')))
    assert line == '2016-11-07 12:29:15.714 431786 demolog - DEBUG - This is a debug statement'
    crlf = logs.LogEvent(TS, STREAM, 'windows\r\n')
    assert logs.format_event(crlf).endswith(' 431786 windows')
    # Inner newlines (a traceback in one event) are kept.
    multi = logs.LogEvent(TS, STREAM, 'Traceback:\n  line 1\n')
    assert logs.format_event(multi) == '2016-11-07 12:29:15.714 431786 Traceback:\n  line 1'


@pytest.mark.parametrize('message', [
    'START RequestId: 8f5e6b3a-1 Version: $LATEST\n',
    'END RequestId: 8f5e6b3a-1\n',
    'REPORT RequestId: 8f5e6b3a-1\tDuration: 1.23 ms\tBilled Duration: 2 ms\n',
    'INIT_START Runtime Version: python:3.11.v29\n',
    json.dumps({'time': '2024-01-31T12:00:00Z', 'type': 'platform.start',
                'record': {'requestId': 'x'}}),
])
def test_lambda_platform_lines_are_recognised(message):
    assert logs.is_lambda_message(message)


@pytest.mark.parametrize('message', [
    'demolog - ERROR - START RequestId: not at the start\n',
    'STARTING the job\n',
    'REPORT for Q3\n',
    '{"level": "INFO", "message": "about platform.start"}',
    '{"type": "platform.start" broken json',
])
def test_function_output_is_not_a_lambda_message(message):
    assert not logs.is_lambda_message(message)


# ---------------------------------------------------------------------------
# --since
# ---------------------------------------------------------------------------

NOW = datetime.datetime(2024, 1, 31, 12, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize('value, delta', [
    ('30s', datetime.timedelta(seconds=30)),
    ('5m', datetime.timedelta(minutes=5)),
    ('2h', datetime.timedelta(hours=2)),
    ('1d', datetime.timedelta(days=1)),
    ('1w', datetime.timedelta(weeks=1)),
    (' 10m ', datetime.timedelta(minutes=10)),
    ('0s', datetime.timedelta(0)),
])
def test_relative_since(value, delta):
    assert logs.parse_since(value, now=NOW) == NOW - delta


@pytest.mark.parametrize('value, expected', [
    ('2024-01-30T08:15:00Z', datetime.datetime(2024, 1, 30, 8, 15, tzinfo=UTC)),
    ('2024-01-30T08:15:00', datetime.datetime(2024, 1, 30, 8, 15, tzinfo=UTC)),
    ('2024-01-30T10:15:00+02:00', datetime.datetime(2024, 1, 30, 8, 15, tzinfo=UTC)),
    ('2024-01-30 08:15:00.250', datetime.datetime(2024, 1, 30, 8, 15, 0, 250000, tzinfo=UTC)),
    ('2024-01-30', datetime.datetime(2024, 1, 30, tzinfo=UTC)),
])
def test_iso_since_is_utc_unless_an_offset_is_given(value, expected):
    parsed = logs.parse_since(value, now=NOW)
    assert parsed == expected
    assert parsed.utcoffset() == datetime.timedelta(0)


@pytest.mark.parametrize('value', ['', '5', '5x', 'm5', '5 minutes', 'yesterday',
                                   '2024-13-01', '-5m', '1.5h'])
def test_bad_since_is_a_one_line_usage_error(value):
    with pytest.raises(logs.InvalidSinceError) as excinfo:
        logs.parse_since(value, now=NOW)
    assert excinfo.value.exit_code == 2
    message = str(excinfo.value)
    assert '\n' not in message
    assert repr(value) in message and '5m' in message and 'ISO 8601' in message


def test_parse_since_defaults_to_the_current_time():
    before = datetime.datetime.now(UTC)
    parsed = logs.parse_since('1m')
    after = datetime.datetime.now(UTC)
    minute = datetime.timedelta(minutes=1)
    assert before - minute <= parsed <= after - minute


# ---------------------------------------------------------------------------
# fetching
# ---------------------------------------------------------------------------

def platform_and_app_events():
    return [
        event('START RequestId: r1 Version: $LATEST\n', TS),
        event('demolog - ERROR - first\n', TS + 1),
        event('END RequestId: r1\n', TS + 2),
        event('REPORT RequestId: r1\tDuration: 2.00 ms\n', TS + 3),
        event('START RequestId: r2 Version: $LATEST\n', TS + 10, OTHER_STREAM),
        event('demolog - ERROR - second\n', TS + 11, OTHER_STREAM),
        event('END RequestId: r2\n', TS + 12, OTHER_STREAM),
    ]


def test_retrieve_reads_every_page_and_hides_lambda_messages():
    aws = FakeLogsAWS(platform_and_app_events(), page_size=2)
    retriever = logs.LogRetriever(aws, '/aws/lambda/demolog-dev')
    events = retriever.retrieve()
    assert [e.message for e in events] == ['demolog - ERROR - first\n',
                                           'demolog - ERROR - second\n']
    assert len(aws.calls) == 4  # 7 events, 2 per page
    assert aws.calls[0] == {'logGroupName': '/aws/lambda/demolog-dev'}
    assert [c.get('nextToken') for c in aws.calls] == [None, '2', '4', '6']


def test_retrieve_can_include_lambda_messages():
    aws = FakeLogsAWS(platform_and_app_events())
    retriever = logs.LogRetriever(aws, 'g', include_lambda_messages=True)
    assert len(retriever.retrieve()) == 7


def test_retrieve_orders_events_by_time_across_pages_and_streams():
    shuffled = [event('c', TS + 30, OTHER_STREAM), event('a', TS + 10),
                event('d', TS + 40), event('b', TS + 20, OTHER_STREAM)]
    retriever = logs.LogRetriever(FakeLogsAWS(shuffled, page_size=1), 'g')
    assert [e.message for e in retriever.retrieve()] == ['a', 'b', 'c', 'd']
    # Equal timestamps keep the order AWS returned them in.
    same = [event('x', TS, event_id='1'), event('y', TS, event_id='2')]
    assert [e.message for e in logs.LogRetriever(FakeLogsAWS(same), 'g').retrieve()] == \
        ['x', 'y']


def test_num_entries_keeps_the_latest_n_shown_events():
    aws = FakeLogsAWS(platform_and_app_events(), page_size=3)
    retriever = logs.LogRetriever(aws, 'g')
    assert [e.message for e in retriever.retrieve(num_entries=1)] == [
        'demolog - ERROR - second\n']
    assert [e.message for e in retriever.retrieve(num_entries=5)] == [
        'demolog - ERROR - first\n', 'demolog - ERROR - second\n']
    with_platform = logs.LogRetriever(aws, 'g', include_lambda_messages=True)
    assert [e.message for e in with_platform.retrieve(num_entries=3)] == [
        'START RequestId: r2 Version: $LATEST\n', 'demolog - ERROR - second\n',
        'END RequestId: r2\n']
    many = [event('m%02d' % i, TS + (i * 7919) % 100, event_id=str(i)) for i in range(100)]
    latest = logs.LogRetriever(FakeLogsAWS(many, page_size=9), 'g').retrieve(num_entries=10)
    assert [e.timestamp for e in latest] == list(range(TS + 90, TS + 100))


def test_retrieve_passes_the_start_time():
    aws = FakeLogsAWS(platform_and_app_events())
    retriever = logs.LogRetriever(aws, 'g')
    assert [e.message for e in retriever.retrieve(start_time=TS + 5)] == [
        'demolog - ERROR - second\n']
    assert aws.calls[0] == {'logGroupName': 'g', 'startTime': TS + 5}


def test_a_missing_log_group_means_no_events_and_is_reported_once():
    reported = []
    aws = FakeLogsAWS(missing=True)
    retriever = logs.LogRetriever(aws, '/aws/lambda/x', missing_group=reported.append)
    assert retriever.retrieve() == []
    assert retriever.retrieve(num_entries=3) == []
    assert reported == ['/aws/lambda/x']


def test_a_repeated_next_token_ends_the_paging():
    class Stuck(FakeLogsAWS):
        def call(self, service, method, params=None, ignore_errors=(), region=None):
            self.calls.append(dict(params))
            return {'events': [event('again', event_id=str(len(self.calls)))],
                    'nextToken': 'same'}

    aws = Stuck()
    assert len(logs.LogRetriever(aws, 'g').all_events()) == 2
    assert len(aws.calls) == 2


def test_display_logs_writes_formatted_lines():
    aws = FakeLogsAWS(platform_and_app_events())
    lines = []
    count = logs.display_logs(logs.LogRetriever(aws, 'g'), lines.append,
                              since=datetime.datetime.fromtimestamp(TS / 1000.0, UTC))
    assert count == 2
    assert lines == ['2016-11-07 12:29:15.715 431786 demolog - ERROR - first',
                     '2016-11-07 12:29:15.725 9d2a92 demolog - ERROR - second']
    assert aws.calls[0]['startTime'] == TS


# ---------------------------------------------------------------------------
# following
# ---------------------------------------------------------------------------

class GrowingLogs(FakeLogsAWS):
    """Each poll (first page request) adds the next batch of events."""

    def __init__(self, batches, page_size=2):
        super().__init__([], page_size)
        self.batches = list(batches)
        self.polls = 0

    def call(self, service, method, params=None, ignore_errors=(), region=None):
        if 'nextToken' not in params:
            if self.batches:
                self.events.extend(self.batches.pop(0))
                self.events.sort(key=lambda e: e['timestamp'])
            self.polls += 1
        return super().call(service, method, params, ignore_errors)


def test_follow_prints_each_event_once_and_sleeps_between_polls():
    batches = [
        [event('a', TS, event_id='1'), event('b', TS + 1000, event_id='2')],
        [],
        [event('c', TS + 2000, event_id='3'),
         event('START RequestId: r\n', TS + 2000, event_id='4')],
        # Late arrival, older than the newest event but within the overlap.
        [event('late', TS + 1500, OTHER_STREAM, event_id='5')],
    ]
    aws = GrowingLogs(batches)
    sleeps = []
    retriever = logs.LogRetriever(aws, 'g')
    polled = list(retriever.follow(TS, sleep=sleeps.append, max_polls=5))
    assert [[e.message for e in batch] for batch in polled] == [
        ['a', 'b'], [], ['c'], ['late'], []]
    assert sleeps == [logs.FOLLOW_POLL_INTERVAL] * 4
    assert aws.polls == 5


def test_follow_moves_the_start_time_forward_keeping_an_overlap():
    far = logs.FOLLOW_OVERLAP_MS * 3
    batches = [[event('a', TS, event_id='1')], [event('b', TS + far, event_id='2')], []]
    aws = GrowingLogs(batches)
    list(logs.LogRetriever(aws, 'g').follow(TS - 60000, sleep=lambda s: None, max_polls=3))
    starts = [c['startTime'] for c in aws.calls if 'nextToken' not in c]
    assert starts == [TS - 60000, TS - logs.FOLLOW_OVERLAP_MS,
                      TS + far - logs.FOLLOW_OVERLAP_MS]


def test_follow_limits_only_the_first_batch_to_num_entries():
    batches = [[event('m%d' % i, TS + i, event_id=str(i)) for i in range(5)],
               [event('n%d' % i, TS + 10 + i, event_id='n%d' % i) for i in range(3)]]
    retriever = logs.LogRetriever(GrowingLogs(batches), 'g')
    polled = list(retriever.follow(TS, num_entries=2, sleep=lambda s: None, max_polls=2))
    assert [[e.message for e in batch] for batch in polled] == [['m3', 'm4'],
                                                               ['n0', 'n1', 'n2']]


def test_follow_waits_for_a_log_group_that_does_not_exist_yet():
    class Appearing(FakeLogsAWS):
        def call(self, service, method, params=None, ignore_errors=(), region=None):
            self.missing = len(self.calls) < 2
            return super().call(service, method, params, ignore_errors)

    aws = Appearing([event('hello', TS, event_id='1')])
    polled = list(logs.LogRetriever(aws, 'g').follow(TS, sleep=lambda s: None, max_polls=3))
    assert [[e.message for e in batch] for batch in polled] == [[], [], ['hello']]


def test_display_logs_follow_defaults_to_the_last_ten_minutes():
    now = datetime.datetime.fromtimestamp(TS / 1000.0, UTC)
    aws = GrowingLogs([[event('old', TS - 11 * 60000, event_id='1'),
                        event('recent', TS - 9 * 60000, event_id='2')]])
    lines = []
    count = logs.display_logs(logs.LogRetriever(aws, 'g'), lines.append, follow=True,
                              sleep=lambda s: None, max_polls=2, now=now)
    assert count == 1 and lines[0].endswith(' 431786 recent')
    assert aws.calls[0]['startTime'] == TS - 10 * 60000


# ---------------------------------------------------------------------------
# AWSClient: Invoke is made once, with a long read timeout
# ---------------------------------------------------------------------------

def test_awsclient_invoke_reads_the_payload_and_never_retries():
    session = boto3.session.Session(aws_access_key_id='testing',
                                    aws_secret_access_key='testing', region_name=REGION)
    aws = AWSClient(session)
    client = aws._invoke_client()
    assert client.meta.config.read_timeout == LAMBDA_INVOKE_READ_TIMEOUT
    assert LAMBDA_INVOKE_READ_TIMEOUT > 900
    assert client.meta.config.retries['total_max_attempts'] == 1
    params = {'FunctionName': ARN, 'InvocationType': 'RequestResponse', 'Payload': b'{}'}
    with Stubber(client) as stub:
        stub.add_response('invoke', {'StatusCode': 200, 'FunctionError': 'Unhandled',
                                     'Payload': StreamingBody(io.BytesIO(b'{"x": 1}'), 8)},
                          params)
        response = aws.call('lambda', 'invoke', params)
    assert response == {'StatusCode': 200, 'FunctionError': 'Unhandled', 'Payload': b'{"x": 1}'}
    assert aws.calls == [('lambda', 'invoke')]
    with Stubber(client) as stub:
        stub.add_client_error('invoke', 'ResourceNotFoundException', 'Function not found')
        with pytest.raises(DeploymentError) as excinfo:
            aws.call('lambda', 'invoke', params)
    assert 'lambda:Invoke failed: ResourceNotFoundException' in str(excinfo.value)


# ---------------------------------------------------------------------------
# the commands
# ---------------------------------------------------------------------------

def write_state(project_dir, resources, stage='dev'):
    path = os.path.join(project_dir, '.chalice', 'deployed', '%s.json' % stage)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'w') as f:
        json.dump({'resources': resources, 'schema_version': '2.0', 'backend': 'api'}, f)


STATE = [
    {'name': 'default-role', 'resource_type': 'iam_role', 'role_name': 'r', 'role_arn': 'a'},
    {'name': 'api_handler', 'resource_type': 'lambda_function', 'lambda_arn': ARN},
    {'name': 'foo', 'resource_type': 'lambda_function', 'lambda_arn': FOO_ARN},
    {'name': 'foo-sqs-event-source', 'resource_type': 'sqs_event', 'event_uuid': 'u-1',
     'lambda_arn': 'arn:aws:lambda:x:1:function:elsewhere'},
]


class FakeInvokeAWS:
    def __init__(self, response=None, error=None):
        self.response = response if response is not None else {'StatusCode': 200,
                                                                'Payload': b'"ok"'}
        self.error = error
        self.calls = []

    def call(self, service, method, params=None, ignore_errors=(), region=None):
        self.calls.append((service, method, params))
        if self.error is not None:
            raise self.error
        return self.response


@pytest.fixture
def project(tmp_path):
    write_state(str(tmp_path), STATE)
    return str(tmp_path)


@pytest.fixture
def fake_aws(monkeypatch):
    made = []

    def install(aws):
        def factory(ctx, profile, region=None, **options):
            made.append({'profile': profile, 'region': region})
            return aws
        monkeypatch.setattr(invoke_logs, '_aws_client', factory)
        return made

    return install


def run(project, *args, input=None):
    return CliRunner().invoke(cli, ['--project-dir', project, *args], input=input,
                              obj={})


def test_invoke_sends_stdin_and_prints_the_reply(project, fake_aws):
    aws = FakeInvokeAWS({'StatusCode': 200, 'Payload': b'{"hello": "world"}'})
    made = fake_aws(aws)
    result = run(project, 'invoke', '-n', 'foo', '--profile', 'p1', input='{"a": 1}')
    assert result.exit_code == 0, result.output
    assert result.stdout == '{"hello": "world"}\n'
    assert aws.calls == [('lambda', 'invoke', {
        'FunctionName': FOO_ARN, 'InvocationType': 'RequestResponse', 'Payload': b'{"a": 1}'})]
    assert made == [{'profile': 'p1', 'region': REGION}]


def test_invoke_with_empty_stdin_sends_no_payload(project, fake_aws):
    aws = FakeInvokeAWS()
    fake_aws(aws)
    result = run(project, 'invoke', '--name', 'api_handler', input='')
    assert result.exit_code == 0, result.output
    assert result.stdout == '"ok"\n'
    assert aws.calls[0][2] == {'FunctionName': ARN, 'InvocationType': 'RequestResponse'}


def test_invoke_function_error_goes_to_stderr_with_exit_1(project, fake_aws):
    error = b'{"errorMessage": "boom", "errorType": "ValueError", "stackTrace": []}'
    fake_aws(FakeInvokeAWS({'StatusCode': 200, 'FunctionError': 'Unhandled',
                            'Payload': error}))
    result = run(project, 'invoke', '-n', 'foo', input='{}')
    assert result.exit_code == 1
    assert result.stdout == ''
    assert result.stderr == error.decode() + '\n'


@pytest.mark.parametrize('error, expected', [
    (ReadTimeoutError(endpoint_url='https://lambda'),
     'Error: Timed out after %d seconds waiting for lambda function foo to return.\n'
     % LAMBDA_INVOKE_READ_TIMEOUT),
    (DeploymentError('lambda:Invoke failed: TooManyRequestsException: Rate exceeded'),
     'Error: lambda:Invoke failed: TooManyRequestsException: Rate exceeded\n'),
    (AccessDeniedError('AccessDenied: not allowed to call lambda:Invoke.'),
     'Error: AccessDenied: not allowed to call lambda:Invoke.\n'),
])
def test_invoke_aws_errors_and_timeouts_exit_1_with_one_line(project, fake_aws, error,
                                                             expected):
    fake_aws(FakeInvokeAWS(error=error))
    result = run(project, 'invoke', '-n', 'foo', input='{}')
    assert result.exit_code == 1
    assert result.stderr == expected


@pytest.mark.parametrize('name', ['nope', 'foo-sqs-event-source', 'default-role'])
def test_invoke_unknown_name_exits_2_before_any_aws_call(project, fake_aws, name):
    made = fake_aws(FakeInvokeAWS())
    result = run(project, 'invoke', '-n', name, input='{}')
    assert result.exit_code == 2
    assert result.stderr == (
        "Error: could not find a lambda function named %s. Functions deployed in stage "
        "'dev': api_handler, foo.\n" % name)
    assert made == []


def test_invoke_and_logs_without_a_deployment_exit_2(tmp_path, fake_aws):
    made = fake_aws(FakeInvokeAWS())
    # A project (without a config it would be "no project", not "nothing deployed").
    (tmp_path / '.chalice').mkdir()
    (tmp_path / '.chalice' / 'config.json').write_text('{"version": "2.0", "app_name": "x"}')
    for args in (['invoke', '-n', 'foo'], ['logs'], ['logs', '--stage', 'prod']):
        result = run(str(tmp_path), *args, input='')
        assert result.exit_code == 2, args
        stage = args[-1] if '--stage' in args else 'dev'
        assert result.stderr.startswith(
            "Error: Nothing is deployed for stage '%s' (no resources recorded in " % stage)
        assert "Run 'chalice deploy --stage %s' first." % stage in result.stderr
    assert made == []


def test_invoke_requires_a_name(project):
    result = run(project, 'invoke', input='')
    assert result.exit_code == 2
    assert "Missing option '-n' / '--name'" in result.stderr


def test_invoke_reads_the_stage_state(tmp_path, fake_aws):
    write_state(str(tmp_path), [{'name': 'foo', 'resource_type': 'lambda_function',
                                 'lambda_arn': FOO_ARN + '-prod'}], stage='prod')
    aws = FakeInvokeAWS()
    fake_aws(aws)
    assert run(str(tmp_path), 'invoke', '-n', 'foo', '--stage', 'prod',
               input='1').exit_code == 0
    assert aws.calls[0][2]['FunctionName'] == FOO_ARN + '-prod'
    result = run(str(tmp_path), 'invoke', '-n', 'foo', input='1')
    assert result.exit_code == 2 and "stage 'dev'" in result.stderr


def test_logs_prints_the_default_handlers_logs(project, fake_aws):
    aws = FakeLogsAWS(platform_and_app_events())
    made = fake_aws(aws)
    result = run(project, 'logs')
    assert result.exit_code == 0, result.output
    assert result.stdout == ('2016-11-07 12:29:15.715 431786 demolog - ERROR - first\n'
                             '2016-11-07 12:29:15.725 9d2a92 demolog - ERROR - second\n')
    assert aws.calls[0] == {'logGroupName': '/aws/lambda/demolog-dev'}
    assert made == [{'profile': None, 'region': REGION}]


def test_logs_options(project, fake_aws):
    aws = FakeLogsAWS(platform_and_app_events())
    fake_aws(aws)
    result = run(project, 'logs', '-n', 'foo', '--include-lambda-messages',
                 '--num-entries', '2', '-s', '2016-11-07T12:29:15.714Z', '--profile', 'p')
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        '2016-11-07 12:29:15.725 9d2a92 demolog - ERROR - second',
        '2016-11-07 12:29:15.726 9d2a92 END RequestId: r2']
    assert aws.calls[0] == {'logGroupName': '/aws/lambda/demolog-dev-foo', 'startTime': TS}


def test_logs_stage_reads_that_stages_function(project, fake_aws):
    prod_arn = 'arn:aws:lambda:%s:123456789012:function:demolog-prod' % REGION
    write_state(project, [{'name': 'api_handler', 'resource_type': 'lambda_function',
                           'lambda_arn': prod_arn}], stage='prod')
    aws = FakeLogsAWS(platform_and_app_events())
    fake_aws(aws)
    result = run(project, 'logs', '--stage', 'prod')
    assert result.exit_code == 0, result.output
    assert aws.calls[0] == {'logGroupName': '/aws/lambda/demolog-prod'}
    assert result.stdout.splitlines()[0] == '2016-11-07 12:29:15.715 431786 demolog - ERROR - first'


def test_logs_bad_since_exits_2_before_anything_else(tmp_path, fake_aws):
    made = fake_aws(FakeLogsAWS())
    result = run(str(tmp_path), 'logs', '--since', '5 parsecs')
    assert result.exit_code == 2
    assert result.stderr.startswith("Error: Invalid value for --since: '5 parsecs'.")
    assert len(result.stderr.splitlines()) == 1
    assert made == []


def test_logs_bad_num_entries_is_a_usage_error(project):
    result = run(project, 'logs', '--num-entries', '0')
    assert result.exit_code == 2
    assert '--num-entries' in result.stderr


def test_logs_of_a_function_that_never_logged(project, fake_aws):
    fake_aws(FakeLogsAWS(missing=True))
    result = run(project, 'logs', '-n', 'foo')
    assert result.exit_code == 0
    assert result.stdout == ''
    assert result.stderr == ('No logs yet: the log group /aws/lambda/demolog-dev-foo does not '
                             'exist (the function has not logged anything).\n')


def test_logs_follow_polls_until_interrupted(project, fake_aws, monkeypatch):
    batches = [[event('one\n', TS, event_id='1')], [event('two\n', TS + 1, event_id='2')]]
    aws = GrowingLogs(batches)
    fake_aws(aws)
    sleeps = []

    def sleep(seconds):
        sleeps.append(seconds)
        if len(sleeps) == 3:
            raise KeyboardInterrupt

    monkeypatch.setattr(logs, '_sleep', sleep)
    result = run(project, 'logs', '--follow', '--since', '2016-11-07T12:00:00Z')
    assert result.exit_code == 130
    assert result.stdout.splitlines() == ['2016-11-07 12:29:15.714 431786 one',
                                          '2016-11-07 12:29:15.715 431786 two']
    assert aws.polls == 3


def test_logs_follow_says_once_that_it_waits_for_the_log_group(project, fake_aws,
                                                                monkeypatch):
    fake_aws(FakeLogsAWS(missing=True))
    sleeps = []

    def sleep(seconds):
        sleeps.append(seconds)
        if len(sleeps) == 2:
            raise KeyboardInterrupt

    monkeypatch.setattr(logs, '_sleep', sleep)
    result = run(project, 'logs', '-f')
    assert result.exit_code == 130
    assert result.stdout == ''
    assert result.stderr == ('No logs yet: the log group /aws/lambda/demolog-dev does not '
                             'exist (the function has not logged anything); waiting for it.\n')


def test_logs_stops_quietly_when_the_reader_goes_away(project, fake_aws, monkeypatch):
    fake_aws(FakeLogsAWS([event('one')]))

    def broken(retriever, write, **kwargs):
        write('first line')
        raise BrokenPipeError(32, 'Broken pipe')

    monkeypatch.setattr(logs, 'display_logs', broken)
    result = run(project, 'logs')
    assert result.exit_code == 0
    assert result.stdout == 'first line\n'
    assert result.stderr == ''
