"""Multifile apps as shipped, the runtime chosen from the local Python, and the
positional deploy stage that Chalice 1.0.0b1 removed.

``chalice package`` builds the same deployment package ``chalice deploy``
uploads; here it is unzipped and its handler run by a fresh interpreter that
sees only the zip, the way Lambda imports it.
"""
import json
import os
import subprocess
import sys
import zipfile

import pytest
from click.testing import CliRunner

import chalice.config
from chalice.cli import cli

# Seconds the interpreter running the shipped handler may take.
TIMEOUT = 60

APP_PY = '''\
from chalice import Chalice
from chalicelib import settings

app = Chalice(app_name='multi')


@app.lambda_function()
def show(event, context):
    return {'greeting': settings.CONFIG['greeting'], 'blob': settings.blob_size(),
            'module': settings.__file__}
'''
SETTINGS_PY = '''\
import json
import os

HERE = os.path.dirname(__file__)
with open(os.path.join(HERE, 'data', 'config.json')) as f:
    CONFIG = json.load(f)


def blob_size():
    with open(os.path.join(HERE, 'data', 'model.bin'), 'rb') as f:
        return len(f.read())
'''
RUN_HANDLER = '''\
import json, sys
sys.path.insert(0, sys.argv[1])
import app, chalice
assert chalice.__file__.startswith(sys.argv[1]), chalice.__file__
print(json.dumps(app.show({}, None)))
'''


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return tmp_path


def new_project(workdir, name='multi'):
    result = CliRunner().invoke(cli, ['new-project', name])
    assert result.exit_code == 0, result.output
    return workdir / name


def test_chalicelib_with_data_files_runs_from_the_shipped_package(workdir):
    project = new_project(workdir)
    (project / 'app.py').write_text(APP_PY)
    lib = project / 'chalicelib'
    (lib / 'data').mkdir(parents=True)
    (lib / '__init__.py').write_text('')
    (lib / 'settings.py').write_text(SETTINGS_PY)
    (lib / 'data' / 'config.json').write_text(json.dumps({'greeting': 'hello'}))
    (lib / 'data' / 'model.bin').write_bytes(bytes(range(256)) * 4)

    out = workdir / 'out'
    result = CliRunner().invoke(cli, ['--project-dir', str(project), 'package', str(out)])
    assert result.exit_code == 0, result.output
    unpacked = workdir / 'unpacked'
    with zipfile.ZipFile(out / 'deployment.zip') as zf:
        assert {'chalicelib/data/config.json', 'chalicelib/data/model.bin',
                'chalicelib/settings.py'} <= set(zf.namelist())
        zf.extractall(unpacked)
    template = json.loads((out / 'sam.json').read_text())
    assert template['Resources']['Show']['Properties']['Handler'] == 'app.show'

    completed = subprocess.run(
        [sys.executable, '-I', '-c', RUN_HANDLER, str(unpacked)], cwd=str(workdir / 'out'),
        capture_output=True, text=True, timeout=TIMEOUT)
    assert completed.returncode == 0, completed.stderr
    answer = json.loads(completed.stdout)
    assert answer['greeting'] == 'hello'
    assert answer['blob'] == 1024
    assert answer['module'] == os.path.join(str(unpacked), 'chalicelib', 'settings.py')


def test_local_python_without_a_lambda_runtime_gets_the_nearest_and_a_warning(
        workdir, monkeypatch):
    here = sys.version_info[:2]
    others = tuple(v for v in ((3, 10), (3, 11), (3, 12), (3, 13), (3, 14)) if v < here)
    if not others:  # the oldest supported Python: pretend only newer ones exist
        others = ((here[0], here[1] + 1),)
    monkeypatch.setattr(chalice.config, 'SUPPORTED_PYTHON_VERSIONS', others)
    nearest = 'python%d.%d' % (others[-1] if others[-1] < here else others[0])
    project = new_project(workdir)
    out = workdir / 'out'
    result = CliRunner().invoke(cli, ['--project-dir', str(project), 'package', str(out)])
    assert result.exit_code == 0, result.output
    warning = ('You are currently running python%d.%d, which has no matching AWS Lambda '
               'runtime; Chalice will use %s.' % (here[0], here[1], nearest))
    assert warning in result.output
    assert result.output.count('no matching AWS Lambda runtime') == 1
    template = json.loads((out / 'sam.json').read_text())
    assert template['Resources']['APIHandler']['Properties']['Runtime'] == nearest


def test_local_python_with_a_lambda_runtime_uses_it_without_a_warning(workdir):
    project = new_project(workdir)
    out = workdir / 'out'
    result = CliRunner().invoke(cli, ['--project-dir', str(project), 'package', str(out)])
    assert result.exit_code == 0, result.output
    assert 'no matching AWS Lambda runtime' not in result.output
    template = json.loads((out / 'sam.json').read_text())
    assert template['Resources']['APIHandler']['Properties']['Runtime'] == \
        'python%d.%d' % sys.version_info[:2]


def test_positional_deploy_stage_removed_in_1_0_0b1_is_a_usage_error(workdir):
    project = new_project(workdir)
    result = CliRunner().invoke(cli, ['--project-dir', str(project), 'deploy', 'prod'])
    assert result.exit_code == 2
    assert 'Got unexpected extra argument (prod)' in result.output
    assert not (project / '.chalice' / 'deployed').exists()
