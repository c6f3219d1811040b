"""What ``chalice local`` serves besides the routes: events, websockets, schedules.

:class:`LocalExtras` hangs off :class:`chalice.local.LocalDevServer`; the
server hands it the requests whose target starts with one of
:data:`LOCAL_PREFIXES`:

``POST /_chalice/events/<name>[?event_type=s3|sns|sqs|kinesis|dynamodb|cw]``
    delivers the request body, as an event built by
    :func:`chalice.localinvoke.build_event`, to the function ``name``, with
    that function's environment variables for the stage.  The answer is
    what Lambda's Invoke API answers: 200 with the function's reply as
    JSON, or 200 with ``X-Amz-Function-Error: Unhandled`` and the error
    (``errorMessage``, ``errorType``, ``stackTrace``) when it raised; an
    unknown function is a 404 and a payload that cannot be turned into the
    event a 400, each with ``{"message": ...}``.
``GET /ws`` with ``Upgrade: websocket``
    the app's websocket handlers (:mod:`chalice.localws`), when it has any;
    otherwise, and without the upgrade, the request goes to the routes.
``/_chalice/ws/@connections/<id>``
    API Gateway's management API for those connections.

With :meth:`start_schedules` the app's schedules fire on time
(:mod:`chalice.localschedule`).  The ``/_chalice/`` prefix is the local
server's own; it is never an API Gateway route.
"""
from __future__ import annotations

import json
import sys
import traceback
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs, unquote

from chalice.localinvoke import (
    InvokeInputError,
    LocalInvoker,
    build_event,
    find_function,
    function_error,
)
from chalice.proxy import HTTPResponse, json_response

__all__ = ['EVENTS_PATH', 'LOCAL_PREFIXES', 'LocalExtras']

EVENTS_PATH = '/_chalice/events/'
#: Targets the local server hands to :class:`LocalExtras`.
LOCAL_PREFIXES = ('/_chalice/', '/ws')
#: ``CHALICE_LOCAL_SCHEDULE_SPEED=60`` makes schedule time pass 60 times
#: faster (rate(1 minute) fires every second); for trying schedules out.
SPEED_ENV = 'CHALICE_LOCAL_SCHEDULE_SPEED'


class LocalExtras:
    """Events, websockets and schedules of one app in one local server."""

    def __init__(self, app: Any, config: Any, stage: str, api_stage: str,
                 log_request: Any, stream: Any = None) -> None:
        self.app = app
        self.stage = stage
        self.invoker = LocalInvoker(app, config, stage)
        self._log_request = log_request
        self._stream = stream
        self.websocket_url: str | None = None
        self.management_url: str | None = None
        self.scheduler: Any = None
        self.websocket: Any = None
        if app.websocket_handlers:
            from chalice.localws import WebsocketEndpoint

            self.websocket = WebsocketEndpoint(app, self._call, api_stage, log_request,
                                               self.report)

    # -- set-up

    def bind(self, url: str) -> None:
        """The server listens at ``url`` (``http://host:port``)."""
        # A server on every address is reached through loopback.
        local_url = url.replace('//0.0.0.0:', '//127.0.0.1:').replace('//[::]:', '//[::1]:')
        self.management_url = local_url + '/_chalice/ws'
        if self.websocket is not None:
            self.websocket_url = 'ws' + url[len('http'):] + '/ws'
        self._use_local_management_api()

    def _use_local_management_api(self) -> None:
        if self.management_url is not None and self.app.websocket_handlers:
            from chalice.localws import use_local_management_api

            use_local_management_api(self.app, self.management_url)

    def report(self, message: str) -> None:
        stream = self._stream if self._stream is not None else sys.stderr
        try:
            stream.write(message if message.endswith('\n') else message + '\n')
            stream.flush()
        except (OSError, ValueError):
            pass

    def _call(self, name: str, handler: Any, event: Any) -> Any:
        # A session assigned after start-up is pointed at the local API too.
        self._use_local_management_api()
        return self.invoker.call(name, handler, event)

    # -- requests

    def handle(self, method: str, target: str, headers: list[tuple[str, str]], body: bytes,
               sock: Any, rfile: Any, client_ip: str, request_line: str,
               gateway: Any) -> HTTPResponse | None:
        """Answer a request for a :data:`LOCAL_PREFIXES` target.

        None means the connection became a websocket and is now over.
        """
        path, _, query = target.partition('?')
        if path == '/ws' and self.websocket is not None and _is_upgrade(headers):
            return self.websocket.serve(method, target, headers, sock, rfile, client_ip,
                                        request_line)
        if path.startswith(EVENTS_PATH):
            return self._event(method, unquote(path[len(EVENTS_PATH):]), query, body)
        if path.startswith('/_chalice/ws/') and self.websocket is not None:
            from chalice.localws import connection_id_of

            connection_id = connection_id_of(path)
            if connection_id is not None:
                return self.websocket.manage(method, connection_id, body)
        if path.startswith('/_chalice/'):
            return json_response(404, {'message': (
                'chalice local serves POST /_chalice/events/<function name> and, for '
                'websocket apps, /_chalice/ws/@connections/<connection id>; nothing at %s'
                % path)})
        return gateway.handle(method, target, headers, body, client_ip)

    def _event(self, method: str, name: str, query: str, body: bytes) -> HTTPResponse:
        if method != 'POST':
            return json_response(405, {'message': 'Use POST to deliver an event.'},
                                 (('Allow', 'POST'),))
        values = parse_qs(query).get('event_type')
        try:
            handler = find_function(self.app, name)
            event = build_event(self.app, name, body, values[-1] if values else None,
                                self.stage)
        except InvokeInputError as error:
            return json_response(error.status, {'message': str(error)})
        try:
            result = self._call(name, handler, event)
        except Exception as error:
            self.report('%s: the function raised an exception:\n%s'
                        % (name, traceback.format_exc()))
            return _function_error_response(function_error(error))
        try:
            data = json.dumps(result).encode('utf-8')
        except (TypeError, ValueError) as error:
            return _function_error_response({
                'errorMessage': 'Unable to marshal response: %s' % error,
                'errorType': 'Runtime.MarshalError'})
        return HTTPResponse(200, [('Content-Type', 'application/json')], data)

    # -- schedules

    def start_schedules(self, clock: Any = None) -> None:
        """Fire the app's schedules on time until :meth:`close`."""
        import os

        from chalice.localschedule import Clock, LocalScheduler, schedules_of

        schedules = schedules_of(self.app)
        if not schedules:
            self.report('--schedules: this app has no @app.schedule() handlers.')
            return
        if clock is None:
            speed = os.environ.get(SPEED_ENV)
            clock = Clock(float(speed)) if speed else Clock()
        self.scheduler = LocalScheduler(schedules, self._fire, self._scheduled_event,
                                        report=self.report, clock=clock)
        self.scheduler.start()

    def _scheduled_event(self, name: str, when: datetime) -> dict[str, Any]:
        event = build_event(self.app, name, b'', 'cw', self.stage)
        event['time'] = when.strftime('%Y-%m-%dT%H:%M:%SZ')
        return event

    def _fire(self, name: str, event: dict[str, Any]) -> Any:
        return self._call(name, find_function(self.app, name), event)

    # -- shutdown

    def close(self) -> None:
        if self.scheduler is not None:
            self.scheduler.stop()
        if self.websocket is not None:
            self.websocket.close_all()


def _is_upgrade(headers: list[tuple[str, str]]) -> bool:
    return any(name.lower() == 'upgrade' and value.strip().lower() == 'websocket'
               for name, value in headers)


def _function_error_response(error: dict[str, Any]) -> HTTPResponse:
    return HTTPResponse(200, [('Content-Type', 'application/json'),
                              ('X-Amz-Function-Error', 'Unhandled')],
                        json.dumps(error).encode('utf-8'))
