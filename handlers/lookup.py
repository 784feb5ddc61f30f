"""Commands, plain messages and buttons, all answered by the core."""

from __future__ import annotations

import asyncio
import re

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, MessageHandler, filters

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


async def on_button(update: Update, context: BotContext) -> None:
    """Answer a button press with a new message (the old one stays readable above it)."""
    query = update.callback_query
    if query is None or query.data is None:
        return
    await query.answer()
    who = asker_for(update, context)
    replies = await asyncio.to_thread(context.services.core.callback, query.data, who)
    chat_id = query.message.chat.id if query.message else (update.effective_user.id if update.effective_user else None)
    if chat_id is not None:
        await send_replies(context, chat_id, replies)


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
