"""Schedules for ``chalice local --schedules``: EventBridge's rate and cron syntax.

The parser and the "next firing" computation are pure; the scheduler runs
on a sped-up clock and the tests wait for the firings themselves (bounded),
never for an amount of time.
"""
import threading
from datetime import datetime, timedelta, timezone

import pytest

from chalice import Cron, Rate
from chalice.localschedule import (
    Clock,
    CronSchedule,
    LocalScheduler,
    RateSchedule,
    ScheduleError,
    parse_schedule,
)

# A Friday.
NOW = datetime(2024, 2, 9, 12, 30, 15, tzinfo=timezone.utc)


def utc(*args):
    return datetime(*args, tzinfo=timezone.utc)


def next_of(expression, after=NOW):
    return parse_schedule(expression).next_after(after)


def firings(expression, count, after=NOW):
    schedule = parse_schedule(expression)
    found = []
    for _ in range(count):
        after = schedule.next_after(after)
        found.append(after)
    return found


# ------------------------------------------------------------------ rate

@pytest.mark.parametrize('expression, seconds', [
    ('rate(1 minute)', 60), ('rate(5 minutes)', 300), ('rate(1 hour)', 3600),
    ('rate(12 hours)', 43200), ('rate(1 day)', 86400), ('rate(7 days)', 604800),
    (Rate(1, unit=Rate.MINUTES), 60), (Rate(3, unit=Rate.HOURS), 10800),
])
def test_rate_periods(expression, seconds):
    schedule = parse_schedule(expression)
    assert isinstance(schedule, RateSchedule)
    assert schedule.seconds == seconds
    assert schedule.next_after(NOW) == NOW + timedelta(seconds=seconds)


@pytest.mark.parametrize('expression, message', [
    ('rate(1 minutes)', "wants 'minute'"),
    ('rate(2 hour)', "wants 'hours'"),
    ('rate(0 minutes)', 'positive whole number'),
    ('rate(5 weeks)', 'minutes, hours or days'),
    ('rate(five minutes)', 'rate(N minutes|hours|days)'),
    ('rate(5)', 'rate(N minutes|hours|days)'),
])
def test_invalid_rates(expression, message):
    with pytest.raises(ScheduleError, match=message.replace('(', r'\(').replace('|', r'\|')
                       .replace(')', r'\)')):
        parse_schedule(expression)


# ------------------------------------------------------------------ cron

@pytest.mark.parametrize('expression, expected', [
    # The examples of EventBridge's documentation.
    ('cron(0 10 * * ? *)', utc(2024, 2, 10, 10, 0)),
    ('cron(15 12 * * ? *)', utc(2024, 2, 10, 12, 15)),
    ('cron(0 18 ? * MON-FRI *)', utc(2024, 2, 9, 18, 0)),
    ('cron(0 8 1 * ? *)', utc(2024, 3, 1, 8, 0)),
    ('cron(0/15 * * * ? *)', utc(2024, 2, 9, 12, 45)),
    ('cron(0/10 * ? * MON-FRI *)', utc(2024, 2, 9, 12, 40)),
    ('cron(0/5 8-17 ? * MON-FRI *)', utc(2024, 2, 9, 12, 35)),
    ('cron(0 9 ? * 2#1 *)', utc(2024, 3, 4, 9, 0)),
    # Names, lists, ranges and increments.
    ('cron(30 12 ? * SAT,SUN *)', utc(2024, 2, 10, 12, 30)),
    ('cron(0 0 1 JAN,JUL ? *)', utc(2024, 7, 1, 0, 0)),
    ('cron(5-7 12 * * ? *)', utc(2024, 2, 10, 12, 5)),
    ('cron(0 20-23/2 * * ? *)', utc(2024, 2, 9, 20, 0)),
    ('cron(0 0 ? NOV-FEB FRI *)', utc(2024, 2, 16, 0, 0)),
    ('cron(31 12 * * ? *)', utc(2024, 2, 9, 12, 31)),
    ('cron(30 12 * * ? *)', utc(2024, 2, 10, 12, 30)),
    # L, W and #.
    ('cron(0 0 L * ? *)', utc(2024, 2, 29, 0, 0)),
    ('cron(0 0 LW * ? *)', utc(2024, 2, 29, 0, 0)),
    ('cron(0 0 ? * 6L *)', utc(2024, 2, 23, 0, 0)),
    ('cron(0 0 ? * L *)', utc(2024, 2, 10, 0, 0)),
    ('cron(0 0 ? * 3#2 *)', utc(2024, 2, 13, 0, 0)),
    ('cron(0 0 29 2 ? *)', utc(2024, 2, 29, 0, 0)),
    # Years.
    ('cron(0 0 1 1 ? 2030)', utc(2030, 1, 1, 0, 0)),
    ('cron(0 0 1 1 ? 2020)', None),
    (Cron(0, 12, '*', '*', '?', '*'), utc(2024, 2, 10, 12, 0)),
])
def test_next_firing(expression, expected):
    assert next_of(expression) == expected


def test_nearest_weekday_stays_in_the_month():
    # 1 June 2024 is a Saturday: 1W is Monday the 3rd, not Friday 31 May.
    assert next_of('cron(0 0 1W * ? *)', utc(2024, 5, 20)) == utc(2024, 6, 3, 0, 0)
    # 30 June 2024 is a Sunday and the month's last day: 30W is Friday the 28th.
    assert next_of('cron(0 0 30W * ? *)', utc(2024, 6, 20)) == utc(2024, 6, 28, 0, 0)
    # 15 June 2024 is a Saturday: Friday the 14th.
    assert next_of('cron(0 0 15W * ? *)', utc(2024, 6, 1)) == utc(2024, 6, 14, 0, 0)
    # 31W in a 30-day month does not fire.
    with pytest.raises(ScheduleError, match='never fires'):
        parse_schedule('cron(0 0 31W 6 ? 2024)')
    assert next_of('cron(0 0 31W * ? *)', utc(2024, 6, 1)) == utc(2024, 7, 31)


def test_firings_follow_each_other():
    assert firings('cron(0/20 9-10 ? * MON *)', 7, utc(2024, 2, 9)) == [
        utc(2024, 2, 12, 9, 0), utc(2024, 2, 12, 9, 20), utc(2024, 2, 12, 9, 40),
        utc(2024, 2, 12, 10, 0), utc(2024, 2, 12, 10, 20), utc(2024, 2, 12, 10, 40),
        utc(2024, 2, 19, 9, 0)]
    assert firings('cron(0 0 L * ? *)', 3, utc(2023, 12, 31, 12)) == [
        utc(2024, 1, 31), utc(2024, 2, 29), utc(2024, 3, 31)]
    # Leap days only.
    assert firings('cron(0 0 29 FEB ? *)', 2) == [utc(2024, 2, 29), utc(2028, 2, 29)]


def test_the_second_of_the_current_minute_is_not_a_firing():
    assert next_of('cron(* * * * ? *)', utc(2024, 2, 9, 12, 30, 0)) == \
        utc(2024, 2, 9, 12, 31)
    assert next_of('cron(* * * * ? *)', utc(2024, 2, 9, 23, 59, 59)) == utc(2024, 2, 10, 0, 0)


def test_naive_times_are_utc():
    assert next_of('cron(0 13 * * ? *)', datetime(2024, 2, 9, 12, 0)) == \
        utc(2024, 2, 9, 13, 0)


@pytest.mark.parametrize('expression, message', [
    ('cron(0 0 * * * *)', "exactly one of day-of-month and day-of-week must be '?'"),
    ('cron(0 0 ? * ? *)', "exactly one of day-of-month and day-of-week must be '?'"),
    ('cron(0 0 * *)', 'six fields'),
    ('cron(0 0 * * ? * *)', 'six fields'),
    ('cron(60 0 * * ? *)', 'minutes value 60 is out of range'),
    ('cron(0 24 * * ? *)', 'hours value 24 is out of range'),
    ('cron(0 0 32 * ? *)', 'day-of-month value 32'),
    ('cron(0 0 ? 13 MON *)', 'month value 13'),
    ('cron(0 0 ? * 8 *)', 'day-of-week value 8'),
    ('cron(0 0 ? * FUNDAY *)', "Invalid day-of-week value 'FUNDAY'"),
    ('cron(0 0 1 * ? 1969)', 'year value 1969'),
    ('cron(0 0 30 2 ? *)', 'never fires'),
    ('cron(0 0 ? * 1#1,2#2 *)', "'#' expression must be alone"),
    ('cron(0 0 ? * 2#6 *)', 'the number after # is 1 to 5'),
    ('cron(0/0 * * * ? *)', 'Invalid increment'),
    ('cron(0 L * * ? *)', "Invalid hours field 'L'"),
    ('cron(0 0 ? * W *)', "Invalid day-of-week value 'W'"),
    ('cron(0 0 1 1 ? L)', "Invalid year field 'L'"),
    ('cron(0 0 ? * 1/2 *)', "Invalid day-of-week field '1/2'"),
    ('every day', 'use rate(...) or cron(...)'),
    (42, 'a Rate, a Cron or a string'),
])
def test_invalid_cron(expression, message):
    with pytest.raises(ScheduleError) as error:
        parse_schedule(expression)
    assert message in str(error.value)


def test_cron_fields_are_kept_sorted():
    schedule = parse_schedule('cron(45,5,25 3,1 * * ? *)')
    assert isinstance(schedule, CronSchedule)
    assert (schedule.minutes, schedule.hours) == ([5, 25, 45], [1, 3])


# ------------------------------------------------------------------ the scheduler

class Recorder:
    """Collects firings; ``wait(n)`` returns once ``n`` have happened (bounded)."""

    def __init__(self, fail=False):
        self.fired = []
        self._condition = threading.Condition()
        self.fail = fail

    def fire(self, name, event):
        with self._condition:
            self.fired.append((name, event))
            self._condition.notify_all()
        if self.fail:
            raise RuntimeError('schedule handler failed')

    def wait(self, count, timeout=10):
        with self._condition:
            self._condition.wait_for(lambda: len(self.fired) >= count, timeout)
            return list(self.fired)


def make_event(name, when):
    return {'detail-type': 'Scheduled Event', 'source': 'aws.events',
            'time': when.strftime('%Y-%m-%dT%H:%M:%SZ'), 'name': name}


def test_a_fast_rate_fires_repeatedly_with_scheduled_events():
    recorder = Recorder()
    log = []
    # 1200 times faster: rate(1 minute) fires every 50 ms of real time.
    scheduler = LocalScheduler({'tick': 'rate(1 minute)'}, recorder.fire, make_event,
                               report=log.append, clock=Clock(speed=1200))
    scheduler.start()
    try:
        fired = recorder.wait(3)
    finally:
        scheduler.stop()
    assert len(fired) >= 3
    times = [datetime.strptime(event['time'], '%Y-%m-%dT%H:%M:%SZ') for _, event in fired]
    # One minute of schedule time between firings.
    assert [(b - a).total_seconds() for a, b in zip(times, times[1:3])] == [60.0, 60.0]
    lines = log
    assert lines[0].startswith('Schedule tick (rate(1 minute)): next at ')
    assert sum(line.startswith('Schedule tick (rate(1 minute)) fired at ') for line in lines) \
        >= 3


def test_each_schedule_fires_on_its_own():
    recorder = Recorder()
    scheduler = LocalScheduler({'often': 'rate(1 minute)', 'rarely': 'rate(1 day)'},
                               recorder.fire, make_event, report=[].append,
                               clock=Clock(speed=1200))
    scheduler.start()
    try:
        fired = recorder.wait(2)
    finally:
        scheduler.stop()
    assert {name for name, _ in fired} == {'often'}


def test_a_failing_handler_is_reported_and_the_schedule_goes_on():
    recorder = Recorder(fail=True)
    log = []
    scheduler = LocalScheduler({'tick': 'rate(1 minute)'}, recorder.fire, make_event,
                               report=log.append, clock=Clock(speed=1200))
    scheduler.start()
    try:
        assert len(recorder.wait(2)) >= 2
    finally:
        scheduler.stop()
    assert 'Schedule tick: the handler raised an exception:' in '\n'.join(log)
    assert 'RuntimeError: schedule handler failed' in '\n'.join(log)


def test_a_slow_firing_makes_the_next_one_be_skipped():
    release = threading.Event()
    started = threading.Event()
    calls = []

    def slow(name, event):
        calls.append(event)
        started.set()
        release.wait(10)

    log = []
    scheduler = LocalScheduler({'tick': 'rate(1 minute)'}, slow, make_event, report=log.append,
                               clock=Clock(speed=1200))
    scheduler.start()
    try:
        assert started.wait(10)
        for _ in range(200):
            if 'skipped the firing' in '\n'.join(log):
                break
            release.wait(0.05)
    finally:
        release.set()
        scheduler.stop()
    assert 'Schedule tick: skipped the firing at ' in '\n'.join(log)
    assert 'still running' in '\n'.join(log)


def test_stop_before_the_first_firing_fires_nothing():
    recorder = Recorder()
    scheduler = LocalScheduler({'daily': 'rate(1 day)'}, recorder.fire, make_event,
                               report=[].append)
    scheduler.start()
    scheduler.stop()
    assert recorder.fired == []


def test_an_invalid_expression_is_refused_up_front():
    with pytest.raises(ScheduleError):
        LocalScheduler({'bad': 'cron(0 0 * * * *)'}, lambda *a: None, make_event)


def test_clock_speed_must_be_positive():
    with pytest.raises(ValueError):
        Clock(speed=0)
