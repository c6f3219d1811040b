"""Dependency resolution with a real pip, offline, against a local wheelhouse.

Every package here is made up and built into a temporary directory by this
module: wheels are written directly with :mod:`zipfile`, and sdists carry a
tiny in-tree PEP 517 backend (``requires = []``) so pip can build them with
no index at all.  pip is pointed at the wheelhouse with ``--no-index
--find-links``, and the user's pip configuration is switched off.
"""
import base64
import hashlib
import io
import os
import subprocess
import tarfile
import textwrap
import zipfile

import pytest

from chalice.deploy import bytecode, packager, pip_resolver
from chalice.deploy.packager import create_deployment_package, create_layer_package

BACKEND = '''\
import base64, hashlib, os, zipfile

NAME = {name!r}
VERSION = {version!r}
TAG = {tag!r}
REQUIRES = {requires!r}
DIST_INFO = '%s-%s.dist-info' % (NAME, VERSION)


def _metadata():
    lines = ['Metadata-Version: 2.1', 'Name: ' + NAME, 'Version: ' + VERSION]
    lines += ['Requires-Dist: ' + r for r in REQUIRES]
    return '\\n'.join(lines) + '\\n'


def _wheel_file():
    return 'Wheel-Version: 1.0\\nGenerator: test\\nRoot-Is-Purelib: true\\nTag: %s\\n' % TAG


def prepare_metadata_for_build_wheel(metadata_directory, config_settings=None):
    path = os.path.join(metadata_directory, DIST_INFO)
    os.makedirs(path)
    with open(os.path.join(path, 'METADATA'), 'w') as f:
        f.write(_metadata())
    with open(os.path.join(path, 'WHEEL'), 'w') as f:
        f.write(_wheel_file())
    return DIST_INFO


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    filename = '%s-%s-%s.whl' % (NAME, VERSION, TAG)
    files = {{}}
    for root, _, names in os.walk(NAME):
        for name in names:
            with open(os.path.join(root, name), 'rb') as f:
                files[os.path.join(root, name).replace(os.sep, '/')] = f.read()
    files[DIST_INFO + '/METADATA'] = _metadata().encode()
    files[DIST_INFO + '/WHEEL'] = _wheel_file().encode()
    record = []
    for path, data in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b'=')
        record.append('%s,sha256=%s,%d' % (path, digest.decode(), len(data)))
    record.append(DIST_INFO + '/RECORD,,')
    files[DIST_INFO + '/RECORD'] = ('\\n'.join(record) + '\\n').encode()
    with zipfile.ZipFile(os.path.join(wheel_directory, filename), 'w') as zf:
        for path, data in files.items():
            zf.writestr(path, data)
    return filename
'''


def make_wheel(directory, name, version, tag, files, requires=()):
    """Write ``<name>-<version>-<tag>.whl`` holding ``files`` plus its metadata."""
    dist_info = '%s-%s.dist-info' % (name, version)
    contents = dict(files)
    contents[dist_info + '/METADATA'] = 'Metadata-Version: 2.1\nName: %s\nVersion: %s\n%s' % (
        name, version, ''.join('Requires-Dist: %s\n' % r for r in requires))
    contents[dist_info + '/WHEEL'] = 'Wheel-Version: 1.0\nRoot-Is-Purelib: false\n'
    contents[dist_info + '/RECORD'] = ''
    path = os.path.join(directory, '%s-%s-%s.whl' % (name, version, tag))
    with zipfile.ZipFile(path, 'w') as zf:
        for arcname, data in contents.items():
            zf.writestr(arcname, data)
    return path


def make_sdist(directory, name, version, tag='py3-none-any', requires=(), source='X = 1\n'):
    """Write ``<name>-<version>.tar.gz``; building it gives a wheel tagged ``tag``."""
    base = '%s-%s' % (name, version)
    members = {
        'pyproject.toml': textwrap.dedent('''\
            [build-system]
            requires = []
            build-backend = "backend"
            backend-path = ["."]
            '''),
        'PKG-INFO': 'Metadata-Version: 2.1\nName: %s\nVersion: %s\n' % (name, version),
        'backend.py': BACKEND.format(name=name, version=version, tag=tag,
                                     requires=list(requires)),
        '%s/__init__.py' % name: source,
    }
    path = os.path.join(directory, base + '.tar.gz')
    with tarfile.open(path, 'w:gz') as tar:
        for arcname, text in members.items():
            data = text.encode()
            info = tarfile.TarInfo('%s/%s' % (base, arcname))
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


@pytest.fixture(scope='module')
def wheelhouse(tmp_path_factory):
    house = str(tmp_path_factory.mktemp('wheelhouse'))
    make_wheel(house, 'purewheel', '1.0', 'py3-none-any',
               {'purewheel/__init__.py': 'PURE = True\n'})
    make_wheel(house, 'purewheel', '2.0', 'py3-none-any',
               {'purewheel/__init__.py': 'PURE = 2\n'})
    for machine in ('x86_64', 'aarch64'):
        make_wheel(house, 'fastpkg', '1.0',
                   'cp311-cp311-manylinux_2_17_%s.manylinux2014_%s' % (machine, machine),
                   {'fastpkg/__init__.py': 'MACHINE = %r\n' % machine,
                    'fastpkg/_speedups.so': b'\x7fELF fake ' + machine.encode()})
    make_wheel(house, 'fastpkg', '1.0', 'cp312-cp312-manylinux_2_28_x86_64',
               {'fastpkg/__init__.py': 'MACHINE = "py312"\n'})
    make_wheel(house, 'macpkg', '1.0', 'cp311-cp311-macosx_11_0_arm64',
               {'macpkg/__init__.py': ''})
    make_wheel(house, 'withdeps', '1.0', 'py3-none-any', {'withdeps/__init__.py': ''},
               requires=['puresdist>=1.0', 'macpkg; sys_platform == "darwin"'])
    make_wheel(house, 'datapkg', '1.0', 'py3-none-any', {
        'datapkg.data/purelib/datapkg/__init__.py': 'OK = 1\n',
        'datapkg.data/scripts/run-me': '#!/bin/sh\n',
    })
    make_sdist(house, 'puresdist', '1.0', source='FROM_SDIST = True\n')
    make_sdist(house, 'cextsdist', '1.0', tag='cp311-cp311-linux_x86_64')
    return house


@pytest.fixture
def offline_pip(monkeypatch, wheelhouse):
    """Hermetic pip: no user config, no index; count the pip commands run."""
    for name in list(os.environ):
        if name.startswith('PIP_'):
            monkeypatch.delenv(name)
    monkeypatch.setenv('PIP_CONFIG_FILE', os.devnull)
    monkeypatch.setenv(packager.PIP_ARGS_ENV_VAR, '--no-index --find-links %s' % wheelhouse)
    calls = []
    real_run = subprocess.run

    def counting_run(command, *args, **kwargs):
        if bytecode.COMPILE_SCRIPT not in command:  # the packager's bytecode compiler
            calls.append(command)
        return real_run(command, *args, **kwargs)

    monkeypatch.setattr(subprocess, 'run', counting_run)
    return calls


class RecordingUI:
    def __init__(self):
        self.warnings = []
        self.debugs = []

    def warning(self, msg):
        self.warnings.append(msg)

    def debug(self, msg):
        self.debugs.append(msg)


def make_project(tmp_path, requirements, app_source='from chalice import Chalice\n'):
    project = tmp_path / 'proj'
    project.mkdir()
    (project / 'app.py').write_text(app_source)
    (project / 'requirements.txt').write_text(requirements)
    return str(project)


def zip_files(path):
    with zipfile.ZipFile(path) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


def test_wheels_for_the_target_layer_and_cache_reuse(tmp_path, offline_pip):
    project = make_project(tmp_path, textwrap.dedent('''\
        purewheel==1.0  # pinned
        fastpkg
        datapkg
        macpkg; sys_platform == "darwin"
        cextsdist; python_version >= "3.12"
        '''))
    ui = RecordingUI()
    first = create_deployment_package(project, 'python3.11', 'x86_64', ui=ui)
    assert len(offline_pip) == 1
    download = offline_pip[0]
    assert download[1:4] == ['-m', 'pip', 'download']
    assert '--only-binary=:all:' in download
    assert 'manylinux2014_x86_64' in download and 'manylinux_2_26_x86_64' in download
    assert 'manylinux_2_27_x86_64' not in download
    files = zip_files(first.path)
    assert files['purewheel/__init__.py'] == b'PURE = True\n'
    assert files['fastpkg/__init__.py'] == b"MACHINE = 'x86_64'\n"
    assert 'fastpkg/_speedups.so' in files
    assert 'fastpkg-1.0.dist-info/METADATA' in files
    # purelib from the .data directory lands at the top; scripts are dropped.
    assert files['datapkg/__init__.py'] == b'OK = 1\n'
    assert not any('run-me' in n or '.data/' in n for n in files)
    # Markers are evaluated for Lambda, not for this machine.
    assert not any(n.startswith(('macpkg', 'cextsdist')) for n in files)
    assert 'app.py' in files and 'chalice/app.py' in files
    assert ui.warnings == []
    raw = open(first.path, 'rb').read()
    assert first.sha256 == hashlib.sha256(raw).hexdigest()
    assert first.code_sha256 == base64.b64encode(hashlib.sha256(raw).digest()).decode()
    assert first.size == len(raw)

    again = create_deployment_package(project, 'python3.11', 'x86_64', ui=ui)
    assert again == first
    with open(os.path.join(project, 'app.py'), 'a') as f:
        f.write('# edited\n')
    edited = create_deployment_package(project, 'python3.11', 'x86_64', ui=ui)
    assert len(offline_pip) == 1, 'editing app.py must not run pip'
    assert edited.sha256 != first.sha256
    assert zip_files(edited.path)['fastpkg/__init__.py'] == b"MACHINE = 'x86_64'\n"

    # automatic_layer: the same cached dependencies, under python/.
    out = str(tmp_path / 'out')
    layer = create_layer_package(project, 'python3.11', 'x86_64', output_dir=out, ui=ui)
    assert layer.path == os.path.join(out, 'layer-deployment.zip')
    names = set(zip_files(layer.path))
    assert {'python/purewheel/__init__.py', 'python/fastpkg/_speedups.so'} <= names
    assert all(n.startswith('python/') for n in names)
    app = create_deployment_package(project, 'python3.11', 'x86_64',
                                    include_dependencies=False, output_dir=out, ui=ui)
    assert app.path == os.path.join(out, 'deployment.zip')
    assert not any(n.startswith(('purewheel', 'fastpkg')) for n in zip_files(app.path))
    assert len(offline_pip) == 1

    with open(os.path.join(project, 'requirements.txt'), 'w') as f:
        f.write('purewheel\n')
    changed = create_deployment_package(project, 'python3.11', 'x86_64', ui=ui)
    assert len(offline_pip) == 2
    files = zip_files(changed.path)
    assert files['purewheel/__init__.py'] == b'PURE = 2\n'
    assert 'fastpkg/__init__.py' not in files


def test_arm64_and_newer_runtime_pick_their_own_wheels(tmp_path, offline_pip):
    project = make_project(tmp_path, 'fastpkg==1.0\n')
    arm = create_deployment_package(project, 'python3.11', 'arm64', ui=RecordingUI())
    assert zip_files(arm.path)['fastpkg/__init__.py'] == b"MACHINE = 'aarch64'\n"
    assert 'manylinux2014_aarch64' in offline_pip[0]
    py312 = create_deployment_package(project, 'python3.12', 'x86_64', ui=RecordingUI())
    assert zip_files(py312.path)['fastpkg/__init__.py'] == b'MACHINE = "py312"\n'
    assert len(offline_pip) == 2


def test_sdist_only_dependency_is_built_into_a_wheel(tmp_path, offline_pip):
    project = make_project(tmp_path, 'withdeps==1.0\n')
    ui = RecordingUI()
    result = create_deployment_package(project, 'python3.11', 'x86_64', ui=ui)
    files = zip_files(result.path)
    assert files['puresdist/__init__.py'] == b'FROM_SDIST = True\n'
    assert 'withdeps/__init__.py' in files
    assert 'macpkg/__init__.py' not in files
    assert ui.warnings == []
    # Download (fails on puresdist), build puresdist, download again.
    commands = [c[3] for c in offline_pip]
    assert commands == ['download', 'wheel', 'download']
    build = ' '.join(offline_pip[1])
    assert 'wheel --no-deps --no-binary :all:' in build


def test_packages_without_a_usable_wheel_are_named_in_a_warning(tmp_path, offline_pip):
    project = make_project(tmp_path, 'macpkg==1.0\ncextsdist==1.0\npurewheel==1.0\n')
    ui = RecordingUI()
    result = create_deployment_package(project, 'python3.11', 'x86_64', ui=ui)
    files = zip_files(result.path)
    assert 'purewheel/__init__.py' in files
    assert not any(n.startswith(('macpkg', 'cextsdist')) for n in files)
    [warning] = ui.warnings
    lines = warning.splitlines()
    assert lines[0] == 'Could not install dependencies:'
    assert lines[1:3] == ['macpkg==1.0', 'cextsdist==1.0']
    assert 'vendor/' in warning
    assert packager.PACKAGING_DOCS_URL in warning
    calls = len(offline_pip)

    # The result is cached: the warning comes back without running pip again.
    create_deployment_package(project, 'python3.11', 'x86_64', ui=ui)
    assert len(offline_pip) == calls
    assert len(ui.warnings) == 2 and 'macpkg==1.0' in ui.warnings[1]

    # Vendoring a package silences the warning about it.
    os.makedirs(os.path.join(project, 'vendor', 'macpkg'))
    create_deployment_package(project, 'python3.11', 'x86_64', ui=ui)
    assert 'macpkg' not in ui.warnings[2] and 'cextsdist==1.0' in ui.warnings[2]


@pytest.mark.parametrize('requirement, why', [
    ('purewhel==1.0', "'purewhel==1.0' (no release of that name)"),
    ('purewheel==9.9', "'purewheel==9.9' (no such version; it has 2.0, 1.0)"),
    ('no-such-thing', "'no-such-thing' (no release of that name)"),
])
def test_a_requirement_pip_cannot_find_at_all_is_an_error(tmp_path, offline_pip, requirement,
                                                          why):
    project = make_project(tmp_path, 'macpkg==1.0\n%s\nfastpkg\n' % requirement)
    ui = RecordingUI()
    with pytest.raises(packager.PackagingError) as excinfo:
        create_deployment_package(project, 'python3.11', 'x86_64', ui=ui)
    message = str(excinfo.value)
    assert excinfo.value.exit_code == 2
    assert message == (
        'requirements.txt: pip cannot find %s at all on the package index or the --find-links '
        'locations it was given. Fix the name or the version, then run the command again.' % why)
    # Only the unknown requirement is named; macpkg exists (for macOS only).
    assert 'macpkg' not in message
    assert ui.warnings == []
    # Nothing half-made is cached: fixing the line resolves again.
    assert not [n for n in os.listdir(os.path.join(project, '.chalice', 'deployments'))
                if n.startswith('deps-')]
    with open(os.path.join(project, 'requirements.txt'), 'w') as f:
        f.write('macpkg==1.0\npurewheel==1.0\n')
    result = create_deployment_package(project, 'python3.11', 'x86_64', ui=ui)
    assert 'purewheel/__init__.py' in zip_files(result.path)
    [warning] = ui.warnings
    assert warning.splitlines()[:2] == ['Could not install dependencies:', 'macpkg==1.0']


def test_several_unknown_requirements_are_named_together(tmp_path, offline_pip):
    project = make_project(tmp_path, 'purewheel>=3\nnopkg-a\n')
    with pytest.raises(packager.PackagingError) as excinfo:
        create_deployment_package(project, 'python3.11', 'x86_64', ui=RecordingUI())
    assert ("pip cannot find 'purewheel>=3' (no such version; it has 2.0, 1.0), 'nopkg-a' "
            "(no release of that name) at all" in str(excinfo.value))


def test_the_pip_log_is_read_for_every_file_of_the_project():
    """What pip -vv prints for links (find-links paths, index URLs, quoted names)."""
    output = '\n'.join([
        "Skipping link: none of the wheel's tags (cp311-cp311-macosx_11_0_arm64) are "
        "compatible (run pip debug --verbose to show compatible tags): "
        "file:///tmp/wh/macpkg-1.0-cp311-cp311-macosx_11_0_arm64.whl",
        'Skipping link: No sources permitted for macpkg: '
        'https://files.example/packages/ab/macpkg-0.9.tar.gz#sha256=00ff',
        'Found link https://files.example/macpkg-1.1%2Blocal-py3-none-any.whl '
        '(from https://index.example/simple/macpkg/), version: 1.1+local',
        'Found link file:///tmp/wh/macpkg-1.2-py3-none-any.whl, version: 1.2',
        'Skipping link: wrong project name (not macpkg): file:///tmp/wh/other-2.0.zip',
    ])
    found = sorted(pip_resolver._DIST_FILE_RE.findall(output))
    assert found == ['macpkg-0.9.tar.gz', 'macpkg-1.0-cp311-cp311-macosx_11_0_arm64.whl',
                     'macpkg-1.1%2Blocal-py3-none-any.whl', 'macpkg-1.2-py3-none-any.whl',
                     'other-2.0.zip']
