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
