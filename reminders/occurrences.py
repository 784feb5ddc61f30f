"""When events happen: pure functions of an entry's data, a moment and a time zone.

Dated entries occur once (all day, in the venue's zone); yearly observances follow their RFC 5545
rule through dateutil, never hand-written date arithmetic. Nothing here reads the clock.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from dateutil.rrule import rrulestr

from store.schema import Entry

DEFAULT_ZONE = "Africa/Nairobi"


@dataclass(frozen=True, slots=True)
class Occurrence:
    """One occurrence of an entry: first and last day, and the instants they begin and end."""

    entry_id: str
    first_day: dt.date
    last_day: dt.date
    zone: str

    @property
    def starts_at(self) -> dt.datetime:
        """Midnight at the venue on the first day."""
        return dt.datetime.combine(self.first_day, dt.time(0), ZoneInfo(self.zone))

    @property
    def ends_at(self) -> dt.datetime:
        """Midnight at the venue after the last day."""
        return dt.datetime.combine(self.last_day + dt.timedelta(days=1), dt.time(0), ZoneInfo(self.zone))

    @property
    def key(self) -> str:
        """Stable id of this occurrence (for delivery keys): entry and first day."""
        return f"{self.entry_id}@{self.first_day.isoformat()}"


def zone_of(entry: Entry, default: str = DEFAULT_ZONE) -> str:
    return entry.timezone or default


def occurrences(entry: Entry, after: dt.datetime, until: dt.datetime) -> Iterator[Occurrence]:
    """Occurrences of ``entry`` that have not ended at ``after`` and start before ``until``."""
    zone = zone_of(entry)
    if entry.dates is not None:
        occurrence = Occurrence(entry.id, entry.dates.start, entry.dates.end or entry.dates.start, zone)
        if occurrence.ends_at > after and occurrence.starts_at < until:
            yield occurrence
        return
    if entry.recurrence is None:
        return
    # Naive on purpose: the rule counts calendar days at the venue, the zone is applied after.
    rule = rrulestr(entry.recurrence.rrule, dtstart=dt.datetime(entry.recurrence.since, 1, 1))  # noqa: DTZ001
    tz = ZoneInfo(zone)
    # Rules run on naive local dates; an occurrence can still be running for a month after it began.
    window_start = after.astimezone(tz).replace(tzinfo=None) - dt.timedelta(days=62)
    window_end = until.astimezone(tz).replace(tzinfo=None)
    for start in rule.between(window_start, window_end, inc=True):
        first = start.date()
        last = first
        if entry.recurrence.ends:
            month, day = (int(part) for part in entry.recurrence.ends.split("-"))
            last = dt.date(first.year, month, day)
        occurrence = Occurrence(entry.id, first, last, zone)
        if occurrence.ends_at > after and occurrence.starts_at < until:
            yield occurrence


def next_occurrence(entry: Entry, now: dt.datetime, horizon_days: int = 800) -> Occurrence | None:
    """The occurrence running at ``now`` or the next one to come, if any."""
    return next(occurrences(entry, now, now + dt.timedelta(days=horizon_days)), None)


def last_occurrence(entry: Entry, now: dt.datetime) -> Occurrence | None:
    """The most recent occurrence that ended before ``now``."""
    past = list(occurrences(entry, now - dt.timedelta(days=366 * 60), now))
    ended = [o for o in past if o.ends_at <= now]
    return ended[-1] if ended else None


def upcoming(entries: Iterable[Entry], now: dt.datetime, days: int = 366) -> list[Occurrence]:
    """Every occurrence running now or starting within ``days``, soonest first."""
    until = now + dt.timedelta(days=days)
    found = [o for e in entries for o in occurrences(e, now, until)]
    return sorted(found, key=lambda o: (o.starts_at, o.entry_id))
