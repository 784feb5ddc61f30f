"""Commands, plain messages and buttons, all answered by the core."""

from __future__ import annotations

import asyncio
import re

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, MessageHandler, filters

from bot.kernel.core import Asker
from bot.kernel.i18n import t
from bot.kernel.reply import Reply
from handlers.common import BotContext, asker_for, send_replies

COMMAND = re.compile(r"^[/／]([^\s@]+)(?:@(\S+))?\s*(.*)$", re.DOTALL)


async def on_command(update: Update, context: BotContext) -> None:
    """Route ``/name args`` (also ``/name@bot``) to the core; unknown names get a pointer to /help."""
    message = update.effective_message
    if message is None or not message.text:
        return
    match = COMMAND.match(message.text)
    if match is None:
        return
    name, addressed, args = match.groups()
    if addressed and addressed.lower() != (context.bot.username or "").lower():
        return  # a command meant for another bot in a group
    who = asker_for(update, context)
    core = context.services.core
    replies = await asyncio.to_thread(core.command, name, args, who)
    await send_replies(context, message.chat_id, replies)


async def on_text(update: Update, context: BotContext) -> None:
    """Answer a plain message: an identifier, or a question for search."""
    message = update.effective_message
    if message is None or not message.text:
        return
    who = asker_for(update, context)
    replies = await asyncio.to_thread(context.services.core.message, message.text, who)
    await send_replies(context, message.chat_id, replies)


async def answer_button(update: Update, context: BotContext) -> tuple[list[Reply], Asker, int | None]:
    """Answer a button press with new messages (the old one stays readable above them).

    Returns the replies sent, who pressed, and the chat they went to, for handlers that do more.
    """
    query = update.callback_query
    who = asker_for(update, context)
    if query is None or query.data is None:
        return [], who, None
    await query.answer()
    replies = await asyncio.to_thread(context.services.core.callback, query.data, who)
    chat_id = query.message.chat.id if query.message else who.user_id
    if chat_id is not None:
        await send_replies(context, chat_id, replies)
    return replies, who, chat_id


async def on_button(update: Update, context: BotContext) -> None:
    """Answer a button press through the core."""
    await answer_button(update, context)


async def on_other(update: Update, context: BotContext) -> None:
    """A photo, sticker, voice note… in a private chat: say what the bot understands."""
    message = update.effective_message
    if message is None:
        return
    who = asker_for(update, context)
    text = t(who.lang, "I read text only: send an identifier such as HA.2 or 2/7, or a question. /help lists the commands.")
    await send_replies(context, message.chat_id, [Reply(text)])


def register(app: Application) -> None:  # type: ignore[type-arg]
    # Commands first: a command must never be taken for a question. Group chats get answers only
    # to commands and replies to the bot, so the bot does not talk over delegates.
    app.add_handler(MessageHandler(filters.COMMAND | filters.Regex(r"^／"), on_command))
    app.add_handler(
        MessageHandler(
            filters.TEXT & ~filters.COMMAND & (filters.ChatType.PRIVATE | filters.REPLY), on_text
        )
    )
    app.add_handler(CallbackQueryHandler(on_button))
    app.add_handler(MessageHandler(filters.ChatType.PRIVATE & ~filters.TEXT & ~filters.StatusUpdate.ALL, on_other))
