"""Factories for Lambda events in the exact shape AWS delivers them.

Shared by the runtime unit tests.  Every factory returns a fresh, plain,
JSON-serialisable dict (the events are ``json.dumps``-able exactly as Lambda
would hand them over) and is deterministic unless told otherwise: ids and
timestamps have fixed defaults that can be overridden.

HTTP (API Gateway REST API, proxy integration, payload format 1.0):
    :func:`rest_event`, plus :func:`multi_value` for building header and
    query inputs with repeated names.
Event sources:
    :func:`sqs_event`, :func:`sns_event`, :func:`s3_event`,
    :func:`scheduled_event`, :func:`cloudwatch_event` (EventBridge pattern
    match), :func:`kinesis_event`, :func:`dynamodb_event`.
Websockets (API Gateway WebSocket API):
    :func:`websocket_connect_event`, :func:`websocket_message_event`,
    :func:`websocket_disconnect_event`.
Authorizers (API Gateway Lambda authorizers for REST APIs):
    :func:`token_authorizer_event`, :func:`request_authorizer_event`.
Lambda context:
    :class:`FakeLambdaContext`.
"""
import base64
import hashlib
import json
import uuid
from datetime import datetime, timezone
from urllib.parse import quote_plus

REGION = 'us-west-2'
ACCOUNT_ID = '123456789012'
API_ID = 'abcdef1234'
STAGE = 'api'
SOURCE_IP = '203.0.113.10'
USER_AGENT = 'pytest-events/1.0'
# 2023-11-14T22:13:20Z; every timestamp defaults to this instant.
EPOCH_MS = 1700000000000

_MONTHS = ('Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun',
           'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec')
_ID_NAMESPACE = uuid.UUID('6ba7b811-9dad-11d1-80b4-00c04fd430c8')


def _uuid(*parts):
    """A deterministic UUID string derived from ``parts``."""
    return str(uuid.uuid5(_ID_NAMESPACE, '/'.join(str(p) for p in parts)))


def _utc(epoch_ms):
    return datetime.fromtimestamp(epoch_ms / 1000.0, timezone.utc)


def iso_time(epoch_ms=EPOCH_MS, millis=False):
    """``2023-11-14T22:13:20Z`` (or ``...20.000Z`` with ``millis``)."""
    when = _utc(epoch_ms)
    text = when.strftime('%Y-%m-%dT%H:%M:%S')
    if millis:
        text += '.%03d' % (epoch_ms % 1000)
    return text + 'Z'


def request_time(epoch_ms=EPOCH_MS):
    """API Gateway's ``requestTime`` format: ``14/Nov/2023:22:13:20 +0000``."""
    when = _utc(epoch_ms)
    return '%02d/%s/%04d:%02d:%02d:%02d +0000' % (
        when.day, _MONTHS[when.month - 1], when.year, when.hour, when.minute, when.second)


class FakeLambdaContext:
    """The attributes of the Python Lambda runtime's context object."""

    def __init__(self, function_name='test-app-dev', memory_limit_in_mb=128,
                 remaining_ms=60000, aws_request_id=None, region=REGION,
                 account_id=ACCOUNT_ID):
        self.function_name = function_name
        self.function_version = '$LATEST'
        self.invoked_function_arn = 'arn:aws:lambda:%s:%s:function:%s' % (
            region, account_id, function_name)
        self.memory_limit_in_mb = str(memory_limit_in_mb)
        self.aws_request_id = aws_request_id or _uuid('lambda-request', function_name)
        self.log_group_name = '/aws/lambda/%s' % function_name
        self.log_stream_name = '2023/11/14/[$LATEST]%s' % hashlib.md5(
            function_name.encode('utf-8')).hexdigest()
        self.identity = None
        self.client_context = None
        self._remaining_ms = remaining_ms

    def get_remaining_time_in_millis(self):
        return self._remaining_ms

    def __repr__(self):
        return 'FakeLambdaContext(function_name=%r)' % self.function_name


# --------------------------------------------------------------------- HTTP

def multi_value(pairs):
    """Group ``[(name, value), ...]`` into ``{name: [values...]}`` (order kept)."""
    grouped = {}
    for name, value in pairs:
        grouped.setdefault(name, []).append(value)
    return grouped


def _single_and_multi(values):
    """Split ``{name: str | [str, ...]}`` into API Gateway's two fields.

    The single-value field holds the last value of each name, as API Gateway
    does; both are ``None`` when there is nothing to send.
    """
    if not values:
        return None, None
    single = {}
    multi = {}
    for name, value in values.items():
        items = list(value) if isinstance(value, (list, tuple)) else [value]
        multi[name] = items
        single[name] = items[-1]
    return single, multi


def _fill_path(resource, path_params):
    """Substitute captures of ``resource`` with ``path_params`` values."""
    path = resource
    for name, value in (path_params or {}).items():
        path = path.replace('{%s+}' % name, value).replace('{%s}' % name, value)
    return path


def _identity(source_ip, user_agent, **extra):
    identity = {
        'accessKey': None,
        'accountId': None,
        'apiKey': None,
        'apiKeyId': None,
        'caller': None,
        'cognitoAuthenticationProvider': None,
        'cognitoAuthenticationType': None,
        'cognitoIdentityId': None,
        'cognitoIdentityPoolId': None,
        'principalOrgId': None,
        'sourceIp': source_ip,
        'user': None,
        'userAgent': user_agent,
        'userArn': None,
    }
    identity.update(extra)
    return identity


def rest_event(resource='/', method='GET', path=None, headers=None, query=None,
               path_params=None, stage_vars=None, body=None, is_base64=False,
               stage=STAGE, source_ip=SOURCE_IP, request_id=None, authorizer=None,
               epoch_ms=EPOCH_MS, api_id=API_ID, domain_name=None):
    """An API Gateway REST API proxy event (Lambda proxy integration).

    ``resource`` is the route template that matched (``/users/{id}``), and
    ``path`` the request path; it defaults to ``resource`` with the
    ``path_params`` filled in.  ``headers`` and ``query`` map a name to a
    string or a list of strings (repeated header / query parameter);
    ``headers`` may also be a list of ``(name, value)`` pairs.  A ``bytes``
    body is base64-encoded and flagged ``isBase64Encoded``; a ``str`` body is
    sent as is with ``isBase64Encoded`` = ``is_base64``.  ``authorizer``
    becomes ``requestContext.authorizer`` when given.
    """
    method = method.upper()
    if path is None:
        path = _fill_path(resource, path_params)
    if isinstance(headers, (list, tuple)):
        headers = multi_value(headers)
    single_headers, multi_headers = _single_and_multi(headers)
    single_query, multi_query = _single_and_multi(query)
    if isinstance(body, bytes):
        body = base64.b64encode(body).decode('ascii')
        is_base64 = True
    if domain_name is None:
        domain_name = '%s.execute-api.%s.amazonaws.com' % (api_id, REGION)
    user_agent = None
    for name, value in (single_headers or {}).items():
        if name.lower() == 'user-agent':
            user_agent = value
    request_context = {
        'resourceId': hashlib.sha1(resource.encode('utf-8')).hexdigest()[:6],
        'resourcePath': resource,
        'httpMethod': method,
        'extendedRequestId': base64.b64encode(
            hashlib.md5(path.encode('utf-8')).digest()[:10]).decode('ascii'),
        'requestTime': request_time(epoch_ms),
        'path': '/%s%s' % (stage, path),
        'accountId': ACCOUNT_ID,
        'protocol': 'HTTP/1.1',
        'stage': stage,
        'domainPrefix': domain_name.split('.', 1)[0],
        'requestTimeEpoch': epoch_ms,
        'requestId': request_id or _uuid('rest', method, path, epoch_ms),
        'identity': _identity(source_ip, user_agent),
        'domainName': domain_name,
        'apiId': api_id,
    }
    if authorizer is not None:
        request_context['authorizer'] = dict(authorizer)
    return {
        'resource': resource,
        'path': path,
        'httpMethod': method,
        'headers': single_headers,
        'multiValueHeaders': multi_headers,
        'queryStringParameters': single_query,
        'multiValueQueryStringParameters': multi_query,
        'pathParameters': dict(path_params) if path_params else None,
        'stageVariables': dict(stage_vars) if stage_vars else None,
        'requestContext': request_context,
        'body': body,
        'isBase64Encoded': bool(is_base64),
    }


# ------------------------------------------------------------ event sources

def sqs_event(bodies, queue_name='queue-name', region=REGION, message_attributes=None,
              epoch_ms=EPOCH_MS):
    """An SQS batch: one record per message body (str)."""
    if isinstance(bodies, str):
        bodies = [bodies]
    records = []
    for index, body in enumerate(bodies):
        sent = str(epoch_ms + index)
        records.append({
            'messageId': _uuid('sqs', queue_name, index),
            'receiptHandle': 'AQEB' + base64.b64encode(
                hashlib.sha256(('%s/%d' % (queue_name, index)).encode('utf-8')).digest()
            ).decode('ascii'),
            'body': body,
            'attributes': {
                'ApproximateReceiveCount': '1',
                'SentTimestamp': sent,
                'SenderId': 'AIDAIENQZJOLO23YVJ4VO',
                'ApproximateFirstReceiveTimestamp': str(int(sent) + 2),
            },
            'messageAttributes': dict(message_attributes or {}),
            'md5OfBody': hashlib.md5(body.encode('utf-8')).hexdigest(),
            'eventSource': 'aws:sqs',
            'eventSourceARN': 'arn:aws:sqs:%s:%s:%s' % (region, ACCOUNT_ID, queue_name),
            'awsRegion': region,
        })
    return {'Records': records}


def sns_event(message, subject=None, topic='mytopic', message_attributes=None,
              region=REGION, epoch_ms=EPOCH_MS):
    """An SNS notification (SNS always delivers exactly one record).

    ``message_attributes`` maps a name to ``{'Type': ..., 'Value': ...}``.
    """
    topic_arn = 'arn:aws:sns:%s:%s:%s' % (region, ACCOUNT_ID, topic)
    return {'Records': [{
        'EventSource': 'aws:sns',
        'EventVersion': '1.0',
        'EventSubscriptionArn': '%s:%s' % (topic_arn, _uuid('sns-sub', topic)),
        'Sns': {
            'Type': 'Notification',
            'MessageId': _uuid('sns', topic, message),
            'TopicArn': topic_arn,
            'Subject': subject,
            'Message': message,
            'Timestamp': iso_time(epoch_ms, millis=True),
            'SignatureVersion': '1',
            'Signature': 'tcc6faL2yUC6dgZdmrwh1Y4cGa/ebXEkAi6RibDsvpi+tE/1+82j...',
            'SigningCertUrl': 'https://sns.%s.amazonaws.com/SimpleNotificationService-'
                              '0000000000000000000000.pem' % region,
            'UnsubscribeUrl': 'https://sns.%s.amazonaws.com/?Action=Unsubscribe&'
                              'SubscriptionArn=%s:%s' % (region, topic_arn,
                                                         _uuid('sns-sub', topic)),
            'MessageAttributes': dict(message_attributes or {}),
        },
    }]}


def s3_key_encode(key):
    """Encode an object key the way S3 notifications do (space -> ``+``)."""
    return quote_plus(key, safe='/')


def s3_event(bucket, key, event_name='ObjectCreated:Put', size=1024, region=REGION,
             raw_key=False, epoch_ms=EPOCH_MS, version_id=None):
    """An S3 bucket notification for one object.

    ``key`` is the real object key and is URL-encoded into the event as S3
    does; pass ``raw_key=True`` to put ``key`` in the event unchanged.
    """
    obj = {
        'key': key if raw_key else s3_key_encode(key),
        'size': size,
        'eTag': hashlib.md5(key.encode('utf-8')).hexdigest(),
        'sequencer': '0A1B2C3D4E5F678901',
    }
    if event_name.startswith('ObjectRemoved'):
        del obj['size']
        del obj['eTag']
    if version_id is not None:
        obj['versionId'] = version_id
    return {'Records': [{
        'eventVersion': '2.1',
        'eventSource': 'aws:s3',
        'awsRegion': region,
        'eventTime': iso_time(epoch_ms, millis=True),
        'eventName': event_name,
        'userIdentity': {'principalId': 'AWS:AIDAINPONIXQXHT3IKHL2'},
        'requestParameters': {'sourceIPAddress': SOURCE_IP},
        'responseElements': {
            'x-amz-request-id': 'D82B88E5F771F645',
            'x-amz-id-2': 'vlR7PnpV2Ce81l0PRw6jlUpck7Jo5ZsQjryTjKlc5aLWGVHPZLj5NeC6qMa0emYBD'
                          'XOo6QBU0Wo=',
        },
        's3': {
            's3SchemaVersion': '1.0',
            'configurationId': _uuid('s3-config', bucket),
            'bucket': {
                'name': bucket,
                'ownerIdentity': {'principalId': 'A3I5XTEXAMAI3E'},
                'arn': 'arn:aws:s3:::%s' % bucket,
            },
            'object': obj,
        },
    }]}


def scheduled_event(rule_name='my-schedule', region=REGION, epoch_ms=EPOCH_MS):
    """What an EventBridge (CloudWatch Events) schedule rule delivers."""
    return {
        'version': '0',
        'id': _uuid('schedule', rule_name, epoch_ms),
        'detail-type': 'Scheduled Event',
        'source': 'aws.events',
        'account': ACCOUNT_ID,
        'time': iso_time(epoch_ms),
        'region': region,
        'resources': ['arn:aws:events:%s:%s:rule/%s' % (region, ACCOUNT_ID, rule_name)],
        'detail': {},
    }


def cloudwatch_event(source='aws.ec2', detail_type='EC2 Instance State-change Notification',
                     detail=None, resources=None, region=REGION, epoch_ms=EPOCH_MS):
    """An EventBridge event matched by an event-pattern rule."""
    if detail is None:
        detail = {'instance-id': 'i-0123456789abcdef0', 'state': 'running'}
    if resources is None:
        resources = ['arn:aws:ec2:%s:%s:instance/i-0123456789abcdef0' % (region, ACCOUNT_ID)]
    return {
        'version': '0',
        'id': _uuid('cw', source, detail_type, epoch_ms),
        'detail-type': detail_type,
        'source': source,
        'account': ACCOUNT_ID,
        'time': iso_time(epoch_ms),
        'region': region,
        'resources': list(resources),
        'detail': detail,
    }


def kinesis_event(payloads, stream='stream-name', region=REGION, epoch_ms=EPOCH_MS,
                  partition_keys=None):
    """A Kinesis batch: ``payloads`` are bytes or str, base64-encoded as Kinesis does."""
    records = []
    for index, payload in enumerate(payloads):
        if isinstance(payload, str):
            payload = payload.encode('utf-8')
        sequence = '4959%052d' % (index + 1)
        partition_key = partition_keys[index] if partition_keys else str(index + 1)
        records.append({
            'kinesis': {
                'kinesisSchemaVersion': '1.0',
                'partitionKey': partition_key,
                'sequenceNumber': sequence,
                'data': base64.b64encode(payload).decode('ascii'),
                'approximateArrivalTimestamp': (epoch_ms + index) / 1000.0,
            },
            'eventSource': 'aws:kinesis',
            'eventVersion': '1.0',
            'eventID': 'shardId-000000000006:%s' % sequence,
            'eventName': 'aws:kinesis:record',
            'invokeIdentityArn': 'arn:aws:iam::%s:role/lambda-role' % ACCOUNT_ID,
            'awsRegion': region,
            'eventSourceARN': 'arn:aws:kinesis:%s:%s:stream/%s' % (region, ACCOUNT_ID, stream),
        })
    return {'Records': records}


def dynamodb_stream_arn(table='table-name', region=REGION,
                        label='2023-11-14T22:13:20.000'):
    return 'arn:aws:dynamodb:%s:%s:table/%s/stream/%s' % (region, ACCOUNT_ID, table, label)


def dynamodb_record(keys, new_image=None, old_image=None, event_name=None,
                    stream_view_type='NEW_AND_OLD_IMAGES'):
    """Input for :func:`dynamodb_event`: one change, images in typed JSON.

    ``event_name`` defaults to INSERT (only a new image), REMOVE (only an old
    image) or MODIFY (both).
    """
    if event_name is None:
        if new_image is not None and old_image is None:
            event_name = 'INSERT'
        elif new_image is None and old_image is not None:
            event_name = 'REMOVE'
        else:
            event_name = 'MODIFY'
    return {'keys': keys, 'new_image': new_image, 'old_image': old_image,
            'event_name': event_name, 'stream_view_type': stream_view_type}


def dynamodb_event(records, table='table-name', region=REGION, epoch_ms=EPOCH_MS):
    """A DynamoDB Streams batch built from :func:`dynamodb_record` dicts."""
    arn = dynamodb_stream_arn(table, region)
    result = []
    for index, record in enumerate(records):
        change = {
            'ApproximateCreationDateTime': epoch_ms // 1000 + index,
            'Keys': record['keys'],
            'SequenceNumber': str(111 + index).rjust(21, '0'),
            'SizeBytes': len(json.dumps(record['keys'])) + len(
                json.dumps(record.get('new_image') or {})),
            'StreamViewType': record.get('stream_view_type', 'NEW_AND_OLD_IMAGES'),
        }
        if record.get('new_image') is not None:
            change['NewImage'] = record['new_image']
        if record.get('old_image') is not None:
            change['OldImage'] = record['old_image']
        result.append({
            'eventID': hashlib.md5(('%s/%d' % (table, index)).encode('utf-8')).hexdigest(),
            'eventName': record.get('event_name', 'INSERT'),
            'eventVersion': '1.1',
            'eventSource': 'aws:dynamodb',
            'awsRegion': region,
            'dynamodb': change,
            'eventSourceARN': arn,
        })
    return {'Records': result}


# --------------------------------------------------------------- websockets

WS_API_ID = 'wsapi12345'
WS_DOMAIN = '%s.execute-api.%s.amazonaws.com' % (WS_API_ID, REGION)
WS_CONNECTION_ID = 'TWegAcC4PHcCFaw='


def _ws_request_context(route_key, event_type, connection_id, domain_name, stage,
                        epoch_ms, **extra):
    context = {
        'routeKey': route_key,
        'eventType': event_type,
        'extendedRequestId': base64.b64encode(
            hashlib.md5(('%s/%s' % (connection_id, route_key)).encode('utf-8')
                        ).digest()[:10]).decode('ascii'),
        'requestTime': request_time(epoch_ms),
        'messageDirection': 'IN',
        'stage': stage,
        'connectedAt': epoch_ms - 1000,
        'requestTimeEpoch': epoch_ms,
        'identity': {'userAgent': USER_AGENT, 'sourceIp': SOURCE_IP},
        'requestId': base64.b64encode(
            hashlib.sha1(('%s/%s/%d' % (connection_id, route_key, epoch_ms))
                         .encode('utf-8')).digest()[:10]).decode('ascii'),
        'domainName': domain_name,
        'connectionId': connection_id,
        'apiId': domain_name.split('.', 1)[0],
    }
    context.update(extra)
    return context


def websocket_connect_event(connection_id=WS_CONNECTION_ID, domain_name=WS_DOMAIN,
                            stage=STAGE, headers=None, query=None, epoch_ms=EPOCH_MS):
    """The ``$connect`` event: the upgrade request's headers, no body."""
    all_headers = {
        'Host': domain_name,
        'Sec-WebSocket-Extensions': 'permessage-deflate; client_max_window_bits',
        'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==',
        'Sec-WebSocket-Version': '13',
        'User-Agent': USER_AGENT,
        'X-Amzn-Trace-Id': 'Root=1-65540000-0123456789abcdef01234567',
        'X-Forwarded-For': SOURCE_IP,
        'X-Forwarded-Port': '443',
        'X-Forwarded-Proto': 'https',
    }
    all_headers.update(headers or {})
    event = {
        'headers': all_headers,
        'multiValueHeaders': {name: [value] for name, value in all_headers.items()},
        'requestContext': _ws_request_context(
            '$connect', 'CONNECT', connection_id, domain_name, stage, epoch_ms),
        'isBase64Encoded': False,
    }
    if query:
        single, multi = _single_and_multi(query)
        event['queryStringParameters'] = single
        event['multiValueQueryStringParameters'] = multi
    return event


def websocket_message_event(body, connection_id=WS_CONNECTION_ID, domain_name=WS_DOMAIN,
                            stage=STAGE, epoch_ms=EPOCH_MS, route_key='$default'):
    """A message from the client (``$default`` route), ``body`` a str."""
    return {
        'requestContext': _ws_request_context(
            route_key, 'MESSAGE', connection_id, domain_name, stage, epoch_ms,
            messageId=base64.b64encode(hashlib.md5(body.encode('utf-8')).digest()[:10])
            .decode('ascii')),
        'body': body,
        'isBase64Encoded': False,
    }


def websocket_disconnect_event(connection_id=WS_CONNECTION_ID, domain_name=WS_DOMAIN,
                               stage=STAGE, epoch_ms=EPOCH_MS, status_code=1001,
                               reason='Going away'):
    """The ``$disconnect`` event: a few fixed headers, no body."""
    headers = {
        'Host': domain_name,
        'x-api-key': '',
        'X-Forwarded-For': '',
        'x-restapi': '',
    }
    return {
        'headers': headers,
        'multiValueHeaders': {name: [value] for name, value in headers.items()},
        'requestContext': _ws_request_context(
            '$disconnect', 'DISCONNECT', connection_id, domain_name, stage, epoch_ms,
            disconnectStatusCode=status_code, disconnectReason=reason),
        'isBase64Encoded': False,
    }


# --------------------------------------------------------------- authorizers

def method_arn(method='GET', path='/', stage=STAGE, api_id=API_ID, region=REGION):
    """``arn:aws:execute-api:<region>:<account>:<api>/<stage>/<METHOD>/<path>``."""
    return 'arn:aws:execute-api:%s:%s:%s/%s/%s/%s' % (
        region, ACCOUNT_ID, api_id, stage, method.upper(), path.lstrip('/'))


def token_authorizer_event(token, method='GET', path='/', stage=STAGE):
    """A TOKEN authorizer invocation: the header value and the method ARN."""
    return {
        'type': 'TOKEN',
        'authorizationToken': token,
        'methodArn': method_arn(method, path, stage),
    }


def request_authorizer_event(resource='/', method='GET', path=None, headers=None,
                             query=None, path_params=None, stage=STAGE):
    """A REQUEST authorizer invocation (REST API): the request minus its body."""
    proxy = rest_event(resource, method, path=path, headers=headers, query=query,
                       path_params=path_params, stage=stage)
    event = {'type': 'REQUEST', 'methodArn': method_arn(method, proxy['path'], stage)}
    for key in ('resource', 'path', 'httpMethod', 'headers', 'multiValueHeaders',
                'queryStringParameters', 'multiValueQueryStringParameters',
                'pathParameters', 'stageVariables', 'requestContext'):
        event[key] = proxy[key]
    return event
