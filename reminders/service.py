"""The planner and dispatcher of one process, as jobs any runner can trigger.

The scheduler only *triggers* the two functions; what is due lives in the outbox, so a missed,
late or doubled trigger changes nothing (a late job is dropped; the next run of the planner or
dispatcher picks the work up from the database). How messages leave (Telegram, the console) is
the ``Sender`` the composition root passes in.
"""

from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy.engine import Engine

from bot.kernel.clock import Clock
from bot.kernel.content import ContentService
from bot.kernel.router import Job
from reminders.dispatcher import Dispatcher, Pacer, Sender
from reminders.planner import LATE_AFTER, plan_periodic
from reminders.text import Renderer

log = logging.getLogger(__name__)

PLAN_EVERY = 10.0  # real seconds; AHEAD (2 clock days) covers it even at an hour per second
DISPATCH_EVERY = 1.0


def late_after_for(clock: Clock) -> dt.timedelta:
    """"Late" must mean "the bot was down", not "the demo clock ran on between two runs": at
    ``--clock-speed 3600`` one second between dispatcher runs is an hour on the clock."""
    speed = float(getattr(clock, "speed", 1.0) or 1.0)
    return max(LATE_AFTER, dt.timedelta(seconds=DISPATCH_EVERY * 5 * speed))


class Reminders:
    """Plans reminders into the outbox and sends what is due through ``sender``."""

    def __init__(self, engine: Engine, content: ContentService, clock: Clock, sender: Sender, *,
                 default_language: str, default_timezone: str, pacer: Pacer | None = None,
                 elect: bool = True, concurrency: int = 4) -> None:
        self.engine = engine
        self.content = content
        self.clock = clock
        self.default_timezone = default_timezone
        self.late_after = late_after_for(clock)
        renderer = Renderer(engine, lambda: content.catalog, default_lang=default_language,
                            default_zone=default_timezone)
        self.dispatcher = Dispatcher(engine, clock, sender, renderer, pacer=pacer, elect=elect,
                                     late_after=self.late_after, concurrency=concurrency)

    def plan(self) -> None:
        """The periodic planner; only the elected dispatcher plans (others would only repeat it)."""
        if not self.dispatcher.ensure_leader():
            return
        stats = plan_periodic(self.engine, self.content.catalog, self.clock.now(),
                              default_zone=self.default_timezone, late_after=self.late_after)
        if stats.written or stats.digests:
            log.debug("planned %d reminders, %d digests", stats.written, stats.digests)

    async def dispatch(self) -> int:
        return await self.dispatcher.run_once()

    def jobs(self) -> list[Job]:
        return [
            Job("reminders-plan", PLAN_EVERY, self.plan, first=0.1),
            Job("reminders-dispatch", DISPATCH_EVERY, self.dispatch, first=0.5),
        ]

    def stop(self) -> None:
        """Graceful shutdown: claim and start nothing more; ``close`` then returns what was claimed."""
        self.dispatcher.stop()

    def close(self) -> None:
        self.dispatcher.close()
