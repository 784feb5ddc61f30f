"""Shared pieces of the reminder tests: a small fixed calendar, services on it, a PTB Bot on the
fake Bot API, and a loop that runs planner and dispatcher as the clock is moved by hand."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from telegram import Bot
from telegram.request import HTTPXRequest

from bot.app import Habitat, wire
from bot.kernel.clock import FixedClock
from bot.kernel.content import ContentService
from bot.kernel.reply import Reply
from bot.kernel.router import Asker
from handlers.sender import TelegramSender
from reminders.area import RemindersArea
from reminders.dispatcher import Dispatcher, Pacer, SendResult
from reminders.models import Delivery
from reminders.planner import plan_periodic
from reminders.text import Renderer
from store.catalog import Catalog
from store.db import session_scope
from store.models import ContentVersion, EntryRow
from store.schema import Entry
from tests.conftest import make_settings
from tests.fakebot import TOKEN, FakeBotApi

SOURCE = [{"public": "UN-Habitat, unhabitat.org"}]


def entry(data: dict) -> Entry:  # type: ignore[type-arg]
    return Entry.model_validate({"sources": SOURCE, **data})


WUF12 = entry({
    "id": "WUF12", "kind": "meeting", "category": "wuf", "body": "wuf",
    "names": {"zh": "世界城市论坛第十二届会议", "en": "Twelfth session of the World Urban Forum"},
    "dates": {"start": "2024-11-04", "end": "2024-11-08"}, "place": {"zh": "开罗", "en": "Cairo"},
    "timezone": "Africa/Cairo",
})
HABITAT_DAY = entry({
    "id": "world-habitat-day", "kind": "event", "category": "urban-october",
    "names": {"zh": "世界人居日", "en": "World Habitat Day"},
    "recurrence": {"rrule": "FREQ=YEARLY;BYMONTH=10;BYDAY=+1MO"}, "timezone": "Africa/Nairobi",
})
CITIES_DAY = entry({
    "id": "world-cities-day", "kind": "event", "category": "urban-october",
    "names": {"zh": "世界城市日", "en": "World Cities Day"},
    "recurrence": {"rrule": "FREQ=YEARLY;BYMONTH=10;BYMONTHDAY=31"}, "timezone": "Africa/Nairobi",
})
HA2 = entry({
    "id": "HA.2", "kind": "session", "category": "assembly", "body": "assembly",
    "names": {"zh": "人居大会第二届会议", "en": "Second session of the UN-Habitat Assembly"},
    "dates": {"start": "2023-06-05", "end": "2023-06-09"}, "place": {"zh": "内罗毕", "en": "Nairobi"},
    "timezone": "Africa/Nairobi",
})
RESOLUTION = entry({
    "id": "res-2/7", "kind": "resolution", "number": "2/7", "body": "assembly",
    "names": {"zh": "第 2/7 号决议", "en": "Resolution 2/7"},
})
ENTRIES = (WUF12, HABITAT_DAY, CITIES_DAY, HA2, RESOLUTION)


def catalog_of(entries: tuple[Entry, ...] | list[Entry] = ENTRIES, version: str = "v1") -> Catalog:
    aliases = {e.id: [e.id, e.names.zh or "", e.names.en or ""] for e in entries}
    return Catalog({e.id: e for e in entries}, {}, {}, [], aliases, version)


def store_entries(engine: Engine, entries: tuple[Entry, ...] | list[Entry] = ENTRIES) -> None:
    """Content rows and their version, for worker processes that build their catalog from the database
    (a database with a version is never seeded from CONTENT_DIR)."""
    with session_scope(engine) as session:
        for e in entries:
            session.merge(EntryRow(id=e.id, kind=e.kind.value, data=e.model_dump_json(exclude_defaults=True)))
        session.add(ContentVersion(digest="small-calendar", applied_at=dt.datetime(2024, 9, 1, tzinfo=dt.UTC),
                                   applied_by="test"))


def make_services(engine: Engine, clock: FixedClock, database_url: str = "sqlite://") -> tuple[Habitat, RemindersArea]:
    """Habitat on the small calendar above with only the reminders area installed."""
    settings = make_settings(database_url)
    services = wire(settings, clock, engine, ContentService(engine, catalog_of()))
    return services, services.subscriptions


def asker(user_id: int, lang: str = "en", timezone: str = "Africa/Nairobi", chat_id: int | None = None) -> Asker:
    return Asker(user_id=user_id, lang=lang, timezone=timezone, chat_id=chat_id if chat_id is not None else user_id)


def who_for(services: Habitat, user_id: int, lang: str = "en") -> Asker:
    """The asker as the bot would build it: stored time zone and language first."""
    base = services.askers.asker(user_id, lang, chat_id=user_id)
    return base


def rows_of(engine: Engine) -> list[Delivery]:
    with session_scope(engine) as session:
        return list(session.execute(select(Delivery).order_by(Delivery.id)).scalars())


@dataclass
class VirtualTime:
    """A monotonic clock and sleep for the pacer: sleeping moves time at once (no real waiting)."""

    now: float = 1000.0
    slept: list[float] = field(default_factory=list)

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)


class StampingSender:
    """Delegates to the real Telegram sender and notes the virtual instant each request starts."""

    def __init__(self, inner: TelegramSender, time: VirtualTime) -> None:
        self.inner, self.time = inner, time
        self.starts: list[tuple[float, int]] = []

    async def send(self, chat_id: int, reply: Reply) -> SendResult:
        self.starts.append((self.time.now, chat_id))
        return await self.inner.send(chat_id, reply)


@pytest.fixture
async def server() -> AsyncIterator[FakeBotApi]:
    async with FakeBotApi() as srv:
        yield srv


async def make_bot(server: FakeBotApi, read_timeout: float = 5.0) -> Bot:
    bot = Bot(TOKEN, base_url=f"{server.url}/bot",
              request=HTTPXRequest(connection_pool_size=8, read_timeout=read_timeout))
    await bot.initialize()
    return bot


@pytest.fixture
async def bot(server: FakeBotApi) -> AsyncIterator[Bot]:
    made = await make_bot(server)
    yield made
    await made.shutdown()


def dispatcher_for(services: Habitat, bot: Bot, *, pacer: Pacer | None = None, sender: object = None,
                   **kwargs: object) -> Dispatcher:
    render = Renderer(services.engine, lambda: services.content.catalog, default_lang="en")
    time = VirtualTime()
    return Dispatcher(
        services.engine, services.clock, sender or TelegramSender(bot),  # type: ignore[arg-type]
        render, pacer=pacer or Pacer(per_second=1000, monotonic=time.monotonic, sleep=time.sleep), **kwargs,  # type: ignore[arg-type]
    )


async def run_until(services: Habitat, dispatcher: Dispatcher, clock: FixedClock, until: dt.datetime,
                    step: dt.timedelta, on_step: Callable[[dt.datetime], Awaitable[None]] | None = None) -> None:
    """Move the clock to ``until`` in steps, planning and dispatching at each, like the jobs would."""
    plan_periodic(services.engine, services.content.catalog, clock.now())
    await dispatcher.run_once()
    while clock.now() < until:
        with session_scope(services.engine) as session:
            soonest = session.execute(
                select(func.min(Delivery.available_at)).where(Delivery.status == "pending",
                                                              Delivery.available_at > clock.now())
            ).scalar()
        target = min(clock.now() + step, until)
        if soonest is not None:  # wake exactly when the next row falls due, as a tight job would
            target = min(target, soonest.replace(tzinfo=dt.UTC) if soonest.tzinfo is None else soonest)
        clock.set(target)
        plan_periodic(services.engine, services.content.catalog, clock.now())
        await dispatcher.run_once()
        if on_step is not None:
            await on_step(clock.now())
