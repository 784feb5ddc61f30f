"""One error handler: log first, tell the user plainly, and tell the admins — once per kind an hour."""

from __future__ import annotations

import asyncio
import html
import logging
import time
from collections.abc import Callable

from telegram import Update
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, NetworkError, TelegramError
from telegram.ext import Application

from bot.kernel.i18n import pick_language, t
from handlers.common import BotContext

log = logging.getLogger(__name__)

ALERT_EVERY = 3600.0  # seconds between two alerts about the same kind of error


def language_of(update: Update, context: BotContext) -> str:
    """The asker's language; the error handler gets a context of its own, so Telegram's code is the fallback."""
    if context.who is not None:
        return context.who.lang
    user = update.effective_user
    return pick_language(user.language_code if user else None, context.asker().lang)


class ErrorHandler:
    """Genuine faults reach the admins, at most once per kind of error per ``ALERT_EVERY``."""

    def __init__(self, admin_ids: Callable[[], set[int]], monotonic: Callable[[], float] = time.monotonic) -> None:
        self.admin_ids = admin_ids
        self.monotonic = monotonic
        self._alerted: dict[str, float] = {}

    def should_alert(self, error: BaseException) -> bool:
        kind = f"{type(error).__module__}.{type(error).__qualname__}"
        now = self.monotonic()
        last = self._alerted.get(kind)
        if last is not None and now - last < ALERT_EVERY:
            return False
        self._alerted[kind] = now
        return True

    async def __call__(self, update: object, context: BotContext) -> None:
        error = context.error
        if isinstance(error, Forbidden | NetworkError) and not isinstance(error, BadRequest):
            # A blocked user, a dropped connection, a timeout: one line, nobody to tell.
            where = f"update {update.update_id} not answered" if isinstance(update, Update) else "polling"
            log.warning("%s: %s: %s", where, type(error).__name__, error)
            return
        log.error("update %s failed", getattr(update, "update_id", "?"), exc_info=error)
        if isinstance(update, Update) and update.effective_chat is not None:
            try:
                await context.bot.send_message(
                    update.effective_chat.id, t(language_of(update, context), "Sorry, something went wrong. Please try again.")
                )
            except TelegramError as exc:  # the error path must not raise
                log.warning("could not tell the user about the error: %s", exc)
        if error is None or not self.should_alert(error):
            return
        text = f"⚠️ <b>{html.escape(type(error).__name__)}</b>: {html.escape(str(error))[:500]}"
        for admin in sorted(await asyncio.to_thread(self.admin_ids)):
            try:
                await context.bot.send_message(admin, text, parse_mode=ParseMode.HTML)
            except TelegramError as exc:
                log.warning("could not tell admin %s: %s", admin, exc)

    def register(self, app: Application) -> None:
        app.add_error_handler(self)
