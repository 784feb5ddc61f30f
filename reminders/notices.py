"""Change notices in the outbox: one row per chat and content version, under a unique key.

The key names the content version by its row in ``content_version`` (a rollback to an earlier text
is a new row, so its notice is new too); replicas that write the same notice meet the unique key
and write nothing (INSERT … ON CONFLICT DO NOTHING), so a chat is told once whoever writes first.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from reminders.models import PENDING
from reminders.planner import insert_rows, stamp_for
from store.models import ContentVersion


@dataclass(frozen=True)
class Transition:
    """Which content version became live and the one before it in the database's history."""

    key: str  # the version as it appears in notice keys
    previous: str | None  # digest of the version before it, None when unknown (or the first)


def content_transition(session: Session, digest: str) -> Transition:
    """The recorded transition to ``digest`` (its newest row); content that was never recorded
    (a catalog built in memory) is keyed by its digest and counts as canonical."""
    row = session.exec(select(ContentVersion).where(ContentVersion.digest == digest)
                       .order_by(col(ContentVersion.id).desc()).limit(1)).first()
    if row is None or row.id is None:
        return Transition(digest[:64], None)
    before = session.exec(select(ContentVersion).where(col(ContentVersion.id) < row.id)
                          .order_by(col(ContentVersion.id).desc()).limit(1)).first()
    return Transition(f"v{row.id}", before.digest if before is not None else None)


#: The outbox columns a notice fills (the rest keep their defaults).
NOTICE_COLUMNS = ("key", "kind", "user_id", "chat_id", "due_at", "available_at", "status", "late", "attempts",
                  "occurrence_key", "lead", "payload")


def write_notices(engine: Engine, now: dt.datetime, version: str,
                  notices: dict[int, tuple[int, list[dict[str, object]]]]) -> int:
    """Queue one notice per chat (``chat → (user, changes)``); returns how many were new.

    Chats told the same changes share one serialized payload (a reload usually touches a handful
    of entries, followed by many people the same way).
    """
    stamp = stamp_for(engine)(now)
    payloads: dict[int, str] = {}
    rows: list[tuple[object, ...]] = []
    for chat, (user, found) in sorted(notices.items()):
        if not found:
            continue
        key = id(found)
        if key not in payloads:
            payloads[key] = json.dumps({"changes": found}, ensure_ascii=False, sort_keys=True)
        rows.append((f"c:{chat}:{version}", "change", user, chat, stamp, stamp, PENDING, False, 0, "", "",
                     payloads[key]))
    return insert_rows(engine, rows, NOTICE_COLUMNS)
