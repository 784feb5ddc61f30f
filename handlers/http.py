"""The bot's one HTTP server (aiohttp): Telegram's webhook, ``/healthz``, ``/metrics``, and routes
other parts add (``add_route``), so a process listens on one port whatever it serves.

It knows nothing of python-telegram-bot: what to do with an update, and how healthy the bot is,
are functions given to it (handlers/serve.py wires them).
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from bot.kernel import metrics

log = logging.getLogger(__name__)

#: The header Telegram sends the webhook's secret_token in.
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
#: How long /healthz waits for the checks before calling the bot unavailable.
HEALTH_TIMEOUT = 5.0

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
Deliver = Callable[[dict[str, Any]], Awaitable[None]]


@dataclass
class Health:
    """What /healthz reports: ``checks`` maps a part (database, content) to "ok" or what is wrong."""

    checks: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return all(value == "ok" for value in self.checks.values())


class HttpServer:
    """Routes are added before ``start``; ``drain`` turns updates away (503) while the bot stops."""

    def __init__(self, host: str, port: int, *, health: Callable[[], Awaitable[Health]] | None = None) -> None:
        self.host = host
        self.port = port
        self.health = health
        self.draining = False
        self._app = web.Application()
        self._runner: web.AppRunner | None = None
        self.add_route("GET", "/healthz", self._healthz)
        self.add_route("GET", "/metrics", self._metrics)

    def add_route(self, method: str, path: str, handler: Handler) -> None:
        """Serve ``method path`` with ``handler`` (an aiohttp handler); only before ``start``."""
        if self._runner is not None:
            raise RuntimeError("routes are added before the server starts")
        self._app.router.add_route(method, path, handler)

    def accept_updates(self, path: str, secret: str, deliver: Deliver) -> None:
        """Take Telegram updates POSTed to ``path`` that carry ``secret`` and pass each to ``deliver``."""
        expected = secret.encode()

        async def webhook(request: web.Request) -> web.Response:
            given = request.headers.get(SECRET_HEADER)
            if given is None:
                metrics.count_refused("secret")
                return web.Response(status=401, text="secret token missing")
            # Constant time: how much of a guess was right must not show in the answer's timing.
            if not hmac.compare_digest(given.encode(), expected):
                metrics.count_refused("secret")
                return web.Response(status=403, text="wrong secret token")
            if self.draining:  # Telegram retries a 5xx later, by then at another replica
                metrics.count_refused("stopping")
                return web.Response(status=503, text="stopping", headers={"Retry-After": "1"})
            try:
                update = json.loads(await request.read())
            except ValueError:
                update = None
            if not isinstance(update, dict) or not isinstance(update.get("update_id"), int):
                metrics.count_refused("malformed")
                return web.Response(status=400, text="not a Telegram update")
            try:
                await deliver(update)
            except ValueError:
                metrics.count_refused("malformed")
                return web.Response(status=400, text="not a Telegram update")
            log.debug("webhook update %s accepted", update["update_id"])
            return web.Response(status=200)

        self.add_route("POST", path, webhook)

    async def start(self) -> None:
        """Listen on host:port (port 0: a free one, then in ``self.port``)."""
        self._runner = web.AppRunner(self._app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        self.port = self._runner.addresses[0][1]
        log.info("HTTP server listening on %s:%s", self.host, self.port)

    @property
    def url(self) -> str:
        """The server's own base URL, e.g. ``http://127.0.0.1:8080``."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def drain(self) -> None:
        """Stop taking updates: the webhook and /healthz answer 503 from now on."""
        self.draining = True

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _healthz(self, request: web.Request) -> web.Response:
        if self.draining:
            return web.json_response({"status": "stopping", "checks": {}}, status=503)
        if self.health is None:
            return web.json_response({"status": "ok", "checks": {}})
        try:
            health = await asyncio.wait_for(self.health(), HEALTH_TIMEOUT)
        except TimeoutError:
            health = Health({"database": f"no answer within {HEALTH_TIMEOUT:.0f} s"})
        except Exception as exc:  # the health check itself failed: that is an unhealthy bot
            log.warning("health check failed: %s", exc)
            health = Health({"health": f"check failed: {type(exc).__name__}"})
        status = "ok" if health.ok else "unavailable"
        return web.json_response({"status": status, "checks": health.checks}, status=200 if health.ok else 503)

    async def _metrics(self, request: web.Request) -> web.Response:
        body, content_type = metrics.render()
        response = web.Response(body=body)
        response.headers["Content-Type"] = content_type
        return response
