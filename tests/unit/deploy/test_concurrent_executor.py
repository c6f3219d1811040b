"""The executor running independent plan groups at the same time.

The in-memory AWS (``fakes.FakeAWS``) is called from the executor's worker
threads; its ``on_call`` hook (run outside its lock) holds chosen calls
until others are in flight, so that each test sets up the interleaving it
is about without depending on timing: the waits have a generous limit only
so that a broken executor fails instead of hanging.
"""
import signal
import threading

import pytest

from chalice.deploy.executor import OrderedOutput, predecessors
from chalice.deploy.interrupts import Interrupted, InterruptGuard
from chalice.deploy.plan import APICall, Message, Plan, SetVar, Var
from chalice.errors import DeploymentError
from tests.unit.deploy.fakes import (
    FakeAWS,
    RecordingUI,
    make_config,
    make_package,
    read_state_file,
    run_delete,
    run_deploy,
    write_project,
)
from tests.unit.deploy.test_executor import assert_state_matches_aws, big_app

LIMIT = 30  # seconds; reached only when the executor is broken
FUNCTIONS = ('demo-dev', 'demo-dev-auth', 'demo-dev-worker', 'demo-dev-cleanup')


@pytest.fixture
def package(tmp_path):
    return make_package(tmp_path)


def methods_of(aws, start=0):
    return [method for _, method, _ in aws.calls[start:]]


class Rendezvous:
    """Holds chosen create_function calls until ``count`` of them are in flight."""

    def __init__(self, count):
        self.barrier = threading.Barrier(count, timeout=LIMIT)

    def __call__(self, service, method, params):
        if method == 'create_function':
            self.barrier.wait()


# ---------------------------------------------------------------- scheduling


def test_independent_functions_are_created_at_the_same_time(tmp_path, package):
    project = write_project(tmp_path / 'proj')
    aws = FakeAWS()
    # Four functions, four workers: each create waits until all four are in
    # flight, which only happens if they run at the same time.
    aws.on_call = Rendezvous(len(FUNCTIONS))
    run_deploy(aws, make_config(big_app(), project), package, workers=4)
    assert sorted(aws.functions) == sorted(FUNCTIONS)
    assert_state_matches_aws(project, aws)


def test_predecessors_follow_dependencies_variables_shared_keys_and_barriers():
    call = APICall('lambda', 'create_function', {'FunctionName': 'a'},
                   outputs={'a.lambda_arn': 'FunctionArn'})
    plan = Plan()
    plan.add_group('role', [APICall('iam', 'create_role', {'RoleName': 'r'})])
    plan.add_group('a', [call], after=['role'])
    plan.add_group('b', [APICall('lambda', 'create_function', {'FunctionName': 'b'})],
                   after=['role'])
    # Uses a's ARN: after a, even without naming it.
    plan.add_group('rule', [APICall('events', 'put_targets',
                                    {'Targets': [{'Arn': Var('a.lambda_arn')}]})])
    # Both change bucket x's configuration: one after the other.
    plan.add_group('s3-1', [APICall('s3', 'put_bucket_notification_configuration',
                                    {'Bucket': 'x'})], keys=[('s3', 'x')])
    plan.add_group('s3-2', [APICall('s3', 'put_bucket_notification_configuration',
                                    {'Bucket': 'x'})], keys=[('s3', 'x')])
    plan.add(Message('deleting'), APICall('lambda', 'delete_function', {'FunctionName': 'c'}))
    plan.add_group('late', [SetVar('late.x', 1)])
    assert predecessors(plan.groups) == [set(), {0}, {0}, {1}, set(), {4}, {0, 1, 2, 3, 4, 5},
                                         {6}]


def test_output_and_records_keep_the_plan_order_whichever_call_ends_first(tmp_path, package):
    one_by_one = RecordingUI()
    run_deploy(FakeAWS(), make_config(big_app(), write_project(tmp_path / 'a')), package,
               ui=one_by_one, workers=1)

    # The last function of the plan is created first, the first one last.
    order = list(reversed([name for name in _plan_order(tmp_path, package)]))
    turn = {'next': 0}
    changed = threading.Condition()

    def in_reverse(service, method, params):
        if method != 'create_function':
            return
        with changed:
            assert changed.wait_for(
                lambda: order[turn['next']] == params['FunctionName'], LIMIT)

    def advance(service, method, params):
        if method == 'create_function':
            with changed:
                turn['next'] += 1
                changed.notify_all()

    aws = FakeAWS()
    aws.on_call = in_reverse
    aws.after_call = advance
    project = write_project(tmp_path / 'b')
    ui = RecordingUI()
    run_deploy(aws, make_config(big_app(), project), package, ui=ui, workers=4)
    created = [p['FunctionName'] for _, m, p in aws.calls if m == 'create_function']
    assert created == order
    assert ui.lines == one_by_one.lines
    reference = read_state_file(tmp_path / 'a')['resources']
    assert [r['name'] for r in read_state_file(project)['resources']] == [
        r['name'] for r in reference]


def _plan_order(tmp_path, package):
    aws = FakeAWS()
    run_deploy(aws, make_config(big_app(), write_project(tmp_path / 'order')), package,
               workers=1)
    return [p['FunctionName'] for _, m, p in aws.calls if m == 'create_function']


def test_ordered_output_prints_each_group_once_its_predecessors_in_the_plan_are_done():
    ui = RecordingUI()
    output = OrderedOutput(ui, 3)
    output.write(1, 'b1')
    output.write(0, 'a1')
    output.write(2, 'c1')
    assert ui.lines == ['a1']
    output.done(1)
    output.write(0, 'a2')
    assert ui.lines == ['a1', 'a2']
    output.done(0)
    assert ui.lines == ['a1', 'a2', 'b1', 'c1']
    output.write(2, 'c2')
    assert ui.lines[-1] == 'c2'


# ---------------------------------------------------------------- a failure in one branch


def test_a_failure_while_others_are_in_flight_journals_them_and_starts_nothing(tmp_path,
                                                                              package):
    project = write_project(tmp_path / 'proj')
    aws = FakeAWS()
    failing = 'demo-dev-worker'
    others = [name for name in FUNCTIONS if name != failing]
    in_flight = threading.Barrier(len(FUNCTIONS), timeout=LIMIT)
    release = threading.Event()

    def hook(service, method, params):
        if method != 'create_function':
            return
        in_flight.wait()  # all four creates are under way
        if params['FunctionName'] == failing:
            # The others complete once this thread has failed and ended.
            me = threading.current_thread()
            threading.Thread(target=lambda: (me.join(LIMIT), release.set())).start()
        else:
            assert release.wait(LIMIT)

    aws.on_call = hook
    aws.fail_if = lambda service, method, params: (
        method == 'create_function' and params['FunctionName'] == failing)
    ui = RecordingUI()
    with pytest.raises(DeploymentError) as excinfo:
        run_deploy(aws, make_config(big_app(), project), package, ui=ui, workers=4)
    assert 'injected failure' in str(excinfo.value)
    assert 'run the command again' in str(excinfo.value)
    # The calls in flight completed and were journaled; nothing started after them.
    assert sorted(aws.functions) == sorted(others)
    assert methods_of(aws)[-len(FUNCTIONS):] == ['create_function'] * len(FUNCTIONS)
    assert_state_matches_aws(project, aws)
    # Every group's lines were printed, in plan order.
    assert sorted(line for line in ui.lines if line.startswith('Creating lambda')) == sorted(
        'Creating lambda function: %s' % name for name in FUNCTIONS)

    aws.on_call = aws.fail_if = None
    run_deploy(aws, make_config(big_app(), project), package, workers=4)
    assert sorted(aws.functions) == sorted(FUNCTIONS)
    assert_state_matches_aws(project, aws)
    start = len(aws.calls)
    run_deploy(aws, make_config(big_app(), project), package, workers=4)
    assert [m for m in methods_of(aws, start) if not m.startswith(FakeAWS.READ_PREFIXES)] == []


@pytest.fixture(scope='module')
def baseline(tmp_path_factory):
    directory = tmp_path_factory.mktemp('concurrent')
    package = make_package(directory)
    aws = FakeAWS()
    run_deploy(aws, make_config(big_app(), write_project(directory / 'proj')), package,
               workers=4)
    return {'calls': aws.call_count, 'snapshot': aws.snapshot(), 'package': package}


def test_fault_at_every_call_of_a_concurrent_deploy_then_rerun_converges(tmp_path, baseline):
    """Which call is the k-th depends on the threads; whichever it is, the state is exact."""
    package = baseline['package']
    for k in range(1, baseline['calls'] + 1):
        project = write_project(tmp_path / ('p%d' % k))
        config = make_config(big_app(), project)
        aws = FakeAWS()
        aws.fail_at = k
        with pytest.raises(DeploymentError):
            run_deploy(aws, config, package, workers=4)
        assert_state_matches_aws(project, aws)
        aws.fail_at = None
        run_deploy(aws, config, package, workers=4)
        assert aws.snapshot() == baseline['snapshot'], k
        assert_state_matches_aws(project, aws)
        run_delete(aws, project, workers=4)
        assert aws.is_empty()


# ---------------------------------------------------------------- signals


def test_a_signal_while_several_changes_are_in_flight_waits_for_all_of_them(tmp_path,
                                                                           package):
    project = write_project(tmp_path / 'proj')
    aws = FakeAWS()
    in_flight = threading.Barrier(len(FUNCTIONS), timeout=LIMIT)
    signalled = threading.Event()
    guard = InterruptGuard(notify=lambda line: notices.append(line))
    notices = []

    def hook(service, method, params):
        if method != 'create_function':
            return
        index = in_flight.wait()  # all four creates are under way
        if index == 0:
            # As Python runs a handler: held, since changes are in flight.
            guard._handle(signal.SIGINT, None)
            signalled.set()
        else:
            assert signalled.wait(LIMIT)

    aws.on_call = hook
    with pytest.raises(Interrupted) as excinfo:
        with guard.installed():
            run_deploy(aws, make_config(big_app(), project), package, workers=4, guard=guard)
    assert excinfo.value.signum == signal.SIGINT
    assert sorted(aws.functions) == sorted(FUNCTIONS)
    assert methods_of(aws)[-len(FUNCTIONS):] == ['create_function'] * len(FUNCTIONS)
    assert_state_matches_aws(project, aws)
    assert len(notices) == 1 and notices[0].startswith('Interrupted: finishing ')
    assert notices[0].endswith('so that the state file records their results (interrupt '
                               'again to stop at once).')

    aws.on_call = None
    run_deploy(aws, make_config(big_app(), project), package, workers=4)
    assert_state_matches_aws(project, aws)
    run_delete(aws, project)
    assert aws.is_empty()
