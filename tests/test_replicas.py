"""Two webhook replicas on one PostgreSQL, as deployed behind a load balancer (``python -m bot
--webhook`` processes; the fake Bot API posts each update to one of them in turn). The one sending
a reminder fan-out is killed with SIGKILL in the middle of it: every update is still answered and
every reminder goes out exactly once.

Where the kill lands: during a flood wait Telegram imposed (429), so no message of the killed
replica is on its way at that instant. A message that has left but whose sending is not yet
recorded cannot be known to have arrived, and is sent again by the next dispatcher: that bound
(at most the dispatcher's concurrency) is tested in tests/test_reminders_processes.py.
"""

from __future__ import annotations

import asyncio
import collections
import os
import signal
import socket
import sys
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine

from reminders.models import SENT, Delivery
from store.db import session_scope
from tests.conftest import ROOT
from tests.fakebot import TOKEN, FakeBotApi
from tests.test_reminders_helpers import rows_of, server
from tests.test_reminders_processes import DUE, EMPTY, fan_out

__all__ = ["server"]

needs_postgres = pytest.mark.skipif(not os.environ.get("TEST_DATABASE_URL"), reason="needs TEST_DATABASE_URL")

SECRET = "replica-test-secret"
REMINDERS = 360
#: Messages delegates send while it all happens; each comes from a chat of its own.
ASKED = ("WUF12", "/start", "HA.2", "/help")
FIRST_ASKER = 50_000
LEADER_LINE = "now sends the reminders"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def replica(database_url: str, server: FakeBotApi, port: int, log: Path) -> asyncio.subprocess.Process:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "DATABASE_URL": database_url, "TELEGRAM_BOT_TOKEN": TOKEN,
           "TELEGRAM_BASE_URL": f"{server.url}/bot", "TELEGRAM_BASE_FILE_URL": f"{server.url}/file/bot",
           "CONTENT_DIR": str(EMPTY), "SEARCH_INDEX_DIR": str(log.parent / f"index-{port}"),
           "HTTP_PORT": str(port), "PUBLIC_URL": "https://bot.example.org", "WEBHOOK_SECRET": SECRET,
           "LOG_LEVEL": "INFO", "LOG_FORMAT": "text"}
    with log.open("wb") as out:
        return await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "--webhook", "--now", DUE.isoformat(), cwd=ROOT, env=env,
            stdout=out, stderr=asyncio.subprocess.STDOUT,
        )


def reminders_sent(server: FakeBotApi) -> collections.Counter[int]:
    return collections.Counter(int(p["chat_id"]) for p in server.sent("sendMessage") if int(p["chat_id"]) < FIRST_ASKER)


def answers(server: FakeBotApi) -> collections.Counter[int]:
    return collections.Counter(int(p["chat_id"]) for p in server.sent("sendMessage") if int(p["chat_id"]) >= FIRST_ASKER)


def recorded_sent(engine: Engine) -> set[int]:
    with session_scope(engine) as session:
        return set(session.execute(select(Delivery.chat_id).where(Delivery.status == SENT)).scalars())


async def until(check: object, timeout: float, what: str) -> None:  # noqa: ASYNC109
    assert callable(check)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not check():
        if loop.time() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        await asyncio.sleep(0.05)


@needs_postgres
@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
async def test_a_replica_killed_mid_fan_out_loses_and_repeats_nothing(
    database_url: str, engine: Engine, server: FakeBotApi, tmp_path: Path
) -> None:
    chats = fan_out(engine, REMINDERS)
    ports = [free_port(), free_port()]
    server.webhook_upstreams = [f"http://127.0.0.1:{p}" for p in ports]
    server.webhook_retry_delay = 0.1
    logs = [tmp_path / f"replica-{i}.log" for i in range(2)]
    replicas = [await replica(database_url, server, port, log) for port, log in zip(ports, logs, strict=True)]
    asked: list[int] = []

    async def delegates() -> None:
        """Four messages a second, from new chats, to whichever replica the balancer picks."""
        while True:
            chat = FIRST_ASKER + len(asked)
            server.send_text(chat, ASKED[len(asked) % len(ASKED)], user_id=chat, language_code="en")
            asked.append(chat)
            await asyncio.sleep(0.25)

    feeding = asyncio.create_task(delegates())
    try:
        await until(lambda: len(server.sent("setWebhook")) >= 2, 90, "both replicas to start")
        await until(lambda: sum(reminders_sent(server).values()) >= REMINDERS // 4, 60, "the fan-out to be under way")
        leaders = [i for i, log in enumerate(logs) if LEADER_LINE in log.read_text()]
        assert len(leaders) == 1, [log.read_text()[-2000:] for log in logs]
        [leader] = leaders

        # Telegram asks for a pause: the leader's sends stop. Once all it delivered is recorded, it dies.
        server.fail("sendMessage", description="Too Many Requests: retry after 6", times=None)
        await until(lambda: set(reminders_sent(server)) <= recorded_sent(engine), 3,
                    "the delivered reminders to be recorded")
        await asyncio.sleep(1.5)  # updates go on arriving: the leader holds a few, waiting out the pause
        replicas[leader].send_signal(signal.SIGKILL)
        await replicas[leader].wait()
        server.reset_faults()
        killed_at = sum(reminders_sent(server).values())
        assert killed_at < REMINDERS  # really in the middle of it

        survivor = replicas[1 - leader]
        await until(lambda: set(reminders_sent(server)) == set(chats), 90, "the survivor to finish the fan-out")
        await asyncio.sleep(1.0)  # more updates, all now at the survivor
        feeding.cancel()
        await until(lambda: set(answers(server)) == set(asked), 30, "every update to be answered")
        await asyncio.sleep(0.5)
        survivor.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(survivor.wait(), 20) == 0
    finally:
        feeding.cancel()
        for process in replicas:
            if process.returncode is None:
                process.kill()
                await process.wait()

    assert LEADER_LINE in logs[1 - leader].read_text()  # the survivor took over the sending
    assert reminders_sent(server) == collections.Counter({c: 1 for c in chats})
    assert {r.status for r in rows_of(engine)} == {SENT}
    assert answers(server) == collections.Counter({c: 1 for c in asked})
    for chat, index in zip(asked, range(len(asked)), strict=True):
        text = server.last_message(chat)["text"]
        if ASKED[index % len(ASKED)] == "WUF12":
            assert "World Urban Forum" in text
