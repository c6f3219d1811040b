"""Unit tests for chalice.deploy.packager that never run pip.

Zip layout, determinism, size limits, cache keys and pruning are tested with
projects that have no requirements, with ``include_dependencies=False``, or
with the dependency resolver replaced by a fake.  The resolver's own
strategy is tested against a fake pip.
"""
import os
import re
import stat
import subprocess
import sys
import zipfile

import pytest

from chalice.deploy import bytecode, packager
from chalice.deploy.packager import (
    DependencyResolver,
    LambdaTarget,
    Packager,
    PackageResult,
    PipRunner,
    Requirements,
    create_deployment_package,
    create_layer_package,
)
from chalice.deploy.pip_resolver import unsatisfied_requirement
from chalice.deploy.requirements import parse_requirement
from chalice.errors import PackagingError


class RecordingUI:
    def __init__(self):
        self.warnings = []
        self.debugs = []

    def warning(self, msg):
        self.warnings.append(msg)

    def debug(self, msg):
        self.debugs.append(msg)


@pytest.fixture(autouse=True)
def no_pip(monkeypatch):
    """Fail loudly if anything here starts a subprocess other than the bytecode compiler."""
    real_run = subprocess.run

    def refuse(*args, **kwargs):
        if args and bytecode.COMPILE_SCRIPT in args[0]:
            return real_run(*args, **kwargs)
        raise AssertionError('unexpected subprocess: %r' % (args,))
    monkeypatch.setattr(subprocess, 'run', refuse)
    monkeypatch.delenv(packager.PIP_ARGS_ENV_VAR, raising=False)


@pytest.fixture
def fake_resolver(monkeypatch):
    """Replace dependency resolution: each requirement line becomes a module."""
    calls = []
    missing = []

    def resolve(self, requirements, work_dir, dest):
        calls.append(requirements.lines)
        os.makedirs(dest, exist_ok=True)
        for line in requirements.lines:
            name = re.split(r'[^A-Za-z0-9_]', line)[0]
            os.makedirs(os.path.join(dest, name), exist_ok=True)
            with open(os.path.join(dest, name, '__init__.py'), 'w') as f:
                f.write('REQ = %r\n' % line)
        return list(missing)

    monkeypatch.setattr(DependencyResolver, 'resolve', resolve)
    return calls, missing


# The Lambda runtime of the Python running the tests, and one it is not.
LOCAL_RUNTIME = 'python%d.%d' % sys.version_info[:2]
OTHER_RUNTIME = 'python3.%d' % (sys.version_info[1] + 1)


def write(path, content):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    mode = 'wb' if isinstance(content, bytes) else 'w'
    with open(path, mode) as f:
        f.write(content)


def make_project(root, requirements=None):
    project = os.path.join(str(root), 'proj')
    write(os.path.join(project, 'app.py'), 'from chalice import Chalice\napp = Chalice("x")\n')
    write(os.path.join(project, 'chalicelib', '__init__.py'), '')
    write(os.path.join(project, 'chalicelib', 'data', 'config.json'), '{"a": 1}\n')
    write(os.path.join(project, 'chalicelib', 'data', 'blob.bin'), bytes(range(256)))
    write(os.path.join(project, 'chalicelib', '__pycache__', 'x.cpython-311.pyc'), b'\0')
    write(os.path.join(project, 'chalicelib', 'stale.pyc'), b'\0')
    write(os.path.join(project, 'vendor', 'internalpackage', '__init__.py'), 'VENDORED = 1\n')
    write(os.path.join(project, 'vendor', 'single.py'), 'X = 1\n')
    if requirements is not None:
        write(os.path.join(project, 'requirements.txt'), requirements)
    return project


def zip_names(path):
    with zipfile.ZipFile(path) as zf:
        return zf.namelist()


def deployments(project):
    cache = os.path.join(project, '.chalice', 'deployments')
    return sorted(os.listdir(cache)) if os.path.isdir(cache) else []


# -- contents -------------------------------------------------------------------


def test_zip_layout(tmp_path):
    project = make_project(tmp_path)
    write(os.path.join(project, 'requirements-dev.txt'), 'pytest\n')
    result = create_deployment_package(project, LOCAL_RUNTIME)
    assert isinstance(result, PackageResult)
    names = zip_names(result.path)
    assert names == sorted(names)
    sources = {
        'app.py',
        'chalicelib/__init__.py',
        'internalpackage/__init__.py', 'single.py',
        'chalice/__init__.py', 'chalice/app.py', 'chalice/routing.py',
        *('chalice/runtime/' + n for n in os.listdir(os.path.join(
            os.path.dirname(packager.__file__), '..', 'runtime')) if n.endswith('.py')),
    }
    # Every module also comes compiled, since the runtime is this Python's version.
    pycs = {bytecode.pyc_arcname(name) for name in sources}
    assert 'chalicelib/__pycache__/__init__.%s.pyc' % sys.implementation.cache_tag in pycs
    assert set(names) == sources | pycs | {'chalicelib/data/blob.bin',
                                           'chalicelib/data/config.json'}
    with zipfile.ZipFile(result.path) as zf:
        assert zf.read('chalicelib/data/blob.bin') == bytes(range(256))
        assert zf.read('internalpackage/__init__.py') == b'VENDORED = 1\n'


def test_project_code_wins_over_vendor(tmp_path):
    project = make_project(tmp_path)
    write(os.path.join(project, 'vendor', 'app.py'), 'WRONG = 1\n')
    write(os.path.join(project, 'vendor', 'chalicelib', '__init__.py'), 'WRONG = 1\n')
    path = create_deployment_package(project).path
    with zipfile.ZipFile(path) as zf:
        assert b'Chalice' in zf.read('app.py')
        assert zf.read('chalicelib/__init__.py') == b''


def test_missing_app_py(tmp_path):
    with pytest.raises(PackagingError, match='No app.py'):
        create_deployment_package(str(tmp_path))


def test_zip_entries_are_normalised(tmp_path):
    project = make_project(tmp_path)
    script = os.path.join(project, 'vendor', 'bin', 'tool')
    write(script, '#!/bin/sh\n')
    os.chmod(script, 0o700)
    with zipfile.ZipFile(create_deployment_package(project).path) as zf:
        infos = zf.infolist()
    assert not any(i.is_dir() for i in infos)
    for info in infos:
        assert info.date_time == (1980, 1, 1, 0, 0, 0)
        assert info.compress_type == zipfile.ZIP_DEFLATED
        assert info.create_system == 3
        expected = 0o100755 if info.filename == 'bin/tool' else 0o100644
        assert info.external_attr >> 16 == expected, info.filename


@pytest.mark.parametrize('runtime', ['python3.11', 'python3.12'])
def test_deployment_zip_is_named_hash_dash_python_version(tmp_path, runtime):
    # .chalice/deployments/<hash>-<python version>.zip, as AWS Chalice names it.
    result = create_deployment_package(make_project(tmp_path), runtime)
    assert os.path.dirname(result.path).endswith(os.path.join('.chalice', 'deployments'))
    assert re.fullmatch(r'[0-9a-f]{64}-%s\.zip' % re.escape(runtime),
                        os.path.basename(result.path))


def test_same_inputs_same_bytes(tmp_path):
    first = make_project(tmp_path / 'a')
    second = make_project(tmp_path / 'b')
    for root, _, files in os.walk(second):
        for name in files:
            os.utime(os.path.join(root, name), (1_000_000_000, 1_000_000_000))
    os.chmod(os.path.join(second, 'app.py'), 0o600)
    one = create_deployment_package(first)
    two = create_deployment_package(second)
    assert one.sha256 == two.sha256
    assert one.code_sha256 == two.code_sha256
    assert os.path.basename(one.path) == os.path.basename(two.path)
    # Rebuilding from scratch gives the same bytes again.
    os.unlink(one.path)
    assert create_deployment_package(first).sha256 == one.sha256


def test_output_dir_gets_a_copy(tmp_path):
    project = make_project(tmp_path)
    out = str(tmp_path / 'out')
    result = create_deployment_package(project, output_dir=out)
    assert result.path == os.path.join(out, 'deployment.zip')
    assert os.listdir(out) == ['deployment.zip']
    assert stat.S_IMODE(os.stat(result.path).st_mode) == 0o644
    assert result.size == os.path.getsize(result.path)
    cached = create_deployment_package(project)
    assert cached.sha256 == result.sha256 and cached.path != result.path


# -- no pip when there is nothing to resolve ---------------------------------------


@pytest.mark.parametrize('requirements', [None, '', '\n# only a comment\n  \n'])
def test_no_requirements_means_no_pip(tmp_path, requirements):
    project = make_project(tmp_path, requirements)
    create_deployment_package(project)
    assert create_layer_package(project, 'python3.11', 'x86_64') is None
    assert not any(n.startswith('deps-') for n in deployments(project))


def test_requirements_for_other_platforms_only_mean_no_pip(tmp_path):
    project = make_project(tmp_path, 'pywin32; sys_platform == "win32"\n')
    names = zip_names(create_deployment_package(project).path)
    assert not any(n.startswith('pywin32') for n in names)
    assert create_layer_package(project, 'python3.11', 'x86_64') is None


def test_layer_mode_leaves_dependencies_out(tmp_path):
    project = make_project(tmp_path, 'requests==2.0\n')
    names = zip_names(create_deployment_package(project, include_dependencies=False).path)
    assert 'app.py' in names and not any(n.startswith('requests') for n in names)


# -- the dependency cache -------------------------------------------------------


def test_dependency_cache_keys(tmp_path, fake_resolver):
    calls, _ = fake_resolver
    project = make_project(tmp_path, 'alpha==1.0\n')
    first = create_deployment_package(project)
    assert calls == [('alpha==1.0',)]
    with zipfile.ZipFile(first.path) as zf:
        assert zf.read('alpha/__init__.py') == b"REQ = 'alpha==1.0'\n"

    write(os.path.join(project, 'app.py'), '# edited\n')
    write(os.path.join(project, 'chalicelib', 'new.py'), '')
    edited = create_deployment_package(project)
    assert len(calls) == 1 and edited.sha256 != first.sha256

    create_deployment_package(project, 'python3.12')
    create_deployment_package(project, 'python3.11', 'arm64')
    assert len(calls) == 3
    create_deployment_package(project, pip_args=['--index-url', 'https://example.invalid'])
    assert len(calls) == 4
    write(os.path.join(project, 'requirements.txt'), 'alpha==1.0\nbeta\n')
    changed = create_deployment_package(project)
    assert calls[-1] == ('alpha==1.0', 'beta')
    assert 'beta/__init__.py' in zip_names(changed.path)
    # Back to an earlier state: its entry is among the newest kept, so it is reused.
    write(os.path.join(project, 'requirements.txt'), 'alpha==1.0\n')
    create_deployment_package(project, 'python3.11', 'arm64')
    assert len(calls) == 5


def test_nested_requirement_files_are_part_of_the_key(tmp_path, fake_resolver):
    calls, _ = fake_resolver
    project = make_project(tmp_path, '-r base.txt\n')
    write(os.path.join(project, 'base.txt'), 'alpha\n')
    create_deployment_package(project)
    write(os.path.join(project, 'base.txt'), 'gamma\n')
    create_deployment_package(project)
    assert calls == [('alpha',), ('gamma',)]


def test_moving_the_project_keeps_the_cache(tmp_path, fake_resolver):
    calls, _ = fake_resolver
    project = make_project(tmp_path / 'a', 'alpha\n')
    first = create_deployment_package(project)
    moved = str(tmp_path / 'moved')
    os.rename(project, moved)
    again = create_deployment_package(moved)
    assert len(calls) == 1 and again.sha256 == first.sha256


def test_layer_package(tmp_path, fake_resolver):
    calls, _ = fake_resolver
    project = make_project(tmp_path, 'alpha\n')
    layer = create_layer_package(project, 'python3.11', 'x86_64')
    assert sorted(zip_names(layer.path)) == ['python/alpha/__init__.py']
    assert re.fullmatch(r'managed-layer-[0-9a-f]{64}-python3\.11\.zip',
                        os.path.basename(layer.path))
    assert create_layer_package(project, 'python3.11', 'x86_64') == layer
    assert len(calls) == 1


def test_stale_entries_are_pruned(tmp_path, fake_resolver):
    project = make_project(tmp_path, 'alpha\n')
    for i in range(6):
        write(os.path.join(project, 'requirements.txt'), 'alpha==%d\n' % i)
        write(os.path.join(project, 'app.py'), 'VERSION = %d\n' % i)
        create_deployment_package(project)
        create_layer_package(project, 'python3.11', 'x86_64')
    names = deployments(project)
    assert len([n for n in names if n.startswith('deps-')]) == packager.KEEP_CACHE_ENTRIES
    assert len([n for n in names if n.startswith('managed-layer-')]) == \
        packager.KEEP_CACHE_ENTRIES
    assert len([n for n in names if re.fullmatch(r'[0-9a-f]{64}-python3\.11\.zip', n)]) == \
        packager.KEEP_CACHE_ENTRIES
    # The newest one is still a hit.
    latest = create_deployment_package(project)
    assert os.path.exists(latest.path)


def test_old_temporary_files_are_removed(tmp_path):
    project = make_project(tmp_path)
    create_deployment_package(project)
    cache = os.path.join(project, '.chalice', 'deployments')
    old = os.path.join(cache, '.tmp-deps-abc')
    fresh = os.path.join(cache, '.tmp-xyz.zip')
    os.makedirs(old)
    write(fresh, '')
    os.utime(old, (0, 0))
    write(os.path.join(project, 'app.py'), '# changed\n')
    create_deployment_package(project)
    assert not os.path.exists(old) and os.path.exists(fresh)


def test_missing_dependencies_warning(tmp_path, fake_resolver, capsys):
    calls, missing = fake_resolver
    missing.extend(['cryptography==1.9', 'native'])
    project = make_project(tmp_path, 'cryptography==1.9\nnative\nalpha\n')
    ui = RecordingUI()
    create_deployment_package(project, ui=ui)
    [warning] = ui.warnings
    lines = warning.splitlines()
    # The lines the Chalice documentation shows (001:L1875-1883), then the target.
    assert lines[:9] == [
        'Could not install dependencies:', 'cryptography==1.9', 'native',
        'You will have to build these yourself and vendor them in',
        'the chalice vendor folder.',
        '',
        'Your deployment will continue but may not work correctly',
        'if missing dependencies are not present. For more information:',
        packager.PACKAGING_DOCS_URL]
    assert 'vendor/' in warning
    assert 'python3.11' in warning

    # A package now in vendor/ is no longer reported; the default UI uses stderr.
    write(os.path.join(project, 'vendor', 'cryptography', '__init__.py'), '')
    create_deployment_package(project)
    err = capsys.readouterr().err
    assert 'native' in err and 'cryptography' not in err and 'delete' in err
    assert len(calls) == 1


# -- size limits -------------------------------------------------------------------


def test_unzipped_size_limit(tmp_path, monkeypatch):
    project = make_project(tmp_path)
    # Bigger than the chalice runtime with its bytecode (about 0.3 MB).
    write(os.path.join(project, 'vendor', 'big', 'data.txt'), 'a' * 800_000)
    write(os.path.join(project, 'vendor', 'medium', 'data.txt'), 'b' * 600_000)
    monkeypatch.setattr(packager, 'MAX_UNZIPPED_BYTES', 250_000)
    with pytest.raises(PackagingError) as info:
        create_deployment_package(project)
    message = str(info.value)
    assert '\n' not in message
    assert re.search(r'is 1\.\d MB unzipped, over the AWS Lambda limit of 0\.2 MB', message)
    assert re.search(r'largest: big \(0\.8 MB\), medium \(0\.6 MB\), chalice', message)
    assert 'automatic_layer' in message
    assert not [n for n in deployments(project) if n.endswith('.zip')]


def test_zipped_size_limit(tmp_path, monkeypatch):
    project = make_project(tmp_path)
    write(os.path.join(project, 'vendor', 'noise', 'blob.bin'), os.urandom(200_000))
    monkeypatch.setattr(packager, 'MAX_ZIPPED_BYTES', 100_000)
    with pytest.raises(PackagingError) as info:
        create_deployment_package(project)
    message = str(info.value)
    assert 'zipped' in message and 'direct upload' in message
    assert 'largest: noise (0.2 MB)' in message
    assert deployments(project) == []


def test_layer_size_limit_names_packages(tmp_path, monkeypatch, fake_resolver):
    project = make_project(tmp_path, 'alpha\nbeta\n')
    monkeypatch.setattr(packager, 'MAX_UNZIPPED_BYTES', 10)
    with pytest.raises(PackagingError, match=r'Layer package .* largest: alpha .*, beta '):
        create_layer_package(project, 'python3.11', 'x86_64')


# -- the Lambda target -------------------------------------------------------------


def test_target_platforms():
    py311 = LambdaTarget.parse('python3.11', 'x86_64').platforms()
    assert py311[0] == 'manylinux_2_26_x86_64'
    assert {'manylinux2014_x86_64', 'manylinux2010_x86_64', 'manylinux1_x86_64'} <= set(py311)
    py313 = LambdaTarget.parse('python3.13', 'arm64').platforms()
    assert py313[0] == 'manylinux_2_34_aarch64' and py313[-1] == 'manylinux2014_aarch64'
    assert all(p.endswith('aarch64') for p in py313)


@pytest.mark.parametrize('version, arch, filename, expected', [
    ('python3.11', 'x86_64', 'a-1-py3-none-any.whl', True),
    ('python3.11', 'x86_64', 'a-1-py2.py3-none-any.whl', True),
    ('python3.11', 'x86_64', 'a-1-cp311-cp311-manylinux_2_17_x86_64.whl', True),
    ('python3.11', 'x86_64', 'a-1-cp311-cp311-manylinux1_x86_64.whl', True),
    ('python3.11', 'x86_64', 'a-1-cp38-abi3-manylinux2014_x86_64.whl', True),
    ('python3.11', 'x86_64', 'a-1-cp311-cp311-manylinux_2_28_x86_64.whl', False),
    ('python3.12', 'x86_64', 'a-1-cp312-cp312-manylinux_2_28_x86_64.whl', True),
    ('python3.11', 'x86_64', 'a-1-cp312-cp312-manylinux2014_x86_64.whl', False),
    ('python3.11', 'x86_64', 'a-1-cp311-cp311-manylinux2014_aarch64.whl', False),
    ('python3.11', 'arm64', 'a-1-cp311-cp311-manylinux2014_aarch64.whl', True),
    ('python3.11', 'x86_64', 'a-1-cp311-cp311-linux_x86_64.whl', False),
    ('python3.11', 'x86_64', 'a-1-cp311-cp311-macosx_11_0_arm64.whl', False),
    ('python3.11', 'x86_64', 'a-1-cp311-cp311-win_amd64.whl', False),
    ('python3.11', 'x86_64', 'not-a-wheel.whl', False),
])
def test_wheel_compatibility(version, arch, filename, expected):
    assert LambdaTarget.parse(version, arch).accepts_wheel(filename) is expected


@pytest.mark.parametrize('version, arch', [
    ('python2.7', 'x86_64'), ('3.11', 'x86_64'), ('python3.11', 'ppc64'), ('', 'x86_64')])
def test_bad_targets(tmp_path, version, arch):
    with pytest.raises(PackagingError):
        create_deployment_package(make_project(tmp_path), version, arch)


def test_pip_arguments_for_the_target():
    args = LambdaTarget.parse('python3.12', 'arm64').pip_args()
    joined = ' '.join(args)
    assert '--implementation cp --python-version 3.12 --abi cp312' in joined
    assert '--platform manylinux_2_34_aarch64' in joined
    assert 'x86_64' not in joined


def test_requirements_file_parsing(tmp_path):
    target = LambdaTarget.parse('python3.11', 'x86_64')
    write(str(tmp_path / 'wheels' / 'keep'), '')
    write(str(tmp_path / 'nested.txt'), 'nested-pkg>=2  # trailing comment\n')
    write(str(tmp_path / 'requirements.txt'), '\n'.join([
        '# a comment',
        '--index-url https://pypi.example/simple',
        '-f wheels',
        '-r nested.txt',
        'plain',
        'hashed==1.0 \\',
        '    --hash=sha256:abc',
        'windows-only; sys_platform == "win32"',
        'old-python; python_version < "3.8"',
        'linux-arm; platform_machine == "aarch64"',
        'linux-x86; platform_machine == "x86_64" and sys_platform == "linux"',
        '-e ./local',
        'https://example.invalid/pkg-1.0.tar.gz',
    ]))
    raw = Requirements.read(str(tmp_path / 'requirements.txt'))
    assert len(raw.lines) == 9
    reqs = raw.for_target(target, RecordingUI())
    assert reqs.options == ('--index-url https://pypi.example/simple',
                            '-f %s' % (tmp_path / 'wheels'))
    assert reqs.lines == ('nested-pkg>=2', 'plain', 'hashed==1.0     --hash=sha256:abc',
                          'linux-x86; platform_machine == "x86_64" and sys_platform == "linux"',
                          './local', 'https://example.invalid/pkg-1.0.tar.gz')
    assert len(reqs.sources) == 2


# -- the resolver, against a fake pip ---------------------------------------------


def make_wheel(directory, name, version, tag, requires=(), files=None):
    path = os.path.join(directory, '%s-%s-%s.whl' % (name, version, tag))
    dist_info = '%s-%s.dist-info' % (name, version)
    with zipfile.ZipFile(path, 'w') as zf:
        zf.writestr('%s/__init__.py' % name, 'TAG = %r\n' % tag)
        zf.writestr(dist_info + '/METADATA', 'Name: %s\nVersion: %s\n%s' % (
            name, version, ''.join('Requires-Dist: %s\n' % r for r in requires)))
        for arcname, (data, mode) in (files or {}).items():
            info = zipfile.ZipInfo(arcname)
            info.external_attr = mode << 16
            zf.writestr(info, data)
    return path


def pip23_wording(requirement, parent):
    return ('ERROR: Could not find a version that satisfies the requirement %s%s '
            '(from versions: none)\nERROR: No matching distribution found for %s\n'
            % (requirement, ' (from %s)' % parent if parent else '', requirement))


def pip26_wording(requirement, parent):
    # pip 24+ repeats the parent on the last line too.
    shown = requirement + (' (from %s)' % parent if parent else '')
    return ('ERROR: Could not find a version that satisfies the requirement %s '
            '(from versions: none)\nERROR: No matching distribution found for %s\n'
            % (shown, shown))


class FakePip(PipRunner):
    """An index in a dict: name -> (wheel tag or None, sdist build tag or None, requires)."""

    def __init__(self, index, wording=pip23_wording):
        self.index = index
        self.wording = wording
        self.calls = []

    def _lines(self, requirements_file):
        with open(requirements_file) as f:
            return [line.strip() for line in f if line.strip() and not line.startswith('-')]

    def download_wheels(self, requirements_file, dest, target, find_links, with_deps=True):
        self.calls.append(('download', tuple(self._lines(requirements_file)), with_deps))
        for line in self._lines(requirements_file):
            # Every project of the index has one release, 1.0.
            req = parse_requirement(line)
            if req is not None and (req.name not in self.index or
                                    not req.specifier.contains('1.0', prereleases=True)):
                return False, self.wording(line, None)
        todo = [re.split(r'[^a-z]', line)[0] for line in self._lines(requirements_file)]
        chosen = []
        while todo:
            name = todo.pop(0)
            built = [n for n in os.listdir(find_links) if n.startswith(name + '-')]
            tag, _, requires = self.index[name]
            if built:
                chosen.append(os.path.join(find_links, built[0]))
            elif tag and target.accepts_wheel('x-1-%s.whl' % tag):
                chosen.append((name, tag, requires))
            else:
                parent = next((item[0] for item in reversed(chosen)
                               if not isinstance(item, str) and name in item[2]), None)
                return False, self.wording(name + '>=1', parent)
            if with_deps:
                todo.extend(requires)
        for item in chosen:
            if isinstance(item, str):
                os.link(item, os.path.join(dest, os.path.basename(item)))
            else:
                make_wheel(dest, item[0], '1.0', item[1], item[2])
        return True, ''

    def list_files(self, requirements_file, dest, target, find_links):
        """pip's verbose log: a 'Skipping link' line per file of the project (version 1.0)."""
        [line] = self._lines(requirements_file)
        name = re.split(r'[^a-z]', line)[0]
        self.calls.append(('list', name))
        wheel_tag, sdist_tag, _ = self.index.get(name, (None, None, []))
        files = (['%s-1.0-%s.whl' % (name, wheel_tag)] if wheel_tag else []) + (
            ['%s-1.0.tar.gz' % name] if sdist_tag else [])
        return False, ''.join('Skipping link: not for this target: file:///index/%s\n' % f
                              for f in files) + self.wording(line, None)

    def build_from_sdist(self, requirements_file, dest):
        [line] = self._lines(requirements_file)
        name = re.split(r'[^a-z]', line)[0]
        self.calls.append(('build', name))
        if parse_requirement(line) is None:
            return False  # pip rejects a requirements file it cannot parse
        _, sdist_tag, requires = self.index.get(name, (None, None, []))
        if sdist_tag is None:
            return False
        make_wheel(dest, name, '1.0', sdist_tag, requires)
        return True


def resolve_with(tmp_path, index, lines, wording=pip23_wording):
    target = LambdaTarget.parse('python3.11', 'x86_64')
    pip = FakePip(index, wording)
    ui = RecordingUI()
    resolver = DependencyResolver(target, pip, ui)
    requirements = Requirements((), tuple(lines), ())
    dest = str(tmp_path / 'site')
    os.makedirs(str(tmp_path / 'work'))
    missing = resolver.resolve(requirements, str(tmp_path / 'work'), dest)
    return missing, sorted(os.listdir(dest)), pip.calls


MANY = 'cp311-cp311-manylinux2014_x86_64'
MAC = 'cp311-cp311-macosx_11_0_arm64'
PURE = 'py3-none-any'


@pytest.mark.parametrize('wording', [pip23_wording, pip26_wording])
def test_resolver_builds_what_pip_names_and_retries(tmp_path, wording):
    index = {'top': (PURE, None, ['sdistdep']), 'sdistdep': (None, PURE, []),
             'fast': (MANY, None, [])}
    missing, installed, calls = resolve_with(tmp_path, index, ['top', 'fast'], wording)
    assert missing == []
    assert {'top', 'sdistdep', 'fast'} <= set(installed)
    assert calls[:3] == [('download', ('top', 'fast'), True), ('build', 'sdistdep'),
                         ('download', ('top', 'fast'), True)]
    assert len(calls) == 3


def test_resolver_falls_back_when_pip_names_nothing_it_knows(tmp_path):
    index = {'top': (PURE, None, ['sdistdep']), 'sdistdep': (None, PURE, []),
             'fast': (MANY, None, [])}
    missing, installed, calls = resolve_with(
        tmp_path, index, ['top', 'fast'], lambda requirement, parent: 'ERROR: gave up\n')
    assert missing == []
    assert {'top', 'sdistdep', 'fast'} <= set(installed)
    assert ('build', 'sdistdep') in calls


@pytest.mark.parametrize('output, expected', [
    # pip 23
    ('ERROR: Could not find a version that satisfies the requirement puresdist>=1.0 '
     '(from withdeps) (from versions: none)\n'
     'ERROR: No matching distribution found for puresdist>=1.0\n', 'puresdist>=1.0'),
    # pip 24+ names the parent on the last line as well
    ('ERROR: Could not find a version that satisfies the requirement puresdist>=1.0 '
     '(from withdeps) (from versions: none)\n'
     'ERROR: No matching distribution found for puresdist>=1.0 (from withdeps)\n',
     'puresdist>=1.0'),
    ('ERROR: No matching distribution found for Foo_Bar[x] >= 1, < 2; '
     'python_version >= "3.8" (from -r /p/req.txt (line 1))\r\n',
     'Foo_Bar[x] >= 1, < 2; python_version >= "3.8"'),
    # Only the first line, "final version", colours.
    ('\x1b[31mERROR: Could not find a final version that satisfies the requirement '
     'thing==2 (from versions: 1.0)\x1b[0m\n', 'thing==2'),
    ('ERROR: Something pip has never said before\n', None),
    ('', None),
])
def test_unsatisfied_requirement_across_pip_versions(output, expected):
    assert unsatisfied_requirement(output) == expected


def test_resolver_drops_unbuildable_top_level_requirements(tmp_path):
    index = {'mac': (MAC, None, []), 'native': (None, 'cp311-cp311-linux_x86_64', []),
             'ok': (PURE, None, [])}
    missing, installed, calls = resolve_with(tmp_path, index, ['mac==1', 'native', 'ok'])
    assert missing == ['mac==1', 'native']
    assert [n for n in installed if not n.endswith('.dist-info')] == ['ok']
    # Each one left out is looked up once more: it exists, so it is no error.
    assert calls[-2:] == [('list', 'mac'), ('list', 'native')]
    assert [c[0] for c in calls[:-2]] == ['download', 'build', 'download', 'build', 'download']


@pytest.mark.parametrize('line, why', [
    ('nosuch', "'nosuch' (no release of that name)"),
    ('ok==2.0', "'ok==2.0' (no such version; it has 1.0)"),
])
def test_resolver_refuses_requirements_that_do_not_exist(tmp_path, line, why):
    index = {'mac': (MAC, None, []), 'ok': (PURE, None, [])}
    with pytest.raises(PackagingError) as excinfo:
        resolve_with(tmp_path, index, ['mac==1', line, 'ok'])
    assert str(excinfo.value).startswith('requirements.txt: pip cannot find %s at all' % why)


def test_resolver_accepts_a_prerelease_or_range_that_exists(tmp_path):
    index = {'mac': (MAC, None, [])}
    for line in ('mac>=1.0rc1,<2', 'mac==1.*'):
        work = tmp_path / line.replace('*', 'x').replace('<', 'lt').replace('=', 'eq')
        work.mkdir()
        missing, _, _ = resolve_with(work, index, [line])
        assert missing == [line]


def test_resolver_falls_back_to_one_at_a_time(tmp_path):
    # 'needsmac' depends on a package that can neither be downloaded nor built,
    # so the batch download can never succeed; 'ok' must still be installed.
    index = {'needsmac': (PURE, None, ['mac', 'pure']), 'mac': (MAC, None, []),
             'pure': (PURE, None, []), 'ok': (MANY, None, [])}
    missing, installed, calls = resolve_with(tmp_path, index, ['needsmac', 'ok'])
    assert missing == ['mac']
    assert {'needsmac', 'pure', 'ok'} <= set(installed) and 'mac' not in installed


def test_installing_wheels(tmp_path):
    wheels = str(tmp_path / 'wheels')
    os.makedirs(wheels)
    make_wheel(wheels, 'tool', '1.0', PURE, files={
        'tool/run.sh': ('#!/bin/sh\n', 0o100755),
        'tool.data/platlib/tool_ext.so': ('elf', 0o100644),
        'tool.data/headers/tool.h': ('', 0o100644),
        'tool-1.0.dist-info/RECORD.jws': ('sig', 0o100644),
    })
    dest = str(tmp_path / 'site')
    DependencyResolver._install_wheel(os.path.join(wheels, 'tool-1.0-py3-none-any.whl'), dest)
    assert sorted(os.listdir(dest)) == ['tool', 'tool-1.0.dist-info', 'tool_ext.so']
    assert os.stat(os.path.join(dest, 'tool', 'run.sh')).st_mode & 0o777 == 0o755
    assert os.stat(os.path.join(dest, 'tool_ext.so')).st_mode & 0o777 == 0o644
    assert 'RECORD.jws' not in os.listdir(os.path.join(dest, 'tool-1.0.dist-info'))

    make_wheel(wheels, 'evil', '1.0', PURE, files={'../escape.py': ('', 0o100644)})
    with pytest.raises(PackagingError, match='unsafe path'):
        DependencyResolver._install_wheel(
            os.path.join(wheels, 'evil-1.0-py3-none-any.whl'), dest)


def test_the_chalice_distribution_is_not_installed_from_requirements(tmp_path):
    index = {'chalice': (PURE, None, ['click']), 'click': (PURE, None, [])}
    missing, installed, _ = resolve_with(tmp_path, index, ['chalice'])
    assert missing == [] and 'click' in installed and 'chalice' not in installed


def test_pip_runner_reports_a_missing_pip(monkeypatch):
    def fake_run(command, **kwargs):
        return subprocess.CompletedProcess(command, 1, stdout='No module named pip\n')
    monkeypatch.setattr(subprocess, 'run', fake_run)
    runner = PipRunner('.', [], RecordingUI())
    with pytest.raises(PackagingError, match='pip is not installed'):
        runner.run(['download'])


def test_pip_runner_command_line(monkeypatch):
    seen = []

    def fake_run(command, **kwargs):
        seen.append((command, kwargs['cwd']))
        return subprocess.CompletedProcess(command, 0, stdout='')
    monkeypatch.setattr(subprocess, 'run', fake_run)
    monkeypatch.setenv(packager.PIP_ARGS_ENV_VAR, '--no-index --find-links "/a b"')
    packager_obj = Packager('/proj', pip_args=['--pre'])
    runner = PipRunner('/proj', packager_obj._pip_args, RecordingUI())
    assert runner.run(['download', 'x']) == (True, '')
    command, cwd = seen[0]
    assert command[1:5] == ['-m', 'pip', 'download', 'x']
    assert command[-4:] == ['--no-index', '--find-links', '/a b', '--pre']
    assert cwd == '/proj'
