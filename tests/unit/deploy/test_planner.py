"""The planner: models + recorded state + remote state -> plan (pure, no AWS)."""
import copy
import dataclasses

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chalice.deploy.appgraph import log_group_model
from chalice.deploy.models import (
    LAMBDA_TRUST_POLICY,
    Application,
    DeploymentPackage,
    LambdaFunction,
    LambdaLayer,
    ManagedIAMRole,
    PreCreatedIAMRole,
    RestAPI,
)
from chalice.deploy.plan import (
    APICall,
    Digest,
    FileContents,
    ForgetResource,
    JSONDocument,
    Message,
    RecordResource,
    SetVar,
    Template,
    Var,
    resolve,
    sha256_of,
)
from chalice.deploy.planner import PlanContext, plan_delete, plan_deploy
from chalice.deploy.resources.lambda_function import SETTINGS_KEY, settings_digest
from chalice.deploy.state import DeployedState

REGION, ACCOUNT = 'us-west-2', '123456789012'
ROLE_ARN = 'arn:aws:iam::%s:role/demo-dev' % ACCOUNT
API_ID = 'abc123'
PACKAGE = DeploymentPackage('/does/not/exist/deployment.zip', 'c2hhLW9uZQ==', 10)
POLICY = {'Version': '2012-10-17', 'Statement': [
    {'Effect': 'Allow', 'Action': ['logs:CreateLogGroup', 'logs:PutLogEvents'],
     'Resource': 'arn:*:logs:*:*:*'},
    {'Effect': 'Allow', 'Action': ['s3:GetObject'], 'Resource': ['*']},
]}
TAGS = {'aws-chalice': 'version=1:stage=dev:app=demo'}


def function_arn(name):
    return 'arn:aws:lambda:%s:%s:function:%s' % (REGION, ACCOUNT, name)


def invoke_uri(var_name):
    return Template(('arn:aws:apigateway:%s:lambda:path/2015-03-31/functions/' % REGION,
                     Var(var_name), '/invocations'))


ROLE = ManagedIAMRole('default-role', 'demo-dev', POLICY)
WORKER = LambdaFunction('worker', 'demo-dev-worker', 'app.worker', 'python3.11', ROLE,
                        PACKAGE, tags=dict(TAGS), environment_variables={'A': '1'})
HANDLER = LambdaFunction('api_handler', 'demo-dev', 'app.app', 'python3.11', ROLE, PACKAGE,
                         tags=dict(TAGS))
DEFINITION = {'swagger': '2.0', 'info': {'title': 'demo'}, 'paths': {'/': {'get': {
    'x-amazon-apigateway-integration': {'type': 'aws_proxy',
                                        'uri': invoke_uri('api_handler.lambda_arn')}}}}}
API = RestAPI('rest_api', 'demo', DEFINITION, 'api', HANDLER)
APP = Application('demo', 'dev', (WORKER, API))


def ctx():
    return PlanContext(region=REGION, account_id=ACCOUNT)


def rendered(definition, handler_name='demo-dev', extra=None):
    known = {'api_handler.lambda_arn': function_arn(handler_name)}
    known.update(extra or {})
    return resolve(definition, lambda var: known[var.name])


def source_arn(suffix='/*'):
    return 'arn:aws:execute-api:%s:%s:%s%s' % (REGION, ACCOUNT, API_ID, suffix)


def grant(arn):
    return {'Sid': 'x', 'Effect': 'Allow', 'Principal': {'Service': 'apigateway.amazonaws.com'},
            'Action': 'lambda:InvokeFunction',
            'Condition': {'ArnLike': {'AWS:SourceArn': arn}}}


def function_remote(model):
    config = {
        'FunctionName': model.function_name,
        'FunctionArn': function_arn(model.function_name),
        'Runtime': model.runtime, 'Handler': model.handler, 'Role': ROLE_ARN,
        'MemorySize': model.memory_size, 'Timeout': model.timeout,
        'CodeSha256': model.package.code_sha256,
        'TracingConfig': {'Mode': 'Active' if model.xray else 'PassThrough'},
        'EphemeralStorage': {'Size': model.ephemeral_storage},
        'Architectures': [model.architecture],
    }
    if model.environment_variables:
        config['Environment'] = {'Variables': dict(model.environment_variables)}
    if model.layers:
        config['Layers'] = [{'Arn': arn, 'CodeSize': 1} for arn in model.layers]
    if model.subnet_ids:
        config['VpcConfig'] = {'SubnetIds': list(model.subnet_ids),
                               'SecurityGroupIds': list(model.security_group_ids),
                               'VpcId': 'vpc-1'}
    return {'config': config, 'tags': dict(model.tags),
            'concurrency': model.reserved_concurrency}


def in_sync(app=APP):
    """State and remote exactly as a completed deploy of ``app`` leaves them."""
    records, remote = [], {}
    for model in app.ordered():
        if model.resource_type == 'iam_role':
            records.append({'name': model.resource_name, 'resource_type': 'iam_role',
                            'role_name': model.role_name, 'role_arn': ROLE_ARN})
            remote[model.resource_name] = {'arn': ROLE_ARN, 'trust_policy': model.trust_policy,
                                           'policy': copy.deepcopy(model.policy_document)}
        elif model.resource_type == 'lambda_function':
            records.append({'name': model.resource_name, 'resource_type': 'lambda_function',
                            'lambda_arn': function_arn(model.function_name),
                            SETTINGS_KEY: settings_digest(model)})
            remote[model.resource_name] = function_remote(model)
        elif model.resource_type == 'rest_api':
            extra = {'%s.lambda_arn' % a.resource_name: function_arn(a.function_name)
                     for a in model.authorizers}
            records.append({
                'name': model.resource_name, 'resource_type': 'rest_api',
                'rest_api_id': API_ID,
                'rest_api_url': 'https://%s.execute-api.%s.amazonaws.com/api/'
                                % (API_ID, REGION),
                'api_definition_sha256': sha256_of(rendered(model.definition, extra=extra))})
            permissions = {model.lambda_function.function_name: [grant(source_arn())]}
            for authorizer in model.authorizers:
                permissions[authorizer.function_name] = [grant(source_arn('/authorizers/*'))]
            remote[model.resource_name] = {
                'api': {'id': API_ID, 'name': model.api_name,
                        'endpointConfiguration': {'types': [model.endpoint_type]}},
                'stage_exists': True, 'permissions': permissions}
        elif model.resource_type == 'log_group':
            records.append({'name': model.resource_name, 'resource_type': 'log_group',
                            'log_group_name': model.log_group_name})
            remote[model.resource_name] = {'retention_in_days': model.retention_in_days}
    return DeployedState('/nowhere/.chalice/deployed/dev.json', records), remote


def plan_for(app=APP, state=None, remote=None):
    if state is None:
        state, remote = in_sync(app)
    return plan_deploy(app, state, remote, ctx())


def mutating(plan):
    return [(c.service, c.method) for c in plan.mutating_calls]


def messages(plan):
    texts = [s.text for s in plan.steps if isinstance(s, Message)]
    return texts + [c.message for c in plan.api_calls if c.message]


def replace_function(app, name, **changes):
    """``app`` with one function's model changed (the REST API follows its handler)."""
    def swap(model):
        if isinstance(model, LambdaFunction) and model.resource_name == name:
            return dataclasses.replace(model, **changes)
        if isinstance(model, RestAPI):
            return dataclasses.replace(
                model, lambda_function=swap(model.lambda_function),
                authorizers=tuple(swap(a) for a in model.authorizers))
        return model
    return Application(app.app_name, app.stage, tuple(swap(m) for m in app.resources))


# ---------------------------------------------------------------- fresh deploy


def describe_step(step):
    if isinstance(step, APICall):
        return '%s.%s' % (step.service, step.method)
    if isinstance(step, RecordResource):
        return 'record %s' % step.name
    return type(step).__name__


def test_fresh_deploy_creates_everything_in_dependency_order():
    plan = plan_deploy(APP, DeployedState('/nowhere/s.json'), {}, ctx())
    assert [describe_step(s) for s in plan.steps] == [
        'iam.create_role', 'record default-role', 'iam.put_role_policy',
        'lambda.create_function', 'record worker', 'lambda.wait_function_ready',
        'lambda.create_function', 'record api_handler', 'lambda.wait_function_ready',
        'apigateway.import_rest_api', 'record rest_api',
        'apigateway.create_deployment',
        'lambda.add_permission',
        'record rest_api',
    ]
    assert messages(plan) == ['Creating IAM role: demo-dev',
                              'Creating lambda function: demo-dev-worker',
                              'Creating lambda function: demo-dev', 'Creating Rest API']


def test_fresh_deploy_wires_outputs_to_later_steps():
    plan = plan_deploy(APP, DeployedState('/nowhere/s.json'), {}, ctx())
    steps = plan.steps
    create_role = steps[0]
    assert create_role.params['RoleName'] == 'demo-dev'
    assert create_role.params['AssumeRolePolicyDocument'] == JSONDocument(LAMBDA_TRUST_POLICY)
    assert create_role.outputs == {'default-role.role_arn': 'Role.Arn'}
    assert steps[1] == RecordResource('default-role', 'iam_role', {
        'role_name': 'demo-dev', 'role_arn': Var('default-role.role_arn')})
    assert steps[2].params == {'RoleName': 'demo-dev', 'PolicyName': 'demo-dev',
                               'PolicyDocument': JSONDocument(POLICY)}
    create_worker = steps[3]
    assert create_worker.params['Role'] == Var('default-role.role_arn')
    assert create_worker.params['Code'] == {'ZipFile': FileContents(PACKAGE.path)}
    assert create_worker.params['Environment'] == {'Variables': {'A': '1'}}
    assert create_worker.params['Tags'] == TAGS
    assert 'VpcConfig' not in create_worker.params
    assert create_worker.outputs == {'worker.lambda_arn': 'FunctionArn'}
    # The tags went with CreateFunction: the record says they are set.
    assert steps[4] == RecordResource('worker', 'lambda_function',
                                      {'lambda_arn': Var('worker.lambda_arn'),
                                       SETTINGS_KEY: settings_digest(WORKER)})
    # Recorded first, then waited for: a failed wait can't lose the record.
    assert steps[5] == APICall('lambda', 'wait_function_ready',
                               {'FunctionName': 'demo-dev-worker'})
    imported = steps[9]
    assert imported.params['body'] == JSONDocument(DEFINITION, as_bytes=True)
    assert imported.params['parameters'] == {'endpointConfigurationTypes': 'EDGE'}
    assert imported.outputs == {'rest_api.rest_api_id': 'id'}
    assert steps[11].params == {'restApiId': Var('rest_api.rest_api_id'), 'stageName': 'api'}
    permission = steps[12]
    values = {'rest_api.rest_api_id': API_ID, 'api_handler.lambda_arn': function_arn('demo-dev')}
    params = resolve(permission.params, lambda var: values[var.name])
    assert params['FunctionName'] == function_arn('demo-dev')
    assert params['SourceArn'] == source_arn()
    assert params['Principal'] == 'apigateway.amazonaws.com'
    assert params['Action'] == 'lambda:InvokeFunction'
    assert params['StatementId'].startswith('chalice-apigateway-')
    assert 'ResourceConflictException' in permission.ignore_errors
    final = steps[13]
    assert final.values['api_definition_sha256'] == Digest(DEFINITION)
    url = resolve(final.values['rest_api_url'], lambda var: values[var.name])
    assert url == 'https://abc123.execute-api.us-west-2.amazonaws.com/api/'


def test_fresh_deploy_with_authorizer_grants_both_functions():
    auth = LambdaFunction('auth', 'demo-dev-auth', 'app.auth', 'python3.11', ROLE, PACKAGE,
                          tags=dict(TAGS))
    app = Application('demo', 'dev', (dataclasses.replace(API, authorizers=(auth,)),))
    plan = plan_deploy(app, DeployedState('/nowhere/s.json'), {}, ctx())
    names = [s.params['FunctionName'] for s in plan.api_calls if s.method == 'create_function']
    assert names == ['demo-dev', 'demo-dev-auth']  # the API handler first, as AWS Chalice
    grants = [s for s in plan.api_calls if s.method == 'add_permission']
    values = {'rest_api.rest_api_id': API_ID}
    assert [(g.params['FunctionName'], resolve(g.params['SourceArn'],
                                               lambda v: values[v.name])) for g in grants] == [
        (Var('api_handler.lambda_arn'), source_arn('/*')),
        (Var('auth.lambda_arn'), source_arn('/authorizers/*'))]


def test_fresh_deploy_with_precreated_role_creates_no_role():
    role = PreCreatedIAMRole('arn:aws:iam::1:role/mine')
    app = replace_function(Application('demo', 'dev', (WORKER,)), 'worker', role=role)
    plan = plan_deploy(app, DeployedState('/nowhere/s.json'), {}, ctx())
    assert mutating(plan) == [('lambda', 'create_function')]
    assert plan.api_calls[0].params['Role'] == 'arn:aws:iam::1:role/mine'


def with_log_group(app, name, days):
    """``app`` with function ``name`` keeping its logs ``days`` days (a log group model)."""
    app = replace_function(app, name, log_retention_in_days=days)
    function = next(m for m in app.ordered() if m.resource_name == name)
    return Application(app.app_name, app.stage, app.resources + (log_group_model(function),))


def test_fresh_function_with_concurrency_vpc_and_log_retention():
    app = replace_function(Application('demo', 'dev', (WORKER,)), 'worker',
                           reserved_concurrency=3, subnet_ids=('s-1',),
                           security_group_ids=('sg-1',))
    app = with_log_group(app, 'worker', 14)
    plan = plan_deploy(app, DeployedState('/nowhere/s.json'), {}, ctx())
    assert mutating(plan) == [
        ('iam', 'create_role'), ('iam', 'put_role_policy'), ('lambda', 'create_function'),
        ('lambda', 'put_function_concurrency'), ('logs', 'create_log_group'),
        ('logs', 'put_retention_policy')]
    create = plan.api_calls[2]
    assert create.params['VpcConfig'] == {'SubnetIds': ['s-1'], 'SecurityGroupIds': ['sg-1']}
    assert plan.api_calls[3] == APICall('lambda', 'wait_function_ready',
                                        {'FunctionName': 'demo-dev-worker'})
    assert plan.api_calls[4].params == {'FunctionName': 'demo-dev-worker',
                                        'ReservedConcurrentExecutions': 3}
    assert plan.api_calls[6].params == {'logGroupName': '/aws/lambda/demo-dev-worker',
                                        'retentionInDays': 14}


# ---------------------------------------------------------------- no-op


def test_noop_replan_makes_no_mutating_calls_and_says_so():
    plan = plan_for()
    assert plan.mutating_calls == []
    assert not any(isinstance(s, (RecordResource, ForgetResource)) for s in plan.steps)
    assert messages(plan) == ['No changes to IAM role: demo-dev',
                              'No changes to lambda function: demo-dev-worker',
                              'No changes to lambda function: demo-dev',
                              'No changes to Rest API: %s' % API_ID]
    sets = {s.name: s.value for s in plan.steps if isinstance(s, SetVar)}
    assert sets == {'default-role.role_arn': ROLE_ARN,
                    'worker.lambda_arn': function_arn('demo-dev-worker'),
                    'api_handler.lambda_arn': function_arn('demo-dev'),
                    'rest_api.rest_api_id': API_ID}


def test_noop_with_every_optional_setting():
    auth = LambdaFunction('auth', 'demo-dev-auth', 'app.auth', 'python3.11', ROLE, PACKAGE,
                          tags=dict(TAGS))
    rich = dataclasses.replace(
        WORKER, memory_size=1024, timeout=300, layers=('arn:aws:lambda:us-west-2:1:layer:l:1',),
        subnet_ids=('s-2', 's-1'), security_group_ids=('sg-1',), reserved_concurrency=0,
        xray=True, ephemeral_storage=2048, log_retention_in_days=30,
        tags=dict(TAGS, team='x'), environment_variables={'A': '1', 'B': '2'})
    app = Application('demo', 'dev', (rich, dataclasses.replace(API, authorizers=(auth,))))
    assert plan_for(app).mutating_calls == []


def test_noop_when_iam_returns_single_actions_as_strings():
    state, remote = in_sync()
    remote['default-role']['policy'] = {'Version': '2012-10-17', 'Statement': [
        {'Effect': 'Allow', 'Action': ['logs:CreateLogGroup', 'logs:PutLogEvents'],
         'Resource': 'arn:*:logs:*:*:*'},
        {'Effect': 'Allow', 'Action': 's3:GetObject', 'Resource': '*'}]}
    assert plan_for(state=state, remote=remote).mutating_calls == []


def test_noop_when_iam_returns_an_url_encoded_policy_string():
    import json
    from urllib.parse import quote

    state, remote = in_sync()
    remote['default-role']['policy'] = quote(json.dumps(POLICY))
    remote['default-role']['trust_policy'] = quote(json.dumps(LAMBDA_TRUST_POLICY))
    assert plan_for(state=state, remote=remote).mutating_calls == []


# ---------------------------------------------------------------- single changes


def test_code_change_updates_code_only():
    app = replace_function(APP, 'worker', package=DeploymentPackage('/x.zip', 'bmV3', 3))
    plan = plan_for(app, *in_sync(APP))
    assert mutating(plan) == [('lambda', 'update_function_code')]
    assert plan.mutating_calls[0].params == {'FunctionName': 'demo-dev-worker',
                                             'ZipFile': FileContents('/x.zip')}
    assert 'Updating lambda function: demo-dev-worker' in messages(plan)
    assert 'No changes to lambda function: demo-dev' in messages(plan)


@pytest.mark.parametrize('before, after', [('x86_64', 'arm64'), ('arm64', 'x86_64')])
def test_architecture_change_updates_the_code_in_place(before, after):
    old = replace_function(APP, 'worker', architecture=before)
    plan = plan_for(replace_function(APP, 'worker', architecture=after), *in_sync(old))
    # Same zip, new architecture: UpdateFunctionCode is what changes Architectures.
    assert mutating(plan) == [('lambda', 'update_function_code')]
    assert plan.mutating_calls[0].params == {
        'FunctionName': 'demo-dev-worker', 'ZipFile': FileContents(PACKAGE.path),
        'Architectures': [after]}
    assert 'Updating lambda function: demo-dev-worker' in messages(plan)


def test_function_without_reported_architectures_counts_as_x86_64():
    state, remote = in_sync(APP)
    del remote['worker']['config']['Architectures']
    assert plan_for(APP, state, remote).mutating_calls == []
    arm = replace_function(APP, 'worker', architecture='arm64')
    assert mutating(plan_for(arm, state, remote)) == [('lambda', 'update_function_code')]


def test_memory_change_updates_configuration_only():
    app = replace_function(APP, 'worker', memory_size=512)
    plan = plan_for(app, *in_sync(APP))
    assert mutating(plan) == [('lambda', 'update_function_configuration')]
    params = plan.mutating_calls[0].params
    assert params['FunctionName'] == 'demo-dev-worker'
    assert params['MemorySize'] == 512
    assert params['Role'] == Var('default-role.role_arn')


@pytest.mark.parametrize('changes', [
    {'timeout': 5}, {'handler': 'app.other'}, {'runtime': 'python3.12'},
    {'environment_variables': {'A': '2'}}, {'environment_variables': {}},
    {'layers': ('arn:aws:lambda:us-west-2:1:layer:l:2',)}, {'xray': True},
    {'subnet_ids': ('s-1',), 'security_group_ids': ('sg-1',)}, {'ephemeral_storage': 1024},
    {'role': PreCreatedIAMRole('arn:aws:iam::1:role/other')},
])
def test_each_configuration_change_updates_configuration_only(changes):
    app = replace_function(APP, 'worker', **changes)
    plan = plan_for(app, *in_sync(APP))
    assert mutating(plan) == [('lambda', 'update_function_configuration')]
    assert plan.mutating_calls[0].params['FunctionName'] == 'demo-dev-worker'


def test_tag_added_and_changed():
    app = replace_function(APP, 'worker', tags=dict(TAGS, team='blue'))
    plan = plan_for(app, *in_sync(APP))
    assert mutating(plan) == [('lambda', 'tag_resource')]
    assert plan.mutating_calls[0].params == {'Resource': function_arn('demo-dev-worker'),
                                             'Tags': {'team': 'blue'}}


def test_tag_removed():
    state, remote = in_sync(APP)
    remote['worker']['tags']['stale'] = 'x'
    plan = plan_for(APP, state, remote)
    assert mutating(plan) == [('lambda', 'untag_resource')]
    assert plan.mutating_calls[0].params == {'Resource': function_arn('demo-dev-worker'),
                                             'TagKeys': ['stale']}


def test_reserved_concurrency_set():
    app = replace_function(APP, 'worker', reserved_concurrency=10)
    plan = plan_for(app, *in_sync(APP))
    assert mutating(plan) == [('lambda', 'put_function_concurrency')]
    assert plan.mutating_calls[0].params['ReservedConcurrentExecutions'] == 10


def test_reserved_concurrency_zero_is_a_reservation_not_unset():
    # 0 blocks every invocation (001:L1223): it must be set, never skipped as falsy.
    app = replace_function(Application('demo', 'dev', (WORKER,)), 'worker',
                           reserved_concurrency=0)
    plan = plan_deploy(app, DeployedState('/nowhere/s.json'), {}, ctx())
    assert ('lambda', 'put_function_concurrency') in mutating(plan)
    [put] = [c for c in plan.mutating_calls if c.method == 'put_function_concurrency']
    assert put.params == {'FunctionName': 'demo-dev-worker', 'ReservedConcurrentExecutions': 0}
    # Going from no reservation to 0 on a deployed function puts 0 (not a delete).
    plan = plan_for(replace_function(APP, 'worker', reserved_concurrency=0), *in_sync(APP))
    assert mutating(plan) == [('lambda', 'put_function_concurrency')]
    assert plan.mutating_calls[0].params['ReservedConcurrentExecutions'] == 0


def test_reserved_concurrency_unset():
    state, remote = in_sync(APP)
    remote['worker']['concurrency'] = 10
    plan = plan_for(APP, state, remote)
    assert mutating(plan) == [('lambda', 'delete_function_concurrency')]
    assert plan.mutating_calls[0].params == {'FunctionName': 'demo-dev-worker'}


def test_log_retention_change_puts_the_policy_only():
    app = with_log_group(APP, 'worker', 7)
    state, remote = in_sync(app)
    remote['worker-log-group']['retention_in_days'] = 30
    plan = plan_for(app, state, remote)
    assert mutating(plan) == [('logs', 'put_retention_policy')]
    assert plan.mutating_calls[0].params == {'logGroupName': '/aws/lambda/demo-dev-worker',
                                             'retentionInDays': 7}
    assert plan_for(app, *in_sync(app)).mutating_calls == []


def test_missing_log_group_is_created_and_recorded():
    app = with_log_group(APP, 'worker', 7)
    state, remote = in_sync(app)
    remote['worker-log-group'] = None
    plan = plan_for(app, state, remote)
    assert mutating(plan) == [('logs', 'create_log_group'), ('logs', 'put_retention_policy')]
    assert plan.mutating_calls[0].ignore_errors == ('ResourceAlreadyExistsException',)
    records = [s for s in plan.steps if isinstance(s, RecordResource)]
    assert records == [RecordResource('worker-log-group', 'log_group',
                                      {'log_group_name': '/aws/lambda/demo-dev-worker'})]


def test_existing_log_group_without_a_record_is_adopted_without_calls():
    # A group Lambda (or AWS Chalice, or an earlier version) created.
    app = with_log_group(APP, 'worker', 7)
    state, remote = in_sync(app)
    state.remove('worker-log-group')
    plan = plan_for(app, state, remote)
    assert plan.mutating_calls == []
    assert [s.name for s in plan.steps if isinstance(s, RecordResource)] == ['worker-log-group']


def test_log_retention_setting_removed_keeps_the_logs():
    # The function stays: its logs stay too, kept forever again.
    app = with_log_group(APP, 'worker', 7)
    state, _ = in_sync(app)
    plan = plan_deploy(APP, state, dict(in_sync(APP)[1], **{
        'worker-log-group': {'exists': True}}), ctx())
    assert mutating(plan) == [('logs', 'delete_retention_policy')]
    assert plan.mutating_calls[0].params == {'logGroupName': '/aws/lambda/demo-dev-worker'}
    assert plan.steps[-1] == ForgetResource('worker-log-group')


def test_log_group_and_its_logs_outlive_the_function_and_the_stage():
    # As AWS Chalice 1.34: only the retention policy goes, the logs are kept.
    app = with_log_group(APP, 'worker', 7)
    state, remote = in_sync(app)
    remote['worker-log-group'] = {'exists': True}
    without_worker = Application('demo', 'dev', (API,))
    plan = plan_deploy(without_worker, state, remote, ctx())
    calls = [c for c in plan.mutating_calls if c.service == 'logs']
    assert [(c.method, c.params, c.message) for c in calls] == [(
        'delete_retention_policy', {'logGroupName': '/aws/lambda/demo-dev-worker'},
        'Deleting retention policy for log group: /aws/lambda/demo-dev-worker')]
    assert [s.name for s in plan.steps if isinstance(s, ForgetResource)] == [
        'worker-log-group', 'worker']
    plan = plan_delete(state, {'worker-log-group': {'exists': True}}, ctx())
    assert ('logs', 'delete_retention_policy') in mutating(plan)
    assert ('logs', 'delete_log_group') not in mutating(plan)
    assert plan_delete(state, {'worker-log-group': {'exists': False}}, ctx()).steps[0] == \
        ForgetResource('worker-log-group')


def test_policy_change_puts_the_policy_with_details():
    new_policy = {'Version': '2012-10-17', 'Statement': [
        {'Effect': 'Allow', 'Action': ['logs:CreateLogGroup', 'logs:PutLogEvents'],
         'Resource': 'arn:*:logs:*:*:*'},
        {'Effect': 'Allow', 'Action': ['s3:PutObject', 'sqs:SendMessage'], 'Resource': '*'}]}
    role = dataclasses.replace(ROLE, policy_document=new_policy)
    app = replace_function(replace_function(APP, 'worker', role=role), 'api_handler', role=role)
    plan = plan_for(app, *in_sync(APP))
    assert mutating(plan) == [('iam', 'put_role_policy')]
    call = plan.mutating_calls[0]
    assert call.params == {'RoleName': 'demo-dev', 'PolicyName': 'demo-dev',
                           'PolicyDocument': JSONDocument(new_policy)}
    assert call.details == {'added': ['s3:PutObject', 'sqs:SendMessage'],
                            'removed': ['s3:GetObject']}
    assert call.message == 'Updating policy for IAM role: demo-dev'


def test_missing_inline_policy_is_put_back():
    state, remote = in_sync()
    remote['default-role']['policy'] = None
    plan = plan_for(APP, state, remote)
    assert mutating(plan) == [('iam', 'put_role_policy')]
    assert plan.mutating_calls[0].details['removed'] == []
    assert 's3:GetObject' in plan.mutating_calls[0].details['added']


def test_trust_policy_change_updates_it_only():
    state, remote = in_sync()
    remote['default-role']['trust_policy'] = {'Version': '2012-10-17', 'Statement': [
        {'Effect': 'Allow', 'Principal': {'Service': 'ec2.amazonaws.com'},
         'Action': 'sts:AssumeRole'}]}
    plan = plan_for(APP, state, remote)
    assert mutating(plan) == [('iam', 'update_assume_role_policy')]
    assert plan.mutating_calls[0].params == {'RoleName': 'demo-dev',
                                             'PolicyDocument': JSONDocument(LAMBDA_TRUST_POLICY)}


def test_role_record_is_refreshed_when_it_differs():
    state, remote = in_sync()
    record = state.get('default-role')
    state.put(dict(record, role_arn='arn:aws:iam::1:role/stale'))
    plan = plan_for(APP, state, remote)
    assert plan.mutating_calls == []
    assert RecordResource('default-role', 'iam_role',
                          {'role_name': 'demo-dev', 'role_arn': ROLE_ARN}) in plan.steps


def api_with_definition(definition, **changes):
    api = dataclasses.replace(API, definition=definition, **changes)
    return Application('demo', 'dev', (WORKER, api))


def test_api_definition_change_puts_and_redeploys():
    definition = copy.deepcopy(DEFINITION)
    definition['paths']['/new'] = definition['paths']['/']
    app = api_with_definition(definition)
    plan = plan_for(app, *in_sync(APP))
    assert mutating(plan) == [('apigateway', 'put_rest_api'),
                              ('apigateway', 'create_deployment')]
    put, deploy = plan.mutating_calls
    assert put.params == {'restApiId': Var('rest_api.rest_api_id'), 'mode': 'overwrite',
                          'body': JSONDocument(definition, as_bytes=True)}
    assert deploy.params == {'restApiId': Var('rest_api.rest_api_id'), 'stageName': 'api'}
    record = plan.steps[-1]
    assert isinstance(record, RecordResource) and record.name == 'rest_api'
    assert record.values['api_definition_sha256'] == Digest(definition)
    assert 'Updating rest API' in messages(plan)


def test_record_without_definition_sha_puts_and_redeploys():
    state, remote = in_sync()
    record = state.get('rest_api')
    del record['api_definition_sha256']
    state.put(record)
    assert mutating(plan_for(APP, state, remote)) == [('apigateway', 'put_rest_api'),
                                                      ('apigateway', 'create_deployment')]


def test_handler_arn_change_changes_the_definition():
    # A different function name means a different ARN inside the document.
    app = replace_function(APP, 'api_handler', function_name='demo-dev-renamed')
    state, remote = in_sync(APP)
    remote['api_handler'] = function_remote(app.resources[1].lambda_function)
    calls = mutating(plan_for(app, state, remote))
    assert ('apigateway', 'put_rest_api') in calls
    assert ('apigateway', 'create_deployment') in calls


def test_missing_stage_creates_a_deployment_only():
    state, remote = in_sync()
    remote['rest_api']['stage_exists'] = False
    plan = plan_for(APP, state, remote)
    assert mutating(plan) == [('apigateway', 'create_deployment')]
    assert isinstance(plan.steps[-1], RecordResource)


def test_new_api_gateway_stage_creates_a_deployment_there():
    app = api_with_definition(DEFINITION, api_gateway_stage='v2')
    state, remote = in_sync(APP)
    remote['rest_api']['stage_exists'] = False  # read_remote asked for stage v2
    plan = plan_for(app, state, remote)
    assert mutating(plan) == [('apigateway', 'create_deployment')]
    assert plan.mutating_calls[0].params['stageName'] == 'v2'


def test_missing_permission_adds_it_only():
    state, remote = in_sync()
    remote['rest_api']['permissions'] = {'demo-dev': [grant(source_arn().replace(API_ID,
                                                                                   'other'))]}
    plan = plan_for(APP, state, remote)
    assert mutating(plan) == [('lambda', 'add_permission')]
    params = plan.mutating_calls[0].params
    known = {'rest_api.rest_api_id': API_ID}
    assert resolve(params['SourceArn'], lambda v: known[v.name]) == source_arn()


def test_endpoint_type_change_updates_the_api_and_redeploys():
    app = api_with_definition(DEFINITION, endpoint_type='REGIONAL')
    plan = plan_for(app, *in_sync(APP))
    assert mutating(plan) == [('apigateway', 'update_rest_api'),
                              ('apigateway', 'create_deployment')]
    assert plan.mutating_calls[0].params['patchOperations'] == [{
        'op': 'replace', 'path': '/endpointConfiguration/types/EDGE', 'value': 'REGIONAL'}]


def test_minimum_compression_size_change():
    app = api_with_definition(DEFINITION, minimum_compression_size=100)
    plan = plan_for(app, *in_sync(APP))
    assert mutating(plan) == [('apigateway', 'update_rest_api'),
                              ('apigateway', 'create_deployment')]
    assert plan.mutating_calls[0].params['patchOperations'] == [{
        'op': 'replace', 'path': '/minimumCompressionSize', 'value': '100'}]


changes = st.fixed_dictionaries({
    'code': st.booleans(),
    'memory': st.sampled_from([None, 256, 1024]),
    'tag': st.sampled_from([None, 'add', 'remove']),
    'concurrency': st.sampled_from([None, 'set', 'unset']),
})


@settings(max_examples=40, deadline=None)
@given(changes)
def test_combined_changes_yield_exactly_the_needed_calls(change):
    state, remote = in_sync(APP)
    edits, expected = {}, []
    if change['code']:
        edits['package'] = DeploymentPackage('/y.zip', 'b3RoZXI=')
        expected.append('update_function_code')
    if change['memory']:
        edits['memory_size'] = change['memory']
        expected.append('update_function_configuration')
    if change['tag'] == 'add':
        edits['tags'] = dict(TAGS, new='v')
        expected.append('tag_resource')
    elif change['tag'] == 'remove':
        remote['worker']['tags']['old'] = 'v'
        expected.append('untag_resource')
    if change['concurrency'] == 'set':
        edits['reserved_concurrency'] = 4
        expected.append('put_function_concurrency')
    elif change['concurrency'] == 'unset':
        remote['worker']['concurrency'] = 4
        expected.append('delete_function_concurrency')
    plan = plan_for(replace_function(APP, 'worker', **edits), state, remote)
    assert sorted(m for _, m in mutating(plan)) == sorted(expected)
    assert all(c.params.get('FunctionName', c.params.get('Resource', '')).endswith('-worker')
               for c in plan.mutating_calls)


# ---------------------------------------------------------------- deletion


def test_recorded_resources_no_longer_in_the_app_are_deleted_last_newest_first():
    state, remote = in_sync()
    records = state.resources
    old_a = {'name': 'old_a', 'resource_type': 'lambda_function',
             'lambda_arn': function_arn('demo-dev-old_a')}
    old_b = {'name': 'old_b', 'resource_type': 'lambda_function',
             'lambda_arn': function_arn('demo-dev-old_b')}
    state = DeployedState(state.path, [records[0], old_a, records[1], old_b] + records[2:])
    plan = plan_deploy(APP, state, remote, ctx())
    tail = plan.steps[-4:]
    assert tail == [
        APICall('lambda', 'delete_function', {'FunctionName': old_b['lambda_arn']},
                message='Deleting function: %s' % old_b['lambda_arn'],
                ignore_errors=('ResourceNotFoundException',)),
        ForgetResource('old_b'),
        APICall('lambda', 'delete_function', {'FunctionName': old_a['lambda_arn']},
                message='Deleting function: %s' % old_a['lambda_arn'],
                ignore_errors=('ResourceNotFoundException',)),
        ForgetResource('old_a'),
    ]
    assert mutating(plan) == [('lambda', 'delete_function')] * 2


def test_dropping_routes_deletes_api_before_its_handler():
    state, remote = in_sync()
    app = Application('demo', 'dev', (WORKER,))
    plan = plan_deploy(app, state, remote, ctx())
    assert mutating(plan) == [('apigateway', 'delete_rest_api'), ('lambda', 'delete_function')]
    assert [s.name for s in plan.steps if isinstance(s, ForgetResource)] == [
        'rest_api', 'api_handler']


def test_switching_to_a_precreated_role_deletes_the_managed_role_after_updating():
    state, remote = in_sync()
    remote['default-role'] = {'policy_names': ['demo-dev']}  # read_remote_for_delete
    other = PreCreatedIAMRole('arn:aws:iam::1:role/precreated')
    app = replace_function(replace_function(APP, 'worker', role=other), 'api_handler',
                           role=other)
    plan = plan_deploy(app, state, remote, ctx())
    assert mutating(plan) == [('lambda', 'update_function_configuration')] * 2 + [
        ('iam', 'delete_role_policy'), ('iam', 'delete_role')]
    assert plan.steps[-1] == ForgetResource('default-role')


def test_plan_delete_removes_everything_newest_first():
    state, _ = in_sync()
    remote = {'default-role': {'policy_names': ['demo-dev', 'extra']}}
    plan = plan_delete(state, remote, ctx())
    assert [describe_step(s) if not isinstance(s, ForgetResource) else 'forget ' + s.name
            for s in plan.steps] == [
        'apigateway.delete_rest_api', 'forget rest_api',
        'lambda.delete_function', 'forget api_handler',
        'lambda.delete_function', 'forget worker',
        'iam.delete_role_policy', 'iam.delete_role_policy', 'iam.delete_role',
        'forget default-role',
    ]
    calls = plan.api_calls
    assert calls[0].params == {'restApiId': API_ID}
    assert calls[0].ignore_errors == ('NotFoundException',)
    assert calls[1].params == {'FunctionName': function_arn('demo-dev')}
    assert [c.params for c in calls[3:5]] == [{'RoleName': 'demo-dev', 'PolicyName': 'demo-dev'},
                                              {'RoleName': 'demo-dev', 'PolicyName': 'extra'}]
    assert all(c.ignore_errors for c in calls)
    assert messages(plan) == ['Deleting Rest API: %s' % API_ID,
                              'Deleting function: %s' % function_arn('demo-dev'),
                              'Deleting function: %s' % function_arn('demo-dev-worker'),
                              'Deleting IAM role: demo-dev']


def test_plan_delete_of_empty_state_is_empty():
    assert plan_delete(DeployedState('/nowhere/s.json'), {}, ctx()).steps == []


def test_plan_delete_of_a_layer_uses_name_and_version():
    state = DeployedState('/n/s.json', [{
        'name': 'managed-layer', 'resource_type': 'lambda_layer',
        'layer_version_arn': 'arn:aws:lambda:us-west-2:1:layer:demo-dev-managed-layer:7'}])
    (call,) = plan_delete(state, {}, ctx()).api_calls
    assert call.params == {'LayerName': 'arn:aws:lambda:us-west-2:1:layer:demo-dev-managed-layer',
                           'VersionNumber': 7}


# ---------------------------------------------------------------- gone remotely


def test_function_recorded_but_gone_is_recreated():
    state, remote = in_sync()
    remote['worker'] = None
    plan = plan_for(APP, state, remote)
    assert mutating(plan) == [('lambda', 'create_function')]
    assert RecordResource('worker', 'lambda_function', {
        'lambda_arn': Var('worker.lambda_arn'),
        SETTINGS_KEY: settings_digest(WORKER)}) in plan.steps


def test_role_recorded_but_gone_is_recreated():
    state, remote = in_sync()
    remote['default-role'] = None
    plan = plan_for(APP, state, remote)
    calls = mutating(plan)
    assert calls[:2] == [('iam', 'create_role'), ('iam', 'put_role_policy')]
    assert set(calls[2:]) <= {('lambda', 'update_function_configuration')}


def test_api_recorded_but_gone_is_reimported():
    state, remote = in_sync()
    remote['rest_api'] = {'api': None, 'permissions': remote['rest_api']['permissions']}
    plan = plan_for(APP, state, remote)
    assert mutating(plan) == [('apigateway', 'import_rest_api'),
                              ('apigateway', 'create_deployment'),
                              ('lambda', 'add_permission')]


# ---------------------------------------------------------------- layers


LAYER = LambdaLayer('managed-layer', 'demo-dev-managed-layer', 'python3.11',
                    DeploymentPackage('/l.zip', 'bGF5ZXI='))
LAYER_ARN = 'arn:aws:lambda:us-west-2:1:layer:demo-dev-managed-layer:3'


def layered_app():
    return replace_function(Application('demo', 'dev', (WORKER,)), 'worker',
                            managed_layer=LAYER)


def test_unchanged_layer_is_reused():
    state, remote = in_sync(layered_app())
    state = DeployedState(state.path, [{'name': 'managed-layer',
                                        'resource_type': 'lambda_layer',
                                        'layer_version_arn': LAYER_ARN}] + state.resources)
    remote['managed-layer'] = {'arn': LAYER_ARN, 'code_sha256': 'bGF5ZXI=',
                               'architectures': ['x86_64']}
    remote['worker']['config']['Layers'] = [{'Arn': LAYER_ARN}]
    plan = plan_for(layered_app(), state, remote)
    assert plan.mutating_calls == []
    assert SetVar('managed-layer.layer_version_arn', LAYER_ARN) in plan.steps


@pytest.mark.parametrize('published', [['x86_64'], []])
def test_layer_on_another_architecture_is_republished_with_the_same_content(published):
    arm_layer = dataclasses.replace(LAYER, architecture='arm64')
    app = replace_function(Application('demo', 'dev', (WORKER,)), 'worker',
                           managed_layer=arm_layer, architecture='arm64')
    state, remote = in_sync(layered_app())
    remote['managed-layer'] = {'arn': LAYER_ARN, 'code_sha256': 'bGF5ZXI=',
                               'architectures': published}
    remote['worker']['config']['Layers'] = [{'Arn': LAYER_ARN}]
    plan = plan_for(app, state, remote)
    assert mutating(plan) == [('lambda', 'publish_layer_version'),
                              ('lambda', 'delete_layer_version'),
                              ('lambda', 'update_function_code'),
                              ('lambda', 'update_function_configuration')]
    publish, _, code, configuration = plan.mutating_calls
    assert publish.params['CompatibleArchitectures'] == ['arm64']
    assert code.params['Architectures'] == ['arm64']
    assert configuration.params['Layers'] == [Var('managed-layer.layer_version_arn')]


def test_changed_layer_is_published_and_the_function_repointed():
    state, remote = in_sync(layered_app())
    remote['managed-layer'] = {'arn': LAYER_ARN, 'code_sha256': 'b2xk'}
    remote['worker']['config']['Layers'] = [{'Arn': LAYER_ARN}]
    plan = plan_for(layered_app(), state, remote)
    assert mutating(plan) == [('lambda', 'publish_layer_version'),
                              ('lambda', 'delete_layer_version'),
                              ('lambda', 'update_function_configuration')]
    assert plan.mutating_calls[2].params['Layers'] == [Var('managed-layer.layer_version_arn')]


# ---------------------------------------------------------------- purity


def test_planning_is_pure_and_repeatable():
    auth = LambdaFunction('auth', 'demo-dev-auth', 'app.auth', 'python3.11', ROLE, PACKAGE)
    app = replace_function(Application('demo', 'dev', (WORKER, dataclasses.replace(
        API, authorizers=(auth,)))), 'worker', memory_size=512)
    state, remote = in_sync(APP)
    remote['worker']['tags']['stale'] = 'x'
    records_before = copy.deepcopy(state.resources)
    remote_before = copy.deepcopy(remote)
    first = plan_deploy(app, state, remote, ctx())
    second = plan_deploy(app, state, remote, ctx())
    assert first.describe() == second.describe()
    assert first.steps == second.steps
    assert state.resources == records_before
    assert remote == remote_before
    # Reusing one context (its known values are facts about AWS) gives the same plan too.
    shared = ctx()
    assert plan_deploy(app, state, remote, shared).steps == first.steps
    assert plan_deploy(app, state, remote, shared).steps == first.steps


def test_fresh_plans_are_repeatable_and_read_no_files():
    # PACKAGE.path does not exist: planning must not read it.
    first = plan_deploy(APP, DeployedState('/nowhere/s.json'), {}, ctx())
    second = plan_deploy(APP, DeployedState('/nowhere/s.json'), {}, ctx())
    assert first.describe() == second.describe()
    assert len(first.describe()) == len(first.steps)


# ---------------------------------------------------------------- takeover

AUTH = LambdaFunction('auth', 'demo-dev-auth', 'app.auth', 'python3.11', ROLE, PACKAGE,
                      tags=dict(TAGS))
AUTH_APP = Application('demo', 'dev', (WORKER, dataclasses.replace(API, authorizers=(AUTH,))))


def permission_calls(plan):
    return [(c.method, c.params['FunctionName'], c.params['StatementId'])
            for c in plan.mutating_calls if c.method.endswith('_permission')]


def test_aws_chalices_broader_authorizer_grant_is_replaced_by_ours_in_one_deploy():
    # AWS Chalice lets API Gateway invoke an authorizer from <api>/*: ours is
    # added first, then that statement goes; the handler's own /* is kept.
    state, remote = in_sync(AUTH_APP)
    remote['rest_api']['permissions'] = {
        'demo-dev': [dict(grant(source_arn()), Sid='1f6e3c7a-handler')],
        'demo-dev-auth': [dict(grant(source_arn()), Sid='9a2b4c6d-auth')]}
    plan = plan_for(AUTH_APP, state, remote)
    calls = plan.mutating_calls
    assert [c.method for c in calls] == ['add_permission', 'remove_permission']
    added = resolve(calls[0].params, lambda var: {'auth.lambda_arn': function_arn(
        'demo-dev-auth'), 'rest_api.rest_api_id': API_ID}[var.name])
    assert added['SourceArn'] == source_arn('/authorizers/*')
    assert added['FunctionName'] == function_arn('demo-dev-auth')
    assert calls[1].params['StatementId'] == '9a2b4c6d-auth'
    assert calls[1].ignore_errors == ('ResourceNotFoundException',)
    # Once ours is there (a rerun after a failure in between), only the removal is left.
    remote['rest_api']['permissions']['demo-dev-auth'].append(
        dict(grant(source_arn('/authorizers/*')), Sid='chalice-apigateway-x'))
    assert [c.method for c in plan_for(AUTH_APP, state, remote).mutating_calls] == [
        'remove_permission']


def test_duplicate_grants_are_removed_keeping_our_statement():
    state, remote = in_sync(APP)
    ours = 'chalice-apigateway-' + sha256_of(source_arn())
    remote['rest_api']['permissions']['demo-dev'] = [
        dict(grant(source_arn()), Sid='aws-chalice-uuid'),
        dict(grant(source_arn()), Sid=ours),
        dict(grant(source_arn()), Sid='another-copy')]
    plan = plan_for(APP, state, remote)
    assert permission_calls(plan) == [
        ('remove_permission', Var('api_handler.lambda_arn'), 'aws-chalice-uuid'),
        ('remove_permission', Var('api_handler.lambda_arn'), 'another-copy')]


def test_a_single_grant_of_aws_chalice_is_adopted_as_it_is():
    state, remote = in_sync(APP)
    remote['rest_api']['permissions']['demo-dev'] = [
        dict(grant(source_arn()), Sid='aws-chalice-uuid')]
    assert plan_for(APP, state, remote).mutating_calls == []
