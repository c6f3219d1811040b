"""chalice's own packaging and Makefile: a clean wheel, a lean demo, a parallel test run."""
import os
import shutil
import subprocess
import sys
import zipfile

import chalice

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(chalice.__file__)))


def _copy_sources(destination):
    """The files a build reads, copied so that it writes nothing into the repository."""
    os.makedirs(destination)
    for name in ('setup.py', 'pyproject.toml', 'README.rst'):
        shutil.copy(os.path.join(REPO_ROOT, name), destination)
    shutil.copytree(os.path.join(REPO_ROOT, 'chalice'), os.path.join(destination, 'chalice'),
                    ignore=shutil.ignore_patterns('__pycache__', '*.pyc'))


def test_wheel_builds_without_setuptools_warnings(tmp_path):
    source = str(tmp_path / 'src')
    out = str(tmp_path / 'dist')
    _copy_sources(source)
    # The PEP 517 backend pip would call, with the venv's setuptools
    # (requirements-dev.txt asks for the one pyproject.toml asks for); no
    # network, and every Python warning shown.
    script = ('import setuptools.build_meta as backend, sys; '
              'print(backend.build_wheel(sys.argv[1]))')
    proc = subprocess.run([sys.executable, '-W', 'always', '-c', script, out], cwd=source,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    output = proc.stdout + proc.stderr
    warnings = [line for line in output.splitlines() if 'Warning' in line]
    assert warnings == []
    wheel = os.path.join(out, proc.stdout.strip().splitlines()[-1])
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
        metadata = zf.read('chalice-%s.dist-info/METADATA' % chalice.__version__).decode()
    templates = os.path.join(REPO_ROOT, 'chalice', 'templates')
    expected = set()
    for dirpath, dirnames, filenames in os.walk(templates):
        dirnames[:] = [d for d in dirnames if d != '__pycache__']
        for filename in filenames:
            if filename.endswith('.tmpl'):
                relative = os.path.relpath(os.path.join(dirpath, filename), REPO_ROOT)
                expected.add(relative.replace(os.sep, '/'))
    assert expected and expected <= names, sorted(expected - names)
    assert 'License-Expression: Apache-2.0' in metadata.splitlines()
    assert 'Classifier: License ::' not in metadata


def _make_dry_run(tmp_path, target):
    """What ``make -n TARGET`` would run from a fresh checkout (no .venv yet)."""
    work = tmp_path / 'checkout'
    work.mkdir()
    shutil.copy(os.path.join(REPO_ROOT, 'Makefile'), str(work))
    for name in ('setup.py', 'requirements-dev.txt'):
        (work / name).write_text('')
    # Run under `make test` too: the outer make's variables must not leak in.
    env = {name: value for name, value in os.environ.items()
           if name not in ('MAKEFLAGS', 'MFLAGS', 'MAKELEVEL', 'MAKEOVERRIDES', 'WORKERS')}
    proc = subprocess.run(['make', '--no-print-directory', '-n', target], cwd=str(work),
                          env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.splitlines()


def test_make_demo_installs_chalice_and_no_dev_tools(tmp_path):
    commands = _make_dry_run(tmp_path, 'demo')
    installs = [c for c in commands if 'pip install' in c and '--upgrade pip' not in c]
    assert installs == ['.venv/bin/python -m pip install --quiet -e .']
    assert not any('requirements-dev.txt' in c for c in commands)
    assert commands[-1] == 'cd demo/hello && ../../.venv/bin/chalice local'


def test_make_test_runs_everything_on_parallel_workers(tmp_path):
    commands = _make_dry_run(tmp_path, 'test')
    assert any('-r requirements-dev.txt' in c for c in commands)
    assert commands[-1] == ('.venv/bin/python -m pytest -q -p no:cacheprovider -n auto '
                            '--dist worksteal tests')
    with open(os.path.join(REPO_ROOT, 'requirements-dev.txt')) as f:
        requirements = f.read()
    for plugin in ('pytest-xdist', 'pytest-timeout', 'pytest-randomly'):
        assert plugin in requirements
