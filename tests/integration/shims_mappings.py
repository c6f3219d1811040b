"""moto 5.2.x gaps met by Lambda event source mappings (SQS, Kinesis, DynamoDB).

Picked up by ``moto_support._register_area_shims``; each shim names its gap.
Not shimmed (no test here depends on them):

* every mapping is ``Enabled`` at once (no Creating/Updating/Deleting, so no
  ResourceInUseException): ``FaultInjector.fail_when`` exercises that path;
* a second SQS mapping for the same function and queue is accepted (AWS
  answers ResourceConflictException).
"""
from typing import Any, Callable


def register_shims(register: Callable[..., None], original: Callable[..., Any]) -> None:
    from moto.awslambda.models import LambdaBackend
    from moto.awslambda.responses import LambdaResponse

    # Gap: ListEventSourceMappings(FunctionName=...) compares the filter with
    # the very string given to CreateEventSourceMapping
    # (LambdaBackend.list_event_source_mappings), so listing by function name
    # misses a mapping created with the function's ARN (and vice versa).
    register('lambda-esm-list-by-function',
             'LambdaBackend.list_event_source_mappings: FunctionName matched as a raw string',
             LambdaBackend, 'list_event_source_mappings', _list_event_source_mappings)

    # Gap: UpdateEventSourceMapping and DeleteEventSourceMapping of an unknown
    # UUID answer 200 with an empty body (LambdaResponse.update_/
    # delete_event_source_mapping) instead of ResourceNotFoundException.
    def update(self: Any) -> Any:
        _check_mapping_exists(self)
        return original('lambda-esm-unknown-uuid', 'LambdaResponse',
                        'update_event_source_mapping')(self)

    def delete(self: Any) -> Any:
        _check_mapping_exists(self)
        return original('lambda-esm-unknown-uuid', 'LambdaResponse',
                        'delete_event_source_mapping')(self)

    register('lambda-esm-unknown-uuid',
             'LambdaResponse.update_event_source_mapping: unknown UUID succeeds '
             '(and DeleteEventSourceMapping too)',
             LambdaResponse, 'update_event_source_mapping', update,
             (LambdaResponse, 'delete_event_source_mapping', delete))


def _function_arn(backend: Any, name_or_arn: str) -> str:
    from moto.awslambda.utils import make_function_arn

    if name_or_arn.startswith('arn:'):
        return name_or_arn
    name, _, qualifier = name_or_arn.partition(':')
    arn = make_function_arn(backend.region_name, backend.account_id, name)
    return '%s:%s' % (arn, qualifier) if qualifier else arn


def _list_event_source_mappings(self: Any, event_source_arn: str | None,
                                function_name: str | None) -> list[Any]:
    mappings = list(self._event_source_mappings.values())
    if event_source_arn:
        mappings = [m for m in mappings if m.event_source_arn == event_source_arn]
    if function_name:
        wanted = _function_arn(self, function_name)
        mappings = [m for m in mappings if m.function_arn == wanted]
    return mappings


def _check_mapping_exists(response: Any) -> None:
    from moto.awslambda.exceptions import GenericResourcNotFound

    uuid = response.path.rstrip('/').split('/')[-1]
    if response.backend.get_event_source_mapping(uuid) is None:
        raise GenericResourcNotFound()
