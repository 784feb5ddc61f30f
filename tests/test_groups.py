"""Group mode: off by default; a group administrator turns it on; then a message naming a symbol
gets one compact card (a few a minute at most), and the bot stays quiet otherwise."""

from __future__ import annotations

import asyncio

from bot.app import Habitat
from bot.kernel.router import Asker
from bot.lookup.groups import mentions
from tests.conftest import TelegramHarness

GROUP, ADMIN, MEMBER = -100500, 5001, 5002


async def quiet(telegram: TelegramHarness, chat_id: int, before: int) -> bool:
    """True when the bot sent nothing more to the chat within a second."""
    await asyncio.sleep(1.0)
    return len(telegram.server.sent("sendMessage", chat_id=chat_id)) == before


def say(telegram: TelegramHarness, text: str, user: int = MEMBER) -> None:
    telegram.server.send_text(GROUP, text, user_id=user, language_code="en", chat_type="supergroup")


async def test_group_mode_is_off_until_an_administrator_turns_it_on(telegram: TelegramHarness) -> None:
    telegram.server.chat_admins[GROUP] = {ADMIN}
    say(telegram, "see HSP/HA.2/7 ¶17")
    assert await quiet(telegram, GROUP, 0)

    say(telegram, "/groupmode on", MEMBER)
    [refused] = await telegram.server.wait_for("sendMessage", chat_id=GROUP)
    assert "administrators" in refused["text"]
    say(telegram, "/groupmode on", ADMIN)
    [_r, on] = await telegram.server.wait_for("sendMessage", count=2, chat_id=GROUP)
    assert "Group mode is on" in on["text"]

    say(telegram, "see HSP/HA.2/7 ¶17 before the meeting")
    sent = await telegram.server.wait_for("sendMessage", count=3, chat_id=GROUP)
    card = sent[2]
    assert "HSP/HA.2/7" in card["text"] and "¶17" in card["text"]
    assert card.get("reply_to_message_id") or card.get("reply_parameters")
    buttons = [b["callback_data"] for row in card["reply_markup"]["inline_keyboard"] for b in row]
    assert "e:doc-HSP/HA.2/7" in buttons
    say(telegram, "lunch at one?")  # names nothing: the bot does not talk over delegates
    assert await quiet(telegram, GROUP, 3)

    say(telegram, "/groupmode off", ADMIN)
    await telegram.server.wait_for("sendMessage", count=4, chat_id=GROUP)
    say(telegram, "resolution 2/7 again")
    assert await quiet(telegram, GROUP, 4)


async def test_a_chatty_group_gets_a_few_cards_a_minute(telegram: TelegramHarness) -> None:
    telegram.server.chat_admins[GROUP] = {ADMIN}
    say(telegram, "/groupmode on", ADMIN)
    await telegram.server.wait_for("sendMessage", chat_id=GROUP)
    for text in ("WUF12", "HA.2", "resolution 2/7", "HSP/EB.2023/18", "HA.1", "WUF13"):
        say(telegram, f"what about {text}?")
    await asyncio.sleep(1.5)
    cards = telegram.server.sent("sendMessage", chat_id=GROUP)[1:]
    assert len(cards) == 3


def test_mentions_are_exact_identifiers_only(services: Habitat) -> None:
    catalog = services.content.catalog
    assert [e.id for e, _p in mentions("see HSP/HA.2/7 ¶17 and WUF12", catalog)] == ["doc-HSP/HA.2/7", "WUF12"]
    assert mentions("see HSP/HA.2/7 ¶17", catalog)[0][1] == "17"
    assert [e.id for e, _p in mentions("请看第2/7号决议", catalog)] == ["res-2/7"]
    assert mentions("the habitat was nice, we had fun", catalog) == []
    [explained] = services.router.command("groupmode", "on", Asker(user_id=1, lang="en"))
    assert "group chats" in explained.text
