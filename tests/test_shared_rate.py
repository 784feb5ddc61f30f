"""Replies and reminders share one send budget: never more than 30 messages in any second."""

from __future__ import annotations

import asyncio
import datetime as dt

from tests.conftest import TelegramHarness


async def test_replies_during_a_reminder_fan_out_stay_within_30_per_second(telegram: TelegramHarness) -> None:
    subscribers = [6000 + i for i in range(45)]
    for chat in subscribers:
        telegram.server.send_text(chat, "/subscribe WUF12", user_id=chat, language_code="en")
    for chat in subscribers:
        await telegram.server.wait_for("sendMessage", chat_id=chat, timeout=20)
    reminders = telegram.app.bot_data["reminders"]
    assert reminders.dispatcher.pacer is telegram.app.bot_data["pacer"]
    telegram.clock.set(dt.datetime(2024, 10, 5, 5, 0, tzinfo=dt.UTC))  # 30 days before WUF12, 08:00 Nairobi
    await asyncio.to_thread(reminders.plan)
    start = len(telegram.server.sent("sendMessage"))

    askers = [7000 + i for i in range(45)]
    fan_out = asyncio.create_task(reminders.dispatch())
    for chat in askers:  # delegates ask while the reminders go out
        telegram.server.send_text(chat, "/help", user_id=chat, language_code="en")
    await asyncio.wait_for(fan_out, 30)  # the JobQueue's own dispatch run may be the one that sends
    for chat in subscribers:  # the subscription confirmation, then the reminder
        await telegram.server.wait_for("sendMessage", count=2, chat_id=chat, timeout=20)
    for chat in askers:
        await telegram.server.wait_for("sendMessage", chat_id=chat, timeout=20)

    assert len(telegram.server.sent("sendMessage")) - start == len(subscribers) + len(askers)
    assert telegram.server.sent_per_window(1.0, method="sendMessage") <= 30
    assert telegram.server.errors == []
