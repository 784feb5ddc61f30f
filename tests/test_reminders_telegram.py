"""Through the real python-telegram-bot Application and the fake Bot API: subscribing by command,
button and deep link, the .ics upload, and reminders sent by the jobs the application scheduled."""

from __future__ import annotations

import datetime as dt

from icalendar import Calendar

from tests.conftest import TelegramHarness
from tests.htmlcheck import assert_callback_data, assert_telegram_html, parse_telegram_html


def visible(message: dict) -> str:  # type: ignore[type-arg]
    return parse_telegram_html(message["text"])[0]


async def test_subscribe_in_telegram_and_get_the_reminder_from_the_jobs(telegram: TelegramHarness) -> None:
    [card] = await telegram.ask("/session WUF12", chat_id=3001, language_code="en")
    buttons = [b["callback_data"] for row in card["reply_markup"]["inline_keyboard"] for b in row]
    assert "sub:WUF12" in buttons
    [subscribed] = await telegram.press("sub:WUF12", chat_id=3001)
    assert "已订阅" in visible(subscribed) and "2024年10月5日 08:00" in visible(subscribed)  # pressed in Chinese
    assert_callback_data(subscribed["reply_markup"])

    reminders = telegram.app.bot_data["reminders"]  # scheduled by the live hook on the JobQueue
    names = {job.name for job in telegram.app.job_queue.jobs()}  # type: ignore[union-attr]
    assert {"reminders-plan", "reminders-dispatch"} <= names
    before = len(telegram.server.sent("sendMessage", chat_id=3001))
    telegram.clock.set(dt.datetime(2024, 10, 5, 4, 59, tzinfo=dt.UTC))
    reminders.plan()
    await reminders.dispatch()
    assert len(telegram.server.sent("sendMessage", chat_id=3001)) == before  # a minute early: nothing
    telegram.clock.set(dt.datetime(2024, 10, 5, 5, 0, tzinfo=dt.UTC))
    await reminders.dispatch()  # or the JobQueue's own run, whichever comes first
    [reminder] = (await telegram.server.wait_for("sendMessage", count=before + 1, chat_id=3001))[before:]
    assert_telegram_html(reminder["text"])
    text = visible(reminder)
    # Subscribed from a Chinese Telegram client: the reminder is in Chinese too.
    assert "提醒" in text and "还有 30 天" in text and "开罗" in text and "HSP/EB.2023/18" in text
    assert telegram.server.errors == []


async def test_commands_deep_link_and_calendar_file(telegram: TelegramHarness) -> None:
    [offer] = await telegram.ask("/start sub_WUF12", chat_id=3002, language_code="zh")
    assert "已订阅" not in visible(offer)  # a link offers; the button subscribes
    [linked] = await telegram.press(offer["reply_markup"]["inline_keyboard"][0][0]["callback_data"], chat_id=3002)
    assert "已订阅" in visible(linked)
    [zone] = await telegram.ask("/timezone Beijing", chat_id=3002, language_code="zh")
    assert "Asia/Shanghai" in visible(zone)
    [mine] = await telegram.ask("/mysubs", chat_id=3002, language_code="zh")
    assert "我的订阅" in visible(mine) and "Asia/Shanghai" in visible(mine)
    before = len(telegram.server.sent("sendDocument", chat_id=3002))
    await telegram.ask("/ics", chat_id=3002, language_code="zh")
    [document] = (await telegram.server.wait_for("sendDocument", count=before + 1, chat_id=3002))[before:]
    upload = document["document"]
    assert upload.filename == "habitat-subscriptions.ics"
    events = list(Calendar.from_ical(upload.data).walk("VEVENT"))
    assert [str(e.get("uid")) for e in events] == ["WUF12@habitat-assistant"]
    [asked] = await telegram.ask("/forget", chat_id=3002, language_code="zh")
    assert "将删除" in visible(asked) and "订阅 1 项" in visible(asked)  # says what, deletes nothing yet
    [gone] = await telegram.press(asked["reply_markup"]["inline_keyboard"][0][0]["callback_data"], chat_id=3002)
    assert "已删除" in visible(gone)
    [empty] = await telegram.ask("/mysubs", chat_id=3002, language_code="zh")
    assert "还没有订阅" in visible(empty)
