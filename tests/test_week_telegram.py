"""The Assembly week end to end: the real Application polls the fake Bot API on the bot's clock of
22 November 2026. WUF12 is over, HA.3 is followed without dates, and when an admin reloads its
dates (then a new venue) the follower gets exactly one message each time; /today and /help too."""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.app import build_application
from bot.kernel.clock import FixedClock
from reminders.models import Delivery
from store.db import session_scope
from tests.conftest import make_settings
from tests.fakebot import TOKEN, FakeBotApi
from tests.test_admin import private_copy, valid_content, valid_template  # noqa: F401 - fixtures
from tests.test_admin_telegram import ADMIN, DELEGATE, Bot

__all__ = ["valid_content", "valid_template"]  # fixtures
NOV_22_2026 = dt.datetime(2026, 11, 22, 7, 0, tzinfo=dt.UTC)


@pytest.fixture
async def week(valid_content: Path, valid_template: Path, tmp_path: Path) -> AsyncIterator[Bot]:  # noqa: F811
    content = private_copy(valid_content, tmp_path)
    shutil.copyfile(valid_template, tmp_path / "bot.db")
    async with FakeBotApi() as server:
        settings = make_settings(
            f"sqlite:///{tmp_path / 'bot.db'}", content_dir=content, telegram_bot_token=TOKEN,
            telegram_base_url=f"{server.url}/bot", telegram_base_file_url=f"{server.url}/file/bot",
        )
        app = build_application(settings, FixedClock(NOV_22_2026))
        async with server.polling(app):
            await app.post_init(app)  # type: ignore[misc]
            yield Bot(server, app, app.bot_data["habitat"], content)
            await app.post_shutdown(app)  # type: ignore[misc]


def edit_ha3(bot: Bot, add: str) -> None:
    """Add lines to HA.3's entry in the content files, as an admin would before /reload."""
    path = bot.content / "entries" / "sessions.yaml"
    text = path.read_text(encoding="utf-8")
    anchor = "    expected: 2029\n"
    assert text.count(anchor) == 1
    path.write_text(text.replace(anchor, anchor + add), encoding="utf-8")


def notices_in_outbox(bot: Bot, chat_id: int) -> list[Delivery]:
    with session_scope(bot.services.engine) as session:
        return list(session.execute(select(Delivery).where(Delivery.kind == "change", Delivery.chat_id == chat_id))
                    .scalars())


async def test_done_when_wuf12_is_over_and_ha3_dates_then_venue_are_told_once_each(week: Bot) -> None:
    [card] = await week.say("/event WUF12", DELEGATE)
    assert "took place" in card
    message = week.server.last_message(DELEGATE)
    buttons = [b.get("callback_data", "") for row in message["reply_markup"]["inline_keyboard"] for b in row]
    assert not any(data.startswith("sub:") for data in buttons)
    [over] = await week.say("/subscribe WUF12", DELEGATE)
    assert "is over" in over and "Subscribed" not in over

    [followed] = await week.say("/subscribe HA.3", DELEGATE)
    assert "Subscribed to" in followed and "you will be told when they are" in followed
    skip = len(week.server.sent("sendMessage", chat_id=DELEGATE))

    edit_ha3(week, '    dates: {start: 2029-05-28, end: 2029-06-01, time: "10:00"}\n    timezone: Africa/Nairobi\n')
    [applied] = await week.say("/reload")
    assert "Content reloaded" in applied and "HA.3" in applied
    notice = await week.wait_for_text(DELEGATE, ("📢",), skip=skip)
    assert "dates announced" in notice["text"] and "28 May – 1 June 2029" in notice["text"]
    assert "28 May 2029, 10:00 (Africa/Nairobi)" in notice["text"] and "Next reminder" in notice["text"]

    # Later the admin sends the file with a new venue to the bot (an upload, applied at once).
    sessions = (week.content / "entries" / "sessions.yaml").read_text(encoding="utf-8")
    uploaded = sessions.replace("    expected: 2029\n", "    expected: 2029\n    place: {zh: 日内瓦, en: Geneva}\n")
    again = await week.send_file("sessions.yaml", uploaded.encode())
    assert "sessions.yaml applied" in again and "HA.3" in again
    after = len([m for m in week.server.sent("sendMessage", chat_id=DELEGATE)[skip:] if m["text"].startswith("📢")])
    venue = await week.wait_for_text(DELEGATE, ("Geneva",), skip=skip)
    assert "venue announced: Geneva" in venue["text"] and after <= 2
    [unchanged] = await week.say("/reload")  # nothing new: nobody is told anything
    assert "reload" in unchanged.lower() or "unchanged" in unchanged.lower()
    await week.say("/session HA.3", DELEGATE)
    told = [m for m in week.server.sent("sendMessage", chat_id=DELEGATE)[skip:] if m["text"].startswith("📢")]
    assert len(told) == 2 and len(notices_in_outbox(week, DELEGATE)) == 2


async def test_today_help_and_forget_through_telegram(week: Bot) -> None:
    [today] = await week.say("今天", DELEGATE, lang="zh")
    assert "今天：2026年11月22日（Africa/Nairobi）" in today
    [help_text] = await week.say("/help", DELEGATE)
    assert "/today" in help_text and "/reload" not in help_text
    [admin_help] = await week.say("/help", ADMIN)
    assert "/reload" in admin_help
    await week.say("/subscribe HA.3", DELEGATE)
    [asked] = await week.say("/forget", DELEGATE)
    assert "This deletes" in asked and "1 subscription" in asked
    keyboard = week.server.last_message(DELEGATE)["reply_markup"]["inline_keyboard"]
    before = len(week.server.sent("sendMessage", chat_id=DELEGATE))
    week.server.press_button(DELEGATE, week.server.last_message(DELEGATE)["message_id"],
                             keyboard[0][0]["callback_data"], user_id=DELEGATE)
    [done] = (await week.server.wait_for("sendMessage", count=before + 1, chat_id=DELEGATE))[before:]
    assert "deleted everything" in done["text"]
