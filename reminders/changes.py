"""What new content changes for the people who follow something: dates (or dates announced), start
time, venue, cancelled, postponed, back on, removed, expected year, new in a followed category.

Computed once per content change from the two catalogs; each follower's notice lists only what
touches what they follow, and only for items still ahead (nobody waits for news of a past event).
The result is plain JSON, written into the outbox and worded at send time in the reader's
language and zone (``reminders/text.py``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from bot.kernel.occurrences import next_occurrence, zone_of
from bot.kernel.timing import Stage, alive, stage
from reminders.store import ALL, CATEGORY, ENTRY
from store.catalog import Catalog
from store.kinds import FOLLOWABLE
from store.schema import Entry, Status

Aspect = dict[str, object]


@dataclass
class Change:
    """One entry's change: before and after (None: absent) and what a follower is told."""

    entry_id: str
    before: Entry | None
    after: Entry | None
    aspects: list[Aspect] = field(default_factory=list)
    #: Still ahead before or after the change (a past event's corrected record is nobody's news).
    relevant: bool = False

    @property
    def replan(self) -> bool:
        """Its occurrences may have moved: pending reminders are dropped and planned again."""
        return any(a["kind"] not in ("venue", "expected") for a in self.aspects) or self.after is None


def _days(entry: Entry, now: dt.datetime) -> list[str] | None:
    """First and last day (ISO) of its dates, or of a rule's next occurrence."""
    if entry.dates is not None:
        return [entry.dates.start.isoformat(), (entry.dates.end or entry.dates.start).isoformat()]
    if entry.recurrence is not None:
        plain = entry.model_copy(update={"status": None})
        occurrence = next_occurrence(plain, now)
        if occurrence is not None:
            return [occurrence.first_day.isoformat(), occurrence.last_day.isoformat()]
    return None


def _time(entry: Entry) -> str | None:
    if entry.dates is None or entry.dates.time is None:
        return None
    return f"{entry.dates.time.hour:02d}:{entry.dates.time.minute:02d}"


def _when(entry: Entry) -> tuple[object, ...]:
    """What decides its occurrences: days and rule (not the sources or notes given for them)."""
    dates = (entry.dates.start, entry.dates.end or entry.dates.start) if entry.dates else None
    return dates, entry.recurrence.model_dump() if entry.recurrence else None


def _timing(entry: Entry, now: dt.datetime) -> Aspect:
    """Where and when, for a notice to word: days, start time, venue zone, place."""
    return {"new": _days(entry, now), "time": _time(entry), "zone": zone_of(entry),
            "place": entry.place.model_dump() if entry.place else None, "expected": entry.expected}


def aspects(before: Entry, after: Entry, now: dt.datetime) -> list[Aspect]:
    """What changed that a follower cares about, in the order a notice lists it."""
    if after.status is not before.status:
        if after.status is Status.CANCELLED:
            return [{"kind": "cancelled", "old": _days(before, now)}]
        if after.status is Status.POSTPONED:
            return [{"kind": "postponed", "old": _days(before, now)}]
        return [{"kind": "reinstated", **_timing(after, now)}]
    found: list[Aspect] = []
    if _when(before) != _when(after):
        found.append({"kind": "dates", "old": _days(before, now), **_timing(after, now)})
    elif _time(before) != _time(after) and after.dates is not None:
        found.append({"kind": "time", "old": _time(before), **_timing(after, now)})
    if (before.place, zone_of(before)) != (after.place, zone_of(after)):
        found.append({"kind": "venue", "old": before.place.model_dump() if before.place else None,
                      "old_zone": zone_of(before), **_timing(after, now)})
    if before.expected != after.expected and after.dates is None and after.expected is not None:
        found.append({"kind": "expected", "old": before.expected, **_timing(after, now)})
    return found


def _followable(entry: Entry | None) -> bool:
    return entry is not None and entry.kind in FOLLOWABLE


def changes(old: Catalog, new: Catalog, now: dt.datetime) -> dict[str, Change]:
    """Every followable entry that was added, removed or changed in a way followers are told."""
    found: dict[str, Change] = {}
    # An entry renamed (its new id lists the old one in ``former_ids``) is the same entry.
    renamed = {former: e for e in new.entries.values() for former in e.former_ids if former not in new.entries}
    for entry_id in old.entries.keys() | new.entries.keys():
        if entry_id in new.entries and any(f in old.entries for f in new.entries[entry_id].former_ids):
            continue  # seen under its old id
        before, after = old.entries.get(entry_id), new.entries.get(entry_id) or renamed.get(entry_id)
        if not (_followable(before) or _followable(after)) or before == after:
            continue
        change = Change(entry_id, before, after)
        if before is not None and after is None:
            change.aspects = [{"kind": "removed", "old": _days(before, now)}]
        elif before is not None and after is not None:
            change.aspects = aspects(before, after, now)
        gone = after is None or stage(after, now) is Stage.CANCELLED
        change.relevant = alive(after, now) or (alive(before, now) and gone)
        if change.aspects or (after is not None and before is None) or \
                (before is not None and after is not None and before.category != after.category):
            found[entry_id] = change
    return found


def _in(entry: Entry | None, kind: str, target: str) -> bool:
    """Does a subscription of ``kind`` on ``target`` cover ``entry``?"""
    if not _followable(entry):
        return False
    assert entry is not None
    if kind == ENTRY:
        return entry.id == target or target in entry.former_ids
    if kind == CATEGORY:
        return entry.category == target
    return kind == ALL


def told(found: dict[str, Change], kind: str, target: str, now: dt.datetime) -> dict[str, list[Aspect]]:
    """What a subscription of ``kind`` on ``target`` is told: aspects per entry id."""
    out: dict[str, list[Aspect]] = {}
    for entry_id, change in found.items():
        if not change.relevant:
            continue
        was, now_in = _in(change.before, kind, target), _in(change.after, kind, target)
        if now_in and not was and kind != ENTRY:
            assert change.after is not None
            out[entry_id] = [{"kind": "added", "category": change.after.category if kind == CATEGORY else None,
                              **_timing(change.after, now)}]
        elif was and change.aspects:
            out[entry_id] = change.aspects
    return out


def names(change: Change) -> dict[str, str | None]:
    entry = change.after or change.before
    assert entry is not None
    return entry.names.model_dump()
