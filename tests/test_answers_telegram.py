"""End to end through the fake Bot API: direct answers, "more" and misspelt commands as delegates use them."""

from __future__ import annotations

import asyncio

from tests.conftest import TelegramHarness
from tests.htmlcheck import assert_callback_data, assert_telegram_html, parse_telegram_html


def visible(message: dict) -> str:  # type: ignore[type-arg]
    return parse_telegram_html(message["text"])[0]


async def test_an_english_question_gets_an_english_direct_answer_with_citation(telegram: TelegramHarness) -> None:
    await asyncio.to_thread(telegram.services.search.service.index)  # as warmed at start-up
    # Telegram says Chinese; the question is English, so the answer is English.
    [reply] = await telegram.ask("Where will the twelfth World Urban Forum be held?", chat_id=6001, language_code="zh")
    assert_telegram_html(reply["text"])
    text = visible(reply)
    first_line = text.splitlines()[0]
    assert first_line.startswith("💡 The twelfth session of the World Urban Forum will be held in Cairo on 4–8 November 2024")
    assert "para. 31" in first_line
    assert "Results for" in text
    assert telegram.server.errors == []


async def test_more_pages_the_last_result_list(telegram: TelegramHarness) -> None:
    [first] = await telegram.ask("城市", chat_id=6002)
    assert "第 1–5 条" in visible(first)
    [second] = await telegram.ask("更多", chat_id=6002)
    assert "第 6–10 条" in visible(second)
    [third] = await telegram.ask("more", chat_id=6002, language_code="en")
    assert "第 11–15 条" in visible(third)
    assert_callback_data(third["reply_markup"])
    assert telegram.server.errors == []


async def test_a_misspelt_command_runs_the_closest(telegram: TelegramHarness) -> None:
    [reply] = await telegram.ask("/resolutoin 2/9", chat_id=6003, language_code="en")
    assert "Resolution 2/9" in visible(reply) and "resilience framework" in visible(reply)
    [offer] = await telegram.ask("/forgt", chat_id=6003, language_code="en")
    assert "Did you mean /forget" in visible(offer)
    assert_callback_data(offer["reply_markup"])
    assert telegram.server.errors == []


async def test_inline_mode_shows_the_answer_as_its_first_result(telegram: TelegramHarness) -> None:
    await asyncio.to_thread(telegram.services.search.service.index)
    telegram.server.inline_query(6004, "人居大会第二届会议通过了多少项决议", language_code="en")
    [call] = await telegram.server.wait_for("answerInlineQuery", count=1)
    first = call["results"][0]
    assert first["title"].startswith("💡") and "10 项决议" in first["title"]
    text = first["input_message_content"]["message_text"]
    assert_telegram_html(text)
    assert "第 7 段" in parse_telegram_html(text)[0]
    assert telegram.server.errors == []
