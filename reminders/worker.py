"""A stand-alone reminder dispatcher process: ``python -m reminders.worker``.

Runs the planner and dispatcher against a database and a Bot API endpoint without the rest of
the bot: a replica that only sends reminders, and the process the crash and replica tests kill
with SIGKILL or run twice on one PostgreSQL.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys

from telegram import Bot
from telegram.request import HTTPXRequest

from bot.kernel.clock import Clock, FixedClock, ScaledClock, SystemClock, parse_instant
from handlers.sender import TelegramSender
from reminders.dispatcher import Dispatcher, Pacer
from reminders.planner import plan_periodic
from reminders.text import Renderer
from store.catalog import Catalog
from store.db import create_schema, make_engine, session_scope


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="python -m reminders.worker")
    top.add_argument("--database-url", required=True)
    top.add_argument("--base-url", required=True, help="Bot API base, e.g. http://127.0.0.1:8081/bot")
    top.add_argument("--token", required=True)
    top.add_argument("--now", help="start the clock at this instant (ISO-8601); default: real time")
    top.add_argument("--clock-speed", type=float, default=0.0, help="with --now: 0 stands still, 1 is real time")
    top.add_argument("--rate", type=int, default=30, help="messages per second overall")
    top.add_argument("--concurrency", type=int, default=4)
    top.add_argument("--no-elect", action="store_true", help="dispatch even without the advisory lock")
    top.add_argument("--plan", action="store_true", help="run the periodic planner too")
    top.add_argument("--exit-when-idle", action="store_true")
    top.add_argument("--wait-for-go", action="store_true",
                     help="read one line on stdin before dispatching (tests start replicas together)")
    return top


async def run(args: argparse.Namespace) -> int:
    engine = make_engine(args.database_url)
    create_schema(engine)
    with session_scope(engine) as session:
        catalog = Catalog.from_session(session)
    clock: Clock = SystemClock()
    if args.now:
        start = parse_instant(args.now)
        clock = ScaledClock(start, args.clock_speed) if args.clock_speed else FixedClock(start)
    bot = Bot(args.token, base_url=args.base_url, request=HTTPXRequest(connection_pool_size=16))
    await bot.initialize()
    dispatcher = Dispatcher(
        engine, clock, TelegramSender(bot), Renderer(engine, lambda: catalog), pacer=Pacer(args.rate),
        concurrency=args.concurrency, elect=not args.no_elect,
    )
    sys.stdout.write(f"worker {dispatcher.owner} started\n")
    sys.stdout.flush()
    try:
        if args.wait_for_go:  # a starting gun: the line arrives when every replica is up
            await asyncio.to_thread(sys.stdin.readline)
        while True:
            if args.plan and dispatcher.ensure_leader():
                plan_periodic(engine, catalog, clock.now())
            sent = await dispatcher.run_once()
            if sent:
                sys.stdout.write(f"sent {sent}\n")
                sys.stdout.flush()
            if args.exit_when_idle and dispatcher.leadership.leader and not sent:
                return 0
            await asyncio.sleep(0.05)
    finally:
        dispatcher.close()
        await bot.shutdown()
        engine.dispose()


def main() -> int:
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    return asyncio.run(run(parser().parse_args()))


if __name__ == "__main__":
    raise SystemExit(main())
