"""Lambda event source mappings (SQS, Kinesis, DynamoDB streams) against moto.

The queue, the stream and the table (with its stream) are created with boto3
first, as a user would.  The DynamoDB stream ARN depends on when the table
was created, so the app reads it from ``MAPPINGS_STREAM_ARN`` (set in the
CLI's environment) and app.py stays the same from one deploy to the next.
"""
import json
from functools import partial

import pytest

from tests.integration import deploy_checks
from tests.integration.conftest import ACCOUNT_ID, REGION, make_project, run_chalice
from tests.integration.deploy_checks import (
    assert_failed_at_the_kth_call,
    assert_fault_reported,
    assert_rerun_converges,
    changed_nothing,
    create_event_sources,
    each_call_failing,
    existing_functions,
    existing_roles,
    first_mutating_index,
    json_document,
    mutating_operations,
    recorded_function,
    recorded_role,
    remove_state,
    run_ok,
    share_of,
    state_path,
)
from tests.integration.deploy_checks import existing_mappings as all_mappings

APP_NAME = 'mappings'
QUEUE, OTHER_QUEUE, STREAM = 'q', 'q2', 's'
TABLE = 'things'
APP_TEMPLATE = '''\
import os

from chalice import Chalice

app = Chalice(app_name='mappings')
STREAM_ARN = os.environ.get('MAPPINGS_STREAM_ARN', 'arn:aws:dynamodb:::table/none/stream/none')


@app.on_sqs_message(queue={queue!r}, batch_size={batch_size}{sqs_extra})
def on_queue(event):
    return None


@app.on_kinesis_record(stream='s')
def on_stream(event):
    return None
{table_handler}'''
TABLE_HANDLER = '''

@app.on_dynamodb_record(stream_arn=STREAM_ARN)
def on_table(event):
    return None
'''
FUNCTIONS = {'mappings-dev-on_queue', 'mappings-dev-on_stream', 'mappings-dev-on_table'}
MAPPING_TYPES = ('sqs_event', 'kinesis_event', 'dynamodb_event')
REQUIRED_KEYS = {
    'iam_role': {'role_name', 'role_arn'},
    'lambda_function': {'lambda_arn'},
    'sqs_event': {'queue', 'event_source_arn', 'event_uuid', 'lambda_arn'},
    'kinesis_event': {'stream', 'event_source_arn', 'event_uuid', 'lambda_arn'},
    'dynamodb_event': {'stream_arn', 'event_source_arn', 'event_uuid', 'lambda_arn'},
}
QUEUE_ARN = 'arn:aws:sqs:%s:%s:%s' % (REGION, ACCOUNT_ID, QUEUE)
STREAM_ARN = 'arn:aws:kinesis:%s:%s:stream/%s' % (REGION, ACCOUNT_ID, STREAM)


def app_source(queue=QUEUE, batch_size=5, sqs_extra='', table=True):
    return APP_TEMPLATE.format(queue=queue, batch_size=batch_size, sqs_extra=sqs_extra,
                               table_handler=TABLE_HANDLER if table else '')


def function_arn(name):
    return 'arn:aws:lambda:%s:%s:function:%s' % (REGION, ACCOUNT_ID, name)


# --------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------

def create_sources(aws_clients, env):
    """The queues, the stream and the table; sets the table's stream ARN in env."""
    stream_arn = create_event_sources(aws_clients, queues=[QUEUE, OTHER_QUEUE], stream=STREAM,
                                      table=TABLE, queue_attributes={'VisibilityTimeout': '60'})
    env['MAPPINGS_STREAM_ARN'] = stream_arn
    return stream_arn


@pytest.fixture
def project(tmp_path):
    return make_project(tmp_path, app_source(), app_name=APP_NAME)


@pytest.fixture
def table_stream_arn(aws_clients, aws_env):
    return create_sources(aws_clients, aws_env)


def deploy(project, env):
    result = run_ok(project, 'deploy', env)
    assert 'Traceback' not in result.stderr
    return result


def delete(project, env):
    return run_ok(project, 'delete', env)


def rewrite_app(project, source):
    (project / 'app.py').write_text(source)


def read_records(project):
    """The state file's records, checked against the documented format."""
    return deploy_checks.read_state_records(project, REQUIRED_KEYS)


def records_by_name(project):
    return {r['name']: r for r in read_records(project)}


def mappings_of(aws_clients, function_name):
    return [m for m in all_mappings(aws_clients).values()
            if m['FunctionArn'] == function_arn(function_name)]


def role_policy(aws_clients, role_name='mappings-dev'):
    document = aws_clients.iam.get_role_policy(RoleName=role_name,
                                               PolicyName=role_name)['PolicyDocument']
    return json_document(document)


def statement_for(policy, action):
    found = [s for s in policy['Statement'] if action in s['Action']]
    assert len(found) == 1, policy
    return found[0]


def operations(fault_injector):
    """The event source mapping operations the server saw since arming."""
    return sorted(c.operation for c in fault_injector.calls
                  if 'EventSourceMapping' in c.operation)


def assert_state_matches_moto(project, aws_clients):
    """Everything recorded exists as recorded; everything that exists is recorded."""
    records = read_records(project)
    lambda_ = aws_clients['lambda']
    roles, functions, mappings = set(), set(), set()
    for record in records:
        kind = record['resource_type']
        if kind == 'iam_role':
            roles.add(recorded_role(aws_clients, record))
        elif kind == 'lambda_function':
            functions.add(recorded_function(aws_clients, record, check_arn=True))
        else:
            assert kind in MAPPING_TYPES, record
            mapping = lambda_.get_event_source_mapping(UUID=record['event_uuid'])
            assert mapping['EventSourceArn'] == record['event_source_arn'], record
            assert mapping['FunctionArn'] == record['lambda_arn'], record
            mappings.add(record['event_uuid'])
    assert existing_roles(aws_clients) == roles
    assert existing_functions(aws_clients) == functions
    assert set(all_mappings(aws_clients)) == mappings
    return records


def assert_nothing_left(project, aws_clients):
    assert existing_roles(aws_clients) == set()
    assert existing_functions(aws_clients) == set()
    assert all_mappings(aws_clients) == {}
    assert read_records(project) == []


# --------------------------------------------------------------------------
# deploy, redeploy, change, remove, delete
# --------------------------------------------------------------------------

def test_deploy_subscribes_each_function_to_its_source(project, aws_env, aws_clients,
                                                      table_stream_arn):
    result = deploy(project, aws_env)

    lines = result.stdout.splitlines()
    for line in ('Subscribing mappings-dev-on_queue to SQS queue q',
                 'Subscribing mappings-dev-on_stream to Kinesis stream s',
                 'Subscribing mappings-dev-on_table to DynamoDB stream %s' % table_stream_arn):
        assert line in lines, result.stdout
    # Each subscription comes after its function was created.
    assert lines.index('Creating lambda function: mappings-dev-on_queue') < \
        lines.index('Subscribing mappings-dev-on_queue to SQS queue q')
    for name in sorted(FUNCTIONS):
        assert '  - Lambda ARN: %s' % function_arn(name) in lines

    records = records_by_name(project)
    mappings = all_mappings(aws_clients)
    assert len(mappings) == 3
    # key, arn_key: how AWS Chalice's records name the source and its ARN.
    expected = {
        'on_queue-sqs-event-source': ('sqs_event', 'queue', 'queue_arn', QUEUE, QUEUE_ARN, 5),
        'on_stream-kinesis-event-source': ('kinesis_event', 'stream', 'kinesis_arn', STREAM,
                                           STREAM_ARN, 100),
        'on_table-dynamodb-event-source': ('dynamodb_event', 'stream_arn', 'stream_arn',
                                           table_stream_arn, table_stream_arn, 100),
    }
    for name, (kind, key, arn_key, source, source_arn, batch_size) in expected.items():
        record = records[name]
        function = name.split('-')[0]
        lambda_arn = function_arn('mappings-dev-%s' % function)
        assert record == {'name': name, 'resource_type': kind, key: source,
                          arn_key: source_arn, 'event_source_arn': source_arn,
                          'event_uuid': record['event_uuid'], 'lambda_arn': lambda_arn}
        assert records[function]['lambda_arn'] == lambda_arn
        mapping = mappings[record['event_uuid']]
        assert mapping['EventSourceArn'] == source_arn
        assert mapping['FunctionArn'] == lambda_arn
        assert mapping['BatchSize'] == batch_size
        assert mapping['State'] == 'Enabled'
        if kind != 'sqs_event':
            assert mapping['StartingPosition'] == 'LATEST'
    # Functions before their mappings in the state file (creation order).
    names = [r['name'] for r in read_records(project)]
    assert names.index('on_queue') < names.index('on_queue-sqs-event-source')

    # The shared role may read the queue and the streams.
    policy = role_policy(aws_clients)
    assert statement_for(policy, 'sqs:ReceiveMessage')['Resource'] == 'arn:*:sqs:*:*:q'
    assert {'sqs:DeleteMessage', 'sqs:GetQueueAttributes', 'sqs:ChangeMessageVisibility'} <= \
        set(statement_for(policy, 'sqs:ReceiveMessage')['Action'])
    assert statement_for(policy, 'kinesis:GetRecords')['Resource'] == \
        'arn:*:kinesis:*:*:stream/s'
    assert statement_for(policy, 'dynamodb:GetRecords')['Resource'] == table_stream_arn
    assert_state_matches_moto(project, aws_clients)


def test_redeploy_without_changes_makes_no_mutating_calls(project, aws_env, aws_clients,
                                                         fault_injector, table_stream_arn):
    deploy(project, aws_env)
    before = all_mappings(aws_clients)
    records = read_records(project)

    fault_injector.arm()
    result = deploy(project, aws_env)
    assert fault_injector.mutating_calls == [], mutating_operations(fault_injector)
    assert 'ListEventSourceMappings' in operations(fault_injector)
    lines = result.stdout.splitlines()
    for line in ('No changes to subscription of mappings-dev-on_queue to SQS queue q',
                 'No changes to subscription of mappings-dev-on_stream to Kinesis stream s',
                 'No changes to subscription of mappings-dev-on_table to DynamoDB stream %s'
                 % table_stream_arn):
        assert line in lines, result.stdout
    assert not [line for line in lines if line.startswith('Subscribing')]
    assert all_mappings(aws_clients) == before
    assert read_records(project) == records


def test_changed_batch_size_updates_the_mapping_in_place(project, aws_env, aws_clients,
                                                        fault_injector, table_stream_arn):
    deploy(project, aws_env)
    uuid = records_by_name(project)['on_queue-sqs-event-source']['event_uuid']

    rewrite_app(project, app_source(batch_size=7))
    fault_injector.arm()
    result = deploy(project, aws_env)
    # One list of the region's mappings answers for the three.
    assert operations(fault_injector) == ['ListEventSourceMappings', 'UpdateEventSourceMapping']
    assert 'Updating subscription of mappings-dev-on_queue to SQS queue q' in \
        result.stdout.splitlines()
    [mapping] = mappings_of(aws_clients, 'mappings-dev-on_queue')
    assert mapping['UUID'] == uuid
    assert mapping['BatchSize'] == 7
    assert 'ScalingConfig' not in mapping or not mapping['ScalingConfig']

    # Batching window and maximum concurrency, then the concurrency removed.
    rewrite_app(project, app_source(
        batch_size=7, sqs_extra=', maximum_batching_window_in_seconds=3, '
        'maximum_concurrency=4'))
    deploy(project, aws_env)
    [mapping] = mappings_of(aws_clients, 'mappings-dev-on_queue')
    assert (mapping['UUID'], mapping['BatchSize'], mapping['MaximumBatchingWindowInSeconds'],
            mapping['ScalingConfig']) == (uuid, 7, 3, {'MaximumConcurrency': 4})

    rewrite_app(project, app_source(batch_size=7,
                                    sqs_extra=', maximum_batching_window_in_seconds=3'))
    fault_injector.arm()
    deploy(project, aws_env)
    assert operations(fault_injector).count('UpdateEventSourceMapping') == 1
    [mapping] = mappings_of(aws_clients, 'mappings-dev-on_queue')
    assert mapping['UUID'] == uuid
    assert not (mapping.get('ScalingConfig') or {}).get('MaximumConcurrency')

    fault_injector.arm()
    deploy(project, aws_env)
    assert fault_injector.mutating_calls == [], mutating_operations(fault_injector)
    assert_state_matches_moto(project, aws_clients)


def test_changed_queue_replaces_the_mapping(project, aws_env, aws_clients, fault_injector,
                                           table_stream_arn):
    deploy(project, aws_env)
    old_uuid = records_by_name(project)['on_queue-sqs-event-source']['event_uuid']

    rewrite_app(project, app_source(queue=OTHER_QUEUE))
    fault_injector.arm()
    result = deploy(project, aws_env)
    lines = result.stdout.splitlines()
    assert lines.index('Unsubscribing mappings-dev-on_queue from SQS queue q') < \
        lines.index('Subscribing mappings-dev-on_queue to SQS queue q2')
    esm_calls = [o for o in operations(fault_injector) if not o.startswith(('Get', 'List'))]
    assert esm_calls == ['CreateEventSourceMapping', 'DeleteEventSourceMapping']

    record = records_by_name(project)['on_queue-sqs-event-source']
    assert record['queue'] == OTHER_QUEUE
    assert record['event_source_arn'] == QUEUE_ARN[:-1] + OTHER_QUEUE
    assert record['event_uuid'] != old_uuid
    [mapping] = mappings_of(aws_clients, 'mappings-dev-on_queue')
    assert mapping['UUID'] == record['event_uuid']
    assert mapping['EventSourceArn'] == record['event_source_arn']
    assert mapping['BatchSize'] == 5
    assert statement_for(role_policy(aws_clients), 'sqs:ReceiveMessage')['Resource'] == \
        'arn:*:sqs:*:*:q2'
    assert_state_matches_moto(project, aws_clients)


def test_removed_handler_loses_its_mapping_and_function(project, aws_env, aws_clients,
                                                       table_stream_arn):
    deploy(project, aws_env)
    table_uuid = records_by_name(project)['on_table-dynamodb-event-source']['event_uuid']

    rewrite_app(project, app_source(table=False))
    result = deploy(project, aws_env)
    lines = result.stdout.splitlines()
    assert lines.index('Unsubscribing mappings-dev-on_table from DynamoDB stream %s'
                       % table_stream_arn) < \
        lines.index('Deleting function: %s' % function_arn('mappings-dev-on_table'))
    assert table_uuid not in all_mappings(aws_clients)
    assert existing_functions(aws_clients) == FUNCTIONS - {'mappings-dev-on_table'}
    records = records_by_name(project)
    assert 'on_table' not in records and 'on_table-dynamodb-event-source' not in records
    policy = role_policy(aws_clients)
    assert not [s for s in policy['Statement'] if 'dynamodb:GetRecords' in s['Action']]
    assert_state_matches_moto(project, aws_clients)


def test_delete_removes_mappings_functions_and_role(project, aws_env, aws_clients,
                                                   table_stream_arn):
    deploy(project, aws_env)
    result = delete(project, aws_env)
    lines = result.stdout.splitlines()
    assert 'Unsubscribing mappings-dev-on_queue from SQS queue q' in lines
    assert 'Unsubscribing mappings-dev-on_stream from Kinesis stream s' in lines
    assert_nothing_left(project, aws_clients)


def test_delete_tolerates_a_mapping_that_is_already_gone(project, aws_env, aws_clients,
                                                        table_stream_arn):
    deploy(project, aws_env)
    uuid = records_by_name(project)['on_stream-kinesis-event-source']['event_uuid']
    aws_clients['lambda'].delete_event_source_mapping(UUID=uuid)
    delete(project, aws_env)
    assert_nothing_left(project, aws_clients)


def test_mapping_deleted_behind_our_back_is_created_again(project, aws_env, aws_clients,
                                                         table_stream_arn):
    deploy(project, aws_env)
    uuid = records_by_name(project)['on_queue-sqs-event-source']['event_uuid']
    aws_clients['lambda'].delete_event_source_mapping(UUID=uuid)

    result = deploy(project, aws_env)
    assert 'Subscribing mappings-dev-on_queue to SQS queue q' in result.stdout.splitlines()
    [mapping] = mappings_of(aws_clients, 'mappings-dev-on_queue')
    assert mapping['UUID'] != uuid
    assert_state_matches_moto(project, aws_clients)


def test_failed_replacement_leaves_an_exact_state_and_converges(
        project, aws_env, aws_clients, fault_injector, table_stream_arn):
    deploy(project, aws_env)
    rewrite_app(project, app_source(queue=OTHER_QUEUE))
    # The old mapping is deleted, then creating the new one fails.
    fault_injector.fail_when(lambda call: call.operation == 'CreateEventSourceMapping')
    failed = run_chalice(project, 'deploy', env=aws_env)
    fault_injector.disarm()
    assert failed.returncode == 1, failed.stderr
    assert 'on_queue-sqs-event-source' not in records_by_name(project)
    assert mappings_of(aws_clients, 'mappings-dev-on_queue') == []
    assert_state_matches_moto(project, aws_clients)

    deploy(project, aws_env)
    [mapping] = mappings_of(aws_clients, 'mappings-dev-on_queue')
    assert mapping['EventSourceArn'].endswith(':' + OTHER_QUEUE)
    assert_state_matches_moto(project, aws_clients)


def test_unrecorded_mapping_is_adopted_not_duplicated(project, aws_env, aws_clients,
                                                     fault_injector, table_stream_arn):
    """A create whose response (or record) was lost: the rerun finds the mapping."""
    deploy(project, aws_env)
    with open(state_path(project)) as f:
        state = json.load(f)
    lost = [r for r in state['resources'] if r['resource_type'] in MAPPING_TYPES]
    state['resources'] = [r for r in state['resources'] if r not in lost]
    with open(state_path(project), 'w') as f:
        json.dump(state, f)

    fault_injector.arm()
    deploy(project, aws_env)
    assert fault_injector.mutating_calls == [], mutating_operations(fault_injector)
    records = records_by_name(project)
    for record in lost:
        assert records[record['name']] == record
    assert len(all_mappings(aws_clients)) == 3
    assert_state_matches_moto(project, aws_clients)


def test_update_waits_while_the_mapping_is_in_use(project, aws_env, aws_clients,
                                                 fault_injector, table_stream_arn):
    deploy(project, aws_env)
    rewrite_app(project, app_source(batch_size=8))
    fault_injector.fail_when(lambda call: call.operation == 'UpdateEventSourceMapping',
                             code='ResourceInUseException',
                             message='The event source mapping is currently in use.')
    deploy(project, aws_env)
    assert fault_injector.failed is not None
    assert operations(fault_injector).count('UpdateEventSourceMapping') == 2
    [mapping] = mappings_of(aws_clients, 'mappings-dev-on_queue')
    assert mapping['BatchSize'] == 8


def test_delete_waits_while_the_mapping_is_in_use(project, aws_env, aws_clients,
                                                 fault_injector, table_stream_arn):
    deploy(project, aws_env)
    fault_injector.fail_when(lambda call: call.operation == 'DeleteEventSourceMapping',
                             code='ResourceInUseException',
                             message='The event source mapping is currently in use.')
    delete(project, aws_env)
    assert fault_injector.failed is not None
    assert operations(fault_injector).count('DeleteEventSourceMapping') == 4
    assert_nothing_left(project, aws_clients)


def test_missing_queue_is_a_one_line_error(tmp_path, aws_env, aws_clients, table_stream_arn):
    project = make_project(tmp_path, app_source(queue='no-such-queue'), app_name=APP_NAME)
    result = run_chalice(project, 'deploy', env=aws_env)
    assert result.returncode == 1
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith('Error: '), result.stderr
    assert 'CreateEventSourceMapping' in lines[0]
    assert_state_matches_moto(project, aws_clients)
    delete(project, aws_env)
    assert_nothing_left(project, aws_clients)


def test_queue_visibility_shorter_than_the_function_timeout_is_a_one_line_error(
        tmp_path, aws_env, aws_clients, table_stream_arn, fault_injector):
    # moto does not compare the queue's visibility timeout with the function's
    # timeout; Lambda does, so its refusal is injected as Lambda words it.
    message = ('Queue visibility timeout: 30 seconds is less than Function timeout: '
               '60 seconds')
    fault_injector.fail_when(lambda call: call.operation == 'CreateEventSourceMapping',
                             code='InvalidParameterValueException', message=message)
    project = make_project(tmp_path, app_source(table=False), app_name=APP_NAME)
    result = run_chalice(project, 'deploy', env=aws_env)
    assert result.returncode == 1
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith('Error: '), result.stderr
    assert 'InvalidParameterValueException' in lines[0] and message in lines[0]
    assert 'Traceback' not in result.stderr
    assert_state_matches_moto(project, aws_clients)
    # With the queue's timeout raised (or lambda_timeout lowered) a rerun completes.
    fault_injector.disarm()
    deploy(project, aws_env)
    assert {m['EventSourceArn'] for m in all_mappings(aws_clients).values()} == {
        QUEUE_ARN, STREAM_ARN}
    delete(project, aws_env)
    assert_nothing_left(project, aws_clients)


# --------------------------------------------------------------------------
# crash safety: fail the k-th AWS call of a deploy, for every k
# --------------------------------------------------------------------------

def snapshot(aws_clients, stream_arn):
    """What moto holds, without the values that differ from one run to the next."""
    def stable(value):
        return json.loads(json.dumps(value, default=str).replace(stream_arn, '<stream>'))

    iam, lambda_ = aws_clients.iam, aws_clients['lambda']
    roles = {}
    for name in sorted(existing_roles(aws_clients)):
        policies = {
            policy: stable(role_policy(aws_clients, name))
            for policy in iam.list_role_policies(RoleName=name)['PolicyNames']}
        roles[name] = policies
    functions = {}
    for name in sorted(existing_functions(aws_clients)):
        config = lambda_.get_function(FunctionName=name)['Configuration']
        functions[name] = {key: config.get(key) for key in (
            'Runtime', 'Handler', 'Role', 'MemorySize', 'Timeout', 'CodeSha256')}
    mappings = sorted(
        (stable(m['EventSourceArn']), m['FunctionArn'], m['BatchSize'],
         m.get('MaximumBatchingWindowInSeconds'), m.get('StartingPosition'), m['State'])
        for m in all_mappings(aws_clients).values())
    return {'roles': roles, 'functions': functions, 'mappings': mappings}


@pytest.mark.parametrize('part', range(2))
def test_every_failed_call_is_recoverable(part, tmp_path, aws_env, aws_clients, fault_injector,
                                          moto_server):
    project = make_project(tmp_path, app_source(), app_name=APP_NAME)

    def fresh_aws():
        moto_server.reset()
        remove_state(project)
        return create_sources(aws_clients, aws_env)

    stream_arn = fresh_aws()
    fault_injector.arm()
    deploy(project, aws_env)
    calls = fault_injector.calls
    reference = snapshot(aws_clients, stream_arn)
    assert set(reference['functions']) == FUNCTIONS
    assert len(reference['mappings']) == 3
    operations_made = [c.operation for c in calls]
    assert operations_made.count('CreateEventSourceMapping') == 3
    first_mutating = first_mutating_index(calls)

    for attempt in each_call_failing(calls, fault_injector, fresh_aws,
                                     lambda: run_chalice(project, 'deploy', env=aws_env),
                                     positions=share_of(calls, part)):
        assert_failed_at_the_kth_call(attempt)
        assert_fault_reported(attempt, project, first_mutating, one_line=False)
        assert_state_matches_moto(project, aws_clients)
        if changed_nothing(attempt, first_mutating):
            assert_nothing_left(project, aws_clients)
            continue
        assert_rerun_converges(attempt, project, aws_env,
                               lambda: assert_state_matches_moto(project, aws_clients),
                               partial(snapshot, aws_clients, attempt.prepared), reference)

        delete(project, aws_env)
        assert_nothing_left(project, aws_clients)


# --------------------------------------------------------------------------
# the moto shims this suite relies on are still needed
# --------------------------------------------------------------------------

def _function_and_queue(aws_clients):
    import io
    import zipfile

    role = aws_clients.iam.create_role(RoleName='shim-role', AssumeRolePolicyDocument='{}')
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, 'w') as archive:
        archive.writestr('app.py', 'def handler(event, context):\n    return {}\n')
    function = aws_clients['lambda'].create_function(
        FunctionName='shim-function', Runtime='python3.11', Role=role['Role']['Arn'],
        Handler='app.handler', Code={'ZipFile': buffer.getvalue()})
    aws_clients.sqs.create_queue(QueueName=QUEUE)
    return function['FunctionArn']


def test_shim_list_mappings_by_function_name(aws_clients):
    from tests.integration.moto_support import shims_disabled

    lambda_ = aws_clients['lambda']
    arn = _function_and_queue(aws_clients)
    lambda_.create_event_source_mapping(EventSourceArn=QUEUE_ARN, FunctionName=arn)
    for name in ('shim-function', arn):
        found = lambda_.list_event_source_mappings(EventSourceArn=QUEUE_ARN, FunctionName=name)
        assert len(found['EventSourceMappings']) == 1, name
    assert lambda_.list_event_source_mappings(
        FunctionName='other-function')['EventSourceMappings'] == []
    with shims_disabled('lambda-esm-list-by-function'):
        found = lambda_.list_event_source_mappings(FunctionName='shim-function')
        assert found['EventSourceMappings'] == []


@pytest.mark.parametrize('method', ['update_event_source_mapping',
                                    'delete_event_source_mapping'])
def test_shim_unknown_mapping_uuid_is_not_found(aws_clients, method):
    from tests.integration.moto_support import shims_disabled

    lambda_ = aws_clients['lambda']
    unknown = '00000000-0000-4000-8000-000000000000'
    with pytest.raises(lambda_.exceptions.ResourceNotFoundException):
        getattr(lambda_, method)(UUID=unknown)
    with shims_disabled('lambda-esm-unknown-uuid'):
        getattr(lambda_, method)(UUID=unknown)  # moto: success
    # Known mappings still work through moto's own code.
    arn = _function_and_queue(aws_clients)
    uuid = lambda_.create_event_source_mapping(EventSourceArn=QUEUE_ARN, FunctionName=arn,
                                               BatchSize=3)['UUID']
    getattr(lambda_, method)(UUID=uuid)


QUEUE_ARN_APP = '''\
from chalice import Chalice

app = Chalice(app_name='mappings')


@app.on_sqs_message(queue_arn='arn:aws:sqs:{region}:{account}:by-arn', batch_size=3)
def on_queue(event):
    return None
'''


def test_queue_given_by_arn(tmp_path, aws_env, aws_clients):
    """``on_sqs_message(queue_arn=...)`` maps the function to that queue, and the
    role may read from exactly that queue."""
    aws_clients.sqs.create_queue(QueueName='by-arn')
    queue_arn = 'arn:aws:sqs:%s:%s:by-arn' % (REGION, ACCOUNT_ID)
    project = make_project(tmp_path, QUEUE_ARN_APP.format(region=REGION, account=ACCOUNT_ID),
                           app_name=APP_NAME)
    result = run_ok(project, 'deploy', aws_env)
    assert 'Subscribing mappings-dev-on_queue to SQS queue by-arn' in result.stdout.splitlines()
    [mapping] = all_mappings(aws_clients).values()
    assert mapping['EventSourceArn'] == queue_arn
    assert mapping['FunctionArn'] == function_arn('mappings-dev-on_queue')
    assert mapping['BatchSize'] == 3
    policy = aws_clients.iam.get_role_policy(RoleName='mappings-dev', PolicyName='mappings-dev')
    statement = statement_for(json_document(policy['PolicyDocument']), 'sqs:ReceiveMessage')
    assert statement['Resource'] == queue_arn
    [record] = [r for r in read_records(project) if r['resource_type'] == 'sqs_event']
    assert record['queue_arn'] == queue_arn
