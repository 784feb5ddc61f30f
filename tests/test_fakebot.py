"""Proves the fake Bot API speaks Telegram well enough for the real PTB Application to run on it.

If these pass, end-to-end tests built on ``FakeBotApi`` exercise the genuine PTB request,
polling and parsing code; only the network peer is fake.
"""

from __future__ import annotations

import asyncio
import html
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from telegram import (
    Bot,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InlineQueryResultArticle,
    InputTextMessageContent,
)
from telegram import Update as TgUpdate
from telegram.constants import ParseMode
from telegram.error import BadRequest, ChatMigrated, Forbidden, InvalidToken, RetryAfter, TimedOut
from telegram.ext import (
    AIORateLimiter,
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    InlineQueryHandler,
    MessageHandler,
    filters,
)
from telegram.request import HTTPXRequest

from tests.fakebot import BOT_USERNAME, TOKEN, FakeBotApi, UploadedFile
from tests.htmlcheck import assert_callback_data, assert_telegram_html, parse_telegram_html

CHAT = 1001

# PTB itself reads RetryAfter.retry_after internally, which warns about its int -> timedelta migration.
pytestmark = pytest.mark.filterwarnings("ignore:Deprecated since version v22.2.*retry_after")


@pytest.fixture
async def server() -> AsyncIterator[FakeBotApi]:
    async with FakeBotApi() as srv:
        yield srv


def make_bot(server: FakeBotApi, *, read_timeout: float = 5.0) -> Bot:
    """A bare Bot for fault tests: no polling needed to check how errors surface."""
    return Bot(
        TOKEN,
        base_url=f"{server.url}/bot",
        base_file_url=f"{server.url}/file/bot",
        request=HTTPXRequest(read_timeout=read_timeout),
    )


async def echo(update: TgUpdate, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The handler from the brief: reply with the command's arguments, HTML-escaped and bolded."""
    assert update.effective_message is not None
    reply = await update.effective_message.reply_text(
        f"<b>echo:</b> {html.escape(' '.join(context.args or []))}", parse_mode=ParseMode.HTML
    )
    context.bot_data.setdefault("replies", []).append(reply)


def echo_app(server: FakeBotApi, **builder: Any) -> Application:
    app_builder = server.application_builder()
    if "rate_limiter" in builder:
        app_builder = app_builder.rate_limiter(builder["rate_limiter"])
    app = app_builder.build()
    app.add_handler(CommandHandler("echo", echo))
    return app


def capture_errors(app: Application) -> list[BaseException]:
    """Collect handler exceptions so tests can assert how PTB surfaced a Telegram error."""
    seen: list[BaseException] = []

    async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert context.error is not None
        seen.append(context.error)

    app.add_error_handler(on_error)
    return seen


async def wait_until(predicate: Any, limit: float = 2.0) -> None:
    """Poll a condition driven by the app's own tasks (error handlers have no server-side trace)."""
    deadline = time.monotonic() + limit
    while not predicate():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.01)


# --------------------------------------------------------------------------- real Application


async def test_echo_command_round_trip(server: FakeBotApi) -> None:
    app = echo_app(server)
    async with server.polling(app):
        server.send_text(CHAT, "/echo a < b & c")
        [sent] = await server.wait_for("sendMessage", chat_id=CHAT)
    assert sent["text"] == "<b>echo:</b> a &lt; b &amp; c"
    assert sent["parse_mode"] == "HTML"
    assert sent["chat_id"] == CHAT
    # The result parsed into a real Message: plain text, entity offsets, per-chat message ids.
    [reply] = app.bot_data["replies"]
    assert reply.text == "echo: a < b & c"
    assert reply.entities[0].type == "bold" and reply.entities[0].length == 5
    assert reply.message_id == 2  # the user's /echo was message 1 in this chat
    assert server.errors == []
    assert {"getMe", "deleteWebhook", "getUpdates"} <= {c.method for c in server.calls}


async def test_group_command_addressed_to_bot(server: FakeBotApi) -> None:
    app = echo_app(server)
    async with server.polling(app):
        server.send_text(-100123, f"/echo@{BOT_USERNAME} hi", user_id=5, chat_type="supergroup")
        [sent] = await server.wait_for(chat_id=-100123)
    assert sent["text"] == "<b>echo:</b> hi"


async def test_429_is_surfaced_as_retry_after(server: FakeBotApi) -> None:
    app = echo_app(server)
    errors = capture_errors(app)
    server.fail("sendMessage")
    async with server.polling(app):
        server.send_text(CHAT, "/echo x")
        [failed] = await server.wait_for(include_failed=True)
        await wait_until(lambda: errors)
    assert isinstance(errors[0], RetryAfter)
    assert "Retry in 3" in str(errors[0])
    assert server.sent() == []
    assert [c.error_code for c in server.calls if c.method == "sendMessage"] == [429]
    assert failed["text"] == "<b>echo:</b> x"


async def test_429_is_retried_by_ptb_rate_limiter(server: FakeBotApi) -> None:
    app = echo_app(server, rate_limiter=AIORateLimiter(max_retries=2))
    server.fail("sendMessage", retry_after=0.2)
    async with server.polling(app):
        server.send_text(CHAT, "/echo again")
        [ok] = await server.wait_for()
    assert ok["text"] == "<b>echo:</b> again"
    assert [c.ok for c in server.calls if c.method == "sendMessage"] == [False, True]


async def test_callback_button_and_edit(server: FakeBotApi) -> None:
    async def menu(update: TgUpdate, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("议程", callback_data="agenda:1")]])
        await update.effective_message.reply_text("Menu", reply_markup=keyboard)

    async def pressed(update: TgUpdate, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        assert query is not None and query.message is not None
        await query.answer()
        await query.edit_message_text(
            f"<i>{html.escape(query.data or '')}</i> on {query.message.text}", parse_mode="HTML"
        )

    app = server.application_builder().build()
    app.add_handler(CommandHandler("menu", menu))
    app.add_handler(CallbackQueryHandler(pressed))
    async with server.polling(app):
        server.send_text(CHAT, "/menu")
        await server.wait_for("sendMessage")
        message = server.last_message(CHAT)
        assert message["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "agenda:1"
        server.press_button(CHAT, message["message_id"], "agenda:1")
        [edit] = await server.wait_for("editMessageText")
        await server.wait_for("answerCallbackQuery")
    assert edit["text"] == "<i>agenda:1</i> on Menu"
    assert edit["message_id"] == message["message_id"]
    assert server.last_message(CHAT)["text"] == "agenda:1 on Menu"
    assert server.errors == []


async def test_document_download_and_upload(server: FakeBotApi) -> None:
    async def on_document(update: TgUpdate, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        assert message is not None and message.document is not None
        data = await (await message.document.get_file()).download_as_bytearray()
        await message.reply_document(bytes(data).upper(), filename="upper.txt", caption=f"{len(data)} bytes")

    app = server.application_builder().build()
    app.add_handler(MessageHandler(filters.Document.ALL, on_document))
    async with server.polling(app):
        server.send_document(CHAT, "DOC1", "notes.txt", "/import now", data=b"hello habitat")
        [sent] = await server.wait_for("sendDocument")
    upload = sent["document"]
    assert isinstance(upload, UploadedFile)
    assert (upload.filename, upload.data) == ("upper.txt", b"HELLO HABITAT")
    assert sent["caption"] == "13 bytes"
    assert server.sent("getFile")[0]["file_id"] == "DOC1"
    document = server.last_message(CHAT)["document"]
    assert document["file_name"] == "upper.txt" and document["file_size"] == 13


async def test_inline_query_answer(server: FakeBotApi) -> None:
    async def on_inline(update: TgUpdate, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.inline_query is not None
        query = update.inline_query.query
        content = InputTextMessageContent(f"<b>{html.escape(query)}</b>", parse_mode="HTML")
        await update.inline_query.answer([InlineQueryResultArticle("r1", query, content)], cache_time=0)

    app = server.application_builder().build()
    app.add_handler(InlineQueryHandler(on_inline))
    async with server.polling(app):
        server.inline_query(77, "<venue>")
        [answer] = await server.wait_for("answerInlineQuery")
    assert answer["inline_query_id"].startswith("iq-")
    assert answer["results"][0]["input_message_content"]["message_text"] == "<b>&lt;venue&gt;</b>"


# --------------------------------------------------------------------------- faults with a bare Bot


async def test_block_unknown_chat_and_migration(server: FakeBotApi) -> None:
    server.block(5)
    server.unknown_chat(6)
    server.fail("sendMessage", migrate_to_chat_id=-1009, chat_id=-7)
    async with make_bot(server) as bot:
        with pytest.raises(Forbidden, match="(?i)blocked by the user"):
            await bot.send_message(5, "hi")
        with pytest.raises(BadRequest, match="(?i)chat not found"):
            await bot.send_message(6, "hi")
        with pytest.raises(ChatMigrated) as migrated:
            await bot.send_message(-7, "hi")
        assert migrated.value.new_chat_id == -1009
        await bot.send_message(-7, "hi again")  # the fault was for one call only
        await bot.send_message(8, "unaffected")
    assert [p["chat_id"] for p in server.sent()] == [-7, 8]
    assert server.errors == []  # injected faults are not bot bugs


async def test_delay_provokes_read_timeout_but_message_lands(server: FakeBotApi) -> None:
    server.delay("sendMessage", 0.4)
    async with make_bot(server, read_timeout=0.1) as bot:
        with pytest.raises(TimedOut):
            await bot.send_message(CHAT, "slow")
        [sent] = await server.wait_for(timeout=2)
    assert sent["text"] == "slow"


async def test_global_rate_limit_and_window_count() -> None:
    async with FakeBotApi(rate_limit_per_second=3) as server, make_bot(server) as bot:
        for i in range(3):
            await bot.send_message(CHAT, f"m{i}")
        with pytest.raises(RetryAfter):
            await bot.send_message(CHAT, "too many")
        assert server.sent_per_window() == 3
        assert len(server.sent(include_failed=True)) == 4


async def test_server_rejects_bad_html_and_long_callback_data(server: FakeBotApi) -> None:
    async with make_bot(server) as bot:
        with pytest.raises(BadRequest, match="(?i)can't parse entities"):
            await bot.send_message(CHAT, "<b>unclosed", parse_mode="HTML")
        with pytest.raises(BadRequest, match="(?i)button_data_invalid"):
            markup = InlineKeyboardMarkup([[InlineKeyboardButton("x", callback_data="é" * 33)]])
            await bot.send_message(CHAT, "ok", reply_markup=markup)
        sent = await bot.send_message(CHAT, "same")
        with pytest.raises(BadRequest, match="(?i)not modified"):
            await bot.edit_message_text("same", chat_id=CHAT, message_id=sent.message_id)
    assert [e.description.split(":")[1].strip() for e in server.errors] == [
        "can't parse entities",
        "BUTTON_DATA_INVALID",
        "message is not modified",
    ]


async def test_commands_menu_and_chat_action(server: FakeBotApi) -> None:
    async with make_bot(server) as bot:
        assert await bot.set_my_commands([("echo", "Echo back")], language_code="zh")
        assert [c.command for c in await bot.get_my_commands(language_code="zh")] == ["echo"]
        assert await bot.get_my_commands() == ()
        assert await bot.delete_my_commands(language_code="zh")
        assert await bot.get_my_commands(language_code="zh") == ()
        assert await bot.set_chat_menu_button()
        assert (await bot.get_chat_menu_button()).type == "commands"
        assert await bot.send_chat_action(CHAT, "typing")
        assert await bot.set_my_description("ignored but recorded")
        with pytest.raises(BadRequest, match="(?i)bot_command_invalid"):
            await bot.set_my_commands([("Echo", "uppercase is refused")])
    assert server.sent("setMyDescription") == [{"description": "ignored but recorded"}]


async def test_wrong_token_is_rejected(server: FakeBotApi) -> None:
    bot = Bot("1:wrong", base_url=f"{server.url}/bot")
    with pytest.raises(InvalidToken):
        await bot.get_me()


# --------------------------------------------------------------------------- raw HTTP behaviour


async def test_long_poll_timeout_offset_and_body_formats(server: FakeBotApi) -> None:
    base = f"{server.url}/bot{TOKEN}"
    async with aiohttp.ClientSession() as http:
        started = time.monotonic()
        async with http.post(f"{base}/getUpdates", json={"timeout": 0.2}) as resp:
            assert (await resp.json()) == {"ok": True, "result": []}
        assert time.monotonic() - started >= 0.19

        waiting = asyncio.ensure_future(http.post(f"{base}/getUpdates", data={"timeout": "5"}))
        await wait_until(lambda: server.polls_waiting == 1)  # the long poll is parked
        first = server.send_text(CHAT, "hello")
        started = time.monotonic()
        async with await waiting as resp:
            [update] = (await resp.json())["result"]
        assert time.monotonic() - started < 2
        assert update["update_id"] == first and update["message"]["text"] == "hello"
        assert "entities" not in update["message"]

        second = server.send_text(CHAT, "/echo@habitat_test_bot x")
        async with http.get(f"{base}/getUpdates", params={"offset": str(first + 1)}) as resp:
            [update] = (await resp.json())["result"]
        assert update["update_id"] == second
        assert update["message"]["entities"] == [{"type": "bot_command", "offset": 0, "length": 22}]

        async with http.post(f"{base}/sendMessage", data={"chat_id": "42", "text": "123"}) as resp:
            body = await resp.json()
        assert body["result"]["text"] == "123" and body["result"]["chat"] == {
            "id": 42,
            "type": "private",
            "first_name": "Delegate",
        }
    assert server.sent(chat_id="42")[0]["text"] == "123"  # form strings stay strings


async def test_wait_for_reports_what_was_seen(server: FakeBotApi) -> None:
    async with make_bot(server) as bot:
        await bot.send_message(CHAT, "only this")
    with pytest.raises(AssertionError, match="only this"):
        await server.wait_for("sendMessage", count=2, timeout=0.1)


# --------------------------------------------------------------------------- htmlcheck


@pytest.mark.parametrize(
    "text",
    [
        "<b>x</b> &lt;",
        "plain 人居署 text",
        '<a href="https://unhabitat.org/?a=1&amp;b=2">link</a>',
        '<pre><code class="language-python">x = 1 &gt; 0</code></pre>',
        '<blockquote expandable>q</blockquote> <tg-spoiler>s</tg-spoiler> <span class="tg-spoiler">s</span>',
        "<B>caps tag</B> &#60; &#x3E; &quot;",
        "<b><i>nested</i></b>",
    ],
)
def test_html_accepts(text: str) -> None:
    assert_telegram_html(text)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("<script>alert(1)</script>", "Unsupported start tag"),
        ("a < b", "Unescaped '<'"),
        ("a > b", "Unescaped '>'"),
        ("fish & chips", "Unescaped '&'"),
        ("&nbsp;", "Unescaped '&'"),
        ("<b>bold", "unclosed"),
        ("<b><i>x</b></i>", "Unmatched end tag"),
        ("x</b>", "Unexpected end tag"),
        ("line<br>break", "Unsupported start tag"),
        ("<span>x</span>", "tg-spoiler"),
        ("<b></b>", "empty"),
        ("x" * 4097, "4097 characters"),
    ],
)
def test_html_rejects(text: str, reason: str) -> None:
    with pytest.raises(AssertionError, match=reason):
        assert_telegram_html(text)


def test_html_length_counts_parsed_text() -> None:
    assert_telegram_html("<b>" + "&amp;" * 4096 + "</b>")  # 4096 characters once decoded
    plain, entities = parse_telegram_html("😀<b>x</b>")
    assert plain == "😀x" and entities == [{"type": "bold", "offset": 2, "length": 1}]  # UTF-16 offsets


def test_callback_data_limits() -> None:
    ok = {
        "inline_keyboard": [[{"text": "a", "callback_data": "x" * 64}, {"text": "u", "url": "https://x.org"}]]
    }
    assert_callback_data(ok)
    assert_callback_data(InlineKeyboardMarkup([[InlineKeyboardButton("议", callback_data="议" * 21)]]))
    assert_callback_data({"keyboard": [["not inline"]]})
    for bad in ("x" * 65, "议" * 22, ""):
        with pytest.raises(AssertionError, match="callback_data"):
            assert_callback_data({"inline_keyboard": [[{"text": "b", "callback_data": bad}]]})


async def test_a_webhook_behind_a_load_balancer_reaches_the_replica_that_answers() -> None:
    """Updates are spread over the upstreams; one that does not answer gets nothing lost."""
    got: dict[str, list[int]] = {"a": []}

    async def receive(request: aiohttp.web.Request) -> aiohttp.web.Response:
        assert request.headers["X-Telegram-Bot-Api-Secret-Token"] == "s3cret"
        got["a"].append((await request.json())["update_id"])
        return aiohttp.web.Response(text="ok")

    receiver = aiohttp.web.Application()
    receiver.router.add_post("/telegram", receive)
    runner = aiohttp.web.AppRunner(receiver)
    await runner.setup()
    site = aiohttp.web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        async with FakeBotApi() as server:
            server.webhook_retry_delay = 0.05
            # The second upstream is a closed port: a replica that died.
            server.webhook_upstreams = [f"http://127.0.0.1:{port}", "http://127.0.0.1:9"]
            bot = Bot(TOKEN, base_url=f"{server.url}/bot")
            async with bot:
                await bot.set_webhook("https://bot.example.org/telegram", secret_token="s3cret")
            ids = [server.send_text(900 + i, f"hello {i}") for i in range(6)]
            for _ in range(100):
                if sorted(got["a"]) == ids:
                    break
                await asyncio.sleep(0.05)
        assert sorted(got["a"]) == ids
        assert {p.status for p in server.webhook_posts} == {0, 200}  # some went to the dead one first
    finally:
        await runner.cleanup()
