"""Inline mode: ``@bot <query>`` in any chat offers results whose message cites the source.

The answers come from the search feature (``bot/search/area.py``); this module only turns them
into ``InlineQueryResultArticle`` objects. Inline mode must be switched on with BotFather
(``/setinline``), otherwise Telegram never sends inline queries.
"""

from __future__ import annotations

import asyncio

from telegram import InlineQueryResultArticle, InputTextMessageContent, LinkPreviewOptions, Update
from telegram.constants import ParseMode
from telegram.ext import BaseHandler, InlineQueryHandler

from bot.search.area import SearchArea
from handlers.common import BotContext

#: Seconds Telegram may cache an answer: short, because upcoming milestones count down.
CACHE_SECONDS = 60


class InlineHandlers:
    def __init__(self, search: SearchArea) -> None:
        self.search = search

    async def on_inline_query(self, update: Update, context: BotContext) -> None:
        """Answer ``@bot <query>`` with entries and paragraphs; an empty query with coming milestones."""
        query = update.inline_query
        if query is None:
            return
        items = await asyncio.to_thread(self.search.inline, query.query, context.asker())
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

    def handlers(self) -> list[BaseHandler[Update, BotContext, None]]:
        return [InlineQueryHandler(self.on_inline_query)]
