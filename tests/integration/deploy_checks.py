"""Checks shared by the ``chalice deploy``/``delete`` integration tests.

* the state file: where it is, reading it back in the documented format;
* the CLI's output: a command that must succeed, the single ``Error:`` line;
* what moto holds: roles, functions, REST and websocket APIs, CloudWatch
  event rules, SNS subscriptions, event source mappings, Lambda policies;
* the crash-safety loop: fail the k-th AWS call of a command, for every k,
  and check what the failed run reported.

Only what the test files check the same way lives here; what each kind of
resource needs (snapshots, which records exist, what delete leaves) stays
with its tests.
"""
import json
import os
from typing import Any, NamedTuple

from tests.integration.conftest import REGION, run_chalice

STATE_KEYS = {'resources', 'schema_version', 'backend'}


# --------------------------------------------------------------------------
# the state file
# --------------------------------------------------------------------------

def state_path(project, stage='dev'):
    """Path of the project's ``.chalice/deployed/<stage>.json``."""
    return os.path.join(str(project), '.chalice', 'deployed', '%s.json' % stage)


def load_state(project, stage='dev'):
    """The parsed state file, or None when there is none."""
    path = state_path(project, stage)
    if not os.path.exists(path):
        return None
    with open(path) as f:
        return json.load(f)


def remove_state(project, stage='dev'):
    """Delete the state file if there is one."""
    if os.path.exists(state_path(project, stage)):
        os.unlink(state_path(project, stage))


def read_state_records(project, required_keys, backend=None):
    """The state file's records, checked against the documented format.

    No state file means no records.  The file has exactly the documented
    top-level keys, schema version 2.0 (and ``backend`` when given), unique
    record names, and each record has the keys ``required_keys`` lists for
    its resource type (a type missing from ``required_keys`` fails).
    """
    state = load_state(project)
    if state is None:
        return []
    assert set(state) == STATE_KEYS
    assert state['schema_version'] == '2.0'
    if backend is not None:
        assert state['backend'] == backend
    names = [r['name'] for r in state['resources']]
    assert len(names) == len(set(names)), names
    for record in state['resources']:
        assert required_keys[record['resource_type']] <= set(record), record
    return state['resources']


# --------------------------------------------------------------------------
# the CLI's output
# --------------------------------------------------------------------------

def run_ok(project, command, env):
    """Run ``chalice <command>``; it must exit 0."""
    result = run_chalice(project, command, env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    return result


def one_error_line(result):
    """The single ``Error: ...`` line on stderr, with no traceback on stderr."""
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert 'Traceback' not in result.stderr, result.stderr
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith('Error: ')
    return lines[0]


def mutating_operations(fault_injector):
    """The sorted operations of the mutating calls since the injector was armed."""
    return sorted(c.operation for c in fault_injector.mutating_calls)


# --------------------------------------------------------------------------
# what moto holds
# --------------------------------------------------------------------------

def existing_roles(aws_clients):
    """Names of the IAM roles."""
    return {r['RoleName'] for r in aws_clients.iam.list_roles()['Roles']}


def existing_functions(aws_clients):
    """Names of the Lambda functions."""
    return {f['FunctionName'] for f in aws_clients['lambda'].list_functions()['Functions']}


def existing_rest_apis(aws_clients):
    """Ids of the API Gateway (v1) REST APIs."""
    return {a['id'] for a in aws_clients.apigateway.get_rest_apis()['items']}


def existing_websocket_apis(aws_clients):
    """Ids of the API Gateway v2 APIs."""
    return {a['ApiId'] for a in aws_clients.apigatewayv2.get_apis()['Items']}


def existing_rules(aws_clients):
    """CloudWatch event rules by name."""
    return {r['Name']: r for r in aws_clients.events.list_rules()['Rules']}


def existing_subscriptions(aws_clients):
    """SNS subscriptions by ARN."""
    return {s['SubscriptionArn']: s for s in aws_clients.sns.list_subscriptions()[
        'Subscriptions']}


def existing_mappings(aws_clients):
    """Lambda event source mappings by UUID."""
    mappings = aws_clients['lambda'].list_event_source_mappings()['EventSourceMappings']
    return {m['UUID']: m for m in mappings}


def create_table_with_stream(aws_clients, name):
    """A DynamoDB table with a stream; returns the stream's ARN (moto dates it)."""
    table = aws_clients.dynamodb.create_table(
        TableName=name, BillingMode='PAY_PER_REQUEST',
        KeySchema=[{'AttributeName': 'id', 'KeyType': 'HASH'}],
        AttributeDefinitions=[{'AttributeName': 'id', 'AttributeType': 'S'}],
        StreamSpecification={'StreamEnabled': True, 'StreamViewType': 'NEW_AND_OLD_IMAGES'})
    return table['TableDescription']['LatestStreamArn']


def create_event_sources(aws_clients, topic=None, queues=(), bucket=None, stream=None,
                         table=None, queue_attributes=None):
    """The user's topic, queues, bucket, stream and table an app subscribes to.

    Each is created when named; returns the table's stream ARN (None
    without a table).
    """
    if topic is not None:
        aws_clients.sns.create_topic(Name=topic)
    for queue in queues:
        aws_clients.sqs.create_queue(QueueName=queue, Attributes=dict(queue_attributes or {}))
    if bucket is not None:
        aws_clients.s3.create_bucket(Bucket=bucket,
                                     CreateBucketConfiguration={'LocationConstraint': REGION})
    if stream is not None:
        aws_clients.kinesis.create_stream(StreamName=stream, ShardCount=1)
    return create_table_with_stream(aws_clients, table) if table is not None else None


def json_document(document):
    """A policy document as a dict (boto3 returns some parsed, some as JSON text)."""
    return json.loads(document) if isinstance(document, str) else document


def function_policy_statements(aws_clients, function_name):
    """The statements of a function's resource policy ([] when it has none)."""
    lambda_ = aws_clients['lambda']
    try:
        policy = json.loads(lambda_.get_policy(FunctionName=function_name)['Policy'])
    except lambda_.exceptions.ResourceNotFoundException:
        return []
    return policy['Statement']


def recorded_role(aws_clients, record):
    """The name of an ``iam_role`` record's role, which must exist."""
    aws_clients.iam.get_role(RoleName=record['role_name'])
    return record['role_name']


def recorded_function(aws_clients, record, check_arn=False):
    """The name of a record's function (by its ``lambda_arn``), which must exist.

    With ``check_arn``, the function's ARN must also be the recorded one.
    """
    config = aws_clients['lambda'].get_function(
        FunctionName=record['lambda_arn'])['Configuration']
    if check_arn:
        assert config['FunctionArn'] == record['lambda_arn']
    return config['FunctionName']


# --------------------------------------------------------------------------
# crash safety: fail the k-th AWS call, for every k
# --------------------------------------------------------------------------

class FailedRun(NamedTuple):
    """One run of the loop: the k-th call was made to fail."""

    k: int
    call: Any        # the k-th call of the clean run
    context: str     # 'k=<k> (<call>)', for assertion messages
    prepared: Any    # what ``prepare`` returned before the run
    result: Any      # the CLI run
    failed: Any      # the call the injector failed (None if none was)


def first_mutating_index(calls):
    """Index of the first mutating call of a run."""
    return next(i for i, c in enumerate(calls) if c.mutating)


def service_and_operation(call):
    """How calls of a faulty run are matched to those of the clean run."""
    return call.service, call.operation


def call_kind(call):
    """What a call is, the same in every run: service, operation (API Gateway v1 or v2)."""
    return call.service, call.operation, call.path.startswith('/v2/')


def like_the_kth(calls, k):
    """A predicate holding for the call of another run that stands for ``calls[k - 1]``.

    The CLI makes independent calls at the same time, so the same deploy
    does not make its calls in the same order twice; the same calls, of the
    same kinds, it does.  The k-th call of the clean run is the n-th of its
    kind (:func:`call_kind`); the predicate holds for the n-th call of that
    kind (which may be for another of the resources of that kind).
    """
    kind = call_kind(calls[k - 1])
    occurrence = sum(1 for call in calls[:k] if call_kind(call) == kind)
    seen = [0]

    def predicate(call):
        if call_kind(call) != kind:
            return False
        seen[0] += 1
        return seen[0] == occurrence
    return predicate


def fail_like_the_kth(fault_injector, calls, k):
    """Arm the injector to fail the call standing for the k-th of ``calls``."""
    fault_injector.fail_when(like_the_kth(calls, k))


def each_call_failing(calls, fault_injector, prepare, run, positions=None):
    """Yield a ``FailedRun`` for every k in 1..len(calls) (or in ``positions``).

    For each k: ``prepare()`` (reset moto and the state file), fail the call
    of ``run()`` standing for the k-th call (:func:`like_the_kth`), then
    disarm the injector.  The caller checks the rest.  ``positions`` picks
    a share of the calls (``share_of``), so that a loop can be split into
    several tests that pytest-xdist spreads over its workers.
    """
    for k in positions or range(1, len(calls) + 1):
        call = calls[k - 1]
        context = 'k=%d (%s)' % (k, call)
        prepared = prepare()
        fail_like_the_kth(fault_injector, calls, k)
        result = run()
        failed = fault_injector.failed
        fault_injector.disarm()
        yield FailedRun(k, call, context, prepared, result, failed)


def share_of(calls, part, parts=2):
    """The k of one of ``parts`` interleaved shares of 1..len(calls) (``part`` from 0).

    A loop split this way into one test per share can be spread over
    pytest-xdist's workers.
    """
    return range(part + 1, len(calls) + 1, parts)


def changed_nothing(attempt, first_mutating):
    """Whether the k-th call came before the command's first change.

    Such a run leaves AWS and the project as they were (the caller checks
    that nothing exists), so a rerun and a delete would only repeat the
    uninterrupted run the loop started from: loops skip them for such k.
    """
    return attempt.k - 1 < first_mutating


def assert_failed_at_the_kth_call(attempt, same=service_and_operation):
    """The injector failed a call like the k-th of the clean run, and the CLI exited 1."""
    assert attempt.failed is not None, attempt.context
    assert same(attempt.failed) == same(attempt.call), attempt.context
    assert attempt.result.returncode == 1, (attempt.context, attempt.result.stderr)


def assert_fault_reported(attempt, project, first_mutating, one_line=True, run_again=False):
    """The failed run printed one line naming the fault; returns it.

    With ``one_line``, it is an ``Error:`` line and there is no traceback
    (``one_error_line``); else only that stderr has one non-blank line.  Once
    a mutating call may have been made, the line names the state file (and,
    with ``run_again``, says to run the command again).
    """
    context, stderr = attempt.context, attempt.result.stderr
    if one_line:
        message = one_error_line(attempt.result)
        assert 'InjectedFault' in message, context
    else:
        lines = [line for line in stderr.splitlines() if line.strip()]
        assert len(lines) == 1 and 'InjectedFault' in lines[0], (context, stderr)
        message = lines[0]
    if attempt.k - 1 >= first_mutating:
        # Once resources may have been changed, the error says where to look.
        assert state_path(project) in message, (context, message)
        if run_again:
            assert 'run the command again' in message, (context, message)
    return message


def assert_rerun_converges(attempt, project, env, check_state, snapshot, reference):
    """A deploy without faults exits 0, ``check_state()`` passes, and moto is as before."""
    rerun = run_chalice(project, 'deploy', env=env)
    assert rerun.returncode == 0, (attempt.context, rerun.stdout, rerun.stderr)
    check_state()
    after = snapshot()
    assert after == reference, (attempt.context, differences(after, reference), rerun.stdout)


def differences(actual, expected, path=''):
    """Where two nested snapshots differ, one ``path: actual != expected`` line each."""
    if isinstance(actual, dict) and isinstance(expected, dict):
        lines = []
        for key in sorted(set(actual) | set(expected), key=str):
            where = f'{path}/{key}'
            if key not in expected:
                lines.append(f'{where}: not expected')
            elif key not in actual:
                lines.append(f'{where}: missing')
            else:
                lines.extend(differences(actual[key], expected[key], where))
        return lines
    return [] if actual == expected else [f'{path}: {actual!r} != {expected!r}']
