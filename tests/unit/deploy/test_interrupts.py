"""SIGINT/SIGTERM during a deploy or delete stop it only where the state file is exact.

The guard's handler is called the way Python calls it (through
``signal.getsignal``, so the installed handler is what is exercised) from
inside the in-memory AWS, at every call of a deploy and of a delete: a
changing call completes and is recorded before the command stops, a read
stops at once.
"""
import signal
import threading
from unittest import mock

import pytest

from chalice.deploy import deployer
from chalice.deploy.interrupts import Interrupted, InterruptGuard
from chalice.deploy.state import DeployedState
from tests.unit.deploy.fakes import (
    FakeAWS,
    RecordingUI,
    make_config,
    read_state_file,
    recorded_resources,
    run_deploy,
    write_project,
)
from tests.unit.deploy.test_executor import big_app, converge_and_clean_up

READS = ('get_', 'list_', 'describe_', 'wait_')


class Notices:
    def __init__(self):
        self.lines = []

    def __call__(self, line):
        self.lines.append(line)


# ---------------------------------------------------------------- the guard itself


def test_outside_a_changing_call_a_signal_stops_at_once():
    guard = InterruptGuard(notify=Notices())
    with pytest.raises(Interrupted) as excinfo:
        guard._handle(signal.SIGINT, None)
    assert excinfo.value.exit_code == 130
    assert excinfo.value.forced_during is None
    guard.begin_call('lambda.get_function', mutating=False)
    with pytest.raises(Interrupted) as excinfo:
        guard._handle(signal.SIGTERM, None)
    assert excinfo.value.exit_code == 143


def test_during_a_changing_call_the_signal_waits_for_the_next_checkpoint():
    notices = Notices()
    guard = InterruptGuard(notify=notices)
    guard.begin_call('lambda.create_function', mutating=True)
    guard._handle(signal.SIGINT, None)  # held: no exception
    assert guard.pending == signal.SIGINT and guard.changed
    assert notices.lines == ['Interrupted: finishing lambda.create_function so that the state '
                             'file records its result (interrupt again to stop at once).']
    with pytest.raises(Interrupted) as excinfo:
        guard.begin_call('lambda.get_function', mutating=False)
    assert excinfo.value.signum == signal.SIGINT and excinfo.value.forced_during is None
    assert guard.pending is None and not guard.holding


def test_a_second_signal_stops_at_once_and_names_the_call():
    guard = InterruptGuard(notify=Notices())
    guard.begin_call('apigateway.import_rest_api', mutating=True)
    guard._handle(signal.SIGINT, None)
    with pytest.raises(Interrupted) as excinfo:
        guard._handle(signal.SIGINT, None)
    assert excinfo.value.forced_during == 'apigateway.import_rest_api'


def test_settle_stops_for_a_signal_held_during_the_last_call():
    guard = InterruptGuard(notify=Notices())
    guard.begin_call('iam.delete_role', mutating=True)
    guard._handle(signal.SIGTERM, None)
    with pytest.raises(Interrupted):
        guard.settle()
    guard.settle()  # nothing held any more
    assert not guard.holding


def test_held_blocks_stop_right_after_the_block():
    guard = InterruptGuard(notify=Notices())
    with pytest.raises(Interrupted):
        with guard.held():
            guard._handle(signal.SIGINT, None)
            done = True
    assert done
    # Inside a changing call, a held block does not stop early.
    guard.begin_call('lambda.delete_function', mutating=True)
    with guard.held():
        guard._handle(signal.SIGINT, None)
    assert guard.pending == signal.SIGINT
    with pytest.raises(Interrupted):
        guard.checkpoint()


def test_installed_sets_and_restores_the_handlers():
    before = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    guard = InterruptGuard(notify=Notices())
    with guard.installed():
        assert signal.getsignal(signal.SIGINT) == guard._handle
        assert signal.getsignal(signal.SIGTERM) == guard._handle
    assert {s: signal.getsignal(s) for s in before} == before


def test_an_ignored_signal_stays_ignored():
    previous = signal.signal(signal.SIGTERM, signal.SIG_IGN)
    try:
        with InterruptGuard().installed():
            assert signal.getsignal(signal.SIGTERM) is signal.SIG_IGN
        assert signal.getsignal(signal.SIGTERM) is signal.SIG_IGN
    finally:
        signal.signal(signal.SIGTERM, previous)


def test_outside_the_main_thread_nothing_is_installed():
    seen = []

    def run():
        guard = InterruptGuard()
        with guard.installed():
            seen.append(signal.getsignal(signal.SIGINT) == guard._handle)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(10)
    assert seen == [False]


def test_a_held_signal_stops_when_leaving_installed():
    guard = InterruptGuard(notify=Notices())
    with pytest.raises(Interrupted):
        with guard.installed():
            guard.begin_call('iam.create_role', mutating=True)
            guard._handle(signal.SIGINT, None)
    assert signal.getsignal(signal.SIGINT) != guard._handle


# ---------------------------------------------------------------- at every call of a deploy


def deploy_with_guard(aws, project, package, guard):
    with mock.patch.object(deployer, 'build_packages', return_value=(package, None)):
        return deployer.deploy(make_config(big_app(), project), aws, RecordingUI(), guard,
                               workers=1)


def signal_at_call(aws, k, signum):
    """Deliver ``signum`` to the installed handler when the k-th call starts."""
    def hook(service, method, params):
        if aws.call_count + 1 == k:
            signal.getsignal(signum)(signum, None)

    aws.on_call = hook


def assert_state_matches_aws(project, aws):
    assert recorded_resources(DeployedState.load(project, 'dev')) == aws.existing_resources()


@pytest.fixture(scope='module')
def calls(tmp_path_factory):
    from tests.unit.deploy.fakes import make_package

    directory = tmp_path_factory.mktemp('interrupts')
    package = make_package(directory)
    aws = FakeAWS()
    run_deploy(aws, make_config(big_app(), write_project(directory / 'proj')), package)
    deployed = [(service, method) for service, method, _ in aws.calls]
    snapshot = aws.snapshot()
    aws.reset_counter()
    from tests.unit.deploy.fakes import run_delete

    run_delete(aws, directory / 'proj')
    deleted = [(service, method) for service, method, _ in aws.calls[aws.counter_base:]]
    return {'deploy': deployed, 'delete': deleted, 'package': package, 'snapshot': snapshot}


@pytest.mark.parametrize('signum', [signal.SIGINT, signal.SIGTERM])
def test_signal_at_every_call_of_a_deploy(tmp_path, calls, signum):
    assert len(calls['deploy']) >= 15
    for k, (service, method) in enumerate(calls['deploy'], 1):
        project = write_project(tmp_path / ('%d-%d' % (signum, k)))
        aws = FakeAWS()
        signal_at_call(aws, k, signum)
        guard = InterruptGuard(notify=Notices())
        with pytest.raises(Interrupted) as excinfo:
            with guard.installed():
                deploy_with_guard(aws, project, calls['package'], guard)
        context = 'k=%d %s.%s' % (k, service, method)
        assert excinfo.value.signum == signum, context
        changing = not method.startswith(READS)
        # A changing call completes (and is recorded); a read stops before it is made.
        assert len(aws.calls) == (k if changing else k - 1), context
        assert guard.changed == any(not m.startswith(READS)
                                    for _, m in calls['deploy'][:k]), context
        assert_state_matches_aws(project, aws)
        aws.on_call = None
        converge_and_clean_up(aws, project, {'package': calls['package'],
                                             'snapshot': calls['snapshot']})


def test_signal_at_every_call_of_a_delete(tmp_path, calls):
    for k, (_service, method) in enumerate(calls['delete'], 1):
        project = write_project(tmp_path / ('d%d' % k))
        aws = FakeAWS()
        run_deploy(aws, make_config(big_app(), project), calls['package'])
        aws.reset_counter()
        signal_at_call(aws, k, signal.SIGINT)
        guard = InterruptGuard(notify=Notices())
        with pytest.raises(Interrupted):
            with guard.installed():
                deployer.delete(str(project), "dev", aws, RecordingUI(), guard, workers=1)
        changing = not method.startswith(READS)
        assert aws.call_count == (k if changing else k - 1), (k, method)
        assert_state_matches_aws(project, aws)
        aws.on_call = None
        deployer.delete(str(project), 'dev', aws, RecordingUI())
        assert aws.is_empty()
        assert read_state_file(project)['resources'] == []


# ---------------------------------------------------------------- what the CLI says


def test_the_one_line_the_cli_prints(tmp_path):
    from chalice.cli.deploy_cmds import _interrupted_message

    path = str(tmp_path / '.chalice' / 'deployed' / 'dev.json')
    guard = InterruptGuard(notify=Notices())
    assert _interrupted_message(Interrupted(signal.SIGINT), guard, str(tmp_path), 'dev') == (
        'Interrupted before anything was changed in AWS; the state file is as it was.')
    guard.begin_call('iam.create_role', mutating=True)
    assert _interrupted_message(Interrupted(signal.SIGTERM), guard, str(tmp_path), 'dev') == (
        'Interrupted: the state file %s was saved and records what exists; run the command '
        'again to continue.' % path)
    forced = Interrupted(signal.SIGINT, forced_during='iam.create_role')
    assert _interrupted_message(forced, guard, str(tmp_path), 'dev') == (
        'Interrupted again during iam.create_role: the state file %s records what exists, '
        'except perhaps what that call did; run the command again to continue.' % path)
