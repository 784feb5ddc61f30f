"""Conversation: replies in the asker's language, "more" paging the last list from the database,
misspelt commands, and text with nothing to look up."""

from __future__ import annotations

import dataclasses
import datetime as dt

import sqlalchemy as sa
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy.engine import Engine

from bot.app import Habitat, build
from bot.kernel.callbacks import SuggestedCommand, parse
from bot.kernel.clock import FixedClock
from bot.kernel.language import has_words, written_in
from bot.kernel.reply import Reply, plain_text
from bot.kernel.router import Asker
from bot.settings import Settings
from store import migrations
from store.conversation import last_search, remember_search
from store.db import make_engine, session_scope

ZH = Asker(user_id=21, lang="zh")
EN = Asker(user_id=22, lang="en")


def text_of(replies: list[Reply]) -> str:
    return plain_text(replies[0].text)


# -- the asker's language ----------------------------------------------------------------------------


def test_english_words_get_english_and_chinese_words_chinese(services: Habitat) -> None:
    assert text_of(services.router.message("homelessness", ZH)).startswith("🔎 Results for")
    assert text_of(services.router.message("无家可归", EN)).startswith("🔎 “无家可归”的搜索结果")
    assert "Results for" in text_of(services.router.command("search", "slum upgrading", ZH))


def test_without_words_telegram_language_decides(services: Habitat) -> None:
    assert "Second session of the UN-Habitat Assembly" in text_of(services.router.message("HA.2", EN))
    assert "联合国人居大会第二届会议" in text_of(services.router.message("HA.2", ZH))
    assert "Coming up" in text_of(services.router.command("upcoming", "", EN))
    assert "Resolution 2/7" in text_of(services.router.message("第2/7号决议", EN))  # an identifier, not words


def test_a_language_chosen_with_lang_wins(services: Habitat) -> None:
    chosen = dataclasses.replace(ZH, chosen_lang=True)
    assert text_of(services.router.message("homelessness", chosen)).startswith("🔎 “homelessness”的搜索结果")


def test_mixed_text_follows_its_sentence() -> None:
    assert written_in("What is 城市十月?") == "en"
    assert written_in("城市十月 WUF12") == "zh"
    assert written_in("HSP/EB.2023/18") is None
    assert written_in("resolution 2/7") is None


@given(st.text(alphabet="人居大会城市住房贫民窟改造执行局，。？ 0123456789", min_size=1).filter(lambda s: any("\u4e00" <= c <= "\u9fff" for c in s)))
def test_chinese_without_latin_is_chinese(text: str) -> None:
    assert written_in(text) in ("zh", None)
    if "/" not in text:
        assert written_in(text) == "zh"


@given(st.lists(st.sampled_from(["housing", "slum", "when", "is", "the", "forum", "urban", "next"]), min_size=1, max_size=8))
def test_english_words_are_english(words: list[str]) -> None:
    assert written_in(" ".join(words)) == "en"


# -- nothing to look up ------------------------------------------------------------------------------


def test_markup_punctuation_and_single_letters_are_not_found(services: Habitat) -> None:
    for text in ("<b>x</b>", "(b)", "...", "a", "7", "<i></i>", "…", "a b c"):
        reply = services.router.message(text, EN)[0]
        assert "Nothing found" in reply.text, text
        assert "para" not in reply.text and not reply.buttons, text


@given(st.text(alphabet=st.sampled_from(list("()[]<>/.,;:!?-—…*#'\" ") + list("abcxyz0123456789")), max_size=12))
def test_text_of_single_characters_has_no_words(text: str) -> None:
    tokens = "".join(c if c.isalnum() else " " for c in text).split()
    if all(len(t) == 1 for t in tokens) and "/" not in text:
        assert not has_words(text)


def test_identifiers_and_words_have_words() -> None:
    assert has_words("2/7") and has_words("HA.2") and has_words("城") and has_words("<b>住房</b>")


# -- misspelt commands -------------------------------------------------------------------------------


def test_a_misspelt_command_runs_the_clearly_closest(services: Habitat) -> None:
    assert "Creation of a human settlements resilience framework" in text_of(services.router.message("/resolutoin 2/9", EN))
    assert "Second session of the UN-Habitat Assembly" in text_of(services.router.message("/sesion HA.2", EN))
    assert "/subscribe" in text_of(services.router.message("/subscibe", EN))  # its usage line


def test_an_unsure_or_irreversible_guess_is_offered_not_run(services: Habitat) -> None:
    [offer] = services.router.message("/forgt", EN)
    assert "Did you mean /forget" in offer.text
    button = parse(offer.buttons[0][0].data or "")
    assert button == SuggestedCommand("forget")
    [offer] = services.router.message("/subs", EN)
    assert "Did you mean" in offer.text and len(offer.buttons) >= 2  # /subscribe or /mysubs …
    [pressed] = services.router.callback(SuggestedCommand("session", "HA.2").pack(), EN)
    assert "Second session" in pressed.text
    assert "/help" in text_of(services.router.message("/frobnicate", EN))


def test_admin_commands_are_not_guessed_for_delegates(services: Habitat) -> None:
    replies = services.router.message("/broadcst hello", EN)
    assert "Unknown command" in replies[0].text and not replies[0].buttons
    assert "This button is no longer valid" in services.router.callback(SuggestedCommand("broadcast").pack(), EN)[0].text


# -- "more" pages the last list, from the database ---------------------------------------------------


def test_more_pages_the_last_list_from_any_replica(services: Habitat, settings: Settings, clock: FixedClock) -> None:
    first = text_of(services.router.message("城市", ZH))
    assert "第 1–5 条" in first
    second = text_of(services.router.message("更多", ZH))
    assert "第 6–10 条" in second
    other = build(settings, clock)  # another replica on the same database
    try:
        third = text_of(other.router.message("more", ZH))
        assert "第 11–15 条" in third  # the query's language, whatever word asked for more
        assert "第 16–20 条" in text_of(other.router.message("下一页", ZH))
    finally:
        other.close()
    assert "第 21–25 条" in text_of(services.router.command("more", "", ZH))


def test_more_without_a_search_and_after_the_last_page(services: Habitat) -> None:
    assert "no earlier search" in text_of(services.router.message("more", Asker(user_id=31, lang="en")))
    who = Asker(user_id=32, lang="en")
    services.router.message("World Urban Forum Cairo theme", who)
    for _ in range(12):
        reply = text_of(services.router.message("next", who))
        if "last page" in reply:
            break
    assert "last page" in reply


def test_forget_deletes_the_remembered_search(services: Habitat) -> None:
    who = Asker(user_id=33, lang="en")
    services.router.message("housing", who)
    [ask] = services.router.command("forget", "", who)  # names the search among what it deletes
    assert "your last search" in ask.text
    services.router.callback(ask.buttons[0][0].data or "", who)
    assert "no earlier search" in text_of(services.router.message("more", who))


def test_the_last_search_is_one_row_per_user_on_every_backend(engine: Engine) -> None:
    now = dt.datetime(2024, 10, 1, tzinfo=dt.UTC)
    with session_scope(engine) as session:
        remember_search(session=session, user_id=7, query="城市", page=0, now=now)
    with session_scope(engine) as session:
        remember_search(session=session, user_id=7, query="城市", page=1, now=now)
        remember_search(session=session, user_id=8, query="housing", page=0, now=now)
    with session_scope(engine) as session:
        row = last_search(session=session, user_id=7)
        assert row is not None and (row.query, row.page) == ("城市", 1)
        other = last_search(session=session, user_id=8)
        assert other is not None and other.query == "housing"
        assert last_search(session=session, user_id=9) is None


def test_the_migration_adds_and_removes_the_last_search_table(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        migrations.upgrade(engine, "0002")
        assert "last_search" not in sa.inspect(engine).get_table_names()
        migrations.upgrade(engine)
        with session_scope(engine) as session:
            remember_search(session=session, user_id=9_000_000_001, query="housing", page=2,
                            now=dt.datetime(2024, 10, 1, tzinfo=dt.UTC))
        with session_scope(engine) as session:
            row = last_search(session=session, user_id=9_000_000_001)
            assert row is not None and row.page == 2
        migrations.downgrade(engine, "0002")
        assert "last_search" not in sa.inspect(engine).get_table_names()
    finally:
        engine.dispose()
