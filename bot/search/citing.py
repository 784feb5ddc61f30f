"""Citing an answer: the paragraph that states it (symbol and paragraph), found by what the answer
says — its dates, numbers, places and names — among the sources the entry cites.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import cast

from bot.kernel.reply import plain_text
from bot.search import phrasing
from bot.search.evidence import Found, numbers
from store.catalog import Catalog
from store.normalize import fold
from store.schema import Entry, Source


@dataclass(frozen=True)
class Answer:
    """The answer line (Telegram HTML, citation included) and the entry it is about, if any."""

    html: str
    entry_id: str | None = None

    @property
    def plain(self) -> str:
        return plain_text(self.html)


def cited(line: str, entry: Entry, catalog: Catalog, lang: str, needles: Iterable[str],
           sources: Iterable[Source] | None = None) -> Answer:
    """``line`` with the source that states it (the one holding most of ``needles``)."""
    source = source_for(entry, catalog, [n for n in needles if n], sources)
    if source is None:
        return Answer(line, entry.id)
    return Answer(phrasing.cited(line, phrasing.cite_source(source, catalog, lang), lang), entry.id)


def cited_all(line: str, entry: Entry, sources: Iterable[Source], catalog: Catalog, lang: str) -> Answer:
    """A line stated by a structured part: every paragraph it rests on (up to three)."""
    labels = list(dict.fromkeys(phrasing.cite_source(s, catalog, lang) for s in sources if s.doc))[:3]
    if not labels:
        return cited(line, entry, catalog, lang, [], list(sources))
    return Answer(phrasing.cited(line, ("；" if lang == "zh" else "; ").join(labels), lang), entry.id)


def quoted(found: Found, catalog: Catalog, lang: str, about: Entry | None = None) -> Answer:
    """A sentence the question's answer stands in: the entry's own words, or a paragraph's."""
    if isinstance(found.source, Entry):
        entry = found.source
        return cited(phrasing.labelled(entry, found.sentence, lang), entry, catalog, lang, needles_of(found.sentence))
    doc, number = cast(tuple[str, str], found.source)
    citation = phrasing.cite_paragraph(doc, number, catalog, lang)
    return Answer(phrasing.quote(citation, found.sentence, lang), about.id if about else None)


def names_of(entry: Entry, catalog: Catalog) -> list[str]:
    """How a Chinese text may name the entry: its names and aliases, folded, without spaces too."""
    written = [entry.names.zh or "", entry.names.en or "", *catalog.aliases.get(entry.id, [])]
    folded = {fold(w) for w in written if len(w) >= 3}
    return sorted(folded | {f.replace(" ", "") for f in folded})


def date_needles(day: dt.date) -> list[str]:
    return [f"{day.year}年{day.month}月{day.day}日", f"{day.year}年{day.month}月"]


def place_needles(entry: Entry) -> list[str]:
    return [fold(entry.place.zh)[:4]] if entry.place and entry.place.zh else []


def rule_needles(entry: Entry) -> list[str]:
    found = re.search(r"BYMONTH=(\d+)", entry.recurrence.rrule) if entry.recurrence else None
    day = re.search(r"BYMONTHDAY=(\d+)", entry.recurrence.rrule) if entry.recurrence else None
    if found and day:
        return [f"{found.group(1)}月{day.group(1)}日"]
    return [f"{found.group(1)}月"] if found else []


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", fold(text))


_NAME = re.compile(r"[A-Z][a-zà-ÿ]+(?: [A-Z][a-zà-ÿ]+)+")
_CJK_RUN = re.compile(r"[\u3400-\u9fff]{4,}")


def needles_of(sentence: str) -> list[str]:
    """What ties a sentence to the paragraph it comes from: its numbers, names and Chinese phrases."""
    found = sorted(numbers(sentence), key=len, reverse=True) + _NAME.findall(sentence)
    for run in _CJK_RUN.findall(sentence):
        found.extend(run[i : i + 4] for i in range(0, len(run) - 3, 2))
    return found


def source_for(entry: Entry, catalog: Catalog, needles: list[str], sources: Iterable[Source] | None) -> Source | None:
    """The source that states what the answer says: the cited paragraph that holds most of the
    needles (dates, numbers, places, names), else the entry's first paragraph, else a public source."""
    pool = [*(sources or ()), *entry.all_sources()]
    squashed = [n for n in dict.fromkeys(_squash(n) for n in needles) if len(n) >= 2]
    best_source, best_count = None, 0
    for source in pool:
        if source.doc and source.para and squashed:
            paragraph = catalog.paragraph(source.doc, source.para)
            text = _squash(paragraph.text) if paragraph else ""
            count = sum(1 for n in squashed if n in text)
            if count > best_count:
                best_source, best_count = source, count
    if best_source is not None:
        return best_source
    return next((s for s in pool if s.doc and s.para), next(iter(pool), None))
