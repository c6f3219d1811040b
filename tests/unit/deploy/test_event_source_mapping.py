"""Event source mappings (SQS, Kinesis, DynamoDB streams): planning is pure.

Also the remote reader over a small fake, the executor journaling a fresh
mapping, and the AWS client waiting while a mapping is in use.
"""
import dataclasses

import boto3
import pytest
from botocore.stub import Stubber

from chalice.awsclient import AWSClient
from chalice.deploy.executor import Executor
from chalice.deploy.models import (
    Application,
    DeploymentPackage,
    DynamoDBEventSource,
    KinesisEventSource,
    LambdaFunction,
    ManagedIAMRole,
    SQSEventSource,
)
from chalice.deploy.plan import (
    APICall,
    ForgetResource,
    Message,
    Plan,
    RecordResource,
    SetVar,
    Var,
    resolve,
)
from chalice.deploy.planner import PlanContext, plan_delete, plan_deploy
from chalice.deploy.resources import home_for
from chalice.deploy.resources.event_source_mapping import (
    EventSourceMappingHome,
    function_name_of,
)
from chalice.deploy.state import DeployedState
from chalice.errors import DeploymentError
from tests.unit.deploy.fakes import validate_params

REGION, ACCOUNT = 'us-west-2', '123456789012'
PACKAGE = DeploymentPackage('/does/not/exist/deployment.zip', 'c2hhLW9uZQ==', 10)
ROLE = ManagedIAMRole('default-role', 'demo-dev', {'Version': '2012-10-17', 'Statement': []})
QUEUE_ARN = 'arn:aws:sqs:%s:%s:jobs' % (REGION, ACCOUNT)
OTHER_QUEUE_ARN = 'arn:aws:sqs:%s:%s:other' % (REGION, ACCOUNT)
KINESIS_ARN = 'arn:aws:kinesis:%s:%s:stream/clicks' % (REGION, ACCOUNT)
TABLE_STREAM_ARN = ('arn:aws:dynamodb:%s:%s:table/things/stream/2024-01-01T00:00:00.000'
                    % (REGION, ACCOUNT))
UUID = '11111111-2222-3333-4444-555555555555'
NEW_UUID = '99999999-8888-7777-6666-555555555555'


def function(name):
    return LambdaFunction(name, 'demo-dev-%s' % name, 'app.%s' % name, 'python3.11', ROLE,
                          PACKAGE)


def function_arn(name):
    return 'arn:aws:lambda:%s:%s:function:demo-dev-%s' % (REGION, ACCOUNT, name)


SQS = SQSEventSource('on_job-sqs-event-source', function('on_job'), queue='jobs',
                     batch_size=5)
KINESIS = KinesisEventSource('on_click-kinesis-event-source', function('on_click'),
                             stream='clicks')
DYNAMODB = DynamoDBEventSource('on_change-dynamodb-event-source', function('on_change'),
                               stream_arn=TABLE_STREAM_ARN, batch_size=50,
                               starting_position='TRIM_HORIZON')
# By resource type: models hold dicts, so they are not hashable.
SOURCE_ARNS = {'sqs_event': QUEUE_ARN, 'kinesis_event': KINESIS_ARN,
               'dynamodb_event': TABLE_STREAM_ARN}


def ctx(partition='aws', known=True):
    context = PlanContext(region=REGION, account_id=ACCOUNT, partition=partition)
    if known:
        for model in (SQS, KINESIS, DYNAMODB):
            name = model.function.resource_name
            context.known['%s.lambda_arn' % name] = function_arn(name)
    return context


def mapping(model, uuid=UUID, source_arn=None, state='Enabled', **extra):
    """A mapping as Lambda describes it, matching ``model`` unless told otherwise."""
    described = {
        'UUID': uuid,
        'EventSourceArn': source_arn or SOURCE_ARNS[model.resource_type],
        'FunctionArn': function_arn(model.function.resource_name),
        'BatchSize': model.batch_size,
        'MaximumBatchingWindowInSeconds': model.maximum_batching_window_in_seconds,
        'State': state,
    }
    if isinstance(model, SQSEventSource) and model.maximum_concurrency is not None:
        described['ScalingConfig'] = {'MaximumConcurrency': model.maximum_concurrency}
    if not isinstance(model, SQSEventSource):
        described['StartingPosition'] = model.starting_position
    described.update(extra)
    return described


def record_of(model, uuid=UUID, **changes):
    home = home_for(model.resource_type)
    values = {'name': model.resource_name, 'resource_type': model.resource_type,
              home.source_key: home.source_name(model),
              home.arn_key: SOURCE_ARNS[model.resource_type],
              'event_source_arn': SOURCE_ARNS[model.resource_type], 'event_uuid': uuid,
              'lambda_arn': function_arn(model.function.resource_name)}
    values.update(changes)
    return values


def plan_for(model, record=None, remote=None, context=None):
    return home_for(model.resource_type).plan(model, record, remote, context or ctx())


def existing(model, **extra):
    return {'recorded': mapping(model, **extra), 'matching': []}


def mutating(steps):
    return [s for s in steps if isinstance(s, APICall) and s.mutating]


def messages(steps):
    return [s.text for s in steps if isinstance(s, Message)] + \
        [s.message for s in steps if isinstance(s, APICall) and s.message]


def validated(step, variables=None):
    """The call's parameters with placeholders resolved, checked against botocore."""
    known = dict(ctx().known, **(variables or {}))
    params = resolve(step.params, lambda var: known[var.name])
    validate_params(step.service, step.method, params)
    return params


# --------------------------------------------------------------------------
# registration and small helpers
# --------------------------------------------------------------------------

@pytest.mark.parametrize('resource_type', ['sqs_event', 'kinesis_event', 'dynamodb_event'])
def test_one_implementation_three_registered_homes(resource_type):
    home = home_for(resource_type)
    assert isinstance(home, EventSourceMappingHome)
    assert home.resource_type == resource_type


@pytest.mark.parametrize('arn, name', [
    ('arn:aws:lambda:us-west-2:1:function:demo-dev-x', 'demo-dev-x'),
    ('arn:aws:lambda:us-west-2:1:function:demo-dev-x:live', 'demo-dev-x'),
    ('demo-dev-x', 'demo-dev-x'),
])
def test_function_name_of(arn, name):
    assert function_name_of(arn) == name


# --------------------------------------------------------------------------
# creating
# --------------------------------------------------------------------------

def test_fresh_sqs_mapping_is_created_then_recorded_at_once():
    steps = plan_for(SQS)
    lambda_arn = Var('on_job.lambda_arn')
    assert steps == [
        APICall('lambda', 'create_event_source_mapping', {
            'EventSourceArn': QUEUE_ARN, 'FunctionName': lambda_arn, 'BatchSize': 5,
            'MaximumBatchingWindowInSeconds': 0},
            outputs={'on_job-sqs-event-source.event_uuid': 'UUID'},
            message='Subscribing demo-dev-on_job to SQS queue jobs'),
        RecordResource('on_job-sqs-event-source', 'sqs_event', {
            'queue': 'jobs', 'queue_arn': QUEUE_ARN, 'event_source_arn': QUEUE_ARN,
            'event_uuid': Var('on_job-sqs-event-source.event_uuid'),
            'lambda_arn': lambda_arn}),
    ]
    validated(steps[0])


def test_fresh_kinesis_mapping_has_a_starting_position():
    steps = plan_for(KINESIS)
    assert steps[0].params == {
        'EventSourceArn': KINESIS_ARN, 'FunctionName': Var('on_click.lambda_arn'),
        'BatchSize': 100, 'MaximumBatchingWindowInSeconds': 0, 'StartingPosition': 'LATEST'}
    assert steps[0].message == 'Subscribing demo-dev-on_click to Kinesis stream clicks'
    assert steps[1] == RecordResource('on_click-kinesis-event-source', 'kinesis_event', {
        'stream': 'clicks', 'kinesis_arn': KINESIS_ARN, 'event_source_arn': KINESIS_ARN,
        'event_uuid': Var('on_click-kinesis-event-source.event_uuid'),
        'lambda_arn': Var('on_click.lambda_arn')})
    validated(steps[0])


def test_fresh_dynamodb_mapping_uses_the_stream_arn():
    steps = plan_for(DYNAMODB)
    assert steps[0].params == {
        'EventSourceArn': TABLE_STREAM_ARN, 'FunctionName': Var('on_change.lambda_arn'),
        'BatchSize': 50, 'MaximumBatchingWindowInSeconds': 0,
        'StartingPosition': 'TRIM_HORIZON'}
    assert steps[0].message == ('Subscribing demo-dev-on_change to DynamoDB stream %s'
                                % TABLE_STREAM_ARN)
    assert steps[1].values['stream_arn'] == TABLE_STREAM_ARN
    assert steps[1].values['event_source_arn'] == TABLE_STREAM_ARN
    validated(steps[0])


def test_sqs_queue_arn_and_maximum_concurrency():
    model = dataclasses.replace(SQS, queue=None, queue_arn='arn:aws:sqs:eu-west-1:999:far',
                                maximum_concurrency=7, maximum_batching_window_in_seconds=2)
    create, record = plan_for(model)
    assert create.params['EventSourceArn'] == 'arn:aws:sqs:eu-west-1:999:far'
    assert create.params['ScalingConfig'] == {'MaximumConcurrency': 7}
    assert create.params['MaximumBatchingWindowInSeconds'] == 2
    assert create.message == 'Subscribing demo-dev-on_job to SQS queue far'
    assert record.values['queue'] == 'far'
    validated(create)


def test_fifo_queue_is_named_with_its_suffix():
    # A FIFO queue is given by its name, .fifo included, like any other queue.
    model = dataclasses.replace(SQS, queue='jobs.fifo', batch_size=10)
    create, record = plan_for(model)
    fifo_arn = 'arn:aws:sqs:%s:%s:jobs.fifo' % (REGION, ACCOUNT)
    assert create.params['EventSourceArn'] == fifo_arn
    assert create.params['BatchSize'] == 10
    assert create.message == 'Subscribing demo-dev-on_job to SQS queue jobs.fifo'
    assert (record.values['queue'], record.values['queue_arn']) == ('jobs.fifo', fifo_arn)
    validated(create)


@pytest.mark.parametrize('model, expected', [
    (SQS, 'arn:aws-cn:sqs:cn-north-1:%s:jobs' % ACCOUNT),
    (KINESIS, 'arn:aws-cn:kinesis:cn-north-1:%s:stream/clicks' % ACCOUNT),
])
def test_source_arn_follows_partition_and_region(model, expected):
    context = PlanContext(region='cn-north-1', account_id=ACCOUNT, partition='aws-cn')
    steps = home_for(model.resource_type).plan(model, None, None, context)
    assert steps[0].params['EventSourceArn'] == expected


def test_recorded_mapping_that_is_gone_is_created_again():
    steps = plan_for(SQS, record_of(SQS), None)
    assert [s.method for s in mutating(steps)] == ['create_event_source_mapping']
    assert isinstance(steps[-1], RecordResource)


# --------------------------------------------------------------------------
# no changes
# --------------------------------------------------------------------------

@pytest.mark.parametrize('model', [SQS, KINESIS, DYNAMODB], ids=lambda m: m.resource_type)
def test_unchanged_mapping_makes_no_mutating_calls(model):
    steps = plan_for(model, record_of(model), existing(model))
    assert mutating(steps) == []
    assert steps[0] == SetVar('%s.event_uuid' % model.resource_name, UUID)
    assert not [s for s in steps if isinstance(s, (RecordResource, ForgetResource))]
    [text] = messages(steps)
    assert text.startswith('No changes to subscription of %s to '
                           % model.function.function_name)


def test_no_change_messages_name_function_and_source():
    texts = [messages(plan_for(m, record_of(m), existing(m)))[0]
             for m in (SQS, KINESIS, DYNAMODB)]
    assert texts == [
        'No changes to subscription of demo-dev-on_job to SQS queue jobs',
        'No changes to subscription of demo-dev-on_click to Kinesis stream clicks',
        'No changes to subscription of demo-dev-on_change to DynamoDB stream %s'
        % TABLE_STREAM_ARN,
    ]


def test_unchanged_sqs_mapping_with_concurrency_and_window():
    model = dataclasses.replace(SQS, maximum_concurrency=3,
                                maximum_batching_window_in_seconds=4)
    assert mutating(plan_for(model, record_of(model), existing(model))) == []


def test_absent_window_counts_as_zero():
    described = mapping(SQS)
    del described['MaximumBatchingWindowInSeconds']
    steps = plan_for(SQS, record_of(SQS), {'recorded': described, 'matching': []})
    assert mutating(steps) == []


def test_changed_starting_position_keeps_the_existing_stream_mapping():
    model = dataclasses.replace(KINESIS, starting_position='TRIM_HORIZON')
    steps = plan_for(model, record_of(model), existing(KINESIS))
    assert mutating(steps) == []


def test_unrecorded_existing_mapping_is_adopted_and_recorded():
    """A create whose response was lost: the rerun finds the mapping by listing."""
    steps = plan_for(SQS, None, {'recorded': None, 'matching': [mapping(SQS)]})
    assert mutating(steps) == []
    assert RecordResource(SQS.resource_name, 'sqs_event', {
        k: v for k, v in record_of(SQS).items() if k not in ('name', 'resource_type')}) \
        in steps


def test_record_is_rewritten_when_it_differs():
    stale_record = record_of(SQS)
    del stale_record['lambda_arn']
    steps = plan_for(SQS, stale_record, existing(SQS))
    [record] = [s for s in steps if isinstance(s, RecordResource)]
    assert record.values['lambda_arn'] == function_arn('on_job')
    assert record.values['event_uuid'] == UUID
    assert mutating(steps) == []


def test_lambda_arn_falls_back_to_the_mapping_when_not_known():
    steps = plan_for(SQS, None, {'recorded': None, 'matching': [mapping(SQS)]},
                     ctx(known=False))
    [record] = [s for s in steps if isinstance(s, RecordResource)]
    assert record.values['lambda_arn'] == function_arn('on_job')


# --------------------------------------------------------------------------
# updates in place
# --------------------------------------------------------------------------

def update_of(steps):
    [call] = mutating(steps)
    assert call.method == 'update_event_source_mapping'
    return call


def test_changed_batch_size_is_updated():
    model = dataclasses.replace(SQS, batch_size=9)
    steps = plan_for(model, record_of(model), existing(SQS))
    call = update_of(steps)
    assert call.params == {'UUID': UUID, 'BatchSize': 9, 'MaximumBatchingWindowInSeconds': 0}
    assert call.message == 'Updating subscription of demo-dev-on_job to SQS queue jobs'
    assert not [s for s in steps if isinstance(s, Message)]
    validated(call)


def test_changed_batching_window_is_updated():
    model = dataclasses.replace(KINESIS, maximum_batching_window_in_seconds=30)
    call = update_of(plan_for(model, record_of(model), existing(KINESIS)))
    assert call.params == {'UUID': UUID, 'BatchSize': 100,
                           'MaximumBatchingWindowInSeconds': 30}
    assert call.message == 'Updating subscription of demo-dev-on_click to Kinesis stream clicks'


def test_dynamodb_batch_size_is_updated():
    model = dataclasses.replace(DYNAMODB, batch_size=500)
    call = update_of(plan_for(model, record_of(model), existing(DYNAMODB)))
    assert call.params['BatchSize'] == 500
    assert 'ScalingConfig' not in call.params


def test_maximum_concurrency_added():
    model = dataclasses.replace(SQS, maximum_concurrency=5)
    call = update_of(plan_for(model, record_of(model), existing(SQS)))
    assert call.params == {'UUID': UUID, 'BatchSize': 5, 'MaximumBatchingWindowInSeconds': 0,
                           'ScalingConfig': {'MaximumConcurrency': 5}}
    validated(call)


def test_maximum_concurrency_changed():
    model = dataclasses.replace(SQS, maximum_concurrency=5)
    remote = existing(SQS, ScalingConfig={'MaximumConcurrency': 2})
    call = update_of(plan_for(model, record_of(model), remote))
    assert call.params['ScalingConfig'] == {'MaximumConcurrency': 5}


def test_maximum_concurrency_removed_with_an_empty_scaling_config():
    remote = existing(SQS, ScalingConfig={'MaximumConcurrency': 2})
    call = update_of(plan_for(SQS, record_of(SQS), remote))
    assert call.params['ScalingConfig'] == {}
    validated(call)


def test_empty_scaling_config_means_no_limit():
    remote = existing(SQS, ScalingConfig={})
    assert mutating(plan_for(SQS, record_of(SQS), remote)) == []


def test_an_update_keeps_the_concurrency_it_does_not_change():
    model = dataclasses.replace(SQS, maximum_concurrency=5, batch_size=8)
    remote = existing(SQS, ScalingConfig={'MaximumConcurrency': 5})
    call = update_of(plan_for(model, record_of(model), remote))
    assert call.params['ScalingConfig'] == {'MaximumConcurrency': 5}
    assert call.params['BatchSize'] == 8


# --------------------------------------------------------------------------
# replacing
# --------------------------------------------------------------------------

def test_changed_queue_deletes_the_old_mapping_then_creates_a_new_one():
    model = dataclasses.replace(SQS, queue='other')
    old = mapping(SQS)  # still on the old queue
    steps = plan_for(model, record_of(SQS), {'recorded': old, 'matching': []})
    assert steps[0] == APICall(
        'lambda', 'delete_event_source_mapping', {'UUID': UUID},
        message='Unsubscribing demo-dev-on_job from SQS queue jobs',
        ignore_errors=('ResourceNotFoundException',))
    assert steps[1] == ForgetResource(SQS.resource_name)
    assert steps[2].method == 'create_event_source_mapping'
    assert steps[2].params['EventSourceArn'] == OTHER_QUEUE_ARN
    assert steps[2].message == 'Subscribing demo-dev-on_job to SQS queue other'
    assert steps[3] == RecordResource(SQS.resource_name, 'sqs_event', {
        'queue': 'other', 'queue_arn': OTHER_QUEUE_ARN, 'event_source_arn': OTHER_QUEUE_ARN,
        'event_uuid': Var('%s.event_uuid' % SQS.resource_name),
        'lambda_arn': Var('on_job.lambda_arn')})
    assert len(steps) == 4


def test_changed_stream_replaces_the_kinesis_mapping():
    model = dataclasses.replace(KINESIS, stream='views')
    steps = plan_for(model, record_of(KINESIS), existing(KINESIS))
    assert [s.method for s in mutating(steps)] == ['delete_event_source_mapping',
                                                  'create_event_source_mapping']
    assert steps[0].message == 'Unsubscribing demo-dev-on_click from Kinesis stream clicks'
    assert steps[2].params['EventSourceArn'] == \
        'arn:aws:kinesis:%s:%s:stream/views' % (REGION, ACCOUNT)


def test_changed_queue_adopts_an_existing_mapping_on_the_new_queue():
    model = dataclasses.replace(SQS, queue='other')
    remote = {'recorded': mapping(SQS),
              'matching': [mapping(SQS, uuid=NEW_UUID, source_arn=OTHER_QUEUE_ARN)]}
    steps = plan_for(model, record_of(SQS), remote)
    assert [s.method for s in mutating(steps)] == ['delete_event_source_mapping']
    assert steps[1] == ForgetResource(SQS.resource_name)
    [record] = [s for s in steps if isinstance(s, RecordResource)]
    assert record.values['event_uuid'] == NEW_UUID
    assert record.values['event_source_arn'] == OTHER_QUEUE_ARN
    assert steps.index(record) > 1


def test_recorded_mapping_of_another_function_is_replaced():
    other = mapping(SQS, FunctionArn=function_arn('somebody_else'))
    steps = plan_for(SQS, record_of(SQS), {'recorded': other, 'matching': []})
    assert [s.method for s in mutating(steps)] == ['delete_event_source_mapping',
                                                  'create_event_source_mapping']
    assert steps[0].message == 'Unsubscribing demo-dev-somebody_else from SQS queue jobs'


def test_listed_mappings_for_other_sources_are_ignored():
    remote = {'recorded': None,
              'matching': [mapping(SQS, source_arn=OTHER_QUEUE_ARN)]}
    steps = plan_for(SQS, None, remote)
    assert [s.method for s in mutating(steps)] == ['create_event_source_mapping']


# --------------------------------------------------------------------------
# deleting
# --------------------------------------------------------------------------

@pytest.mark.parametrize('model, described', [
    (SQS, 'SQS queue jobs'),
    (KINESIS, 'Kinesis stream clicks'),
    (DYNAMODB, 'DynamoDB stream %s' % TABLE_STREAM_ARN),
], ids=['sqs', 'kinesis', 'dynamodb'])
def test_delete_tolerates_a_gone_mapping_and_forgets_it(model, described):
    record = record_of(model)
    steps = home_for(model.resource_type).plan_delete(record, None, ctx())
    assert steps == [
        APICall('lambda', 'delete_event_source_mapping', {'UUID': UUID},
                message='Unsubscribing %s from %s' % (model.function.function_name,
                                                      described),
                ignore_errors=('ResourceNotFoundException',)),
        ForgetResource(model.resource_name),
    ]
    validated(steps[0])


def test_delete_of_a_record_without_uuid_only_forgets_it():
    record = record_of(SQS)
    del record['event_uuid']
    assert home_for('sqs_event').plan_delete(record, None, ctx()) == [
        ForgetResource(SQS.resource_name)]


class MemoryState(DeployedState):
    def __init__(self, resources=()):
        super().__init__('/nonexistent/dev.json', list(resources))
        self.saves = 0

    def save(self):
        self.saves += 1


def test_planner_deletes_an_unwanted_mapping_before_its_function():
    state = MemoryState([
        {'name': 'default-role', 'resource_type': 'iam_role', 'role_name': 'demo-dev',
         'role_arn': 'arn:aws:iam::%s:role/demo-dev' % ACCOUNT},
        {'name': 'on_job', 'resource_type': 'lambda_function',
         'lambda_arn': function_arn('on_job')},
        record_of(SQS),
    ])
    plan = plan_delete(state, {}, ctx())
    methods = [s.method for s in plan.api_calls]
    assert methods.index('delete_event_source_mapping') < methods.index('delete_function')

    application = Application('demo', 'dev', (function('on_job'),))
    remote = {'default-role': {'arn': 'arn:aws:iam::%s:role/demo-dev' % ACCOUNT,
                               'trust_policy': ROLE.trust_policy,
                               'policy': ROLE.policy_document}}
    plan = plan_deploy(application, state, remote, ctx())
    assert [s.method for s in plan.mutating_calls][-1] == 'delete_event_source_mapping'
    assert plan.steps[-1] == ForgetResource(SQS.resource_name)


def test_planner_orders_the_function_before_its_mapping():
    application = Application('demo', 'dev', (SQS,))
    plan = plan_deploy(application, MemoryState(), {}, ctx(known=False))
    methods = [s.method for s in plan.mutating_calls]
    assert methods.index('create_function') < methods.index('create_event_source_mapping')


# --------------------------------------------------------------------------
# reading AWS (a small fake) and executing
# --------------------------------------------------------------------------

class FakeLambda:
    """Just enough of AWSClient for event source mappings: records every call."""

    def __init__(self, mappings=(), page_size=50):
        self.region, self.account_id, self.partition = REGION, ACCOUNT, 'aws'
        self.mappings = {m['UUID']: dict(m) for m in mappings}
        self.page_size = page_size
        self.calls = []
        self.next_uuid = NEW_UUID

    def call(self, service, method, params=None, ignore_errors=(), region=None):
        params = dict(params or {})
        assert service == 'lambda'
        validate_params(service, method, params)
        self.calls.append((method, params))
        try:
            return getattr(self, method)(**params)
        except DeploymentError as error:
            if error.error_code in ignore_errors:
                return None
            raise

    @staticmethod
    def _not_found():
        error = DeploymentError('lambda:GetEventSourceMapping failed: '
                                'ResourceNotFoundException')
        error.error_code = 'ResourceNotFoundException'
        return error

    def get_event_source_mapping(self, UUID):
        if UUID not in self.mappings:
            raise self._not_found()
        return dict(self.mappings[UUID])

    def list_event_source_mappings(self, EventSourceArn=None, FunctionName=None, Marker=None):
        found = [m for m in self.mappings.values()
                 if EventSourceArn in (None, m['EventSourceArn']) and
                 FunctionName in (None, function_name_of(m['FunctionArn']),
                                  m['FunctionArn'])]
        start = int(Marker or 0)
        page = {'EventSourceMappings': found[start:start + self.page_size]}
        if start + self.page_size < len(found):
            page['NextMarker'] = str(start + self.page_size)
        return page

    def create_event_source_mapping(self, **params):
        described = {'UUID': self.next_uuid, 'EventSourceArn': params['EventSourceArn'],
                     'FunctionArn': params['FunctionName'], 'BatchSize': params['BatchSize'],
                     'State': 'Creating'}
        self.mappings[described['UUID']] = described
        return dict(described)

    def update_event_source_mapping(self, UUID, **params):
        if UUID not in self.mappings:
            raise self._not_found()
        self.mappings[UUID].update(params)
        return dict(self.mappings[UUID])

    def delete_event_source_mapping(self, UUID):
        if UUID not in self.mappings:
            raise self._not_found()
        return dict(self.mappings.pop(UUID), State='Deleting')


def read(model, aws, record=None):
    return home_for(model.resource_type).read_remote(aws, model, record)


def test_read_remote_of_nothing_is_none_and_lists_by_source_and_function():
    aws = FakeLambda()
    assert read(SQS, aws) is None
    assert aws.calls == [('list_event_source_mappings', {
        'EventSourceArn': QUEUE_ARN, 'FunctionName': 'demo-dev-on_job'})]


def test_read_remote_finds_the_recorded_mapping_by_uuid():
    aws = FakeLambda([mapping(SQS)])
    remote = read(SQS, aws, record_of(SQS))
    assert remote == {'recorded': mapping(SQS), 'matching': []}
    assert [c[0] for c in aws.calls] == ['get_event_source_mapping',
                                         'list_event_source_mappings']
    assert all(not c[0].startswith(('create', 'update', 'delete')) for c in aws.calls)


def test_read_remote_with_a_gone_recorded_mapping():
    aws = FakeLambda()
    assert read(KINESIS, aws, record_of(KINESIS)) is None


def test_read_remote_leaves_out_mappings_being_deleted():
    aws = FakeLambda([mapping(SQS, state='Deleting'),
                      mapping(SQS, uuid=NEW_UUID, state='Deleting')])
    assert read(SQS, aws, record_of(SQS)) is None


def test_read_remote_reports_the_recorded_mapping_on_an_old_source():
    old = mapping(SQS, source_arn=OTHER_QUEUE_ARN)
    aws = FakeLambda([old, mapping(SQS, uuid=NEW_UUID)])
    remote = read(SQS, aws, record_of(SQS))
    assert remote['recorded'] == old
    assert [m['UUID'] for m in remote['matching']] == [NEW_UUID]


def test_read_remote_follows_pages():
    mappings = [mapping(KINESIS, uuid='u%d' % i) for i in range(5)]
    aws = FakeLambda(mappings, page_size=2)
    remote = read(KINESIS, aws)
    assert [m['UUID'] for m in remote['matching']] == ['u0', 'u1', 'u2', 'u3', 'u4']
    assert [c[1].get('Marker') for c in aws.calls] == [None, '2', '4']


def execute(model, aws, state, context=None):
    context = context or ctx()
    remote = read(model, aws, state.get(model.resource_name))
    plan = Plan()
    plan.add(*home_for(model.resource_type).plan(model, state.get(model.resource_name),
                                                 remote, context))
    lines = []

    class UI:
        def write(self, line):
            lines.append(line)

    variables = dict(context.known, region=REGION, account_id=ACCOUNT, partition='aws')
    Executor(aws, state, UI(), variables).execute(plan)
    return plan, lines


def test_executing_a_fresh_plan_journals_the_new_uuid():
    aws, state = FakeLambda(), MemoryState()
    _, lines = execute(SQS, aws, state)
    assert lines == ['Subscribing demo-dev-on_job to SQS queue jobs']
    assert state.get(SQS.resource_name) == record_of(SQS, uuid=NEW_UUID)
    assert state.saves == 1
    # Converged: a second run is reads only.
    aws.calls.clear()
    plan, lines = execute(SQS, aws, state)
    assert plan.mutating_calls == []
    assert lines == ['No changes to subscription of demo-dev-on_job to SQS queue jobs']
    assert state.saves == 1


def test_executing_a_queue_change_journals_forget_then_record():
    aws, state = FakeLambda([mapping(SQS)]), MemoryState([record_of(SQS)])
    model = dataclasses.replace(SQS, queue='other')
    execute(model, aws, state)
    assert list(aws.mappings) == [NEW_UUID]
    assert aws.mappings[NEW_UUID]['EventSourceArn'] == OTHER_QUEUE_ARN
    assert state.get(SQS.resource_name)['event_uuid'] == NEW_UUID
    assert state.saves == 2  # forgotten, then recorded


# --------------------------------------------------------------------------
# AWSClient: waiting while a mapping is in use
# --------------------------------------------------------------------------

class Sleeps(list):
    def __call__(self, seconds):
        self.append(seconds)


@pytest.fixture
def sleeps():
    return Sleeps()


@pytest.fixture
def client(sleeps):
    session = boto3.session.Session(aws_access_key_id='testing',
                                    aws_secret_access_key='testing', region_name=REGION)
    return AWSClient(session, sleep=sleeps, max_ready_wait=20.0)


@pytest.fixture
def lambda_stub(client):
    stubber = Stubber(client.client('lambda'))
    stubber.activate()
    yield stubber
    stubber.assert_no_pending_responses()
    stubber.deactivate()


IN_USE = ('Cannot update the event source mapping because it is in use (state: Creating).')


@pytest.mark.parametrize('method, params', [
    ('update_event_source_mapping', {'UUID': UUID, 'BatchSize': 3}),
    ('delete_event_source_mapping', {'UUID': UUID}),
])
def test_mapping_in_use_is_retried_with_back_off(client, lambda_stub, sleeps, method, params):
    for _ in range(3):
        lambda_stub.add_client_error(method, 'ResourceInUseException', IN_USE,
                                     expected_params=params)
    lambda_stub.add_response(method, {'UUID': UUID, 'State': 'Updating'},
                             expected_params=params)
    response = client.call('lambda', method, params)
    assert response['UUID'] == UUID
    assert sleeps == [1.0, 2.0, 4.0]
    assert client.calls == [('lambda', method)] * 4


def test_mapping_in_use_gives_up_after_the_ready_wait(client, lambda_stub, sleeps):
    for _ in range(6):
        lambda_stub.add_client_error('update_event_source_mapping', 'ResourceInUseException',
                                     IN_USE)
    with pytest.raises(DeploymentError) as excinfo:
        client.call('lambda', 'update_event_source_mapping', {'UUID': UUID, 'BatchSize': 3})
    assert 'ResourceInUseException' in str(excinfo.value)
    assert 'UpdateEventSourceMapping' in str(excinfo.value)
    assert sleeps == [1.0, 2.0, 4.0, 8.0, 10.0]


def test_other_mapping_errors_are_not_retried(client, lambda_stub, sleeps):
    lambda_stub.add_client_error('update_event_source_mapping', 'InvalidParameterValueException',
                                 'BatchSize too large')
    with pytest.raises(DeploymentError):
        client.call('lambda', 'update_event_source_mapping', {'UUID': UUID, 'BatchSize': 99})
    assert sleeps == []


def test_deleting_a_gone_mapping_is_ignored_when_asked(client, lambda_stub, sleeps):
    lambda_stub.add_client_error('delete_event_source_mapping', 'ResourceNotFoundException',
                                 'gone', http_status_code=404)
    assert client.call('lambda', 'delete_event_source_mapping', {'UUID': UUID},
                       ignore_errors=('ResourceNotFoundException',)) is None
    assert sleeps == []


# --------------------------------------------------------------------------
# partial batch responses (report_batch_item_failures)
# --------------------------------------------------------------------------

REPORTING = [dataclasses.replace(m, report_batch_item_failures=True)
             for m in (SQS, KINESIS, DYNAMODB)]


@pytest.mark.parametrize('model', REPORTING, ids=lambda m: m.resource_type)
def test_fresh_mapping_reports_batch_item_failures(model):
    create, record = plan_for(model)
    assert create.params['FunctionResponseTypes'] == ['ReportBatchItemFailures']
    # The record keeps its fields: the setting lives on the mapping only.
    assert 'FunctionResponseTypes' not in record.values
    validated(create)


@pytest.mark.parametrize('model', [SQS, KINESIS, DYNAMODB], ids=lambda m: m.resource_type)
def test_mapping_without_the_option_sends_no_function_response_types(model):
    create, _ = plan_for(model)
    assert 'FunctionResponseTypes' not in create.params


@pytest.mark.parametrize('model', REPORTING, ids=lambda m: m.resource_type)
def test_reporting_turned_on_updates_the_mapping(model):
    plain = dataclasses.replace(model, report_batch_item_failures=False)
    call = update_of(plan_for(model, record_of(model), existing(plain)))
    assert call.params['FunctionResponseTypes'] == ['ReportBatchItemFailures']
    assert call.params['BatchSize'] == model.batch_size
    validated(call)


@pytest.mark.parametrize('model', REPORTING, ids=lambda m: m.resource_type)
def test_reporting_turned_off_clears_the_response_types(model):
    plain = dataclasses.replace(model, report_batch_item_failures=False)
    remote = existing(model, FunctionResponseTypes=['ReportBatchItemFailures'])
    call = update_of(plan_for(plain, record_of(plain), remote))
    assert call.params['FunctionResponseTypes'] == []
    validated(call)


@pytest.mark.parametrize('model', REPORTING, ids=lambda m: m.resource_type)
def test_unchanged_reporting_mapping_makes_no_calls(model):
    remote = existing(model, FunctionResponseTypes=['ReportBatchItemFailures'])
    assert mutating(plan_for(model, record_of(model), remote)) == []


def test_no_response_types_described_as_none_or_empty_is_unchanged():
    for described in (None, []):
        remote = existing(SQS, FunctionResponseTypes=described)
        assert mutating(plan_for(SQS, record_of(SQS), remote)) == []


def test_sqs_update_carries_concurrency_and_response_types_together():
    model = dataclasses.replace(SQS, maximum_concurrency=5, report_batch_item_failures=True)
    call = update_of(plan_for(model, record_of(model), existing(SQS)))
    assert call.params['ScalingConfig'] == {'MaximumConcurrency': 5}
    assert call.params['FunctionResponseTypes'] == ['ReportBatchItemFailures']
    validated(call)
