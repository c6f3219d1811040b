"""``chalice deploy`` against an in-process moto server: API calls and wall time.

Run: ``python benchmarks/bench_deploy.py`` (``--quick``: one run of each;
``--only-large``: only the 14-function app; ``--delay-ms N``: the per-call
delay of the latency runs, default 50; ``--compare-venv PATH``: also deploy
the 14-function app with the ``chalice`` of another virtualenv, e.g. one
holding AWS Chalice 1.34, as a black box against the same server).

moto is served from a thread of this process (``tests.integration.moto_support``
with its shims); every AWS request of the ``chalice`` subprocess goes through
its fault injector, which here only counts the requests and, for the
latency runs, makes each one wait a fixed time before moto serves it (as a
real endpoint's round trip would; requests made at the same time wait at the
same time).  Reported, for

(a) the new-project hello-world app,
(b) an app with 10 routes and 3 pure Lambda functions, and
(c) the 14-function app of ``tests/integration/aws_chalice_stage.py``
    (routes with a built-in authorizer, two schedules, a CloudWatch event
    pattern, SNS, SQS, S3, Kinesis, DynamoDB, three websocket handlers and a
    pure Lambda with a log retention), also with the per-call delay:

* the first deploy (moto reset, the app's event sources created again and
  the project's state and package cache removed before each run) and
* a no-op redeploy (nothing changed: must make zero mutating calls),

the number of AWS requests (total / mutating) and the wall time of the CLI
subprocess (median of the runs; the rounds of the two tools interleave).
Then, for an app with two requirements served
from a local wheelhouse (``CHALICE_PIP_EXTRA_ARGS='--no-index --find-links
DIR'``), the in-process deployment package rebuild time with nothing changed
(median of 5; target < 0.2 s), and whether pip runs when only ``app.py``
changed (it must not).
"""
import argparse
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

from tests.integration import aws_chalice_stage as large  # noqa: E402
from tests.integration.moto_support import (  # noqa: E402
    AWSClients,
    MotoServer,
    aws_environment,
    make_boto3_session,
    make_project,
    run_chalice,
    run_other_chalice,
)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--quick', action='store_true', help='one run of each')
    parser.add_argument('--only-large', action='store_true',
                        help='only the 14-function app')
    parser.add_argument('--delay-ms', type=float, default=50.0,
                        help='per-call delay of the latency runs (default 50)')
    parser.add_argument('--runs', type=int, default=None,
                        help='runs of each measurement (default 3, 1 with --quick)')
    parser.add_argument('--compare-venv', metavar='PATH', default=None,
                        help="a virtualenv whose bin/chalice deploys the 14-function app too")
    return parser.parse_args(argv)


ARGS = parse_args()
RUNS = ARGS.runs or (1 if ARGS.quick else 3)
PACKAGE_RUNS = 2 if ARGS.quick else 5
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

def timed_deploy(server, project, env, tool=None):
    """(seconds, calls, mutating calls) of one ``chalice deploy``.

    ``tool`` is the ``chalice`` executable of another virtualenv, run as a
    black box (None: this checkout's CLI).
    """
    server.fault_injector.arm()
    start = time.perf_counter()
    if tool is None:
        result = run_chalice(project, 'deploy', env=env, timeout=600)
    else:
        result = run_other_chalice(tool, project, 'deploy', env=env, timeout=600)
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        raise SystemExit('deploy failed:\n%s\n%s' % (result.stdout, result.stderr))
    calls = server.fault_injector.calls
    return elapsed, len(calls), sum(1 for c in calls if c.mutating)


def forget_deployment(project):
    for sub in ('deployed', 'deployments'):
        shutil.rmtree(os.path.join(str(project), '.chalice', sub), ignore_errors=True)


def summarise(label, kind, runs):
    counts = {(total, mutating) for _, total, mutating in runs}
    total, mutating = sorted(counts)[-1]
    return (label, kind, total, mutating, statistics.median(t for t, _, _ in runs),
            '' if len(counts) == 1 else 'varied: %s' % sorted(counts))


def bench_app(server, env, label, project):
    first = []
    for _ in range(RUNS):
        server.reset()
        forget_deployment(project)
        first.append(timed_deploy(server, project, env))
    noop = [timed_deploy(server, project, env) for _ in range(RUNS)]
    return [summarise(label, 'first deploy', first),
            summarise(label, 'no-op redeploy', noop)]


# --------------------------------------------------------------------------
# the 14-function app, side by side with another chalice
# --------------------------------------------------------------------------

class LargeApp:
    """The 14-function app, one project per tool, and its event sources."""

    def __init__(self, server, env, workdir, tools):
        self.server = server
        self.env = dict(env)
        self.clients = AWSClients(make_boto3_session(), server.endpoint_url)
        self.tools = tools  # label -> chalice executable or None (ours)
        self.projects = {
            label: make_project(os.path.join(workdir, 'large-%d' % index), large.APP_SOURCE,
                                config=large.CONFIG, app_name=large.APP_NAME)
            for index, label in enumerate(tools)}

    def fresh(self, label):
        """moto reset, the sources created again, the project's state removed."""
        self.server.fault_injector.set_delay(0)
        self.server.reset()
        large.create_user_resources(self.clients, self.env)
        forget_deployment(self.projects[label])

    def deploy(self, label, delay):
        self.server.fault_injector.set_delay(delay)
        try:
            return timed_deploy(self.server, self.projects[label], self.env,
                                self.tools[label])
        finally:
            self.server.fault_injector.set_delay(0)

    def measure(self, delay_seconds):
        """Rows for each tool: first deploy and no-op redeploy, without and with delay."""
        results = {}
        for _ in range(RUNS):
            for label in self.tools:
                for delay, suffix in ((0, ''), (delay_seconds, ', +%d ms/call'
                                                % round(delay_seconds * 1000))):
                    self.fresh(label)
                    first = self.deploy(label, delay)
                    noop = self.deploy(label, delay)
                    results.setdefault((label, 'first deploy' + suffix), []).append(first)
                    results.setdefault((label, 'no-op redeploy' + suffix), []).append(noop)
        return [summarise(label, kind, runs) for (label, kind), runs in results.items()]


def ratios(rows, ours, theirs):
    """Lines comparing ``ours`` with ``theirs`` for each kind of run."""
    by_key = {(label, kind): (total, mutating, seconds)
              for label, kind, total, mutating, seconds, _ in rows}
    lines = []
    for (label, kind), (total, mutating, seconds) in by_key.items():
        if label != ours or (theirs, kind) not in by_key:
            continue
        other_total, other_mutating, other_seconds = by_key[(theirs, kind)]
        lines.append('%-32s calls %5.2fx (%d vs %d), writes %d vs %d, time %5.2fx'
                     % (kind, total / other_total, total, other_total, mutating,
                        other_mutating, seconds / other_seconds))
    return lines


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
        rows, package = [], None
        if not ARGS.only_large:
            rows += bench_app(server, env, '(a) hello world', hello)
            rows += bench_app(server, env, '(b) 10 routes + 3 lambdas', many)
        tools = {'(c) 14 functions': None}
        if ARGS.compare_venv:
            tool = os.path.join(os.path.abspath(ARGS.compare_venv), 'bin', 'chalice')
            if not os.path.exists(tool):
                raise SystemExit('no chalice in %s' % ARGS.compare_venv)
            tools['(c) other chalice'] = tool
        large_rows = LargeApp(server, env, workdir, tools).measure(ARGS.delay_ms / 1000.0)
        rows += large_rows
        if not ARGS.only_large:
            package = bench_package(os.path.join(workdir, 'pkg'))
    finally:
        server.stop()
        shutil.rmtree(workdir, ignore_errors=True)

    print('chalice deploy against moto (median of %d runs, wall time of the CLI process)'
          % RUNS)
    print('%-27s %-30s %6s %9s %9s' % ('app', 'run', 'calls', 'mutating', 'seconds'))
    for label, kind, total, mutating, seconds, note in rows:
        print('%-27s %-30s %6d %9d %9.2f %s' % (label, kind, total, mutating, seconds, note))
    print()
    if ARGS.compare_venv:
        print('(c) this checkout / the chalice of %s' % ARGS.compare_venv)
        for line in ratios(large_rows, '(c) 14 functions', '(c) other chalice'):
            print('  ' + line)
        print()
    problems = []
    if any(kind.startswith('no-op redeploy') and mutating and label != '(c) other chalice'
           for label, kind, _, mutating, _, _ in rows):
        problems.append('a no-op redeploy made mutating calls')
    if package is None:
        for problem in problems:
            print('FAIL: ' + problem)
        return 1 if problems else 0
    print('deployment package, two requirements (local wheels)')
    print('  first build (pip resolves):        %.3f s, pip runs: %d'
          % (package['first_build'], package['pip_runs_first']))
    print('  rebuild, nothing changed (med. %d): %.3f s (target < %.1f s)'
          % (PACKAGE_RUNS, package['rebuild_median'], PACKAGE_TARGET))
    print('  build after editing app.py:        %.3f s, pip runs: %d, new zip: %s'
          % (package['edit_build'], package['pip_runs_after_edit'], package['changed_zip']))
    if package['pip_runs_after_edit']:
        problems.append('pip ran after editing app.py')
    if package['rebuild_median'] >= PACKAGE_TARGET:
        problems.append('package rebuild slower than %.1f s' % PACKAGE_TARGET)
    for problem in problems:
        print('FAIL: ' + problem)
    return 1 if problems else 0


if __name__ == '__main__':
    sys.exit(main())
