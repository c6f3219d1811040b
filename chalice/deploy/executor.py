"""The executor: runs a Plan through the AWS client, journaling as it goes.

Every ``RecordResource``/``ForgetResource`` step is written to the state
file at once (atomically), so if a call fails part-way the state file lists
exactly the resources that exist, and running the deploy again converges.

Signals (Ctrl-C, SIGTERM) get the same guarantee through an
:class:`~chalice.deploy.interrupts.InterruptGuard`: before each AWS call
the executor stops if a signal is being held, and from a call that changes
something until the next call a signal is held, so the record of what
that call did is written before the command stops.
"""
from chalice.deploy.interrupts import InterruptGuard
from chalice.deploy.plan import APICall, ForgetResource, Message, RecordResource, SetVar, resolve
from chalice.errors import DeploymentError


class Executor:
    def __init__(self, aws, state, ui, variables=None, guard=None):
        self._aws = aws
        self._state = state
        self._ui = ui
        self.variables = dict(variables or {})
        self._guard = guard if guard is not None else InterruptGuard()

    def _lookup(self, var):
        try:
            return self.variables[var.name]
        except KeyError:
            raise DeploymentError('Internal error: the plan used %s before it was set.'
                                  % var) from None

    def execute(self, plan):
        try:
            for step in plan.steps:
                self._step(step)
        finally:
            # Stops here if a signal came during the last changing call.
            self._guard.settle()

    def _step(self, step):
        if isinstance(step, APICall):
            self._call(step)
        elif isinstance(step, SetVar):
            self.variables[step.name] = resolve(step.value, self._lookup)
        elif isinstance(step, RecordResource):
            record = {'name': step.name, 'resource_type': step.resource_type}
            record.update(resolve(step.values, self._lookup))
            self._state.put(record)
            self._state.save()
        elif isinstance(step, ForgetResource):
            self._state.remove(step.name)
            self._state.save()
        elif isinstance(step, Message):
            self._ui.write(step.text)

    def _call(self, step):
        self._guard.begin_call('%s.%s' % (step.service, step.method), step.mutating)
        if step.message:
            self._ui.write(step.message)
        params = resolve(step.params, self._lookup)
        try:
            response = self._aws.call(step.service, step.method, params,
                                      ignore_errors=step.ignore_errors)
        except DeploymentError as error:
            wrapped = type(error)(
                '%s The state file %s records what exists; run the command again to '
                'continue.' % (error, self._state.path))
            wrapped.__dict__.update(error.__dict__)  # keeps error_code and the like
            raise wrapped from error
        for name, path in step.outputs.items():
            self.variables[name] = _dig(response, path)


def _dig(response, path):
    value = response
    for key in path.split('.'):
        value = value[int(key)] if isinstance(value, list) else value[key]
    return value
