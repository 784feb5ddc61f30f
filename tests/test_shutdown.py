"""Graceful shutdown: on SIGTERM the bot stops taking updates (the webhook answers 503, so Telegram
keeps them for later), finishes what is in flight, gives back the reminders it claimed, and exits."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import signal
import sys
from collections import Counter

import aiohttp
from sqlalchemy.engine import Engine

from bot.kernel import metrics
from bot.kernel.clock import FixedClock
from bot.kernel.reply import Reply
from reminders.dispatcher import Outcome, SendResult
from reminders.models import PENDING, SENDING, SENT
from reminders.planner import plan_periodic
from tests.conftest import CONTENT, ROOT
from tests.fakebot import TOKEN, FakeBotApi
from tests.htmlcheck import parse_telegram_html
from tests.test_http import SECRET, a_message, free_port
from tests.test_reminders_helpers import dispatcher_for, make_services, rows_of


class GatedSender:
    """A sender whose sends all hang until ``gate`` opens: sends in flight at the moment of a stop."""

    def __init__(self, in_flight: int = 0) -> None:
        self.started: list[int] = []
        self.gate = asyncio.Event()
        self.in_flight = in_flight
        self.all_in_flight = asyncio.Event()  # set once ``in_flight`` sends have started

    async def send(self, chat_id: int, reply: Reply) -> SendResult:
        self.started.append(chat_id)
        if len(self.started) >= self.in_flight:
            self.all_in_flight.set()
        await self.gate.wait()
        return SendResult(Outcome.SENT, message_id=len(self.started))


async def test_a_stopping_dispatcher_finishes_its_sends_and_gives_back_the_rest(engine: Engine, clock: FixedClock) -> None:
    services, _area = make_services(engine, clock)
    for chat in range(800, 820):
        services.router.command("subscribe", "WUF12 30d", services.askers.asker(chat, "en", chat_id=chat))
    clock.set(dt.datetime(2024, 10, 5, 5, 0, tzinfo=dt.UTC))
    plan_periodic(engine, services.content.catalog, clock.now())
    sent_before = metrics.REMINDERS.labels("sent")._value.get()
    sender = GatedSender(in_flight=4)
    dispatcher = dispatcher_for(services, None, sender=sender, concurrency=4)  # type: ignore[arg-type]
    run = asyncio.create_task(dispatcher.run_once())
    await asyncio.wait_for(sender.all_in_flight.wait(), 10)  # four sends have left and wait for Telegram
    dispatcher.stop()
    sender.gate.set()
    assert await run == 4
    statuses = Counter(r.status for r in rows_of(engine))
    assert statuses == {SENT: 4, PENDING: 16}
    assert all(r.claimed_by is None for r in rows_of(engine) if r.status == PENDING)
    assert metrics.REMINDERS.labels("sent")._value.get() == sent_before + 4
    dispatcher.close()  # the process exits: the dispatcher lock goes to whoever asks next
    # The next dispatcher (another replica, or this one restarted) sends the other 16, each once.
    after = GatedSender()
    after.gate.set()
    assert await dispatcher_for(services, None, sender=after).run_once() == 16  # type: ignore[arg-type]
    assert sorted(after.started + sender.started) == list(range(800, 820))


async def test_closing_a_dispatcher_returns_what_it_claimed(engine: Engine, clock: FixedClock) -> None:
    services, _area = make_services(engine, clock)
    for chat in range(830, 835):
        services.router.command("subscribe", "WUF12 30d", services.askers.asker(chat, "en", chat_id=chat))
    clock.set(dt.datetime(2024, 10, 5, 5, 0, tzinfo=dt.UTC))
    plan_periodic(engine, services.content.catalog, clock.now())
    dispatcher = dispatcher_for(services, None, sender=GatedSender())  # type: ignore[arg-type]
    assert len(dispatcher.claim(10)) == 5
    assert {r.status for r in rows_of(engine)} == {SENDING}
    dispatcher.close()
    assert {(r.status, r.claimed_by, r.attempts) for r in rows_of(engine)} == {(PENDING, None, 0)}


async def test_sigterm_in_webhook_mode_finishes_the_reply_in_flight_refuses_new_updates_and_exits(
    loaded_sqlite_url: str,
) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    async with FakeBotApi() as server, aiohttp.ClientSession() as http:
        env = dict(os.environ, TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_BASE_URL=f"{server.url}/bot",
                   TELEGRAM_BASE_FILE_URL=f"{server.url}/file/bot", DATABASE_URL=loaded_sqlite_url,
                   CONTENT_DIR=str(CONTENT), HTTP_PORT=str(port), PUBLIC_URL=base, WEBHOOK_SECRET=SECRET,
                   LOG_FORMAT="json")
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "--webhook", cwd=ROOT, env=env,
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
        )
        try:
            await server.wait_for("setWebhook", timeout=60)
            # Telegram holds the answer to this reply: it is in flight when SIGTERM arrives.
            server.delay("sendMessage", 3.0, chat_id=5501)
            server.send_text(5501, "/session HA.2", user_id=5501, language_code="en")
            await server.wait_started("sendMessage", chat_id=5501, timeout=30)
            process.send_signal(signal.SIGTERM)
            for _ in range(200):  # the bot drains at once; the load balancer sees it in /healthz
                async with http.get(f"{base}/healthz") as response:
                    if response.status == 503:
                        assert (await response.json())["status"] == "stopping"
                        break
                await asyncio.sleep(0.02)
            # A new update is refused with 503, so Telegram keeps it and retries it (elsewhere).
            async with http.post(f"{base}/telegram", json=a_message(5502, "/start"),
                                 headers={"X-Telegram-Bot-Api-Secret-Token": SECRET}) as response:
                assert response.status == 503
            # The reply in flight is finished, then the process exits by itself within 10 s.
            [reply] = await server.wait_for("sendMessage", chat_id=5501, timeout=10)
            assert "5–9 June 2023" in parse_telegram_html(reply["text"])[0]
            _out, err = await asyncio.wait_for(process.communicate(), 10)
        finally:
            if process.returncode is None:
                process.kill()
                await process.wait()
        assert process.returncode == 0, err.decode()[-2000:]
        assert server.sent("sendMessage", chat_id=5502) == []
        # Logs: JSON lines only, saying what happened, never the token, the secret or what the user wrote.
        lines = [json.loads(line) for line in err.decode().splitlines() if line.strip()]
        messages = [line["msg"] for line in lines]
        assert any(m.startswith("webhook registered at") for m in messages)
        assert any(m.startswith("stopping") for m in messages) and messages[-1] == "stopped"
        text = err.decode()
        assert TOKEN.split(":")[1] not in text and SECRET not in text and "/session HA.2" not in text
        assert "Traceback" not in text
