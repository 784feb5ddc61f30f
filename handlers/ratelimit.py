"""One send budget for the whole process: replies and reminders share Telegram's 30 messages/s.

The application's Bot keeps PTB's ``AIORateLimiter`` for group limits and retrying a 429; every
request that sends a message takes a slot of the reminders dispatcher's ``Pacer``, the one global limit. Without
this, a reminder fan-out at the full rate plus delegates' questions would exceed the global limit.
A 429 seen by a reply pauses the pacer too, so the dispatcher stops as well.

A 429 is waited out and the request retried for as long as ``FLOOD_DEADLINE`` allows (minutes),
not a fixed number of times: under a flood-control storm every reply still arrives, late. Only a
wait that would end past the deadline gives up, as ``FloodWaitTooLong`` (a ``TimedOut``, so the
error handler logs one warning line and tells nobody).
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable, Coroutine
from typing import Any

from telegram.error import RetryAfter, TimedOut
from telegram.ext import AIORateLimiter

from reminders.dispatcher import Pacer

#: Bot API methods that put a message in a chat (the ones Telegram's broadcast limit counts).
SENDING = ("send", "copyMessage", "forwardMessage")
#: How long a request may keep waiting out flood control (429) before it is given up.
FLOOD_DEADLINE = 300.0
#: A bound on attempts for AIORateLimiter, far above what the deadline lets happen.
MAX_TRIES = 1000


def _seconds(exc: RetryAfter) -> float:
    value = exc._retry_after  # noqa: SLF001 - the public property warns about its future type
    return value.total_seconds() if isinstance(value, dt.timedelta) else float(value)


class FloodWaitTooLong(TimedOut):
    """Telegram asked to wait past the request's deadline; the request is given up."""


class SharedRateLimiter(AIORateLimiter):
    """``AIORateLimiter`` whose message sends also hold a slot of a shared ``Pacer``, and whose
    retries after a 429 are bounded by a deadline instead of a count."""

    def __init__(self, pacer: Pacer, *, deadline: float = FLOOD_DEADLINE, **kwargs: Any) -> None:
        kwargs.setdefault("max_retries", MAX_TRIES)
        # The pacer is the one global limit (replies and reminders together); a second limiter at
        # the same rate would only add waiting and CPU. Group limits stay with AIORateLimiter.
        kwargs.setdefault("overall_max_rate", 0)
        super().__init__(**kwargs)
        self.pacer = pacer
        self.deadline = deadline

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        loop = asyncio.get_running_loop()
        give_up_at = loop.time() + self.deadline
        sending = endpoint.startswith(SENDING)
        chat = data.get("chat_id")

        async def bounded(*call_args: Any, **call_kwargs: Any) -> Any:
            if sending:
                await self.pacer.acquire()
            try:
                return await callback(*call_args, **call_kwargs)
            except RetryAfter as exc:
                wait = _seconds(exc)
                if sending:
                    self.pacer.pause(wait)  # the dispatcher waits too
                if loop.time() + wait > give_up_at:
                    raise FloodWaitTooLong(
                        f"{endpoint}: flood control asks to wait {wait:g} s, past the {self.deadline:g} s deadline"
                    ) from None
                raise  # AIORateLimiter waits retry_after and calls again
            finally:
                if sending:
                    self.pacer.release(chat if isinstance(chat, int) else 0)

        return await super().process_request(bounded, args, kwargs, endpoint, data, rate_limit_args)
