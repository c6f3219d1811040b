"""The names Chalice's documentation imports or documents, and the 1.x removals.

Seed list (the docs' API reference) plus the names current Chalice 1.34 adds;
each one is importable from ``chalice`` and is the object ``chalice.app``
defines.  The upgrade notes' removals stay removed.
"""
import importlib

import pytest

import chalice
from chalice import Chalice

SEED_NAMES = [
    'Chalice', 'Blueprint', 'Response', 'CORSConfig', 'IAMAuthorizer',
    'CognitoUserPoolAuthorizer', 'CustomAuthorizer', 'AuthResponse', 'AuthRoute', 'Rate',
    'Cron', 'ChaliceViewError', 'BadRequestError', 'UnauthorizedError', 'ForbiddenError',
    'NotFoundError', 'ConflictError', 'UnprocessableEntityError', 'TooManyRequestsError',
    'WebsocketDisconnectedError',
    # documented classes
    'Request', 'AuthRequest', 'APIGateway', 'WebsocketAPI', 'CloudWatchEvent', 'S3Event',
    'SNSEvent', 'SQSEvent', 'SQSRecord', 'WebsocketEvent',
]
CURRENT_NAMES = [
    'ConvertToMiddleware', 'KinesisEvent', 'KinesisRecord', 'DynamoDBEvent',
    'DynamoDBRecord', 'LambdaFunctionEvent', 'MethodNotAllowedError', 'RequestTimeoutError',
    'ChaliceUnhandledError', 'MultiDict',
]


@pytest.mark.parametrize('name', SEED_NAMES + CURRENT_NAMES)
def test_name_is_importable_from_chalice(name):
    module = importlib.import_module('chalice')
    value = getattr(module, name)
    assert value is getattr(importlib.import_module('chalice.app'), name)
    assert name in chalice.__all__
    namespace = {}
    exec('from chalice import %s' % name, namespace)
    assert namespace[name] is value


@pytest.mark.parametrize('name, status', [
    ('ChaliceViewError', 500), ('BadRequestError', 400), ('UnauthorizedError', 401),
    ('ForbiddenError', 403), ('NotFoundError', 404), ('MethodNotAllowedError', 405),
    ('RequestTimeoutError', 408), ('ConflictError', 409), ('UnprocessableEntityError', 422),
    ('TooManyRequestsError', 429),
])
def test_view_errors_carry_their_status(name, status):
    error_class = getattr(chalice, name)
    assert issubclass(error_class, chalice.ChaliceViewError)
    assert error_class.STATUS_CODE == status


# -- upgrade notes: what 0.8.1 deprecated and 1.0.0b1 removed stays removed ------------

def test_define_authorizer_was_removed_in_1_0_0b1():
    assert not hasattr(Chalice('old'), 'define_authorizer')


def test_route_authorizer_name_argument_is_refused():
    app = Chalice('old')
    with pytest.raises(TypeError, match='authorizer_name'):
        app.route('/', authorizer_name='MyPool')(lambda: {})
    assert app.routes == {}


# -- decorator and constructor signatures (docs API reference; Appendix A for 1.34) ------

_ = object()  # a parameter without a default
SIGNATURES = [
    ('Chalice', None, [('app_name', _), ('debug', False)]),
    ('Chalice', 'route', [('path', _)]),
    ('Chalice', 'authorizer', [('ttl_seconds', None), ('execution_role', None),
                               ('name', None), ('header', 'Authorization')]),
    ('Chalice', 'lambda_function', [('name', None)]),
    ('Chalice', 'schedule', [('expression', _), ('name', None), ('description', '')]),
    ('Chalice', 'on_cw_event', [('event_pattern', None), ('name', None)]),
    ('Chalice', 'on_s3_event', [('bucket', _), ('events', None), ('prefix', None),
                                ('suffix', None), ('name', None)]),
    ('Chalice', 'on_sns_message', [('topic', _), ('name', None)]),
    ('Chalice', 'on_sqs_message', [('queue', None), ('batch_size', 1), ('name', None),
                                   ('queue_arn', None),
                                   ('maximum_batching_window_in_seconds', 0),
                                   ('maximum_concurrency', None)]),
    ('Chalice', 'on_kinesis_record', [('stream', _), ('batch_size', 100),
                                      ('starting_position', 'LATEST'), ('name', None),
                                      ('maximum_batching_window_in_seconds', 0)]),
    ('Chalice', 'on_dynamodb_record', [('stream_arn', _), ('batch_size', 100),
                                       ('starting_position', 'LATEST'), ('name', None),
                                       ('maximum_batching_window_in_seconds', 0)]),
    ('Chalice', 'on_ws_connect', [('name', None)]),
    ('Chalice', 'on_ws_message', [('name', None)]),
    ('Chalice', 'on_ws_disconnect', [('name', None)]),
    ('Chalice', 'middleware', [('event_type', 'all')]),
    ('Chalice', 'register_middleware', [('func', _), ('event_type', 'all')]),
    ('Chalice', 'register_blueprint', [('blueprint', _), ('name_prefix', None),
                                       ('url_prefix', None)]),
    ('Blueprint', None, [('import_name', _)]),
    ('Rate', None, [('value', _), ('unit', _)]),
    ('Cron', None, [('minutes', _), ('hours', _), ('day_of_month', _), ('month', _),
                    ('day_of_week', _), ('year', _)]),
    ('Response', None, [('body', _), ('headers', None), ('status_code', 200)]),
    ('CustomAuthorizer', None, [('name', _), ('authorizer_uri', _), ('ttl_seconds', 300),
                                ('header', 'Authorization')]),
]


@pytest.mark.parametrize('class_name, method, expected', SIGNATURES,
                         ids=['%s.%s' % (c, m or '__init__') for c, m, _e in SIGNATURES])
def test_documented_signature(class_name, method, expected):
    import inspect

    target = getattr(chalice, class_name)
    target = getattr(target, method) if method else target.__init__
    params = [p for p in inspect.signature(target).parameters.values()
              if p.name != 'self' and p.kind is not p.VAR_KEYWORD]
    got = [(p.name, _ if p.default is p.empty else p.default) for p in params]
    # The documented parameters come first, in order; later ones are additions.
    assert got[:len(expected)] == expected
    for param in params[len(expected):]:
        assert param.default is not param.empty, param.name


def test_test_client_signature():
    import inspect

    from chalice.test import Client

    params = list(inspect.signature(Client.__init__).parameters.values())[1:]
    assert [(p.name, p.default) for p in params[:3]] == [
        ('app', inspect.Parameter.empty), ('stage_name', 'dev'), ('project_dir', '.')]
