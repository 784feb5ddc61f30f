"""One send budget for the whole process: replies and reminders share Telegram's 30 messages/s.

The application's Bot keeps PTB's ``AIORateLimiter`` (group limits, retrying a 429), and every
request that sends a message also takes a slot of the reminders dispatcher's ``Pacer``. Without
this, a reminder fan-out at the full rate plus delegates' questions would exceed the global limit.
A 429 seen by a reply pauses the pacer too, so the dispatcher stops as well.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Coroutine
from typing import Any

from telegram.error import RetryAfter
from telegram.ext import AIORateLimiter

from reminders.dispatcher import Pacer

#: Bot API methods that put a message in a chat (the ones Telegram's broadcast limit counts).
SENDING = ("send", "copyMessage", "forwardMessage")


def _seconds(exc: RetryAfter) -> float:
    value = exc._retry_after  # noqa: SLF001 - the public property warns about its future type
    return value.total_seconds() if isinstance(value, dt.timedelta) else float(value)


class SharedRateLimiter(AIORateLimiter):
    """``AIORateLimiter`` whose message sends also hold a slot of a shared ``Pacer``."""

    def __init__(self, pacer: Pacer, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.pacer = pacer

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        if not endpoint.startswith(SENDING):
            return await super().process_request(callback, args, kwargs, endpoint, data, rate_limit_args)

        async def paced(*call_args: Any, **call_kwargs: Any) -> Any:
            await self.pacer.acquire()
            chat = data.get("chat_id")
            try:
                return await callback(*call_args, **call_kwargs)
            except RetryAfter as exc:
                self.pacer.pause(_seconds(exc))  # the dispatcher waits too; PTB retries this one
                raise
            finally:
                self.pacer.release(chat if isinstance(chat, int) else 0)

        return await super().process_request(paced, args, kwargs, endpoint, data, rate_limit_args)
