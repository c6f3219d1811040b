"""The S3 bucket-notification home: plans are pure; a tiny fake runs them.

The bucket's notification configuration is shared with whoever else uses
the bucket, so every test that changes it checks that the other entries
(other Lambda functions, queues, topics, EventBridge) come back untouched.
"""
import copy
import json

import pytest

from chalice.deploy.executor import Executor
from chalice.deploy.models import (
    Application,
    DeploymentPackage,
    LambdaFunction,
    ManagedIAMRole,
    S3BucketNotification,
)
from chalice.deploy.plan import (
    APICall,
    ForgetResource,
    Message,
    Plan,
    RecordResource,
    Var,
    resolve,
)
from chalice.deploy.planner import PlanContext, plan_deploy
from chalice.deploy.resources import home_for
from chalice.deploy.resources.s3 import (
    merged_configuration,
    notification_id,
    statement_id,
)
from chalice.deploy.state import DeployedState, state_file_path
from chalice.errors import ChaliceError, DeploymentError
from tests.unit.deploy.fakes import RecordingUI, validate_params

REGION, ACCOUNT = 'us-west-2', '123456789012'
BUCKET = 'my-images'
PACKAGE = DeploymentPackage('/does/not/exist/deployment.zip', 'c2hh', 10)
ROLE = ManagedIAMRole('default-role', 'demo-dev', {'Version': '2012-10-17', 'Statement': []})
FUNCTION = LambdaFunction('resize', 'demo-dev-resize', 'app.resize', 'python3.11', ROLE, PACKAGE)
FUNCTION_ARN = 'arn:aws:lambda:%s:%s:function:demo-dev-resize' % (REGION, ACCOUNT)
ARN_VAR = 'resize.lambda_arn'
MODEL = S3BucketNotification('resize-s3event', BUCKET, FUNCTION,
                             events=('s3:ObjectCreated:*',), prefix='images/', suffix='.jpg')
OUR_ID = 'chalice-demo-dev-resize'
SID = 'chalice-s3-my-images'
HOME = home_for('s3_event')

OTHER_LAMBDA = {
    'Id': 'someone-else',
    'LambdaFunctionArn': 'arn:aws:lambda:%s:%s:function:other' % (REGION, ACCOUNT),
    'Events': ['s3:ObjectRemoved:*'],
    'Filter': {'Key': {'FilterRules': [{'Name': 'Prefix', 'Value': 'logs/'}]}},
}
QUEUE = {'Id': 'audit', 'QueueArn': 'arn:aws:sqs:%s:%s:audit' % (REGION, ACCOUNT),
         'Events': ['s3:ObjectCreated:Put']}
TOPIC = {'Id': 'alerts', 'TopicArn': 'arn:aws:sns:%s:%s:alerts' % (REGION, ACCOUNT),
         'Events': ['s3:ObjectRemoved:Delete']}
EXISTING = {
    'LambdaFunctionConfigurations': [OTHER_LAMBDA],
    'QueueConfigurations': [QUEUE],
    'TopicConfigurations': [TOPIC],
    'EventBridgeConfiguration': {},
}
# How AWS reports our entry once it is in place: rule names capitalised.
OURS_AS_READ = {
    'Id': OUR_ID, 'LambdaFunctionArn': FUNCTION_ARN, 'Events': ['s3:ObjectCreated:*'],
    'Filter': {'Key': {'FilterRules': [{'Name': 'Prefix', 'Value': 'images/'},
                                       {'Name': 'Suffix', 'Value': '.jpg'}]}},
}
GRANT = {
    'Sid': SID, 'Effect': 'Allow', 'Principal': {'Service': 's3.amazonaws.com'},
    'Action': 'lambda:InvokeFunction', 'Resource': FUNCTION_ARN,
    'Condition': {'ArnLike': {'AWS:SourceArn': 'arn:aws:s3:::%s' % BUCKET},
                  'StringEquals': {'AWS:SourceAccount': ACCOUNT}},
}
RECORD = {'name': 'resize-s3event', 'resource_type': 's3_event', 'bucket': BUCKET,
          'lambda_arn': FUNCTION_ARN, 'notification_id': OUR_ID}


def context(function_exists=True):
    ctx = PlanContext(region=REGION, account_id=ACCOUNT)
    if function_exists:
        ctx.known[ARN_VAR] = FUNCTION_ARN
    return ctx


def with_ours(configuration, ours=OURS_AS_READ):
    configuration = copy.deepcopy(configuration)
    configuration.setdefault('LambdaFunctionConfigurations', []).append(copy.deepcopy(ours))
    return configuration


def remote(configuration, statements=(), previous=None):
    return {'configuration': copy.deepcopy(configuration), 'statements': list(statements),
            'previous': previous}


def calls(steps):
    return [(s.service, s.method) for s in steps if isinstance(s, APICall)]


def the_call(steps, method):
    found = [s for s in steps if isinstance(s, APICall) and s.method == method]
    assert len(found) == 1, steps
    return found[0]


def resolved(value):
    return resolve(value, lambda var: {ARN_VAR: FUNCTION_ARN}[var.name])


def put_document(steps):
    call = the_call(steps, 'put_bucket_notification_configuration')
    params = resolved(call.params)
    validate_params('s3', 'put_bucket_notification_configuration', params)
    return params['NotificationConfiguration']


def lambda_entries(document, entry_id=None):
    entries = document.get('LambdaFunctionConfigurations', [])
    if entry_id is None:
        return entries
    return [e for e in entries if e['Id'] == entry_id]


def others_of(document):
    """Everything in a configuration except our entry."""
    document = copy.deepcopy(document)
    document['LambdaFunctionConfigurations'] = [
        e for e in document.get('LambdaFunctionConfigurations', []) if e['Id'] != OUR_ID]
    return document


# --------------------------------------------------------------------------
# ids
# --------------------------------------------------------------------------

def test_ids_are_deterministic_and_bounded():
    assert notification_id('demo-dev-resize') == OUR_ID
    assert statement_id(BUCKET) == SID
    long_name = 'a' * 64
    other_long = 'a' * 63 + 'b'
    assert notification_id(long_name) == notification_id(long_name)
    assert len(notification_id(long_name)) <= 64
    assert notification_id(long_name) != notification_id(other_long)
    long_bucket = 'b' * 255  # legacy us-east-1 names may be this long
    assert len(statement_id(long_bucket)) <= 100
    assert statement_id(long_bucket) != statement_id('b' * 254 + 'c')


# --------------------------------------------------------------------------
# deploy
# --------------------------------------------------------------------------

def test_fresh_plan_merges_with_existing_entries():
    steps = HOME.plan(MODEL, None, remote(EXISTING), context(function_exists=False))
    assert calls(steps) == [('lambda', 'add_permission'),
                            ('s3', 'put_bucket_notification_configuration')]
    assert steps[0] == Message('Configuring S3 events in bucket my-images to function '
                               'demo-dev-resize')
    permission = the_call(steps, 'add_permission')
    assert permission.params == {
        'FunctionName': Var(ARN_VAR), 'StatementId': SID,
        'Action': 'lambda:InvokeFunction', 'Principal': 's3.amazonaws.com',
        'SourceArn': 'arn:aws:s3:::my-images', 'SourceAccount': ACCOUNT}
    validate_params('lambda', 'add_permission', resolved(permission.params))
    put = the_call(steps, 'put_bucket_notification_configuration')
    # Our entry's ARN is a placeholder, resolved when the call is made.
    assert lambda_entries(put.params['NotificationConfiguration'], OUR_ID)[0][
        'LambdaFunctionArn'] == Var(ARN_VAR)
    document = put_document(steps)
    assert others_of(document) == EXISTING
    assert lambda_entries(document, OUR_ID) == [{
        'Id': OUR_ID, 'LambdaFunctionArn': FUNCTION_ARN, 'Events': ['s3:ObjectCreated:*'],
        'Filter': {'Key': {'FilterRules': [{'Name': 'prefix', 'Value': 'images/'},
                                           {'Name': 'suffix', 'Value': '.jpg'}]}}}]
    # The permission comes first (S3 checks it), the record right after the put.
    assert [type(s) for s in steps] == [Message, APICall, APICall, RecordResource]
    record = steps[-1]
    assert (record.name, record.resource_type) == ('resize-s3event', 's3_event')
    assert resolved(record.values) == {'bucket': BUCKET, 'lambda_arn': FUNCTION_ARN,
                                       'notification_id': OUR_ID}


def test_fresh_plan_on_a_bucket_without_notifications():
    steps = HOME.plan(MODEL, None, remote({}), context())
    document = put_document(steps)
    assert list(document) == ['LambdaFunctionConfigurations']
    assert [e['Id'] for e in lambda_entries(document)] == [OUR_ID]


def test_events_and_no_filter():
    model = S3BucketNotification('resize-s3event', BUCKET, FUNCTION,
                                 events=('s3:ObjectCreated:Put', 's3:ObjectRemoved:*'))
    steps = HOME.plan(model, None, remote({}), context())
    entry = lambda_entries(put_document(steps), OUR_ID)[0]
    assert entry['Events'] == ['s3:ObjectCreated:Put', 's3:ObjectRemoved:*']
    assert 'Filter' not in entry


def test_unchanged_is_a_no_op():
    steps = HOME.plan(MODEL, dict(RECORD), remote(with_ours(EXISTING), [GRANT]), context())
    assert steps == [Message('No changes to S3 events in bucket my-images to function '
                             'demo-dev-resize')]


def test_unchanged_with_events_in_another_order_is_a_no_op():
    model = S3BucketNotification('resize-s3event', BUCKET, FUNCTION,
                                 events=('s3:ObjectCreated:Put', 's3:ObjectRemoved:*'))
    ours = dict(OURS_AS_READ, Events=['s3:ObjectRemoved:*', 's3:ObjectCreated:Put'])
    ours.pop('Filter')
    steps = HOME.plan(model, dict(RECORD), remote(with_ours({}, ours), [GRANT]), context())
    assert calls(steps) == []


def test_in_place_but_unrecorded_is_recorded_without_calls():
    # E.g. the deploy was killed between the put and the journal write.
    steps = HOME.plan(MODEL, None, remote(with_ours(EXISTING), [GRANT]), context())
    assert calls(steps) == []
    assert [type(s) for s in steps] == [RecordResource, Message]
    assert resolved(steps[0].values)['notification_id'] == OUR_ID


@pytest.mark.parametrize('change, rules', [
    ({'suffix': '.png'}, [('prefix', 'images/'), ('suffix', '.png')]),
    ({'prefix': 'photos/'}, [('prefix', 'photos/'), ('suffix', '.jpg')]),
    ({'prefix': None}, [('suffix', '.jpg')]),
    ({'prefix': None, 'suffix': None}, None),
])
def test_prefix_or_suffix_change_replaces_only_our_entry(change, rules):
    fields = {'prefix': MODEL.prefix, 'suffix': MODEL.suffix}
    fields.update(change)
    model = S3BucketNotification('resize-s3event', BUCKET, FUNCTION,
                                 events=MODEL.events, **fields)
    current = with_ours(EXISTING)
    steps = HOME.plan(model, dict(RECORD), remote(current, [GRANT]), context())
    assert calls(steps) == [('s3', 'put_bucket_notification_configuration')]
    document = put_document(steps)
    assert others_of(document) == EXISTING
    # Replaced where it stood: the order of the entries is kept.
    assert [e['Id'] for e in lambda_entries(document)] == ['someone-else', OUR_ID]
    entry = lambda_entries(document, OUR_ID)[0]
    if rules is None:
        assert 'Filter' not in entry
    else:
        assert [(r['Name'], r['Value']) for r in entry['Filter']['Key']['FilterRules']] == rules
    assert isinstance(steps[-1], RecordResource)


def test_events_change_is_an_update():
    model = S3BucketNotification('resize-s3event', BUCKET, FUNCTION,
                                 events=('s3:ObjectRemoved:*',), prefix='images/',
                                 suffix='.jpg')
    steps = HOME.plan(model, dict(RECORD), remote(with_ours(EXISTING), [GRANT]), context())
    entry = lambda_entries(put_document(steps), OUR_ID)[0]
    assert entry['Events'] == ['s3:ObjectRemoved:*']


def test_entry_pointing_at_another_arn_is_replaced():
    ours = dict(OURS_AS_READ, LambdaFunctionArn=FUNCTION_ARN + '-old')
    steps = HOME.plan(MODEL, dict(RECORD), remote(with_ours(EXISTING, ours), [GRANT]),
                      context())
    entry = lambda_entries(put_document(steps), OUR_ID)[0]
    assert entry['LambdaFunctionArn'] == FUNCTION_ARN


def test_missing_permission_alone_is_added():
    steps = HOME.plan(MODEL, dict(RECORD), remote(with_ours(EXISTING)), context())
    assert calls(steps) == [('lambda', 'add_permission')]
    assert isinstance(steps[0], Message)


def test_grant_under_another_statement_id_is_enough():
    grant = dict(GRANT, Sid='added-by-hand', Action=['lambda:InvokeFunction'])
    grant['Condition'] = {'ArnLike': {'AWS:SourceArn': 'arn:aws:s3:::my-images'}}
    steps = HOME.plan(MODEL, dict(RECORD), remote(with_ours(EXISTING), [grant]), context())
    assert calls(steps) == []


def test_our_statement_with_the_wrong_grant_is_replaced():
    wrong = copy.deepcopy(GRANT)
    wrong['Condition']['StringEquals']['AWS:SourceAccount'] = '999999999999'
    steps = HOME.plan(MODEL, dict(RECORD), remote(with_ours(EXISTING), [wrong]), context())
    assert calls(steps) == [('lambda', 'remove_permission'), ('lambda', 'add_permission')]
    assert the_call(steps, 'remove_permission').params == {
        'FunctionName': Var(ARN_VAR), 'StatementId': SID}


def test_a_grant_for_another_bucket_does_not_count():
    other = copy.deepcopy(GRANT)
    other['Sid'] = 'chalice-s3-elsewhere'
    other['Condition']['ArnLike']['AWS:SourceArn'] = 'arn:aws:s3:::elsewhere'
    steps = HOME.plan(MODEL, dict(RECORD), remote(with_ours(EXISTING), [other]), context())
    assert calls(steps) == [('lambda', 'add_permission')]


def test_partition_is_used_in_the_bucket_arn():
    ctx = PlanContext(region='cn-north-1', account_id=ACCOUNT, partition='aws-cn')
    steps = HOME.plan(MODEL, None, remote({}), ctx)
    assert the_call(steps, 'add_permission').params['SourceArn'] == 'arn:aws-cn:s3:::my-images'


def test_missing_bucket_fails_before_anything_changes():
    with pytest.raises(ChaliceError) as info:
        HOME.plan(MODEL, None, remote(None), context())
    assert "'my-images'" in str(info.value)
    assert 'nothing was changed' in str(info.value)
    assert not isinstance(info.value, DeploymentError)


def test_stale_entry_of_a_recorded_id_is_dropped():
    stale = dict(OURS_AS_READ, Id='chalice-old-id', Events=['s3:ObjectRemoved:*'])
    record = dict(RECORD, notification_id='chalice-old-id')
    steps = HOME.plan(MODEL, record, remote(with_ours(EXISTING, stale), [GRANT]), context())
    document = put_document(steps)
    assert [e['Id'] for e in lambda_entries(document)] == ['someone-else', OUR_ID]
    assert others_of(document) == EXISTING


# AWS Chalice's entry: no Id of ours (S3 made one up), no filter rules here.
THEIRS = {'Id': 'NjY5ZDk0ZTMtYmE0NS00', 'LambdaFunctionArn': FUNCTION_ARN,
          'Events': ['s3:ObjectCreated:*'],
          'Filter': {'Key': {'FilterRules': [{'Name': 'Prefix', 'Value': 'images/'},
                                             {'Name': 'Suffix', 'Value': '.jpg'}]}}}
THEIR_RECORD = {'name': 'resize-s3event', 'resource_type': 's3_event', 'bucket': BUCKET,
                'lambda_arn': FUNCTION_ARN}


def test_matching_entry_of_the_function_is_adopted_whatever_its_id():
    steps = HOME.plan(MODEL, THEIR_RECORD, remote(with_ours(EXISTING, THEIRS), [GRANT]),
                      context())
    assert calls(steps) == []
    (record,) = [s for s in steps if isinstance(s, RecordResource)]
    assert resolved(record.values) == {'bucket': BUCKET, 'lambda_arn': FUNCTION_ARN,
                                       'notification_id': THEIRS['Id']}
    # Recorded: the next deploy writes nothing at all.
    recorded = dict(THEIR_RECORD, notification_id=THEIRS['Id'])
    steps = HOME.plan(MODEL, recorded, remote(with_ours(EXISTING, THEIRS), [GRANT]), context())
    assert [s for s in steps if not isinstance(s, Message)] == []


def test_entries_of_the_function_with_other_settings_are_replaced_by_one():
    other_events = dict(THEIRS, Events=['s3:ObjectRemoved:*'])
    configuration = with_ours(with_ours(EXISTING, other_events), dict(THEIRS, Id='two'))
    configuration['LambdaFunctionConfigurations'][-1]['Filter'] = {}
    steps = HOME.plan(MODEL, THEIR_RECORD, remote(configuration, [GRANT]), context())
    document = put_document(steps)
    assert [e['Id'] for e in lambda_entries(document)] == ['someone-else', OUR_ID]
    assert others_of(document) == EXISTING


def test_duplicate_entries_of_the_function_leave_the_adopted_one():
    configuration = with_ours(with_ours(EXISTING, THEIRS), OURS_AS_READ)
    steps = HOME.plan(MODEL, RECORD, remote(configuration, [GRANT]), context())
    document = put_document(steps)
    assert [e['Id'] for e in lambda_entries(document)] == ['someone-else', THEIRS['Id']]


def test_delete_removes_the_functions_entries_whatever_their_id():
    their_grant = dict(copy.deepcopy(GRANT), Sid='5f0c7a0e-uuid')
    configuration = with_ours(with_ours(EXISTING, THEIRS), dict(THEIRS, Id='again'))
    steps = HOME.plan_delete(THEIR_RECORD, {'configuration': configuration,
                                            'statements': [their_grant]}, context())
    assert calls(steps) == [('lambda', 'remove_permission'),
                            ('s3', 'put_bucket_notification_configuration')]
    assert the_call(steps, 'remove_permission').params['StatementId'] == '5f0c7a0e-uuid'
    assert put_document(steps) == EXISTING


def test_duplicate_grants_for_the_bucket_are_removed_keeping_ours():
    theirs = dict(copy.deepcopy(GRANT), Sid='5f0c7a0e-uuid')
    steps = HOME.plan(MODEL, RECORD, remote(with_ours(EXISTING), [theirs, GRANT]), context())
    assert calls(steps) == [('lambda', 'remove_permission')]
    assert the_call(steps, 'remove_permission').params['StatementId'] == '5f0c7a0e-uuid'


def test_moving_to_another_bucket_cleans_the_old_one_first():
    old_record = dict(RECORD, bucket='old-bucket')
    old_grant = copy.deepcopy(GRANT)
    old_grant['Sid'] = 'chalice-s3-old-bucket'
    old_grant['Condition']['ArnLike']['AWS:SourceArn'] = 'arn:aws:s3:::old-bucket'
    previous = {'configuration': with_ours({'QueueConfigurations': [QUEUE]}),
                'statements': [old_grant]}
    steps = HOME.plan(MODEL, old_record, remote(EXISTING, [old_grant], previous), context())
    assert calls(steps) == [
        ('lambda', 'remove_permission'),                   # the old bucket's grant
        ('s3', 'put_bucket_notification_configuration'),  # old bucket, without ours
        ('lambda', 'add_permission'),
        ('s3', 'put_bucket_notification_configuration'),  # new bucket, with ours
    ]
    puts = [resolved(s.params) for s in steps if isinstance(s, APICall)
            and s.method == 'put_bucket_notification_configuration']
    assert puts[0] == {'Bucket': 'old-bucket',
                       'NotificationConfiguration': {'QueueConfigurations': [QUEUE]}}
    assert puts[1]['Bucket'] == BUCKET
    forget = steps.index(ForgetResource('resize-s3event'))
    assert forget < steps.index(the_call(steps, 'add_permission'))
    assert isinstance(steps[-1], RecordResource)
    assert resolved(steps[-1].values)['bucket'] == BUCKET


def test_describe_shows_the_placeholder():
    plan = Plan()
    plan.add(*HOME.plan(MODEL, None, remote({}), context(function_exists=False)))
    text = '\n'.join(plan.describe())
    assert 's3.put_bucket_notification_configuration(' in text
    assert '# Configuring S3 events in bucket my-images to function demo-dev-resize' in text


# --------------------------------------------------------------------------
# delete
# --------------------------------------------------------------------------

def test_delete_removes_only_our_entry():
    ctx = context()
    steps = HOME.plan_delete(dict(RECORD), {'configuration': with_ours(EXISTING),
                                            'statements': [GRANT]}, ctx)
    # The grant goes first: a failure after it leaves the recorded entry in place.
    assert calls(steps) == [('lambda', 'remove_permission'),
                            ('s3', 'put_bucket_notification_configuration')]
    put = the_call(steps, 'put_bucket_notification_configuration')
    assert steps[0] == Message('Removing S3 events in bucket my-images from function '
                               'demo-dev-resize')
    assert 'NoSuchBucket' in put.ignore_errors
    assert put.params == {'Bucket': BUCKET, 'NotificationConfiguration': EXISTING}
    validate_params('s3', 'put_bucket_notification_configuration', put.params)
    remove = the_call(steps, 'remove_permission')
    assert remove.params == {'FunctionName': FUNCTION_ARN, 'StatementId': SID}
    assert 'ResourceNotFoundException' in remove.ignore_errors
    assert steps[-1] == ForgetResource('resize-s3event')


def test_delete_leaving_no_lambda_entries():
    steps = HOME.plan_delete(dict(RECORD), {'configuration': with_ours({}), 'statements': []},
                             context())
    assert the_call(steps, 'put_bucket_notification_configuration').params == {
        'Bucket': BUCKET, 'NotificationConfiguration': {}}
    assert calls(steps) == [('s3', 'put_bucket_notification_configuration')]


@pytest.mark.parametrize('configuration', [None, EXISTING, {}])
def test_delete_tolerates_what_is_already_gone(configuration):
    # None: the bucket is gone; otherwise our entry is.
    steps = HOME.plan_delete(dict(RECORD), {'configuration': configuration, 'statements': []},
                             context())
    assert steps == [ForgetResource('resize-s3event')]


def test_delete_without_a_remote_read():
    assert HOME.plan_delete(dict(RECORD), None, context()) == [
        ForgetResource('resize-s3event')]


def test_merged_configuration_never_mutates_its_input():
    before = with_ours(EXISTING)
    snapshot = copy.deepcopy(before)
    merged = merged_configuration(before, {'Id': OUR_ID, 'LambdaFunctionArn': 'x',
                                           'Events': []}, ['someone-else'])
    assert before == snapshot
    assert [e['Id'] for e in merged['LambdaFunctionConfigurations']] == [OUR_ID]
    merged['QueueConfigurations'].append({})
    assert before == snapshot


# --------------------------------------------------------------------------
# read -> plan -> execute against a tiny fake S3 + Lambda policy
# --------------------------------------------------------------------------

class FakeBucketAWS:
    """Bucket notification configurations and function policies, nothing else."""

    def __init__(self, buckets):
        self.buckets = {name: copy.deepcopy(c) for name, c in buckets.items()}
        self.policies = {}
        self.calls = []

    @property
    def mutating_calls(self):
        return [c for c in self.calls if not c[1].startswith(('get_', 'list_'))]

    def call(self, service, method, params=None, ignore_errors=(), region=None):
        params = params or {}
        validate_params(service, method, params)
        self.calls.append((service, method))
        try:
            return getattr(self, '_%s' % method)(**params)
        except KeyError as missing:
            code = missing.args[0]
            if code in ignore_errors:
                return None
            error = DeploymentError('%s failed: %s' % (method, code))
            error.error_code = code
            raise error from None

    def _bucket(self, name):
        if name not in self.buckets:
            raise KeyError('NoSuchBucket')
        return self.buckets[name]

    def _get_bucket_notification_configuration(self, Bucket):
        return copy.deepcopy(self._bucket(Bucket))

    def _put_bucket_notification_configuration(self, Bucket, NotificationConfiguration):
        self._bucket(Bucket)
        assert '${' not in json.dumps(NotificationConfiguration)
        self.buckets[Bucket] = copy.deepcopy(NotificationConfiguration)
        return {}

    @staticmethod
    def _name(function):
        return function.rsplit(':', 1)[-1]

    def _get_policy(self, FunctionName):
        statements = self.policies.get(self._name(FunctionName))
        if not statements:
            raise KeyError('ResourceNotFoundException')
        return {'Policy': json.dumps({'Version': '2012-10-17', 'Statement': statements})}

    def _add_permission(self, FunctionName, StatementId, Action, Principal, SourceArn,
                        SourceAccount):
        statements = self.policies.setdefault(self._name(FunctionName), [])
        if any(s['Sid'] == StatementId for s in statements):
            raise KeyError('ResourceConflictException')
        statements.append({
            'Sid': StatementId, 'Effect': 'Allow', 'Principal': {'Service': Principal},
            'Action': Action, 'Resource': FunctionName,
            'Condition': {'ArnLike': {'AWS:SourceArn': SourceArn},
                          'StringEquals': {'AWS:SourceAccount': SourceAccount}}})
        return {}

    def _remove_permission(self, FunctionName, StatementId):
        statements = self.policies.get(self._name(FunctionName)) or []
        if not any(s['Sid'] == StatementId for s in statements):
            raise KeyError('ResourceNotFoundException')
        statements[:] = [s for s in statements if s['Sid'] != StatementId]
        return {}


def deploy(aws, model, state):
    ctx = context()
    record = state.get(model.resource_name)
    remote_state = HOME.read_remote(aws, model, record)
    steps = HOME.plan(model, record, remote_state, ctx)
    before = len(aws.mutating_calls)
    ui = RecordingUI()
    executor = Executor(aws, state, ui, {ARN_VAR: FUNCTION_ARN, 'region': REGION,
                                         'account_id': ACCOUNT, 'partition': 'aws'})
    plan = Plan()
    plan.add(*steps)
    executor.execute(plan)
    return ui.lines, len(aws.mutating_calls) - before


def delete(aws, state):
    record = state.get('resize-s3event')
    plan = Plan()
    plan.add(*HOME.plan_delete(record, HOME.read_remote_for_delete(aws, record), context()))
    Executor(aws, state, RecordingUI()).execute(plan)


def test_deploy_redeploy_update_delete_round_trip(tmp_path):
    aws = FakeBucketAWS({BUCKET: EXISTING})
    state = DeployedState(state_file_path(str(tmp_path), 'dev'))

    lines, mutating = deploy(aws, MODEL, state)
    assert lines == ['Configuring S3 events in bucket my-images to function demo-dev-resize']
    assert mutating == 2
    assert others_of(aws.buckets[BUCKET]) == EXISTING
    assert lambda_entries(aws.buckets[BUCKET], OUR_ID)[0]['LambdaFunctionArn'] == FUNCTION_ARN
    assert state.get('resize-s3event') == RECORD
    assert [s['Sid'] for s in aws.policies['demo-dev-resize']] == [SID]

    lines, mutating = deploy(aws, MODEL, state)
    assert (lines, mutating) == (
        ['No changes to S3 events in bucket my-images to function demo-dev-resize'], 0)

    changed = S3BucketNotification('resize-s3event', BUCKET, FUNCTION, events=MODEL.events,
                                   prefix='images/', suffix='.png')
    lines, mutating = deploy(aws, changed, state)
    assert mutating == 1
    rules = lambda_entries(aws.buckets[BUCKET], OUR_ID)[0]['Filter']['Key']['FilterRules']
    assert rules[1] == {'Name': 'suffix', 'Value': '.png'}
    assert others_of(aws.buckets[BUCKET]) == EXISTING
    assert deploy(aws, changed, state)[1] == 0

    delete(aws, state)
    assert aws.buckets[BUCKET] == EXISTING
    assert aws.policies['demo-dev-resize'] == []
    assert state.get('resize-s3event') is None


def test_delete_when_the_bucket_was_removed(tmp_path):
    aws = FakeBucketAWS({BUCKET: {}})
    state = DeployedState(state_file_path(str(tmp_path), 'dev'))
    deploy(aws, MODEL, state)
    del aws.buckets[BUCKET]
    delete(aws, state)
    assert state.get('resize-s3event') is None
    assert aws.policies['demo-dev-resize'] == []


def test_planner_orders_the_function_before_its_notification():
    application = Application('demo', 'dev', (MODEL,))
    names = [m.resource_name for m in application.ordered()]
    assert names.index('resize') < names.index('resize-s3event')
    state = DeployedState('/does/not/exist/dev.json')
    ctx = context(function_exists=False)
    remote_state = {'default-role': None, 'resize': None,
                    'resize-s3event': remote(EXISTING)}
    plan = plan_deploy(application, state, remote_state, ctx)
    methods = [c.method for c in plan.api_calls]
    assert methods.index('create_function') < methods.index('add_permission') < \
        methods.index('put_bucket_notification_configuration')
