"""What a delegate last searched and which page they saw, so "more" pages on from any replica.

One row per user, replaced at every page shown: the state lives in the database, not in a process,
so whichever replica receives "more" or "更多" continues the same list.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, Column, Text
from sqlalchemy.exc import IntegrityError
from sqlmodel import Field, Session, SQLModel

from store.models import utc_column


class LastSearch(SQLModel, table=True):
    """A user's last search: the query as typed and the page last shown (0 is the first)."""

    __tablename__ = "last_search"

    user_id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    query: str = Field(sa_column=Column(Text, nullable=False))
    page: int = 0
    updated_at: dt.datetime = Field(sa_column=utc_column())


def remember_search(*, session: Session, user_id: int, query: str, page: int, now: dt.datetime) -> None:
    """Record the page just shown; a concurrent first insert for the same user becomes an update."""
    row = session.get(LastSearch, user_id)
    if row is None:
        try:
            with session.begin_nested():
                session.add(LastSearch(user_id=user_id, query=query, page=page, updated_at=now))
            return
        except IntegrityError:  # another replica inserted it first
            row = session.get(LastSearch, user_id)
            if row is None:
                raise
    row.query, row.page, row.updated_at = query, page, now
    session.add(row)


def last_search(*, session: Session, user_id: int) -> LastSearch | None:
    return session.get(LastSearch, user_id)
