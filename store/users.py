"""Per-user preferences (language, time zone), keyword-only functions that take a session."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy import func
from sqlalchemy.engine import Connection
from sqlmodel import Session, col, select

from store.admin_models import AdminUser
from store.db import upsert
from store.models import SearchMiss, User
from store.normalize import fold


def get_user(*, session: Session, user_id: int) -> User | None:
    return session.get(User, user_id)


def ensure_user(*, session: Session, user_id: int, now: dt.datetime) -> User:
    user = session.get(User, user_id)
    if user is None:
        user = User(id=user_id, created_at=now)
        session.add(user)
        session.flush()
    return user


@dataclass(frozen=True)
class Profile:
    """What answering a user needs to know about them, read once per update."""

    language: str | None = None
    timezone: str | None = None
    #: They wrote in private and have not blocked the bot since: nothing to note.
    reachable: bool = False
    admin: bool = False


def profile(*, connection: Connection, user_id: int) -> Profile:
    """The user's preferences and whether they are a stored admin: one indexed read, no ORM."""
    users, admins = User.__table__.c, AdminUser.__table__.c  # type: ignore[attr-defined]
    is_admin = sa.exists().where(admins.user_id == user_id)
    row = connection.execute(
        sa.select(users.language, users.timezone, users.talked_at, users.blocked_at, is_admin.label("admin"))
        .where(users.id == user_id)
    ).first()
    if row is None:  # someone new: the admin list is asked on its own
        return Profile(admin=connection.execute(sa.select(is_admin)).scalar() is True)
    return Profile(row.language, row.timezone, row.talked_at is not None and row.blocked_at is None, bool(row.admin))


def note_private_chat(*, connection: Connection, user_id: int, now: dt.datetime) -> None:
    """The user wrote in a private chat: the bot may message them (again), e.g. with a broadcast.
    One statement, so two replicas noting the same new user at once both succeed."""
    table = User.__table__  # type: ignore[attr-defined]
    connection.execute(upsert(connection.dialect.name, table, {"id": user_id, "created_at": now, "talked_at": now},
                              {"talked_at": sa.func.coalesce(table.c.talked_at, now), "blocked_at": None}))


def mark_unreachable(*, session: Session, user_id: int, now: dt.datetime) -> None:
    """Telegram said the user blocked the bot or cannot be messaged: broadcasts skip them."""
    user = session.get(User, user_id)
    if user is not None and user.blocked_at is None:
        user.blocked_at = now
        session.add(user)


def reachable_users(*, session: Session) -> list[int]:
    """Everyone who wrote to the bot in private and has not blocked it since, by id."""
    query = select(User.id).where(col(User.talked_at).is_not(None), col(User.blocked_at).is_(None))
    return list(session.exec(query.order_by(col(User.id))))


def blocked_users(*, session: Session) -> int:
    """How many who once wrote in private have blocked the bot since (a broadcast skips them)."""
    query = select(func.count()).select_from(User).where(col(User.blocked_at).is_not(None))
    return session.exec(query).one()


def set_language(*, session: Session, user_id: int, language: str, now: dt.datetime) -> None:
    user = ensure_user(session=session, user_id=user_id, now=now)
    user.language = language
    session.add(user)


def set_timezone(*, session: Session, user_id: int, timezone: str, now: dt.datetime) -> None:
    user = ensure_user(session=session, user_id=user_id, now=now)
    user.timezone = timezone
    session.add(user)


def record_search_miss(*, session: Session, query: str, now: dt.datetime) -> None:
    """Count a question that found nothing (per folded text and day) for the admins' /stats."""
    key = fold(query)[:300]
    row = session.get(SearchMiss, (key, now.date()))
    if row is None:
        row = SearchMiss(query=key, day=now.date(), count=0, last_at=now)
    row.count += 1
    row.last_at = now
    session.add(row)


def pseudonym(user_id: int, key: bytes) -> int:
    """A stable stand-in for a user id in records kept after /forget: the same user always gets the
    same one (a pattern of attempts stays visible), negative so it is never a Telegram user, and
    keyed so it cannot be turned back into the id without the key."""
    digest = hmac.new(key, f"user:{user_id}".encode(), hashlib.sha256).digest()
    return -1 - int.from_bytes(digest[:6], "big")
