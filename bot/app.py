"""The composition root: the one place that builds the bot from settings and a clock.

``build`` wires the transport-free bot (database, live content, who-is-asking, the router and the
features); ``build_application`` puts it behind python-telegram-bot. The console, the ``ask`` CLI
and the reminder worker are built from ``build`` too. Features receive what they need through
their constructors and declare what they add (``Feature``); nothing reaches back here.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.engine import Engine
from telegram import Bot, BotCommand, BotCommandScopeDefault, Update
from telegram.error import TelegramError
from telegram.ext import ApplicationBuilder, ContextTypes

from bot.admin.area import AdminArea
from bot.kernel.askers import Askers
from bot.kernel.clock import Clock, SystemClock
from bot.kernel.content import ContentService, StartupError, open_content
from bot.kernel.i18n import pick_language, t
from bot.kernel.router import Job, Router
from bot.lookup.feature import LookupFeature
from bot.lookup.groups import GroupMode
from bot.search.area import SearchArea, index_directory
from bot.search.memory import SearchMemory
from bot.settings import WEBHOOK_DEFAULT_PORT, Settings
from handlers.admin import AdminHandlers
from handlers.calendar import add_calendar_routes
from handlers.common import App, BotContext, install_asker
from handlers.errors import ErrorHandler
from handlers.groups import GroupHandlers
from handlers.http import HttpServer
from handlers.inline import InlineHandlers
from handlers.instrument import gauges_job, install_metrics
from handlers.jobs import schedule
from handlers.lookup import MessageHandlers
from handlers.ratelimit import SharedRateLimiter
from handlers.sender import TelegramSender
from handlers.serve import Webhook, build_server, run
from handlers.updates import ChatOrderedUpdateProcessor, FloodGate
from reminders.area import RemindersArea
from reminders.calendar import CalendarArea
from reminders.dispatcher import Pacer, Sender
from reminders.service import Reminders
from store.db import session_scope
from store.dbcheck import DatabaseProblem, open_database
from store.queries import StoredQueries
from store.search import SearchService
from store.tokenize import read_terms
from store.users import record_search_miss

log = logging.getLogger(__name__)

#: Replicas that did not apply new content themselves switch to it within this many seconds.
CONTENT_CHECK_SECONDS = 30.0


@dataclass
class Habitat:
    """The bot without a transport: every part, built once and wired."""

    settings: Settings
    clock: Clock
    engine: Engine
    content: ContentService
    askers: Askers
    router: Router
    lookup: LookupFeature
    search: SearchArea
    subscriptions: RemindersArea
    admin: AdminArea
    calendar: CalendarArea
    groups: GroupMode
    #: Periodic work of the features and the kernel (reminder jobs are added with a sender).
    jobs: list[Job] = field(default_factory=list)

    def reminders(self, sender: Sender, *, pacer: Pacer | None = None, elect: bool = True,
                  concurrency: int = 4) -> Reminders:
        """The planner and dispatcher of this process, sending through ``sender``."""
        return Reminders(self.engine, self.content, self.clock, sender,
                         default_language=self.settings.default_language,
                         default_timezone=self.settings.default_timezone,
                         pacer=pacer, elect=elect, concurrency=concurrency)

    def close(self) -> None:
        self.engine.dispose()


def build(settings: Settings, clock: Clock) -> Habitat:
    """Open the database, load the content and wire every feature into one router."""
    try:
        engine = open_database(settings.database_url)  # answers, intact, newest schema, writable
    except DatabaseProblem as problem:
        raise StartupError(str(problem)) from None
    content = open_content(engine, settings.content_dir, clock.now())
    return wire(settings, clock, engine, content)


def wire(settings: Settings, clock: Clock, engine: Engine, content: ContentService) -> Habitat:
    """Every feature on an open database and live content, included into one router."""
    askers = Askers(engine, clock, default_language=settings.default_language,
                    default_timezone=settings.default_timezone, admin_ids=settings.admin_ids)
    router = Router()

    def remember_language(user_id: int, language: str) -> None:
        askers.remember_language(user_id, language, clock.now())

    def remember_miss(text: str) -> None:
        with session_scope(engine) as session:
            record_search_miss(session=session, query=text, now=clock.now())

    lookup = LookupFeature(content, clock, commands=router.visible_commands, run_command=router.run_shown,
                           open_link=router.open_link, remember_language=remember_language)
    index = SearchService(lambda: content.catalog,
                          index_directory(settings.database_url, settings.search_index_dir),
                          read_terms(Path(settings.content_dir) / "terms.txt"))
    search = SearchArea(content, clock, index, remember_miss, SearchMemory(engine, clock), queries=StoredQueries(engine))
    subscriptions = RemindersArea(engine, content, clock, default_timezone=settings.default_timezone,
                                  forget_key=(settings.telegram_bot_token or "habitat-assistant").encode())
    admin = AdminArea(engine, content, clock, content_dir=settings.content_dir, admin_ids=settings.admin_ids)
    calendar = CalendarArea(engine, content, clock, public_url=settings.public_url,
                            default_timezone=settings.default_timezone, default_language=settings.default_language)

    groups = GroupMode(engine, content, clock)
    # Order matters for plain text: an identifier is looked up before anything is searched.
    for feature in (lookup.feature(), subscriptions.feature(), calendar.feature(), search.feature(), admin.feature(),
                    groups.feature()):
        router.include(feature)
        for listener in feature.on_content_change:
            content.subscribe(listener)
    jobs = [job for feature in router.features for job in feature.jobs]
    jobs.append(Job("content-version", CONTENT_CHECK_SECONDS, content.refresh_from_database,
                    first=CONTENT_CHECK_SECONDS))
    return Habitat(settings, clock, engine, content, askers, router, lookup, search, subscriptions, admin, calendar,
                   groups, jobs)


# -- Telegram ------------------------------------------------------------------------------------


def menu(router: Router, lang: str) -> list[BotCommand]:
    """The command menu in ``lang``; admin commands are left out (they are set per admin chat)."""
    return [BotCommand(c.name, c.description(lang)[:256]) for c in router.menu_commands(admin=False)]


def build_application(settings: Settings, clock: Clock | None = None, *, habitat: Habitat | None = None) -> App:
    """The Telegram application; the bot itself is built in ``post_init`` unless given.

    Nothing connects at import or build time: the database and content open in ``post_init`` and
    close in ``post_shutdown``, so tests can build an application against a fake Bot API.
    """
    if not settings.telegram_bot_token:
        raise ValueError("TELEGRAM_BOT_TOKEN is needed to talk to Telegram")
    clock = clock or SystemClock()
    pacer = Pacer()  # one send budget for replies and reminders (handlers/ratelimit.py)
    state: dict[str, object] = {}

    async def post_init(app: App) -> None:
        built: Habitat = habitat if habitat is not None else await asyncio.to_thread(build, settings, clock)
        app.bot_data["habitat"] = built
        messages = MessageHandlers(built.router)

        def running_reminders() -> Reminders | None:
            found = state.get("reminders")
            return found if isinstance(found, Reminders) else None

        admin = AdminHandlers(built.admin, built.router, built.askers, messages, running_reminders)
        install_asker(app, built.askers)  # group WHO_GROUP: before every other handler
        # Order matters: handlers that claim specific updates (uploads, broadcast buttons, inline
        # queries) come before the generic ones, which answer every remaining command and message.
        for handler in [*admin.handlers(), *GroupHandlers(built.groups).handlers(), *InlineHandlers(built.search).handlers(),
                        *messages.handlers()]:
            app.add_handler(handler)
        ErrorHandler(built.admin.admin_ids).register(app)
        for lang in ("zh", "en"):
            await app.bot.set_my_commands(menu(built.router, lang), scope=BotCommandScopeDefault(), language_code=lang)
        await app.bot.set_my_commands(menu(built.router, settings.default_language), scope=BotCommandScopeDefault())
        await admin.install_menus(app)
        # The dispatcher has a Bot of its own, without AIORateLimiter (see handlers/sender.py), and
        # shares the application's pacer: replies and reminders have one send budget.
        bot = Bot(settings.telegram_bot_token or app.bot.token, base_url=settings.telegram_base_url,
                  base_file_url=settings.telegram_base_file_url)
        await bot.initialize()
        reminders = built.reminders(TelegramSender(bot), pacer=pacer)
        state["reminders"], state["reminder_bot"] = reminders, bot
        app.bot_data["reminders"] = reminders
        schedule(app, [*built.jobs, *reminders.jobs(), gauges_job(built.engine, built.content, clock)])

    async def post_shutdown(app: App) -> None:
        reminders = state.get("reminders")
        if isinstance(reminders, Reminders):
            await asyncio.to_thread(reminders.close)  # releases the advisory-lock connection
        bot = state.get("reminder_bot")
        if isinstance(bot, Bot):
            await bot.shutdown()
        built = app.bot_data.get("habitat")
        if isinstance(built, Habitat) and habitat is None:
            built.close()

    app_ref: dict[str, App] = {}
    # Different chats at once, one chat in order; a flooding user is slowed (handlers/updates.py).
    processor = ChatOrderedUpdateProcessor(FloodGate(), flood_notice(app_ref, settings.default_language))
    app = (
        ApplicationBuilder()
        .token(settings.telegram_bot_token)
        .base_url(settings.telegram_base_url)
        .base_file_url(settings.telegram_base_file_url)
        .context_types(ContextTypes(context=BotContext))
        .concurrent_updates(processor)
        .rate_limiter(SharedRateLimiter(pacer))
        .post_init(post_init)
        .post_shutdown(post_shutdown)
        .build()
    )
    app.bot_data["pacer"] = pacer
    app_ref["app"] = app
    install_metrics(app)  # handler groups before and after all others: counts and times every update
    return app


def flood_notice(app_ref: dict[str, App], default_language: str) -> Callable[[Update], Awaitable[None]]:
    """Tell a flooding user, once a minute, that the bot is pausing for them (no database read)."""

    async def notice(update: Update) -> None:
        app, chat, user = app_ref.get("app"), update.effective_chat, update.effective_user
        if app is None or chat is None or chat.type != "private":
            return
        lang = pick_language(user.language_code if user else None, default_language)
        try:
            await app.bot.send_message(chat.id, t(lang, "You are sending messages faster than I can answer; "
                                                        "I will answer again in a few seconds."))
        except TelegramError as exc:
            log.warning("flood notice not sent: %s", exc)

    return notice


def http_server(settings: Settings, app: App, *, webhook: Webhook | None = None) -> HttpServer | None:
    """The HTTP server: always in webhook mode; in polling mode when HTTP_PORT or PUBLIC_URL is set
    (PUBLIC_URL promises users addresses on this bot: their calendar feeds).

    Routes a feature serves over HTTP are added here (``server.add_route``), before it starts.
    """
    if settings.http_port is None and webhook is None and settings.public_url is None:
        return None
    port = WEBHOOK_DEFAULT_PORT if settings.http_port is None else settings.http_port
    server = build_server(app, settings.http_host, port, webhook=webhook)

    def calendars() -> CalendarArea | None:
        built = app.bot_data.get("habitat")  # set in post_init, after the server may have started
        return built.calendar if isinstance(built, Habitat) else None

    add_calendar_routes(server, calendars)
    return server


def stop_sending(app: App) -> None:
    """On SIGTERM, before the application stops: the reminder dispatcher claims and starts nothing
    more, so the job the application waits for ends with the sends in flight (handlers/serve.py)."""
    reminders = app.bot_data.get("reminders")
    if isinstance(reminders, Reminders):
        reminders.stop()


def run_telegram(settings: Settings, clock: Clock, *, webhook: bool = False) -> None:
    """Serve Telegram until SIGTERM: long polling, or the webhook at PUBLIC_URL/telegram."""
    app = build_application(settings, clock)
    hook = Webhook(settings.webhook_url, settings.webhook_secret) if webhook and settings.webhook_secret else None
    run(app, server=http_server(settings, app, webhook=hook), webhook=hook, on_stopping=[lambda: stop_sending(app)])
