"""The Chalice runtime: the app object, its decorators and request dispatch.

This module (with ``chalice.runtime``) is shipped inside every deployed
Lambda function, so it imports only the standard library and does as little
work per invocation as it can.

What the app records, for the deployer and the local tooling
-------------------------------------------------------------
All registries are plain attributes holding plain objects:

``app.routes``
    ``{path: {METHOD: RouteEntry}}``.  A :class:`RouteEntry` has
    ``view_function``, ``view_name``, ``uri_pattern``, ``method``,
    ``authorizer`` (None, an ``Authorizer`` or a ``ChaliceAuthorizer``),
    ``authorizer_name``, ``api_key_required``, ``content_types``, ``cors``
    (None or a ``CORSConfig``, already resolved against ``app.api.cors``)
    and ``view_args`` (capture names in path order).
``app.builtin_auth_handlers``
    list of ``BuiltinAuthConfig(name, handler_string, ttl_seconds,
    execution_role, header)``.
``app.event_sources``
    list of ``ScheduledEventConfig``, ``CloudWatchEventConfig``,
    ``S3EventConfig``, ``SNSEventConfig``, ``SQSEventConfig``,
    ``KinesisEventConfig`` and ``DynamoDBEventConfig`` records, each with
    ``name``, ``handler_string`` and its own options (a schedule keeps the
    ``Rate``/``Cron`` object it was given).
``app.pure_lambda_functions``
    list of ``LambdaFunction(func, name, handler_string)``.
``app.websocket_handlers``
    ``{'$connect'|'$default'|'$disconnect': WebsocketHandlerConfig}`` (with
    ``handler_function``, the decorated function).
``app.handler_map``
    ``{logical function name: the callable Lambda handler}`` for every
    function the app defines, ``api_handler`` included when it has routes.

Handler strings are ``module.attr``: ``app.<name>`` for functions defined on
the app in app.py, ``<blueprint import_name>.<name>`` for blueprints.
"""
import logging
import os
import re
import sys
import threading

from chalice import __version__ as _CHALICE_VERSION
from chalice.runtime.errors import (
    ALL_ERRORS,
    BadRequestError,
    ChaliceError,
    ChaliceUnhandledError,
    ChaliceViewError,
    ConflictError,
    ForbiddenError,
    MalformedEventError,
    MethodNotAllowedError,
    NotFoundError,
    RequestTimeoutError,
    TooManyRequestsError,
    UnauthorizedError,
    UnprocessableEntityError,
    WebsocketDisconnectedError,
)
from chalice.runtime.http import (
    JSON_CONTENT_TYPE,
    APIGateway,
    CaseInsensitiveMapping,
    ConvertToMiddleware,
    CORSConfig,
    MultiDict,
    Request,
    Response,
    accepts_binary,
    dumps,
    error_response,
    header_value,
    is_binary_type,
    media_type,
    normalize_cors,
    view_response,
)

# Names re-exported from the runtime modules a REST API does not need: those
# modules are imported when one of their names is first used (module
# __getattr__ below, or the decorators that need them), so that a cold start
# of an API does not compile and run them.  Code in this module reaches
# them through _events() and _auth().
_LAZY_EXPORTS = {
    'chalice.runtime.auth': (
        'Authorizer', 'AuthRequest', 'AuthResponse', 'AuthRoute', 'BuiltinAuthConfig',
        'ChaliceAuthorizer', 'CognitoUserPoolAuthorizer', 'CustomAuthorizer',
        'IAMAuthorizer', 'JWTAuthorizer'),
    'chalice.runtime.events': (
        'BaseEventSourceConfig', 'BaseLambdaEvent', 'CloudWatchEvent', 'CloudWatchEventConfig',
        'Cron', 'DynamoDBEvent', 'DynamoDBEventConfig', 'DynamoDBRecord', 'KinesisEvent',
        'KinesisEventConfig', 'KinesisRecord', 'LambdaFunction', 'LambdaFunctionEvent', 'Rate',
        'S3Event', 'S3EventConfig', 'ScheduledEventConfig', 'ScheduleExpression', 'SNSEvent',
        'SNSEventConfig', 'SQSEvent', 'SQSEventConfig', 'SQSRecord', 'WebsocketEvent'),
    'chalice.runtime.websocket': ('WebsocketAPI',),
}
_LAZY_NAMES = {name: module for module, names in _LAZY_EXPORTS.items() for name in names}


def __getattr__(name):
    module = _LAZY_NAMES.get(name)
    if module is None:
        raise AttributeError("module 'chalice.app' has no attribute %r" % (name,))
    value = getattr(__import__(module, fromlist=[name]), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__():
    return sorted(set(globals()) | set(_LAZY_NAMES))


def _events():
    from chalice.runtime import events

    return events


def _auth():
    from chalice.runtime import auth

    return auth


def _handlers():
    from chalice.runtime import handlers

    return handlers


def _new_websocket_api():
    from chalice.runtime.websocket import WebsocketAPI

    return WebsocketAPI()


class _FeatureFlags(set):
    """A set; ``extend`` is ``update`` as one documented example calls it."""

    __slots__ = ()

    def extend(self, flags):
        self.update(flags)

    def __repr__(self):
        return repr(set(self))


__all__ = [
    'Chalice', 'Blueprint', 'Request', 'Response', 'CORSConfig', 'APIGateway',
    'RouteEntry', 'ConvertToMiddleware', 'MultiDict', 'CaseInsensitiveMapping',
    'WebsocketHandlerConfig', 'ChaliceError', 'ChaliceViewError', 'BadRequestError',
    'UnauthorizedError', 'ForbiddenError', 'NotFoundError', 'MethodNotAllowedError',
    'RequestTimeoutError', 'ConflictError', 'UnprocessableEntityError',
    'TooManyRequestsError', 'ChaliceUnhandledError', 'WebsocketDisconnectedError',
    'MalformedEventError', 'ALL_ERRORS', 'error_response',
] + sorted(_LAZY_NAMES)

_CAPTURE_RE = re.compile(r'\{([a-zA-Z_][a-zA-Z0-9_]*)\+?\}')

# Middleware event types and the event class each handler receives.
_MIDDLEWARE_TYPES = frozenset([
    'all', 'http', 's3', 'sns', 'sqs', 'cloudwatch', 'scheduled', 'websocket',
    'pure_lambda', 'kinesis', 'dynamodb',
])

_USE_GLOBAL_CORS = object()
_INTERNAL_ERROR = ('InternalServerError', 'An internal server error occurred.')
_WEBSOCKET_DECORATORS = {'$connect': 'on_ws_connect', '$default': 'on_ws_message',
                         '$disconnect': 'on_ws_disconnect'}
# The fields a RouteEntry is compared by (Chalice 1.x's RouteEntry attributes).
_ROUTE_ENTRY_FIELDS = ('view_function', 'view_name', 'uri_pattern', 'method',
                       'api_key_required', 'content_types', 'view_args', 'cors',
                       'authorizer', 'authorizer_name')


class RouteEntry:
    """One view function bound to one HTTP method of one path.

    ``cors`` is True, False/None or a CORSConfig; left out, the route follows
    ``app.api.cors`` (read when asked, so a later change applies).
    """

    def __init__(self, view_function, view_name, path, method, api_key_required=None,
                 content_types=None, cors=_USE_GLOBAL_CORS, authorizer=None, api=None):
        self.view_function = view_function
        self.view_name = view_name
        self.uri_pattern = path
        self.method = method
        self.api_key_required = api_key_required
        self.content_types = content_types if content_types else [JSON_CONTENT_TYPE]
        self.authorizer = authorizer
        self.view_args = _CAPTURE_RE.findall(path) if '{' in path else []
        self._cors = cors if cors is _USE_GLOBAL_CORS or cors is None else \
            normalize_cors(cors)
        self._api = api

    @property
    def cors(self):
        """The effective CORSConfig (None when CORS is off)."""
        if self._cors is _USE_GLOBAL_CORS:
            return normalize_cors(self._api.cors) if self._api is not None else None
        return self._cors

    @property
    def authorizer_name(self):
        return getattr(self.authorizer, 'name', None) if self.authorizer is not None else None

    def __eq__(self, other):
        if not isinstance(other, RouteEntry):
            return NotImplemented
        return all(getattr(self, f) == getattr(other, f) for f in _ROUTE_ENTRY_FIELDS)

    __hash__ = None  # type: ignore[assignment]  # mutable, compared by value

    def __repr__(self):
        return 'RouteEntry(%s %s -> %s)' % (self.method, self.uri_pattern, self.view_name)


class WebsocketHandlerConfig:
    """Deployer record of one websocket handler."""

    def __init__(self, name, route_key, handler_string, user_handler):
        self.name = name
        self.route_key = route_key
        self.handler_string = handler_string
        self.user_handler = user_handler
        # Chalice 1.x's name for the decorated function.
        self.handler_function = user_handler

    def __repr__(self):
        return 'WebsocketHandlerConfig(name=%r, route_key=%r)' % (self.name, self.route_key)


# ------------------------------------------------------------- decorators

class _DecoratorAPI:
    """The decorators shared by :class:`Chalice` and :class:`Blueprint`.

    Each decorator builds the Lambda handler and passes it to ``_register``
    which the app applies at once and a blueprint replays when it is
    registered.
    """

    _module_name = 'app'
    # (decorator, function) of factories used without "()", e.g. a bare
    # @app.on_ws_message: it registers nothing (as in Chalice 1.x), and the
    # CLI's checks (chalice.appcheck) refuse the app.
    _bare_uses = ()

    def _note_bare(self, decorator, value):
        if callable(value):
            self._bare_uses += ((decorator, value),)

    def route(self, path, **kwargs):
        self._note_bare('route', path)

        def decorator(view_func):
            name = kwargs.get('name') or view_func.__name__
            self._register('route', name, view_func, view_func, path=path, options=kwargs)
            return view_func
        return decorator

    def authorizer(self, ttl_seconds=None, execution_role=None, name=None,
                   header='Authorization'):
        self._note_bare('authorizer', ttl_seconds)

        def decorator(auth_func):
            auth_name = name or auth_func.__name__
            auth = _auth()
            config = auth.BuiltinAuthConfig(auth_name, self._handler_string(auth_func),
                                            ttl_seconds=ttl_seconds,
                                            execution_role=execution_role, header=header)
            wrapper = auth.ChaliceAuthorizer(auth_name, auth_func, config=config)
            self._register('authorizer', auth_name, auth_func, wrapper, config=config)
            return wrapper
        return decorator

    def lambda_function(self, name=None):
        self._note_bare('lambda_function', name)

        def decorator(func):
            wrapper = _handlers().pure_lambda_handler(func)
            self._register('lambda_function', name or func.__name__, func, wrapper)
            return wrapper
        return decorator

    def schedule(self, expression, name=None, description=''):
        self._note_bare('schedule', expression)
        # The expression is kept as given (a Rate, a Cron or a str); the
        # deployer turns it into a string.
        return self._event_decorator(
            'ScheduledEventConfig', 'CloudWatchEvent', name,
            schedule_expression=expression, description=description)

    def on_cw_event(self, event_pattern=None, name=None, pattern=None):
        self._note_bare('on_cw_event', event_pattern)
        # ``pattern`` is the parameter's name in Chalice's API reference.
        if (event_pattern is None) == (pattern is None):
            raise TypeError('on_cw_event() needs exactly one event pattern: pass it as '
                            'event_pattern=... or pattern=..., not both and not neither')
        return self._event_decorator('CloudWatchEventConfig', 'CloudWatchEvent', name,
                                     event_pattern=pattern if event_pattern is None
                                     else event_pattern)

    def on_s3_event(self, bucket, events=None, prefix=None, suffix=None, name=None):
        self._note_bare('on_s3_event', bucket)
        return self._event_decorator(
            'S3EventConfig', 'S3Event', name, bucket=bucket,
            events=list(events) if events else ['s3:ObjectCreated:*'],
            prefix=prefix, suffix=suffix)

    def on_sns_message(self, topic, name=None):
        self._note_bare('on_sns_message', topic)
        return self._event_decorator('SNSEventConfig', 'SNSEvent', name, topic=topic)

    # report_batch_item_failures=True: the handler returns the failed
    # records (see _RecordsEvent.batch_response) and the mapping is created
    # with FunctionResponseTypes=['ReportBatchItemFailures'].

    def on_sqs_message(self, queue=None, batch_size=1, name=None, queue_arn=None,
                       maximum_batching_window_in_seconds=0, maximum_concurrency=None,
                       report_batch_item_failures=False):
        self._note_bare('on_sqs_message', queue)
        if (queue is None) == (queue_arn is None):
            raise ValueError('on_sqs_message needs exactly one of queue (a queue name) '
                             'or queue_arn')
        return self._event_decorator(
            'SQSEventConfig', 'SQSEvent', name, queue=queue, queue_arn=queue_arn,
            batch_size=batch_size,
            maximum_batching_window_in_seconds=maximum_batching_window_in_seconds,
            maximum_concurrency=maximum_concurrency,
            report_batch_item_failures=bool(report_batch_item_failures))

    def on_kinesis_record(self, stream, batch_size=100, starting_position='LATEST',
                          name=None, maximum_batching_window_in_seconds=0,
                          report_batch_item_failures=False):
        self._note_bare('on_kinesis_record', stream)
        return self._event_decorator(
            'KinesisEventConfig', 'KinesisEvent', name, stream=stream, batch_size=batch_size,
            starting_position=starting_position,
            maximum_batching_window_in_seconds=maximum_batching_window_in_seconds,
            report_batch_item_failures=bool(report_batch_item_failures))

    def on_dynamodb_record(self, stream_arn, batch_size=100, starting_position='LATEST',
                           name=None, maximum_batching_window_in_seconds=0,
                           report_batch_item_failures=False):
        self._note_bare('on_dynamodb_record', stream_arn)
        return self._event_decorator(
            'DynamoDBEventConfig', 'DynamoDBEvent', name, stream_arn=stream_arn,
            batch_size=batch_size, starting_position=starting_position,
            maximum_batching_window_in_seconds=maximum_batching_window_in_seconds,
            report_batch_item_failures=bool(report_batch_item_failures))

    def on_ws_connect(self, name=None):
        self._note_bare('on_ws_connect', name)
        return self._websocket_decorator('$connect', name or 'websocket_connect')

    def on_ws_message(self, name=None):
        self._note_bare('on_ws_message', name)
        return self._websocket_decorator('$default', name or 'websocket_message')

    def on_ws_disconnect(self, name=None):
        self._note_bare('on_ws_disconnect', name)
        return self._websocket_decorator('$disconnect', name or 'websocket_disconnect')

    def middleware(self, event_type='all'):
        if callable(event_type):  # a bare @app.middleware: nothing registered
            self._note_bare('middleware', event_type)
            return _unchanged
        _validate_middleware_type(event_type)

        def decorator(func):
            self._register('middleware', func.__name__, func, func, event_type=event_type)
            return func
        return decorator

    # -- helpers

    def _handler_string(self, func):
        return '%s.%s' % (self._module_name, func.__name__)

    def _event_decorator(self, config_name, event_name, name, **options):
        events = _events()
        config_class = getattr(events, config_name)
        event_class = getattr(events, event_name)
        report = bool(options.get('report_batch_item_failures'))

        def decorator(func):
            wrapper = _handlers().lambda_handler(func, event_class, config_class.event_type,
                                                 report)
            fn_name = name or func.__name__
            config = config_class(fn_name, self._handler_string(func), **options)
            self._register('event_source', fn_name, func, wrapper, config=config)
            return wrapper
        return decorator

    def _websocket_decorator(self, route_key, name):
        def decorator(func):
            wrapper = _handlers().websocket_handler(func)
            self._register('websocket', name, func, wrapper, route_key=route_key)
            return wrapper
        return decorator

    def _register(self, handler_type, name, user_handler, wrapped, **kwargs):
        raise NotImplementedError()  # pragma: no cover


class Chalice(_DecoratorAPI):
    """A Chalice application: records handlers and is the API's Lambda handler."""

    FORMAT_STRING = '%(name)s - %(levelname)s - %(message)s'

    def __init__(self, app_name, debug=False, configure_logs=True, env=None):
        self.app_name = app_name
        self._compiled = None
        self.api = APIGateway(on_change=self._invalidate)
        self._websocket_api = None
        self.routes = {}
        self.builtin_auth_handlers = []
        self.event_sources = []
        self.pure_lambda_functions = []
        self.websocket_handlers = {}
        self.handler_map = {}
        self.experimental_feature_flags = _FeatureFlags()
        self._features_used = set()
        self._middleware = []
        self._handler_states = []
        # Counts route registrations (what indexes of the routes key on).
        self._route_generation = 0
        self._local = threading.local()
        self._http_chain = None
        self._env = env
        self.log = logging.getLogger(app_name)
        if configure_logs:
            self._configure_log()
        self._debug = False
        self.debug = debug
        _mark_execution_env(os.environ if env is None else env)

    def _invalidate(self):
        """Route data depends on app.api settings: recompute before the next call."""
        self._compiled = None

    # -- logging and debug

    def _configure_log(self):
        if not any(getattr(h, '_chalice_handler', False) for h in self.log.handlers):
            handler = logging.StreamHandler(sys.stdout)
            handler.setFormatter(logging.Formatter(self.FORMAT_STRING))
            handler._chalice_handler = True
            self.log.addHandler(handler)
            self.log.propagate = False

    @property
    def debug(self):
        return self._debug

    @debug.setter
    def debug(self, value):
        self._debug = value
        self.log.setLevel(logging.DEBUG if value else logging.ERROR)

    @property
    def websocket_api(self):
        """The :class:`WebsocketAPI` (created on first use)."""
        api = self._websocket_api
        if api is None:
            api = self._websocket_api = _new_websocket_api()
        return api

    @websocket_api.setter
    def websocket_api(self, value):
        self._websocket_api = value

    # -- per-request state (thread-local: `chalice local` serves in threads)

    @property
    def current_request(self):
        return getattr(self._local, 'request', None)

    @current_request.setter
    def current_request(self, value):
        self._local.request = value

    @property
    def lambda_context(self):
        return getattr(self._local, 'context', None)

    @lambda_context.setter
    def lambda_context(self, value):
        self._local.context = value

    # -- registration

    def route(self, path, **kwargs):
        # The same as _DecoratorAPI.route without the generic _register hop:
        # an app with many routes pays little per route at import time.
        self._note_bare('route', path)

        def decorator(view_func):
            self._register_route(kwargs.get('name') or view_func.__name__, view_func,
                                 path, kwargs)
            return view_func
        return decorator

    def register_blueprint(self, blueprint, name_prefix=None, url_prefix=None):
        blueprint._register_to(self, name_prefix=name_prefix, url_prefix=url_prefix)

    def register_middleware(self, func, event_type='all'):
        _validate_middleware_type(event_type)
        self._middleware.append((event_type, func))
        for state in self._handler_states:
            state.invalidate()
        self._compiled = None

    def _middleware_for(self, event_type):
        return [func for kind, func in self._middleware if kind in ('all', event_type)]

    def _register(self, handler_type, name, user_handler, wrapped, **kwargs):
        if handler_type == 'route':
            self._register_route(name, user_handler, kwargs['path'], kwargs['options'])
            return
        if handler_type == 'middleware':
            self.register_middleware(user_handler, kwargs['event_type'])
            return
        # Two functions sharing one name load (as in Chalice 1.x); `chalice
        # deploy/package/local` refuse them (chalice.appcheck).
        if handler_type == 'websocket':
            existing = self.websocket_handlers.get(kwargs['route_key'])
            if existing is not None:
                raise ValueError(
                    "Duplicate websocket handler: '%s'. There can only be one handler for "
                    "each websocket decorator." % _WEBSOCKET_DECORATORS[kwargs['route_key']])
        state = getattr(wrapped, '_handler_state', None)
        if state is not None:  # an event, pure Lambda or websocket handler
            wrapped.app = self
            state.bind(self)
            self._handler_states.append(state)
        if handler_type == 'authorizer':
            wrapped.name = name
            config = kwargs['config']
            config.name = name
            self.builtin_auth_handlers.append(config)
        elif handler_type == 'event_source':
            config = kwargs['config']
            config.name = name
            self.event_sources.append(config)
        elif handler_type == 'lambda_function':
            self.pure_lambda_functions.append(
                _events().LambdaFunction(wrapped, name,
                                         self._handler_string_for(user_handler, kwargs)))
        elif handler_type == 'websocket':
            self._features_used.add('WEBSOCKETS')
            route_key = kwargs['route_key']
            self.websocket_handlers[route_key] = WebsocketHandlerConfig(
                name, route_key, self._handler_string_for(user_handler, kwargs), user_handler)
        self.handler_map[name] = wrapped

    def _handler_string_for(self, func, kwargs):
        return kwargs.get('handler_string') or self._handler_string(func)

    def _register_route(self, name, view_func, path, options):
        # Only what Chalice 1.x checks at import time is checked here; the
        # stricter checks (path syntax, view arguments, CORS and content-type
        # consistency) run in `chalice deploy/package/local` (chalice.appcheck).
        # ``options`` is the route() keyword arguments (``name`` included),
        # never modified: the same decorator may be applied again.
        if not isinstance(path, str):
            raise TypeError('Route path must be a string such as "/users/{id}", got %r'
                            % (path,))
        if options:
            methods, content_types, cors, authorizer, api_key_required = \
                _route_options(options)
        else:
            methods, content_types, cors, authorizer, api_key_required = \
                _DEFAULT_METHODS, None, _USE_GLOBAL_CORS, None, None
        existing = self.routes.get(path)
        if existing is None:
            existing = _EMPTY_METHODS
        api = self.api
        new_entries = {}
        for method in methods:
            method = method.upper() if type(method) is str else str(method).upper()
            if method in existing or method in new_entries:
                other = existing.get(method) or view_func
                raise ValueError(
                    "Duplicate method: '%s' detected for route: '%s' between view "
                    "functions: '%s' and '%s'. A path can only have one view per method."
                    % (method, path, getattr(other, 'view_name', name), name))
            new_entries[method] = RouteEntry(view_func, name, path, method, api_key_required,
                                             content_types, cors, authorizer, api)
        # Only now, with every check passed, does the path enter the registry.
        if existing is _EMPTY_METHODS:
            self.routes[path] = new_entries
        else:
            existing.update(new_entries)
            compiled = self._compiled
            if compiled:
                compiled.pop(path, None)
        if 'api_handler' not in self.handler_map:
            self.handler_map['api_handler'] = self
        self._route_generation += 1

    # -- dispatch of API Gateway REST proxy events
    #
    # What a request needs beyond the event is computed per path, the first
    # time the path is requested, and kept in ``self._compiled`` ({path:
    # (methods table, Allow header, CORS headers)}); changing app.api or the
    # middleware empties it.  A cold start therefore pays for the one route
    # it serves, not for every route of the app.

    def _reset_compiled(self):
        binary_types = frozenset(t.lower() for t in self.api.binary_types)
        self._binary_types = binary_types
        self._json_is_binary = JSON_CONTENT_TYPE in binary_types or '*/*' in binary_types
        http_middleware = self._middleware_for('http')
        self._http_chain = (_handlers().chain(http_middleware, self._view_response)
                            if http_middleware else None)
        compiled = self._compiled = {}
        return compiled

    def _compile_path(self, compiled, path):
        """The dispatch table of one path (None for an unknown path)."""
        methods = self.routes.get(path)
        if methods is None:
            return None
        result = compiled[path] = _dispatch_table(methods, self._json_is_binary)
        return result

    def _path_table(self, path):
        """``(methods table, Allow header, CORS headers)`` of ``path`` (None if
        the app has no such route), built on first use."""
        compiled = self._compiled
        if compiled is None:
            compiled = self._reset_compiled()
        return compiled.get(path) or self._compile_path(compiled, path)

    def _route_for(self, event):
        """The compiled route of an event already checked by ``__call__``."""
        request_context = event['requestContext']
        path_table = self._path_table(request_context['resourcePath'])
        return path_table[0][request_context.get('httpMethod') or event['httpMethod']]

    def __call__(self, event, context=None):
        if type(event) is dict and 'rawPath' in event:
            return self._dispatch_v2(event, context)
        compiled = self._compiled
        if compiled is None:
            compiled = self._reset_compiled()
        try:
            request_context = event['requestContext']
            resource_path = request_context['resourcePath']
            path_table = compiled.get(resource_path)
        except Exception:
            # Not an API Gateway REST proxy event: answer, never raise to Lambda.
            return self._internal_error('a malformed API Gateway event', None)
        if path_table is None:
            path_table = self._compile_path(compiled, resource_path)
            if path_table is None:
                return error_response('NotFoundError', 'Unknown resource: %s' % resource_path,
                                      404)
        try:
            table, allowed, path_cors_headers = path_table
            method = request_context.get('httpMethod') or event['httpMethod']
            route = table.get(method)
            if route is None:
                headers = {'Allow': allowed}
                if path_cors_headers:
                    headers.update(path_cors_headers)
                return error_response('MethodNotAllowedError',
                                      'Unsupported method: %s' % method, 405, headers)
            if route.preflight:
                return {'headers': dict(route.headers), 'statusCode': 200, 'body': None}
            headers = event.get('headers')
            content_type = header_value(headers, 'content-type') if headers else None
            mime = None
            if content_type is not None or event.get('body'):
                mime = media_type(content_type) if content_type else JSON_CONTENT_TYPE
                if mime not in route.content_types and not route.any_content_type:
                    return error_response(
                        'UnsupportedMediaType', 'Unsupported media type: %s' % mime, 415,
                        route.cors_headers)
        except Exception:
            # Not an API Gateway REST proxy event: answer, never raise to Lambda.
            return self._internal_error('a malformed API Gateway event', None)
        local = self._local
        request = Request(event, context)
        request._media_type = mime
        local.request = request
        local.context = context
        try:
            http_chain = self._http_chain
            if http_chain is not None:
                try:
                    response = http_chain(request)
                except ChaliceViewError as error:
                    return error_response(type(error).__name__, str(error),
                                          error.STATUS_CODE, route.cors_headers)
                except ChaliceUnhandledError:
                    raise
                except Exception:
                    return self._unhandled_error(route.entry, route.cors_headers)
                return self._finish(response, route, headers)
            entry = route.entry
            try:
                view_args = entry.view_args
                if view_args:
                    params = event.get('pathParameters') or _EMPTY_PARAMS
                    result = entry.view_function(
                        **{name: params.get(name) for name in view_args})
                else:
                    result = entry.view_function()
            except ChaliceViewError as error:
                return error_response(type(error).__name__, str(error),
                                      error.STATUS_CODE, route.cors_headers)
            except ChaliceUnhandledError:
                raise
            except Exception:
                return self._unhandled_error(entry, route.cors_headers)
            result_type = type(result)
            if (result_type is dict or result_type is list) and not route.json_is_binary:
                try:
                    body = dumps(result)
                except (TypeError, ValueError) as error:
                    return self._unserializable(entry, error, route.cors_headers)
                cors_headers = route.cors_headers
                if cors_headers:
                    response_headers = {'Content-Type': JSON_CONTENT_TYPE}
                    response_headers.update(cors_headers)
                    return {'headers': response_headers, 'statusCode': 200, 'body': body}
                return {'headers': {'Content-Type': JSON_CONTENT_TYPE}, 'statusCode': 200,
                        'body': body}
            if not isinstance(result, Response):
                result = Response(result, {'Content-Type': JSON_CONTENT_TYPE})
            return self._finish(result, route, headers)
        finally:
            local.request = None
            local.context = None

    def _dispatch_v2(self, event, context):
        """HTTP API payload format 2.0 events: see chalice.runtime.http_v2."""
        from chalice.runtime import http_v2

        # Later calls go straight to the v2 dispatcher (a plain function).
        Chalice._dispatch_v2 = http_v2.dispatch
        return http_v2.dispatch(self, event, context)

    def _view_response(self, request):
        """Innermost link of the HTTP middleware chain: always a Response."""
        return view_response(self, self._route_for(request._event).entry, request.uri_params)

    def _finish(self, response, route, request_headers):
        """Turn a Response into the proxy dict: CORS and the binary checks."""
        if not isinstance(response, Response):
            response = Response(response, {'Content-Type': JSON_CONTENT_TYPE})
        if route.cors_headers:
            for name, value in route.cors_headers.items():
                response.headers.setdefault(name, value)
        binary_types = self._binary_types
        content_type = header_value(response.headers, 'content-type')
        if binary_types and is_binary_type(content_type, binary_types) and \
                not accepts_binary(header_value(request_headers, 'accept'), binary_types):
            raw_type = content_type or JSON_CONTENT_TYPE
            return error_response(
                'BadRequest',
                'Request did not specify an Accept header with %s, The response has a '
                'Content-Type of %s. If a response has a binary Content-Type then the '
                'request must specify an Accept header that matches.'
                % (raw_type, raw_type), 400, route.cors_headers)
        try:
            return response.to_dict(binary_types)
        except TypeError as error:
            return self._unserializable(route.entry, error, route.cors_headers)
        except Exception:
            return self._unhandled_error(route.entry, route.cors_headers)

    def _unserializable(self, entry, error, cors_headers):
        """A 500 for a view result json cannot encode, naming view and type."""
        try:
            raise TypeError('The value returned by view function %r could not be '
                            'serialized to JSON: %s' % (_function_name(entry), error)) \
                from error
        except TypeError:
            return self._unhandled_error(entry, cors_headers)

    def _unhandled_error(self, entry, cors_headers):
        return self._internal_error('view function %s' % _function_name(entry), cors_headers)

    def _internal_error(self, what, cors_headers):
        """The 500 for an unexpected exception (call it inside ``except``)."""
        self.log.error('Caught exception for %s', what, exc_info=True)
        if self._debug:
            import traceback

            headers = {'Content-Type': 'text/plain'}
            if cors_headers:
                headers.update(cors_headers)
            return {'headers': headers, 'statusCode': 500, 'body': traceback.format_exc()}
        return error_response(_INTERNAL_ERROR[0], _INTERNAL_ERROR[1], 500, cors_headers)


_DEFAULT_METHODS = ('GET',)
_EMPTY_METHODS = {}  # type: dict
_EMPTY_PARAMS = {}  # type: dict
_ROUTE_OPTIONS = frozenset(['name', 'methods', 'content_types', 'cors', 'authorizer',
                            'authorization_scopes', 'api_key_required'])


def _route_options(options):
    """Check route() keyword arguments; (methods, content_types, cors,
    authorizer, api_key_required), defaults filled in."""
    unknown = options.keys() - _ROUTE_OPTIONS
    if unknown:
        raise TypeError('route() got unexpected keyword argument(s): %s'
                        % ', '.join(sorted(unknown)))
    methods = options.get('methods') or _DEFAULT_METHODS
    if isinstance(methods, str):
        methods = [methods]
    content_types = options.get('content_types')
    if content_types is not None and (isinstance(content_types, str) or not all(
            isinstance(c, str) for c in content_types)):
        raise ValueError('content_types must be a list of strings, e.g. '
                         "['application/json'], got %r" % (content_types,))
    authorizer = options.get('authorizer')
    if authorizer is not None and not isinstance(
            authorizer, (_auth().Authorizer, _auth().ChaliceAuthorizer)):
        raise TypeError('authorizer must be an IAMAuthorizer, CognitoUserPoolAuthorizer, '
                        'CustomAuthorizer, JWTAuthorizer or an @app.authorizer() '
                        'function, got %r' % (authorizer,))
    scopes = options.get('authorization_scopes')
    if scopes is not None:
        authorizer = _with_scopes(authorizer, scopes)
    cors = options.get('cors')
    cors = _USE_GLOBAL_CORS if cors is None else normalize_cors(cors)
    return methods, content_types, cors, authorizer, options.get('api_key_required')


def _with_scopes(authorizer, scopes):
    """The route's authorizer requiring ``authorization_scopes``."""
    if isinstance(scopes, str) or not all(isinstance(scope, str) for scope in scopes):
        raise ValueError("authorization_scopes must be a list of strings, e.g. ['read'], "
                         'got %r' % (scopes,))
    if not hasattr(authorizer, 'with_scopes'):
        raise ValueError('authorization_scopes needs an authorizer that checks OAuth scopes '
                         '(JWTAuthorizer, CognitoUserPoolAuthorizer, ...), got %r'
                         % (authorizer,))
    return authorizer.with_scopes(list(scopes))


def _dispatch_table(methods, json_is_binary):
    """``(methods table, Allow header, CORS headers)`` of one path's routes
    ({METHOD: RouteEntry}), with the CORS preflight when CORS is on."""
    table = {}
    cors_config = None
    for method, entry in methods.items():
        cors = entry.cors
        if cors is not None:
            cors_config = cors
        content_types = frozenset(c.lower() for c in entry.content_types)
        table[method] = _CompiledRoute(
            entry, content_types,
            '*/*' in content_types,
            cors.get_access_control_headers() if cors is not None else None,
            json_is_binary)
    allowed = list(methods)
    if cors_config is not None and 'OPTIONS' not in methods:
        allowed.append('OPTIONS')
        preflight_headers = cors_config.get_access_control_headers()
        preflight_headers['Access-Control-Allow-Methods'] = ','.join(allowed)
        table['OPTIONS'] = _CompiledPreflight(preflight_headers)
    return (table, ','.join(allowed),
            cors_config.get_access_control_headers() if cors_config is not None else None)


def _function_name(entry):
    return getattr(entry.view_function, '__name__', None) or entry.view_name


class _CompiledRoute:
    __slots__ = ('entry', 'content_types', 'any_content_type', 'cors_headers',
                 'json_is_binary')
    preflight = False

    def __init__(self, entry, content_types, any_content_type, cors_headers, json_is_binary):
        self.entry = entry
        self.content_types = content_types
        self.any_content_type = any_content_type
        self.cors_headers = cors_headers
        self.json_is_binary = json_is_binary


class _CompiledPreflight:
    __slots__ = ('headers',)
    preflight = True

    def __init__(self, headers):
        self.headers = headers


def _unchanged(func):
    return func


def _validate_middleware_type(event_type):
    if event_type not in _MIDDLEWARE_TYPES:
        raise ValueError('Unknown middleware event type %r; use one of: %s' % (
            event_type, ', '.join(sorted(_MIDDLEWARE_TYPES))))


def _mark_execution_env(env):
    """Add Chalice's user-agent marker to AWS_EXECUTION_ENV, once (as Chalice 1.x).

    boto3 puts AWS_EXECUTION_ENV in the user agent of every AWS call the
    function makes; only an environment that already sets it is changed.
    """
    current = env.get('AWS_EXECUTION_ENV')
    marker = 'aws-chalice/%s' % _CHALICE_VERSION
    if current is not None and marker not in current.split():
        env['AWS_EXECUTION_ENV'] = '%s %s' % (current, marker)


# ---------------------------------------------------------------- blueprints

class Blueprint(_DecoratorAPI):
    """A group of handlers defined apart from the app and registered later.

    ``import_name`` is the module the blueprint lives in (usually
    ``__name__``); Lambda handler strings for its functions point there.
    """

    def __init__(self, import_name):
        self._import_name = import_name
        self._module_name = import_name
        self._deferred = []
        self._current_app = None

    def _register(self, handler_type, name, user_handler, wrapped, **kwargs):
        self._deferred.append((handler_type, name, user_handler, wrapped, kwargs))

    def _register_to(self, app, name_prefix=None, url_prefix=None):
        self._current_app = app
        app._bare_uses += self._bare_uses
        for handler_type, name, user_handler, wrapped, kwargs in self._deferred:
            kwargs = dict(kwargs)
            if handler_type == 'route':
                path = kwargs['path']
                prefix = (url_prefix or '').rstrip('/')
                if prefix:
                    path = prefix if path == '/' else prefix + path
                kwargs['path'] = path
            elif handler_type != 'middleware' and name_prefix:
                name = name_prefix + name
            if handler_type not in ('route', 'middleware'):
                kwargs['handler_string'] = '%s.%s' % (self._import_name, user_handler.__name__)
            app._register(handler_type, name, user_handler, wrapped, **kwargs)

    def _app(self, attr):
        if self._current_app is None:
            raise RuntimeError(
                "Can only access Blueprint.%s once the blueprint is registered with "
                "app.register_blueprint()" % attr)
        return self._current_app

    @property
    def current_app(self):
        return self._app('current_app')

    @property
    def current_request(self):
        return self._app('current_request').current_request

    @property
    def lambda_context(self):
        return self._app('lambda_context').lambda_context

    @property
    def log(self):
        return self._app('log').log

    def register_middleware(self, func, event_type='all'):
        _validate_middleware_type(event_type)
        self._register('middleware', func.__name__, func, func, event_type=event_type)
