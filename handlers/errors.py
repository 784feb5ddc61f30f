"""One error handler: log first, tell the user plainly, and tell the admins."""

from __future__ import annotations

import html
import logging

from telegram import Update
from telegram.error import Forbidden, NetworkError
from telegram.ext import Application

from bot.kernel.i18n import t
from handlers.common import BotContext

log = logging.getLogger(__name__)


async def on_error(update: object, context: BotContext) -> None:
    log.error("update %r failed", update, exc_info=context.error)
    if isinstance(context.error, Forbidden | NetworkError):
        return  # nothing useful to tell anyone; the dispatcher handles delivery errors itself
    services = context.application.bot_data.get("services")
    if isinstance(update, Update) and update.effective_chat is not None:
        lang = "zh"
        if services is not None and update.effective_user is not None:
            lang = services.asker(update.effective_user.id, update.effective_user.language_code).lang
        try:
            await context.bot.send_message(
                update.effective_chat.id, t(lang, "Sorry, something went wrong. Please try again.")
            )
        except Exception:  # noqa: BLE001 - the error path must not raise
            log.exception("could not tell the user about the error")
    if services is not None:
        text = f"⚠️ {html.escape(type(context.error).__name__)}: {html.escape(str(context.error))[:500]}"
        for admin in services.settings.admin_ids:
            try:
                await context.bot.send_message(admin, text)
            except Exception:  # noqa: BLE001
                log.exception("could not tell admin %s", admin)


def register(app: Application) -> None:  # type: ignore[type-arg]
    app.add_error_handler(on_error)
