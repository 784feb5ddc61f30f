"""What the Telegram side measures: updates by type and handling time (two handler groups around
all others), outbox depth and content version (a job), and the health /healthz reports.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlmodel import col
from telegram import Update
from telegram.ext import Application, TypeHandler

from bot.kernel import metrics
from bot.kernel.clock import Clock
from bot.kernel.content import ContentService
from bot.kernel.router import Job
from handlers.common import BotContext
from handlers.http import Health
from reminders.models import PENDING, SENDING, Delivery
from store.models import ContentVersion

log = logging.getLogger(__name__)

App = Application[Any, Any, Any, Any, Any, Any]

#: Handler groups run in order; these two come before and after every other group.
FIRST_GROUP = -1000
LAST_GROUP = 1000
#: Seconds between two readings of the outbox depth and the content version.
GAUGES_EVERY = 15.0
#: Updates whose end was never seen (a handler stopped the chain) are forgotten beyond this many.
MAX_OPEN = 10_000


def update_kind(update: object) -> str:
    """Which field of the update is set (message, callback_query, ...)."""
    if isinstance(update, Update):
        for name in Update.ALL_TYPES:
            if getattr(update, name, None) is not None:
                return name
        return "other"
    return type(update).__name__


class Timings:
    """Start times of the updates being handled, keyed by the Update object's identity."""

    def __init__(self) -> None:
        self.open: dict[int, float] = {}

    async def started(self, update: Update, context: BotContext) -> None:
        metrics.count_update(update_kind(update))
        if len(self.open) >= MAX_OPEN:
            self.open.clear()
        self.open[id(update)] = time.perf_counter()

    async def finished(self, update: Update, context: BotContext) -> None:
        start = self.open.pop(id(update), None)
        if start is not None:
            metrics.observe_reply(time.perf_counter() - start)


def install_metrics(app: App) -> None:
    """Count every update and time its handling, replies included (groups around all others)."""
    timings = Timings()
    app.add_handler(TypeHandler(Update, timings.started), group=FIRST_GROUP)
    app.add_handler(TypeHandler(Update, timings.finished), group=LAST_GROUP)


def read_gauges(engine: Engine, digest: str, now: dt.datetime) -> None:
    """Outbox rows due at ``now`` and claimed, and the id of the content version served (it queries)."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(col(Delivery.status), func.count())
            .where(col(Delivery.status).in_((PENDING, SENDING)))
            .where((col(Delivery.status) == SENDING) | (col(Delivery.available_at) <= now))
            .group_by(col(Delivery.status))
        ).all()
        version = conn.execute(
            select(func.max(col(ContentVersion.id))).where(col(ContentVersion.digest) == digest)
        ).scalar() if digest else None
    counts = {status: count for status, count in rows}
    metrics.set_outbox_depth(counts.get(PENDING, 0), counts.get(SENDING, 0))
    metrics.set_content_version(version, digest)


def gauges_job(engine: Engine, content: ContentService, clock: Clock) -> Job:
    """A job reading the outbox depth and content version every GAUGES_EVERY seconds (in a thread)."""

    def run() -> None:
        try:
            read_gauges(engine, content.catalog.version, clock.now())
        except Exception:  # a gauge is not worth a crash; /healthz reports a database that is down
            log.warning("could not read the outbox depth and content version", exc_info=True)

    return Job("metrics-gauges", GAUGES_EVERY, run, first=0.2)


def check_health(engine: Engine, entries: int, version: str) -> Health:
    """Does the database answer, and is content loaded? (it queries: call it in a thread)."""
    checks: dict[str, str] = {}
    try:
        with engine.connect() as conn:  # the bot's own table, not "SELECT 1": a fresh empty database is not ours
            conn.execute(select(func.max(col(ContentVersion.id)))).scalar()
        checks["database"] = "ok"
    except Exception as exc:  # any failure to answer is "down", with its type for the operator
        checks["database"] = f"no answer: {type(exc).__name__}"
    checks["content"] = "ok" if entries and version else "not loaded"
    return Health(checks)


def health_check(engine: Engine, content: ContentService) -> Callable[[], Awaitable[Health]]:
    """The /healthz check over the bot's database and live content."""

    async def health() -> Health:
        catalog = content.catalog
        return await asyncio.to_thread(check_health, engine, len(catalog.entries), catalog.version)

    return health
