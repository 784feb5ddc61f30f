"""Shared fixtures: a fresh database per test (SQLite, and PostgreSQL when TEST_DATABASE_URL is
set), the real content loaded into it, and the answer core on an injected clock."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from telegram.ext import Application

from bot.app import Habitat, build
from bot.kernel.clock import FixedClock
from bot.settings import Settings
from store.db import make_engine
from store.migrations import upgrade
from tests.fakebot import TOKEN, FakeBotApi

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
    upgrade(engine)
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
    built = build(make_settings(f"sqlite:///{path}"), FixedClock(T0))
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
def services(settings: Settings, clock: FixedClock) -> Iterator[Habitat]:
    """The bot's services on the real content, a fresh database and the fixed clock."""
    built = build(settings, clock)
    yield built
    built.close()


# -- end to end: the real python-telegram-bot Application against a local fake Bot API ----------


@dataclass
class TelegramHarness:
    """A running bot: the fake Bot API it polls, its application, services and clock."""

    server: FakeBotApi
    app: Application  # type: ignore[type-arg]
    services: Habitat
    clock: FixedClock

    async def ask(self, text: str, chat_id: int = 1001, *, user_id: int | None = None,
                  language_code: str = "zh", count: int = 1) -> list[dict]:  # type: ignore[type-arg]
        """Send a message as a delegate and return the messages the bot sent back."""
        before = len(self.server.sent("sendMessage", chat_id=chat_id))
        self.server.send_text(chat_id, text, user_id=user_id or chat_id, language_code=language_code)
        sent = await self.server.wait_for("sendMessage", count=before + count, chat_id=chat_id)
        return sent[before:]

    async def press(self, data: str, chat_id: int = 1001, *, count: int = 1) -> list[dict]:  # type: ignore[type-arg]
        """Press a button (by its callback data) under the bot's latest message in the chat."""
        before = len(self.server.sent("sendMessage", chat_id=chat_id))
        message = self.server.last_message(chat_id)
        self.server.press_button(chat_id, message["message_id"], data, user_id=chat_id)
        sent = await self.server.wait_for("sendMessage", count=before + count, chat_id=chat_id)
        return sent[before:]


def telegram_settings(server: FakeBotApi, database_url: str, **extra: object) -> Settings:
    return make_settings(
        database_url,
        telegram_bot_token=TOKEN,
        telegram_base_url=f"{server.url}/bot",
        telegram_base_file_url=f"{server.url}/file/bot",
        **extra,
    )


@pytest.fixture
async def telegram(loaded_sqlite_url: str, clock: FixedClock) -> AsyncIterator[TelegramHarness]:
    """The bot running against a fake Bot API on 127.0.0.1, with the bundled content loaded."""
    from bot.app import build_application

    async with FakeBotApi() as server:
        settings = telegram_settings(server, loaded_sqlite_url)
        app = build_application(settings, clock)
        async with server.polling(app):
            # run_polling() would call these hooks; a test drives the lifecycle itself.
            await app.post_init(app)  # type: ignore[misc]
            yield TelegramHarness(server, app, app.bot_data["habitat"], clock)
            await app.post_shutdown(app)  # type: ignore[misc]


@pytest.fixture(autouse=True, scope="session")
def _shared_search_index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Every test loads the same content, so they share one persisted search index, as restarts of
    the bot do (an index is keyed by the content version; changed content builds its own)."""
    patch = pytest.MonkeyPatch()
    patch.setenv("SEARCH_INDEX_DIR", str(tmp_path_factory.mktemp("search-index")))
    yield
    patch.undo()
