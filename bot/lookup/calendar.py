"""What is coming (/upcoming) and what is on this week (/today), from the catalog and the clock.

A yearly observance and the entry for one year of it (World Cities Day, World Cities Day 2025)
fall on the same day: the list shows the year's entry once (it names the host city), never both.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from zoneinfo import ZoneInfo

from bot.kernel.callbacks import EntryButton, UpcomingButton
from bot.kernel.cards import short_label
from bot.kernel.dates import beside, date_range, single_day, until
from bot.kernel.i18n import gettext_for, ngettext_for
from bot.kernel.occurrences import Occurrence, occurrences, upcoming
from bot.kernel.reply import Button, Reply, esc, rows
from store.catalog import Catalog
from store.schema import Entry

MAX_UPCOMING = 12
MAX_IN_YEAR = 20
TODAY_DAYS = 7
#: Asking what happens in a year: "2026年有哪些活动", "events in 2026", "what meetings are there in 2025?".
YEAR_QUESTION = re.compile(
    r"^(?:(?P<zh>(?:19|20)\d\d)\s*年(?:的|都|还)?(?:有)?(?:哪些|什么|啥)?(?:活动|会议|日程|安排)(?:有哪些|有什么)?"
    r"|(?:(?:what|which)\s+)?(?:events|meetings|sessions|milestones|calendar|schedule)"
    r"(?:\s+(?:are|were|will\s+be|is|was))?(?:\s+there)?\s+(?:in|for|of)\s+(?P<en>(?:19|20)\d\d))"
    r"[\s?？!！.。]*$", re.IGNORECASE)


def _same_thing(a: Entry, b: Entry, catalog: Catalog) -> bool:
    """Does one entry stand for a year of the other (they name each other as related)?"""
    return b.id in a.related or a.id in b.related or b.id in catalog.referrers.get(a.id, ())


def distinct(found: Iterable[Occurrence], catalog: Catalog) -> list[Occurrence]:
    """Occurrences without the rule's copy of a day a dated entry already covers."""
    found = list(found)
    dated = [o for o in found if catalog.entries[o.entry_id].dates is not None]
    kept = []
    for occurrence in found:
        entry = catalog.entries[occurrence.entry_id]
        if entry.recurrence is not None and any(
            (o.first_day, o.last_day) == (occurrence.first_day, occurrence.last_day)
            and _same_thing(entry, catalog.entries[o.entry_id], catalog) for o in dated
        ):
            continue
        kept.append(occurrence)
    return kept


def _buttons(found: Iterable[Occurrence], catalog: Catalog, lang: str) -> tuple[tuple[Button, ...], ...]:
    """One button per entry listed (an entry listed twice, two years of it, gets one)."""
    seen = dict.fromkeys(o.entry_id for o in found)
    return rows([Button(short_label(catalog.entries[i], lang), data=EntryButton(i).pack()) for i in seen])


def _dated_line(catalog: Catalog, occurrence: Occurrence, now: dt.datetime, lang: str) -> str:
    """"• 4–8 November 2024 — WUF12 · Cairo (in 34 days)": one line of a list of what is dated."""
    entry = catalog.entries[occurrence.entry_id]
    span = date_range(occurrence.first_day, occurrence.last_day, lang)
    distance = until(now, occurrence.starts_at, occurrence.ends_at, lang)
    place = f" · {esc(entry.place.get(lang))}" if entry.place else ""
    return f"• <b>{span}</b> — {esc(entry.names.get(lang))}{place} ({distance})"


def upcoming_reply(catalog: Catalog, now: dt.datetime, lang: str) -> Reply:
    """The next milestones from now; recurring ones computed for the coming year."""
    _ = gettext_for(lang)
    found = distinct(upcoming(catalog.entries.values(), now, days=366), catalog)[:MAX_UPCOMING]
    if not found:
        return Reply(_("Nothing is scheduled in the coming year in the bot's sources."))
    lines = ["<b>{}</b>".format(_("Coming up"))]
    lines += [_dated_line(catalog, occurrence, now, lang) for occurrence in found]
    return Reply("\n".join(lines), _buttons(found, catalog, lang))


def year_asked(text: str) -> int | None:
    """The year a "what happens in 2026" question asks about, or None for any other text."""
    match = YEAR_QUESTION.match(text.strip())
    return int(match.group("zh") or match.group("en")) if match else None


def year_reply(catalog: Catalog, year: int, now: dt.datetime, lang: str) -> Reply:
    """What the sources date in ``year``: sessions, meetings and observances, in order."""
    _ = gettext_for(lang)
    n_ = ngettext_for(lang)
    start = dt.datetime(year, 1, 1, tzinfo=dt.UTC)
    end = dt.datetime(year + 1, 1, 1, tzinfo=dt.UTC)
    found = sorted((o for e in catalog.entries.values() for o in occurrences(e, start, end)
                    if o.first_day.year == year), key=lambda o: (o.starts_at, o.entry_id))
    found = distinct(found, catalog)
    if not found:
        return Reply(_("The bot's sources date nothing in %(year)d.") % {"year": year})
    lines = ["<b>{}</b>".format(_("In %(year)d") % {"year": year})]
    lines += [_dated_line(catalog, occurrence, now, lang) for occurrence in found[:MAX_IN_YEAR]]
    if len(found) > MAX_IN_YEAR:
        more = len(found) - MAX_IN_YEAR
        lines.append(n_("… and %(n)d more.", "… and %(n)d more.", more) % {"n": more})
    return Reply("\n".join(lines), _buttons(found[:MAX_IN_YEAR], catalog, lang))


def _today_line(entry: Entry, occurrence: Occurrence, now: dt.datetime, zone: str, lang: str) -> str:
    """Name, days at the venue with its zone, place; the start in the reader's zone when known."""
    _ = gettext_for(lang)
    n_ = ngettext_for(lang)
    span = date_range(occurrence.first_day, occurrence.last_day, lang)
    parts = [f"<b>{esc(entry.names.get(lang))}</b>", f"{span} ({esc(occurrence.zone)})"]
    if entry.place:
        parts.append(esc(entry.place.get(lang)))
    if occurrence.starts_at <= now < occurrence.ends_at:
        day = (now.astimezone(ZoneInfo(occurrence.zone)).date() - occurrence.first_day).days + 1
        total = (occurrence.last_day - occurrence.first_day).days + 1
        parts.append(_("under way now") if total == 1 else
                     n_("day %(n)d of %(total)d", "day %(n)d of %(total)d", day) % {"n": day, "total": total})
    else:
        parts.append(until(now, occurrence.starts_at, occurrence.ends_at, lang))
    line = "• " + " · ".join(parts)
    if occurrence.all_day:
        return line
    return line + "\n  🕗 " + _("starts %(when)s") % {"when": esc(beside(occurrence.starts_at, occurrence.zone, zone, lang))}


def today_reply(catalog: Catalog, now: dt.datetime, lang: str, zone: str) -> Reply:
    """What is in session or observed today (the reader's day) and in the next 7 days."""
    _ = gettext_for(lang)
    n_ = ngettext_for(lang)
    tz = ZoneInfo(zone)
    today = now.astimezone(tz).date()
    day_start = dt.datetime.combine(today, dt.time(0), tz)
    day_end = dt.datetime.combine(today + dt.timedelta(days=1), dt.time(0), tz)
    week_end = dt.datetime.combine(today + dt.timedelta(days=TODAY_DAYS + 1), dt.time(0), tz)
    found = sorted((o for e in catalog.entries.values() for o in occurrences(e, day_start, week_end)),
                   key=lambda o: (o.starts_at, o.entry_id))
    found = distinct(found, catalog)
    on_today = [o for o in found if o.starts_at < day_end and o.ends_at > day_start]
    later = [o for o in found if o not in on_today]
    header = _("Today, %(day)s (%(zone)s)") % {"day": single_day(today, lang), "zone": esc(zone)}
    lines = [f"<b>{header}</b>"]
    if on_today:
        lines += [_("In session or observed today:")]
        lines += [_today_line(catalog.entries[o.entry_id], o, now, zone, lang) for o in on_today]
    else:
        lines.append(_("Nothing is in session or observed today."))
    lines.append("")
    if later:
        lines.append(n_("In the next %(n)d day:", "In the next %(n)d days:", TODAY_DAYS) % {"n": TODAY_DAYS})
        lines += [_today_line(catalog.entries[o.entry_id], o, now, zone, lang) for o in later]
    else:
        lines.append(n_("Nothing in the next %(n)d day.", "Nothing in the next %(n)d days.", TODAY_DAYS)
                     % {"n": TODAY_DAYS})
    lines += ["", "<i>{}</i>".format(_("Days are the venue's; start times, where the sources give one, are shown "
                                       "in your time zone with the venue's beside it."))]
    buttons = _buttons(found, catalog, lang) + ((Button(_("Upcoming"), data=UpcomingButton().pack()),),)
    return Reply("\n".join(lines), buttons)
