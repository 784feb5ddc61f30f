"""The bot's HTTP server end to end: webhook mode against the fake Bot API (which posts updates the
way Telegram does), the secret check, /healthz and /metrics, in webhook and polling mode."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families
from telegram.ext import Application

from bot.app import build_application, http_server, stop_sending
from bot.kernel.clock import FixedClock
from bot.settings import Settings
from handlers.instrument import check_health
from handlers.serve import Webhook, serve
from tests.conftest import telegram_settings
from tests.fakebot import FakeBotApi
from tests.htmlcheck import parse_telegram_html

SECRET = "test-secret-0123456789abcdef"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Running:
    """A bot served by ``handlers.serve.serve`` and the fake Bot API it talks to."""

    server: FakeBotApi
    app: Application  # type: ignore[type-arg]
    settings: Settings
    base: str  # the bot's own HTTP server, e.g. http://127.0.0.1:PORT
    http: aiohttp.ClientSession

    async def get(self, path: str) -> tuple[int, str]:
        async with self.http.get(self.base + path) as response:
            return response.status, await response.text()

    async def post_update(self, update: dict, headers: dict[str, str] | None = None) -> int:  # type: ignore[type-arg]
        async with self.http.post(self.base + "/telegram", json=update, headers=headers or {}) as response:
            return response.status

    async def metric(self, name: str, **labels: str) -> float:
        """The value of one sample of /metrics, read with prometheus-client's own parser."""
        status, body = await self.get("/metrics")
        assert status == 200
        for family in text_string_to_metric_families(body):
            for sample in family.samples:
                if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
                    return float(sample.value)
        return 0.0


@contextlib.asynccontextmanager
async def running(database_url: str, clock: FixedClock, *, webhook: bool) -> AsyncIterator[Running]:
    """The bot served as ``python -m bot [--webhook]`` serves it, with HTTP_PORT set."""
    port = free_port()
    async with FakeBotApi() as server, aiohttp.ClientSession() as http:
        settings = telegram_settings(server, database_url, http_port=port, public_url=f"http://127.0.0.1:{port}",
                                     webhook_secret=SECRET)
        app = build_application(settings, clock)
        hook = Webhook(settings.webhook_url, SECRET) if webhook else None
        stop = asyncio.Event()
        task = asyncio.create_task(serve(app, server=http_server(settings, app, webhook=hook), webhook=hook,
                                         on_stopping=[lambda: stop_sending(app)], stop=stop))
        try:
            # Polling starts with deleteWebhook; a getUpdates is recorded only when it returns.
            await server.wait_for("setWebhook" if webhook else "deleteWebhook", timeout=30)
            yield Running(server, app, settings, f"http://127.0.0.1:{port}", http)
        finally:
            stop.set()
            await asyncio.wait_for(task, 30)


@pytest.fixture
async def webhook_bot(loaded_sqlite_url: str, clock: FixedClock) -> AsyncIterator[Running]:
    async with running(loaded_sqlite_url, clock, webhook=True) as bot:
        yield bot


def a_message(chat_id: int, text: str, update_id: int = 900_001) -> dict:  # type: ignore[type-arg]
    return {"update_id": update_id, "message": {
        "message_id": 1, "date": 1_700_000_000, "text": text, "chat": {"id": chat_id, "type": "private"},
        "from": {"id": chat_id, "is_bot": False, "first_name": "D", "language_code": "en"},
    }}


async def test_webhook_mode_registers_with_the_secret_and_answers_updates_telegram_posts(webhook_bot: Running) -> None:
    [registered] = webhook_bot.server.sent("setWebhook")
    assert registered["url"] == f"{webhook_bot.base}/telegram"
    assert registered["secret_token"] == SECRET
    assert set(registered["allowed_updates"]) == {"message", "callback_query", "inline_query", "my_chat_member"}
    # The fake posts the update to PUBLIC_URL/telegram with the secret, as Telegram does.
    webhook_bot.server.send_text(5101, "/session HA.2", user_id=5101, language_code="en")
    [reply] = await webhook_bot.server.wait_for("sendMessage", chat_id=5101, timeout=15)
    assert "5–9 June 2023" in parse_telegram_html(reply["text"])[0]
    # Telegram hears back once the update has been answered, not before (see the next test).
    assert [p.status for p in await webhook_bot.server.wait_for_posts(1)] == [200]
    # A button under the card is answered the same way.
    data = next(b["callback_data"] for row in reply["reply_markup"]["inline_keyboard"] for b in row
                if b["callback_data"].startswith("e:res-2/"))
    webhook_bot.server.press_button(5101, webhook_bot.server.last_message(5101)["message_id"], data, user_id=5101)
    replies = await webhook_bot.server.wait_for("sendMessage", chat_id=5101, count=2, timeout=15)
    assert "Resolution 2/" in parse_telegram_html(replies[-1]["text"])[0]
    assert webhook_bot.server.errors == []


async def test_telegram_hears_back_only_once_the_update_is_answered(webhook_bot: Running) -> None:
    """A 200 tells Telegram the update was delivered: a replica that dies before answering must not
    have said so, or the update is lost (tests/test_replicas.py kills one)."""
    webhook_bot.server.delay("sendMessage", 0.5)  # the answer takes a while to go out
    update_id = webhook_bot.server.send_text(5151, "/session HA.2", user_id=5151, language_code="en")
    [post] = await webhook_bot.server.wait_for_posts(1, timeout=15)
    [answer] = [c for c in webhook_bot.server.calls if c.method == "sendMessage" and c.params["chat_id"] == 5151]
    assert (post.update_id, post.status) == (update_id, 200)
    assert answer.time <= post.time  # the answer was sent before the webhook request was answered


async def test_an_update_without_or_with_a_wrong_secret_is_refused_and_never_answered(webhook_bot: Running) -> None:
    refused = await webhook_bot.metric("habitat_webhook_refused_total", reason="secret")
    assert await webhook_bot.post_update(a_message(5201, "/session HA.2")) == 401
    wrong = {"X-Telegram-Bot-Api-Secret-Token": SECRET[:-1] + "X"}
    assert await webhook_bot.post_update(a_message(5201, "/session HA.2", 900_002), wrong) == 403
    assert await webhook_bot.post_update(a_message(5201, "/session HA.2", 900_003),
                                         {"X-Telegram-Bot-Api-Secret-Token": ""}) == 403
    assert await webhook_bot.metric("habitat_webhook_refused_total", reason="secret") == refused + 3
    # The right secret on the same endpoint is answered; the refused chat got nothing at all.
    right = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
    assert await webhook_bot.post_update(a_message(5202, "/session HA.2", 900_004), right) == 200
    await webhook_bot.server.wait_for("sendMessage", chat_id=5202, timeout=15)
    assert webhook_bot.server.sent("sendMessage", chat_id=5201) == []
    # Something that is not an update, even with the secret, is refused without a traceback.
    async with webhook_bot.http.post(webhook_bot.base + "/telegram", data=b"not json", headers=right) as response:
        assert response.status == 400


async def test_metrics_parse_and_count_the_update_its_reply_and_the_search(webhook_bot: Running) -> None:
    messages = await webhook_bot.metric("habitat_updates_total", type="message")
    replies = await webhook_bot.metric("habitat_reply_seconds_count")
    questions = await webhook_bot.metric("habitat_search_queries_total")
    misses = await webhook_bot.metric("habitat_search_misses_total")
    webhook_bot.server.send_text(5301, "xqzvvb wkkjq", user_id=5301, language_code="en")  # found nowhere
    await webhook_bot.server.wait_for("sendMessage", chat_id=5301, timeout=15)
    assert await webhook_bot.metric("habitat_updates_total", type="message") == messages + 1
    assert await webhook_bot.metric("habitat_search_queries_total") == questions + 1
    assert await webhook_bot.metric("habitat_search_misses_total") == misses + 1
    for _ in range(100):  # the reply is sent before the handling that sent it is timed as finished
        if await webhook_bot.metric("habitat_reply_seconds_count") == replies + 1:
            break
        await asyncio.sleep(0.05)
    assert await webhook_bot.metric("habitat_reply_seconds_count") == replies + 1
    status, body = await webhook_bot.get("/metrics")
    names = {family.name for family in text_string_to_metric_families(body)}
    assert {"habitat_updates", "habitat_reply_seconds", "habitat_search_queries", "habitat_search_misses",
            "habitat_reminders", "habitat_outbox_depth", "habitat_content_version"} <= names
    for outcome in ("sent", "failed", "unknown"):
        assert f'habitat_reminders_total{{outcome="{outcome}"}}' in body


async def test_metrics_show_the_content_version_served(webhook_bot: Running) -> None:
    digest = webhook_bot.app.bot_data["habitat"].content.catalog.version
    for _ in range(100):  # the gauges job reads the database in the background at start
        if await webhook_bot.metric("habitat_content_version") > 0:
            break
        await asyncio.sleep(0.05)
    assert await webhook_bot.metric("habitat_content_version") >= 1
    assert await webhook_bot.metric("habitat_content_info", digest=digest[:12]) == 1


async def test_healthz_is_200_with_the_database_and_503_when_it_is_gone(webhook_bot: Running) -> None:
    import json

    status, body = await webhook_bot.get("/healthz")
    assert status == 200
    assert json.loads(body) == {"status": "ok", "checks": {"database": "ok", "content": "ok"}}
    habitat = webhook_bot.app.bot_data["habitat"]
    habitat.engine.dispose()
    database = Path(habitat.engine.url.database)
    for path in (database, database.with_name(database.name + "-wal"), database.with_name(database.name + "-shm")):
        path.unlink(missing_ok=True)
    status, body = await webhook_bot.get("/healthz")
    assert status == 503
    report = json.loads(body)
    assert report["status"] == "unavailable"
    assert report["checks"]["database"].startswith("no answer") and report["checks"]["content"] == "ok"


def test_health_says_content_is_not_loaded_when_the_catalog_is_empty(tmp_path: Path) -> None:
    from store.db import make_engine
    from store.migrations import upgrade

    engine = make_engine(f"sqlite:///{tmp_path / 'empty.db'}")
    upgrade(engine)
    health = check_health(engine, entries=0, version="")
    assert not health.ok and health.checks == {"database": "ok", "content": "not loaded"}
    engine.dispose()


async def test_polling_serves_healthz_and_metrics_when_http_port_is_set(loaded_sqlite_url: str, clock: FixedClock) -> None:
    async with running(loaded_sqlite_url, clock, webhook=False) as bot:
        assert bot.server.sent("setWebhook") == []
        before = await bot.metric("habitat_updates_total", type="message")
        bot.server.send_text(5401, "/session HA.2", user_id=5401, language_code="en")
        await bot.server.wait_for("sendMessage", chat_id=5401, timeout=15)
        polls = bot.server.sent("getUpdates")
        assert set(polls[-1]["allowed_updates"]) == {"message", "callback_query", "inline_query", "my_chat_member"}
        assert await bot.metric("habitat_updates_total", type="message") == before + 1
        status, _body = await bot.get("/healthz")
        assert status == 200
        # Polling has no webhook: the path is not served at all.
        assert await bot.post_update(a_message(5402, "/start"), {"X-Telegram-Bot-Api-Secret-Token": SECRET}) == 404


async def test_a_colleague_can_add_a_route_to_the_same_server(loaded_sqlite_url: str, clock: FixedClock) -> None:
    from aiohttp import web

    port = free_port()
    async with FakeBotApi() as server, aiohttp.ClientSession() as http:
        settings = telegram_settings(server, loaded_sqlite_url, http_port=port)
        app = build_application(settings, clock)
        web_server = http_server(settings, app)
        assert web_server is not None

        async def feed(request: web.Request) -> web.Response:
            return web.Response(text=f"BEGIN:VCALENDAR {request.match_info['token']}")

        web_server.add_route("GET", "/colleague/{token}.ics", feed)  # /calendar/ is the feeds' own
        stop = asyncio.Event()
        task = asyncio.create_task(serve(app, server=web_server, stop=stop))
        try:
            await server.wait_for("deleteWebhook", timeout=30)
            async with http.get(f"http://127.0.0.1:{port}/colleague/abc.ics") as response:
                assert response.status == 200 and await response.text() == "BEGIN:VCALENDAR abc"
        finally:
            stop.set()
            await asyncio.wait_for(task, 30)


def test_webhook_settings_are_checked_before_start() -> None:
    from bot.settings import SettingsError, load_settings

    problems = load_settings(_env_file=None, telegram_bot_token=None).webhook_problems()
    assert [p.split(":")[0] for p in problems] == ["TELEGRAM_BOT_TOKEN", "PUBLIC_URL", "WEBHOOK_SECRET"]
    for name, value in [("webhook_secret", "short"), ("webhook_secret", "has spaces in it, sixteen+"),
                        ("public_url", "bot.example.org"), ("http_port", "99999"), ("log_format", "xml")]:
        with pytest.raises(SettingsError, match=name.upper()):
            load_settings(_env_file=None, **{name: value})
    settings = load_settings(_env_file=None, public_url="https://bot.example.org/", webhook_secret=SECRET,
                             http_port="")
    assert settings.webhook_url == "https://bot.example.org/telegram" and settings.http_port is None


async def test_a_webhook_telegram_refuses_stops_start_up_with_one_line(loaded_sqlite_url: str) -> None:
    import os
    import sys

    from tests.conftest import CONTENT, ROOT
    from tests.fakebot import TOKEN

    async with FakeBotApi() as server:
        server.fail("setWebhook", error_code=400, description="Bad Request: bad webhook: Failed to resolve host")
        port = free_port()
        env = dict(os.environ, TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_BASE_URL=f"{server.url}/bot",
                   TELEGRAM_BASE_FILE_URL=f"{server.url}/file/bot", DATABASE_URL=loaded_sqlite_url,
                   CONTENT_DIR=str(CONTENT), HTTP_PORT=str(port), PUBLIC_URL="https://no-such-host.invalid",
                   WEBHOOK_SECRET=SECRET)
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "--webhook", cwd=ROOT, env=env,
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
        )
        _out, err = await asyncio.wait_for(process.communicate(), 60)
    text = err.decode()
    assert process.returncode == 2, text[-2000:]
    assert "cannot start: Telegram answered: Bad webhook: failed to resolve host" in text
    assert not [line for line in text.splitlines() if line.startswith(("Traceback", "  File"))]  # logged, one line each
    assert TOKEN.split(":")[1] not in text


async def test_the_fake_refuses_polling_while_a_webhook_is_set(webhook_bot: Running) -> None:
    """As Telegram does: getUpdates answers 409 until deleteWebhook."""
    from telegram.error import Conflict

    with pytest.raises(Conflict):
        await webhook_bot.app.bot.get_updates(timeout=0)
    info = await webhook_bot.app.bot.get_webhook_info()
    assert info.url == f"{webhook_bot.base}/telegram" and set(info.allowed_updates) == {
        "message", "callback_query", "inline_query", "my_chat_member"}
