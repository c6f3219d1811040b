"""The remote reader: what AWS currently has, for the planner to compare.

Only read calls are made here (get/list/describe).  Together with the
executor this is the only deploy code that talks to AWS.

Each resource is read by its home's ``read_remote`` (``read_remote_for_delete``
for a recorded resource the app no longer has), on up to ``workers``
threads at the same time (:mod:`chalice.deploy.parallel`).  The homes get a
:class:`~chalice.deploy.reading.ReadSession`, which makes the reads that
answer for many resources (the region's functions, the event source
mappings, a function's policy) once.  The account id is read first, as
most homes need it.
"""
from chalice.deploy.parallel import DEFAULT_WORKERS, run_tasks
from chalice.deploy.reading import ReadSession
from chalice.deploy.resources import has_home, home_for


def read_remote_state(aws, application, state, guard=None, workers=DEFAULT_WORKERS):
    wanted = application.ordered() if application is not None else []
    session = ReadSession(aws, wanted, guard)
    wanted_names = {model.resource_name for model in wanted}
    reads = []
    for model in wanted:
        reads.append((model.resource_name, _reader(
            home_for(model.resource_type).read_remote, session, model,
            state.get(model.resource_name))))
    for record in state.resources:
        if record['name'] not in wanted_names and has_home(record['resource_type']):
            reads.append((record['name'], _reader(
                home_for(record['resource_type']).read_remote_for_delete, session, record)))
    if reads:
        session.account_id  # noqa: B018 - read once, before the threads need it
    check = guard.checkpoint if guard is not None else None
    try:
        results = run_tasks([read for _, read in reads], workers=workers, check=check)
    except BaseException as error:
        if guard is not None and getattr(error, 'signum', None) is not None:
            guard.stop(error.signum)  # no read starts from now on
        raise
    return {name: result for (name, _), result in zip(reads, results)}


def _reader(read, *args):
    return lambda: read(*args)
