"""What each kind of entry is, declared once: its lookup command, examples, labels, the words that
name it, whether it can be followed, and its numbered-label words.

Adding a kind of entry touches this table, the ``Kind`` enum of the content schema, and the
content; lookups, cards, the normaliser and reminders read everything else from here.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from store.schema import Kind


@dataclass(frozen=True)
class KindSpec:
    kind: Kind
    label: tuple[str, str]  # (zh, en): what a card calls it
    #: Words that name the kind (normaliser: ``resolution 2/7``, ``第2/7号决议``, ``document HSP/…``).
    words: tuple[str, ...] = ()
    #: Has dates and can be followed (reminders), when the entry gives dates or a recurrence.
    followable: bool = False
    #: A numbered kind's short label words (zh, en): ``第 2/7 号决议`` / ``Res. 2/7``.
    numbered: tuple[str, str] | None = None
    #: Its id is a short code fit for a button (``HA.2``, ``WUF12``).
    short_id: bool = False


@dataclass(frozen=True)
class LookupSpec:
    """A lookup command: which kinds it finds, its examples, its /help line."""

    command: str
    kinds: frozenset[Kind]
    examples: tuple[str, ...]
    help: str  # English msgid; translated where shown
    aliases: tuple[str, ...] = field(default=())


KINDS: dict[Kind, KindSpec] = {
    spec.kind: spec
    for spec in (
        KindSpec(Kind.SESSION, ("会议", "session"), ("session", "届会议", "届会"), followable=True, short_id=True),
        KindSpec(Kind.MEETING, ("会议", "meeting"), followable=True, short_id=True),
        KindSpec(Kind.RESOLUTION, ("决议", "resolution"), ("resolutions", "resolution", "res", "决议"),
                 numbered=("决议", "Res.")),
        KindSpec(Kind.DECISION, ("决定", "decision"), ("decisions", "decision", "dec", "决定"),
                 numbered=("决定", "Dec.")),
        KindSpec(Kind.DOCUMENT, ("文件", "document"), ("document", "doc", "文件")),
        KindSpec(Kind.EVENT, ("活动", "event"), followable=True),
        # Found by name in plain text (no command of their own yet); never followed: no dates.
        KindSpec(Kind.PERSON, ("人物", "person"), ("person",)),
        KindSpec(Kind.OFFICE, ("职位", "office"), ("office",)),
        KindSpec(Kind.BODY, ("机构", "body"), ("body",)),
        KindSpec(Kind.PROGRAMME, ("计划", "programme"), ("programme", "program")),
    )
}

LOOKUPS: tuple[LookupSpec, ...] = (
    LookupSpec("session", frozenset({Kind.SESSION, Kind.MEETING}), ("HA.2", "人居大会第一届会议", "WUF12"),
               "a session or meeting: /session HA.2"),
    LookupSpec("resolution", frozenset({Kind.RESOLUTION}), ("2/7", "第2/2号决议", "2/1"),
               "a resolution: /resolution 2/7"),
    LookupSpec("decision", frozenset({Kind.DECISION}), ("2/2", "2/1"), "a decision: /decision 2/2"),
    LookupSpec("doc", frozenset({Kind.DOCUMENT}), ("HSP/EB.2023/18", "HSP/HA.2/7"),
               "a document: /doc HSP/EB.2023/18"),
    LookupSpec("event", frozenset({Kind.EVENT, Kind.MEETING, Kind.SESSION}), ("城市十月", "World Cities Day", "WUF13"),
               "an event: /event 城市十月"),
)


def spec(kind: Kind) -> KindSpec:
    return KINDS[kind]


def kind_words() -> dict[str, str]:
    """Every word that names a kind → the kind's value (for the normaliser)."""
    return {word: spec.kind.value for spec in KINDS.values() for word in spec.words}


FOLLOWABLE: frozenset[Kind] = frozenset(k for k, s in KINDS.items() if s.followable)
