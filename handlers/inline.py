"""Inline mode: ``@bot <query>`` in any chat offers results whose message cites the source.

The answers come from the search area (``bot/search/area.py``); this module only turns them into
``InlineQueryResultArticle`` objects. Inline mode must be switched on with BotFather
(``/setinline``), otherwise Telegram never sends inline queries.
"""

from __future__ import annotations

import asyncio

from telegram import InlineQueryResultArticle, InputTextMessageContent, LinkPreviewOptions, Update
from telegram.constants import ParseMode
from telegram.ext import Application, InlineQueryHandler

from bot.search.area import area_of
from handlers.common import BotContext, asker_for

#: Seconds Telegram may cache an answer: short, because upcoming milestones count down.
CACHE_SECONDS = 60


async def on_inline_query(update: Update, context: BotContext) -> None:
    """Answer ``@bot <query>`` with entries and paragraphs; an empty query with coming milestones."""
    query = update.inline_query
    if query is None:
        return
    area = area_of(context.services.core)
    if area is None:
        await query.answer([], cache_time=CACHE_SECONDS)
        return
    who = asker_for(update, context)
    items = await asyncio.to_thread(area.inline, query.query, who)
    results = [
        InlineQueryResultArticle(
            id=item.id,
            title=item.title,
            description=item.description,
            input_message_content=InputTextMessageContent(
                item.text, parse_mode=ParseMode.HTML, link_preview_options=LinkPreviewOptions(is_disabled=True)
            ),
        )
        for item in items
    ]
    await query.answer(results, cache_time=CACHE_SECONDS, is_personal=False)


def register(app: Application) -> None:  # type: ignore[type-arg]
    app.add_handler(InlineQueryHandler(on_inline_query))
