"""Button data and deep links: what the bot packs it can read back; anything else is refused politely."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.app import Habitat
from bot.kernel.callbacks import (
    CALLBACK_LIMIT,
    KINDS,
    BadButton,
    BroadcastButton,
    ButtonData,
    CalendarButton,
    CommandButton,
    EntryButton,
    LanguageButton,
    ParagraphButton,
    SearchPage,
    SnoozeButton,
    SubscribeButton,
    UnsubscribeButton,
    UpcomingButton,
    from_deep_link,
    parse,
    to_deep_link,
)
from bot.kernel.router import Asker
from store.kinds import KINDS as ENTRY_KINDS
from store.kinds import LOOKUPS
from store.schema import Kind

ENTRY_IDS = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._/-]{0,39}", fullmatch=True)
NUMBERS = st.integers(min_value=0, max_value=10**12)
BUTTONS = st.one_of(
    ENTRY_IDS.map(EntryButton),
    st.builds(ParagraphButton, ENTRY_IDS, st.from_regex(r"\d{1,4}(\([a-z]{1,3}\))?", fullmatch=True)),
    st.sampled_from(["zh", "en"]).map(LanguageButton),
    st.just(UpcomingButton()),
    st.builds(CommandButton, st.sampled_from(["search", "session", "ics"]),
              st.text(min_size=0, max_size=20).map(str.strip)),
    st.builds(BroadcastButton, st.sampled_from(["go", "no"]), NUMBERS),
    st.one_of(ENTRY_IDS, st.just("all"), st.from_regex(r"cat-[a-z0-9][a-z0-9-]{0,20}", fullmatch=True)).map(SubscribeButton),
    NUMBERS.map(UnsubscribeButton),
    NUMBERS.map(SnoozeButton),
    st.just(CalendarButton("reset")),
    st.builds(SearchPage, st.integers(0, 10_000), st.text(min_size=1, max_size=40).filter(str.strip)),
)
ZH = Asker(user_id=9100, lang="zh", chat_id=9100)
EN = Asker(user_id=9101, lang="en", chat_id=9101)


@given(BUTTONS)
def test_what_is_packed_parses_back_to_the_same_button(button: ButtonData) -> None:
    try:
        data = button.pack()
    except ValueError:  # over Telegram's 64 bytes: refused when packing, never sent
        return
    assert len(data.encode()) <= CALLBACK_LIMIT
    assert parse(data) == button


@given(st.text(max_size=80))
def test_any_text_parses_to_a_button_or_is_refused(data: str) -> None:
    try:
        button = parse(data)
    except BadButton:
        return
    assert isinstance(button, tuple(KINDS.values()))
    assert button.pack() == data or parse(button.pack()) == button


@pytest.mark.parametrize("data", [
    "uns:²", "snz:99999999999999999999999", "s:²:q:x", "s:1:k:zz", "s:1:", "bc:go:²", "bc:boom:1", "lang:fr",
    "up:x", "cal:", "cal:drop", "p:doc:¹", "e:", "e:<b>", "sub:cat-<b>", "x:FORGET", "", ":", "nope:1", "e" * 65,
])
def test_forged_button_data_is_refused(data: str) -> None:
    with pytest.raises(BadButton):
        parse(data)


@given(ENTRY_IDS)
def test_deep_links_round_trip_with_allowed_characters_only(entry_id: str) -> None:
    for button in (EntryButton(entry_id), SubscribeButton(entry_id)):
        try:
            payload = to_deep_link(button)
        except ValueError:  # Telegram allows 64 characters: refused when made, never a broken link
            assert len(entry_id) + entry_id.count(".") + entry_id.count("/") > 60
            continue
        assert all(c.isascii() and (c.isalnum() or c in "_-") for c in payload)
        assert from_deep_link(payload) == button


@pytest.mark.parametrize("payload", ["x_forget", "uns_12", "snz_1", "bc_go_c1", "lang_en", "x_rollback", "uns_²", "s_1_cq_cx"])
def test_links_never_act(payload: str) -> None:
    with pytest.raises(BadButton):
        from_deep_link(payload)


@pytest.mark.parametrize("data", ["uns:²", "s:²:q:x", "snz:99999999999999999999999", "bc:go:1", "sub:cat-nosuch", "x:forget",
                                  "x:rollback", "x:reload", "e:no-such-entry", "p:nodoc:1"])
def test_forged_presses_get_a_short_polite_answer(services: Habitat, data: str) -> None:
    for who in (ZH, EN):
        [reply] = services.router.callback(data, who)
        assert len(reply.text) < 200 and "/help" in reply.text or "⛔" in reply.text


def test_a_deep_link_to_forget_deletes_nothing(services: Habitat) -> None:
    services.router.command("subscribe", "WUF13", EN)
    [welcome] = services.router.command("start", "x_forget", EN)
    assert "Habitat Assistant" in welcome.text
    [mine] = services.router.command("mysubs", "", EN)
    assert "WUF13" in mine.text or "World Urban Forum" in mine.text


def test_every_kind_of_entry_is_in_the_kinds_table() -> None:
    assert set(ENTRY_KINDS) == set(Kind)
    assert {kind for lookup in LOOKUPS for kind in lookup.kinds} <= set(Kind)
    assert len({lookup.command for lookup in LOOKUPS}) == len(LOOKUPS)
