"""The yardstick of bench/load.py: the smallest python-telegram-bot bot, echoing every text message.

    .venv/bin/python bench/echo.py BOT_API_URL [--rate-limited]

It long-polls ``BOT_API_URL`` (a fake Bot API server) with python-telegram-bot's defaults: one
update at a time, and with ``--rate-limited`` PTB's ``AIORateLimiter`` (Telegram's 30 messages a
second). Whatever the bot itself costs beyond this is what Habitat Assistant adds.
"""

from __future__ import annotations

import argparse

from telegram import Update
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    ContextTypes,
    MessageHandler,
    filters,
)

TOKEN = "7000000001:AAFakeTokenForHabitatAssistantTests"


async def echo(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    if message is not None and message.text:
        await message.reply_text(message.text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("url", help="base URL of the Bot API server, e.g. http://127.0.0.1:8081")
    parser.add_argument("--rate-limited", action="store_true", help="send through AIORateLimiter")
    args = parser.parse_args()
    builder = ApplicationBuilder().token(TOKEN).base_url(f"{args.url}/bot").base_file_url(f"{args.url}/file/bot")
    if args.rate_limited:
        builder = builder.rate_limiter(AIORateLimiter())
    app: Application = builder.build()  # type: ignore[type-arg]
    app.add_handler(MessageHandler(filters.TEXT, echo))
    app.run_polling(poll_interval=0, timeout=10, allowed_updates=[Update.MESSAGE])


if __name__ == "__main__":
    main()
