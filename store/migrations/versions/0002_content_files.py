"""Each content version's files as rows (path, bytes) instead of one zip per version.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01

The database is the one truth for content: the live version's files are read back from here to
stage an upload or a rollback, whatever a replica's ``CONTENT_DIR`` holds. Rows are keyed by
the version's digest (equal files give equal digests, so a rollback stores nothing new). The
zips of ``content_snapshot`` are unpacked into rows and the table is dropped; downgrading packs
them again.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

snapshot = sa.table(
    "content_snapshot",
    sa.column("digest", sa.String),
    sa.column("created_at", sa.DateTime(timezone=True)),
    sa.column("archive", sa.LargeBinary),
)
content_file = sa.table(
    "content_file",
    sa.column("digest", sa.String),
    sa.column("path", sa.String),
    sa.column("data", sa.LargeBinary),
)
version = sa.table("content_version", sa.column("digest", sa.String), sa.column("applied_at", sa.DateTime(timezone=True)))


def upgrade() -> None:
    op.create_table(
        "content_file",
        sa.Column("digest", sa.String(64), primary_key=True),
        sa.Column("path", sa.String(200), primary_key=True),
        sa.Column("data", sa.LargeBinary, nullable=False),
    )
    bind = op.get_bind()
    for digest, archive in bind.execute(sa.select(snapshot.c.digest, snapshot.c.archive)).all():
        with zipfile.ZipFile(io.BytesIO(archive)) as packed:  # made by the bot itself, validated then
            rows = [{"digest": digest, "path": info.filename, "data": packed.read(info)}
                    for info in packed.infolist() if not info.is_dir()]
        if rows:
            bind.execute(content_file.insert(), rows)
    op.drop_table("content_snapshot")


def downgrade() -> None:
    op.create_table(
        "content_snapshot",
        sa.Column("digest", sa.String(64), primary_key=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("archive", sa.LargeBinary, nullable=False),
    )
    bind = op.get_bind()
    files: dict[str, list[tuple[str, bytes]]] = {}
    query = sa.select(content_file.c.digest, content_file.c.path, content_file.c.data).order_by(
        content_file.c.digest, content_file.c.path
    )
    for digest, path, data in bind.execute(query):
        files.setdefault(digest, []).append((path, data))
    for digest, members in files.items():
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as packed:
            for path, data in members:
                packed.writestr(zipfile.ZipInfo(path, date_time=(2000, 1, 1, 0, 0, 0)), data,
                                compress_type=zipfile.ZIP_DEFLATED)
        first = bind.execute(sa.select(sa.func.min(version.c.applied_at)).where(version.c.digest == digest)).scalar()
        bind.execute(snapshot.insert().values(
            digest=digest, created_at=first or dt.datetime.now(dt.UTC), archive=buffer.getvalue()
        ))
    op.drop_table("content_file")
