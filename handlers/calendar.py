"""GET /calendar/<token>.ics on the bot's HTTP server: a user's live calendar feed.

The feed is built again on every request (off the event loop), from the live content and the
user's subscriptions; an unchanged feed is answered 304 to a client that sends its ETag back.
An unknown, malformed or revoked token is 404, the same answer whatever was wrong with it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from aiohttp import web

from handlers.http import Handler, HttpServer
from reminders.calendar import CalendarArea

log = logging.getLogger(__name__)

#: The route; the token's own shape is checked by the feature (reminders/calendar.py).
ROUTE = "/calendar/{token:[A-Za-z0-9_-]{1,100}}.ics"
CONTENT_TYPE = "text/calendar; charset=utf-8"
#: The address is a secret: no shared cache keeps the feed, and no page it is opened from leaks it.
PRIVATE = {"Cache-Control": "private, no-cache", "Referrer-Policy": "no-referrer", "X-Robots-Tag": "noindex"}


def feed_handler(calendars: Callable[[], CalendarArea | None]) -> Handler:
    """The handler of ``ROUTE``; ``calendars`` gives the feature once the bot is built (post_init)."""

    async def serve_feed(request: web.Request) -> web.StreamResponse:
        area = calendars()
        if area is None:  # the bot is still starting
            return web.Response(status=503, text="starting", headers={"Retry-After": "5"})
        feed = await asyncio.to_thread(area.feed_for_token, request.match_info["token"])
        if feed is None:
            return web.Response(status=404, text="no such calendar", headers=PRIVATE)
        headers = {**PRIVATE, "ETag": feed.etag}
        if feed.etag in _tags(request.headers.get("If-None-Match", "")):
            return web.Response(status=304, headers=headers)
        response = web.Response(body=feed.body, headers=headers)
        response.headers["Content-Type"] = CONTENT_TYPE
        return response

    return serve_feed


def _tags(header: str) -> set[str]:
    """The entity tags of an If-None-Match header (weak ones compared by their value)."""
    return {tag.strip().removeprefix("W/") for tag in header.split(",") if tag.strip()}


def add_calendar_routes(server: HttpServer, calendars: Callable[[], CalendarArea | None]) -> None:
    """Serve the feeds on ``server`` (GET, and HEAD for clients that check before fetching)."""
    handler = feed_handler(calendars)
    server.add_route("GET", ROUTE, handler)
    server.add_route("HEAD", ROUTE, handler)
