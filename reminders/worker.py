"""A reminder-only process: ``python -m reminders.worker``.

Reads the same settings as the bot (``.env`` and the environment: token, Bot API base, database,
default language and zone) and is built by the same composition root, but only plans and sends
reminders: a replica that sends while another process answers, and the process the crash and
replica tests kill with SIGKILL or run twice on one PostgreSQL. It picks up new content as the
bot does.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import sys

from telegram import Bot
from telegram.request import HTTPXRequest

from bot.app import build
from bot.kernel.clock import Clock, FixedClock, ScaledClock, SystemClock, parse_instant
from bot.kernel.content import StartupError
from bot.kernel.logging_setup import configure_logging
from bot.settings import SettingsError, load_settings
from handlers.sender import TelegramSender
from reminders.dispatcher import Pacer

CONTENT_CHECK_EVERY = 30.0  # seconds


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="python -m reminders.worker",
                                  description="Plan and send reminders (settings from .env and the environment).")
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


def make_clock(now: str | None, speed: float) -> Clock:
    if not now:
        return SystemClock()
    start = parse_instant(now)
    return ScaledClock(start, speed) if speed else FixedClock(start)


async def run(args: argparse.Namespace) -> int:
    try:
        settings = load_settings()
    except SettingsError as exc:
        sys.stderr.write(f"configuration error: {exc}\n")
        return 2
    if not settings.telegram_bot_token:
        sys.stderr.write("configuration error: TELEGRAM_BOT_TOKEN is needed to send reminders\n")
        return 2
    configure_logging(settings.log_format, settings.log_level, secrets=(settings.telegram_bot_token,))
    try:
        habitat = await asyncio.to_thread(build, settings, make_clock(args.now, args.clock_speed))
    except StartupError as exc:
        sys.stderr.write(f"cannot start: {exc}\n")
        return 2
    bot = Bot(settings.telegram_bot_token, base_url=settings.telegram_base_url,
              base_file_url=settings.telegram_base_file_url, request=HTTPXRequest(connection_pool_size=16))
    await bot.initialize()
    reminders = habitat.reminders(TelegramSender(bot), pacer=Pacer(args.rate), elect=not args.no_elect,
                                  concurrency=args.concurrency)
    dispatcher = reminders.dispatcher
    sys.stdout.write(f"worker {dispatcher.owner} started\n")
    sys.stdout.flush()
    loop = asyncio.get_running_loop()
    checked = loop.time()
    stopping = asyncio.Event()
    # SIGTERM: claim and start nothing more, let the sends in flight finish, give the rest back.
    def on_sigterm() -> None:
        reminders.stop()
        stopping.set()

    with contextlib.suppress(NotImplementedError):
        loop.add_signal_handler(signal.SIGTERM, on_sigterm)
    try:
        if args.wait_for_go:  # a starting gun: the line arrives when every replica is up
            await asyncio.to_thread(sys.stdin.readline)
        while not stopping.is_set():
            if loop.time() - checked >= CONTENT_CHECK_EVERY:
                checked = loop.time()
                await asyncio.to_thread(habitat.content.refresh_from_database)
            if args.plan:
                await asyncio.to_thread(reminders.plan)
            sent = await reminders.dispatch()
            if sent:
                sys.stdout.write(f"sent {sent}\n")
                sys.stdout.flush()
            if args.exit_when_idle and dispatcher.leadership.leader and not sent:
                return 0
            await asyncio.sleep(0.05)
        return 0
    finally:
        await asyncio.to_thread(reminders.close)
        await bot.shutdown()
        habitat.close()


def main() -> int:
    configure_logging(level=logging.WARNING)  # until the settings are read
    return asyncio.run(run(parser().parse_args()))


if __name__ == "__main__":
    raise SystemExit(main())
