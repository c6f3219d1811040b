"""App + resolved config -> resource models (no AWS)."""
import json
import os

import pytest

from chalice import Chalice
from chalice.config import CHALICE_TAG_KEY, Config, lambda_python_version
from chalice.deploy import models
from chalice.deploy.appgraph import (
    architectures,
    build_application,
    function_name_for,
    load_policy_file,
)
from chalice.deploy.plan import Var, resolve
from chalice.errors import ChaliceError, ConfigError
from tests.unit.deploy.fakes import make_config, make_package, write_project


@pytest.fixture
def project(tmp_path):
    return write_project(tmp_path)


@pytest.fixture
def package(tmp_path):
    return make_package(tmp_path)


def hello_app(name='demo'):
    app = Chalice(app_name=name)

    @app.route('/')
    def index():
        return {'hello': 'world'}

    return app


def full_app():
    app = hello_app()

    @app.authorizer()
    def auth(auth_request):
        pass

    @app.route('/private', authorizer=auth)
    def private():
        return {}

    @app.lambda_function()
    def worker(event, context):
        pass

    @app.lambda_function(name='renamed')
    def other(event, context):
        pass

    @app.schedule('rate(1 hour)')
    def tick(event):
        pass

    @app.on_s3_event(bucket='my-bucket')
    def on_upload(event):
        pass

    return app


def build(app, project, package, stage='dev', **disk):
    return build_application(make_config(app, project, stage, **disk), package,
                             region='us-west-2')


def by_name(application):
    return {m.resource_name: m for m in application.ordered()}


def test_hello_world_has_role_handler_and_rest_api(project, package):
    application = build(hello_app(), project, package)
    ordered = application.ordered()
    assert [(m.resource_type, m.resource_name) for m in ordered] == [
        ('iam_role', 'default-role'),
        ('lambda_function', 'api_handler'),
        ('rest_api', 'rest_api'),
    ]
    role, handler, api = ordered
    assert application.app_name == 'demo' and application.stage == 'dev'
    assert role.role_name == 'demo-dev'
    assert role.policy_name == 'demo-dev'
    assert role.trust_policy == models.LAMBDA_TRUST_POLICY
    assert handler.function_name == 'demo-dev'
    assert handler.handler == 'app.app'
    assert handler.role is role
    assert handler.package is package
    assert handler.runtime == lambda_python_version()
    assert (handler.memory_size, handler.timeout) == (128, 60)
    assert api.api_name == 'demo'
    assert api.api_gateway_stage == 'api'
    assert api.endpoint_type == 'EDGE'
    assert api.lambda_function is handler
    assert api.authorizers == ()


def test_generated_policy_comes_from_the_projects_boto3_calls(project, package):
    role = by_name(build(hello_app(), project, package))['default-role']
    actions = set()
    for statement in role.policy_document['Statement']:
        actions.update(statement['Action'])
    assert 's3:ListAllMyBuckets' in actions
    assert {'logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents'} <= actions


def test_chalicelib_calls_are_analysed_too(tmp_path, package):
    project = write_project(tmp_path, files={
        'chalicelib/db.py': "import boto3\nboto3.client('dynamodb').get_item(Key={})\n"})
    role = by_name(build(hello_app(), project, package))['default-role']
    assert 'dynamodb:GetItem' in json.dumps(role.policy_document)


def test_rest_api_definition_refers_to_handler_arn_placeholder(project, package):
    api = by_name(build(hello_app(), project, package))['rest_api']
    arn = 'arn:aws:lambda:us-west-2:1:function:demo-dev'
    rendered = resolve(api.definition, lambda var: {'api_handler.lambda_arn': arn}[var.name])
    uri = rendered['paths']['/']['get']['x-amazon-apigateway-integration']['uri']
    assert uri == ('arn:aws:apigateway:us-west-2:lambda:path/2015-03-31/functions/%s'
                   '/invocations' % arn)


def test_stage_names_functions(project, package):
    application = build(full_app(), project, package, stage='prod')
    names = {m.resource_name: m.function_name for m in application.ordered()
             if m.resource_type == 'lambda_function'}
    assert names == {
        'api_handler': 'demo-prod',
        'auth': 'demo-prod-auth',
        'worker': 'demo-prod-worker',
        'renamed': 'demo-prod-renamed',
        'tick': 'demo-prod-tick',
        'on_upload': 'demo-prod-on_upload',
    }
    assert by_name(application)['default-role'].role_name == 'demo-prod'


def test_function_name_for():
    assert function_name_for('app', 'dev', 'api_handler') == 'app-dev'
    assert function_name_for('app', 'dev', 'foo') == 'app-dev-foo'


def test_pure_lambdas_event_handlers_and_authorizers_get_functions(project, package):
    resources = by_name(build(full_app(), project, package))
    handlers = {name: m.handler for name, m in resources.items()
                if m.resource_type == 'lambda_function'}
    assert handlers == {'api_handler': 'app.app', 'auth': 'app.auth', 'worker': 'app.worker',
                        'renamed': 'app.other', 'tick': 'app.tick',
                        'on_upload': 'app.on_upload'}
    role = resources['default-role']
    assert all(m.role is role for m in resources.values()
               if m.resource_type == 'lambda_function')
    api = resources['rest_api']
    assert api.authorizers == (resources['auth'],)
    assert api.dependencies() == [resources['api_handler'], resources['auth']]


def test_resources_come_in_aws_chalices_order(project, package):
    # What AWS Chalice 1.34 deploys (and prints) in turn: the role, the pure
    # functions, each event handler with its trigger, the API handler, its
    # authorizers, the REST API, then the websocket handlers and their API.
    app = full_app()
    app.experimental_feature_flags.add('WEBSOCKETS')

    @app.on_ws_message()
    def message(event):
        pass
    order = [m.resource_name for m in build(app, project, package).ordered()]
    assert order == ['default-role', 'worker', 'renamed', 'tick', 'tick-event', 'on_upload',
                     'on_upload-s3event', 'api_handler', 'auth', 'rest_api',
                     'websocket_message', 'websocket_api']


def test_lambda_only_app_has_no_rest_api(project, package):
    app = Chalice(app_name='demo')

    @app.lambda_function()
    def worker(event, context):
        pass

    assert [m.resource_name for m in build(app, project, package).ordered()] == [
        'default-role', 'worker']


def test_per_function_configuration(project, package):
    disk = {
        'environment_variables': {'TOP': 'top', 'SHARED': 'top'},
        'tags': {'team': 'a'},
        'lambda_memory_size': 256,
        'stages': {'dev': {
            'environment_variables': {'SHARED': 'stage'},
            'lambda_timeout': 30,
            'lambda_functions': {'worker': {
                'lambda_memory_size': 1024,
                'lambda_timeout': 300,
                'environment_variables': {'FN': 'worker', 'SHARED': 'fn'},
                'tags': {'owner': 'me'},
                'layers': ['arn:aws:lambda:us-west-2:1:layer:l:1'],
                'reserved_concurrency': 5,
                'subnet_ids': ['subnet-1', 'subnet-2'],
                'security_group_ids': ['sg-1'],
                'lambda_ephemeral_storage': 1024,
                'xray': True,
                'log_retention_in_days': 14,
            }},
        }},
    }
    resources = by_name(build(full_app(), project, package, **disk))
    worker, handler = resources['worker'], resources['api_handler']
    assert (worker.memory_size, worker.timeout) == (1024, 300)
    assert worker.environment_variables == {'TOP': 'top', 'SHARED': 'fn', 'FN': 'worker'}
    assert worker.tags['owner'] == 'me' and worker.tags['team'] == 'a'
    assert worker.layers == ('arn:aws:lambda:us-west-2:1:layer:l:1',)
    assert worker.reserved_concurrency == 5
    assert worker.subnet_ids == ('subnet-1', 'subnet-2')
    assert worker.security_group_ids == ('sg-1',)
    assert worker.ephemeral_storage == 1024
    assert worker.xray is True
    assert worker.log_retention_in_days == 14
    # Other functions only get the stage/top-level values.
    assert (handler.memory_size, handler.timeout) == (256, 30)
    assert handler.environment_variables == {'TOP': 'top', 'SHARED': 'stage'}
    assert handler.layers == () and handler.subnet_ids == ()
    assert handler.reserved_concurrency is None
    assert handler.xray is False and handler.log_retention_in_days is None


def test_every_function_carries_the_aws_chalice_tag(project, package):
    disk = {'tags': {CHALICE_TAG_KEY: 'user-value', 'x': 'y'}}
    resources = by_name(build(full_app(), project, package, stage='dev', **disk))
    for model in resources.values():
        if model.resource_type == 'lambda_function':
            tag = model.tags[CHALICE_TAG_KEY]
            assert tag.startswith('version=') and tag.endswith(':stage=dev:app=demo')
            assert model.tags['x'] == 'y'


def test_stage_settings_for_rest_api(project, package):
    disk = {'stages': {'prod': {'api_gateway_stage': 'v1',
                                'api_gateway_endpoint_type': 'REGIONAL',
                                'minimum_compression_size': 1024}}}
    api = by_name(build(hello_app(), project, package, stage='prod', **disk))['rest_api']
    assert api.api_gateway_stage == 'v1'
    assert api.endpoint_type == 'REGIONAL'
    assert api.minimum_compression_size == 1024
    assert api.definition['x-amazon-apigateway-minimum-compression-size'] == 1024


def test_private_endpoint_without_vpce_is_a_config_error(project, package):
    with pytest.raises(ConfigError) as excinfo:
        build(hello_app(), project, package, api_gateway_endpoint_type='PRIVATE')
    assert 'api_gateway_endpoint_vpce' in str(excinfo.value)


def test_private_endpoint_with_vpce_gets_a_resource_policy(project, package):
    api = by_name(build(hello_app(), project, package, api_gateway_endpoint_type='PRIVATE',
                        api_gateway_endpoint_vpce='vpce-123'))['rest_api']
    assert api.endpoint_type == 'PRIVATE'
    assert 'vpce-123' in json.dumps(api.policy)
    assert api.definition['x-amazon-apigateway-policy'] == api.policy


def test_api_gateway_policy_file_is_used(project, package):
    policy = {'Version': '2012-10-17', 'Statement': [{'Effect': 'Deny', 'Action': '*'}]}
    with open(os.path.join(project, '.chalice', 'api-policy.json'), 'w') as f:
        json.dump(policy, f)
    api = by_name(build(hello_app(), project, package,
                        api_gateway_policy_file='api-policy.json'))['rest_api']
    assert api.policy == policy


def test_manage_iam_role_false_uses_the_given_arn(project, package):
    arn = 'arn:aws:iam::123456789012:role/precreated-role'
    resources = build(full_app(), project, package, manage_iam_role=False,
                      iam_role_arn=arn).ordered()
    assert all(m.resource_type != 'iam_role' for m in resources)
    functions = [m for m in resources if m.resource_type == 'lambda_function']
    assert len(functions) == 6
    for function in functions:
        assert isinstance(function.role, models.PreCreatedIAMRole)
        assert function.role.role_arn == arn
        assert function.dependencies() == []


def test_manage_iam_role_false_without_arn_is_a_config_error(project, package):
    with pytest.raises(ConfigError) as excinfo:
        build(hello_app(), project, package, manage_iam_role=False)
    # The same line the validation pass prints, naming the key that set it.
    assert str(excinfo.value) == (
        'Invalid .chalice/config.json: manage_iam_role is false but no iam_role_arn is set: '
        'add "iam_role_arn" (the role the functions run as) or set manage_iam_role to true')


def test_autogen_policy_false_with_missing_file_names_the_file(project, package):
    with pytest.raises(ConfigError) as excinfo:
        build(hello_app(), project, package, stage='prod', autogen_policy=False)
    message = str(excinfo.value)
    assert os.path.join('.chalice', 'policy-prod.json') in message
    assert 'autogen_policy' in message


def test_autogen_policy_false_reads_policy_for_the_stage(project, package):
    policy = {'Version': '2012-10-17', 'Statement': [{'Effect': 'Allow',
                                                      'Action': ['sqs:SendMessage'],
                                                      'Resource': '*'}]}
    with open(os.path.join(project, '.chalice', 'policy-prod.json'), 'w') as f:
        json.dump(policy, f)
    resources = by_name(build(hello_app(), project, package, stage='prod',
                              autogen_policy=False))
    # A role per function, as AWS Chalice deploys a policy file (the API handler too).
    role = resources['api_handler_role']
    assert (role.role_name, role.policy_document) == ('demo-prod-api_handler', policy)
    assert resources['api_handler'].role is role and 'default-role' not in resources


def test_every_function_has_its_own_role_without_a_generated_policy(project, package):
    for name, text in (('policy-dev.json', {'Version': '2012-10-17', 'Statement': []}),
                       ('worker.json', {'Version': '2012-10-17', 'Statement': [
                           {'Effect': 'Allow', 'Action': ['s3:GetObject'],
                            'Resource': '*'}]})):
        with open(os.path.join(project, '.chalice', name), 'w') as f:
            json.dump(text, f)
    app = full_app()
    resources = by_name(build(app, project, package, autogen_policy=False, lambda_functions={
        'worker': {'iam_policy_file': 'worker.json'}}))
    roles = {m.resource_name: m.role.role_name for m in resources.values()
             if m.resource_type == 'lambda_function'}
    assert roles == {name: 'demo-dev-%s' % name for name in roles}
    assert 'default-role' not in resources
    assert resources['worker_role'].policy_document['Statement'][0]['Action'] == [
        's3:GetObject']
    assert resources['tick_role'].policy_document['Statement'] == []


def test_legacy_policy_json_is_honoured_for_dev_only(project, package):
    policy = {'Version': '2012-10-17', 'Statement': []}
    with open(os.path.join(project, '.chalice', 'policy.json'), 'w') as f:
        json.dump(policy, f)
    role = by_name(build(hello_app(), project, package,
                         autogen_policy=False))['api_handler_role']
    assert role.policy_document == policy
    with pytest.raises(ConfigError):
        build(hello_app(), project, package, stage='prod', autogen_policy=False)


def test_policy_file_with_invalid_json_is_a_config_error(project, package):
    with open(os.path.join(project, '.chalice', 'policy-dev.json'), 'w') as f:
        f.write('{not json')
    with pytest.raises(ConfigError) as excinfo:
        build(hello_app(), project, package, autogen_policy=False)
    assert 'policy-dev.json' in str(excinfo.value)


def test_load_policy_file_prefers_the_stage_file(project):
    chalice_dir = os.path.join(project, '.chalice')
    with open(os.path.join(chalice_dir, 'policy.json'), 'w') as f:
        json.dump({'which': 'legacy'}, f)
    with open(os.path.join(chalice_dir, 'policy-dev.json'), 'w') as f:
        json.dump({'which': 'stage'}, f)
    assert load_policy_file(project, 'dev') == {'which': 'stage'}


def test_function_with_its_own_policy_file_gets_its_own_role(project, package):
    policy = {'Version': '2012-10-17', 'Statement': [{'Effect': 'Allow',
                                                      'Action': 'sns:Publish',
                                                      'Resource': '*'}]}
    with open(os.path.join(project, '.chalice', 'worker-policy.json'), 'w') as f:
        json.dump(policy, f)
    disk = {'stages': {'dev': {'lambda_functions': {'worker': {
        'autogen_policy': False, 'iam_policy_file': 'worker-policy.json'}}}}}
    application = build(full_app(), project, package, **disk)
    resources = by_name(application)
    own = resources['worker'].role
    assert isinstance(own, models.ManagedIAMRole)
    assert own.role_name == 'demo-dev-worker'
    assert own.resource_name != 'default-role'
    assert own.policy_document == policy
    assert resources[own.resource_name] is own
    default = resources['default-role']
    assert resources['api_handler'].role is default
    assert resources['renamed'].role is default
    roles = [m for m in application.ordered() if m.resource_type == 'iam_role']
    assert len(roles) == 2


def test_a_policy_file_unread_under_autogen_policy_gives_no_role_of_its_own(project, package):
    # With autogen_policy on (the default) the policy file is not read, so the
    # function shares the stage's role, as with AWS Chalice.
    disk = {'stages': {'dev': {'lambda_functions': {'worker': {
        'iam_policy_file': 'worker-policy.json'}}}}}
    resources = by_name(build(full_app(), project, package, **disk))
    assert resources['worker'].role is resources['default-role']
    assert [name for name in resources if name.endswith('_role')] == []


def test_invalid_route_is_reported_before_anything_else(project, package):
    app = hello_app()

    @app.route('/items/{id}')
    def one(id):
        pass

    @app.route('/items/{name}', methods=['POST'])
    def two(name):
        pass

    with pytest.raises(ChaliceError) as excinfo:
        build(app, project, package)
    assert 'route' in str(excinfo.value).lower()


def test_syntax_error_in_app_is_reported(tmp_path, package):
    project = write_project(tmp_path, app_py='def broken(:\n')
    with pytest.raises(ChaliceError) as excinfo:
        build(hello_app(), project, package)
    assert 'app.py' in str(excinfo.value) and 'line 1' in str(excinfo.value)


def test_ordered_puts_dependencies_first_and_lists_a_shared_role_once(project, package):
    application = build(full_app(), project, package)
    ordered = application.ordered()
    names = [m.resource_name for m in ordered]
    assert len(names) == len(set(names))
    assert names.count('default-role') == 1
    position = {name: index for index, name in enumerate(names)}
    for model in ordered:
        for dep in model.dependencies():
            assert position[dep.resource_name] < position[model.resource_name]
    assert names[0] == 'default-role'
    assert names[-1] == 'rest_api'


def test_ordered_deduplicates_equal_models_reached_twice():
    package = models.DeploymentPackage('/nowhere.zip', 'sha')
    role_a = models.ManagedIAMRole('default-role', 'r', {'Statement': []})
    role_b = models.ManagedIAMRole('default-role', 'r', {'Statement': []})  # equal, distinct
    fn_a = models.LambdaFunction('a', 'app-dev-a', 'app.a', 'python3.11', role_a, package)
    fn_b = models.LambdaFunction('b', 'app-dev-b', 'app.b', 'python3.11', role_b, package)
    application = models.Application('app', 'dev', (fn_b, fn_a))
    assert [m.resource_name for m in application.ordered()] == ['default-role', 'b', 'a']


def test_ordered_skips_precreated_roles_and_puts_layers_first():
    package = models.DeploymentPackage('/nowhere.zip', 'sha')
    layer = models.LambdaLayer('managed-layer', 'app-dev-managed-layer', 'python3.11', package)
    role = models.PreCreatedIAMRole('arn:aws:iam::1:role/x')
    fn = models.LambdaFunction('a', 'app-dev-a', 'app.a', 'python3.11', role, package,
                               managed_layer=layer)
    assert [m.resource_name for m in models.Application('app', 'dev', (fn,)).ordered()] == [
        'managed-layer', 'a']


def test_automatic_layer_adds_a_managed_layer(project, package, tmp_path):
    layer_package = make_package(tmp_path, b'layer', name='layer.zip')
    config = make_config(full_app(), project, automatic_layer=True)
    application = build_application(config, package, layer_package, region='us-west-2')
    resources = by_name(application)
    layer = resources['managed-layer']
    assert layer.layer_name == 'demo-dev-managed-layer'
    assert layer.package is layer_package
    names = [m.resource_name for m in application.ordered()]
    for model in resources.values():
        if model.resource_type == 'lambda_function':
            assert model.managed_layer is layer
            assert names.index('managed-layer') < names.index(model.resource_name)


def test_architecture_comes_from_the_config_chain(project, package):
    app = full_app()
    assert architectures(make_config(app, project)) == ['x86_64']
    resources = by_name(build(app, project, package))
    assert {m.architecture for m in resources.values()
            if m.resource_type == 'lambda_function'} == {'x86_64'}
    config = make_config(app, project, lambda_architecture='x86_64', stages={
        'prod': {'lambda_architecture': 'arm64',
                 'lambda_functions': {'worker': {'lambda_architecture': 'x86_64'}}}})
    assert architectures(config) == ['x86_64']
    prod = config.scope('prod', 'api_handler')
    assert architectures(prod) == ['arm64', 'x86_64']
    arm = make_package(project, b'arm zip', name='deployment-arm64.zip')
    resources = by_name(build_application(prod, {'arm64': arm, 'x86_64': package},
                                          region='us-west-2'))
    assert resources['api_handler'].architecture == 'arm64'
    assert resources['api_handler'].package is arm
    assert resources['auth'].architecture == 'arm64'
    assert resources['worker'].architecture == 'x86_64'
    assert resources['worker'].package is package


def test_a_missing_package_for_an_architecture_is_an_error(project, package):
    config = make_config(hello_app(), project, lambda_architecture='arm64')
    with pytest.raises(ChaliceError, match='No deployment package was built for the arm64'):
        build_application(config, {'x86_64': package}, region='us-west-2')


def test_managed_layer_per_architecture(project, package, tmp_path):
    x86_layer = make_package(tmp_path, b'x86 deps', name='layer-deployment.zip')
    arm_layer = make_package(tmp_path, b'arm deps', name='layer-deployment-arm64.zip')
    config = make_config(full_app(), project, automatic_layer=True, lambda_functions={
        'worker': {'lambda_architecture': 'arm64'}})
    application = build_application(
        config, {'x86_64': package, 'arm64': package},
        {'x86_64': x86_layer, 'arm64': arm_layer}, region='us-west-2')
    resources = by_name(application)
    stage_layer, arm = resources['managed-layer'], resources['managed-layer-arm64']
    assert (stage_layer.architecture, stage_layer.package) == ('x86_64', x86_layer)
    assert (arm.architecture, arm.package) == ('arm64', arm_layer)
    assert arm.layer_name == 'demo-dev-managed-layer-arm64'
    assert resources['worker'].managed_layer is arm
    assert resources['api_handler'].managed_layer is stage_layer
    # The whole stage on arm64: its layer keeps the plain name.
    config = make_config(full_app(), project, automatic_layer=True,
                         lambda_architecture='arm64')
    layer = by_name(build_application(config, package, arm_layer,
                                      region='us-west-2'))['managed-layer']
    assert (layer.layer_name, layer.architecture) == ('demo-dev-managed-layer', 'arm64')


def test_builtin_authorizer_arn_placeholder_in_definition(project, package):
    api = by_name(build(full_app(), project, package))['rest_api']
    seen = []

    def record(var):
        seen.append(var)
        return 'arn:%s' % var.name

    resolve(api.definition, record)
    assert Var('auth.lambda_arn') in seen and Var('api_handler.lambda_arn') in seen


def test_shared_role_policy_covers_a_function_in_a_vpc(project, package):
    disk = {'stages': {'dev': {'lambda_functions': {'worker': {
        'subnet_ids': ['subnet-1'], 'security_group_ids': ['sg-1'], 'xray': True}}}}}
    resources = by_name(build(full_app(), project, package, **disk))
    role = resources['worker'].role
    assert isinstance(role, models.ManagedIAMRole)
    document = json.dumps(role.policy_document)
    assert 'ec2:CreateNetworkInterface' in document
    assert 'xray:PutTraceSegments' in document


def test_stage_level_subnets_put_vpc_permissions_in_the_default_role(project, package):
    disk = {'stages': {'dev': {'subnet_ids': ['subnet-1'], 'security_group_ids': ['sg-1']}}}
    resources = by_name(build(hello_app(), project, package, **disk))
    assert 'ec2:CreateNetworkInterface' in json.dumps(resources['default-role'].policy_document)
    assert resources['api_handler'].subnet_ids == ('subnet-1',)


def test_config_create_without_disk_uses_defaults(project, package):
    app = hello_app('other')
    config = Config.create(chalice_app=app, project_dir=project, app_name='other')
    handler = by_name(build_application(config, package))['api_handler']
    assert handler.function_name == 'other-dev'
    assert handler.tags[CHALICE_TAG_KEY].endswith(':stage=dev:app=other')


def test_stage_minimum_compression_size_overrides_the_top_level(project, package):
    # 001:L1102-1413: a stage's value wins over the top-level one; other stages keep it.
    disk = {'minimum_compression_size': 100,
            'stages': {'prod': {'minimum_compression_size': 2048}, 'dev': {}}}
    prod = by_name(build(hello_app(), project, package, stage='prod', **disk))['rest_api']
    dev = by_name(build(hello_app(), project, package, stage='dev', **disk))['rest_api']
    assert prod.minimum_compression_size == 2048
    assert prod.definition['x-amazon-apigateway-minimum-compression-size'] == 2048
    assert dev.minimum_compression_size == 100
    assert dev.definition['x-amazon-apigateway-minimum-compression-size'] == 100
    plain = by_name(build(hello_app(), project, package))['rest_api']
    assert plain.minimum_compression_size is None
    assert 'x-amazon-apigateway-minimum-compression-size' not in plain.definition


def test_function_settings_are_keyed_by_the_decorators_name(project, package):
    # 001:L1244-1266: the key is name= when given, else the Python function name.
    disk = {'lambda_functions': {
        'renamed': {'lambda_timeout': 300},   # @app.lambda_function(name='renamed') def other
        'other': {'lambda_timeout': 5},       # the Python name of that function: not used
        'worker': {'lambda_memory_size': 1024},
        'api_handler': {'lambda_memory_size': 512},  # every route shares this function
    }}
    resources = by_name(build(full_app(), project, package, **disk))
    assert resources['renamed'].timeout == 300
    assert resources['renamed'].handler == 'app.other'
    assert resources['worker'].memory_size == 1024
    assert (resources['api_handler'].memory_size, resources['api_handler'].timeout) == (512, 60)
    assert resources['auth'].memory_size == 128


def test_blueprint_functions_point_at_their_module(project, package):
    from chalice import Blueprint

    bp = Blueprint('chalicelib.jobs')

    @bp.lambda_function()
    def pure(event, context):
        pass

    @bp.schedule('rate(1 hour)')
    def hourly(event):
        pass

    @bp.route('/jobs')
    def jobs():
        return []

    app = hello_app()
    app.register_blueprint(bp, name_prefix='jobs_')
    resources = by_name(build(app, project, package))
    assert resources['jobs_pure'].handler == 'chalicelib.jobs.pure'
    assert resources['jobs_pure'].function_name == 'demo-dev-jobs_pure'
    assert resources['jobs_hourly'].handler == 'chalicelib.jobs.hourly'
    assert resources['jobs_hourly'].function_name == 'demo-dev-jobs_hourly'
    # Routes of a blueprint are served by the one API handler.
    assert resources['api_handler'].handler == 'app.app'
    assert '/jobs' in resources['rest_api'].definition['paths']
