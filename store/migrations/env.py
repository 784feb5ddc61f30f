"""Alembic's environment: migrations run on the project's engine against the SQLModel metadata.

``store.migrations.upgrade`` passes an open connection in ``config.attributes["connection"]``;
without one (the ``alembic`` command line), the URL comes from ``sqlalchemy.url`` or the
``DATABASE_URL`` environment variable. SQLite cannot alter most of a table in place, so migrations are
rendered in batch mode there (copy, change, swap).
"""

from __future__ import annotations

import os

from alembic import context
from sqlalchemy.engine import Connection
from sqlmodel import SQLModel

from store.db import import_models, make_engine

config = context.config
import_models()
target_metadata = SQLModel.metadata


def run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def main() -> None:
    if context.is_offline_mode():
        raise SystemExit("migrations need a database connection (data moves between tables); offline SQL is not supported")
    connection = config.attributes.get("connection")
    if connection is not None:
        run(connection)
        return
    url = config.get_main_option("sqlalchemy.url") or os.environ.get("DATABASE_URL")
    if not url:
        raise SystemExit("set DATABASE_URL (or use python -m bot db upgrade, which reads the settings)")
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            run(connection)
    finally:
        engine.dispose()


main()
