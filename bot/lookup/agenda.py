"""A session's agenda as the sources give it: each item, the documents under it, and their sources.

Transport-free: returns a reply (HTML text and buttons) that an ``/agenda`` command, a card button or
the console can show as it is.
"""

from __future__ import annotations

from bot.kernel.callbacks import EntryButton
from bot.kernel.cards import cite, short_label
from bot.kernel.i18n import gettext_for
from bot.kernel.reply import Button, Reply, esc, rows
from store.catalog import Catalog
from store.schema import Entry

MAX_DOCUMENT_BUTTONS = 12


def agenda_reply(entry: Entry, catalog: Catalog, lang: str) -> Reply:
    """The agenda of ``entry`` with a button to every document on it; says so when there is none."""
    _ = gettext_for(lang)
    name = esc(entry.names.get(lang))
    agenda = entry.agenda
    if agenda is None:
        return Reply(_("The sources give no agenda for %(session)s.") % {"session": name}, meta={"entry": entry.id})
    lines = ["<b>{}</b>".format(_("Agenda of %(session)s") % {"session": name})]
    if agenda.note is not None:
        lines.append(f"<i>{esc(agenda.note.get(lang))}</i>")
    if not agenda.complete:
        lines.append("<i>{}</i>".format(_("The sources give only the items below, not the whole agenda.")))
    lines.append("")
    documents: list[Entry] = [catalog.entries[d] for d in agenda.documents if d in catalog.entries]
    sources = list(agenda.sources)
    for item in agenda.items:
        under = [catalog.entries[d] for d in item.documents if d in catalog.entries]
        line = f"<b>{esc(item.number)}.</b> {esc(item.title.get(lang))}"
        if under:
            line += " — " + ", ".join(f"<code>{esc(short_label(d, lang))}</code>" for d in under)
        if item.note is not None:
            line += f" <i>({esc(item.note.get(lang))})</i>"
        lines.append(line)
        documents.extend(d for d in under if d not in documents)
        sources.extend(item.sources)
    cited = _("; ").join(dict.fromkeys(cite(s, catalog, lang) for s in sources))
    lines += ["", "<i>%s</i>" % (_("Sources: %(list)s") % {"list": cited})]
    buttons = [Button(f"📄 {short_label(d, lang)}", data=EntryButton(d.id).pack())
               for d in documents[:MAX_DOCUMENT_BUTTONS]]
    buttons.append(Button(f"↗ {short_label(entry, lang)}", data=EntryButton(entry.id).pack()))
    return Reply("\n".join(lines), rows(buttons), meta={"entry": entry.id, "agenda": entry.id})
