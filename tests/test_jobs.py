"""A job that keeps failing (a database gone bad) is retried with growing pauses and reported once."""

from __future__ import annotations

import pytest

from bot.kernel.router import Job
from handlers.jobs import Backoff


class Ticks:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


async def test_a_failing_job_is_reported_once_and_retried_less_and_less_often() -> None:
    calls: list[float] = []
    ticks = Ticks()
    healthy = False

    def work() -> None:
        calls.append(ticks.now)
        if not healthy:
            raise OSError("attempt to write a readonly database")

    backoff = Backoff(Job("reminders-dispatch", 1.0, work), cap=60, monotonic=ticks)
    with pytest.raises(OSError):  # the first failure reaches the error handler (the admins hear once)
        await backoff.run()
    for _second in range(120):  # then two minutes of triggers, one a second: no exception escapes
        ticks.now += 1
        await backoff.run()
    assert len(calls) < 12  # 2, 4, 8, 16, 32, 60 … seconds apart, not 120 tries
    gaps = [b - a for a, b in zip(calls, calls[1:], strict=False)]
    assert gaps == sorted(gaps) and max(gaps) <= 60
    healthy = True
    ticks.now += 60
    await backoff.run()
    assert backoff.failures == 0  # works again: back to every trigger
    ticks.now += 1
    await backoff.run()
    assert calls[-1] == ticks.now
