"""The calendar feed end to end: a delegate subscribes and sends /calendar through the fake Bot API,
then a calendar app (aiohttp here) fetches the address from the bot's own HTTP server, in polling
and in webhook mode, and reads it with icalendar."""

from __future__ import annotations

import re

import pytest
from icalendar import Calendar
from multidict import CIMultiDict

from bot.app import build_application, http_server
from bot.kernel.clock import FixedClock
from bot.settings import WEBHOOK_DEFAULT_PORT
from tests.conftest import telegram_settings
from tests.fakebot import FakeBotApi
from tests.htmlcheck import parse_telegram_html
from tests.test_http import Running, running

ADDRESS = re.compile(r"(https?)://127\.0\.0\.1:\d+/calendar/([A-Za-z0-9_-]+)\.ics")


async def ask(bot: Running, chat_id: int, text: str) -> str:
    before = len(bot.server.sent("sendMessage", chat_id=chat_id))
    bot.server.send_text(chat_id, text, user_id=chat_id, language_code="en")
    sent = await bot.server.wait_for("sendMessage", count=before + 1, chat_id=chat_id, timeout=15)
    return parse_telegram_html(sent[-1]["text"])[0]


async def fetch(bot: Running, path: str, headers: dict[str, str] | None = None) -> tuple[int, CIMultiDict[str], bytes]:
    async with bot.http.get(bot.base + path, headers=headers or {}) as response:
        return response.status, response.headers.copy(), await response.read()


async def subscribe_and_get_the_feed(bot: Running, chat_id: int) -> str:
    assert "Subscribed" in await ask(bot, chat_id, "/subscribe WUF12 7d 1d")
    text = await ask(bot, chat_id, "/calendar")
    found = {match.group(2) for match in ADDRESS.finditer(text)}
    assert len(found) == 1, text
    token = found.pop()
    assert f"webcal://127.0.0.1:{bot.base.rsplit(':', 1)[1]}/calendar/{token}.ics" in text
    [button] = [b for row in bot.server.last_message(chat_id)["reply_markup"]["inline_keyboard"] for b in row]
    assert button["url"] == f"{bot.base}/calendar/{token}.ics"
    return token


@pytest.mark.parametrize("webhook", [False, True], ids=["polling", "webhook"])
async def test_a_calendar_app_fetches_the_feed_from_the_address_the_bot_gave(
    loaded_sqlite_url: str, clock: FixedClock, webhook: bool
) -> None:
    async with running(loaded_sqlite_url, clock, webhook=webhook) as bot:
        token = await subscribe_and_get_the_feed(bot, 6101)
        status, headers, body = await fetch(bot, f"/calendar/{token}.ics")
        assert status == 200 and headers["Content-Type"] == "text/calendar; charset=utf-8"
        calendar = Calendar.from_ical(body)
        [event] = calendar.walk("VEVENT")
        assert str(event["uid"]) == "WUF12@habitat-assistant" and event["dtstart"].params["VALUE"] == "DATE"
        triggers = sorted(str(alarm["trigger"].to_ical(), "ascii") for alarm in event.walk("VALARM"))
        assert triggers == ["-P6DT16H", "-PT16H"]  # 7 and 1 day before, 08:00 Nairobi (the user's zone)
        # Fetched again unchanged: 304 for the ETag the app kept.
        status, again, body = await fetch(bot, f"/calendar/{token}.ics", {"If-None-Match": headers["ETag"]})
        assert status == 304 and body == b"" and again["ETag"] == headers["ETag"]
        # A wrong token, a near miss and another path are 404, told apart by nothing.
        for path in ("/calendar/" + "A" * 43 + ".ics", f"/calendar/{token[:-1]}x.ics", f"/calendar/{token}.ics.bak"):
            status, _headers, body = await fetch(bot, path)
            assert status == 404, path
            assert token.encode() not in body
        assert bot.server.errors == []


async def test_reset_in_telegram_makes_the_old_address_404(loaded_sqlite_url: str, clock: FixedClock) -> None:
    async with running(loaded_sqlite_url, clock, webhook=False) as bot:
        old = await subscribe_and_get_the_feed(bot, 6102)
        assert "already have a calendar address" in await ask(bot, 6102, "/calendar")
        text = await ask(bot, 6102, "/calendar reset")
        [new] = {match.group(2) for match in ADDRESS.finditer(text)}
        assert new != old
        assert (await fetch(bot, f"/calendar/{old}.ics"))[0] == 404
        status, _headers, body = await fetch(bot, f"/calendar/{new}.ics")
        assert status == 200 and b"WUF12@habitat-assistant" in body
        # Someone else's subscriptions never show in this feed.
        assert "Subscribed" in await ask(bot, 6103, "/subscribe world-cities-day")
        assert b"world-cities-day" not in (await fetch(bot, f"/calendar/{new}.ics"))[2]
        async with bot.http.head(f"{bot.base}/calendar/{new}.ics") as response:
            assert response.status == 200 and response.headers["Content-Type"].startswith("text/calendar")


async def test_public_url_alone_starts_the_server_in_polling_mode(loaded_sqlite_url: str, clock: FixedClock) -> None:
    async with FakeBotApi() as server:
        without = telegram_settings(server, loaded_sqlite_url)
        assert http_server(without, build_application(without, clock)) is None
        public = telegram_settings(server, loaded_sqlite_url, public_url="https://bot.example.org")
        built = http_server(public, build_application(public, clock))
        assert built is not None and built.port == WEBHOOK_DEFAULT_PORT
