"""``chalice deploy`` against an in-process moto server: API calls and wall time.

Run: ``python benchmarks/bench_deploy.py`` (``--quick``: one run of each).

moto is served from a thread of this process (``tests.integration.moto_support``
with its shims); every AWS request of the ``chalice`` subprocess goes through
its fault injector, which here only logs the requests.  Reported, for

(a) the new-project hello-world app and
(b) an app with 10 routes and 3 pure Lambda functions:

* the first deploy (moto reset and the project's state and package cache
  removed before each run) and
* a no-op redeploy (nothing changed: must make zero mutating calls),

the number of AWS requests (total / mutating) and the wall time of the CLI
subprocess (median of 3).  Then, for an app with two requirements served
from a local wheelhouse (``CHALICE_PIP_EXTRA_ARGS='--no-index --find-links
DIR'``), the in-process deployment package rebuild time with nothing changed
(median of 5; target < 0.2 s), and whether pip runs when only ``app.py``
changed (it must not).
"""
import base64
import hashlib
import os
import shutil
import statistics
import sys
import tempfile
import time
import zipfile

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))
sys.path.insert(0, ROOT)

from tests.integration.moto_support import (  # noqa: E402
    MotoServer,
    aws_environment,
    make_project,
    run_chalice,
)

QUICK = '--quick' in sys.argv
RUNS = 1 if QUICK else 3
PACKAGE_RUNS = 2 if QUICK else 5
PACKAGE_TARGET = 0.2

HELLO_APP = '''\
from chalice import Chalice

app = Chalice(app_name='{name}')


@app.route('/')
def index():
    return {{'hello': 'world'}}
'''


def many_app(name):
    routes = ['/', '/a', '/a/{x}', '/a/{x}/b', '/c', '/c/{y}', '/d', '/d/e/f', '/g/{z}', '/h']
    source = 'from chalice import Chalice\n\napp = Chalice(app_name=%r)\n\n' % name
    for index, path in enumerate(routes):
        params = ', '.join(p[1:-1] for p in path.split('/') if p.startswith('{'))
        source += ('\n@app.route(%r)\ndef view_%d(%s):\n    return {}\n\n' % (path, index, params))
    for fn in ('alpha', 'beta', 'gamma'):
        source += ('\n@app.lambda_function()\ndef %s(event, context):\n    return {}\n\n' % fn)
    return source


# --------------------------------------------------------------------------
# deploys
# --------------------------------------------------------------------------

def timed_deploy(server, project, env):
    server.fault_injector.arm()
    start = time.perf_counter()
    result = run_chalice(project, 'deploy', env=env, timeout=300)
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        raise SystemExit('deploy failed:\n%s\n%s' % (result.stdout, result.stderr))
    calls = server.fault_injector.calls
    return elapsed, len(calls), sum(1 for c in calls if c.mutating)


def forget_deployment(project):
    for sub in ('deployed', 'deployments'):
        shutil.rmtree(os.path.join(str(project), '.chalice', sub), ignore_errors=True)


def bench_app(server, env, label, project):
    first = []
    for _ in range(RUNS):
        server.reset()
        forget_deployment(project)
        first.append(timed_deploy(server, project, env))
    noop = [timed_deploy(server, project, env) for _ in range(RUNS)]
    rows = []
    for kind, runs in (('first deploy', first), ('no-op redeploy', noop)):
        counts = {(total, mutating) for _, total, mutating in runs}
        total, mutating = sorted(counts)[-1]
        rows.append((label, kind, total, mutating,
                     statistics.median(t for t, _, _ in runs),
                     '' if len(counts) == 1 else 'varied: %s' % sorted(counts)))
    return rows


# --------------------------------------------------------------------------
# package rebuilds
# --------------------------------------------------------------------------

def write_wheel(directory, name, files):
    dist_info = '%s-1.0.dist-info' % name
    files = dict(files)
    files[dist_info + '/METADATA'] = 'Metadata-Version: 2.1\nName: %s\nVersion: 1.0\n' % name
    files[dist_info + '/WHEEL'] = ('Wheel-Version: 1.0\nRoot-Is-Purelib: true\n'
                                   'Tag: py3-none-any\n')
    record = ''
    for path, text in sorted(files.items()):
        data = text.encode('utf-8')
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b'=')
        record += '%s,sha256=%s,%d\n' % (path, digest.decode('ascii'), len(data))
    files[dist_info + '/RECORD'] = record + dist_info + '/RECORD,,\n'
    path = os.path.join(directory, '%s-1.0-py3-none-any.whl' % name)
    with zipfile.ZipFile(path, 'w', zipfile.ZIP_DEFLATED) as zf:
        for arcname, text in sorted(files.items()):
            zf.writestr(arcname, text)


def bench_package(workdir):
    from chalice.config import lambda_python_version
    from chalice.deploy import packager

    wheels = os.path.join(workdir, 'wheels')
    os.makedirs(wheels)
    write_wheel(wheels, 'benchone', {'benchone/__init__.py': 'ONE = 1\n' * 500})
    write_wheel(wheels, 'benchtwo', {'benchtwo/mod%d.py' % i: 'X = %d\n' % i * 200
                                     for i in range(40)})
    project = make_project(workdir, HELLO_APP.format(name='pkg'), app_name='pkg',
                           requirements='benchone==1.0\nbenchtwo==1.0\n')
    os.environ[packager.PIP_ARGS_ENV_VAR] = '--no-index --find-links %s' % wheels
    os.environ['PIP_CONFIG_FILE'] = os.devnull

    pip_runs = []
    original = packager.PipRunner.run

    def counting_run(self, args):
        pip_runs.append(list(args))
        return original(self, args)

    packager.PipRunner.run = counting_run
    runtime = lambda_python_version()

    class QuietUI:
        def warning(self, msg):
            print('warning: ' + msg, file=sys.stderr)

        def debug(self, msg):
            pass

    def build():
        start = time.perf_counter()
        result = packager.create_deployment_package(str(project), runtime, ui=QuietUI())
        return time.perf_counter() - start, result

    try:
        first_time, first = build()
        with zipfile.ZipFile(first.path) as zf:
            names = set(zf.namelist())
        if not {'benchone/__init__.py', 'benchtwo/mod0.py'} <= names:
            raise SystemExit('the dependencies did not make it into the package')
        pip_first = len(pip_runs)
        rebuilds = [build() for _ in range(PACKAGE_RUNS)]
        if len({r.sha256 for _, r in rebuilds} | {first.sha256}) != 1:
            raise SystemExit('rebuilding with nothing changed gave a different zip')
        del pip_runs[:]
        app_py = os.path.join(str(project), 'app.py')
        with open(app_py, 'a') as f:
            f.write('\n# edited\n')
        edit_time, edited = build()
        pip_after_edit = len(pip_runs)
    finally:
        packager.PipRunner.run = original
    return {
        'first_build': first_time, 'pip_runs_first': pip_first,
        'rebuild_median': statistics.median(t for t, _ in rebuilds),
        'edit_build': edit_time, 'pip_runs_after_edit': pip_after_edit,
        'changed_zip': edited.sha256 != first.sha256,
    }


# --------------------------------------------------------------------------

def main():
    workdir = tempfile.mkdtemp(prefix='bench-deploy-')
    server = MotoServer(host='127.0.0.1', port=0).start()
    server.configure()
    env = aws_environment(server.endpoint_url)
    # boto3 in this process (none is used, but be safe) talks only to moto.
    for key in ('AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN',
                'AWS_DEFAULT_REGION', 'AWS_ENDPOINT_URL', 'AWS_EC2_METADATA_DISABLED'):
        os.environ[key] = env[key]
    try:
        created = run_chalice(workdir, 'new-project', 'hello', env=env)
        if created.returncode != 0:
            raise SystemExit('new-project failed: %s' % created.stderr)
        hello = os.path.join(workdir, 'hello')
        many = make_project(os.path.join(workdir, 'm'), many_app('many'), app_name='many')
        # Warm moto's backends so the first measured run is not charged for them.
        timed_deploy(server, make_project(os.path.join(workdir, 'w'),
                                          HELLO_APP.format(name='warm'), app_name='warm'),
                     env)
        rows = bench_app(server, env, '(a) hello world', hello)
        rows += bench_app(server, env, '(b) 10 routes + 3 lambdas', many)
        package = bench_package(os.path.join(workdir, 'pkg'))
    finally:
        server.stop()
        shutil.rmtree(workdir, ignore_errors=True)

    print('chalice deploy against moto (median of %d runs, wall time of the CLI process)'
          % RUNS)
    print('%-27s %-15s %6s %9s %9s' % ('app', 'run', 'calls', 'mutating', 'seconds'))
    for label, kind, total, mutating, seconds, note in rows:
        print('%-27s %-15s %6d %9d %9.2f %s' % (label, kind, total, mutating, seconds, note))
    print()
    print('deployment package, two requirements (local wheels)')
    print('  first build (pip resolves):        %.3f s, pip runs: %d'
          % (package['first_build'], package['pip_runs_first']))
    print('  rebuild, nothing changed (med. %d): %.3f s (target < %.1f s)'
          % (PACKAGE_RUNS, package['rebuild_median'], PACKAGE_TARGET))
    print('  build after editing app.py:        %.3f s, pip runs: %d, new zip: %s'
          % (package['edit_build'], package['pip_runs_after_edit'], package['changed_zip']))
    problems = []
    if any(kind == 'no-op redeploy' and mutating for _, kind, _, mutating, _, _ in rows):
        problems.append('a no-op redeploy made mutating calls')
    if package['pip_runs_after_edit']:
        problems.append('pip ran after editing app.py')
    if package['rebuild_median'] >= PACKAGE_TARGET:
        problems.append('package rebuild slower than %.1f s' % PACKAGE_TARGET)
    for problem in problems:
        print('FAIL: ' + problem)
    return 1 if problems else 0


if __name__ == '__main__':
    sys.exit(main())
