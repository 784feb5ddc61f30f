"""Commands, plain messages and buttons: each carried to the router and its replies sent back."""

from __future__ import annotations

import asyncio
import re

from telegram import Update
from telegram.error import BadRequest
from telegram.ext import BaseHandler, CallbackQueryHandler, MessageHandler, filters

from bot.kernel.i18n import t
from bot.kernel.reply import Reply
from bot.kernel.router import Asker, Router
from handlers.common import BotContext, send_replies

COMMAND = re.compile(r"^[/／]([^\s@]+)(?:@([A-Za-z0-9_]+))?\s*(.*)$", re.DOTALL)


class MessageHandlers:
    """The generic handlers: every command, plain message and button the router knows."""

    def __init__(self, router: Router) -> None:
        self.router = router

    async def on_command(self, update: Update, context: BotContext) -> None:
        """Route ``/name args`` (also ``/name@bot``); a command for another bot is left alone."""
        message = update.effective_message
        if message is None or not message.text:
            return
        match = COMMAND.match(message.text)
        if match is None:
            return
        name, addressed, args = match.groups()
        if addressed and addressed.lower() != (context.bot.username or "").lower():
            return
        replies = await asyncio.to_thread(self.router.command, name, args, context.asker())
        await send_replies(context, message.chat_id, replies)

    async def on_text(self, update: Update, context: BotContext) -> None:
        """Answer a plain message: an identifier, or a question for search."""
        message = update.effective_message
        if message is None or not message.text:
            return
        replies = await asyncio.to_thread(self.router.message, message.text, context.asker())
        await send_replies(context, message.chat_id, replies)

    async def answer_button(self, update: Update, context: BotContext) -> tuple[list[Reply], Asker, int | None]:
        """Answer a button press with new messages (the old one stays readable above them).

        Returns the replies sent, who pressed, and the chat they went to, for handlers that do more.
        """
        query = update.callback_query
        who = context.asker()
        if query is None or query.data is None:
            return [], who, None
        try:
            await query.answer()
        except BadRequest:  # "query is too old": the spinner is gone, the answer still comes
            pass
        replies = await asyncio.to_thread(self.router.callback, query.data, who)
        chat_id = query.message.chat.id if query.message else who.user_id
        if chat_id is not None:
            await send_replies(context, chat_id, replies)
        return replies, who, chat_id

    async def on_button(self, update: Update, context: BotContext) -> None:
        await self.answer_button(update, context)

    async def on_other(self, update: Update, context: BotContext) -> None:
        """A photo, sticker, voice note… in a private chat: say what the bot understands."""
        message = update.effective_message
        if message is None:
            return
        text = t(context.asker().lang,
                 "I read text only: send an identifier such as HA.2 or 2/7, or a question. /help lists the commands.")
        await send_replies(context, message.chat_id, [Reply(text)])

    def handlers(self) -> list[BaseHandler[Update, BotContext, None]]:
        # Commands first: a command must never be taken for a question. Group chats get answers only
        # to commands and replies to the bot, so the bot does not talk over delegates.
        return [
            MessageHandler(filters.COMMAND | filters.Regex(r"^／"), self.on_command),
            MessageHandler(filters.TEXT & ~filters.COMMAND & (filters.ChatType.PRIVATE | filters.REPLY), self.on_text),
            CallbackQueryHandler(self.on_button),
            MessageHandler(filters.ChatType.PRIVATE & ~filters.TEXT & ~filters.StatusUpdate.ALL, self.on_other),
        ]
