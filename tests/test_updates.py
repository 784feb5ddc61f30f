"""Updates of different chats run at once, one chat's in order, and a flooding user is slowed
without slowing anyone else."""

from __future__ import annotations

import asyncio
import sys

from handlers.updates import FloodGate
from tests.conftest import TelegramHarness


class Ticks:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_the_gate_lets_a_burst_through_then_the_rate_and_warns_once_a_minute() -> None:
    ticks = Ticks()
    gate = FloodGate(burst=5, rate=1, notice_every=60, monotonic=ticks)
    assert [gate.admit(1)[0] for _ in range(5)] == [True] * 5
    assert gate.admit(1) == (False, True)  # the first refusal tells the user
    assert gate.admit(1) == (False, False)  # the next ones do not
    assert gate.admit(2) == (True, False)  # another user is untouched
    ticks.now += 1
    assert gate.admit(1)[0] is True  # one more a second
    assert gate.admit(1) == (False, False)
    ticks.now += 61
    assert [gate.admit(1)[0] for _ in range(5)] == [True] * 5  # refilled
    assert gate.admit(1) == (False, True)  # a minute later: told again


async def test_one_chat_gets_its_answers_in_the_order_it_asked(telegram: TelegramHarness) -> None:
    asked = ["/session HA.1", "/session HA.2", "/resolution 2/7", "/session WUF12", "/doc HSP/EB.2023/18"]
    for text in asked:
        telegram.server.send_text(4100, text, user_id=4100, language_code="en")
    replies = await telegram.server.wait_for("sendMessage", count=len(asked), chat_id=4100, timeout=20)
    firsts = [r["text"].split("\n")[0] for r in replies]
    expected = ["first session", "Second session", "2/7", "World Urban Forum", "preparations for the twelfth"]
    for first, word in zip(firsts, expected, strict=True):
        assert word.lower() in first.lower(), firsts


async def test_a_flood_from_one_user_is_bounded_and_others_are_answered(telegram: TelegramHarness) -> None:
    flooder, other = 4200, 4201
    for index in range(300):
        telegram.server.send_text(flooder, f"/session HA.{1 + index % 2}", user_id=flooder, language_code="en")
    loop = asyncio.get_running_loop()
    started = loop.time()
    telegram.server.send_text(other, "/session HA.2", user_id=other, language_code="en")
    [answer] = await telegram.server.wait_for("sendMessage", chat_id=other, timeout=20)
    latency = loop.time() - started
    assert "Second session" in answer["text"]
    await asyncio.sleep(1.0)
    to_flooder = telegram.server.sent("sendMessage", chat_id=flooder)
    notices = [m for m in to_flooder if "faster than I can answer" in m["text"]]
    assert len(notices) == 1
    # The burst (10) and what the rate refills while the flood lasts, not 300 answers.
    assert 10 <= len(to_flooder) - len(notices) <= 30
    sys.stdout.write(f"\nanother user's answer during a 300-message flood: {latency * 1000:.0f} ms\n")
