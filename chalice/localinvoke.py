"""Run an app's event handlers locally: realistic events, each function's settings.

Used by ``chalice invoke --local``, ``chalice local --trigger``, the
``POST /_chalice/events/<name>`` endpoint of ``chalice local``, its
scheduler and its websocket endpoint.

:func:`build_event` turns a payload into the event the handler's source
delivers, with the generators of ``chalice.test.Client.events`` and defaults
taken from the decorator (the bucket, topic, queue, stream or table the
handler is subscribed to).  The payload is, by event type:

* a complete event (``{"Records": [...]}``, or an EventBridge event with
  ``detail-type``): delivered unchanged;
* a JSON object whose keys are all arguments of the generator (for example
  ``{"message_bodies": ["a", "b"]}`` for SQS; for cw it must have a
  ``detail``): the generator is called with them;
* anything else is the main content: the object key (s3), the message
  (sns), one message body (sqs), one record's data (kinesis), one record or
  a list of records (dynamodb, as ``generate_dynamodb_event`` takes them),
  the ``detail`` object (cw).

Without an event type, a handler gets its own source's kind of event; a
pure Lambda function (and any other function) gets the payload parsed as
JSON, as Lambda's Invoke API delivers it.

:class:`LocalInvoker` calls a handler the way Lambda would: a Lambda
context with the function's deployed name, memory size and timeout, and the
function's own environment variables from ``.chalice/config.json`` for the
stage.  Standard library only (plus the rest of chalice).
"""
from __future__ import annotations

import inspect
import json
import os
import threading
import traceback
from typing import Any, Callable

from chalice.app import (
    CloudWatchEventConfig,
    DynamoDBEventConfig,
    KinesisEventConfig,
    S3EventConfig,
    ScheduledEventConfig,
    SNSEventConfig,
    SQSEventConfig,
)
from chalice.config import lambda_settings
from chalice.errors import ChaliceError
from chalice.gateway import aws_region, deployed_function_name
from chalice.proxy import DEFAULT_ACCOUNT_ID, LambdaContext

__all__ = ['EVENT_TYPES', 'InvokeInputError', 'LocalInvoker', 'build_event',
           'event_type_of', 'function_error', 'invocable_functions']

#: The event types ``--event-type`` (and ``?event_type=``) accepts.
EVENT_TYPES = ('s3', 'sns', 'sqs', 'kinesis', 'dynamodb', 'cw')

_TYPE_OF_CONFIG = (
    (ScheduledEventConfig, 'cw'), (CloudWatchEventConfig, 'cw'), (S3EventConfig, 's3'),
    (SNSEventConfig, 'sns'), (SQSEventConfig, 'sqs'), (KinesisEventConfig, 'kinesis'),
    (DynamoDBEventConfig, 'dynamodb'),
)
_GENERATORS = {
    's3': 'generate_s3_event', 'sns': 'generate_sns_event', 'sqs': 'generate_sqs_event',
    'kinesis': 'generate_kinesis_event', 'dynamodb': 'generate_dynamodb_event',
    'cw': 'generate_cw_event',
}
_DYNAMODB_RECORD_KEYS = frozenset(['keys', 'new_image', 'old_image', 'event_name'])
_NOT_JSON = object()


class InvokeInputError(ChaliceError):
    """A function name or payload that cannot be delivered (exit code 2)."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


# ---------------------------------------------------------------- functions

def invocable_functions(app: Any) -> dict[str, Any]:
    """``{name: handler}`` of every function an event can be delivered to:
    event handlers, pure Lambda functions and built-in authorizers (not the
    REST API handler and not the websocket handlers, which have their own
    endpoints)."""
    websocket_names = {c.name for c in app.websocket_handlers.values()}
    return {name: handler for name, handler in app.handler_map.items()
            if name != 'api_handler' and name not in websocket_names}


def _source_config(app: Any, name: str) -> Any:
    for config in app.event_sources:
        if config.name == name:
            return config
    return None


def event_type_of(app: Any, name: str) -> str | None:
    """The event type the handler ``name`` receives (None: a plain payload)."""
    config = _source_config(app, name)
    for config_class, event_type in _TYPE_OF_CONFIG:
        if isinstance(config, config_class):
            return event_type
    return None


def find_function(app: Any, name: str) -> Any:
    functions = invocable_functions(app)
    if name not in functions:
        known = ', '.join(sorted(functions)) or 'none'
        raise InvokeInputError(
            'No function named %r to deliver an event to; this app defines: %s.'
            % (name, known), status=404)
    return functions[name]


# ---------------------------------------------------------------- events

def _events_client() -> Any:
    from chalice.test import TestEventsClient

    return TestEventsClient()


def _last_segment(arn_or_name: str | None, separator: str = ':') -> str | None:
    if not arn_or_name:
        return None
    return arn_or_name.rsplit(separator, 1)[-1]


def _s3_event_name(config: Any) -> str:
    """``ObjectCreated:Put`` for ``s3:ObjectCreated:*``, and so on."""
    events = list(getattr(config, 'events', None) or ['s3:ObjectCreated:*'])
    name = events[0][3:] if events[0].startswith('s3:') else events[0]
    if name.endswith(':*'):
        kind = name[:-2]
        name = kind + (':Delete' if kind == 'ObjectRemoved' else ':Put')
    return name


def _defaults(app: Any, name: str, event_type: str, stage: str) -> dict[str, Any]:
    """Generator arguments taken from the handler's decorator."""
    config: Any = _source_config(app, name)
    # The decorator's settings apply when the event is of its own kind.
    own = event_type_of(app, name) == event_type
    if event_type == 's3' and own:
        return {'bucket': config.bucket, 'event_name': _s3_event_name(config)}
    if event_type == 'sns' and own:
        return {'topic': _last_segment(config.topic)}
    if event_type == 'sqs' and own:
        return {'queue_name': config.queue or _last_segment(config.queue_arn)}
    if event_type == 'kinesis' and own:
        return {'stream_name': config.stream}
    if event_type == 'dynamodb' and own:
        parts = (config.stream_arn or '').split(':', 5)
        resource = parts[5].split('/') if len(parts) == 6 else []
        return {'table_name': resource[1]} if len(resource) > 1 else {}
    if event_type == 'cw':
        region = aws_region()
        if isinstance(config, ScheduledEventConfig):
            rule = deployed_function_name(app.app_name, stage, name)
            return {'source': 'aws.events', 'detail_type': 'Scheduled Event', 'detail': {},
                    'resources': ['arn:aws:events:%s:%s:rule/%s'
                                  % (region, DEFAULT_ACCOUNT_ID, rule)],
                    'region': region}
        pattern = getattr(config, 'event_pattern', None) or {}
        return {'source': _first(pattern.get('source')) or 'chalice.local',
                'detail_type': _first(pattern.get('detail-type')) or 'Local Event',
                'detail': {}, 'resources': [], 'region': region}
    if event_type == 's3':
        return {'bucket': 'local-bucket'}
    return {}


def _first(value: Any) -> Any:
    if isinstance(value, list):
        return value[0] if value and isinstance(value[0], str) else None
    return value if isinstance(value, str) else None


def _is_complete_event(event_type: str, value: Any) -> bool:
    if not isinstance(value, dict):
        return False
    if event_type == 'cw':
        return 'detail-type' in value and 'source' in value
    return 'Records' in value


def _main_content(event_type: str, text: str, parsed: Any) -> dict[str, Any]:
    """Generator arguments for a payload that is the event's main content."""
    if event_type == 's3':
        key = text.strip()
        if not key:
            raise InvokeInputError('An s3 payload is the object key (or a JSON object of '
                                   'generate_s3_event arguments); it is empty.')
        return {'key': key}
    if event_type == 'sns':
        return {'message': text}
    if event_type == 'sqs':
        return {'message_bodies': [text]}
    if event_type == 'kinesis':
        return {'message_bodies': [text]}
    if event_type == 'dynamodb':
        if isinstance(parsed, dict) and parsed and set(parsed) <= _DYNAMODB_RECORD_KEYS:
            parsed = [parsed]
        if isinstance(parsed, list) and parsed and all(
                isinstance(r, dict) and 'keys' in r for r in parsed):
            return {'records': parsed}
        raise InvokeInputError(
            'A dynamodb payload is a record ({"keys": {...}, "new_image": {...}}), a list '
            'of them, a JSON object of generate_dynamodb_event arguments or a complete '
            'DynamoDB Streams event.')
    # cw: the detail
    if text.strip() == '':
        return {}
    if not isinstance(parsed, dict):
        raise InvokeInputError('A cw payload is the event\'s detail (a JSON object), a JSON '
                               'object of generate_cw_event arguments or a complete '
                               'EventBridge event.')
    return {'detail': parsed}


def build_event(app: Any, name: str, payload: bytes, event_type: str | None = None,
                stage: str = 'dev') -> Any:
    """The event to deliver to function ``name`` of ``stage`` for ``payload``."""
    find_function(app, name)
    if event_type is not None and event_type not in EVENT_TYPES:
        raise InvokeInputError('Unknown event type %r; use one of: %s.'
                               % (event_type, ', '.join(EVENT_TYPES)))
    kind = event_type or event_type_of(app, name)
    try:
        text = payload.decode('utf-8')
    except UnicodeDecodeError:
        raise InvokeInputError('The payload is not UTF-8 text.') from None
    try:
        parsed = json.loads(text) if text.strip() else _NOT_JSON
    except ValueError:
        parsed = _NOT_JSON
    if kind is None:
        if parsed is _NOT_JSON:
            if text.strip():
                raise InvokeInputError(
                    'The payload of %r is not JSON (a pure Lambda function gets the payload '
                    'as Lambda\'s Invoke API delivers it); pass --event-type to wrap it in '
                    'an event.' % name)
            return {}
        return parsed
    if _is_complete_event(kind, parsed):
        return parsed
    generator = getattr(_events_client(), _GENERATORS[kind])
    parameters = inspect.signature(generator).parameters
    # An EventBridge detail is itself an object: it counts as the
    # generator's arguments only when it has a 'detail'.
    if isinstance(parsed, dict) and parsed and set(parsed) <= set(parameters) and (
            kind != 'cw' or 'detail' in parsed):
        arguments = dict(parsed)
    else:
        arguments = _main_content(kind, text, parsed)
    arguments = dict(_defaults(app, name, kind, stage), **arguments)
    missing = [p for p, v in parameters.items()
               if v.default is inspect.Parameter.empty and p not in arguments]
    if missing:
        raise InvokeInputError('A %s payload for %r needs %s.'
                               % (kind, name, ', '.join(missing)))
    try:
        return generator(**arguments)
    except (TypeError, ValueError, AttributeError) as error:
        raise InvokeInputError('Cannot build a %s event from this payload: %s'
                               % (kind, error)) from None


# ---------------------------------------------------------------- invoking

def function_error(error: BaseException) -> dict[str, Any]:
    """Lambda's description of an unhandled exception (the Invoke payload)."""
    stack = traceback.format_list(traceback.extract_tb(error.__traceback__))
    return {'errorMessage': str(error), 'errorType': type(error).__name__,
            'requestId': '', 'stackTrace': [line.rstrip('\n') for line in stack]}


class LocalInvoker:
    """Calls the app's functions as Lambda would, with their own settings.

    ``config`` is the project's :class:`chalice.config.Config` (or None);
    each call gets a Lambda context named ``<app>-<stage>-<name>`` with the
    function's memory size and timeout, and runs with the function's
    environment variables for ``stage`` added to ``os.environ`` (and taken
    away afterwards).  Calls whose variables are already in place run
    concurrently; the others take turns, since ``os.environ`` is shared.
    """

    def __init__(self, app: Any, config: Any = None, stage: str = 'dev') -> None:
        self.app = app
        self.config = config
        self.stage = stage
        app_name = (config.app_name if config is not None else None) or app.app_name
        self.app_name = app_name
        self._environ_lock = threading.RLock()

    def settings(self, name: str) -> tuple[dict[str, str], int, int]:
        """(environment variables, memory MB, timeout s) of function ``name``."""
        if self.config is None:
            memory, timeout, _ = lambda_settings(None)
            return {}, memory, timeout
        scoped = self.config.scope(self.stage, name)
        memory, timeout, _ = lambda_settings(scoped)
        variables = {k: str(v) for k, v in scoped.environment_variables.items()}
        return variables, memory, timeout

    def call(self, name: str, handler: Callable[[Any, Any], Any], event: Any) -> Any:
        """``handler(event, context)`` with function ``name``'s settings."""
        variables, memory, timeout = self.settings(name)
        context = LambdaContext(deployed_function_name(self.app_name, self.stage, name),
                                memory_size=memory, timeout_seconds=timeout,
                                region=aws_region())
        missing = {k: v for k, v in variables.items() if os.environ.get(k) != v}
        if not missing:
            return handler(event, context)
        with self._environ_lock:
            saved = {k: os.environ.get(k) for k in missing}
            os.environ.update(missing)
            try:
                return handler(event, context)
            finally:
                for key, value in saved.items():
                    if value is None:
                        os.environ.pop(key, None)
                    else:
                        os.environ[key] = value

    def invoke(self, name: str, event: Any) -> Any:
        """Deliver ``event`` to the function ``name`` (its exceptions propagate)."""
        return self.call(name, find_function(self.app, name), event)
