"""``chalice deploy``/``delete`` of scheduled, CloudWatch-event and SNS handlers, on moto.

The app has two schedules (a string and a ``Rate``), an event pattern and
an SNS subscription to a topic created with boto3 beforehand.  Checked
with boto3 against the server: the rules, their targets, the functions'
resource-policy grants, the subscription, the state file records, the
documented output lines; a redeploy without changes makes no mutating
call; a changed schedule puts only the rule; removed handlers lose their
rule or subscription and function; delete leaves nothing.  Then crash
safety: every call of a deploy fails once, the state file must list exactly
what exists, and a rerun converges.
"""
import json
import os

import pytest

from tests.integration import deploy_checks
from tests.integration.conftest import ACCOUNT_ID, REGION, make_project, run_chalice
from tests.integration.deploy_checks import (
    assert_failed_at_the_kth_call,
    assert_fault_reported,
    assert_rerun_converges,
    changed_nothing,
    each_call_failing,
    existing_functions,
    existing_roles,
    existing_rules,
    existing_subscriptions,
    first_mutating_index,
    function_policy_statements,
    mutating_operations,
    recorded_function,
    recorded_role,
    remove_state,
    run_ok,
    share_of,
    state_path,
)

APP_NAME = 'events'
TOPIC = 'my-topic'
TOPIC_ARN = 'arn:aws:sns:%s:%s:%s' % (REGION, ACCOUNT_ID, TOPIC)
PATTERN = {'source': ['aws.codecommit']}
APP_HEAD = '''\
from chalice import Chalice, Rate

app = Chalice(app_name='events')


@app.schedule('rate({minutes} minutes)')
def every_five(event):
    return {{}}


@app.schedule(Rate(1, unit=Rate.HOURS))
def hourly(event):
    return {{}}
'''
APP_PATTERN = '''

@app.on_cw_event({'source': ['aws.codecommit']})
def on_commit(event):
    return {}
'''
APP_SNS = '''

@app.on_sns_message('my-topic')
def handle(event):
    return {}
'''
FUNCTIONS = {'events-dev-every_five', 'events-dev-hourly', 'events-dev-on_commit',
             'events-dev-handle'}
# Rules are named <function name>-event, as AWS Chalice names them.
RULES = {'events-dev-every_five-event', 'events-dev-hourly-event', 'events-dev-on_commit-event'}
REQUIRED_KEYS = {
    'iam_role': {'role_name', 'role_arn'},
    'lambda_function': {'lambda_arn'},
    'cloudwatch_event': {'rule_name', 'rule_arn'},
    'sns_event': {'topic', 'topic_arn', 'subscription_arn', 'lambda_arn'},
}


def app_source(minutes=5, pattern=True, sns=True):
    return (APP_HEAD.format(minutes=minutes) + (APP_PATTERN if pattern else '')
            + (APP_SNS if sns else ''))


def function_arn(name):
    return 'arn:aws:lambda:%s:%s:function:%s' % (REGION, ACCOUNT_ID, name)


def rule_arn(name):
    return 'arn:aws:events:%s:%s:rule/%s' % (REGION, ACCOUNT_ID, name)


@pytest.fixture
def topic(aws_clients):
    return aws_clients.sns.create_topic(Name=TOPIC)['TopicArn']


@pytest.fixture
def project(tmp_path):
    return make_project(tmp_path, app_source(), app_name=APP_NAME)


def deploy(project, env):
    result = run_ok(project, 'deploy', env)
    assert 'Traceback' not in result.stderr
    return result


def delete(project, env):
    return run_ok(project, 'delete', env)


def read_records(project):
    """The state file's records, checked against the documented format."""
    return deploy_checks.read_state_records(project, REQUIRED_KEYS, backend='api')


# -- reading moto back -------------------------------------------------------

def grants(aws_clients, function_name):
    """(principal service, source ARN) of each statement of the function's policy."""
    found = []
    for statement in function_policy_statements(aws_clients, function_name):
        assert statement['Effect'] == 'Allow'
        assert statement['Action'] == 'lambda:InvokeFunction'
        found.append((statement['Principal']['Service'],
                      statement['Condition']['ArnLike']['AWS:SourceArn']))
    return sorted(found)


def snapshot(aws_clients):
    """Rules, targets, subscriptions, grants and functions, comparable across deploys."""
    events = aws_clients.events
    rules = {}
    for name in sorted(existing_rules(aws_clients)):
        described = events.describe_rule(Name=name)
        targets = events.list_targets_by_rule(Rule=name)['Targets']
        rules[name] = {
            'Arn': described['Arn'],
            'ScheduleExpression': described.get('ScheduleExpression'),
            'EventPattern': json.loads(described['EventPattern'])
            if described.get('EventPattern') else None,
            'Description': described.get('Description'),
            'State': described['State'],
            'targets': sorted((t['Id'], t['Arn']) for t in targets),
        }
    subscriptions = sorted((s['TopicArn'], s['Protocol'], s['Endpoint'])
                           for s in existing_subscriptions(aws_clients).values())
    functions = {}
    for name in sorted(existing_functions(aws_clients)):
        config = aws_clients['lambda'].get_function(FunctionName=name)['Configuration']
        functions[name] = {'Handler': config['Handler'], 'Role': config['Role'],
                           'CodeSha256': config['CodeSha256'],
                           'grants': grants(aws_clients, name)}
    return {'roles': sorted(existing_roles(aws_clients)), 'rules': rules,
            'subscriptions': subscriptions, 'functions': functions}


def assert_state_matches_moto(project, aws_clients):
    """Everything recorded exists; everything that exists is recorded."""
    records = read_records(project)
    recorded = {'iam_role': set(), 'lambda_function': set(), 'cloudwatch_event': set(),
                'sns_event': set()}
    for record in records:
        kind = record['resource_type']
        if kind == 'iam_role':
            recorded[kind].add(recorded_role(aws_clients, record))
        elif kind == 'lambda_function':
            recorded[kind].add(recorded_function(aws_clients, record))
        elif kind == 'cloudwatch_event':
            rule = aws_clients.events.describe_rule(Name=record['rule_name'])
            assert rule['Arn'] == record['rule_arn']
            recorded[kind].add(record['rule_name'])
        elif kind == 'sns_event':
            attributes = aws_clients.sns.get_subscription_attributes(
                SubscriptionArn=record['subscription_arn'])['Attributes']
            assert attributes['TopicArn'] == record['topic_arn'] == TOPIC_ARN
            assert attributes['Endpoint'] == record['lambda_arn']
            recorded[kind].add(record['subscription_arn'])
        else:  # pragma: no cover - the app has no other resource types
            raise AssertionError('unexpected record %r' % record)
    assert existing_roles(aws_clients) == recorded['iam_role']
    assert existing_functions(aws_clients) == recorded['lambda_function']
    assert set(existing_rules(aws_clients)) == recorded['cloudwatch_event']
    assert set(existing_subscriptions(aws_clients)) == recorded['sns_event']
    return records


def assert_nothing_left(project, aws_clients):
    assert existing_roles(aws_clients) == set()
    assert existing_functions(aws_clients) == set()
    assert existing_rules(aws_clients) == {}
    assert existing_subscriptions(aws_clients) == {}
    assert read_records(project) == []


# -- deploy, redeploy, change, delete -----------------------------------------

def test_deploy_creates_rules_subscription_and_grants(project, topic, aws_env, aws_clients,
                                                      fault_injector):
    assert topic == TOPIC_ARN
    result = deploy(project, aws_env)
    assert result.stdout.splitlines() == [
        'Creating deployment package.',
        'Creating IAM role: events-dev',
        'Creating lambda function: events-dev-every_five',
        'Creating lambda function: events-dev-hourly',
        'Creating lambda function: events-dev-on_commit',
        'Creating lambda function: events-dev-handle',
        'Subscribing events-dev-handle to SNS topic my-topic',
        'Resources deployed:',
        '  - Lambda ARN: %s' % function_arn('events-dev-every_five'),
        '  - Lambda ARN: %s' % function_arn('events-dev-hourly'),
        '  - Lambda ARN: %s' % function_arn('events-dev-on_commit'),
        '  - Lambda ARN: %s' % function_arn('events-dev-handle'),
    ]

    records = assert_state_matches_moto(project, aws_clients)
    assert [r['name'] for r in records] == [
        'default-role', 'every_five', 'every_five-event', 'hourly', 'hourly-event',
        'on_commit', 'on_commit-event', 'handle', 'handle-sns-subscription']
    by_name = {r['name']: r for r in records}
    assert by_name['hourly-event'] == {
        'name': 'hourly-event', 'resource_type': 'cloudwatch_event',
        'rule_name': 'events-dev-hourly-event',
        'rule_arn': rule_arn('events-dev-hourly-event')}
    subscription = by_name['handle-sns-subscription']
    assert subscription['topic'] == TOPIC and subscription['topic_arn'] == TOPIC_ARN
    assert subscription['lambda_arn'] == function_arn('events-dev-handle')

    picture = snapshot(aws_clients)
    rules = picture['rules']
    assert set(rules) == RULES
    assert rules['events-dev-every_five-event']['ScheduleExpression'] == 'rate(5 minutes)'
    assert rules['events-dev-hourly-event']['ScheduleExpression'] == 'rate(1 hour)'
    assert rules['events-dev-on_commit-event']['EventPattern'] == PATTERN
    assert rules['events-dev-on_commit-event']['ScheduleExpression'] is None
    for name, rule in rules.items():
        function = name[:-len('-event')]
        assert rule['State'] == 'ENABLED'
        assert rule['targets'] == [('1', function_arn(function))]
        assert picture['functions'][function]['grants'] == [
            ('events.amazonaws.com', rule_arn(name))]
    assert picture['functions']['events-dev-handle']['grants'] == [
        ('sns.amazonaws.com', TOPIC_ARN)]
    (listed,) = aws_clients.sns.list_subscriptions_by_topic(TopicArn=TOPIC_ARN)[
        'Subscriptions']
    assert listed['SubscriptionArn'] == subscription['subscription_arn']
    assert (listed['Protocol'], listed['Endpoint']) == (
        'lambda', function_arn('events-dev-handle'))

    # Nothing changed: read calls only, and the same state file.
    with open(state_path(project)) as f:
        before = f.read()
    fault_injector.arm()
    again = deploy(project, aws_env)
    assert fault_injector.mutating_calls == []
    lines = again.stdout.splitlines()
    assert 'No changes to CloudWatch event rule: events-dev-hourly-event' in lines
    assert 'No changes to SNS subscription of events-dev-handle to SNS topic my-topic' in lines
    assert not [line for line in lines if line.startswith('Subscribing')]
    with open(state_path(project)) as f:
        assert f.read() == before
    assert snapshot(aws_clients) == picture


def test_changed_schedule_then_removed_handlers(project, topic, aws_env, aws_clients,
                                                fault_injector):
    deploy(project, aws_env)
    first = snapshot(aws_clients)

    # app.py changes, so each function's code is updated too.
    (project / 'app.py').write_text(app_source(minutes=10))
    fault_injector.arm()
    deploy(project, aws_env)
    assert mutating_operations(fault_injector) == ['PutRule'] + ['UpdateFunctionCode'] * 4
    changed = snapshot(aws_clients)
    assert changed['rules']['events-dev-every_five-event']['ScheduleExpression'] == \
        'rate(10 minutes)'
    first['rules']['events-dev-every_five-event']['ScheduleExpression'] = 'rate(10 minutes)'
    assert changed['rules'] == first['rules']
    assert changed['subscriptions'] == first['subscriptions']
    assert {name: f['grants'] for name, f in changed['functions'].items()} == \
        {name: f['grants'] for name, f in first['functions'].items()}

    (project / 'app.py').write_text(app_source(minutes=10, pattern=False, sns=False))
    fault_injector.arm()
    deploy(project, aws_env)
    assert mutating_operations(fault_injector) == [
        'DeleteFunction', 'DeleteFunction', 'DeleteRule', 'RemoveTargets', 'Unsubscribe',
        'UpdateFunctionCode', 'UpdateFunctionCode']
    records = assert_state_matches_moto(project, aws_clients)
    assert [r['name'] for r in records] == [
        'default-role', 'every_five', 'every_five-event', 'hourly', 'hourly-event']
    assert set(existing_rules(aws_clients)) == {'events-dev-every_five-event',
                                                'events-dev-hourly-event'}
    assert existing_subscriptions(aws_clients) == {}
    assert existing_functions(aws_clients) == {'events-dev-every_five', 'events-dev-hourly'}
    assert aws_clients.sns.list_topics()['Topics'] == [{'TopicArn': TOPIC_ARN}]


def test_delete_leaves_nothing_but_the_topic(project, topic, aws_env, aws_clients):
    deploy(project, aws_env)
    result = delete(project, aws_env)
    assert 'Deleting IAM role: events-dev' in result.stdout.splitlines()
    assert_nothing_left(project, aws_clients)
    assert aws_clients.sns.list_topics()['Topics'] == [{'TopicArn': TOPIC_ARN}]


def test_lost_state_file_is_rebuilt_from_what_exists(project, topic, aws_env, aws_clients,
                                                     fault_injector):
    deploy(project, aws_env)
    records = read_records(project)
    os.unlink(state_path(project))
    fault_injector.arm()
    deploy(project, aws_env)
    assert fault_injector.mutating_calls == []
    assert read_records(project) == records
    assert_state_matches_moto(project, aws_clients)


def test_missing_topic_fails_before_any_change(project, aws_env, aws_clients,
                                               fault_injector):
    fault_injector.arm()
    result = run_chalice(project, 'deploy', env=aws_env)
    assert result.returncode == 2, result.stdout + result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith('Error: ')
    assert 'SNS topic my-topic' in lines[0] and 'does not exist' in lines[0]
    assert fault_injector.mutating_calls == []
    assert_nothing_left(project, aws_clients)


@pytest.mark.parametrize('operation', ['RemoveTargets', 'DeleteRule', 'Unsubscribe'])
def test_failed_delete_is_recorded_and_resumable(project, topic, aws_env, aws_clients,
                                                 fault_injector, operation):
    deploy(project, aws_env)
    fault_injector.fail_when(lambda call: call.operation == operation)
    failed = run_chalice(project, 'delete', env=aws_env)
    fault_injector.disarm()
    assert failed.returncode == 1, failed.stderr
    assert 'InjectedFault' in failed.stderr and state_path(project) in failed.stderr
    assert_state_matches_moto(project, aws_clients)
    delete(project, aws_env)
    assert_nothing_left(project, aws_clients)


# -- crash safety ---------------------------------------------------------------

@pytest.mark.parametrize('part', range(2))
def test_every_failed_call_is_recoverable(part, project, aws_env, aws_clients, fault_injector,
                                          moto_server):
    def fresh_moto():
        moto_server.reset()
        aws_clients.sns.create_topic(Name=TOPIC)
        remove_state(project)

    fresh_moto()
    fault_injector.arm()
    deploy(project, aws_env)
    calls = fault_injector.calls
    reference = snapshot(aws_clients)
    assert set(reference['functions']) == FUNCTIONS
    assert set(reference['rules']) == RULES
    assert len(reference['subscriptions']) == 1
    operations = {c.operation for c in calls}
    assert {'PutRule', 'PutTargets', 'AddPermission', 'Subscribe'} <= operations
    first_mutating = first_mutating_index(calls)

    for attempt in each_call_failing(calls, fault_injector, fresh_moto,
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
                               lambda: snapshot(aws_clients), reference)

        delete(project, aws_env)
        assert_nothing_left(project, aws_clients)


# --------------------------------------------------------------------------
# the documented Cron example and schedule descriptions
# --------------------------------------------------------------------------

CRON_APP = '''\
from chalice import Chalice, Cron

app = Chalice(app_name='events')


@app.schedule(Cron(15, 10, '?', '*', '6L', '2002-2005'){description})
def handler(event):
    pass
'''


def test_cron_schedule_and_its_description_on_deploy(tmp_path, aws_env, aws_clients):
    """The API reference's Cron example becomes the rule's cron() expression; the
    schedule's description is the rule's, changed and removed by later deploys."""
    rule = 'events-dev-handler-event'
    for description, expected in ((", description='Quarter past ten'", 'Quarter past ten'),
                                  (", description='Changed'", 'Changed'),
                                  ('', None)):
        project = make_project(tmp_path, CRON_APP.format(description=description),
                               app_name=APP_NAME)
        run_ok(project, 'deploy', aws_env)
        assert set(existing_rules(aws_clients)) == {rule}
        described = aws_clients.events.describe_rule(Name=rule)
        assert described['ScheduleExpression'] == 'cron(15 10 ? * 6L 2002-2005)'
        assert described.get('Description') == expected
    assert [t['Arn'] for t in aws_clients.events.list_targets_by_rule(Rule=rule)['Targets']] == [
        'arn:aws:lambda:%s:%s:function:events-dev-handler' % (REGION, ACCOUNT_ID)]
