"""``@app.on_s3_event`` deployed to moto: an entry merged into an existing bucket.

The bucket already has notifications of its own (a queue, another Lambda
function, EventBridge delivery).  Deploying adds the handler's entry and an
invoke permission for S3; redeploying changes nothing; changing the suffix
replaces only our entry; deleting removes only our entry.  Every AWS call of
the first deploy is also made to fail once: the state file must then list
exactly what exists (including whether our entry is in the bucket), the next
deploy must converge, and ``chalice delete`` must clean up.
"""
import copy
import json
import os

from tests.integration.conftest import ACCOUNT_ID, REGION, make_project, run_chalice
from tests.integration.deploy_checks import (
    assert_failed_at_the_kth_call,
    assert_fault_reported,
    assert_rerun_converges,
    each_call_failing,
    existing_functions,
    existing_roles,
    first_mutating_index,
    function_policy_statements,
    load_state,
    one_error_line,
    recorded_function,
    recorded_role,
    remove_state,
    run_ok,
)

APP_NAME = 's3app'
BUCKET = 's3app-uploads'
FUNCTION_NAME = 's3app-dev-resize'
FUNCTION_ARN = 'arn:aws:lambda:%s:%s:function:%s' % (REGION, ACCOUNT_ID, FUNCTION_NAME)
OUR_ID = 'chalice-%s' % FUNCTION_NAME
APP_SOURCE = '''\
from chalice import Chalice

app = Chalice(app_name='s3app')


@app.on_s3_event(bucket='s3app-uploads', events=['s3:ObjectCreated:*'],
                 prefix='images/', suffix='%s')
def resize(event):
    return {'bucket': event.bucket, 'key': event.key}
'''
QUEUE_ARN = 'arn:aws:sqs:%s:%s:audit' % (REGION, ACCOUNT_ID)
# Not ours: a function of some other application, and an audit queue.
PRE_EXISTING = {
    'QueueConfigurations': [{
        'Id': 'audit-deletes', 'QueueArn': QUEUE_ARN, 'Events': ['s3:ObjectRemoved:*']}],
    'LambdaFunctionConfigurations': [{
        'Id': 'thumbnails',
        'LambdaFunctionArn': 'arn:aws:lambda:%s:%s:function:other-app-thumbs' % (
            REGION, ACCOUNT_ID),
        'Events': ['s3:ObjectCreated:Put'],
        'Filter': {'Key': {'FilterRules': [{'Name': 'prefix', 'Value': 'thumbs/'}]}}}],
    'EventBridgeConfiguration': {},
}


# --------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------

def create_bucket(aws_clients, configuration=PRE_EXISTING):
    aws_clients.sqs.create_queue(QueueName='audit')
    aws_clients.s3.create_bucket(
        Bucket=BUCKET, CreateBucketConfiguration={'LocationConstraint': REGION})
    aws_clients.s3.put_bucket_notification_configuration(
        Bucket=BUCKET, NotificationConfiguration=copy.deepcopy(configuration))


def write_app(project, suffix):
    with open(os.path.join(str(project), 'app.py'), 'w') as f:
        f.write(APP_SOURCE % suffix)


def new_project(tmp_path, suffix='.jpg'):
    return make_project(tmp_path, APP_SOURCE % suffix, app_name=APP_NAME)


def bucket_configuration(aws_clients, bucket=BUCKET):
    response = aws_clients.s3.get_bucket_notification_configuration(Bucket=bucket)
    response.pop('ResponseMetadata', None)
    return response


def split_configuration(configuration):
    """(our entries, everything else) of a bucket's configuration."""
    configuration = copy.deepcopy(configuration)
    lambdas = configuration.pop('LambdaFunctionConfigurations', [])
    ours = [e for e in lambdas if e['Id'] == OUR_ID]
    others = [e for e in lambdas if e['Id'] != OUR_ID]
    if others:
        configuration['LambdaFunctionConfigurations'] = others
    return ours, configuration


def rules_of(entry):
    rules = entry.get('Filter', {}).get('Key', {}).get('FilterRules', [])
    return sorted((r['Name'].lower(), r['Value']) for r in rules)


def s3_statements(aws_clients, function_name=FUNCTION_NAME):
    return [s for s in function_policy_statements(aws_clients, function_name)
            if (s.get('Principal') or {}).get('Service') == 's3.amazonaws.com']


def assert_permission(aws_clients):
    statements = s3_statements(aws_clients)
    assert len(statements) == 1, statements
    statement = statements[0]
    assert statement['Effect'] == 'Allow'
    assert statement['Action'] == 'lambda:InvokeFunction'
    assert statement['Condition']['ArnLike'] == {'AWS:SourceArn': 'arn:aws:s3:::%s' % BUCKET}
    assert statement['Condition']['StringEquals'] == {'AWS:SourceAccount': ACCOUNT_ID}
    return statement


def read_records(project):
    state = load_state(project)
    if state is None:
        return []
    assert state['schema_version'] == '2.0'
    return state['resources']


def assert_state_matches_aws(project, aws_clients, pre_existing=PRE_EXISTING,
                             deploying=True):
    """Everything recorded exists, everything that exists is recorded."""
    records = {r['name']: r for r in read_records(project)}
    roles, functions = set(), set()
    for record in records.values():
        kind = record['resource_type']
        if kind == 'iam_role':
            roles.add(recorded_role(aws_clients, record))
        elif kind == 'lambda_function':
            functions.add(recorded_function(aws_clients, record))
        elif kind == 's3_event':
            assert record == {'name': 'resize-s3event', 'resource_type': 's3_event',
                              'bucket': BUCKET, 'lambda_arn': FUNCTION_ARN,
                              'notification_id': OUR_ID}
            assert records['resize']['lambda_arn'] == FUNCTION_ARN
        else:  # pragma: no cover
            raise AssertionError('unexpected record %r' % record)
    assert existing_roles(aws_clients) == roles
    assert existing_functions(aws_clients) == functions
    ours, others = split_configuration(bucket_configuration(aws_clients))
    # Whatever happened, the bucket's other notifications are intact ...
    assert others == pre_existing
    # ... and our entry is there exactly when it is recorded.
    assert bool(ours) == ('resize-s3event' in records), (ours, records)
    if ours and deploying:
        # S3 validates the destination: the grant came first.  (A failed
        # delete may have removed the grant and left the entry.)
        assert_permission(aws_clients)
    return records


def snapshot(aws_clients):
    functions = {}
    for name in sorted(existing_functions(aws_clients)):
        config = aws_clients['lambda'].get_function(FunctionName=name)['Configuration']
        functions[name] = {
            'Handler': config['Handler'], 'Role': config['Role'],
            'CodeSha256': config['CodeSha256'],
            's3_permissions': sorted(json.dumps(s, sort_keys=True)
                                     for s in s3_statements(aws_clients, name)),
        }
    return {'roles': sorted(existing_roles(aws_clients)), 'functions': functions,
            'bucket': bucket_configuration(aws_clients)}


def deploy(project, aws_env):
    return run_ok(project, 'deploy', aws_env)


def delete(project, aws_env):
    return run_ok(project, 'delete', aws_env)


# --------------------------------------------------------------------------
# deploy, redeploy, update, delete
# --------------------------------------------------------------------------

def test_deploy_merges_into_the_bucket_and_delete_keeps_the_rest(
        tmp_path, aws_env, aws_clients, fault_injector):
    create_bucket(aws_clients)
    project = new_project(tmp_path)

    first = deploy(project, aws_env)
    lines = first.stdout.splitlines()
    assert 'Creating lambda function: %s' % FUNCTION_NAME in lines
    assert 'Configuring S3 events in bucket %s to function %s' % (BUCKET, FUNCTION_NAME) \
        in lines
    assert lines.index('Creating lambda function: %s' % FUNCTION_NAME) < lines.index(
        'Configuring S3 events in bucket %s to function %s' % (BUCKET, FUNCTION_NAME))
    assert '  - Lambda ARN: %s' % FUNCTION_ARN in lines

    records = assert_state_matches_aws(project, aws_clients)
    assert [r['name'] for r in read_records(project)] == [
        'default-role', 'resize', 'resize-s3event']
    assert records['resize-s3event']['notification_id'] == OUR_ID
    ours, others = split_configuration(bucket_configuration(aws_clients))
    assert others == PRE_EXISTING
    assert len(ours) == 1
    assert ours[0]['LambdaFunctionArn'] == FUNCTION_ARN
    assert ours[0]['Events'] == ['s3:ObjectCreated:*']
    assert rules_of(ours[0]) == [('prefix', 'images/'), ('suffix', '.jpg')]
    statement = assert_permission(aws_clients)
    assert statement['Sid'] == 'chalice-s3-%s' % BUCKET

    # Redeploying the unchanged app changes nothing.
    fault_injector.arm()
    again = deploy(project, aws_env)
    assert fault_injector.mutating_calls == [], [str(c) for c in fault_injector.mutating_calls]
    assert 'No changes to S3 events in bucket %s to function %s' % (BUCKET, FUNCTION_NAME) \
        in again.stdout.splitlines()
    assert 'Configuring S3 events' not in again.stdout

    # Someone else adds a notification between deploys: it survives our update.
    current = bucket_configuration(aws_clients)
    current['QueueConfigurations'].append({
        'Id': 'audit-tags', 'QueueArn': QUEUE_ARN, 'Events': ['s3:ObjectTagging:*']})
    aws_clients.s3.put_bucket_notification_configuration(
        Bucket=BUCKET, NotificationConfiguration=current)
    pre_existing = copy.deepcopy(PRE_EXISTING)
    pre_existing['QueueConfigurations'].append(current['QueueConfigurations'][-1])

    write_app(project, '.png')
    fault_injector.arm()
    updated = deploy(project, aws_env)
    assert 'Configuring S3 events in bucket %s to function %s' % (BUCKET, FUNCTION_NAME) \
        in updated.stdout.splitlines()
    operations = sorted(c.operation for c in fault_injector.mutating_calls)
    # The new code, and one put of the bucket's configuration (no new permission).
    assert 'AddPermission' not in operations, operations
    assert [op for op in operations if 'Notification' in op] in (
        ['PutBucketNotification'], ['PutBucketNotificationConfiguration']), operations
    ours, others = split_configuration(bucket_configuration(aws_clients))
    assert others == pre_existing
    assert rules_of(ours[0]) == [('prefix', 'images/'), ('suffix', '.png')]
    assert_state_matches_aws(project, aws_clients, pre_existing)
    assert_permission(aws_clients)

    fault_injector.arm()
    deploy(project, aws_env)
    assert fault_injector.mutating_calls == []

    removed = delete(project, aws_env)
    assert 'Removing S3 events in bucket %s from function %s' % (BUCKET, FUNCTION_NAME) \
        in removed.stdout.splitlines()
    assert bucket_configuration(aws_clients) == pre_existing
    assert existing_functions(aws_clients) == set()
    assert existing_roles(aws_clients) == set()
    assert read_records(project) == []


def test_bucket_without_notifications(tmp_path, aws_env, aws_clients):
    create_bucket(aws_clients, {})
    project = new_project(tmp_path)
    deploy(project, aws_env)
    ours, others = split_configuration(bucket_configuration(aws_clients))
    assert others == {}
    assert [e['Id'] for e in ours] == [OUR_ID]
    delete(project, aws_env)
    assert bucket_configuration(aws_clients) == {}


def test_missing_bucket_fails_before_creating_anything(tmp_path, aws_env, aws_clients):
    project = new_project(tmp_path)
    result = run_chalice(project, 'deploy', env=aws_env)
    assert result.returncode == 2, result.stdout + result.stderr
    message = one_error_line(result)
    assert BUCKET in message and 'does not exist' in message
    assert existing_functions(aws_clients) == set()
    assert existing_roles(aws_clients) == set()
    assert read_records(project) == []


def test_delete_after_the_bucket_is_gone(tmp_path, aws_env, aws_clients):
    create_bucket(aws_clients, {})
    project = new_project(tmp_path)
    deploy(project, aws_env)
    aws_clients.s3.delete_bucket(Bucket=BUCKET)
    delete(project, aws_env)
    assert existing_functions(aws_clients) == set()
    assert read_records(project) == []


def test_entry_removed_by_hand_is_restored(tmp_path, aws_env, aws_clients):
    create_bucket(aws_clients)
    project = new_project(tmp_path)
    deploy(project, aws_env)
    aws_clients.s3.put_bucket_notification_configuration(
        Bucket=BUCKET, NotificationConfiguration=copy.deepcopy(PRE_EXISTING))
    result = deploy(project, aws_env)
    assert 'Configuring S3 events in bucket %s to function %s' % (BUCKET, FUNCTION_NAME) \
        in result.stdout.splitlines()
    assert_state_matches_aws(project, aws_clients)
    ours, _ = split_configuration(bucket_configuration(aws_clients))
    assert [e['Id'] for e in ours] == [OUR_ID]


# --------------------------------------------------------------------------
# every call of the deploy fails once
# --------------------------------------------------------------------------

def test_every_failed_call_is_recoverable(tmp_path, aws_env, aws_clients, fault_injector,
                                         moto_server):
    project = new_project(tmp_path)

    def fresh_aws():
        moto_server.reset()
        create_bucket(aws_clients)
        remove_state(project)

    fresh_aws()
    fault_injector.arm()
    deploy(project, aws_env)
    calls = fault_injector.calls
    reference = snapshot(aws_clients)
    assert set(reference['functions']) == {FUNCTION_NAME}
    assert len(reference['functions'][FUNCTION_NAME]['s3_permissions']) == 1
    first_mutating = first_mutating_index(calls)
    services = {c.service for c in calls}
    assert {'s3', 'lambda', 'iam'} <= services, [str(c) for c in calls]
    put_at = [i for i, c in enumerate(calls) if c.service == 's3' and c.mutating]
    assert len(put_at) == 1, [str(c) for c in calls]

    for attempt in each_call_failing(calls, fault_injector, fresh_aws,
                                     lambda: run_chalice(project, 'deploy', env=aws_env)):
        context = attempt.context
        assert_failed_at_the_kth_call(attempt)
        assert_fault_reported(attempt, project, first_mutating)
        records = assert_state_matches_aws(project, aws_clients)
        # Only the put itself can leave our entry out of a completed deploy.
        assert ('resize-s3event' in records) == (attempt.k - 1 > put_at[0]), context
        assert_rerun_converges(attempt, project, aws_env,
                               lambda: assert_state_matches_aws(project, aws_clients),
                               lambda: snapshot(aws_clients), reference)

        delete(project, aws_env)
        assert existing_functions(aws_clients) == set(), context
        assert existing_roles(aws_clients) == set(), context
        assert bucket_configuration(aws_clients) == PRE_EXISTING, context
        assert read_records(project) == [], context


def test_every_failed_call_of_delete_is_recoverable(tmp_path, aws_env, aws_clients,
                                                   fault_injector, moto_server):
    project = new_project(tmp_path)

    def deployed():
        moto_server.reset()
        create_bucket(aws_clients)
        remove_state(project)
        deploy(project, aws_env)

    deployed()
    fault_injector.arm()
    delete(project, aws_env)
    calls = fault_injector.calls
    assert any(c.service == 's3' and c.mutating for c in calls), [str(c) for c in calls]

    for attempt in each_call_failing(calls, fault_injector, deployed,
                                     lambda: run_chalice(project, 'delete', env=aws_env)):
        context = attempt.context
        assert attempt.result.returncode == 1, (context, attempt.result.stderr)
        one_error_line(attempt.result)
        assert_state_matches_aws(project, aws_clients, deploying=False)

        delete(project, aws_env)
        assert existing_functions(aws_clients) == set(), context
        assert existing_roles(aws_clients) == set(), context
        assert bucket_configuration(aws_clients) == PRE_EXISTING, context
        assert read_records(project) == [], context


# --------------------------------------------------------------------------
# the moto shim these tests rely on (tests/integration/shims_s3.py)
# --------------------------------------------------------------------------

def test_shim_eventbridge_configuration_is_returned(aws_clients):
    from tests.integration.moto_support import SHIMS, shims_disabled

    assert SHIMS['s3-notification-eventbridge'].applied
    create_bucket(aws_clients, {'EventBridgeConfiguration': {}})
    assert bucket_configuration(aws_clients) == {'EventBridgeConfiguration': {}}
    aws_clients.s3.put_bucket_notification_configuration(
        Bucket=BUCKET, NotificationConfiguration=copy.deepcopy(PRE_EXISTING))
    assert bucket_configuration(aws_clients) == PRE_EXISTING
    with shims_disabled('s3-notification-eventbridge'):
        # Still needed: moto's own response drops it.
        assert 'EventBridgeConfiguration' not in bucket_configuration(aws_clients)
