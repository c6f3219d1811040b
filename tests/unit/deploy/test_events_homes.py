"""The EventBridge-rule and SNS-subscription homes.

Pure planner tests with hand-built models, recorded state and remote
state; then read_remote + plan + execute end to end against a small fake
of EventBridge and SNS layered on the deployer tests' in-memory AWS, with a
fault at every call.
"""
import copy
import json
import os

import pytest

from chalice import Chalice, Rate
from chalice.deploy.models import (
    Application,
    DeploymentPackage,
    LambdaFunction,
    ManagedIAMRole,
    ScheduledEvent,
    SNSSubscription,
)
from chalice.deploy.plan import (
    APICall,
    ForgetResource,
    Message,
    RecordResource,
    SetVar,
    Var,
    sha256_of,
)
from chalice.deploy.plan import resolve as resolve_value
from chalice.deploy.planner import PlanContext, plan_delete, plan_deploy
from chalice.deploy.resources import home_for
from chalice.deploy.resources.lambda_function import SETTINGS_KEY, settings_digest
from chalice.deploy.resources.sns import topic_arn_for
from chalice.deploy.state import DeployedState
from chalice.errors import ChaliceError, DeploymentError
from tests.unit.deploy.fakes import (
    FakeAWS,
    FakeAWSError,
    RecordingUI,
    make_config,
    make_package,
    read_state_file,
    run_delete,
    run_deploy,
    write_project,
)
from tests.unit.deploy.fakes import recorded_resources as base_recorded_resources

REGION, ACCOUNT = 'us-west-2', '123456789012'
ROLE_ARN = 'arn:aws:iam::%s:role/demo-dev' % ACCOUNT
PACKAGE = DeploymentPackage('/does/not/exist/deployment.zip', 'c2hhLW9uZQ==', 10)
POLICY = {'Version': '2012-10-17', 'Statement': [
    {'Effect': 'Allow', 'Action': ['logs:PutLogEvents'], 'Resource': 'arn:*:logs:*:*:*'}]}
ROLE = ManagedIAMRole('default-role', 'demo-dev', POLICY)
PATTERN = json.dumps({'source': ['aws.codecommit']}, sort_keys=True)
TOPIC_ARN = 'arn:aws:sns:%s:%s:my-topic' % (REGION, ACCOUNT)


def function(name):
    return LambdaFunction(name, 'demo-dev-%s' % name, 'app.%s' % name, 'python3.11', ROLE,
                          PACKAGE)


HOURLY_FN, COMMIT_FN, SNS_FN = function('hourly'), function('on_commit'), function('handle')
HOURLY = ScheduledEvent('hourly-event', 'demo-dev-hourly', HOURLY_FN,
                        schedule_expression='rate(1 hour)', description='every hour')
COMMIT = ScheduledEvent('on_commit-event', 'demo-dev-on_commit', COMMIT_FN,
                        event_pattern=PATTERN)
SUB = SNSSubscription('handle-sns-subscription', 'my-topic', SNS_FN)
APP = Application('demo', 'dev', (HOURLY, COMMIT, SUB))


def ctx():
    return PlanContext(region=REGION, account_id=ACCOUNT)


def function_arn(name):
    return 'arn:aws:lambda:%s:%s:function:%s' % (REGION, ACCOUNT, name)


def rule_arn(name):
    return 'arn:aws:events:%s:%s:rule/%s' % (REGION, ACCOUNT, name)


def grant(service, source_arn, sid='x'):
    return {'Sid': sid, 'Effect': 'Allow', 'Principal': {'Service': service},
            'Action': 'lambda:InvokeFunction', 'Resource': 'arn:fn',
            'Condition': {'ArnLike': {'AWS:SourceArn': source_arn}}}


def function_remote(model):
    config = {'FunctionName': model.function_name,
              'FunctionArn': function_arn(model.function_name),
              'Runtime': model.runtime, 'Handler': model.handler, 'Role': ROLE_ARN,
              'MemorySize': model.memory_size, 'Timeout': model.timeout,
              'CodeSha256': model.package.code_sha256}
    return {'config': config, 'tags': {}, 'concurrency': None, 'log_retention': None}


def rule_remote(model):
    rule = {'Name': model.rule_name, 'Arn': rule_arn(model.rule_name), 'State': 'ENABLED',
            'EventBusName': 'default'}
    if model.schedule_expression:
        rule['ScheduleExpression'] = model.schedule_expression
    if model.event_pattern:
        rule['EventPattern'] = model.event_pattern
    if model.description:
        rule['Description'] = model.description
    return {'rule': rule,
            'targets': [{'Id': '1', 'Arn': function_arn(model.function.function_name)}],
            'statements': [grant('events.amazonaws.com', rule['Arn'])], 'stale': None}


SUB_ARN = TOPIC_ARN + ':0f1e2d3c'


def in_sync(app=APP):
    """State and remote as a completed deploy of ``app`` leaves them."""
    records, remote = [], {}
    for model in app.ordered():
        kind = model.resource_type
        if kind == 'iam_role':
            records.append({'name': model.resource_name, 'resource_type': kind,
                            'role_name': model.role_name, 'role_arn': ROLE_ARN})
            remote[model.resource_name] = {'arn': ROLE_ARN, 'trust_policy': model.trust_policy,
                                           'policy': copy.deepcopy(model.policy_document)}
        elif kind == 'lambda_function':
            records.append({'name': model.resource_name, 'resource_type': kind,
                            'lambda_arn': function_arn(model.function_name),
                            SETTINGS_KEY: settings_digest(model)})
            remote[model.resource_name] = function_remote(model)
        elif kind == 'cloudwatch_event':
            records.append({'name': model.resource_name, 'resource_type': kind,
                            'rule_name': model.rule_name,
                            'rule_arn': rule_arn(model.rule_name)})
            remote[model.resource_name] = rule_remote(model)
        elif kind == 'sns_event':
            topic_arn = topic_arn_for(model.topic, 'aws', REGION, ACCOUNT)
            records.append({'name': model.resource_name, 'resource_type': kind,
                            'topic': model.topic, 'topic_arn': topic_arn,
                            'subscription_arn': SUB_ARN,
                            'lambda_arn': function_arn(model.function.function_name)})
            remote[model.resource_name] = {
                'topic_arn': topic_arn, 'subscription_arn': SUB_ARN,
                'stale_subscription_arn': None,
                'statements': [grant('sns.amazonaws.com', topic_arn)]}
    return DeployedState('/nowhere/.chalice/deployed/dev.json', records), remote


def plan_for(app=APP, state=None, remote=None):
    if state is None:
        state, remote = in_sync(app)
    return plan_deploy(app, state, remote, ctx())


def fresh_plan(app=APP):
    return plan_deploy(app, DeployedState('/nowhere/s.json'), {}, ctx())


def describe(step):
    if isinstance(step, APICall):
        return '%s.%s' % (step.service, step.method)
    if isinstance(step, RecordResource):
        return 'record %s' % step.name
    if isinstance(step, ForgetResource):
        return 'forget %s' % step.name
    return type(step).__name__


def steps_of(plan, names):
    """The steps describing the named resources' part of a plan, described."""
    return [describe(s) for s in plan.steps if not isinstance(s, (SetVar, Message))
            and _about(s) in names]


def _about(step):
    if isinstance(step, (RecordResource, ForgetResource)):
        return step.name.split('-')[0]
    text = json.dumps(step.params, default=str).replace(SUB_ARN, 'handle')
    for name in ('hourly', 'on_commit', 'handle'):
        if name in text:
            return name
    return None


def mutating(plan):
    return [(c.service, c.method) for c in plan.mutating_calls]


def messages(plan):
    texts = [s.text for s in plan.steps if isinstance(s, Message)]
    return texts + [c.message for c in plan.api_calls if c.message]


def resolved(value, extra=None):
    known = {'hourly.lambda_arn': function_arn('demo-dev-hourly'),
             'handle.lambda_arn': function_arn('demo-dev-handle'),
             'on_commit.lambda_arn': function_arn('demo-dev-on_commit'),
             'hourly-event.rule_arn': rule_arn('demo-dev-hourly'),
             'handle-sns-subscription.subscription_arn': SUB_ARN}
    known.update(extra or {})
    return resolve_value(value, lambda var: known[var.name])


def calls(plan, method):
    return [c for c in plan.api_calls if c.method == method]


def one_app(*models):
    return Application('demo', 'dev', tuple(models))


# ---------------------------------------------------------------- fresh deploy


def test_fresh_schedule_creates_rule_records_it_then_target_and_permission():
    plan = fresh_plan(one_app(HOURLY))
    assert [describe(s) for s in plan.steps] == [
        'iam.create_role', 'record default-role', 'iam.put_role_policy',
        'lambda.create_function', 'record hourly', 'lambda.wait_function_ready',
        'events.put_rule', 'record hourly-event', 'events.put_targets',
        'lambda.add_permission',
    ]
    put_rule, record, put_targets, permission = plan.steps[6:]
    assert put_rule.params == {'Name': 'demo-dev-hourly', 'State': 'ENABLED',
                               'ScheduleExpression': 'rate(1 hour)',
                               'Description': 'every hour'}
    assert put_rule.outputs == {'hourly-event.rule_arn': 'RuleArn'}
    assert record == RecordResource('hourly-event', 'cloudwatch_event', {
        'rule_name': 'demo-dev-hourly', 'rule_arn': Var('hourly-event.rule_arn')})
    assert put_targets.params == {'Rule': 'demo-dev-hourly', 'Targets': [
        {'Id': '1', 'Arn': Var('hourly.lambda_arn')}]}
    params = resolved(permission.params)
    assert params['FunctionName'] == function_arn('demo-dev-hourly')
    assert params['Principal'] == 'events.amazonaws.com'
    assert params['Action'] == 'lambda:InvokeFunction'
    assert params['SourceArn'] == rule_arn('demo-dev-hourly')
    assert params['StatementId'] == 'chalice-events-' + sha256_of(rule_arn('demo-dev-hourly'))
    assert len(params['StatementId']) <= 100
    assert 'ResourceConflictException' in permission.ignore_errors
    # Only the documented lines: nothing is printed for the rule itself.
    assert messages(plan) == ['Creating IAM role: demo-dev',
                              'Creating lambda function: demo-dev-hourly']


def test_fresh_event_pattern_rule_has_a_pattern_and_no_description():
    plan = fresh_plan(one_app(COMMIT))
    (put_rule,) = calls(plan, 'put_rule')
    assert put_rule.params == {'Name': 'demo-dev-on_commit', 'State': 'ENABLED',
                               'EventPattern': PATTERN}


def test_fresh_sns_grants_then_subscribes_with_the_documented_line():
    plan = fresh_plan(one_app(SUB))
    assert [describe(s) for s in plan.steps][6:] == [
        'lambda.add_permission', 'sns.subscribe', 'record handle-sns-subscription']
    permission, subscribe, record = plan.steps[6:]
    params = resolved(permission.params)
    assert params['Principal'] == 'sns.amazonaws.com'
    assert params['SourceArn'] == TOPIC_ARN
    assert params['FunctionName'] == function_arn('demo-dev-handle')
    assert params['StatementId'] == 'chalice-sns-' + sha256_of(TOPIC_ARN)
    assert subscribe.params == {'TopicArn': TOPIC_ARN, 'Protocol': 'lambda',
                                'Endpoint': Var('handle.lambda_arn')}
    assert subscribe.outputs == {'handle-sns-subscription.subscription_arn': 'SubscriptionArn'}
    assert subscribe.message == 'Subscribing demo-dev-handle to SNS topic my-topic'
    assert resolved(record.values) == {
        'topic': 'my-topic', 'topic_arn': TOPIC_ARN, 'subscription_arn': SUB_ARN,
        'lambda_arn': function_arn('demo-dev-handle')}
    assert messages(plan)[-1] == 'Subscribing demo-dev-handle to SNS topic my-topic'


def test_topic_arn_is_used_as_given_and_printed_as_written():
    other = 'arn:aws:sns:eu-west-1:999999999999:their-topic'
    plan = fresh_plan(one_app(SNSSubscription('handle-sns-subscription', other, SNS_FN)))
    (subscribe,) = calls(plan, 'subscribe')
    assert subscribe.params['TopicArn'] == other
    assert subscribe.message == 'Subscribing demo-dev-handle to SNS topic %s' % other
    (permission,) = calls(plan, 'add_permission')
    assert permission.params['SourceArn'] == other


def test_topic_name_arn_follows_partition_region_and_account():
    assert topic_arn_for('t', 'aws-cn', 'cn-north-1', '1') == 'arn:aws-cn:sns:cn-north-1:1:t'
    assert topic_arn_for('arn:aws:sns:x:2:t', 'aws', 'y', '1') == 'arn:aws:sns:x:2:t'


def test_fresh_app_orders_each_trigger_after_its_function():
    order = [describe(s) for s in fresh_plan().steps]
    for fn, trigger in (('hourly', 'hourly-event'), ('on_commit', 'on_commit-event'),
                        ('handle', 'handle-sns-subscription')):
        assert order.index('record %s' % fn) < order.index('record %s' % trigger)


# ---------------------------------------------------------------- no-op replan


def test_noop_replan_makes_no_mutating_calls_and_says_so():
    plan = plan_for()
    assert mutating(plan) == []
    assert not [s for s in plan.steps if isinstance(s, RecordResource)]
    lines = messages(plan)
    assert 'No changes to CloudWatch event rule: demo-dev-hourly' in lines
    assert 'No changes to CloudWatch event rule: demo-dev-on_commit' in lines
    assert ('No changes to SNS subscription of demo-dev-handle to SNS topic my-topic'
            in lines)


def test_noop_when_eventbridge_reserialises_the_pattern():
    state, remote = in_sync()
    remote['on_commit-event']['rule']['EventPattern'] = '{ "source" : [ "aws.codecommit" ] }'
    assert mutating(plan_for(state=state, remote=remote)) == []


def test_noop_replan_sets_the_variables_later_steps_use():
    plan = plan_for()
    sets = {s.name: s.value for s in plan.steps if isinstance(s, SetVar)}
    assert sets['hourly-event.rule_arn'] == rule_arn('demo-dev-hourly')
    assert sets['handle-sns-subscription.subscription_arn'] == SUB_ARN


# ---------------------------------------------------------------- each change


def replace_trigger(name, **changes):
    import dataclasses

    models = tuple(dataclasses.replace(m, **changes) if m.resource_name == name else m
                   for m in APP.resources)
    return Application('demo', 'dev', models)


@pytest.mark.parametrize('changes', [
    {'schedule_expression': 'rate(2 hours)'},
    {'description': 'changed'},
    {'description': ''},
])
def test_schedule_change_puts_the_rule_only(changes):
    app = replace_trigger('hourly-event', **changes)
    state, remote = in_sync()
    plan = plan_for(app, state, remote)
    assert mutating(plan) == [('events', 'put_rule')]
    (put_rule,) = calls(plan, 'put_rule')
    model = app.resources[0]
    assert put_rule.params.get('ScheduleExpression') == model.schedule_expression
    assert put_rule.params.get('Description') == (model.description or None)
    assert put_rule.outputs == {}
    assert 'Updating CloudWatch event rule: demo-dev-hourly' in messages(plan)


def test_pattern_change_puts_the_rule_only():
    app = replace_trigger('on_commit-event', event_pattern=json.dumps({'source': ['aws.s3']}))
    state, remote = in_sync()
    plan = plan_for(app, state, remote)
    assert mutating(plan) == [('events', 'put_rule')]
    assert calls(plan, 'put_rule')[0].params['EventPattern'] == '{"source": ["aws.s3"]}'


def test_schedule_becoming_a_pattern_replaces_the_expression():
    app = replace_trigger('hourly-event', schedule_expression=None, description='',
                          event_pattern=PATTERN)
    state, remote = in_sync()
    plan = plan_for(app, state, remote)
    (put_rule,) = calls(plan, 'put_rule')
    assert put_rule.params == {'Name': 'demo-dev-hourly', 'State': 'ENABLED',
                               'EventPattern': PATTERN}


def test_disabled_rule_is_enabled_again():
    state, remote = in_sync()
    remote['hourly-event']['rule']['State'] = 'DISABLED'
    assert mutating(plan_for(state=state, remote=remote)) == [('events', 'put_rule')]


@pytest.mark.parametrize('targets', [
    [],
    [{'Id': '1', 'Arn': function_arn('somebody-else')}],
])
def test_missing_or_wrong_target_is_put_only(targets):
    state, remote = in_sync()
    remote['hourly-event']['targets'] = targets
    plan = plan_for(state=state, remote=remote)
    assert mutating(plan) == [('events', 'put_targets')]
    assert resolved(calls(plan, 'put_targets')[0].params)['Targets'] == [
        {'Id': '1', 'Arn': function_arn('demo-dev-hourly')}]


def test_target_of_the_function_is_adopted_whatever_its_id():
    # AWS Chalice's target, say, with another Id: no second target.
    state, remote = in_sync()
    remote['hourly-event']['targets'] = [{'Id': '2', 'Arn': function_arn('demo-dev-hourly')}]
    assert mutating(plan_for(state=state, remote=remote)) == []


def test_extra_targets_of_the_function_are_removed():
    state, remote = in_sync()
    remote['hourly-event']['targets'] = [
        {'Id': 'x', 'Arn': function_arn('demo-dev-hourly')},
        {'Id': '1', 'Arn': function_arn('demo-dev-hourly')},
        {'Id': 'other', 'Arn': function_arn('somebody-else')}]
    plan = plan_for(state=state, remote=remote)
    assert mutating(plan) == [('events', 'remove_targets')]
    assert calls(plan, 'remove_targets')[0].params == {'Rule': 'demo-dev-hourly', 'Ids': ['x']}


@pytest.mark.parametrize('statements', [
    [],
    [grant('events.amazonaws.com', rule_arn('another-rule'))],
    [grant('sns.amazonaws.com', rule_arn('demo-dev-hourly'))],
    [dict(grant('events.amazonaws.com', rule_arn('demo-dev-hourly')), Effect='Deny')],
])
def test_missing_rule_permission_is_added_only(statements):
    state, remote = in_sync()
    remote['hourly-event']['statements'] = statements
    plan = plan_for(state=state, remote=remote)
    assert mutating(plan) == [('lambda', 'add_permission')]
    params = calls(plan, 'add_permission')[0].params
    assert params['SourceArn'] == rule_arn('demo-dev-hourly')
    assert resolved(params['FunctionName']) == function_arn('demo-dev-hourly')


def test_rule_recorded_but_gone_is_created_again():
    state, remote = in_sync()
    remote['hourly-event'] = {'rule': None, 'targets': [], 'statements': [], 'stale': None}
    plan = plan_for(state=state, remote=remote)
    assert steps_of(plan, {'hourly'}) == [
        'events.put_rule', 'record hourly-event', 'events.put_targets',
        'lambda.add_permission']


def test_rule_record_is_refreshed_without_calls():
    state, remote = in_sync()
    state = DeployedState(state.path, [
        {k: v for k, v in r.items() if k != 'rule_arn'} for r in state.resources])
    plan = plan_for(state=state, remote=remote)
    assert mutating(plan) == []
    records = [s for s in plan.steps if isinstance(s, RecordResource)]
    assert [r.name for r in records] == ['hourly-event', 'on_commit-event']
    assert records[0].values == {'rule_name': 'demo-dev-hourly',
                                 'rule_arn': rule_arn('demo-dev-hourly')}


def test_new_function_means_the_target_and_permission_are_put_again():
    state, remote = in_sync()
    del remote['hourly']  # the function was deleted behind our back
    remote['hourly-event']['statements'] = []
    plan = plan_for(state=state, remote=remote)
    assert ('lambda', 'create_function') in mutating(plan)
    assert steps_of(plan, {'hourly'}) == [
        'lambda.create_function', 'record hourly', 'lambda.wait_function_ready',
        'events.put_targets', 'lambda.add_permission']


def test_renamed_rule_deletes_the_old_one_first():
    state, remote = in_sync()
    for record in state.resources:
        if record['name'] == 'hourly-event':
            record['rule_name'] = 'old-name'
            record['rule_arn'] = rule_arn('old-name')
    remote['hourly-event'] = {'rule': None, 'targets': [], 'statements': [],
                              'stale': {'exists': True, 'target_ids': ['1', 'x']}}
    plan = plan_for(state=state, remote=remote)
    assert mutating(plan) == [('events', 'remove_targets'), ('events', 'delete_rule'),
                              ('events', 'put_rule'), ('events', 'put_targets'),
                              ('lambda', 'add_permission')]
    assert calls(plan, 'remove_targets')[0].params == {'Rule': 'old-name', 'Ids': ['1', 'x']}
    assert calls(plan, 'delete_rule')[0].params == {'Name': 'old-name'}
    described = [describe(s) for s in plan.steps]
    assert described.index('forget hourly-event') < described.index('events.put_rule')


def test_renamed_rule_also_loses_its_permission_statement():
    state, remote = in_sync()
    for record in state.resources:
        if record['name'] == 'hourly-event':
            record['rule_name'] = 'old-name'
            del record['rule_arn']  # as AWS Chalice records it: the ARN is derived
    remote['hourly-event'] = {'rule': None, 'targets': [], 'stale': {
        'exists': True, 'target_ids': ['1']}, 'statements': [
            grant('events.amazonaws.com', rule_arn('old-name'), sid='old-uuid'),
            grant('events.amazonaws.com', rule_arn('somebody-else'), sid='keep')]}
    plan = plan_for(state=state, remote=remote)
    assert mutating(plan) == [('events', 'remove_targets'), ('events', 'delete_rule'),
                              ('lambda', 'remove_permission'), ('events', 'put_rule'),
                              ('events', 'put_targets'), ('lambda', 'add_permission')]
    assert calls(plan, 'remove_permission')[0].params['StatementId'] == 'old-uuid'


def test_rule_of_aws_chalice_is_adopted_with_its_record_completed():
    # AWS Chalice records only the rule name; its target Id and statement id differ.
    state, remote = in_sync()
    for record in state.resources:
        if record['name'] == 'hourly-event':
            del record['rule_arn']
    remote['hourly-event']['targets'] = [{'Id': 'aws-chalice',
                                          'Arn': function_arn('demo-dev-hourly')}]
    remote['hourly-event']['statements'] = [
        grant('events.amazonaws.com', rule_arn('demo-dev-hourly'), sid='5e1d-uuid')]
    plan = plan_for(state=state, remote=remote)
    assert mutating(plan) == []
    (record,) = [s for s in plan.steps if isinstance(s, RecordResource)]
    assert record.values == {'rule_name': 'demo-dev-hourly',
                             'rule_arn': rule_arn('demo-dev-hourly')}


def test_sns_missing_permission_is_added_only():
    state, remote = in_sync()
    remote['handle-sns-subscription']['statements'] = [
        grant('sns.amazonaws.com', 'arn:aws:sns:us-west-2:123456789012:other')]
    plan = plan_for(state=state, remote=remote)
    assert mutating(plan) == [('lambda', 'add_permission')]
    assert ('Updating SNS subscription of demo-dev-handle to SNS topic my-topic'
            in messages(plan))


def test_sns_subscription_gone_is_subscribed_again():
    state, remote = in_sync()
    remote['handle-sns-subscription']['subscription_arn'] = None
    plan = plan_for(state=state, remote=remote)
    assert mutating(plan) == [('sns', 'subscribe')]
    assert steps_of(plan, {'handle'}) == ['sns.subscribe', 'record handle-sns-subscription']


def test_sns_subscription_found_by_endpoint_is_recorded_without_calls():
    state, remote = in_sync()
    state = DeployedState(state.path, [r for r in state.resources
                                       if r['name'] != 'handle-sns-subscription'])
    plan = plan_for(state=state, remote=remote)
    assert mutating(plan) == []
    (record,) = [s for s in plan.steps if isinstance(s, RecordResource)]
    assert record.values == {'topic': 'my-topic', 'topic_arn': TOPIC_ARN,
                             'subscription_arn': SUB_ARN,
                             'lambda_arn': function_arn('demo-dev-handle')}


def test_sns_topic_change_unsubscribes_the_old_and_subscribes_the_new():
    app = replace_trigger('handle-sns-subscription', topic='new-topic')
    state, remote = in_sync()
    new_arn = TOPIC_ARN.replace('my-topic', 'new-topic')
    remote['handle-sns-subscription'] = {
        'topic_arn': new_arn, 'subscription_arn': None, 'stale_subscription_arn': SUB_ARN,
        'statements': [grant('sns.amazonaws.com', TOPIC_ARN)]}
    plan = plan_for(app, state, remote)
    assert steps_of(plan, {'handle'}) == [
        'sns.unsubscribe', 'forget handle-sns-subscription', 'lambda.remove_permission',
        'lambda.add_permission', 'sns.subscribe', 'record handle-sns-subscription']
    assert calls(plan, 'unsubscribe')[0].params == {'SubscriptionArn': SUB_ARN}
    removed = resolved(calls(plan, 'remove_permission')[0].params)
    assert removed['StatementId'] == 'chalice-sns-' + sha256_of(TOPIC_ARN)
    assert calls(plan, 'add_permission')[0].params['SourceArn'] == new_arn
    assert calls(plan, 'subscribe')[0].message == \
        'Subscribing demo-dev-handle to SNS topic new-topic'


# ---------------------------------------------------------------- delete


def test_removed_handlers_lose_their_trigger_before_their_function():
    state, remote = in_sync()
    remote['hourly-event'] = {'exists': True, 'target_ids': ['1']}
    remote['handle-sns-subscription'] = {'exists': True}
    plan = plan_deploy(one_app(COMMIT), state, remote, ctx())
    deleting = [describe(s) for s in plan.steps if not isinstance(s, (SetVar, Message))]
    assert deleting == [
        'sns.unsubscribe', 'forget handle-sns-subscription',
        'lambda.delete_function', 'forget handle',
        'events.remove_targets', 'events.delete_rule', 'forget hourly-event',
        'lambda.delete_function', 'forget hourly',
    ]
    assert calls(plan, 'delete_function')[0].params == {
        'FunctionName': function_arn('demo-dev-handle')}


def test_plan_delete_removes_targets_then_rule_then_forgets():
    record = {'name': 'hourly-event', 'resource_type': 'cloudwatch_event',
              'rule_name': 'demo-dev-hourly', 'rule_arn': rule_arn('demo-dev-hourly')}
    home = home_for('cloudwatch_event')
    steps = home.plan_delete(record, {'exists': True, 'target_ids': ['1', '7']}, ctx())
    assert steps == [
        APICall('events', 'remove_targets', {'Rule': 'demo-dev-hourly', 'Ids': ['1', '7']},
                ignore_errors=('ResourceNotFoundException',)),
        APICall('events', 'delete_rule', {'Name': 'demo-dev-hourly'},
                ignore_errors=('ResourceNotFoundException',)),
        ForgetResource('hourly-event'),
    ]
    # Unknown remote: our one target is assumed.
    assert home.plan_delete(record, None, ctx())[0].params['Ids'] == ['1']
    # Already gone: just forget it.
    assert home.plan_delete(record, {'exists': False}, ctx()) == [
        ForgetResource('hourly-event')]
    no_targets = home.plan_delete(record, {'exists': True, 'target_ids': []}, ctx())
    assert [describe(s) for s in no_targets] == ['events.delete_rule',
                                                 'forget hourly-event']


def test_plan_delete_unsubscribes_and_tolerates_gone():
    state, _ = in_sync()
    plan = plan_delete(state, {'handle-sns-subscription': {'exists': True}}, ctx())
    (unsubscribe,) = calls(plan, 'unsubscribe')
    assert unsubscribe.params == {'SubscriptionArn': SUB_ARN}
    assert 'NotFound' in unsubscribe.ignore_errors
    gone = plan_delete(state, {'handle-sns-subscription': {'exists': False}}, ctx())
    assert calls(gone, 'unsubscribe') == []
    assert 'forget handle-sns-subscription' in [describe(s) for s in gone.steps]


def test_plan_delete_of_the_app_deletes_every_trigger_before_its_function():
    state, _ = in_sync()
    order = [describe(s) for s in plan_delete(state, {}, ctx()).steps]
    assert order.index('events.delete_rule') < order.index('forget hourly')
    assert order.index('sns.unsubscribe') < order.index('forget handle')
    assert order[-1] == 'forget default-role'


# ---------------------------------------------------------------- a fake EventBridge and SNS


class EventsFakeAWS(FakeAWS):
    """FakeAWS plus EventBridge rules/targets and SNS topics/subscriptions."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.rules = {}          # name -> rule dict (with 'Targets')
        self.topics = {}         # arn -> name
        self.subscriptions = {}  # arn -> {'TopicArn', 'Protocol', 'Endpoint'}

    def create_topic(self, name, region=None):
        arn = 'arn:%s:sns:%s:%s:%s' % (self.partition, region or self.region,
                                       self.account_id, name)
        self.topics[arn] = name
        return arn

    # -- EventBridge

    def _rule(self, name):
        if name not in self.rules:
            raise FakeAWSError('ResourceNotFoundException', 'Rule %s does not exist.' % name)
        return self.rules[name]

    def _events__put_rule(self, p):
        if not p.get('ScheduleExpression') and not p.get('EventPattern'):
            raise FakeAWSError('ValidationException', 'EventPattern or ScheduleExpression')
        if p.get('EventPattern'):
            json.loads(p['EventPattern'])
        arn = 'arn:%s:events:%s:%s:rule/%s' % (self.partition, self.region,
                                               self.account_id, p['Name'])
        targets = self.rules.get(p['Name'], {}).get('Targets', [])
        rule = {k: v for k, v in p.items() if k != 'State'}
        rule.update({'Arn': arn, 'State': p.get('State', 'ENABLED'), 'Targets': targets,
                     'EventBusName': 'default'})
        self.rules[p['Name']] = rule
        return {'RuleArn': arn}

    def _events__describe_rule(self, p):
        rule = dict(self._rule(p['Name']))
        rule.pop('Targets')
        if 'EventPattern' in rule:  # EventBridge re-serialises the pattern
            rule['EventPattern'] = json.dumps(json.loads(rule['EventPattern']), indent=1)
        return rule

    def _events__list_rules(self, p):
        names = sorted(n for n in self.rules if n.startswith(p.get('NamePrefix', '')))
        start = int(p.get('NextToken') or 0)
        size = p.get('Limit') or 100
        page = {'Rules': [self._events__describe_rule({'Name': n})
                          for n in names[start:start + size]]}
        if start + size < len(names):
            page['NextToken'] = str(start + size)
        return page

    def _events__list_targets_by_rule(self, p):
        return {'Targets': self._rule(p['Rule'])['Targets']}

    def _events__put_targets(self, p):
        rule = self._rule(p['Rule'])
        for target in p['Targets']:
            assert target['Arn'].startswith('arn:'), target
            rule['Targets'] = [t for t in rule['Targets'] if t['Id'] != target['Id']]
            rule['Targets'].append(dict(target))
        return {'FailedEntryCount': 0, 'FailedEntries': []}

    def _events__remove_targets(self, p):
        rule = self._rule(p['Rule'])
        rule['Targets'] = [t for t in rule['Targets'] if t['Id'] not in p['Ids']]
        return {'FailedEntryCount': 0, 'FailedEntries': []}

    def _events__delete_rule(self, p):
        rule = self.rules.get(p['Name'])
        if rule is not None:
            if rule['Targets']:
                raise FakeAWSError('ValidationException',
                                   "Rule can't be deleted since it has targets.")
            del self.rules[p['Name']]
        return {}

    # -- SNS

    def _here(self, arn, parameter):
        # SNS answers about a topic or subscription only in its own region;
        # elsewhere the ARN is an invalid parameter (not a missing resource).
        if arn.split(':')[3] != self.call_region:
            raise FakeAWSError('InvalidParameter', 'Invalid parameter: %s' % parameter)

    def _topic(self, arn):
        self._here(arn, 'TopicArn')
        if arn not in self.topics:
            raise FakeAWSError('NotFound', 'Topic does not exist')

    def _subscription(self, arn):
        self._here(arn, 'SubscriptionArn')
        if arn not in self.subscriptions:
            raise FakeAWSError('NotFound', 'Subscription does not exist')
        return self.subscriptions[arn]

    def _sns__subscribe(self, p):
        self._topic(p['TopicArn'])
        assert p['Endpoint'].startswith('arn:'), p
        for arn, sub in self.subscriptions.items():  # AWS doesn't duplicate
            if (sub['TopicArn'], sub['Protocol'], sub['Endpoint']) == (
                    p['TopicArn'], p['Protocol'], p['Endpoint']):
                return {'SubscriptionArn': arn}
        arn = '%s:sub%04d' % (p['TopicArn'], len(self.calls))
        self.subscriptions[arn] = {'TopicArn': p['TopicArn'], 'Protocol': p['Protocol'],
                                   'Endpoint': p['Endpoint']}
        return {'SubscriptionArn': arn}

    def _sns__get_subscription_attributes(self, p):
        return {'Attributes': dict(self._subscription(p['SubscriptionArn']),
                                   SubscriptionArn=p['SubscriptionArn'])}

    def _sns__list_subscriptions_by_topic(self, p):
        self._topic(p['TopicArn'])
        found = [dict(sub, SubscriptionArn=arn) for arn, sub in self.subscriptions.items()
                 if sub['TopicArn'] == p['TopicArn']]
        # One per page, to exercise pagination.
        start = int(p.get('NextToken') or 0)
        response = {'Subscriptions': found[start:start + 1]}
        if start + 1 < len(found):
            response['NextToken'] = str(start + 1)
        return response

    def _sns__unsubscribe(self, p):
        self._subscription(p['SubscriptionArn'])
        del self.subscriptions[p['SubscriptionArn']]
        return {}

    # -- views

    def existing_resources(self):
        found = super().existing_resources()
        found.update(('cloudwatch_event', rule['Arn']) for rule in self.rules.values())
        found.update(('sns_event', arn) for arn in self.subscriptions)
        return found

    def is_empty(self):
        return super().is_empty() and not self.rules and not self.subscriptions

    def wiring(self):
        """Each trigger with what it invokes and whether it may (comparable across runs)."""
        def allowed(function_arn, service, source_arn):
            name = function_arn.rsplit(':', 1)[-1]
            statements = self.functions.get(name, {}).get('statements', [])
            return any(s['Principal'] == {'Service': service} and
                       s['Condition']['ArnLike']['AWS:SourceArn'] == source_arn
                       for s in statements)

        rules = {name: {k: v for k, v in rule.items() if k != 'Targets'} for name, rule
                 in self.rules.items()}
        for name, rule in self.rules.items():
            rules[name]['targets'] = [
                (t['Id'], t['Arn'], allowed(t['Arn'], 'events.amazonaws.com', rule['Arn']))
                for t in rule['Targets']]
        subs = sorted((s['TopicArn'], s['Protocol'], s['Endpoint'],
                       allowed(s['Endpoint'], 'sns.amazonaws.com', s['TopicArn']))
                      for s in self.subscriptions.values())
        return {'rules': rules, 'subscriptions': subs}


def recorded_resources(state):
    keys = set()
    others = []
    for record in state.resources:
        if record['resource_type'] == 'cloudwatch_event':
            keys.add(('cloudwatch_event', record['rule_arn']))
        elif record['resource_type'] == 'sns_event':
            keys.add(('sns_event', record['subscription_arn']))
        else:
            others.append(record)
    return keys | base_recorded_resources(DeployedState(state.path, others))


def events_app(minutes=5, with_sns=True, with_pattern=True):
    app = Chalice(app_name='demo')

    @app.schedule('rate(%d minutes)' % minutes)
    def every_five(event):
        pass

    @app.schedule(Rate(1, unit=Rate.HOURS), description='hourly')
    def hourly(event):
        pass

    if with_pattern:
        @app.on_cw_event({'source': ['aws.codecommit']})
        def on_commit(event):
            pass

    if with_sns:
        @app.on_sns_message('my-topic')
        def handle(event):
            pass

    return app


def new_aws():
    aws = EventsFakeAWS()
    aws.create_topic('my-topic')
    return aws


@pytest.fixture(scope='module')
def baseline(tmp_path_factory):
    directory = tmp_path_factory.mktemp('events')
    project = write_project(directory / 'proj')
    package = make_package(directory)
    aws = new_aws()
    run_deploy(aws, make_config(events_app(), project), package)
    return {'calls': aws.call_count, 'snapshot': aws.snapshot(), 'wiring': aws.wiring(),
            'package': package}


def assert_state_matches_aws(project, aws):
    assert recorded_resources(DeployedState.load(project, 'dev')) == aws.existing_resources()


# ---------------------------------------------------------------- end to end


def test_read_remote_of_nothing_then_deploy_wires_everything(tmp_path, baseline):
    project = write_project(tmp_path / 'proj')
    aws = new_aws()
    ui = RecordingUI()
    run_deploy(aws, make_config(events_app(), project), baseline['package'], ui)
    assert set(aws.rules) == {'demo-dev-every_five-event', 'demo-dev-hourly-event',
                              'demo-dev-on_commit-event'}
    assert aws.rules['demo-dev-every_five-event']['ScheduleExpression'] == 'rate(5 minutes)'
    assert aws.rules['demo-dev-hourly-event']['ScheduleExpression'] == 'rate(1 hour)'
    assert aws.rules['demo-dev-hourly-event']['Description'] == 'hourly'
    assert json.loads(aws.rules['demo-dev-on_commit-event']['EventPattern']) == {
        'source': ['aws.codecommit']}
    wiring = aws.wiring()
    for rule in wiring['rules'].values():
        (target,) = rule['targets']
        assert target[0] == '1' and target[2] is True
    assert wiring['subscriptions'] == [
        (TOPIC_ARN, 'lambda', function_arn('demo-dev-handle'), True)]
    assert 'Subscribing demo-dev-handle to SNS topic my-topic' in ui.lines
    assert ui.lines.index('Creating lambda function: demo-dev-handle') < ui.lines.index(
        'Subscribing demo-dev-handle to SNS topic my-topic')
    records = {r['name']: r for r in read_state_file(project)['resources']}
    assert records['hourly-event'] == {
        'name': 'hourly-event', 'resource_type': 'cloudwatch_event',
        'rule_name': 'demo-dev-hourly-event', 'rule_arn': rule_arn('demo-dev-hourly-event')}
    sub = records['handle-sns-subscription']
    assert set(sub) == {'name', 'resource_type', 'topic', 'topic_arn', 'subscription_arn',
                        'lambda_arn'}
    assert sub['topic'] == 'my-topic' and sub['topic_arn'] == TOPIC_ARN
    assert sub['subscription_arn'] in aws.subscriptions
    assert sub['lambda_arn'] == function_arn('demo-dev-handle')
    assert_state_matches_aws(project, aws)

    aws.reset_counter()
    ui = RecordingUI()
    run_deploy(aws, make_config(events_app(), project), baseline['package'], ui)
    assert aws.mutating_calls == []
    assert 'No changes to CloudWatch event rule: demo-dev-hourly-event' in ui.lines

    run_delete(aws, project)
    assert aws.is_empty()
    assert aws.topics  # the topic is the user's


def test_changing_and_removing_handlers(tmp_path, baseline):
    project = write_project(tmp_path / 'proj')
    aws = new_aws()
    run_deploy(aws, make_config(events_app(), project), baseline['package'])
    aws.reset_counter()
    run_deploy(aws, make_config(events_app(minutes=10), project), baseline['package'])
    assert aws.mutating_calls == [('events', 'put_rule')]
    assert aws.rules['demo-dev-every_five-event']['ScheduleExpression'] == 'rate(10 minutes)'
    aws.reset_counter()
    run_deploy(aws, make_config(events_app(minutes=10, with_sns=False, with_pattern=False),
                                project), baseline['package'])
    assert sorted(aws.mutating_calls) == [
        ('events', 'delete_rule'), ('events', 'remove_targets'),
        ('lambda', 'delete_function'), ('lambda', 'delete_function'),
        ('sns', 'unsubscribe')]
    assert set(aws.rules) == {'demo-dev-every_five-event', 'demo-dev-hourly-event'}
    assert aws.subscriptions == {}
    assert set(aws.functions) == {'demo-dev-every_five', 'demo-dev-hourly'}
    assert_state_matches_aws(project, aws)


def test_missing_topic_is_reported_before_any_change(tmp_path, baseline):
    project = write_project(tmp_path / 'proj')
    aws = EventsFakeAWS()
    with pytest.raises(ChaliceError) as excinfo:
        run_deploy(aws, make_config(events_app(), project), baseline['package'])
    assert 'my-topic' in str(excinfo.value) and 'does not exist' in str(excinfo.value)
    assert aws.mutating_calls == []


def test_resources_deleted_behind_our_back_are_recreated(tmp_path, baseline):
    project = write_project(tmp_path / 'proj')
    aws = new_aws()
    config = make_config(events_app(), project)
    run_deploy(aws, config, baseline['package'])
    aws.rules['demo-dev-hourly-event']['Targets'] = []
    del aws.rules['demo-dev-on_commit-event']
    aws.subscriptions.clear()
    aws.functions['demo-dev-every_five']['statements'] = []
    run_deploy(aws, config, baseline['package'])
    assert aws.wiring() == baseline['wiring']
    assert_state_matches_aws(project, aws)


def test_found_by_name_when_the_state_file_is_lost(tmp_path, baseline):
    assert_lost_state_file_is_rebuilt(tmp_path, new_aws, events_app, baseline['package'])


def assert_lost_state_file_is_rebuilt(tmp_path, new_aws, make_app, package):
    """A redeploy after the state file is lost finds everything and writes nothing."""
    project = write_project(tmp_path / 'proj')
    aws = new_aws()
    config = make_config(make_app(), project)
    run_deploy(aws, config, package)
    os.unlink(os.path.join(project, '.chalice', 'deployed', 'dev.json'))
    aws.reset_counter()
    run_deploy(aws, config, package)
    assert aws.mutating_calls == []
    assert_state_matches_aws(project, aws)


def test_read_remote_for_a_subscription_to_another_topic_marks_it_stale():
    aws = new_aws()
    other = aws.create_topic('other')
    aws.subscriptions[other + ':s1'] = {'TopicArn': other, 'Protocol': 'lambda',
                                        'Endpoint': function_arn('demo-dev-handle')}
    record = {'name': SUB.resource_name, 'resource_type': 'sns_event',
              'subscription_arn': other + ':s1', 'topic_arn': other}
    remote = home_for('sns_event').read_remote(aws, SUB, record)
    assert remote['stale_subscription_arn'] == other + ':s1'
    assert remote['subscription_arn'] is None
    assert remote['topic_arn'] == TOPIC_ARN


def test_read_remote_skips_the_search_for_another_accounts_topic():
    aws = new_aws()
    model = SNSSubscription('handle-sns-subscription',
                            'arn:aws:sns:us-west-2:999999999999:theirs', SNS_FN)
    remote = home_for('sns_event').read_remote(aws, model, None)
    assert remote['subscription_arn'] is None
    assert [m for _, m, _ in aws.calls] == ['get_policy']


def test_fault_at_every_call_of_a_deploy_then_rerun_converges(tmp_path, baseline):
    assert baseline['calls'] >= 20
    for k in range(1, baseline['calls'] + 1):
        project = write_project(tmp_path / ('p%d' % k))
        config = make_config(events_app(), project)
        aws = new_aws()
        aws.fail_at = k
        views = []

        def hook(service, method, params, aws=aws, project=project, views=views):
            if aws.fail_at is not None and aws.call_count + 1 == aws.fail_at:
                views.append(recorded_resources(DeployedState.load(project, 'dev')))

        aws.on_call = hook
        with pytest.raises(DeploymentError):
            run_deploy(aws, config, baseline['package'])
        assert aws.call_count == k
        assert views == [aws.existing_resources()], k
        assert_state_matches_aws(project, aws)
        aws.fail_at = None
        converge_and_clean_up(aws, project, config, baseline)


def test_lost_responses_converge_for_rules_and_subscriptions(tmp_path, baseline):
    for k in range(1, baseline['calls'] + 1):
        project = write_project(tmp_path / ('p%d' % k))
        config = make_config(events_app(), project)
        aws = new_aws()
        aws.fail_at = k
        aws.fail_mode = 'after'
        with pytest.raises(DeploymentError):
            run_deploy(aws, config, baseline['package'])
        aws.fail_at = None
        converge_and_clean_up(aws, project, config, baseline)


def test_fault_at_every_call_of_a_delete_then_rerun_empties(tmp_path, baseline):
    assert_every_delete_fault_recovers(tmp_path, new_aws, events_app, baseline['package'])


def assert_every_delete_fault_recovers(tmp_path, new_aws, make_app, package):
    """A delete failing at its k-th call, for every k, leaves a true state file and reruns."""
    project = write_project(tmp_path / 'count')
    aws = new_aws()
    run_deploy(aws, make_config(make_app(), project), package)
    aws.reset_counter()
    run_delete(aws, project)
    total = aws.call_count
    assert total >= 3
    for k in range(1, total + 1):
        project = write_project(tmp_path / ('d%d' % k))
        aws = new_aws()
        run_deploy(aws, make_config(make_app(), project), package)
        aws.reset_counter()
        aws.fail_at = k
        with pytest.raises(DeploymentError):
            run_delete(aws, project)
        assert_state_matches_aws(project, aws)
        aws.fail_at = None
        run_delete(aws, project)
        assert aws.is_empty()


def converge_and_clean_up(aws, project, config, baseline):
    run_deploy(aws, config, baseline['package'])
    assert aws.snapshot() == baseline['snapshot']
    assert aws.wiring() == baseline['wiring']
    assert_state_matches_aws(project, aws)
    aws.reset_counter()
    run_deploy(aws, config, baseline['package'])
    assert aws.mutating_calls == []
    run_delete(aws, project)
    assert aws.is_empty()
    assert read_state_file(project)['resources'] == []
