"""chalice.limits agrees with the service models of the installed botocore.

Each constant names the API parameter (shape) it comes from; these tests
read that shape from botocore's model, so a limit that AWS changes shows up
here when botocore is upgraded.
"""
import functools

import pytest
from botocore.loaders import Loader

from chalice import limits


@functools.lru_cache(maxsize=None)
def shapes(service):
    return Loader().load_service_model(service, 'service-2')['shapes']


def member(service, structure, name):
    return shapes(service)[shapes(service)[structure]['members'][name]['shape']]


def bounds(shape):
    return shape.get('min'), shape.get('max')


@pytest.mark.parametrize('structure, name, expected', [
    ('CreateEventSourceMappingRequest', 'BatchSize', limits.BATCH_SIZE),
    ('CreateEventSourceMappingRequest', 'MaximumBatchingWindowInSeconds',
     limits.BATCHING_WINDOW),
    ('ScalingConfig', 'MaximumConcurrency', limits.MAXIMUM_CONCURRENCY),
])
def test_lambda_integer_ranges(structure, name, expected):
    assert bounds(member('lambda', structure, name)) == expected


def test_lambda_patterns_are_the_models():
    lam = shapes('lambda')
    assert lam['RoleArn']['pattern'] == limits.ROLE_ARN_RE.pattern
    assert lam['LayerVersionArn']['pattern'] == limits.LAYER_VERSION_ARN_RE.pattern
    assert lam['EnvironmentVariableName']['pattern'] == limits.ENV_NAME_RE.pattern
    assert (lam['TagKey']['min'], lam['TagKey']['max']) == (1, limits.MAX_TAG_KEY)
    assert lam['TagValue']['max'] == limits.MAX_TAG_VALUE
    assert lam['SubnetIds']['max'] == limits.MAX_SUBNETS
    assert lam['SecurityGroupIds']['max'] == limits.MAX_SECURITY_GROUPS
    # The model's FunctionName pattern ends in the bare name, which ours matches.
    assert '([a-zA-Z0-9-_]+)' in lam['FunctionName']['pattern']
    assert lam['ReservedConcurrentExecutions']['min'] == 0


def test_starting_positions_are_the_models_without_at_timestamp():
    enum = shapes('lambda')['EventSourcePosition']['enum']
    assert set(limits.STARTING_POSITIONS) == set(enum) - {'AT_TIMESTAMP'}


def test_s3_event_types_are_the_models():
    assert set(limits.S3_EVENTS) == set(shapes('s3')['Event']['enum'])


def test_eventbridge_limits():
    assert member('events', 'PutRuleRequest', 'ScheduleExpression')['max'] == \
        limits.MAX_SCHEDULE_EXPRESSION
    assert member('events', 'PutRuleRequest', 'EventPattern')['max'] == \
        limits.MAX_EVENT_PATTERN
    assert member('events', 'PutRuleRequest', 'Description')['max'] == \
        limits.MAX_RULE_DESCRIPTION


def test_stream_and_role_names():
    stream = member('kinesis', 'DescribeStreamInput', 'StreamName')
    assert stream['pattern'] == limits.STREAM_NAME_RE.pattern
    assert stream['max'] == limits.MAX_STREAM_NAME
    arn = member('dynamodbstreams', 'DescribeStreamInput', 'StreamArn')
    assert bounds(arn) == limits.DYNAMODB_STREAM_ARN_LENGTH
    role = member('iam', 'CreateRoleRequest', 'RoleName')
    assert role['pattern'] == limits.ROLE_NAME_RE.pattern
    assert role['max'] == limits.MAX_ROLE_NAME


def test_log_retention_days_are_documented_in_the_model():
    from chalice.config import LOG_RETENTION_DAYS

    documentation = shapes('logs')['Days']['documentation']
    for days in LOG_RETENTION_DAYS:
        assert str(days) in documentation


@pytest.mark.parametrize('value, ok', [
    (1, True), (10000, True), (0, False), (10001, False), (True, False), ('5', False),
    (None, False), (5.0, False)])
def test_between_takes_only_integers_in_range(value, ok):
    assert limits.between(value, limits.BATCH_SIZE) is ok


@pytest.mark.parametrize('name, ok', [
    ('my-bucket', True), ('my.bucket.2', True), ('abc', True), ('Legacy_Bucket', True),
    ('ab', False), ('s3://bucket', False), ('-bucket', False), ('bucket-', False),
    ('my bucket', False), ('arn:aws:s3:::bucket', False), ('a' * 64, True),
    ('a' * 256, False), (None, False)])
def test_bucket_names(name, ok):
    assert limits.is_bucket_name(name) is ok
