"""AWSClient over real boto3 clients with botocore's Stubber (no network)."""
import boto3
import pytest
from botocore.stub import Stubber

from chalice import __version__ as chalice_version
from chalice.awsclient import AWSClient, CredentialsError, check_session, create_session
from chalice.errors import ChaliceError, DeploymentError

ROLE_ARN = 'arn:aws:iam::123456789012:role/demo-dev'
CREATE = {'FunctionName': 'demo-dev', 'Role': ROLE_ARN, 'Runtime': 'python3.11',
          'Handler': 'app.app', 'Code': {'ZipFile': b'zip'}}
NAME = {'FunctionName': 'demo-dev'}
ROLE_NOT_READY = 'The role defined for the function cannot be assumed by Lambda.'


def make_session(region='us-west-2'):
    return boto3.session.Session(aws_access_key_id='testing', aws_secret_access_key='testing',
                                 region_name=region)


class Sleeps(list):
    def __call__(self, seconds):
        self.append(seconds)


@pytest.fixture
def sleeps():
    return Sleeps()


@pytest.fixture
def aws(sleeps):
    return AWSClient(make_session(), sleep=sleeps)


@pytest.fixture
def stub(aws):
    stubbers = []

    def stubber(service):
        s = Stubber(aws.client(service))
        s.activate()
        stubbers.append(s)
        return s

    yield stubber
    for s in stubbers:
        s.assert_no_pending_responses()
        s.deactivate()


def config(state='Active', update='Successful', **extra):
    return dict({'FunctionName': 'demo-dev', 'State': state, 'LastUpdateStatus': update},
                **extra)


def test_create_function_retries_role_propagation_then_waits_until_active(aws, stub, sleeps):
    lam = stub('lambda')
    lam.add_client_error('create_function', 'InvalidParameterValueException', ROLE_NOT_READY,
                         expected_params=CREATE)
    lam.add_client_error('create_function', 'InvalidParameterValueException', ROLE_NOT_READY,
                         expected_params=CREATE)
    lam.add_response('create_function', {'FunctionArn': 'arn:fn', 'State': 'Pending'}, CREATE)
    lam.add_response('get_function_configuration', config('Pending', 'InProgress'), NAME)
    lam.add_response('get_function_configuration', config('Pending'), NAME)
    lam.add_response('get_function_configuration', config('Active'), NAME)
    response = aws.call('lambda', 'create_function', CREATE)
    assert response == {'FunctionArn': 'arn:fn', 'State': 'Pending'}
    assert sleeps == [1.0, 2.0]  # role propagation back-off
    # Waiting is its own call, made after the deployer has recorded the function.
    aws.call('lambda', 'wait_function_ready', {'FunctionName': 'demo-dev'})
    assert len(sleeps) == 4  # then two waits for the function to become Active
    assert aws.calls == [('lambda', 'create_function')] * 3 + [
        ('lambda', 'get_function_configuration')] * 3


def test_create_function_gives_up_on_role_propagation_after_max_wait(sleeps):
    aws = AWSClient(make_session(), sleep=sleeps, max_role_wait=2.0)
    lam = Stubber(aws.client('lambda'))
    for _ in range(3):
        lam.add_client_error('create_function', 'InvalidParameterValueException',
                             ROLE_NOT_READY)
    with lam, pytest.raises(DeploymentError) as excinfo:
        aws.call('lambda', 'create_function', CREATE)
    lam.assert_no_pending_responses()
    assert sleeps == [1.0, 2.0]
    assert 'lambda:CreateFunction failed: InvalidParameterValueException' in str(excinfo.value)
    assert excinfo.value.error_code == 'InvalidParameterValueException'


def test_create_function_retries_while_vpc_permissions_propagate(aws, sleeps):
    lam = Stubber(aws.client('lambda'))
    lam.add_client_error('create_function', 'InvalidParameterValueException',
                         'The provided execution role does not have permissions to call '
                         'CreateNetworkInterface on EC2')
    lam.add_response('create_function', {'FunctionArn': 'arn:fn'})
    lam.add_response('get_function_configuration', config(), NAME)
    with lam:
        result = aws.call('lambda', 'create_function', CREATE)
    assert result == {'FunctionArn': 'arn:fn'}
    assert sleeps == [1.0]


def test_other_invalid_parameter_errors_are_not_retried(aws, stub, sleeps):
    lam = stub('lambda')
    lam.add_client_error('create_function', 'InvalidParameterValueException',
                         'Unsupported runtime')
    with pytest.raises(DeploymentError) as excinfo:
        aws.call('lambda', 'create_function', CREATE)
    assert 'Unsupported runtime' in str(excinfo.value)
    assert sleeps == []
    assert aws.calls == [('lambda', 'create_function')]


def test_update_function_code_waits_for_last_update_status(aws, stub, sleeps):
    lam = stub('lambda')
    params = {'FunctionName': 'demo-dev', 'ZipFile': b'new'}
    lam.add_response('get_function_configuration', config(update='InProgress'), NAME)
    lam.add_response('get_function_configuration', config(), NAME)
    lam.add_response('update_function_code', {'CodeSha256': 'abc'}, params)
    lam.add_response('get_function_configuration', config(update='InProgress'), NAME)
    lam.add_response('get_function_configuration', config(update='InProgress'), NAME)
    lam.add_response('get_function_configuration', config(), NAME)
    assert aws.call('lambda', 'update_function_code', params) == {'CodeSha256': 'abc'}
    assert len(sleeps) == 3
    assert sleeps == sorted(sleeps)  # backing off, never shrinking
    methods = [m for _, m in aws.calls]
    assert methods.index('update_function_code') == 2
    assert methods[-1] == 'get_function_configuration'


def test_update_that_fails_reports_the_reason(aws, stub):
    lam = stub('lambda')
    params = {'FunctionName': 'demo-dev', 'MemorySize': 256}
    lam.add_response('get_function_configuration', config(), NAME)
    lam.add_response('update_function_configuration', {}, params)
    lam.add_response('get_function_configuration',
                     config(update='Failed', LastUpdateStatusReason='Subnet is full'), NAME)
    with pytest.raises(DeploymentError) as excinfo:
        aws.call('lambda', 'update_function_configuration', params)
    assert 'demo-dev' in str(excinfo.value) and 'Subnet is full' in str(excinfo.value)


def test_a_previous_failed_update_does_not_block_a_new_one(aws):
    lam = Stubber(aws.client('lambda'))
    params = {'FunctionName': 'demo-dev', 'MemorySize': 256}
    lam.add_response('get_function_configuration',
                     config(update='Failed', LastUpdateStatusReason='old problem'), NAME)
    lam.add_response('update_function_configuration', {'MemorySize': 256}, params)
    lam.add_response('get_function_configuration', config(), NAME)
    with lam:
        result = aws.call('lambda', 'update_function_configuration', params)
    assert result == {'MemorySize': 256}
    lam.assert_no_pending_responses()


@pytest.mark.parametrize('method, params', [
    ('update_function_configuration', {'FunctionName': 'demo-dev', 'Timeout': 9}),
    ('put_function_concurrency', {'FunctionName': 'demo-dev',
                                  'ReservedConcurrentExecutions': 3}),
    ('delete_function_concurrency', {'FunctionName': 'demo-dev'}),
])
def test_resource_conflict_is_retried(aws, stub, sleeps, method, params):
    lam = stub('lambda')
    lam.add_response('get_function_configuration', config(), NAME)
    lam.add_client_error(method, 'ResourceConflictException',
                         'The operation cannot be performed at this time. An update is in '
                         'progress for resource', expected_params=params)
    lam.add_response('get_function_configuration', config(), NAME)
    lam.add_response(method, {}, params)
    if method == 'update_function_configuration':
        lam.add_response('get_function_configuration', config(), NAME)
    assert aws.call('lambda', method, params) == {}
    assert sleeps == [1]
    assert [m for _, m in aws.calls].count(method) == 2


def test_resource_conflict_gives_up_eventually(aws, stub, sleeps):
    lam = stub('lambda')
    params = {'FunctionName': 'demo-dev', 'ReservedConcurrentExecutions': 3}
    for _ in range(6):
        lam.add_response('get_function_configuration', config(), NAME)
        lam.add_client_error('put_function_concurrency', 'ResourceConflictException', 'busy')
    with pytest.raises(DeploymentError) as excinfo:
        aws.call('lambda', 'put_function_concurrency', params)
    assert 'ResourceConflictException' in str(excinfo.value)
    assert len(sleeps) == 5


@pytest.mark.parametrize('service, method, params, code, action', [
    ('lambda', 'create_function', CREATE, 'AccessDeniedException', 'lambda:CreateFunction'),
    ('iam', 'create_role', {'RoleName': 'r', 'AssumeRolePolicyDocument': '{}'},
     'AccessDenied', 'iam:CreateRole'),
    ('iam', 'get_role', {'RoleName': 'r'}, 'AccessDenied', 'iam:GetRole'),
])
def test_access_denied_names_the_action(aws, stub, sleeps, service, method, params, code,
                                        action):
    client = stub(service)
    client.add_client_error(method, code, 'User: arn:aws:iam::1:user/x is not authorized\n'
                                          'to perform: %s' % action, http_status_code=403)
    with pytest.raises(DeploymentError) as excinfo:
        aws.call(service, method, params, ignore_errors=('NoSuchEntity',))
    message = str(excinfo.value)
    assert message.startswith('AccessDenied')
    assert action in message
    assert '\n' not in message
    assert sleeps == []


def test_ignore_errors_returns_none(aws, stub):
    lam = stub('lambda')
    lam.add_client_error('get_function', 'ResourceNotFoundException', 'Function not found')
    assert aws.call('lambda', 'get_function', NAME,
                    ignore_errors=('ResourceNotFoundException',)) is None


def test_unlisted_error_becomes_deployment_error_with_code(aws, stub):
    lam = stub('lambda')
    lam.add_client_error('get_function', 'ResourceNotFoundException', 'Function not found')
    with pytest.raises(DeploymentError) as excinfo:
        aws.call('lambda', 'get_function', NAME, ignore_errors=('SomethingElse',))
    assert str(excinfo.value) == ('lambda:GetFunction failed: ResourceNotFoundException: '
                                  'Function not found')
    assert excinfo.value.error_code == 'ResourceNotFoundException'
    assert excinfo.value.exit_code == 1


def test_ignore_errors_applies_to_calls_with_waits(aws, stub):
    lam = stub('lambda')
    lam.add_response('get_function_configuration', config(), NAME)
    lam.add_client_error('delete_function_concurrency', 'ResourceNotFoundException', 'gone')
    assert aws.call('lambda', 'delete_function_concurrency', NAME,
                    ignore_errors=('ResourceNotFoundException',)) is None


def test_calls_log_and_mutating_calls(aws, stub):
    iam = stub('iam')
    iam.add_response('get_role', {'Role': {
        'Path': '/', 'RoleName': 'r', 'RoleId': 'AROAEXAMPLEID12345678', 'Arn': ROLE_ARN,
        'CreateDate': '2024-01-01T00:00:00Z'}}, {'RoleName': 'r'})
    iam.add_response('list_role_policies', {'PolicyNames': ['p']}, {'RoleName': 'r'})
    iam.add_response('put_role_policy', {}, {'RoleName': 'r', 'PolicyName': 'p',
                                             'PolicyDocument': '{}'})
    iam.add_response('delete_role_policy', {}, {'RoleName': 'r', 'PolicyName': 'p'})
    role = aws.call('iam', 'get_role', {'RoleName': 'r'})
    assert role['Role']['Arn'] == ROLE_ARN
    assert 'ResponseMetadata' not in role
    assert aws.call('iam', 'list_role_policies', {'RoleName': 'r'}) == {'PolicyNames': ['p']}
    aws.call('iam', 'put_role_policy', {'RoleName': 'r', 'PolicyName': 'p',
                                        'PolicyDocument': '{}'})
    aws.call('iam', 'delete_role_policy', {'RoleName': 'r', 'PolicyName': 'p'})
    assert aws.calls == [('iam', 'get_role'), ('iam', 'list_role_policies'),
                         ('iam', 'put_role_policy'), ('iam', 'delete_role_policy')]
    assert aws.mutating_calls == [('iam', 'put_role_policy'), ('iam', 'delete_role_policy')]


def test_account_id_is_read_once(aws, stub):
    sts = stub('sts')
    sts.add_response('get_caller_identity', {'Account': '123456789012',
                                             'Arn': 'arn:aws:iam::123456789012:user/me',
                                             'UserId': 'u'}, {})
    assert aws.account_id == '123456789012'
    assert aws.account_id == '123456789012'
    assert aws.calls == [('sts', 'get_caller_identity')]
    assert aws.mutating_calls == []


@pytest.mark.parametrize('region, partition', [
    ('us-west-2', 'aws'), ('eu-central-1', 'aws'), ('cn-north-1', 'aws-cn'),
    ('us-gov-west-1', 'aws-us-gov')])
def test_region_and_partition(region, partition):
    aws = AWSClient(make_session(region), sleep=lambda s: None)
    assert aws.region == region
    assert aws.partition == partition


def test_clients_are_cached_and_identify_chalice(aws):
    client = aws.client('lambda')
    assert aws.client('lambda') is client
    assert client.meta.region_name == 'us-west-2'
    assert 'chalice/%s' % chalice_version in client.meta.config.user_agent_extra


def test_a_client_per_service_and_region(aws):
    here = aws.client('sns')
    assert aws.client('sns', 'us-west-2') is here
    there = aws.client('sns', 'us-east-1')
    assert there is not here
    assert aws.client('sns', 'us-east-1') is there
    assert there.meta.region_name == 'us-east-1'
    assert 'chalice/%s' % chalice_version in there.meta.config.user_agent_extra
    # Same session, same credentials.
    assert there._request_signer._credentials.access_key == 'testing'


def test_the_endpoint_override_applies_to_every_regions_client(monkeypatch):
    monkeypatch.setenv('AWS_ENDPOINT_URL', 'http://127.0.0.1:5999')
    aws = AWSClient(make_session(), sleep=lambda s: None)
    assert aws.client('sns').meta.endpoint_url == 'http://127.0.0.1:5999'
    assert aws.client('sns', 'eu-west-1').meta.endpoint_url == 'http://127.0.0.1:5999'


def test_call_in_another_region_uses_that_regions_client(aws):
    there = Stubber(aws.client('sns', 'us-east-1'))
    there.add_response('unsubscribe', {}, {'SubscriptionArn': 'arn:aws:sns:us-east-1:1:t:s'})
    here = Stubber(aws.client('sns'))
    here.add_response('unsubscribe', {}, {'SubscriptionArn': 'arn:aws:sns:us-west-2:1:t:s'})
    with there, here:
        aws.call('sns', 'unsubscribe', {'SubscriptionArn': 'arn:aws:sns:us-east-1:1:t:s'},
                 region='us-east-1')
        aws.call('sns', 'unsubscribe', {'SubscriptionArn': 'arn:aws:sns:us-west-2:1:t:s'},
                 region='us-west-2')
        there.assert_no_pending_responses()
        here.assert_no_pending_responses()
    assert aws.calls == [('sns', 'unsubscribe'), ('sns', 'unsubscribe')]


def test_errors_in_another_region_are_translated_and_ignorable(aws):
    there = Stubber(aws.client('sns', 'us-east-1'))
    there.add_client_error('get_subscription_attributes', 'NotFound', 'gone')
    there.add_client_error('subscribe', 'InvalidParameter', 'Invalid parameter: TopicArn')
    with there:
        assert aws.call('sns', 'get_subscription_attributes', {'SubscriptionArn': 'arn:s'},
                        ignore_errors=('NotFound',), region='us-east-1') is None
        with pytest.raises(DeploymentError) as excinfo:
            aws.call('sns', 'subscribe', {'TopicArn': 'arn:t', 'Protocol': 'lambda'},
                     region='us-east-1')
    assert str(excinfo.value) == (
        'sns:Subscribe failed: InvalidParameter: Invalid parameter: TopicArn')


def test_composite_calls_are_the_session_regions_only(aws):
    with pytest.raises(ValueError):
        aws.call('lambda', 'wait_function_ready', NAME, region='us-east-1')


def test_connection_timeout_is_applied():
    aws = AWSClient(make_session(), connection_timeout=7, sleep=lambda s: None)
    config = aws.client('iam').meta.config
    assert config.connect_timeout == 7
    assert config.read_timeout == 60


# ---------------------------------------------------------------- sessions


@pytest.fixture
def no_aws_env(monkeypatch):
    for name in ('AWS_DEFAULT_REGION', 'AWS_REGION', 'AWS_ACCESS_KEY_ID',
                 'AWS_SECRET_ACCESS_KEY', 'AWS_SECURITY_TOKEN', 'AWS_SESSION_TOKEN',
                 'AWS_PROFILE', 'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI',
                 'AWS_CONTAINER_CREDENTIALS_FULL_URI', 'AWS_WEB_IDENTITY_TOKEN_FILE'):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv('AWS_EC2_METADATA_DISABLED', 'true')


def test_check_session_without_region(no_aws_env):
    session = boto3.session.Session(aws_access_key_id='a', aws_secret_access_key='b')
    with pytest.raises(CredentialsError) as excinfo:
        check_session(session)
    message = str(excinfo.value)
    assert 'AWS_DEFAULT_REGION' in message and '--profile' in message
    assert isinstance(excinfo.value, ChaliceError) and excinfo.value.exit_code == 2


def test_check_session_without_credentials(no_aws_env):
    session = boto3.session.Session(region_name='us-west-2')
    with pytest.raises(CredentialsError) as excinfo:
        check_session(session)
    assert '--profile' in str(excinfo.value)
    assert 'credentials' in str(excinfo.value).lower()


def test_check_session_accepts_a_complete_session(no_aws_env):
    check_session(make_session())


def test_check_session_reads_region_from_the_environment(no_aws_env, monkeypatch):
    monkeypatch.setenv('AWS_DEFAULT_REGION', 'eu-west-1')
    monkeypatch.setenv('AWS_ACCESS_KEY_ID', 'a')
    monkeypatch.setenv('AWS_SECRET_ACCESS_KEY', 'b')
    session = create_session()
    check_session(session)
    assert AWSClient(session).region == 'eu-west-1'


def test_unknown_profile_is_named(no_aws_env):
    with pytest.raises(CredentialsError) as excinfo:
        create_session('no-such-profile')
    assert 'no-such-profile' in str(excinfo.value)
    assert '--profile' in str(excinfo.value)


@pytest.fixture
def aws_config_files(no_aws_env, tmp_path, monkeypatch):
    """An ~/.aws/config and credentials file with a default and a named profile."""
    config = tmp_path / 'config'
    config.write_text('[default]\nregion = us-east-2\n\n[profile work]\nregion = eu-central-1\n')
    credentials = tmp_path / 'credentials'
    credentials.write_text('[default]\naws_access_key_id = DEFAULTKEY\n'
                           'aws_secret_access_key = default-secret\n\n'
                           '[work]\naws_access_key_id = WORKKEY\n'
                           'aws_secret_access_key = work-secret\n')
    monkeypatch.setenv('AWS_CONFIG_FILE', str(config))
    monkeypatch.setenv('AWS_SHARED_CREDENTIALS_FILE', str(credentials))


def _region_and_key(session):
    check_session(session)
    return AWSClient(session).region, session.get_credentials().access_key


def test_region_and_credentials_come_from_the_aws_config_files(aws_config_files):
    assert _region_and_key(create_session()) == ('us-east-2', 'DEFAULTKEY')


def test_profile_option_selects_a_profile_of_the_aws_config_files(aws_config_files):
    assert _region_and_key(create_session('work')) == ('eu-central-1', 'WORKKEY')


def test_aws_profile_variable_selects_the_profile(aws_config_files, monkeypatch):
    monkeypatch.setenv('AWS_PROFILE', 'work')
    assert _region_and_key(create_session()) == ('eu-central-1', 'WORKKEY')
