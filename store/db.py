"""Database engine and sessions: a SQLite file by default, PostgreSQL through the same code."""

from __future__ import annotations

import importlib
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Table, event, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, CursorResult, Engine, make_url
from sqlalchemy.sql.dml import Insert
from sqlmodel import Session, create_engine

try:
    import fcntl
except ImportError:  # Windows: no flock; starting one process at a time is then the operator's care
    fcntl = None  # type: ignore[assignment]

#: Modules that define tables; importing them registers their tables in SQLModel.metadata.
MODEL_MODULES = ("store.models", "reminders.models", "store.admin_models", "store.conversation")


def normalise_url(url: str) -> str:
    """Use psycopg 3 for every PostgreSQL URL (``postgres://`` and ``postgresql://`` included)."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url.removeprefix("postgres://")
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return url


def make_engine(url: str) -> Engine:
    """Create an engine; for SQLite, create the file's folder and turn on WAL and foreign keys."""
    url = normalise_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        return engine
    # A server that does not answer fails start-up within seconds instead of hanging it.
    connect_args = {} if "connect_timeout" in parsed.query else {"connect_timeout": 10}
    return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=5, connect_args=connect_args)


def import_models() -> None:
    """Import every module that defines tables, so SQLModel.metadata knows the whole schema."""
    for module in MODEL_MODULES:
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name != module:
                raise


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A session that commits on success and rolls back on error."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


@contextmanager
def exclusive(engine: Engine, key: int) -> Iterator[Connection]:
    """A connection in a transaction that one process at a time holds (start-up work: upgrade, seed).

    PostgreSQL: an advisory lock on ``key`` for the transaction. SQLite: ``flock`` on the database
    file, which never interferes with SQLite's own (fcntl byte-range) locks.
    """
    database = engine.url.database
    if engine.dialect.name == "postgresql":
        with engine.begin() as connection:
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})
            yield connection
        return
    if fcntl is None or not database or database == ":memory:" or database.startswith("file:"):
        with engine.begin() as connection:
            yield connection
        return
    fd = os.open(database, os.O_RDONLY | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        with engine.begin() as connection:
            yield connection
    finally:
        os.close(fd)  # closing releases the lock


def affected(result: object) -> int:
    """How many rows an UPDATE or DELETE touched (``Session.execute`` is typed without ``rowcount``)."""
    return int(result.rowcount) if isinstance(result, CursorResult) else 0


def upsert(dialect: str, table: Table, values: dict[str, Any], update: dict[str, Any]) -> Insert:
    """One INSERT … ON CONFLICT (primary key) DO UPDATE statement, for SQLite and PostgreSQL alike:
    a single round trip where an ORM get-then-flush takes two and can race another replica."""
    insert = postgresql.insert(table) if dialect == "postgresql" else sqlite.insert(table)
    keys = [column.name for column in table.primary_key.columns]
    return insert.values(values).on_conflict_do_update(index_elements=keys, set_=update)
