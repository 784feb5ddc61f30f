"""Who a broadcast reaches: when a user first wrote in private, and when they blocked the bot.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02

A broadcast used to go to users with a stored profile row only, so a delegate who only asked
questions was missed. Rows that exist already were made by something the user did (a language, a
time zone, a subscription), so they count as having talked to the bot since they were made.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN (SQLite has it): no table copy, so the upgrade's write lock is brief.
    op.add_column("bot_user", sa.Column("talked_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("bot_user", sa.Column("blocked_at", sa.DateTime(timezone=True), nullable=True))
    op.execute("UPDATE bot_user SET talked_at = created_at")


def downgrade() -> None:
    with op.batch_alter_table("bot_user") as batch:
        batch.drop_column("blocked_at")
        batch.drop_column("talked_at")
