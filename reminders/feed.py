"""A user's live calendar feed (RFC 5545): one VEVENT per occurrence of what they follow, each with
an alarm (VALARM) for every lead time they chose.

Built from the live catalog and the user's subscriptions on every request, so a calendar app that
subscribed to the feed follows moved dates, new subscriptions and dropped ones by itself.
Recurring observances are expanded into their occurrences within a window (not an RRULE), so each
has its own alarms at the instants the bot's own reminders come. An all-day event is all-day in
the feed (``DTSTART;VALUE=DATE``); an event the sources give an opening time for carries its
venue's zone (``TZID`` and a VTIMEZONE).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from icalendar import Alarm, Calendar, Event, vDuration

from bot.kernel.cards import cite
from bot.kernel.i18n import gettext_for
from bot.kernel.occurrences import Lead, Occurrence, due_at, occurrences, stored_leads
from bot.kernel.reply import plain_text
from reminders.planner import entries_for
from store.catalog import Catalog
from store.schema import Entry, Status

PRODID = "-//Habitat Assistant//人居助手 calendar feed//ZH"
#: Occurrences that ended this long ago stay in the feed (a session just closed is still looked up).
KEPT = dt.timedelta(days=31)
#: How far ahead a yearly observance is expanded: this year's and next year's.
AHEAD = dt.timedelta(days=2 * 366)
#: How far ahead a dated event is listed: any date the sources announce.
DATED_AHEAD = dt.timedelta(days=15 * 366)
#: What calendar apps are asked to wait between two fetches (REFRESH-INTERVAL, X-PUBLISHED-TTL).
REFRESH = dt.timedelta(hours=1)


@dataclass(frozen=True)
class Follow:
    """What one subscription of the user covers: a target and its lead times (``"30d 7d 08:00"``)."""

    target_kind: str
    target: str
    leads: str


@dataclass(frozen=True)
class Feed:
    """The feed's bytes and their validator (an ETag: same bytes, same tag)."""

    body: bytes
    events: int
    waiting: tuple[str, ...]  # followed entries with no dates yet (names), not in the feed until dated

    @property
    def etag(self) -> str:
        return '"' + hashlib.sha256(self.body).hexdigest()[:32] + '"'


def followed_leads(catalog: Catalog, follows: Iterable[Follow]) -> dict[str, tuple[Entry, tuple[Lead, ...]]]:
    """Each followed entry and the lead times of every subscription that covers it (merged)."""
    found: dict[str, tuple[Entry, set[Lead]]] = {}
    for follow in follows:
        for entry in entries_for(catalog, follow.target_kind, follow.target):
            _entry, leads = found.setdefault(entry.id, (entry, set()))
            leads.update(stored_leads(follow.leads))
    return {key: (entry, tuple(sorted(leads, key=lambda lead: (lead.at is None, lead.span, lead.text), reverse=True)))
            for key, (entry, leads) in found.items()}


def trigger(occurrence: Occurrence, lead: Lead, zone: str) -> dt.timedelta:
    """The alarm's offset from DTSTART, so it fires when the bot's reminder for ``lead`` would.

    Calendar apps add a trigger's days on the wall clock of the zone DTSTART is read in (RFC 5545
    durations in days are nominal), so the offset is counted on that clock: the venue's for a
    timed event (its TZID), and for an all-day event, which starts at midnight wherever the
    calendar is read, the user's zone (the one the bot reminds them in).
    """
    due = due_at(occurrence, lead, zone)
    if not occurrence.all_day:
        venue = ZoneInfo(occurrence.zone)
        return due.astimezone(venue).replace(tzinfo=None) - occurrence.starts_at.replace(tzinfo=None)
    wall = due.astimezone(ZoneInfo(zone)).replace(tzinfo=None)
    return wall - dt.datetime.combine(occurrence.first_day, dt.time(0))


def _uid(entry: Entry, occurrence: Occurrence) -> str:
    # A dated event keeps its UID when its dates move, so calendars move it instead of adding one.
    if entry.dates is not None:
        return f"{entry.id}@habitat-assistant"
    return f"{entry.id}-{occurrence.first_day.isoformat()}@habitat-assistant"


def _event(entry: Entry, occurrence: Occurrence, leads: tuple[Lead, ...], catalog: Catalog, *,
           now: dt.datetime, stamp: dt.datetime, zone: str, lang: str) -> Event:
    _ = gettext_for(lang)
    event = Event()
    name = entry.names.get(lang)
    event.add("uid", _uid(entry, occurrence))
    event.add("dtstamp", stamp)
    event.add("summary", name)
    if occurrence.all_day:
        event.add("dtstart", occurrence.first_day)
        event.add("dtend", occurrence.last_day + dt.timedelta(days=1))  # exclusive for a DATE
    else:  # the opening time at the venue, in the venue's zone (TZID), until the last day ends there
        event.add("dtstart", occurrence.starts_at)
        event.add("dtend", occurrence.ends_at)
    if entry.place:
        event.add("location", entry.place.get(lang))
    if entry.category:
        event.add("categories", [entry.category])
    description = [entry.summary.get(lang)] if entry.summary else []
    sources = list(entry.dates.sources if entry.dates else []) + list(entry.sources)
    cited = dict.fromkeys(plain_text(cite(source, catalog, lang)) for source in sources)
    if cited:
        description.append(_("Sources: %(sources)s") % {"sources": "; ".join(cited)})
    event.add("description", "\n\n".join(description))
    for lead in leads:
        if due_at(occurrence, lead, zone) <= now:
            continue  # its moment has passed: a calendar would only show it as missed
        alarm = Alarm()
        alarm.add("uid", f"{_uid(entry, occurrence).split('@')[0]}-{lead.text}@habitat-assistant")
        alarm.add("action", "DISPLAY")
        alarm.add("description", _("Reminder: %(name)s") % {"name": name})
        alarm.add("trigger", trigger(occurrence, lead, zone))
        event.add_component(alarm)
    return event


def build_feed(catalog: Catalog, follows: Iterable[Follow], *, now: dt.datetime, zone: str, lang: str) -> Feed:
    """The VCALENDAR of everything ``follows`` cover, in ``lang``, alarms in ``zone``."""
    _ = gettext_for(lang)
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", _("Habitat Assistant: what I follow"))
    cal.add("x-wr-timezone", zone)
    cal.add("refresh-interval", REFRESH, parameters={"VALUE": "DURATION"})
    cal.add("x-published-ttl", vDuration(REFRESH))
    # DTSTAMP to the hour: fetched again within the hour, an unchanged feed is the same bytes
    # (same ETag, answered 304) instead of differing only in when it was made.
    stamp = now.astimezone(dt.UTC).replace(minute=0, second=0, microsecond=0)
    events, waiting = 0, []
    items = sorted(followed_leads(catalog, follows).values(), key=lambda item: item[0].id)
    for entry, leads in items:
        ahead = DATED_AHEAD if entry.dates is not None else AHEAD
        found = list(occurrences(entry, now - KEPT, now + ahead))
        if not found and (entry.dates is None and entry.recurrence is None or entry.status == Status.POSTPONED):
            waiting.append(entry.names.get(lang))  # expected in a year, or postponed: dates to come
        for occurrence in found:
            cal.add_component(_event(entry, occurrence, leads, catalog, now=now, stamp=stamp, zone=zone, lang=lang))
            events += 1
    cal.add_missing_timezones()  # a VTIMEZONE for each zone a timed event uses
    return Feed(cal.to_ical(), events, tuple(waiting))
