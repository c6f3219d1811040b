"""How long does ``chalice --version`` take to start?

Runs ``python -m chalice.cli --version`` in fresh processes and reports the
median and 90th percentile wall time, plus whether botocore or boto3 got
imported along the way (they must not be: start-up has to stay cheap).

Usage::

    python benchmarks/cli_startup.py [-n RUNS] [--json]
"""
import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import time

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
COMMAND = [sys.executable, '-m', 'chalice.cli', '--version']
HEAVY_MODULES = ('botocore', 'boto3')


def _env():
    env = dict(os.environ)
    existing = env.get('PYTHONPATH')
    env['PYTHONPATH'] = REPO_ROOT + (os.pathsep + existing if existing else '')
    return env


def _percentile(sorted_values, fraction):
    """Nearest-rank percentile of an already sorted, non-empty list."""
    rank = max(1, math.ceil(fraction * len(sorted_values)))
    return sorted_values[min(rank, len(sorted_values)) - 1]


def time_runs(runs):
    """Return the wall time of each run, in milliseconds."""
    env = _env()
    timings = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(COMMAND, env=env, check=True, stdout=subprocess.DEVNULL)
        timings.append((time.perf_counter() - start) * 1000.0)
    return timings


def imported_heavy_modules():
    """Run the command once with ``-X importtime`` and list heavy imports seen."""
    command = [COMMAND[0], '-X', 'importtime'] + COMMAND[1:]
    proc = subprocess.run(command, env=_env(), check=True, capture_output=True, text=True)
    seen = set()
    for line in proc.stderr.splitlines():
        if not line.startswith('import time:'):
            continue
        module = line.rsplit('|', 1)[-1].strip()
        if module.split('.')[0] in HEAVY_MODULES:
            seen.add(module.split('.')[0])
    return sorted(seen)


def run(runs=30):
    """Benchmark and return the results as a dict."""
    if runs < 1:
        raise ValueError('runs must be at least 1')
    timings = sorted(time_runs(runs))
    heavy = imported_heavy_modules()
    return {
        'benchmark': 'cli_startup',
        'command': 'python -m chalice.cli --version',
        'runs': runs,
        'median_ms': round(statistics.median(timings), 2),
        'p90_ms': round(_percentile(timings, 0.9), 2),
        'min_ms': round(timings[0], 2),
        'botocore_imported': 'botocore' in heavy,
        'heavy_modules_imported': heavy,
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('-n', '--runs', type=int, default=30,
                        help='number of runs (default: 30)')
    parser.add_argument('--json', action='store_true', help='print the results as JSON')
    parser.add_argument('--quick', action='store_true', help='10 runs instead of --runs')
    args = parser.parse_args(argv)
    results = run(10 if args.quick else args.runs)
    if args.json:
        print(json.dumps(results, indent=2))
    else:
        print('{command}: {runs} runs, median {median_ms:.1f} ms, p90 {p90_ms:.1f} ms, '
              'min {min_ms:.1f} ms'.format(**results))
        print('botocore imported: {}'.format('yes' if results['botocore_imported'] else 'no'))
    return 1 if results['heavy_modules_imported'] else 0


if __name__ == '__main__':
    sys.exit(main())
