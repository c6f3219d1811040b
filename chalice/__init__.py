"""chalice: a Python serverless microframework for AWS.

The public names (``from chalice import Chalice, Response, ...``) live in
:mod:`chalice.app` and are loaded on first use, so that tools which only
need ``chalice.__version__`` (the CLI's ``--version``, packaging) do not pay
for importing the runtime.
"""
__version__ = '1.34.0'

_PUBLIC_NAMES = (
    'ALL_ERRORS', 'APIGateway', 'AuthRequest', 'AuthResponse', 'AuthRoute',
    'BadRequestError', 'Blueprint', 'Chalice', 'ChaliceError', 'ChaliceUnhandledError',
    'ChaliceViewError',
    'CloudWatchEvent', 'CognitoUserPoolAuthorizer', 'ConflictError', 'ConvertToMiddleware',
    'CORSConfig', 'Cron', 'CustomAuthorizer', 'DynamoDBEvent', 'DynamoDBRecord',
    'ForbiddenError', 'IAMAuthorizer', 'JWTAuthorizer', 'KinesisEvent', 'KinesisRecord',
    'LambdaFunctionEvent',
    'MethodNotAllowedError', 'MultiDict', 'NotFoundError', 'Rate', 'Request',
    'RequestTimeoutError', 'Response', 'S3Event', 'SNSEvent', 'SQSEvent', 'SQSRecord',
    'TooManyRequestsError', 'UnauthorizedError', 'UnprocessableEntityError', 'WebsocketAPI',
    'WebsocketDisconnectedError', 'WebsocketEvent',
)

__all__ = list(_PUBLIC_NAMES)


def __getattr__(name):
    if name in _PUBLIC_NAMES:
        from chalice import app

        value = getattr(app, name)
        globals()[name] = value  # later lookups skip this function
        return value
    raise AttributeError("module 'chalice' has no attribute %r" % name)


def __dir__():
    return sorted(set(globals()).union(_PUBLIC_NAMES))
