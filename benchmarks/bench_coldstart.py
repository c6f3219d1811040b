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
    read-only ``/var/task``: whatever ``.pyc`` files the zip does not
    carry are compiled on every cold start.

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


class Case:
    def __init__(self, side, mode, routes, directory):
        self.side = side
        self.mode = mode
        self.routes = routes
        self.directory = directory
        self.results = []

    def _command(self):
        if self.mode == 'zip':
            return ('-I', '-S', '-B'), self.side.env(write_bytecode=False)
        return (), self.side.env()

    def run(self):
        flags, env = self._command()
        result = self.side.run_json(
            [_compare.WORKLOADS, 'cold', self.directory], cwd=self.directory,
            python_flags=flags, env=env)
        if self.mode == 'zip' and not result['chalice_file'].startswith(self.directory):
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


def prepare(sides, work):
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
    for case in cases:
        case.run()  # warm-up: writes the venv .pyc files, fills the page cache
    return cases


def measure(sides, rounds, instructions=False):
    work = tempfile.mkdtemp(prefix='chalice-coldstart-')
    try:
        cases = prepare(sides, work)
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


def report(summary, sides):
    labels = [side.label for side in sides]
    print('cold start, medians in ms: import + build + first invoke = total (CPU total)')
    for mode in ('venv', 'zip'):
        for routes in SIZES:
            cells = []
            for label in labels:
                row = summary['%s/%s/%d' % (label, mode, routes)]
                cells.append('%s %5.1f + %6.1f + %5.2f = %6.1f (cpu %6.1f)' % (
                    label, row['import_ms'], row['build_ms'], row['first_invoke_ms'],
                    row['total_ms'], row['total_cpu_ms']))
            line = '  %-4s %5d routes: %s' % (mode, routes, ' | '.join(cells))
            if len(labels) > 1:
                ours = summary['ours/%s/%d' % (mode, routes)]
                theirs = summary['compare/%s/%d' % (mode, routes)]
                line += ' | ours/compare %.2fx (cpu %.2fx), first invoke %.2fx' % (
                    ours['total_ms'] / theirs['total_ms'],
                    ours['total_cpu_ms'] / theirs['total_cpu_ms'],
                    ours['first_invoke_ms'] / theirs['first_invoke_ms'])
            print(line)
    if len(labels) > 1:
        print('  (target: total <= 0.60x, first invoke <= 1.00x)')


def report_instructions(summary, sides):
    labels = [side.label for side in sides]
    print('cold start, millions of instructions (callgrind): '
          'import + build + first invoke = total')
    for mode in ('venv', 'zip'):
        for routes in SIZES:
            cells = []
            for label in labels:
                row = summary['%s/%s/%d' % (label, mode, routes)]
                cells.append('%s %6.1f + %6.1f + %5.2f = %6.1f' % (
                    label, row['import_mi'], row['build_mi'], row['first_invoke_mi'],
                    row['total_mi']))
            line = '  %-4s %5d routes: %s' % (mode, routes, ' | '.join(cells))
            if len(labels) > 1:
                ours = summary['ours/%s/%d' % (mode, routes)]
                theirs = summary['compare/%s/%d' % (mode, routes)]
                line += ' | ours/compare %.2fx, first invoke %.2fx' % (
                    ours['total_mi'] / theirs['total_mi'],
                    ours['first_invoke_mi'] / theirs['first_invoke_mi'])
            print(line)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--rounds', type=int, default=9, help='rounds (default 9)')
    parser.add_argument('--quick', action='store_true', help='3 rounds')
    parser.add_argument('--json', action='store_true', help='print the medians as JSON')
    parser.add_argument('--instructions', action='store_true',
                        help='count instructions per phase under valgrind instead of '
                             'timing (one run each; slow but unaffected by load)')
    _compare.add_compare_argument(parser)
    args = parser.parse_args(argv)
    sides = _compare.sides_from(args.compare_venv)
    summary = measure(sides, 3 if args.quick else max(1, args.rounds), args.instructions)
    if args.json:
        print(json.dumps(summary, indent=2, sort_keys=True))
    elif args.instructions:
        report_instructions(summary, sides)
    else:
        report(summary, sides)
    return 0


if __name__ == '__main__':
    sys.exit(main())
