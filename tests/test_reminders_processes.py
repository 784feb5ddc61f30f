"""Real processes: a dispatcher killed with SIGKILL mid fan-out, and two dispatchers on one
PostgreSQL. The fake Bot API runs in the test; the workers are ``python -m reminders.worker``."""

from __future__ import annotations

import asyncio
import collections
import datetime as dt
import os
import sys
import tempfile
from pathlib import Path

import pytest
from sqlalchemy import insert, select
from sqlalchemy.engine import Engine

from reminders.models import SENDING, SENT, Delivery, Subscription
from reminders.planner import plan_periodic
from store.db import session_scope
from tests.conftest import ROOT
from tests.fakebot import TOKEN, FakeBotApi
from tests.test_reminders_helpers import catalog_of, rows_of, server, store_entries

__all__ = ["server"]

#: An empty content folder: the workers serve the small calendar the test put in the database.
EMPTY = Path(tempfile.mkdtemp(prefix="no-content-"))
DUE = dt.datetime(2024, 10, 5, 5, 0, tzinfo=dt.UTC)  # 30 days before WUF12 at 08:00 Nairobi
CONCURRENCY = 4


def fan_out(engine: Engine, count: int) -> list[int]:
    """``count`` chats following WUF12 with a 30-day lead, planned: ``count`` rows due at DUE."""
    store_entries(engine)
    chats = [10_000 + i for i in range(count)]
    created = dt.datetime(2024, 9, 1, tzinfo=dt.UTC)
    with engine.begin() as conn:
        conn.execute(insert(Subscription), [
            {"user_id": c, "chat_id": c, "target_kind": "entry", "target": "WUF12", "leads": "30d",
             "active": True, "created_at": created} for c in chats])
    plan_periodic(engine, catalog_of(), DUE)
    assert len(rows_of(engine)) == count
    return chats


async def spawn(database_url: str, server: FakeBotApi, *extra: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "reminders.worker", "--now", DUE.isoformat(), "--concurrency", str(CONCURRENCY), *extra,
        cwd=ROOT,
        # The worker reads the bot's settings; the small calendar is already in the database, and
        # an empty content folder leaves what the database holds live.
        env={**os.environ, "PYTHONPATH": str(ROOT), "DATABASE_URL": database_url, "TELEGRAM_BOT_TOKEN": TOKEN,
             "TELEGRAM_BASE_URL": f"{server.url}/bot", "TELEGRAM_BASE_FILE_URL": f"{server.url}/file/bot",
             "CONTENT_DIR": str(EMPTY), "SEARCH_INDEX_DIR": str(EMPTY / "index")},
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )


async def finish(process: asyncio.subprocess.Process, limit: float = 40) -> None:
    try:
        await asyncio.wait_for(process.wait(), limit)
    except TimeoutError:
        process.kill()
        await process.wait()
        raise
    if process.returncode != 0:
        err = await process.stderr.read() if process.stderr else b""
        raise AssertionError(f"worker exited {process.returncode}: {err.decode()[-2000:]}")


def per_chat(server: FakeBotApi) -> collections.Counter[int]:
    return collections.Counter(int(p["chat_id"]) for p in server.sent("sendMessage"))


async def test_sigkill_mid_fan_out_then_restart_sends_everything(
    database_url: str, engine: Engine, server: FakeBotApi
) -> None:
    chats = fan_out(engine, 1000)
    first = await spawn(database_url, server, "--rate", "5000")
    await server.wait_for("sendMessage", count=300, timeout=30)
    first.kill()  # SIGKILL: no cleanup, claimed rows stay "sending"
    await first.wait()
    with session_scope(engine) as session:
        in_flight = {r.chat_id for r in session.execute(select(Delivery).where(Delivery.status == SENDING)).scalars()}
    before = sum(per_chat(server).values())
    assert 300 <= before < 1000

    second = await spawn(database_url, server, "--rate", "5000", "--exit-when-idle")
    await finish(second)
    counts = per_chat(server)
    assert set(counts) == set(chats)  # every reminder went out
    twice = {chat for chat, n in counts.items() if n > 1}
    assert all(n <= 2 for n in counts.values())
    assert twice <= in_flight and len(twice) <= CONCURRENCY  # only what was in flight at the kill
    assert {r.status for r in rows_of(engine)} == {SENT}


needs_postgres = pytest.mark.skipif(not os.environ.get("TEST_DATABASE_URL"), reason="needs TEST_DATABASE_URL")


@needs_postgres
@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
async def test_two_replicas_on_postgres_send_each_reminder_once_within_the_rate(
    database_url: str, engine: Engine, server: FakeBotApi
) -> None:
    """Both replicas run; the advisory lock lets one dispatch, so one rate limit holds for both."""
    chats = fan_out(engine, 250)
    workers = [await spawn(database_url, server, "--rate", "100", "--exit-when-idle") for _ in range(2)]
    for worker in workers:
        await finish(worker)
    assert per_chat(server) == collections.Counter({c: 1 for c in chats})
    assert server.sent_per_window(1.0) <= 100
    assert {r.status for r in rows_of(engine)} == {SENT}


@needs_postgres
@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
async def test_two_dispatchers_claiming_together_never_share_a_row(
    database_url: str, engine: Engine, server: FakeBotApi
) -> None:
    """Without the election both dispatch at once: FOR UPDATE SKIP LOCKED keeps every row to one."""
    chats = fan_out(engine, 600)
    workers = [await spawn(database_url, server, "--rate", "5000", "--no-elect", "--exit-when-idle",
                           "--wait-for-go") for _ in range(2)]
    for worker in workers:  # both running before either may claim
        assert worker.stdout is not None
        assert b"started" in await asyncio.wait_for(worker.stdout.readline(), 30)
    server.delay("sendMessage", 0.02, times=None)  # each send takes a while, so both are busy at once
    for worker in workers:  # the starting gun
        assert worker.stdin is not None
        worker.stdin.write(b"go\n")
        await worker.stdin.drain()
    for worker in workers:
        await finish(worker)
    assert per_chat(server) == collections.Counter({c: 1 for c in chats})
    owners = collections.Counter(r.claimed_by for r in rows_of(engine))
    assert len(owners) == 2, owners  # both really took part
