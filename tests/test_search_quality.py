"""Search quality on labelled delegate queries: hit@1 and hit@3 per language, printed and held to floors.

The queries (``tests/quality/queries.yaml``) are phrased as delegates ask them — Chinese, English,
mixed, misspelt, full-width, traditional — and include the ones the bot once got wrong, so the
figures measure something. The ``delegate`` questions are written in plain English by someone who
has not read the documents, so they rarely use the documents' own terms. They run through the real
search area on the real content.

Answer accuracy (``tests/quality/answers.yaml``): attribute questions with the words the answer
must contain. Each word is checked against the source the question was written from, and the
figure is measured on the bot's reply.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.app import Habitat
from bot.kernel.reply import plain_text
from bot.kernel.router import Asker
from store.catalog import Catalog
from store.normalize import fold
from store.search import Hit

QUALITY = Path(__file__).with_name("quality")
QUERIES = QUALITY / "queries.yaml"
ANSWERS = QUALITY / "answers.yaml"
# Floors a little below the figures measured when they were last raised: a regression fails, a
# neighbour's harmless reordering does not. Targets (issue 9): English hit@3 ≥ 0.90, hit@1 ≥ 0.75;
# Chinese hit@1 ≥ 0.95.
FLOORS = {
    "en": {"hit@1": 0.80, "hit@3": 0.92},
    "zh": {"hit@1": 0.95, "hit@3": 0.97},
    "mixed": {"hit@1": 0.60, "hit@3": 0.90},
}
# Measured on the direct answer alone (the result list below it does not count): 1.000 on 126
# questions (the second batch of 22 was written before the bot was tried on them and scored 21/22).
# Target 0.90.
ANSWER_FLOOR = 0.95

_CJK = re.compile(r"[\u3400-\u9fff]")
_LATIN_WORD = re.compile(r"[a-z]{2,}")


def language(query: str) -> str:
    """"zh" for Chinese, "en" for English (full-width letters too), "mixed" when it holds both."""
    folded = fold(query)
    has_cjk = bool(_CJK.search(folded))
    has_latin = bool(_LATIN_WORD.search(folded))
    if has_cjk and has_latin:
        return "mixed"
    return "zh" if has_cjk else "en"


def answer_key(hit: Hit) -> str:
    return hit.entry_id if hit.entry_id else f"{hit.doc}#{hit.number}"


def load(path: Path, key: str) -> list[dict[str, Any]]:
    return yaml.safe_load(path.read_text(encoding="utf-8"))[key]


def known(catalog: Catalog, key: str) -> bool:
    """Whether a labelled answer names a paragraph or an entry that exists."""
    if "#" in key:
        doc, number = key.split("#", 1)
        return catalog.paragraph(doc, number) is not None
    return key in catalog.entries


def source_text(catalog: Catalog, key: str) -> str:
    """Everything a source says, both languages, for checking an answer's words against it."""
    if "#" in key:
        doc, number = key.split("#", 1)
        paragraph = catalog.paragraph(doc, number)
        return paragraph.text if paragraph else ""
    entry = catalog.entries.get(key)
    return entry.model_dump_json() if entry else ""


def report(request: pytest.FixtureRequest, capsys: pytest.CaptureFixture[str], lines: list[str]) -> None:
    """Show the figures whatever ``-s`` says: on the terminal reporter, and on stdout uncaptured."""
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    with capsys.disabled():
        for line in lines:
            if reporter is not None:
                reporter.write_line(line)
            else:  # pragma: no cover - pytest always has a terminal reporter unless -p no:terminal
                sys.stdout.write(line + "\n")


def test_labelled_set_is_large_and_names_only_what_exists(services: Habitat) -> None:
    cases = load(QUERIES, "queries")
    assert len(cases) >= 300
    langs = [language(c["q"]) for c in cases]
    assert sum(1 for c, lang in zip(cases, langs, strict=True) if lang == "en" and c.get("tag") == "delegate") >= 120
    unknown = [(c["q"], k) for c in cases for k in c["expect"] if not known(services.content.catalog, k)]
    assert not unknown, f"labelled answers that the content does not have: {unknown}"
    # Every source document is asked about in English.
    asked = {k.split("#")[0] for c, lang in zip(cases, langs, strict=True) if lang == "en" for k in c["expect"] if "#" in k}
    assert asked >= set(services.content.catalog.paragraphs)


def test_labelled_queries_meet_hit_at_1_and_hit_at_3_per_language(
    services: Habitat, request: pytest.FixtureRequest, capsys: pytest.CaptureFixture[str]
) -> None:
    area = services.search
    cases = load(QUERIES, "queries")
    by_lang: dict[str, list[int]] = {}
    by_tag: dict[str, list[int]] = {}
    misses: list[str] = []
    for case in cases:
        _index, results = area.search(case["q"])
        got = [answer_key(h) for h in results.hits[:3]]
        wanted = set(case["expect"])
        first = bool(got) and got[0] in wanted
        top3 = bool(wanted & set(got))
        for bucket, name in ((by_lang, language(case["q"])), (by_tag, case.get("tag", "-"))):
            counts = bucket.setdefault(name, [0, 0, 0])
            counts[0] += 1
            counts[1] += first
            counts[2] += top3
        if not first:
            misses.append(f"  {'miss@3' if not top3 else 'miss@1'}: {case['q']!r} → {got} (want {case['expect']})")
    n = len(cases)
    at1 = sum(c[1] for c in by_lang.values())
    at3 = sum(c[2] for c in by_lang.values())
    lines = [f"search quality: {n} queries, hit@1 = {at1 / n:.3f}, hit@3 = {at3 / n:.3f}"]
    lines += [f"  lang {lang:<6} n={t[0]:<4} hit@1={t[1] / t[0]:.3f} hit@3={t[2] / t[0]:.3f}" for lang, t in sorted(by_lang.items())]
    lines += [f"  tag  {tag:<12} n={t[0]:<4} hit@1={t[1] / t[0]:.2f} hit@3={t[2] / t[0]:.2f}" for tag, t in sorted(by_tag.items())]
    lines += misses
    report(request, capsys, lines)
    for lang, floors in FLOORS.items():
        total, first, top3 = by_lang[lang]
        assert top3 / total >= floors["hit@3"], f"{lang} hit@3 below its floor\n" + "\n".join(lines)
        assert first / total >= floors["hit@1"], f"{lang} hit@1 below its floor\n" + "\n".join(lines)


# -- answer accuracy -------------------------------------------------------------------------------


def contains(text: str, item: str | list[str]) -> bool:
    """An answer word: one string, or alternatives of which one must appear (case and width folded)."""
    folded = fold(text)
    return any(fold(alternative) in folded for alternative in ([item] if isinstance(item, str) else item))


def test_answer_questions_are_written_from_their_sources(services: Habitat) -> None:
    cases = load(ANSWERS, "answers")
    assert len(cases) >= 60
    assert {c["lang"] for c in cases} == {"en", "zh"}
    for case in cases:
        assert case["source"] and case["must_contain"], case["q"]
        assert all(known(services.content.catalog, k) for k in case["source"]), case
        texts = " ".join(source_text(services.content.catalog, k) for k in case["source"])
        missing = [item for item in case["must_contain"] if not contains(texts, item)]
        assert not missing, f"{case['q']!r}: its sources do not say {missing}"


def answer_of(services: Habitat, question: str, lang: str) -> str:
    """The direct answer the bot's first reply begins with (empty when it begins with a result list).

    Asked by someone whose Telegram is in the other language: the question's own language decides.
    """
    other = "zh" if lang == "en" else "en"
    replies = services.router.message(question, Asker(user_id=99, lang=other))
    if not replies or "answer" not in replies[0].meta:
        return ""
    text = plain_text(replies[0].text)
    answer = replies[0].meta["answer"]
    assert text.startswith("💡 " + answer), "the answer begins the reply"
    assert language(answer) in (lang, "mixed"), f"answered in the question's language: {answer!r}"
    return answer


def test_answer_accuracy_is_measured(
    services: Habitat, request: pytest.FixtureRequest, capsys: pytest.CaptureFixture[str]
) -> None:
    cases = load(ANSWERS, "answers")
    right = 0
    wrong: list[str] = []
    for case in cases:
        text = answer_of(services, case["q"], case["lang"])
        missing = [item for item in case["must_contain"] if not contains(text, item)]
        right += not missing
        if missing:
            wrong.append(f"  wrong: {case['q']!r} lacks {missing}")
    accuracy = right / len(cases)
    report(request, capsys, [f"answer accuracy: {len(cases)} questions, {accuracy:.3f}", *wrong])
    assert accuracy >= ANSWER_FLOOR
