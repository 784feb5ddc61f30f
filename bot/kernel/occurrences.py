"""When events happen: pure functions of an entry's data, a moment and a time zone.

Dated entries occur once (all day, in the venue's zone); yearly observances follow their RFC 5545
rule through dateutil, never hand-written date arithmetic. Nothing here reads the clock.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from dateutil.rrule import rrulebase, rrulestr

from store.schema import Entry

DEFAULT_ZONE = "Africa/Nairobi"


@dataclass(frozen=True, slots=True)
class Occurrence:
    """One occurrence of an entry: first and last day, and the instants they begin and end."""

    entry_id: str
    first_day: dt.date
    last_day: dt.date
    zone: str
    #: The opening time at the venue, when the sources give one; None: all day.
    time: dt.time | None = None

    @property
    def all_day(self) -> bool:
        return self.time is None

    @property
    def starts_at(self) -> dt.datetime:
        """The opening time at the venue on the first day (midnight for an all-day event)."""
        return dt.datetime.combine(self.first_day, self.time or dt.time(0), ZoneInfo(self.zone))

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


@functools.lru_cache(maxsize=512)
def _rule(text: str, since: int) -> rrulebase:
    """A recurrence rule parsed once, remembering the dates it has counted (dateutil's cache is
    thread-safe): /upcoming and every reminder plan walk the same few rules again and again."""
    return rrulestr(text, dtstart=dt.datetime(since, 1, 1), cache=True)  # noqa: DTZ001


def occurrences(entry: Entry, after: dt.datetime, until: dt.datetime) -> Iterator[Occurrence]:
    """Occurrences of ``entry`` that have not ended at ``after`` and start before ``until``."""
    zone = zone_of(entry)
    if entry.status is not None:
        return  # cancelled, or postponed until new dates are announced: nothing takes place
    if entry.dates is not None:
        occurrence = Occurrence(entry.id, entry.dates.start, entry.dates.end or entry.dates.start, zone,
                                entry.dates.time)
        if occurrence.ends_at > after and occurrence.starts_at < until:
            yield occurrence
        return
    if entry.recurrence is None:
        return
    # Naive on purpose: the rule counts calendar days at the venue, the zone is applied after.
    rule = _rule(entry.recurrence.rrule, entry.recurrence.since)
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


# -- lead times ----------------------------------------------------------------------------------

#: What a delegate gets without saying: a month, a week and a day before, and on the morning itself.
DEFAULT_LEADS_TEXT = "30d 7d 1d 08:00"
#: The hour of day (in the delegate's zone) at which a reminder counted in days arrives.
MORNING = dt.time(8, 0)
MIN_LEAD = dt.timedelta(minutes=1)
MAX_LEAD = dt.timedelta(days=365)
#: Lead times one subscription may have: each is a reminder per occurrence, so the outbox stays small.
MAX_LEADS = 10

_UNITS = {"d": "d", "day": "d", "days": "d", "天": "d", "日": "d", "w": "w", "week": "w", "weeks": "w",
          "周": "w", "星期": "w", "h": "h", "hour": "h", "hours": "h", "小时": "h", "时": "h",
          "m": "m", "min": "m", "mins": "m", "minutes": "m", "分钟": "m", "分": "m"}
_LEAD = re.compile(r"^(\d{1,3})\s*(" + "|".join(sorted(map(re.escape, _UNITS), key=len, reverse=True)) + r")$")
_AT = re.compile(r"^@?(\d{1,2})[:：](\d{2})$")


@dataclass(frozen=True, slots=True)
class Lead:
    """How long before an occurrence a reminder comes.

    Leads counted in days or weeks arrive at 08:00 in the delegate's zone on that day (a week
    before, in the morning — not at midnight at the venue); leads in hours or minutes are exact
    offsets from the start at the venue; ``at`` alone is a time of day on the first day itself.
    """

    amount: int = 0
    unit: str = "d"  # d, w, h, m
    at: dt.time | None = None  # on the day itself at this local time (unit/amount unused)

    @property
    def text(self) -> str:
        """Canonical spelling, also part of the delivery key: ``7d``, ``2h``, ``08:00``."""
        if self.at is not None:
            return self.at.strftime("%H:%M")
        return f"{self.amount}{self.unit}"

    @property
    def offset(self) -> dt.timedelta:
        """How long before the start this lead is, as written (``at`` leads, on the day itself: 0)."""
        if self.at is not None:
            return dt.timedelta(0)
        per = {"d": dt.timedelta(days=1), "w": dt.timedelta(weeks=1), "h": dt.timedelta(hours=1),
               "m": dt.timedelta(minutes=1)}[self.unit]
        return per * self.amount

    @property
    def span(self) -> dt.timedelta:
        """Roughly how far ahead this lead reaches (to size planning windows)."""
        return self.offset + dt.timedelta(days=1)


class LeadError(ValueError):
    """A lead time the parser refuses; ``token`` is what was written, ``reason`` why (``unknown``,
    ``short``, ``long`` or ``many``)."""

    def __init__(self, token: str, reason: str = "unknown", count: int = 0) -> None:
        super().__init__(token)
        self.token, self.reason, self.count = token, reason, count


def parse_lead(token: str) -> Lead:
    """``7d``, ``2h``, ``30m``, ``1w``, ``7天``, ``08:00`` → a Lead; raise LeadError otherwise."""
    text = token.strip().lower()
    match = _AT.match(text)
    if match:
        hour, minute = int(match.group(1)), int(match.group(2))
        if hour > 23 or minute > 59:
            raise LeadError(token)
        return Lead(at=dt.time(hour, minute))
    match = _LEAD.match(text)
    if not match:
        raise LeadError(token)
    amount, unit = int(match.group(1)), _UNITS[match.group(2)]
    if unit == "w":  # one spelling per moment, so "1w 7d" is one reminder and one delivery key
        amount, unit = amount * 7, "d"
    lead = Lead(amount, unit)
    if lead.offset < MIN_LEAD:
        raise LeadError(token, "short")
    if lead.offset > MAX_LEAD:
        raise LeadError(token, "long")
    return lead


def is_lead(token: str) -> bool:
    try:
        parse_lead(token)
    except LeadError:
        return False
    return True


def _tokens(text: str) -> list[str]:
    return [t for t in re.split(r"[\s,，、]+", text.strip()) if t]


def _longest_first(leads: set[Lead]) -> tuple[Lead, ...]:
    return tuple(sorted(leads, key=lambda lead: (lead.at is None, lead.span, lead.text), reverse=True))


def parse_leads(text: str) -> tuple[Lead, ...]:
    """Parse space- or comma-separated leads, dropping repeats, longest first; at most ``MAX_LEADS``."""
    leads = {parse_lead(t) for t in _tokens(text)}
    if len(leads) > MAX_LEADS:
        raise LeadError(text, "many", len(leads))
    return _longest_first(leads)


def stored_leads(text: str) -> tuple[Lead, ...]:
    """The leads of a stored subscription: what still parses, at most ``MAX_LEADS`` (rows written
    before the limits keep working instead of failing the planner)."""
    leads = {lead for lead in map(_parse_or_none, _tokens(text)) if lead is not None}
    return _longest_first(leads)[:MAX_LEADS]


def _parse_or_none(token: str) -> Lead | None:
    try:
        return parse_lead(token)
    except LeadError:
        return None


def leads_text(leads: Iterable[Lead]) -> str:
    return " ".join(lead.text for lead in leads)


def due_at(occurrence: Occurrence, lead: Lead, user_zone: str) -> dt.datetime:
    """The instant (UTC) a reminder with ``lead`` for ``occurrence`` is due for a delegate in ``user_zone``.

    Calendar arithmetic happens on dates and local wall times and zoneinfo turns them into
    instants, so a reminder "at 08:00" stays at 08:00 across a DST change (the UTC instant moves).
    A wall time that does not exist (the spring-forward gap) resolves to just after the gap.
    """
    tz = ZoneInfo(user_zone)
    if lead.at is not None:
        return _local(occurrence.first_day, lead.at, tz)
    if lead.unit in ("d", "w"):
        days = lead.amount * (7 if lead.unit == "w" else 1)
        return _local(occurrence.first_day - dt.timedelta(days=days), MORNING, tz)
    delta = dt.timedelta(hours=lead.amount) if lead.unit == "h" else dt.timedelta(minutes=lead.amount)
    # In UTC: arithmetic on a zoned datetime is wall-clock arithmetic and would ignore a DST change.
    return occurrence.starts_at.astimezone(dt.UTC) - delta


def _local(day: dt.date, at: dt.time, tz: ZoneInfo) -> dt.datetime:
    # fold=0 (the default) reads a wall time in the spring-forward gap with the offset before the
    # change, which lands after the gap (02:30 → 03:30 local): late rather than an hour early.
    return dt.datetime.combine(day, at, tz).astimezone(dt.UTC)
