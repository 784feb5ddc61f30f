"""Which entries a question names: its names and aliases found among the question's words (the
longest wins where they overlap), resolution numbers with their kind words, and the catalog's own
resolution of what is left once the question's frame is taken away.

The names are indexed once per catalog (a content change brings a new catalog, and a new index).
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass

from store.catalog import Catalog, Found
from store.normalize import fold
from store.schema import Entry, Kind

_TOKEN = re.compile(r"\d+(?:/\d+)+|[a-z]+|\d+|[\u3400-\u9fff]")
_NUMBER = re.compile(r"(?<![\d/.])(\d{1,3})\s*/\s*(\d{1,3})(?![\d/])")
_DECISION = re.compile(r"\bdecisions?\b|\bdec\b|决定")
_RESOLUTION = re.compile(r"\bresolutions?\b|\bres\b|决议")
_BODY_WORDS = (
    (re.compile(r"general assembly|(?<!人居)(?<!城市)大会"), "大会"),
    (re.compile(r"governing council|理事会"), "理事会"),
    (re.compile(r"executive board|执行局"), "执行局"),
)


def tokens(text: str) -> tuple[str, ...]:
    """Comparable pieces of text: HA.2 = HA2 = ha 2, UN-Habitat = UN Habitat, 第2届 = 第 2 届."""
    return tuple(_TOKEN.findall(fold(text)))


@dataclass(frozen=True)
class Mention:
    entry_id: str
    start: int  # token positions in the question
    end: int
    size: int  # characters the name covers: longer names are more specific


class Names:
    """Every name and alias of every entry, by first token, for finding them inside a question."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self._first: dict[str, list[tuple[tuple[str, ...], str]]] = {}
        self._words: list[tuple[frozenset[str], str]] = []
        for entry in catalog.entries.values():
            written = [*catalog.aliases.get(entry.id, []), entry.names.zh or "", entry.names.en or "", entry.symbol or ""]
            for name in dict.fromkeys(written):
                key = tokens(name)
                self._words.append((frozenset(key), entry.id))
                if _specific(key):
                    bucket = self._first.setdefault(key[0], [])
                    if (key, entry.id) not in bucket:
                        bucket.append((key, entry.id))

    def mentions(self, text: str) -> list[Mention]:
        """Entries named in ``text``, longest names first, without overlaps."""
        words = tokens(text)
        found: list[Mention] = []
        for start, word in enumerate(words):
            for key, entry_id in self._first.get(word, ()):
                if words[start : start + len(key)] == key:
                    found.append(Mention(entry_id, start, start + len(key), sum(map(len, key))))
        found.sort(key=lambda m: (-m.size, m.start))
        chosen: list[Mention] = []
        for mention in found:
            overlaps = any(mention.start < c.end and c.start < mention.end for c in chosen)
            if not overlaps and all(c.entry_id != mention.entry_id for c in chosen):
                chosen.append(mention)
        return chosen


    def covering(self, topic: str) -> dict[str, int]:
        """Entries one of whose names holds every word of ``topic`` ("the first session of the
        Assembly" → HA.1, the documents and dialogues of that session), with the fewest words any
        such name has beyond the topic's (the closest name says the most specific entry)."""
        words = frozenset(tokens(topic)) - _STOP
        found: dict[str, int] = {}
        if len(words) < 2:
            return found
        for key, owner in self._words:
            if words <= key:
                extra = len(key - words - _STOP)
                found[owner] = min(found.get(owner, extra), extra)
        return found


_STOP = frozenset("the of a an and for on in to at by s".split())


def _specific(key: tuple[str, ...]) -> bool:
    """A name worth finding inside a question: not one short word (EB, 会议), not a bare number."""
    if not key:
        return False
    characters = sum(map(len, key))
    if all(t.isdigit() for t in key):
        return False
    if len(key) == 1:
        return len(key[0]) >= 4 or "/" in key[0]
    return characters >= 3


_cache: dict[int, Names] = {}
_lock = threading.Lock()


def names(catalog: Catalog) -> Names:
    """The name index of this catalog (built on first use; one per catalog alive)."""
    with _lock:
        found = _cache.get(id(catalog))
        if found is None or found.catalog is not catalog:
            _cache.clear()
            found = _cache[id(catalog)] = Names(catalog)
        return found


def numbered(catalog: Catalog, folded: str) -> list[Entry]:
    """Resolutions and decisions named by number inside a question ("what did resolution 2/7 …")."""
    kind = "决定" if _DECISION.search(folded) else ("决议" if _RESOLUTION.search(folded) else "")
    body = next((word for pattern, word in _BODY_WORDS if pattern.search(folded)), "")
    out: list[Entry] = []
    for a, b in _NUMBER.findall(folded):
        found = catalog.resolve(f"{body}第{a}/{b}号{kind}", frozenset({Kind.RESOLUTION, Kind.DECISION}))
        if isinstance(found, Found) and found.entry not in out:
            out.append(found.entry)
    return out


def _closest(catalog: Catalog, topic: str) -> Entry | None:
    owners = names(catalog).covering(topic)
    things = sorted((extra, i) for i, extra in owners.items()
                    if i in catalog.entries and catalog.entries[i].kind is not Kind.DOCUMENT)
    if things and (len(things) == 1 or things[0][0] < things[1][0]):
        return catalog.entries[things[0][1]]
    if things:
        # As close as a part of itself ("the second Assembly": HA.2, and HA.2-resumed): the whole.
        tied = [i for extra, i in things if extra == things[0][0]]
        parents = [i for i in tied if all(other == i or other.startswith(f"{i}-") for other in tied)]
        if len(parents) == 1:
            return catalog.entries[parents[0]]
    return None


def named(catalog: Catalog, text: str, topic: str) -> list[Entry]:
    """The entries a question names, the most specific first."""
    folded = fold(text)
    out = numbered(catalog, folded)
    if topic:
        resolved = catalog.resolve(topic)
        if isinstance(resolved, Found) and not resolved.fuzzy and resolved.entry not in out:
            out.append(resolved.entry)
    for mention in names(catalog).mentions(text):
        entry = catalog.entries.get(mention.entry_id)
        if entry is not None and entry not in out:
            out.append(entry)
    if not out and topic:
        # A name given in part: taken when it fits one thing that is not a document (documents
        # repeat the names of the sessions they belong to) more closely than any other. The words
        # around it ("which countries provided …") are dropped from either end until one fits.
        words = topic.split()
        spans = [words[i:] for i in range(len(words) - 1)] + [words[:j] for j in range(len(words) - 1, 1, -1)]
        for span in spans:
            found = _closest(catalog, " ".join(span))
            if found is not None:
                out.append(found)
                break
    return out
