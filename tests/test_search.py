"""Search as delegates see it: /search pages, buttons, escaping, inline items, the persisted index,
and the tokenizer's promises (width, script and case never change what is found)."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import opencc
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from bot.app import Habitat
from bot.kernel.reply import CALLBACK_LIMIT, Reply, plain_text
from bot.kernel.router import Asker
from bot.search.area import SearchArea
from store.catalog import Catalog
from store.normalize import fold
from store.search import SearchService, snippet, strip_question
from store.tokenize import read_terms, segmenter
from tests.htmlcheck import assert_telegram_html

ZH = Asker(user_id=7, lang="zh")
EN = Asker(user_id=7, lang="en")
#: Chose English with /lang: answered in English whatever the question's language.
EN_CHOSEN = Asker(user_id=7, lang="en", chosen_lang=True)
TERMS = read_terms(Path(__file__).resolve().parent.parent / "content" / "terms.txt")
S2T = opencc.OpenCC("s2t")


def area(services: Habitat) -> SearchArea:
    return services.search


def buttons(reply: Reply) -> list[tuple[str, str]]:
    return [(b.text, b.data or "") for row in reply.buttons for b in row]


def more_button(reply: Reply) -> str | None:
    return next((data for text, data in buttons(reply) if "▶" in text and data.startswith("s:")), None)


def check_reply(reply: Reply) -> None:
    """What Telegram would refuse: bad HTML, over-long callback data."""
    assert_telegram_html(reply.text)
    for _text, data in buttons(reply):
        assert 1 <= len(data.encode()) <= CALLBACK_LIMIT


# -- /search and plain questions ------------------------------------------------------------------


def test_search_cites_document_and_paragraph_with_matched_words_in_bold(services: Habitat) -> None:
    [reply] = services.router.command("search", "贫民窟改造", ZH)
    check_reply(reply)
    assert "第 49 段" in reply.text and "A/79" in reply.text
    assert "<b>贫民窟改造</b>" in reply.text
    # The result's button opens the whole paragraph with its citation.
    data = next(d for _t, d in buttons(reply) if d == "p:SG-NUA-2024:49")
    [whole] = services.router.callback(data, ZH)
    check_reply(whole)
    assert "para" in plain_text(whole.text) or "段" in plain_text(whole.text)
    assert "贫民窟改造政策框架本土化" in whole.text


def test_a_plain_question_is_searched(services: Habitat) -> None:
    [reply] = services.router.message("城市十月是什么", ZH)
    check_reply(reply)
    assert "城市十月" in plain_text(reply.text)
    assert any(d == "e:urban-october" for _t, d in buttons(reply))


def test_english_and_traditional_queries_reach_the_chinese_homelessness_paragraph(services: Habitat) -> None:
    for query in ("homelessness", "無家可歸", "ｈｏｍｅｌｅｓｓｎｅｓｓ"):
        [reply] = services.router.message(query, EN_CHOSEN)
        check_reply(reply)
        assert "para. 47" in reply.text, query
        assert "<b>无家可归</b>" in reply.text


def test_a_misspelt_query_says_what_was_searched_instead(services: Habitat) -> None:
    [reply] = services.router.command("search", "贫民窑改造", EN_CHOSEN)
    check_reply(reply)
    assert "贫民窟改造" in plain_text(reply.text) and "you typed" in reply.text
    assert "para. 49" in reply.text


def test_more_buttons_page_through_results_and_back(services: Habitat) -> None:
    [first] = services.router.command("search", "城市", ZH)
    check_reply(first)
    data = more_button(first)
    assert data is not None
    [second] = services.router.callback(data, ZH)
    check_reply(second)
    assert "第 6–10 条" in second.text
    assert set(buttons(first)) & set(buttons(second)) == set()  # new results, not the same page again
    back = next(d for t, d in buttons(second) if "◀" in t)
    [again] = services.router.callback(back, ZH)
    assert again.text == first.text


def test_long_queries_page_through_a_short_key(services: Habitat) -> None:
    query = "人居署 支持 会员国 推进 新城市议程 的 实施 可持续城市化 多层次治理 城市规划 地方政府 伙伴关系"
    [first] = services.router.command("search", query, ZH)
    data = more_button(first)
    assert data is not None and len(data.encode()) <= CALLBACK_LIMIT and ":k:" in data
    [second] = services.router.callback(data, ZH)
    assert "第 6–" in second.text
    # A key the bot no longer remembers (after a restart) gets a clear answer, not an error.
    [stale] = services.router.callback("s:1:k:00000000", ZH)
    assert "过期" in stale.text


def test_markup_in_the_query_is_escaped(services: Habitat) -> None:
    for query in ("<script>alert(1)</script> 住房", "a & b < c > d", "<b>住房</b>"):
        [reply] = services.router.command("search", query, EN)
        check_reply(reply)
        assert "<script>" not in reply.text
        assert "&lt;" in reply.text


def test_nothing_found_says_so_and_points_to_help(services: Habitat) -> None:
    [reply] = services.router.command("search", "zzqx qqzx", EN)
    check_reply(reply)
    assert "Nothing found" in reply.text and "/help" in reply.text
    [reply] = services.router.message("qqzzxx", dataclasses.replace(ZH, chosen_lang=True))
    assert "未找到" in reply.text and "/help" in reply.text


def test_search_without_words_explains_itself(services: Habitat) -> None:
    [reply] = services.router.command("search", "", ZH)
    check_reply(reply)
    assert "/search" in reply.text and buttons(reply)
    assert "search" in services.router.commands and "搜索" in services.router.commands["search"].description("zh")


def test_identifiers_inside_a_question_find_their_entry(services: Habitat) -> None:
    _index, results = area(services).search("where will WUF12 be held")
    assert results.hits[0].entry_id == "WUF12"
    _index, results = area(services).search("resolution 2/2")
    assert results.hits[0].entry_id == "res-2/2"


# -- inline mode -----------------------------------------------------------------------------------


def test_inline_results_cite_their_source(services: Habitat) -> None:
    items = area(services).inline("slum upgrading", ZH)
    assert 1 <= len(items) <= 20
    assert len({i.id for i in items}) == len(items)
    for item in items:
        assert 1 <= len(item.id.encode()) <= 64 and item.title
        assert_telegram_html(item.text)
    paragraph = next(i for i in items if "para. 49" in i.title)  # an English query: cited in English
    assert "A/79" in paragraph.text and "贫民窟改造" in paragraph.text


def test_empty_inline_query_lists_upcoming_milestones(services: Habitat) -> None:
    items = area(services).inline("", ZH)
    assert items, "the content has events in the coming year"
    upcoming = services.lookup.upcoming("", ZH)[0].text
    assert items[0].title in plain_text(upcoming)
    for item in items:
        assert_telegram_html(item.text)


# -- the persisted index ---------------------------------------------------------------------------


def test_the_index_is_reused_on_restart_and_rebuilt_when_content_changes(services: Habitat, tmp_path: Path) -> None:
    catalog = services.content.catalog
    first = SearchService(lambda: catalog, tmp_path, TERMS).index()
    assert not first.from_disk
    restarted = SearchService(lambda: catalog, tmp_path, TERMS).index()
    assert restarted.from_disk and restarted.key == first.key
    assert restarted.search("贫民窟改造").hits[:3] == first.search("贫民窟改造").hits[:3]

    paragraphs = dict(catalog.paragraphs)
    paragraphs["SG-NUA-2024"] = [
        dataclasses.replace(p, text=p.text + " 气候难民专项") if p.number == "47" else p
        for p in paragraphs["SG-NUA-2024"]
    ]
    changed = Catalog(catalog.entries, catalog.documents, paragraphs, catalog.glossary, catalog.aliases,
                      version=catalog.version + "-edited")
    current = [catalog]
    service = SearchService(lambda: current[0], tmp_path, TERMS)
    assert service.index().key == first.key
    current[0] = changed  # what services.swap_catalog does on reload
    rebuilt = service.index()
    assert rebuilt.key != first.key and not rebuilt.from_disk
    assert rebuilt.search("气候难民专项").hits[0].number == "47"


# -- tokenizer and normaliser properties -----------------------------------------------------------


words = st.sampled_from(TERMS + ["住房", "贫民窟", "城市", "会议", "决议", "气候", "韧性", "第二届"])
ascii_text = st.text(alphabet=st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1, max_size=30)


def to_fullwidth(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if 0x21 <= ord(c) <= 0x7E else "\u3000" if c == " " else c for c in text)


@settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.text(max_size=40))
def test_folding_is_idempotent(text: str) -> None:
    assert fold(fold(text)) == fold(text)
    assert segmenter().tokens(fold(text)) == segmenter().tokens(text)


@settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.lists(st.one_of(words, ascii_text), min_size=1, max_size=5))
def test_full_width_and_half_width_give_the_same_tokens(parts: list[str]) -> None:
    text = " ".join(parts)
    seg = segmenter(TERMS)
    assert seg.tokens(to_fullwidth(text)) == seg.tokens(text)


@settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.lists(words, min_size=1, max_size=5))
def test_traditional_and_simplified_give_the_same_tokens(parts: list[str]) -> None:
    text = "".join(parts)
    traditional = S2T.convert(text)
    assume(fold(traditional) == fold(text))  # a few characters have no one-to-one round trip
    seg = segmenter(TERMS)
    assert seg.tokens(traditional) == seg.tokens(text)


def test_domain_terms_are_single_tokens() -> None:
    seg = segmenter(TERMS)
    for term in ("人居署", "城市十月", "贫民窟改造", "自愿地方审查", "新城市议程"):
        assert term in seg.tokens(f"关于{term}的报告"), term
    assert "人居大会" in seg.tokens("人居大會第二屆會議")


@pytest.mark.parametrize(
    ("question", "thing"),
    [("城市十月是什么", "城市十月"), ("what is surge?", "surge"), ("世界城市论坛第12届会议在哪里举行", "世界城市论坛第12届会议")],
)
def test_question_frames_are_stripped(question: str, thing: str) -> None:
    assert strip_question(question) == thing


def test_snippets_escape_text_and_bold_only_matches() -> None:
    html = snippet("<a> 住房 & 贫民窟改造 " + "很长的文字" * 60, ["贫民窟改造", "住房"], width=60)
    assert html.startswith("&lt;a&gt; <b>住房</b> &amp; <b>贫民窟改造</b>")
    assert html.endswith("…")
    assert_telegram_html(html)
    assert re.sub(r"</?b>", "", html).count("<") == 0


@pytest.mark.parametrize(("question", "year_entry", "series"), [
    ("Where did Urban October 2022 start and end?", "urban-october-2022", "urban-october"),
    ("Which city hosted World Cities Day 2019?", "world-cities-day-2019", "world-cities-day"),
    ("2024年世界人居日在哪个城市", "world-habitat-day-2024", "world-habitat-day"),
])
def test_a_year_in_the_question_puts_that_years_entry_before_its_series(
    services: Habitat, question: str, year_entry: str, series: str
) -> None:
    _index, results = services.search.search(question)
    ranked = [hit.entry_id for hit in results.hits if hit.entry_id]
    assert ranked[0] == year_entry and series in ranked[1:]
    # Without a year the series comes first: it is what the question is about.
    _index, plain = services.search.search(question.replace("2022", "").replace("2019", "").replace("2024年", ""))
    assert [hit.entry_id for hit in plain.hits if hit.entry_id][0] == series


def test_a_topic_within_a_named_document_brings_its_paragraph_first(services: Habitat) -> None:
    _index, about = services.search.search("What does the declaration say about the Katowice forum?")
    first = about.hits[0]
    assert (first.doc, first.number) == ("HA2-DECLARATION", "16")
    assert "doc-HA2-DECLARATION" in [hit.entry_id for hit in about.hits[:3]]
    # Naming the document alone asks for the document: its entry stays first.
    _index, named = services.search.search("the ministerial declaration of the second Assembly")
    assert named.hits[0].entry_id == "doc-HA2-DECLARATION"


@pytest.mark.parametrize(("question", "entry"), [
    ("second Assembly", "HA.2"),
    ("where was the second Assembly held", "HA.2"),
    ("when did the first Assembly take place", "HA.1"),
])
def test_a_session_named_in_part_inside_a_question_comes_first(services: Habitat, question: str, entry: str) -> None:
    _index, results = services.search.search(question)
    assert results.hits[0].entry_id == entry
