"""Drop-in deploys: stages AWS Chalice 1.34 deployed, and stages handed back to it.

* Takeover: ``aws_chalice_stage`` builds a 14-function stage (routes with a
  built-in authorizer, two schedules, an event pattern, SNS, SQS, S3,
  Kinesis, DynamoDB, websocket and pure Lambda handlers) the way AWS Chalice
  1.34 leaves it, state file included; ``chalice deploy`` takes it over
  with no second anything (every resource keeps its id; permission
  statements, rule targets, bucket entries are not duplicated), a second
  deploy makes no mutating call and ``chalice delete`` leaves none of it
  (but the worker's logs, as AWS Chalice does).  The same, with the real
  AWS Chalice CLI: ``test_upstream_roundtrip.py``.
* Hand back: a stage deployed by us has a state file with every field AWS
  Chalice 1.34 writes, for every resource type, with the right values.
* ``chalice gen-policy`` prints the policy deploy attaches; saved as
  ``.chalice/policy-dev.json`` it deploys with ``--no-autogen-policy``
  without a change.
* The ``.chalice/deployed.json`` of Chalice before 1.2: converted on deploy
  (with a backup), then a no-op redeploy.
* Crash safety of a takeover: each change it makes (all but the routine
  code and tag updates) fails once in turn; the state file never records
  what does not exist and the next deploy ends as a clean takeover does.
"""
import json

import pytest

from tests.integration import aws_chalice_stage as stage
from tests.integration.conftest import make_project, run_chalice
from tests.integration.deploy_checks import (
    existing_functions,
    existing_mappings,
    existing_rest_apis,
    existing_roles,
    existing_rules,
    existing_subscriptions,
    existing_websocket_apis,
    fail_like_the_kth,
    json_document,
    load_state,
    mutating_operations,
    run_ok,
    state_path,
)

# What AWS Chalice 1.34 records for each resource type (ours adds fields).
AWS_CHALICE_FIELDS = {
    'iam_role': {'role_name', 'role_arn'},
    'lambda_function': {'lambda_arn'},
    'lambda_layer': {'layer_version_arn'},
    'cloudwatch_event': {'rule_name'},
    'sns_event': {'topic', 'topic_arn', 'lambda_arn', 'subscription_arn'},
    'sqs_event': {'queue', 'queue_arn', 'event_uuid', 'lambda_arn'},
    'kinesis_event': {'stream', 'kinesis_arn', 'event_uuid', 'lambda_arn'},
    'dynamodb_event': {'stream_arn', 'event_uuid', 'lambda_arn'},
    's3_event': {'bucket', 'lambda_arn'},
    'rest_api': {'rest_api_id', 'rest_api_url'},
    'websocket_api': {'websocket_api_id', 'websocket_api_url'},
    'log_group': {'log_group_name'},
}
ALL_FUNCTIONS = {name for name, _ in stage.FUNCTIONS.values()}


@pytest.fixture
def project(tmp_path):
    return make_project(tmp_path, stage.APP_SOURCE, config=stage.CONFIG,
                        app_name=stage.APP_NAME)


@pytest.fixture
def stream_arn(aws_clients, aws_env):
    return stage.create_user_resources(aws_clients, aws_env)


def deploy(project, env):
    result = run_ok(project, 'deploy', env)
    assert 'Traceback' not in result.stderr
    return result


# --------------------------------------------------------------------------
# takeover
# --------------------------------------------------------------------------

def test_stage_deployed_by_aws_chalice_is_taken_over_without_duplicates(
        project, stream_arn, aws_env, aws_clients, fault_injector):
    stage.build_stage(aws_clients, project, stream_arn)
    before = stage.picture(aws_clients)
    assert len(before['functions']) == 14 and stage.statement_count(before) == 10
    rest_api_id = before['rest_apis'][0]
    auth = stage.FUNCTIONS['auth'][0]
    assert before['grants'][auth] == [
        ('apigateway.amazonaws.com', stage.execute_api_arn(rest_api_id), None)]

    deploy(project, aws_env)
    after = stage.picture(aws_clients)
    # Nothing recreated, nothing added: the authorizer's grant is replaced.
    assert json.loads(json.dumps(after)) == stage.after_takeover(before)
    assert stage.statement_count(after) == 10

    # Every record is ours now, with AWS Chalice's fields and ids kept.
    records = {r['name']: r for r in load_state(project)['resources']}
    for record in records.values():
        assert AWS_CHALICE_FIELDS[record['resource_type']] <= set(record), record
    assert records['on_queue-sqs-event-source']['event_uuid'] in {
        m[0] for m in after['mappings']}

    fault_injector.arm()
    deploy(project, aws_env)
    assert mutating_operations(fault_injector) == []
    assert stage.picture(aws_clients) == after

    run_ok(project, 'delete', aws_env)
    stage.assert_nothing_of_the_stage_left(project, aws_clients)


# --------------------------------------------------------------------------
# hand back: the state file carries every field AWS Chalice reads
# --------------------------------------------------------------------------

def test_state_file_we_write_has_aws_chalices_fields_for_every_resource_type(
        project, stream_arn, aws_env, aws_clients):
    deploy(project, aws_env)
    records = load_state(project)['resources']
    by_type = {}
    for record in records:
        by_type.setdefault(record['resource_type'], []).append(record)
    assert set(by_type) == set(AWS_CHALICE_FIELDS) - {'lambda_layer'}
    for kind, fields in AWS_CHALICE_FIELDS.items():
        for record in by_type.get(kind, []):
            missing = fields - set(record)
            assert not missing, (kind, missing, record)
    by_name = {r['name']: r for r in records}
    # The names AWS Chalice gives the records, and values it can use.
    assert set(by_name) == {
        'default-role', 'worker-log-group', 'every_hour-event', 'nightly-event',
        'on_commit-event', 'on_topic-sns-subscription', 'on_queue-sqs-event-source',
        'on_upload-s3event', 'on_stream-kinesis-event-source', 'on_table-dynamodb-event-source',
        'websocket_api', 'rest_api'} | set(stage.FUNCTIONS)
    for name, (function_name, _) in stage.FUNCTIONS.items():
        assert by_name[name]['lambda_arn'] == stage.function_arn(function_name)
    assert by_name['default-role']['role_name'] == stage.PREFIX
    assert by_name['every_hour-event']['rule_name'] == stage.PREFIX + '-every_hour-event'
    assert by_name['worker-log-group']['log_group_name'] == '/aws/lambda/takeover-dev-worker'
    queue = by_name['on_queue-sqs-event-source']
    assert (queue['queue'], queue['queue_arn']) == (
        stage.QUEUE, 'arn:aws:sqs:%s:%s:%s' % (stage.REGION, stage.ACCOUNT_ID, stage.QUEUE))
    kinesis = by_name['on_stream-kinesis-event-source']
    assert (kinesis['stream'], kinesis['kinesis_arn']) == (
        stage.STREAM, 'arn:aws:kinesis:%s:%s:stream/%s' % (stage.REGION, stage.ACCOUNT_ID,
                                                           stage.STREAM))
    assert by_name['on_table-dynamodb-event-source']['stream_arn'] == stream_arn
    mappings = existing_mappings(aws_clients)
    for name in ('on_queue-sqs-event-source', 'on_stream-kinesis-event-source',
                 'on_table-dynamodb-event-source'):
        assert by_name[name]['event_uuid'] in mappings
    topic = by_name['on_topic-sns-subscription']
    assert topic['subscription_arn'] in existing_subscriptions(aws_clients)
    assert by_name['on_upload-s3event']['bucket'] == stage.BUCKET
    assert by_name['rest_api']['rest_api_id'] in existing_rest_apis(aws_clients)
    assert by_name['websocket_api']['websocket_api_id'] in existing_websocket_apis(aws_clients)
    assert set(existing_rules(aws_clients)) == {name for name, _ in stage.RULES.values()}

    # Our AWS resources are named and configured as AWS Chalice's: the same picture
    # as a stage it deployed (ids aside), so it can take the stage back.
    ours = stage.picture(aws_clients)
    for key in ('roles', 'functions'):
        assert set(ours[key]) == ({stage.PREFIX} if key == 'roles' else ALL_FUNCTIONS)
    (api,) = ours['websocket_apis'].values()
    assert api['name'] == stage.PREFIX + '-websocket-api'
    assert [(key, selection, integration[2:]) for key, selection, integration
            in api['routes']] == [
        ('$connect', '$default', ('INTERNET', 'CONVERT_TO_TEXT', 'connect')),
        ('$default', '$default', ('INTERNET', 'CONVERT_TO_TEXT', 'message')),
        ('$disconnect', '$default', ('INTERNET', 'CONVERT_TO_TEXT', 'disconnect'))]
    assert ours['bucket']['lambda'] == [
        (stage.function_arn(stage.PREFIX + '-on_upload'), ('s3:ObjectCreated:*',))]

    run_ok(project, 'delete', aws_env)
    stage.assert_nothing_of_the_stage_left(project, aws_clients)


# --------------------------------------------------------------------------
# gen-policy
# --------------------------------------------------------------------------

def test_gen_policy_prints_what_deploy_attaches(project, stream_arn, aws_env, aws_clients,
                                                fault_injector):
    deploy(project, aws_env)
    attached = json_document(aws_clients.iam.get_role_policy(
        RoleName=stage.PREFIX, PolicyName=stage.PREFIX)['PolicyDocument'])
    fault_injector.arm()
    printed = run_ok(project, 'gen-policy', aws_env).stdout
    assert fault_injector.count == 0  # no AWS call
    assert json.loads(printed) == attached
    # The statements deploy adds beyond code analysis are all there.
    resources = {json.dumps(s.get('Resource')) for s in attached['Statement']}
    assert json.dumps('arn:*:execute-api:*:*:*/@connections/*') in resources
    assert json.dumps(stream_arn) in resources

    # Saved as the policy file, it is a working policy: with a policy file
    # every function gets a role of its own (as AWS Chalice deploys it), and
    # each of those roles holds exactly what gen-policy printed.
    (project / '.chalice' / 'policy-dev.json').write_text(printed)
    result = run_chalice(project, 'deploy', '--no-autogen-policy', env=aws_env)
    assert result.returncode == 0, result.stderr
    for function_name, _ in stage.FUNCTIONS.values():
        role = function_name if function_name != stage.PREFIX else stage.PREFIX + '-api_handler'
        role_name = aws_clients.lambda_.get_function_configuration(
            FunctionName=function_name)['Role'].rsplit('/', 1)[1]
        assert role_name == role
        assert json_document(aws_clients.iam.get_role_policy(
            RoleName=role_name, PolicyName=role_name)['PolicyDocument']) == attached


# --------------------------------------------------------------------------
# the deployed.json of Chalice before 1.2
# --------------------------------------------------------------------------

LEGACY_APP = '''\
from chalice import Chalice

app = Chalice(app_name='oldapp')


@app.route('/')
def index():
    return {'hello': 'world'}


@app.lambda_function()
def foo(event, context):
    return {}
'''


def test_legacy_deployed_json_is_converted_backed_up_then_redeployed_as_a_no_op(
        tmp_path, aws_env, aws_clients, fault_injector):
    project = make_project(tmp_path, LEGACY_APP, app_name='oldapp')
    iam, lambda_ = aws_clients.iam, aws_clients['lambda']
    role_arn = iam.create_role(RoleName='oldapp-dev', AssumeRolePolicyDocument=json.dumps(
        stage.TRUST_POLICY))['Role']['Arn']
    arns = {}
    for function_name, handler in (('oldapp-dev', 'app.app'), ('oldapp-dev-foo', 'app.foo')):
        arns[function_name] = lambda_.create_function(
            FunctionName=function_name, Runtime='python3.6', Handler=handler, Role=role_arn,
            Code={'ZipFile': b'PK\x05\x06' + b'\x00' * 18}, Timeout=60)['FunctionArn']
    api_id = aws_clients.apigateway.create_rest_api(name='oldapp')['id']
    legacy = {'dev': {
        'region': stage.REGION, 'api_handler_name': 'oldapp-dev',
        'api_handler_arn': arns['oldapp-dev'], 'rest_api_id': api_id,
        'lambda_functions': {'oldapp-dev-foo': {'type': 'pure_lambda',
                                                'arn': arns['oldapp-dev-foo']}},
        'chalice_version': '1.1.1', 'api_gateway_stage': 'api', 'backend': 'api'}}
    legacy_path = project / '.chalice' / 'deployed.json'
    legacy_path.write_text(json.dumps(legacy))

    result = deploy(project, aws_env)
    assert ("Converted stage 'dev' of %s to %s (backup: %s.bak)."
            % (legacy_path, state_path(project), legacy_path)) in result.stdout
    # Converted: the same role, functions and API, now recorded per stage.
    assert existing_roles(aws_clients) == {'oldapp-dev'}
    assert existing_functions(aws_clients) == {'oldapp-dev', 'oldapp-dev-foo'}
    assert existing_rest_apis(aws_clients) == {api_id}
    records = {r['name']: r for r in load_state(project)['resources']}
    assert records['api_handler']['lambda_arn'] == arns['oldapp-dev']
    assert records['foo']['lambda_arn'] == arns['oldapp-dev-foo']
    assert records['rest_api']['rest_api_id'] == api_id
    assert json.loads((project / '.chalice' / 'deployed.json.bak').read_text()) == legacy
    assert not legacy_path.exists()

    fault_injector.arm()
    deploy(project, aws_env)
    assert mutating_operations(fault_injector) == []


# --------------------------------------------------------------------------
# crash safety of a takeover
# --------------------------------------------------------------------------

# Updates every deploy of changed code makes (their fault paths are covered
# by test_deploy_faults.py); the loop below fails every other change.
ROUTINE = {'UpdateFunctionCode', 'TagResource', 'UpdateFunctionConfiguration'}


def assert_records_exist(project, aws_clients):
    """Everything the state file records exists (the journal is never ahead)."""
    subscriptions = existing_subscriptions(aws_clients)
    mappings = existing_mappings(aws_clients)
    bucket = stage.bucket_notifications(aws_clients)['lambda']
    groups = aws_clients.logs.describe_log_groups(logGroupNamePrefix='/aws/lambda/')
    checks = {
        'iam_role': lambda r: r['role_name'] in existing_roles(aws_clients),
        'lambda_function': lambda r: r['lambda_arn'].rsplit(':', 1)[-1] in
        existing_functions(aws_clients),
        'cloudwatch_event': lambda r: r['rule_name'] in existing_rules(aws_clients),
        'sns_event': lambda r: r['subscription_arn'] in subscriptions,
        'sqs_event': lambda r: r['event_uuid'] in mappings,
        'kinesis_event': lambda r: r['event_uuid'] in mappings,
        'dynamodb_event': lambda r: r['event_uuid'] in mappings,
        's3_event': lambda r: any(arn == r['lambda_arn'] for arn, _ in bucket),
        'rest_api': lambda r: r['rest_api_id'] in existing_rest_apis(aws_clients),
        'websocket_api': lambda r: r['websocket_api_id'] in existing_websocket_apis(
            aws_clients),
        'log_group': lambda r: r['log_group_name'] in {
            g['logGroupName'] for g in groups['logGroups']},
    }
    for record in load_state(project)['resources']:
        assert checks[record['resource_type']](record), record


def test_a_takeover_failing_at_any_change_converges_on_the_next_deploy(
        project, aws_env, aws_clients, fault_injector, moto_server):
    def fresh_stage():
        moto_server.reset()
        stream = stage.create_user_resources(aws_clients, aws_env)
        stage.build_stage(aws_clients, project, stream)
        return stage.after_takeover(stage.picture(aws_clients))

    fresh_stage()
    fault_injector.arm()
    deploy(project, aws_env)
    calls = fault_injector.calls
    targets = [k for k, call in enumerate(calls, 1)
               if call.mutating and call.operation not in ROUTINE]
    assert {calls[k - 1].operation for k in targets} >= {
        'PutRolePolicy', 'PutRestApi', 'AddPermission', 'RemovePermission'}
    for k in targets:
        context = 'k=%d (%s)' % (k, calls[k - 1])
        expected = fresh_stage()
        fail_like_the_kth(fault_injector, calls, k)
        failed = run_chalice(project, 'deploy', env=aws_env)
        assert fault_injector.failed is not None, context
        assert fault_injector.failed.operation == calls[k - 1].operation, context
        fault_injector.disarm()
        assert failed.returncode == 1, (context, failed.stderr)
        (line,) = [x for x in failed.stderr.splitlines() if x.strip()]
        assert line.startswith('Error: ') and 'InjectedFault' in line, context
        assert state_path(project) in line, context
        assert_records_exist(project, aws_clients)
        deploy(project, aws_env)
        assert json.loads(json.dumps(stage.picture(aws_clients))) == expected, context
