"""Shared fixtures: a fresh database per test (SQLite, and PostgreSQL when TEST_DATABASE_URL is
set), the real content loaded into it, and the answer core on an injected clock."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine

from bot.clock import FixedClock
from bot.services import Services, build_services
from bot.settings import Settings
from store.db import create_schema, make_engine

ROOT = Path(__file__).resolve().parent.parent
CONTENT = ROOT / "content"
#: The bot's clock in tests unless a test sets another: a fixed, known instant.
T0 = dt.datetime(2024, 10, 1, 5, 0, tzinfo=dt.UTC)

BACKENDS = ["sqlite"] + (["postgres"] if os.environ.get("TEST_DATABASE_URL") else [])


def _drop_schema(url: str, schema: str) -> None:
    admin = make_engine(url)
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database URL for a fresh, empty database (one per test and backend)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'test.db'}"
        return
    url = os.environ["TEST_DATABASE_URL"]
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = make_engine(url)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    admin.dispose()
    separator = "&" if "?" in url else "?"
    yield f"{url}{separator}options=-csearch_path%3D{schema}"
    _drop_schema(url, schema)


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    create_schema(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(T0)


def make_settings(database_url: str, content_dir: Path = CONTENT, **extra: object) -> Settings:
    values: dict[str, object] = {
        "database_url": database_url,
        "content_dir": content_dir,
        "telegram_bot_token": None,
        "admin_ids": frozenset({4242}),
        "default_language": "zh",
        "default_timezone": "Africa/Nairobi",
    }
    values.update(extra)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


@pytest.fixture(scope="session")
def loaded_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file with the bundled content loaded, built once and copied for each test."""
    path = tmp_path_factory.mktemp("template") / "content.db"
    built = build_services(make_settings(f"sqlite:///{path}"), FixedClock(T0))
    with built.engine.begin() as conn:
        conn.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
    built.close()
    return path


@pytest.fixture
def loaded_sqlite_url(loaded_template: Path, tmp_path: Path) -> str:
    """A fresh SQLite database of this test's own, already holding the bundled content."""
    target = tmp_path / "bot.db"
    shutil.copyfile(loaded_template, target)
    return f"sqlite:///{target}"


@pytest.fixture
def settings(loaded_sqlite_url: str) -> Settings:
    """Settings on a fresh SQLite database (the PostgreSQL runs use ``database_url`` directly)."""
    return make_settings(loaded_sqlite_url)


@pytest.fixture
def services(settings: Settings, clock: FixedClock) -> Iterator[Services]:
    """The bot's services on the real content, a fresh database and the fixed clock."""
    built = build_services(settings, clock)
    yield built
    built.close()
