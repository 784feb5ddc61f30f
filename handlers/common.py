"""What every handler shares: the typed context, who is asking, and sending a core reply."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, InputFile, Update
from telegram.constants import ParseMode
from telegram.ext import Application, CallbackContext, ExtBot

from bot.kernel.core import Asker
from bot.kernel.reply import Reply, split_html

if TYPE_CHECKING:
    from bot.services import Services

log = logging.getLogger(__name__)


class BotContext(CallbackContext[ExtBot, dict, dict, dict]):  # type: ignore[type-arg]
    """A context with the bot's services, instead of casting ``bot_data`` in every handler."""

    @property
    def services(self) -> Services:
        return self.application.bot_data["services"]


def asker_for(update: Update, context: BotContext) -> Asker:
    user = update.effective_user
    chat = update.effective_chat
    return context.services.asker(
        user.id if user else None, user.language_code if user else None, chat.id if chat else None
    )


def markup(reply: Reply) -> InlineKeyboardMarkup | None:
    if not reply.buttons:
        return None
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    b.text, callback_data=b.data, url=b.url, switch_inline_query_current_chat=b.inline
                )
                for b in row
            ]
            for row in reply.buttons
        ]
    )


async def send_replies(context: BotContext, chat_id: int, replies: list[Reply], *, reply_to: int | None = None) -> None:
    """Send replies; a text over 4096 characters goes as several messages, buttons on the last."""
    for reply in replies:
        parts = split_html(reply.text)
        for index, part in enumerate(parts):
            last = index == len(parts) - 1
            await context.bot.send_message(
                chat_id,
                part,
                parse_mode=ParseMode.HTML,
                reply_markup=markup(reply) if last else None,
                disable_web_page_preview=True,
                reply_to_message_id=reply_to if index == 0 else None,
            )
        if reply.attachment is not None:
            await context.bot.send_document(
                chat_id, InputFile(reply.attachment.data, filename=reply.attachment.filename)
            )


def services_of(application: Application) -> Services:  # type: ignore[type-arg]
    return application.bot_data["services"]
