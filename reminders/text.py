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
from bot.kernel.dates import date_range, instant, until
from bot.kernel.i18n import gettext_for, ngettext_for
from bot.kernel.occurrences import Occurrence, occurrences, upcoming, zone_of
from bot.kernel.reply import Button, Reply, esc
from reminders.models import Delivery
from reminders.planner import entries_for
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
    """Dates at the venue, and the start in the reader's zone beside the venue's."""
    _ = gettext_for(lang)
    lines = [f"📅 <b>{date_range(occurrence.first_day, occurrence.last_day, lang)}</b>"]
    venue_start = occurrence.starts_at
    user_start = venue_start.astimezone(ZoneInfo(user_zone))
    venue = f"{instant(venue_start, lang)} {utc_offset(occurrence.zone, venue_start)}"
    if user_zone == occurrence.zone:
        lines.append(f"🕗 {_('Starts')}{colon(lang)}{esc(venue)}")
    else:
        mine = f"{instant(user_start, lang)} {utc_offset(user_zone, venue_start)}"
        lines.append(f"🕗 {_('Starts')}{colon(lang)}{esc(mine)} — {_('at the venue')}{colon(lang)}{esc(venue)}")
    return lines


def how_long(now: dt.datetime, occurrence: Occurrence, lang: str) -> str:
    """"In 2 hours" within the last day (an hour lead must not say "in 1 day"), else in days."""
    left = occurrence.starts_at.astimezone(dt.UTC) - now
    if dt.timedelta(0) < left < dt.timedelta(hours=24):
        n_ = ngettext_for(lang)
        if left < dt.timedelta(hours=1):
            minutes = max(1, round(left.total_seconds() / 60))
            return n_("in %(n)d minute", "in %(n)d minutes", minutes) % {"n": minutes}
        hours = round(left.total_seconds() / 3600)
        return n_("in %(n)d hour", "in %(n)d hours", hours) % {"n": hours}
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


def change_reply(payload: dict[str, object], lang: str) -> Reply:
    """One notice per subscriber and content change: what moved or disappeared."""
    _ = gettext_for(lang)
    lines = [f"📢 <b>{_('Calendar change')}</b>"]
    changes = payload.get("changes", [])
    for change in changes if isinstance(changes, list) else []:
        names = change["names"]
        name = esc((names.get("zh") if lang == "zh" else names.get("en")) or names.get("zh") or names.get("en") or change["entry"])
        old, new = change.get("old"), change.get("new")
        old_text = date_range(dt.date.fromisoformat(old[0]), dt.date.fromisoformat(old[1]), lang) if old else "—"
        new_text = date_range(dt.date.fromisoformat(new[0]), dt.date.fromisoformat(new[1]), lang) if new else "—"
        if change.get("removed") or not new:
            lines.append("• " + _("%(name)s is no longer in the calendar (was %(old)s); its reminders are cancelled.")
                         % {"name": name, "old": old_text})
        else:
            lines.append("• " + _("%(name)s: dates changed from %(old)s to %(new)s; your reminders follow the new dates.")
                         % {"name": name, "old": old_text, "new": new_text})
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

    def __call__(self, row: Delivery, now: dt.datetime) -> Reply | None:
        lang, zone = self.reader(row.user_id)
        catalog = self.catalog()
        if row.kind == "change":
            return change_reply(json.loads(row.payload or "{}"), lang)
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


def due_text(moment: dt.datetime, zone: str, lang: str) -> str:
    return instant(aware(moment).astimezone(ZoneInfo(zone)), lang)
