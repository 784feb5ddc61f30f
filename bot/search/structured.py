"""Answers from an entry's structured parts: a session's officers, an office's holders on the bot's
clock, a body's seats by regional group, a programme's periods. Each answer carries the sources of
the part it comes from; a name the sources leave blank stays blank.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from bot.kernel.dates import single_day
from bot.kernel.i18n import gettext_for
from bot.kernel.reply import esc
from bot.search.phrasing import name, named
from bot.search.question import Ask, Question, Time
from store.catalog import Catalog
from store.normalize import fold
from store.schema import Entry, Kind, Officer, Source, Term

#: The role words of the question → the officers' roles they mean (English role names, folded).
ROLES = {
    "president": ("president",),
    "chair": ("chair", "president"),
    "vice-president": ("vice-president",),
    "rapporteur": ("rapporteur",),
}


NOTE = 120  # characters of a period's note shown in an answer (the card has it whole)


@dataclass(frozen=True)
class Stated:
    """An answer line and the sources of the part of the entry it states."""

    html: str
    sources: tuple[Source, ...]


def answer(entry: Entry, question: Question, catalog: Catalog, now: dt.datetime, lang: str) -> Stated | None:
    """The answer from the entry's structured parts, or None when they do not hold it."""
    if question.ask is Ask.WHO and entry.officers and question.role in ROLES:
        return officers(entry, question.role, lang)
    if entry.kind is Kind.OFFICE and entry.terms and question.ask in (Ask.WHO, Ask.WHEN, Ask.WHAT):
        return holder(entry, question, catalog, now, lang)
    if entry.kind is Kind.PERSON and (question.ask is Ask.WHEN or question.time is Time.STILL):
        return person_terms(entry, question, catalog, now, lang)
    if entry.kind is Kind.BODY and entry.members and question.ask is Ask.COUNT:
        return seats(entry, question, lang)
    if entry.kind is Kind.PROGRAMME and entry.years and question.ask is Ask.WHEN:
        return periods(entry, lang)
    return None


def officers(entry: Entry, role: str, lang: str) -> Stated | None:
    """"President of the first session of the UN-Habitat Assembly: Martha Delgado Peralta (Mexico)."""
    _ = gettext_for(lang)
    wanted = ROLES[role]
    chosen = [o for o in entry.officers if _role_of(o) in wanted]
    if role == "chair":  # a chair is the president where the sources call it so
        chosen = [o for o in chosen if _role_of(o) == "chair"] or chosen
    if not chosen:
        return None
    held = [_officer(o, lang) for o in chosen]
    role_name = esc(chosen[0].role.get(lang))
    line = _("%(role)s of %(name)s: %(who)s.") % {"role": role_name, "name": named(entry, lang),
                                                   "who": ("、" if lang == "zh" else "; ").join(held)}
    return Stated(line, tuple(s for o in chosen for s in o.sources))


def _role_of(officer: Officer) -> str:
    return fold(officer.role.en or "").replace(" ", "-")


def _officer(officer: Officer, lang: str) -> str:
    _ = gettext_for(lang)
    country = esc(officer.country.get(lang)) if officer.country else ""
    if officer.name is None:
        blank = _("the sources leave the name blank")
        return f"{blank}（{country}）" if lang == "zh" and country else (f"{blank} ({country})" if country else blank)
    who = esc(officer.name.get(lang))
    if not country:
        return who
    return f"{who}（{country}）" if lang == "zh" else f"{who} ({country})"


# -- an office's holders on the clock --------------------------------------------------------------


def _spans(entry: Entry) -> list[tuple[dt.date | None, dt.date | None, Term]]:
    """Each term with its start inferred from the previous term's end where the sources give none."""
    spans = []
    previous_end: dt.date | None = None
    for term in entry.terms:
        spans.append((term.start or previous_end, term.end, term))
        previous_end = term.end or previous_end
    return spans


def _holding(entry: Entry, day: dt.date) -> Term | None:
    for start, end, term in _spans(entry):
        if (start is None or start <= day) and (end is None or day <= end):
            return term
    return None


def _person(term: Term, catalog: Catalog, lang: str) -> str:
    person = catalog.entries.get(term.person)
    return f"<b>{esc(person.names.get(lang))}</b>" if person else esc(term.person)


def holder(entry: Entry, question: Question, catalog: Catalog, now: dt.datetime, lang: str) -> Stated | None:
    """Who holds the office on the bot's clock; the acting one, or the one before, when asked."""
    _ = gettext_for(lang)
    today = now.date()
    office = esc(entry.names.get(lang))
    if "acting" in question.folded or "代理" in question.folded:
        acting = [t for t in entry.terms if t.acting]
        if not acting:
            return None
        lines = [_("Acting %(office)s: %(person)s, %(period)s.") % {
            "office": office, "person": _person(t, catalog, lang), "period": esc(t.period.get(lang))} for t in acting]
        return Stated(" ".join(lines), tuple(s for t in acting for s in t.sources))
    current = _holding(entry, today)
    if question.time is Time.LAST and current is not None:
        index = entry.terms.index(current)
        current = entry.terms[index - 1] if index > 0 else None
        if current is None:
            return None
        line = _("The %(office)s before: %(person)s, %(period)s.")
    elif current is None:
        return None
    elif current is entry.terms[-1] and current.end is None:
        line = _("%(office)s, the latest the sources name: %(person)s, %(period)s.")
    else:
        line = _("%(office)s on %(today)s: %(person)s, %(period)s.")
    values = {"office": office, "person": _person(current, catalog, lang), "period": esc(current.period.get(lang)),
              "today": single_day(today, lang)}
    return Stated(line % values, tuple(current.sources))


def person_terms(entry: Entry, question: Question, catalog: Catalog, now: dt.datetime, lang: str) -> Stated | None:
    """"Maimunah Mohd Sharif: Executive Director of UN-Habitat, until 19 January 2024." — and whether
    that is over, on the bot's clock."""
    _ = gettext_for(lang)
    held = [(office, start, end, term) for office in catalog.entries.values() if office.kind is Kind.OFFICE
            for start, end, term in _spans(office) if term.person == entry.id]
    if not held:
        return None
    today = now.date()
    lines = []
    for office, _start, end, term in held:
        values = {"person": name(entry, lang), "office": esc(office.names.get(lang)), "period": esc(term.period.get(lang))}
        line = (_("%(person)s: acting %(office)s, %(period)s.") if term.acting
                else _("%(person)s: %(office)s, %(period)s.")) % values
        if question.time is Time.STILL and end is not None and end < today:
            line += " " + _("That term ended on %(day)s.") % {"day": single_day(end, lang)}
        lines.append(line)
    return Stated(" ".join(lines), tuple(s for _o, _s, _e, t in held for s in t.sources))


# -- a body's seats ----------------------------------------------------------------------------------

_GROUP_WORD = re.compile(r"[a-z]+|[\u3400-\u9fff]{2}")


def seats(entry: Entry, question: Question, lang: str) -> Stated | None:
    """Seats of the regional group the question names, or all of them with the total."""
    _ = gettext_for(lang)
    body = name(entry, lang)
    named = [g for g in entry.members if _names_group(question.folded, g.group.en or "", g.group.zh or "")]
    if len(named) == 1 and named[0].seats is not None:
        group = named[0]
        line = _("%(group)s: %(seats)d seats on %(body)s.") % {"group": esc(group.group.get(lang)),
                                                              "seats": group.seats, "body": body}
        return Stated(line, tuple(group.sources))
    if named or any(g.seats is None for g in entry.members):
        return None
    total = sum(g.seats or 0 for g in entry.members)
    parts = ("、" if lang == "zh" else ", ").join(f"{esc(g.group.get(lang))} {g.seats}" for g in entry.members)
    line = _("%(body)s: %(total)d members (%(groups)s).") % {"body": body, "total": total, "groups": parts}
    return Stated(line, tuple(s for g in entry.members for s in g.sources))


def _names_group(folded: str, english: str, chinese: str) -> bool:
    """"African States" is named by "African", 非洲国家 by 非洲 (the group's first word)."""
    first_en = _GROUP_WORD.findall(fold(english))
    first_zh = _GROUP_WORD.findall(chinese)
    return bool((first_en and re.search(rf"\b{re.escape(first_en[0])}", folded)) or (first_zh and first_zh[0] in folded))


# -- a programme's periods ---------------------------------------------------------------------------


def periods(entry: Entry, lang: str) -> Stated | None:
    """"UN-Habitat strategic plan 2020–2023: 2020–2023; 2020–2025 (extended …)."""
    spans = []
    for span in entry.years:
        text = f"{span.start}–{span.end}"
        if span.note is not None:
            note = span.note.get(lang)
            note = note if len(note) <= NOTE else note[: NOTE - 1] + "…"
            text += f"（{esc(note)}）" if lang == "zh" else f" ({esc(note)})"
        spans.append(text)
    line = f"{name(entry, lang)}{'：' if lang == 'zh' else ': '}{('；' if lang == 'zh' else '; ').join(spans)}"
    return Stated(line + ("。" if lang == "zh" else "."), tuple(s for span in entry.years for s in span.sources))
