"""The last result list each delegate saw, kept in the database: "more" pages on from any replica."""

from __future__ import annotations

from sqlalchemy.engine import Engine

from bot.kernel.clock import Clock
from store.conversation import last_search, remember_search
from store.db import session_scope


class SearchMemory:
    """Remembers, per user, the last query and the page shown."""

    def __init__(self, engine: Engine, clock: Clock) -> None:
        self.engine = engine
        self.clock = clock

    def remember(self, user_id: int, query: str, page: int) -> None:
        with self.engine.begin() as connection:
            remember_search(session=connection, user_id=user_id, query=query, page=page, now=self.clock.now())

    def recall(self, user_id: int) -> tuple[str, int] | None:
        """The last query and the page shown, or None when the user has searched nothing."""
        with session_scope(self.engine) as session:
            row = last_search(session=session, user_id=user_id)
            return (row.query, row.page) if row is not None else None
