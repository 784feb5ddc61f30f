"""Long search queries behind paging buttons, kept in the database so that any replica can answer.

A button holds at most 64 bytes, so a query that does not fit travels as a key (hex of its SHA-1).
The query is stored under that key; pressing "More" at another replica, or after a restart, reads
it back. Rows not shown for ``KEEP`` are pruned; their buttons then say the search expired.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import threading

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Engine
from sqlmodel import col

from store.db import affected
from store.models import SearchQuery

#: Hex digits of the key: 48 bits, so distinct stored queries practically never share one.
KEY_LENGTH = 12
#: A key not shown for this long is pruned (a result page older than that is rarely paged).
KEEP = dt.timedelta(days=30)
#: A stored key's ``used_at`` is refreshed when a page shows it and it is older than this.
REFRESH = dt.timedelta(days=1)
#: Keys this process refreshed recently, so a popular query is not written on every page.
RECENT = 4096


def query_key(query: str) -> str:
    """The key a paging button carries for ``query`` (the same in every replica)."""
    return hashlib.sha1(query.encode()).hexdigest()[:KEY_LENGTH]


class StoredQueries:
    """Long queries by key, in the database; ``remember`` writes at most once a day per key."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._recent: dict[str, dt.datetime] = {}
        self._lock = threading.Lock()

    def remember(self, query: str, now: dt.datetime) -> str:
        """Store ``query`` (or refresh its row) and return its key. It writes: call it in a thread."""
        key = query_key(query)
        with self._lock:
            seen = self._recent.get(key)
        if seen is not None and now - seen < REFRESH:
            return key
        insert = postgresql_insert if self.engine.dialect.name == "postgresql" else sqlite_insert
        statement = insert(SearchQuery).values(key=key, query=query, used_at=now)
        statement = statement.on_conflict_do_update(
            index_elements=[col(SearchQuery.key)],
            set_={"used_at": statement.excluded.used_at},
            where=col(SearchQuery.used_at) < now - REFRESH,
        )
        with self.engine.begin() as conn:
            conn.execute(statement)
        with self._lock:
            if len(self._recent) >= RECENT:
                self._recent.clear()
            self._recent[key] = now
        return key

    def recall(self, key: str) -> str | None:
        """The query stored under ``key``, or None (never stored, or pruned)."""
        with self.engine.connect() as conn:
            found = conn.execute(select(col(SearchQuery.query)).where(col(SearchQuery.key) == key)).scalar()
        return str(found) if found is not None else None

    def prune(self, now: dt.datetime) -> int:
        """Forget keys not shown for ``KEEP``; returns how many."""
        with self.engine.begin() as conn:
            result = conn.execute(delete(SearchQuery).where(col(SearchQuery.used_at) < now - KEEP))
        with self._lock:
            self._recent.clear()
        return affected(result)
