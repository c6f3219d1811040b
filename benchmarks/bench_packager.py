"""Deployment package rebuild speed, offline.

Run: ``python benchmarks/bench_packager.py`` (add ``--quick`` for fewer rounds).

The app has ``app.py``, a small ``chalicelib/`` and two requirements: a pure
Python wheel (60 modules) and a manylinux wheel with a 2 MB extension.  Both
are written into a temporary wheelhouse; pip is pointed at it through the
``CHALICE_PIP_EXTRA_ARGS`` environment variable (``--no-index --find-links
DIR``) with the user's pip configuration switched off, so no network is used.

Each round uses a fresh project and builds it twice; reported:

1. the first build (pip resolves the two requirements);
2. the second build with nothing changed -- median over the rounds, plus the
   median of repeated rebuilds in one process and the time of one rebuild
   in a fresh interpreter (import of the packager included).  Target: < 0.2 s;
3. a build after editing ``app.py``: its time, and the number of pip
   subprocesses it started (must be 0).
"""
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..')
sys.path.insert(0, ROOT)

from chalice.deploy import packager  # noqa: E402

QUICK = '--quick' in sys.argv
ROUNDS = 3 if QUICK else 7
REPEATS = 10 if QUICK else 30
TARGET_SECONDS = 0.2


def write_wheel(directory, name, tag, files):
    dist_info = '%s-1.0.dist-info' % name
    files = dict(files)
    files[dist_info + '/METADATA'] = 'Metadata-Version: 2.1\nName: %s\nVersion: 1.0\n' % name
    files[dist_info + '/WHEEL'] = 'Wheel-Version: 1.0\nRoot-Is-Purelib: false\n'
    files[dist_info + '/RECORD'] = ''
    with zipfile.ZipFile(os.path.join(directory, '%s-1.0-%s.whl' % (name, tag)), 'w',
                         zipfile.ZIP_DEFLATED) as zf:
        for arcname, data in files.items():
            zf.writestr(arcname, data)


def make_wheelhouse(directory):
    pure = {'benchpure/mod%02d.py' % i: ('def f%d(x):\n    return x * %d\n' % (i, i)) * 200
            for i in range(60)}
    pure['benchpure/__init__.py'] = ''
    write_wheel(directory, 'benchpure', 'py3-none-any', pure)
    write_wheel(directory, 'benchnative', 'cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64',
                {'benchnative/__init__.py': 'from ._core import *\n',
                 'benchnative/_core.so': os.urandom(2 * 1024 * 1024)})


def make_project(directory):
    os.makedirs(os.path.join(directory, 'chalicelib'))
    with open(os.path.join(directory, 'app.py'), 'w') as f:
        f.write('from chalice import Chalice\n\napp = Chalice(app_name="bench")\n\n\n'
                '@app.route("/")\ndef index():\n    return {"hello": "world"}\n')
    for i in range(10):
        with open(os.path.join(directory, 'chalicelib', 'm%d.py' % i), 'w') as f:
            f.write('VALUE = %d\n' % i * 50)
    with open(os.path.join(directory, 'requirements.txt'), 'w') as f:
        f.write('benchpure==1.0\nbenchnative==1.0\n')


class QuietUI:
    def warning(self, msg):
        print('warning: ' + msg, file=sys.stderr)

    def debug(self, msg):
        pass


def timed_build(project):
    start = time.perf_counter()
    result = packager.create_deployment_package(project, 'python3.11', 'x86_64', ui=QuietUI())
    return time.perf_counter() - start, result


def fresh_process_build(project):
    code = ('import sys, time; sys.path.insert(0, %r); start = time.perf_counter(); '
            'from chalice.deploy.packager import create_deployment_package; '
            'create_deployment_package(%r); print(time.perf_counter() - start)'
            % (ROOT, project))
    out = subprocess.run([sys.executable, '-c', code], check=True, capture_output=True,
                         text=True).stdout
    return float(out.strip().splitlines()[-1])


def main():
    for name in [n for n in os.environ if n.startswith('PIP_')]:
        del os.environ[name]
    os.environ['PIP_CONFIG_FILE'] = os.devnull
    work = tempfile.mkdtemp(prefix='bench-packager-')
    pip_calls = []
    real_run = subprocess.run

    def counting_run(command, *args, **kwargs):
        # Every module of the packager calls subprocess.run through the
        # module; only pip's runs are counted (not the bytecode compiler's).
        if 'pip' in command:
            pip_calls.append(command)
        return real_run(command, *args, **kwargs)

    subprocess.run = counting_run
    try:
        wheelhouse = os.path.join(work, 'wheelhouse')
        os.makedirs(wheelhouse)
        make_wheelhouse(wheelhouse)
        os.environ[packager.PIP_ARGS_ENV_VAR] = '--no-index --find-links %s' % wheelhouse
        first, second, edited, edit_calls = [], [], [], []
        for i in range(ROUNDS):
            project = os.path.join(work, 'proj%d' % i)
            make_project(project)
            seconds, result = timed_build(project)
            first.append(seconds)
            seconds, again = timed_build(project)
            assert again.sha256 == result.sha256
            second.append(seconds)
            with open(os.path.join(project, 'app.py'), 'a') as f:
                f.write('# edit %d\n' % i)
            before = len(pip_calls)
            seconds, _ = timed_build(project)
            edited.append(seconds)
            edit_calls.append(len(pip_calls) - before)
        repeats = [timed_build(project)[0] for _ in range(REPEATS)]
        fresh = fresh_process_build(project)
        print('deployment package: %d files, %.2f MB zipped' % (
            len(zipfile.ZipFile(result.path).namelist()), result.size / 1048576))
        print('first build (pip resolves 2 requirements): median %.3f s over %d rounds'
              % (statistics.median(first), ROUNDS))
        print('second build, nothing changed:              median %.4f s over %d rounds'
              % (statistics.median(second), ROUNDS))
        print('  repeated no-change rebuilds in-process:   median %.4f s over %d'
              % (statistics.median(repeats), REPEATS))
        print('  one no-change rebuild in a fresh process: %.4f s (imports included)' % fresh)
        print('after editing app.py:                       median %.4f s, pip calls: %s'
              % (statistics.median(edited), edit_calls))
        ok = statistics.median(second) < TARGET_SECONDS and not any(edit_calls)
        print('target (< %.1f s unchanged, no pip after editing app.py): %s'
              % (TARGET_SECONDS, 'met' if ok else 'MISSED'))
        return 0 if ok else 1
    finally:
        subprocess.run = real_run
        shutil.rmtree(work, ignore_errors=True)


if __name__ == '__main__':
    sys.exit(main())
