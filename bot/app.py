"""The composition root: ``build_application(settings, clock)`` wires the Telegram application.

Nothing connects at import time: the database and content open in ``post_init`` and close in
``post_shutdown``, so tests can build an application against a fake Bot API and a fresh database.
"""

from __future__ import annotations

import asyncio
import logging

from telegram import BotCommand, BotCommandScopeDefault
from telegram.ext import Application, ApplicationBuilder, ContextTypes

from bot.kernel.clock import Clock, SystemClock
from bot.services import Services, build_services
from bot.settings import Settings
from handlers import admin, errors, inline, lookup
from handlers.common import BotContext
from handlers.ratelimit import SharedRateLimiter
from reminders.dispatcher import Pacer

log = logging.getLogger(__name__)


def menu(services: Services, lang: str) -> list[BotCommand]:
    """The command menu in ``lang``; admin commands are left out (they are set per admin chat)."""
    return [
        BotCommand(c.name, c.description(lang)[:256])
        for c in services.core.commands.values()
        if not c.admin
    ]


def build_application(settings: Settings, clock: Clock | None = None, *, services: Services | None = None) -> Application:  # type: ignore[type-arg]
    """Build the Telegram application; services are created in post_init unless given."""
    if not settings.telegram_bot_token:
        raise ValueError("TELEGRAM_BOT_TOKEN is needed to talk to Telegram")
    clock = clock or SystemClock()
    pacer = Pacer()  # one send budget for replies and reminders (handlers/ratelimit.py)

    async def post_init(app: Application) -> None:  # type: ignore[type-arg]
        app.bot_data["services"] = services or build_services(settings, clock)
        live = app.bot_data["services"]
        for lang in ("zh", "en"):
            await app.bot.set_my_commands(menu(live, lang), scope=BotCommandScopeDefault(), language_code=lang)
        await app.bot.set_my_commands(menu(live, settings.default_language), scope=BotCommandScopeDefault())
        for hook in live_hooks(app):
            await hook(app)

    async def post_shutdown(app: Application) -> None:  # type: ignore[type-arg]
        if "reminders" in app.bot_data:  # the dispatcher's own Bot and its advisory-lock connection
            await app.bot_data["reminders"].aclose()
        live = app.bot_data.get("services")
        if live is not None and services is None:
            live.close()

    app = (
        ApplicationBuilder()
        .token(settings.telegram_bot_token)
        .base_url(settings.telegram_base_url)
        .base_file_url(settings.telegram_base_file_url)
        .context_types(ContextTypes(context=BotContext))
        .rate_limiter(SharedRateLimiter(pacer, max_retries=2))
        .post_init(post_init)
        .post_shutdown(post_shutdown)
        .build()
    )
    app.bot_data["pacer"] = pacer
    # Order matters: area handlers that claim specific updates (admin uploads, inline queries)
    # come before the generic lookup handlers, which answer every remaining command and message.
    register_areas(app)
    lookup.register(app)
    errors.register(app)
    return app


def register_areas(app: Application) -> None:  # type: ignore[type-arg]
    """Handlers of the areas that need more than the core's commands (inline mode, uploads, jobs)."""
    admin.register(app)
    inline.register(app)


def live_hooks(app: Application) -> list:  # type: ignore[type-arg]
    """Start-up work of the areas once services exist (scheduling the reminder jobs, say)."""
    from reminders.runtime import start_jobs  # planner and dispatcher as JobQueue jobs

    return [admin.install_menus, start_jobs, watch_content_version, warm_search]


async def warm_search(app: Application) -> None:  # type: ignore[type-arg]
    """Open the search index in the background at start, not on the first question."""
    from bot.search.area import warm_in_background

    warm_in_background(app.bot_data["services"].core)


CONTENT_CHECK_SECONDS = 30


async def watch_content_version(app: Application) -> None:  # type: ignore[type-arg]
    """Replicas that did not run /reload switch to the new content within CONTENT_CHECK_SECONDS."""

    async def check(context: BotContext) -> None:
        await asyncio.to_thread(context.services.refresh_from_database)

    if app.job_queue is not None:
        app.job_queue.run_repeating(check, interval=CONTENT_CHECK_SECONDS, first=CONTENT_CHECK_SECONDS,
                                    name="content-version")
