"""Tables of the reminders area: subscriptions, the delivery outbox, digest settings, planner state.

Reminder state lives here and not in scheduler memory: python-telegram-bot does not persist jobs
and APScheduler drops a job that runs later than its misfire grace time, so a restart or a second
replica must find everything it needs in the database. Datetimes are timezone-aware UTC; chat and
user ids are 64-bit (supergroup ids do not fit 32 bits).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from store.models import utc_column


class Subscription(SQLModel, table=True):
    """A chat follows an entry, a category or everything, with its own lead times."""

    __tablename__ = "reminder_subscription"
    __table_args__ = (UniqueConstraint("chat_id", "target_kind", "target", name="uq_subscription_target"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(sa_column=Column(BigInteger, nullable=False, index=True))
    chat_id: int = Field(sa_column=Column(BigInteger, nullable=False, index=True))
    target_kind: str = Field(max_length=10)  # entry | category | all
    target: str = Field(max_length=40)  # entry id, category name, or "*"
    leads: str = Field(max_length=200)  # canonical lead texts: "30d 7d 1d 08:00"
    active: bool = Field(default=True, index=True)
    inactive_reason: str | None = Field(default=None, max_length=40)  # blocked, removed, …
    created_at: dt.datetime = Field(sa_column=utc_column())


#: Delivery states. ``sending`` is a claim; the terminal ones are never picked up again.
PENDING, SENDING, SENT, UNKNOWN, SKIPPED, GONE, FAILED, CANCELLED, MERGED, EMPTY = (
    "pending", "sending", "sent", "unknown", "skipped", "gone", "failed", "cancelled", "merged", "empty"
)


class Delivery(SQLModel, table=True):
    """The outbox: one row per message the bot owes someone, written once under a unique key.

    ``key`` is ``r:<subscription>:<occurrence>:<lead>`` for reminders (so re-planning can never
    write a reminder twice), ``d:<user>:<local date>`` for digests, ``c:<chat>:<content digest>``
    for change notices and ``z:<delivery>:<n>`` for snoozes.
    """

    __tablename__ = "reminder_outbox"
    __table_args__ = (
        Index("ix_outbox_claim", "status", "available_at"),
        Index("ix_outbox_chat_occurrence", "chat_id", "occurrence_key", "lead"),
    )

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=200, unique=True)
    kind: str = Field(max_length=10)  # reminder | digest | change | snooze
    subscription_id: int | None = Field(default=None, index=True)
    user_id: int = Field(sa_column=Column(BigInteger, nullable=False, index=True))
    chat_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    entry_id: str | None = Field(default=None, max_length=40, index=True)
    occurrence_key: str = Field(default="", max_length=80)
    lead: str = Field(default="", max_length=20)
    due_at: dt.datetime = Field(sa_column=utc_column())
    starts_at: dt.datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    available_at: dt.datetime = Field(sa_column=utc_column())  # due_at, or later after a retry
    status: str = Field(default=PENDING, max_length=10)
    late: bool = False
    attempts: int = 0
    claimed_by: str | None = Field(default=None, max_length=80)
    claimed_at: dt.datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    sent_at: dt.datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    message_id: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    last_error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    payload: str | None = Field(default=None, sa_column=Column(Text, nullable=True))  # JSON


class DigestSetting(SQLModel, table=True):
    """A daily summary of the coming week, at the user's hour in the user's zone."""

    __tablename__ = "reminder_digest"

    user_id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    chat_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    enabled: bool = True
    at: str = Field(default="08:00", max_length=5)
    created_at: dt.datetime = Field(sa_column=utc_column())


class PlannerState(SQLModel, table=True):
    """How far ahead the periodic planner has written the outbox (one row, name ``planner``)."""

    __tablename__ = "reminder_state"

    name: str = Field(primary_key=True, max_length=40)
    planned_until: dt.datetime = Field(sa_column=utc_column())


class CalendarFeed(SQLModel, table=True):
    """A user's secret calendar feed address, kept only as the SHA-256 of its token: a copy of the
    database gives nobody a working address, and /calendar reset replaces the hash (revoking it)."""

    __tablename__ = "calendar_feed"

    user_id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    token_hash: str = Field(max_length=64, unique=True, index=True)  # hex SHA-256 of the token in the URL
    language: str = Field(default="zh", max_length=5)  # of the user when the address was issued
    created_at: dt.datetime = Field(sa_column=utc_column())
