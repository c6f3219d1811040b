"""``@app.on_sns_message`` with the ARN of a topic in another region, on moto.

The fixtures deploy to us-west-2; the topic is created in us-east-1 with a
us-east-1 client (moto keeps a backend per region, as AWS keeps topics: a
us-west-2 client cannot see it).  Checked with boto3: the subscription is
on the us-east-1 topic and points at the function, the function's policy
lets SNS invoke it for that topic, every SNS request was signed for
us-east-1 and every other one for us-west-2 (the SigV4 scope the fault
injector reads), the state file record has AWS Chalice's fields; a redeploy
without changes makes no mutating call; delete unsubscribes.  Then crash
safety: every call of a deploy, and of a delete, fails once and a rerun
converges.
"""
import os

import pytest

from tests.integration.conftest import ACCOUNT_ID, REGION, make_project, run_chalice
from tests.integration.deploy_checks import (
    assert_failed_at_the_kth_call,
    assert_fault_reported,
    assert_rerun_converges,
    changed_nothing,
    each_call_failing,
    existing_functions,
    existing_roles,
    existing_subscriptions,
    first_mutating_index,
    function_policy_statements,
    read_state_records,
    recorded_function,
    recorded_role,
    remove_state,
    run_ok,
    share_of,
    state_path,
)

TOPIC_REGION = 'us-east-1'
TOPIC = 'far-topic'
TOPIC_ARN = 'arn:aws:sns:%s:%s:%s' % (TOPIC_REGION, ACCOUNT_ID, TOPIC)
FUNCTION = 'far-dev-handle'
FUNCTION_ARN = 'arn:aws:lambda:%s:%s:function:%s' % (REGION, ACCOUNT_ID, FUNCTION)
APP = '''\
from chalice import Chalice

app = Chalice(app_name='far')


@app.on_sns_message('%s')
def handle(event):
    return {}
''' % TOPIC_ARN
REQUIRED_KEYS = {
    'iam_role': {'role_name', 'role_arn'},
    'lambda_function': {'lambda_arn'},
    'sns_event': {'topic', 'topic_arn', 'subscription_arn', 'lambda_arn'},
}


@pytest.fixture
def sns_east(boto3_session, moto_server):
    from botocore.config import Config

    return boto3_session.client('sns', endpoint_url=moto_server.endpoint_url,
                                region_name=TOPIC_REGION,
                                config=Config(retries={'total_max_attempts': 1},
                                              connect_timeout=5, read_timeout=60))


@pytest.fixture
def topic(sns_east):
    return sns_east.create_topic(Name=TOPIC)['TopicArn']


@pytest.fixture
def project(tmp_path):
    return make_project(tmp_path, APP, app_name='far')


def deploy(project, env):
    result = run_ok(project, 'deploy', env)
    assert 'Traceback' not in result.stderr
    return result


def subscriptions_east(sns_east):
    return {s['SubscriptionArn']: s for s in sns_east.list_subscriptions()['Subscriptions']}


def snapshot(aws_clients, sns_east):
    subscriptions = sorted((s['TopicArn'], s['Protocol'], s['Endpoint'])
                           for s in subscriptions_east(sns_east).values())
    functions = {}
    for name in sorted(existing_functions(aws_clients)):
        config = aws_clients['lambda'].get_function(FunctionName=name)['Configuration']
        grants = sorted((s['Principal']['Service'], s['Condition']['ArnLike']['AWS:SourceArn'])
                        for s in function_policy_statements(aws_clients, name))
        functions[name] = {'Role': config['Role'], 'CodeSha256': config['CodeSha256'],
                           'grants': grants}
    return {'roles': sorted(existing_roles(aws_clients)), 'subscriptions': subscriptions,
            'functions': functions}


def assert_state_matches_moto(project, aws_clients, sns_east):
    """Everything recorded exists; everything that exists is recorded."""
    records = read_state_records(project, REQUIRED_KEYS, backend='api')
    recorded = {kind: set() for kind in REQUIRED_KEYS}
    for record in records:
        kind = record['resource_type']
        if kind == 'iam_role':
            recorded[kind].add(recorded_role(aws_clients, record))
        elif kind == 'lambda_function':
            recorded[kind].add(recorded_function(aws_clients, record))
        else:
            attributes = sns_east.get_subscription_attributes(
                SubscriptionArn=record['subscription_arn'])['Attributes']
            assert attributes['TopicArn'] == record['topic_arn'] == TOPIC_ARN
            assert attributes['Endpoint'] == record['lambda_arn'] == FUNCTION_ARN
            recorded[kind].add(record['subscription_arn'])
    assert existing_roles(aws_clients) == recorded['iam_role']
    assert existing_functions(aws_clients) == recorded['lambda_function']
    assert set(subscriptions_east(sns_east)) == recorded['sns_event']
    # Nothing was subscribed in the deploying region.
    assert existing_subscriptions(aws_clients) == {}
    return records


def assert_nothing_left(project, aws_clients, sns_east):
    assert existing_roles(aws_clients) == set()
    assert existing_functions(aws_clients) == set()
    assert subscriptions_east(sns_east) == {}
    assert read_state_records(project, REQUIRED_KEYS, backend='api') == []
    # The topic is the user's.
    assert sns_east.list_topics()['Topics'] == [{'TopicArn': TOPIC_ARN}]


def test_deploy_redeploy_and_delete_subscribe_in_the_topics_region(
        project, topic, aws_env, aws_clients, sns_east, fault_injector):
    assert topic == TOPIC_ARN
    result = deploy(project, aws_env)
    assert result.stdout.splitlines() == [
        'Creating deployment package.',
        'Creating IAM role: far-dev',
        'Creating lambda function: %s' % FUNCTION,
        'Subscribing %s to SNS topic %s' % (FUNCTION, TOPIC_ARN),
        'Resources deployed:',
        '  - Lambda ARN: %s' % FUNCTION_ARN,
    ]
    regions = {(c.service, c.region) for c in fault_injector.calls}
    assert {region for service, region in regions if service == 'sns'} == {TOPIC_REGION}
    assert {region for service, region in regions if service != 'sns'} == {REGION}
    assert 'Subscribe' in fault_injector.operations('sns')

    records = assert_state_matches_moto(project, aws_clients, sns_east)
    by_name = {r['name']: r for r in records}
    subscription = by_name['handle-sns-subscription']
    assert subscription == {
        'name': 'handle-sns-subscription', 'resource_type': 'sns_event',
        'topic': TOPIC_ARN, 'topic_arn': TOPIC_ARN,
        'subscription_arn': subscription['subscription_arn'], 'lambda_arn': FUNCTION_ARN}
    assert subscription['subscription_arn'].startswith(TOPIC_ARN + ':')
    (listed,) = sns_east.list_subscriptions_by_topic(TopicArn=TOPIC_ARN)['Subscriptions']
    assert (listed['SubscriptionArn'], listed['Protocol'], listed['Endpoint']) == (
        subscription['subscription_arn'], 'lambda', FUNCTION_ARN)
    picture = snapshot(aws_clients, sns_east)
    assert picture['functions'][FUNCTION]['grants'] == [('sns.amazonaws.com', TOPIC_ARN)]

    with open(state_path(project)) as f:
        before = f.read()
    fault_injector.arm()
    again = deploy(project, aws_env)
    assert fault_injector.mutating_calls == []
    assert ('No changes to SNS subscription of %s to SNS topic %s' % (FUNCTION, TOPIC_ARN)
            in again.stdout.splitlines())
    assert [(c.operation, c.region) for c in fault_injector.calls if c.service == 'sns'] == [
        ('GetSubscriptionAttributes', TOPIC_REGION)]
    with open(state_path(project)) as f:
        assert f.read() == before
    assert snapshot(aws_clients, sns_east) == picture

    fault_injector.arm()
    result = run_ok(project, 'delete', aws_env)
    assert 'Deleting IAM role: far-dev' in result.stdout.splitlines()
    assert [(c.operation, c.region) for c in fault_injector.mutating_calls
            if c.service == 'sns'] == [('Unsubscribe', TOPIC_REGION)]
    assert_nothing_left(project, aws_clients, sns_east)


def test_lost_state_file_finds_the_subscription_in_the_topics_region(
        project, topic, aws_env, aws_clients, sns_east, fault_injector):
    deploy(project, aws_env)
    records = read_state_records(project, REQUIRED_KEYS, backend='api')
    os.unlink(state_path(project))
    fault_injector.arm()
    deploy(project, aws_env)
    assert fault_injector.mutating_calls == []
    assert read_state_records(project, REQUIRED_KEYS, backend='api') == records
    assert_state_matches_moto(project, aws_clients, sns_east)


def test_missing_topic_in_the_other_region_fails_before_any_change(
        project, aws_env, aws_clients, sns_east, fault_injector):
    aws_clients.sns.create_topic(Name=TOPIC)  # same name, deploying region: not it
    fault_injector.arm()
    result = run_chalice(project, 'deploy', env=aws_env)
    assert result.returncode == 2, result.stdout + result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert lines == ['Error: The SNS topic %s (%s) does not exist. Create the topic first, or '
                     'change the topic given to @app.on_sns_message.' % (TOPIC_ARN, TOPIC_ARN)]
    assert fault_injector.mutating_calls == []
    assert existing_functions(aws_clients) == set()


# -- crash safety ---------------------------------------------------------------

@pytest.mark.parametrize('part', range(2))
def test_every_failed_deploy_call_is_recoverable(part, project, aws_env, aws_clients,
                                                 sns_east, fault_injector, moto_server):
    def fresh_moto():
        moto_server.reset()
        sns_east.create_topic(Name=TOPIC)
        remove_state(project)

    fresh_moto()
    fault_injector.arm()
    deploy(project, aws_env)
    calls = fault_injector.calls
    reference = snapshot(aws_clients, sns_east)
    assert len(reference['subscriptions']) == 1
    assert {'AddPermission', 'Subscribe'} <= {c.operation for c in calls}
    first_mutating = first_mutating_index(calls)

    for attempt in each_call_failing(calls, fault_injector, fresh_moto,
                                     lambda: run_chalice(project, 'deploy', env=aws_env),
                                     positions=share_of(calls, part)):
        assert_failed_at_the_kth_call(attempt)
        assert_fault_reported(attempt, project, first_mutating, one_line=False)
        assert_state_matches_moto(project, aws_clients, sns_east)
        if changed_nothing(attempt, first_mutating):
            continue
        assert_rerun_converges(
            attempt, project, aws_env,
            lambda: assert_state_matches_moto(project, aws_clients, sns_east),
            lambda: snapshot(aws_clients, sns_east), reference)
        run_ok(project, 'delete', aws_env)
        assert_nothing_left(project, aws_clients, sns_east)


def test_every_failed_delete_call_is_recoverable(project, topic, aws_env, aws_clients,
                                                 sns_east, fault_injector):
    deploy(project, aws_env)
    fault_injector.arm()
    run_ok(project, 'delete', aws_env)
    calls = fault_injector.calls
    assert ('sns', 'Unsubscribe', TOPIC_REGION) in [
        (c.service, c.operation, c.region) for c in calls]

    def redeploy():
        fault_injector.disarm()
        deploy(project, aws_env)

    for attempt in each_call_failing(calls, fault_injector, redeploy,
                                     lambda: run_chalice(project, 'delete', env=aws_env)):
        assert_failed_at_the_kth_call(attempt)
        assert_state_matches_moto(project, aws_clients, sns_east)
        run_ok(project, 'delete', aws_env)
        assert_nothing_left(project, aws_clients, sns_east)
