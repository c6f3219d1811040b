"""``--api-gateway-stage`` and going back to the configured API Gateway stage.

Every ``chalice deploy`` deploys the REST API to the API Gateway stage it is
given (``--api-gateway-stage``, else ``api_gateway_stage`` of the config),
says so with an ``Updating rest API`` line, and records that stage's URL for
``chalice url`` -- also when the definition itself did not change.
"""
from tests.integration.conftest import make_project, run_chalice
from tests.integration.test_deploy import (
    HELLO_APP,
    deploy,
    out_lines,
    rest_api_id,
)

EXTRA_ROUTE = '''

@app.route('/extra')
def extra():
    return {'extra': True}
'''


def stage_deployment(aws_clients, api_id, stage):
    return aws_clients.apigateway.get_stage(restApiId=api_id, stageName=stage)['deploymentId']


def url_of(project, aws_env):
    result = run_chalice(project, 'url', env=aws_env)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_switching_api_gateway_stages_and_back(tmp_path, aws_env, aws_clients):
    config = {'version': '2.0', 'app_name': 'stages',
              'stages': {'dev': {'api_gateway_stage': 'api'}}}
    project = make_project(tmp_path, HELLO_APP.format(name='stages'), config=config,
                           app_name='stages')
    deploy(project, aws_env)
    api_id = rest_api_id(project)
    first = stage_deployment(aws_clients, api_id, 'api')

    result = deploy(project, aws_env, '--api-gateway-stage', 'v2')
    assert 'Updating rest API' in out_lines(result)
    assert url_of(project, aws_env).endswith('/v2/')

    # A new route deployed to v2 only; the api stage still has the old one.
    with open(str(project / 'app.py'), 'a') as f:
        f.write(EXTRA_ROUTE)
    deploy(project, aws_env, '--api-gateway-stage', 'v2')
    assert stage_deployment(aws_clients, api_id, 'api') == first

    # Back to the configured stage: it gets the current definition.
    result = deploy(project, aws_env)
    assert 'Updating rest API' in out_lines(result)
    assert url_of(project, aws_env) == (
        'https://%s.execute-api.us-west-2.amazonaws.com/api/' % api_id)
    assert stage_deployment(aws_clients, api_id, 'api') != first
    assert rest_api_id(project) == api_id
