"""``chalice.test.Client``: exercise an app in-process, as Lambda would run it.

::

    from chalice.test import Client

    with Client(app, stage_name='dev') as client:
        response = client.http.get('/users/1')
        assert response.json_body == {'id': '1'}
        result = client.lambda_.invoke('handler', {'key': 'value'})
        event = client.events.generate_sns_event(message='hello')
        client.lambda_.invoke('on_message', event)

The HTTP side answers through the same gateway as ``chalice local``
(:class:`chalice.gateway.LocalGateway`): the same route matching, built-in
authorizers (401/403 as API Gateway answers), proxy events and response
checks, so both give the same status and body, byte for byte; the reason a
response was invalid is logged on the ``chalice.test`` logger.  An exception
escaping the app is raised to the test.  While the client is open, the
stage's environment variables from ``.chalice/config.json`` are applied to
``os.environ`` and restored afterwards.
"""
import base64
import hashlib
import json
import logging
import os
import time
import uuid
from urllib.parse import quote_plus

from chalice.config import lambda_settings
from chalice.proxy import LambdaContext

_REGION = 'us-west-2'
_ACCOUNT = '123456789012'


LOG = logging.getLogger('chalice.test')


class FunctionNotFoundError(ValueError):
    """``client.lambda_.invoke`` was given a name the app does not define."""


class HTTPResponse:
    """Status code, headers (a dict) and body (bytes) of an HTTP response."""

    def __init__(self, status_code, headers, body):
        self.status_code = status_code
        self.headers = headers
        self.body = body

    @property
    def json_body(self):
        """The body parsed as JSON (None when empty); ValueError if not JSON."""
        return json.loads(self.body) if self.body else None

    def __repr__(self):
        return 'HTTPResponse(status_code=%r, headers=%r, body=%r)' % (
            self.status_code, self.headers, self.body)


class InvokeResponse:
    """The value a Lambda function returned, as ``payload``."""

    def __init__(self, payload):
        self.payload = payload

    def __repr__(self):
        return 'InvokeResponse(payload=%r)' % (self.payload,)


class _Environment:
    """Applies a stage's environment variables and restores the old ones."""

    def __init__(self):
        self._saved = []

    def push(self, variables):
        saved = {name: os.environ.get(name) for name in variables}
        self._saved.append(saved)
        os.environ.update(variables)

    def pop(self):
        for name, value in self._saved.pop().items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value

    def pop_all(self):
        while self._saved:
            self.pop()

    def suspend(self):
        """Undo every applied layer; return what is needed to re-apply them."""
        layers = []
        while self._saved:
            names = list(self._saved[-1])
            layers.append({name: os.environ.get(name) for name in names})
            self.pop()
        return list(reversed(layers))

    def resume(self, layers):
        for layer in layers:
            self.push({k: v for k, v in layer.items() if v is not None})


class Client:
    """Test client for a Chalice app; use it as a context manager."""

    def __init__(self, app, stage_name='dev', project_dir='.'):
        self._app = app
        self._stage_name = stage_name
        self._project_dir = project_dir
        self._config = _load_config(project_dir, stage_name, app)
        self._environment = _Environment()
        self._http = None
        self._lambda = None
        self._events = None

    def __enter__(self):
        self._environment.push(self._function_settings('api_handler')[0])
        return self

    def __exit__(self, *exc_info):
        self._environment.pop_all()
        return False

    def close(self):
        self._environment.pop_all()

    @property
    def http(self):
        if self._http is None:
            self._http = TestHTTPClient(self._app, self._stage_name, self._config)
        return self._http

    @property
    def lambda_(self):
        if self._lambda is None:
            self._lambda = TestLambdaClient(self._app, self._stage_name,
                                            self._function_settings, self._environment)
        return self._lambda

    @property
    def events(self):
        if self._events is None:
            self._events = TestEventsClient()
        return self._events

    def _function_settings(self, function_name):
        """(environment variables, memory size, timeout) for one function."""
        if self._config is None:
            memory, timeout, _ = lambda_settings(None)
            return {}, memory, timeout
        scoped = self._config.scope(self._stage_name, function_name)
        memory, timeout, _ = lambda_settings(scoped)
        return dict(scoped.environment_variables), memory, timeout


def _load_config(project_dir, stage_name, app):
    path = os.path.join(project_dir, '.chalice', 'config.json')
    if not os.path.isfile(path):
        return None
    from chalice.config import Config, load_config_file

    return Config(chalice_stage=stage_name, function_name='api_handler',
                  user_provided_params={'project_dir': project_dir, 'chalice_app': app},
                  config_from_disk=load_config_file(project_dir))


class TestHTTPClient:
    """Sends HTTP requests to the app through API Gateway proxy events."""

    __test__ = False  # not a pytest test class

    def __init__(self, app, stage_name, config=None):
        from chalice.gateway import LocalGateway

        self._app = app
        self._stage_name = stage_name
        # The Lambda context is named after the logical function, as in
        # Chalice 1.x's test client (``api_handler`` for routes).
        self._gateway = LocalGateway(app, config, stage=stage_name,
                                     context_name=lambda name: name, report=LOG.error,
                                     propagate_errors=True, emulator='chalice.test.Client')

    def request(self, method, path, headers=None, body=b''):
        if isinstance(body, str):
            body = body.encode('utf-8')
        header_list = [(str(name), str(value)) for name, value in (headers or {}).items()]
        response = self._gateway.handle(method.upper(), path, header_list, body or b'')
        return HTTPResponse(response.status_code, dict(response.headers), response.body)

    def get(self, path, **kwargs):
        return self.request('GET', path, **kwargs)

    def post(self, path, **kwargs):
        return self.request('POST', path, **kwargs)

    def put(self, path, **kwargs):
        return self.request('PUT', path, **kwargs)

    def patch(self, path, **kwargs):
        return self.request('PATCH', path, **kwargs)

    def delete(self, path, **kwargs):
        return self.request('DELETE', path, **kwargs)

    def head(self, path, **kwargs):
        return self.request('HEAD', path, **kwargs)

    def options(self, path, **kwargs):
        return self.request('OPTIONS', path, **kwargs)


class TestLambdaClient:
    """Invokes any Lambda function the app defines, by its logical name."""

    __test__ = False

    def __init__(self, app, stage_name, function_settings, environment):
        self._app = app
        self._stage_name = stage_name
        self._function_settings = function_settings
        self._environment = environment

    def _handlers(self):
        """``{name: (handler, logical name)}`` for every invocable function: the
        app's logical names, plus websocket handlers by their Python function
        name (as Chalice 1.x names them)."""
        handlers = {name: (handler, name) for name, handler in self._app.handler_map.items()}
        for config in self._app.websocket_handlers.values():
            python_name = getattr(config.user_handler, '__name__', None)
            if python_name and python_name not in handlers:
                handlers[python_name] = (self._app.handler_map.get(config.name), config.name)
        if self._app.routes:
            handlers.setdefault('api_handler', (self._app, 'api_handler'))
        return handlers

    def invoke(self, function_name, payload=None):
        handlers = self._handlers()
        if function_name not in handlers:
            known = ', '.join(sorted(handlers)) or 'none'
            raise FunctionNotFoundError('Unknown Lambda function %r; this app defines: %s'
                                        % (function_name, known))
        handler, settings_name = handlers[function_name]
        variables, memory, timeout = self._function_settings(settings_name)
        context = LambdaContext(function_name, memory_size=memory, timeout_seconds=timeout)
        # Each function sees only its own environment: set aside the one the
        # client applied for the API handler while this function runs.
        outer = self._environment.suspend()
        self._environment.push(variables)
        try:
            return InvokeResponse(handler({} if payload is None else payload, context))
        finally:
            self._environment.pop()
            self._environment.resume(outer)


class TestEventsClient:
    """Builds events in the exact shape AWS delivers them to Lambda."""

    __test__ = False

    def generate_sns_event(self, message, subject='', message_attributes=None,
                           topic='mytopic'):
        topic_arn = 'arn:aws:sns:%s:%s:%s' % (_REGION, _ACCOUNT, topic)
        return {'Records': [{
            'EventSource': 'aws:sns',
            'EventVersion': '1.0',
            'EventSubscriptionArn': '%s:%s' % (topic_arn, uuid.uuid4()),
            'Sns': {
                'Type': 'Notification',
                'MessageId': str(uuid.uuid4()),
                'TopicArn': topic_arn,
                'Subject': subject,
                'Message': message,
                'Timestamp': _iso_now(milliseconds=True),
                'SignatureVersion': '1',
                'Signature': 'EXAMPLE',
                'SigningCertUrl': 'https://sns.%s.amazonaws.com/cert.pem' % _REGION,
                'UnsubscribeUrl': 'https://sns.%s.amazonaws.com/?Action=Unsubscribe'
                                  % _REGION,
                'MessageAttributes': message_attributes or {},
            },
        }]}

    def generate_s3_event(self, bucket, key, event_name='ObjectCreated:Put'):
        return {'Records': [{
            'eventVersion': '2.1',
            'eventSource': 'aws:s3',
            'awsRegion': _REGION,
            'eventTime': _iso_now(milliseconds=True),
            'eventName': event_name,
            'userIdentity': {'principalId': 'AWS:EXAMPLE'},
            'requestParameters': {'sourceIPAddress': '127.0.0.1'},
            'responseElements': {'x-amz-request-id': 'EXAMPLE',
                                 'x-amz-id-2': 'EXAMPLE'},
            's3': {
                's3SchemaVersion': '1.0',
                'configurationId': 'chalice-test',
                'bucket': {'name': bucket, 'ownerIdentity': {'principalId': 'EXAMPLE'},
                           'arn': 'arn:aws:s3:::%s' % bucket},
                'object': {'key': quote_plus(key, safe='/'), 'size': 0,
                           'eTag': hashlib.md5(b'').hexdigest(),
                           'sequencer': '0A1B2C3D4E5F678901'},
            },
        }]}

    def generate_sqs_event(self, message_bodies, queue_name='queue-name'):
        now_ms = str(int(time.time() * 1000))
        records = []
        for body in message_bodies:
            records.append({
                'messageId': str(uuid.uuid4()),
                'receiptHandle': base64.b64encode(uuid.uuid4().bytes).decode('ascii'),
                'body': body,
                'attributes': {'ApproximateReceiveCount': '1', 'SentTimestamp': now_ms,
                               'SenderId': 'AIDAEXAMPLE',
                               'ApproximateFirstReceiveTimestamp': now_ms},
                'messageAttributes': {},
                'md5OfBody': hashlib.md5(body.encode('utf-8')).hexdigest(),
                'eventSource': 'aws:sqs',
                'eventSourceARN': 'arn:aws:sqs:%s:%s:%s' % (_REGION, _ACCOUNT, queue_name),
                'awsRegion': _REGION,
            })
        return {'Records': records}

    def generate_cw_event(self, source, detail_type, detail, resources, region=_REGION):
        return {
            'version': '0',
            'id': str(uuid.uuid4()),
            'detail-type': detail_type,
            'source': source,
            'account': _ACCOUNT,
            'time': _iso_now(),
            'region': region,
            'resources': resources,
            'detail': detail,
        }

    def generate_kinesis_event(self, message_bodies, stream_name='stream-name'):
        records = []
        for index, body in enumerate(message_bodies):
            if isinstance(body, str):
                body = body.encode('utf-8')
            sequence = '%056d' % (index + 1)
            records.append({
                'kinesis': {
                    'kinesisSchemaVersion': '1.0',
                    'partitionKey': str(index + 1),
                    'sequenceNumber': sequence,
                    'data': base64.b64encode(body).decode('ascii'),
                    'approximateArrivalTimestamp': time.time(),
                },
                'eventSource': 'aws:kinesis',
                'eventVersion': '1.0',
                'eventID': 'shardId-000000000000:%s' % sequence,
                'eventName': 'aws:kinesis:record',
                'invokeIdentityArn': 'arn:aws:iam::%s:role/lambda-role' % _ACCOUNT,
                'awsRegion': _REGION,
                'eventSourceARN': 'arn:aws:kinesis:%s:%s:stream/%s'
                                  % (_REGION, _ACCOUNT, stream_name),
            })
        return {'Records': records}

    def generate_dynamodb_event(self, records, table_name='table-name',
                                stream_view_type='NEW_AND_OLD_IMAGES'):
        """``records``: dicts with ``keys`` and optionally ``new_image``,
        ``old_image`` and ``event_name`` (INSERT, MODIFY or REMOVE), all in
        DynamoDB's typed JSON (``{'id': {'S': '1'}}``)."""
        stream_arn = 'arn:aws:dynamodb:%s:%s:table/%s/stream/2026-01-01T00:00:00.000' % (
            _REGION, _ACCOUNT, table_name)
        result = []
        for index, record in enumerate(records):
            data = {
                'ApproximateCreationDateTime': int(time.time()),
                'Keys': record['keys'],
                'SequenceNumber': str(100 + index),
                'SizeBytes': len(json.dumps(record)),
                'StreamViewType': stream_view_type,
            }
            if record.get('new_image') is not None:
                data['NewImage'] = record['new_image']
            if record.get('old_image') is not None:
                data['OldImage'] = record['old_image']
            result.append({
                'eventID': uuid.uuid4().hex,
                'eventName': record.get('event_name', 'INSERT'),
                'eventVersion': '1.1',
                'eventSource': 'aws:dynamodb',
                'awsRegion': _REGION,
                'dynamodb': data,
                'eventSourceARN': stream_arn,
            })
        return {'Records': result}


def _iso_now(milliseconds=False):
    now = time.time()
    text = time.strftime('%Y-%m-%dT%H:%M:%S', time.gmtime(now))
    if milliseconds:  # SNS and S3 stamp events with milliseconds; EventBridge does not
        text += '.%03d' % int((now % 1) * 1000)
    return text + 'Z'
