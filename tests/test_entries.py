"""What the entries say, checked against the sources: the cards a delegate reads, built in memory."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from bot.app import Habitat
from bot.kernel.cards import entry_reply
from bot.kernel.reply import plain_text
from bot.kernel.router import Asker
from store.aliases import entry_aliases
from store.catalog import Catalog, Found, NotFound
from store.content import Content, ContentInvalid, load_content, squash
from tests.conftest import CONTENT

NOW = dt.datetime(2026, 11, 22, 9, 0, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def content() -> Content:
    return load_content(CONTENT)


@pytest.fixture(scope="module")
def catalog(content: Content) -> Catalog:
    aliases = {e.id: [alias for alias, _key in entry_aliases(e)] for e in content.entries.values()}
    return Catalog(content.entries, content.documents, content.paragraphs, content.glossary, aliases)


def card(catalog: Catalog, entry_id: str, lang: str = "en") -> str:
    return plain_text(entry_reply(catalog.entries[entry_id], catalog, NOW, lang).text)


def found(catalog: Catalog, text: str) -> str | None:
    resolution = catalog.resolve(text)
    return resolution.entry.id if isinstance(resolution, Found) else None


def test_the_ha1_card_shows_where_the_draft_proceedings_contradict_themselves(catalog: Catalog) -> None:
    en, zh = card(catalog, "HA.1"), card(catalog, "HA.1", "zh")
    assert "3rd plenary meeting" in en and "28 May 2019" in en and "29 May" in en
    assert "HA.1 draft proceedings (2019), para. 56" in en and "HA.1 draft proceedings (2019), para. 60" in en
    assert "第 7 次全体会议" in zh and "第 5 次会议" in zh
    assert "8 seats" in en and "only 7" in en


def test_facts_from_a_cover_page_are_cited_as_the_cover_page(catalog: Catalog) -> None:
    assert "HSP/EB.2023/18, cover page" in card(catalog, "EB.2023-11")
    assert "HSP/EB.2023/18 封面" in card(catalog, "doc-HSP/EB.2023/10", "zh")


def test_a_cover_page_citation_is_checked_like_a_paragraph(tmp_path: Path) -> None:
    copy = tmp_path / "content"
    shutil.copytree(CONTENT, copy)
    documents = copy / "entries" / "documents.yaml"
    documents.write_text(documents.read_text().replace('"* HSP/EB.2023/10"', '"* HSP/EB.2023/11"'))
    with pytest.raises(ContentInvalid) as caught:
        load_content(copy)
    messages = [str(e) for e in caught.value.errors]
    assert any("HSP-EB.2023-18 cover does not contain '* HSP/EB.2023/11'" in m for m in messages), messages


def test_the_ha2_theme_is_worded_as_the_declaration_titles_it(content: Content, catalog: Catalog) -> None:
    theme = content.entries["HA.2"].theme
    assert theme is not None and theme.zh is not None and theme.zh.endswith("在全球危机时代实现可持续发展目标")
    assert squash(theme.zh) in squash(content.covers["HA2-DECLARATION"])
    assert "HSP/HA.2/7, para. 1" in card(catalog, "HA.2")


def test_africa_climate_week_is_not_the_africa_climate_summit(catalog: Catalog) -> None:
    assert found(catalog, "非洲气候周") == "africa-climate-week-2023"
    assert found(catalog, "Africa Climate Summit") == "africa-climate-summit-2023"
    assert "a separate event" in card(catalog, "africa-climate-summit-2023")


@pytest.mark.parametrize("entry_id", ["world-habitat-day-2019", "world-cities-day-2019"])
def test_observances_announced_at_ha1_are_told_as_announcements(catalog: Catalog, entry_id: str) -> None:
    en, zh = card(catalog, entry_id), card(catalog, entry_id, "zh")
    assert "announced" in en and "do not report the observance itself" in en
    assert "宣布" in zh and "没有报道活动本身" in zh


def test_the_ipcc_report_was_supported_by_all_parties_not_by_un_habitat_alone(catalog: Catalog) -> None:
    en = card(catalog, "ipcc-special-report-cities")
    assert "all parties" in en and "UN-Habitat actively" not in en


def test_habitat_conferences_cite_the_paragraph_their_footnote_belongs_to(content: Content) -> None:
    for entry_id in ("habitat-i", "habitat-ii", "habitat-iii"):
        cited = [s for s in content.entries[entry_id].sources if s.doc == "HSP-HA.2-7"]
        assert [s.para for s in cited] == ["40"] and "footnote 6" in (cited[0].note or ""), entry_id


# -- what delegates ask about has an entry ---------------------------------------------------------


def test_the_executive_director_card_names_every_holder_with_the_sources_terms(catalog: Catalog) -> None:
    assert found(catalog, "Executive Director of UN-Habitat") == "executive-director"
    en = card(catalog, "executive-director")
    sharif, mlynar, rossbach = (en.index(n) for n in ("Maimunah Mohd Sharif —", "Michal Mlynár (acting)", "Anacláudia Rossbach —"))
    assert sharif < mlynar < rossbach
    assert "until 19 January 2024" in en and "until 11 August 2024" in en and "from August 2024" in en
    assert "A/79 — SG report on the New Urban Agenda (2024), para. 2" in en


@pytest.mark.parametrize(("typed", "person"), [("罗斯巴赫", "anaclaudia-rossbach"), ("Michal Mlinar", "michal-mlynar"),
                                               ("迈穆娜·穆赫德·谢里夫", "maimunah-mohd-sharif"),
                                               ("迈穆娜·穆罕默德·谢里夫", "maimunah-mohd-sharif")])
def test_a_person_is_found_by_each_spelling_the_sources_use(catalog: Catalog, typed: str, person: str) -> None:
    assert found(catalog, typed) == person


def test_a_persons_card_says_which_office_they_held_and_when(catalog: Catalog) -> None:
    assert "Executive Director of UN-Habitat (acting) — acting Executive Director" in card(catalog, "michal-mlynar")
    assert "👤 人居署执行主任 — 自 2024 年 8 月起" in card(catalog, "anaclaudia-rossbach", "zh")
    assert "👤 President · First session of the UN-Habitat Assembly" in card(catalog, "martha-delgado-peralta")


def test_the_ha1_card_lists_its_officers_and_leaves_blank_names_blank(catalog: Catalog) -> None:
    en, zh = card(catalog, "HA.1"), card(catalog, "HA.1", "zh")
    assert "President: Martha Delgado Peralta (Mexico)" in en
    assert "Vice-President: name not given in the sources (Germany)" in en
    assert "Vice-President: name not given in the sources (Ghana)" in en
    assert "Rapporteur: name not given in the sources (China)" in en
    assert "报告员：来源未给出姓名（中国）" in zh
    assert "HA.1 draft proceedings (2019), para. 37" in en


def test_the_executive_board_card_lists_the_members_elected_in_2019_by_group(content: Content, catalog: Catalog) -> None:
    board = content.entries["executive-board"]
    assert sum(g.seats or 0 for g in board.members) == 36
    assert [len(g.members) for g in board.members] == [10, 8, 4, 6, 7]  # the draft lists 7 for 8 seats
    en = card(catalog, "executive-board")
    assert "African States (10 seats): Angola, Cameroon" in en and "Bahrain and Indonesia share one seat" in en
    assert "only 7" in en and "HA.1 draft proceedings (2019), para. 45(b)" in en
    assert "非洲国家（10 个席位）：安哥拉、喀麦隆" in card(catalog, "executive-board", "zh")


@pytest.mark.parametrize("typed", ["strategic plan 2020-2025", "2020-2023 年战略计划", "人居署 2020–2025 年期间战略计划"])
def test_the_strategic_plan_2020_2023_keeps_both_ways_the_sources_write_its_period(catalog: Catalog, typed: str) -> None:
    assert found(catalog, typed) == "strategic-plan-2020-2023"
    en = card(catalog, "strategic-plan-2020-2023")
    assert "🗓 2020–2023" in en and "🗓 2020–2025" in en and "more than one way" in en
    assert "HSP/EB.2023/18, para. 2" in en and "A/79 — SG report on the New Urban Agenda (2024), para. 3" in en


@pytest.mark.parametrize("number", ["2/3", "2/4", "2/5"])
def test_ha2_decisions_without_a_summary_say_so_and_invent_nothing(catalog: Catalog, number: str) -> None:
    resolution = catalog.resolve(f"decision {number}")
    assert isinstance(resolution, Found) and resolution.entry.id == f"dec-{number}"
    assert resolution.entry.no_summary
    en = card(catalog, f"dec-{number}")
    assert "the sources give no summary" in en and "Not to be confused with resolution" in en


def test_the_housing_working_group_is_an_entry_of_its_own(catalog: Catalog) -> None:
    assert found(catalog, "working group on adequate housing") == "housing-working-group"
    en = card(catalog, "housing-working-group")
    assert "resolution 2/7" in en and "only universal intergovernmental body on housing" in en


def test_the_special_theme_dialogues_are_placed_in_their_sessions(catalog: Catalog) -> None:
    assert found(catalog, "HA.2 special theme dialogue") == "HA.2-special-theme-dialogue"
    assert found(catalog, "人居大会第一届会议特别主题对话") == "HA.1-special-theme-dialogue"
    en = card(catalog, "HA.2-special-theme-dialogue")
    assert "During Second session of the UN-Habitat Assembly (5–9 June 2023); the sources give no day" in en
    assert "housing, climate and crises" in en and "HSP/HA.2/7, para. 86" in en
    ha1 = card(catalog, "HA.1-special-theme-dialogue")
    assert "Investing in urban innovation" in ha1 and "HA.1 draft proceedings (2019), para. 61" in ha1


def test_a_pointer_to_an_entry_of_the_wrong_kind_is_rejected(tmp_path: Path) -> None:
    copy = tmp_path / "content"
    shutil.copytree(CONTENT, copy)
    bodies = copy / "entries" / "bodies.yaml"
    bodies.write_text(bodies.read_text().replace("  - person: michal-mlynar", "  - person: HA.2"))
    with pytest.raises(ContentInvalid) as caught:
        load_content(copy)
    assert any("'HA.2' is a session, not a person" in str(e) and "[executive-director]" in str(e)
               for e in caught.value.errors), [str(e) for e in caught.value.errors]


# -- Executive Board sessions: one id pattern, the sources' wording, old ids ------------------------


def test_board_session_ids_follow_one_pattern_and_keep_their_old_ids(content: Content, catalog: Catalog) -> None:
    board = [e for e in content.entries.values() if e.kind.value == "session" and e.body == "executive-board"]
    assert len(board) == 7
    for entry in board:
        assert entry.dates is not None and entry.id == f"EB.{entry.dates.start:%Y-%m}", entry.id
        for old in entry.former_ids:
            assert found(catalog, old) == entry.id and catalog.entry(old) is entry


@pytest.mark.parametrize(("typed", "entry_id"), [
    ("人居署执行局2024年第二届会议", "EB.2024-12"), ("执行局 2023 年第三次会议", "EB.2023-11"),
    ("EB.2024.1", "EB.2024-05"), ("eb 2024/2", "EB.2024-12"), ("Executive Board, third session of 2023", "EB.2023-11"),
    ("执行局2022年十一月会议", "EB.2022-11"), ("Executive Board March 2023", "EB.2023-03"),
    ("人居署執行局2024年第二屆會議", "EB.2024-12"),
])
def test_board_sessions_resolve_from_the_wording_the_sources_and_delegates_use(
    catalog: Catalog, typed: str, entry_id: str
) -> None:
    assert found(catalog, typed) == entry_id


def test_a_board_session_the_sources_do_not_number_is_not_guessed(catalog: Catalog) -> None:
    """EB.2023.1 is one keystroke from EB.2023.3, but the sources number no first session of 2023."""
    resolution = catalog.resolve("EB.2023.1")
    assert isinstance(resolution, NotFound)
    assert {e.id for e in resolution.suggestions} == {"EB.2023-03", "EB.2023-11"}


def test_an_old_button_opens_the_renamed_entry(services: Habitat) -> None:
    [reply] = services.router.callback("e:EB.2024.2", Asker(user_id=7, lang="en"))
    assert reply.meta.get("entry") == "EB.2024-12"


# -- agendas -----------------------------------------------------------------------------------


def test_the_ha1_agenda_lists_its_18_items_with_the_documents_under_them(catalog: Catalog) -> None:
    from bot.lookup.agenda import agenda_reply

    reply = agenda_reply(catalog.entries["HA.1"], catalog, "en")
    text = plain_text(reply.text)
    positions = [text.index(f"\n{n}. ") for n in range(1, 19)]
    assert positions == sorted(positions)
    assert "14. Strategic plan of the United Nations Human Settlements Programme for the period 2020–2025 — HSP/HA/1/7" in text
    assert "12. Report of the World Urban Forum — HSP/HA/1/5, HSP/HA/INF/6" in text
    assert "HA.1 draft proceedings (2019), para. 36" in text
    pressed = {b.data for row in reply.buttons for b in row}
    assert {"e:doc-HSP/HA/1/7", "e:doc-HSP/HA/1/1", "e:HA.1"} <= pressed
    zh = plain_text(agenda_reply(catalog.entries["HA.1"], catalog, "zh").text)
    assert "13. 联合国人居大会第一届会议特别主题对话" in zh


def test_a_partial_agenda_says_it_is_partial(catalog: Catalog) -> None:
    from bot.lookup.agenda import agenda_reply

    reply = agenda_reply(catalog.entries["EB.2023-11"], catalog, "en")
    text = plain_text(reply.text)
    assert "only the items below" in text and "12. Preparations for the twelfth session of the World Urban Forum" in text
    assert "HSP/EB.2023/18, cover page" in text
    assert {"e:doc-HSP/EB.2023/18", "e:doc-HSP/EB.2023/10"} <= {b.data for row in reply.buttons for b in row}
    assert "no agenda" in plain_text(agenda_reply(catalog.entries["HA.2"], catalog, "en").text)


def test_cards_name_the_agenda_a_session_has_and_the_item_a_document_is_under(catalog: Catalog) -> None:
    assert "📋 Agenda: 18 items · HSP/HA/1/1" in card(catalog, "HA.1")
    assert "📋 Agenda: the sources give 1 item only · HSP/EB.2023/10" in card(catalog, "EB.2023-11")
    assert "📋 First session of the UN-Habitat Assembly, agenda item 14" in card(catalog, "doc-HSP/HA/1/7")
    assert "📋 Third session of 2023 of the UN-Habitat Executive Board, agenda item 12" in card(catalog, "doc-HSP/EB.2023/18")
    assert "📋 The agenda of First session of the UN-Habitat Assembly" in card(catalog, "doc-HSP/HA/1/1")
    assert "📋 人居署执行局 2023 年第三次会议，议程项目 12" in card(catalog, "doc-HSP/EB.2023/18", "zh")


@pytest.mark.parametrize(("old", "new", "expected"), [
    ("documents: [doc-HSP/HA/1/7]", "documents: [doc-HSP/HA/1/77]", "unknown entry 'doc-HSP/HA/1/77'"),
    ("documents: [doc-HSP/HA/1/7]", "documents: [HA.2]", "'HA.2' is a session, not a document"),
    ('        - number: "18"', '        - number: "17"', "agenda item numbers repeat: 17"),
])
def test_an_agenda_naming_a_missing_document_or_repeating_a_number_is_rejected(
    tmp_path: Path, old: str, new: str, expected: str
) -> None:
    copy = tmp_path / "content"
    shutil.copytree(CONTENT, copy)
    sessions = copy / "entries" / "sessions.yaml"
    text = sessions.read_text()
    assert text.count(old) == 1
    sessions.write_text(text.replace(old, new))
    with pytest.raises(ContentInvalid) as caught:
        load_content(copy)
    messages = [str(e) for e in caught.value.errors]
    assert any(expected in m and "[HA.1]" in m and "sessions.yaml" in m for m in messages), messages
