"""Schema migrations (Alembic) for SQLite and PostgreSQL: ``upgrade(engine_or_url)`` brings any
database to the newest revision.

A database made by ``create_all`` before migrations existed has tables but no
``alembic_version``: it is taken as revision 0001 (whose tables are created only where missing)
and upgraded from there. Replicas starting together take turns: a PostgreSQL advisory lock, or a
lock on the SQLite file, is held while one of them upgrades; the others then find nothing to do.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect
from sqlalchemy.engine import Connection, Engine

from store.db import exclusive, make_engine

log = logging.getLogger(__name__)

HERE = Path(__file__).resolve().parent
FIRST = "0001"
#: Any pg_advisory lock key of our own; the reminders' election uses others.
UPGRADE_LOCK_KEY = 0x4841_4249_5441_54  # "HABITAT"


@dataclass(frozen=True)
class Upgrade:
    """What ``upgrade`` did: the revision before (None: empty database) and after."""

    before: str | None
    after: str | None
    legacy: bool = False  # made by create_all before migrations

    @property
    def changed(self) -> bool:
        return self.before != self.after


def config(connection: Connection | None = None) -> Config:
    """Alembic's configuration for this package, bound to ``connection`` when given."""
    cfg = Config()
    cfg.set_main_option("script_location", str(HERE))
    cfg.set_main_option("path_separator", "os")
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def head() -> str:
    """The newest revision."""
    revision = ScriptDirectory.from_config(config()).get_current_head()
    assert revision is not None
    return revision


def current(connection: Connection) -> str | None:
    """The revision the database is at (None when it has no ``alembic_version``)."""
    return MigrationContext.configure(connection).get_current_revision()


def _is_legacy(connection: Connection) -> bool:
    tables = set(inspect(connection).get_table_names())
    return "alembic_version" not in tables and "content_version" in tables


def upgrade(engine_or_url: Engine | str, revision: str = "head") -> Upgrade:
    """Bring the database to ``revision`` (the newest by default); a no-op when it is there already."""
    engine = make_engine(engine_or_url) if isinstance(engine_or_url, str) else engine_or_url
    target = head() if revision == "head" else revision
    try:
        with engine.connect() as connection:
            if current(connection) == target:
                return Upgrade(target, target)
        with exclusive(engine, UPGRADE_LOCK_KEY) as connection:
            before = current(connection)
            legacy = before is None and _is_legacy(connection)
            if legacy:
                log.warning("database %s was made before migrations: taking it as revision %s and upgrading",
                            engine.url.render_as_string(hide_password=True), FIRST)
            if before != target:
                command.upgrade(config(connection), target)
            after = current(connection)
        if before != after:
            log.info("database schema upgraded from %s to %s", before or "nothing", after)
        return Upgrade(before, after, legacy)
    finally:
        if isinstance(engine_or_url, str):
            engine.dispose()


def needs_upgrade(engine: Engine) -> bool:
    """True when the database is not at the newest revision."""
    with engine.connect() as connection:
        return current(connection) != head()
