"""End to end: the real Application long-polls a fake Bot API; we assert what it actually sent."""

from __future__ import annotations

from tests.conftest import TelegramHarness
from tests.htmlcheck import assert_callback_data, assert_telegram_html, parse_telegram_html


def visible(message: dict) -> str:  # type: ignore[type-arg]
    return parse_telegram_html(message["text"])[0]


async def test_session_lookup_is_answered_in_html_telegram_accepts(telegram: TelegramHarness) -> None:
    [reply] = await telegram.ask("/session HA.2")
    assert reply["parse_mode"] == "HTML"
    assert_telegram_html(reply["text"])
    assert_callback_data(reply["reply_markup"])
    text = visible(reply)
    assert "2023年6月5日至9日" in text and "内罗毕" in text and "来源" in text
    assert telegram.server.errors == []


async def test_language_follows_telegram_and_lang_command(telegram: TelegramHarness) -> None:
    [english] = await telegram.ask("/resolution ２／７", chat_id=2002, language_code="en")
    assert "open-ended intergovernmental expert working group on adequate housing for all" in visible(english)
    [chinese] = await telegram.ask("/resolution 第2/7号决议", chat_id=2003, language_code="zh-hans")
    assert "人人享有适当住房不限成员名额政府间专家工作组" in visible(chinese)
    await telegram.ask("/lang en", chat_id=2003, language_code="zh")
    [switched] = await telegram.ask("/resolution 2/7", chat_id=2003, language_code="zh")
    assert "Adequate housing for all" in visible(switched).splitlines()[0]


async def test_buttons_open_related_entries(telegram: TelegramHarness) -> None:
    [card] = await telegram.ask("/session HA.2", language_code="en")
    buttons = [b for row in card["reply_markup"]["inline_keyboard"] for b in row]
    resolution = next(b for b in buttons if b["callback_data"].startswith("e:res-2/"))
    [opened] = await telegram.press(resolution["callback_data"])
    assert "Resolution 2/" in visible(opened)
    assert any(c.method == "answerCallbackQuery" for c in telegram.server.calls)
    source = next(b for b in buttons if b["callback_data"].startswith("p:"))
    await telegram.ask("/session HA.2", language_code="en")
    [paragraph] = await telegram.press(source["callback_data"])
    assert "第 6 段" in visible(paragraph) and "132 个会员国" in visible(paragraph)


async def test_plain_identifier_and_unknown_command(telegram: TelegramHarness) -> None:
    [reply] = await telegram.ask("ＨＡ．２")
    assert "联合国人居大会第二届会议" in visible(reply)
    [unknown] = await telegram.ask("/nosuchcommand")
    assert "/help" in visible(unknown)


async def test_hostile_input_gets_clear_answers_never_a_traceback(telegram: TelegramHarness) -> None:
    inputs = ["/session <script>alert(1)</script>", "/doc &amp; <b>", "/session", "/resolution 99/99",
              "/event " + "城" * 4000, "\u200b", "/start", "/help", "/upcoming", "/decision 2/2"]
    for index, text in enumerate(inputs):
        replies = await telegram.ask(text, chat_id=3000 + index, language_code="en")
        for reply in replies:
            assert_telegram_html(reply["text"])
            if reply.get("reply_markup"):
                assert_callback_data(reply["reply_markup"])
    assert telegram.server.errors == []
    assert not any("Sorry, something went wrong" in m["text"] for m in telegram.server.sent("sendMessage"))


async def test_command_menus_are_registered_in_both_languages(telegram: TelegramHarness) -> None:
    menus = telegram.server.commands
    languages = {lang for (_scope, lang) in menus}
    assert {"zh", "en"} <= languages
    zh = next(v for (scope, lang), v in menus.items() if lang == "zh")
    names = {c["command"] for c in zh}
    assert {"start", "help", "session", "resolution", "decision", "doc", "event", "upcoming", "lang"} <= names


async def test_a_sticker_in_a_private_chat_gets_told_what_the_bot_reads(telegram: TelegramHarness) -> None:
    chat = 4004
    telegram.server.send_update({"message": {
        "message_id": 77, "date": 1_700_000_000, "chat": {"id": chat, "type": "private"},
        "from": {"id": chat, "is_bot": False, "first_name": "D", "language_code": "en"},
        "sticker": {"file_id": "s1", "file_unique_id": "u1", "type": "regular", "width": 512, "height": 512,
                    "is_animated": False, "is_video": False},
    }})
    [reply] = await telegram.server.wait_for("sendMessage", chat_id=chat)
    assert "text only" in visible(reply) and "/help" in visible(reply)


async def test_python_m_bot_with_a_token_long_polls_and_stops_cleanly(loaded_sqlite_url: str) -> None:
    """The real entry point: ``python -m bot`` with a token answers over the Bot API and exits on SIGTERM."""
    import asyncio
    import os
    import signal
    import sys

    from tests.conftest import CONTENT, ROOT
    from tests.fakebot import TOKEN, FakeBotApi

    async with FakeBotApi() as server:
        env = dict(os.environ, TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_BASE_URL=f"{server.url}/bot",
                   TELEGRAM_BASE_FILE_URL=f"{server.url}/file/bot", DATABASE_URL=loaded_sqlite_url,
                   CONTENT_DIR=str(CONTENT))
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", cwd=ROOT, env=env,
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
        )
        try:
            await server.wait_for("getUpdates", timeout=60)
            server.send_text(5005, "/session HA.2", user_id=5005, language_code="en")
            [reply] = await server.wait_for("sendMessage", chat_id=5005, timeout=30)
            assert "5–9 June 2023" in visible(reply)
        finally:
            process.send_signal(signal.SIGTERM)
            _out, err = await asyncio.wait_for(process.communicate(), 60)
        assert process.returncode == 0, err.decode()[-2000:]
        assert b"Traceback" not in err


async def test_agenda_of_a_session_with_its_documents(telegram: TelegramHarness) -> None:
    [agenda] = await telegram.ask("/agenda HA.1", chat_id=2101, language_code="zh")
    assert_telegram_html(agenda["text"])
    assert "议程" in visible(agenda) and "HSP/HA/1/1" in visible(agenda)
    [document] = await telegram.press("e:doc-HSP/HA/1/1", chat_id=2101)
    assert "HSP/HA/1/1" in visible(document)
    assert telegram.server.errors == []
