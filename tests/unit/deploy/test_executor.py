"""The executor, and plan + execute end to end against the in-memory AWS."""
import json
import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chalice import Chalice
from chalice.deploy.executor import Executor
from chalice.deploy.plan import (
    APICall,
    Digest,
    FileContents,
    ForgetResource,
    JSONDocument,
    Message,
    Plan,
    RecordResource,
    SetVar,
    Template,
    Var,
)
from chalice.deploy.state import DeployedState, state_file_path
from chalice.errors import ChaliceError, DeploymentError, StateFileError
from tests.unit.deploy.fakes import (
    FakeAWS,
    RecordingUI,
    code_sha256,
    make_config,
    make_package,
    read_state_file,
    recorded_resources,
    run_delete,
    run_deploy,
    write_project,
)


def state_names(project_dir, stage='dev'):
    path = state_file_path(str(project_dir), stage)
    if not os.path.exists(path):
        return None
    with open(path) as f:
        return [r['name'] for r in json.load(f)['resources']]


@pytest.fixture
def state(tmp_path):
    return DeployedState(state_file_path(str(tmp_path), 'dev'))


TRUST = {'Version': '2012-10-17', 'Statement': []}


# ---------------------------------------------------------------- executor unit tests


def test_outputs_become_variables_for_later_steps(state, tmp_path):
    aws = FakeAWS()
    zip_path = tmp_path / 'f.zip'
    zip_path.write_bytes(b'code')
    plan = Plan()
    plan.add(
        APICall('iam', 'create_role', {'RoleName': 'r',
                                       'AssumeRolePolicyDocument': JSONDocument(TRUST)},
                outputs={'role.arn': 'Role.Arn', 'role.name': 'Role.RoleName'}),
        SetVar('greeting', Template(('hello ', Var('role.name')))),
        APICall('lambda', 'create_function', {
            'FunctionName': 'f', 'Role': Var('role.arn'), 'Runtime': 'python3.11',
            'Handler': 'app.app', 'Code': {'ZipFile': FileContents(str(zip_path))}},
            outputs={'f.arn': 'FunctionArn'}),
        RecordResource('f', 'lambda_function', {'lambda_arn': Var('f.arn'),
                                                'note': Var('greeting'),
                                                'digest': Digest({'a': Var('role.name')})}),
    )
    executor = Executor(aws, state, RecordingUI(), {'region': 'us-west-2'})
    executor.execute(plan)
    assert executor.variables['role.arn'] == 'arn:aws:iam::123456789012:role/r'
    assert executor.variables['greeting'] == 'hello r'
    assert executor.variables['region'] == 'us-west-2'
    assert aws.calls[1][2]['Role'] == 'arn:aws:iam::123456789012:role/r'
    assert aws.functions['f']['config']['CodeSha256'] == code_sha256(b'code')
    record = read_state_file(tmp_path)['resources'][0]
    assert record['lambda_arn'] == 'arn:aws:lambda:us-west-2:123456789012:function:f'
    assert record['note'] == 'hello r'
    assert len(record['digest']) == 64


def test_record_and_forget_are_journaled_before_the_next_step(tmp_path):
    state = DeployedState(state_file_path(str(tmp_path), 'dev'),
                          [{'name': 'old', 'resource_type': 'iam_role', 'role_name': 'o',
                            'role_arn': 'x'}])
    seen = []
    aws = FakeAWS()
    aws.on_call = lambda service, method, params: seen.append((method, state_names(tmp_path)))
    ui = RecordingUI()
    ui.write = lambda line: seen.append((line, state_names(tmp_path)))
    plan = Plan([
        APICall('iam', 'create_role', {'RoleName': 'a',
                                       'AssumeRolePolicyDocument': JSONDocument(TRUST)},
                outputs={'a.arn': 'Role.Arn'}),
        RecordResource('a', 'iam_role', {'role_name': 'a', 'role_arn': Var('a.arn')}),
        Message('after record'),
        ForgetResource('old'),
        Message('after forget'),
        APICall('iam', 'get_role', {'RoleName': 'a'}),
    ])
    Executor(aws, state, ui).execute(plan)
    assert seen == [('create_role', None),
                    ('after record', ['old', 'a']),
                    ('after forget', ['a']),
                    ('get_role', ['a'])]


def test_messages_are_written_before_their_call(state):
    ui = RecordingUI()
    aws = FakeAWS()
    aws.on_call = lambda *a: ui.lines.append('<call>')
    plan = Plan([Message('one'),
                 APICall('iam', 'get_role', {'RoleName': 'x'}, message='two',
                         ignore_errors=('NoSuchEntity',)),
                 Message('three')])
    Executor(aws, state, ui).execute(plan)
    assert ui.lines == ['one', 'two', '<call>', 'three']


def test_ignore_errors_treats_listed_codes_as_success(state):
    aws = FakeAWS()
    plan = Plan([
        APICall('lambda', 'delete_function', {'FunctionName': 'gone'},
                ignore_errors=('ResourceNotFoundException',)),
        APICall('iam', 'delete_role', {'RoleName': 'gone'}, ignore_errors=('NoSuchEntity',),
                outputs={}),
        ForgetResource('gone'),
    ])
    Executor(aws, state, RecordingUI()).execute(plan)
    assert [c[1] for c in aws.calls] == ['delete_function', 'delete_role']


def test_unlisted_error_stops_and_names_the_state_file(tmp_path):
    state = DeployedState(state_file_path(str(tmp_path), 'dev'))
    aws = FakeAWS()
    plan = Plan([
        APICall('iam', 'create_role', {'RoleName': 'a',
                                       'AssumeRolePolicyDocument': JSONDocument(TRUST)},
                outputs={'a.arn': 'Role.Arn'}),
        RecordResource('a', 'iam_role', {'role_name': 'a', 'role_arn': Var('a.arn')}),
        APICall('lambda', 'delete_function', {'FunctionName': 'gone'},
                ignore_errors=('SomethingElse',)),
        RecordResource('never', 'iam_role', {'role_name': 'n', 'role_arn': 'n'}),
    ])
    with pytest.raises(DeploymentError) as excinfo:
        Executor(aws, state, RecordingUI()).execute(plan)
    message = str(excinfo.value)
    assert 'ResourceNotFoundException' in message
    assert state.path in message
    assert 'run the command again' in message
    assert excinfo.value.exit_code == 1
    assert state_names(tmp_path) == ['a']


def test_using_a_variable_before_it_is_set_is_an_internal_error(state):
    plan = Plan([APICall('iam', 'get_role', {'RoleName': Var('nobody.set.this')})])
    aws = FakeAWS()
    with pytest.raises(DeploymentError) as excinfo:
        Executor(aws, state, RecordingUI()).execute(plan)
    assert '${nobody.set.this}' in str(excinfo.value)
    assert aws.calls == []


# ---------------------------------------------------------------- end to end


def big_app(cleanup=True, extra_route=False):
    app = Chalice(app_name='demo')

    @app.authorizer()
    def auth(auth_request):
        pass

    @app.route('/', authorizer=auth)
    def index():
        return {}

    @app.route('/items/{item}', methods=['GET', 'PUT'], cors=True)
    def item(item):
        return {}

    @app.lambda_function()
    def worker(event, context):
        pass

    if cleanup:
        @app.lambda_function(name='cleanup')
        def other(event, context):
            pass

    if extra_route:
        @app.route('/extra', methods=['POST'])
        def extra():
            return {}

    return app


@pytest.fixture
def project(tmp_path):
    return write_project(tmp_path / 'proj')


@pytest.fixture
def package(tmp_path):
    return make_package(tmp_path)


def test_deploy_creates_everything_and_records_it(project, package):
    aws = FakeAWS()
    ui = RecordingUI()
    run_deploy(aws, make_config(big_app(), project), package, ui)
    assert set(aws.roles) == {'demo-dev'}
    assert set(aws.functions) == {'demo-dev', 'demo-dev-auth', 'demo-dev-worker',
                                  'demo-dev-cleanup'}
    (api,) = aws.rest_apis.values()
    assert set(api['stages']) == {'api'}
    assert set(api['definition']['paths']) == {'/', '/items/{item}'}
    data = read_state_file(project)
    assert data['schema_version'] == '2.0' and data['backend'] == 'api'
    # AWS Chalice's order: the API handler, then its authorizer, then the API.
    assert [r['name'] for r in data['resources']] == [
        'default-role', 'worker', 'cleanup', 'api_handler', 'auth', 'rest_api']
    assert recorded_resources(DeployedState.load(project, 'dev')) == aws.existing_resources()
    assert aws.functions['demo-dev']['config']['CodeSha256'] == package.code_sha256
    assert 'Creating IAM role: demo-dev' in ui.lines
    assert 'Creating lambda function: demo-dev-worker' in ui.lines
    assert 'Resources deployed:' in ui.lines
    api_id = next(iter(aws.rest_apis))
    assert ('  - Rest API URL: https://%s.execute-api.us-west-2.amazonaws.com/api/' % api_id
            in ui.lines)
    sids = [s['Condition']['ArnLike']['AWS:SourceArn']
            for s in aws.functions['demo-dev-auth']['statements']]
    assert sids == ['arn:aws:execute-api:us-west-2:123456789012:%s/authorizers/*' % api_id]
    policy = aws.roles['demo-dev']['policies']['demo-dev']
    assert 's3:ListAllMyBuckets' in json.dumps(policy)
    # As in Chalice 1.x (not as its old tutorial says), the generated policy is
    # not written to .chalice/: only the state file is (docs/deploy.rst).
    assert sorted(os.listdir(os.path.join(project, '.chalice'))) == ['deployed']


def test_redeploy_without_changes_makes_zero_mutating_calls(project, package):
    aws = FakeAWS()
    config = make_config(big_app(), project)
    run_deploy(aws, config, package)
    before = aws.snapshot()
    aws.reset_counter()
    ui = RecordingUI()
    run_deploy(aws, config, package, ui)
    assert aws.mutating_calls == []
    assert aws.snapshot() == before
    assert 'No changes to IAM role: demo-dev' in ui.lines
    assert 'No changes to lambda function: demo-dev' in ui.lines
    assert any(line.startswith('No changes to Rest API: ') for line in ui.lines)


def test_redeploy_after_code_change_updates_code_only(project, package, tmp_path):
    aws = FakeAWS()
    config = make_config(big_app(), project)
    run_deploy(aws, config, package)
    aws.reset_counter()
    new_package = make_package(tmp_path, b'new code', name='new.zip')
    run_deploy(aws, config, new_package)
    assert aws.mutating_calls == [('lambda', 'update_function_code')] * 4
    assert {f['config']['CodeSha256'] for f in aws.functions.values()} == {
        code_sha256(b'new code')}


def test_redeploy_after_config_change(project, package):
    aws = FakeAWS()
    run_deploy(aws, make_config(big_app(), project), package)
    aws.reset_counter()
    config = make_config(big_app(), project, stages={'dev': {'lambda_functions': {
        'worker': {'lambda_memory_size': 512, 'reserved_concurrency': 2,
                   'tags': {'team': 'x'}}}}})
    run_deploy(aws, config, package)
    assert sorted(aws.mutating_calls) == [('lambda', 'put_function_concurrency'),
                                          ('lambda', 'tag_resource'),
                                          ('lambda', 'update_function_configuration')]
    worker = aws.functions['demo-dev-worker']
    assert worker['config']['MemorySize'] == 512
    assert worker['concurrency'] == 2 and worker['tags']['team'] == 'x'
    aws.reset_counter()
    run_deploy(aws, make_config(big_app(), project), package)
    assert sorted(aws.mutating_calls) == [('lambda', 'delete_function_concurrency'),
                                          ('lambda', 'untag_resource'),
                                          ('lambda', 'update_function_configuration')]
    worker = aws.functions['demo-dev-worker']
    assert worker['config']['MemorySize'] == 128
    assert worker['concurrency'] is None and 'team' not in worker['tags']


def test_removed_function_is_deleted_on_redeploy(project, package):
    aws = FakeAWS()
    run_deploy(aws, make_config(big_app(), project), package)
    smaller = Chalice(app_name='demo')

    @smaller.lambda_function()
    def worker(event, context):
        pass

    aws.reset_counter()
    run_deploy(aws, make_config(smaller, project), package)
    assert aws.mutating_calls == [('apigateway', 'delete_rest_api'),
                                  ('lambda', 'delete_function'),
                                  ('lambda', 'delete_function'),
                                  ('lambda', 'delete_function')]
    assert set(aws.functions) == {'demo-dev-worker'}
    assert state_names(project) == ['default-role', 'worker']


def test_policy_change_is_shown_and_confirmed(project, package):
    aws = FakeAWS()
    config = make_config(big_app(), project)
    run_deploy(aws, config, package)
    write_project(project, app_py="import boto3\nboto3.client('sqs').send_message()\n")
    aws.reset_counter()
    ui = RecordingUI(interactive=False)
    run_deploy(aws, config, package, ui)
    assert aws.mutating_calls == [('iam', 'put_role_policy')]
    assert 'Updating IAM policy.' in ui.lines
    assert 'sqs:SendMessage' in ui.lines and 's3:ListAllMyBuckets' in ui.lines
    assert 'Not running on a terminal: continuing as if you answered yes.' in ui.lines


def test_policy_change_prompt_reads_as_documented(project, package):
    """The documented lines, then click's ``Would you like to continue?  [Y/n]:``."""
    from click.testing import CliRunner

    from chalice.deploy.deployer import UI

    app = Chalice(app_name='demo')

    @app.route('/')
    def index():
        return {}

    write_project(project, app_py='')
    aws = FakeAWS()
    config = make_config(app, project)
    run_deploy(aws, config, package)
    write_project(project, app_py="import boto3\nboto3.client('sqs').send_message()\n")
    aws.reset_counter()
    with CliRunner().isolation(input='\n') as streams:
        run_deploy(aws, config, package, UI(interactive=True))
        output = streams[0].getvalue().decode()
    assert output.startswith(
        'Updating IAM policy.\n'
        '\n'
        'The following action will be added to the execution policy:\n'
        '\n'
        'sqs:SendMessage\n'
        '\n'
        'Would you like to continue?  [Y/n]: ')
    # Enter takes the default, yes.
    assert aws.mutating_calls == [('iam', 'put_role_policy')]


def test_declined_policy_change_changes_nothing(project, package):
    aws = FakeAWS()
    config = make_config(big_app(), project)
    run_deploy(aws, config, package)
    before = aws.snapshot()
    write_project(project, app_py="import boto3\nboto3.client('sqs').send_message()\n")
    aws.reset_counter()
    ui = RecordingUI(interactive=True, answer=False)
    with pytest.raises(ChaliceError):
        run_deploy(aws, config, package, ui)
    assert ui.prompts
    assert aws.mutating_calls == []
    assert aws.snapshot() == before


def test_corrupt_state_file_refuses_before_any_aws_call(project, package):
    path = state_file_path(project, 'dev')
    os.makedirs(os.path.dirname(path))
    with open(path, 'wb') as f:
        f.write(b'{"resources": [')
    aws = FakeAWS()
    with pytest.raises(StateFileError) as excinfo:
        run_deploy(aws, make_config(big_app(), project), package)
    assert path in str(excinfo.value)
    assert aws.calls == []
    with open(path, 'rb') as f:
        assert f.read() == b'{"resources": ['
    with pytest.raises(StateFileError):
        run_delete(aws, project)
    assert aws.calls == []


def test_delete_removes_everything(project, package):
    aws = FakeAWS()
    run_deploy(aws, make_config(big_app(), project), package)
    aws.reset_counter()
    ui = RecordingUI()
    run_delete(aws, project, ui=ui)
    assert aws.is_empty()
    assert read_state_file(project) == {'resources': [], 'schema_version': '2.0',
                                        'backend': 'api'}
    assert 'Deleting IAM role: demo-dev' in ui.lines
    # A second delete has nothing to do.
    aws.reset_counter()
    ui = RecordingUI()
    run_delete(aws, project, ui=ui)
    assert aws.call_count == 0
    assert any('nothing to delete' in line for line in ui.lines)


def test_delete_tolerates_resources_already_gone(project, package):
    aws = FakeAWS()
    run_deploy(aws, make_config(big_app(), project), package)
    aws.rest_apis.clear()
    del aws.functions['demo-dev-worker']
    aws.roles['demo-dev']['policies'].clear()
    run_delete(aws, project)
    assert aws.is_empty()
    assert read_state_file(project)['resources'] == []


def test_stages_are_separate(project, package):
    aws = FakeAWS()
    run_deploy(aws, make_config(big_app(), project, 'dev'), package)
    run_deploy(aws, make_config(big_app(), project, 'prod'), package)
    assert set(aws.roles) == {'demo-dev', 'demo-prod'}
    assert len(aws.rest_apis) == 2
    run_delete(aws, project, 'dev')
    assert set(aws.roles) == {'demo-prod'}
    assert len(aws.functions) == 4


# ---------------------------------------------------------------- fault injection


@pytest.fixture(scope='module')
def baseline(tmp_path_factory):
    """An uninterrupted deploy: its call count and final snapshot."""
    directory = tmp_path_factory.mktemp('baseline')
    project = write_project(directory / 'proj')
    package = make_package(directory)
    aws = FakeAWS()
    run_deploy(aws, make_config(big_app(), project), package)
    return {'calls': aws.call_count, 'snapshot': aws.snapshot(), 'package': package}


def assert_state_matches_aws(project, aws):
    state = DeployedState.load(project, 'dev')  # valid: loads without error
    assert recorded_resources(state) == aws.existing_resources()


def arm_crash_view(aws, project):
    """Read the state file from disk at the instant the failing call is made.

    That is what a crash (kill -9) at that moment would leave behind.  An
    exception lets the executor run cleanup code; a crash would not, so the
    journal must already be on disk.
    """
    views = []

    def hook(service, method, params):
        if aws.fail_at is not None and aws.call_count + 1 == aws.fail_at:
            views.append(recorded_resources(DeployedState.load(project, 'dev')))

    aws.on_call = hook
    return views


def converge_and_clean_up(aws, project, baseline):
    config = make_config(big_app(), project)
    aws.fail_at = None
    run_deploy(aws, config, baseline['package'])
    assert aws.snapshot() == baseline['snapshot']
    assert_state_matches_aws(project, aws)
    aws.reset_counter()
    run_deploy(aws, config, baseline['package'])
    assert aws.mutating_calls == []
    run_delete(aws, project)
    assert aws.is_empty()
    assert read_state_file(project)['resources'] == []


def test_full_deploy_has_enough_calls_to_be_interesting(baseline):
    assert baseline['calls'] >= 15


def test_fault_at_every_call_of_a_deploy_then_rerun_converges(tmp_path, baseline):
    for k in range(1, baseline['calls'] + 1):
        project = write_project(tmp_path / ('p%d' % k))
        aws = FakeAWS()
        aws.fail_at = k
        crash_view = arm_crash_view(aws, project)
        with pytest.raises(DeploymentError) as excinfo:
            run_deploy(aws, make_config(big_app(), project), baseline['package'])
        assert 'injected failure' in str(excinfo.value)
        assert aws.call_count == k  # nothing was called after the failure
        assert crash_view == [aws.existing_resources()]
        assert_state_matches_aws(project, aws)
        converge_and_clean_up(aws, project, baseline)


def test_fault_at_every_call_of_a_delete_then_rerun_empties(tmp_path, baseline):
    project = write_project(tmp_path / 'count')
    aws = FakeAWS()
    run_deploy(aws, make_config(big_app(), project), baseline['package'])
    aws.reset_counter()
    run_delete(aws, project)
    delete_calls = aws.call_count
    assert delete_calls >= 8
    for k in range(1, delete_calls + 1):
        project = write_project(tmp_path / ('d%d' % k))
        aws = FakeAWS()
        run_deploy(aws, make_config(big_app(), project), baseline['package'])
        aws.reset_counter()
        aws.fail_at = k
        crash_view = arm_crash_view(aws, project)
        with pytest.raises(DeploymentError):
            run_delete(aws, project)
        assert crash_view == [aws.existing_resources()]
        assert_state_matches_aws(project, aws)
        aws.fail_at = None
        run_delete(aws, project)
        assert aws.is_empty()
        assert read_state_file(project)['resources'] == []


@settings(max_examples=20, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(faults=st.lists(st.integers(min_value=1, max_value=25), min_size=1, max_size=4))
def test_repeated_interrupted_deploys_converge(tmp_path_factory, baseline, faults):
    project = write_project(tmp_path_factory.mktemp('h') / 'proj')
    aws = FakeAWS()
    config = make_config(big_app(), project)
    for k in faults:
        aws.reset_counter()
        aws.fail_at = k
        crash_view = arm_crash_view(aws, project)
        try:
            run_deploy(aws, config, baseline['package'])
        except DeploymentError:
            assert aws.call_count == k
            assert crash_view == [aws.existing_resources()]
        assert_state_matches_aws(project, aws)
    converge_and_clean_up(aws, project, baseline)


def test_lost_responses_still_converge_for_resources_found_by_name(tmp_path, baseline):
    """The call reached AWS but its response was lost (say, a timeout).

    Roles and functions are looked up by name and permissions by their
    source ARN, so a rerun adopts what the lost call created.  A REST API
    is found only through its recorded id, so a lost import_rest_api
    response leaves an API behind; that case is excluded here.
    """
    for k in range(1, baseline['calls'] + 1):
        project = write_project(tmp_path / ('p%d' % k))
        aws = FakeAWS()
        aws.fail_at = k
        aws.fail_mode = 'after'
        with pytest.raises(DeploymentError):
            run_deploy(aws, make_config(big_app(), project), baseline['package'])
        if aws.calls[k - 1][1] == 'import_rest_api':
            continue
        converge_and_clean_up(aws, project, baseline)


def update_config(project):
    """big_app v2: a route added, a function removed, one function reconfigured."""
    return make_config(big_app(cleanup=False, extra_route=True), project, stages={'dev': {
        'lambda_functions': {'worker': {'lambda_memory_size': 256, 'tags': {'t': 'v'},
                                        'reserved_concurrency': 1}}}})


@pytest.fixture(scope='module')
def update_baseline(tmp_path_factory, baseline):
    directory = tmp_path_factory.mktemp('update')
    project = write_project(directory / 'proj')
    new_package = make_package(directory, b'version two', name='v2.zip')
    aws = FakeAWS()
    run_deploy(aws, make_config(big_app(), project), baseline['package'])
    aws.reset_counter()
    run_deploy(aws, update_config(project), new_package)
    return {'calls': aws.call_count, 'mutating': aws.mutating_calls,
            'snapshot': aws.snapshot(), 'package': new_package}


def test_update_deploy_does_what_changed(update_baseline):
    assert sorted(update_baseline['mutating']) == sorted(
        [('lambda', 'update_function_code')] * 3 + [
            ('lambda', 'update_function_configuration'), ('lambda', 'tag_resource'),
            ('lambda', 'put_function_concurrency'), ('apigateway', 'put_rest_api'),
            ('apigateway', 'create_deployment'), ('lambda', 'delete_function')])
    assert update_baseline['mutating'][-1] == ('lambda', 'delete_function')


def test_fault_at_every_call_of_an_update_then_rerun_converges(tmp_path, baseline,
                                                               update_baseline):
    for k in range(1, update_baseline['calls'] + 1):
        project = write_project(tmp_path / ('u%d' % k))
        aws = FakeAWS()
        run_deploy(aws, make_config(big_app(), project), baseline['package'])
        aws.reset_counter()
        aws.fail_at = k
        crash_view = arm_crash_view(aws, project)
        with pytest.raises(DeploymentError):
            run_deploy(aws, update_config(project), update_baseline['package'])
        assert crash_view == [aws.existing_resources()]
        assert_state_matches_aws(project, aws)
        aws.fail_at = None
        run_deploy(aws, update_config(project), update_baseline['package'])
        assert aws.snapshot() == update_baseline['snapshot']
        aws.reset_counter()
        run_deploy(aws, update_config(project), update_baseline['package'])
        assert aws.mutating_calls == []
        run_delete(aws, project)
        assert aws.is_empty()


# ---------------------------------------------------------------- other settings end to end


def test_settings_round_trip_with_no_op_redeploy(project, package):
    config = make_config(big_app(), project, log_retention_in_days=14,
                         minimum_compression_size=100, api_gateway_endpoint_type='PRIVATE',
                         api_gateway_endpoint_vpce='vpce-1', xray=True,
                         subnet_ids=['subnet-1'], security_group_ids=['sg-1'],
                         layers=['arn:aws:lambda:us-west-2:1:layer:user:3'])
    aws = FakeAWS()
    run_deploy(aws, config, package)
    (api,) = aws.rest_apis.values()
    assert api['endpoint_types'] == ['PRIVATE'] and api['minimum_compression_size'] == 100
    assert 'vpce-1' in json.dumps(api['definition']['x-amazon-apigateway-policy'])
    assert aws.log_groups == {'/aws/lambda/%s' % name: 14 for name in aws.functions}
    handler = aws.functions['demo-dev']['config']
    assert handler['TracingConfig'] == {'Mode': 'Active'}
    assert api['traced_stages'] == {'api'}
    assert handler['VpcConfig']['SubnetIds'] == ['subnet-1']
    assert handler['Layers'] == [{'Arn': 'arn:aws:lambda:us-west-2:1:layer:user:3',
                                  'CodeSize': 1}]
    assert recorded_resources(DeployedState.load(project, 'dev')) == aws.existing_resources()
    aws.reset_counter()
    run_deploy(aws, config, package)
    assert aws.mutating_calls == []
    groups = set(aws.log_groups)
    run_delete(aws, project)
    assert aws.is_empty()
    # The logs are kept, without the retention (as AWS Chalice 1.34 leaves them).
    assert aws.log_groups == {name: None for name in groups}


def test_switching_to_a_precreated_role_and_back(project, package):
    aws = FakeAWS()
    run_deploy(aws, make_config(big_app(), project), package)
    precreated = make_config(big_app(), project, manage_iam_role=False,
                             iam_role_arn='arn:aws:iam::123456789012:role/precreated-x')
    aws.reset_counter()
    run_deploy(aws, precreated, package)
    assert aws.mutating_calls == [('lambda', 'update_function_configuration')] * 4 + [
        ('iam', 'delete_role_policy'), ('iam', 'delete_role')]
    assert aws.roles == {}
    assert {f['config']['Role'] for f in aws.functions.values()} == {
        'arn:aws:iam::123456789012:role/precreated-x'}
    aws.reset_counter()
    run_deploy(aws, precreated, package)
    assert aws.mutating_calls == []
    run_deploy(aws, make_config(big_app(), project), package)
    assert {f['config']['Role'] for f in aws.functions.values()} == {aws.role_arn('demo-dev')}
    run_delete(aws, project)
    assert aws.is_empty()


def test_function_with_its_own_role_end_to_end(project, package):
    with open(os.path.join(project, '.chalice', 'worker.json'), 'w') as f:
        json.dump({'Version': '2012-10-17', 'Statement': [
            {'Effect': 'Allow', 'Action': ['sqs:SendMessage'], 'Resource': '*'}]}, f)
    config = make_config(big_app(), project, stages={'dev': {'lambda_functions': {
        'worker': {'autogen_policy': False, 'iam_policy_file': 'worker.json'}}}})
    aws = FakeAWS()
    run_deploy(aws, config, package)
    assert set(aws.roles) == {'demo-dev', 'demo-dev-worker'}
    assert aws.functions['demo-dev-worker']['config']['Role'] == aws.role_arn('demo-dev-worker')
    assert aws.functions['demo-dev']['config']['Role'] == aws.role_arn('demo-dev')
    aws.reset_counter()
    run_deploy(aws, config, package)
    assert aws.mutating_calls == []
    run_delete(aws, project)
    assert aws.is_empty()


def test_automatic_layer_end_to_end(project, package, tmp_path):
    config = make_config(big_app(), project, automatic_layer=True)
    layer = make_package(tmp_path, b'deps v1', name='layer1.zip')
    aws = FakeAWS()
    run_deploy(aws, config, package, layer_package=layer)
    (versions,) = aws.layers.values()
    (entry,) = versions.values()
    assert entry['sha'] == code_sha256(b'deps v1')
    assert all(f['config']['Layers'] == [{'Arn': entry['arn'], 'CodeSize': 1}]
               for f in aws.functions.values())
    assert state_names(project)[:2] == ['default-role', 'managed-layer']
    aws.reset_counter()
    run_deploy(aws, config, package, layer_package=layer)
    assert aws.mutating_calls == []
    new_layer = make_package(tmp_path, b'deps v2', name='layer2.zip')
    aws.reset_counter()
    run_deploy(aws, config, package, layer_package=new_layer)
    # The replaced version is deleted right after the new one is published.
    assert aws.mutating_calls == [('lambda', 'publish_layer_version'),
                                  ('lambda', 'delete_layer_version')] + [
        ('lambda', 'update_function_configuration')] * 4
    latest = read_state_file(project)['resources'][1]['layer_version_arn']
    assert latest.endswith(':2')
    assert all(f['config']['Layers'][0]['Arn'] == latest for f in aws.functions.values())


def test_replaced_layer_versions_do_not_outlive_delete(project, package, tmp_path):
    config = make_config(big_app(), project, automatic_layer=True)
    aws = FakeAWS()
    run_deploy(aws, config, package, layer_package=make_package(tmp_path, b'1', name='1.zip'))
    run_deploy(aws, config, package, layer_package=make_package(tmp_path, b'2', name='2.zip'))
    run_delete(aws, project)
    assert aws.layers == {}


def test_resources_deleted_behind_our_back_are_recreated(project, package):
    aws = FakeAWS()
    config = make_config(big_app(), project)
    run_deploy(aws, config, package)
    before = aws.snapshot()
    del aws.functions['demo-dev']
    del aws.functions['demo-dev-worker']
    aws.roles['demo-dev']['policies'].clear()
    aws.reset_counter()
    run_deploy(aws, config, package)
    # The handler's ARN is unknown until it is recreated, so the planner cannot
    # tell that the API definition is unchanged and conservatively puts it again.
    assert aws.mutating_calls == [
        ('iam', 'put_role_policy'), ('lambda', 'create_function'),
        ('lambda', 'create_function'), ('apigateway', 'put_rest_api'),
        ('apigateway', 'create_deployment'), ('lambda', 'add_permission')]
    assert aws.snapshot() == before
    assert_state_matches_aws(project, aws)


def test_rest_api_deleted_behind_our_back_is_reimported(project, package):
    aws = FakeAWS()
    config = make_config(big_app(), project)
    run_deploy(aws, config, package)
    old_id = read_state_file(project)['resources'][-1]['rest_api_id']
    aws.rest_apis.clear()
    aws.reset_counter()
    run_deploy(aws, config, package)
    assert aws.mutating_calls == [('apigateway', 'import_rest_api'),
                                  ('apigateway', 'create_deployment'),
                                  ('lambda', 'add_permission'), ('lambda', 'add_permission')]
    record = read_state_file(project)['resources'][-1]
    assert record['rest_api_id'] != old_id and record['rest_api_id'] in aws.rest_apis
    assert record['rest_api_url'].startswith('https://%s.' % record['rest_api_id'])
    aws.reset_counter()
    run_deploy(aws, config, package)
    assert aws.mutating_calls == []


# ---------------------------------------------------------------- real packages


def test_deploy_builds_packages_warns_once_and_switches_architecture(tmp_path, monkeypatch):
    """build_packages is not replaced here: the packager builds real zips (no deps)."""
    import types

    import chalice.config
    from chalice.deploy import deployer

    app = Chalice(app_name='demo')

    @app.route('/')
    def index():
        return {}

    @app.lambda_function()
    def worker(event, context):
        return {}

    project = write_project(tmp_path / 'proj', app_py='from chalice import Chalice\n')
    monkeypatch.setattr(chalice.config, 'sys', types.SimpleNamespace(version_info=(3, 9, 7)))
    aws = FakeAWS()
    ui = RecordingUI()
    config = make_config(app, project, lambda_functions={
        'worker': {'lambda_architecture': 'arm64'}})
    deployer.deploy(config, aws, ui)
    assert len(ui.warnings) == 1
    assert 'You are currently running python3.9' in ui.warnings[0]
    assert aws.functions['demo-dev']['config']['Runtime'] == 'python3.10'
    assert aws.functions['demo-dev']['config']['Architectures'] == ['x86_64']
    assert aws.functions['demo-dev-worker']['config']['Architectures'] == ['arm64']

    # The whole stage moves to arm64: the API handler is updated in place.
    aws.reset_counter()
    config = make_config(app, project, lambda_architecture='arm64')
    deployer.deploy(config, aws, RecordingUI())
    assert aws.functions['demo-dev']['config']['Architectures'] == ['arm64']
    assert [c for c in aws.mutating_calls if c[0] == 'lambda'] == [
        ('lambda', 'update_function_code')]
    aws.reset_counter()
    deployer.deploy(config, aws, RecordingUI())
    assert aws.mutating_calls == []
