"""Calendar files (RFC 5545, the icalendar package) for one event or for all of a user's follows.

Events are all-day (``DTSTART;VALUE=DATE``): the sources give days, not hours, and an all-day
event shows on the right days in every calendar whatever the reader's zone. Only an entry whose
sources give an opening time (``dates.time``) is a timed event, in its venue's zone. Recurring
observances carry their RRULE so the calendar keeps them every year.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event, vRecur

from bot.kernel.cards import cite
from bot.kernel.occurrences import next_occurrence, zone_of
from store.catalog import Catalog
from store.schema import Entry

PRODID = "-//Habitat Assistant//人居助手//ZH"


def _event(entry: Entry, catalog: Catalog, now: dt.datetime, lang: str) -> Event | None:
    if entry.status is not None:
        return None  # cancelled, or postponed without new dates: nothing to put in a calendar
    occurrence = next_occurrence(entry, now)
    if occurrence is None and entry.dates is None:
        return None
    first = entry.dates.start if entry.dates else occurrence.first_day  # type: ignore[union-attr]
    last = (entry.dates.end or entry.dates.start) if entry.dates else occurrence.last_day  # type: ignore[union-attr]
    event = Event()
    event.add("uid", f"{entry.id}@habitat-assistant")
    event.add("dtstamp", now.astimezone(dt.UTC))
    event.add("summary", entry.names.get(lang))
    if entry.dates is not None and entry.dates.time is not None:
        # The sources give an opening time: a timed event in the venue's zone, to the last day's end.
        zone = ZoneInfo(zone_of(entry))
        event.add("dtstart", dt.datetime.combine(first, entry.dates.time, zone))
        event.add("dtend", dt.datetime.combine(last + dt.timedelta(days=1), dt.time(0), zone))
    else:
        event.add("dtstart", first)
        event.add("dtend", last + dt.timedelta(days=1))  # DTEND of an all-day event is exclusive
    if entry.recurrence is not None and entry.dates is None:
        event.add("rrule", vRecur.from_ical(entry.recurrence.rrule.removeprefix("RRULE:")))
    if entry.place:
        event.add("location", entry.place.get(lang))
    description = []
    if entry.summary:
        description.append(entry.summary.get(lang))
    sources = list(entry.dates.sources if entry.dates else []) + list(entry.sources)
    description.append("; ".join(dict.fromkeys(cite(s, catalog, lang) for s in sources)))
    event.add("description", "\n\n".join(description))
    if entry.timezone:
        event.add("x-habitat-venue-tz", entry.timezone)
    return event


def calendar(entries: Iterable[Entry], catalog: Catalog, now: dt.datetime, lang: str, name: str) -> bytes:
    """One VCALENDAR with an all-day VEVENT per entry that has dates or a rule."""
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", name)
    for entry in entries:
        event = _event(entry, catalog, now, lang)
        if event is not None:
            cal.add_component(event)
    cal.add_missing_timezones()  # a VTIMEZONE for each TZID a timed event uses
    return cal.to_ical()
