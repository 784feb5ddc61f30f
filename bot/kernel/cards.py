"""Turn entries and paragraphs into replies. Every text from content is escaped here."""

from __future__ import annotations

import datetime as dt
import re

from bot.kernel.callbacks import AgendaButton, EntryButton, ParagraphButton, SubscribeButton
from bot.kernel.dates import clock_time, date_range, month_year, until, utc_offset
from bot.kernel.i18n import gettext_for
from bot.kernel.occurrences import last_occurrence, next_occurrence, zone_of
from bot.kernel.reply import Button, Reply, esc, rows
from bot.kernel.sections import body_sections, header_lines
from bot.kernel.timing import Stage, can_follow, span, stage, written_before
from store.catalog import Catalog
from store.kinds import spec
from store.paragraphs import Paragraph
from store.schema import COVER, Entry, Kind, Source

MAX_RELATED_BUTTONS = 8
MAX_SOURCE_BUTTONS = 4


#: English names that are a common noun phrase ("First session of the UN-Habitat Assembly").
_NOUN_PHRASE = re.compile(r"^(?:First|Second|Third|Fourth|Fifth|Sixth|Seventh|Eighth|Ninth|Tenth|Eleventh|"
                          r"Twelfth|Thirteenth|Fourteenth|Fifteenth|Resumed)\b")


def named(entry: Entry, lang: str, *, start: bool = False) -> str:
    """The entry's name in bold as a sentence holds it: "the first session of the UN-Habitat
    Assembly" ("The …" where it starts the sentence); proper names and Chinese as written."""
    text = entry.names.get(lang)
    if lang == "zh" or not _NOUN_PHRASE.match(text):
        return f"<b>{esc(text)}</b>"
    return ("The " if start else "the ") + f"<b>{esc(text[0].lower() + text[1:])}</b>"


def short_label(entry: Entry, lang: str) -> str:
    """A button-sized name: ``第 2/7 号决议`` / ``Res. 2/7``, a symbol, or a short title."""
    kind = spec(entry.kind)
    if entry.number and kind.numbered:
        ga = entry.body == "general-assembly"
        if lang == "zh":
            return f"{'大会' if ga else ''}第 {entry.number} 号{kind.numbered[0]}"
        return f"{'GA ' if ga else ''}{kind.numbered[1]} {entry.number}"
    if entry.symbol and entry.kind is Kind.DOCUMENT:
        return entry.symbol
    if kind.short_id and len(entry.id) <= 14:
        return entry.id
    name = entry.names.get(lang)
    return name if len(name) <= 28 else name[:27] + "…"


def cite(source: Source, catalog: Catalog, lang: str) -> str:
    """``HSP/EB.2023/18 第 3 段`` / ``HSP/EB.2023/18, para. 3``; public sources by name."""
    _ = gettext_for(lang)
    if source.doc:
        doc = catalog.documents.get(source.doc)
        label = doc.citation() if doc else source.doc
        if source.para == COVER:
            return _("%(doc)s, cover page") % {"doc": esc(label)}
        return _("%(doc)s, para. %(para)s") % {"doc": esc(label), "para": esc(source.para or "")}
    return _("public source: %(source)s") % {"source": esc(source.public or "")}


def _sources_line(sources: list[Source], catalog: Catalog, lang: str) -> str:
    _ = gettext_for(lang)
    cited = _("; ").join(dict.fromkeys(cite(s, catalog, lang) for s in sources))
    return "<i>%s</i>" % (_("Sources: %(list)s") % {"list": cited})


def _also_in_english(text: str, english: str | None, lang: str) -> str:
    """Chinese text with its English form beside it: sessions run in English, and documents,
    badges and programmes give dates and places in English."""
    return f"{text}（{english}）" if lang == "zh" and english and english != text else text


def when_line(entry: Entry, now: dt.datetime, lang: str) -> str | None:
    """Dates, place and how far away (or how long ago) on the bot's clock."""
    _ = gettext_for(lang)
    place = ""
    if entry.place:
        place = esc(_also_in_english(entry.place.get(lang), entry.place.en, lang))
    where = stage(entry, now)
    if entry.dates:
        start, end = entry.dates.start, entry.dates.end
        span = _also_in_english(date_range(start, end, lang), date_range(start, end, "en"), lang)
        if where is Stage.CANCELLED:
            return " · ".join(p for p in (f"❌ <b>{_('Cancelled')}</b>", f"<s>{span}</s>", place) if p)
        if where is Stage.POSTPONED:
            return " · ".join(p for p in (f"⏸ <b>{_('Postponed; new dates not announced yet')}</b>",
                                          f"<s>{span}</s>", place) if p)
        line = " · ".join(p for p in (f"📅 <b>{span}</b>", place) if p)
        occurrence = next_occurrence(entry, now) or last_occurrence(entry, now)
        if occurrence is not None:
            distance = until(now, occurrence.starts_at, occurrence.ends_at, lang)
            line += f" · {distance}" if lang == "zh" else f" ({distance})"
        if where is not Stage.OVER and entry.timezone:
            line += "\n" + hours_line(entry, lang)
        return line
    if where is Stage.EXPECTED and entry.expected is not None:
        expected = _("Expected in %(year)d; dates not announced yet") % {"year": entry.expected}
        return " · ".join(p for p in (f"📅 <b>{expected}</b>", place) if p)
    if entry.recurrence:
        occurrence = next_occurrence(entry, now)
        if occurrence is None:
            return None
        span = date_range(occurrence.first_day, occurrence.last_day, lang)
        distance = until(now, occurrence.starts_at, occurrence.ends_at, lang)
        return "🔁 {} · {}: <b>{}</b> ({})".format(_("Every year"), _("next"), span, distance)
    if place:
        return f"📍 {place}"
    return None


def hours_line(entry: Entry, lang: str) -> str:
    """The opening time at the venue when the sources give one; otherwise say there is none
    (an all-day event's days are the venue's: no hour is made up)."""
    _ = gettext_for(lang)
    bounds = span(entry)
    assert entry.dates is not None and bounds is not None
    zone = zone_of(entry)
    if entry.dates.time is None:
        return "🕘 " + _("No start time in the sources; the days are the venue's (%(zone)s).") % {"zone": esc(zone)}
    return "🕘 " + _("Opens at %(time)s venue time (%(zone)s, %(offset)s).") % {
        "time": clock_time(entry.dates.time), "zone": esc(zone), "offset": utc_offset(zone, bounds[0])}


def outcomes_heading(entry: Entry, catalog: Catalog, now: dt.datetime, lang: str) -> str:
    """"Outcomes" once known; what sources written before the event expected is shown as such."""
    _ = gettext_for(lang)
    basis = written_before(entry, catalog)
    if basis is not None:
        return _("Expected, as of %(doc)s, %(when)s") % {
            "doc": esc(basis.document.citation()), "when": month_year(basis.date, lang)}
    if stage(entry, now) in (Stage.COMING, Stage.EXPECTED, Stage.POSTPONED):
        return _("Expected outcomes")
    return _("Outcomes")


def entry_reply(entry: Entry, catalog: Catalog, now: dt.datetime, lang: str, *, fuzzy_from: str | None = None) -> Reply:
    """The card for one entry: names, when and where, what it is, outcomes, sources, buttons."""
    _ = gettext_for(lang)
    other = "en" if lang == "zh" else "zh"
    lines: list[str] = []
    if fuzzy_from:
        lines.append("<i>%s</i>" % (_("Closest match for “%(q)s”:") % {"q": esc(fuzzy_from)}))
    title = entry.names.get(lang)
    lines.append(f"<b>{esc(title)}</b>")
    subtitle = getattr(entry.names, other)
    if subtitle and subtitle != title:
        lines.append(f"<i>{esc(subtitle)}</i>")
    if entry.symbol:
        lines.append(_("Symbol: %(symbol)s") % {"symbol": f"<code>{esc(entry.symbol)}</code>"})
    when = when_line(entry, now, lang)
    if when:
        lines.append(when)
    lines.extend(header_lines(entry, catalog, lang))
    for alt in entry.also_reported:
        other_dates = date_range(alt.start, alt.end, lang)
        where = "; ".join(cite(s, catalog, lang) for s in alt.sources)
        note = f" — {esc(alt.note)}" if alt.note else ""
        lines.append("⚠️ {} {} ({}){}".format(_("Another source gives"), other_dates, where, note))
    for conflict in entry.conflicts:
        where = "; ".join(dict.fromkeys(cite(s, catalog, lang) for s in conflict.sources))
        lines.append(f"⚠️ {esc(conflict.note.get(lang))} ({where})")
    if entry.theme:
        lines.append(_("Theme: %(theme)s") % {"theme": esc(entry.theme.get(lang))})
    if entry.summary:
        lines.append("")
        lines.append(esc(entry.summary.get(lang)))
    if entry.no_summary:
        lines.append("<i>{}</i>".format(_("Adopted, but the sources give no summary of this text.")))
    if entry.outcomes:
        lines.append("")
        lines.append(f"<b>{outcomes_heading(entry, catalog, now, lang)}</b>")
        lines.extend(f"• {esc(o.get(lang))}" for o in entry.outcomes)
    lines.extend(body_sections(entry, catalog, lang))
    lines.append("")
    # Every source the card's facts rest on; conflicts and other reported dates cite theirs inline.
    inline = {id(s) for conflict in entry.conflicts for s in conflict.sources}
    inline |= {id(s) for dates in entry.also_reported for s in dates.sources}
    all_sources = [s for s in entry.all_sources() if id(s) not in inline]
    lines.append(_sources_line(all_sources, catalog, lang))

    buttons: list[Button] = []
    if can_follow(entry, now):  # nothing to remind of once a one-off event is over
        buttons.append(Button(f"🔔 {_('Subscribe')}", data=SubscribeButton(entry.id).pack()))  # the reminders area
    if entry.agenda is not None and entry.agenda.items:
        buttons.append(Button(f"📋 {_('Agenda')}", data=AgendaButton(entry.id).pack()))
    for related_id in entry.related[:MAX_RELATED_BUTTONS]:
        related = catalog.entries.get(related_id)
        if related is not None:
            buttons.append(Button(f"↗ {short_label(related, lang)}", data=EntryButton(related.id).pack()))
    # Entries that point here are related too (a session lists the resolutions that name it).
    for referrer_id in catalog.referrers.get(entry.id, ()):
        if len(buttons) >= MAX_RELATED_BUTTONS:
            break
        if referrer_id not in entry.related:
            referrer = catalog.entries[referrer_id]
            buttons.append(Button(f"↗ {short_label(referrer, lang)}", data=EntryButton(referrer.id).pack()))
    seen: set[tuple[str, str]] = set()
    for source in all_sources:
        if source.doc and source.para and source.para != COVER and (source.doc, source.para) not in seen \
                and len(seen) < MAX_SOURCE_BUTTONS:
            seen.add((source.doc, source.para))
            doc = catalog.documents.get(source.doc)
            label = doc.citation() if doc else source.doc
            short = label if len(label) <= 20 else label[:19] + "…"
            buttons.append(Button(f"📄 {short} ¶{source.para}", data=ParagraphButton(source.doc, source.para).pack()))
    return Reply("\n".join(lines).strip(), rows(buttons), meta={"entry": entry.id})


def paragraph_reply(doc_id: str, paragraph: Paragraph, catalog: Catalog, lang: str) -> Reply:
    """A whole paragraph with its citation, and buttons to the neighbouring paragraphs."""
    _ = gettext_for(lang)
    doc = catalog.documents.get(doc_id)
    label = doc.citation() if doc else doc_id
    title = doc.title.get(lang) if doc else ""
    heading = _("%(doc)s, para. %(para)s") % {"doc": esc(label), "para": esc(paragraph.number)}
    text = f"<b>{heading}</b>\n<i>{esc(title)}</i>\n\n{esc(paragraph.text)}"
    siblings = [p.number for p in catalog.paragraphs.get(doc_id, []) if "(" not in p.number]
    buttons: list[Button] = []
    parent = paragraph.parent
    if parent in siblings:
        index = siblings.index(parent)
        if index > 0:
            buttons.append(Button(f"◀ ¶{siblings[index - 1]}", data=ParagraphButton(doc_id, siblings[index - 1]).pack()))
        if index + 1 < len(siblings):
            buttons.append(Button(f"¶{siblings[index + 1]} ▶", data=ParagraphButton(doc_id, siblings[index + 1]).pack()))
    return Reply(text, rows(buttons), meta={"paragraph": f"{doc_id}:{paragraph.number}"})


def choice_reply(intro: str, entries: list[Entry] | tuple[Entry, ...], lang: str) -> Reply:
    """A message with one button per entry (did you mean …, or several exact matches)."""
    lines = [intro]
    buttons = []
    for entry in entries:
        lines.append(f"• {esc(short_label(entry, lang))} — {esc(entry.names.get(lang))}")
        buttons.append(Button(short_label(entry, lang), data=EntryButton(entry.id).pack()))
    return Reply("\n".join(lines), rows(buttons, per_row=1))
