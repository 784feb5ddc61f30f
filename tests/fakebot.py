"""A local fake of the Telegram Bot API, so end-to-end tests run the real PTB stack offline.

The real ``telegram.ext.Application`` long-polls this server exactly as it would poll
api.telegram.org; tests inject updates (``send_text``, ``press_button``, ...) and then assert
on what the bot sent (``await server.wait_for("sendMessage")``).  The server validates what
Telegram validates (HTML, callback_data, lengths) and can inject Telegram's failure modes
(429 flood waits, blocked users, migrations, slow responses) so error handling is tested too.

Typical fixture::

    @pytest.fixture
    async def server():
        async with FakeBotApi() as srv:
            yield srv

    async def test_x(server):
        app = server.application_builder().build()
        app.add_handler(...)
        async with server.polling(app):
            server.send_text(42, "/start")
            [msg] = await server.wait_for("sendMessage", chat_id=42)
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aiohttp import web

from tests.htmlcheck import (
    MAX_CAPTION_LENGTH,
    MAX_MESSAGE_LENGTH,
    TelegramHtmlError,
    assert_callback_data,
    assert_telegram_html,
    assert_text_length,
    parse_telegram_html,
)

if TYPE_CHECKING:
    from telegram.ext import Application, ApplicationBuilder

__all__ = [
    "BOT_ID",
    "BOT_USERNAME",
    "TOKEN",
    "ApiError",
    "WebhookPost",
    "Call",
    "FakeBotApi",
    "UploadedFile",
]

BOT_ID = 7000000001
BOT_USERNAME = "habitat_test_bot"
TOKEN = f"{BOT_ID}:AAFakeTokenForHabitatAssistantTests"

MAX_DOWNLOAD_BYTES = 20 * 1024 * 1024  # getFile refuses bigger files on the public Bot API

# Form/multipart bodies carry every value as a string; PTB JSON-encodes non-strings, so we
# decode all values except these, which are strings even when they look like numbers.
_STRING_PARAMS = frozenset(
    {
        "text", "caption", "parse_mode", "query", "callback_query_id", "inline_query_id", "next_offset",
        "switch_pm_text", "switch_pm_parameter", "description", "short_description", "name", "title",
        "url", "file_id", "action", "emoji", "business_connection_id", "message_effect_id",
        "inline_message_id", "language_code", "document", "photo", "audio", "video", "voice",
        "animation", "sticker", "video_note", "thumbnail", "custom_title", "question", "address",
        "phone_number", "first_name", "last_name", "vcard", "secret_token", "ip_address", "explanation",
    }
)  # fmt: skip

_CHAT_ACTIONS = frozenset(
    {
        "typing", "upload_photo", "record_video", "upload_video", "record_voice", "upload_voice",
        "upload_document", "choose_sticker", "find_location", "record_video_note", "upload_video_note",
    }
)  # fmt: skip

# Update types Telegram leaves out when allowed_updates is empty/unspecified.
_OPT_IN_UPDATES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})

_COMMAND_RE = re.compile(r"/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,64})?")
_BOT_COMMAND_RE = re.compile(r"[a-z0-9_]{1,32}")
_RETRY_AFTER_RE = re.compile(r"retry after (\d+(?:\.\d+)?)")


@dataclass
class UploadedFile:
    """A multipart file part, kept so tests can assert on exactly what was uploaded."""

    field: str
    filename: str | None
    data: bytes
    content_type: str | None = None


@dataclass
class Call:
    """One Bot API request as the fake saw it; ``time`` is ``time.monotonic()`` when processed."""

    method: str
    params: dict[str, Any]
    time: float
    ok: bool = True
    error_code: int | None = None
    description: str | None = None
    result: Any = None


@dataclass
class WebhookPost:
    """One POST of an update to the bot's webhook: the HTTP status it got (0: no connection)."""

    update_id: int
    status: int
    time: float


@dataclass
class ApiError:
    """An error Telegram itself would have produced (not an injected fault): a bot bug to look at."""

    method: str
    params: dict[str, Any]
    error_code: int
    description: str
    detail: str


@dataclass
class _Fault:
    method: str
    chat_id: int | str | None
    remaining: int | None
    status: int
    body: dict[str, Any]


@dataclass
class _Delay:
    method: str
    chat_id: int | str | None
    seconds: float
    remaining: int | None


@dataclass
class _StoredFile:
    file_id: str
    data: bytes
    file_name: str
    mime_type: str | None
    path: str


class _ApiFailure(Exception):
    """Raised by method handlers to answer with a Telegram error body."""

    def __init__(self, status: int, description: str, detail: str = "", *, bot_bug: bool = True) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.detail = detail or description
        self.bot_bug = bot_bug


class _Signal:
    """Edge-triggered broadcast usable from sync code: waiters grab ``event`` before checking state."""

    def __init__(self) -> None:
        self.event = asyncio.Event()

    def fire(self) -> None:
        self.event.set()
        self.event = asyncio.Event()


def _chat_key(value: Any) -> int | str | None:
    """Normalise chat ids so ``42``, ``"42"`` and ``42.0`` match each other."""
    if value is None or isinstance(value, UploadedFile):
        return None
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return value
    text = str(value)
    try:
        return int(text)
    except ValueError:
        return text


def _utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _command_entities(text: str | None) -> list[dict[str, Any]]:
    """Telegram marks a leading ``/command[@bot]`` as bot_command; PTB's CommandHandler relies on it."""
    if not text:
        return []
    m = _COMMAND_RE.match(text)
    if not m:
        return []
    return [{"type": "bot_command", "offset": 0, "length": _utf16_len(m.group(0))}]


def _is_send(method: str) -> bool:
    """Methods that post a new message and therefore count towards flood limits."""
    low = method.lower()
    return (low.startswith("send") and low != "sendchataction") or low in {
        "copymessage",
        "copymessages",
        "forwardmessage",
        "forwardmessages",
    }


def _coerce(name: str, value: str) -> Any:
    if name in _STRING_PARAMS:
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value


def _brief(params: dict[str, Any]) -> str:
    shown = {k: (v if not isinstance(v, str) or len(v) < 80 else v[:77] + "...") for k, v in params.items()}
    return repr(shown)


class FakeBotApi:
    """In-process fake of api.telegram.org for PTB end-to-end tests. See the module docstring."""

    def __init__(
        self,
        token: str | None = TOKEN,
        *,
        rate_limit_per_second: float | None = None,
        validate: bool = True,
    ) -> None:
        """``token=None`` accepts any token; ``validate=False`` turns off Telegram's content checks."""
        self.token = token
        self.rate_limit_per_second = rate_limit_per_second
        self.validate = validate
        self.calls: list[Call] = []
        #: (method, params) of every request as it arrives, before any injected delay: what is in flight
        self.started: list[tuple[str, dict[str, Any]]] = []
        self.errors: list[ApiError] = []
        self.messages: dict[tuple[int | str, int], dict[str, Any]] = {}
        self.commands: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self.menu_buttons: dict[int | str | None, dict[str, Any]] = {}
        self.undelivered: list[dict[str, Any]] = []
        self.polls_waiting = 0  # getUpdates requests currently parked in a long poll
        #: setWebhook's parameters while a webhook is set (then updates are POSTed, not polled)
        self.webhook: dict[str, Any] | None = None
        self.webhook_posts: list[WebhookPost] = []
        #: seconds before an update the webhook refused is posted again (Telegram waits longer)
        self.webhook_retry_delay = 0.2
        #: Replicas behind a load balancer at the webhook URL: each POST goes to the next one in
        #: turn (same path and query), so an update refused or lost at one is retried at another.
        self.webhook_upstreams: list[str] = []
        self._next_upstream = 0
        self._webhook_tasks: list[asyncio.Task[None]] = []
        self._webhook_retry_at: dict[int, float] = {}
        self._webhook_in_flight: set[int] = set()
        self.bot_user: dict[str, Any] = {
            "id": int(token.split(":", 1)[0]) if token and token.split(":", 1)[0].isdigit() else BOT_ID,
            "is_bot": True,
            "first_name": "Habitat Assistant",
            "username": BOT_USERNAME,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": True,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }
        self._updates: list[dict[str, Any]] = []
        self._allowed_updates: set[str] | None = None
        self._next_update_id = 1
        self._message_ids: dict[int | str, int] = {}
        self._chats: dict[int | str, dict[str, Any]] = {}
        self._files: dict[str, _StoredFile] = {}
        self._paths: dict[str, _StoredFile] = {}
        self._faults: list[_Fault] = []
        self._delays: list[_Delay] = []
        self._blocked: set[int | str] = set()
        #: Group administrators per chat, for getChatMember (everyone else is a plain member).
        self.chat_admins: dict[int, set[int]] = {}
        self._unknown: set[int | str] = set()
        self._send_times: list[float] = []
        self._file_seq = 0
        self._updates_signal = _Signal()
        self._calls_signal = _Signal()
        self._stopping = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self._url: str | None = None
        self._handlers: dict[str, Callable[[str, dict[str, Any]], Awaitable[Any]]] = {
            "getme": self._get_me,
            "setwebhook": self._set_webhook,
            "deletewebhook": self._delete_webhook,
            "getwebhookinfo": self._get_webhook_info,
            "getupdates": self._get_updates,
            "sendmessage": self._send_message,
            "editmessagetext": self._edit_message_text,
            "editmessagereplymarkup": self._edit_message_reply_markup,
            "editmessagecaption": self._edit_message_caption,
            "answercallbackquery": self._answer_callback_query,
            "answerinlinequery": self._answer_inline_query,
            "senddocument": self._send_document,
            "sendmediagroup": self._send_media_group,
            "setmycommands": self._set_my_commands,
            "deletemycommands": self._delete_my_commands,
            "getmycommands": self._get_my_commands,
            "setchatmenubutton": self._set_chat_menu_button,
            "getchatmenubutton": self._get_chat_menu_button,
            "sendchataction": self._send_chat_action,
            "getfile": self._get_file,
            "getchat": self._get_chat,
            "getchatmember": self._get_chat_member,
            "deletemessage": self._delete_message,
            "close": self._true,
            "logout": self._true,
        }

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> FakeBotApi:
        """Bind to an ephemeral 127.0.0.1 port so parallel test runs never collide."""
        self._stopping.clear()
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        app.router.add_get("/file/bot{token}/{path:.+}", self._download)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        host, port = self._runner.addresses[0][:2]
        self._url = f"http://{host}:{port}"
        return self

    async def stop(self) -> None:
        """Wake pending long polls and delays first so shutdown never waits on them."""
        self._stopping.set()
        self._updates_signal.fire()
        await self._stop_webhook()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeBotApi:
        return await self.start()

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    @property
    def url(self) -> str:
        """Base URL, e.g. ``http://127.0.0.1:PORT``; PTB needs ``{url}/bot`` and ``{url}/file/bot``."""
        if self._url is None:
            raise RuntimeError("FakeBotApi.start() has not been awaited")
        return self._url

    def application_builder(self) -> ApplicationBuilder:
        """An ApplicationBuilder already pointed at this server (token, base_url, base_file_url)."""
        from telegram.ext import ApplicationBuilder

        return (
            ApplicationBuilder()
            .token(self.token or TOKEN)
            .base_url(f"{self.url}/bot")
            .base_file_url(f"{self.url}/file/bot")
        )

    @contextlib.asynccontextmanager
    async def polling(self, app: Application, *, poll_timeout: int = 1) -> AsyncIterator[Application]:
        """Run ``app`` with long polling for the duration of the block, then shut it down cleanly."""
        await app.initialize()
        await app.start()
        assert app.updater is not None, "build the Application with an Updater to poll"
        await app.updater.start_polling(poll_interval=0, timeout=poll_timeout)
        try:
            yield app
        finally:
            if app.updater.running:
                await app.updater.stop()
            if app.running:
                await app.stop()
            await app.shutdown()

    # ------------------------------------------------------------------ recording

    def _matches(self, call: Call, method: str | None, chat_id: Any, include_failed: bool) -> bool:
        if method is not None and call.method.lower() != method.lower():
            return False
        if not include_failed and not call.ok:
            return False
        return chat_id is None or _chat_key(call.params.get("chat_id")) == _chat_key(chat_id)

    def sent(
        self,
        method: str | None = "sendMessage",
        chat_id: int | str | None = None,
        *,
        include_failed: bool = False,
    ) -> list[dict[str, Any]]:
        """Params of successful calls to ``method`` (None = any), optionally for one chat."""
        return [c.params for c in self.calls if self._matches(c, method, chat_id, include_failed)]

    async def wait_for(
        self,
        method: str | None = "sendMessage",
        count: int = 1,
        chat_id: int | str | None = None,
        timeout: float = 5.0,  # noqa: ASYNC109 - part of the documented helper API
        *,
        include_failed: bool = False,
    ) -> list[dict[str, Any]]:
        """Wait until at least ``count`` matching calls were recorded; fail loudly instead of sleeping."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            event = self._calls_signal.event
            found = self.sent(method, chat_id, include_failed=include_failed)
            if len(found) >= count:
                return found
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise AssertionError(self._timeout_report(method, count, chat_id, timeout, len(found)))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(event.wait(), remaining)

    async def wait_started(self, method: str, chat_id: int | str | None = None, timeout: float = 5.0) -> dict[str, Any]:  # noqa: ASYNC109
        """Wait until a request to ``method`` (for ``chat_id``) has arrived, answered or not; its params."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            event = self._calls_signal.event
            for name, params in self.started:
                if name.lower() == method.lower() and (chat_id is None or _chat_key(params.get("chat_id")) == _chat_key(chat_id)):
                    return params
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise AssertionError(f"timed out after {timeout}s waiting for a {method} request (chat_id={chat_id})")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(event.wait(), remaining)

    async def wait_for_posts(self, count: int = 1, timeout: float = 5.0) -> list[WebhookPost]:  # noqa: ASYNC109
        """Wait until ``count`` webhook posts have been answered (or failed); all posts so far."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            event = self._calls_signal.event
            if len(self.webhook_posts) >= count:
                return list(self.webhook_posts)
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise AssertionError(f"timed out after {timeout}s waiting for {count} webhook posts; "
                                     f"got {len(self.webhook_posts)}")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(event.wait(), remaining)

    def _timeout_report(self, method: str | None, count: int, chat_id: Any, timeout: float, got: int) -> str:
        lines = [f"timed out after {timeout}s waiting for {count} x {method} (chat_id={chat_id}); got {got}."]
        seen = [c for c in self.calls if c.method.lower() != "getupdates"]
        lines.append(f"{len(seen)} calls seen (getUpdates omitted):")
        lines += [
            f"  {c.method} {'ok' if c.ok else f'FAILED {c.error_code} {c.description}'} {_brief(c.params)}"
            for c in seen[-30:]
        ]
        if self.errors:
            lines.append("errors Telegram would have returned:")
            lines += [f"  {e.method}: {e.description} -- {e.detail}" for e in self.errors[-10:]]
        if self._updates:
            lines.append(f"{len(self._updates)} updates still unacknowledged (is the app polling?)")
        if self.undelivered:
            lines.append(
                f"{len(self.undelivered)} updates dropped by allowed_updates={self._allowed_updates}"
            )
        return "\n".join(lines)

    def last_message(self, chat_id: int | str) -> dict[str, Any]:
        """The newest message the bot has in ``chat_id`` (as Telegram returned it), e.g. to press its buttons."""
        key = _chat_key(chat_id)
        mine = [m for (chat, _), m in self.messages.items() if chat == key]
        if not mine:
            raise AssertionError(f"the bot has sent no message to chat {chat_id}")
        return max(mine, key=lambda m: m["message_id"])

    def clear(self) -> None:
        """Forget recorded calls, errors and send times (not messages, files or faults)."""
        self.calls.clear()
        self.started.clear()
        self.errors.clear()
        self._send_times.clear()

    def sent_per_window(self, window: float = 1.0, method: str | None = None) -> int:
        """Max successful sends within any ``window``-second sliding window (flood-limit check)."""
        times = sorted(
            c.time
            for c in self.calls
            if c.ok and (c.method.lower() == method.lower() if method else _is_send(c.method))
        )
        best, lo = 0, 0
        for hi, t in enumerate(times):
            while t - times[lo] >= window:
                lo += 1
            best = max(best, hi - lo + 1)
        return best

    # ------------------------------------------------------------------ fault injection

    def fail(
        self,
        method: str,
        *,
        times: int | None = 1,
        error_code: int = 429,
        description: str = "Too Many Requests: retry after 3",
        retry_after: float | None = None,
        migrate_to_chat_id: int | None = None,
        chat_id: int | str | None = None,
    ) -> None:
        """Answer the next ``times`` calls (None = forever) to ``method`` with a Telegram error.

        For 429 the retry_after parameter defaults to the number in the description. With
        ``migrate_to_chat_id`` and the default code, the answer is Telegram's 400 migration error.
        """
        parameters: dict[str, Any] = {}
        if migrate_to_chat_id is not None:
            if error_code == 429:
                error_code = 400
                description = "Bad Request: group chat was upgraded to a supergroup chat"
            parameters["migrate_to_chat_id"] = migrate_to_chat_id
        elif error_code == 429:
            if retry_after is None:
                m = _RETRY_AFTER_RE.search(description)
                retry_after = float(m.group(1)) if m else None
            elif description == "Too Many Requests: retry after 3":
                description = f"Too Many Requests: retry after {retry_after:g}"
        if retry_after is not None:
            parameters["retry_after"] = int(retry_after) if float(retry_after).is_integer() else retry_after
        body: dict[str, Any] = {"ok": False, "error_code": error_code, "description": description}
        if parameters:
            body["parameters"] = parameters
        self._faults.append(_Fault(method.lower(), _chat_key(chat_id), times, error_code, body))

    def block(self, chat_id: int | str) -> None:
        """Every call addressed to ``chat_id`` answers 403 like a user who blocked the bot."""
        self._blocked.add(_chat_key(chat_id))  # type: ignore[arg-type]

    def unblock(self, chat_id: int | str) -> None:
        self._blocked.discard(_chat_key(chat_id))  # type: ignore[arg-type]

    def unknown_chat(self, chat_id: int | str) -> None:
        """Every call addressed to ``chat_id`` answers 400 "chat not found"."""
        self._unknown.add(_chat_key(chat_id))  # type: ignore[arg-type]

    def delay(
        self, method: str, seconds: float, times: int | None = 1, *, chat_id: int | str | None = None
    ) -> None:
        """Hold the next ``times`` responses to ``method``; the call still takes effect, as on Telegram."""
        self._delays.append(_Delay(method.lower(), _chat_key(chat_id), seconds, times))

    def reset_faults(self) -> None:
        """Drop all pending fail/delay/block/unknown_chat injections."""
        self._faults.clear()
        self._delays.clear()
        self._blocked.clear()
        self._unknown.clear()

    def _take(self, items: list[Any], method: str, chat: Any) -> Any:
        for item in items:
            if item.method == method and (item.chat_id is None or item.chat_id == chat):
                if item.remaining is not None:
                    item.remaining -= 1
                    if item.remaining <= 0:
                        items.remove(item)
                return item
        return None

    # ------------------------------------------------------------------ update injection

    def add_file(
        self, file_id: str, data: bytes, file_name: str = "file.bin", mime_type: str | None = None
    ) -> str:
        """Make ``file_id`` resolvable by getFile and downloadable; returns the file_id."""
        stored = _StoredFile(file_id, data, file_name, mime_type, f"documents/{file_id}/{file_name}")
        self._files[file_id] = stored
        self._paths[stored.path] = stored
        return file_id

    def _user(self, user_id: int, language_code: str | None, username: str | None) -> dict[str, Any]:
        user: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": "Delegate"}
        if username:
            user["username"] = username
        if language_code:
            user["language_code"] = language_code
        return user

    def _chat(self, chat_id: int | str) -> dict[str, Any]:
        key = _chat_key(chat_id)
        assert key is not None
        if key in self._chats:
            return self._chats[key]
        if isinstance(key, str):
            return {"id": -1001000000000, "type": "channel", "title": key, "username": key.lstrip("@")}
        if key > 0:
            return {"id": key, "type": "private", "first_name": "Delegate"}
        kind = "supergroup" if str(key).startswith("-100") else "group"
        return {"id": key, "type": kind, "title": "Test group"}

    def _register_chat(self, chat_id: int, chat_type: str, username: str | None) -> dict[str, Any]:
        if chat_type == "private":
            chat: dict[str, Any] = {"id": chat_id, "type": "private", "first_name": "Delegate"}
            if username:
                chat["username"] = username
        else:
            chat = {"id": chat_id, "type": chat_type, "title": "Test group"}
        self._chats[chat_id] = chat
        return chat

    def _next_message_id(self, chat_id: int | str) -> int:
        key = _chat_key(chat_id)
        assert key is not None
        self._message_ids[key] = self._message_ids.get(key, 0) + 1
        return self._message_ids[key]

    def send_update(self, update: dict[str, Any]) -> int:
        """Queue a raw update (``update_id`` is assigned); returns its update_id."""
        update = {**update, "update_id": self._next_update_id}
        self._next_update_id += 1
        self._updates.append(update)
        self._updates_signal.fire()
        return update["update_id"]

    def _incoming(
        self,
        chat_id: int,
        user_id: int | None,
        language_code: str | None,
        chat_type: str,
        username: str | None,
    ) -> dict[str, Any]:
        chat = self._register_chat(chat_id, chat_type, username)
        uid = user_id if user_id is not None else (chat_id if chat_type == "private" else 424242)
        return {
            "message_id": self._next_message_id(chat_id),
            "date": int(time.time()),
            "chat": chat,
            "from": self._user(uid, language_code, username),
        }

    def send_text(
        self,
        chat_id: int,
        text: str,
        user_id: int | None = None,
        language_code: str | None = "zh",
        chat_type: str = "private",
        username: str | None = "delegate",
    ) -> int:
        """Inject a text message from a user; a leading ``/cmd`` gets its bot_command entity."""
        message = self._incoming(chat_id, user_id, language_code, chat_type, username)
        message["text"] = text
        if entities := _command_entities(text):
            message["entities"] = entities
        return self.send_update({"message": message})

    def send_document(
        self,
        chat_id: int,
        file_id: str,
        file_name: str = "document.pdf",
        caption: str | None = None,
        user_id: int | None = None,
        *,
        data: bytes | None = None,
        mime_type: str | None = None,
        language_code: str | None = "zh",
        chat_type: str = "private",
        username: str | None = "delegate",
    ) -> int:
        """Inject a document message; pass ``data`` to also make the file downloadable."""
        if data is not None:
            self.add_file(file_id, data, file_name, mime_type)
        stored = self._files.get(file_id)
        document: dict[str, Any] = {
            "file_id": file_id,
            "file_unique_id": f"u-{file_id}",
            "file_name": file_name,
        }
        if stored is not None:
            document["file_size"] = len(stored.data)
        if mime_type or (stored and stored.mime_type):
            document["mime_type"] = mime_type or (stored.mime_type if stored else None)
        message = self._incoming(chat_id, user_id, language_code, chat_type, username)
        message["document"] = document
        if caption is not None:
            message["caption"] = caption
            if entities := _command_entities(caption):
                message["caption_entities"] = entities
        return self.send_update({"message": message})

    def press_button(
        self,
        chat_id: int,
        message_id: int,
        data: str,
        user_id: int | None = None,
        *,
        language_code: str | None = "zh",
        username: str | None = "delegate",
    ) -> int:
        """Inject a callback_query for an inline button on a message the bot sent (or a stub of it)."""
        message = self.messages.get((_chat_key(chat_id), message_id))  # type: ignore[arg-type]
        if message is None:
            message = {
                "message_id": message_id,
                "date": int(time.time()),
                "chat": self._chat(chat_id),
                "from": self._bot_from(),
                "text": "(message not recorded by the fake)",
            }
        uid = user_id if user_id is not None else (chat_id if chat_id > 0 else 424242)
        update_id = self._next_update_id
        return self.send_update(
            {
                "callback_query": {
                    "id": f"cbq-{update_id}",
                    "from": self._user(uid, language_code, username),
                    "message": message,
                    "chat_instance": f"ci-{chat_id}",
                    "data": data,
                }
            }
        )

    def inline_query(
        self,
        user_id: int,
        query: str,
        offset: str = "",
        *,
        language_code: str | None = "zh",
        username: str | None = "delegate",
        chat_type: str | None = "sender",
    ) -> int:
        """Inject an inline query typed by ``user_id``."""
        update_id = self._next_update_id
        inline: dict[str, Any] = {
            "id": f"iq-{update_id}",
            "from": self._user(user_id, language_code, username),
            "query": query,
            "offset": offset,
        }
        if chat_type:
            inline["chat_type"] = chat_type
        return self.send_update({"inline_query": inline})

    # ------------------------------------------------------------------ HTTP plumbing

    async def _read_params(self, request: web.Request) -> dict[str, Any]:
        params: dict[str, Any] = {k: _coerce(k, v) for k, v in request.query.items()}
        if request.method != "POST" or not request.can_read_body:
            return params
        if request.content_type == "application/json":
            body = await request.json()
            if isinstance(body, dict):
                params.update(body)
            return params
        form = await request.post()
        for key, value in form.items():
            if isinstance(value, web.FileField):
                params[key] = UploadedFile(key, value.filename, value.file.read(), value.content_type)
            else:
                params[key] = _coerce(key, str(value))
        return params

    async def _handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        if self.token is not None and request.match_info["token"] != self.token:
            return web.json_response(
                {"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401
            )
        params = await self._read_params(request)
        self.started.append((method, params))
        self._calls_signal.fire()
        low = method.lower()
        chat = _chat_key(params.get("chat_id"))
        delay = self._take(self._delays, low, chat)
        if delay is not None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), delay.seconds)
        status, body = await self._dispatch(method, low, chat, params)
        call = Call(method, params, time.monotonic(), ok=body["ok"], result=body.get("result"))
        if not body["ok"]:
            call.error_code, call.description = body["error_code"], body["description"]
        self.calls.append(call)
        self._calls_signal.fire()
        return web.json_response(body, status=status)

    async def _dispatch(
        self, method: str, low: str, chat: int | str | None, params: dict[str, Any]
    ) -> tuple[int, dict[str, Any]]:
        if chat is not None and chat in self._blocked:
            return 403, {
                "ok": False,
                "error_code": 403,
                "description": "Forbidden: bot was blocked by the user",
            }
        if chat is not None and chat in self._unknown:
            return 400, {"ok": False, "error_code": 400, "description": "Bad Request: chat not found"}
        fault = self._take(self._faults, low, chat)
        if fault is not None:
            return fault.status, fault.body
        if _is_send(method) and self.rate_limit_per_second is not None:
            now = time.monotonic()
            recent = [t for t in self._send_times if t > now - 1.0]
            if len(recent) >= self.rate_limit_per_second:
                retry = max(1, math.ceil(recent[0] + 1.0 - now))
                return 429, {
                    "ok": False,
                    "error_code": 429,
                    "description": f"Too Many Requests: retry after {retry}",
                    "parameters": {"retry_after": retry},
                }
        handler = self._handlers.get(low)
        if handler is None:
            if _is_send(method):
                handler = self._send_generic
            elif low.startswith("editmessage"):
                handler = self._edit_generic
            else:
                handler = self._true
        try:
            result = await handler(method, params)
        except _ApiFailure as exc:
            if exc.bot_bug:
                self.errors.append(ApiError(method, params, exc.status, exc.description, exc.detail))
            return exc.status, {"ok": False, "error_code": exc.status, "description": exc.description}
        if _is_send(method):
            self._send_times.append(time.monotonic())
        return 200, {"ok": True, "result": result}

    async def _download(self, request: web.Request) -> web.Response:
        if self.token is not None and request.match_info["token"] != self.token:
            raise web.HTTPUnauthorized()
        stored = self._paths.get(request.match_info["path"])
        if stored is None:
            raise web.HTTPNotFound()
        return web.Response(body=stored.data, content_type=stored.mime_type or "application/octet-stream")

    # ------------------------------------------------------------------ validation helpers

    def _check(self, check: Callable[[], None]) -> None:
        """Turn an htmlcheck AssertionError into the 400 Telegram would send."""
        if not self.validate:
            return
        try:
            check()
        except TelegramHtmlError as exc:
            raise _ApiFailure(400, exc.description, str(exc)) from exc

    def _render(
        self, text: Any, parse_mode: Any, entities: Any, *, max_length: int, allow_empty: bool
    ) -> tuple[str, list[dict[str, Any]] | None]:
        """Validate text like Telegram and return (plain text, entities) for the echoed Message."""
        if text is None:
            text = ""
        text = str(text)
        if isinstance(parse_mode, str) and parse_mode.lower() == "html":
            self._check(lambda: assert_telegram_html(text, max_length=max_length, allow_empty=allow_empty))
            try:
                plain, parsed = parse_telegram_html(text)
            except TelegramHtmlError:  # only reachable with validate=False
                return text, None
            return plain, parsed or None
        self._check(lambda: assert_text_length(text, max_length=max_length, allow_empty=allow_empty))
        return text, entities if isinstance(entities, list) and entities else None

    def _check_markup(self, markup: Any) -> dict[str, Any] | None:
        """Validate reply_markup; return it only if Telegram would echo it (inline keyboards)."""
        if markup is None:
            return None
        self._check(lambda: assert_callback_data(markup))
        if isinstance(markup, dict) and "inline_keyboard" in markup:
            return markup
        return None

    def _require_chat(self, params: dict[str, Any]) -> int | str:
        chat = _chat_key(params.get("chat_id"))
        if chat is None:
            raise _ApiFailure(400, "Bad Request: chat_id is empty")
        return chat

    def _bot_from(self) -> dict[str, Any]:
        return {k: self.bot_user[k] for k in ("id", "is_bot", "first_name", "username")}

    def _new_message(self, chat: int | str, **fields: Any) -> dict[str, Any]:
        message_id = self._next_message_id(chat)
        message: dict[str, Any] = {
            "message_id": message_id,
            "date": int(time.time()),
            "chat": self._chat(chat),
            "from": self._bot_from(),
        }
        message.update({k: v for k, v in fields.items() if v is not None})
        self.messages[(chat, message_id)] = message
        return message

    def _target(self, params: dict[str, Any]) -> tuple[int | str, int] | None:
        """(chat, message_id) for edits, or None for inline-message edits (which return True)."""
        if params.get("inline_message_id"):
            return None
        chat = self._require_chat(params)
        message_id = params.get("message_id")
        if not isinstance(message_id, int):
            raise _ApiFailure(400, "Bad Request: message identifier is not specified")
        return chat, message_id

    def _apply_edit(self, key: tuple[int | str, int], changes: dict[str, Any]) -> dict[str, Any]:
        """Edit a stored message; identical content is an error on Telegram, so it is here too."""
        old = self.messages.get(key)
        if old is None:  # lenient: a message the fake never saw (e.g. sent before a clear)
            old = {
                "message_id": key[1],
                "date": int(time.time()),
                "chat": self._chat(key[0]),
                "from": self._bot_from(),
            }
        new = {**old}
        for name, value in changes.items():
            if value is None:
                new.pop(name, None)
            else:
                new[name] = value
        if key in self.messages and all(old.get(k) == new.get(k) for k in changes):
            raise _ApiFailure(
                400,
                "Bad Request: message is not modified: specified new message content and reply markup are "
                "exactly the same as a current content and reply markup of the message",
            )
        new["edit_date"] = int(time.time())
        self.messages[key] = new
        return new

    # ------------------------------------------------------------------ Bot API methods

    async def _true(self, method: str, params: dict[str, Any]) -> bool:
        return True

    async def _get_me(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        return self.bot_user

    async def _set_webhook(self, method: str, params: dict[str, Any]) -> bool:
        """Telegram POSTs each update to ``url`` from now on, with ``secret_token`` in a header."""
        url = params.get("url")
        if not url:
            return await self._delete_webhook(method, params)
        if not isinstance(url, str) or not re.match(r"^https?://", url):
            raise _ApiFailure(400, "Bad Request: bad webhook: An HTTPS URL must be provided for webhook")
        secret = params.get("secret_token")
        if secret is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", str(secret)):
            raise _ApiFailure(400, "Bad Request: secret token contains unallowed characters")
        allowed = params.get("allowed_updates")
        if isinstance(allowed, list):
            self._allowed_updates = set(allowed) or None
        if params.get("drop_pending_updates"):
            self._updates.clear()
        connections = int(params.get("max_connections") or 40)
        same = self.webhook is not None and self.webhook["max_connections"] == connections and self._webhook_tasks
        self.webhook = {"url": url, "secret_token": secret, "allowed_updates": allowed, "max_connections": connections}
        if same:  # setting it again (another replica starting): posts under way go on, as on Telegram
            return True
        await self._stop_webhook()
        self._webhook_tasks = [asyncio.create_task(self._webhook_worker()) for _ in range(max(1, min(connections, 100)))]
        return True

    async def _delete_webhook(self, method: str, params: dict[str, Any]) -> bool:
        self.webhook = None
        await self._stop_webhook()
        if params.get("drop_pending_updates"):
            self._updates.clear()
        return True

    async def _stop_webhook(self) -> None:
        tasks, self._webhook_tasks = self._webhook_tasks, []
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._webhook_in_flight.clear()

    def _next_for_webhook(self) -> dict[str, Any] | None:
        self._drop_disallowed()
        now = time.monotonic()
        for update in self._updates:
            uid = update["update_id"]
            if uid not in self._webhook_in_flight and self._webhook_retry_at.get(uid, 0.0) <= now:
                return update
        return None

    async def _webhook_worker(self) -> None:
        """One of Telegram's ``max_connections``: POST the oldest update not in flight; retry refusals."""
        import aiohttp

        async with aiohttp.ClientSession() as session:
            while self.webhook is not None and not self._stopping.is_set():
                event = self._updates_signal.event
                update = self._next_for_webhook()
                if update is None:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(event.wait(), self.webhook_retry_delay / 2)
                    continue
                uid = update["update_id"]
                self._webhook_in_flight.add(uid)
                headers = {}
                if self.webhook.get("secret_token"):
                    headers["X-Telegram-Bot-Api-Secret-Token"] = self.webhook["secret_token"]
                try:
                    async with session.post(self._webhook_target(), json=update, headers=headers,
                                            timeout=aiohttp.ClientTimeout(total=60)) as response:
                        status = response.status
                except (aiohttp.ClientError, TimeoutError):
                    status = 0
                finally:
                    self._webhook_in_flight.discard(uid)
                self.webhook_posts.append(WebhookPost(uid, status, time.monotonic()))
                if 200 <= status < 300:
                    self._updates = [u for u in self._updates if u["update_id"] != uid]
                    self._webhook_retry_at.pop(uid, None)
                else:
                    self._webhook_retry_at[uid] = time.monotonic() + self.webhook_retry_delay
                self._calls_signal.fire()

    def _webhook_target(self) -> str:
        """The registered URL, or the next upstream behind it (round robin, as a load balancer)."""
        assert self.webhook is not None
        url = str(self.webhook["url"])
        if not self.webhook_upstreams:
            return url
        upstream = self.webhook_upstreams[self._next_upstream % len(self.webhook_upstreams)]
        self._next_upstream += 1
        path = re.sub(r"^https?://[^/]+", "", url)
        return upstream.rstrip("/") + path

    async def _get_webhook_info(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        info: dict[str, Any] = {
            "url": self.webhook["url"] if self.webhook else "",
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }
        if self.webhook:
            info["max_connections"] = self.webhook["max_connections"]
            if self.webhook.get("allowed_updates") is not None:
                info["allowed_updates"] = self.webhook["allowed_updates"]
            failed = [p for p in self.webhook_posts if not 200 <= p.status < 300]
            if failed:
                info["last_error_date"] = int(time.time())
                info["last_error_message"] = f"Wrong response from the webhook: {failed[-1].status}"
        return info

    async def _get_updates(self, method: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        """Long poll: confirm updates below ``offset``, then wait up to ``timeout`` for new ones."""
        if self.webhook is not None:
            raise _ApiFailure(
                409, "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete "
                "the webhook first", bot_bug=False,
            )
        offset = int(params.get("offset") or 0)
        timeout = float(params.get("timeout") or 0)
        limit = max(1, min(100, int(params.get("limit") or 100)))
        allowed = params.get("allowed_updates")
        if isinstance(allowed, list):
            self._allowed_updates = set(allowed) or None
        if offset > 0:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            event = self._updates_signal.event
            self._drop_disallowed()
            pending = self._updates[offset:] if offset < 0 else self._updates
            if pending or self._stopping.is_set():
                return pending[:limit]
            remaining = deadline - loop.time()
            if remaining <= 0:
                return []
            self.polls_waiting += 1
            try:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(event.wait(), remaining)
            finally:
                self.polls_waiting -= 1

    def _drop_disallowed(self) -> None:
        def allowed(update: dict[str, Any]) -> bool:
            kind = next(k for k in update if k != "update_id")
            if self._allowed_updates is None:
                return kind not in _OPT_IN_UPDATES
            return kind in self._allowed_updates

        keep = [u for u in self._updates if allowed(u)]
        if len(keep) != len(self._updates):
            self.undelivered += [u for u in self._updates if not allowed(u)]
            self._updates = keep

    async def _send_message(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        chat = self._require_chat(params)
        if "text" not in params:
            raise _ApiFailure(400, "Bad Request: message text is empty")
        text, entities = self._render(
            params["text"], params.get("parse_mode"), params.get("entities"),
            max_length=MAX_MESSAGE_LENGTH, allow_empty=False,
        )  # fmt: skip
        markup = self._check_markup(params.get("reply_markup"))
        return self._new_message(chat, text=text, entities=entities, reply_markup=markup)

    async def _edit_message_text(self, method: str, params: dict[str, Any]) -> dict[str, Any] | bool:
        text, entities = self._render(
            params.get("text"), params.get("parse_mode"), params.get("entities"),
            max_length=MAX_MESSAGE_LENGTH, allow_empty=False,
        )  # fmt: skip
        markup = self._check_markup(params.get("reply_markup"))
        key = self._target(params)
        if key is None:
            return True
        return self._apply_edit(key, {"text": text, "entities": entities, "reply_markup": markup})

    async def _edit_message_reply_markup(self, method: str, params: dict[str, Any]) -> dict[str, Any] | bool:
        markup = self._check_markup(params.get("reply_markup"))
        key = self._target(params)
        if key is None:
            return True
        return self._apply_edit(key, {"reply_markup": markup})

    async def _edit_message_caption(self, method: str, params: dict[str, Any]) -> dict[str, Any] | bool:
        caption, entities = self._render(
            params.get("caption"), params.get("parse_mode"), params.get("caption_entities"),
            max_length=MAX_CAPTION_LENGTH, allow_empty=True,
        )  # fmt: skip
        markup = self._check_markup(params.get("reply_markup"))
        key = self._target(params)
        if key is None:
            return True
        return self._apply_edit(
            key, {"caption": caption or None, "caption_entities": entities, "reply_markup": markup}
        )

    async def _edit_generic(self, method: str, params: dict[str, Any]) -> dict[str, Any] | bool:
        markup = self._check_markup(params.get("reply_markup"))
        key = self._target(params)
        if key is None:
            return True
        message = self.messages.get(key) or self._apply_edit(key, {})
        if markup is not None:
            message["reply_markup"] = markup
        return message

    async def _answer_callback_query(self, method: str, params: dict[str, Any]) -> bool:
        if not params.get("callback_query_id"):
            raise _ApiFailure(
                400, "Bad Request: query is too old and response timeout expired or query ID is invalid"
            )
        text = params.get("text")
        if self.validate and isinstance(text, str) and len(text) > 200:
            raise _ApiFailure(
                400, "Bad Request: MESSAGE_TOO_LONG", f"answerCallbackQuery text is {len(text)} > 200"
            )
        return True

    async def _answer_inline_query(self, method: str, params: dict[str, Any]) -> bool:
        results = params.get("results")
        if not isinstance(results, list):
            raise _ApiFailure(
                400, "Bad Request: RESULTS_INVALID", f"results must be a JSON list, got {results!r}"
            )
        if not self.validate:
            return True
        if len(results) > 50:
            raise _ApiFailure(400, "Bad Request: RESULTS_TOO_MUCH", f"{len(results)} results > 50")
        ids = [str(r.get("id", "")) for r in results]
        for rid in ids:
            if not 1 <= len(rid.encode("utf-8")) <= 64:
                raise _ApiFailure(400, "Bad Request: RESULT_ID_INVALID", f"result id {rid!r} not 1-64 bytes")
        if len(set(ids)) != len(ids):
            raise _ApiFailure(400, "Bad Request: RESULT_ID_DUPLICATE", f"duplicate result ids in {ids}")
        if len(str(params.get("next_offset") or "").encode("utf-8")) > 64:
            raise _ApiFailure(400, "Bad Request: NEXT_OFFSET_INVALID", "next_offset over 64 bytes")
        for result in results:
            content = result.get("input_message_content") or {}
            if "message_text" in content:
                self._render(
                    content["message_text"], content.get("parse_mode"), None,
                    max_length=MAX_MESSAGE_LENGTH, allow_empty=False,
                )  # fmt: skip
            if "caption" in result:
                self._render(
                    result["caption"],
                    result.get("parse_mode"),
                    None,
                    max_length=MAX_CAPTION_LENGTH,
                    allow_empty=True,
                )
            self._check_markup(result.get("reply_markup"))
        return True

    def _document_object(self, value: Any) -> dict[str, Any]:
        """A Document for an uploaded file (stored for getFile) or an existing file_id."""
        if isinstance(value, UploadedFile):
            self._file_seq += 1
            file_id = f"BQACAgfake{self._file_seq}"
            self.add_file(file_id, value.data, value.filename or "file", value.content_type)
        elif isinstance(value, str) and value:
            file_id = value
        else:
            raise _ApiFailure(400, "Bad Request: there is no document in the request")
        stored = self._files.get(file_id)
        document: dict[str, Any] = {"file_id": file_id, "file_unique_id": f"u-{file_id}"}
        if stored is not None:
            document.update(file_name=stored.file_name, file_size=len(stored.data))
            if stored.mime_type:
                document["mime_type"] = stored.mime_type
        return document

    async def _send_document(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        chat = self._require_chat(params)
        document = self._document_object(params.get("document"))
        caption, entities = self._render(
            params.get("caption"), params.get("parse_mode"), params.get("caption_entities"),
            max_length=MAX_CAPTION_LENGTH, allow_empty=True,
        )  # fmt: skip
        markup = self._check_markup(params.get("reply_markup"))
        return self._new_message(
            chat, document=document, caption=caption or None, caption_entities=entities, reply_markup=markup
        )

    async def _send_media_group(self, method: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        chat = self._require_chat(params)
        media = params.get("media")
        count = len(media) if isinstance(media, list) else 0
        if not 2 <= count <= 10:
            raise _ApiFailure(400, "Bad Request: media group must contain 2-10 items", f"got {count} items")
        return [self._new_message(chat, media_group_id="fake-group") for _ in range(count)]

    async def _send_generic(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        chat = self._require_chat(params)
        caption, entities = self._render(
            params.get("caption"), params.get("parse_mode"), params.get("caption_entities"),
            max_length=MAX_CAPTION_LENGTH, allow_empty=True,
        )  # fmt: skip
        markup = self._check_markup(params.get("reply_markup"))
        return self._new_message(
            chat, caption=caption or None, caption_entities=entities, reply_markup=markup
        )

    def _scope_key(self, params: dict[str, Any]) -> tuple[str, str]:
        scope = params.get("scope") or {"type": "default"}
        return json.dumps(scope, sort_keys=True), str(params.get("language_code") or "")

    async def _set_my_commands(self, method: str, params: dict[str, Any]) -> bool:
        commands = params.get("commands")
        if not isinstance(commands, list) or len(commands) > 100:
            raise _ApiFailure(400, "Bad Request: BOT_COMMANDS_TOO_MUCH", f"commands={commands!r}")
        for cmd in commands:
            name, desc = str(cmd.get("command", "")), str(cmd.get("description", ""))
            if self.validate and not _BOT_COMMAND_RE.fullmatch(name):
                raise _ApiFailure(
                    400, "Bad Request: BOT_COMMAND_INVALID", f"command {name!r}: 1-32 of [a-z0-9_]"
                )
            if self.validate and not 1 <= len(desc) <= 256:
                raise _ApiFailure(
                    400, "Bad Request: command description is empty or too long", f"{name}: {desc!r}"
                )
        self.commands[self._scope_key(params)] = commands
        return True

    async def _delete_my_commands(self, method: str, params: dict[str, Any]) -> bool:
        self.commands.pop(self._scope_key(params), None)
        return True

    async def _get_my_commands(self, method: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        return self.commands.get(self._scope_key(params), [])

    async def _set_chat_menu_button(self, method: str, params: dict[str, Any]) -> bool:
        self.menu_buttons[_chat_key(params.get("chat_id"))] = params.get("menu_button") or {"type": "default"}
        return True

    async def _get_chat_menu_button(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        button = self.menu_buttons.get(_chat_key(params.get("chat_id")))
        if button is None or button.get("type") == "default":
            button = self.menu_buttons.get(None) or {"type": "commands"}
        return button if button.get("type") != "default" else {"type": "commands"}

    async def _send_chat_action(self, method: str, params: dict[str, Any]) -> bool:
        self._require_chat(params)
        if self.validate and params.get("action") not in _CHAT_ACTIONS:
            raise _ApiFailure(
                400, "Bad Request: wrong parameter action in request", repr(params.get("action"))
            )
        return True

    async def _get_file(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        stored = self._files.get(str(params.get("file_id")))
        if stored is None:
            raise _ApiFailure(
                400, "Bad Request: invalid file_id", f"file_id {params.get('file_id')!r} not add_file()d"
            )
        if len(stored.data) > MAX_DOWNLOAD_BYTES:
            raise _ApiFailure(400, "Bad Request: file is too big", f"{len(stored.data)} bytes", bot_bug=False)
        return {
            "file_id": stored.file_id,
            "file_unique_id": f"u-{stored.file_id}",
            "file_size": len(stored.data),
            "file_path": stored.path,
        }

    async def _get_chat_member(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        chat = self._require_chat(params)
        user_id = int(params["user_id"])
        admin = isinstance(chat, int) and user_id in self.chat_admins.get(chat, set())
        member: dict[str, Any] = {"status": "administrator" if admin else "member",
                                  "user": self._user(user_id, None, None)}
        if admin:
            member.update({
                "can_be_edited": False, "is_anonymous": False, "can_manage_chat": True, "can_delete_messages": True,
                "can_manage_video_chats": True, "can_restrict_members": True, "can_promote_members": False,
                "can_change_info": True, "can_invite_users": True, "can_post_stories": False,
                "can_edit_stories": False, "can_delete_stories": False,
            })
        return member

    async def _get_chat(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        chat = self._chat(self._require_chat(params))
        return {
            **chat,
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": {
                "unlimited_gifts": False,
                "limited_gifts": False,
                "unique_gifts": False,
                "premium_subscription": False,
                "gifts_from_channels": False,
            },
        }

    async def _delete_message(self, method: str, params: dict[str, Any]) -> bool:
        chat = self._require_chat(params)
        self.messages.pop((chat, params.get("message_id")), None)  # type: ignore[arg-type]
        return True
