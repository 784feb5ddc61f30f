"""Change notices in the outbox: one row per chat and content version, under a unique key.

The key names the content version by its row in ``content_version`` (a rollback to an earlier text
is a new row, so its notice is new too); replicas that write the same notice meet the unique key
and write nothing (INSERT … ON CONFLICT DO NOTHING), so a chat is told once whoever writes first.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

from sqlalchemy import Insert, insert
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from reminders.models import PENDING, Delivery
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


def write_notices(engine: Engine, now: dt.datetime, version: str,
                  notices: dict[int, tuple[int, list[dict[str, object]]]]) -> int:
    """Queue one notice per chat (``chat → (user, changes)``); returns how many were new."""
    rows = [
        {"key": f"c:{chat}:{version}", "kind": "change", "user_id": user, "chat_id": chat, "due_at": now,
         "available_at": now, "status": PENDING, "late": False, "attempts": 0, "occurrence_key": "", "lead": "",
         "payload": json.dumps({"changes": found}, ensure_ascii=False, sort_keys=True)}
        for chat, (user, found) in sorted(notices.items()) if found
    ]
    if not rows:
        return 0
    table = Delivery.__table__  # type: ignore[attr-defined]
    statement: Insert
    if engine.dialect.name == "postgresql":
        statement = postgresql.insert(table).on_conflict_do_nothing(index_elements=["key"])
    elif engine.dialect.name == "sqlite":
        statement = sqlite.insert(table).on_conflict_do_nothing(index_elements=["key"])
    else:  # pragma: no cover - the bot runs on PostgreSQL or SQLite
        statement = insert(table)
    with engine.begin() as conn:
        return max(conn.execute(statement, rows).rowcount, 0)
