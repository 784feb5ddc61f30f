"""English reaches Chinese: dictionary glosses in the index, the glossary matched whole, and typo
repair that leaves real words alone. Asserted as a delegate would notice: which paragraph comes
first, and what the bot says it searched instead."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.app import Habitat
from bot.kernel.reply import plain_text
from bot.kernel.router import Asker
from bot.search.area import SearchArea
from store.catalog import Catalog
from store.glosses import Dictionary, GlossMap, senses, stem
from store.search import SearchIndex
from store.tokenize import _NUMBER_PAIR, _SYMBOL, _WORDLIKE, STOPWORDS, light_stem, segmenter
from tests.test_search_quality import answer_key

ROOT = Path(__file__).resolve().parent.parent
GLOSSARY = ROOT / "content" / "glossary.yaml"
EN = Asker(user_id=7, lang="en")
# Three lines in CC-CEDICT's format (written here, not copied): traditional, simplified, pinyin, senses.
SAMPLE = [
    "# a comment line\n",
    "收入 收入 [shou1 ru4] /to take in/income/revenue/CL:筆|笔[bi3]/\n",
    "開羅 开罗 [Kai1 luo2] /Cairo, capital of Egypt/\n",
    "會 会 [hui4] /can/to be possible/to meet/meeting/society/union/group/\n",
]


def area(services: Habitat) -> SearchArea:
    return services.search


def top(services: Habitat, query: str, n: int = 3) -> list[str]:
    _index, results = area(services).search(query)
    return [answer_key(h) for h in results.hits[:n]]


# -- the dictionary -----------------------------------------------------------------------------------


def test_dictionary_lines_become_stems_of_their_first_senses() -> None:
    dictionary = Dictionary(SAMPLE)
    assert dictionary.stems("收入") == ["take", "incom", "revenu"]  # the measure word is dropped
    assert dictionary.stems("开罗") == ["cairo", "capit", "egypt"]
    assert dictionary.stems("会") == ["possibl", "meet"]  # one character: its first senses only
    assert dictionary.stems("未知") == []
    assert {"income", "revenue", "cairo"} <= dictionary.english


def test_senses_drop_cross_references_and_notes() -> None:
    assert senses("variant of 住[zhu4]/to live (in a place); to reside/surname Zhu") == ["to live", "to reside"]


def test_gloss_map_survives_its_file_and_finds_chinese_for_an_english_stem() -> None:
    glosses = GlossMap({"收入": ["incom", "revenu"], "城市": ["citi"], "市": ["citi"]}, ["income"])
    again = GlossMap.from_json(glosses.to_json())
    assert again.glosses == glosses.glosses and again.english == glosses.english
    assert again.found(stem("incomes"), "2023 年收入增加", "")
    assert again.found("citi", "城市化", "") and again.found("citi", "", "the cities")
    assert not again.found("incom", "预算", "")
    assert again.knows("income") and again.knows("revenues") and not again.knows("revenoo")


def test_the_packaged_dictionary_knows_the_corpus_words() -> None:
    dictionary = Dictionary()
    assert "slum" in dictionary.stems("贫民窟")
    assert "mayor" in dictionary.stems("市长")
    assert {"celebrated", "place", "doing", "decide", "brainstorming"} <= dictionary.english


# -- English questions about facts stated only in Chinese ------------------------------------------


@pytest.mark.parametrize(
    ("question", "wanted"),
    [
        ("What was UN-Habitat's total income in 2023?", {"SG-NUA-2024#14", "SG-NUA-2024#92"}),
        ("What did the mayor of Bandung say about happiness?", {"HA1-PROCEEDINGS#11", "HA1-PROCEEDINGS#12", "HA1-PROCEEDINGS#13"}),
        ("Where is the Local2030 Coalition secretariat office?", {"SG-NUA-2024#57", "local2030-launch"}),
        ("Did the Habitat Foundation have a surplus?", {"SG-NUA-2024#15"}),
        ("What is the Arab Mayors Academy?", {"SG-NUA-2024#72"}),
    ],
)
def test_an_english_question_finds_the_chinese_paragraph_that_answers(services: Habitat, question: str, wanted: set[str]) -> None:
    assert wanted & set(top(services, question)), top(services, question)


def test_an_english_reply_cites_the_chinese_paragraph(services: Habitat) -> None:
    [reply] = services.router.message("How many people took part in Urban October 2022?", EN)
    assert "para. 41" in plain_text(reply.text)


# -- the glossary on top --------------------------------------------------------------------------------


def index(services: Habitat) -> SearchIndex:
    return area(services).service.index()


def test_glossary_forms_are_matched_whole_not_as_their_part_words(services: Habitat) -> None:
    weights, _english, _repaired = index(services).query_terms("Global Future Cities Programme")
    assert "全球未来城市方案" in weights
    assert not {"全球", "未来"} & set(weights)
    weights, _english, _repaired = index(services).query_terms("united nations human settlements programme")
    assert not {"联合国", "人类", "国人"} & set(weights)


def test_a_translation_most_paragraphs_hold_is_left_out_of_scoring(services: Habitat) -> None:
    weights, _english, _repaired = index(services).query_terms("UN-Habitat income in 2023")
    assert "人居署" not in weights
    assert "SG-NUA-2024#1" not in top(services, "UN-Habitat income in 2023", 1)


def test_a_form_the_text_writes_with_spaces_falls_back_to_its_pieces(services: Habitat) -> None:
    weights, _english, _repaired = index(services).query_terms("Local2030 Coalition secretariat")
    assert {"2030", "联盟"} <= set(weights)  # 地方 too, but most paragraphs say 地方
    assert "地方" not in weights


def test_glossary_names_are_in_the_paragraphs_they_cite(services: Habitat) -> None:
    """Each name added for what the documents say only in Chinese cites a paragraph that holds it."""
    catalog: Catalog = services.content.catalog
    lines = GLOSSARY.read_text(encoding="utf-8").split("# --- named only in Chinese", 1)[1].splitlines()
    checked = 0
    for line in lines:
        if not line.lstrip().startswith("- {"):
            continue
        forms = re.search(r"zh: \[([^\]]*)\]", line)
        cited = re.findall(r"([\w.-]+) ¶(\d+)", line.split("#", 1)[1] if "#" in line else "")
        assert forms and cited, f"no Chinese forms or no cited paragraph: {line}"
        texts = [catalog.paragraph(doc, number) for doc, number in cited]
        assert all(texts), f"cites a paragraph that does not exist: {line}"
        joined = " ".join(p.text.replace(" ", "") for p in texts if p)
        for form in (f.strip() for f in forms.group(1).split(",")):
            assert form.replace(" ", "") in joined, f"{form} is not in {cited}"
        checked += 1
    assert checked >= 100


# -- typo repair only for words nobody knows -----------------------------------------------------------


@pytest.mark.parametrize(
    "question",
    [
        "When was World Habitat Day celebrated?",
        "Which place hosted the eleventh World Urban Forum?",
        "What is UN-Habitat doing on homelessness?",
        "What did the Assembly decide on slums?",
        "What happened at the brainstorming workshop?",
    ],
)
def test_real_english_words_are_searched_as_typed(services: Habitat, question: str) -> None:
    _index, results = area(services).search(question)
    assert results.repaired == ()
    [reply] = services.router.message(question, EN)
    assert "instead" not in plain_text(reply.text).lower()


def test_a_misspelt_word_is_still_repaired_before_the_glossary_reads_it(services: Habitat) -> None:
    _index, results = area(services).search("informal setlements")
    assert results.repaired == (("setlements", "settlement"),)
    assert {"res-2/2", "SG-NUA-2024#90", "HA1-PROCEEDINGS#20", "SG-NUA-2024#46"} & set(top(services, "informal setlements"))


# -- persisted with the index ----------------------------------------------------------------------------


def small_catalog(catalog: Catalog) -> Catalog:
    """One document and no entries: enough to build an index quickly."""
    doc = "HA2-DECLARATION"
    return Catalog({}, {doc: catalog.documents[doc]}, {doc: catalog.paragraphs[doc]}, catalog.glossary, {}, "")


def test_a_restart_reads_the_kept_glosses_not_the_dictionary_and_a_damaged_file_is_rebuilt(
    services: Habitat, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    catalog = small_catalog(services.content.catalog)
    question = "clean water and sanitation"
    built = SearchIndex.open(catalog, tmp_path)
    expected = [h.key for h in built.search(question).hits[:3]]
    assert expected[0] == "p:HA2-DECLARATION:9"

    def no_dictionary() -> None:
        raise AssertionError("the dictionary was read on a restart with an unchanged index")

    monkeypatch.setattr("store.search.load_dictionary", no_dictionary)
    again = SearchIndex.open(catalog, tmp_path)
    assert again.from_disk
    assert [h.key for h in again.search(question).hits[:3]] == expected

    monkeypatch.undo()
    (tmp_path / again.key / "glosses.json").write_text("{not json", encoding="utf-8")
    rebuilt = SearchIndex.open(catalog, tmp_path)
    assert not rebuilt.from_disk
    assert [h.key for h in rebuilt.search(question).hits[:3]] == expected


# -- English text is cut without jieba, exactly as jieba would ---------------------------------------


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789 .%-/&_,:;()'\"!?", max_size=40))
def test_text_without_chinese_is_cut_as_jieba_cuts_it(text: str) -> None:
    seg = segmenter()
    by_jieba = [*_SYMBOL.findall(text), *_NUMBER_PAIR.findall(text)]
    for piece in seg._jieba.cut_for_search(text):
        token = piece.strip()
        if token and token not in STOPWORDS and _WORDLIKE.search(token):
            by_jieba.append(light_stem(token))
    assert seg.tokens(text, folded=True) == by_jieba
