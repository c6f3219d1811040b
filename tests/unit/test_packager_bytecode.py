"""Bytecode (``__pycache__/*.pyc``) in the deployment package.

The packages are built offline (no requirements); the one subprocess the
packager starts is the child interpreter that compiles the modules.  Some
tests run the extracted package in a fresh ``python -I -S -B``, as Lambda
runs it from a read-only ``/var/task``.
"""
import importlib.util
import marshal
import os
import shutil
import subprocess
import sys
import zipfile

import pytest

import chalice
from chalice.deploy import bytecode, packager
from chalice.deploy.packager import create_deployment_package
from tests.unit.test_packager import RecordingUI

LOCAL_RUNTIME = 'python%d.%d' % sys.version_info[:2]
OTHER_RUNTIME = 'python3.%d' % (sys.version_info[1] + 1)
TAG = sys.implementation.cache_tag
CHALICE_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(chalice.__file__)))

APP_PY = '''\
from chalice import Chalice
from chalicelib import util

app = Chalice(app_name='bytecode')
VERSION = 'built'


@app.route('/')
def index():
    return {'member': util.member('b')}
'''

UTIL_PY = '''\
def member(x):
    return x in {'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'}
'''


def write(path, content):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'w') as f:
        f.write(content)


def make_project(root):
    project = os.path.join(str(root), 'proj')
    write(os.path.join(project, 'app.py'), APP_PY)
    write(os.path.join(project, 'chalicelib', '__init__.py'), '')
    write(os.path.join(project, 'chalicelib', 'util.py'), UTIL_PY)
    write(os.path.join(project, 'vendor', 'helper.py'), 'HELP = 1\n')
    return project


def read_zip(path):
    with zipfile.ZipFile(path) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


def extract(path, dest):
    with zipfile.ZipFile(path) as zf:
        zf.extractall(dest)
    return str(dest)


def run_package(directory, code, *flags):
    """Run ``code`` in a fresh interpreter as Lambda would: isolated, nothing written."""
    prelude = 'import sys; sys.path.insert(0, %r); ' % directory
    return subprocess.run([sys.executable, '-I', '-S', '-B', *flags, '-c', prelude + code],
                          cwd=directory, capture_output=True, text=True, timeout=60)


# -- what goes in ---------------------------------------------------------------


def test_every_module_of_the_project_and_runtime_is_compiled(tmp_path):
    ui = RecordingUI()
    contents = read_zip(create_deployment_package(make_project(tmp_path), LOCAL_RUNTIME,
                                                  ui=ui).path)
    sources = sorted(name for name in contents if name.endswith('.py'))
    assert {'app.py', 'chalicelib/util.py', 'helper.py', 'chalice/app.py',
            'chalice/runtime/http.py'} <= set(sources)
    pycs = sorted(name for name in contents if name.endswith('.pyc'))
    assert pycs == sorted(bytecode.pyc_arcname(name) for name in sources)
    assert '__pycache__/app.%s.pyc' % TAG in pycs
    assert 'chalicelib/__pycache__/util.%s.pyc' % TAG in pycs
    assert 'chalice/runtime/__pycache__/http.%s.pyc' % TAG in pycs
    assert any('Compiled %d of %d modules' % (len(pycs), len(sources)) in line
               for line in ui.debugs)


def test_pyc_header_is_checked_hash_of_the_source(tmp_path):
    project = make_project(tmp_path)
    contents = read_zip(create_deployment_package(project, LOCAL_RUNTIME).path)
    for source_name, pyc_name in [('app.py', '__pycache__/app.%s.pyc' % TAG),
                                  ('chalicelib/util.py',
                                   'chalicelib/__pycache__/util.%s.pyc' % TAG)]:
        data = contents[pyc_name]
        assert data[:4] == importlib.util.MAGIC_NUMBER
        # PEP 552 flags: bit 0 hash-based, bit 1 check_source.
        assert int.from_bytes(data[4:8], 'little') == 0b11
        assert data[8:16] == importlib.util.source_hash(contents[source_name])
        code = marshal.loads(data[16:])
        # The name inside is the archive's, never a path of the build machine.
        assert code.co_filename == source_name
        assert str(tmp_path).encode() not in data
        assert project.encode() not in data


def test_dependencies_get_no_bytecode(tmp_path, monkeypatch):
    project = make_project(tmp_path)
    write(os.path.join(project, 'requirements.txt'), 'somedep\n')

    def resolve(self, requirements, work_dir, dest):
        write(os.path.join(dest, 'somedep', '__init__.py'), 'DEP = 1\n')
        return []
    monkeypatch.setattr(packager.DependencyResolver, 'resolve', resolve)
    contents = read_zip(create_deployment_package(project, LOCAL_RUNTIME).path)
    assert 'somedep/__init__.py' in contents
    assert not any(name.startswith('somedep/__pycache__') for name in contents)
    assert '__pycache__/app.%s.pyc' % TAG in contents


def test_no_bytecode_when_the_runtime_is_another_python(tmp_path, monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError('no compiler should start: %r' % (args,))
    monkeypatch.setattr(subprocess, 'run', refuse)
    ui = RecordingUI()
    contents = read_zip(create_deployment_package(make_project(tmp_path), OTHER_RUNTIME,
                                                  ui=ui).path)
    assert 'app.py' in contents
    assert not [name for name in contents if '__pycache__' in name or name.endswith('.pyc')]
    expected = ('Shipping no bytecode in the deployment package: chalice runs on Python '
                '%d.%d (cpython), the Lambda runtime is %s.'
                % (sys.version_info[0], sys.version_info[1], OTHER_RUNTIME))
    assert expected in ui.debugs
    assert ui.warnings == []


def test_a_module_that_does_not_compile_is_shipped_as_source_only(tmp_path):
    project = make_project(tmp_path)
    write(os.path.join(project, 'chalicelib', 'broken.py'), 'def broken(:\n    pass\n')
    ui = RecordingUI()
    contents = read_zip(create_deployment_package(project, LOCAL_RUNTIME, ui=ui).path)
    assert contents['chalicelib/broken.py'] == b'def broken(:\n    pass\n'
    assert 'chalicelib/__pycache__/broken.%s.pyc' % TAG not in contents
    assert 'chalicelib/__pycache__/util.%s.pyc' % TAG in contents
    assert '__pycache__/app.%s.pyc' % TAG in contents
    assert any(line.startswith('No bytecode for chalicelib/broken.py: it does not compile '
                               '(SyntaxError') for line in ui.debugs)
    assert ui.warnings == []


def test_a_failing_compiler_means_no_bytecode_not_a_failure(tmp_path, monkeypatch):
    monkeypatch.setattr(sys, 'executable', str(tmp_path / 'no-such-python'))
    ui = RecordingUI()
    contents = read_zip(create_deployment_package(make_project(tmp_path), LOCAL_RUNTIME,
                                                  ui=ui).path)
    assert 'app.py' in contents
    assert not [name for name in contents if name.endswith('.pyc')]
    assert any(line.startswith('Shipping no bytecode: compiling the package failed')
               for line in ui.debugs)


def test_no_temporary_files_are_left_behind(tmp_path):
    project = make_project(tmp_path)
    create_deployment_package(project, LOCAL_RUNTIME)
    cache = os.path.join(project, '.chalice', 'deployments')
    assert [name for name in os.listdir(cache) if name.startswith('.tmp')] == []


# -- cache key and determinism ---------------------------------------------------


def test_the_bytecode_tag_is_part_of_the_cache_key(tmp_path, monkeypatch):
    project = make_project(tmp_path)
    native = create_deployment_package(project, LOCAL_RUNTIME)
    tag = bytecode.bytecode_tag(*sys.version_info[:2])
    assert tag == '%s-%s' % (TAG, importlib.util.MAGIC_NUMBER.hex())
    # Another interpreter with another magic number must not reuse this zip.
    monkeypatch.setattr(packager, 'bytecode_tag', lambda major, minor: TAG + '-00000000')
    other = create_deployment_package(project, LOCAL_RUNTIME)
    assert other.path != native.path
    # Nor may a build that ships no bytecode (same runtime name, other Python).
    monkeypatch.setattr(packager, 'bytecode_tag', lambda major, minor: None)
    plain = create_deployment_package(project, LOCAL_RUNTIME)
    assert plain.path not in (native.path, other.path)
    assert not [name for name in read_zip(plain.path) if name.endswith('.pyc')]
    monkeypatch.undo()
    ui = RecordingUI()
    again = create_deployment_package(project, LOCAL_RUNTIME, ui=ui)
    assert (again.path, again.sha256) == (native.path, native.sha256)
    assert 'Reusing deployment package %s' % native.path in ui.debugs


def build_in_fresh_process(project, out, seed):
    env = dict(os.environ, PYTHONHASHSEED=str(seed), PYTHONPATH=CHALICE_ROOT)
    code = ('import sys; from chalice.deploy.packager import create_deployment_package; '
            'create_deployment_package(sys.argv[1], sys.argv[2], output_dir=sys.argv[3])')
    subprocess.run([sys.executable, '-c', code, project, LOCAL_RUNTIME, out], env=env,
                   check=True, capture_output=True, timeout=120)
    with open(os.path.join(out, 'deployment.zip'), 'rb') as f:
        return f.read()


def test_builds_are_byte_identical_across_hash_seeds_and_paths(tmp_path):
    # Two copies of the project in different places, built by processes with
    # different hash seeds (set iteration order) and different histories.
    first = make_project(tmp_path / 'one')
    second = os.path.join(str(tmp_path), 'elsewhere', 'proj')
    shutil.copytree(first, second)
    one = build_in_fresh_process(first, str(tmp_path / 'out1'), 1)
    two = build_in_fresh_process(second, str(tmp_path / 'out2'), 2)
    assert '__pycache__/app.%s.pyc' % TAG in read_zip(str(tmp_path / 'out1' / 'deployment.zip'))
    assert one == two


# -- how Lambda uses it -------------------------------------------------------------


def test_lambda_imports_the_shipped_bytecode(tmp_path):
    directory = extract(create_deployment_package(make_project(tmp_path), LOCAL_RUNTIME).path,
                        tmp_path / 'task')
    proc = run_package(directory, 'import app; print(app.VERSION, app.index())', '-v')
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "built {'member': True}"
    for name in ('__pycache__/app', 'chalicelib/__pycache__/util', 'chalice/__pycache__/app',
                 'chalice/runtime/__pycache__/http'):
        pyc = os.path.join(directory, name + '.%s.pyc' % TAG)
        assert "code object from '%s'" % pyc in proc.stderr, name
    # (compiling a source is logged as "code object from <path of the .py>")
    assert 'code object from %s\n' % os.path.join(directory, 'app.py') not in proc.stderr


def test_a_source_edited_after_the_build_runs_as_edited(tmp_path):
    directory = extract(create_deployment_package(make_project(tmp_path), LOCAL_RUNTIME).path,
                        tmp_path / 'task')
    app_py = os.path.join(directory, 'app.py')
    with open(app_py) as f:
        source = f.read()
    with open(app_py, 'w') as f:
        f.write(source.replace("VERSION = 'built'", "VERSION = 'edited'"))
    os.chmod(directory, 0o555)  # read-only, like /var/task
    try:
        proc = run_package(directory, 'import app; print(app.VERSION)', '-v')
        assert proc.returncode == 0, proc.stderr
        assert proc.stdout.strip() == 'edited'
        assert 'code object from %s\n' % app_py in proc.stderr
        # The stale .pyc is there and valid: trusted without checking, it runs the old code.
        unchecked = run_package(directory, 'import app; print(app.VERSION)',
                                '--check-hash-based-pycs', 'never')
        assert unchecked.stdout.strip() == 'built'
    finally:
        os.chmod(directory, 0o755)


@pytest.mark.parametrize('arcname,expected', [
    ('app.py', '__pycache__/app.%s.pyc' % TAG),
    ('chalicelib/db/models.py', 'chalicelib/db/__pycache__/models.%s.pyc' % TAG),
])
def test_pyc_arcname(arcname, expected):
    assert bytecode.pyc_arcname(arcname) == expected
    assert bytecode.pyc_arcname(arcname) == importlib.util.cache_from_source(
        arcname).replace(os.sep, '/')
