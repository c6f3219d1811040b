"""Crash safety of the largest app: the k-th AWS call fails, for every k.

The app (tests/integration/largest_app.py) has every kind of resource
``chalice deploy`` makes.  For every k in 1..N, N being the number of AWS
requests of an uninterrupted deploy, on a moto holding only the event
sources:

1. ``chalice deploy`` with the k-th request failing exits 1 with one
   ``Error:`` line naming the fault (and, once something may have changed,
   the state file);
2. the state file is in the documented format and records exactly what
   exists in moto;
3. ``chalice deploy`` again exits 0 and moto holds what the uninterrupted
   deploy left, configured the same way;
4. ``chalice delete`` leaves nothing.  For the j-th of these deletes, j =
   1..M (M being the number of requests of an uninterrupted delete, fewer
   than N), a first ``chalice delete`` has its j-th request failing: it
   exits 1 and leaves an exact state file, and the second leaves nothing.
   So every request of a delete fails once too.

When the failed request comes before the deploy's first change (it reads
what exists), step 2 finds nothing recorded and nothing made: the run
left AWS and the project as they were, so steps 3 and 4 would repeat the
uninterrupted deploy and delete the loop starts from; they are not run
again for those k.

The values of k are split into ``CHUNKS`` interleaved groups, one test
each, so that pytest-xdist can spread them over its workers.
"""
import threading

import pytest

from chalice.deploy.parallel import DEFAULT_WORKERS
from tests.integration.conftest import run_chalice
from tests.integration.deploy_checks import (
    assert_failed_at_the_kth_call,
    assert_fault_reported,
    assert_rerun_converges,
    each_call_failing,
    fail_like_the_kth,
    first_mutating_index,
    one_error_line,
    remove_state,
    run_ok,
    service_and_operation,
    share_of,
    state_path,
)
from tests.integration.largest_app import (
    assert_nothing_left,
    assert_state_matches_aws,
    clean_run,  # noqa: F401 (a fixture)
    create_sources,
    snapshot,
)

CHUNKS = 6


def test_the_clean_run_covers_every_kind_of_resource(clean_run):  # noqa: F811
    operations = {call.operation for call in clean_run.deploy_calls}
    assert {'CreateRole', 'PublishLayerVersion', 'CreateFunction', 'ImportRestApi',
            'CreateApi', 'PutRule', 'Subscribe', 'CreateEventSourceMapping',
            'PutBucketNotification', 'AddPermission'} <= operations
    records = {r['resource_type'] for r in clean_run.records}
    assert records == {'iam_role', 'lambda_layer', 'lambda_function', 'rest_api',
                       'websocket_api', 'cloudwatch_event', 'sns_event', 'sqs_event',
                       'kinesis_event', 'dynamodb_event', 's3_event'}
    # Enough calls for every chunk, and every request of the delete fails once.
    changing = len(clean_run.deploy_calls) - first_mutating_index(clean_run.deploy_calls)
    assert changing >= 4 * CHUNKS
    assert len(clean_run.delete_calls) <= changing


@pytest.mark.parametrize('chunk', range(CHUNKS))
def test_every_failed_call_is_recoverable(chunk, clean_run, aws_clients,  # noqa: F811
                                          fault_injector, moto_server):
    project, env = clean_run.project, clean_run.env
    calls, delete_calls = clean_run.deploy_calls, clean_run.delete_calls
    first_mutating = first_mutating_index(calls)
    sources = {}

    def fresh_aws():
        moto_server.reset()
        remove_state(project)
        sources['stream'] = create_sources(aws_clients, env)

    def deploy():
        return run_chalice(project, 'deploy', env=env)

    positions = share_of(calls, chunk, CHUNKS)
    for attempt in each_call_failing(calls, fault_injector, fresh_aws, deploy,
                                     positions=positions):
        context = attempt.context
        assert_failed_at_the_kth_call(attempt)
        assert_fault_reported(attempt, project, first_mutating, run_again=True)
        assert_state_matches_aws(project, aws_clients, context)
        if attempt.k - 1 < first_mutating:
            # Nothing was changed: as before the uninterrupted deploy.
            assert_nothing_left(project, aws_clients, context)
            continue
        assert_rerun_converges(
            attempt, project, env, lambda: assert_state_matches_aws(project, aws_clients),
            lambda: snapshot(aws_clients, sources['stream']), clean_run.reference)

        j = attempt.k - first_mutating  # 1 for the deploy's first change
        if j <= len(delete_calls):
            assert_failed_delete_is_recoverable(j, clean_run, aws_clients, fault_injector,
                                                '%s, delete j=%d' % (context, j))
        run_ok(project, 'delete', env)
        assert_nothing_left(project, aws_clients, context)


def assert_failed_delete_is_recoverable(j, clean, aws_clients, fault_injector, context):
    """``chalice delete`` with its j-th request failing: exit 1, one line, exact state."""
    project, delete_calls = clean.project, clean.delete_calls
    fail_like_the_kth(fault_injector, delete_calls, j)
    failed = run_chalice(project, 'delete', env=clean.env)
    injected = fault_injector.failed
    fault_injector.disarm()
    expected = delete_calls[j - 1]
    assert injected is not None, context
    assert service_and_operation(injected) == service_and_operation(expected), (
        context, str(injected), str(expected))
    assert failed.returncode == 1, (context, failed.stderr)
    message = one_error_line(failed)
    assert 'InjectedFault' in message, context
    if j - 1 >= first_mutating_index(delete_calls):
        assert state_path(project) in message, context
    assert_state_matches_aws(project, aws_clients, context)


def test_a_failure_while_other_calls_are_in_flight(clean_run, aws_clients,  # noqa: F811
                                                    fault_injector, moto_server):
    """The CLI creates functions at the same time; one CreateFunction fails while another
    is held in the server (made, its response not sent yet).  The held one completes and
    is recorded, no request starts after the failure (those already on their way, one per
    worker at most, are served), and the rerun converges."""
    project, env = clean_run.project, clean_run.env
    moto_server.reset()
    remove_state(project)
    stream_arn = create_sources(aws_clients, env)
    creates = [0]

    def second_create(call):
        if call.operation != 'CreateFunction':
            return False
        creates[0] += 1
        return creates[0] == 2

    held, release = [], threading.Event()

    def hold(call):
        held.append(call)
        # Until the failure has been answered: the CLI must wait for this call.
        while fault_injector.failed is None and not release.wait(0.05):
            pass

    fault_injector.fail_when(second_create)
    fault_injector.at_call_when(lambda call: call.operation == 'CreateFunction', hold)
    try:
        failed = run_chalice(project, 'deploy', env=env)
    finally:
        release.set()
    injected = fault_injector.failed
    fault_injector.disarm()
    later = fault_injector.calls[injected.index:] if injected is not None else []
    assert injected is not None and injected.operation == 'CreateFunction'
    assert failed.returncode == 1, failed.stderr
    message = one_error_line(failed)
    assert 'InjectedFault' in message and state_path(project) in message
    # The held function (and every other one made) was recorded.
    assert len(held) == 1
    records = assert_state_matches_aws(project, aws_clients)
    functions = [r for r in records if r['resource_type'] == 'lambda_function']
    assert len(functions) == sum(1 for c in fault_injector.calls[:injected.index + len(later)]
                                 if c.operation == 'CreateFunction' and c.status == 201)
    # No request started after the failure: only those on their way were served.
    assert len(later) <= DEFAULT_WORKERS - 1, [str(c) for c in later]
    assert {c.operation for c in later} <= {'CreateFunction'}, [str(c) for c in later]

    run_ok(project, 'deploy', env)
    assert_state_matches_aws(project, aws_clients)
    assert snapshot(aws_clients, stream_arn) == clean_run.reference
    run_ok(project, 'delete', env)
    assert_nothing_left(project, aws_clients)
