"""``lambda_architecture`` deployed to moto: functions, managed layers, switching in place.

The dependency ``fastpkg`` exists as one wheel per machine in a local wheel
directory built by the test (pip runs offline); each wheel's module says
which machine it was built for, so the tests can tell which one ended up
in which layer.
"""
import glob
import json
import zipfile

from tests.functional.test_cli_architecture import APP
from tests.functional.test_packager_deps import make_wheel
from tests.integration.conftest import make_project, run_chalice
from tests.integration.deploy_checks import load_state, mutating_operations
from tests.integration.test_deploy import code_sha256_of, deploy, local_pip_env, out_lines


def wheel_dir(tmp_path):
    directory = tmp_path / 'wheels'
    directory.mkdir()
    # CPython 3.8+ (the stable ABI), whatever Python runs the tests.
    for machine in ('x86_64', 'aarch64'):
        make_wheel(str(directory), 'fastpkg', '1.0',
                   'cp38-abi3-manylinux_2_17_%s.manylinux2014_%s' % (machine, machine),
                   {'fastpkg/__init__.py': 'MACHINE = %r\n' % machine})
    return directory


def layer_zip_for(project, machine):
    """The cached layer zip whose fastpkg was built for ``machine``."""
    found = []
    for path in glob.glob(str(project / '.chalice' / 'deployments' / 'managed-layer-*.zip')):
        with zipfile.ZipFile(path) as archive:
            if archive.read('python/fastpkg/__init__.py') == b'MACHINE = %r\n' % machine:
                found.append(path)
    assert len(found) == 1, found
    return found[0]


def configuration(aws_clients, name):
    return aws_clients['lambda'].get_function(FunctionName=name)['Configuration']


def layer_versions(aws_clients, name):
    return aws_clients['lambda'].list_layer_versions(LayerName=name)['LayerVersions']


def write_config(project, **settings):
    document = {'version': '2.0', 'app_name': 'arch', 'automatic_layer': True,
                'stages': {'dev': dict(settings)}}
    (project / '.chalice' / 'config.json').write_text(json.dumps(document))


def test_arm64_functions_and_layers(tmp_path, aws_env, aws_clients, fault_injector):
    env = local_pip_env(aws_env, wheel_dir(tmp_path))
    project = make_project(tmp_path, APP, app_name='arch', requirements='fastpkg==1.0\n')
    write_config(project, lambda_architecture='arm64', lambda_functions={
        'worker': {'lambda_architecture': 'x86_64'}})
    result = deploy(project, env)
    assert 'Could not install dependencies' not in result.stderr

    # The stage runs on arm64 with an arm64 layer; the worker keeps x86_64.
    handler = configuration(aws_clients, 'arch-dev')
    worker = configuration(aws_clients, 'arch-dev-worker')
    assert handler['Architectures'] == ['arm64']
    assert worker['Architectures'] == ['x86_64']
    [arm_layer] = layer_versions(aws_clients, 'arch-dev-managed-layer')
    [x86_layer] = layer_versions(aws_clients, 'arch-dev-managed-layer-x86_64')
    assert arm_layer['CompatibleArchitectures'] == ['arm64']
    assert x86_layer['CompatibleArchitectures'] == ['x86_64']
    assert [layer['Arn'] for layer in handler['Layers']] == [arm_layer['LayerVersionArn']]
    assert [layer['Arn'] for layer in worker['Layers']] == [x86_layer['LayerVersionArn']]
    # Each layer holds the wheel built for its machine.
    lambda_ = aws_clients['lambda']
    for version, machine in ((arm_layer, 'aarch64'), (x86_layer, 'x86_64')):
        content = lambda_.get_layer_version_by_arn(Arn=version['LayerVersionArn'])['Content']
        assert content['CodeSha256'] == code_sha256_of(layer_zip_for(project, machine))
    records = {r['name']: r for r in load_state(project)['resources']}
    assert records['managed-layer']['layer_version_arn'] == arm_layer['LayerVersionArn']
    assert records['managed-layer-x86_64']['layer_version_arn'] == \
        x86_layer['LayerVersionArn']

    # Nothing changed: no write at all.
    fault_injector.arm()
    deploy(project, env)
    assert fault_injector.mutating_calls == []

    # The whole stage moves to x86_64: functions are switched in place, the
    # stage's layer is republished for x86_64 and the extra layer goes away.
    write_config(project, lambda_architecture='x86_64')
    fault_injector.arm()
    result = deploy(project, env)
    assert 'Updating lambda function: arch-dev' in out_lines(result)
    operations = mutating_operations(fault_injector)
    assert 'CreateFunction' not in operations and 'DeleteFunction' not in operations
    assert operations.count('UpdateFunctionCode') == 1
    assert operations.count('PublishLayerVersion') == 1
    assert configuration(aws_clients, 'arch-dev')['FunctionArn'] == handler['FunctionArn']
    assert configuration(aws_clients, 'arch-dev')['Architectures'] == ['x86_64']
    [republished] = layer_versions(aws_clients, 'arch-dev-managed-layer')
    assert republished['CompatibleArchitectures'] == ['x86_64']
    assert republished['Version'] == arm_layer['Version'] + 1
    assert layer_versions(aws_clients, 'arch-dev-managed-layer-x86_64') == []
    for name in ('arch-dev', 'arch-dev-worker'):
        assert [layer['Arn'] for layer in configuration(aws_clients, name)['Layers']] == [
            republished['LayerVersionArn']]
    assert {r['name'] for r in load_state(project)['resources']} == {
        'default-role', 'managed-layer', 'worker', 'api_handler', 'rest_api'}

    deleted = run_chalice(project, 'delete', env=aws_env)
    assert deleted.returncode == 0, deleted.stderr
    assert layer_versions(aws_clients, 'arch-dev-managed-layer') == []
    assert load_state(project)['resources'] == []


def test_arm64_without_a_layer(tmp_path, aws_env, aws_clients):
    env = local_pip_env(aws_env, wheel_dir(tmp_path))
    project = make_project(tmp_path, APP, app_name='arch', requirements='fastpkg==1.0\n',
                           config={'version': '2.0', 'app_name': 'arch',
                                   'lambda_architecture': 'arm64'})
    deploy(project, env)
    for name in ('arch-dev', 'arch-dev-worker'):
        config = configuration(aws_clients, name)
        assert config['Architectures'] == ['arm64']
        assert not config.get('Layers')
    # The function's own zip carries the aarch64 build.
    code_sha = configuration(aws_clients, 'arch-dev')['CodeSha256']
    matching = [path for path in glob.glob(str(project / '.chalice' / 'deployments' / '*.zip'))
                if code_sha256_of(path) == code_sha]
    assert len(matching) == 1
    with zipfile.ZipFile(matching[0]) as archive:
        assert archive.read('fastpkg/__init__.py') == b"MACHINE = 'aarch64'\n"
