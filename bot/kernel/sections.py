"""Card sections for what an entry holds beyond names, dates and texts: officers, office holders,
members, periods, agendas, the session a meeting took place in, and a person's roles.

Each section is a list of HTML lines (content escaped here) so the card, and later the kinds table,
can place them; a section the entry has nothing for is empty.
"""

from __future__ import annotations

from bot.kernel.dates import date_range
from bot.kernel.i18n import gettext_for, ngettext_for
from bot.kernel.reply import esc
from store.catalog import Catalog
from store.schema import Entry, Kind, Localized, Officer

MAX_MEMBER_LINES = 8


def _text(value: Localized | None, lang: str) -> str:
    return esc(value.get(lang)) if value is not None else ""


def officer_line(officer: Officer, lang: str) -> str:
    """``President: Martha Delgado Peralta (Mexico)``; a name the sources leave blank says so."""
    _ = gettext_for(lang)
    name = _text(officer.name, lang) or _("name not given in the sources")
    country = _text(officer.country, lang)
    who = f"{name}（{country}）" if lang == "zh" and country else f"{name} ({country})" if country else name
    line = f"• {_text(officer.role, lang)}: {who}" if lang != "zh" else f"• {_text(officer.role, lang)}：{who}"
    if officer.note is not None:
        line += f" — {_text(officer.note, lang)}"
    return line


def officers_section(entry: Entry, lang: str) -> list[str]:
    _ = gettext_for(lang)
    if not entry.officers:
        return []
    return ["", "<b>{}</b>".format(_("Officers")), *(officer_line(o, lang) for o in entry.officers)]


def terms_section(entry: Entry, catalog: Catalog, lang: str) -> list[str]:
    """An office's holders in order, each with the period as the sources word it."""
    _ = gettext_for(lang)
    if not entry.terms:
        return []
    lines = ["", "<b>{}</b>".format(_("Holders"))]
    for term in entry.terms:
        person = catalog.entries.get(term.person)
        name = esc(person.names.get(lang)) if person else esc(term.person)
        acting = " ({})".format(_("acting")) if term.acting else ""
        lines.append(f"• <b>{name}</b>{acting} — {_text(term.period, lang)}")
    return lines


def members_section(entry: Entry, lang: str) -> list[str]:
    """A body's members by group: ``African States (10 seats): Angola, …``."""
    _ = gettext_for(lang)
    if not entry.members:
        return []
    separator = "、" if lang == "zh" else ", "
    lines = ["", "<b>{}</b>".format(_("Members"))]
    for group in entry.members[:MAX_MEMBER_LINES]:
        seats = ""
        if group.seats is not None:
            seats = ngettext_for(lang)("%(n)d seat", "%(n)d seats", group.seats) % {"n": group.seats}
            seats = f"（{seats}）" if lang == "zh" else f" ({seats})"
        names = separator.join(_text(m, lang) for m in group.members)
        colon = "：" if lang == "zh" else ": "
        line = f"• {_text(group.group, lang)}{seats}{colon}{names}"
        if group.note is not None:
            line += f" — <i>{_text(group.note, lang)}</i>"
        lines.append(line)
    return lines


def years_section(entry: Entry, lang: str) -> list[str]:
    """A programme's period; every way the sources give it, each with its note."""
    _ = gettext_for(lang)
    lines: list[str] = []
    for span in entry.years:
        line = f"🗓 <b>{span.start}–{span.end}</b>"
        if span.note is not None:
            line += f" — {_text(span.note, lang)}"
        lines.append(line)
    if len(lines) > 1:
        lines.insert(0, "<i>{}</i>".format(_("The sources give this period in more than one way:")))
    return lines


def during_line(entry: Entry, catalog: Catalog, lang: str) -> str | None:
    """``📅 During HA.2 (5–9 June 2023)`` for a meeting held within a session."""
    _ = gettext_for(lang)
    if entry.during is None or entry.dates is not None:
        return None
    session = catalog.entries.get(entry.during)
    if session is None:
        return None
    name = esc(session.names.get(lang))
    when = ""
    if session.dates is not None:
        span = date_range(session.dates.start, session.dates.end, lang)
        when = f"（{span}）" if lang == "zh" else f" ({span})"
    separator = "；" if lang == "zh" else "; "
    return "📅 " + _("During %(session)s") % {"session": f"{name}{when}"} + separator + _("the sources give no day")


def agenda_summary(entry: Entry, catalog: Catalog, lang: str) -> list[str]:
    """On a session's card: how many agenda items the sources give (the full list is its own reply)."""
    _ = gettext_for(lang)
    if entry.agenda is None:
        return []
    count = len(entry.agenda.items)
    n_ = ngettext_for(lang)
    if entry.agenda.complete:
        line = n_("Agenda: %(n)d item", "Agenda: %(n)d items", count) % {"n": count}
    else:
        line = n_("Agenda: the sources give %(n)d item only", "Agenda: the sources give %(n)d items only",
                  count) % {"n": count}
    documents = [catalog.entries[d] for d in entry.agenda.documents if d in catalog.entries]
    if documents:
        line += " · " + ", ".join(esc(d.symbol or d.names.get(lang)) for d in documents)
    return [f"📋 {line}"]


def agenda_place_lines(entry: Entry, catalog: Catalog, lang: str) -> list[str]:
    """On a document's card: the session and agenda item it belongs to."""
    _ = gettext_for(lang)
    lines = []
    for session_id, item_number in catalog.agenda_of.get(entry.id, ()):
        session = catalog.entries.get(session_id)
        if session is None:
            continue
        name = esc(session.names.get(lang))
        if item_number:
            lines.append("📋 " + _("%(session)s, agenda item %(item)s") % {"session": name, "item": esc(item_number)})
        else:
            lines.append("📋 " + _("The agenda of %(session)s") % {"session": name})
    return lines


def roles_section(entry: Entry, catalog: Catalog, lang: str) -> list[str]:
    """On a person's card: the roles other entries give them (office holder, session officer)."""
    _ = gettext_for(lang)
    lines = []
    for role in catalog.roles.get(entry.id, ()):
        where = catalog.entries.get(role.entry_id)
        if where is None:
            continue
        title = _text(role.role, lang)
        if where.kind is not Kind.OFFICE:  # "President · First session of the UN-Habitat Assembly"
            title += " · " + esc(where.names.get(lang))
        if role.acting:
            title += " ({})".format(_("acting"))
        period = f" — {_text(role.period, lang)}" if role.period is not None else ""
        lines.append(f"👤 {title}{period}")
    return lines


def header_lines(entry: Entry, catalog: Catalog, lang: str) -> list[str]:
    """Short facts shown under the title, beside the dates: roles, periods, agenda, parent session."""
    during = during_line(entry, catalog, lang)
    return [
        *([during] if during else []),
        *roles_section(entry, catalog, lang),
        *years_section(entry, lang),
        *agenda_summary(entry, catalog, lang),
        *agenda_place_lines(entry, catalog, lang),
    ]


def body_sections(entry: Entry, catalog: Catalog, lang: str) -> list[str]:
    """Lists shown after the summary and outcomes: officers, office holders, members."""
    return [*officers_section(entry, lang), *terms_section(entry, catalog, lang), *members_section(entry, lang)]
