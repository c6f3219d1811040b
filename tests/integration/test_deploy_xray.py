"""``xray`` traces the REST API's stage as well as the Lambda functions.

With ``"xray": true`` AWS Chalice turns on active X-Ray tracing for the API
Gateway stage of the REST API (not only ``TracingConfig`` of the functions);
turning it off again turns it off on the stage.
"""
from tests.integration.conftest import make_project
from tests.integration.test_deploy import (
    HELLO_APP,
    deploy,
    out_lines,
    read_config,
    rest_api_id,
    write_config,
)


def stage_tracing(aws_clients, project):
    stage = aws_clients.apigateway.get_stage(restApiId=rest_api_id(project), stageName='api')
    return stage.get('tracingEnabled', False)


def test_xray_enables_tracing_on_the_rest_api_stage(tmp_path, aws_env, aws_clients,
                                                    fault_injector):
    config = {'version': '2.0', 'app_name': 'traced',
              'stages': {'dev': {'api_gateway_stage': 'api', 'xray': True}}}
    project = make_project(tmp_path, HELLO_APP.format(name='traced'), config=config,
                           app_name='traced')
    deploy(project, aws_env)
    assert stage_tracing(aws_clients, project) is True
    function = aws_clients['lambda'].get_function_configuration(FunctionName='traced-dev')
    assert function['TracingConfig'] == {'Mode': 'Active'}

    # Unchanged: read back as it is, nothing written.
    fault_injector.arm()
    result = deploy(project, aws_env)
    assert fault_injector.mutating_calls == []
    assert 'No changes to Rest API: %s' % rest_api_id(project) in out_lines(result)

    # Turned off: the stage stops tracing, and the deploy says so.
    config = read_config(project)
    config['stages']['dev']['xray'] = False
    write_config(project, config)
    result = deploy(project, aws_env)
    assert stage_tracing(aws_clients, project) is False
    assert 'Updating rest API' in out_lines(result)

    # Turned on again for an API whose definition did not change.
    config['stages']['dev']['xray'] = True
    write_config(project, config)
    deploy(project, aws_env)
    assert stage_tracing(aws_clients, project) is True


def test_without_xray_the_stage_is_not_traced(tmp_path, aws_env, aws_clients):
    config = {'version': '2.0', 'app_name': 'untraced', 'stages': {'dev': {}}}
    project = make_project(tmp_path, HELLO_APP.format(name='untraced'), config=config,
                           app_name='untraced')
    deploy(project, aws_env)
    assert stage_tracing(aws_clients, project) is False
