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
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import cast

from bot.kernel.clock import Clock
from bot.kernel.dates import date_range
from bot.kernel.i18n import gettext_for
from bot.kernel.occurrences import occurrences
from bot.kernel.reply import esc, plain_text
from bot.search import phrasing, structured
from bot.search.evidence import Candidate, Found, Terms, best, coverage, numbers, sentences
from bot.search.question import Ask, Question, Time, parse
from bot.search.recognise import named
from store.catalog import Catalog
from store.glosses import english_stems, stem
from store.normalize import fold
from store.schema import Entry, Kind, Source
from store.search import Results, SearchIndex

#: How much a sentence is trusted before it is read: the entry's own text in the asker's language,
#: then the paragraphs the entry cites, then what the search found.
OWN_TEXT, CITED, FOUND = 1.0, 0.85, 0.6
SEARCHED_PARAGRAPHS = 5
SEARCHED_ENTRIES = 3
FLOOR_NAMED = 0.3  # coverage a sentence needs when the question names its entry
FLOOR_OPEN = 0.45  # … and when it names nothing the sentence can be tied to
DATED = (Kind.SESSION, Kind.MEETING, Kind.EVENT)


@dataclass(frozen=True)
class Answer:
    """The answer line (Telegram HTML, citation included) and the entry it is about, if any."""

    html: str
    entry_id: str | None = None

    @property
    def plain(self) -> str:
        return plain_text(self.html)


@dataclass(frozen=True)
class Series:
    """Sessions that recur: "the next Executive Board session" is the first of these to come."""

    pattern: re.Pattern[str]
    member: Callable[[Entry], bool]
    label: tuple[str, str]  # zh, en


SERIES: tuple[Series, ...] = (
    Series(re.compile(r"executive board|执行局|\beb\b"),
           lambda e: e.kind is Kind.SESSION and e.body == "executive-board", ("执行局会议", "Executive Board session")),
    Series(re.compile(r"world urban forum|世界城市论坛|\bwuf\b"),
           lambda e: e.kind in (Kind.MEETING, Kind.SESSION) and e.body == "wuf", ("世界城市论坛会议", "session of the World Urban Forum")),
    Series(re.compile(r"committee of permanent representatives|常驻代表委员会|\bcpr\b|\boecpr\b"),
           lambda e: e.kind is Kind.SESSION and e.body == "cpr", ("常驻代表委员会会议", "meeting of the Committee of Permanent Representatives")),
    Series(re.compile(r"un-habitat assembly|人居大会|(?<!general )\bassembly\b"),
           lambda e: e.kind is Kind.SESSION and e.body == "assembly", ("人居大会会议", "session of the UN-Habitat Assembly")),
)


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
        terms = _terms(index, text, question)
        series = next((s for s in SERIES if s.pattern.search(question.folded)), None)
        undated = primary is None or not (primary.dates or primary.recurrence) or primary.kind not in DATED
        if series is not None and undated and question.ask in (Ask.WHEN, Ask.WHERE):
            if question.time in (Time.NEXT, Time.LAST):
                return self._series_next_or_last(catalog, series, question.time, now, lang)
            if question.year is not None:
                found = self._series_in(catalog, series, question, now, lang)
                if found is not None:
                    return found
        if primary is None and question.time is Time.NEXT and question.ask is Ask.WHEN:
            return self._next_of(catalog, [e for e in catalog.entries.values() if e.kind in DATED], now, lang)
        if primary is not None:
            found = self._about(primary, question, catalog, index, results, terms, now, lang)
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
            names = _names_of(primary, catalog)
            candidates = (c for c in candidates if any(n in fold(c.text) for n in names))
        found_sentence = best(question, terms, candidates, floor=FLOOR_OPEN, strict=True)
        return self._quoted(found_sentence, catalog, lang) if found_sentence else None

    # -- about one entry --------------------------------------------------------------------------

    def _about(self, entry: Entry, question: Question, catalog: Catalog, index: SearchIndex, results: Results,
               terms: Terms, now: dt.datetime, lang: str) -> Answer | None:
        _ = gettext_for(lang)
        ask = question.ask
        values = {"name": phrasing.name(entry, lang)}
        stated = structured.answer(entry, question, catalog, now, lang)
        if stated is not None:
            return self._cited_all(stated.html, entry, stated.sources, catalog, lang)
        if ask in (Ask.WHO, Ask.WHAT) and entry.kind is Kind.PERSON and entry.summary is not None:
            return self._cited(phrasing.labelled(entry, _lead(entry.summary.get(lang)), lang), entry, catalog, lang, [])
        if ask in (Ask.WHEN, Ask.WHERE) and entry.recurrence is not None and ask is Ask.WHEN:
            line = phrasing.yearly(entry, now, lang, last=question.time is Time.LAST)
            if line:
                return self._cited(line, entry, catalog, lang, _rule_needles(entry))
        if ask in (Ask.WHEN, Ask.WHERE) and entry.dates is not None and (ask is Ask.WHEN or entry.place):
            line = phrasing.when_where(entry, now, lang)
            if line:
                needles = _date_needles(entry.dates.start) + _place_needles(entry)
                sources = list(entry.dates.sources) + list(entry.sources)
                return self._cited(line, entry, catalog, lang, needles, sources)
        if ask is Ask.WHERE and entry.place is not None:
            line = _("%(name)s: %(place)s.") % {**values, "place": esc(entry.place.get(lang))}
            return self._cited(line, entry, catalog, lang, _place_needles(entry))
        if ask is Ask.THEME and entry.theme is not None:
            line = _("Theme of %(name)s: “%(theme)s”.") % {**values, "theme": esc(entry.theme.get(lang))}
            return self._cited(line, entry, catalog, lang, [fold(entry.theme.zh or "")[:8]])
        if ask is Ask.OUTCOME and entry.kind in (Kind.RESOLUTION, Kind.DECISION):
            if entry.no_summary or entry.summary is None:
                line = _("%(name)s was adopted; the sources give no summary of what it says.") % values
                return self._cited(line, entry, catalog, lang, [])
            own = [Candidate(entry.summary.get(lang), OWN_TEXT, entry, floor=0.0)]
            found = best(question, _without_names(terms, entry, catalog), own)
            verbs = [v for v in question.verbs if v in fold(found.sentence)] if found is not None else []
            said = found.sentence if found is not None and verbs else _lead(entry.summary.get(lang))
            return self._cited(phrasing.labelled(entry, said, lang), entry, catalog, lang, needles_of(said))
        if ask is Ask.OUTCOME and entry.outcomes:
            said = ("；" if lang == "zh" else "; ").join(o.get(lang).rstrip("。.") for o in entry.outcomes[:2])
            said += "。" if lang == "zh" else "."
            return self._cited(phrasing.labelled(entry, said, lang), entry, catalog, lang,
                               [n for o in entry.outcomes[:2] for n in numbers(o.zh or "")])
        if ask is Ask.WHAT:
            text = entry.summary.get(lang) if entry.summary else (entry.theme.get(lang) if entry.theme else "")
            if text:
                return self._cited(phrasing.labelled(entry, _lead(text), lang), entry, catalog, lang, [])
            return None
        # The entry's own words first (about it, in the asker's language), then its sources.
        narrowed = _without_names(terms, entry, catalog)
        found = best(question, narrowed, self._own(entry, lang)) or best(
            question, narrowed, self._around(entry, catalog, results), floor=FLOOR_NAMED)
        if found is not None:
            return self._quoted(found, catalog, lang, entry)
        if entry.kind in DATED and ask in (Ask.WHEN, Ask.WHERE, Ask.THEME):
            form = {Ask.WHEN: _("The sources give no date for %(name)s."),
                    Ask.WHERE: _("The sources do not say where %(name)s takes place."),
                    Ask.THEME: _("The sources give no theme for %(name)s.")}[ask]
            return Answer(form % values, entry.id)
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
        names = _names_of(entry, catalog)
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
        return self._cited(phrasing.labelled(entry, _lead(about), lang), entry, catalog, lang, [])

    # -- recurring sessions -----------------------------------------------------------------------

    def _series_next_or_last(self, catalog: Catalog, series: Series, time: Time, now: dt.datetime,
                             lang: str) -> Answer:
        _ = gettext_for(lang)
        members = [e for e in catalog.entries.values() if series.member(e)]
        label = series.label[0] if lang == "zh" else series.label[1]
        if time is Time.NEXT:
            found = self._next_of(catalog, members, now, lang, label)
            if found is not None:
                return found
            last = _latest(members)
            if last is None or last.dates is None:
                return Answer(_("The sources give no dates for any %(series)s.") % {"series": label})
            dates = date_range(last.dates.start, last.dates.end, lang)
            return Answer(_("The sources name no %(series)s after %(dates)s.") % {"series": label, "dates": dates},
                          last.id)
        past = [(o.ends_at, e) for e in members for o in occurrences(e, now - dt.timedelta(days=366 * 60), now)
                if o.ends_at <= now or o.starts_at <= now]
        if not past:
            return Answer(_("The sources name no %(series)s before today.") % {"series": label})
        entry = max(past, key=lambda pair: pair[0])[1]
        line = phrasing.when_where(entry, now, lang) or phrasing.name(entry, lang)
        lead = _("The last %(series)s in the sources:") % {"series": label}
        return self._cited(_joined(lead, line, lang), entry, catalog, lang, _date_needles(entry.dates.start) if entry.dates else [])

    def _next_of(self, catalog: Catalog, members: list[Entry], now: dt.datetime, lang: str,
                 label: str | None = None) -> Answer | None:
        _ = gettext_for(lang)
        coming = sorted((o.starts_at, o.entry_id) for e in members for o in occurrences(e, now, now + dt.timedelta(days=366 * 10)))
        if not coming:
            return None
        entry = catalog.entries[coming[0][1]]
        line = phrasing.when_where(entry, now, lang) or phrasing.yearly(entry, now, lang) or phrasing.name(entry, lang)
        lead = (_("The next %(series)s in the sources:") % {"series": label}) if label else _("Next in the sources:")
        needles = _date_needles(entry.dates.start) if entry.dates else _rule_needles(entry)
        return self._cited(_joined(lead, line, lang), entry, catalog, lang, needles)

    def _series_in(self, catalog: Catalog, series: Series, question: Question, now: dt.datetime,
                   lang: str) -> Answer | None:
        """"When did the Executive Board meet in May 2024?": the member dated in that month or year."""
        _ = gettext_for(lang)
        matching = [e for e in catalog.entries.values() if series.member(e) and e.dates is not None
                    and e.dates.start.year == question.year
                    and (question.month is None or question.month in (e.dates.start.month, (e.dates.end or e.dates.start).month))]
        nth = _ORDINAL.search(question.folded)
        if nth is not None:  # "the Board's second session of 2024", "2024 年第二次会议"
            number = int(nth.group(1) or nth.group(2))
            matching = [e for e in matching if e.number_in_year == number] or matching
        if not matching:
            label = series.label[0] if lang == "zh" else series.label[1]
            return Answer(_("The sources name no %(series)s in that period.") % {"series": label})
        lines = []
        for entry in sorted(matching, key=lambda e: e.dates.start if e.dates else dt.date.min)[:3]:
            line = phrasing.when_where(entry, now, lang)
            if line:
                lines.append(self._cited(line, entry, catalog, lang, _date_needles(entry.dates.start) if entry.dates else []).html)
        return Answer(" ".join(lines), matching[0].id) if lines else None

    # -- citing -----------------------------------------------------------------------------------

    def _cited(self, line: str, entry: Entry, catalog: Catalog, lang: str, needles: Iterable[str],
               sources: Iterable[Source] | None = None) -> Answer:
        source = _source_for(entry, catalog, [n for n in needles if n], sources)
        if source is None:
            return Answer(line, entry.id)
        return Answer(phrasing.cited(line, phrasing.cite_source(source, catalog, lang), lang), entry.id)

    def _cited_all(self, line: str, entry: Entry, sources: Iterable[Source], catalog: Catalog, lang: str) -> Answer:
        """A line stated by a structured part: every paragraph it rests on (up to three)."""
        cited = list(dict.fromkeys(phrasing.cite_source(s, catalog, lang) for s in sources if s.doc))[:3]
        if not cited:
            return self._cited(line, entry, catalog, lang, [], list(sources))
        return Answer(phrasing.cited(line, ("；" if lang == "zh" else "; ").join(cited), lang), entry.id)

    def _quoted(self, found: Found, catalog: Catalog, lang: str, about: Entry | None = None) -> Answer:
        """A sentence the question's answer stands in: the entry's own words, or a paragraph's."""
        if isinstance(found.source, Entry):
            entry = found.source
            return self._cited(phrasing.labelled(entry, found.sentence, lang), entry, catalog, lang,
                               needles_of(found.sentence))
        doc, number = cast(tuple[str, str], found.source)
        citation = phrasing.cite_paragraph(doc, number, catalog, lang)
        return Answer(phrasing.quote(citation, found.sentence, lang), about.id if about else None)


# -- helpers ---------------------------------------------------------------------------------------

_ORDINAL = re.compile(r"\b(\d) (?:session|meeting)\b|第\s*(\d)\s*(?:次|届)")
_LEAD_SPLIT = re.compile(r"(?<=[。；])|(?<=[.;])\s+(?=[A-Z“\"(])")


def _joined(lead: str, line: str, lang: str) -> str:
    return f"{lead}{line}" if lang == "zh" else f"{lead} {line}"


def _lead(text: str, limit: int = 260) -> str:
    """The first sentence of a text (two when the first is short), within ``limit`` characters."""
    parts = [p.strip() for p in _LEAD_SPLIT.split(text) if p and p.strip()]
    if not parts:
        return text[:limit]
    lead = parts[0]
    if len(lead) < 60 and len(parts) > 1:
        lead = f"{lead} {parts[1]}" if lead.isascii() else lead + parts[1]
    return lead if len(lead) <= limit else lead[: limit - 1] + "…"


COMMON_STEM = 0.5  # an English stem in more of the texts than this says nothing about which
RARE = 0.015  # a word in fewer of the texts than this tells one statement from another
#: Words that say what is asked, not what about: never required of the sentence that answers.
ASK_WORDS = frozenset(
    "money amount number date time day year place venue location person name often frequent frequently "
    "share percentage proportion many much total happen held hold take".split()
) | {"多少", "几", "时候", "哪里", "地点", "时间", "日期", "什么", "现任", "已经", "举行", "举办"}


def _terms(index: SearchIndex, text: str, question: Question) -> Terms:
    """The question's weighted words (typed, translated, and English stems), without those another
    one contains (人居 inside 人居署) or that only say what is asked, plus the counted thing and the
    verb asked about."""
    weights, english, _repaired = index.query_terms(text)
    words = {t: w for t, w in weights.items()
             if len(t) >= 2 and t not in ASK_WORDS and not any(t != o and t in o for o in weights)
             and not (english and t.isascii() and t.isalpha())}
    stems = {s: w for s, w in english.items()
             if s not in ASK_WORDS and stem(s) not in ASK_WORDS and index.english_share(s) <= COMMON_STEM}
    rare_words = [w for w in words if 0 < index.body_share(w) <= RARE]
    rare = [frozenset({s}) for s in stems if 0 < index.english_share(s) <= RARE]
    for word in rare_words:  # glossary alternatives share their head (自愿地方评估, 自愿地方审查)
        group = next((g for g in rare if any(len(w) >= 4 and w[:4] == word[:4] for w in g)), None)
        if group is not None:
            rare[rare.index(group)] = group | {word}
        else:
            rare.append(frozenset({word}))
    for form in question.counted[:1]:
        words[form] = max(words.get(form, 0.0), 1.0)
    for form in question.verbs:
        if form.isascii():
            stems[stem(form.split()[0])] = max(stems.get(stem(form.split()[0]), 0.0), 0.5)
        else:
            words[form] = max(words.get(form, 0.0), 0.5)
    return Terms(words, index.english_found, stems, tuple(rare))


def _without_names(terms: Terms, entry: Entry, catalog: Catalog) -> Terms:
    """The question's words less those that only name the entry (its sentences need not repeat them)."""
    written = " ".join([entry.names.zh or "", entry.names.en or "", entry.symbol or "", *catalog.aliases.get(entry.id, [])])
    named_as = fold(written)
    named_stems = set(english_stems(written))
    return terms.without(lambda w: w in named_as, lambda s: s in named_stems)


def _names_of(entry: Entry, catalog: Catalog) -> list[str]:
    """How a Chinese text may name the entry: its names and aliases, folded, without spaces too."""
    written = [entry.names.zh or "", entry.names.en or "", *catalog.aliases.get(entry.id, [])]
    folded = {fold(w) for w in written if len(w) >= 3}
    return sorted(folded | {f.replace(" ", "") for f in folded})


def _latest(entries: Iterable[Entry]) -> Entry | None:
    dated = [e for e in entries if e.dates is not None]
    return max(dated, key=lambda e: e.dates.start) if dated else None  # type: ignore[union-attr]


def _date_needles(day: dt.date) -> list[str]:
    return [f"{day.year}年{day.month}月{day.day}日", f"{day.year}年{day.month}月"]


def _place_needles(entry: Entry) -> list[str]:
    return [fold(entry.place.zh)[:4]] if entry.place and entry.place.zh else []


def _rule_needles(entry: Entry) -> list[str]:
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


def _source_for(entry: Entry, catalog: Catalog, needles: list[str], sources: Iterable[Source] | None) -> Source | None:
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


def sentence_count(text: str) -> int:
    """How many sentences an answer has (for tests: one or two)."""
    return len(sentences(plain_text(text)))
