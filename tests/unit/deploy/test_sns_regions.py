"""SNS topics in another region than the deployment.

SNS answers calls about a topic (and its subscriptions) only in the
topic's region, so the SNS home sends its SNS calls there while Lambda's
AddPermission stays with the function.  Planner tests with hand-built
models, then read_remote + plan + execute against the events tests' fake
AWS, whose SNS refuses a topic or subscription ARN of another region than
the call's (as AWS does: ``InvalidParameter``), with a fault at every call.
"""

import pytest

from chalice import Chalice
from chalice.deploy.models import SNSSubscription
from chalice.deploy.plan import APICall, Plan, sha256_of
from chalice.deploy.planner import plan_delete
from chalice.deploy.reading import ReadSession
from chalice.deploy.resources import home_for
from chalice.deploy.resources.sns import arn_region, sns_region
from chalice.deploy.state import DeployedState
from chalice.errors import ChaliceError, DeploymentError
from tests.unit.deploy.fakes import (
    RecordingUI,
    make_config,
    make_package,
    read_state_file,
    run_delete,
    run_deploy,
    write_project,
)
from tests.unit.deploy.test_events_homes import (
    ACCOUNT,
    REGION,
    SNS_FN,
    EventsFakeAWS,
    assert_every_delete_fault_recovers,
    assert_lost_state_file_is_rebuilt,
    assert_state_matches_aws,
    calls,
    converge_and_clean_up,
    ctx,
    fresh_plan,
    function_arn,
    in_sync,
    one_app,
    plan_for,
    resolved,
)

TOPIC_REGION = 'us-east-1'
FAR_TOPIC = 'arn:aws:sns:%s:%s:far-topic' % (TOPIC_REGION, ACCOUNT)
FAR_SUB = FAR_TOPIC + ':5a6b7c'
NEAR_TOPIC = 'arn:aws:sns:%s:%s:my-topic' % (REGION, ACCOUNT)
FAR = SNSSubscription('handle-sns-subscription', FAR_TOPIC, SNS_FN)


def test_arn_region_and_the_region_sns_calls_go_to():
    assert arn_region(FAR_TOPIC) == TOPIC_REGION
    assert arn_region(FAR_SUB) == TOPIC_REGION
    assert arn_region('my-topic') is None
    assert arn_region('arn:aws:iam::123456789012:role/x') is None
    assert sns_region(FAR_TOPIC, REGION) == TOPIC_REGION
    assert sns_region(NEAR_TOPIC, REGION) is None
    assert sns_region('my-topic', REGION) is None


# ---------------------------------------------------------------- planning


def test_fresh_plan_subscribes_in_the_topics_region_and_grants_in_the_functions():
    plan = fresh_plan(one_app(FAR))
    (permission,) = calls(plan, 'add_permission')
    (subscribe,) = calls(plan, 'subscribe')
    assert permission.region is None
    params = resolved(permission.params)
    assert params['SourceArn'] == FAR_TOPIC
    assert params['StatementId'] == 'chalice-sns-' + sha256_of(FAR_TOPIC)
    assert params['FunctionName'] == function_arn('demo-dev-handle')
    assert subscribe.region == TOPIC_REGION
    assert subscribe.params['TopicArn'] == FAR_TOPIC
    assert subscribe.message == 'Subscribing demo-dev-handle to SNS topic %s' % FAR_TOPIC
    # Every call but the SNS one stays in the deployment's region.
    assert [c.method for c in plan.api_calls if c.region] == ['subscribe']


def test_topic_of_the_deploying_region_needs_no_region_by_name_or_arn():
    for topic in ('my-topic', NEAR_TOPIC):
        plan = fresh_plan(one_app(SNSSubscription('handle-sns-subscription', topic, SNS_FN)))
        assert [c for c in plan.api_calls if c.region] == []


def test_plan_description_names_the_region_of_a_call_elsewhere():
    plan = Plan([APICall('sns', 'subscribe', {'TopicArn': FAR_TOPIC}, region=TOPIC_REGION),
                 APICall('sns', 'unsubscribe', {'SubscriptionArn': 'x'})])
    lines = plan.describe()
    assert lines[0].startswith('sns@us-east-1.subscribe(')
    assert lines[1].startswith('sns.unsubscribe(')


def test_noop_replan_of_a_topic_elsewhere_makes_no_calls():
    app = one_app(FAR)
    state, remote = in_sync(app)
    plan = plan_for(app, state, remote)
    assert plan.mutating_calls == []
    assert ('No changes to SNS subscription of demo-dev-handle to SNS topic %s' % FAR_TOPIC
            in [s.text for s in plan.steps if hasattr(s, 'text')])


def test_topic_moved_to_another_region_unsubscribes_where_the_old_one_is():
    state, remote = in_sync()  # subscribed to my-topic, in the deploying region
    remote['handle-sns-subscription'] = {
        'topic_arn': FAR_TOPIC, 'subscription_arn': None,
        'stale_subscription_arn': NEAR_TOPIC + ':0f1e2d3c', 'statements': []}
    plan = plan_for(one_app(FAR), state, remote)
    (unsubscribe,) = calls(plan, 'unsubscribe')
    (subscribe,) = calls(plan, 'subscribe')
    assert unsubscribe.region is None
    assert subscribe.region == TOPIC_REGION


def test_topic_moved_back_unsubscribes_in_the_old_topics_region():
    state, remote = in_sync(one_app(FAR))
    remote['handle-sns-subscription'] = {
        'topic_arn': NEAR_TOPIC, 'subscription_arn': None,
        'stale_subscription_arn': FAR_SUB, 'statements': []}
    plan = plan_for(one_app(SNSSubscription('handle-sns-subscription', 'my-topic', SNS_FN)),
                    state, remote)
    (unsubscribe,) = calls(plan, 'unsubscribe')
    assert unsubscribe.params == {'SubscriptionArn': FAR_SUB}
    assert unsubscribe.region == TOPIC_REGION
    assert calls(plan, 'subscribe')[0].region is None


def test_delete_unsubscribes_in_the_region_of_the_recorded_subscription():
    # The subscription ARN tells the region, so records of AWS Chalice (or
    # older records without topic_arn) are deleted in the right place.
    record = {'name': 'handle-sns-subscription', 'resource_type': 'sns_event',
              'topic': 'far-topic', 'subscription_arn': FAR_SUB}
    state = DeployedState('/nowhere/dev.json', [record])
    plan = plan_delete(state, {'handle-sns-subscription': {'exists': True}}, ctx())
    (unsubscribe,) = calls(plan, 'unsubscribe')
    assert unsubscribe.region == TOPIC_REGION


# ---------------------------------------------------------------- reading


def test_read_remote_reads_the_topic_in_its_region():
    aws = EventsFakeAWS()
    aws.create_topic('far-topic', region=TOPIC_REGION)
    endpoint = function_arn('demo-dev-handle')
    aws.subscriptions[FAR_SUB] = {'TopicArn': FAR_TOPIC, 'Protocol': 'lambda',
                                  'Endpoint': endpoint}
    session = ReadSession(aws, (FAR,))
    found = home_for('sns_event').read_remote(session, FAR, None)
    assert found['subscription_arn'] == FAR_SUB
    sns = [(m, r) for (s, m, _), r in zip(aws.calls, aws.regions) if s == 'sns']
    assert sns == [('list_subscriptions_by_topic', TOPIC_REGION)]

    record = {'name': FAR.resource_name, 'resource_type': 'sns_event',
              'subscription_arn': FAR_SUB, 'topic_arn': FAR_TOPIC}
    before = len(aws.calls)
    assert home_for('sns_event').read_remote(session, FAR, record)['subscription_arn'] == \
        FAR_SUB
    assert [(m, r) for (s, m, _), r in zip(aws.calls[before:], aws.regions[before:])
            if s == 'sns'] == [('get_subscription_attributes', TOPIC_REGION)]
    assert home_for('sns_event').read_remote_for_delete(session, record) == {'exists': True}
    assert aws.regions[-1] == TOPIC_REGION


def test_missing_topic_of_this_account_in_another_region_stops_before_any_change(tmp_path):
    project = write_project(tmp_path / 'proj')
    aws = EventsFakeAWS()
    with pytest.raises(ChaliceError) as excinfo:
        run_deploy(aws, make_config(far_app(), project), make_package(tmp_path))
    assert 'The SNS topic %s (%s) does not exist' % (FAR_TOPIC, FAR_TOPIC) in str(
        excinfo.value)
    assert aws.mutating_calls == []


# ---------------------------------------------------------------- end to end


def far_app(topic=FAR_TOPIC):
    app = Chalice(app_name='demo')

    @app.on_sns_message(topic)
    def handle(event):
        pass

    return app


def new_aws():
    aws = EventsFakeAWS()
    aws.create_topic('far-topic', region=TOPIC_REGION)
    aws.create_topic('my-topic')
    return aws


def sns_calls(aws, start=0):
    return [(m, r) for (s, m, _), r in zip(aws.calls[start:], aws.regions[start:])
            if s == 'sns']


@pytest.fixture(scope='module')
def baseline(tmp_path_factory):
    directory = tmp_path_factory.mktemp('far')
    package = make_package(directory)
    aws = new_aws()
    run_deploy(aws, make_config(far_app(), write_project(directory / 'proj')), package)
    return {'calls': aws.call_count, 'snapshot': aws.snapshot(), 'wiring': aws.wiring(),
            'package': package}


def test_deploy_redeploy_and_delete_with_a_topic_elsewhere(tmp_path, baseline):
    project = write_project(tmp_path / 'proj')
    aws = new_aws()
    ui = RecordingUI()
    run_deploy(aws, make_config(far_app(), project), baseline['package'], ui)
    assert aws.wiring()['subscriptions'] == [
        (FAR_TOPIC, 'lambda', function_arn('demo-dev-handle'), True)]
    assert 'Subscribing demo-dev-handle to SNS topic %s' % FAR_TOPIC in ui.lines
    assert sns_calls(aws) == [('list_subscriptions_by_topic', TOPIC_REGION),
                              ('subscribe', TOPIC_REGION)]
    # Everything else (IAM, Lambda with its AddPermission) in the deploying region.
    assert {r for (s, _, _), r in zip(aws.calls, aws.regions) if s != 'sns'} == {REGION}
    (record,) = [r for r in read_state_file(project)['resources']
                 if r['resource_type'] == 'sns_event']
    assert record == {'name': 'handle-sns-subscription', 'resource_type': 'sns_event',
                      'topic': FAR_TOPIC, 'topic_arn': FAR_TOPIC,
                      'subscription_arn': record['subscription_arn'],
                      'lambda_arn': function_arn('demo-dev-handle')}
    assert record['subscription_arn'] in aws.subscriptions
    assert arn_region(record['subscription_arn']) == TOPIC_REGION
    assert_state_matches_aws(project, aws)

    aws.reset_counter()
    start = len(aws.calls)
    run_deploy(aws, make_config(far_app(), project), baseline['package'])
    assert aws.mutating_calls == []
    assert sns_calls(aws, start) == [('get_subscription_attributes', TOPIC_REGION)]

    start = len(aws.calls)
    run_delete(aws, project)
    assert aws.is_empty()
    assert sns_calls(aws, start) == [('get_subscription_attributes', TOPIC_REGION),
                                     ('unsubscribe', TOPIC_REGION)]


def test_lost_state_file_finds_the_subscription_in_the_topics_region(tmp_path, baseline):
    assert_lost_state_file_is_rebuilt(tmp_path, new_aws, far_app, baseline['package'])


def test_switching_between_a_topic_here_and_one_elsewhere(tmp_path, baseline):
    project = write_project(tmp_path / 'proj')
    aws = new_aws()
    run_deploy(aws, make_config(far_app(), project), baseline['package'])
    start = len(aws.calls)
    run_deploy(aws, make_config(far_app('my-topic'), project), baseline['package'])
    assert [c for c in sns_calls(aws, start) if c[0] in ('unsubscribe', 'subscribe')] == [
        ('unsubscribe', TOPIC_REGION), ('subscribe', REGION)]
    assert aws.wiring()['subscriptions'] == [
        (NEAR_TOPIC, 'lambda', function_arn('demo-dev-handle'), True)]
    start = len(aws.calls)
    run_deploy(aws, make_config(far_app(), project), baseline['package'])
    assert [c for c in sns_calls(aws, start) if c[0] in ('unsubscribe', 'subscribe')] == [
        ('unsubscribe', REGION), ('subscribe', TOPIC_REGION)]
    assert aws.wiring() == baseline['wiring']
    assert_state_matches_aws(project, aws)


@pytest.mark.parametrize('mode', ['before', 'after'])
def test_fault_at_every_call_of_a_deploy_then_rerun_converges(tmp_path, baseline, mode):
    for k in range(1, baseline['calls'] + 1):
        project = write_project(tmp_path / ('%s%d' % (mode, k)))
        config = make_config(far_app(), project)
        aws = new_aws()
        aws.fail_at = k
        aws.fail_mode = mode
        with pytest.raises(DeploymentError):
            run_deploy(aws, config, baseline['package'])
        assert aws.call_count == k
        if mode == 'before':
            assert_state_matches_aws(project, aws)
        aws.fail_at = None
        converge_and_clean_up(aws, project, config, baseline)


def test_fault_at_every_call_of_a_delete_then_rerun_empties(tmp_path, baseline):
    assert_every_delete_fault_recovers(tmp_path, new_aws, far_app, baseline['package'])
