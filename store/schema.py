"""Schema of the content files (``content/sources.yaml`` and ``content/entries/*.yaml``).

The YAML is validated with pydantic before anything reaches the database, so a typo in a content
file produces a precise error (file, entry id, field) instead of a half-loaded store.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from enum import StrEnum
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dateutil.rrule import rrulestr
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

#: Entry ids travel in callback data (``e:<id>``, 64 bytes at most) and in deep links.
ENTRY_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,39}$"
#: ``13`` or ``13(a)``; ``cover`` is the title block before paragraph 1 with its asterisk footnotes.
PARAGRAPH_PATTERN = re.compile(r"^(\d{1,4}(\([a-z]{1,3}\))?|cover)$")
COVER = "cover"


class Kind(StrEnum):
    """What an entry is; the lookup commands filter on it."""

    SESSION = "session"  # a session of a governing body (HA.2, EB 2023/3, OECPR 2023)
    MEETING = "meeting"  # forums and conferences (WUF12, regional urban forums, summits)
    RESOLUTION = "resolution"
    DECISION = "decision"
    DOCUMENT = "document"  # a document symbol cited by the sources
    EVENT = "event"  # milestones and observances (World Habitat Day, Urban October)


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Localized(Strict):
    """A text in Chinese and/or English; at least one is required."""

    zh: str | None = None
    en: str | None = None

    @model_validator(mode="after")
    def _one_language(self) -> Localized:
        if not (self.zh or self.en):
            raise ValueError("needs zh or en text")
        return self

    def get(self, lang: str) -> str:
        """Return the text in ``lang``, falling back to the other language."""
        primary = self.zh if lang == "zh" else self.en
        return primary or self.zh or self.en or ""


class Source(Strict):
    """Where a fact comes from: a paragraph of a bundled document, or a public source."""

    doc: str | None = None  # id of a document in sources.yaml
    para: str | None = None  # "13", "13(a)" or "cover" (the title block and its asterisk footnotes)
    terms: list[str] = Field(default_factory=list)  # key terms the paragraph must contain
    public: str | None = None  # a public source (site or publication) for facts not in the documents
    note: str | None = None

    @field_validator("para", mode="before")
    @classmethod
    def _para_as_text(cls, value: object) -> object:
        return str(value) if isinstance(value, int) else value

    @model_validator(mode="after")
    def _doc_or_public(self) -> Source:
        if self.doc:
            if not self.para or not PARAGRAPH_PATTERN.match(self.para):
                raise ValueError("a document source needs para like '13', '13(a)' or 'cover'")
            if not self.terms:
                raise ValueError("a document source needs terms: the key words the paragraph contains")
        elif not self.public:
            raise ValueError("a source needs doc+para or public")
        return self


class DateRange(Strict):
    start: dt.date
    end: dt.date | None = None
    sources: list[Source] = Field(default_factory=list)
    note: str | None = None

    @model_validator(mode="after")
    def _ordered(self) -> DateRange:
        if self.end is not None and self.end < self.start:
            raise ValueError(f"end {self.end} is before start {self.start}")
        return self


class Recurrence(Strict):
    """A yearly observance: RFC 5545 rule for the first day, and optionally the last day (MM-DD)."""

    rrule: str
    ends: str | None = None  # "10-31": the occurrence lasts until this day of the same year
    since: int = 1985  # first year the rule applies

    @field_validator("rrule")
    @classmethod
    def _valid_rule(cls, value: str) -> str:
        try:
            rrulestr(value, dtstart=None)
        except (ValueError, TypeError) as exc:
            raise ValueError(f"invalid RRULE {value!r}: {exc}") from exc
        return value

    @field_validator("ends")
    @classmethod
    def _valid_ends(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                dt.date.fromisoformat(f"2000-{value}")
            except ValueError as exc:
                raise ValueError(f"ends must be MM-DD, got {value!r}") from exc
        return value


class Conflict(Strict):
    """Sources that disagree with each other: the card shows both sides, nothing is picked silently."""

    note: Localized
    sources: list[Source] = Field(min_length=1)


class Entry(Strict):
    id: Annotated[str, Field(pattern=ENTRY_ID_PATTERN)]
    kind: Kind
    names: Localized
    aliases: list[str] = Field(default_factory=list)
    symbol: str | None = None  # official document symbol, only when printed in a source
    number: str | None = None  # "2/7" for resolutions and decisions
    body: str | None = None  # assembly, executive-board, general-assembly, governing-council, ...
    category: str | None = None  # subscription category: assembly, board, wuf, urban-october, ...
    dates: DateRange | None = None
    also_reported: list[DateRange] = Field(default_factory=list)  # dates other sources give
    recurrence: Recurrence | None = None
    place: Localized | None = None
    timezone: str | None = None
    theme: Localized | None = None
    summary: Localized | None = None
    outcomes: list[Localized] = Field(default_factory=list)
    related: list[str] = Field(default_factory=list)
    sources: list[Source] = Field(min_length=1)
    no_summary: bool = False  # counted by the sources but never described: say so, invent nothing
    conflicts: list[Conflict] = Field(default_factory=list)  # where the sources contradict each other

    def all_sources(self) -> Iterator[Source]:
        """Every source the entry cites, wherever it stands (entry, dates, conflicts, ...)."""
        yield from self.sources
        for dates in ([self.dates] if self.dates else []) + list(self.also_reported):
            yield from dates.sources
        for conflict in self.conflicts:
            yield from conflict.sources

    def texts(self) -> Iterator[Localized]:
        """Every localized text the entry states beyond its names: what search indexes."""
        for text in (self.summary, self.theme, self.place, *self.outcomes):
            if text is not None:
                yield text
        for conflict in self.conflicts:
            yield conflict.note

    @field_validator("timezone")
    @classmethod
    def _real_zone(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                ZoneInfo(value)
            except (ZoneInfoNotFoundError, ValueError) as exc:
                raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Entry:
        if self.kind in (Kind.RESOLUTION, Kind.DECISION) and not self.number:
            raise ValueError(f"a {self.kind} needs number (like '2/7')")
        if self.dates and self.recurrence:
            raise ValueError("an entry has either dates or recurrence, not both")
        return self


class SourceDocument(Strict):
    """A bundled source text in ``content/documents/``."""

    id: Annotated[str, Field(pattern=ENTRY_ID_PATTERN)]
    file: str
    symbol: str | None = None  # None: the official symbol is not printed in the text
    cite_as: str | None = None  # how to cite when there is no symbol
    title: Localized
    date: dt.date | None = None
    note: str | None = None

    def citation(self) -> str:
        """The label a reply cites: the symbol, else the agreed citation, else the local id."""
        return self.symbol or self.cite_as or self.id


class SourcesFile(Strict):
    documents: list[SourceDocument]


class EntriesFile(Strict):
    entries: list[Entry]


class GlossaryTerm(Strict):
    """A bilingual term: lets an English query reach a Chinese paragraph."""

    en: list[str]
    zh: list[str]


class GlossaryFile(Strict):
    terms: list[GlossaryTerm]
