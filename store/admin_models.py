"""Tables of the admin area: admins added by command, the audit log, rollback marks, broadcasts.

They live in the database rather than in memory or files so that every replica agrees on who is
an admin and so that the audit trail survives restarts. The files of each content version are
in ``store.models.ContentFile``.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, Column, Text
from sqlmodel import Field, SQLModel

from store.models import utc_column


class AdminUser(SQLModel, table=True):
    """An admin added with ``/admin add``; the ids in ``ADMIN_IDS`` are admins without a row."""

    __tablename__ = "admin_user"
    #: /forget keeps admins (rights go with /admin remove); who added them becomes a pseudonym.
    __table_args__ = {"info": {"forget": {"keep": True, "pseudonymize": ("added_by",)}}}

    user_id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    added_by: int = Field(sa_column=Column(BigInteger, nullable=False))
    added_at: dt.datetime = Field(sa_column=utc_column())


class AuditEntry(SQLModel, table=True):
    """One admin action or refused attempt: who, what, when and how it ended."""

    __tablename__ = "admin_audit"
    #: /forget keeps the trail of admin actions and refused attempts, under a pseudonym.
    __table_args__ = {"info": {"forget": {"pseudonymize": ("user_id",)}}}

    id: int | None = Field(default=None, primary_key=True)
    at: dt.datetime = Field(sa_column=utc_column())
    user_id: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True, index=True))
    action: str = Field(max_length=40, index=True)
    detail: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    result: str = Field(max_length=20)  # ok, denied, invalid, error, dry-run, unchanged


class RollbackMark(SQLModel, table=True):
    """A content version created by ``/rollback``, and the earlier version it returned to.

    A second ``/rollback`` steps further back from that earlier version instead of undoing the
    first rollback.
    """

    __tablename__ = "content_rollback"

    version_id: int = Field(primary_key=True)
    target_version_id: int


class Broadcast(SQLModel, table=True):
    """A ``/broadcast`` text waiting for confirmation, being sent, or done (with its counts)."""

    __tablename__ = "admin_broadcast"
    __table_args__ = {"info": {"forget": {"pseudonymize": ("created_by",)}}}

    id: int | None = Field(default=None, primary_key=True)
    created_by: int = Field(sa_column=Column(BigInteger, nullable=False))
    created_at: dt.datetime = Field(sa_column=utc_column())
    text: str = Field(sa_column=Column(Text, nullable=False))
    status: str = Field(default="pending", max_length=20)  # pending, sending, done, cancelled
    recipients: int = 0
    sent: int = 0
    failed: int = 0
