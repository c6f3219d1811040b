"""Every example of docs/local.rst's "Beyond the routes" runs as documented.

An example starts at a ``.. code-block:: python`` introduced by a line
````app.py``:``; the code blocks introduced by other file names that follow are written
into the same project, and the ``console`` blocks are run: each ``$``
command in bash from the project directory (``chalice`` and ``python`` are
this checkout's), its output compared line by line with what the page shows
(``...`` matching anything).  ``chalice local`` (without ``--trigger``)
keeps running in the background for the rest of the example, and its
output must begin with the lines shown.  Port 8000 becomes a free port
(given to ``chalice local`` with ``--port``).
"""
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time

import pytest

from tests.functional.test_local_cli import REPO_ROOT, free_port

DOC = os.path.join(REPO_ROOT, 'docs', 'local.rst')
SECTION = 'Beyond the routes'
COMMAND_TIMEOUT = 60
START_TIMEOUT = 30


def code_blocks(text):
    """``(language, file name, code)`` of each ``code-block`` directive, in order.

    The file name is that of a line ````name``:`` just before the directive
    (None without one).
    """
    lines = text.splitlines()
    blocks = []
    index = 0
    while index < len(lines):
        match = re.match(r'\.\. code-block:: (\w+)\s*$', lines[index])
        index += 1
        if not match:
            continue
        caption = None
        before = index - 2
        while before >= 0 and not lines[before].strip():
            before -= 1
        named = re.match(r'``([^`\s]+)``:$', lines[before]) if before >= 0 else None
        if named:
            caption = named.group(1)
        while index < len(lines) and lines[index].startswith('   :'):
            index += 1
        body = []
        while index < len(lines) and (not lines[index].strip() or
                                      lines[index].startswith('    ')):
            body.append(lines[index][4:])
            index += 1
        blocks.append((match.group(1), caption, '\n'.join(body).strip('\n') + '\n'))
    return blocks


def examples():
    with open(DOC) as f:
        text = f.read()
    start = text.index('\n%s\n' % SECTION)
    end = text.index('\nNot emulated\n', start)
    found = []
    for language, caption, code in code_blocks(text[start:end]):
        if caption == 'app.py':
            found.append({'files': {}, 'console': []})
        if not found:
            continue
        if caption:
            found[-1]['files'][caption] = code
        elif language == 'console':
            found[-1]['console'].append(code)
    return found


def commands(console):
    """``(command, expected output lines)`` of a console block."""
    result = []
    for line in console.splitlines():
        if line.startswith('$ '):
            result.append((line[2:], []))
        elif result:
            result[-1][1].append(line)
    return result


def matches(expected, actual):
    pattern = '.*'.join(re.escape(part) for part in expected.split('...'))
    return re.fullmatch(pattern, actual) is not None


class Background:
    """A long-running command whose combined output is collected."""

    def __init__(self, command, cwd, env):
        self.process = subprocess.Popen(['bash', '-c', 'exec ' + command], cwd=cwd, env=env,
                                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                        start_new_session=True)
        self.lines = []
        self._thread = threading.Thread(target=self._drain, daemon=True)
        self._thread.start()

    def _drain(self):
        for raw in iter(self.process.stdout.readline, b''):
            self.lines.append(raw.decode('utf-8', 'replace').rstrip('\n'))

    def wait_for_lines(self, expected):
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            seen = list(self.lines)
            if len(seen) >= len(expected):
                break
            if self.process.poll() is not None:
                time.sleep(0.2)
                seen = list(self.lines)
                break
            time.sleep(0.05)
        seen = list(self.lines)[:len(expected)]
        assert len(seen) == len(expected) and all(
            matches(e, a) for e, a in zip(expected, seen)), (expected, list(self.lines))

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                pass
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        self.process.wait(timeout=10)
        self._thread.join(timeout=5)
        return self.process.returncode


def shim_bin(directory):
    """``chalice`` and ``python`` that run this checkout with this interpreter."""
    directory.mkdir()
    for name, target in (('chalice', '"%s" -m chalice.cli' % sys.executable),
                         ('python', '"%s"' % sys.executable)):
        path = directory / name
        path.write_text('#!/bin/sh\nexec %s "$@"\n' % target)
        path.chmod(0o755)
    return directory


EXAMPLES = examples()


def test_the_page_has_an_example_of_each_feature():
    apps = [example['files']['app.py'] for example in EXAMPLES]
    assert len(apps) == 3
    assert any('on_ws_message' in app for app in apps)
    assert any('report_batch_item_failures=True' in app for app in apps)
    assert any('@app.schedule' in app for app in apps)
    every_command = [c for e in EXAMPLES for block in e['console'] for c, _ in commands(block)]
    for needed in ('chalice local', 'chalice invoke --local', 'curl -s -X POST',
                   'chalice local --trigger', 'chalice local --schedules'):
        assert any(command.startswith(needed) or needed in command
                   for command in every_command), needed


@pytest.mark.parametrize('example', EXAMPLES, ids=lambda e: e['files']['app.py'].split(
    "app_name='")[1].split("'")[0])
def test_example_runs_as_documented(example, tmp_path):
    port = str(free_port())
    project = tmp_path / 'project'
    (project / '.chalice').mkdir(parents=True)
    app_name = example['files']['app.py'].split("app_name='")[1].split("'")[0]
    (project / '.chalice' / 'config.json').write_text(json.dumps(
        {'version': '2.0', 'app_name': app_name, 'stages': {'dev': {}}}))
    for name, code in example['files'].items():
        (project / name).write_text(code.replace('8000', port))
    env = dict(os.environ)
    env['PATH'] = str(shim_bin(tmp_path / 'bin')) + os.pathsep + env['PATH']
    env['PYTHONPATH'] = REPO_ROOT + os.pathsep + env.get('PYTHONPATH', '')
    env['CHALICE_LOCAL_RELOADER'] = 'poll'
    background = []
    try:
        for block in example['console']:
            for command, expected in commands(block.replace('8000', port)):
                if command.startswith('chalice local') and '--trigger' not in command:
                    running = Background(command + ' --port ' + port, project, env)
                    background.append(running)
                    running.wait_for_lines(expected)
                    continue
                result = subprocess.run(['bash', '-c', command], cwd=project, env=env,
                                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                        timeout=COMMAND_TIMEOUT)
                output = result.stdout.decode('utf-8', 'replace').splitlines()
                assert result.returncode == 0, (command, output)
                assert len(output) == len(expected) and all(
                    matches(e, a) for e, a in zip(expected, output)), (command, output)
    finally:
        codes = [running.stop() for running in background]
    assert codes == [0] * len(background)
