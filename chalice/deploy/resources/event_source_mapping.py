"""Lambda event source mappings: SQS queues, Kinesis streams, DynamoDB streams.

One implementation, three registered homes (``sqs_event``, ``kinesis_event``,
``dynamodb_event``) that differ only in how the source is named, how its
ARN is built and which extra settings a mapping of that kind takes.

The record of a mapping holds what AWS Chalice records (SQS: ``queue``,
``queue_arn``; Kinesis: ``stream``, ``kinesis_arn``; DynamoDB:
``stream_arn``; and ``event_uuid``, ``lambda_arn``) plus
``event_source_arn``, written as soon as CreateEventSourceMapping answers.
The remote reader looks the recorded mapping up by UUID and also lists the
mappings of the function on the desired source, so a mapping whose
create response was lost (or whose record was) is adopted instead of being
created twice.  A mapping whose source changed (another queue or stream) is
deleted and a new one created; batch size, batching window, (SQS)
maximum concurrency and the function response types (partial batch
responses: ``report_batch_item_failures``) are updated in place.  The starting position of a
stream mapping only matters when it is created, so a changed
``starting_position`` leaves an existing mapping (and its checkpoint) alone.
"""
from typing import ClassVar

from chalice.deploy.naming import tf_arguments, tf_resources
from chalice.deploy.plan import (
    APICall,
    ForgetResource,
    Message,
    RecordResource,
    SetVar,
    Var,
    try_resolve,
)
from chalice.deploy.reading import ReadSession
from chalice.deploy.resources.base import ResourceHome, record_values, register

_GONE = ('ResourceNotFoundException',)
MAPPING_TYPES = ('sqs_event', 'kinesis_event', 'dynamodb_event')
# A mapping being deleted still shows up for a while; it is not one to keep.
_DYING_STATES = ('Deleting',)
# FunctionResponseTypes of a handler with report_batch_item_failures=True.
_REPORT_FAILURES = ('ReportBatchItemFailures',)


def function_name_of(function_arn):
    """``my-function`` from ``arn:aws:lambda:<region>:<account>:function:my-function[:q]``."""
    parts = (function_arn or '').split(':')
    return parts[6] if len(parts) > 6 else function_arn


class EventSourceMappingHome(ResourceHome):
    """What the three kinds of polled event source have in common."""

    # The record key naming the source ('queue', 'stream', 'stream_arn').
    source_key: ClassVar[str] = ''
    # The record key of the source's ARN, as AWS Chalice names it
    # ('queue_arn', 'kinesis_arn', 'stream_arn').
    arn_key: ClassVar[str] = ''
    # How messages name the kind of source ('SQS queue', ...).
    source_kind: ClassVar[str] = ''
    # The SAM event type and the property naming the source's ARN.
    sam_event_type: ClassVar[str] = ''
    sam_source_property: ClassVar[str] = 'Stream'

    # -- per kind

    def source_name(self, model):
        """The source as the user named it (queue name, stream name, stream ARN)."""
        raise NotImplementedError()

    def source_arn(self, model, partition, region, account_id):
        raise NotImplementedError()

    def create_settings(self, model):
        """Parameters of CreateEventSourceMapping besides the common ones
        (also the SAM event's properties and the Terraform arguments)."""
        if model.report_batch_item_failures:
            return {'FunctionResponseTypes': list(_REPORT_FAILURES)}
        return {}

    def update_settings(self, model, mapping):
        """Parameters of UpdateEventSourceMapping besides the common ones,
        and whether any of them differs from ``mapping``."""
        desired = list(_REPORT_FAILURES) if model.report_batch_item_failures else []
        current = list(mapping.get('FunctionResponseTypes') or [])
        if current == desired:
            return {}, False
        # An empty list turns partial batch responses off again.
        return {'FunctionResponseTypes': desired}, True

    # -- reading

    def read_remote(self, aws, model, record):
        """The recorded mapping (by UUID) and the function's mappings on the source.

        Returns None when neither exists, else ``{'recorded': mapping or
        None, 'matching': [mapping, ...]}`` with mappings as Lambda describes
        them (mappings being deleted are left out).
        """
        if isinstance(aws, ReadSession):
            everything = aws.event_source_mappings(len(aws.models_of(*MAPPING_TYPES)))
            if everything is not None:
                return self._found_in(everything, model, record, aws)
        recorded = None
        uuid = (record or {}).get('event_uuid')
        if uuid:
            recorded = aws.call('lambda', 'get_event_source_mapping', {'UUID': uuid},
                                ignore_errors=_GONE)
            if recorded is not None and recorded.get('State') in _DYING_STATES:
                recorded = None
        source_arn = self.source_arn(model, aws.partition, aws.region, aws.account_id)
        matching = []
        params = {'EventSourceArn': source_arn, 'FunctionName': model.function.function_name}
        while True:
            page = aws.call('lambda', 'list_event_source_mappings', params,
                            ignore_errors=_GONE)
            if page is None:
                break
            for mapping in page.get('EventSourceMappings') or []:
                if mapping.get('State') in _DYING_STATES:
                    continue
                if recorded is not None and mapping.get('UUID') == recorded.get('UUID'):
                    continue
                matching.append(mapping)
            marker = page.get('NextMarker')
            if not marker:
                break
            params = dict(params, Marker=marker)
        if recorded is None and not matching:
            return None
        return {'recorded': recorded, 'matching': matching}

    def _found_in(self, mappings, model, record, aws):
        """:meth:`read_remote`'s answer from the list of every mapping of the region."""
        live = [m for m in mappings if m.get('State') not in _DYING_STATES]
        uuid = (record or {}).get('event_uuid')
        recorded = next((m for m in live if uuid and m.get('UUID') == uuid), None)
        source_arn = self.source_arn(model, aws.partition, aws.region, aws.account_id)
        matching = [m for m in live if m is not recorded and
                    m.get('EventSourceArn') == source_arn and
                    function_name_of(m.get('FunctionArn')) == model.function.function_name]
        if recorded is None and not matching:
            return None
        return {'recorded': recorded, 'matching': matching}

    # -- planning

    def plan(self, model, record, remote, ctx):
        function_name = model.function.function_name
        source_arn = self.source_arn(model, ctx.partition, ctx.region, ctx.account_id)
        recorded = (remote or {}).get('recorded')
        matching = [m for m in (remote or {}).get('matching') or []
                    if self._is_for(m, source_arn, function_name)]
        current, stale = None, None
        if recorded is not None:
            if self._is_for(recorded, source_arn, function_name):
                current = recorded
            else:
                stale = recorded
        if current is None and matching:
            current = matching[0]

        steps = []
        if stale is not None:
            # The source (or function) changed: the old mapping goes first,
            # and its record with it, so the state never names a gone mapping.
            steps.append(self._delete_call(stale['UUID'], self._described_record(record),
                                           function_name_of(stale.get('FunctionArn'))))
            steps.append(ForgetResource(model.resource_name))
        if current is None:
            steps.extend(self._create(model, source_arn))
            return steps
        return steps + self._keep(model, record, current, source_arn, ctx,
                                  recorded_again=stale is not None)

    def emit_sam(self, model, ctx):
        from chalice.deploy.naming import ACCOUNT_ID, PARTITION, REGION, function_event, sub

        properties = {
            self.sam_source_property: sub(self.source_arn(model, PARTITION, REGION, ACCOUNT_ID)),
            'BatchSize': model.batch_size,
            # Written when 0 too, as AWS Chalice does.
            'MaximumBatchingWindowInSeconds': model.maximum_batching_window_in_seconds,
        }
        properties.update(self.create_settings(model))
        return function_event(ctx, model.function, model, self.sam_event_type, properties)

    def emit_terraform(self, model, ctx):
        params = {
            'EventSourceArn': self.source_arn(model, ctx.partition, ctx.region, ctx.account_id),
            'FunctionName': Var('%s.lambda_arn' % model.function.resource_name),
            'BatchSize': model.batch_size,
            'MaximumBatchingWindowInSeconds': model.maximum_batching_window_in_seconds,
        }
        params.update(self.create_settings(model))
        arguments = tf_arguments(ctx.value(params))
        # Lambda checks that the role may read the source when the mapping is made.
        dependencies = ctx.role_dependencies(model.function)
        if dependencies:
            arguments['depends_on'] = dependencies
        return tf_resources(('aws_lambda_event_source_mapping', model.resource_name,
                             arguments))

    def plan_delete(self, record, remote, ctx):
        steps = []
        if record.get('event_uuid'):
            steps.append(self._delete_call(record['event_uuid'], self._described_record(record),
                                           function_name_of(record.get('lambda_arn'))))
        steps.append(ForgetResource(record['name']))
        return steps

    # -- pieces

    def _create(self, model, source_arn):
        uuid_var = '%s.event_uuid' % model.resource_name
        lambda_arn = Var('%s.lambda_arn' % model.function.resource_name)
        params = {
            'EventSourceArn': source_arn,
            'FunctionName': lambda_arn,
            'BatchSize': model.batch_size,
            'MaximumBatchingWindowInSeconds': model.maximum_batching_window_in_seconds,
        }
        params.update(self.create_settings(model))
        return [
            APICall('lambda', 'create_event_source_mapping', params,
                    outputs={uuid_var: 'UUID'},
                    message='Subscribing %s to %s' % (model.function.function_name,
                                                      self._described(model))),
            RecordResource(model.resource_name, self.resource_type,
                           self._values(model, source_arn, Var(uuid_var), lambda_arn)),
        ]

    def _keep(self, model, record, mapping, source_arn, ctx, recorded_again):
        uuid = mapping['UUID']
        steps = [SetVar('%s.event_uuid' % model.resource_name, uuid)]
        lambda_arn = try_resolve(Var('%s.lambda_arn' % model.function.resource_name),
                                 ctx.known) or mapping.get('FunctionArn')
        values = self._values(model, source_arn, uuid, lambda_arn)
        if recorded_again or record_values(record) != values:
            steps.append(RecordResource(model.resource_name, self.resource_type, values))
        params = {'UUID': uuid}
        changed = False
        if mapping.get('BatchSize') != model.batch_size:
            changed = True
        if (mapping.get('MaximumBatchingWindowInSeconds') or 0) != \
                model.maximum_batching_window_in_seconds:
            changed = True
        extra, extra_changed = self.update_settings(model, mapping)
        described = '%s to %s' % (model.function.function_name, self._described(model))
        if changed or extra_changed:
            params.update({
                'BatchSize': model.batch_size,
                'MaximumBatchingWindowInSeconds': model.maximum_batching_window_in_seconds,
            })
            params.update(extra)
            steps.append(APICall('lambda', 'update_event_source_mapping', params,
                                 message='Updating subscription of %s' % described))
        else:
            steps.append(Message('No changes to subscription of %s' % described))
        return steps

    def _delete_call(self, uuid, described_source, function_name):
        return APICall('lambda', 'delete_event_source_mapping', {'UUID': uuid},
                       message='Unsubscribing %s from %s' % (function_name, described_source),
                       ignore_errors=_GONE)

    def _values(self, model, source_arn, uuid, lambda_arn):
        return {self.source_key: self.source_name(model), self.arn_key: source_arn,
                'event_source_arn': source_arn, 'event_uuid': uuid, 'lambda_arn': lambda_arn}

    def _described(self, model):
        return '%s %s' % (self.source_kind, self.source_name(model))

    def _described_record(self, record):
        record = record or {}
        name = record.get(self.source_key) or record.get(self.arn_key) or \
            record.get('event_source_arn') or '?'
        return '%s %s' % (self.source_kind, name)

    @staticmethod
    def _is_for(mapping, source_arn, function_name):
        return mapping.get('EventSourceArn') == source_arn and \
            function_name_of(mapping.get('FunctionArn')) == function_name


@register
class SQSEventSourceHome(EventSourceMappingHome):
    resource_type = 'sqs_event'
    source_key = 'queue'
    arn_key = 'queue_arn'
    source_kind = 'SQS queue'
    sam_event_type = 'SQS'
    sam_source_property = 'Queue'

    def source_name(self, model):
        if model.queue:
            return model.queue
        return model.queue_arn.rsplit(':', 1)[-1]

    def source_arn(self, model, partition, region, account_id):
        if model.queue_arn:
            return model.queue_arn
        return 'arn:%s:sqs:%s:%s:%s' % (partition, region, account_id, model.queue)

    def create_settings(self, model):
        settings = super().create_settings(model)
        if model.maximum_concurrency is not None:
            settings['ScalingConfig'] = {'MaximumConcurrency': model.maximum_concurrency}
        return settings

    def update_settings(self, model, mapping):
        settings, changed = super().update_settings(model, mapping)
        current = (mapping.get('ScalingConfig') or {}).get('MaximumConcurrency')
        desired = model.maximum_concurrency
        if desired is None and current is None:
            return settings, changed
        # An empty ScalingConfig removes the limit.
        settings['ScalingConfig'] = {} if desired is None else {'MaximumConcurrency': desired}
        return settings, changed or current != desired


class _StreamHome(EventSourceMappingHome):
    def create_settings(self, model):
        return dict(super().create_settings(model), StartingPosition=model.starting_position)


@register
class KinesisEventSourceHome(_StreamHome):
    resource_type = 'kinesis_event'
    source_key = 'stream'
    arn_key = 'kinesis_arn'
    source_kind = 'Kinesis stream'
    sam_event_type = 'Kinesis'

    def source_name(self, model):
        return model.stream

    def source_arn(self, model, partition, region, account_id):
        return 'arn:%s:kinesis:%s:%s:stream/%s' % (partition, region, account_id, model.stream)


@register
class DynamoDBEventSourceHome(_StreamHome):
    resource_type = 'dynamodb_event'
    source_key = 'stream_arn'
    arn_key = 'stream_arn'
    source_kind = 'DynamoDB stream'
    sam_event_type = 'DynamoDB'

    def source_name(self, model):
        return model.stream_arn

    def source_arn(self, model, partition, region, account_id):
        return model.stream_arn
