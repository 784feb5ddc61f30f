"""What a delegate last searched and which page they saw, so "more" pages on from any replica.

One row per user, replaced at every page shown: the state lives in the database, not in a process,
so whichever replica receives "more" or "更多" continues the same list.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, Column, Text
from sqlalchemy.engine import Connection
from sqlmodel import Field, Session, SQLModel

from store.db import upsert
from store.models import utc_column


class LastSearch(SQLModel, table=True):
    """A user's last search: the query as typed and the page last shown (0 is the first)."""

    __tablename__ = "last_search"

    user_id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    query: str = Field(sa_column=Column(Text, nullable=False))
    page: int = 0
    updated_at: dt.datetime = Field(sa_column=utc_column())


def remember_search(*, session: Session | Connection, user_id: int, query: str, page: int, now: dt.datetime) -> None:
    """Record the page just shown, in one statement (a first insert that races another replica's
    becomes an update); a plain connection will do, which spares the ORM on every question."""
    values = {"user_id": user_id, "query": query, "page": page, "updated_at": now}
    dialect = session.dialect.name if isinstance(session, Connection) else session.get_bind().dialect.name
    table = LastSearch.__table__  # type: ignore[attr-defined]
    session.execute(upsert(dialect, table, values, {"query": query, "page": page, "updated_at": now}))


def last_search(*, session: Session, user_id: int) -> LastSearch | None:
    return session.get(LastSearch, user_id)
