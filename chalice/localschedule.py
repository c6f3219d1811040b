"""Schedules for ``chalice local --schedules``: EventBridge's rate and cron, fired here.

:func:`parse_schedule` reads what ``@app.schedule()`` was given (a
:class:`~chalice.app.Rate`, a :class:`~chalice.app.Cron` or the expression
text) the way EventBridge reads it:

* ``rate(N unit)``: ``minute``/``hour``/``day`` for 1, ``minutes``/
  ``hours``/``days`` otherwise.  The first firing is one period after the
  scheduler starts.
* ``cron(minutes hours day-of-month month day-of-week year)``, in UTC:
  ``, - * /`` in every field, ``?`` in exactly one of day-of-month and
  day-of-week, ``L`` and ``W`` (``15W``, ``LW``) in day-of-month, ``L``
  (``L`` alone is Saturday, ``6L`` the month's last Friday) and ``#``
  (``3#2``, the second Tuesday, alone in its field) in day-of-week, names
  ``JAN``-``DEC`` and ``SUN``-``SAT`` (``SUN`` is 1).  A cron expression
  that can never fire again is an error.

:class:`LocalScheduler` fires each schedule on time in the server process
with an EventBridge ``Scheduled Event``, one line per firing on stderr; a
firing that is missed (the previous one still running, the machine asleep)
is skipped, not queued.  It runs on a :class:`Clock`, which tests speed up.
Standard library only.
"""
from __future__ import annotations

import calendar
import re
import sys
import threading
import time
import traceback
from datetime import datetime, timedelta, timezone
from typing import Any, Callable

from chalice.errors import ChaliceError

__all__ = ['Clock', 'CronSchedule', 'LocalScheduler', 'RateSchedule', 'ScheduleError',
           'describe_firing', 'parse_schedule', 'parse_schedules', 'schedules_of']

_RATE_RE = re.compile(r'rate\(\s*(\d+)\s+([a-z]+)\s*\)\Z')
_CRON_RE = re.compile(r'cron\((.*)\)\Z')
_RATE_UNITS = {'minute': 60, 'hour': 3600, 'day': 86400}
_MONTHS = {name: index + 1 for index, name in enumerate(
    ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'])}
_DAYS = {name: index + 1 for index, name in enumerate(
    ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'])}
_FIELD_NAMES = ('minutes', 'hours', 'day-of-month', 'month', 'day-of-week', 'year')
# The characters each field may hold (names, then the wildcards it takes).
_NUMERIC = re.compile(r'[0-9,\-*/]+')
_FIELD_CHARACTERS = {
    'day-of-month': re.compile(r'[0-9,\-*/?LW]+'),
    'month': re.compile(r'[0-9A-Za-z,\-*/]+'),
    'day-of-week': re.compile(r'[0-9A-Za-z,\-*?#]+'),
}


class ScheduleError(ChaliceError):
    """A schedule expression EventBridge would refuse (exit code 2)."""


def _utc(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=timezone.utc)


def _iso(value: datetime) -> str:
    return value.astimezone(timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ')


def _weekday(year: int, month: int, day: int) -> int:
    """EventBridge's day of the week: 1 (Sunday) to 7 (Saturday)."""
    return (calendar.weekday(year, month, day) + 1) % 7 + 1


# ---------------------------------------------------------------- rate

class RateSchedule:
    """``rate(N unit)``: every ``seconds`` seconds from the scheduler's start."""

    def __init__(self, text: str, seconds: int) -> None:
        self.text = text
        self.seconds = seconds

    def next_after(self, moment: datetime) -> datetime:
        return _utc(moment) + timedelta(seconds=self.seconds)


def _parse_rate(text: str) -> RateSchedule:
    match = _RATE_RE.match(text)
    if match is None:
        raise ScheduleError('Invalid rate expression %r: use rate(N minutes|hours|days), '
                            'e.g. rate(5 minutes) or rate(1 hour).' % text)
    value, unit = int(match.group(1)), match.group(2)
    singular = unit[:-1] if unit.endswith('s') else unit
    if singular not in _RATE_UNITS or value < 1:
        raise ScheduleError('Invalid rate expression %r: the value must be a positive '
                            'whole number and the unit minutes, hours or days.' % text)
    expected = singular if value == 1 else singular + 's'
    if unit != expected:
        raise ScheduleError('Invalid rate expression %r: EventBridge wants %r with %d '
                            '(rate(%d %s)).' % (text, expected, value, value, expected))
    return RateSchedule(text, value * _RATE_UNITS[singular])


# ---------------------------------------------------------------- cron

def _value(token: str, low: int, high: int, names: dict[str, int], field: str) -> int:
    upper = token.upper()
    if upper in names:
        return names[upper]
    if not token.isdigit():
        raise ScheduleError('Invalid %s value %r in the cron expression.' % (field, token))
    number = int(token)
    if not low <= number <= high:
        raise ScheduleError('The %s value %d is out of range (%d-%d).'
                            % (field, number, low, high))
    return number


def _parse_set(text: str, low: int, high: int, field: str,
               names: dict[str, int] | None = None) -> frozenset[int]:
    """Values of a field made of ``*``, ``a``, ``a-b`` and ``x/step`` items, by commas."""
    names = names or {}
    values: set[int] = set()
    for item in text.split(','):
        base, slash, step_text = item.partition('/')
        if slash:
            if not step_text.isdigit() or int(step_text) < 1:
                raise ScheduleError('Invalid increment %r in the %s field.' % (item, field))
            step = int(step_text)
        else:
            step = 1
        if base == '*':
            start, end = low, high
        elif '-' in base:
            first, _, last = base.partition('-')
            start = _value(first, low, high, names, field)
            end = _value(last, low, high, names, field)
        else:
            start = _value(base, low, high, names, field)
            end = high if slash else start
        if start <= end:
            values.update(range(start, end + 1, step))
        else:  # a range that wraps around (NOV-FEB, FRI-MON)
            span = list(range(start, high + 1)) + list(range(low, end + 1))
            values.update(span[::step])
    return frozenset(values)


class CronSchedule:
    """``cron(...)``: the minutes it matches, found by walking the calendar."""

    def __init__(self, text: str, fields: list[str]) -> None:
        self.text = text
        minutes, hours, dom, month, dow, year = fields
        self.minutes = sorted(_parse_set(minutes, 0, 59, 'minutes'))
        self.hours = sorted(_parse_set(hours, 0, 23, 'hours'))
        self.months = sorted(_parse_set(month, 1, 12, 'month', _MONTHS))
        self.years = sorted(_parse_set(year, 1970, 2199, 'year'))
        if (dom == '?') == (dow == '?'):
            raise ScheduleError(
                'Invalid cron expression %r: exactly one of day-of-month and day-of-week '
                "must be '?'." % text)
        self._day_matches = (_day_of_week_matcher(dow) if dom == '?'
                             else _day_of_month_matcher(dom))

    def next_after(self, moment: datetime) -> datetime | None:
        """The first matching minute after ``moment`` (None: it never fires again)."""
        start = _utc(moment).replace(second=0, microsecond=0) + timedelta(minutes=1)
        for year in self.years:
            if year < start.year:
                continue
            on_start_year = year == start.year
            for month in self.months:
                if on_start_year and month < start.month:
                    continue
                on_start_month = on_start_year and month == start.month
                first_day = start.day if on_start_month else 1
                for day in range(first_day, calendar.monthrange(year, month)[1] + 1):
                    if not self._day_matches(year, month, day):
                        continue
                    on_start_day = on_start_month and day == start.day
                    found = self._time_on(year, month, day, start if on_start_day else None)
                    if found is not None:
                        return found
        return None

    def _time_on(self, year: int, month: int, day: int,
                 start: datetime | None) -> datetime | None:
        for hour in self.hours:
            if start is not None and hour < start.hour:
                continue
            for minute in self.minutes:
                if start is not None and hour == start.hour and minute < start.minute:
                    continue
                return datetime(year, month, day, hour, minute, tzinfo=timezone.utc)
        return None


def _day_of_month_matcher(text: str) -> Callable[[int, int, int], bool]:
    checks: list[Callable[[int, int, int], bool]] = []
    plain: list[str] = []
    for item in text.split(','):
        upper = item.upper()
        if upper == 'L':
            checks.append(lambda y, m, d: d == calendar.monthrange(y, m)[1])
        elif upper == 'LW':
            checks.append(lambda y, m, d: d == _last_weekday(y, m))
        elif upper.endswith('W'):
            checks.append(_nearest_weekday_check(_value(upper[:-1], 1, 31, {},
                                                        'day-of-month')))
        else:
            plain.append(item)
    if plain:
        days = _parse_set(','.join(plain), 1, 31, 'day-of-month')
        checks.append(lambda y, m, d: d in days)
    return lambda y, m, d: any(check(y, m, d) for check in checks)


def _nearest_weekday_check(target: int) -> Callable[[int, int, int], bool]:
    return lambda y, m, d: d == _nearest_weekday(y, m, target)


def _last_weekday(year: int, month: int) -> int:
    last = calendar.monthrange(year, month)[1]
    weekday = _weekday(year, month, last)
    return last - (1 if weekday == 7 else 2 if weekday == 1 else 0)


def _nearest_weekday(year: int, month: int, target: int) -> int | None:
    """The weekday nearest to day ``target``, within the month (``15W``)."""
    last = calendar.monthrange(year, month)[1]
    if target > last:
        return None
    weekday = _weekday(year, month, target)
    if weekday == 7:  # Saturday: the Friday before, or Monday if that is last month
        return target - 1 if target > 1 else target + 2
    if weekday == 1:  # Sunday: the Monday after, or Friday if that is next month
        return target + 1 if target < last else target - 2
    return target


def _day_of_week_matcher(text: str) -> Callable[[int, int, int], bool]:
    upper = text.upper()
    if '#' in upper:
        if ',' in upper:
            raise ScheduleError("Invalid day-of-week %r: a '#' expression must be alone in "
                                'its field.' % text)
        day_text, _, nth_text = upper.partition('#')
        day = _value(day_text, 1, 7, _DAYS, 'day-of-week')
        if not nth_text.isdigit() or not 1 <= int(nth_text) <= 5:
            raise ScheduleError('Invalid day-of-week %r: the number after # is 1 to 5.' % text)
        nth = int(nth_text)
        return lambda y, m, d: _weekday(y, m, d) == day and (d - 1) // 7 + 1 == nth
    if upper == 'L':
        return lambda y, m, d: _weekday(y, m, d) == 7
    if upper.endswith('L'):
        day = _value(upper[:-1], 1, 7, _DAYS, 'day-of-week')
        return lambda y, m, d: (_weekday(y, m, d) == day
                                and d + 7 > calendar.monthrange(y, m)[1])
    days = _parse_set(text, 1, 7, 'day-of-week', _DAYS)
    return lambda y, m, d: _weekday(y, m, d) in days


def _parse_cron(text: str) -> CronSchedule:
    match = _CRON_RE.match(text)
    fields = match.group(1).split() if match else []
    if len(fields) != 6:
        raise ScheduleError(
            'Invalid cron expression %r: EventBridge wants six fields, cron(minutes hours '
            'day-of-month month day-of-week year), e.g. cron(0 12 * * ? *).' % text)
    for name, field in zip(_FIELD_NAMES, fields):
        if not _FIELD_CHARACTERS.get(name, _NUMERIC).fullmatch(field):
            raise ScheduleError('Invalid %s field %r in %r.' % (name, field, text))
    schedule = CronSchedule(text, fields)
    if schedule.next_after(datetime(1970, 1, 1, tzinfo=timezone.utc)) is None:
        raise ScheduleError('The cron expression %r never fires.' % text)
    return schedule


def parse_schedule(expression: Any) -> RateSchedule | CronSchedule:
    """A schedule for a Rate, a Cron or an expression string."""
    to_string = getattr(expression, 'to_string', None)
    text = to_string() if callable(to_string) else expression
    if not isinstance(text, str):
        raise ScheduleError('A schedule expression must be a Rate, a Cron or a string, got '
                            '%r.' % (expression,))
    text = text.strip()
    if text.startswith('rate('):
        return _parse_rate(text)
    if text.startswith('cron('):
        return _parse_cron(text)
    raise ScheduleError('Invalid schedule expression %r: use rate(...) or cron(...).' % text)


def schedules_of(app: Any) -> dict[str, Any]:
    """``{function name: expression}`` of the app's ``@app.schedule()`` handlers."""
    from chalice.app import ScheduledEventConfig

    sources: list[Any] = [c for c in app.event_sources
                          if isinstance(c, ScheduledEventConfig)]
    return {source.name: source.schedule_expression for source in sources}


def parse_schedules(schedules: dict[str, Any]) -> dict[str, RateSchedule | CronSchedule]:
    """:func:`parse_schedule` for each ``{function name: expression}``; an
    error names the function."""
    parsed = {}
    for name, expression in schedules.items():
        try:
            parsed[name] = parse_schedule(expression)
        except ScheduleError as error:
            raise ScheduleError('Schedule %s: %s' % (name, error)) from None
    return parsed


# ---------------------------------------------------------------- running

class Clock:
    """Wall-clock time in UTC; ``speed`` > 1 makes time pass faster (for tests)."""

    def __init__(self, speed: float = 1.0) -> None:
        if speed <= 0:
            raise ValueError('speed must be positive')
        self.speed = speed
        self._origin = datetime.now(timezone.utc)
        self._started = time.monotonic()

    def now(self) -> datetime:
        elapsed = (time.monotonic() - self._started) * self.speed
        return self._origin + timedelta(seconds=elapsed)

    def wait(self, stop: threading.Event, until: datetime) -> bool:
        """Sleep until ``until`` (clock time) or ``stop``; True if stopped."""
        seconds = (until - self.now()).total_seconds() / self.speed
        return stop.wait(max(0.0, seconds))


def describe_firing(name: str, event: dict[str, Any], expression: str = '') -> str:
    """The log line of one firing."""
    what = ' (%s)' % expression if expression else ''
    return 'Schedule %s%s fired at %s' % (name, what, event.get('time', ''))


def _to_stderr(text: str) -> None:
    try:
        sys.stderr.write(text + '\n')
        sys.stderr.flush()
    except (OSError, ValueError):
        pass


class LocalScheduler:
    """Fires the app's schedules on time, each in its own thread.

    ``fire(name, event)`` delivers one firing (the extras pass their
    invoker's call); ``make_event(name, moment)`` builds its event;
    ``report(line)`` prints the log lines (on stderr by default).
    """

    def __init__(self, schedules: dict[str, Any], fire: Callable[[str, dict], Any],
                 make_event: Callable[[str, datetime], dict],
                 report: Callable[[str], None] | None = None,
                 clock: Clock | None = None) -> None:
        self._schedules = parse_schedules(schedules)
        self._fire = fire
        self._make_event = make_event
        self._write = report or _to_stderr
        self.clock = clock or Clock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._running: dict[str, threading.Thread] = {}
        self._lock = threading.Lock()

    def start(self) -> None:
        now = self.clock.now()
        upcoming = {name: schedule.next_after(now)
                    for name, schedule in self._schedules.items()}
        for name in sorted(upcoming):
            when = upcoming[name]
            self._write('Schedule %s (%s): next at %s' % (
                name, self._schedules[name].text, _iso(when) if when else 'never'))
        self._thread = threading.Thread(target=self._run, args=(upcoming,),
                                        name='chalice-schedules', daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 2.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
        with self._lock:
            running = list(self._running.values())
        for thread in running:
            thread.join(timeout)

    def _run(self, upcoming: dict[str, datetime | None]) -> None:
        while not self._stop.is_set():
            due = [(when, name) for name, when in upcoming.items() if when is not None]
            if not due:
                return
            when, name = min(due)
            if self.clock.wait(self._stop, when):
                return
            self._start_firing(name, when)
            schedule = self._schedules[name]
            following = schedule.next_after(when)
            now = self.clock.now()
            if following is not None and following <= now:
                # Missed firings (a suspended machine) are skipped, not queued.
                following = schedule.next_after(now)
            upcoming[name] = following

    def _start_firing(self, name: str, when: datetime) -> None:
        with self._lock:
            previous = self._running.get(name)
            if previous is not None and previous.is_alive():
                self._write('Schedule %s: skipped the firing at %s (the previous one is '
                            'still running)' % (name, _iso(when)))
                return
            thread = threading.Thread(target=self._deliver, args=(name, when),
                                      name='chalice-schedule-%s' % name, daemon=True)
            self._running[name] = thread
        thread.start()

    def _deliver(self, name: str, when: datetime) -> None:
        event = self._make_event(name, when)
        self._write(describe_firing(name, event, self._schedules[name].text))
        try:
            self._fire(name, event)
        except Exception:
            self._write('Schedule %s: the handler raised an exception:\n%s'
                        % (name, traceback.format_exc()))
