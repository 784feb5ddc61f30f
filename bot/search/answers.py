"""Direct answers: a question that names an entry and asks for one of its attributes begins its reply
with the answer and its citation, in the asker's language.

The answer is built from the entry's own fields (dates, place, theme, summary, outcomes) or quotes
the sentence of a source that states it — never a guess. Questions about time are answered on the
bot's clock; when the sources do not say, the answer says so. Transport-free: the search area puts
the answer above its result list, inline mode makes it the first result.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator

from bot.kernel.clock import Clock
from bot.kernel.i18n import gettext_for
from bot.kernel.reply import esc, plain_text
from bot.search import phrasing, structured
from bot.search import series as series_answers
from bot.search.citing import (
    Answer,
    cited,
    cited_all,
    date_needles,
    names_of,
    needles_of,
    place_needles,
    quoted,
    rule_needles,
)
from bot.search.evidence import Candidate, Found, best, coverage, numbers, sentences
from bot.search.question import Ask, Question, Time, parse
from bot.search.recognise import named
from bot.search.series import SERIES
from bot.search.terms import Terms, question_terms, without_names
from store.catalog import Catalog
from store.normalize import fold
from store.schema import Entry, Kind
from store.search import Results, SearchIndex

#: How much a sentence is trusted before it is read: the entry's own text in the asker's language,
#: then the paragraphs the entry cites, then what the search found.
OWN_TEXT, CITED, FOUND = 1.0, 0.85, 0.6
SEARCHED_PARAGRAPHS = 5
SEARCHED_ENTRIES = 3
FLOOR_NAMED = 0.3  # coverage a sentence needs when the question names its entry
FLOOR_OPEN = 0.45  # … and when it names nothing the sentence can be tied to
DATED = (Kind.SESSION, Kind.MEETING, Kind.EVENT)


class Answers:
    """Answers attribute questions from a search index's catalog, on the bot's clock."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock

    def answer(self, text: str, lang: str, index: SearchIndex, results: Results) -> Answer | None:
        """The answer that begins the reply to ``text``, or None when it asks for no attribute."""
        question = parse(text)
        if question is None:
            return None
        catalog = index.catalog
        now = self.clock.now()
        entries = named(catalog, text, question.topic)
        # A person named with their post ("谢里夫的执行主任任期"): the question is about the person.
        people = [e for e in entries if e.kind is Kind.PERSON]
        primary = people[0] if people and entries[0].kind is Kind.OFFICE else (entries[0] if entries else None)
        terms = question_terms(index, text, question)
        series = next((s for s in SERIES if s.pattern.search(question.folded)), None)
        undated = primary is None or not (primary.dates or primary.recurrence) or primary.kind not in DATED
        if series is not None and undated and question.ask in (Ask.WHEN, Ask.WHERE):
            if question.time in (Time.NEXT, Time.LAST):
                return series_answers.next_or_last(catalog, series, question.time, now, lang)
            if question.year is not None:
                found = series_answers.within(catalog, series, question, now, lang)
                if found is not None:
                    return found
        if primary is None and question.time is Time.NEXT and question.ask is Ask.WHEN:
            return series_answers.next_of(catalog, [e for e in catalog.entries.values() if e.kind in DATED], now, lang)
        if primary is not None:
            found = self._about(primary, question, catalog, results, terms, now, lang)
            if found is not None:
                return found
        if question.ask is Ask.WHICH:
            found = self._which(question, catalog, results, terms, lang)
            if found is not None:
                return found
        if question.ask in (Ask.WHAT, Ask.OUTCOME):
            return None  # without an entry, "what is X" is what the result list is for
        candidates = self._searched(catalog, results, lang)
        if primary is not None:  # about the entry asked about, or nothing: never a neighbour's fact
            names = names_of(primary, catalog)
            candidates = (c for c in candidates if any(n in fold(c.text) for n in names))
        found_sentence = best(question, terms, candidates, floor=FLOOR_OPEN, strict=True)
        if found_sentence is not None and primary is not None and not self._names_officer(found_sentence, primary,
                                                                                            question, catalog):
            return None
        return quoted(found_sentence, catalog, lang) if found_sentence else None

    @staticmethod
    def _names_officer(found: Found, entry: Entry, question: Question, catalog: Catalog) -> bool:
        """False for an officer's name from a sentence that does not name the entry asked about:
        a committee's chair in a text about another session is not this session's president."""
        if found.source is entry or question.ask is not Ask.WHO or question.role not in structured.ROLES:
            return True
        return any(n in fold(found.sentence) for n in names_of(entry, catalog))

    # -- about one entry --------------------------------------------------------------------------

    def _about(self, entry: Entry, question: Question, catalog: Catalog, results: Results, terms: Terms,
               now: dt.datetime, lang: str) -> Answer | None:
        _ = gettext_for(lang)
        ask = question.ask
        values = {"name": phrasing.named(entry, lang, start=True)}
        stated = structured.answer(entry, question, catalog, now, lang)
        if stated is not None:
            return cited_all(stated.html, entry, stated.sources, catalog, lang)
        if ask in (Ask.WHO, Ask.WHAT) and entry.kind is Kind.PERSON and entry.summary is not None:
            return cited(phrasing.labelled(entry, _lead(entry.summary.get(lang)), lang), entry, catalog, lang, [])
        if ask in (Ask.WHEN, Ask.WHERE) and entry.recurrence is not None and ask is Ask.WHEN:
            line = phrasing.yearly(entry, now, lang, last=question.time is Time.LAST)
            if line:
                return cited(line, entry, catalog, lang, rule_needles(entry))
        if ask in (Ask.WHEN, Ask.WHERE) and entry.dates is not None and (ask is Ask.WHEN or entry.place):
            line = phrasing.when_where(entry, now, lang)
            if line:
                needles = date_needles(entry.dates.start) + place_needles(entry)
                sources = list(entry.dates.sources) + list(entry.sources)
                return cited(line, entry, catalog, lang, needles, sources)
        if ask is Ask.WHERE and entry.place is not None:
            line = _("%(name)s: %(place)s.") % {**values, "place": esc(entry.place.get(lang))}
            return cited(line, entry, catalog, lang, place_needles(entry))
        if ask is Ask.THEME and entry.theme is not None:
            line = _("Theme of %(name)s: “%(theme)s”.") % {"name": phrasing.named(entry, lang),
                                                            "theme": esc(entry.theme.get(lang))}
            return cited(line, entry, catalog, lang, [fold(entry.theme.zh or "")[:8]])
        if ask is Ask.OUTCOME and entry.kind in (Kind.RESOLUTION, Kind.DECISION):
            if entry.no_summary or entry.summary is None:
                line = _("%(name)s was adopted; the sources give no summary of what it says.") % values
                return cited(line, entry, catalog, lang, [])
            own = [Candidate(entry.summary.get(lang), OWN_TEXT, entry, floor=0.0)]
            found = best(question, without_names(terms, entry, catalog), own)
            verbs = [v for v in question.verbs if v in fold(found.sentence)] if found is not None else []
            said = found.sentence if found is not None and verbs else _lead(entry.summary.get(lang))
            return cited(phrasing.labelled(entry, said, lang), entry, catalog, lang, needles_of(said))
        if ask is Ask.OUTCOME and entry.outcomes:
            said = ("；" if lang == "zh" else "; ").join(o.get(lang).rstrip("。.") for o in entry.outcomes[:2])
            said += "。" if lang == "zh" else "."
            return cited(phrasing.labelled(entry, said, lang), entry, catalog, lang,
                               [n for o in entry.outcomes[:2] for n in numbers(o.zh or "")])
        if ask is Ask.WHAT:
            text = entry.summary.get(lang) if entry.summary else (entry.theme.get(lang) if entry.theme else "")
            if text:
                return cited(phrasing.labelled(entry, _lead(text), lang), entry, catalog, lang, [])
            return None
        # The entry's own words first (about it, in the asker's language), then its sources.
        narrowed = without_names(terms, entry, catalog)
        found = best(question, narrowed, self._own(entry, lang)) or best(
            question, narrowed, self._around(entry, catalog, results), floor=FLOOR_NAMED)
        if found is not None and not self._names_officer(found, entry, question, catalog):
            found = None
        if found is not None:
            return quoted(found, catalog, lang, entry)
        if entry.kind in DATED and ask in (Ask.WHEN, Ask.WHERE, Ask.THEME):
            form = {Ask.WHEN: _("The sources give no date for %(name)s."),
                    Ask.WHERE: _("The sources do not say where %(name)s takes place."),
                    Ask.THEME: _("The sources give no theme for %(name)s.")}[ask]
            return Answer(form % {"name": phrasing.named(entry, lang)}, entry.id)
        return None

    @staticmethod
    def _own(entry: Entry, lang: str) -> Iterator[Candidate]:
        for text in entry.texts():
            yield Candidate(text.get(lang), OWN_TEXT, entry, floor=0.0)

    def _around(self, entry: Entry, catalog: Catalog, results: Results) -> Iterator[Candidate]:
        """Paragraphs that may state a fact about ``entry``: those it cites, and those the search
        found that name it."""
        seen: set[tuple[str, str]] = set()
        for source in entry.all_sources():
            if source.doc and source.para and (source.doc, source.para) not in seen:
                seen.add((source.doc, source.para))
                paragraph = catalog.paragraph(source.doc, source.para)
                if paragraph is not None:
                    yield Candidate(paragraph.text, CITED, (source.doc, source.para))
        names = names_of(entry, catalog)
        for hit in results.hits[:SEARCHED_PARAGRAPHS]:
            if hit.doc and hit.number and (hit.doc, hit.number) not in seen:
                paragraph = catalog.paragraph(hit.doc, hit.number)
                if paragraph is not None and any(n in fold(paragraph.text) for n in names):
                    yield Candidate(paragraph.text, FOUND, (hit.doc, hit.number))

    def _searched(self, catalog: Catalog, results: Results, lang: str) -> Iterator[Candidate]:
        """What the search found, for a question that names no entry: entries' texts and paragraphs."""
        entries = 0
        paragraphs = 0
        for rank, hit in enumerate(results.hits[: SEARCHED_PARAGRAPHS + SEARCHED_ENTRIES]):
            decay = 1.0 - 0.05 * rank
            if hit.entry_id and entries < SEARCHED_ENTRIES:
                entries += 1
                entry = catalog.entries.get(hit.entry_id)
                if entry is not None:
                    for text in entry.texts():
                        yield Candidate(text.get(lang), OWN_TEXT * decay, entry)
            elif hit.doc and hit.number and paragraphs < SEARCHED_PARAGRAPHS:
                paragraphs += 1
                paragraph = catalog.paragraph(hit.doc, hit.number)
                if paragraph is not None:
                    yield Candidate(paragraph.text, CITED * decay, (hit.doc, hit.number))

    # -- which entry ------------------------------------------------------------------------------

    def _which(self, question: Question, catalog: Catalog, results: Results, terms: Terms,
               lang: str) -> Answer | None:
        """"Which resolution dissolved the Governing Council?": the entry of that kind whose text
        says it, among what the search found."""
        kinds = {"resolution": {Kind.RESOLUTION}, "decision": {Kind.DECISION},
                 "session": {Kind.SESSION, Kind.MEETING}, "document": {Kind.DOCUMENT}}.get(question.kind or "", set())
        winner: tuple[float, Entry] | None = None
        for hit in results.hits[:10]:
            entry = catalog.entries.get(hit.entry_id or "")
            if entry is None or entry.kind not in kinds:
                continue
            text = " ".join(t.get(lang) for t in entry.texts())
            score = coverage(terms, text)
            if score >= FLOOR_NAMED and (winner is None or score > winner[0]):
                winner = (score, entry)
        if winner is None:
            return None
        entry = winner[1]
        about = entry.summary.get(lang) if entry.summary else entry.names.get(lang)
        return cited(phrasing.labelled(entry, _lead(about), lang), entry, catalog, lang, [])

# -- helpers ---------------------------------------------------------------------------------------

_LEAD_SPLIT = re.compile(r"(?<=[。；])|(?<=[.;])\s+(?=[A-Z“\"(])")


def _lead(text: str, limit: int = 260) -> str:
    """The first sentence of a text (two when the first is short), within ``limit`` characters."""
    parts = [p.strip() for p in _LEAD_SPLIT.split(text) if p and p.strip()]
    if not parts:
        return text[:limit]
    lead = parts[0]
    if len(lead) < 60 and len(parts) > 1:
        lead = f"{lead} {parts[1]}" if lead.isascii() else lead + parts[1]
    return lead if len(lead) <= limit else lead[: limit - 1] + "…"


def sentence_count(text: str) -> int:
    """How many sentences an answer has (for tests: one or two)."""
    return len(sentences(plain_text(text)))
