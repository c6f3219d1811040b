"""Event sources: schedule expressions, deployer records and event classes.

For each non-HTTP decorator the app keeps a *config record* (plain data the
deployer reads: which function, which bucket/topic/queue/stream, options)
and, at run time, wraps the Lambda event in an *event class* that gives the
handler friendly attributes while ``to_dict()`` still returns the original.
"""
import binascii
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


# The runtime builds event objects with ``_new(cls)._fill(event, context)``:
# the same object ``cls(event, context)`` gives, without the cost of a call
# through ``type.__call__`` and ``__init__`` (a good part of the work of a
# handler invocation, once per record of a batch).
_new = object.__new__


class _Field:
    """An event attribute read from the event when asked for: ``.get(key)``
    of the event dict (checked to be a dict when the event object was built).

    For the fields handlers seldom read: building the event costs nothing
    for them.  It is a non-data descriptor, so assigning the attribute on
    an instance (as a middleware may) works and wins from then on.
    """

    __slots__ = ('key',)

    def __init__(self, key):
        self.key = key

    def __get__(self, instance, owner=None):
        if instance is None:
            return self
        return instance._event_dict.get(self.key)


class _NestedField(_Field):
    """A :class:`_Field` of the dict held in the instance attribute ``source``
    (a part of the event, e.g. a Kinesis record's ``kinesis``)."""

    __slots__ = ('source',)

    def __init__(self, key, source):
        super().__init__(key)
        self.source = source

    def __get__(self, instance, owner=None):
        if instance is None:
            return self
        return getattr(instance, self.source).get(self.key)


class BaseLambdaEvent:
    """Common shape: ``context`` and ``to_dict()`` (the unmodified event).

    An event that lacks what the class reads raises
    :class:`MalformedEventError` naming the event type.
    """

    _source_name = 'A Lambda'
    _expected = 'a JSON object'

    def __init__(self, event_dict, context):
        self._fill(event_dict, context)

    def _fill(self, event_dict, context):
        """Set every attribute from ``event_dict``; return self."""
        self._event_dict = event_dict
        self.context = context
        try:
            self._extract_attributes(event_dict)
        except _SHAPE_ERRORS as error:
            raise _malformed(type(self), event_dict, error) from error
        return self

    def _extract_attributes(self, event_dict):
        pass

    def to_dict(self):
        return self._event_dict

    # The batch classes (SQS, Kinesis, DynamoDB events and their records)
    # keep the attributes they always set in __slots__: a record is made for
    # every message, and a slot is cheaper to make, fill and free than an
    # entry of the instance dict.  Instances still have a dict for anything
    # else a user sets on them.

    def __getstate__(self):
        """The instance dict and the slots, for pickle and copy (object's
        own refuses pickle protocols 0 and 1 for a class with __slots__)."""
        slots = {}
        for klass in type(self).__mro__:
            for name in klass.__dict__.get('__slots__', ()):
                if name not in slots and hasattr(self, name):
                    slots[name] = getattr(self, name)
        if not slots:
            return self.__dict__ or None
        return (self.__dict__ or None, slots)


class LambdaFunctionEvent(BaseLambdaEvent):
    """What middleware sees for a pure Lambda function invocation."""

    def _fill(self, event_dict, context):
        self._event_dict = event_dict
        self.context = context
        self.event = event_dict
        return self


class CloudWatchEvent(BaseLambdaEvent):
    """An EventBridge / CloudWatch Events event, scheduled or matched."""

    _source_name = 'An EventBridge (CloudWatch Events)'
    _expected = 'an EventBridge event (an object with detail-type, source and detail)'
    # _fill below only keeps a dict event: the handler does that itself.
    _keeps_only_the_event = True

    def _fill(self, event_dict, context):
        self._event_dict = event_dict
        self.context = context
        if type(event_dict) is not dict and not isinstance(event_dict, dict):
            raise _malformed(CloudWatchEvent, event_dict,
                             TypeError('the event must be an object'))
        return self

    # A scheduled handler often reads none of these.
    version = _Field('version')
    account = _Field('account')
    region = _Field('region')
    detail = _Field('detail')
    detail_type = _Field('detail-type')
    source = _Field('source')
    time = _Field('time')
    event_id = _Field('id')
    resources = _Field('resources')


class SNSEvent(BaseLambdaEvent):
    """The first (and, from SNS, only) record of an SNS notification."""

    _source_name = 'An SNS'
    _expected = "an SNS notification ({'Records': [{'Sns': {...}}]})"

    def _fill(self, event_dict, context):
        self._event_dict = event_dict
        self.context = context
        try:
            sns = event_dict['Records'][0]['Sns']
            self.message = sns.get('Message')
        except _SHAPE_ERRORS as error:
            raise _malformed(SNSEvent, event_dict, error) from error
        self._sns = sns
        return self

    subject = _NestedField('Subject', '_sns')
    message_attributes = _NestedField('MessageAttributes', '_sns')


_unquote = None


def _s3_key(key):
    """An S3 event's object key, URL-decoded as ``unquote_plus`` does."""
    global _unquote
    if '%' not in key and '+' not in key:
        return key
    if _unquote is None:
        from urllib.parse import unquote_plus, unquote_to_bytes

        _unquote = (unquote_plus, unquote_to_bytes)
    unquote_plus, unquote_to_bytes = _unquote
    if key.isascii():
        # What unquote_plus does with an all-ASCII string, without its
        # splitting into ASCII and non-ASCII runs.
        return unquote_to_bytes(key.replace('+', ' ')).decode('utf-8', 'replace')
    return unquote_plus(key)


class S3Event(BaseLambdaEvent):
    """An S3 notification; ``key`` is URL-decoded, ``to_dict()`` is not."""

    _source_name = 'An S3'
    _expected = ("an S3 notification ({'Records': [{'s3': {'bucket': {'name': ...}, "
                 "'object': {'key': ...}}}]})")

    def _fill(self, event_dict, context):
        self._event_dict = event_dict
        self.context = context
        try:
            s3 = event_dict['Records'][0]['s3']
            bucket = s3['bucket']['name']
            key = s3['object']['key']
        except _SHAPE_ERRORS as error:
            raise _malformed(S3Event, event_dict, error) from error
        if type(bucket) is not str or type(key) is not str:
            if not isinstance(bucket, str) or not isinstance(key, str):
                raise _malformed(S3Event, event_dict, TypeError(
                    'the bucket name and object key must be strings'))
        self.bucket = bucket
        self.key = _s3_key(key)
        return self


class _RecordsEvent(BaseLambdaEvent):
    """A batch event: iterating yields one record object per record."""

    record_class = None  # type: type[BaseLambdaEvent] | None

    def _fill(self, event_dict, context):
        self._event_dict = event_dict
        self.context = context
        try:
            records = event_dict['Records']
        except _SHAPE_ERRORS as error:
            raise _malformed(type(self), event_dict, error) from error
        if type(records) is not list and not isinstance(records, list):
            raise _malformed(type(self), event_dict, TypeError('Records must be a list'))
        self._records = records
        return self

    def __iter__(self):
        # A malformed record raises MalformedEventError when it is reached.
        record_class = self.record_class
        context = self.context
        for record in self._records:
            yield _new(record_class)._fill(record, context)

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

    __slots__ = ('_event_dict', 'context', 'body')

    _source_name = 'An SQS'
    _expected = 'an SQS message record (an object with body and receiptHandle)'

    def _fill(self, event_dict, context):
        self._event_dict = event_dict
        self.context = context
        try:
            self.body = event_dict['body']
        except KeyError:
            self.body = None
        except _SHAPE_ERRORS as error:
            raise _malformed(SQSRecord, event_dict, error) from error
        return self

    receipt_handle = _Field('receiptHandle')
    message_id = _Field('messageId')
    attributes = _Field('attributes')
    message_attributes = _Field('messageAttributes')

    @property
    def item_identifier(self):
        """What ``batchItemFailures`` names this record by (its message ID)."""
        return self.message_id


class SQSEvent(_RecordsEvent):
    __slots__ = ('_event_dict', 'context', '_records')
    record_class = SQSRecord
    _source_name = 'An SQS'
    _expected = "an SQS event ({'Records': [{'body': ..., 'receiptHandle': ...}]})"

    def __iter__(self):
        # SQSRecord._fill written out: a queue consumer's cost is mostly this
        # loop, and most of that is making the record object.
        context = self.context
        for record in self._records:
            obj = _new(SQSRecord)
            obj._event_dict = record
            obj.context = context
            try:
                obj.body = record['body']
            except KeyError:
                obj.body = None
            except _SHAPE_ERRORS as error:
                raise _malformed(SQSRecord, record, error) from error
            yield obj


_EPOCH = None
# The last conversion: the records of a batch often share their timestamp.
_last_timestamp = (None, None)


def _epoch_to_datetime(seconds):
    """A naive datetime in UTC (what Chalice 1.x returns) from epoch seconds.

    The same value as ``datetime.fromtimestamp(seconds, timezone.utc)``
    without its time zone (microseconds rounded half to even), computed
    as the epoch plus a timedelta, which costs a fraction of that.
    """
    global _EPOCH, _last_timestamp
    if seconds is None:
        return None
    last = _last_timestamp
    if seconds == last[0] and type(seconds) is type(last[0]):
        return last[1]
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float, str)):
        raise TypeError('a timestamp must be a number, got %s' % type(seconds).__name__)
    if _EPOCH is None:
        from datetime import datetime, timedelta

        _EPOCH = (datetime(1970, 1, 1), timedelta)
    epoch, timedelta = _EPOCH
    value = epoch + timedelta(0, float(seconds))
    _last_timestamp = (seconds, value)
    return value


_b64decode = binascii.a2b_base64  # base64.b64decode minus a Python call


class KinesisRecord(BaseLambdaEvent):
    """One Kinesis record; ``data`` is the base64-decoded payload (bytes)."""

    __slots__ = ('_event_dict', 'context', 'data', 'timestamp', '_kinesis')

    _source_name = 'A Kinesis'
    _expected = "a Kinesis record ({'kinesis': {'data': <base64>, ...}})"

    def _fill(self, event_dict, context):
        self._event_dict = event_dict
        self.context = context
        try:
            kinesis = event_dict['kinesis']
            self.data = _b64decode(kinesis['data'])
            self.timestamp = _epoch_to_datetime(kinesis.get('approximateArrivalTimestamp'))
        except _SHAPE_ERRORS as error:
            raise _malformed(KinesisRecord, event_dict, error) from error
        self._kinesis = kinesis
        return self

    sequence_number = _NestedField('sequenceNumber', '_kinesis')
    partition_key = _NestedField('partitionKey', '_kinesis')
    schema_version = _NestedField('kinesisSchemaVersion', '_kinesis')
    event_id = _Field('eventID')
    event_source_arn = _Field('eventSourceARN')

    @property
    def item_identifier(self):
        """What ``batchItemFailures`` names this record by (its sequence number)."""
        return self.sequence_number


class KinesisEvent(_RecordsEvent):
    __slots__ = ('_event_dict', 'context', '_records')
    record_class = KinesisRecord
    _source_name = 'A Kinesis'
    _expected = "a Kinesis event ({'Records': [{'kinesis': {'data': <base64>, ...}}]})"


class DynamoDBRecord(BaseLambdaEvent):
    """One DynamoDB stream record (images are in DynamoDB's typed JSON)."""

    __slots__ = ('_event_dict', 'context', 'timestamp', 'keys', 'new_image', 'old_image',
                 'event_name', '_ddb')

    _source_name = 'A DynamoDB Streams'
    _expected = "a DynamoDB stream record ({'dynamodb': {...}, 'eventName': ...})"

    def _fill(self, event_dict, context):
        self._event_dict = event_dict
        self.context = context
        try:
            ddb = event_dict.get('dynamodb')
            if ddb is None:
                ddb = {}
            self.timestamp = _epoch_to_datetime(ddb.get('ApproximateCreationDateTime'))
        except _SHAPE_ERRORS as error:
            raise _malformed(DynamoDBRecord, event_dict, error) from error
        self.keys = ddb.get('Keys')
        self.new_image = ddb.get('NewImage')
        self.old_image = ddb.get('OldImage')
        self.event_name = event_dict.get('eventName')
        self._ddb = ddb
        return self

    sequence_number = _NestedField('SequenceNumber', '_ddb')
    size_bytes = _NestedField('SizeBytes', '_ddb')
    stream_view_type = _NestedField('StreamViewType', '_ddb')
    aws_region = _Field('awsRegion')
    event_id = _Field('eventID')
    event_source_arn = _Field('eventSourceARN')

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
    __slots__ = ('_event_dict', 'context', '_records')
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
