"""The planner: turns subscriptions into outbox rows, each written once under a unique key.

It runs often (a JobQueue job) and writes only what falls due up to ``AHEAD`` from now, so the
outbox stays small and a content change has little to undo. What it writes is keyed by
subscription × occurrence × lead, and inserts that meet an existing key do nothing, so running
it twice, on two replicas, or after a crash never produces a second reminder.

A watermark (``reminder_state.planned_until``) remembers how far the periodic run has planned;
the next run starts there. Targeted runs (a new subscription, a new time zone, changed content)
plan their few subscriptions from their own creation instead. A reminder whose moment passed
while the bot was down is still written on restart: pending if its event has not started
(the dispatcher sends it marked late), ``skipped`` if it has.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlmodel import col

from bot.kernel.occurrences import Lead, Occurrence, due_at, next_occurrence, occurrences, stored_leads
from reminders.models import PENDING, SKIPPED, DigestSetting, PlannerState, Subscription
from reminders.store import CATEGORY, ENTRY, aware
from store.catalog import Catalog
from store.db import session_scope
from store.kinds import FOLLOWABLE
from store.models import User
from store.schema import Entry

#: How far ahead rows are written. Longer than the gap between two planner runs even when the
#: demonstration clock runs an hour per second (runs every 10 s real = 10 clock hours).
AHEAD = dt.timedelta(days=2)
#: Due longer ago than this is "late": the bot was down or stuck when it came due.
LATE_AFTER = dt.timedelta(minutes=15)


def followable(entry: Entry) -> bool:
    """Has dates, a rule, or a year the sources expect it in (followed until dates come)."""
    return entry.kind in FOLLOWABLE and (
        entry.dates is not None or entry.recurrence is not None or entry.expected is not None)


def entries_for(catalog: Catalog, target_kind: str, target: str) -> list[Entry]:
    """The entries a subscription covers (a category or everything is resolved on every run, so
    entries added to it later are covered too)."""
    if target_kind == ENTRY:
        entry = catalog.entry(target)  # a subscription may name the id an entry had before
        return [entry] if entry is not None and followable(entry) else []
    if target_kind == CATEGORY:
        return [e for e in catalog.entries.values() if e.category == target and followable(e)]
    return [e for e in catalog.entries.values() if followable(e)]


#: How far ahead "your next reminder" looks (a session expected years ahead still has one).
NEXT_HORIZON_DAYS = 3660


def next_reminder(catalog: Catalog, follows: Iterable[tuple[str, str, str]], now: dt.datetime, zone: str,
                  entry_ids: set[str] | None = None) -> tuple[dt.datetime, Entry] | None:
    """The soonest reminder still to come for ``follows`` (kind, target, leads), in ``zone``."""
    best: tuple[dt.datetime, Entry] | None = None
    for kind, target, leads in follows:
        for entry in entries_for(catalog, kind, target):
            if entry_ids is not None and entry.id not in entry_ids:
                continue
            occurrence = next_occurrence(entry, now, horizon_days=NEXT_HORIZON_DAYS)
            if occurrence is None:
                continue
            for lead in stored_leads(leads):
                moment = due_at(occurrence, lead, zone)
                if moment > now and (best is None or moment < best[0]):
                    best = (moment, entry)
    return best


@dataclass
class PlanStats:
    subscriptions: int = 0
    candidates: int = 0
    written: int = 0
    skipped: int = 0
    digests: int = 0


@dataclass
class _Group:
    """Subscriptions that share target, lead times and zone share their computed due times."""

    rows: list[tuple[int, int, int, dt.datetime]] = field(default_factory=list)  # id, user, chat, created


_COLUMNS = ("key", "kind", "subscription_id", "user_id", "chat_id", "entry_id", "occurrence_key", "lead", "due_at",
            "starts_at", "available_at", "status", "late", "attempts")


def _stamp_for(engine: Engine) -> Callable[[dt.datetime], object]:
    """How a UTC datetime is written by the fast insert: as is for psycopg, or in SQLAlchemy's
    SQLite text format (which its own bound parameters compare with)."""
    if engine.dialect.name == "postgresql":
        return lambda moment: moment
    return lambda moment: moment.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def _insert(engine: Engine, rows: list[tuple[object, ...]]) -> int:
    """Insert rows (tuples in ``_COLUMNS`` order, datetimes stamped by ``_stamp_for``); a key
    that exists already is left alone (ON CONFLICT DO NOTHING).

    A first plan can write hundreds of thousands of rows, so this skips SQLAlchemy's per-value
    type processing: PostgreSQL gets them through COPY into a temporary table and one
    ``INSERT … SELECT … ON CONFLICT DO NOTHING``; SQLite gets one prepared ``executemany``.
    """
    if not rows:
        return 0
    columns = ", ".join(_COLUMNS)
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            raw = conn.connection.driver_connection
            with raw.cursor() as cur:  # type: ignore[union-attr]
                cur.execute("CREATE TEMP TABLE IF NOT EXISTS plan_rows (LIKE reminder_outbox INCLUDING DEFAULTS) "
                            "ON COMMIT DELETE ROWS")
                with cur.copy(f"COPY plan_rows ({columns}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
                cur.execute(f"INSERT INTO reminder_outbox ({columns}) SELECT {columns} FROM plan_rows "
                            "ON CONFLICT (key) DO NOTHING")
                return max(cur.rowcount, 0)
        placeholders = ", ".join("?" for _ in _COLUMNS)
        before = conn.exec_driver_sql("SELECT total_changes()").scalar() or 0
        conn.exec_driver_sql(
            f"INSERT INTO reminder_outbox ({columns}) VALUES ({placeholders}) ON CONFLICT (key) DO NOTHING", rows)
        after = conn.exec_driver_sql("SELECT total_changes()").scalar() or 0
        return int(after - before)


def _candidates(
    catalog: Catalog, target_kind: str, target: str, leads: tuple[Lead, ...], zone: str,
    window: tuple[dt.datetime, dt.datetime], cache: dict[str, list[Occurrence]],
) -> Iterator[tuple[Occurrence, Lead, dt.datetime]]:
    after, until = window
    for entry in entries_for(catalog, target_kind, target):
        found = cache.get(entry.id)
        if found is None:
            found = cache[entry.id] = list(occurrences(entry, after, until))
        for occurrence in found:
            for lead in leads:
                yield occurrence, lead, due_at(occurrence, lead, zone)


def plan(
    engine: Engine,
    catalog: Catalog,
    now: dt.datetime,
    *,
    subscription_ids: Iterable[int] | None = None,
    lo: dt.datetime | None = None,
    hi: dt.datetime | None = None,
    default_zone: str = "Africa/Nairobi",
    late_after: dt.timedelta = LATE_AFTER,
) -> PlanStats:
    """Write the reminders due in ``(lo, hi]`` (and not before each subscription began)."""
    hi = hi or now + AHEAD
    stats = PlanStats()
    query = (
        select(col(Subscription.id), col(Subscription.user_id), col(Subscription.chat_id), col(Subscription.target_kind),
               col(Subscription.target), col(Subscription.leads), col(Subscription.created_at), col(User.timezone))
        .outerjoin(User, col(User.id) == col(Subscription.user_id))
        .where(col(Subscription.active).is_(True))
    )
    if subscription_ids is not None:
        ids = list(subscription_ids)
        if not ids:
            return stats
        query = query.where(col(Subscription.id).in_(ids))
    groups: dict[tuple[str, str, str, str], _Group] = defaultdict(_Group)
    with engine.connect() as conn:
        for sub_id, user_id, chat_id, kind, target, leads, created, zone in conn.execute(query):
            groups[(kind, target, leads, zone or default_zone)].rows.append((int(sub_id or 0), user_id, chat_id, aware(created)))
            stats.subscriptions += 1

    lead_cache: dict[str, tuple[Lead, ...]] = {}
    occurrence_cache: dict[str, list[Occurrence]] = {}
    longest = max((lead.span for text in {k[2] for k in groups} for lead in _leads(text, lead_cache)),
                  default=dt.timedelta(days=31))
    # Occurrences still running a day ago, up to those a longest lead before hi can reach.
    window = (now - dt.timedelta(days=1), hi + longest)
    out: list[tuple[object, ...]] = []
    stamp = _stamp_for(engine)
    for (kind, target, leads_text, zone), group in groups.items():
        lead_set = _leads(leads_text, lead_cache)
        for occurrence, lead, due in _candidates(catalog, kind, target, lead_set, zone, window, occurrence_cache):
            if due > hi or (lo is not None and due <= lo):
                continue
            starts = occurrence.starts_at.astimezone(dt.UTC)
            late = now - due > late_after
            status = SKIPPED if late and starts <= now else PENDING
            # Everything but the subscription is shared by the group: format it once.
            occ_key, lead_text, due_v, starts_v = occurrence.key, lead.text, stamp(due), stamp(starts)
            suffix = f":{occ_key}:{lead_text}"
            for sub_id, user_id, chat_id, created in group.rows:
                if due <= created:
                    continue  # due before (or as) they subscribed: not owed, not even late
                out.append((f"r:{sub_id}{suffix}", "reminder", sub_id, user_id, chat_id, occurrence.entry_id,
                            occ_key, lead_text, due_v, starts_v, due_v, status, False, 0))
    stats.candidates = len(out)
    stats.skipped = sum(1 for row in out if row[11] == SKIPPED)
    stats.written = _insert(engine, out)
    return stats


def _leads(text: str, cache: dict[str, tuple[Lead, ...]]) -> tuple[Lead, ...]:
    if text not in cache:
        cache[text] = stored_leads(text)
    return cache[text]


def plan_digests(
    engine: Engine, now: dt.datetime, *, lo: dt.datetime | None, hi: dt.datetime,
    default_zone: str = "Africa/Nairobi", user_ids: Iterable[int] | None = None,
) -> int:
    """Write one digest row per enabled user and local day whose hour falls in ``(lo, hi]``.

    A digest that was due while the bot was down is not sent late: tomorrow's will come.
    """
    query = (
        select(col(DigestSetting.user_id), col(DigestSetting.chat_id), col(DigestSetting.at), col(User.timezone))
        .outerjoin(User, col(User.id) == col(DigestSetting.user_id))
        .where(DigestSetting.enabled.is_(True))  # type: ignore[attr-defined]
    )
    if user_ids is not None:
        query = query.where(DigestSetting.user_id.in_(list(user_ids)))  # type: ignore[attr-defined]
    start = max(lo or now, now - LATE_AFTER)
    stamp = _stamp_for(engine)
    out: list[tuple[object, ...]] = []
    with engine.connect() as conn:
        settings = list(conn.execute(query))
    for user_id, chat_id, at, zone in settings:
        tz = ZoneInfo(zone or default_zone)
        hour, minute = (int(p) for p in at.split(":"))
        day = start.astimezone(tz).date()
        while True:
            moment = dt.datetime.combine(day, dt.time(hour, minute), tz).astimezone(dt.UTC)
            if moment > hi:
                break
            if moment > start:
                out.append((f"d:{user_id}:{day.isoformat()}", "digest", None, user_id, chat_id, None, day.isoformat(),
                            at, stamp(moment), None, stamp(moment), PENDING, False, 0))
            day += dt.timedelta(days=1)
    return _insert(engine, out)


def plan_periodic(
    engine: Engine, catalog: Catalog, now: dt.datetime, *, default_zone: str = "Africa/Nairobi",
    late_after: dt.timedelta = LATE_AFTER,
) -> PlanStats:
    """The periodic run: plan from the watermark to ``now + AHEAD`` and move the watermark."""
    hi = now + AHEAD
    with session_scope(engine) as session:
        state = session.get(PlannerState, "planner")
        lo = aware(state.planned_until) if state is not None else None
    if lo is not None and lo > hi:
        lo = None  # the clock went back (a demonstration restarted earlier): plan everything again
    stats = plan(engine, catalog, now, lo=lo, hi=hi, default_zone=default_zone, late_after=late_after)
    stats.digests = plan_digests(engine, now, lo=lo, hi=hi, default_zone=default_zone)
    with session_scope(engine) as session:
        state = session.get(PlannerState, "planner")
        if state is None:
            session.add(PlannerState(name="planner", planned_until=hi))
        elif lo is None or aware(state.planned_until) < hi:
            state.planned_until = hi
            session.add(state)
    return stats
