"""The remote reader: what AWS currently has, for the planner to compare.

Only read calls are made here (get/list/describe).  Together with the
executor this is the only deploy code that talks to AWS.
"""
from chalice.deploy.resources import has_home, home_for


def read_remote_state(aws, application, state):
    remote = {}
    wanted = application.ordered() if application is not None else []
    wanted_names = set()
    for model in wanted:
        wanted_names.add(model.resource_name)
        remote[model.resource_name] = home_for(model.resource_type).read_remote(
            aws, model, state.get(model.resource_name))
    for record in state.resources:
        if record['name'] not in wanted_names and has_home(record['resource_type']):
            remote[record['name']] = home_for(record['resource_type']).read_remote_for_delete(
                aws, record)
    return remote
