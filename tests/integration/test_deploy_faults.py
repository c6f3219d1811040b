"""Crash safety of ``chalice deploy``: make the k-th AWS call fail, for every k.

For an app with routes, a built-in authorizer and two pure Lambdas, a clean
deploy makes N AWS requests.  For each k in 1..N, on an empty moto:

1. deploy with the k-th request failing -> exit 1 and a one-line error;
2. the state file is valid, in the documented format, and records exactly
   what exists in moto (nothing recorded is missing, nothing existing is
   unrecorded);
3. deploy again without faults -> exit 0, and moto holds the same resources,
   configured the same way, as after the uninterrupted deploy;
4. ``chalice delete`` -> moto holds no roles, functions or REST APIs.

The project directory (and so its package cache) is reused, and moto is
reset through the session server, so an iteration costs three CLI runs.
When the k-th request comes before the deploy's first change, step 2 finds
nothing made and steps 3 and 4 (a repeat of the uninterrupted deploy) are
skipped.  The values of k are split into two tests for pytest-xdist.
"""
import json
from contextlib import contextmanager
from unittest import mock

import pytest

from tests.integration import deploy_checks
from tests.integration.conftest import make_project, run_chalice
from tests.integration.deploy_checks import (
    assert_failed_at_the_kth_call,
    assert_fault_reported,
    assert_rerun_converges,
    changed_nothing,
    each_call_failing,
    existing_functions,
    existing_rest_apis,
    existing_roles,
    first_mutating_index,
    function_policy_statements,
    json_document,
    one_error_line,
    recorded_function,
    recorded_role,
    remove_state,
    share_of,
    state_path,
)

APP_NAME = 'faulty'
APP_SOURCE = '''\
from chalice import AuthResponse, Chalice

app = Chalice(app_name='faulty')


@app.authorizer()
def gatekeeper(auth_request):
    return AuthResponse(routes=['*'], principal_id='user')


@app.route('/')
def index():
    return {'hello': 'world'}


@app.route('/items/{item_id}', methods=['GET', 'PUT'])
def item(item_id):
    return {'id': item_id}


@app.route('/private', authorizer=gatekeeper)
def private():
    return {'secret': True}


@app.lambda_function()
def first(event, context):
    return {}


@app.lambda_function(name='second')
def second_function(event, context):
    return {}
'''
CONFIG = {
    'version': '2.0', 'app_name': APP_NAME,
    'stages': {'dev': {'api_gateway_stage': 'api', 'lambda_memory_size': 256,
                       'environment_variables': {'STAGE': 'dev'}}},
}
FUNCTIONS = {'faulty-dev', 'faulty-dev-first', 'faulty-dev-second', 'faulty-dev-gatekeeper'}
REQUIRED_KEYS = {
    'iam_role': {'role_name', 'role_arn'},
    'lambda_function': {'lambda_arn'},
    'rest_api': {'rest_api_id', 'rest_api_url'},
}


# --------------------------------------------------------------------------
# reading moto back
# --------------------------------------------------------------------------

def snapshot(aws_clients):
    """What moto holds, without ids that differ from one deploy to the next."""
    iam, lambda_, apigateway = aws_clients.iam, aws_clients['lambda'], aws_clients.apigateway
    roles = {}
    for name in sorted(existing_roles(aws_clients)):
        role = iam.get_role(RoleName=name)['Role']
        policies = {
            policy: json_document(iam.get_role_policy(RoleName=name, PolicyName=policy)[
                'PolicyDocument'])
            for policy in iam.list_role_policies(RoleName=name)['PolicyNames']}
        roles[name] = {'trust': json_document(role['AssumeRolePolicyDocument']),
                       'policies': policies}
    api_ids = sorted(existing_rest_apis(aws_clients))

    def without_api_id(text):
        for api_id in api_ids:
            text = text.replace(api_id, '<api>')
        return text

    functions = {}
    for name in sorted(existing_functions(aws_clients)):
        response = lambda_.get_function(FunctionName=name)
        config = response['Configuration']
        permissions = sorted(
            (json.dumps(s['Principal'], sort_keys=True), s['Action'],
             without_api_id(s['Condition']['ArnLike']['AWS:SourceArn']))
            for s in function_policy_statements(aws_clients, name))
        functions[name] = {
            'Runtime': config['Runtime'], 'Handler': config['Handler'],
            'Role': config['Role'], 'MemorySize': config['MemorySize'],
            'Timeout': config['Timeout'],
            'Environment': (config.get('Environment') or {}).get('Variables'),
            'CodeSha256': config['CodeSha256'], 'Tags': response.get('Tags'),
            'permissions': permissions,
        }
    apis = []
    for api_id in api_ids:
        resources = apigateway.get_resources(restApiId=api_id, embed=['methods'])['items']
        methods = sorted(
            (r['path'], verb, m.get('authorizationType'),
             without_api_id(m.get('methodIntegration', {}).get('uri', '')))
            for r in resources for verb, m in (r.get('resourceMethods') or {}).items())
        stages = sorted(s['stageName'] for s in apigateway.get_stages(restApiId=api_id)['item'])
        authorizers = sorted(
            (a['name'], a['type'], a.get('authorizerUri'))
            for a in apigateway.get_authorizers(restApiId=api_id)['items'])
        apis.append({'paths': sorted(r['path'] for r in resources), 'methods': methods,
                     'stages': stages, 'authorizers': authorizers})
    return {'roles': roles, 'functions': functions, 'rest_apis': apis}


def read_state_records(project):
    """The records of the state file, checked against the documented format."""
    return deploy_checks.read_state_records(project, REQUIRED_KEYS, backend='api')


def assert_state_matches_moto(project, aws_clients):
    """Everything recorded exists; everything that exists is recorded."""
    records = read_state_records(project)
    recorded_roles, recorded_functions, recorded_apis = set(), set(), set()
    for record in records:
        kind = record['resource_type']
        if kind == 'iam_role':
            recorded_roles.add(recorded_role(aws_clients, record))
        elif kind == 'lambda_function':
            recorded_functions.add(recorded_function(aws_clients, record, check_arn=True))
        elif kind == 'rest_api':
            api = aws_clients.apigateway.get_rest_api(restApiId=record['rest_api_id'])
            assert record['rest_api_url'] == (
                'https://%s.execute-api.us-west-2.amazonaws.com/api/' % api['id'])
            recorded_apis.add(api['id'])
        else:  # pragma: no cover - the app has no other resource types
            raise AssertionError('unexpected record %r' % record)
    assert existing_roles(aws_clients) == recorded_roles
    assert existing_functions(aws_clients) == recorded_functions
    assert existing_rest_apis(aws_clients) == recorded_apis
    return records


def assert_nothing_left(project, aws_clients):
    assert existing_roles(aws_clients) == set()
    assert existing_functions(aws_clients) == set()
    assert existing_rest_apis(aws_clients) == set()
    assert read_state_records(project) == []


# --------------------------------------------------------------------------
# the loop
# --------------------------------------------------------------------------

@pytest.mark.parametrize('part', range(2))
def test_every_failed_call_is_recoverable(part, tmp_path, aws_env, aws_clients, fault_injector,
                                          moto_server):
    project = make_project(tmp_path, APP_SOURCE, config=CONFIG, app_name=APP_NAME)

    def deploy():
        return run_chalice(project, 'deploy', env=aws_env)

    def delete():
        result = run_chalice(project, 'delete', env=aws_env)
        assert result.returncode == 0, result.stdout + result.stderr
        assert_nothing_left(project, aws_clients)

    # The uninterrupted deploy: how many calls it makes, and where it ends.
    fault_injector.arm()
    clean = deploy()
    assert clean.returncode == 0, clean.stderr
    calls = fault_injector.calls
    total = len(calls)
    reference = snapshot(aws_clients)
    assert set(reference['functions']) == FUNCTIONS
    assert list(reference['roles']) == ['faulty-dev']
    assert len(reference['rest_apis']) == 1
    assert reference['rest_apis'][0]['stages'] == ['api']
    assert [a[0] for a in reference['rest_apis'][0]['authorizers']] == ['gatekeeper']
    assert len(reference['functions']['faulty-dev']['permissions']) == 1
    assert len(reference['functions']['faulty-dev-gatekeeper']['permissions']) == 1
    assert reference['functions']['faulty-dev']['MemorySize'] == 256
    first_mutating = first_mutating_index(calls)
    # Reads, the role, three functions, the API, its deployment and grants.
    assert total >= 12 and total - first_mutating >= 9, [str(c) for c in calls]

    def reset():
        moto_server.reset()
        remove_state(project)

    def check_state():
        assert read_state_records(project), context
        assert_state_matches_moto(project, aws_clients)

    for attempt in each_call_failing(calls, fault_injector, reset, deploy,
                                     positions=share_of(calls, part)):
        context = attempt.context
        # The k-th call of this run is the k-th call of the clean run.
        assert_failed_at_the_kth_call(attempt)
        assert_fault_reported(attempt, project, first_mutating, run_again=True)
        assert_state_matches_moto(project, aws_clients)
        if changed_nothing(attempt, first_mutating):
            assert_nothing_left(project, aws_clients)
            continue
        assert_rerun_converges(attempt, project, aws_env, check_state,
                               lambda: snapshot(aws_clients), reference)
        delete()


# --------------------------------------------------------------------------
# targeted cases
# --------------------------------------------------------------------------

HELLO = '''\
from chalice import Chalice

app = Chalice(app_name='waiter')


@app.route('/')
def index():
    return {'hello': 'world'}
'''


@contextmanager
def new_functions_pending():
    """CreateFunction answers ``State: Pending`` (as AWS does) until the block ends."""
    from moto.awslambda.models import LambdaFunction

    original = LambdaFunction.get_configuration

    def get_configuration(self, on_create=False):
        config = original(self, on_create=on_create)
        if on_create:
            config['State'] = 'Pending'
        return config

    with mock.patch.object(LambdaFunction, 'get_configuration', get_configuration):
        yield


def test_function_recorded_when_wait_after_create_fails(tmp_path, aws_env, aws_clients,
                                                       fault_injector):
    project = make_project(tmp_path, HELLO, app_name='waiter')
    fault_injector.fail_when(lambda call: call.operation == 'GetFunctionConfiguration')
    # moto reports a new function Active in CreateFunction's response, so the
    # CLI would not wait for it; AWS reports it Pending, as moto does here.
    with new_functions_pending():
        result = run_chalice(project, 'deploy', env=aws_env)
    fault_injector.disarm()
    assert result.returncode == 1
    assert existing_functions(aws_clients) == {'waiter-dev'}
    assert_state_matches_moto(project, aws_clients)


def test_failed_delete_is_recorded_and_resumable(tmp_path, aws_env, aws_clients,
                                                 fault_injector):
    project = make_project(tmp_path, APP_SOURCE, config=CONFIG, app_name=APP_NAME)
    deployed = run_chalice(project, 'deploy', env=aws_env)
    assert deployed.returncode == 0, deployed.stderr

    # Fail the second DeleteFunction: the REST API and one function are gone.
    seen = []

    def second_delete_function(call):
        if call.operation == 'DeleteFunction':
            seen.append(call)
        return len(seen) == 2

    fault_injector.fail_when(second_delete_function)
    failed = run_chalice(project, 'delete', env=aws_env)
    fault_injector.disarm()
    assert failed.returncode == 1, failed.stderr
    message = one_error_line(failed)
    assert state_path(project) in message
    records = assert_state_matches_moto(project, aws_clients)
    assert existing_rest_apis(aws_clients) == set()
    assert len(existing_functions(aws_clients)) == len(FUNCTIONS) - 1
    assert [r['name'] for r in records][0] == 'default-role'

    again = run_chalice(project, 'delete', env=aws_env)
    assert again.returncode == 0, again.stderr
    assert_nothing_left(project, aws_clients)
