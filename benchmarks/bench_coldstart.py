"""Cold start: import chalice, build the app, first invoke, in fresh processes.

Run: ``python benchmarks/bench_coldstart.py`` (``--quick`` for fewer rounds,
``--compare-venv PATH`` to run the same projects against another chalice
installation side by side, ``--json`` for machine-readable output).

For apps of 10, 100 and 1,000 routes (``app.py`` written as a user would:
one decorated function per route) each round starts a fresh interpreter
that times, in process:

* ``import``: ``from chalice import Chalice``;
* ``build``: ``import app`` (runs every decorator);
* ``first invoke``: ``app(event, context)`` for a GET of the last route.

Two ways of running:

``venv``
    chalice installed in a venv (this checkout on ``PYTHONPATH``), the
    project directory writable, so ``.pyc`` files are cached after the
    first (warm-up) run, as on a developer machine or a container image.
``zip``
    what Lambda runs: the project is packaged with that side's own
    ``chalice package``, the ``deployment.zip`` is extracted and run with
    ``python -I -S -B`` (no site-packages, nothing written), as from the
    read-only ``/var/task``.  The package is used as built: ours carries
    checked-hash ``.pyc`` files for ``app.py``, ``chalicelib/``,
    ``vendor/`` and the chalice runtime when the Python running chalice is
    the runtime's version (it is here: the runtime follows the local
    Python); AWS Chalice 1.34 ships none, so it compiles every module on
    every cold start.
``zip+pyc`` (with ``--zip-bytecode``)
    the same package with checked-hash ``.pyc`` files compiled next to
    every module of it (``compileall``, dependencies included), for both
    sides: the bound of what bytecode can save, and what AWS Chalice would
    gain from shipping it.  For ours it should match ``zip``.

Before the clock starts the child imports ``json``, ``logging`` and
``traceback``: the Lambda Python runtime has done so (it installs a logging
handler) before it imports the handler's module.

Targets (issue 12): total <= 0.6x of AWS Chalice 1.34's, every size, both
ways; the first invoke no slower than Chalice's.  Figures are medians of
interleaved rounds; the CPU time of the child is printed too, being less
disturbed by other load on a shared machine than wall time.  With
``--instructions`` every phase is instead counted in instructions under
valgrind's callgrind (deterministic, so one run is enough; needs valgrind).
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import _compare  # noqa: E402
import _workloads  # noqa: E402

SIZES = (10, 100, 1000)
PHASES = ('import_ms', 'build_ms', 'first_invoke_ms', 'total_ms', 'total_cpu_ms')
CONFIG = {'version': '2.0', 'app_name': 'coldbench',
          'stages': {'dev': {'api_gateway_stage': 'api'}}}


def write_project(directory, routes):
    os.makedirs(os.path.join(directory, '.chalice'))
    with open(os.path.join(directory, 'app.py'), 'w') as stream:
        stream.write(_workloads.app_source(routes))
    with open(os.path.join(directory, 'requirements.txt'), 'w'):
        pass
    with open(os.path.join(directory, '.chalice', 'config.json'), 'w') as stream:
        json.dump(CONFIG, stream)
    write_event(directory, routes)


def write_event(directory, routes):
    with open(os.path.join(directory, 'bench_event.json'), 'w') as stream:
        json.dump(_workloads.last_route_event(routes), stream)


def package(side, project, out_dir):
    """Run the side's own ``chalice package``; return the extracted directory."""
    env = side.env()
    env.setdefault('AWS_ACCESS_KEY_ID', 'benchmark')
    env.setdefault('AWS_SECRET_ACCESS_KEY', 'benchmark')
    env['AWS_EC2_METADATA_DISABLED'] = 'true'
    proc = subprocess.run(side.chalice_command() + ['package', out_dir], cwd=project,
                          env=env, capture_output=True, text=True, timeout=600)
    if proc.returncode != 0:
        raise RuntimeError('%s: chalice package failed:\n%s' % (side.label, proc.stderr))
    extracted = out_dir + '-extracted'
    with zipfile.ZipFile(os.path.join(out_dir, 'deployment.zip')) as archive:
        archive.extractall(extracted)
    return extracted


def compile_bytecode(side, directory):
    """Checked-hash .pyc files for every module of an extracted package."""
    copy = directory + '-pyc'
    shutil.copytree(directory, copy)
    subprocess.run([side.python, '-I', '-S', '-m', 'compileall', '-q',
                    '--invalidation-mode', 'checked-hash', copy],
                   check=True, env=side.env(), capture_output=True, timeout=600)
    return copy


class Case:
    def __init__(self, side, mode, routes, directory):
        self.side = side
        self.mode = mode
        self.routes = routes
        self.directory = directory
        self.results = []

    def _command(self):
        if self.mode.startswith('zip'):
            return ('-I', '-S', '-B'), self.side.env(write_bytecode=False)
        return (), self.side.env()

    def run(self):
        flags, env = self._command()
        result = self.side.run_json(
            [_compare.WORKLOADS, 'cold', self.directory], cwd=self.directory,
            python_flags=flags, env=env)
        if self.mode.startswith('zip') and \
                not result['chalice_file'].startswith(self.directory):
            raise RuntimeError('%s ran chalice from %s, not from the package'
                               % (self.side.label, result['chalice_file']))
        return result


    def instructions(self):
        """Instructions executed by each phase (callgrind; deterministic)."""
        flags, env = self._command()
        env['PYTHONHASHSEED'] = '0'
        counts = {}
        for until in ('start', 'import', 'build', 'first'):
            out = os.path.join(os.path.dirname(self.directory), 'callgrind.out')
            command = ['valgrind', '--tool=callgrind', '--callgrind-out-file=' + out,
                       self.side.python] + list(flags) + [
                           _compare.WORKLOADS, 'cold', self.directory, until]
            proc = subprocess.run(command, cwd=self.directory, env=env,
                                  capture_output=True, text=True, timeout=900)
            match = re.search(r'refs:\s+([\d,]+)', proc.stderr)
            if proc.returncode != 0 or match is None:
                raise RuntimeError('valgrind failed:\n' + proc.stderr[-2000:])
            counts[until] = int(match.group(1).replace(',', ''))
            os.remove(out)
        return {'import_mi': (counts['import'] - counts['start']) / 1e6,
                'build_mi': (counts['build'] - counts['import']) / 1e6,
                'first_invoke_mi': (counts['first'] - counts['build']) / 1e6,
                'total_mi': (counts['first'] - counts['start']) / 1e6}


def prepare(sides, work, bytecode=False):
    cases = []
    for routes in SIZES:
        source = os.path.join(work, 'project-%d' % routes)
        write_project(source, routes)
        for side in sides:
            venv_dir = os.path.join(work, '%s-venv-%d' % (side.label, routes))
            shutil.copytree(source, venv_dir)
            cases.append(Case(side, 'venv', routes, venv_dir))
            extracted = package(side, source, os.path.join(work, '%s-zip-%d'
                                                            % (side.label, routes)))
            write_event(extracted, routes)
            cases.append(Case(side, 'zip', routes, extracted))
            if bytecode:
                cases.append(Case(side, 'zip+pyc', routes, compile_bytecode(side, extracted)))
    for case in cases:
        case.run()  # warm-up: writes the venv .pyc files, fills the page cache
    return cases


def measure(sides, rounds, instructions=False, bytecode=False):
    work = tempfile.mkdtemp(prefix='chalice-coldstart-')
    try:
        cases = prepare(sides, work, bytecode)
        if instructions:
            return {'%s/%s/%d' % (case.side.label, case.mode, case.routes):
                    case.instructions() for case in cases}
        for index in range(rounds):
            ordered = cases if index % 2 == 0 else list(reversed(cases))
            for case in ordered:
                case.results.append(case.run())
    finally:
        shutil.rmtree(work, ignore_errors=True)
    summary = {}
    for case in cases:
        key = '%s/%s/%d' % (case.side.label, case.mode, case.routes)
        summary[key] = {phase: _compare.median([r[phase] for r in case.results])
                        for phase in PHASES}
    return summary


def _report(summary, sides, columns, fmt, title, ratio_columns):
    print(title)
    modes = sorted({key.split('/')[1] for key in summary}, key=('venv', 'zip', 'zip+pyc').index)
    for mode in modes:
        for routes in SIZES:
            rows = {side.label: summary['%s/%s/%d' % (side.label, mode, routes)]
                    for side in sides}
            cells = ['%s %s' % (label, fmt % tuple(row[c] for c in columns))
                     for label, row in rows.items()]
            line = '  %-7s %5d routes: %s' % (mode, routes, ' | '.join(cells))
            for index, column in enumerate(ratio_columns):
                ratios = _compare.ratio_text({label: row[column] for label, row in rows.items()})
                line += ratios if index == 0 or not ratios else ' (cpu:%s)' % ratios[2:]
            print(line)
    print('  (ratios: how many times faster ours is in total; '
          'target vs AWS Chalice 1.34: >= 1.67x, i.e. <= 0.6 of its time)')


def report(summary, sides):
    _report(summary, sides, ('import_ms', 'build_ms', 'first_invoke_ms', 'total_ms',
                             'total_cpu_ms'),
            '%.1f + %.1f + %.2f = %.1f (cpu %.1f)',
            'cold start, medians in ms: import + build + first invoke = total (CPU); '
            'ratios on wall time, then on CPU time', ('total_ms', 'total_cpu_ms'))


def report_instructions(summary, sides):
    _report(summary, sides, ('import_mi', 'build_mi', 'first_invoke_mi', 'total_mi'),
            '%.1f + %.1f + %.2f = %.1f',
            'cold start, millions of instructions (callgrind): '
            'import + build + first invoke = total', ('total_mi',))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--rounds', type=int, default=9, help='rounds (default 9)')
    parser.add_argument('--quick', action='store_true', help='3 rounds')
    parser.add_argument('--json', action='store_true', help='print the medians as JSON')
    parser.add_argument('--instructions', action='store_true',
                        help='count instructions per phase under valgrind instead of '
                             'timing (one run each; slow but unaffected by load)')
    parser.add_argument('--zip-bytecode', action='store_true',
                        help='also run each package with .pyc files compiled in (zip+pyc)')
    _compare.add_compare_argument(parser)
    args = parser.parse_args(argv)
    sides = _compare.sides_from(args)
    summary = measure(sides, 3 if args.quick else max(1, args.rounds), args.instructions,
                      args.zip_bytecode)
    if args.json:
        print(json.dumps(summary, indent=2, sort_keys=True))
    elif args.instructions:
        report_instructions(summary, sides)
    else:
        report(summary, sides)
    return 0


if __name__ == '__main__':
    sys.exit(main())
