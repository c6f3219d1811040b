"""Checks on an app's routes and function names that a deploy needs.

Importing an app never fails for these (Chalice 1.x imports such apps too,
in Lambda and in ``chalice.test.Client``); ``chalice deploy``, ``chalice
package`` and ``chalice local`` run :func:`check_app` right after importing
``app.py`` and refuse a failing app with one line naming the problem and the
function at fault.  What is checked:

* every route path is ``/`` or ``/``-separated segments of ``[a-zA-Z0-9._-]``
  or ``{name}`` captures, optionally ending in a greedy ``{name+}``, with no
  trailing slash and no capture name used twice;
* HTTP methods are ones API Gateway knows;
* a view accepts every name its path captures as a keyword argument;
* CORS: no explicit ``OPTIONS`` view on a CORS route, and one CORS setting
  for all views of a path;
* a route's ``content_types`` are all binary or all non-binary;
* one view name per function on a path;
* no two Lambda functions share a name;
* no two routes match the same paths (the matcher ``chalice local`` uses).

:func:`argument_problems` checks the arguments of every decorator against
AWS's limits (:mod:`chalice.limits`): schedule expressions, event patterns,
bucket, topic, queue and stream names, batch sizes and windows, starting
positions, authorizer settings, CORS settings, media types and Lambda
function names, and decorator factories used without their parentheses
(``@app.on_ws_message`` registers nothing).  It returns every problem found
instead of stopping at the first; :func:`find_problems` runs both.
"""
import json
import re

from chalice import limits
from chalice.errors import ChaliceError

VALID_METHODS = frozenset(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'])
_SEGMENT = r'(?:[a-zA-Z0-9._-]+|\{[a-zA-Z_][a-zA-Z0-9_]*\})'
_ROUTE_RE = re.compile(r'^(?:/|(?:/%s)+(?:/\{[a-zA-Z_][a-zA-Z0-9_]*\+\})?|/\{[a-zA-Z_]'
                       r'[a-zA-Z0-9_]*\+\})$' % _SEGMENT)
_CAPTURE_RE = re.compile(r'\{([a-zA-Z_][a-zA-Z0-9_]*)\+?\}')
_CO_VARKEYWORDS = 0x08


class AppCheckError(ValueError):
    """An app that imports but cannot be deployed; ``function`` is at fault.

    ``handler`` is the logical name of the Lambda function (or view) whose
    decorator arguments are wrong, for :func:`argument_problems`.
    """

    def __init__(self, message, function=None, handler=None):
        super().__init__(message)
        self.function = function
        self.handler = handler


class InvalidRouteError(ChaliceError):
    """Two routes of the app match the same paths (the matcher rejects them)."""


def check_app(app):
    """Raise AppCheckError (or InvalidRouteError) for the first problem found."""
    for path, methods in app.routes.items():
        entries = list(methods.values())
        if not entries:
            continue
        first = entries[0]
        check_route_path(path, first.view_function)
        for entry in entries:
            _check_method(entry)
            check_view_args(entry.view_function, path)
            _check_content_types(entry, app.api.binary_types)
            if entry.cors is not None and entry.method == 'OPTIONS':
                raise AppCheckError(
                    "Route %s enables CORS, which adds the OPTIONS method itself: remove "
                    "'OPTIONS' from methods or turn CORS off for this view" % path,
                    entry.view_function)
        _check_same_path(path, entries)
    _check_function_names(app)
    check_matcher(app)


def check_route_path(path, function=None):
    if not isinstance(path, str) or not path.startswith('/'):
        raise AppCheckError('Route %r must be a string starting with "/"' % (path,), function)
    if path != '/' and path.endswith('/'):
        raise AppCheckError('Route cannot end with a trailing slash: %s (use %s)'
                            % (path, path.rstrip('/') or '/'), function)
    if not _ROUTE_RE.match(path):
        raise AppCheckError(
            'Invalid route %r: a route is "/" or "/"-separated segments of [a-zA-Z0-9._-] '
            'characters or {name} captures, optionally ending in a greedy {name+}' % path,
            function)
    names = _CAPTURE_RE.findall(path)
    if len(names) != len(set(names)):
        raise AppCheckError('Route %s captures the same name twice' % path, function)


def check_view_args(view_func, path):
    """A view must take every capture of its path as a keyword argument."""
    code = getattr(view_func, '__code__', None)
    if code is None or code.co_flags & _CO_VARKEYWORDS:
        return
    params = set(code.co_varnames[:code.co_argcount + code.co_kwonlyargcount])
    missing = [n for n in _CAPTURE_RE.findall(path) if n not in params]
    if missing:
        raise AppCheckError(
            'View function %r must accept keyword argument(s) %s captured by route %s'
            % (view_func.__name__, ', '.join(repr(n) for n in missing), path), view_func)


def _check_method(entry):
    if entry.method not in VALID_METHODS:
        raise AppCheckError('Unsupported HTTP method %r for route %s; use one of: %s'
                            % (entry.method, entry.uri_pattern,
                               ', '.join(sorted(VALID_METHODS))), entry.view_function)


def _check_content_types(entry, binary_types):
    binary = {t.lower() for t in binary_types}
    kinds = {c.lower() in binary for c in entry.content_types if c != '*/*'}
    if len(kinds) > 1:
        raise AppCheckError(
            'Route %s mixes binary and non-binary content_types %r; API Gateway cannot '
            'treat one route both ways, so list only one kind'
            % (entry.uri_pattern, entry.content_types), entry.view_function)


def _check_same_path(path, entries):
    for index, entry in enumerate(entries):
        for other in entries[:index]:
            if other.view_name == entry.view_name and \
                    other.view_function is not entry.view_function:
                raise AppCheckError(
                    "Duplicate view name %r on route %s: give one of the views a "
                    "different function name or name=..." % (entry.view_name, path),
                    entry.view_function)
            if other.cors != entry.cors:
                raise AppCheckError(
                    "On route %s the views '%s' and '%s' have different CORS settings; "
                    "all views of one path must share one CORS configuration"
                    % (path, other.view_name, entry.view_name), entry.view_function)


def function_specs(app):
    """``(logical name, handler string)`` of every Lambda function the app defines.

    Four lists: the API handler (when the app has routes), the built-in
    authorizers (deployed only with the API), pure Lambdas and event
    handlers, and the websocket handlers.  What ``chalice deploy`` creates
    and what the validation pass checks both come from here.
    """
    api_specs = [('api_handler', 'app.app')] if app.routes else []
    auth_specs = [(auth.name, auth.handler_string) for auth in app.builtin_auth_handlers]
    other_specs = [(fn.name, fn.handler_string) for fn in app.pure_lambda_functions]
    other_specs.extend((source.name, source.handler_string) for source in app.event_sources)
    ws_specs = [(ws.name, ws.handler_string) for ws in app.websocket_handlers.values()]
    return api_specs, auth_specs, other_specs, ws_specs


def lambda_function_names(app):
    """The logical name of every Lambda function the app defines, in a fixed order."""
    return [name for specs in function_specs(app) for name, _ in specs]


def _check_function_names(app):
    """Every Lambda function the app defines needs its own name."""
    seen = set()
    for name in lambda_function_names(app):
        if name in seen:
            raise AppCheckError(
                'Duplicate function name %r: every Lambda function in an app needs a '
                'unique name; pass name=... to the decorator' % name,
                app.handler_map.get(name))
        seen.add(name)


def check_matcher(app):
    """Refuse routes the matcher of ``chalice local`` and Lambda cannot tell apart."""
    from chalice.routing import RouteMatcher

    try:
        RouteMatcher(app.routes)
    except ValueError as error:
        raise InvalidRouteError('Invalid route in app.py: {}'.format(
            ' '.join(str(error).split()))) from None


def function_location(function):
    """``(filename, line)`` where ``function`` is defined, or None."""
    for attr in ('__wrapped__', 'func'):  # a decorated handler: find the user's function
        function = getattr(function, attr, function)
    code = getattr(function, '__code__', None)
    if code is None:
        return None
    return code.co_filename, code.co_firstlineno


def display_path(filename, project_dir):
    """``filename`` relative to the project when it is inside it."""
    import os

    path = os.path.abspath(filename)
    if path == project_dir or path.startswith(project_dir + os.sep):
        return os.path.relpath(path, project_dir)
    return filename


def find_problems(app):
    """Every problem of the app: the first of :func:`check_app`, then all arguments'."""
    problems = []
    try:
        check_app(app)
    except (AppCheckError, InvalidRouteError) as error:
        problems.append(error)
    problems.extend(argument_problems(app))
    return problems


def problem_line(error, project_dir):
    """The one line the CLI prints for a problem from :func:`find_problems`."""
    location = function_location(getattr(error, 'function', None))
    text = ' '.join(str(error).split())
    if isinstance(error, AppCheckError) and error.handler is not None:
        where = display_path(location[0], project_dir) + ':%d' % location[1] \
            if location is not None else 'app.py'
        if error.handler:
            where += ' (handler %s)' % error.handler
        return 'Invalid %s: %s' % (where, text)
    if isinstance(error, AppCheckError):
        # The same line the import printed when these were import-time errors.
        text = 'ValueError: ' + text
        if location is not None:
            text += ' (%s:%d)' % (display_path(location[0], project_dir), location[1])
        return 'Unable to import your app.py file: ' + text
    return text


# ---------------------------------------------------------------------------
# Decorator arguments
# ---------------------------------------------------------------------------

def _show(value):
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + '...'


def _range(value, bounds, what):
    if not limits.between(value, bounds):
        return '%s must be an integer from %d to %d, got %s' % (what, bounds[0], bounds[1],
                                                               _show(value))
    return None


def argument_problems(app):
    """An :class:`AppCheckError` for every decorator argument AWS would refuse."""
    problems = []

    def add(message, name, function=None):
        if message is not None:
            if function is None and isinstance(name, str):
                function = app.handler_map.get(name)
            problems.append(AppCheckError(message, function, handler=name))

    for decorator, function in getattr(app, '_bare_uses', ()):
        problems.append(AppCheckError(
            '@app.%s needs parentheses: without them %s is not registered; write '
            '@app.%s(...)' % (decorator, getattr(function, '__name__', 'the function'),
                              decorator), function, handler=''))
    for name in lambda_function_names(app):
        if not isinstance(name, str) or not limits.FUNCTION_NAME_RE.fullmatch(name):
            add("the Lambda function name %s may only contain letters, digits, '-' and '_' "
                "(pass name=... to the decorator)" % _show(name), name)
    for source in app.event_sources:
        checker = _SOURCE_CHECKS.get(type(source).__name__)
        for message in checker(source) if checker is not None else ():
            add(message, source.name)
    for config in app.builtin_auth_handlers:
        for message in _authorizer_settings('authorizer', config.ttl_seconds,
                                            ('execution_role', config.execution_role),
                                            config.header):
            add(message, config.name)
    for methods in app.routes.values():
        for entry in methods.values():
            for message in _route_problems(entry):
                add(message, entry.view_name, entry.view_function)
    for media_type in app.api.binary_types:
        if not _is_media_type(media_type):
            problems.append(AppCheckError(
                'app.api.binary_types entry %s must be a media type such as '
                "'image/png' or '*/*'" % _show(media_type), None, handler=''))
    return problems


# -- schedules and event patterns

def schedule_expression_problem(expression):
    """Why EventBridge would refuse a schedule (a string, Rate or Cron), or None.

    The grammar is :func:`chalice.localschedule.parse_schedule`'s, the one
    ``chalice local --schedules`` fires by; the length is EventBridge's limit.
    """
    from chalice.localschedule import ScheduleError, parse_schedule

    to_string = getattr(expression, 'to_string', None)
    text = to_string() if callable(to_string) else expression
    if isinstance(text, str) and len(text) > limits.MAX_SCHEDULE_EXPRESSION:
        return 'schedule expression is %d characters long; EventBridge allows %d' % (
            len(text), limits.MAX_SCHEDULE_EXPRESSION)
    try:
        parse_schedule(expression)
    except ScheduleError as error:
        return 'schedule: %s' % str(error).rstrip('.')
    return None


def _schedule(source):
    yield schedule_expression_problem(source.schedule_expression)
    description = source.description
    if description is not None and (not isinstance(description, str) or
                                    len(description) > limits.MAX_RULE_DESCRIPTION):
        yield ('schedule description must be a string of at most %d characters, got %s'
               % (limits.MAX_RULE_DESCRIPTION, _show(description)))


def _event_pattern(source):
    pattern = source.event_pattern
    if not isinstance(pattern, dict) or not pattern:
        yield ("on_cw_event event_pattern must be a non-empty JSON object (a dict such as "
               "{'source': ['aws.ec2']}), got %s" % _show(pattern))
        return
    try:
        text = json.dumps(pattern)
    except (TypeError, ValueError) as error:
        yield 'on_cw_event event_pattern must be JSON data: %s' % error
        return
    if len(text) > limits.MAX_EVENT_PATTERN:
        yield ('on_cw_event event_pattern is %d characters as JSON; EventBridge allows %d'
               % (len(text), limits.MAX_EVENT_PATTERN))
    field = _pattern_leaf_problem(pattern, '')
    if field is not None:
        yield ('on_cw_event event_pattern field %r must be a non-empty list of values to '
               'match or an object of fields, got %s' % field)


def _pattern_leaf_problem(pattern, prefix):
    for key, value in pattern.items():
        path = prefix + str(key)
        if isinstance(value, dict) and value:
            found = _pattern_leaf_problem(value, path + '.')
            if found is not None:
                return found
        elif not (isinstance(value, list) and value):
            return path, _show(value)
    return None


# -- event sources

def _s3(source):
    if not limits.is_bucket_name(source.bucket):
        yield ("on_s3_event bucket must be an S3 bucket name (3-63 lower-case letters, "
               "digits, '.' and '-', starting and ending with a letter or digit), got %s"
               % _show(source.bucket))
    events = source.events
    if not isinstance(events, list) or not events:
        yield 'on_s3_event events must be a non-empty list of S3 event types, got %s' \
            % _show(events)
        return
    for event in events:
        if event not in limits.S3_EVENTS:
            import difflib

            close = difflib.get_close_matches(str(event), limits.S3_EVENTS, n=1)
            hint = ' (did you mean %s?)' % close[0] if close else ''
            yield ('on_s3_event events contains %s, which is not an S3 event type%s; '
                   'use types such as s3:ObjectCreated:* or s3:ObjectRemoved:Delete'
                   % (_show(event), hint))
    for what in ('prefix', 'suffix'):
        value = getattr(source, what)
        if value is not None and (not isinstance(value, str) or
                                  len(value.encode('utf-8')) > limits.MAX_KEY_FILTER):
            yield ('on_s3_event %s must be a string of at most %d bytes, got %s'
                   % (what, limits.MAX_KEY_FILTER, _show(value)))


def _sns(source):
    topic = source.topic
    if not isinstance(topic, str) or not (limits.TOPIC_NAME_RE.fullmatch(topic) or
                                          limits.TOPIC_ARN_RE.fullmatch(topic)):
        yield ("on_sns_message topic must be an SNS topic name (1-256 letters, digits, '_' "
               "and '-') or a topic ARN, got %s" % _show(topic))


def _sqs(source):
    queue, arn = source.queue, source.queue_arn
    if arn is not None:
        fifo = isinstance(arn, str) and arn.endswith('.fifo')
        if not isinstance(arn, str) or not limits.QUEUE_ARN_RE.fullmatch(arn):
            yield ('on_sqs_message queue_arn must be an SQS queue ARN '
                   '(arn:aws:sqs:REGION:ACCOUNT:NAME), got %s' % _show(arn))
    else:
        fifo = isinstance(queue, str) and queue.endswith('.fifo')
        if not isinstance(queue, str) or len(queue) > limits.MAX_QUEUE_NAME or \
                not limits.QUEUE_NAME_RE.fullmatch(queue):
            yield ("on_sqs_message queue must be an SQS queue name (1-%d letters, digits, "
                   "'_' and '-', FIFO queues ending in .fifo), got %s"
                   % (limits.MAX_QUEUE_NAME, _show(queue)))
    batch_size = source.batch_size
    window = source.maximum_batching_window_in_seconds or 0
    bounds = (1, limits.MAX_FIFO_BATCH_SIZE) if fifo else limits.BATCH_SIZE
    problem = _range(batch_size, bounds, 'on_sqs_message batch_size')
    if problem is not None:
        yield problem + (' (a FIFO queue takes at most %d)' % limits.MAX_FIFO_BATCH_SIZE
                         if fifo else '')
    elif batch_size > limits.MAX_BATCH_SIZE_WITHOUT_WINDOW and window == 0:
        yield ('on_sqs_message batch_size %d needs maximum_batching_window_in_seconds of at '
               'least 1: SQS batches over %d messages need a batching window'
               % (batch_size, limits.MAX_BATCH_SIZE_WITHOUT_WINDOW))
    yield _range(window, limits.BATCHING_WINDOW,
                 'on_sqs_message maximum_batching_window_in_seconds')
    if source.maximum_concurrency is not None:
        yield _range(source.maximum_concurrency, limits.MAXIMUM_CONCURRENCY,
                     'on_sqs_message maximum_concurrency')


def _stream(decorator, source):
    yield _range(source.batch_size, limits.BATCH_SIZE, decorator + ' batch_size')
    yield _range(source.maximum_batching_window_in_seconds or 0, limits.BATCHING_WINDOW,
                 decorator + ' maximum_batching_window_in_seconds')
    if source.starting_position not in limits.STARTING_POSITIONS:
        yield '%s starting_position must be TRIM_HORIZON or LATEST, got %s' % (
            decorator, _show(source.starting_position))


def _kinesis(source):
    stream = source.stream
    if not isinstance(stream, str) or len(stream) > limits.MAX_STREAM_NAME or \
            not limits.STREAM_NAME_RE.fullmatch(stream):
        yield ("on_kinesis_record stream must be a Kinesis stream name (1-%d letters, digits, "
               "'_', '.' and '-'), got %s" % (limits.MAX_STREAM_NAME, _show(stream)))
    yield from _stream('on_kinesis_record', source)


def _dynamodb(source):
    arn = source.stream_arn
    low, high = limits.DYNAMODB_STREAM_ARN_LENGTH
    if not isinstance(arn, str) or not low <= len(arn) <= high or \
            not limits.DYNAMODB_STREAM_ARN_RE.fullmatch(arn):
        yield ('on_dynamodb_record stream_arn must be a DynamoDB stream ARN '
               '(arn:aws:dynamodb:REGION:ACCOUNT:table/TABLE/stream/LABEL), got %s'
               % _show(arn))
    yield from _stream('on_dynamodb_record', source)


_SOURCE_CHECKS = {
    'ScheduledEventConfig': _schedule,
    'CloudWatchEventConfig': _event_pattern,
    'S3EventConfig': _s3,
    'SNSEventConfig': _sns,
    'SQSEventConfig': _sqs,
    'KinesisEventConfig': _kinesis,
    'DynamoDBEventConfig': _dynamodb,
}


# -- authorizers and routes

def _authorizer_settings(what, ttl_seconds, role, header):
    if ttl_seconds is not None:
        yield _range(ttl_seconds, limits.AUTHORIZER_TTL, what + ' ttl_seconds')
    argument, role_arn = role
    if role_arn is not None and (not isinstance(role_arn, str) or
                                 not limits.ROLE_ARN_RE.fullmatch(role_arn)):
        yield ('%s %s must be an IAM role ARN (arn:aws:iam::ACCOUNT:role/NAME), got %s'
               % (what, argument, _show(role_arn)))
    if not isinstance(header, str) or not limits.HEADER_NAME_RE.fullmatch(header):
        yield '%s header must be an HTTP header name, got %s' % (what, _show(header))


def _route_authorizer(authorizer):
    kind = type(authorizer).__name__
    if kind == 'CognitoUserPoolAuthorizer':
        arns = authorizer.provider_arns
        if not arns or not all(isinstance(arn, str) and
                               limits.COGNITO_USER_POOL_ARN_RE.fullmatch(arn)
                               for arn in arns):
            yield ('CognitoUserPoolAuthorizer provider_arns must be a non-empty list of '
                   'user pool ARNs (arn:aws:cognito-idp:REGION:ACCOUNT:userpool/ID), got %s'
                   % _show(arns))
        yield from _authorizer_settings(kind, None, (None, None), authorizer.header)
    elif kind == 'CustomAuthorizer':
        uri = authorizer.authorizer_uri
        if not isinstance(uri, str) or not uri.startswith('arn:'):
            yield ('CustomAuthorizer authorizer_uri must be an API Gateway invocation URI '
                   '(arn:aws:apigateway:REGION:lambda:path/...), got %s' % _show(uri))
        yield from _authorizer_settings(kind, authorizer.ttl_seconds,
                                        ('invoke_role_arn', authorizer.invoke_role_arn),
                                        authorizer.header)
    scopes = getattr(authorizer, 'scopes', None) or []
    if not isinstance(scopes, list) or not all(isinstance(s, str) and s for s in scopes):
        yield '%s scopes must be a list of OAuth scope names, got %s' % (kind, _show(scopes))


def _is_media_type(value):
    return isinstance(value, str) and (value == '*/*' or
                                      bool(limits.MEDIA_TYPE_RE.fullmatch(value)))


def _route_problems(entry):
    prefix = 'route %s ' % entry.uri_pattern
    if entry.api_key_required not in (None, True, False):
        yield prefix + 'api_key_required must be True or False, got %s' % _show(
            entry.api_key_required)
    for media_type in entry.content_types:
        if not _is_media_type(media_type):
            yield prefix + ("content_types entry %s must be a media type such as "
                            "'application/json'" % _show(media_type))
    if entry.authorizer is not None:
        for message in _route_authorizer(entry.authorizer):
            if message is not None:
                yield prefix + message
    cors = entry.cors
    if cors is not None:
        for message in _cors_problems(cors):
            yield prefix + message


def _cors_problems(cors):
    if not isinstance(cors.allow_origin, str) or not cors.allow_origin:
        yield "CORSConfig allow_origin must be '*' or an origin such as " \
            "'https://example.com', got %s" % _show(cors.allow_origin)
    if cors.max_age is not None and not limits.between(cors.max_age, (0, 2 ** 31 - 1)):
        yield 'CORSConfig max_age must be a whole number of seconds, got %s' % _show(
            cors.max_age)
    if cors.allow_credentials not in (None, True, False):
        yield 'CORSConfig allow_credentials must be True or False, got %s' % _show(
            cors.allow_credentials)
    for what in ('_allow_headers', '_expose_headers'):
        for header in getattr(cors, what, ()):
            if not isinstance(header, str) or not limits.HEADER_NAME_RE.fullmatch(header):
                yield 'CORSConfig %s entry %s must be an HTTP header name' % (
                    what.lstrip('_'), _show(header))
