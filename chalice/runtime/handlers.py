"""The Lambda handlers the non-HTTP decorators return, and middleware chains.

``@app.on_sqs_message(...)``, ``@app.schedule(...)``, ``@app.lambda_function()``,
``@app.on_ws_message()`` and the rest return a plain function,
``handler(event, context)``: Lambda calls it for every invocation, and a
function is the cheapest thing to call.  It wraps the event in the event
class of its source and runs the app's middleware for that source around the
user's function.  The function carries what Chalice 1.x's handler objects
have: ``func`` (and ``__wrapped__``), ``event_class``, ``middleware_type``,
``app``, plus the user's function's name, qualified name, module and
docstring.

This module is imported by the first such decorator, not by a REST API.
"""
from chalice.runtime.events import _SHAPE_ERRORS, LambdaFunctionEvent, WebsocketEvent
from chalice.runtime.http import Response

# Event objects are built as ``_new(cls)._fill(event, context)``, which is
# ``cls(event, context)`` without the cost of type.__call__ and __init__.
_new = object.__new__

# A handler's chain after its app's middleware changed: rebuilt on the next call.
_STALE = object()


def chain(middlewares, innermost):
    """Wrap ``innermost`` so the first middleware registered runs first."""
    handler = innermost
    for middleware in reversed(middlewares):
        handler = _link(middleware, handler)
    return handler


def _link(middleware, next_handler):
    def call(event):
        return middleware(event, next_handler)
    return call


class HandlerState:
    """What a decorated handler needs besides the user's function.

    ``chain`` is None while no middleware applies to the handler (the user's
    function is called directly), else the middleware chain, or ``_STALE``
    after the app's middleware changed (``invalidate``).
    """

    __slots__ = ('middleware_type', 'innermost', 'app', 'chain')

    def __init__(self, middleware_type, innermost):
        self.middleware_type = middleware_type
        self.innermost = innermost
        self.app = None
        self.chain = None

    def bind(self, app):
        """The handler was registered with ``app``."""
        self.app = app
        self.chain = _STALE if app._middleware else None

    def invalidate(self):
        """The app's middleware changed."""
        self.chain = _STALE

    def current_chain(self):
        """The chain to call, or None to call the innermost function directly."""
        if self.chain is _STALE:
            app = self.app
            middleware = app._middleware_for(self.middleware_type) if app is not None else ()
            self.chain = chain(middleware, self.innermost) if middleware else None
        return self.chain


def lambda_handler(func, event_class, middleware_type, report_batch_item_failures=False):
    """The handler of an event source: ``func`` gets an ``event_class`` object.

    With ``report_batch_item_failures`` what ``func`` returns is turned into
    Lambda's ``batchItemFailures`` answer (``event.batch_response``).
    """
    if report_batch_item_failures:
        def innermost(event_obj):
            return event_obj.batch_response(func(event_obj))
    else:
        innermost = func
    state = HandlerState(middleware_type, innermost)

    def run_chain(event, context):
        event_obj = _new(event_class)._fill(event, context)
        return (state.current_chain() or innermost)(event_obj)

    if getattr(event_class, 'record_class', None) is not None:
        def handler(event, context):
            # A batch ({'Records': [...]}) with no middleware, the usual
            # case, is wrapped here: event_class._fill written out (anything
            # else takes run_chain, where _fill reports what is wrong).
            if state.chain is None:
                try:
                    records = event['Records']
                except _SHAPE_ERRORS:
                    records = None
                if type(records) is list:
                    event_obj = _new(event_class)
                    event_obj._event_dict = event
                    event_obj.context = context
                    event_obj._records = records
                    return innermost(event_obj)
            return run_chain(event, context)
    elif event_class.__dict__.get('_keeps_only_the_event'):
        def handler(event, context):
            # An event class whose _fill only keeps the event (a dict) and
            # the context (EventBridge's): _fill written out.
            if state.chain is None and type(event) is dict:
                event_obj = _new(event_class)
                event_obj._event_dict = event
                event_obj.context = context
                return innermost(event_obj)
            return run_chain(event, context)
    else:
        def handler(event, context):
            if state.chain is None:
                return innermost(_new(event_class)._fill(event, context))
            return run_chain(event, context)

    return _describe(handler, func, event_class, state)


def pure_lambda_handler(func):
    """The handler of ``@app.lambda_function()``: ``func(event, context)``
    itself unless middleware applies."""
    state = HandlerState('pure_lambda', lambda event: func(event.event, event.context))

    def handler(event, context):
        if state.chain is None:
            return func(event, context)
        current = state.current_chain()
        if current is None:
            return func(event, context)
        return current(LambdaFunctionEvent(event, context))

    return _describe(handler, func, LambdaFunctionEvent, state)


def websocket_handler(func):
    """The handler of ``@app.on_ws_*``: points ``app.websocket_api`` at the
    event's endpoint; API Gateway gets ``{'statusCode': 200}`` unless
    ``func`` returns a Response."""
    def innermost(event):
        result = func(event)
        if isinstance(result, Response):
            return result.to_dict()
        return {'statusCode': 200}

    state = HandlerState('websocket', innermost)

    def handler(event, context):
        ws_event = WebsocketEvent(event, context)
        app = state.app
        if app is not None:
            app.websocket_api.configure(ws_event.domain_name, ws_event.stage)
        return (state.current_chain() or innermost)(ws_event)

    return _describe(handler, func, WebsocketEvent, state)


def _describe(handler, func, event_class, state):
    """Give a handler the look of the user's function (as functools.wraps
    does) and the attributes of Chalice 1.x's handler objects."""
    handler.__name__ = getattr(func, '__name__', 'handler')
    handler.__qualname__ = getattr(func, '__qualname__', handler.__name__)
    handler.__module__ = getattr(func, '__module__', handler.__module__)
    handler.__doc__ = getattr(func, '__doc__', None)
    handler.__wrapped__ = func
    handler.func = func
    handler.event_class = event_class
    handler.middleware_type = state.middleware_type
    handler.app = None
    handler._handler_state = state
    return handler
