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
    PERSON = "person"  # someone the sources name in a role (an Executive Director, a President)
    OFFICE = "office"  # a post held in turn (Executive Director of UN-Habitat): holders and terms
    BODY = "body"  # an organ or subsidiary body (the Executive Board, a working group): members
    PROGRAMME = "programme"  # plans and programmes (the strategic plans): their periods


class Status(StrEnum):
    """What became of a dated entry, when it no longer takes place as its dates say."""

    CANCELLED = "cancelled"
    POSTPONED = "postponed"


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
    #: The opening time at the venue on the first day, only when a source gives it; without it
    #: the event is all-day and no reply invents an hour.
    time: dt.time | None = None
    sources: list[Source] = Field(default_factory=list)
    note: str | None = None

    @field_validator("time", mode="before")
    @classmethod
    def _time_as_text(cls, value: object) -> object:
        # YAML reads an unquoted 10:00 as the number 600 (base 60): ask for quotes, guess nothing.
        if isinstance(value, int | float):
            raise ValueError("write the time in quotes, like '10:00'")
        if isinstance(value, str) and not re.fullmatch(r"\d{1,2}:\d{2}(:\d{2})?", value.strip()):
            raise ValueError(f"time must be HH:MM, got {value!r}")
        return value

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


class Officer(Strict):
    """Someone elected or appointed to a role, as the sources give it; a blank name stays blank."""

    role: Localized  # President, Vice-President, Rapporteur, Chair …
    name: Localized | None = None  # None: the sources leave the name out (the HA.1 draft's "XX")
    country: Localized | None = None  # the State (or regional group) the officer comes from
    person: str | None = None  # id of the person entry, when there is one
    note: Localized | None = None
    sources: list[Source] = Field(min_length=1)


class Term(Strict):
    """One holder's time in an office: dates where the sources give them, and their own wording."""

    person: str  # id of the person entry
    acting: bool = False
    start: dt.date | None = None  # None: the sources give no start date
    end: dt.date | None = None  # None: still in office, or the sources give no end date
    period: Localized  # as the sources word it: "任期至 2024 年 1 月 19 日" / "until 19 January 2024"
    sources: list[Source] = Field(min_length=1)

    @model_validator(mode="after")
    def _ordered(self) -> Term:
        if self.start and self.end and self.end < self.start:
            raise ValueError(f"term ends {self.end} before it starts {self.start}")
        return self


class MemberGroup(Strict):
    """The members of a body from one regional group (or all of them), with the seats allotted."""

    group: Localized
    seats: int | None = Field(default=None, ge=0)
    members: list[Localized] = Field(default_factory=list)
    note: Localized | None = None
    sources: list[Source] = Field(min_length=1)


class YearSpan(Strict):
    """A period given in years (a strategic plan for 2020–2023); several when sources differ."""

    start: int = Field(ge=1900, le=2100)
    end: int = Field(ge=1900, le=2100)
    note: Localized | None = None
    sources: list[Source] = Field(min_length=1)

    @model_validator(mode="after")
    def _ordered(self) -> YearSpan:
        if self.end < self.start:
            raise ValueError(f"period ends {self.end} before it starts {self.start}")
        return self


class AgendaItem(Strict):
    """One item of a session's agenda and the documents the sources place under it."""

    number: Annotated[str, Field(pattern=r"^\d{1,3}(\([a-z]\))?$")]
    title: Localized
    documents: list[str] = Field(default_factory=list)  # ids of document entries
    note: Localized | None = None
    sources: list[Source] = Field(min_length=1)


class Agenda(Strict):
    """A session's agenda as far as the sources give it (``complete: false`` when only some items)."""

    complete: bool
    documents: list[str] = Field(default_factory=list)  # the agenda documents themselves (HSP/HA/1/1)
    items: list[AgendaItem] = Field(min_length=1)
    note: Localized | None = None
    sources: list[Source] = Field(default_factory=list)

    @model_validator(mode="after")
    def _unique_numbers(self) -> Agenda:
        numbers = [item.number for item in self.items]
        duplicates = sorted({n for n in numbers if numbers.count(n) > 1})
        if duplicates:
            raise ValueError(f"agenda item numbers repeat: {', '.join(duplicates)}")
        return self


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
    officers: list[Officer] = Field(default_factory=list)  # a session's or a body's elected officers
    terms: list[Term] = Field(default_factory=list)  # an office's holders, in order
    members: list[MemberGroup] = Field(default_factory=list)  # a body's members by group
    years: list[YearSpan] = Field(default_factory=list)  # a programme's period(s)
    agenda: Agenda | None = None  # a session's agenda items and their documents
    during: str | None = None  # id of the session a meeting took place in (a dialogue of HA.2)
    number_in_year: int | None = Field(default=None, ge=1, le=9)  # 2023 年第三次会议 → 3
    former_ids: list[Annotated[str, Field(pattern=ENTRY_ID_PATTERN)]] = Field(default_factory=list)
    #: The year the sources expect it in while they give no dates (HA.3: 2029); it can be
    #: followed, and its followers are told when dates are announced.
    expected: int | None = Field(default=None, ge=1900, le=2100)
    #: ``cancelled``, or ``postponed`` (the dates given no longer hold; new ones not announced).
    status: Status | None = None

    def all_sources(self) -> Iterator[Source]:
        """Every source the entry cites, wherever it stands (entry, dates, conflicts, ...)."""
        yield from self.sources
        for dates in ([self.dates] if self.dates else []) + list(self.also_reported):
            yield from dates.sources
        for conflict in self.conflicts:
            yield from conflict.sources
        for officer in self.officers:
            yield from officer.sources
        for term in self.terms:
            yield from term.sources
        for group in self.members:
            yield from group.sources
        for span in self.years:
            yield from span.sources
        if self.agenda is not None:
            yield from self.agenda.sources
            for item in self.agenda.items:
                yield from item.sources

    def texts(self) -> Iterator[Localized]:
        """Every localized text the entry states beyond its names: what search indexes."""
        for text in (self.summary, self.theme, self.place, *self.outcomes):
            if text is not None:
                yield text
        for conflict in self.conflicts:
            yield conflict.note
        for officer in self.officers:
            yield from (t for t in (officer.role, officer.name, officer.country, officer.note) if t is not None)
        for term in self.terms:
            yield term.period
        for group in self.members:
            yield group.group
            yield from group.members
        for span in self.years:
            if span.note is not None:
                yield span.note
        if self.agenda is not None:
            yield from (item.title for item in self.agenda.items)

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
        only = {
            "terms": (bool(self.terms), {Kind.OFFICE}),
            "members": (bool(self.members), {Kind.BODY}),
            "years": (bool(self.years), {Kind.PROGRAMME}),
            "officers": (bool(self.officers), {Kind.SESSION, Kind.BODY}),
            "agenda": (self.agenda is not None, {Kind.SESSION}),
            "number_in_year": (self.number_in_year is not None, {Kind.SESSION}),
            "during": (self.during is not None, {Kind.MEETING, Kind.EVENT}),
        }
        for name, (present, kinds) in only.items():
            if present and self.kind not in kinds:
                allowed = " or ".join(sorted(k.value for k in kinds))
                raise ValueError(f"{name} belongs to a {allowed}, not a {self.kind.value}")
        if self.id in self.former_ids:
            raise ValueError("former_ids lists the entry's own id")
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
