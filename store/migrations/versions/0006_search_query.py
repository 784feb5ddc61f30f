"""Long search queries behind paging buttons, stored so that any replica can page through them.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02

A paging button holds at most 64 bytes, so a long query travels as a key; the query itself used
to live in one process's memory, and a button pressed at another replica (or after a restart)
had expired. Downgrading drops the table: such buttons then answer that the search expired.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "search_query",
        sa.Column("key", sa.String(16), primary_key=True),
        sa.Column("query", sa.Text, nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_search_query_used_at", "search_query", ["used_at"])


def downgrade() -> None:
    op.drop_index("ix_search_query_used_at", table_name="search_query")
    op.drop_table("search_query")
