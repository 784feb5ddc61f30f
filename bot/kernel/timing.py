"""Where an entry stands on the bot's clock — to come, under way, over, expected without dates,
cancelled, postponed — so cards, /subscribe, /today and change notices word it the same way.

Pure functions of an entry, the catalog and a moment; nothing here reads the clock.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum
from zoneinfo import ZoneInfo

from bot.kernel.occurrences import zone_of
from store.catalog import Catalog
from store.kinds import FOLLOWABLE
from store.schema import Entry, Kind, SourceDocument, Status


class Stage(StrEnum):
    COMING = "coming"
    RUNNING = "running"
    OVER = "over"
    RECURRING = "recurring"  # a yearly observance: always a next one
    EXPECTED = "expected"  # no dates yet, but the sources expect it (a year): it can be followed
    UNDATED = "undated"  # no dates and nothing expected: nothing to follow
    CANCELLED = "cancelled"
    POSTPONED = "postponed"


#: Stages of something still ahead: it can be followed and its changes are told.
ALIVE = frozenset({Stage.COMING, Stage.RUNNING, Stage.RECURRING, Stage.EXPECTED, Stage.POSTPONED})
#: Bodies whose meetings form a numbered series (sessions of a body, the World Urban Forum).
SERIES_MEETINGS = frozenset({"wuf"})


def span(entry: Entry) -> tuple[dt.datetime, dt.datetime] | None:
    """When a dated entry begins and ends at its venue (the end is midnight after the last day)."""
    if entry.dates is None:
        return None
    tz = ZoneInfo(zone_of(entry))
    first, last = entry.dates.start, entry.dates.end or entry.dates.start
    starts = dt.datetime.combine(first, entry.dates.time or dt.time(0), tz)
    return starts, dt.datetime.combine(last + dt.timedelta(days=1), dt.time(0), tz)


def stage(entry: Entry, now: dt.datetime) -> Stage:
    if entry.status is Status.CANCELLED:
        return Stage.CANCELLED
    if entry.status is Status.POSTPONED:
        return Stage.POSTPONED
    if entry.recurrence is not None:
        return Stage.RECURRING
    bounds = span(entry)
    if bounds is not None:
        starts, ends = bounds
        return Stage.COMING if now < starts else Stage.RUNNING if now < ends else Stage.OVER
    if entry.expected is not None:
        return Stage.EXPECTED if entry.expected >= now.year else Stage.OVER
    return Stage.UNDATED


def alive(entry: Entry | None, now: dt.datetime) -> bool:
    return entry is not None and stage(entry, now) in ALIVE


def can_follow(entry: Entry, now: dt.datetime) -> bool:
    """May a delegate subscribe to it now: a followable kind with something still ahead."""
    return entry.kind in FOLLOWABLE and stage(entry, now) in ALIVE


def _in_series(entry: Entry, other: Entry) -> bool:
    if entry.body in (None, "other") or entry.kind != other.kind or entry.body != other.body:
        return False
    return entry.kind is Kind.SESSION or entry.body in SERIES_MEETINGS


def _order(entry: Entry) -> dt.date | None:
    if entry.dates is not None:
        return entry.dates.start
    return dt.date(entry.expected, 1, 1) if entry.expected is not None else None


def next_in_series(entry: Entry, catalog: Catalog, now: dt.datetime) -> Entry | None:
    """The next session of the same body (or the next World Urban Forum) that is still ahead."""
    after = _order(entry)
    found = [
        (when, other.id, other) for other in catalog.entries.values()
        if other.id != entry.id and _in_series(entry, other) and stage(other, now) in ALIVE - {Stage.RECURRING}
        and (when := _order(other)) is not None and (after is None or when > after)
    ]
    return min(found, key=lambda item: (item[0], item[1]))[2] if found else None


@dataclass(frozen=True)
class AsOf:
    """The latest dated document an entry cites: what it says was known then."""

    document: SourceDocument
    date: dt.date


def as_of(entry: Entry, catalog: Catalog) -> AsOf | None:
    dated = [(doc.date, doc.id, doc) for source in entry.all_sources() if source.doc
             and (doc := catalog.documents.get(source.doc)) is not None and doc.date is not None]
    if not dated:
        return None
    date, _id, doc = max(dated, key=lambda item: (item[0], item[1]))
    return AsOf(doc, date)


def written_before(entry: Entry, catalog: Catalog) -> AsOf | None:
    """The dated document the entry's statements rest on, when it was written before the event
    began and nothing the entry cites reports after it (public sources are undated reports)."""
    first = _order(entry)
    basis = as_of(entry, catalog)
    if first is None or basis is None or basis.date >= first or any(s.public for s in entry.sources):
        return None
    return basis
