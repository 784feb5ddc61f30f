"""Calendar feeds: one secret address per user, stored as the SHA-256 of its token.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01

``/calendar`` issues the token and shows it once; the feed at PUBLIC_URL/calendar/<token>.ics is
found by the token's hash. ``/calendar reset`` replaces the hash, so the old address stops working.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "calendar_feed",
        sa.Column("user_id", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("language", sa.String(5), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_calendar_feed_token_hash", "calendar_feed", ["token_hash"], unique=True)


def downgrade() -> None:
    op.drop_index("ix_calendar_feed_token_hash", table_name="calendar_feed")
    op.drop_table("calendar_feed")
