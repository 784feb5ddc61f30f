"""What every Telegram handler shares: the typed context, who is asking, and sending a reply."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from telegram import ChatMember, InlineKeyboardButton, InlineKeyboardMarkup, InputFile, Update
from telegram.constants import ParseMode
from telegram.ext import Application, CallbackContext, ChatMemberHandler, ExtBot, TypeHandler

from bot.kernel.askers import Askers
from bot.kernel.reply import Reply, split_html
from bot.kernel.router import Asker

log = logging.getLogger(__name__)

#: The handler group that looks up who is asking, before every other handler.
WHO_GROUP = -100

App = Application[Any, Any, Any, Any, Any, Any]


class BotContext(CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], dict[Any, Any]]):
    """One context per update; ``who`` is filled once by the who-is-asking handler."""

    who: Asker | None = None

    def asker(self) -> Asker:
        return self.who if self.who is not None else Asker()


def install_asker(app: App, askers: Askers) -> None:
    """Look up who is asking once per update (one short database read, off the event loop)."""

    async def remember(update: object, context: BotContext) -> None:
        if not isinstance(update, Update):
            return
        user, chat = update.effective_user, update.effective_chat
        context.who = await asyncio.to_thread(
            askers.asker, user.id if user else None, user.language_code if user else None,
            chat.id if chat else None,
        )

    async def reach(update: Update, context: BotContext) -> None:
        """A user blocked the bot in their private chat: broadcasts skip them until they write again."""
        change, user = update.my_chat_member, update.effective_user
        if change is None or user is None or change.chat.id != user.id:
            return
        if change.new_chat_member.status in (ChatMember.BANNED, ChatMember.LEFT):
            await asyncio.to_thread(askers.blocked, user.id)

    app.add_handler(TypeHandler(Update, remember), group=WHO_GROUP)
    app.add_handler(ChatMemberHandler(reach, ChatMemberHandler.MY_CHAT_MEMBER), group=WHO_GROUP + 1)


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
