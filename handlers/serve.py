"""Running the Telegram application: long polling or webhook, with the HTTP server beside it, and
a graceful stop on SIGTERM.

On SIGTERM (or SIGINT): the webhook and /healthz answer 503 (Telegram retries the update later,
by then at another replica, and the load balancer stops sending traffic); polling stops; the
``on_stopping`` callbacks run (the reminder dispatcher stops claiming); updates already taken
are answered and sends in flight finish; then the application shuts down (the dispatcher gives
back what it claimed but did not send). All of it within ``STOP_WITHIN`` seconds.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any

from telegram import Update
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    ChatMemberHandler,
    ChosenInlineResultHandler,
    InlineQueryHandler,
    MessageHandler,
    TypeHandler,
)

from handlers.http import Deliver, Health, HttpServer
from handlers.instrument import health_check
from handlers.updates import ChatOrderedUpdateProcessor

log = logging.getLogger(__name__)

#: The path Telegram posts updates to, under PUBLIC_URL.
WEBHOOK_PATH = "/telegram"
#: A webhook request is answered when its update has been handled, or after this many seconds
#: (Telegram gives up on a webhook request after about a minute and posts the update again).
HANDLED_WITHIN = 30.0
#: Seconds from SIGTERM to exit; systemd and Docker kill at 10 (docs/deploy.md).
STOP_WITHIN = 9.0

#: Update types each kind of handler answers. A MessageHandler is given new messages only:
#: answering an edited message again would repeat an answer the user already has.
_HANDLED: dict[type, tuple[str, ...]] = {
    MessageHandler: (Update.MESSAGE,),
    CallbackQueryHandler: (Update.CALLBACK_QUERY,),
    InlineQueryHandler: (Update.INLINE_QUERY,),
    ChosenInlineResultHandler: (Update.CHOSEN_INLINE_RESULT,),
    ChatMemberHandler: (Update.MY_CHAT_MEMBER,),  # the only kind registered: the bot's own membership
}


def allowed_updates(app: Application) -> list[str]:
    """The update types the application's handlers answer, for setWebhook and getUpdates.

    A handler class not listed in ``_HANDLED`` (other than the metrics' TypeHandlers) makes this
    ask for every type Telegram sends by default, so a new handler never silently gets nothing.
    """
    wanted: set[str] = set()
    for handlers in app.handlers.values():
        for handler in handlers:
            if isinstance(handler, TypeHandler):
                continue
            kinds = next((k for cls, k in _HANDLED.items() if isinstance(handler, cls)), None)
            if kinds is None:
                log.warning("%s: unknown update types; asking Telegram for all of them", type(handler).__name__)
                return [t for t in Update.ALL_TYPES if t not in _OPT_IN]
            wanted.update(kinds)
    return sorted(wanted)


#: Types Telegram sends only when asked by name.
_OPT_IN = {Update.CHAT_MEMBER, Update.MESSAGE_REACTION, Update.MESSAGE_REACTION_COUNT}


def health_of(app: Application) -> Callable[[], Awaitable[Health]]:
    """/healthz for ``app``: the bot is built in post_init, so it is looked up when asked."""

    async def health() -> Health:
        habitat = app.bot_data.get("habitat")  # set by the composition root's post_init
        if habitat is None:
            return Health({"database": "starting", "content": "starting"})
        return await health_check(habitat.engine, habitat.content)()

    return health


def feeder(app: Application) -> Deliver:
    """Hand a webhook update to the application's update queue, as polling does (the application's
    update processor decides what runs concurrently), and return once it has been handled.

    Telegram takes a 200 as "delivered" and never posts that update again; answering only after
    the update was handled means an update taken by a replica that died before answering it
    (SIGKILL, out of memory) is posted again, to another replica, instead of being lost.
    """

    async def deliver(data: dict[str, Any]) -> None:
        try:
            update = Update.de_json(data, app.bot)
        except (KeyError, TypeError) as exc:
            raise ValueError(f"not an update: {exc}") from exc
        processor = app.update_processor
        if not isinstance(processor, ChatOrderedUpdateProcessor):
            await app.update_queue.put(update)
            return
        handled = processor.watch(update)
        try:
            await app.update_queue.put(update)
            await asyncio.wait_for(handled, HANDLED_WITHIN)
        except TimeoutError:
            log.warning("update %s not handled within %.0f s; acknowledged anyway", update.update_id, HANDLED_WITHIN)
        finally:
            processor.unwatch(update)

    return deliver


@dataclass(frozen=True)
class Webhook:
    """Where Telegram posts updates (PUBLIC_URL/telegram) and the secret it sends with each."""

    url: str
    secret: str


def build_server(app: Application, host: str, port: int, *,
                 webhook: Webhook | None = None) -> HttpServer:
    """The bot's HTTP server: /healthz and /metrics, and WEBHOOK_PATH when ``webhook`` is given.

    Add routes to it (``server.add_route``) before passing it to ``serve``.
    """
    server = HttpServer(host, port, health=health_of(app))
    if webhook is not None:
        server.accept_updates(WEBHOOK_PATH, webhook.secret, feeder(app))
    return server


async def serve(
    app: Application,
    *,
    server: HttpServer | None = None,
    webhook: Webhook | None = None,
    on_stopping: Iterable[Callable[[], object]] = (),
    stop: asyncio.Event | None = None,
) -> None:
    """Run ``app`` until SIGTERM/SIGINT, or until ``stop`` is set when given (tests), then stop gracefully.

    With ``webhook`` Telegram is told to post updates there (``server`` must accept them, see
    ``build_server``); without it the application long-polls.
    """
    loop = asyncio.get_running_loop()
    signals = (signal.SIGTERM, signal.SIGINT) if stop is None else ()
    stop = stop or asyncio.Event()
    for sig in signals:
        with contextlib.suppress(NotImplementedError, RuntimeError):  # not the main thread / Windows
            loop.add_signal_handler(sig, stop.set)
    await app.initialize()
    try:
        if app.post_init is not None:
            await app.post_init(app)
        await app.start()
        if server is not None:
            await server.start()
        allowed = allowed_updates(app)
        if webhook is not None:
            await app.bot.set_webhook(webhook.url, secret_token=webhook.secret, allowed_updates=allowed)
            log.info("webhook registered at %s for %s", webhook.url, ", ".join(allowed))
        else:
            assert app.updater is not None, "polling needs the Application's Updater"
            await app.updater.start_polling(allowed_updates=allowed)  # also removes a webhook
            log.info("long polling for %s", ", ".join(allowed))
        await stop.wait()
        started = time.monotonic()
        log.info("stopping: no new updates; finishing the ones taken")
        await _stop_taking(app, server, on_stopping)
        await _finish(app, STOP_WITHIN - 1.5 - (time.monotonic() - started))
        if app.post_stop is not None:
            await app.post_stop(app)
    finally:
        for sig in signals:
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.remove_signal_handler(sig)
        if server is not None:
            await server.stop()
        if app.running:  # an error before the stop: nothing was drained
            await _finish(app, 1.0)
        await app.shutdown()
        if app.post_shutdown is not None:
            await app.post_shutdown(app)
        log.info("stopped")


async def _stop_taking(app: Application, server: HttpServer | None,
                       on_stopping: Iterable[Callable[[], object]]) -> None:
    if server is not None:
        server.drain()
    for callback in on_stopping:
        try:
            callback()
        except Exception:  # one failing callback must not keep the others from running
            log.exception("stopping callback failed")
    if app.updater is not None and app.updater.running:
        await app.updater.stop()


async def _finish(app: Application, seconds: float) -> None:
    """Let the application answer what it took and finish its jobs, for at most ``seconds``."""
    task = asyncio.ensure_future(app.stop())
    done, _ = await asyncio.wait({task}, timeout=max(seconds, 0.5))
    if not done:
        log.warning("updates or jobs still running after %.1f s; stopping without them", seconds)
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task
        scheduler = app.job_queue.scheduler if app.job_queue is not None else None
        if scheduler is not None and scheduler.running:  # the cancelled stop did not get to the jobs
            scheduler.shutdown(wait=False)
    elif task.exception() is not None:
        log.error("stopping the application failed", exc_info=task.exception())


def run(app: Application, **options: Any) -> None:
    """``serve`` in a new event loop (the entry point's way in).

    Unlike ``asyncio.run`` it does not wait for the threads of the default executor when the loop
    closes: work that cannot be interrupted (a search index being built, a hung query) must not hold
    up the exit; ``leave`` then ends the process without waiting for them either.
    """
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        loop.run_until_complete(serve(app, **options))
    finally:
        try:
            pending = [task for task in asyncio.all_tasks(loop) if not task.done()]
            for task in pending:
                task.cancel()
            if pending:
                loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
            loop.run_until_complete(loop.shutdown_asyncgens())
        finally:
            asyncio.set_event_loop(None)
            loop.close()  # shuts the default executor down without waiting for its threads


def leave(code: int) -> int:
    """Return ``code``, or end the process now if threads still work (they cannot be interrupted,
    and Python would wait for them at exit): a stop must not wait for a search index build."""
    others = [t for t in threading.enumerate() if t is not threading.main_thread() and not t.daemon]
    deadline = time.monotonic() + 1.0  # idle workers of a closed executor end at once
    for thread in others:
        thread.join(max(deadline - time.monotonic(), 0.0))
    busy = [t for t in others if t.is_alive()]
    if not busy:
        return code
    log.warning("exiting without waiting for %d busy thread(s): %s", len(busy), ", ".join(t.name for t in busy))
    logging.shutdown()
    sys.stdout.flush()
    os._exit(code)

