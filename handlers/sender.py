"""Sending reminders through python-telegram-bot, with Telegram's errors turned into outcomes.

The dispatcher uses its own ``telegram.Bot`` without PTB's ``AIORateLimiter``: that limiter
retries a 429 by itself (and cannot be told not to), while the dispatcher must see every 429 to
pause all sending, and it already keeps the global and per-chat limits itself.
"""

from __future__ import annotations

import datetime as dt

import httpx
from telegram import Bot
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)

from bot.kernel.reply import Reply, split_html
from handlers.common import markup
from reminders.dispatcher import Outcome, SendResult

#: Errors after which the request certainly never reached Telegram, so sending again is safe.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
_GONE_400 = ("chat not found", "user is deactivated", "bot was kicked", "peer_id_invalid", "bot is not a member")


def _retry_after(exc: RetryAfter) -> float:
    value = getattr(exc, "_retry_after", None)
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    return float(exc.retry_after if isinstance(exc.retry_after, int) else exc.retry_after.total_seconds())


class TelegramSender:
    """``Sender`` for a PTB ``Bot`` (real Telegram, a local Bot API server, or the test fake)."""

    def __init__(self, bot: Bot) -> None:
        self.bot = bot

    async def send(self, chat_id: int, reply: Reply) -> SendResult:
        parts = split_html(reply.text)
        try:
            message = None
            for index, part in enumerate(parts):
                message = await self.bot.send_message(
                    chat_id, part, parse_mode=ParseMode.HTML,
                    reply_markup=markup(reply) if index == len(parts) - 1 else None,
                    disable_web_page_preview=True,
                )
            return SendResult(Outcome.SENT, message_id=message.message_id if message else None)
        except RetryAfter as exc:
            return SendResult(Outcome.RETRY_AFTER, retry_after=_retry_after(exc), error=str(exc))
        except ChatMigrated as exc:
            return SendResult(Outcome.MIGRATED, new_chat_id=int(exc.new_chat_id), error=str(exc))
        except Forbidden as exc:
            return SendResult(Outcome.GONE, error=f"403 {exc.message}")
        except BadRequest as exc:
            if any(marker in exc.message.lower() for marker in _GONE_400):
                return SendResult(Outcome.GONE, error=f"400 {exc.message}")
            return SendResult(Outcome.FAILED, error=f"400 {exc.message}")
        except TimedOut as exc:
            # Connect and pool timeouts happen before the request leaves; a read timeout after it
            # left cannot be told apart from a lost message, so it is not resent blindly.
            if isinstance(exc.__cause__, _NOT_SENT) or "pool timeout" in exc.message.lower():
                return SendResult(Outcome.FAILED, error=f"timeout before sending: {exc.message}")
            return SendResult(Outcome.UNKNOWN, error=f"timeout after sending: {exc.message}")
        except NetworkError as exc:
            # Telegram answered with an error (a 5xx: nothing was sent), or the connection failed
            # before the request left: both are safe to retry. A connection lost mid-request is not.
            if exc.__cause__ is None or isinstance(exc.__cause__, _NOT_SENT):
                return SendResult(Outcome.FAILED, error=f"network: {exc.message}")
            return SendResult(Outcome.UNKNOWN, error=f"network after sending: {exc.message}")
        except TelegramError as exc:
            return SendResult(Outcome.FAILED, error=str(exc))
