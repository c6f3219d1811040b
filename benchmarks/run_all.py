"""Run every benchmark script in this folder, one after another.

``python benchmarks/run_all.py`` (or ``make bench``).  Each script prints its
own medians; pass ``--quick`` for shorter runs.  ``--compare-venv PATH`` and
``--baseline PATH`` are passed on to the scripts that compare side by side
(bench_coldstart.py, bench_local.py and bench_runtime.py).
"""
import argparse
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
COMPARING = ('bench_coldstart.py', 'bench_local.py', 'bench_runtime.py')


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--quick', action='store_true')
    parser.add_argument('--compare-venv', metavar='PATH')
    parser.add_argument('--baseline', metavar='PATH')
    args = parser.parse_args(argv)
    scripts = sorted(name for name in os.listdir(HERE)
                     if name.endswith('.py') and not name.startswith('_')
                     and name != 'run_all.py')
    failed = []
    for name in scripts:
        extra = ['--quick'] if args.quick else []
        if name in COMPARING:
            for option, value in (('--compare-venv', args.compare_venv),
                                  ('--baseline', args.baseline)):
                if value:
                    extra += [option, value]
        print('=== %s' % name, flush=True)
        result = subprocess.run([sys.executable, os.path.join(HERE, name)] + extra)
        if result.returncode != 0:
            failed.append(name)
        print(flush=True)
    if failed:
        print('failed: %s' % ', '.join(failed))
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
