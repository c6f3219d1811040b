"""Round trips with the real AWS Chalice 1.34.0 CLI, against the fixtures' moto server.

``make test`` installs AWS Chalice 1.34.0 from the package registry into
``.venv/upstream`` (its package is also called ``chalice``, so it never
shares our venv); these tests run its ``chalice`` executable as a black box
on the 14-function app of ``aws_chalice_stage`` (routes with a built-in
authorizer, two schedules, an event pattern, SNS, SQS, S3, Kinesis,
DynamoDB, websocket and pure Lambda handlers).  A missing or different
installation fails the tests: it never skips them.

* AWS Chalice deploys stage ``dev``; our ``chalice deploy`` takes it over
  (nothing recreated, nothing duplicated, the same names and API URL, a
  state file both tools read); our redeploy makes no write; AWS Chalice
  deploys it again twice (hand back), still one of everything; its
  ``chalice delete`` leaves nothing.
* The reverse: we deploy, AWS Chalice takes over and redeploys, we take it
  back with one of everything, our redeploy makes no write, our delete
  leaves nothing.
"""
import json

import pytest

from tests.integration import aws_chalice_stage as stage
from tests.integration.conftest import make_project
from tests.integration.deploy_checks import (
    differences,
    load_state,
    mutating_operations,
    run_ok,
)
from tests.upstream_chalice import run_other_chalice, upstream_chalice

ALL_FUNCTIONS = sorted(name for name, _ in stage.FUNCTIONS.values())
AUTHORIZER = stage.FUNCTIONS['auth'][0]
# Permission statements of each function: API Gateway (REST or websocket),
# EventBridge, SNS or S3 may invoke it; the queue, stream and table handlers
# and the pure function need none.
GRANTS = dict({name: 0 for name in ALL_FUNCTIONS}, **{
    stage.FUNCTIONS[name][0]: 1 for name in (
        'api_handler', 'auth', 'every_hour', 'nightly', 'on_commit', 'on_topic', 'on_upload',
        'websocket_connect', 'websocket_message', 'websocket_disconnect')})

# The changes a takeover makes (docs/deploy.rst, "Taking over a stage deployed
# by AWS Chalice"): new code and tag, our role policy, the REST API's
# definition and deployment, a websocket redeployment, the authorizer's grant.
TAKEOVER_CHANGES = {
    'UpdateFunctionCode', 'TagResource', 'PutRolePolicy', 'PutRestApi', 'CreateDeployment',
    'UpdateStage', 'AddPermission', 'RemovePermission'}


@pytest.fixture(scope='session')
def upstream():
    """AWS Chalice's ``chalice`` executable; fails (never skips) when it is not there."""
    return upstream_chalice()


@pytest.fixture
def project(tmp_path, aws_clients, aws_env):
    stage.create_user_resources(aws_clients, aws_env)
    return make_project(tmp_path, stage.APP_SOURCE, config=stage.CONFIG,
                        app_name=stage.APP_NAME)


class Tools:
    """The two CLIs on one project, each run through to exit 0."""

    def __init__(self, upstream, project, env):
        self.upstream, self.project, self.env = upstream, project, env

    def aws(self, command):
        result = run_other_chalice(self.upstream, self.project, command, env=self.env)
        assert result.returncode == 0, result.stdout + result.stderr
        assert 'Traceback' not in result.stderr, result.stderr
        return result

    def ours(self, command):
        result = run_ok(self.project, command, self.env)
        assert 'Traceback' not in result.stderr, result.stderr
        return result


@pytest.fixture
def tools(upstream, project, aws_env):
    return Tools(upstream, project, aws_env)


def snapshot(aws_clients):
    """The stage's picture, as JSON has it (tuples as lists)."""
    return json.loads(json.dumps(stage.picture(aws_clients)))


def grant(api_id, suffix):
    """API Gateway's grant for ``<api id><suffix>``, as a picture lists it."""
    return ['apigateway.amazonaws.com',
            stage.execute_api_arn(api_id)[:-len('/*')] + suffix, None]


def with_both_authorizer_grants(snapshot_):
    """The picture with AWS Chalice's broad authorizer grant added to our narrow one.

    AWS Chalice grants a built-in authorizer ``<api id>/*``; we grant
    ``<api id>/authorizers/*`` (and drop the broad one on a takeover).  When
    AWS Chalice deploys a stage of ours, it adds its grant and keeps ours,
    which it does not know: two statements, one within the other, until
    we take the stage back or the function is deleted.
    """
    expected = json.loads(json.dumps(snapshot_))
    api_id = expected['rest_apis'][0]
    expected['grants'][AUTHORIZER] = sorted([grant(api_id, '/*'),
                                             grant(api_id, '/authorizers/*')])
    return expected


def assert_one_of_each(snapshot_, authorizer_grants=1):
    """One role, API, rule, target, mapping, subscription... of the stage: no duplicate."""
    assert snapshot_['roles'] == [stage.PREFIX]
    assert snapshot_['functions'] == ALL_FUNCTIONS
    assert len(snapshot_['rest_apis']) == 1
    (websocket,) = snapshot_['websocket_apis'].values()
    assert websocket['name'] == stage.PREFIX + '-websocket-api'
    assert [route[0] for route in websocket['routes']] == sorted(stage.WEBSOCKET_ROUTES)
    assert websocket['integrations'] == 3 and websocket['stages'] == ['api']
    assert sorted(snapshot_['rules']) == sorted(name for name, _ in stage.RULES.values())
    for name, rule in snapshot_['rules'].items():
        assert [arn for _, arn in rule['targets']] == [
            stage.function_arn(name[:-len('-event')])], name
    assert len(snapshot_['subscriptions']) == 1
    assert len(snapshot_['mappings']) == 3
    assert len(snapshot_['bucket']['lambda']) == 1
    expected = dict(GRANTS, **{AUTHORIZER: authorizer_grants})
    assert {name: len(found) for name, found in snapshot_['grants'].items()} == expected
    for found in snapshot_['grants'].values():
        assert len({tuple(g) for g in found}) == len(found), found
    assert snapshot_['log_groups'] == {'/aws/lambda/%s-worker' % stage.PREFIX: 7}


def assert_url(tools, url):
    """Both tools read the state file and print the REST API's URL."""
    assert tools.aws('url').stdout.strip() == url
    assert tools.ours('url').stdout.strip() == url


def records(project):
    """The state file's records by name."""
    return {r['name']: r for r in load_state(project)['resources']}


def rest_api_url(project):
    return records(project)['rest_api']['rest_api_url']


def assert_records_kept(before, after):
    """Every record and field of ``before`` is in ``after`` with the same value."""
    assert set(after) == set(before)
    for name, record in before.items():
        assert {key: after[name].get(key) for key in record} == record, name


def assert_picture(aws_clients, expected):
    """The stage's picture, which must be ``expected``."""
    actual = snapshot(aws_clients)
    assert actual == expected, differences(actual, expected)
    return actual


def first_deploy(deploy, tools, aws_clients):
    """Deploy with ``deploy`` (``tools.aws`` or ``tools.ours``): picture, records, URL."""
    deploy('deploy')
    deployed = snapshot(aws_clients)
    assert_one_of_each(deployed)
    return deployed, records(tools.project), rest_api_url(tools.project)


def our_takeover(tools, aws_clients, fault_injector, expected):
    """Our deploy of a stage AWS Chalice deployed last: only the documented changes."""
    fault_injector.arm()
    tools.ours('deploy')
    assert set(mutating_operations(fault_injector)) <= TAKEOVER_CHANGES
    return assert_picture(aws_clients, expected)


def our_no_op(tools, fault_injector):
    fault_injector.arm()
    tools.ours('deploy')
    assert mutating_operations(fault_injector) == []


# --------------------------------------------------------------------------
# AWS Chalice first: we take the stage over, then hand it back
# --------------------------------------------------------------------------

def test_stage_of_aws_chalice_is_taken_over_and_handed_back_without_duplicates(
        tools, aws_clients, fault_injector):
    deployed, theirs, url = first_deploy(tools.aws, tools, aws_clients)

    # Takeover: nothing recreated or added, the authorizer's grant narrowed.
    taken_over = our_takeover(tools, aws_clients, fault_injector,
                              stage.after_takeover(deployed))
    assert_one_of_each(taken_over)
    assert_records_kept(theirs, records(tools.project))
    assert_url(tools, url)
    our_no_op(tools, fault_injector)
    assert_picture(aws_clients, taken_over)

    # Hand back: AWS Chalice deploys our state file, twice; still one of each.
    tools.aws('deploy')
    handed_back = assert_picture(aws_clients, with_both_authorizer_grants(taken_over))
    assert_one_of_each(handed_back, authorizer_grants=2)
    tools.aws('deploy')
    assert_picture(aws_clients, handed_back)
    assert_records_kept(theirs, records(tools.project))
    assert_url(tools, url)

    tools.aws('delete')
    stage.assert_nothing_of_the_stage_left(tools.project, aws_clients)


# --------------------------------------------------------------------------
# ours first: AWS Chalice takes the stage over, then we take it back
# --------------------------------------------------------------------------

def test_stage_of_ours_is_taken_over_by_aws_chalice_and_back_without_duplicates(
        tools, aws_clients, fault_injector):
    deployed, ours, url = first_deploy(tools.ours, tools, aws_clients)

    tools.aws('deploy')
    taken_over = assert_picture(aws_clients, with_both_authorizer_grants(deployed))
    # What AWS Chalice records (its fields only) we had recorded, value for value.
    theirs = records(tools.project)
    assert_records_kept(theirs, ours)
    tools.aws('deploy')
    assert_picture(aws_clients, taken_over)
    assert_url(tools, url)

    # Taken back: as we left it, AWS Chalice's broad grant dropped again.
    our_takeover(tools, aws_clients, fault_injector, deployed)
    assert_records_kept(theirs, records(tools.project))
    our_no_op(tools, fault_injector)
    assert_url(tools, url)

    tools.ours('delete')
    stage.assert_nothing_of_the_stage_left(tools.project, aws_clients)


# --------------------------------------------------------------------------
# policy files: a role per function
# --------------------------------------------------------------------------

POLICY_FILE_APP = '''from chalice import Chalice

app = Chalice(app_name='ownroles')


@app.route('/')
def index():
    return {}


@app.lambda_function()
def worker(event, context):
    return {}
'''


def test_policy_file_roles_of_aws_chalice_are_taken_over_role_for_role(
        tmp_path, upstream, aws_env, aws_clients, fault_injector):
    # With autogen_policy off AWS Chalice gives every function its own role
    # (<app>-<stage>-<function>); ours must take those over, not add a shared one.
    policy = {'Version': '2012-10-17', 'Statement': [
        {'Effect': 'Allow', 'Action': ['s3:GetObject'], 'Resource': '*'}]}
    config = {'version': '2.0', 'app_name': 'ownroles', 'autogen_policy': False,
              'stages': {'dev': {}}}
    project = make_project(tmp_path, POLICY_FILE_APP, config=config, app_name='ownroles',
                           files={'.chalice/policy-dev.json': json.dumps(policy)})
    result = run_other_chalice(upstream, project, 'deploy', env=aws_env)
    assert result.returncode == 0, result.stdout + result.stderr

    def roles():
        return sorted(r['RoleName'] for r in aws_clients.iam.list_roles()['Roles'])

    def role_records():
        return sorted((r['name'], r['role_name']) for r in records(project).values()
                      if r['resource_type'] == 'iam_role')
    theirs = roles()
    assert theirs == ['ownroles-dev-api_handler', 'ownroles-dev-worker']
    recorded = role_records()
    run_ok(project, 'deploy', aws_env)
    assert roles() == theirs and role_records() == recorded
    fault_injector.arm()
    run_ok(project, 'deploy', aws_env)
    assert mutating_operations(fault_injector) == []
