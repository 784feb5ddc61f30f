"""The bot's clock. Every "now" comes from here so tests and demonstrations can set time.

``SystemClock`` is real time; ``FixedClock`` is moved by tests; ``ScaledClock`` starts at a given
instant and runs faster (``--clock-speed 3600``: an hour per second) for demonstrations.
"""

from __future__ import annotations

import datetime as dt
import time
from typing import Protocol


class Clock(Protocol):
    def now(self) -> dt.datetime:
        """The current instant, timezone-aware (UTC)."""
        ...


class SystemClock:
    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC)


class FixedClock:
    """A clock that only moves when told to."""

    def __init__(self, start: dt.datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("FixedClock needs a timezone-aware datetime")
        self._now = start.astimezone(dt.UTC)

    def now(self) -> dt.datetime:
        return self._now

    def set(self, instant: dt.datetime) -> None:
        self._now = instant.astimezone(dt.UTC)

    def advance(self, delta: dt.timedelta) -> None:
        self._now += delta


class ScaledClock:
    """Starts at ``start`` and advances ``speed`` seconds per real second."""

    def __init__(self, start: dt.datetime, speed: float = 1.0) -> None:
        if start.tzinfo is None:
            raise ValueError("ScaledClock needs a timezone-aware datetime")
        self._start = start.astimezone(dt.UTC)
        self._speed = speed
        self._origin = time.monotonic()

    @property
    def speed(self) -> float:
        """Clock seconds per real second (reminders scale what counts as late by it)."""
        return self._speed

    def now(self) -> dt.datetime:
        elapsed = (time.monotonic() - self._origin) * self._speed
        return self._start + dt.timedelta(seconds=elapsed)


def parse_instant(text: str) -> dt.datetime:
    """Parse an ISO-8601 instant for ``--now``; a date alone means midnight UTC."""
    value = dt.datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value
