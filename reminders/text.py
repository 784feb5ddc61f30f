"""What reminders, digests and change notices say, written when they are sent.

Text is rendered at send time, not at planning time, so it uses the reader's current language
and time zone and the current content, and "how long until" is true when it arrives.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlmodel import col

from bot.kernel.callbacks import SnoozeButton, UnsubscribeButton
from bot.kernel.cards import cite
from bot.kernel.dates import beside, date_range, instant, until
from bot.kernel.i18n import gettext_for, ngettext_for
from bot.kernel.occurrences import Occurrence, occurrences, upcoming, zone_of
from bot.kernel.reply import Button, Reply, esc
from reminders.labels import category_labels
from reminders.models import Delivery
from reminders.planner import entries_for, next_reminder
from reminders.store import aware, subscriptions_of
from reminders.zones import utc_offset
from store.catalog import Catalog
from store.db import session_scope
from store.models import User
from store.schema import Entry
from store.users import get_user


def colon(lang: str) -> str:
    """Chinese text takes the full-width colon."""
    return "：" if lang == "zh" else ": "


def find_occurrence(entry: Entry, occurrence_key: str) -> Occurrence | None:
    """The occurrence a delivery was planned for (its key ends with the first day)."""
    _id, _sep, first = occurrence_key.rpartition("@")
    try:
        day = dt.date.fromisoformat(first)
    except ValueError:
        return None
    tz = ZoneInfo(zone_of(entry))
    start = dt.datetime.combine(day, dt.time(0), tz)
    for occurrence in occurrences(entry, start, start + dt.timedelta(days=1)):
        if occurrence.first_day == day:
            return occurrence
    return None


def when_lines(entry: Entry, occurrence: Occurrence, user_zone: str, lang: str) -> list[str]:
    """Dates at the venue, and the start in the reader's zone beside the venue's; an all-day
    event gives its days and the venue's zone, never an hour the sources do not give."""
    _ = gettext_for(lang)
    lines = [f"📅 <b>{date_range(occurrence.first_day, occurrence.last_day, lang)}</b>"]
    venue_start = occurrence.starts_at
    if occurrence.all_day:
        lines.append("🕗 " + _("All day at the venue (%(zone)s, %(offset)s); the sources give no start time.")
                     % {"zone": esc(occurrence.zone), "offset": utc_offset(occurrence.zone, venue_start)})
        return lines
    lines.append(f"🕗 {_('Starts')}{colon(lang)}{beside(venue_start, occurrence.zone, user_zone, lang)}")
    return lines


def how_long(now: dt.datetime, occurrence: Occurrence, lang: str) -> str:
    """"In 2 hours" within the last day (an hour lead must not say "in 1 day"), else in days;
    an all-day event is counted in days at the venue (its midnight is no start time)."""
    left = occurrence.starts_at.astimezone(dt.UTC) - now
    if not occurrence.all_day and dt.timedelta(0) < left < dt.timedelta(hours=24):
        n_ = ngettext_for(lang)
        if left < dt.timedelta(hours=1):
            minutes = max(1, round(left.total_seconds() / 60))
            return n_("in %(n)d minute", "in %(n)d minutes", minutes) % {"n": minutes}
        hours = round(left.total_seconds() / 3600)
        return n_("in %(n)d hour", "in %(n)d hours", hours) % {"n": hours}
    if occurrence.all_day and now < occurrence.starts_at:
        today = now.astimezone(ZoneInfo(occurrence.zone)).date()
        if (occurrence.first_day - today).days == 1:
            return gettext_for(lang)("tomorrow (at the venue)")
    return until(now, occurrence.starts_at, occurrence.ends_at, lang)


def sources_line(entry: Entry, catalog: Catalog, lang: str) -> str:
    _ = gettext_for(lang)
    sources = list(entry.dates.sources if entry.dates else []) + list(entry.sources)
    cited = "; ".join(dict.fromkeys(cite(s, catalog, lang) for s in sources[:3]))
    return f"<i>{_('Source')}{colon(lang)}{cited}</i>"


_STATIC: dict[tuple[object, ...], tuple[list[str], str]] = {}


def reminder_reply(
    entry: Entry, occurrence: Occurrence, catalog: Catalog, now: dt.datetime, *, lang: str, user_zone: str,
    late: bool = False, subscription_id: int | None = None, delivery_id: int | None = None,
) -> Reply:
    """What, when (reader's zone and venue's), where, how long until, source; Unsubscribe/Snooze."""
    _ = gettext_for(lang)
    lines = [f"🔔 <b>{_('Reminder')}{colon(lang)}{esc(entry.names.get(lang))}</b>"]
    if late:
        lines.append(f"<i>{_('Sent late: the bot was offline when this reminder was due.')}</i>")
    # Dates, zones and sources are the same for every reader of one occurrence in one zone and
    # language; formatting them (Babel) costs more than the send itself in a large fan-out.
    key = (id(catalog), catalog.version, entry.id, occurrence, user_zone, lang)
    static = _STATIC.get(key)
    if static is None:
        if len(_STATIC) > 4096:
            _STATIC.clear()
        static = _STATIC[key] = (when_lines(entry, occurrence, user_zone, lang), sources_line(entry, catalog, lang))
    lines += static[0]
    if entry.place:
        lines.append(f"📍 {esc(entry.place.get(lang))}")
    lines.append(f"⏳ {how_long(now, occurrence, lang)}")
    lines.append(static[1])
    buttons: list[Button] = []
    if subscription_id is not None:
        buttons.append(Button(f"🔕 {_('Unsubscribe')}", data=UnsubscribeButton(subscription_id).pack()))
    if delivery_id is not None:
        buttons.append(Button(f"⏰ {_('Snooze 1 h')}", data=SnoozeButton(delivery_id).pack()))
    return Reply("\n".join(lines), (tuple(buttons),) if buttons else (), meta={"entry": entry.id})


def _span(days: object, lang: str) -> str:
    if not isinstance(days, list) or len(days) != 2:
        return "—"
    return date_range(dt.date.fromisoformat(days[0]), dt.date.fromisoformat(days[1]), lang)


def _place(place: object, lang: str) -> str:
    if not isinstance(place, dict):
        return ""
    text = (place.get("zh") if lang == "zh" else place.get("en")) or place.get("zh") or place.get("en") or ""
    return esc(str(text))


def _timing_words(aspect: dict[str, object], lang: str, zone: str) -> str:
    """Days, start (reader's zone and venue's) or "all day", and place, of an aspect's new state."""
    _ = gettext_for(lang)
    parts = [f"<b>{_span(aspect.get('new'), lang)}</b>"] if aspect.get("new") else []
    venue_zone = str(aspect.get("zone") or zone)
    days, time = aspect.get("new"), aspect.get("time")
    if isinstance(days, list) and isinstance(time, str):
        hour, minute = (int(x) for x in time.split(":"))
        start = dt.datetime.combine(dt.date.fromisoformat(days[0]), dt.time(hour, minute), ZoneInfo(venue_zone))
        parts.append(_("starts %(when)s") % {"when": beside(start, venue_zone, zone, lang)})
    elif isinstance(days, list):
        parts.append(_("all day, venue time (%(zone)s)") % {"zone": esc(venue_zone)})
    place = _place(aspect.get("place"), lang)
    if place:
        parts.append(place)
    return " · ".join(parts)


def _aspect_text(aspect: dict[str, object], lang: str, zone: str, categories: dict[str, str]) -> str:
    _ = gettext_for(lang)
    kind = aspect.get("kind")
    old = _span(aspect.get("old"), lang)
    if kind == "removed":
        return _("no longer in the calendar (was %(old)s); its reminders are cancelled.") % {"old": old}
    if kind == "cancelled":
        return _("cancelled (it was planned for %(old)s); its reminders are cancelled.") % {"old": old}
    if kind == "postponed":
        return _("postponed (it was planned for %(old)s); new dates are not announced yet, and you will be told "
                 "when they are.") % {"old": old}
    if kind == "reinstated":
        return _("on again: %(new)s.") % {"new": _timing_words(aspect, lang, zone)}
    if kind == "dates" and not aspect.get("old"):
        return _("dates announced: %(new)s.") % {"new": _timing_words(aspect, lang, zone)}
    if kind == "dates":
        return _("dates changed from %(old)s to %(new)s.") % {"old": old, "new": _timing_words(aspect, lang, zone)}
    if kind == "time" and aspect.get("time") is None:
        return _("no start time any more (was %(old)s venue time): %(new)s.") % {
            "old": esc(str(aspect.get("old"))), "new": _timing_words(aspect, lang, zone)}
    if kind == "time":
        return _("new start time: %(new)s.") % {"new": _timing_words(aspect, lang, zone)}
    if kind == "venue":
        before = _place(aspect.get("old"), lang) or "—"
        after = _place(aspect.get("place"), lang) or "—"
        if not aspect.get("old"):
            text = _("venue announced: %(new)s.") % {"new": after}
        else:
            text = _("new venue: %(new)s (was %(old)s).") % {"new": after, "old": before}
        if aspect.get("old_zone") != aspect.get("zone"):
            text += " " + _("Venue time is now %(zone)s.") % {"zone": esc(str(aspect.get("zone")))}
        return text
    if kind == "expected":
        return _("now expected in %(new)s (was %(old)s); dates not announced yet.") % {
            "new": aspect.get("expected"), "old": aspect.get("old")}
    if kind == "added":
        category = aspect.get("category")
        where = categories.get(str(category), str(category)) if category else _("the calendar")
        when = _timing_words(aspect, lang, zone) if aspect.get("new") else (
            _("expected in %(year)d, dates not announced yet") % {"year": int(str(aspect.get("expected")))}
            if aspect.get("expected") else _("dates not announced yet"))
        return _("new in %(where)s: %(when)s.") % {"where": esc(where), "when": when}
    return ""


def _legacy(change: dict[str, object]) -> list[dict[str, object]]:
    """Notices written before change kinds existed: dates moved, or removed."""
    if change.get("removed") or not change.get("new"):
        return [{"kind": "removed", "old": change.get("old")}]
    return [{"kind": "dates", "old": change.get("old"), "new": change.get("new")}]


def change_reply(payload: dict[str, object], lang: str, zone: str = "Africa/Nairobi", *,
                 categories: dict[str, str] | None = None, next_reminder: str | None = None) -> Reply:
    """One notice per follower and content change, listing what changed for what they follow."""
    _ = gettext_for(lang)
    lines = [f"📢 <b>{_('Calendar change')}</b>"]
    replan = False
    changes = payload.get("changes", [])
    for change in changes if isinstance(changes, list) else []:
        names = change["names"]
        name = esc((names.get("zh") if lang == "zh" else names.get("en")) or names.get("zh") or names.get("en") or change["entry"])
        found = change.get("what") or _legacy(change)
        texts = [t for t in (_aspect_text(a, lang, zone, categories or {}) for a in found) if t]
        replan = replan or any(a.get("kind") in ("dates", "time", "reinstated") for a in found)
        if len(texts) == 1:
            lines.append(f"• <b>{name}</b>{colon(lang)}{texts[0]}")
        else:
            lines.append(f"• <b>{name}</b>")
            lines.extend(f"  – {t}" for t in texts)
    if replan:
        lines.append(_("Your reminders follow the new dates."))
    if next_reminder:
        lines.append(_("Next reminder: %(when)s.") % {"when": esc(next_reminder)})
    return Reply("\n".join(lines))


def digest_reply(entries: list[Entry], now: dt.datetime, lang: str, user_zone: str) -> Reply | None:
    _ = gettext_for(lang)
    found = upcoming(entries, now, days=7)
    if not found:
        return None
    by_id = {e.id: e for e in entries}
    lines = [f"🗓 <b>{_('Your week ahead')}</b>"]
    for occurrence in found:
        entry = by_id[occurrence.entry_id]
        span = date_range(occurrence.first_day, occurrence.last_day, lang)
        distance = until(now, occurrence.starts_at, occurrence.ends_at, lang)
        place = f" · {esc(entry.place.get(lang))}" if entry.place else ""
        lines.append(f"• <b>{span}</b> — {esc(entry.names.get(lang))}{place} ({distance})")
    return Reply("\n".join(lines))


class Renderer:
    """Renders claimed outbox rows for their readers (the dispatcher's ``render``)."""

    def __init__(self, engine: Engine, catalog: Callable[[], Catalog], *, default_lang: str = "zh",
                 default_zone: str = "Africa/Nairobi") -> None:
        self.engine = engine
        self.catalog = catalog
        self.default_lang = default_lang
        self.default_zone = default_zone
        self._readers: dict[int, tuple[str, str]] = {}

    def prepare(self, rows: list[Delivery]) -> None:
        """Read the language and zone of a batch's readers in one query (the dispatcher calls this)."""
        ids = {r.user_id for r in rows}
        with self.engine.connect() as conn:
            found = {uid: (lang, zone) for uid, lang, zone in
                     conn.execute(select(col(User.id), col(User.language), col(User.timezone)).where(col(User.id).in_(ids)))}
        self._readers = {uid: ((found.get(uid) or (None, None))[0] or self.default_lang,
                               (found.get(uid) or (None, None))[1] or self.default_zone) for uid in ids}

    def reader(self, user_id: int) -> tuple[str, str]:
        if user_id in self._readers:
            return self._readers[user_id]
        with session_scope(self.engine) as session:
            user = get_user(session=session, user_id=user_id)
            if user is None:
                return self.default_lang, self.default_zone
            return user.language or self.default_lang, user.timezone or self.default_zone

    def _next_reminder(self, user_id: int, payload: dict[str, object], catalog: Catalog, now: dt.datetime,
                       zone: str, lang: str) -> str | None:
        """When this reader's next reminder for what the notice moved or announced will come."""
        moved = _moved(payload)
        if not moved:
            return None
        with session_scope(self.engine) as session:
            follows = [(s.target_kind, s.target, s.leads) for s in subscriptions_of(session=session, user_id=user_id)]
        found = next_reminder(catalog, follows, now, zone, entry_ids=moved)
        if found is None:
            return None
        moment, entry = found
        return f"{due_text(moment, zone, lang)} — {entry.names.get(lang)}"

    def __call__(self, row: Delivery, now: dt.datetime) -> Reply | None:
        lang, zone = self.reader(row.user_id)
        catalog = self.catalog()
        if row.kind == "change":
            payload = json.loads(row.payload or "{}")
            return change_reply(payload, lang, zone, categories=category_labels(lang),
                                next_reminder=self._next_reminder(row.user_id, payload, catalog, now, zone, lang))
        if row.kind == "digest":
            with session_scope(self.engine) as session:
                subs = subscriptions_of(session=session, user_id=row.user_id)
            followed: dict[str, Entry] = {}
            for sub in subs:
                for covered in entries_for(catalog, sub.target_kind, sub.target):
                    followed[covered.id] = covered
            return digest_reply(list(followed.values()), now, lang, zone)
        entry = catalog.entries.get(row.entry_id or "")
        if entry is None:
            return None
        occurrence = find_occurrence(entry, row.occurrence_key)
        if occurrence is None:
            return None
        return reminder_reply(
            entry, occurrence, catalog, now, lang=lang, user_zone=zone, late=row.late,
            subscription_id=row.subscription_id, delivery_id=row.id,
        )


def _moved(payload: dict[str, object]) -> set[str]:
    """Entries whose dates or start a notice announces (their reminders were planned anew)."""
    changes = payload.get("changes", [])
    return {str(change["entry"]) for change in (changes if isinstance(changes, list) else [])
            if any(a.get("kind") in ("dates", "time", "reinstated", "added") for a in change.get("what") or [])}


def due_text(moment: dt.datetime, zone: str, lang: str) -> str:
    return instant(aware(moment).astimezone(ZoneInfo(zone)), lang)
