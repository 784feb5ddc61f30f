"""One error handler: log first, tell the user plainly, and tell the admins once per kind per hour."""

from __future__ import annotations

import html
import logging
import time
import traceback
from collections.abc import Callable

from telegram import Update
from telegram.error import BadRequest, Forbidden, NetworkError
from telegram.ext import Application

from bot.i18n import t
from handlers.common import BotContext

log = logging.getLogger(__name__)

#: An admin hears about one kind of error at most this often (seconds); the log has every one.
NOTICE_EVERY = 3600.0


def update_kind(update: object) -> str:
    """Which field of the update is set (message, callback_query, ...), for logs and metrics."""
    if isinstance(update, Update):
        for name in Update.ALL_TYPES:
            if getattr(update, name, None) is not None:
                return name
        return "other"
    return type(update).__name__


def error_kind(error: BaseException | None) -> str:
    """The exception type and the line that raised it: the same bug twice is one kind."""
    if error is None:
        return "unknown"
    frames = traceback.extract_tb(error.__traceback__)
    ours = [f for f in frames if "site-packages" not in f.filename] or frames  # the project's line, not the library's
    where = f" at {ours[-1].filename.rsplit('/', 1)[-1]}:{ours[-1].lineno}" if ours else ""
    return f"{type(error).__name__}{where}"


class Notices:
    """Remembers when admins were last told about each kind of error."""

    def __init__(self, every: float = NOTICE_EVERY, monotonic: Callable[[], float] = time.monotonic) -> None:
        self.every = every
        self.monotonic = monotonic
        self._last: dict[str, float] = {}

    def due(self, kind: str) -> bool:
        """True (and remembered) when admins were not told about ``kind`` within ``every`` seconds."""
        now = self.monotonic()
        last = self._last.get(kind)
        if last is not None and now - last < self.every:
            return False
        self._last[kind] = now
        return True


def make_error_handler(notices: Notices) -> Callable[[object, BotContext], object]:
    async def on_error(update: object, context: BotContext) -> None:
        kind = error_kind(context.error)
        # The update itself is not logged: it carries what the user wrote.
        if update is None:  # a job, not an update
            log.error("job failed: %s", kind, exc_info=context.error)
        else:
            log.error("update %s (%s) failed: %s", getattr(update, "update_id", "-"), update_kind(update), kind,
                      exc_info=context.error)
        if isinstance(context.error, Forbidden | NetworkError) and not isinstance(context.error, BadRequest):
            return  # blocked, or the network: nothing useful to tell anyone (a BadRequest is a bug of ours)
        services = context.application.bot_data.get("services")
        if isinstance(update, Update) and update.effective_chat is not None:
            lang = "zh"
            if services is not None and update.effective_user is not None:
                lang = services.asker(update.effective_user.id, update.effective_user.language_code).lang
            try:
                await context.bot.send_message(
                    update.effective_chat.id, t(lang, "Sorry, something went wrong. Please try again.")
                )
            except Exception:  # noqa: BLE001 - the error path must not raise
                log.exception("could not tell the user about the error")
        if services is not None and services.settings.admin_ids and notices.due(kind):
            text = (f"⚠️ {html.escape(kind)}: {html.escape(str(context.error))[:500]}\n"
                    f"(the same kind of error is reported at most once an hour; the log has every one)")
            for admin in services.settings.admin_ids:
                try:
                    await context.bot.send_message(admin, text)
                except Exception:  # noqa: BLE001
                    log.exception("could not tell admin %s", admin)

    return on_error


def register(app: Application) -> None:  # type: ignore[type-arg]
    app.add_error_handler(make_error_handler(Notices()))
