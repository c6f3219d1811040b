"""``chalice local --schedules`` and ``chalice local --trigger NAME``.

The schedules run in a real ``chalice local`` process whose schedule clock
is sped up (``CHALICE_LOCAL_SCHEDULE_SPEED``); the tests wait for the
firing lines the handler and the scheduler print, never for time.
"""
import json
import textwrap

import pytest
from click.testing import CliRunner

from chalice.cli.group import cli
from tests.functional.test_local_cli import Running, free_port
from tests.functional.test_local_events import restore_environ  # noqa: F401 (a fixture)

APP_PY = textwrap.dedent('''\
    import os

    from chalice import Chalice, Cron, Rate

    app = Chalice(app_name='schedapp')


    @app.schedule(Rate(1, unit=Rate.MINUTES))
    def every_minute(event):
        print('every_minute ran with %s, GREETING=%s' % (event.detail_type,
                                                        os.environ.get('GREETING')),
              flush=True)
        return {'resources': event.resources, 'greeting': os.environ.get('GREETING')}


    @app.schedule(Cron(0, 9, '?', '*', 'MON-FRI', '*'))
    def weekday_mornings(event):
        return 'good morning'


    @app.schedule('rate(1 day)')
    def broken(event):
        raise RuntimeError('the daily job failed')


    @app.on_sqs_message(queue='q')
    def not_a_schedule(event):
        return None
    ''')
CONFIG = {'version': '2.0', 'app_name': 'schedapp',
          'stages': {'dev': {'environment_variables': {'GREETING': 'hi'}}}}


@pytest.fixture
def project(tmp_path):
    root = tmp_path / 'sched'
    (root / '.chalice').mkdir(parents=True)
    (root / 'app.py').write_text(APP_PY)
    (root / '.chalice' / 'config.json').write_text(json.dumps(CONFIG))
    return root


@pytest.mark.parametrize('reload_flag', ['--no-autoreload', '--autoreload'])
def test_schedules_fire_on_time(project, reload_flag):
    port = free_port()
    # 600 times faster: rate(1 minute) fires every 0.1 s.
    server = Running(project, '--port', str(port), '--schedules', reload_flag,
                     extra_env={'CHALICE_LOCAL_SCHEDULE_SPEED': '600'})
    try:
        server.wait_for('Serving on')
        server.wait_for('Schedule every_minute (rate(1 minute)): next at ', stream='stderr')
        server.wait_for('Schedule weekday_mornings (cron(0 9 ? * MON-FRI *)): next at ',
                        stream='stderr')
        server.wait_for('Schedule every_minute (rate(1 minute)) fired at ', stream='stderr',
                        count=2)
        server.wait_for('every_minute ran with Scheduled Event, GREETING=hi', count=2)
    finally:
        assert server.stop() == 0
    assert 'weekday_mornings' not in ''.join(
        line for line in server.stderr if 'fired at' in line)


def test_schedules_are_off_by_default(project):
    port = free_port()
    server = Running(project, '--port', str(port), '--no-autoreload',
                     extra_env={'CHALICE_LOCAL_SCHEDULE_SPEED': '600'})
    try:
        server.wait_for('Schedules are off: pass --schedules', stream='stderr')
    finally:
        assert server.stop() == 0
    assert not any('fired at' in line for line in server.stderr)


def run(project, *args):
    return CliRunner().invoke(cli, ['--project-dir', str(project), 'local'] + list(args))


@pytest.mark.usefixtures('restore_environ')
def test_trigger_fires_one_schedule_once(project):
    result = run(project, '--trigger', 'every_minute')
    assert result.exit_code == 0, result.stderr
    reply = json.loads(result.stdout)
    assert reply['greeting'] == 'hi'
    assert reply['resources'][0].endswith(':rule/schedapp-dev-every_minute')
    assert result.stderr.startswith('Schedule every_minute fired at ')
    assert 'every_minute ran with Scheduled Event, GREETING=hi' in result.stderr


@pytest.mark.usefixtures('restore_environ')
def test_trigger_of_a_failing_schedule_exits_1(project):
    result = run(project, '--trigger', 'broken')
    assert result.exit_code == 1
    assert 'RuntimeError: the daily job failed' in result.stderr
    assert json.loads(result.stderr.strip().splitlines()[-1])['errorType'] == 'RuntimeError'


@pytest.mark.parametrize('name, message', [
    ('nope', "Error: No schedule named 'nope' (this app's schedules: broken, every_minute, "
             "weekday_mornings)."),
    ('not_a_schedule', "Error: No schedule named 'not_a_schedule' (this app's schedules: "
                       "broken, every_minute, weekday_mornings); deliver an event to it "
                       "with: chalice invoke --local -n not_a_schedule."),
])
@pytest.mark.usefixtures('restore_environ')
def test_trigger_of_an_unknown_schedule_is_one_line(project, name, message):
    result = run(project, '--trigger', name)
    assert result.exit_code == 2
    assert result.stderr.strip() == message


def test_an_invalid_schedule_expression_stops_start_up(project):
    (project / 'app.py').write_text(APP_PY.replace("'rate(1 day)'", "'rate(1 days)'"))
    port = free_port()
    server = Running(project, '--port', str(port), '--schedules', '--no-autoreload')
    assert server.process.wait(timeout=30) == 2
    server.stop()
    lines = server.output()[1].strip().splitlines()
    # The validation pass finds it (with or without --schedules), at the decorator.
    assert lines == ["Error: Invalid app.py:21 (handler broken): schedule: Invalid rate "
                     "expression 'rate(1 days)': EventBridge wants 'day' with 1 (rate(1 day))"]
    assert 'Serving on' not in server.output()[0]
