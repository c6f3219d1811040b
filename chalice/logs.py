"""Fetching and formatting a deployed Lambda function's CloudWatch logs.

``chalice logs`` reads the log group ``/aws/lambda/<function name>`` with
FilterLogEvents and prints one line per event::

    2016-11-07 12:29:15.714 431786 demolog - DEBUG - This is a debug statement

that is ``<timestamp (UTC, milliseconds)> <short log-stream id> <message>``,
where the short id is the first six characters of the hash part of the log
stream's name (``2016/11/07/[$LATEST]431786e1...`` -> ``431786``), so lines
of one execution environment are easy to tell apart.

Lines written by the Lambda platform itself (``START RequestId: ...``,
``END ...``, ``REPORT ...`` and the ``INIT_*`` lines) are hidden unless asked
for.  Following (``--follow``) polls for new events and prints each one once,
however many polls return it.

Everything AWS goes through :class:`chalice.awsclient.AWSClient`; nothing
here imports botocore.
"""
import datetime
import heapq
import json
import re
import time
from dataclasses import dataclass
from typing import Any, Callable, Dict, Iterable, Iterator, List, Optional

from chalice.errors import ChaliceError

# How far back ``--follow`` starts when no ``--since`` is given.
DEFAULT_FOLLOW_SINCE = datetime.timedelta(minutes=10)
# Seconds between polls while following.
FOLLOW_POLL_INTERVAL = 2.0
# While following, each poll re-reads this many milliseconds before the newest
# event already seen: CloudWatch may ingest an event a little after a newer
# one from another log stream.  Events seen before are recognised by eventId.
FOLLOW_OVERLAP_MS = 10_000

_LAMBDA_MESSAGE_PREFIXES = (
    'START RequestId: ', 'END RequestId: ', 'REPORT RequestId: ',
    'INIT_START ', 'INIT_REPORT ', 'INIT_RUNTIME_DONE ', 'RESTORE_START ', 'RESTORE_REPORT ',
)
_RELATIVE_SINCE = re.compile(r'^(\d+)\s*([smhdw])$')
_UNIT_SECONDS = {'s': 1, 'm': 60, 'h': 3600, 'd': 86400, 'w': 604800}


class InvalidSinceError(ChaliceError):
    """``--since`` is neither an ISO 8601 time nor a relative time like ``5m``."""


@dataclass(frozen=True)
class LogEvent:
    """One CloudWatch log event, as much of it as ``chalice logs`` shows."""

    timestamp: int          # milliseconds since the epoch
    log_stream_name: str
    message: str
    event_id: str = ''
    ingestion_time: int = 0

    @classmethod
    def from_response(cls, event: Dict[str, Any]) -> 'LogEvent':
        return cls(timestamp=int(event.get('timestamp', 0)),
                   log_stream_name=event.get('logStreamName', ''),
                   message=event.get('message', ''),
                   event_id=str(event.get('eventId', '')),
                   ingestion_time=int(event.get('ingestionTime', 0)))


# -- names -------------------------------------------------------------------

def function_name_from_arn(arn: str) -> str:
    """``arn:aws:lambda:<region>:<account>:function:<name>[:qualifier]`` -> name."""
    parts = arn.split(':')
    if len(parts) >= 7 and parts[0] == 'arn' and parts[5] == 'function':
        return parts[6]
    return arn


def region_from_arn(arn: str) -> Optional[str]:
    parts = arn.split(':')
    if len(parts) >= 7 and parts[0] == 'arn' and parts[3]:
        return parts[3]
    return None


def log_group_name(function_name: str) -> str:
    return '/aws/lambda/%s' % function_name


# -- formatting --------------------------------------------------------------

def short_stream_id(log_stream_name: str) -> str:
    """The first six characters of the hash part of a Lambda log stream name."""
    hash_part = log_stream_name.rsplit(']', 1)[-1] if ']' in log_stream_name \
        else log_stream_name.rsplit('/', 1)[-1]
    return hash_part[:6]


def format_timestamp(milliseconds: int) -> str:
    """``YYYY-MM-DD HH:MM:SS.mmm`` in UTC."""
    seconds, millis = divmod(int(milliseconds), 1000)
    moment = datetime.datetime.fromtimestamp(seconds, tz=datetime.timezone.utc)
    return '%s.%03d' % (moment.strftime('%Y-%m-%d %H:%M:%S'), millis)


def format_event(event: LogEvent) -> str:
    message = event.message
    while message.endswith(('\n', '\r')):
        message = message[:-1]
    return '%s %s %s' % (format_timestamp(event.timestamp),
                         short_stream_id(event.log_stream_name), message)


def is_lambda_message(message: str) -> bool:
    """Whether a line was written by the Lambda platform, not by the function."""
    if message.startswith(_LAMBDA_MESSAGE_PREFIXES):
        return True
    # Functions configured for JSON logs get the platform lines as JSON records.
    if '"platform.' in message and message.lstrip().startswith('{'):
        try:
            record = json.loads(message)
        except ValueError:
            return False
        return isinstance(record, dict) and str(record.get('type', '')).startswith(
            'platform.')
    return False


# -- --since -----------------------------------------------------------------

def parse_since(value: str, now: Optional[datetime.datetime] = None) -> datetime.datetime:
    """An aware UTC datetime from ``5m``/``2h``/... or an ISO 8601 time.

    Relative units: s, m, h, d, w.  An ISO time without an offset is UTC
    (the times ``chalice logs`` prints are UTC too).
    """
    text = (value or '').strip()
    if now is None:
        now = datetime.datetime.now(datetime.timezone.utc)
    match = _RELATIVE_SINCE.match(text)
    if match:
        amount, unit = int(match.group(1)), match.group(2)
        return now - datetime.timedelta(seconds=amount * _UNIT_SECONDS[unit])
    iso = text[:-1] + '+00:00' if text[-1:] in ('Z', 'z') else text
    try:
        moment = datetime.datetime.fromisoformat(iso)
    except ValueError:
        raise InvalidSinceError(
            'Invalid value for --since: %r. Use an ISO 8601 time (e.g. 2024-01-31T12:00:00Z, '
            'UTC unless an offset is given) or a relative time such as 30s, 5m, 2h, 1d or 1w.'
            % value) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.timezone.utc)
    return moment.astimezone(datetime.timezone.utc)


def to_milliseconds(moment: datetime.datetime) -> int:
    return int(moment.timestamp() * 1000)


# -- fetching ----------------------------------------------------------------

class LogRetriever:
    """Reads one log group's events through an :class:`AWSClient`.

    ``missing_group`` is called once (with the group name) when the group
    does not exist, which is normal for a function that has never logged.
    """

    def __init__(self, aws: Any, group_name: str, include_lambda_messages: bool = False,
                 missing_group: Optional[Callable[[str], None]] = None) -> None:
        self._aws = aws
        self.group_name = group_name
        self.include_lambda_messages = include_lambda_messages
        self._missing_group = missing_group
        self._reported_missing = False

    def _pages(self, start_time: Optional[int]) -> Iterator[List[LogEvent]]:
        params: Dict[str, Any] = {'logGroupName': self.group_name}
        if start_time is not None:
            params['startTime'] = max(0, int(start_time))
        while True:
            response = self._aws.call('logs', 'filter_log_events', dict(params),
                                      ignore_errors=('ResourceNotFoundException',))
            if response is None:
                if self._missing_group is not None and not self._reported_missing:
                    self._reported_missing = True
                    self._missing_group(self.group_name)
                return
            yield [LogEvent.from_response(e) for e in response.get('events') or []]
            token = response.get('nextToken')
            if not token or token == params.get('nextToken'):
                return
            params['nextToken'] = token

    def _shown(self, event: LogEvent) -> bool:
        return self.include_lambda_messages or not is_lambda_message(event.message)

    def all_events(self, start_time: Optional[int] = None) -> List[LogEvent]:
        """Every event since ``start_time`` (ms), oldest first; none are hidden."""
        events: List[LogEvent] = []
        for page in self._pages(start_time):
            events.extend(page)
        return _sorted(events)

    def retrieve(self, start_time: Optional[int] = None,
                 num_entries: Optional[int] = None) -> List[LogEvent]:
        """The events to show, oldest first; with ``num_entries``, only the latest N."""
        if num_entries is None:
            return [e for e in self.all_events(start_time) if self._shown(e)]
        # Keep only the newest N while reading, however many there are.
        newest: List[Any] = []
        order = 0
        for page in self._pages(start_time):
            for event in page:
                if not self._shown(event):
                    continue
                order += 1
                item = (event.timestamp, event.ingestion_time, order, event)
                if len(newest) < num_entries:
                    heapq.heappush(newest, item)
                elif item[:3] > newest[0][:3]:
                    heapq.heapreplace(newest, item)
        return [item[3] for item in sorted(newest, key=lambda i: i[:3])]

    def follow(self, start_time: int, num_entries: Optional[int] = None,
               sleep: Optional[Callable[[float], Any]] = None,
               poll_interval: float = FOLLOW_POLL_INTERVAL,
               max_polls: Optional[int] = None) -> Iterator[List[LogEvent]]:
        """Yield, per poll, the events not yielded before (oldest first).

        The first batch is limited to the latest ``num_entries``.  Polling
        stops after ``max_polls`` polls (tests) or never (Ctrl-C ends it).
        """
        if sleep is None:
            sleep = _sleep
        seen: Dict[str, int] = {}  # eventId -> timestamp, within the overlap window
        since = start_time
        polls = 0
        while True:
            events = self.all_events(since)
            fresh = []
            for event in events:
                key = event.event_id or '%s/%s/%s' % (event.log_stream_name, event.timestamp,
                                                      event.message)
                if key not in seen:
                    seen[key] = event.timestamp
                    fresh.append(event)
            shown = [e for e in fresh if self._shown(e)]
            if polls == 0 and num_entries is not None:
                shown = shown[-num_entries:] if num_entries > 0 else []
            yield shown
            if events:
                since = max(since, max(e.timestamp for e in events) - FOLLOW_OVERLAP_MS)
                seen = {k: ts for k, ts in seen.items() if ts >= since}
            polls += 1
            if max_polls is not None and polls >= max_polls:
                return
            sleep(poll_interval)


def _sleep(seconds: float) -> None:
    time.sleep(seconds)


def _sorted(events: Iterable[LogEvent]) -> List[LogEvent]:
    # Stable: events with the same timestamp keep the order AWS returned.
    return sorted(events, key=lambda e: (e.timestamp, e.ingestion_time))


def display_logs(retriever: LogRetriever, write: Callable[[str], Any],
                 since: Optional[datetime.datetime] = None, num_entries: Optional[int] = None,
                 follow: bool = False, sleep: Optional[Callable[[float], Any]] = None,
                 max_polls: Optional[int] = None,
                 now: Optional[datetime.datetime] = None) -> int:
    """Write the formatted events with ``write``; return how many were written."""
    written = 0
    if not follow:
        start = to_milliseconds(since) if since is not None else None
        for event in retriever.retrieve(start, num_entries):
            write(format_event(event))
            written += 1
        return written
    if since is None:
        if now is None:
            now = datetime.datetime.now(datetime.timezone.utc)
        since = now - DEFAULT_FOLLOW_SINCE
    for batch in retriever.follow(to_milliseconds(since), num_entries, sleep=sleep,
                                  max_polls=max_polls):
        for event in batch:
            write(format_event(event))
            written += 1
    return written
