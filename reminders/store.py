"""Subscriptions, digests and the user's right to be forgotten: keyword-only functions on a session."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Column, ColumnElement, String, Table, delete, func, or_, update
from sqlalchemy import select as select_rows
from sqlmodel import Session, SQLModel, col, select

from reminders.models import PENDING, Delivery, DigestSetting, Subscription
from store.db import affected
from store.users import mark_unreachable

ENTRY, CATEGORY, ALL = "entry", "category", "all"


def aware(moment: dt.datetime) -> dt.datetime:
    """SQLite gives timestamps back without their zone; every stored timestamp is UTC."""
    return moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment.astimezone(dt.UTC)


def subscribe(
    *, session: Session, user_id: int, chat_id: int, target_kind: str, target: str, leads: str, now: dt.datetime
) -> tuple[Subscription, bool]:
    """Follow a target (or change the lead times of an existing subscription); True if it is new."""
    existing = session.exec(
        select(Subscription).where(
            col(Subscription.chat_id) == chat_id, col(Subscription.target_kind) == target_kind, col(Subscription.target) == target
        )
    ).first()
    if existing is not None:
        was_active = existing.active
        changed = existing.leads != leads or not was_active
        existing.leads, existing.active, existing.inactive_reason, existing.user_id = leads, True, None, user_id
        session.add(existing)
        if changed:
            # Pending rows were planned for the old lead times; the planner writes the new ones.
            drop_pending(session=session, subscription_ids=[existing.id])  # type: ignore[list-item]
        session.flush()
        return existing, not was_active
    created = Subscription(
        user_id=user_id, chat_id=chat_id, target_kind=target_kind, target=target, leads=leads, created_at=now
    )
    session.add(created)
    session.flush()
    return created, True


def held_by_another(*, session: Session, user_id: int, chat_id: int, target_kind: str, target: str) -> Subscription | None:
    """In a group, the active subscription to this target that another member set up: theirs to
    change or stop, so that a second member re-sending the command does not take it over."""
    if chat_id == user_id:
        return None  # a private chat's subscriptions are its user's alone
    held = session.exec(
        select(Subscription).where(
            col(Subscription.chat_id) == chat_id, col(Subscription.target_kind) == target_kind,
            col(Subscription.target) == target, col(Subscription.active).is_(True),
            col(Subscription.user_id) != user_id)
    ).first()
    return held


def subscriptions_of(*, session: Session, user_id: int, active_only: bool = True) -> list[Subscription]:
    query = select(Subscription).where(Subscription.user_id == user_id)
    if active_only:
        query = query.where(Subscription.active.is_(True))  # type: ignore[attr-defined]
    return list(session.exec(query.order_by(Subscription.id)))  # type: ignore[arg-type]


def unsubscribe(*, session: Session, user_id: int, subscription_id: int) -> Subscription | None:
    """Stop one subscription of this user and drop its pending reminders (sent ones stay as history)."""
    sub = session.get(Subscription, subscription_id)
    if sub is None or sub.user_id != user_id or not sub.active:
        return None
    sub.active, sub.inactive_reason = False, "user"
    session.add(sub)
    drop_pending(session=session, subscription_ids=[subscription_id])
    return sub


def drop_pending(
    *,
    session: Session,
    subscription_ids: list[int] | None = None,
    chat_id: int | None = None,
    user_id: int | None = None,
    entry_ids: list[str] | None = None,
    due_after: dt.datetime | None = None,
) -> int:
    """Delete unclaimed pending reminders so the planner may write them again (keys are unique).

    Deleting rather than marking them cancelled matters: a re-subscription or a new time zone
    must be able to plan the same subscription × occurrence × lead again.
    """
    query = delete(Delivery).where(col(Delivery.status) == PENDING, col(Delivery.kind).in_(("reminder", "snooze")))
    if subscription_ids is not None:
        query = query.where(Delivery.subscription_id.in_(subscription_ids))  # type: ignore[union-attr]
    if chat_id is not None:
        query = query.where(col(Delivery.chat_id) == chat_id)
    if user_id is not None:
        query = query.where(col(Delivery.user_id) == user_id)
    if entry_ids is not None:
        query = query.where(col(Delivery.entry_id).in_(entry_ids))
    if due_after is not None:
        query = query.where(col(Delivery.due_at) > due_after)
    return affected(session.execute(query))


def deactivate_chat(*, session: Session, chat_id: int, reason: str, now: dt.datetime) -> int:
    """The chat is gone (blocked, deactivated, not found): stop everything addressed to it."""
    mark_unreachable(session=session, user_id=chat_id, now=now)  # a private chat's id is its user's
    count = affected(session.execute(
        update(Subscription)
        .where(col(Subscription.chat_id) == chat_id, col(Subscription.active).is_(True))
        .values(active=False, inactive_reason=reason)
    ))
    session.execute(update(DigestSetting).where(col(DigestSetting.chat_id) == chat_id).values(enabled=False))
    session.execute(
        delete(Delivery).where(col(Delivery.chat_id) == chat_id, col(Delivery.status) == PENDING)
    )
    return count


def migrate_chat(*, session: Session, old_chat_id: int, new_chat_id: int) -> None:
    """A group became a supergroup: everything addressed to the old id now goes to the new one."""
    session.execute(update(Subscription).where(col(Subscription.chat_id) == old_chat_id).values(chat_id=new_chat_id))
    session.execute(update(DigestSetting).where(col(DigestSetting.chat_id) == old_chat_id).values(chat_id=new_chat_id))
    session.execute(
        update(Delivery)
        .where(col(Delivery.chat_id) == old_chat_id, col(Delivery.status).in_((PENDING, "sending")))
        .values(chat_id=new_chat_id)
    )


def set_digest(*, session: Session, user_id: int, chat_id: int, enabled: bool, at: str | None, now: dt.datetime) -> DigestSetting:
    setting = session.get(DigestSetting, user_id)
    if setting is None:
        setting = DigestSetting(user_id=user_id, chat_id=chat_id, created_at=now)
    setting.enabled, setting.chat_id = enabled, chat_id
    if at is not None:
        setting.at = at
    session.add(setting)
    if not enabled:
        session.execute(
            delete(Delivery).where(col(Delivery.user_id) == user_id, col(Delivery.kind) == "digest", col(Delivery.status) == PENDING)
        )
    session.flush()
    return setting


def forget_user(*, session: Session, user_id: int, pseudonym: int) -> dict[str, int]:
    """Delete the rows about ``user_id`` in every table the bot has, this area's and others'; keep
    what records other people's business, with ``pseudonym`` in place of the user's id.

    Walks the whole metadata instead of a list of our own tables, so a table another area adds
    later (with a ``user_id`` column, or a ``chat_id`` that is the user's private chat) is covered
    too; ``bot_user`` is keyed by ``id``. A table may say otherwise in ``info["forget"]``:
    ``keep`` (the admin list: rights are removed with /admin remove) and ``pseudonymize`` (columns
    whose value is replaced, such as the audit's ``user_id``: the trail of what was done stays).
    Rows in a group chat (a subscription someone made there) are the group's: kept, pseudonymized.
    Returns the rows deleted per table.
    """
    deleted: dict[str, int] = {}
    for table in reversed(SQLModel.metadata.sorted_tables):
        rule = table.info.get("forget", {})
        for name in rule.get("pseudonymize", ()):
            column = table.c[name]
            session.execute(update(table).where(column == _as(column, user_id)).values({name: _as(column, pseudonym)}))
        if rule.get("keep") or rule.get("pseudonymize"):
            continue
        conditions = []
        if "user_id" in table.c and "chat_id" in table.c:
            conditions.append(table.c.chat_id == user_id)  # the private chat has the user's id
            session.execute(update(table).where(table.c.user_id == user_id, table.c.chat_id != user_id)
                            .values(user_id=pseudonym))
        elif "user_id" in table.c:
            conditions.append(table.c.user_id == user_id)
        elif "chat_id" in table.c:
            conditions.append(table.c.chat_id == user_id)
        if table.name == "bot_user":
            conditions.append(table.c.id == user_id)
        if not conditions:
            continue
        count = affected(session.execute(delete(table).where(or_(*conditions))))
        if count:
            deleted[table.name] = count
    return deleted


def forget_preview(*, session: Session, user_id: int) -> tuple[dict[str, int], dict[str, int]]:
    """What ``forget_user`` would do, by the same rules: rows deleted per table, and rows kept
    with a pseudonym in place of the user's id (audit entries, subscriptions made in a group)."""
    deleted: dict[str, int] = {}
    kept: dict[str, int] = {}

    def count(table: Table, *conditions: ColumnElement[bool]) -> int:
        return int(session.execute(select_rows(func.count()).select_from(table).where(*conditions)).scalar_one())

    for table in SQLModel.metadata.sorted_tables:
        rule = table.info.get("forget", {})
        for name in rule.get("pseudonymize", ()):
            column = table.c[name]
            kept[table.name] = kept.get(table.name, 0) + count(table, column == _as(column, user_id))
        if rule.get("keep") or rule.get("pseudonymize"):
            continue
        conditions: list[ColumnElement[bool]] = []
        if "user_id" in table.c and "chat_id" in table.c:
            conditions.append(table.c.chat_id == user_id)
            kept[table.name] = kept.get(table.name, 0) + count(table, table.c.user_id == user_id,
                                                               table.c.chat_id != user_id)
        elif "user_id" in table.c:
            conditions.append(table.c.user_id == user_id)
        elif "chat_id" in table.c:
            conditions.append(table.c.chat_id == user_id)
        if table.name == "bot_user":
            conditions.append(table.c.id == user_id)
        if conditions:
            found = count(table, or_(*conditions))
            if found:
                deleted[table.name] = found
    return deleted, {name: n for name, n in kept.items() if n}


def _as(column: Column[Any], user_id: int) -> int | str:
    """A user id as ``column`` holds it: a number, or text (who applied a content version)."""
    return str(user_id) if isinstance(column.type, String) else user_id
