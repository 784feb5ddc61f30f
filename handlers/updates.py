"""How updates are taken: different chats at once, one chat in order, and a flooding user slowed.

python-telegram-bot runs updates through an update processor; this one keeps each chat's updates
in the order they came (a reply never overtakes the one before it) while other chats go ahead,
and drops what one user sends beyond a token bucket, telling them once a minute.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

log = logging.getLogger(__name__)

#: Updates of different chats in flight at once (each mostly waits on Telegram or the database).
CONCURRENT_UPDATES = 256


@dataclass
class Bucket:
    tokens: float
    stamp: float
    warned: float = float("-inf")


class FloodGate:
    """A token bucket per user: ``burst`` messages at once, then ``rate`` a second."""

    def __init__(self, *, burst: float = 10.0, rate: float = 2.0, notice_every: float = 60.0,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self.burst = burst
        self.rate = rate
        self.notice_every = notice_every
        self.monotonic = monotonic
        self._buckets: dict[int, Bucket] = {}

    def admit(self, user_id: int) -> tuple[bool, bool]:
        """(take this update, tell the user to slow down now)."""
        now = self.monotonic()
        bucket = self._buckets.get(user_id)
        if bucket is None:
            if len(self._buckets) > 100_000:  # forget users who have been quiet long enough to be full again
                self._buckets = {k: b for k, b in self._buckets.items()
                                 if b.tokens + (now - b.stamp) * self.rate < self.burst}
            bucket = self._buckets[user_id] = Bucket(self.burst, now)
        bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.stamp) * self.rate)
        bucket.stamp = now
        if bucket.tokens >= 1.0:
            bucket.tokens -= 1.0
            return True, False
        warn = now - bucket.warned >= self.notice_every
        if warn:
            bucket.warned = now
        return False, warn


def chat_key(update: object) -> int | None:
    """The chat whose order must be kept (inline queries: the user's own stream)."""
    if not isinstance(update, Update):
        return None
    if update.effective_chat is not None:
        return update.effective_chat.id
    return update.effective_user.id if update.effective_user is not None else None


class ChatOrderedUpdateProcessor(BaseUpdateProcessor):
    """Concurrent across chats, in order within a chat, with a flood gate per user."""

    def __init__(self, gate: FloodGate | None = None,
                 on_flood: Callable[[Update], Awaitable[None]] | None = None,
                 max_concurrent_updates: int = CONCURRENT_UPDATES) -> None:
        super().__init__(max_concurrent_updates)
        self.gate = gate or FloodGate()
        self.on_flood = on_flood
        self._locks: dict[int, asyncio.Lock] = {}
        self._waiting: dict[int, int] = {}
        self._watched: dict[int, asyncio.Future[None]] = {}
        self.dropped = 0

    def watch(self, update: object) -> asyncio.Future[None]:
        """A future done once ``update`` has been handled here (answered, or dropped by the gate).

        Call before the update is queued, and ``unwatch`` when no longer waiting (the webhook
        answers Telegram only then: see handlers/serve.py).
        """
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._watched[id(update)] = future
        return future

    def unwatch(self, update: object) -> None:
        self._watched.pop(id(update), None)

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        try:
            await self._process(update, coroutine)
        finally:
            future = self._watched.pop(id(update), None)
            if future is not None and not future.done():
                future.set_result(None)

    async def _process(self, update: object, coroutine: Awaitable[Any]) -> None:
        user = update.effective_user if isinstance(update, Update) else None
        if isinstance(update, Update) and user is not None and not user.is_bot:
            take, warn = self.gate.admit(user.id)
            if not take:
                self.dropped += 1
                close = getattr(coroutine, "close", None)
                if close is not None:
                    close()  # never awaited: the update is dropped
                if warn and self.on_flood is not None:
                    await self.on_flood(update)
                return
        key = chat_key(update)
        if key is None:
            await coroutine
            return
        lock = self._locks.setdefault(key, asyncio.Lock())
        self._waiting[key] = self._waiting.get(key, 0) + 1
        try:
            async with lock:
                await coroutine
        finally:
            self._waiting[key] -= 1
            if not self._waiting[key]:
                del self._waiting[key]
                self._locks.pop(key, None)

    async def initialize(self) -> None:
        """Nothing to open."""

    async def shutdown(self) -> None:
        """Nothing to close."""
