"""The secret that turns a forgotten user's id into a stable pseudonym in the records kept after
/forget (the admin audit, who granted admin rights, broadcasts, who applied content).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01

One row, made on the first /forget; every replica reads the same one, so a user's pseudonym is
the same wherever and whenever they are forgotten. Downgrading drops it (pseudonyms already
written stay as they are).
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
        "privacy_key",
        sa.Column("name", sa.String(40), primary_key=True),
        sa.Column("secret", sa.String(128), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("privacy_key")
