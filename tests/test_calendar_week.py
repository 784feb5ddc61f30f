"""The done-when of the calendar feed, end to end on the bot's clock of 22 November 2026: a delegate
follows HA.3 (no dates yet) and sends /calendar through the fake Bot API; when an admin reloads
HA.3's dates (then a new venue), the same address, fetched from the bot's HTTP server, holds HA.3
with its alarms (then the new venue)."""

from __future__ import annotations

import asyncio
import re
import shutil
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import pytest
from icalendar import Calendar, Component

from bot.app import build_application, http_server
from bot.kernel.clock import FixedClock
from handlers.serve import serve
from tests.conftest import make_settings
from tests.fakebot import TOKEN, FakeBotApi
from tests.test_admin import private_copy, valid_content, valid_template  # noqa: F401 - fixtures
from tests.test_admin_telegram import ADMIN, DELEGATE, Bot
from tests.test_http import free_port
from tests.test_week_telegram import NOV_22_2026, edit_ha3

__all__ = ["valid_content", "valid_template"]  # fixtures
ADDRESS = re.compile(r"https?://127\.0\.0\.1:\d+/calendar/[A-Za-z0-9_-]+\.ics")


@dataclass
class Served(Bot):
    """The bot served with its HTTP server (polling, PUBLIC_URL set), and a calendar app's client."""

    http: aiohttp.ClientSession | None = None

    async def calendar(self, url: str) -> Calendar:
        assert self.http is not None
        async with self.http.get(url) as response:
            assert response.status == 200 and response.headers["Content-Type"] == "text/calendar; charset=utf-8"
            return Calendar.from_ical(await response.read())


@pytest.fixture
async def served(valid_content: Path, valid_template: Path, tmp_path: Path) -> AsyncIterator[Served]:  # noqa: F811
    content = private_copy(valid_content, tmp_path)
    shutil.copyfile(valid_template, tmp_path / "bot.db")
    port = free_port()
    async with FakeBotApi() as server, aiohttp.ClientSession() as http:
        settings = make_settings(
            f"sqlite:///{tmp_path / 'bot.db'}", content_dir=content, telegram_bot_token=TOKEN,
            telegram_base_url=f"{server.url}/bot", telegram_base_file_url=f"{server.url}/file/bot",
            http_port=port, public_url=f"http://127.0.0.1:{port}",
        )
        app = build_application(settings, FixedClock(NOV_22_2026))
        stop = asyncio.Event()
        task = asyncio.create_task(serve(app, server=http_server(settings, app), stop=stop))
        try:
            await server.wait_for("deleteWebhook", timeout=30)
            yield Served(server, app, app.bot_data["habitat"], content, http)
        finally:
            stop.set()
            await asyncio.wait_for(task, 30)


def ha3(calendar: Calendar) -> Component | None:
    return next((e for e in calendar.walk("VEVENT") if str(e["uid"]) == "HA.3@habitat-assistant"), None)


async def test_done_when_calendar_returns_a_url_whose_feed_contains_ha3_with_an_alarm(served: Served) -> None:
    [followed] = await served.say("/subscribe HA.3", DELEGATE)
    assert "Subscribed to" in followed
    [given] = await served.say("/calendar", DELEGATE)
    [https, webcal] = ADDRESS.findall(given.replace("webcal://", "http://"))
    assert https == webcal and "webcal://" in given
    assert "Without dates yet" in given and "Third session of the UN-Habitat Assembly" in given
    assert ha3(await served.calendar(https)) is None  # nothing to put on a day yet

    edit_ha3(served, '    dates: {start: 2029-05-28, end: 2029-06-01, time: "10:00"}\n    timezone: Africa/Nairobi\n')
    [applied] = await served.say("/reload", ADMIN)
    assert "Content reloaded" in applied
    calendar = await served.calendar(https)
    event = ha3(calendar)
    assert event is not None, calendar.to_ical().decode()[:2000]
    assert event["dtstart"].to_ical() == b"20290528T100000" and event["dtstart"].params["TZID"] == "Africa/Nairobi"
    assert [str(tz["tzid"]) for tz in calendar.walk("VTIMEZONE")] == ["Africa/Nairobi"]
    triggers = sorted(str(alarm["trigger"].to_ical(), "ascii") for alarm in event.walk("VALARM"))
    # The default lead times: 30, 7 and 1 day before at 08:00 and 08:00 on the day (Nairobi, both).
    assert triggers == ["-P1DT2H", "-P30DT2H", "-P7DT2H", "-PT2H"], triggers

    edit_ha3(served, "    place: {zh: 日内瓦, en: Geneva}\n")
    [again] = await served.say("/reload", ADMIN)
    assert "Content reloaded" in again
    moved = ha3(await served.calendar(https))
    assert moved is not None and str(moved["location"]) == "Geneva"
    assert served.server.errors == []
