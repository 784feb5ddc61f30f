"""Hostile inputs for the adversarial suite: raw Bot API updates, generated with a fixed seed.

Each ``Hostile`` is one update as Telegram would deliver it (every field the Bot API requires is
present, so python-telegram-bot parses it), from a user and chat of its own, with what a correct
bot must do about it: reply in the chat, answer the button or the inline query, or stay silent.
Categories: Unicode edge cases and random text, control characters, markup, format strings,
100,000-character texts, every command with hostile arguments, deep links, commands for other
bots, group and channel traffic, every kind of update the Bot API has, forged, stale and foreign
button data (random bytes included) and inline queries with junk offsets.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from tests.fakebot import BOT_ID, BOT_USERNAME, _command_entities

SEED = 11
DATE = 1_700_000_000
BOT = {"id": BOT_ID, "is_bot": True, "first_name": "Habitat Assistant", "username": BOT_USERNAME}

#: What must happen: a message in the chat, an answered button (and a message), an answered inline
#: query, silence (a command for another bot, chatter in a group), or nothing in particular.
MESSAGE, BUTTON, INLINE, SILENT, ANY = "message", "button", "inline", "silent", "any"


@dataclass(frozen=True)
class Hostile:
    """One hostile update, what a correct bot does about it, and where to look for it."""

    name: str
    update: dict[str, Any]
    due: str
    chat_id: int | None = None
    query_id: str | None = None
    tags: tuple[str, ...] = field(default=())

    @property
    def kind(self) -> str:
        return next(iter(self.update))


# -- the inputs themselves --------------------------------------------------------------------------

EDGE_TEXTS = [
    "", " ", "\u200b", "\u200d", "\ufeff", "\u00a0", "\u3000", "\u202eHA.2", "\u2066/help\u2069", "a\u0301" * 500,
    "Z̷̡̛̗͎̈́a̶̛̜͊l̵̰̓g̸̰̈́o̴̞͛", "👩‍👩‍👧‍👦" * 50, "🏳️‍🌈🇺🇳", "\U0001f600" * 3000, "𝐇𝐀.𝟐", "ＨＡ．２", "HA.²", "²/⁷", "٢/٧", "२/७",
    "Ⅱ/Ⅶ", "⁰¹²³⁴⁵⁶⁷⁸⁹", "½", "𝟚/𝟟", "İ", "ß" * 100, "ǅ", "\U0010fffd", "\ue000", "\ufffd" * 10, "\u0345",
    "HA.2" + "\u0300" * 200, "人居大会第二届会议" * 30, "ﷺ" * 100, "\u2028HA.2\u2029", "\u0085", "ﾊﾋﾞﾀｯﾄ", "😀HA.2😀",
    "ᴴᴬ·²", "Ｈ\u200bＡ.2", "ha .2", "h a . 2",
]
CONTROL_TEXTS = [f"HA{chr(c)}.2" for c in [*range(0x00, 0x20), 0x7F, 0x80, 0x9F]] + ["\x00", "\x00" * 100, "\r\n\r\n",
                                                                                   "\t/help", "\x1b[31mred\x1b[0m"]
MARKUP_TEXTS = [
    "<b>", "</b>", "<b>HA.2", "<script>alert(1)</script>", "&amp;", "&", "&#0;", "&#x110000;", "&lt;b&gt;", "<<>>",
    "<a href='javascript:alert(1)'>x</a>", "<tg-spoiler>x</tg-spoiler>", "<pre><code class=\"x\">", "```HA.2```",
    "*bold* _it_ [a](tg://user?id=1)", "<i>HA.2</i>", "</code></pre>", "<!--", "<![CDATA[", "<blockquote expandable>",
    "\\<b\\>", "<b\u200b>", "> quoted", "||spoiler||",
]
FORMAT_TEXTS = [
    "%s", "%d", "%(x)s", "%(n)d", "%(name)s", "%(q)s", "{0}", "{x}", "{}", "{0!r:>10}", "%%", "%n", "%s%s%s%s%s%s%s%s",
    "${x}", "{{", "}}", "{q}", "%(what)s HA.2", "{entry.__class__}", "%(lead)s", "%c", "%-999999999s", "%.99999999f",
]
LONG_TEXTS = [
    "a" * 100_000, "城" * 100_000, "/session " + "x" * 100_000, "/subscribe WUF12 " + "1m " * 33_000,
    "HA.2 " * 20_000, "/search " + "?" * 100_000, "\u0301" * 100_000, "/start " + "_" * 100_000, "<b>" * 33_000,
]
COMMANDS = [
    "start", "help", "session", "resolution", "decision", "doc", "event", "upcoming", "lang", "search", "subscribe",
    "mysubs", "unsubscribe", "timezone", "ics", "digest", "forget", "reload", "version", "rollback", "admin", "stats",
    "broadcast", "audit", "nosuchcommand", "HELP", "Session",
]
HOSTILE_ARGS = ["", "²", "%s {0} %(x)s", "<b>x</b>&amp;", "x" * 5000, "\x00\x01", "99999999999999999999999",
                "../../etc/passwd -1 all 0m 999d"]
DEEP_LINKS = [
    "x_forget", "x_rollback", "x_reload", "x_admin_add_1", "x_broadcast_hi", "uns_²", "uns_1", "snz_99999999999999999999999",
    "snz_1", "sub_²", "sub_cat-_b_", "sub_HA_d2", "sub_all", "e_", "e_HA_d2", "e_" + "x" * 62, "p_x_y", "p_HA_d2_s1",
    "lang_xx", "up_", "bc_go_1", "s_1_q_x", "_", "_" * 64, "-", "a" * 64, "a" * 65, "x_session HA.2", "%s", "<b>",
]
OTHER_BOTS = ["/help@otherbot", "/start@other_bot x_forget", "/session@OtherBot HA.2", "/reload@otherbot",
              "/forget@Habitat_Test_Bot_Not", "/help@habitat_test_botx"]
SLASHES = ["/", "//", "／help", "/ help", "/help@", "/@", "/help@habitat_test_bot@x", "/帮助", "/hélp", "/HELP",
           "/help@HABITAT_TEST_BOT", "/" + "a" * 64, "/" + "a" * 65, "/start@habitat_test_bot"]
FORGED_BUTTONS = [
    "uns:²", "uns:", "uns:-1", "uns:99999999999999999999999", "s:²:q:x", "s:1:q:", "s:-1:q:x", "s:x", "s",
    "snz:99999999999999999999999", "snz:²", "snz:1", "e:", "e:" + "x" * 62, "e:HA.²", "e:../../x", "p::", "p:a:b:c",
    "p:HA.2:²", "lang:xx", "lang:", "up:junk", "x:forget", "x:reload", "x:admin add 1", "x:broadcast hi", "x:",
    "bc:go:1", "bc:no:1", "bc:go:²", "bc:go:99999999999999999999", "sub:cat-<b>", "sub:cat-", "sub:²", "sub:", ":", "",
    " ", "\x00", "e:HA.2\x00", "%s", "{0}", "<b>", "lang:en:extra", "sub:all:extra", "e:HA.2", "forget:go:1",
    "forget:go:²", "forget:no:", "forget:yes:600001",
]
JUNK_OFFSETS = ["-1", "²", "99999999999999999999", "abc", "%s", "\x00", "1e9", " ", "０", "{0}", "<b>", "9" * 64]
INLINE_QUERIES = ["", "HA.2", "<b>", "%s {0}", "²/⁷", "x" * 256, "\u200b", "城市" * 120]


# -- building updates -------------------------------------------------------------------------------

class _Ids:
    """Fresh user and chat ids, so each input's answers can be told apart."""

    def __init__(self) -> None:
        self.n = 0

    def next(self) -> int:
        self.n += 1
        return self.n


def user(uid: int, lang: str | None = "en") -> dict[str, Any]:
    found: dict[str, Any] = {"id": uid, "is_bot": False, "first_name": "Hostile", "username": f"h{uid}"}
    if lang:
        found["language_code"] = lang
    return found


def private_chat(uid: int) -> dict[str, Any]:
    return {"id": uid, "type": "private", "first_name": "Hostile"}


def message(chat: dict[str, Any], text: str | None, sender: dict[str, Any] | None, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"message_id": 1, "date": DATE, "chat": chat}
    if sender is not None:
        body["from"] = sender
    if text is not None:
        body["text"] = text
        if entities := _command_entities(text):
            body["entities"] = entities
    body.update(extra)
    return body


def _private_text(ids: _Ids, name: str, text: str, lang: str | None = "en", tags: tuple[str, ...] = ()) -> Hostile:
    uid = 600_000 + ids.next()
    return Hostile(name, {"message": message(private_chat(uid), text, user(uid, lang))}, MESSAGE, uid, tags=tags)


def _group_text(ids: _Ids, name: str, text: str, due: str, *, supergroup: bool = False,
                reply_to_bot: bool = False) -> Hostile:
    n = ids.next()
    uid, gid = 600_000 + n, (-1_001_000_000_000 - n if supergroup else -700_000 - n)
    chat = {"id": gid, "type": "supergroup" if supergroup else "group", "title": "Hostile group"}
    extra: dict[str, Any] = {}
    if reply_to_bot:
        extra["reply_to_message"] = message(chat, "HA.2 …", BOT)
    return Hostile(name, {"message": message(chat, text, user(uid), **extra)}, due, gid)


def _button(ids: _Ids, name: str, data: str, *, chat_type: str = "private", inline: bool = False) -> Hostile:
    n = ids.next()
    uid = 600_000 + n
    query: dict[str, Any] = {"id": f"cbq-{n}", "from": user(uid), "chat_instance": f"ci-{n}", "data": data}
    if inline:
        query["inline_message_id"] = f"im-{n}"
        return Hostile(name, {"callback_query": query}, BUTTON, uid, query_id=query["id"])
    chat = private_chat(uid) if chat_type == "private" else {"id": -700_000 - n, "type": chat_type, "title": "G"}
    query["message"] = message(chat, "an old message", BOT, message_id=7)
    return Hostile(name, {"callback_query": query}, BUTTON, chat["id"], query_id=query["id"])


def _inline(ids: _Ids, name: str, text: str, offset: str) -> Hostile:
    n = ids.next()
    query = {"id": f"iq-{n}", "from": user(600_000 + n), "query": text, "offset": offset, "chat_type": "sender"}
    return Hostile(name, {"inline_query": query}, INLINE, query_id=query["id"])


def _random_text(rng: random.Random) -> str:
    """A few to a few hundred code points from every plane, surrogates left out (Telegram sends UTF-8)."""
    ranges = [(0x20, 0x7E), (0xA0, 0x2FF), (0x300, 0x36F), (0x590, 0x6FF), (0x900, 0x97F), (0x2000, 0x206F),
              (0x3000, 0x30FF), (0x4E00, 0x9FFF), (0xE000, 0xF8FF), (0xFE00, 0xFFFD), (0x1F300, 0x1FAFF),
              (0x20000, 0x2A6DF), (0xE0000, 0xE007F), (0x0, 0x1F)]
    size = rng.choice([1, 2, 3, 8, 40, 300])
    out = []
    for _ in range(size):
        low, high = rng.choice(ranges)
        out.append(chr(rng.randint(low, high)))
    return "".join(out)


def _random_button(rng: random.Random) -> str:
    """Up to 64 bytes of random data that is still a string (Telegram's callback_data is UTF-8)."""
    raw = bytes(rng.randrange(256) for _ in range(rng.randint(1, 64)))
    text = raw.decode("utf-8", errors="ignore") or "?"
    while len(text.encode()) > 64:
        text = text[:-1]
    return text


def _raw_updates(ids: _Ids) -> Iterator[Hostile]:
    """Every other kind of update the Bot API has, and messages without text; each from a user of its own."""

    def fresh() -> tuple[int, dict[str, Any], dict[str, Any], dict[str, Any], dict[str, Any]]:
        n = ids.next()
        uid = 600_000 + n
        return (uid, user(uid), private_chat(uid), {"id": -700_000 - n, "type": "supergroup", "title": "G"},
                {"id": -1_002_000_000_000 - n, "type": "channel", "title": "C"})

    member = {"status": "member", "user": BOT}
    left = {"status": "left", "user": BOT}
    kicked = {"status": "kicked", "user": BOT, "until_date": 0}
    media = {
        "photo": {"photo": [{"file_id": "p", "file_unique_id": "p", "width": 1, "height": 1}]},
        "sticker": {"sticker": {"file_id": "s", "file_unique_id": "s", "type": "regular", "width": 1, "height": 1,
                                "is_animated": False, "is_video": False}},
        "voice": {"voice": {"file_id": "v", "file_unique_id": "v", "duration": 1}},
        "location": {"location": {"latitude": 1.0, "longitude": 2.0}},
        "contact": {"contact": {"phone_number": "+1", "first_name": "<b>"}},
        "dice": {"dice": {"emoji": "🎲", "value": 6}},
        "document": {"document": {"file_id": "d", "file_unique_id": "d", "file_name": "../../x.yaml"}},
        "document-reload": {"document": {"file_id": "d2", "file_unique_id": "d2", "file_name": "glossary.yaml"},
                            "caption": "/reload", "caption_entities": [{"type": "bot_command", "offset": 0, "length": 7}]},
    }
    for kind, extra in media.items():
        uid, me, chat, _group, _channel = fresh()
        yield Hostile(f"private {kind}", {"message": message(chat, None, me, **extra)}, MESSAGE, uid)
    status = {
        "new_chat_members": {"new_chat_members": [BOT]}, "left_chat_member": {"left_chat_member": BOT},
        "new_chat_title": {"new_chat_title": "<b>%s"}, "group_chat_created": {"group_chat_created": True},
        "migrate_to_chat_id": {"migrate_to_chat_id": -1_009_999_999_999},
        "pinned_message": {"pinned_message": {"message_id": 3, "date": 0, "chat": {"id": -1, "type": "group"}}},
    }
    for kind, extra in status.items():
        uid, me, chat, group, _channel = fresh()
        yield Hostile(f"group {kind}", {"message": message(group, None, me, **extra)}, ANY, group["id"])
    uid, me, chat, group, channel = fresh()
    yield Hostile("edited_message", {"edited_message": message(chat, "/help", me, edit_date=DATE)}, ANY, uid)
    uid, me, chat, group, channel = fresh()
    yield Hostile("edited_message markup", {"edited_message": message(chat, "<b>", me, edit_date=DATE)}, ANY, uid)
    uid, me, chat, group, channel = fresh()
    yield Hostile("channel_post command", {"channel_post": message(channel, "/help", None, sender_chat=channel)},
                  ANY, channel["id"])
    uid, me, chat, group, channel = fresh()
    yield Hostile("channel_post text", {"channel_post": message(channel, "HA.2", None, sender_chat=channel)},
                  ANY, channel["id"])
    uid, me, chat, group, channel = fresh()
    yield Hostile("edited_channel_post", {"edited_channel_post": message(channel, "/start x_forget", None,
                                                                         sender_chat=channel, edit_date=DATE)},
                  ANY, channel["id"])
    uid, me, chat, group, channel = fresh()
    yield Hostile("my_chat_member added", {"my_chat_member": {"chat": group, "from": me, "date": DATE,
                                                              "old_chat_member": left, "new_chat_member": member}},
                  ANY, group["id"])
    uid, me, chat, group, channel = fresh()
    yield Hostile("my_chat_member blocked", {"my_chat_member": {"chat": chat, "from": me, "date": DATE,
                                                                "old_chat_member": member, "new_chat_member": kicked}},
                  ANY, uid)
    uid, me, chat, group, channel = fresh()
    yield Hostile("chat_member", {"chat_member": {"chat": group, "from": me, "date": DATE,
                                                  "old_chat_member": {"status": "left", "user": me},
                                                  "new_chat_member": {"status": "member", "user": me}}}, ANY, group["id"])
    uid, me, chat, group, channel = fresh()
    yield Hostile("chat_join_request", {"chat_join_request": {"chat": group, "from": me, "user_chat_id": uid,
                                                              "date": DATE, "bio": "<b>%s"}}, ANY, group["id"])
    poll = {"id": "poll-1", "question": "<b>?", "options": [{"text": "%s", "voter_count": 1, "persistent_id": "o1"}],
            "total_voter_count": 1, "is_closed": False, "is_anonymous": True, "type": "regular",
            "allows_multiple_answers": False, "allows_revoting": False, "members_only": False}
    yield Hostile("poll", {"poll": poll}, ANY)
    uid, me, chat, group, channel = fresh()
    yield Hostile("private poll message", {"message": message(chat, None, me, poll=poll)}, MESSAGE, uid)
    uid, me, chat, group, channel = fresh()
    yield Hostile("poll_answer", {"poll_answer": {"poll_id": "poll-1", "option_ids": [0, 99],
                                                  "option_persistent_ids": ["o1", "zz"], "user": me}}, ANY)
    uid, me, chat, group, channel = fresh()
    yield Hostile("message_reaction", {"message_reaction": {"chat": chat, "message_id": 1, "date": DATE, "user": me,
                                                            "old_reaction": [],
                                                            "new_reaction": [{"type": "emoji", "emoji": "👍"}]}}, ANY, uid)
    uid, me, chat, group, channel = fresh()
    yield Hostile("message_reaction_count", {"message_reaction_count": {
        "chat": group, "message_id": 1, "date": DATE,
        "reactions": [{"type": {"type": "emoji", "emoji": "🔥"}, "total_count": 9}]}}, ANY, group["id"])
    uid, me, chat, group, channel = fresh()
    yield Hostile("chosen_inline_result", {"chosen_inline_result": {"result_id": "<b>", "from": me, "query": "%s"}}, ANY)
    uid, me, chat, group, channel = fresh()
    yield Hostile("shipping_query", {"shipping_query": {"id": "sq-1", "from": me, "invoice_payload": "x",
                                                        "shipping_address": {"country_code": "KE", "state": "",
                                                                             "city": "<b>", "street_line1": "%s",
                                                                             "street_line2": "", "post_code": "0"}}}, ANY)
    uid, me, chat, group, channel = fresh()
    yield Hostile("pre_checkout_query", {"pre_checkout_query": {"id": "pq-1", "from": me, "currency": "XTR",
                                                                "total_amount": 1, "invoice_payload": "{0}"}}, ANY)
    uid, me, chat, group, channel = fresh()
    yield Hostile("business_connection", {"business_connection": {"id": "bc-1", "user": me, "user_chat_id": uid,
                                                                  "date": DATE, "is_enabled": True}}, ANY)
    uid, me, chat, group, channel = fresh()
    yield Hostile("business_message", {"business_message": message(chat, "/help", me, business_connection_id="bc-1")},
                  ANY, uid)
    uid, me, chat, group, channel = fresh()
    yield Hostile("edited_business_message", {"edited_business_message": message(
        chat, "HA.2", me, business_connection_id="bc-1", edit_date=DATE)}, ANY, uid)
    uid, me, chat, group, channel = fresh()
    yield Hostile("deleted_business_messages", {"deleted_business_messages": {
        "business_connection_id": "bc-1", "chat": chat, "message_ids": [1, 2]}}, ANY, uid)
    uid, me, chat, group, channel = fresh()
    source = {"source": "premium", "user": me}
    yield Hostile("chat_boost", {"chat_boost": {"chat": channel, "boost": {
        "boost_id": "b1", "add_date": DATE, "expiration_date": DATE + 1, "source": source}}}, ANY, channel["id"])
    uid, me, chat, group, channel = fresh()
    yield Hostile("removed_chat_boost", {"removed_chat_boost": {"chat": channel, "boost_id": "b1",
                                                                "remove_date": DATE, "source": {**source, "user": me}}},
                  ANY, channel["id"])
    uid, me, chat, group, channel = fresh()
    yield Hostile("purchased_paid_media", {"purchased_paid_media": {"from": me, "paid_media_payload": "<b>"}}, ANY)
    uid, me, chat, group, channel = fresh()
    yield Hostile("managed_bot", {"managed_bot": {"user": me, "bot": BOT}}, ANY)
    uid, me, chat, group, channel = fresh()
    yield Hostile("guest_message", {"guest_message": message(chat, "/help", me)}, ANY, uid)
    uid, me, chat, group, channel = fresh()
    yield Hostile("callback game", {"callback_query": {"id": "cbq-game", "from": me, "chat_instance": "ci",
                                                       "game_short_name": "g",
                                                       "message": message(chat, "x", BOT)}}, ANY, uid)
    uid, me, chat, group, channel = fresh()
    yield Hostile("callback inaccessible message", {"callback_query": {
        "id": "cbq-old", "from": me, "chat_instance": "ci", "data": "e:HA.2",
        "message": {"message_id": 5, "date": 0, "chat": chat}}}, BUTTON, uid, query_id="cbq-old")


def generate(seed: int = SEED) -> list[Hostile]:
    """Every hostile input, always the same for one seed."""
    rng = random.Random(seed)
    ids = _Ids()
    out: list[Hostile] = []
    for group_name, texts in (("edge", EDGE_TEXTS), ("control", CONTROL_TEXTS), ("markup", MARKUP_TEXTS),
                              ("format", FORMAT_TEXTS), ("long", LONG_TEXTS)):
        out += [_private_text(ids, f"{group_name} {text[:30]!r}", text) for text in texts]
    out += [_private_text(ids, f"random {i}", _random_text(rng), lang=rng.choice(["zh", "en", "fr", None, "zh-hans"]))
            for i in range(80)]
    out += [_private_text(ids, f"/{command} {args[:20]!r}", f"/{command} {args}".rstrip(" ") if args else f"/{command}")
            for command in COMMANDS for args in HOSTILE_ARGS]
    out += [_private_text(ids, f"/start {payload[:30]!r}", f"/start {payload}", tags=("deep link",))
            for payload in DEEP_LINKS]
    out += [_private_text(ids, f"slash {text[:30]!r}", text) for text in SLASHES]
    for text in OTHER_BOTS:
        out.append(_group_text(ids, f"group {text!r}", text, SILENT))
        out.append(_group_text(ids, f"supergroup {text!r}", text, SILENT, supergroup=True))
    for text in ["/help", "/session HA.2", "/help@habitat_test_bot", "/start x_forget", "/subscribe WUF12 0m",
                 "/forget", "/reload", "／help", "/lang <b>"]:
        out.append(_group_text(ids, f"group {text!r}", text, MESSAGE))
        out.append(_group_text(ids, f"supergroup {text!r}", text, MESSAGE, supergroup=True))
    for text in ["HA.2", "<b>", "%s", "hello everyone", "城" * 5000]:
        out.append(_group_text(ids, f"group chatter {text[:20]!r}", text, SILENT))
        out.append(_group_text(ids, f"group reply to the bot {text[:20]!r}", text, MESSAGE, reply_to_bot=True))
    out += list(_raw_updates(ids))
    out += [_button(ids, f"button {data[:30]!r}", data) for data in FORGED_BUTTONS]
    out += [_button(ids, f"group button {data[:30]!r}", data, chat_type="supergroup") for data in FORGED_BUTTONS[:12]]
    out += [_button(ids, f"inline-message button {data[:30]!r}", data, inline=True) for data in FORGED_BUTTONS[:8]]
    out += [_button(ids, f"random button {i}", _random_button(rng)) for i in range(32)]
    out += [_inline(ids, f"inline {text[:20]!r} offset {offset[:10]!r}", text, offset)
            for text in INLINE_QUERIES for offset in JUNK_OFFSETS[: 4 if text else len(JUNK_OFFSETS)]]
    return out
