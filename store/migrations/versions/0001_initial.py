"""The schema as ``create_all`` made it before migrations: content, users, admin area, reminders.

Revision ID: 0001
Revises:
Create Date: 2026-12-01

The tables are written out here (not imported from the models, which move on) and created only
where missing: a database made by ``create_all`` before migrations existed may lack the tables
added later (``search_miss``, say), and this revision fills them in before it is recorded.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def utc(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def tables(meta: sa.MetaData) -> list[sa.Table]:
    """Every table of this revision, in creation order."""
    s = sa.String
    return [
        # content (store/models.py)
        sa.Table(
            "entry", meta,
            sa.Column("id", s(40), primary_key=True),
            sa.Column("kind", s(20), nullable=False),
            sa.Column("data", sa.Text, nullable=False),
            sa.Index("ix_entry_kind", "kind"),
        ),
        sa.Table(
            "alias", meta,
            sa.Column("entry_id", s(40), primary_key=True),
            sa.Column("key", s(400), primary_key=True),
            sa.Column("alias", sa.Text, nullable=False),
        ),
        sa.Table(
            "document", meta,
            sa.Column("id", s(40), primary_key=True),
            sa.Column("data", sa.Text, nullable=False),
        ),
        sa.Table(
            "paragraph", meta,
            sa.Column("doc_id", s(40), primary_key=True),
            sa.Column("number", s(12), primary_key=True),
            sa.Column("position", sa.Integer, nullable=False),
            sa.Column("text", sa.Text, nullable=False),
            sa.Column("raw", sa.Text, nullable=False),
        ),
        sa.Table(
            "glossary", meta,
            sa.Column("position", sa.Integer, primary_key=True),
            sa.Column("data", sa.Text, nullable=False),
        ),
        sa.Table(
            "content_version", meta,
            sa.Column("id", sa.Integer, primary_key=True),
            sa.Column("digest", s(64), nullable=False),
            utc("applied_at"),
            sa.Column("applied_by", s(100), nullable=False),
            sa.Column("summary", sa.Text, nullable=False),
            sa.Index("ix_content_version_digest", "digest"),
        ),
        sa.Table(
            "bot_user", meta,
            sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=False),
            sa.Column("language", s(8)),
            sa.Column("timezone", s(64)),
            utc("created_at"),
        ),
        sa.Table(
            "search_miss", meta,
            sa.Column("query", s(300), primary_key=True),
            sa.Column("day", sa.Date, primary_key=True),
            sa.Column("count", sa.Integer, nullable=False),
            utc("last_at"),
        ),
        # admin area (store/admin_models.py)
        sa.Table(
            "admin_user", meta,
            sa.Column("user_id", sa.BigInteger, primary_key=True, autoincrement=False),
            sa.Column("added_by", sa.BigInteger, nullable=False),
            utc("added_at"),
        ),
        sa.Table(
            "admin_audit", meta,
            sa.Column("id", sa.Integer, primary_key=True),
            utc("at"),
            sa.Column("user_id", sa.BigInteger),
            sa.Column("action", s(40), nullable=False),
            sa.Column("detail", sa.Text, nullable=False),
            sa.Column("result", s(20), nullable=False),
            sa.Index("ix_admin_audit_user_id", "user_id"),
            sa.Index("ix_admin_audit_action", "action"),
        ),
        sa.Table(
            "content_snapshot", meta,
            sa.Column("digest", s(64), primary_key=True),
            utc("created_at"),
            sa.Column("archive", sa.LargeBinary, nullable=False),
        ),
        sa.Table(
            "content_rollback", meta,
            sa.Column("version_id", sa.Integer, primary_key=True),
            sa.Column("target_version_id", sa.Integer, nullable=False),
        ),
        sa.Table(
            "admin_broadcast", meta,
            sa.Column("id", sa.Integer, primary_key=True),
            sa.Column("created_by", sa.BigInteger, nullable=False),
            utc("created_at"),
            sa.Column("text", sa.Text, nullable=False),
            sa.Column("status", s(20), nullable=False),
            sa.Column("recipients", sa.Integer, nullable=False),
            sa.Column("sent", sa.Integer, nullable=False),
            sa.Column("failed", sa.Integer, nullable=False),
        ),
        # reminders (reminders/models.py)
        sa.Table(
            "reminder_subscription", meta,
            sa.Column("id", sa.Integer, primary_key=True),
            sa.Column("user_id", sa.BigInteger, nullable=False),
            sa.Column("chat_id", sa.BigInteger, nullable=False),
            sa.Column("target_kind", s(10), nullable=False),
            sa.Column("target", s(40), nullable=False),
            sa.Column("leads", s(200), nullable=False),
            sa.Column("active", sa.Boolean, nullable=False),
            sa.Column("inactive_reason", s(40)),
            utc("created_at"),
            sa.UniqueConstraint("chat_id", "target_kind", "target", name="uq_subscription_target"),
            sa.Index("ix_reminder_subscription_user_id", "user_id"),
            sa.Index("ix_reminder_subscription_chat_id", "chat_id"),
            sa.Index("ix_reminder_subscription_active", "active"),
        ),
        sa.Table(
            "reminder_outbox", meta,
            sa.Column("id", sa.Integer, primary_key=True),
            sa.Column("key", s(200), nullable=False, unique=True),
            sa.Column("kind", s(10), nullable=False),
            sa.Column("subscription_id", sa.Integer),
            sa.Column("user_id", sa.BigInteger, nullable=False),
            sa.Column("chat_id", sa.BigInteger, nullable=False),
            sa.Column("entry_id", s(40)),
            sa.Column("occurrence_key", s(80), nullable=False),
            sa.Column("lead", s(20), nullable=False),
            utc("due_at"),
            utc("starts_at", nullable=True),
            utc("available_at"),
            sa.Column("status", s(10), nullable=False),
            sa.Column("late", sa.Boolean, nullable=False),
            sa.Column("attempts", sa.Integer, nullable=False),
            sa.Column("claimed_by", s(80)),
            utc("claimed_at", nullable=True),
            utc("sent_at", nullable=True),
            sa.Column("message_id", sa.BigInteger),
            sa.Column("last_error", sa.Text),
            sa.Column("payload", sa.Text),
            sa.Index("ix_outbox_claim", "status", "available_at"),
            sa.Index("ix_outbox_chat_occurrence", "chat_id", "occurrence_key", "lead"),
            sa.Index("ix_reminder_outbox_subscription_id", "subscription_id"),
            sa.Index("ix_reminder_outbox_user_id", "user_id"),
            sa.Index("ix_reminder_outbox_entry_id", "entry_id"),
        ),
        sa.Table(
            "reminder_digest", meta,
            sa.Column("user_id", sa.BigInteger, primary_key=True, autoincrement=False),
            sa.Column("chat_id", sa.BigInteger, nullable=False),
            sa.Column("enabled", sa.Boolean, nullable=False),
            sa.Column("at", s(5), nullable=False),
            utc("created_at"),
        ),
        sa.Table(
            "reminder_state", meta,
            sa.Column("name", s(40), primary_key=True),
            utc("planned_until"),
        ),
    ]


def upgrade() -> None:
    bind = op.get_bind()
    existing = set(sa.inspect(bind).get_table_names())
    missing = [table for table in tables(sa.MetaData()) if table.name not in existing]
    for table in missing:
        table.create(bind)


def downgrade() -> None:
    bind = op.get_bind()
    for table in reversed(tables(sa.MetaData())):
        table.drop(bind, checkfirst=True)
