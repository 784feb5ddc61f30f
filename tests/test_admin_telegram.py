"""Admin area end to end: the real Application polls the fake Bot API; we read what it sent.

Covers what only Telegram shows: files sent to the bot, per-admin command menus, the broadcast
after its confirmation button, and the done-when scenario with a subscriber told once.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import shutil
import zipfile
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from telegram.ext import Application

from bot.app import Habitat, build_application
from bot.kernel.clock import FixedClock
from store.content import content_digest
from store.db import session_scope
from store.models import User
from tests.conftest import make_settings
from tests.fakebot import TOKEN, FakeBotApi
from tests.htmlcheck import assert_telegram_html, parse_telegram_html
from tests.test_admin import private_copy, valid_content, valid_template  # noqa: F401 - fixtures

ADMIN = 4242
DELEGATE = 1001


@dataclass
class Bot:
    server: FakeBotApi
    app: Application  # type: ignore[type-arg]
    services: Habitat
    content: Path

    async def say(self, text: str, user: int = ADMIN, *, lang: str = "en", count: int = 1) -> list[str]:
        """Send ``text`` from ``user`` in their private chat; the visible texts of the answers."""
        before = len(self.server.sent("sendMessage", chat_id=user))
        self.server.send_text(user, text, user_id=user, language_code=lang)
        sent = await self.server.wait_for("sendMessage", count=before + count, chat_id=user)
        for message in sent[before:]:
            assert_telegram_html(message["text"])
        return [parse_telegram_html(m["text"])[0] for m in sent[before:]]

    async def wait_for_text(self, chat_id: int, fragments: tuple[str, ...], *, skip: int = 0,
                            timeout: float = 8.0) -> dict:  # type: ignore[type-arg]  # noqa: ASYNC109
        """The first message to ``chat_id`` after the first ``skip`` with one of ``fragments`` (no sleeping)."""
        count = skip + 1
        while True:
            sent = await self.server.wait_for("sendMessage", count=count, chat_id=chat_id, timeout=timeout)
            for message in sent[skip:]:
                if any(fragment in message["text"] for fragment in fragments):
                    return message
            count = len(sent) + 1

    async def send_file(self, name: str, data: bytes, caption: str = "/reload", user: int = ADMIN) -> str:
        before = len(self.server.sent("sendMessage", chat_id=user))
        self.server.send_document(user, f"f-{name}-{len(data)}", name, caption, user_id=user, data=data,
                                  language_code="en")
        sent = await self.server.wait_for("sendMessage", count=before + 1, chat_id=user)
        return parse_telegram_html(sent[before]["text"])[0]


@pytest.fixture
async def bot(valid_content: Path, valid_template: Path, tmp_path: Path) -> AsyncIterator[Bot]:  # noqa: F811
    content = private_copy(valid_content, tmp_path)
    shutil.copyfile(valid_template, tmp_path / "bot.db")
    clock = FixedClock(dt.datetime(2024, 10, 1, 5, 0, tzinfo=dt.UTC))
    async with FakeBotApi() as server:
        settings = make_settings(
            f"sqlite:///{tmp_path / 'bot.db'}", content_dir=content, telegram_bot_token=TOKEN,
            telegram_base_url=f"{server.url}/bot", telegram_base_file_url=f"{server.url}/file/bot",
        )
        app = build_application(settings, clock)
        async with server.polling(app):
            await app.post_init(app)  # type: ignore[misc]
            yield Bot(server, app, app.bot_data["habitat"], content)
            await app.post_shutdown(app)  # type: ignore[misc]


async def test_done_when_reload_shows_new_date_and_subscribers_are_told_once(bot: Bot) -> None:
    [subscribed] = await bot.say("/subscribe WUF12", DELEGATE)
    assert "Twelfth session of the World Urban Forum" in subscribed
    skip = len(bot.server.sent("sendMessage", chat_id=DELEGATE))  # the confirmation names the dates too
    path = bot.content / "entries" / "meetings.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace(
        "dates: {start: 2024-11-04, end: 2024-11-08}", "dates: {start: 2024-11-05, end: 2024-11-09}"), encoding="utf-8")

    [preview] = await bot.say("/reload dry-run")
    assert "Dry run" in preview and "Changed (1): WUF12" in preview
    [applied] = await bot.say("/reload")
    assert "Content reloaded" in applied and "Changed (1): WUF12" in applied
    answers = await bot.say("/session WUF12", DELEGATE)  # the change notice may arrive alongside
    assert any("5–9 November 2024" in text and "Cairo" in text for text in answers)

    old_dates = ("2024年11月4日至8日", "4–8 November 2024")  # the notice names the old dates

    def notices() -> list[dict]:  # type: ignore[type-arg]
        later = bot.server.sent("sendMessage", chat_id=DELEGATE)[skip:]
        # The change notice (📢) names the old dates; the /session card may too, in its summary.
        return [m for m in later if m["text"].startswith("📢") and any(d in m["text"] for d in old_dates)]

    notice = await bot.wait_for_text(DELEGATE, ("📢",), skip=skip)
    assert any(d in notice["text"] for d in old_dates)
    assert "2024年11月5日至9日" in notice["text"] or "5–9 November 2024" in notice["text"]
    assert len(notices()) == 1
    assert "Not authorized" in (await bot.say("/reload", DELEGATE))[0]
    assert len(notices()) == 1  # told once, not once per reload attempt


async def test_files_sent_to_the_bot(bot: Bot) -> None:
    original = (bot.content / "entries" / "sessions.yaml").read_bytes()
    files_before = content_digest(bot.content)
    broken = original.replace(b"start: 2023-06-05", b"start: 2023-02-31", 1)
    reply = await bot.send_file("sessions.yaml", broken)
    assert "The content is invalid: 1 error. Nothing was changed." in reply
    assert "[HA.2] dates.start" in reply and "entries/sessions.yaml:" in reply
    assert content_digest(bot.content) == files_before

    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("../../evil.yaml", "entries: []")
    reply = await bot.send_file("content.zip", archive.getvalue())
    assert "path traversal" in reply and "Nothing was changed" in reply

    assert "Not authorized" in await bot.send_file("sessions.yaml", original, user=DELEGATE)

    fixed = original.replace(b"start: 2023-06-05", b"start: 2023-06-04", 1)
    reply = await bot.send_file("sessions.yaml", fixed)
    assert "sessions.yaml applied" in reply and "Changed (1): HA.2" in reply
    assert "4–9 June 2023" in (await bot.say("/session HA.2", DELEGATE))[0]
    assert (bot.content / "entries" / "sessions.yaml").read_bytes() == fixed
    [rolled] = await bot.say("/rollback")
    assert "Rolled back" in rolled
    assert (bot.content / "entries" / "sessions.yaml").read_bytes() == original
    assert bot.server.errors == []


async def test_admin_commands_only_in_admin_menus(bot: Bot) -> None:
    menus = bot.server.commands
    admin_scope = next(v for (scope, _lang), v in menus.items() if f'"chat_id": {ADMIN}' in scope)
    assert {"reload", "rollback", "version", "stats", "broadcast", "audit", "admin"} <= {c["command"] for c in admin_scope}
    for (scope, _lang), commands in menus.items():
        if '"default"' in scope:
            assert not {"reload", "audit", "broadcast"} & {c["command"] for c in commands}
    await bot.say("/start", 777)
    menus_before = len(bot.server.sent("setMyCommands"))
    [added] = await bot.say("/admin add 777")
    assert "777 is now an admin." in added
    await bot.server.wait_for("setMyCommands", count=menus_before + 1)
    assert any('"chat_id": 777' in scope for scope, _lang in bot.server.commands)
    assert "Live content version" in (await bot.say("/version", 777))[0]
    await bot.say("/admin remove 777")
    await bot.server.wait_for("deleteMyCommands")
    assert not any('"chat_id": 777' in scope for scope, _lang in bot.server.commands)
    assert "Not authorized" in (await bot.say("/version", 777))[0]


async def test_broadcast_after_confirmation(bot: Bot) -> None:
    await bot.say("HA.2", 2001)  # only asked a question: no stored preferences
    await bot.say("/subscribe WUF12", 2002)
    await bot.say("/help", 2003)
    bot.server.block(2003)  # blocked the bot since; Telegram has not told us yet
    bot.server.send_text(-100555, "/subscribe wuf", user_id=2005, chat_type="supergroup", language_code="en")
    await bot.server.wait_for("sendMessage", chat_id=-100555)  # wrote only in a group: cannot be messaged
    [preview] = await bot.say("/broadcast Room change: plenary in <Hall 2> & more")
    assert "Send this message to 4 users?" in preview  # the admin and 2001–2003
    assert "everyone who has written to the bot in a private chat and has not blocked it" in preview
    message = bot.server.last_message(ADMIN)
    go = message["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    assert not bot.server.sent("sendMessage", chat_id=2001)[1:]  # nothing before confirmation
    bot.server.press_button(ADMIN, message["message_id"], go, user_id=ADMIN, language_code="en")
    done = await bot.server.wait_for("sendMessage", count=2, chat_id=ADMIN, timeout=8)
    assert "Sending to 4 users" in parse_telegram_html(done[1]["text"])[0]
    finished = parse_telegram_html((await bot.wait_for_text(ADMIN, ("Broadcast finished",)))["text"])[0]
    assert "Broadcast finished: sent 3, failed 1." in finished
    for user in (2001, 2002):
        received = bot.server.sent("sendMessage", chat_id=user)[-1]
        assert parse_telegram_html(received["text"])[0] == "Room change: plenary in <Hall 2> & more"
    assert not bot.server.sent("sendMessage", chat_id=2005)
    bot.server.press_button(ADMIN, message["message_id"], go, user_id=ADMIN, language_code="en")  # a second press
    again = await bot.wait_for_text(ADMIN, ("already sent or cancelled",), skip=4)
    assert "already sent or cancelled" in again["text"]
    assert len(bot.server.sent("sendMessage", chat_id=2001)) == 2  # the answer, then one broadcast
    audit = (await bot.say("/audit 5"))[0]
    assert "#1 done: sent 3, failed 1" in audit
    # 2003 refused it, so the next broadcast leaves them out and says so; writing again brings them back.
    [second] = await bot.say("/broadcast Lunch moved")
    assert "Send this message to 3 users?" in second and "1 user who blocked the bot is left out" in second
    bot.server.unblock(2003)
    await bot.say("/help", 2003)
    [third] = await bot.say("/broadcast Lunch moved again")
    assert "Send this message to 4 users?" in third and "left out" not in third


async def test_a_user_who_blocks_the_bot_is_left_out_of_broadcasts(bot: Bot) -> None:
    await bot.say("/help", 2101)
    [before] = await bot.say("/broadcast hello")
    assert "Send this message to 2 users?" in before
    kicked = {"my_chat_member": {
        "chat": {"id": 2101, "type": "private", "first_name": "Delegate"},
        "from": {"id": 2101, "is_bot": False, "first_name": "Delegate"}, "date": 1,
        "old_chat_member": {"status": "member", "user": {"id": 1, "is_bot": True, "first_name": "Bot"}},
        "new_chat_member": {"status": "kicked", "until_date": 0,
                            "user": {"id": 1, "is_bot": True, "first_name": "Bot"}}}}
    bot.server.send_update(kicked)
    for _attempt in range(200):  # the update is handled in its own chat's queue
        with session_scope(bot.services.engine) as session:
            user = session.get(User, 2101)
            if user is not None and user.blocked_at is not None:
                break
        await asyncio.sleep(0.02)
    [after] = await bot.say("/broadcast hello")
    assert "Send this message to 1 user?" in after and "1 user who blocked the bot is left out" in after


async def test_broadcast_without_the_reminders_dispatcher_is_paced(bot: Bot) -> None:
    bot.app.bot_data.pop("reminders").close()
    for user in range(3001, 3006):
        await bot.say("/help", user)
    await bot.say("/broadcast hello")
    message = bot.server.last_message(ADMIN)
    bot.server.press_button(ADMIN, message["message_id"], message["reply_markup"]["inline_keyboard"][0][0]["callback_data"],
                            language_code="en")
    finished = await bot.wait_for_text(ADMIN, ("Broadcast finished",), skip=1)
    assert "sent 6, failed 0" in parse_telegram_html(finished["text"])[0]  # the five and the admin
    assert bot.server.sent_per_window(1.0, "sendMessage") <= 25
