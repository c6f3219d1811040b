"""``chalice invoke`` and ``chalice logs`` against a moto server.

A project with pure Lambda functions (and a route, so there is an
``api_handler``) is deployed with the CLI, then the commands run as
subprocesses.  moto runs Lambda without Docker: Invoke answers with the
request's payload, with ``Simple Lambda happy path OK`` when there is none,
or with a result queued through ``/moto-api/static/lambda-simple/response``;
shims_invoke_logs.py adds ResourceNotFoundException for unknown functions
and X-Amz-Function-Error for error results.  Nothing writes CloudWatch Logs,
so the logs tests put the events themselves, with timestamps relative to now
(CloudWatch, and moto, reject events older than 14 days).
"""
import datetime
import json
import queue
import subprocess
import sys
import threading
import time

import pytest

from tests.integration.conftest import ACCOUNT_ID, REGION, make_project, run_chalice
from tests.integration.moto_support import REPO_ROOT, shims_disabled

APP_NAME = 'invokeapp'
APP = '''\
from chalice import Chalice

app = Chalice(app_name='invokeapp')


@app.route('/')
def index():
    return {'hello': 'world'}


@app.lambda_function()
def echo(event, context):
    app.log.error('echo called')
    return event


@app.lambda_function(name='MyFunction')
def bar(event, context):
    return {'bar': True}
'''
FUNCTIONS = {'api_handler': 'invokeapp-dev', 'echo': 'invokeapp-dev-echo',
             'MyFunction': 'invokeapp-dev-MyFunction'}
UTC = datetime.timezone.utc
STREAM = '%s/[$LATEST]431786e1c6a54f3bb0d0c49ec6f38f70'
OTHER_STREAM = '%s/[$LATEST]9d2a92aa1e2d4c0b8f5b0c6a1d2e3f40'


def function_arn(name):
    return 'arn:aws:lambda:%s:%s:function:%s' % (REGION, ACCOUNT_ID, name)


@pytest.fixture
def project(tmp_path, aws_env):
    project = make_project(tmp_path, APP, app_name=APP_NAME)
    result = run_chalice(project, 'deploy', env=aws_env)
    assert result.returncode == 0, result.stdout + result.stderr
    return project


def chalice(project, *args, env, input=None):
    result = run_chalice(project, *args, env=env, input=input)
    assert 'Traceback' not in result.stderr, result.stderr
    return result


def queue_results(moto_server, *results):
    moto_server.moto_api('POST', 'static/lambda-simple/response',
                         {'results': list(results), 'region': REGION})


def invoke_calls(fault_injector):
    return [c for c in fault_injector.calls if c.operation == 'Invoke']


# --------------------------------------------------------------------------
# invoke
# --------------------------------------------------------------------------

def test_invoke_sends_stdin_and_prints_what_lambda_returns(project, aws_env, fault_injector):
    fault_injector.arm()
    payload = '{"hello": "world", "n": [1, 2]}'
    result = chalice(project, 'invoke', '-n', 'echo', env=aws_env, input=payload)
    assert result.returncode == 0, result.stderr
    # moto without Docker echoes the request's payload.
    assert result.stdout == payload + '\n'
    assert result.stderr == ''
    calls = fault_injector.calls
    assert [c.operation for c in calls] == ['Invoke']
    assert calls[0].path == '/2015-03-31/functions/%s/invocations' % function_arn(
        FUNCTIONS['echo'])
    assert calls[0].status == 200


def test_invoke_prints_the_result_lambda_returns(project, aws_env, moto_server):
    queue_results(moto_server, '{"statusCode": 200, "body": "from the function"}')
    result = chalice(project, 'invoke', '--name', 'api_handler', env=aws_env, input='{}')
    assert result.returncode == 0, result.stderr
    assert result.stdout == '{"statusCode": 200, "body": "from the function"}\n'


def test_invoke_with_empty_stdin_sends_no_payload(project, aws_env, fault_injector):
    fault_injector.arm()
    result = chalice(project, 'invoke', '-n', 'MyFunction', env=aws_env)
    assert result.returncode == 0, result.stderr
    # What moto answers when the request has no payload.
    assert result.stdout == 'Simple Lambda happy path OK\n'
    assert [c.path for c in invoke_calls(fault_injector)] == [
        '/2015-03-31/functions/%s/invocations' % function_arn(FUNCTIONS['MyFunction'])]


def test_invoke_uses_the_region_of_the_deployed_function(project, aws_env):
    env = dict(aws_env, AWS_DEFAULT_REGION='eu-west-1')
    result = chalice(project, 'invoke', '-n', 'echo', env=env, input='{"x": 1}')
    assert result.returncode == 0, result.stderr
    assert result.stdout == '{"x": 1}\n'


def test_invoke_function_error_is_printed_to_stderr_with_exit_1(project, aws_env,
                                                                moto_server):
    error = {'errorMessage': 'boom', 'errorType': 'ValueError',
             'stackTrace': ['  File "/var/task/app.py", line 14, in echo\n']}
    queue_results(moto_server, json.dumps(error))
    result = chalice(project, 'invoke', '-n', 'echo', env=aws_env, input='{}')
    assert result.returncode == 1
    assert result.stdout == ''
    assert json.loads(result.stderr) == error


def test_invoke_of_a_function_deleted_behind_our_back_exits_1(project, aws_env, aws_clients):
    aws_clients['lambda'].delete_function(FunctionName=FUNCTIONS['echo'])
    result = chalice(project, 'invoke', '-n', 'echo', env=aws_env, input='{}')
    assert result.returncode == 1
    assert result.stdout == ''
    assert result.stderr.startswith(
        'Error: lambda:Invoke failed: ResourceNotFoundException: Function not found: ')
    assert len(result.stderr.splitlines()) == 1


def test_an_invoke_error_is_not_retried(project, aws_env, fault_injector):
    fault_injector.fail_when(lambda call: call.operation == 'Invoke',
                             code='ServiceException', message='Lambda had a bad day',
                             status=500)
    result = chalice(project, 'invoke', '-n', 'echo', env=aws_env, input='{}')
    assert result.returncode == 1
    assert result.stderr == ('Error: lambda:Invoke failed: ServiceException: '
                             'Lambda had a bad day\n')
    # One attempt: a retry could run the function twice.
    assert len(invoke_calls(fault_injector)) == 1


def test_invoke_unknown_name_exits_2_before_any_aws_call(project, aws_env, fault_injector):
    fault_injector.arm()
    result = chalice(project, 'invoke', '-n', 'nope', env=aws_env, input='{}')
    assert result.returncode == 2
    assert result.stdout == ''
    assert result.stderr == (
        "Error: could not find a lambda function named nope. Functions deployed in stage "
        "'dev': MyFunction, api_handler, echo.\n")
    assert fault_injector.count == 0


def test_invoke_and_logs_without_a_deployment_exit_2(tmp_path, aws_env, fault_injector):
    project = make_project(tmp_path, APP, app_name=APP_NAME)
    fault_injector.arm()
    for args in (('invoke', '-n', 'echo'), ('logs',), ('logs', '-n', 'echo', '--follow')):
        result = chalice(project, *args, env=aws_env, input='{}')
        assert result.returncode == 2, args
        assert result.stderr.startswith("Error: Nothing is deployed for stage 'dev'"), args
        assert result.stderr.rstrip().endswith("Run 'chalice deploy --stage dev' first.")
    assert fault_injector.count == 0


def test_invoke_after_delete_exits_2(project, aws_env, fault_injector):
    result = chalice(project, 'delete', env=aws_env)
    assert result.returncode == 0, result.stderr
    fault_injector.arm()
    result = chalice(project, 'invoke', '-n', 'echo', env=aws_env, input='{}')
    assert result.returncode == 2
    assert 'Nothing is deployed' in result.stderr or 'could not find' in result.stderr
    assert fault_injector.count == 0


def test_shim_invoke_of_an_unknown_function_is_not_found(aws_clients):
    lambda_ = aws_clients['lambda']
    with pytest.raises(lambda_.exceptions.ResourceNotFoundException):
        lambda_.invoke(FunctionName='no-such-function', Payload=b'{}')
    with shims_disabled('lambda-invoke-unknown-function'):
        response = lambda_.invoke(FunctionName='no-such-function', Payload=b'{}')
        assert response['Payload'].read() == b'{}'  # moto: answered anyway


def test_shim_invoke_reports_a_function_error(project, aws_clients, moto_server):
    lambda_ = aws_clients['lambda']
    error = '{"errorMessage": "boom", "errorType": "ValueError"}'
    queue_results(moto_server, error, error)
    response = lambda_.invoke(FunctionName=FUNCTIONS['echo'], Payload=b'{}')
    assert response['FunctionError'] == 'Unhandled'
    assert response['Payload'].read() == error.encode()
    with shims_disabled('lambda-invoke-function-error'):
        response = lambda_.invoke(FunctionName=FUNCTIONS['echo'], Payload=b'{}')
        assert 'FunctionError' not in response  # moto: reported as a success
    ok = lambda_.invoke(FunctionName=FUNCTIONS['echo'], Payload=b'{"errorType": "x"}')
    assert 'FunctionError' not in ok


# --------------------------------------------------------------------------
# logs
# --------------------------------------------------------------------------

def now_ms():
    return int(time.time() * 1000)


def put_events(aws_clients, function_name, stream, events):
    """events: [(timestamp ms, message)], oldest first."""
    logs = aws_clients.logs
    group = '/aws/lambda/%s' % function_name
    try:
        logs.create_log_group(logGroupName=group)
    except logs.exceptions.ResourceAlreadyExistsException:
        pass
    try:
        logs.create_log_stream(logGroupName=group, logStreamName=stream)
    except logs.exceptions.ResourceAlreadyExistsException:
        pass
    logs.put_log_events(logGroupName=group, logStreamName=stream,
                        logEvents=[{'timestamp': t, 'message': m} for t, m in events])


def line(timestamp, stream, message):
    moment = datetime.datetime.fromtimestamp(timestamp // 1000, UTC)
    return '%s.%03d %s %s' % (moment.strftime('%Y-%m-%d %H:%M:%S'), timestamp % 1000,
                              stream.split(']')[1][:6], message.rstrip('\n'))


def invocation(start, request_id, *messages):
    """The events of one invocation, as Lambda writes them, 5 ms apart."""
    events = [(start, 'START RequestId: %s Version: $LATEST\n' % request_id)]
    for index, message in enumerate(messages):
        events.append((start + 5 * (index + 1), message))
    end = start + 5 * (len(messages) + 1)
    events.append((end, 'END RequestId: %s\n' % request_id))
    events.append((end + 1, 'REPORT RequestId: %s\tDuration: 1.10 ms\tBilled Duration: 2 ms'
                            '\tMemory Size: 128 MB\tMax Memory Used: 40 MB\n' % request_id))
    return events


@pytest.fixture
def logged(project, aws_clients):
    """Three invocations of echo (3 h, 90 min and 1 min ago) in two streams."""
    today = datetime.datetime.now(UTC).strftime('%Y/%m/%d')
    stream, other = STREAM % today, OTHER_STREAM % today
    base = now_ms()
    first = invocation(base - 3 * 3600000, 'r1', 'invokeapp - ERROR - echo called\n')
    second = invocation(base - 90 * 60000, 'r2', 'invokeapp - ERROR - echo called\n',
                        'printed by the function\n')
    third = invocation(base - 60000, 'r3', 'invokeapp - ERROR - last call\n')
    put_events(aws_clients, FUNCTIONS['echo'], stream, first + third)
    put_events(aws_clients, FUNCTIONS['echo'], other, second)
    put_events(aws_clients, FUNCTIONS['api_handler'], stream,
               invocation(base - 5000, 'a1', 'invokeapp - ERROR - from a route\n'))
    return {'stream': stream, 'other': other, 'first': first, 'second': second,
            'third': third, 'project': project}


def app_lines(logged, *names):
    lines = []
    for name in names:
        stream = logged['other'] if name == 'second' else logged['stream']
        lines.extend(line(t, stream, m) for t, m in logged[name]
                     if not m.startswith(('START', 'END', 'REPORT')))
    return lines


def test_logs_prints_the_documented_format_without_lambda_messages(logged, aws_env,
                                                                   fault_injector):
    fault_injector.arm()
    result = chalice(logged['project'], 'logs', '-n', 'echo', env=aws_env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == app_lines(logged, 'first', 'second', 'third')
    first_line = result.stdout.splitlines()[0]
    assert first_line.split(' ', 3)[2:] == ['431786', 'invokeapp - ERROR - echo called']
    assert result.stdout.splitlines()[2].split(' ')[2] == '9d2a92'
    assert [c.operation for c in fault_injector.calls] == ['FilterLogEvents']
    assert fault_injector.mutating_calls == []


def test_logs_defaults_to_the_api_handler(logged, aws_env):
    result = chalice(logged['project'], 'logs', env=aws_env)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 1 and lines[0].endswith(' 431786 invokeapp - ERROR - from a route')


def test_logs_include_lambda_messages(logged, aws_env):
    result = chalice(logged['project'], 'logs', '--name', 'echo',
                     '--include-lambda-messages', env=aws_env)
    assert result.returncode == 0, result.stderr
    expected = sorted(
        [line(t, logged['stream'], m) for t, m in logged['first'] + logged['third']] +
        [line(t, logged['other'], m) for t, m in logged['second']])
    assert result.stdout.splitlines() == expected
    assert sum(1 for x in expected if ' START RequestId: ' in x) == 3
    assert any('\tBilled Duration: 2 ms\t' in x for x in expected)
    result = chalice(logged['project'], 'logs', '-n', 'echo',
                     '--no-include-lambda-messages', env=aws_env)
    assert result.stdout.splitlines() == app_lines(logged, 'first', 'second', 'third')


def test_logs_num_entries_shows_the_latest(logged, aws_env):
    result = chalice(logged['project'], 'logs', '-n', 'echo', '--num-entries', '2',
                     env=aws_env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == app_lines(logged, 'second', 'third')[-2:]
    result = chalice(logged['project'], 'logs', '-n', 'echo', '--num-entries', '1',
                     '--include-lambda-messages', env=aws_env)
    assert [x.split(' ', 3)[3] for x in result.stdout.splitlines()] == [
        logged['third'][-1][1].rstrip('\n')]


def test_logs_since_relative_and_iso(logged, aws_env):
    project = logged['project']
    for since in ('2h', '120m', '7200s'):
        result = chalice(project, 'logs', '-n', 'echo', '--since', since, env=aws_env)
        assert result.returncode == 0, result.stderr
        assert result.stdout.splitlines() == app_lines(logged, 'second', 'third'), since
    result = chalice(project, 'logs', '-n', 'echo', '-s', '1d', env=aws_env)
    assert result.stdout.splitlines() == app_lines(logged, 'first', 'second', 'third')
    result = chalice(project, 'logs', '-n', 'echo', '-s', '1w', '--num-entries', '1',
                     env=aws_env)
    assert result.stdout.splitlines() == app_lines(logged, 'third')
    # ISO 8601: exactly at the echo of the second invocation, in UTC and with an offset.
    at = logged['second'][1][0]
    moment = datetime.datetime.fromtimestamp(at / 1000.0, UTC)
    iso_utc = moment.strftime('%Y-%m-%dT%H:%M:%S.%f')[:-3] + 'Z'
    iso_plus2 = (moment.astimezone(datetime.timezone(datetime.timedelta(hours=2)))
                 .isoformat(timespec='milliseconds'))
    expected = app_lines(logged, 'second', 'third')
    for since in (iso_utc, iso_plus2, iso_utc[:-1]):
        result = chalice(project, 'logs', '-n', 'echo', '--since', since, env=aws_env)
        assert result.returncode == 0, result.stderr
        assert result.stdout.splitlines() == expected, since
    result = chalice(project, 'logs', '-n', 'echo', '--since',
                     (moment + datetime.timedelta(milliseconds=1)).isoformat(), env=aws_env)
    assert result.stdout.splitlines() == expected[1:]


def test_logs_bad_since_is_one_line_exit_2(logged, aws_env, fault_injector):
    fault_injector.arm()
    result = chalice(logged['project'], 'logs', '-n', 'echo', '--since', 'yesterday',
                     env=aws_env)
    assert result.returncode == 2
    assert result.stdout == ''
    assert result.stderr.startswith("Error: Invalid value for --since: 'yesterday'.")
    assert len(result.stderr.splitlines()) == 1
    assert fault_injector.count == 0


def test_logs_of_a_function_with_a_name_kwarg_and_no_logs(project, aws_env):
    result = chalice(project, 'logs', '-n', 'MyFunction', env=aws_env)
    assert result.returncode == 0, result.stderr
    assert result.stdout == ''
    assert result.stderr == ('No logs yet: the log group /aws/lambda/invokeapp-dev-MyFunction '
                             'does not exist (the function has not logged anything).\n')


def test_logs_unknown_name_exits_2(project, aws_env, fault_injector):
    fault_injector.arm()
    result = chalice(project, 'logs', '-n', 'bar', env=aws_env)
    assert result.returncode == 2
    assert result.stderr.startswith('Error: could not find a lambda function named bar.')
    assert fault_injector.count == 0


def test_logs_aws_error_exits_1(logged, aws_env, fault_injector):
    fault_injector.fail_when(lambda call: call.operation == 'FilterLogEvents')
    result = chalice(logged['project'], 'logs', '-n', 'echo', env=aws_env)
    assert result.returncode == 1
    assert result.stderr.startswith('Error: logs:FilterLogEvents failed: InjectedFault: ')


def test_logs_follow_prints_new_events_once(logged, aws_env, aws_clients, fault_injector):
    """The last 10 minutes first (only the third invocation), then what arrives."""
    command = [sys.executable, '-m', 'chalice.cli', '--project-dir', str(logged['project']),
               'logs', '-n', 'echo', '--follow']
    process = subprocess.Popen(command, env=aws_env, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True,
                               cwd=str(REPO_ROOT))
    lines: queue.Queue = queue.Queue()

    def read():
        assert process.stdout is not None
        for text in process.stdout:
            lines.put(text.rstrip('\n'))

    reader = threading.Thread(target=read, daemon=True)
    reader.start()

    def next_lines(count, timeout=30.0):
        got = []
        deadline = time.monotonic() + timeout
        while len(got) < count:
            try:
                got.append(lines.get(timeout=max(0.1, deadline - time.monotonic())))
            except queue.Empty:
                break
        return got

    def wait_for_polls(count, timeout=60.0):
        """Wait until the follower has sent ``count`` more FilterLogEvents requests."""
        def polls():
            return sum(call.operation == 'FilterLogEvents' for call in fault_injector.calls)
        target = polls() + count
        deadline = time.monotonic() + timeout
        while polls() < target:
            assert process.poll() is None, 'logs --follow exited'
            assert time.monotonic() < deadline, 'logs --follow stopped polling'
            time.sleep(0.05)

    try:
        assert next_lines(1) == app_lines(logged, 'third')
        new = invocation(now_ms(), 'r4', 'invokeapp - ERROR - while following\n')
        put_events(aws_clients, FUNCTIONS['echo'], logged['other'], new)
        assert next_lines(1) == [line(new[1][0], logged['other'], new[1][1])]
        # Later polls re-read the overlap window (which holds r4) but print
        # nothing twice: once two more polls have been made, the next line
        # printed is a newer event, not r4 again.
        wait_for_polls(2)
        newer = invocation(now_ms() + 1, 'r5', 'invokeapp - ERROR - newer still\n')
        put_events(aws_clients, FUNCTIONS['echo'], logged['other'], newer)
        assert next_lines(1) == [line(newer[1][0], logged['other'], newer[1][1])]
        assert process.poll() is None
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        reader.join(timeout=10)
        if process.stderr is not None:
            stderr = process.stderr.read()
            process.stderr.close()
            assert 'Traceback' not in stderr
        if process.stdout is not None:
            process.stdout.close()
