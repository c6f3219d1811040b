"""Reading AWS Chalice's state files: the legacy deployed.json and unknown records."""
import json
import os

import pytest

from chalice.deploy.legacy_state import legacy_state_path
from chalice.deploy.models import Application
from chalice.deploy.plan import Message
from chalice.deploy.planner import PlanContext, plan_delete, plan_deploy
from chalice.deploy.state import DeployedState, state_file_path
from chalice.errors import ChaliceError, StateFileError
from tests.unit.deploy.fakes import RecordingUI

ACCOUNT = '123456789012'
REGION = 'us-west-2'


def arn(name):
    return 'arn:aws:lambda:%s:%s:function:%s' % (REGION, ACCOUNT, name)


LEGACY = {
    'dev': {
        'region': REGION,
        'api_handler_name': 'myapp-dev',
        'api_handler_arn': arn('myapp-dev'),
        'rest_api_id': 'abcd',
        'lambda_functions': {
            'myapp-dev-foo': {'type': 'pure_lambda', 'arn': arn('myapp-dev-foo')},
            'myapp-dev-every_hour': {'type': 'scheduled_event',
                                     'arn': arn('myapp-dev-every_hour')},
            'myapp-dev-auth': {'type': 'authorizer', 'arn': arn('myapp-dev-auth')},
        },
        'chalice_version': '1.1.1',
        'api_gateway_stage': 'api',
        'backend': 'api',
    },
    'prod': {'region': REGION, 'api_handler_name': 'myapp-prod',
             'api_handler_arn': arn('myapp-prod'), 'rest_api_id': 'wxyz',
             'chalice_version': '1.1.1', 'api_gateway_stage': 'v1', 'backend': 'api'},
}
DEV_RECORDS = [
    {'name': 'auth', 'resource_type': 'lambda_function', 'lambda_arn': arn('myapp-dev-auth')},
    {'name': 'every_hour', 'resource_type': 'lambda_function',
     'lambda_arn': arn('myapp-dev-every_hour')},
    {'name': 'every_hour-event', 'resource_type': 'cloudwatch_event',
     'rule_name': 'myapp-dev-every_hour'},
    {'name': 'foo', 'resource_type': 'lambda_function', 'lambda_arn': arn('myapp-dev-foo')},
    {'name': 'api_handler', 'resource_type': 'lambda_function',
     'lambda_arn': arn('myapp-dev')},
    {'name': 'rest_api', 'resource_type': 'rest_api', 'rest_api_id': 'abcd',
     'rest_api_url': 'https://abcd.execute-api.us-west-2.amazonaws.com/api/'},
]


@pytest.fixture
def project(tmp_path):
    os.makedirs(str(tmp_path / '.chalice'))
    (tmp_path / '.chalice' / 'config.json').write_text(json.dumps(
        {'version': '2.0', 'app_name': 'myapp'}))
    (tmp_path / '.chalice' / 'deployed.json').write_text(json.dumps(LEGACY))
    return str(tmp_path)


def test_a_stage_of_the_legacy_file_reads_as_schema_2_records(project):
    state = DeployedState.load(project, 'dev')
    assert state.resources == DEV_RECORDS
    assert state.backend == 'api'
    assert state.legacy is not None
    # Reading changes nothing on disk.
    assert not os.path.exists(state_file_path(project, 'dev'))
    assert json.loads(open(legacy_state_path(project)).read()) == LEGACY


def test_without_config_the_prefix_comes_from_the_api_handler(project):
    os.unlink(os.path.join(project, '.chalice', 'config.json'))
    names = DeployedState.load(project, 'dev').names()
    assert names == ['auth', 'every_hour', 'every_hour-event', 'foo', 'api_handler',
                     'rest_api']


def test_conversion_writes_the_stage_file_backs_up_and_strips_the_stage(project):
    state = DeployedState.load(project, 'dev')
    ui = RecordingUI()
    state.finish_conversion(ui)
    backup = legacy_state_path(project) + '.bak'
    assert json.loads(open(backup).read()) == LEGACY
    written = json.loads(open(state_file_path(project, 'dev')).read())
    assert written == {'resources': DEV_RECORDS, 'schema_version': '2.0', 'backend': 'api'}
    assert json.loads(open(legacy_state_path(project)).read()) == {'prod': LEGACY['prod']}
    assert ui.lines == ["Converted stage 'dev' of %s to %s (backup: %s)." % (
        legacy_state_path(project), state_file_path(project, 'dev'), backup)]
    # Converted once: the stage file wins from now on, and converting again is a no-op.
    again = DeployedState.load(project, 'dev')
    assert again.legacy is None and again.resources == DEV_RECORDS
    again.finish_conversion(ui)
    assert len(ui.lines) == 1

    prod = DeployedState.load(project, 'prod')
    assert prod.get('rest_api')['rest_api_url'] == \
        'https://wxyz.execute-api.us-west-2.amazonaws.com/v1/'
    prod.finish_conversion(ui)
    # The last stage converted: the legacy file goes, the first backup stays whole.
    assert not os.path.exists(legacy_state_path(project))
    assert json.loads(open(backup).read()) == LEGACY


def test_a_stage_missing_from_the_legacy_file_is_nothing_deployed(project):
    state = DeployedState.load(project, 'beta')
    assert state.resources == [] and state.legacy is None


@pytest.mark.parametrize('content', [b'{not json', b'[1, 2]', json.dumps({'dev': 3}).encode()])
def test_an_unreadable_legacy_file_is_refused_and_left_alone(project, content):
    path = legacy_state_path(project)
    with open(path, 'wb') as f:
        f.write(content)
    with pytest.raises(StateFileError) as info:
        DeployedState.load(project, 'dev')
    assert path in str(info.value)
    assert open(path, 'rb').read() == content


def test_records_of_a_type_without_a_home_are_kept_on_deploy_and_stop_delete(tmp_path):
    # A record some later version wrote, of a type this one does not know.
    future = {'name': 'api_gateway_cache', 'resource_type': 'cache_cluster',
              'cache_id': 'c-1'}
    state = DeployedState(str(tmp_path / 'dev.json'), [future])
    ctx = PlanContext(region=REGION, account_id=ACCOUNT)
    plan = plan_deploy(Application('demo', 'dev', ()), state, {}, ctx)
    assert plan.steps == [Message(
        'Keeping api_gateway_cache (cache_cluster) as it is: this version of chalice '
        'does not manage cache_cluster resources.')]
    with pytest.raises(ChaliceError) as info:
        plan_delete(state, {}, ctx)
    assert 'api_gateway_cache (cache_cluster)' in str(info.value)
    assert 'nothing was deleted' in str(info.value)
