"""Exceptions raised by, and understood by, the Chalice runtime.

Raising a :class:`ChaliceViewError` subclass from a view turns into an HTTP
response with the class's ``STATUS_CODE`` and the JSON body
``{"Code": "<ClassName>", "Message": "<str(exc)>"}``.
"""


class ChaliceError(Exception):
    """Base class of every exception defined by the runtime."""


class ChaliceViewError(ChaliceError):
    """A view failed; the client gets a 500 unless a subclass says otherwise."""

    STATUS_CODE = 500


class BadRequestError(ChaliceViewError):
    STATUS_CODE = 400


class UnauthorizedError(ChaliceViewError):
    STATUS_CODE = 401


class ForbiddenError(ChaliceViewError):
    STATUS_CODE = 403


class NotFoundError(ChaliceViewError):
    STATUS_CODE = 404


class MethodNotAllowedError(ChaliceViewError):
    STATUS_CODE = 405


class RequestTimeoutError(ChaliceViewError):
    STATUS_CODE = 408


class ConflictError(ChaliceViewError):
    STATUS_CODE = 409


class UnprocessableEntityError(ChaliceViewError):
    STATUS_CODE = 422


class TooManyRequestsError(ChaliceViewError):
    STATUS_CODE = 429


class ChaliceUnhandledError(ChaliceError):
    """Raise this to let an error escape the handler instead of becoming a 500.

    The Lambda invocation then fails, which is what error metrics, retries and
    dead-letter queues key off.
    """


class WebsocketDisconnectedError(ChaliceError):
    """The websocket client identified by ``connection_id`` has gone away."""

    def __init__(self, connection_id):
        super().__init__('Websocket connection is disconnected: %s' % connection_id)
        self.connection_id = connection_id


class MalformedEventError(ChaliceError, ValueError):
    """A handler was invoked with an event that is not the kind it handles.

    Raised (instead of a ``KeyError`` or ``TypeError`` from deep inside the
    runtime) when, for example, an SNS handler receives an S3 event or a
    hand-written test event lacks a field AWS always sends.  The message
    names the event type that was expected and what is wrong.
    """


ALL_ERRORS = [
    ChaliceViewError, BadRequestError, UnauthorizedError, ForbiddenError,
    NotFoundError, MethodNotAllowedError, RequestTimeoutError, ConflictError,
    UnprocessableEntityError, TooManyRequestsError,
]
