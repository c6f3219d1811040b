"""Helpers shared by the drivers that run workloads in child processes.

A *side* is one installation of chalice to measure: ``ours`` (this
checkout, put first on ``PYTHONPATH``); with ``--baseline PATH`` another
checkout of this project (say main, for before/after figures), run the same
way; and with ``--compare-venv PATH`` another installation (say AWS Chalice
1.34 installed in a throwaway venv), run with that venv's interpreter.  The
compared installation is treated as a black box: only the workloads in
``_workloads.py`` (public API) and its own command line ever run against it.

Rounds are interleaved (ours, theirs, theirs, ours, ...) so that load from
elsewhere on the machine hits both sides alike, and medians are reported.
"""
import json
import os
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REPO_ROOT = os.path.dirname(HERE)
WORKLOADS = os.path.join(HERE, '_workloads.py')


class Side:
    """How to run a child process against one installation of chalice."""

    def __init__(self, label, python, pythonpath=None, bin_dir=None):
        self.label = label
        self.python = python
        self.pythonpath = pythonpath
        self.bin_dir = bin_dir or os.path.dirname(python)

    def env(self, write_bytecode=True):
        env = dict(os.environ)
        env.pop('PYTHONPATH', None)
        env.pop('PYTHONHOME', None)
        env.pop('VIRTUAL_ENV', None)
        if write_bytecode:
            # An installed package has its .pyc files; let the first run write them.
            env.pop('PYTHONDONTWRITEBYTECODE', None)
        if self.pythonpath:
            env['PYTHONPATH'] = self.pythonpath
        env.setdefault('AWS_DEFAULT_REGION', 'us-west-2')
        return env

    def chalice_command(self):
        return [os.path.join(self.bin_dir, 'chalice')]

    def run_json(self, args, cwd=None, python_flags=(), env=None, timeout=600):
        command = [self.python] + list(python_flags) + list(args)
        proc = subprocess.run(command, cwd=cwd, env=env or self.env(), capture_output=True,
                              text=True, timeout=timeout)
        if proc.returncode != 0:
            raise RuntimeError('%s: %s failed:\n%s' % (self.label, ' '.join(args),
                                                       proc.stderr[-3000:]))
        return json.loads(proc.stdout.strip().splitlines()[-1])


def ours():
    return Side('ours', sys.executable, pythonpath=REPO_ROOT)


def compare_side(venv):
    """The side for ``--compare-venv``: a venv directory (or its python)."""
    venv = os.path.abspath(venv)
    python = venv if os.path.isfile(venv) else os.path.join(venv, 'bin', 'python')
    if not os.path.isfile(python):
        raise SystemExit('--compare-venv: no interpreter at %s' % python)
    return Side('compare', python)


def baseline_side(path):
    path = os.path.abspath(path)
    if not os.path.isfile(os.path.join(path, 'chalice', 'app.py')):
        raise SystemExit('--baseline: %s is not a checkout of this project' % path)
    return Side('baseline', sys.executable, pythonpath=path)


def sides_from(args):
    """The sides asked for on the command line (see add_compare_argument)."""
    sides = [ours()]
    if getattr(args, 'baseline', None):
        sides.append(baseline_side(args.baseline))
    if getattr(args, 'compare_venv', None):
        sides.append(compare_side(args.compare_venv))
    return sides


def ratio_text(values, higher_is_better=False):
    """`` | baseline/ours 1.50x | compare/ours 3.10x``: how many times ours is
    faster than each other side (times per unit of work, or rates)."""
    ours_value = values.get('ours')
    parts = []
    for label in ('baseline', 'compare'):
        other = values.get(label)
        if other is None or not ours_value or not other:
            continue
        factor = ours_value / other if higher_is_better else other / ours_value
        parts.append(' | %s/ours %.2fx' % (label, factor))
    return ''.join(parts)


def interleaved(sides, rounds):
    """Yield (round index, side) pairs, alternating which side goes first."""
    for index in range(rounds):
        order = sides if index % 2 == 0 else list(reversed(sides))
        for side in order:
            yield index, side


def median(values):
    return statistics.median(values) if values else float('nan')


def add_compare_argument(parser):
    parser.add_argument(
        '--compare-venv', metavar='PATH',
        help='also run every workload against the chalice installed in this venv '
             '(e.g. a throwaway venv with AWS Chalice 1.34) and print the ratios')
    parser.add_argument(
        '--baseline', metavar='PATH',
        help='also run every workload against another checkout of this project '
             '(e.g. `git worktree add /tmp/base main`) for before/after figures')
