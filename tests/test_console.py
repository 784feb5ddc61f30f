"""The console at parity with Telegram: every button of every message — reminders and change
notices included — can be pressed by its number, and files (/ics) are written under var/."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from icalendar import Calendar

from bot.app import Habitat
from bot.console import CONSOLE_USER, ButtonPad, ConsoleSender, console_asker, run_console
from bot.kernel.clock import FixedClock
from bot.kernel.reply import Button, Reply
from reminders.dispatcher import Pacer


def scripted(lines: list[str]) -> tuple[list[str], object]:
    shown: list[str] = []

    def read(_prompt: str) -> str:
        return lines.pop(0)

    return shown, read


def number_of(text: str, label: str) -> str:
    line = next(line for line in text.splitlines() if label in line and line.strip().startswith("["))
    return line.strip().split("]")[0].lstrip("[")


async def test_reminder_buttons_are_numbered_and_can_be_pressed(services: Habitat, clock: FixedClock) -> None:
    services.router.command("subscribe", "WUF12 30d", console_asker(services))
    printed: list[str] = []
    pad = ButtonPad()
    reminders = services.reminders(ConsoleSender(printed.append, pad), pacer=Pacer(per_chat_interval=0.0), elect=False)
    try:
        clock.set(dt.datetime(2024, 10, 5, 5, 0, tzinfo=dt.UTC))
        reminders.plan()
        assert await reminders.dispatch() == 1
    finally:
        reminders.close()
    [reminder] = printed
    assert "Twelfth session of the World Urban Forum" in reminder or "世界城市论坛第十二届会议" in reminder
    snooze = number_of(reminder, "⏰")
    unsubscribe = number_of(reminder, "🔕")
    shown, read = scripted([snooze, unsubscribe, "/mysubs", "/quit"])
    assert run_console(services, read=read, write=shown.append, pad=pad) == 0  # type: ignore[arg-type]
    answers = shown[1:]
    assert "08:00" in answers[0] or "09:00" in answers[0]  # snoozed: again in an hour
    assert "取消订阅" in answers[1] or "Unsubscribed" in answers[1]
    assert "您还没有订阅任何内容" in answers[2] or "You follow nothing" in answers[2]
    assert number_of(reminder, "🔕").startswith("1") and int(unsubscribe) > 100  # kept while typing


async def test_a_change_notice_prints_in_the_console(services: Habitat) -> None:
    pad = ButtonPad()
    printed: list[str] = []
    sender = ConsoleSender(printed.append, pad)
    result = await sender.send(CONSOLE_USER, Reply("📢 change", ((Button("🔕 Unsubscribe", data="uns:1"),),)))
    assert result.outcome.value == "sent" and "[101] 🔕 Unsubscribe" in printed[0] and pad.get(101) == "uns:1"
    refused = await sender.send(12345, Reply("not for the console"))
    assert refused.outcome.value == "gone" and len(printed) == 1


def test_ics_in_the_console_writes_the_file_under_var_and_prints_its_path(services: Habitat, tmp_path: Path) -> None:
    shown, read = scripted(["/ics WUF12", "/quit"])
    files = tmp_path / "var"
    assert run_console(services, read=read, write=shown.append, files=files) == 0  # type: ignore[arg-type]
    written = files / "WUF12.ics"
    assert written.is_file() and f"file written: {written.resolve()}" in shown[1]
    event = next(iter(Calendar.from_ical(written.read_bytes()).walk("VEVENT")))
    assert event.decoded("dtstart") == dt.date(2024, 11, 4)


def test_every_button_of_an_answer_can_be_pressed(services: Habitat) -> None:
    shown, read = scripted(["/lang en", "/session HA.2", "1", "/quit"])
    assert run_console(services, read=read, write=shown.append) == 0  # type: ignore[arg-type]
    card = shown[2]
    numbers = [line.strip().split("]")[0].lstrip("[") for line in card.splitlines() if line.strip().startswith("[")]
    assert numbers == [str(n) for n in range(1, len(numbers) + 1)] and len(numbers) >= 8
    for number in numbers:
        again, read_again = scripted(["/session HA.2", number, "/quit"])
        run_console(services, read=read_again, write=again.append)  # type: ignore[arg-type]
        assert "no longer valid" not in again[2] and "Nothing found" not in again[2]
