"""The planner: desired models + recorded state + remote state -> a Plan.

Pure: it makes no AWS calls and reads no files, so the same inputs always
give the same plan (and it is unit-tested without boto3).  Models are
planned dependencies-first; recorded resources that the app no longer needs
are deleted afterwards, most recently created first.

The steps of each wanted model form one group (:class:`~chalice.deploy.plan.StepGroup`)
that comes after the groups of the models it depends on, so that the
executor can run independent groups at the same time; deletions run one
after the other, after everything else.
"""
from chalice.deploy.plan import APICall, Message, Plan, SetVar, try_resolve
from chalice.deploy.resources import has_home, home_for
from chalice.deploy.resources.base import PlanContext  # noqa: F401 (re-export)
from chalice.errors import ChaliceError


def plan_deploy(application, state, remote, ctx):
    """Plan bringing AWS to ``application``.

    ``remote`` maps resource names to what their home's ``read_remote``
    returned (None or absent: the resource does not exist); entries for
    recorded-but-unwanted resources hold what ``read_remote_for_delete``
    returned.
    """
    plan = Plan()
    wanted = application.ordered()
    for model in wanted:
        steps = home_for(model.resource_type).plan(
            model, state.get(model.resource_name), remote.get(model.resource_name), ctx)
        for step in steps:
            if isinstance(step, SetVar):
                ctx.known[step.name] = step.value
        after = [dep.resource_name for dep in model.dependencies() if dep.resource_name]
        plan.add_group(model.resource_name, steps, after=after,
                       keys=shared_keys(steps, ctx.known))
    wanted_names = {model.resource_name for model in wanted}
    for record in reversed(state.resources):
        if record['name'] in wanted_names:
            continue
        if not has_home(record['resource_type']):
            # E.g. an AWS Chalice custom domain: recorded, so not ours to drop.
            plan.add(Message('Keeping %s (%s) as it is: this version of chalice does not '
                             'manage %s resources.' % (record['name'], record['resource_type'],
                                                       record['resource_type'])))
            continue
        plan.add(*home_for(record['resource_type']).plan_delete(
            record, remote.get(record['name']), ctx))
    return plan


def plan_delete(state, remote, ctx):
    """Plan deleting every recorded resource, most recently created first.

    Records of a type this version does not manage stop the plan before
    anything is deleted: the resources they stand for could depend on the
    others (a custom domain's mapping on the API).
    """
    unknown = [record for record in state.resources if not has_home(record['resource_type'])]
    if unknown:
        names = ', '.join('%s (%s)' % (r['name'], r['resource_type']) for r in unknown)
        raise ChaliceError(
            '%s records %s, which this version of chalice cannot delete. Delete %s in AWS '
            'yourself and remove %s from the state file, then run chalice delete again; '
            'nothing was deleted.' % (state.path, names, 'it' if len(unknown) == 1 else 'them',
                                      'its record' if len(unknown) == 1 else 'their records'))
    plan = Plan()
    for record in reversed(state.resources):
        plan.add(*home_for(record['resource_type']).plan_delete(
            record, remote.get(record['name']), ctx))
    return plan


# Parameters naming something that steps of different resources may change
# (a function's resource policy, a bucket's notification configuration).
_SHARED_PARAMETERS = {'lambda': 'FunctionName', 's3': 'Bucket'}


def shared_keys(steps, known):
    """What the calls in ``steps`` change that other resources' steps may change too.

    A function is named by its name, whether a call gives its name, its
    ARN or a variable already known; a variable not known yet (a function
    created in this run) by the variable's name.
    """
    keys = set()
    for step in steps:
        if not isinstance(step, APICall) or step.service not in _SHARED_PARAMETERS:
            continue
        value = step.params.get(_SHARED_PARAMETERS[step.service])
        if value is None:
            continue
        resolved = try_resolve(value, known)
        if resolved is None:
            keys.add((step.service, str(value)))
        elif step.service == 'lambda':
            keys.add(('lambda', _function_name(str(resolved))))
        else:
            keys.add((step.service, str(resolved)))
    return frozenset(keys)


def _function_name(name_or_arn):
    parts = name_or_arn.split(':')
    return parts[6] if name_or_arn.startswith('arn:') and len(parts) > 6 else name_or_arn
