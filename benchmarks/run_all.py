"""Run every benchmark script in this folder, one after another.

``python benchmarks/run_all.py`` (or ``make bench``).  Each script prints its
own medians; pass ``--quick`` for shorter runs.
"""
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def main():
    extra = [arg for arg in sys.argv[1:] if arg == '--quick']
    scripts = sorted(name for name in os.listdir(HERE)
                     if name.endswith('.py') and name not in ('run_all.py', '__init__.py'))
    failed = []
    for name in scripts:
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
