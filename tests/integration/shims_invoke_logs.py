"""moto 5.2.x gaps met by ``chalice invoke`` (applied by moto_support).

With ``{"lambda": {"use_docker": false}}`` moto never runs the function:
Invoke answers with the request's payload (or ``Simple Lambda happy path
OK`` when there is none), or with the next result queued through
``POST /moto-api/static/lambda-simple/response``.  The shims below make it
behave like Lambda where the tests depend on it.  Not shimmed (no test
depends on them): CloudWatch Logs are not written by invocations (tests put
log events themselves); an invalid JSON payload is accepted (AWS answers
InvalidRequestContentException); and a payload that is valid JSON but not an
object (``"x"``, ``[1]``) fails with HTTP 500 (LambdaResponse.invoke looks
the qualifier up in the parsed body with ``[...]``).
"""
import json
from typing import Any, Callable


def register_shims(register: Callable[..., None], original: Callable[..., Any]) -> None:
    from moto.awslambda.responses import LambdaResponse
    from moto.awslambda_simple.models import LambdaSimpleBackend

    def invoke(self: Any, function_name: str, qualifier: Any, body: Any, headers: Any,
               response_headers: Any) -> Any:
        # Raises UnknownFunctionException (ResourceNotFoundException, 404).
        self.get_function(function_name, qualifier)
        return original('lambda-invoke-unknown-function', 'LambdaSimpleBackend',
                        'invoke')(self, function_name, qualifier, body, headers,
                                  response_headers)

    # Gap: Invoke without Docker (LambdaSimpleBackend.invoke) answers for any
    # function name, even one that does not exist, instead of
    # ResourceNotFoundException.
    register('lambda-invoke-unknown-function',
             'LambdaSimpleBackend.invoke: a function that does not exist is invoked',
             LambdaSimpleBackend, 'invoke', invoke)

    def invoke_response(self: Any) -> Any:
        status, response_headers, payload = original(
            'lambda-invoke-function-error', 'LambdaResponse', 'invoke')(self)
        if status == 200 and _is_error_payload(payload):
            response_headers = dict(response_headers)
            response_headers.setdefault('x-amz-function-error', 'Unhandled')
        return status, response_headers, payload

    # Gap: Invoke without Docker (LambdaResponse.invoke) never reports a
    # function error: there is no X-Amz-Function-Error header even when the
    # result is Lambda's error document.  With the shim, a result of the shape
    # {"errorMessage": ..., "errorType": ...} (queued through the moto API, or
    # echoed from the request) is answered as an Unhandled function error.
    register('lambda-invoke-function-error',
             'LambdaResponse.invoke: no X-Amz-Function-Error for an error result',
             LambdaResponse, 'invoke', invoke_response)


def _is_error_payload(payload: Any) -> bool:
    try:
        document = json.loads(payload)
    except (TypeError, ValueError):
        return False
    return isinstance(document, dict) and 'errorMessage' in document \
        and 'errorType' in document
