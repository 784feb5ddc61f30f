"""Per-user preferences (language, time zone), keyword-only functions that take a session."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac

from sqlmodel import Session

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
