"""``lambda_architecture`` through ``chalice package``: wheels, archives and template.

Dependencies come from the offline wheelhouse of test_packager_deps (wheels
built by the test, one ``fastpkg`` per machine); pip never reaches an index.
"""
import json
import os
import types
import zipfile

import pytest

import chalice.config
from tests.functional import test_cli_package as cli_package
from tests.functional import test_packager_deps as packager_deps
from tests.functional.test_cli_package import lint_errors, new_project, package

# Fixtures shared with the package and packager tests.
workdir = cli_package.workdir
wheelhouse = packager_deps.wheelhouse
offline_pip = packager_deps.offline_pip

APP = '''\
from chalice import Chalice

app = Chalice(app_name='arch')


@app.route('/')
def index():
    return {'hello': 'world'}


@app.lambda_function()
def worker(event, context):
    return {}
'''


@pytest.fixture(autouse=True)
def python311(monkeypatch):
    """Build for python3.11, the runtime the wheelhouse has wheels for."""
    monkeypatch.setattr(chalice.config, 'sys', types.SimpleNamespace(version_info=(3, 11, 9)))


def arch_project(workdir, requirements='fastpkg==1.0\n', **config):
    project = new_project(workdir, 'arch', APP)
    (project / 'requirements.txt').write_text(requirements)
    document = {'version': '2.0', 'app_name': 'arch', 'stages': {'dev': {}}}
    document.update(config)
    (project / '.chalice' / 'config.json').write_text(json.dumps(document))
    return project


def machine_in(path, prefix=''):
    with zipfile.ZipFile(path) as archive:
        return archive.read(prefix + 'fastpkg/__init__.py').decode().strip()


def test_arm64_stage_with_an_x86_64_function(workdir, offline_pip):
    project = arch_project(workdir, stages={'dev': {
        'lambda_architecture': 'arm64',
        'lambda_functions': {'worker': {'lambda_architecture': 'x86_64'}}}})
    out = workdir / 'out'
    result = package(project, str(out))
    assert result.exit_code == 0, result.output
    assert sorted(os.listdir(out)) == ['deployment-x86_64.zip', 'deployment.zip', 'sam.json']
    # Each archive carries the wheel built for its own machine.
    assert machine_in(out / 'deployment.zip') == "MACHINE = 'aarch64'"
    assert machine_in(out / 'deployment-x86_64.zip') == "MACHINE = 'x86_64'"
    downloads = [command for command in offline_pip if 'download' in command]
    assert len(downloads) == 2
    assert 'manylinux2014_aarch64' in downloads[0] and 'manylinux2014_x86_64' in downloads[1]
    resources = json.loads((out / 'sam.json').read_text())['Resources']
    handler, worker = resources['APIHandler']['Properties'], resources['Worker']['Properties']
    assert handler['Architectures'] == ['arm64']
    assert handler['CodeUri'] == './deployment.zip'
    assert worker['Architectures'] == ['x86_64']  # written at the default, as AWS Chalice
    assert worker['CodeUri'] == './deployment-x86_64.zip'
    assert lint_errors(out / 'sam.json') == []

    # A second run reuses the cached resolutions: the cache key has the architecture.
    result = package(project, str(out))
    assert result.exit_code == 0, result.output
    assert len([command for command in offline_pip if 'download' in command]) == 2
    assert machine_in(out / 'deployment.zip') == "MACHINE = 'aarch64'"


def test_automatic_layer_per_architecture(workdir, offline_pip):
    project = arch_project(workdir, automatic_layer=True, lambda_functions={
        'worker': {'lambda_architecture': 'arm64'}})
    out = workdir / 'out'
    result = package(project, str(out))
    assert result.exit_code == 0, result.output
    assert sorted(os.listdir(out)) == ['deployment.zip', 'layer-deployment-arm64.zip',
                                       'layer-deployment.zip', 'sam.json']
    assert machine_in(out / 'layer-deployment.zip', 'python/') == "MACHINE = 'x86_64'"
    assert machine_in(out / 'layer-deployment-arm64.zip', 'python/') == "MACHINE = 'aarch64'"
    resources = json.loads((out / 'sam.json').read_text())['Resources']
    assert resources['ManagedLayer']['Properties']['CompatibleArchitectures'] == ['x86_64']
    assert resources['ManagedLayer']['Properties']['ContentUri'] == './layer-deployment.zip'
    arm_layer = resources['ManagedLayerArm64']['Properties']
    assert arm_layer['CompatibleArchitectures'] == ['arm64']
    assert arm_layer['ContentUri'] == './layer-deployment-arm64.zip'
    worker = resources['Worker']['Properties']
    assert worker['Architectures'] == ['arm64']
    assert worker['Layers'] == [{'Ref': 'ManagedLayerArm64'}]
    # The app's own code has no dependencies in it: one zip serves both machines.
    assert worker['CodeUri'] == './deployment.zip'
    assert resources['APIHandler']['Properties']['Layers'] == [{'Ref': 'ManagedLayer'}]
    assert lint_errors(out / 'sam.json') == []


@pytest.mark.parametrize('config, path', [
    ({'lambda_architecture': 'arm'}, 'lambda_architecture'),
    ({'stages': {'dev': {'lambda_architecture': 'aarch64'}}}, 'stages.dev.lambda_architecture'),
    ({'lambda_functions': {'worker': {'lambda_architecture': 'ARM64'}}},
     'lambda_functions.worker.lambda_architecture'),
])
def test_unknown_architecture_is_a_one_line_error(workdir, config, path):
    project = arch_project(workdir, requirements='', **config)
    out = workdir / 'out'
    result = package(project, str(out))
    assert result.exit_code == 2
    assert result.stderr.startswith('Error: Invalid .chalice/config.json: %s must be one of '
                                    'x86_64, arm64, got "' % path)
    assert result.stderr.count('\n') == 1
    assert not out.exists()


def test_python_version_warning_is_printed_once(workdir, monkeypatch):
    project = arch_project(workdir, requirements='', lambda_functions={
        'worker': {'lambda_architecture': 'arm64'}})
    # A local Python newer than any Lambda runtime: the newest runtime is used.
    monkeypatch.setattr(chalice.config, 'sys', types.SimpleNamespace(version_info=(3, 99, 0)))
    out = workdir / 'out'
    result = package(project, str(out))
    assert result.exit_code == 0, result.output
    assert result.stderr.count('You are currently running python3.99') == 1
    assert 'Chalice will use python3.14' in result.stderr
    resources = json.loads((out / 'sam.json').read_text())['Resources']
    assert resources['APIHandler']['Properties']['Runtime'] == 'python3.14'
    assert resources['Worker']['Properties']['Runtime'] == 'python3.14'
