"""Open the database at start-up, or stop with one line that names it and says what is wrong.

A bot that starts on a database it cannot write fails later on every subscription and every
dispatcher run; a corrupt file gives a raw driver traceback. So start-up checks, in order: the
database answers, a SQLite file is intact (``PRAGMA quick_check``), the schema is at the newest
migration, and a write goes through (rolled back). Any failure becomes ``DatabaseProblem`` whose
message is the one line an operator needs; the password never appears in it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from store.db import make_engine, normalise_url
from store.migrations import upgrade

#: Driver messages (lower case, as SQLite and PostgreSQL word them) and what they mean to an operator.
PLAIN = (
    ("attempt to write a readonly database", "it is read-only; the bot must be able to write the file and its folder"),
    ("read-only transaction", "it is read-only (a standby or a read-only user); the bot must be able to write"),
    ("permission denied", "permission denied; the bot's user must be able to read and write it"),
    ("unable to open database file", "the file cannot be opened (does its folder exist, and may the bot write there?)"),
    ("file is not a database", "the file is not a SQLite database (corrupt, or another kind of file); restore it from a backup"),
    ("disk image is malformed", "the file is corrupt or truncated; restore it from a backup"),
    ("database is locked", "another process holds it locked"),
    ("disk i/o error", "disk I/O error"),
)


class DatabaseProblem(Exception):
    """The database cannot be used; ``str()`` is one line naming it and saying why."""


def describe_url(url: str) -> str:
    """The database URL as an operator may read it: driver name dropped, password hidden."""
    try:
        parsed = make_url(normalise_url(url))
    except ArgumentError:
        return "(an unreadable DATABASE_URL)"
    return parsed.set(drivername=parsed.get_backend_name()).render_as_string(hide_password=True)


def explain(exc: BaseException) -> str:
    """What went wrong, in one line: a known driver message in plain words, else its first line."""
    original = getattr(exc, "orig", None) or exc
    message = " ".join(str(original).split("\n")[0].split())
    lowered = message.lower()
    for known, plain in PLAIN:
        if known in lowered:
            return plain
    if isinstance(original, OSError) and original.strerror:
        return f"{original.strerror} ({original.filename})" if original.filename else original.strerror
    return (message or type(original).__name__)[:300]


@contextmanager
def explained(url: str) -> Iterator[None]:
    """Turn any database or file error inside into ``DatabaseProblem`` for ``url``."""
    try:
        yield
    except (SQLAlchemyError, OSError, ValueError) as exc:
        raise DatabaseProblem(f"database {describe_url(url)}: {explain(exc)}") from None


def _intact(engine: Engine) -> None:
    """SQLite: the whole file is readable and consistent (cheap: no index cross-checks)."""
    if engine.dialect.name != "sqlite":
        return
    with engine.connect() as connection:
        found = [row[0] for row in connection.execute(text("PRAGMA quick_check"))]
    if found != ["ok"]:
        first = " ".join(str(found[0]).split()) if found else "no answer"  # SQLite's report can span lines
        raise DatabaseProblem(f"the file is corrupt ({first}); restore it from a backup")


def _writable(engine: Engine) -> None:
    """A write that changes nothing, rolled back: fails on a read-only file, standby or user."""
    with engine.connect() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = version_num"))
        connection.rollback()


def open_database(url: str, *, migrate: bool = True) -> Engine:
    """An engine on a database that answers, is intact, is at the newest migration and can be written.

    Raises ``DatabaseProblem`` with one line otherwise. ``migrate=False`` checks only that it
    answers and is intact (``python -m bot db upgrade`` then upgrades and reports).
    """
    with explained(url):
        engine = make_engine(url)
    try:
        with explained(url):
            with engine.connect() as connection:
                connection.execute(text("SELECT 1"))
            try:
                _intact(engine)
            except DatabaseProblem as problem:
                raise DatabaseProblem(f"database {describe_url(url)}: {problem}") from None
            if migrate:
                upgrade(engine)
                _writable(engine)
    except BaseException:
        engine.dispose()
        raise
    return engine
