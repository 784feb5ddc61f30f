"""What the entries say, checked against the sources: the cards a delegate reads, built in memory."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from bot.kernel.cards import entry_reply
from bot.kernel.reply import plain_text
from store.aliases import entry_aliases
from store.catalog import Catalog, Found
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
    assert "HSP/EB.2023/18, cover page" in card(catalog, "EB.2023.3")
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
