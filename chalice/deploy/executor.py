"""The executor: runs a Plan through the AWS client, journaling as it goes.

Every ``RecordResource``/``ForgetResource`` step is written to the state
file at once (atomically), so if a call fails part-way the state file lists
exactly the resources that exist, and running the deploy again converges.

Concurrency: the plan's groups (one per resource, see
:class:`~chalice.deploy.plan.StepGroup`) run on up to ``workers`` threads
(:mod:`chalice.deploy.parallel`), each group's steps in order, a group once
the groups it comes after have finished: a function once its role (and
layer) exists, a trigger once its function exists, two groups changing the
same function's policy or the same bucket one after the other, deletions
one at a time after everything else.  With ``workers=1`` the groups run
one after the other in plan order.

* Journaling: each thread writes its records the moment its call returns,
  through the one atomic writer (:meth:`DeployedState.save`), one thread at
  a time.  A record new in this run takes its place in plan order, so the
  state file does not depend on which call finished first.
* Output: each group's lines (its messages, in step order) are printed in
  plan order: the lines of the earliest group not finished yet as they
  come, the others' once every group before them has finished, so
  ``chalice deploy`` prints the same lines in the same order as one step
  at a time would.
* Failure: the first call that fails stops the deploy: no step starts
  from then on, the calls in flight complete and are journaled, and the
  error (naming the state file) is raised.
* Signals (Ctrl-C, SIGTERM): through the
  :class:`~chalice.deploy.interrupts.InterruptGuard`, a signal that comes
  while calls that change something are in flight is held until each of
  them has completed and been journaled; no call starts after it.
"""
import threading

from chalice.deploy.interrupts import InterruptGuard
from chalice.deploy.parallel import DEFAULT_WORKERS, run_tasks
from chalice.deploy.plan import (
    APICall,
    ForgetResource,
    Message,
    RecordResource,
    SetVar,
    resolve,
    variables_in,
)
from chalice.errors import DeploymentError


class _Cancelled(Exception):
    """A group stops before its next call: another group failed."""


class Executor:
    def __init__(self, aws, state, ui, variables=None, guard=None, workers=None):
        self._aws = aws
        self._state = state
        self._ui = ui
        self.variables = dict(variables or {})
        self._guard = guard if guard is not None else InterruptGuard()
        self.workers = DEFAULT_WORKERS if workers is None else max(1, int(workers))
        self._journal = threading.Lock()
        self._stop = threading.Event()

    def _lookup(self, var):
        try:
            return self.variables[var.name]
        except KeyError:
            raise DeploymentError('Internal error: the plan used %s before it was set.'
                                  % var) from None

    def execute(self, plan):
        groups = plan.groups
        output = OrderedOutput(self._ui, len(groups))
        tasks = [self._task(index, group, output) for index, group in enumerate(groups)]
        try:
            run_tasks(tasks, predecessors(groups), self.workers, stop=self._stop,
                      check=self._guard.checkpoint)
        except BaseException as error:
            if not getattr(error, 'forced_during', None):
                signum = getattr(error, 'signum', None)
                if signum is not None:
                    self._guard.stop(signum)
                # Calls in flight that change something complete and are journaled.
                self._guard.wait_for_holds()
            with self._journal:
                self._stop.set()
            raise
        finally:
            output.flush()
        # Stops here if a signal came during the last changing call.
        self._guard.settle()

    def _task(self, index, group, output):
        def run():
            try:
                for step in group.steps:
                    self._step(step, index, lambda line: output.write(index, line))
            except _Cancelled:
                pass
            finally:
                self._guard.end_calls()
                output.done(index)
        return run

    def _step(self, step, index, write):
        if isinstance(step, APICall):
            self._call(step, write)
        elif isinstance(step, SetVar):
            self.variables[step.name] = resolve(step.value, self._lookup)
        elif isinstance(step, RecordResource):
            record = {'name': step.name, 'resource_type': step.resource_type}
            record.update(resolve(step.values, self._lookup))
            self._journaled(lambda: self._state.put(record, rank=index))
        elif isinstance(step, ForgetResource):
            self._journaled(lambda: self._state.remove(step.name))
        elif isinstance(step, Message):
            write(step.text)

    def _journaled(self, change):
        with self._journal:
            change()
            self._state.save()

    def _call(self, step, write):
        if self._stop.is_set():
            raise _Cancelled()
        self._guard.begin_call('%s.%s' % (step.service, step.method), step.mutating)
        if step.message:
            write(step.message)
        params = resolve(step.params, self._lookup)
        try:
            response = self._aws.call(step.service, step.method, params,
                                      ignore_errors=step.ignore_errors,
                                      region=step.region)
        except DeploymentError as error:
            wrapped = type(error)(
                '%s The state file %s records what exists; run the command again to '
                'continue.' % (error, self._state.path))
            wrapped.__dict__.update(error.__dict__)  # keeps error_code and the like
            raise wrapped from error
        for name, path in step.outputs.items():
            self.variables[name] = _dig(response, path)


def predecessors(groups):
    """For each group, the indexes of the groups it must wait for (all lower)."""
    producers = {}
    last_by_name = {}
    last_by_key = {}
    barrier = None
    result = []
    for index, group in enumerate(groups):
        before = set()
        if group.barrier:
            before.update(range(index))
        elif barrier is not None:
            before.add(barrier)
        for name in group.after:
            if name in last_by_name:
                before.add(last_by_name[name])
        for key in group.keys:
            if key in last_by_key:
                before.add(last_by_key[key])
        produced = set()
        for step in group.steps:
            used = set()
            if isinstance(step, APICall):
                variables_in(step.params, used)
            elif isinstance(step, (SetVar, RecordResource)):
                variables_in(step.value if isinstance(step, SetVar) else step.values, used)
            before.update(producers[name] for name in used - produced if name in producers)
            if isinstance(step, APICall):
                produced.update(step.outputs)
            elif isinstance(step, SetVar):
                produced.add(step.name)
        for name in produced:
            producers[name] = index
        if group.name is not None:
            last_by_name[group.name] = index
        for key in group.keys:
            last_by_key[key] = index
        if group.barrier:
            barrier = index
        before.discard(index)
        result.append(before)
    return result


class OrderedOutput:
    """Lines of concurrent groups, printed in the groups' order (see the module docstring)."""

    def __init__(self, ui, count):
        self._ui = ui
        self._lock = threading.Lock()
        self._buffers = [[] for _ in range(count)]
        self._finished = [False] * count
        self._head = 0

    def write(self, index, line):
        with self._lock:
            if index == self._head:
                self._ui.write(line)
            else:
                self._buffers[index].append(line)

    def done(self, index):
        with self._lock:
            self._finished[index] = True
            while self._head < len(self._finished) and self._finished[self._head]:
                self._head += 1
                if self._head < len(self._buffers):
                    self._print(self._head)

    def flush(self):
        """Print whatever is left, in order (after a failure or an interrupt)."""
        with self._lock:
            for index in range(self._head, len(self._buffers)):
                self._print(index)
            self._head = len(self._buffers)

    def _print(self, index):
        lines, self._buffers[index] = self._buffers[index], []
        for line in lines:
            self._ui.write(line)


def _dig(response, path):
    value = response
    for key in path.split('.'):
        value = value[int(key)] if isinstance(value, list) else value[key]
    return value
