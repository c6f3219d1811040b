"""``chalice.cdk.Chalice``: a real CDK synthesis, offline, with aws-cdk-lib and node.

One ``App.synth()`` for the whole module (it starts jsii's node process and
takes a few seconds): three stacks, one keeping the template's logical ids,
one letting the CDK rename them, and one whose package includes a layer.
The error cases only construct, never synthesize.
"""
import json
import os
import zipfile

import aws_cdk as cdk
import pytest
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_sam as sam
from aws_cdk import cloudformation_include as cfn_inc

import chalice
import chalice.cdk as chalice_cdk
from chalice.cdk import Chalice
from chalice.deploy.project_package import package_project

APP_PY = '''\
import os

from chalice import Chalice

app = Chalice(app_name='cdkapp')


@app.route('/')
def index():
    return {'table': os.environ.get('APP_TABLE_NAME')}


@app.lambda_function()
def worker(event, context):
    return {}
'''
CONFIG = {
    'version': '2.0', 'app_name': 'cdkapp',
    'environment_variables': {'TOP': 'top'},
    'stages': {'MyStack': {'environment_variables': {'FROM_FILE': 'file'},
                           'lambda_memory_size': 256}},
}


def make_project(root, app_py=APP_PY, config=None):
    project = root / 'runtime'
    (project / '.chalice').mkdir(parents=True)
    (project / 'app.py').write_text(app_py)
    (project / 'requirements.txt').write_text('')
    config_text = json.dumps(config or CONFIG, indent=2)
    (project / '.chalice' / 'config.json').write_text(config_text)
    return project


@pytest.fixture(scope='module')
def synthesized(tmp_path_factory):
    root = tmp_path_factory.mktemp('cdk')
    project = make_project(root)
    config_before = (project / '.chalice' / 'config.json').read_bytes()
    previous = os.getcwd()
    os.chdir(root)  # the construct writes chalice.out/ under the current directory
    try:
        app = cdk.App(outdir=str(root / 'cdk.out'))
        stack = cdk.Stack(app, 'MyStack')
        table = dynamodb.Table(stack, 'AppTable', partition_key=dynamodb.Attribute(
            name='PK', type=dynamodb.AttributeType.STRING))
        construct = Chalice(stack, 'ChaliceApp', source_dir=str(project), stage_config={
            'environment_variables': {'APP_TABLE_NAME': table.table_name},
            'lambda_timeout': 120,
        })
        role = construct.get_role('DefaultRole')
        table.grant_read_write_data(role)
        function = construct.get_function('APIHandler')
        cdk.CfnOutput(stack, 'HandlerArnFromCdk', value=function.function_arn)
        construct.add_environment_variable('ADDED', 'by-cdk', 'Worker')

        vended_stack = cdk.Stack(app, 'Vended')
        vended = Chalice(vended_stack, 'ChaliceApp', source_dir=str(project),
                         preserve_logical_ids=False)
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(chalice_cdk, 'package_project', package_with_a_layer)
            Chalice(cdk.Stack(app, 'Layered'), 'ChaliceApp', source_dir=str(project))
        assembly = app.synth()
    finally:
        os.chdir(previous)
    return {
        'root': root, 'project': project, 'config_before': config_before,
        'construct': construct, 'role': role, 'function': function, 'vended': vended,
        'assembly': assembly,
        'template': assembly.get_stack_by_name('MyStack').template,
        'vended_template': assembly.get_stack_by_name('Vended').template,
        'layered_template': assembly.get_stack_by_name('Layered').template,
    }


def package_with_a_layer(project_dir, stage, out_dir):
    """The real packager's output plus what automatic_layer adds: a layer zip.

    (A real layer needs dependencies resolved by pip, which needs the network.)
    """
    result = package_project(project_dir, stage, out_dir)
    with zipfile.ZipFile(os.path.join(out_dir, 'layer-deployment.zip'), 'w') as archive:
        archive.writestr('python/lib/python3.11/site-packages/dep.py', 'X = 1\n')
    with open(result.template_path) as f:
        template = json.load(f)
    template['Resources']['ManagedLayer'] = {
        'Type': 'AWS::Serverless::LayerVersion',
        'Properties': {'ContentUri': './layer-deployment.zip', 'CompatibleRuntimes': [
            template['Resources']['APIHandler']['Properties']['Runtime']]}}
    with open(result.template_path, 'w') as f:
        json.dump(template, f)
    return result


def resources_of_type(template, resource_type):
    return {logical_id: resource for logical_id, resource in template['Resources'].items()
            if resource['Type'] == resource_type}


def test_construct_attributes(synthesized):
    construct = synthesized['construct']
    assert construct.stage_name == 'MyStack'
    assert construct.source_dir == str(synthesized['project'])
    assert construct.stage_config['lambda_timeout'] == 120
    assert isinstance(construct.sam_template, cfn_inc.CfnInclude)
    assert isinstance(construct.get_resource('RestAPI'), sam.CfnApi)
    assert isinstance(construct.get_resource('APIHandler'), sam.CfnFunction)
    assert isinstance(construct.get_resource('DefaultRole'), iam.CfnRole)
    # Asking twice gives the same imported objects (no duplicate construct ids).
    assert construct.get_role('DefaultRole') is synthesized['role']
    assert construct.get_function('APIHandler') is synthesized['function']


def test_sam_resources_are_included_with_their_logical_ids(synthesized):
    template = synthesized['template']
    assert template['Transform'] == 'AWS::Serverless-2016-10-31'
    functions = resources_of_type(template, 'AWS::Serverless::Function')
    assert set(functions) == {'APIHandler', 'Worker'}
    assert set(resources_of_type(template, 'AWS::Serverless::Api')) == {'RestAPI'}
    assert template['Resources']['DefaultRole']['Type'] == 'AWS::IAM::Role'
    assert {'EndpointURL', 'RestAPIId', 'APIHandlerArn'} <= set(template['Outputs'])


def test_stage_config_is_merged_into_the_stage_and_tokens_resolve(synthesized):
    template = synthesized['template']
    table_id, = resources_of_type(template, 'AWS::DynamoDB::Table')
    handler = template['Resources']['APIHandler']['Properties']
    assert handler['Environment']['Variables'] == {
        'TOP': 'top', 'FROM_FILE': 'file', 'APP_TABLE_NAME': {'Ref': table_id}}
    assert handler['Timeout'] == 120       # from stage_config
    assert handler['MemorySize'] == 256    # from the stage in config.json, kept
    assert handler['Tags']['aws-chalice'] == 'version=%s:stage=MyStack:app=cdkapp' % (
        chalice.__version__)


def test_users_config_file_is_never_written(synthesized):
    path = synthesized['project'] / '.chalice' / 'config.json'
    assert path.read_bytes() == synthesized['config_before']
    assert sorted(os.listdir(synthesized['project'] / '.chalice')) == [
        'config.json', 'deployments']


def test_deployment_package_is_a_cdk_asset(synthesized):
    template = synthesized['template']
    code_uris = [resource['Properties']['CodeUri'] for resource in
                 resources_of_type(template, 'AWS::Serverless::Function').values()]
    assert code_uris[0] == code_uris[1]  # one asset shared by both functions
    code_uri = code_uris[0]
    assert code_uri['Bucket'] == {
        'Fn::Sub': 'cdk-hnb659fds-assets-${AWS::AccountId}-${AWS::Region}'}
    asset_hash, extension = code_uri['Key'].split('.')
    assert extension == 'zip'
    out_dir = synthesized['root'] / 'cdk.out'
    manifest = json.loads((out_dir / 'MyStack.assets.json').read_text())
    source = manifest['files'][asset_hash]['source']
    assert source['packaging'] == 'file'
    with zipfile.ZipFile(out_dir / source['path']) as archive:
        assert "app = Chalice(app_name='cdkapp')" in archive.read('app.py').decode()


def test_package_is_left_in_chalice_out(synthesized):
    construct = synthesized['construct']
    package_dir = synthesized['root'] / 'chalice.out' / construct.node.addr
    assert sorted(os.listdir(package_dir)) == ['deployment.zip', 'sam.json']
    sam_json = json.loads((package_dir / 'sam.json').read_text())
    assert sam_json['Resources']['APIHandler']['Properties']['CodeUri'] == './deployment.zip'


def test_grants_on_get_role_attach_a_policy_to_the_chalice_role(synthesized):
    template = synthesized['template']
    policies = resources_of_type(template, 'AWS::IAM::Policy')
    assert len(policies) == 1
    policy, = policies.values()
    assert policy['Properties']['Roles'] == [{'Ref': 'DefaultRole'}]
    actions = {action for statement in policy['Properties']['PolicyDocument']['Statement']
               for action in statement['Action']}
    assert {'dynamodb:GetItem', 'dynamodb:PutItem'} <= actions


def test_get_function_refers_to_the_included_function(synthesized):
    output = synthesized['template']['Outputs']['HandlerArnFromCdk']
    assert output['Value'] == {'Fn::GetAtt': ['APIHandler', 'Arn']}


def test_add_environment_variable_targets_one_function(synthesized):
    resources = synthesized['template']['Resources']
    assert resources['Worker']['Properties']['Environment']['Variables']['ADDED'] == 'by-cdk'
    assert 'ADDED' not in resources['APIHandler']['Properties']['Environment']['Variables']


def test_preserve_logical_ids_false_renames_but_get_resource_uses_template_ids(synthesized):
    template = synthesized['vended_template']
    functions = resources_of_type(template, 'AWS::Serverless::Function')
    assert len(functions) == 2
    assert not {'APIHandler', 'Worker'} & set(functions)
    assert all(logical_id.startswith('ChaliceApp') for logical_id in functions)
    vended = synthesized['vended']
    assert vended.stage_name == 'Vended'
    assert isinstance(vended.get_resource('APIHandler'), sam.CfnFunction)
    # Without stage_config the stage falls back to the top-level settings.
    handler = next(resource for resource in functions.values()
                   if resource['Properties']['Handler'] == 'app.app')
    assert handler['Properties']['Environment']['Variables'] == {'TOP': 'top'}


def test_layer_package_is_its_own_asset(synthesized):
    resources = synthesized['layered_template']['Resources']
    layer_uri = resources['ManagedLayer']['Properties']['ContentUri']
    code_uri = resources['APIHandler']['Properties']['CodeUri']
    assert set(layer_uri) == {'Bucket', 'Key'}
    assert layer_uri['Key'].endswith('.zip')
    assert layer_uri['Key'] != code_uri['Key']
    manifest = json.loads((synthesized['root'] / 'cdk.out' / 'Layered.assets.json').read_text())
    layer_source = manifest['files'][layer_uri['Key'][:-len('.zip')]]['source']
    with zipfile.ZipFile(synthesized['root'] / 'cdk.out' / layer_source['path']) as archive:
        assert archive.namelist() == ['python/lib/python3.11/site-packages/dep.py']


# -- errors (construction only, no synthesis) -------------------------------------------

@pytest.fixture
def stack(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return cdk.Stack(cdk.App(outdir=str(tmp_path / 'cdk.out')), 'ErrStack')


def test_packaging_error_raises_chalice_error_with_the_packagers_message(tmp_path, stack):
    project = make_project(tmp_path, app_py='import no_such_module_here\n')
    with pytest.raises(chalice.ChaliceError) as excinfo:
        Chalice(stack, 'Broken', source_dir=str(project))
    message = str(excinfo.value)
    assert message.startswith('Unable to import your app.py file: ModuleNotFoundError')
    assert 'no_such_module_here' in message
    assert '\n' not in message


def test_missing_project_is_a_chalice_error(tmp_path, stack):
    with pytest.raises(chalice.ChaliceError) as excinfo:
        Chalice(stack, 'Missing', source_dir=str(tmp_path / 'nowhere'))
    assert 'config.json is missing' in str(excinfo.value)


def test_stage_config_must_be_json(tmp_path, stack):
    project = make_project(tmp_path)
    with pytest.raises(chalice.ChaliceError) as excinfo:
        Chalice(stack, 'NotJson', source_dir=str(project),
                stage_config={'environment_variables': {'X': object()}})
    assert 'stage_config must hold only JSON values' in str(excinfo.value)
    assert json.loads((project / '.chalice' / 'config.json').read_text()) == CONFIG
