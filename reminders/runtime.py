"""Running the planner and dispatcher: as JobQueue jobs in the Telegram application, or in a
background thread for the console.

The scheduler only *triggers* the two functions; what is due lives in the outbox, so a missed,
late or doubled trigger changes nothing (APScheduler may drop a late job; the next run of the
planner or dispatcher picks the work up from the database).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from bot.console import CONSOLE_USER
from bot.kernel.reply import Reply, plain_text
from reminders.dispatcher import Dispatcher, Outcome, Pacer, Sender, SendResult
from reminders.planner import LATE_AFTER, plan_periodic
from reminders.text import Renderer

if TYPE_CHECKING:
    from telegram.ext import Application

    from bot.services import Services

log = logging.getLogger(__name__)

PLAN_EVERY = 10.0  # real seconds; AHEAD (2 clock days) covers it even at an hour per second
DISPATCH_EVERY = 1.0


def late_after_for(clock: object) -> dt.timedelta:
    """"Late" must mean "the bot was down", not "the demo clock ran on between two runs": at
    ``--clock-speed 3600`` one second between dispatcher runs is an hour on the clock."""
    speed = float(getattr(clock, "speed", 1.0) or 1.0)
    return max(LATE_AFTER, dt.timedelta(seconds=DISPATCH_EVERY * 5 * speed))


class Reminders:
    """The planner and dispatcher of one process, over the services' engine, clock and catalog."""

    def __init__(self, services: Services, sender: Sender, *, pacer: Pacer | None = None, elect: bool = True,
                 concurrency: int = 4) -> None:
        self.services = services
        settings = services.settings
        self.late_after = late_after_for(services.clock)
        renderer = Renderer(services.engine, lambda: services.catalog, default_lang=settings.default_language,
                            default_zone=settings.default_timezone)
        self.dispatcher = Dispatcher(services.engine, services.clock, sender, renderer, pacer=pacer, elect=elect,
                                     late_after=self.late_after, concurrency=concurrency)

    def plan(self) -> None:
        """The periodic planner; only the elected dispatcher plans (others would only repeat it)."""
        if not self.dispatcher.ensure_leader():
            return
        stats = plan_periodic(self.services.engine, self.services.catalog, self.services.clock.now(),
                              default_zone=self.services.settings.default_timezone, late_after=self.late_after)
        if stats.written or stats.digests:
            log.debug("planned %d reminders, %d digests", stats.written, stats.digests)

    async def dispatch(self) -> int:
        return await self.dispatcher.run_once()

    def close(self) -> None:
        self.dispatcher.close()

    async def aclose(self) -> None:
        self.close()
        shutdown = getattr(getattr(self.dispatcher.sender, "bot", None), "shutdown", None)
        if shutdown is not None:
            await shutdown()


# -- Telegram: JobQueue jobs ------------------------------------------------------------------------


async def start_jobs(app: Application) -> None:  # type: ignore[type-arg]
    """Live hook: schedule the planner and dispatcher with the application's JobQueue."""
    from telegram import Bot

    from handlers.sender import TelegramSender

    services: Services = app.bot_data["services"]
    settings = services.settings
    # A Bot of its own, without AIORateLimiter: see handlers/sender.py for why.
    bot = Bot(settings.telegram_bot_token or app.bot.token, base_url=settings.telegram_base_url,
              base_file_url=settings.telegram_base_file_url)
    await bot.initialize()
    # The application's pacer: replies and reminders share one budget (handlers/ratelimit.py).
    reminders = Reminders(services, TelegramSender(bot), pacer=app.bot_data.get("pacer"))
    app.bot_data["reminders"] = reminders
    if app.job_queue is None:
        log.error("no JobQueue: install python-telegram-bot[job-queue]; reminders will not be sent")
        return

    async def plan_job(context: object) -> None:
        await asyncio.to_thread(reminders.plan)

    async def dispatch_job(context: object) -> None:
        await reminders.dispatch()

    # coalesce + one instance: a slow run is never stacked; misfires are harmless (see module doc).
    job_kwargs = {"max_instances": 1, "coalesce": True, "misfire_grace_time": None}
    app.job_queue.run_repeating(plan_job, interval=PLAN_EVERY, first=0.1, name="reminders-plan", job_kwargs=job_kwargs)
    app.job_queue.run_repeating(dispatch_job, interval=DISPATCH_EVERY, first=0.5, name="reminders-dispatch",
                                job_kwargs=job_kwargs)


# -- the console: a background thread ---------------------------------------------------------------


class ConsoleSender:
    """Prints reminders addressed to the console user; everyone else's are not deliverable here."""

    def __init__(self, write: Callable[[str], object]) -> None:
        self.write = write

    async def send(self, chat_id: int, reply: Reply) -> SendResult:
        if chat_id != CONSOLE_USER:
            return SendResult(Outcome.GONE, error="not the console user")
        labels = " ".join(f"[{b.text}]" for row in reply.buttons for b in row)
        self.write(f"\n{plain_text(reply.text)}\n{labels}\n> ")
        return SendResult(Outcome.SENT)


def start_console_reminders(services: Services, write: Callable[[str], object]) -> Callable[[], None]:
    """Run planner and dispatcher in a daemon thread; returns a function that stops it."""
    stop = threading.Event()
    reminders = Reminders(services, ConsoleSender(write), pacer=Pacer(per_chat_interval=0.0), elect=False)

    def run() -> None:
        async def loop() -> None:
            last_plan = -PLAN_EVERY
            while not stop.is_set():
                now = asyncio.get_running_loop().time()
                try:
                    if now - last_plan >= PLAN_EVERY / 2:
                        reminders.plan()
                        last_plan = now
                    await reminders.dispatch()
                except Exception:
                    log.exception("console reminders")
                await asyncio.sleep(0.5)

        asyncio.run(loop())

    thread = threading.Thread(target=run, name="console-reminders", daemon=True)
    thread.start()

    def stopper() -> None:
        stop.set()
        thread.join(timeout=2)
        reminders.close()

    return stopper
