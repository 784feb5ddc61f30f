"""Load benchmark: the bot end to end, beside a bare python-telegram-bot echo bot, in one run.

    .venv/bin/python bench/load.py
    .venv/bin/python bench/load.py --database-url postgresql://postgres@127.0.0.1:5432/bench   # + two replicas
    .venv/bin/python bench/load.py --only habitat-polling --burst 600 --steady-seconds 15

One fake Bot API server (tests/fakebot.py) runs in this process; every bot is a process of its own
talking to it, as it would talk to Telegram:

* ``echo``               bench/echo.py: python-telegram-bot's defaults, echoing each text
* ``echo-ratelimited``   the same with ``AIORateLimiter`` (Telegram's ~30 messages/s)
* ``habitat-polling``    ``python -m bot`` long-polling, on SQLite
* ``habitat-webhook``    ``python -m bot --webhook``: the fake posts each update, on SQLite
* ``habitat-replicas``   two ``--webhook`` replicas on one PostgreSQL behind a round-robin balancer
                         (only with ``--database-url``, or TEST_DATABASE_URL set)

Scenario A: a burst of 600 messages (lookups and questions) from 200 users pushed at once:
updates/s from the first push to the last reply, and CPU per update from the bot processes' own
usage (/proc/<pid>/stat). Scenario B: a steady 20 updates/s from new users: reply latency (push to
first reply) p50 / p99. Before measuring, each bot answers every kind of message once (warm-up);
that also tells how many messages each answer takes. Targets (issue 10): ≥ 95% of the
rate-limited echo bot's rate, ≤ 2× the bare echo bot's CPU per update, p99 ≤ 150 ms at 20/s.
Prints figures, asserts nothing. The machine is shared: the load average is printed beside them.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import shutil
import signal
import socket
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import text  # noqa: E402
from telegram import Bot  # noqa: E402

from store.db import make_engine  # noqa: E402
from tests.fakebot import TOKEN, FakeBotApi  # noqa: E402

LOOKUPS = ["/session HA.2", "HA.1", "2/7", "WUF12", "/resolution 2/7", "/doc HSP/EB.2023/18", "/session HA.1",
           "/upcoming"]
QUESTIONS = ["城市十月是什么", "homelessness", "贫民窟改造", "什么是新城市议程", "适足住房", "urban planning",
             "世界城市日", "climate change"]
#: What the 200 users send: lookups and questions, alternating.
MIX = [m for pair in zip(LOOKUPS, QUESTIONS, strict=True) for m in pair]
SECRET = "bench-secret-" + uuid.uuid4().hex[:8]
TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process so far (all its threads), from /proc/<pid>/stat."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def peak_per_second(times: list[float]) -> int:
    """The most messages that reached the server within any one second (Telegram's limit is ~30)."""
    times = sorted(times)
    most, low = 0, 0
    for high, moment in enumerate(times):
        while times[low] <= moment - 1.0:
            low += 1
        most = max(most, high - low + 1)
    return most


class Replies:
    """Reads the fake's record of sent messages as it grows: per chat, how many and when."""

    def __init__(self, server: FakeBotApi) -> None:
        self.server = server
        self.seen = len(server.calls)
        self.count: dict[int, int] = {}
        self.first: dict[int, float] = {}
        self.last = 0.0
        self.total = 0

    def update(self) -> None:
        calls = self.server.calls
        for call in calls[self.seen:]:
            if call.method.lower() != "sendmessage" or not call.ok:
                continue
            chat = int(call.params["chat_id"])
            self.count[chat] = self.count.get(chat, 0) + 1
            self.first.setdefault(chat, call.time)
            self.last = max(self.last, call.time)
            self.total += 1
        self.seen = len(calls)

    async def until(self, done: Callable[[], bool], timeout: float, what: str) -> None:  # noqa: ASYNC109
        deadline = time.monotonic() + timeout
        while True:
            self.update()
            if done():
                return
            if time.monotonic() > deadline:
                raise TimeoutError(f"{what}: not done after {timeout:.0f} s ({self.total} messages seen)")
            await asyncio.sleep(0.005)

    async def settle(self, quiet: float = 1.0) -> None:
        """Wait until no message came for ``quiet`` seconds (answers in several parts, late ones)."""
        while True:
            before = self.total
            await asyncio.sleep(quiet)
            self.update()
            if self.total == before:
                return


@dataclass
class Contender:
    """One bot under load: its processes, how it takes updates, and what it measured."""

    name: str
    commands: list[list[str]]
    envs: list[dict[str, str]]
    webhook_ports: list[int] = field(default_factory=list)
    processes: list[asyncio.subprocess.Process] = field(default_factory=list)
    figures: dict[str, float] = field(default_factory=dict)

    def cpu(self) -> float:
        return sum(cpu_seconds(p.pid) for p in self.processes)


def habitat_env(server: FakeBotApi, database_url: str, folder: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("HTTP_PORT", "PUBLIC_URL", "WEBHOOK_SECRET")}
    env.update({
        "PYTHONPATH": str(ROOT), "TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_BASE_URL": f"{server.url}/bot",
        "TELEGRAM_BASE_FILE_URL": f"{server.url}/file/bot", "DATABASE_URL": database_url,
        "CONTENT_DIR": str(ROOT / "content"), "SEARCH_INDEX_DIR": str(folder / "search-index"), "ADMIN_IDS": "",
    })
    return env


def webhook_env(env: dict[str, str], port: int, public: int) -> dict[str, str]:
    return {**env, "HTTP_PORT": str(port), "PUBLIC_URL": f"http://127.0.0.1:{public}", "WEBHOOK_SECRET": SECRET}


def contenders(server: FakeBotApi, folder: Path, postgres_url: str | None) -> list[Contender]:
    python = sys.executable
    echo = [python, str(ROOT / "bench" / "echo.py"), server.url]
    sqlite = habitat_env(server, f"sqlite:///{folder / 'bench.db'}", folder)
    hook = free_port()
    found = [
        Contender("echo", [echo], [dict(os.environ)]),
        Contender("echo-ratelimited", [[*echo, "--rate-limited"]], [dict(os.environ)]),
        Contender("habitat-polling", [[python, "-m", "bot"]], [sqlite]),
        Contender("habitat-webhook", [[python, "-m", "bot", "--webhook"]], [webhook_env(sqlite, hook, hook)], [hook]),
    ]
    if postgres_url:
        shared = habitat_env(server, postgres_url, folder / "replicas")
        ports = [free_port(), free_port()]
        found.append(Contender("habitat-replicas", [[python, "-m", "bot", "--webhook"]] * 2,
                               [webhook_env(shared, port, ports[0]) for port in ports], ports))
    return found


async def start(contender: Contender, server: FakeBotApi, logs: Path) -> None:
    """Start the processes and wait until they take updates."""
    server.webhook_upstreams = [f"http://127.0.0.1:{p}" for p in contender.webhook_ports]
    registered = len(server.sent("setWebhook"))
    for index, (command, env) in enumerate(zip(contender.commands, contender.envs, strict=True)):
        with (logs / f"{contender.name}-{index}.log").open("wb") as log:
            contender.processes.append(await asyncio.create_subprocess_exec(
                *command, cwd=ROOT, env=env, stdout=log, stderr=asyncio.subprocess.STDOUT))
    deadline = time.monotonic() + 180
    while True:
        if any(p.returncode is not None for p in contender.processes):
            raise RuntimeError(f"{contender.name} exited at start; see {logs}")
        if contender.webhook_ports:
            ready = len(server.sent("setWebhook")) >= registered + len(contender.processes)
        else:
            ready = server.polls_waiting > 0
        if ready:
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"{contender.name} did not start; see {logs}")
        await asyncio.sleep(0.05)


async def stop(contender: Contender, server: FakeBotApi) -> None:
    for process in contender.processes:
        process.send_signal(signal.SIGTERM)
    for process in contender.processes:
        try:
            await asyncio.wait_for(process.wait(), 20)
        except TimeoutError:
            process.kill()
            await process.wait()
    if server.webhook is not None:  # what the next bot finds is a server without a webhook
        async with Bot(TOKEN, base_url=f"{server.url}/bot") as bot:
            await bot.delete_webhook()
    server.webhook_upstreams = []


async def warm_up(server: FakeBotApi, base: int) -> dict[str, int]:
    """Every kind of message once, twice over (the first round loads indexes and caches);
    returns how many messages each answer takes."""
    parts: dict[str, int] = {}
    for round_ in range(2):
        replies = Replies(server)
        chats = {base + round_ * 1000 + i: message for i, message in enumerate(MIX)}
        for chat, message in chats.items():
            server.send_text(chat, message, user_id=chat, language_code="zh" if chat % 2 else "en")
        await replies.until(lambda r=replies, c=chats: all(r.count.get(x, 0) for x in c), 180, "warm-up")
        await replies.settle()
        parts = {message: replies.count[chat] for chat, message in chats.items()}
    return parts


async def burst(contender: Contender, server: FakeBotApi, parts: dict[str, int], base: int, users: int,
                messages: int) -> None:
    """Scenario A: ``messages`` from ``users`` at once; rate and CPU until the last answer."""
    replies = Replies(server)
    sent: list[tuple[int, str]] = [(base + i % users, MIX[(i * 7 + i // users) % len(MIX)]) for i in range(messages)]
    expected = sum(parts[m] for _, m in sent)
    first_call = len(server.calls)
    cpu_before, started = contender.cpu(), time.monotonic()
    for chat, message in sent:
        server.send_text(chat, message, user_id=chat, language_code="zh" if chat % 2 else "en")
    await replies.until(lambda: replies.total >= expected, 600, f"{contender.name} burst")
    cpu_after = contender.cpu()
    contender.figures["burst_peak"] = peak_per_second(
        [c.time for c in server.calls[first_call:] if c.method.lower() == "sendmessage" and c.ok])
    contender.figures["burst_rate"] = messages / (replies.last - started)
    contender.figures["burst_cpu_ms"] = (cpu_after - cpu_before) / messages * 1000
    contender.figures["burst_seconds"] = replies.last - started
    await replies.settle()


async def steady(contender: Contender, server: FakeBotApi, parts: dict[str, int], base: int, rate: float,
                 seconds: float) -> None:
    """Scenario B: ``rate`` updates a second from new users; push-to-first-answer latency."""
    replies = Replies(server)
    count = int(rate * seconds)
    pushed: dict[int, float] = {}
    cpu_before, started = contender.cpu(), time.monotonic()
    for i in range(count):
        delay = started + i / rate - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        chat = base + i
        pushed[chat] = time.monotonic()
        server.send_text(chat, MIX[i % len(MIX)], user_id=chat, language_code="zh" if chat % 2 else "en")
    await replies.until(lambda: all(c in replies.first for c in pushed), 120, f"{contender.name} steady")
    cpu_after = contender.cpu()
    latencies = [(replies.first[c] - t) * 1000 for c, t in pushed.items()]
    contender.figures["p50_ms"] = statistics.median(latencies)
    contender.figures["p99_ms"] = percentile(latencies, 0.99)
    contender.figures["steady_cpu_ms"] = (cpu_after - cpu_before) / count * 1000
    await replies.settle()


def fresh_schema(url: str) -> tuple[str, Callable[[], None]]:
    """A schema of its own on the PostgreSQL server at ``url``, and how to drop it."""
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = make_engine(url)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))

    def drop() -> None:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()

    separator = "&" if "?" in url else "?"
    return f"{url}{separator}options=-csearch_path%3D{schema}", drop


def report(results: list[Contender], args: argparse.Namespace) -> None:
    by_name = {c.name: c.figures for c in results}
    limited = by_name.get("echo-ratelimited", {}).get("burst_rate")
    bare_cpu = by_name.get("echo", {}).get("burst_cpu_ms")
    print(f"\nload average {' '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} cores")
    print(f"A: burst of {args.burst} messages from {args.users} users; B: steady {args.rate:g}/s for "
          f"{args.steady_seconds:g} s from new users\n")
    print(f"{'':18} {'A upd/s':>8} {'vs RL echo':>10} {'A max/1s':>9} {'A CPU ms/upd':>13} {'vs echo':>8} "
          f"{'B p50 ms':>9} {'B p99 ms':>9} {'B CPU ms/upd':>13}")
    for name, f in by_name.items():
        rate, cpu = f.get("burst_rate"), f.get("burst_cpu_ms")
        ratio = f"{rate / limited:.0%}" if rate and limited else "-"
        times = f"{cpu / bare_cpu:.2f}×" if cpu and bare_cpu else "-"
        print(f"{name:18} {rate or 0:8.1f} {ratio:>10} {f.get('burst_peak', 0):9.0f} {cpu or 0:13.2f} {times:>8} "
              f"{f.get('p50_ms', 0):9.1f} {f.get('p99_ms', 0):9.1f} {f.get('steady_cpu_ms', 0):13.2f}")
    print("\ntargets: habitat ≥ 95% of echo-ratelimited's rate, ≤ 2.00× echo's CPU per update, B p99 ≤ 150 ms")
    print("A max/1s: the most messages the fake received within any one second of the burst")


async def run(args: argparse.Namespace) -> None:
    folder = Path(tempfile.mkdtemp(prefix="bench-load-"))
    logs = folder / "logs"
    logs.mkdir()
    drop: Callable[[], None] | None = None
    postgres = args.database_url or os.environ.get("TEST_DATABASE_URL")
    if postgres and (not args.only or "habitat-replicas" in args.only):
        postgres, drop = fresh_schema(postgres)
    results: list[Contender] = []
    try:
        async with FakeBotApi() as server:
            server.webhook_retry_delay = 0.05
            for number, contender in enumerate(contenders(server, folder, postgres)):
                if args.only and contender.name not in args.only:
                    continue
                base = (number + 1) * 1_000_000
                print(f"{contender.name}: starting", file=sys.stderr, flush=True)
                try:
                    await start(contender, server, logs)
                    pids = " ".join(str(p.pid) for p in contender.processes)
                    print(f"{contender.name}: running as pid {pids}", file=sys.stderr, flush=True)
                    parts = await warm_up(server, base)
                    print(f"{contender.name}: burst", file=sys.stderr, flush=True)
                    await burst(contender, server, parts, base + 100_000, args.users, args.burst)
                    print(f"{contender.name}: steady", file=sys.stderr, flush=True)
                    await steady(contender, server, parts, base + 200_000, args.rate, args.steady_seconds)
                finally:
                    await stop(contender, server)
                results.append(contender)
                print(f"{contender.name}: {contender.figures}", file=sys.stderr, flush=True)
    finally:
        if drop is not None:
            drop()
        if args.keep:
            print(f"logs in {logs}", file=sys.stderr)
        else:
            shutil.rmtree(folder, ignore_errors=True)
    report(results, args)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", help="PostgreSQL server for the two replicas (a schema of their own)")
    parser.add_argument("--only", nargs="*", help="run only these contenders (names above)")
    parser.add_argument("--burst", type=int, default=600)
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--rate", type=float, default=20.0)
    parser.add_argument("--steady-seconds", type=float, default=15.0)
    parser.add_argument("--keep", action="store_true", help="keep the bots' logs (their folder is printed)")
    args = parser.parse_args()
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(run(args))


if __name__ == "__main__":
    main()
