"""Full-text search over paragraphs and entries: an inverted index with BM25 ranking (tantivy).

Why tantivy: measured over 100k paragraphs it answers in well under a millisecond, where SQLite
FTS5 took 12 ms at p99 (its ranking cost grows with the number of matching rows) and a rapidfuzz
scan took hundreds. rapidfuzz is kept for short lists only: repairing a misspelt query word against
the index vocabulary and the domain's terms.

The text is segmented here (``store.tokenize``) and handed to tantivy as space-separated tokens,
so Chinese is cut by jieba with the domain's words, not by tantivy's whitespace rules. A second
field holds every text's English view (``store.glosses``: the stemmed dictionary glosses of its
Chinese words and its own English words); English questions are searched there, and the glossary
on top translates the domain's terms (whole forms only) into the Chinese the body field holds. The index is
persisted under a key made of the content version and the tokenizer's rules: a restart with the
same content opens it (no re-segmentation), a content change builds a new one beside it.
"""

from __future__ import annotations

import gc
import hashlib
import html
import json
import logging
import os
import re
import shutil
import threading
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import tantivy
from rapidfuzz import fuzz, process

from store.catalog import Catalog, Found
from store.glosses import GlossBuilder, GlossMap, dictionary_version, english_words, load_dictionary, stem
from store.normalize import compact, fold, parse_identifier, strip_kind_words
from store.schema import Entry, GlossaryTerm, Kind
from store.tokenize import STOPWORDS, TOKENIZER_VERSION, Segmenter, light_stem, segmenter

log = logging.getLogger(__name__)

INDEX_FORMAT = "4"
TABLE_FILE = "table.json"
GLOSS_FILE = "glosses.json"
KEEP_OLD_INDEXES = 2
KEY_BOOST = 1000.0  # an identifier typed exactly: its entry comes first
KEY_TOKEN_BOOST = 20.0  # an identifier among other words
NAMED_BONUS = 2.0  # an entry the question names in full
YEAR_MATCH = 1.5  # an entry dated in a year the question names (Urban October 2022, not the series)
YEAR_OTHER = 0.7  # an entry dated in another year than the question names
TOPIC_LIFT = 1.01  # the paragraph on a question's topic within a named entry: just above the entry
YEAR_SERIES = 0.3  # a series when the question names its entry for one year in full
CITED_BONUS = 1.3  # a paragraph cited as the source of a top entry
CITED_FROM_TOP = 5
NAMED_MIN = 5  # compact characters: shorter names (ha2, 2/7) are matched as tokens
EXPANSION_WEIGHT = 0.9  # glossary translations: nearly as good as the words typed
COVERED_WEIGHT = 0.4  # English words a glossary phrase already translated
REPAIR_WEIGHT = 0.8  # typo repairs: likely, not certain
REPAIR_LATIN = 80  # rapidfuzz ratio for a misspelt English word (upgarding → upgrading: 89)
REPAIR_CJK = 75  # for a run of Chinese characters against the domain's terms (one wrong in four)
MAX_HITS = 40
COMMON_SHARE = 0.2  # a word in more than this share of texts is left out of the BM25 query
COMMON_MIN_DOCS = 2000  # small corpora are fast anyway: keep every word
CANDIDATES = 40  # BM25 candidates re-ranked by query coverage (and the most results a query pages through)
COVERAGE_MIN_WEIGHT = 0.8  # only typed words and translations count towards coverage
COVERAGE_FLOOR = 0.2
COVERAGE_POWER = 1.0
PHRASE_BONUS = 1.5
PHRASE_MIN = 4  # characters: shorter runs are single words, already weighed by BM25
EN_BOOST = 1.0  # English words against the English view (glosses) of every text
EN_COVERED_WEIGHT = 0.6  # English words a glossary phrase already translated
EXPANSION_COMMON_SHARE = 0.2  # a glossary translation in more texts than this is left out of scoring
EN_COMMON_SHARE = 0.2  # likewise an English stem (habitat: 人居 is in most paragraphs)
EN_COVERAGE_SHARE = 0.5  # …but it still counts towards coverage unless even more texts hold it

_LATIN_WORD = re.compile(r"^[a-z][a-z-]{3,}$")
_CJK_RUN = re.compile(r"[\u3400-\u9fff]{3,}")
_DIGIT = re.compile(r"\d")
#: Words of a question around a name ("where was the second Assembly held"), never part of one.
_QUESTION_WORDS = frozenset({"when", "where", "who", "what", "which", "how", "held", "hold", "take", "takes", "took",
                             "place", "happen", "happened", "happens", "meet", "meets", "met", "be", "is", "was",
                             "were", "will", "did", "does", "do"})
_HAPPENINGS = frozenset({Kind.SESSION, Kind.MEETING, Kind.EVENT})
_YEAR = re.compile(r"(?<!\d)(19[5-9]\d|20\d\d)(?!\d)")
_WORDS = re.compile(r"(?<![a-z0-9])[a-z][a-z-]*(?![a-z0-9])")
# Where a Chinese form meets digits or Latin letters the documents often put a space (地方 2030 联盟).
_SCRIPT_BOUNDARY = re.compile(r"(?<=[\u3400-\u9fff])(?=[0-9a-z])|(?<=[0-9a-z])(?=[\u3400-\u9fff])")


@dataclass(frozen=True, slots=True)
class Hit:
    """One result: an entry (``entry_id``) or a paragraph (``doc`` + ``number``)."""

    score: float
    entry_id: str | None = None
    doc: str | None = None
    number: str | None = None

    @property
    def key(self) -> str:
        return f"e:{self.entry_id}" if self.entry_id else f"p:{self.doc}:{self.number}"


@dataclass(frozen=True)
class Results:
    query: str
    hits: tuple[Hit, ...]
    terms: tuple[str, ...] = ()  # folded words to bold in snippets, longest first
    repaired: tuple[tuple[str, str], ...] = ()  # (what was typed, what was searched instead)


class Glossary:
    """English ↔ Chinese terms from ``glossary.yaml``: an English query reaches Chinese paragraphs."""

    def __init__(self, terms: Iterable[GlossaryTerm]) -> None:
        self.en_to_zh: dict[str, list[str]] = {}
        self.zh_to_en: dict[str, list[str]] = {}
        for term in terms:
            zh = [fold(z) for z in term.zh]
            en = [fold(e) for e in term.en]
            for phrase in en:
                self.en_to_zh.setdefault(phrase, []).extend(z for z in zh if z not in self.en_to_zh.get(phrase, []))
            for word in zh:
                self.zh_to_en.setdefault(word, []).extend(e for e in en if e not in self.zh_to_en.get(word, []))
        phrases = sorted(self.en_to_zh, key=len, reverse=True)
        self._en = re.compile(r"(?<![a-z0-9])(" + "|".join(map(re.escape, phrases)) + r")(?![a-z0-9])") if phrases else None
        self.words = frozenset(w for phrase in self.en_to_zh for w in phrase.split())

    def chinese_words(self) -> list[str]:
        return list(self.zh_to_en)

    def expand(self, folded: str) -> list[str]:
        """Chinese forms of the English phrases in ``folded`` (longest phrase wins where they overlap)."""
        return [zh for forms, _span in self.matches(folded) for zh in forms]

    def matches(self, folded: str) -> list[tuple[list[str], tuple[int, int]]]:
        """Each English phrase found in ``folded``: its Chinese forms and where it stands."""
        if self._en is None:
            return []
        return [(self.en_to_zh[m.group(1)], m.span()) for m in self._en.finditer(folded)]


# How delegates frame a question around the thing they mean: "城市十月是什么", "what is SURGe",
# "世界城市论坛第十二届会议在哪里举行". Stripped before matching, so the thing itself can match an
# entry's name exactly.
_QUESTION = re.compile(
    r"^(?:请问|请告诉我|告诉我|什么是|谁是|哪里是|what is|what's|what are|who is|where is|when is|when was|"
    r"where was|tell me about|how many|how much)\s*"
    r"|\s*(?:是什么意思|是什么|是谁|是哪天|是哪一天|是何时|在哪里举行|在哪举行|在哪里|何时举行|什么时候举行|什么时候|"
    r"有哪些|有多少|多少|吗|呢|\?|？)+\s*$"
)


def strip_question(folded: str) -> str:
    """The folded text without the question's frame (leading and trailing question words)."""
    previous = None
    while previous != folded:
        previous = folded
        folded = _QUESTION.sub("", folded).strip()
    return folded or previous


def _entry_years(entry: Entry) -> frozenset[int]:
    """The years a session, meeting or event takes place in (its dates, or the year it is expected).
    A decision's or a document's date is when it was adopted or issued, not what it is about."""
    if entry.kind not in _HAPPENINGS:
        return frozenset()
    years = {entry.expected} if entry.expected else set()
    if entry.dates is not None:
        years |= {entry.dates.start.year, (entry.dates.end or entry.dates.start).year}
    return frozenset(years)


def _entry_title(entry: Entry, aliases: Sequence[str]) -> str:
    parts = [entry.names.zh or "", entry.names.en or "", entry.symbol or "", entry.number or "", *aliases]
    return " ".join(p for p in parts if p)


def _entry_body(entry: Entry) -> str:
    parts = [entry.summary, entry.theme, entry.place, *entry.outcomes]
    return " ".join(f"{p.zh or ''} {p.en or ''}" for p in parts if p is not None)


def _schema() -> tantivy.Schema:
    builder = tantivy.SchemaBuilder()
    # Tokens arrive pre-segmented and folded: the whitespace tokenizer only splits them.
    builder.add_text_field("body", tokenizer_name="whitespace", index_option="freq")
    # The English view of every text: stems of its Chinese words' dictionary glosses and of its own
    # English words (store.glosses), so that an English question reaches a Chinese paragraph.
    builder.add_text_field("en", tokenizer_name="whitespace", index_option="freq")
    # Exact-match keys of entries (compacted aliases, numbers): an identifier typed in a question
    # lands on its entry without the catalog's fuzzy resolution, which costs more than the search.
    builder.add_text_field("key", tokenizer_name="raw", index_option="basic")
    builder.add_unsigned_field("pos", fast=True)
    return builder.build()


def index_key(catalog: Catalog, words: Iterable[str]) -> str:
    """What the index depends on: content version, tokenizer rules and the segmenter's extra words."""
    digest = hashlib.sha256()
    for part in (INDEX_FORMAT, TOKENIZER_VERSION, dictionary_version(), catalog.version, *sorted(words)):
        digest.update(part.encode())
        digest.update(b"\0")
    if not catalog.version:
        # No recorded version (a catalog built in memory): the content itself is the version.
        for doc, paragraphs in sorted(catalog.paragraphs.items()):
            digest.update(doc.encode())
            for paragraph in paragraphs:
                digest.update(paragraph.number.encode() + paragraph.text.encode())
        for entry_id in sorted(catalog.entries):
            digest.update(catalog.entries[entry_id].model_dump_json().encode())
    return digest.hexdigest()[:20]


@dataclass
class SearchIndex:
    """An opened index for one catalog: ranked entries and paragraphs for a query."""

    catalog: Catalog
    segmenter: Segmenter
    glossary: Glossary
    key: str
    _index: tantivy.Index
    _table: list[tuple[str, str, str]]  # pos -> ("e", entry id, "") or ("p", doc, number)
    _vocab: dict[str, int]  # token -> number of documents, for typo repair
    _glosses: GlossMap
    _latin: list[str] = field(default_factory=list)
    _searcher: tantivy.Searcher | None = None
    #: True when opened from a persisted index (no segmentation done in this process).
    from_disk: bool = False

    def __post_init__(self) -> None:
        self._index.reload()
        self._searcher = self._index.searcher()
        self._schema = self._index.schema
        terms = set(self.segmenter.words) | {w for w in self.glossary.chinese_words() if _CJK_RUN.fullmatch(w)}
        self._term_pairs: dict[str, list[str]] = {}  # character pair -> domain terms holding it
        for term in sorted(terms):
            if len(term) >= 3:
                for pair in dict.fromkeys(term[i : i + 2] for i in range(len(term) - 1)):
                    self._term_pairs.setdefault(pair, []).append(term)
        self._segmented: dict[str, list[str]] = {}
        self._alias_keys: dict[str, list[tuple[str, str]]] = {}  # first NAMED_MIN characters -> (key, entry)
        for e in self.catalog.entries.values():
            for key in {compact(a) for a in [*self.catalog.aliases.get(e.id, []), e.names.zh or "", e.names.en or ""]}:
                if len(key) >= NAMED_MIN:
                    self._alias_keys.setdefault(key[:NAMED_MIN], []).append((key, e.id))
        self._entry_text = {
            e.id: fold.__wrapped__(_entry_title(e, self.catalog.aliases.get(e.id, [])) + " " + _entry_body(e))
            for e in self.catalog.entries.values()
        }
        # Each document entry's text (the source its entry cites most) and its names, for _topic_first.
        self._main_doc: dict[str, str] = {}
        for e in self.catalog.entries.values():
            cited = Counter(source.doc for source in e.sources if source.doc)
            if cited and e.kind is Kind.DOCUMENT:  # a report or declaration the question names
                self._main_doc[e.id] = cited.most_common(1)[0][0]  # ties: the first cited
        self._title_text = {i: fold(_entry_title(self.catalog.entries[i], self.catalog.aliases.get(i, [])))
                            for i in self._main_doc}
        self._years = {e.id: years for e in self.catalog.entries.values() if (years := _entry_years(e))}
        # An undated entry (a series, a body) and its dated relatives, whose years tell that a
        # question about one year of Urban October is about that year's entry, not the series.
        self._kin: dict[str, frozenset[str]] = {}  # such an entry -> its dated relatives
        for e in self.catalog.entries.values():
            if e.id not in self._years and e.kind in _HAPPENINGS | {Kind.BODY}:
                kin = frozenset(k for k in (*e.related, *self.catalog.referrers.get(e.id, ())) if k in self._years)
                if kin:
                    self._kin[e.id] = kin
        self._latin = sorted({t for t in self._vocab if _LATIN_WORD.match(t)} | {w for w in self.glossary.words if _LATIN_WORD.match(w)})
        self._glosses.rank(self._vocab)

    # -- building and opening ------------------------------------------------------------------

    @classmethod
    def open(cls, catalog: Catalog, directory: Path | None, *, extra_words: Iterable[str] = ()) -> SearchIndex:
        """Open the persisted index for this catalog, or build (and persist) it."""
        glossary = Glossary(catalog.glossary)
        seg = segmenter([*extra_words, *glossary.chinese_words()])
        key = index_key(catalog, seg.words)
        if directory is None:
            return cls._build(catalog, seg, glossary, key, None)
        target = directory / key
        if (target / TABLE_FILE).is_file():
            try:
                return cls._load(catalog, seg, glossary, key, target)
            except (OSError, ValueError, KeyError) as exc:  # a damaged index is rebuilt, not fatal
                log.warning("search index %s unreadable (%s); rebuilding", target, exc)
                shutil.rmtree(target, ignore_errors=True)
        directory.mkdir(parents=True, exist_ok=True)
        staging = directory / f".{key}.{uuid.uuid4().hex[:8]}"
        cls._build(catalog, seg, glossary, key, staging)
        try:
            os.rename(staging, target)  # atomic: another process sees the whole index or none
        except OSError:
            shutil.rmtree(staging, ignore_errors=True)  # another process finished first: use it
            return cls._load(catalog, seg, glossary, key, target)
        _prune(directory, keep=key)
        # Reopen from the final location: the staging path no longer exists.
        index = cls._load(catalog, seg, glossary, key, target)
        index.from_disk = False
        return index

    @classmethod
    def _documents(
        cls, catalog: Catalog, seg: Segmenter
    ) -> Iterable[tuple[tuple[str, str, str], str, str, list[str], str]]:
        for entry in catalog.entries.values():
            aliases = catalog.aliases.get(entry.id, [])
            # Names and summary share one field with the paragraphs, so that a word's rarity is
            # judged over everything: a separate name field made 城市 look rare (few entries have
            # names) and put every entry named "... cities ..." above the paragraph that answers.
            title = " ".join(dict.fromkeys(seg.tokens(_entry_title(entry, aliases))))
            keys = {compact(a) for a in [entry.id, *aliases]}
            if entry.number:
                # "resolution 2/2" must prefer the resolution over decision 2/2 with the same number.
                keys |= {entry.number, f"{entry.kind.value}:{entry.number}"}
            raw = f"{_entry_title(entry, aliases)} {_entry_body(entry)}"
            yield ("e", entry.id, ""), title, " ".join(seg.tokens(_entry_body(entry))), sorted(keys), raw
        for doc, paragraphs in catalog.paragraphs.items():
            for paragraph in paragraphs:
                yield ("p", doc, paragraph.number), "", " ".join(seg.tokens(paragraph.text)), [], paragraph.text

    @classmethod
    def _build(cls, catalog: Catalog, seg: Segmenter, glossary: Glossary, key: str, path: Path | None) -> SearchIndex:
        schema = _schema()
        if path is not None:
            path.mkdir(parents=True)
        index = tantivy.Index(schema, path=str(path) if path else None)
        writer = index.writer(heap_size=96_000_000, num_threads=1)
        table: list[tuple[str, str, str]] = []
        vocab: Counter[str] = Counter()
        # The whole dictionary lives only while the index is built; the index keeps the glosses of
        # the words it met.
        builder = GlossBuilder(load_dictionary(), glossary.zh_to_en)
        for pos, (ref, title, body, keys, raw) in enumerate(cls._documents(catalog, seg)):
            document = tantivy.Document()
            document.add_text("body", f"{title} {body}" if title else body)
            tokens = [*title.split(), *body.split()]
            document.add_text("en", " ".join(builder.english_view(raw, tokens)))
            for key_text in keys:
                if key_text:
                    document.add_text("key", key_text)
            document.add_unsigned("pos", pos)
            writer.add_document(document)
            table.append(ref)
            vocab.update(set(title.split()) | set(body.split()))
        writer.commit()
        writer.wait_merging_threads()
        glosses = builder.result()
        if path is not None:
            payload = {"key": key, "table": table, "vocab": {t: n for t, n in vocab.items() if len(t) >= 2}}
            (path / TABLE_FILE).write_text(json.dumps(payload, ensure_ascii=False), encoding="utf-8")
            (path / GLOSS_FILE).write_text(json.dumps(glosses.to_json(), ensure_ascii=False), encoding="utf-8")
        return cls(catalog, seg, glossary, key, index, table, dict(vocab), glosses)

    @classmethod
    def _load(cls, catalog: Catalog, seg: Segmenter, glossary: Glossary, key: str, path: Path) -> SearchIndex:
        payload = json.loads((path / TABLE_FILE).read_text(encoding="utf-8"))
        if payload.get("key") != key:
            raise ValueError("index key mismatch")
        table = [tuple(row) for row in payload["table"]]
        glosses = GlossMap.from_json(json.loads((path / GLOSS_FILE).read_text(encoding="utf-8")))
        index = cls(catalog, seg, glossary, key, tantivy.Index.open(str(path)), table, payload["vocab"], glosses)
        index.from_disk = True
        return index

    # -- querying ------------------------------------------------------------------------------

    def query_terms(self, text: str) -> tuple[dict[str, float], dict[str, float], list[tuple[str, str]]]:
        """Weighted tokens for ``text``: body tokens (typed, glossary translations, typo repairs),
        English stems for the glosses, and the repairs made."""
        folded = fold(text)
        weights: dict[str, float] = {}
        english: dict[str, float] = {}

        def add(tokens: Iterable[str], weight: float, into: dict[str, float] = weights) -> None:
            for token in tokens:
                if into.get(token, 0.0) < weight:
                    into[token] = weight

        stripped, repaired = self._repaired(strip_question(folded))
        matches = self.glossary.matches(stripped)
        # English words the glossary translated: the Chinese forms carry the meaning into the
        # (Chinese) documents; the English words themselves only reach English entry names, so
        # they count less — otherwise "safer cities" ranks every "World Cities Day" first.
        covered = "".join(" " if any(a <= i < b for _f, (a, b) in matches) else c for i, c in enumerate(stripped))
        uncovered = "".join(c if covered[i] == c else " " for i, c in enumerate(stripped))
        translated = "".join(c if covered[i] == " " and c != " " else " " for i, c in enumerate(stripped))
        typed = self.segmenter.tokens(uncovered, folded=True) if uncovered.strip() else []
        add(typed, 1.0)
        translated_tokens = self.segmenter.tokens(translated, folded=True) if translated.strip() else []
        add(translated_tokens, COVERED_WEIGHT)
        add((stem(w) for w in english_words(uncovered)), 1.0, english)
        add((stem(w) for w in english_words(translated)), EN_COVERED_WEIGHT, english)
        total = self._num_docs()
        common = EXPANSION_COMMON_SHARE * total
        for forms, _span in matches:
            expanded = [self._expansion(term) for term in forms]
            # A translation most texts hold (人居署, in any of its forms) says nothing about which
            # text answers: it is left out of scoring; so is a piece most texts hold (地方).
            if sum(self._doc_freq("body", whole) for whole, _pieces in expanded if whole) <= common:
                for whole, pieces in expanded:
                    add([whole] if whole else [], EXPANSION_WEIGHT)
                    add((p for p in pieces if self._doc_freq("body", p) <= common), EXPANSION_WEIGHT)
        for run in _CJK_RUN.findall(folded):
            fixed = self._repair_cjk(run)
            if fixed:
                repaired.append((run, fixed))
                add(self._term_tokens(fixed), REPAIR_WEIGHT)
        return weights, english, repaired

    def _repaired(self, folded: str) -> tuple[str, list[tuple[str, str]]]:
        """``folded`` with its misspelt English words repaired, before the glossary reads it (so
        "informal setlements" is translated as "informal settlements"), and what was repaired."""
        repaired: list[tuple[str, str]] = []

        def repair(match: re.Match[str]) -> str:
            word = match.group()
            token = light_stem(word)
            if not _LATIN_WORD.match(token) or self._knows(token) or self._knows(word):
                return word
            fixed = self._repair_latin(token)
            if not fixed:
                return word
            repaired.append((word, fixed))
            return fixed

        return _WORDS.sub(repair, folded), repaired

    def _knows(self, word: str) -> bool:
        """A real word, left as typed: the index, the glossary or the dictionary knows it."""
        return word in self._vocab or word in self.glossary.words or self._glosses.knows(word)

    def english_found(self, stem_: str, text: str) -> bool:
        """Whether ``text`` holds an English stem: the stem itself, or a Chinese word glossed with it."""
        return self._glosses.found(stem_, text, text.lower())

    def english_share(self, stem_: str) -> float:
        """Share of the texts whose English view holds ``stem_`` (a stem most hold says little)."""
        total = self._num_docs()
        return self._doc_freq("en", stem_) / total if total else 0.0

    def body_share(self, token: str) -> float:
        """Share of the texts that hold the search token ``token`` (a Chinese word, a number)."""
        total = self._num_docs()
        return self._doc_freq("body", token) / total if total else 0.0

    def _num_docs(self) -> int:
        return self._searcher.num_docs if self._searcher is not None else 0

    def _doc_freq(self, field_name: str, token: str) -> int:
        return self._searcher.doc_freq(field_name, token) if self._searcher is not None else 0

    def _expansion(self, term: str) -> tuple[str | None, list[str]]:
        """How a glossary form is searched: whole, as the texts hold it (not also its part-words:
        联合国人类住区规划署 must not bring every 联合国 and 人类); where the texts write it with
        spaces (地方 2030 联盟), its pieces."""
        whole = term.replace(" ", "")
        spaced = _SCRIPT_BOUNDARY.sub(" ", whole)
        pieces = self._term_tokens(spaced) if spaced != whole else []
        return (whole if self._doc_freq("body", whole) else None), pieces

    def _informative(self, english: dict[str, float]) -> dict[str, float]:
        """English stems some text holds, without those most texts hold (if any are left)."""
        common = EN_COMMON_SHARE * self._num_docs()
        freq = {s: self._doc_freq("en", s) for s in english}
        kept = {s: w for s, w in english.items() if 0 < freq[s] <= common}
        if not kept and english:
            rarest = min((s for s in english if freq[s]), key=freq.__getitem__, default=None)
            kept = {rarest: english[rarest]} if rarest else {}
        return kept

    def _term_tokens(self, term: str) -> list[str]:
        """Tokens of a glossary or domain term: a fixed, small set, so segmented once and kept."""
        tokens = self._segmented.get(term)
        if tokens is None:
            tokens = self.segmenter.tokens(term, folded=True)
            if len(self._segmented) < 20_000:
                self._segmented[term] = tokens
        return tokens

    def _repair_latin(self, token: str) -> str | None:
        candidates = [w for w in self._latin if abs(len(w) - len(token)) <= 2]
        best = process.extractOne(token, candidates, scorer=fuzz.ratio, score_cutoff=REPAIR_LATIN)
        return best[0] if best else None

    def _repair_cjk(self, run: str) -> str | None:
        """A Chinese run with no known term in it, one character off a domain term (贫民窑改造).

        Candidates come from the character pairs they share with the run (a term with one wrong
        character keeps most of its pairs), so only a handful of terms are compared, not all.
        """
        shared: Counter[str] = Counter()
        for i in range(len(run) - 1):
            for term in self._term_pairs.get(run[i : i + 2], ()):
                shared[term] += 1
        if any(term in run for term in shared):
            return None  # the run already holds a domain term: nothing to repair
        best: tuple[str, float] | None = None
        for term, count in shared.items():
            length = len(term)
            if length < 4 or count < max(1, length - 3):
                continue
            for start in range(0, len(run) - length + 1):
                score = fuzz.ratio(run[start : start + length], term)
                if score >= REPAIR_CJK and (best is None or (score, length) > (best[1], len(best[0]))):
                    best = (term, score)
        return best[0] if best else None

    def _coverage(self, kind: str, a: str, b: str, eligible: Sequence[tuple[str, float, bool]],
                  glossed: Sequence[tuple[str, float]], total: float, phrases: Sequence[str]) -> float:
        """How much of the query a candidate holds, as a factor on its BM25 score.

        BM25 adds up the words a text matches, so a short entry name holding one common word can
        outscore the paragraph that holds all of them; weighting by the share of the query's words
        present (Lucene's old "coord") puts the paragraph that answers the whole question first.
        A text holding a phrase of the query word for word (全球城市监测框架) gets a bonus. An
        English word counts where the text holds it or a Chinese word that it glosses.
        """
        if kind == "e":
            text = self._entry_text.get(a, "")
        else:
            paragraph = self.catalog.paragraph(a, b)
            text = paragraph.text if paragraph else ""
        lowered: str | None = None
        matched = 0.0
        for token, weight, ascii_only in eligible:
            if token in text:
                matched += weight
            elif ascii_only:
                # The documents are Chinese: lower-case a text only when a Latin word needs it.
                lowered = text.lower() if lowered is None else lowered
                if token in lowered:
                    matched += weight
        if glossed:
            lowered = text.lower() if lowered is None else lowered
            for stem_, weight in glossed:
                if self._glosses.found(stem_, text, lowered):
                    matched += weight
        factor = (COVERAGE_FLOOR + (1 - COVERAGE_FLOOR) * matched / total) ** COVERAGE_POWER if total else 1.0
        if phrases and (phrases[0] in text if len(phrases) == 1 else any(p in text for p in phrases)):
            factor *= PHRASE_BONUS
        return factor

    def _topic_first(self, candidates: list[tuple[float, str, str, str]], eligible: Sequence[tuple[str, float, bool]],
                     informative: dict[str, float]) -> list[tuple[float, str, str, str]]:
        """A question about a topic within a document it names ("what does the declaration say about
        the Katowice forum?"): the document's best paragraph on that topic comes first, the document's
        entry second. Without words beyond the document's name, the entry stays first."""
        if not candidates or candidates[0][1] != "e" or candidates[0][2] not in self._main_doc:
            return candidates
        top = candidates[0][2]
        title = self._title_text[top]
        lowered_title = title.lower()
        words = [t for t, weight, _ascii in eligible if weight >= COVERAGE_MIN_WEIGHT and t not in title
                 and t not in lowered_title]
        stems = [s for s in informative if not self._glosses.found(s, title, lowered_title)]
        if not words and not stems:
            return candidates
        main = self._main_doc[top]
        for index, (_score, kind, a, b) in enumerate(candidates[1:], 1):
            if kind != "p" or a != main:
                continue
            paragraph = self.catalog.paragraph(a, b)
            text = paragraph.text if paragraph else ""
            lowered = text.lower()
            if any(w in text or w in lowered for w in words) or any(self._glosses.found(s, text, lowered) for s in stems):
                lifted = (candidates[0][0] * TOPIC_LIFT, kind, a, b)
                return [lifted, *candidates[:index], *candidates[index + 1:]]
        return candidates

    def _cited_first(self, candidates: list[tuple[float, str, str, str]]) -> list[tuple[float, str, str, str]]:
        """Lift paragraphs that the best-matching entries cite as their source.

        An entry's sources were chosen by a person as the paragraph that states it, which is a
        better signal of "the paragraph about this" than one more occurrence of a word.
        """
        cited: set[tuple[str, str]] = set()
        for _score, kind, a, _b in candidates[:CITED_FROM_TOP]:
            if kind == "e" and a in self.catalog.entries:
                cited.update((s.doc, s.para) for s in self.catalog.entries[a].sources if s.doc and s.para)
        if not cited:
            return candidates
        lifted = [
            (score * CITED_BONUS if kind == "p" and (a, b) in cited else score, kind, a, b)
            for score, kind, a, b in candidates
        ]
        lifted.sort(key=lambda c: -c[0])
        return lifted

    def _selective(self, weights: dict[str, float], field_name: str = "body") -> list[str]:
        """The query's words worth a posting-list walk: those in fewer than a fifth of the texts.

        A word in most texts (城市 at a hundred thousand paragraphs) adds almost nothing to BM25
        but costs most of the time; it still counts in the coverage re-ranking. If every word is
        that common, the rarest two are kept.
        """
        assert self._searcher is not None
        common = max(COMMON_MIN_DOCS, COMMON_SHARE * self._searcher.num_docs)
        freq = {token: self._searcher.doc_freq(field_name, token) for token in weights}
        kept = [token for token, n in freq.items() if 0 < n <= common]
        if not kept:
            kept = sorted((token for token, n in freq.items() if n), key=freq.__getitem__)[:2]
        return kept

    def _named_in(self, key: str) -> dict[str, str]:
        """Entries whose full name or alias the question contains (人居大会第二届会议通过了……),
        each with the alias found."""
        if len(key) < NAMED_MIN:
            return {}
        spans: list[tuple[int, int, str, str]] = []
        for i in range(len(key) - NAMED_MIN + 1):
            for alias, owner in self._alias_keys.get(key[i : i + NAMED_MIN], ()):
                if key.startswith(alias, i):
                    spans.append((i, i + len(alias), owner, alias))
        # The longest name wins: "2019年世界城市日" names the 2019 observance, not also the day.
        return {
            owner: alias for a, b, owner, alias in spans
            if not any(c <= a and b <= d and d - c > b - a for c, d, _other, _alias in spans)
        }

    def search(self, text: str, limit: int = MAX_HITS) -> Results:
        """Entries and paragraphs for ``text``, best first; an identifier's own entry first."""
        weights, english, repaired = self.query_terms(text)
        informative: dict[str, float] = {}
        hits: list[Hit] = []
        seen: set[str] = set()
        if self._searcher is not None:
            clauses = []
            keys = {compact(text), compact(strip_kind_words(text)), compact(strip_question(fold(text)))}
            parsed = parse_identifier(text)
            if parsed is not None:
                keys.update(parsed.numbers)
                if parsed.kind:
                    keys.update(f"{parsed.kind}:{number}" for number in parsed.numbers)
            for key_text in keys - {""}:
                query = tantivy.Query.term_query(self._schema, "key", key_text)
                clauses.append((tantivy.Occur.Should, tantivy.Query.boost_query(query, KEY_BOOST)))
            stripped = strip_question(fold(text))
            named = self._named_in(compact(stripped))
            part = " ".join(word for word in stripped.split() if word not in _QUESTION_WORDS)
            resolved = self.catalog.resolve(part) if " " in part else None
            if isinstance(resolved, Found) and resolved.entry.id not in named:
                # A name given in part ("where was the second Assembly held"): the catalog knows
                # which entry it fits; a shorter name inside it ("Assembly") is not named as well.
                whole = compact(part)
                named = {owner: alias for owner, alias in named.items() if alias not in whole}
                named[resolved.entry.id] = whole
                query = tantivy.Query.term_query(self._schema, "key", compact(resolved.entry.id))
                clauses.append((tantivy.Occur.Should, tantivy.Query.boost_query(query, KEY_TOKEN_BOOST)))
            # An identifier inside a question ("where will WUF12 be held") still names its entry,
            # unless it is part of a longer name the question holds (世界城市日 in 2019年世界城市日).
            longer = [alias for alias in named.values() if len(alias) > NAMED_MIN]
            for token in {compact(t) for t in weights} - keys - {""}:
                if any(token in alias and token != alias for alias in longer):
                    continue
                query = tantivy.Query.term_query(self._schema, "key", token)
                clauses.append((tantivy.Occur.Should, tantivy.Query.boost_query(query, KEY_TOKEN_BOOST)))
            # English words are searched through the English view (every text has one), not also
            # in the body, where only entries hold English and so would always outrank paragraphs.
            body = {t: w for t, w in weights.items() if not (english and _LATIN_WORD.match(t))}
            for token in self._selective(body):
                # "freq": BM25 needs term frequencies, not positions; reading positions is slower.
                query = tantivy.Query.term_query(self._schema, "body", token, index_option="freq")
                clauses.append((tantivy.Occur.Should, tantivy.Query.boost_query(query, weights[token])))
            informative = self._informative(english)
            for token in informative:
                query = tantivy.Query.term_query(self._schema, "en", token, index_option="freq")
                clauses.append((tantivy.Occur.Should, tantivy.Query.boost_query(query, EN_BOOST * english[token])))
            found = self._searcher.search(tantivy.Query.boolean_query(clauses), CANDIDATES, count=False).hits if clauses else []
            positions = self._searcher.fast_field_values("pos", [address for _score, address in found]) if found else []
            phrases = [run for run in _CJK_RUN.findall(stripped) if len(run) >= PHRASE_MIN]
            if len(stripped) >= PHRASE_MIN and stripped not in phrases:
                phrases.append(stripped)
            # A phrase that contains another is only in a text if the shorter one is: keep the short.
            phrases = [p for p in phrases if not any(o != p and o in p for o in phrases)]
            # Numbers are left out of coverage: texts are compared unfolded (第二届 stays 第二届).
            # English words count through their stems (below), not also as typed.
            eligible = [
                (token, weight, token.isascii())
                for token, weight in weights.items()
                if weight >= COVERAGE_MIN_WEIGHT and len(token) >= 2 and not _DIGIT.search(token)
                and not (english and _LATIN_WORD.match(token))
            ]
            glossed = [(s, w) for s, w in english.items()
                       if w >= COVERAGE_MIN_WEIGHT * 0.7 and self._doc_freq("en", s) <= EN_COVERAGE_SHARE * self._num_docs()]
            total = sum(weight for _t, weight, _a in eligible) + sum(weight for _s, weight in glossed)
            asked_years = {int(year) for year in _YEAR.findall(fold(text))}
            # Entries the question names in full, dated in the year it names ("World Cities Day 2022").
            named_that_year = {e for e in named if self._years.get(e, frozenset()) & asked_years}
            candidates = []
            for (score, _address), pos in zip(found, positions, strict=True):
                if pos is not None and pos < len(self._table):
                    kind, a, b = self._table[int(pos)]
                    factor = self._coverage(kind, a, b, eligible, glossed, total, phrases)
                    if kind == "e" and a in named:
                        factor *= NAMED_BONUS
                    if kind == "e" and asked_years and a in self._years:
                        factor *= YEAR_MATCH if self._years[a] & asked_years else YEAR_OTHER
                    elif kind == "e" and named_that_year & self._kin.get(a, frozenset()):
                        factor *= YEAR_SERIES  # the series of the year's entry the question names
                    elif kind == "e" and any(self._years[k] & asked_years for k in self._kin.get(a, ())):
                        factor *= YEAR_OTHER  # the year asked about has an entry of its own
                    candidates.append((score * factor, kind, a, b))
            candidates.sort(key=lambda c: -c[0])
            candidates = self._cited_first(candidates)
            candidates = self._topic_first(candidates, eligible, informative)
            shown_parents: set[tuple[str, str]] = set()
            shown_numbers: set[tuple[str, str]] = set()
            for score, kind, a, b in candidates:
                if kind == "p":
                    # A lettered sub-paragraph repeats its parent's text: show one of the two.
                    parent = (a, b.split("(", 1)[0])
                    if (a, b) in shown_numbers or (a, b) in shown_parents or ("(" in b and parent in shown_numbers):
                        continue
                    shown_numbers.add((a, b))
                    if "(" in b:
                        shown_parents.add(parent)
                    hits.append(Hit(score, doc=a, number=b))
                elif a not in seen:
                    seen.add(a)
                    hits.append(Hit(score, entry_id=a))
                if len(hits) >= limit:
                    break
        # An English question bolds the Chinese words its English words gloss (收入 for income).
        glossed_words = {w for s in informative for w in self._glosses.words(s)} if english else set()
        highlight = sorted(
            {t for t in weights if len(t) >= 2 and t not in STOPWORDS} | glossed_words, key=len, reverse=True
        )
        return Results(text, tuple(hits), tuple(highlight), tuple(repaired))


def _prune(directory: Path, keep: str) -> None:
    """Remove older indexes, keeping a few (another process may still be reading one)."""
    indexes = [p for p in directory.iterdir() if p.is_dir() and not p.name.startswith(".") and p.name != keep]
    indexes.sort(key=lambda p: p.stat().st_mtime, reverse=True)
    for old in indexes[KEEP_OLD_INDEXES:]:
        shutil.rmtree(old, ignore_errors=True)
    for staging in directory.glob(".*.*"):
        if staging.is_dir() and staging.stat().st_mtime < (directory / keep).stat().st_mtime - 3600:
            shutil.rmtree(staging, ignore_errors=True)


# -- snippets ----------------------------------------------------------------------------------


# Full-width letters, digits and ％ (matched words are made of these; full-width punctuation such
# as ，（） is in every Chinese paragraph and never part of a matched word, so it is left alone).
_WIDE = [0xFF05, *range(0xFF10, 0xFF1A), *range(0xFF21, 0xFF3B), *range(0xFF41, 0xFF5B)]
_HALF_WIDTH = {code: code - 0xFEE0 for code in _WIDE}
_FULL_WIDTH = re.compile("[\uff05\uff10-\uff19\uff21-\uff3a\uff41-\uff5a]")


def aligned_fold(text: str) -> str:
    """Fold ``text`` keeping one character per character, so matches map back to the original.

    Width and case only: the documents are in simplified Chinese, and a full fold (NFKC,
    traditional → simplified) of a whole paragraph for every snippet would cost more than the
    search itself.
    """
    if _FULL_WIDTH.search(text):  # rare in the documents; translate() looks up every character
        text = text.translate(_HALF_WIDTH)
    folded = text.lower()
    if len(folded) == len(text):
        return folded
    return "".join(one if len(one := char.lower()) == 1 else char for char in text)


def _matches(folded: str, terms: Sequence[str]) -> list[tuple[int, int]]:
    """Non-overlapping spans where ``terms`` occur, longest terms first, in text order."""
    spans: list[tuple[int, int]] = []
    for term in terms:
        start = folded.find(term)
        while start != -1:
            end = start + len(term)
            if all(end <= a or start >= b for a, b in spans):
                spans.append((start, end))
            start = folded.find(term, end)
    spans.sort()
    return spans


def snippet(text: str, terms: Sequence[str], width: int = 150) -> str:
    """HTML excerpt of ``text`` around its densest match, matched words in <b>, the rest escaped."""
    spans = _matches(aligned_fold(text), terms)
    begin = 0
    if len(text) > width and spans:
        # Start a little before the match whose window holds the most matches (two pointers).
        best, most, j = 0, 0, 0
        for i, (a, _b) in enumerate(spans):
            while j < len(spans) and spans[j][0] < a + width:
                j += 1
            if j - i > most:
                best, most = a, j - i
        begin = max(0, min(best - width // 5, len(text) - width))
    end = min(len(text), begin + width)
    parts = ["…" if begin > 0 else ""]
    position = begin
    for a, b in spans:
        if b <= begin or a >= end:
            continue
        a, b = max(a, begin), min(b, end)
        parts.append(html.escape(text[position:a], quote=True))
        parts.append(f"<b>{html.escape(text[a:b], quote=True)}</b>")
        position = b
    parts.append(html.escape(text[position:end], quote=True))
    if end < len(text):
        parts.append("…")
    return "".join(parts)


class SearchService:
    """The index for the live catalog, opened on first use and rebuilt when the content changes.

    Opening is lazy so that building the services (tests, the CLI) costs nothing until someone
    searches; ``warm()`` opens it ahead of the first query.
    """

    def __init__(self, catalog_of: Callable[[], Catalog], directory: Path | None, extra_words: Sequence[str] = ()) -> None:
        self._catalog_of = catalog_of
        self._directory = directory
        self._extra_words = tuple(extra_words)
        self._current: SearchIndex | None = None
        self._lock = threading.Lock()

    def index(self) -> SearchIndex:
        catalog = self._catalog_of()
        current = self._current
        if current is not None and current.catalog is catalog:
            return current
        with self._lock:
            current = self._current
            if current is None or current.catalog is not catalog:
                current = SearchIndex.open(catalog, self._directory, extra_words=self._extra_words)
                self._current = current
                # The catalog and the index tables are large and live until the next reload: move
                # them out of the collector's reach, or every full collection walks a hundred
                # thousand paragraphs and a query that triggers one waits tens of milliseconds.
                gc.collect()
                gc.freeze()
            return current

    def warm(self) -> None:
        self.index()
