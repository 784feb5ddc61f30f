"""The in-memory catalog that answers lookups: entries, paragraphs and the identifier index.

A lookup must cost microseconds, so the catalog is built once from the database (after each load
or reload) and then only read. A reload builds a new catalog and swaps the reference: a query is
answered wholly by the old or wholly by the new content.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from rapidfuzz import fuzz, process
from sqlmodel import Session, col, select

from store.models import AliasRow, ContentVersion, DocumentRow, EntryRow, GlossaryRow, ParagraphRow
from store.normalize import (
    BoardSession,
    compact,
    fold,
    parse_board_session,
    parse_identifier,
    strip_kind_words,
)
from store.paragraphs import Paragraph
from store.schema import Entry, GlossaryTerm, Kind, Localized, SourceDocument

FUZZY_ACCEPT = 88  # a fuzzy match this good, and clearly ahead of the next, is taken as the answer
FUZZY_MARGIN = 6
FUZZY_SUGGEST = 60
FUZZY_MEMO = 4096  # distinct texts remembered per catalog; the memo starts over when full
STOP_WORDS = frozenset({"the", "of", "a", "an", "and", "for", "on", "in", "to"})
MAX_SUGGESTIONS = 5


@dataclass(frozen=True)
class Found:
    entry: Entry
    fuzzy: bool = False


@dataclass(frozen=True)
class Ambiguous:
    """Several entries answer exactly (``2/2``: a resolution and a decision)."""

    entries: tuple[Entry, ...]


@dataclass(frozen=True)
class NotFound:
    suggestions: tuple[Entry, ...] = ()


Resolution = Found | Ambiguous | NotFound


@dataclass(frozen=True)
class Role:
    """A role a person held, as an entry states it: President of HA.1, Executive Director (acting)."""

    entry_id: str  # the session, body or office that names the person
    role: Localized
    period: Localized | None = None
    acting: bool = False


@dataclass
class Catalog:
    entries: dict[str, Entry]
    documents: dict[str, SourceDocument]
    paragraphs: dict[str, list[Paragraph]]
    glossary: list[GlossaryTerm] = field(default_factory=list)
    aliases: dict[str, list[str]] = field(default_factory=dict)  # entry id -> aliases as written
    version: str = ""
    _exact: dict[str, tuple[str, ...]] = field(default_factory=dict, repr=False)
    _numbers: dict[str, tuple[str, ...]] = field(default_factory=dict, repr=False)
    _choices: list[str] = field(default_factory=list, repr=False)
    _choice_owner: list[str] = field(default_factory=list, repr=False)
    _choice_words: list[frozenset[str]] = field(default_factory=list, repr=False)
    _paragraph: dict[tuple[str, str], Paragraph] = field(default_factory=dict, repr=False)
    #: entry id -> ids of the entries that list it in ``related`` (a session ← its resolutions)
    referrers: dict[str, tuple[str, ...]] = field(default_factory=dict, repr=False)
    #: an id an entry had before -> its id now (old buttons, links and subscriptions keep working)
    renamed: dict[str, str] = field(default_factory=dict, repr=False)
    #: person id -> the roles entries give them (officers of sessions and bodies, office holders)
    roles: dict[str, tuple[Role, ...]] = field(default_factory=dict, repr=False)
    #: document entry id -> (session id, agenda item number or "" for the agenda itself)
    agenda_of: dict[str, tuple[tuple[str, str], ...]] = field(default_factory=dict, repr=False)
    _board: tuple[Entry, ...] = field(default=(), repr=False)
    #: Fuzzy resolutions already made on this (immutable) catalog: delegates ask the same things.
    _fuzzy_memo: dict[tuple[str, frozenset[Kind] | None], Resolution] = field(
        default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        exact: dict[str, list[str]] = defaultdict(list)
        numbers: dict[str, list[str]] = defaultdict(list)
        choices: dict[tuple[str, str], None] = {}
        for entry_id, written in self.aliases.items():
            for alias in written:
                key = compact(alias)
                if entry_id not in exact[key]:
                    exact[key].append(entry_id)
                choices[(fold(alias), entry_id)] = None
        referrers: dict[str, list[str]] = defaultdict(list)
        for entry in self.entries.values():
            if entry.number:
                numbers[entry.number].append(entry.id)
            for related in entry.related:
                referrers[related].append(entry.id)
        self.referrers = {k: tuple(v) for k, v in referrers.items()}
        self._index_structure()
        self._exact = {k: tuple(v) for k, v in exact.items()}
        self._numbers = {k: tuple(v) for k, v in numbers.items()}
        self._choices = [choice for choice, _ in choices]
        self._choice_owner = [owner for _, owner in choices]
        self._choice_words = [frozenset(choice.split()) for choice, _ in choices]
        self._paragraph = {(doc, p.number): p for doc, ps in self.paragraphs.items() for p in ps}

    @classmethod
    def from_session(cls, session: Session) -> Catalog:
        """Build the catalog from what the database holds."""
        entries = {row.id: Entry.model_validate_json(row.data) for row in session.exec(select(EntryRow))}
        aliases: dict[str, list[str]] = defaultdict(list)
        for alias_row in session.exec(select(AliasRow)):
            aliases[alias_row.entry_id].append(alias_row.alias)
        documents = {
            row.id: SourceDocument.model_validate_json(row.data) for row in session.exec(select(DocumentRow))
        }
        paragraphs: dict[str, list[Paragraph]] = defaultdict(list)
        rows = session.exec(select(ParagraphRow).order_by(col(ParagraphRow.doc_id), col(ParagraphRow.position)))
        for p in rows:
            paragraphs[p.doc_id].append(Paragraph(p.number, p.text, p.raw))
        glossary = [
            GlossaryTerm.model_validate(json.loads(row.data))
            for row in session.exec(select(GlossaryRow).order_by(col(GlossaryRow.position)))
        ]
        latest = session.exec(select(ContentVersion).order_by(col(ContentVersion.id).desc()).limit(1)).first()
        return cls(entries, documents, dict(paragraphs), glossary, dict(aliases), latest.digest if latest else "")

    def _index_structure(self) -> None:
        """Renamed ids, people's roles, documents' agenda items and the Board's sessions."""
        renamed: dict[str, str] = {}
        roles: dict[str, list[Role]] = defaultdict(list)
        agenda_of: dict[str, list[tuple[str, str]]] = defaultdict(list)
        for entry in self.entries.values():
            renamed.update(dict.fromkeys(entry.former_ids, entry.id))
            for officer in entry.officers:
                if officer.person:
                    roles[officer.person].append(Role(entry.id, officer.role))
            for term in entry.terms:
                roles[term.person].append(Role(entry.id, entry.names, term.period, term.acting))
            if entry.agenda is not None:
                for document in entry.agenda.documents:
                    agenda_of[document].append((entry.id, ""))
                for item in entry.agenda.items:
                    for document in item.documents:
                        agenda_of[document].append((entry.id, item.number))
        self.renamed = renamed
        self.roles = {k: tuple(v) for k, v in roles.items()}
        self.agenda_of = {k: tuple(v) for k, v in agenda_of.items()}
        board = [e for e in self.entries.values()
                 if e.kind is Kind.SESSION and e.body == "executive-board" and e.dates is not None]
        self._board = tuple(sorted(board, key=lambda e: e.dates.start if e.dates else None))  # type: ignore[arg-type, return-value]

    # -- lookups -----------------------------------------------------------------------------

    def entry(self, entry_id: str) -> Entry | None:
        """The entry with this id, or with this id before it was renamed."""
        found = self.entries.get(entry_id)
        if found is None and entry_id in self.renamed:
            found = self.entries.get(self.renamed[entry_id])
        return found

    def board_sessions(self, wanted: BoardSession) -> tuple[list[Entry], list[Entry]]:
        """(the Board sessions that match, the Board's sessions of that year)."""
        of_year = [e for e in self._board if e.dates is not None and e.dates.start.year == wanted.year]
        matching = [
            e for e in of_year
            if (wanted.number is None or e.number_in_year == wanted.number)
            and (wanted.month is None or (e.dates is not None and e.dates.start.month == wanted.month))
        ]
        return matching, of_year

    def paragraph(self, doc: str, number: str) -> Paragraph | None:
        return self._paragraph.get((doc, number))

    def by_kind(self, kinds: Iterable[Kind]) -> list[Entry]:
        wanted = set(kinds)
        return [e for e in self.entries.values() if e.kind in wanted]

    def resolve(self, text: str, kinds: frozenset[Kind] | None = None) -> Resolution:
        """Resolve what a delegate typed to one entry, several exact ones, or suggestions."""
        if not fold(text):
            return NotFound()
        parsed = parse_identifier(text)
        if parsed is not None:
            wanted = kinds
            if parsed.kind:
                narrowed = frozenset({Kind(parsed.kind)}) & (kinds or frozenset(Kind))
                wanted = narrowed or kinds
            ids: list[str] = []
            for number in parsed.numbers:
                ids.extend(self._numbers.get(number, ()))
            found = self._filter(ids, wanted)
            if parsed.body and len(found) > 1:
                found = [e for e in found if e.body == parsed.body] or found
            elif len(found) > 1:
                # A bare 2/7 means the Assembly's, unless only other bodies have that number.
                assembly = [e for e in found if e.body == "assembly"]
                if len({e.kind for e in found}) == 1 and assembly:
                    found = assembly
            if found:
                return self._one_or_many(found)
        for candidate in (text, strip_kind_words(text)):
            found = self._filter(self._exact.get(compact(candidate), ()), kinds)
            if found:
                return self._one_or_many(found)
        board = parse_board_session(text)
        if board is not None and (kinds is None or Kind.SESSION in kinds):
            # A Board session named by year and number or month: never a near miss by spelling
            # (EB.2023.1 is not EB.2023.3). When the sources give no such session, offer the year's.
            matching, of_year = self.board_sessions(board)
            if len(matching) == 1 and (board.number or board.month):
                return Found(matching[0])
            if matching and not (board.number or board.month):
                return self._one_or_many(matching)
            return NotFound(tuple(of_year[:MAX_SUGGESTIONS]))
        return self._fuzzy(text, kinds)

    def _filter(self, ids: Iterable[str], kinds: frozenset[Kind] | None) -> list[Entry]:
        out: list[Entry] = []
        for entry_id in ids:
            entry = self.entries.get(entry_id)
            if entry is not None and (kinds is None or entry.kind in kinds) and entry not in out:
                out.append(entry)
        return out

    @staticmethod
    def _one_or_many(found: list[Entry]) -> Resolution:
        return Found(found[0]) if len(found) == 1 else Ambiguous(tuple(found[:MAX_SUGGESTIONS * 2]))

    def _fuzzy(self, text: str, kinds: frozenset[Kind] | None) -> Resolution:
        """``_ranked_fuzzy``, remembered for the catalog's life (at most ``FUZZY_MEMO`` texts)."""
        key = (text, kinds)
        found = self._fuzzy_memo.get(key)
        if found is None:
            found = self._ranked_fuzzy(text, kinds)
            if len(self._fuzzy_memo) >= FUZZY_MEMO:
                self._fuzzy_memo.clear()
            self._fuzzy_memo[key] = found
        return found

    def _ranked_fuzzy(self, text: str, kinds: frozenset[Kind] | None) -> Resolution:
        """Typos first (QRatio: a whole-string edit ratio, fast), then word-level overlap for suggestions.

        WRatio over every alias cost ~2 ms at p99; QRatio is as accurate on misspelt identifiers
        at a twentieth of the cost, and token_set_ratio catches names given in part or reordered.
        """
        query = strip_kind_words(text) or fold(text)
        ranked = self._rank(query, fuzz.QRatio, kinds)
        if ranked:
            top_id, top = ranked[0]
            clear = len(ranked) == 1 or top - ranked[1][1] >= FUZZY_MARGIN
            if top >= FUZZY_ACCEPT and clear and len(compact(query)) >= 3:
                return Found(self.entries[top_id], fuzzy=True)
        # A name given in part ("the first UN-Habitat Assembly"): taken when every word of the query
        # stands in the names of exactly one entry, or when one entry's name holds them most tightly
        # (HA.1's "first UN-Habitat Assembly", not "special theme dialogue of the first session …").
        words = frozenset(query.split()) - STOP_WORDS
        if len(words) >= 2:
            tightest: dict[str, int] = {}
            for owner, tokens in zip(self._choice_owner, self._choice_words, strict=True):
                if words <= tokens and self._kind_ok(owner, kinds):
                    tightest[owner] = min(tightest.get(owner, len(tokens)), len(tokens))
            ranked_owners = sorted(tightest.items(), key=lambda item: item[1])
            if len(ranked_owners) == 1 or (ranked_owners and ranked_owners[0][1] < ranked_owners[1][1]):
                return Found(self.entries[ranked_owners[0][0]], fuzzy=True)
        by_words = self._rank(query, fuzz.token_set_ratio, kinds)
        merged = dict(ranked)
        for owner, score in by_words:
            merged[owner] = max(merged.get(owner, 0.0), score)
        best = sorted(merged.items(), key=lambda item: -item[1])[:MAX_SUGGESTIONS]
        return NotFound(tuple(self.entries[i] for i, _ in best))

    def _kind_ok(self, entry_id: str, kinds: frozenset[Kind] | None) -> bool:
        entry = self.entries.get(entry_id)
        return entry is not None and (kinds is None or entry.kind in kinds)

    def _rank(self, query: str, scorer, kinds: frozenset[Kind] | None) -> list[tuple[str, float]]:  # type: ignore[no-untyped-def]
        """Entries by their best alias score, best first."""
        matches = process.extract(
            query, self._choices, scorer=scorer, processor=None, limit=40, score_cutoff=FUZZY_SUGGEST
        )
        best: dict[str, float] = {}
        for _choice, score, index in matches:
            owner = self._choice_owner[index]
            entry = self.entries.get(owner)
            if entry is None or (kinds is not None and entry.kind not in kinds):
                continue
            best[owner] = max(best.get(owner, 0.0), score)
        return sorted(best.items(), key=lambda item: -item[1])
