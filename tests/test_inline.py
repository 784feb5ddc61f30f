"""Inline mode end to end: the real Application answers inline queries through a fake Bot API."""

from __future__ import annotations

from tests.conftest import TelegramHarness
from tests.htmlcheck import assert_telegram_html, parse_telegram_html


async def answer(telegram: TelegramHarness, query: str, user_id: int = 3003, language_code: str = "zh") -> dict:  # type: ignore[type-arg]
    before = len(telegram.server.sent("answerInlineQuery"))
    telegram.server.inline_query(user_id, query, language_code=language_code)
    calls = await telegram.server.wait_for("answerInlineQuery", count=before + 1)
    return calls[before]


async def test_inline_query_returns_articles_that_cite_their_source(telegram: TelegramHarness) -> None:
    call = await answer(telegram, "贫民窟改造")
    results = call["results"]
    assert 1 <= len(results) <= 20
    assert all(r["type"] == "article" for r in results)
    texts = [r["input_message_content"]["message_text"] for r in results]
    for r, text in zip(results, texts, strict=True):
        assert r["input_message_content"]["parse_mode"] == "HTML"
        assert_telegram_html(text)
    cited = next(r for r in results if "第 49 段" in r["title"])
    shown = parse_telegram_html(cited["input_message_content"]["message_text"])[0]
    assert "A/79" in shown and "贫民窟改造政策框架" in shown
    assert telegram.server.errors == []


async def test_inline_query_in_english_and_traditional(telegram: TelegramHarness) -> None:
    # Asked from an English Telegram: the English query is answered in English, the Chinese one in Chinese.
    for query, cited in (("homelessness", "para. 47"), ("無家可歸", "第 47 段")):
        call = await answer(telegram, query, language_code="en")
        titles = [r["title"] for r in call["results"]]
        assert any(cited in t for t in titles), (query, titles)


async def test_empty_inline_query_lists_upcoming_milestones(telegram: TelegramHarness) -> None:
    call = await answer(telegram, "")
    results = call["results"]
    assert results, "the bundled content has milestones in the coming year"
    upcoming = telegram.services.lookup.upcoming("", telegram.services.askers.asker(3003, "zh"))[0].text
    assert results[0]["title"] in parse_telegram_html(upcoming)[0]
    assert telegram.server.errors == []


async def test_inline_query_with_no_match_answers_with_nothing(telegram: TelegramHarness) -> None:
    call = await answer(telegram, "qqzzxx")
    assert call["results"] == []
