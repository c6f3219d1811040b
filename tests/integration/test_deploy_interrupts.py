"""Signals and concurrent runs: ``chalice deploy``/``delete`` never lose track of what exists.

Interrupts: a real ``chalice deploy`` of the largest app runs against moto,
and the server sends the CLI process SIGINT (or SIGTERM) while it serves the
CLI's k-th AWS request, after moto has carried the request out and before
the response goes back - the worst moment, when the CLI has not yet seen
what it created.  The CLI must exit 130 (143) with one line saying the state
was saved, start no further request (it makes several at the same time: the
requests already on their way, at most one per worker thread, are served),
leave a state file that records exactly what exists, and converge on the
next run; ``chalice delete`` then leaves nothing.

The lock: a deploy held by the server at one of its requests holds the
stage; a second ``deploy`` or ``delete`` of that stage exits 2 naming the
holder.  A deploy killed with SIGKILL leaves its lock file behind, and the
next deploy takes it over and says so.
"""
import json
import os
import re
import signal
import threading

import pytest

from chalice.deploy.parallel import DEFAULT_WORKERS
from tests.integration.conftest import make_project, run_chalice
from tests.integration.deploy_checks import (
    existing_functions,
    existing_rest_apis,
    existing_roles,
    load_state,
    remove_state,
    run_ok,
    state_path,
)
from tests.integration.largest_app import (
    assert_nothing_left,
    assert_state_matches_aws,
    clean_run,  # noqa: F401 (a fixture)
    create_sources,
    snapshot,
)
from tests.integration.moto_support import finish_chalice, start_chalice

WAIT = 60  # seconds; generous for a loaded machine, only ever reached on failure


def lock_path(project, stage='dev'):
    return os.path.join(str(project), '.chalice', 'deployed', '%s.lock' % stage)


class CLIProcess:
    """A ``chalice`` subprocess that the server can act on at its k-th AWS request."""

    def __init__(self, fault_injector):
        self._fault_injector = fault_injector
        self._started = threading.Event()
        self.process = None

    def at_call(self, k, action, before=False):
        def run(call):
            # The process is started right after this is armed; wait for its pid.
            assert self._started.wait(WAIT)
            action(call)

        self._fault_injector.at_call(k, run, before=before)

    def signal_at_call(self, k, signum):
        self.at_call(k, lambda call: os.kill(self.process.pid, signum))

    def signal_at_call_when(self, predicate, signum):
        """Send ``signum`` while serving the first request for which ``predicate`` holds;
        returns the list that then holds that request."""
        signalled = []

        def run(call):
            assert self._started.wait(WAIT)
            signalled.append(call)
            os.kill(self.process.pid, signum)

        self._fault_injector.at_call_when(predicate, run)
        return signalled

    def start(self, project, *args, env):
        self.process = start_chalice(project, *args, env=env)
        self._started.set()
        return self

    def finish(self):
        return finish_chalice(self.process, timeout=120)


def stderr_lines(result):
    return [line for line in result.stderr.splitlines() if line.strip()]


# --------------------------------------------------------------------------
# interrupting a deploy of the largest app
# --------------------------------------------------------------------------

# (operation, which occurrence) of the deploy's requests where the signal comes.
POINTS = [
    ('GetCallerIdentity', 1),       # the first request: nothing changed yet
    ('CreateRole', 1),              # the first change
    ('PublishLayerVersion', 1),     # known only by the ARN in the state file
    ('ListFunctions', 1),           # reading, several reads at a time: stops at once
    ('CreateEventSourceMapping', 3),
    ('CreateApi', 1),               # known only by its id in the state file
    ('CreateRoute', 2),
    ('ImportRestApi', 1),           # known only by its id in the state file
    ('AddPermission', -1),          # the last request of the deploy
]
CASES = [(signal.SIGINT, point) for point in POINTS] + [
    (signal.SIGTERM, ('CreateFunction', 1)), (signal.SIGTERM, ('PutBucketNotification', 1))]


def nth_of(operation, occurrence, calls):
    """A predicate for the occurrence-th request for ``operation`` (-1: as many as in ``calls``)."""
    if occurrence < 0:
        occurrence = sum(1 for call in calls if call.operation == operation) + 1 + occurrence
    seen = [0]

    def predicate(call):
        if call.operation != operation:
            return False
        seen[0] += 1
        return seen[0] == occurrence
    return predicate


def assert_stopped_after(signalled, fault_injector, context):
    """No request started after the signal: those served after it were already on their way."""
    assert len(signalled) == 1, context
    k = signalled[0].index
    later = fault_injector.calls[k:]
    assert len(later) <= DEFAULT_WORKERS - 1, (context, [str(c) for c in later])
    return k


def assert_interrupt_lines(result, call, changed, project, context):
    """The notice naming the changing calls in flight (if any), then the one last line."""
    lines = stderr_lines(result)
    if changed:
        assert lines[-1] == ('Interrupted: the state file %s was saved and records what exists; '
                             'run the command again to continue.' % state_path(project)), context
    else:
        assert lines[-1] == ('Interrupted before anything was changed in AWS; the state file '
                             'is as it was.'), context
    notices = lines[:-1]
    assert len(notices) <= 1, (context, notices)
    if call.mutating:
        # The signal came during a change: the CLI finished recording it first.
        assert notices, context
    if notices:
        match = re.fullmatch(r'Interrupted: finishing (?:\d+ calls \()?((?:\w+\.\w+(?:, )?)+)\)? '
                             r'so that the state file records (?:its result|their results) '
                             r'\(interrupt again to stop at once\)\.', notices[0])
        assert match, (context, notices[0])
        if call.mutating:
            # e.g. put_bucket_notification_configuration for PutBucketNotification
            assert any(name.split('.')[1].replace('_', '').startswith(call.operation.lower())
                       for name in match.group(1).split(', ')), (context, notices[0])


@pytest.mark.parametrize('signum, point', CASES,
                         ids=['%s-%s-%d' % (signal.Signals(s).name, p[0], p[1])
                              for s, p in CASES])
def test_interrupted_deploy_saves_the_state_and_converges(
        signum, point, clean_run, aws_clients, fault_injector, moto_server):  # noqa: F811
    project, env = clean_run.project, clean_run.env
    context = '%s #%d' % point
    moto_server.reset()
    remove_state(project)
    stream_arn = create_sources(aws_clients, env)

    fault_injector.arm()
    cli = CLIProcess(fault_injector)
    signalled = cli.signal_at_call_when(nth_of(*point, clean_run.deploy_calls), signum)
    result = cli.start(project, 'deploy', env=env).finish()

    assert result.returncode == 128 + signum, (context, result.stderr)
    k = assert_stopped_after(signalled, fault_injector, context)
    context = 'k=%d (%s)' % (k, signalled[0])
    assert 'Traceback' not in result.stderr, context
    changed = any(c.mutating for c in fault_injector.calls)
    assert_interrupt_lines(result, signalled[0], changed, project, context)
    assert not os.path.exists(lock_path(project)), context
    assert_state_matches_aws(project, aws_clients, context)

    rerun = run_ok(project, 'deploy', env)
    assert 'Traceback' not in rerun.stderr
    assert_state_matches_aws(project, aws_clients, context)
    assert snapshot(aws_clients, stream_arn) == clean_run.reference, context
    run_ok(project, 'delete', env)
    assert_nothing_left(project, aws_clients, context)


@pytest.mark.parametrize('operation', ['DeleteApi', 'DeleteEventSourceMapping', 'DeleteRolePolicy'])
def test_interrupted_delete_saves_the_state_and_finishes_on_rerun(
        operation, clean_run, aws_clients, fault_injector, moto_server):  # noqa: F811
    project, env = clean_run.project, clean_run.env
    moto_server.reset()
    remove_state(project)
    create_sources(aws_clients, env)
    run_ok(project, 'deploy', env)

    fault_injector.arm()
    cli = CLIProcess(fault_injector)
    signalled = cli.signal_at_call_when(nth_of(operation, 1, clean_run.delete_calls),
                                        signal.SIGINT)
    result = cli.start(project, 'delete', env=env).finish()
    assert result.returncode == 130, result.stderr
    assert_stopped_after(signalled, fault_injector, operation)
    assert stderr_lines(result)[-1].startswith('Interrupted: the state file %s was saved'
                                               % state_path(project))
    assert not os.path.exists(lock_path(project))
    records = assert_state_matches_aws(project, aws_clients)
    assert records  # something is left to delete

    run_ok(project, 'delete', env)
    assert_nothing_left(project, aws_clients)


# --------------------------------------------------------------------------
# the stage lock
# --------------------------------------------------------------------------

HELLO = '''\
from chalice import Chalice

app = Chalice(app_name='locked')


@app.route('/')
def index():
    return {'hello': 'world'}
'''


class Pause:
    """Holds a request in the server until released (or WAIT seconds pass)."""

    def __init__(self):
        self.reached = threading.Event()
        self._release = threading.Event()

    def __call__(self, call):
        self.reached.set()
        self._release.wait(WAIT)

    def release(self):
        self._release.set()


def first_index(calls, operation):
    return next(i for i, call in enumerate(calls, 1) if call.operation == operation)


@pytest.fixture
def hello(tmp_path, aws_env, fault_injector):
    """The project, and the calls of a clean deploy of it (then reset)."""
    project = make_project(tmp_path, HELLO, app_name='locked')
    fault_injector.arm()
    run_ok(project, 'deploy', aws_env)
    calls = fault_injector.calls
    run_ok(project, 'delete', aws_env)
    remove_state(project)
    return project, calls


def deploy_held_at(fault_injector, project, env, k, before):
    """A ``chalice deploy`` that the server holds at its k-th request: (process, pause)."""
    pause = Pause()
    fault_injector.arm()
    cli = CLIProcess(fault_injector)
    cli.at_call(k, pause, before=before)
    cli.start(project, 'deploy', env=env)
    return cli, pause


def test_a_second_deploy_or_delete_of_the_stage_is_refused(hello, aws_env, aws_clients,
                                                           fault_injector):
    project, calls = hello
    first, pause = deploy_held_at(fault_injector, project, aws_env,
                                  first_index(calls, 'CreateFunction'), before=True)
    try:
        assert pause.reached.wait(WAIT)
        with open(lock_path(project)) as f:
            holder = json.load(f)
        assert holder['pid'] == first.process.pid
        assert holder['command'] == 'chalice --project-dir %s deploy' % project

        for command in ('deploy', 'delete'):
            refused = run_chalice(project, command, env=aws_env)
            assert refused.returncode == 2, refused.stderr
            [line] = stderr_lines(refused)
            assert line == (
                "Error: Stage 'dev' is being deployed or deleted by pid %d on host %s "
                "(chalice --project-dir %s deploy, since %s). Wait for it to finish (or stop "
                "it), then run the command again. The lock is %s."
                % (first.process.pid, holder['host'], project, holder['since'],
                   lock_path(project)))
        # Another stage is not locked by it.
        other = run_chalice(project, 'delete', '--stage', 'prod', env=aws_env)
        assert other.returncode == 0, other.stderr
    finally:
        pause.release()
    result = first.finish()
    assert result.returncode == 0, result.stderr
    assert not os.path.exists(lock_path(project))
    assert existing_functions(aws_clients) == {'locked-dev'}


def test_a_killed_deploy_leaves_a_lock_that_the_next_run_takes_over(hello, aws_env, aws_clients,
                                                                    fault_injector):
    project, calls = hello
    # Held after IAM made the role, before the CLI hears of it.
    first, pause = deploy_held_at(fault_injector, project, aws_env,
                                  first_index(calls, 'CreateRole'), before=False)
    try:
        assert pause.reached.wait(WAIT)
        first.process.kill()
        first.finish()
    finally:
        pause.release()
    assert os.path.exists(lock_path(project))
    assert existing_roles(aws_clients) == {'locked-dev'}
    assert load_state(project) is None

    rerun = run_ok(project, 'deploy', aws_env)
    [warning] = stderr_lines(rerun)
    assert warning.startswith("Warning: took over the lock of stage 'dev' from process pid %d "
                              "on host " % first.process.pid)
    assert warning.endswith(', which ended without releasing it.')
    assert not os.path.exists(lock_path(project))
    # The role it made is adopted (found by name), not made again.
    assert existing_roles(aws_clients) == {'locked-dev'}
    assert existing_functions(aws_clients) == {'locked-dev'}
    assert len(existing_rest_apis(aws_clients)) == 1
    again = run_ok(project, 'deploy', aws_env)
    assert stderr_lines(again) == []


def test_the_lock_is_released_when_the_deploy_fails(hello, aws_env, fault_injector):
    project, calls = hello
    fault_injector.fail_when(lambda call: call.operation == 'CreateFunction')
    failed = run_chalice(project, 'deploy', env=aws_env)
    fault_injector.disarm()
    assert failed.returncode == 1
    assert not os.path.exists(lock_path(project))
    run_ok(project, 'deploy', aws_env)
