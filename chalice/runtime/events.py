"""Event sources: schedule expressions, deployer records and event classes.

For each non-HTTP decorator the app keeps a *config record* (plain data the
deployer reads: which function, which bucket/topic/queue/stream, options)
and, at run time, wraps the Lambda event in an *event class* that gives the
handler friendly attributes while ``to_dict()`` still returns the original.
"""
import base64
import json

from chalice.runtime.errors import MalformedEventError

# ---------------------------------------------------------------- schedules

class ScheduleExpression:
    """Base class of :class:`Rate` and :class:`Cron`."""

    def to_string(self):  # pragma: no cover - overridden
        raise NotImplementedError()


class Rate(ScheduleExpression):
    """``rate(N unit)``: run every ``value`` minutes, hours or days."""

    MINUTES = 'MINUTES'
    HOURS = 'HOURS'
    DAYS = 'DAYS'

    def __init__(self, value, unit):
        if unit not in (self.MINUTES, self.HOURS, self.DAYS):
            raise ValueError('Rate unit must be Rate.MINUTES, Rate.HOURS or Rate.DAYS, '
                             'got %r' % (unit,))
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise ValueError('Rate value must be a positive integer, got %r' % (value,))
        self.value = value
        self.unit = unit

    def to_string(self):
        unit = self.unit.lower()
        if self.value == 1:
            unit = unit[:-1]  # "1 minute", "1 hour", "1 day"
        return 'rate(%s %s)' % (self.value, unit)

    def __repr__(self):
        return 'Rate(%r, unit=%r)' % (self.value, self.unit)


class Cron(ScheduleExpression):
    """``cron(minutes hours day-of-month month day-of-week year)``."""

    def __init__(self, minutes, hours, day_of_month, month, day_of_week, year):
        if day_of_month != '?' and day_of_week != '?':
            raise ValueError(
                "Cron expressions can't set both day_of_month (%r) and day_of_week (%r): "
                "use '?' in one of them" % (day_of_month, day_of_week))
        self.minutes = minutes
        self.hours = hours
        self.day_of_month = day_of_month
        self.month = month
        self.day_of_week = day_of_week
        self.year = year

    def to_string(self):
        return 'cron(%s %s %s %s %s %s)' % (
            self.minutes, self.hours, self.day_of_month, self.month,
            self.day_of_week, self.year)

    def __repr__(self):
        return 'Cron(%r, %r, %r, %r, %r, %r)' % (
            self.minutes, self.hours, self.day_of_month, self.month,
            self.day_of_week, self.year)


# ----------------------------------------------------------- config records

class BaseEventSourceConfig:
    """One event-source-backed Lambda function, as the deployer sees it.

    ``name`` is the logical function name (becomes ``<app>-<stage>-<name>``),
    ``handler_string`` the Lambda handler (``module.attr``).
    """

    # The middleware event type this source produces, and the option names
    # a subclass accepts (each becomes an attribute, None when not given).
    event_type = None  # type: str | None
    _fields = ()  # type: tuple[str, ...]

    def __init__(self, name, handler_string, **options):
        self.name = name
        self.handler_string = handler_string
        for field in self._fields:
            setattr(self, field, options.pop(field, None))
        if options:
            raise TypeError('unexpected options: %s' % ', '.join(sorted(options)))

    def __repr__(self):
        values = ', '.join('%s=%r' % (f, getattr(self, f)) for f in self._fields)
        return '%s(name=%r, handler_string=%r, %s)' % (
            type(self).__name__, self.name, self.handler_string, values)


class ScheduledEventConfig(BaseEventSourceConfig):
    event_type = 'scheduled'
    _fields = ('schedule_expression', 'description')


class CloudWatchEventConfig(BaseEventSourceConfig):
    event_type = 'cloudwatch'
    _fields = ('event_pattern',)


class S3EventConfig(BaseEventSourceConfig):
    event_type = 's3'
    _fields = ('bucket', 'events', 'prefix', 'suffix')


class SNSEventConfig(BaseEventSourceConfig):
    event_type = 'sns'
    _fields = ('topic',)


class SQSEventConfig(BaseEventSourceConfig):
    event_type = 'sqs'
    _fields = ('queue', 'queue_arn', 'batch_size', 'maximum_batching_window_in_seconds',
               'maximum_concurrency', 'report_batch_item_failures')


class KinesisEventConfig(BaseEventSourceConfig):
    event_type = 'kinesis'
    _fields = ('stream', 'batch_size', 'starting_position',
               'maximum_batching_window_in_seconds', 'report_batch_item_failures')


class DynamoDBEventConfig(BaseEventSourceConfig):
    event_type = 'dynamodb'
    _fields = ('stream_arn', 'batch_size', 'starting_position',
               'maximum_batching_window_in_seconds', 'report_batch_item_failures')


class LambdaFunction:
    """A pure Lambda function (``@app.lambda_function()``)."""

    def __init__(self, func, name, handler_string):
        self.func = func
        self.name = name
        self.handler_string = handler_string

    def __call__(self, event, context):
        return self.func(event, context)

    def __repr__(self):
        return 'LambdaFunction(name=%r, handler_string=%r)' % (self.name, self.handler_string)


# ------------------------------------------------------------ event classes

# What can go wrong reading a malformed event: a missing key, a value of the
# wrong type, an empty list, bad base64, an impossible timestamp.
_SHAPE_ERRORS = (KeyError, TypeError, IndexError, AttributeError, ValueError,
                 OverflowError, OSError)


def _malformed(event_class, event_dict, error):
    """A MalformedEventError naming the event type ``event_class`` expects."""
    if isinstance(event_dict, dict):
        got = 'an object with keys %s' % (', '.join(sorted(map(str, event_dict))) or 'none')
    else:
        got = type(event_dict).__name__
    problem = '%s: %s' % (type(error).__name__, error) if str(error) else \
        type(error).__name__
    return MalformedEventError(
        '%s handler received an event that is not %s (got %s; %s)'
        % (event_class._source_name, event_class._expected, got, problem))


class BaseLambdaEvent:
    """Common shape: ``context`` and ``to_dict()`` (the unmodified event).

    An event that lacks what the class reads raises
    :class:`MalformedEventError` naming the event type.
    """

    _source_name = 'A Lambda'
    _expected = 'a JSON object'

    def __init__(self, event_dict, context):
        self._event_dict = event_dict
        self.context = context
        try:
            self._extract_attributes(event_dict)
        except _SHAPE_ERRORS as error:
            raise _malformed(type(self), event_dict, error) from error

    def _extract_attributes(self, event_dict):
        pass

    def to_dict(self):
        return self._event_dict


class LambdaFunctionEvent(BaseLambdaEvent):
    """What middleware sees for a pure Lambda function invocation."""

    def _extract_attributes(self, event_dict):
        self.event = event_dict


class CloudWatchEvent(BaseLambdaEvent):
    """An EventBridge / CloudWatch Events event, scheduled or matched."""

    _source_name = 'An EventBridge (CloudWatch Events)'
    _expected = 'an EventBridge event (an object with detail-type, source and detail)'

    def _extract_attributes(self, event_dict):
        if not isinstance(event_dict, dict):
            raise TypeError('the event must be an object')
        self.version = event_dict.get('version')
        self.account = event_dict.get('account')
        self.region = event_dict.get('region')
        self.detail = event_dict.get('detail')
        self.detail_type = event_dict.get('detail-type')
        self.source = event_dict.get('source')
        self.time = event_dict.get('time')
        self.event_id = event_dict.get('id')
        self.resources = event_dict.get('resources')


class SNSEvent(BaseLambdaEvent):
    """The first (and, from SNS, only) record of an SNS notification."""

    _source_name = 'An SNS'
    _expected = "an SNS notification ({'Records': [{'Sns': {...}}]})"

    def _extract_attributes(self, event_dict):
        sns = event_dict['Records'][0]['Sns']
        self.subject = sns.get('Subject')
        self.message = sns.get('Message')
        self.message_attributes = sns.get('MessageAttributes')


class S3Event(BaseLambdaEvent):
    """An S3 notification; ``key`` is URL-decoded, ``to_dict()`` is not."""

    _source_name = 'An S3'
    _expected = ("an S3 notification ({'Records': [{'s3': {'bucket': {'name': ...}, "
                 "'object': {'key': ...}}}]})")

    def _extract_attributes(self, event_dict):
        from urllib.parse import unquote_plus

        s3 = event_dict['Records'][0]['s3']
        bucket = s3['bucket']['name']
        key = s3['object']['key']
        if not isinstance(bucket, str) or not isinstance(key, str):
            raise TypeError('the bucket name and object key must be strings')
        self.bucket = bucket
        self.key = unquote_plus(key)


class _RecordsEvent(BaseLambdaEvent):
    """A batch event: iterating yields one record object per record."""

    record_class = None  # type: type[BaseLambdaEvent] | None

    def _extract_attributes(self, event_dict):
        records = event_dict['Records']
        if not isinstance(records, list):
            raise TypeError('Records must be a list')
        self._records = records

    def __iter__(self):
        # A malformed record raises MalformedEventError when it is reached.
        for record in self._records:
            yield self.record_class(record, self.context)

    def __len__(self):
        return len(self._records)

    def batch_response(self, failed):
        """The ``batchItemFailures`` response for the records in ``failed``.

        What a handler with ``report_batch_item_failures=True`` returns is
        turned into what Lambda expects: None means every record succeeded;
        a list (or any iterable) names the failed records, as record objects
        or as their identifiers (SQS message ID, Kinesis or DynamoDB sequence
        number); a dict that already has ``batchItemFailures`` is kept.
        """
        if failed is None:
            return {'batchItemFailures': []}
        if isinstance(failed, dict):
            if 'batchItemFailures' in failed:
                return failed
            raise TypeError(
                'A handler with report_batch_item_failures=True must return None, the '
                'failed records (a list) or {"batchItemFailures": [...]}; got a dict '
                'without batchItemFailures')
        if isinstance(failed, (str, bytes)) or not hasattr(failed, '__iter__'):
            raise TypeError(
                'A handler with report_batch_item_failures=True must return None, the '
                'failed records (a list) or {"batchItemFailures": [...]}; got %s'
                % type(failed).__name__)
        items = []
        for item in failed:
            identifier = getattr(item, 'item_identifier', item)
            if not isinstance(identifier, str):
                raise TypeError('A failed batch item must be a record of this event or '
                                'its identifier (a str), got %s' % type(item).__name__)
            items.append({'itemIdentifier': identifier})
        return {'batchItemFailures': items}


class SQSRecord(BaseLambdaEvent):
    """One message of an :class:`SQSEvent`."""

    _source_name = 'An SQS'
    _expected = 'an SQS message record (an object with body and receiptHandle)'

    def _extract_attributes(self, event_dict):
        self.body = event_dict.get('body')
        self.receipt_handle = event_dict.get('receiptHandle')
        self.message_id = event_dict.get('messageId')
        self.attributes = event_dict.get('attributes')
        self.message_attributes = event_dict.get('messageAttributes')

    @property
    def item_identifier(self):
        """What ``batchItemFailures`` names this record by (its message ID)."""
        return self.message_id


class SQSEvent(_RecordsEvent):
    record_class = SQSRecord
    _source_name = 'An SQS'
    _expected = "an SQS event ({'Records': [{'body': ..., 'receiptHandle': ...}]})"


def _epoch_to_datetime(seconds):
    """A naive datetime in UTC (what Chalice 1.x returns) from epoch seconds."""
    from datetime import datetime, timezone

    if seconds is None:
        return None
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float, str)):
        raise TypeError('a timestamp must be a number, got %s' % type(seconds).__name__)
    return datetime.fromtimestamp(float(seconds), tz=timezone.utc).replace(tzinfo=None)


class KinesisRecord(BaseLambdaEvent):
    """One Kinesis record; ``data`` is the base64-decoded payload (bytes)."""

    _source_name = 'A Kinesis'
    _expected = "a Kinesis record ({'kinesis': {'data': <base64>, ...}})"

    def _extract_attributes(self, event_dict):
        kinesis = event_dict['kinesis']
        self.data = base64.b64decode(kinesis['data'])
        self.sequence_number = kinesis.get('sequenceNumber')
        self.partition_key = kinesis.get('partitionKey')
        self.schema_version = kinesis.get('kinesisSchemaVersion')
        self.timestamp = _epoch_to_datetime(kinesis.get('approximateArrivalTimestamp'))
        self.event_id = event_dict.get('eventID')
        self.event_source_arn = event_dict.get('eventSourceARN')

    @property
    def item_identifier(self):
        """What ``batchItemFailures`` names this record by (its sequence number)."""
        return self.sequence_number


class KinesisEvent(_RecordsEvent):
    record_class = KinesisRecord
    _source_name = 'A Kinesis'
    _expected = "a Kinesis event ({'Records': [{'kinesis': {'data': <base64>, ...}}]})"


class DynamoDBRecord(BaseLambdaEvent):
    """One DynamoDB stream record (images are in DynamoDB's typed JSON)."""

    _source_name = 'A DynamoDB Streams'
    _expected = "a DynamoDB stream record ({'dynamodb': {...}, 'eventName': ...})"

    def _extract_attributes(self, event_dict):
        ddb = event_dict.get('dynamodb')
        if ddb is None:
            ddb = {}
        self.timestamp = _epoch_to_datetime(ddb.get('ApproximateCreationDateTime'))
        self.keys = ddb.get('Keys')
        self.new_image = ddb.get('NewImage')
        self.old_image = ddb.get('OldImage')
        self.sequence_number = ddb.get('SequenceNumber')
        self.size_bytes = ddb.get('SizeBytes')
        self.stream_view_type = ddb.get('StreamViewType')
        self.aws_region = event_dict.get('awsRegion')
        self.event_id = event_dict.get('eventID')
        self.event_name = event_dict.get('eventName')
        self.event_source_arn = event_dict.get('eventSourceARN')

    @property
    def item_identifier(self):
        """What ``batchItemFailures`` names this record by (its sequence number)."""
        return self.sequence_number

    @property
    def table_name(self):
        # arn:aws:dynamodb:region:account:table/<name>/stream/<label>
        arn = self.event_source_arn
        if not isinstance(arn, str):
            return None
        parts = arn.split(':', 5)
        if len(parts) < 6:
            return None
        return parts[5].split('/')[1] if '/' in parts[5] else None


class DynamoDBEvent(_RecordsEvent):
    record_class = DynamoDBRecord
    _source_name = 'A DynamoDB Streams'
    _expected = "a DynamoDB Streams event ({'Records': [{'dynamodb': {...}, ...}]})"


class WebsocketEvent(BaseLambdaEvent):
    """A websocket connect, message or disconnect from API Gateway."""

    _NO_JSON = object()
    _source_name = 'A websocket'
    _expected = ('an API Gateway websocket event (requestContext with domainName, stage '
                 'and connectionId)')

    def _extract_attributes(self, event_dict):
        request_context = event_dict['requestContext']
        self.domain_name = request_context['domainName']
        self.stage = request_context['stage']
        self.connection_id = request_context['connectionId']
        if not isinstance(self.domain_name, str) or not isinstance(self.stage, str):
            raise TypeError('requestContext.domainName and stage must be strings')
        self.body = event_dict.get('body')
        self._json_body = self._NO_JSON

    @property
    def json_body(self):
        if self._json_body is self._NO_JSON:
            # Raises ValueError when the body is not JSON, as documented.
            if self.body is None:
                raise ValueError('This websocket event has no body to parse as JSON')
            if not isinstance(self.body, (str, bytes)):
                raise ValueError('This websocket event body is not text to parse as JSON')
            self._json_body = json.loads(self.body)
        return self._json_body
