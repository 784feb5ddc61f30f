"""Each user's last search and the page shown, so "more" pages on from any replica.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02

One row per user (``store/conversation.py``), replaced at every page of results shown; /forget
deletes it with everything else keyed by ``user_id``.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "last_search",
        sa.Column("user_id", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("query", sa.Text, nullable=False),
        sa.Column("page", sa.Integer, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("last_search")
