"""Command line: ``python -m bot`` runs the bot; ``python -m bot ask "TEXT"`` prints one answer;
``python -m bot db upgrade`` and ``python -m bot content apply`` are for deployments.

Without ``TELEGRAM_BOT_TOKEN`` the bot opens a console chat in the terminal with the same answers
as Telegram; with it, it long-polls Telegram, or with ``--webhook`` takes updates at PUBLIC_URL/telegram.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import sys

from telegram.error import TelegramError

from bot import maintenance
from bot.app import Habitat, build, run_telegram
from bot.console import ButtonPad, console_asker, render_plain, run_console, start_background_jobs
from bot.kernel.clock import Clock, FixedClock, ScaledClock, SystemClock, parse_instant
from bot.kernel.content import StartupError
from bot.kernel.logging_setup import configure_logging
from bot.kernel.reply import plain_text
from bot.settings import SettingsError, load_settings
from handlers.serve import leave
from store.content import ContentInvalid


def make_clock(now: str | None, speed: float | None, *, frozen: bool = False) -> Clock:
    if now is None:
        return SystemClock() if not speed else ScaledClock(SystemClock().now(), speed)
    start = parse_instant(now)
    return FixedClock(start) if frozen else ScaledClock(start, speed or 1.0)


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="python -m bot", description="Habitat Assistant (人居助手)")
    top.add_argument("--now", help="start the bot's clock at this ISO-8601 instant (demonstrations)")
    top.add_argument("--clock-speed", type=float, default=None, help="clock seconds per real second")
    top.add_argument("--console", action="store_true", help="console chat even when a token is set")
    top.add_argument("--webhook", action="store_true",
                     help="take updates at PUBLIC_URL/telegram instead of long polling (needs WEBHOOK_SECRET)")
    sub = top.add_subparsers(dest="command")
    ask = sub.add_parser("ask", help="print the reply to one message and exit")
    ask.add_argument("text", nargs="?", help="the message, e.g. '/session HA.2'")
    ask.add_argument("--lang", choices=("zh", "en"), default=None)
    ask.add_argument("--now", dest="ask_now", help="the bot's clock for this answer (ISO-8601)")
    ask.add_argument("--jsonl", action="store_true", help="read one message per line on stdin, write JSON lines")
    maintenance.add_parsers(sub)
    return top


def ask(habitat: Habitat, text: str | None, lang: str | None, jsonl: bool) -> int:
    who = console_asker(habitat)
    if lang:
        who = dataclasses.replace(who, lang=lang)
    if jsonl:
        for line in sys.stdin:
            query = line.rstrip("\n")
            if not query.strip():
                continue
            replies = habitat.router.message(query, who)
            payload = {
                "query": query,
                "text": "\n\n".join(plain_text(r.text) for r in replies),
                "html": [r.text for r in replies],
                "buttons": [[b.text for row in r.buttons for b in row] for r in replies],
            }
            sys.stdout.write(json.dumps(payload, ensure_ascii=False) + "\n")
        return 0
    if text is None:
        sys.stderr.write("ask needs a message, e.g. python -m bot ask '/session HA.2'\n")
        return 2
    for reply in habitat.router.message(text, who):
        shown, _data = render_plain(reply)
        sys.stdout.write(shown + "\n\n")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    configure_logging(level=logging.WARNING if args.command == "ask" else logging.INFO)
    try:
        settings = load_settings()
    except SettingsError as exc:
        sys.stderr.write(f"configuration error: {exc}\n")
        return 2
    configure_logging(settings.log_format, logging.WARNING if args.command == "ask" else settings.log_level,
                      secrets=(settings.telegram_bot_token, settings.webhook_secret))
    if args.webhook and (problems := settings.webhook_problems()):
        sys.stderr.write(f"configuration error: {'; '.join(problems)}\n")
        return 2
    now = getattr(args, "ask_now", None) or args.now
    clock = make_clock(now, args.clock_speed, frozen=args.command == "ask")
    try:
        if args.command in maintenance.COMMANDS:
            return maintenance.run(args, settings, clock)
        if args.command == "ask" or args.console or not settings.telegram_bot_token:
            # The console and ``ask`` serve no HTTP: /calendar there gives the calendar as a file.
            habitat = build(settings.model_copy(update={"public_url": None}), clock)
            if args.command == "ask":
                return ask(habitat, args.text, args.lang, args.jsonl)
            pad = ButtonPad()  # the answer's buttons and the reminders', pressed by number
            stop_jobs = start_background_jobs(habitat, write=lambda text: (sys.stdout.write(text), sys.stdout.flush()),
                                              pad=pad)
            try:
                return run_console(habitat, pad=pad)
            finally:
                stop_jobs()
                habitat.close()
        run_telegram(settings, clock, webhook=args.webhook)
        return leave(0)
    except (StartupError, ContentInvalid) as exc:
        sys.stderr.write(f"cannot start: {exc}\n")
        return 2
    except TelegramError as exc:  # at start: a wrong token, or setWebhook refused (PUBLIC_URL)
        logging.getLogger("bot").error("cannot start: Telegram answered: %s", exc)
        return leave(2)


if __name__ == "__main__":
    raise SystemExit(main())
