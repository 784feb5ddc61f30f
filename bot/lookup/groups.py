"""Group mode: in a delegation's group, a message that names a symbol or identifier gets one compact
card, with a button to the full one. Off unless a group administrator turns it on.

Transport-free: finding what a message mentions and the compact card are plain functions; the
Telegram side (``handlers/groups.py``) checks who may switch it and how often the bot may speak.
"""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy.engine import Engine

from bot.kernel.callbacks import EntryButton, ParagraphButton
from bot.kernel.cards import short_label, when_line
from bot.kernel.clock import Clock
from bot.kernel.content import ContentService
from bot.kernel.i18n import gettext_for
from bot.kernel.reply import Button, Reply, esc
from bot.kernel.router import Asker, Command, Feature
from store.catalog import Catalog, Found
from store.db import session_scope
from store.models import GroupSetting
from store.normalize import fold
from store.schema import Entry, Kind

#: Candidate mentions, in the order they appear: document symbols (with a paragraph), numbered texts, codes.
_SYMBOL = r"(?:HSP|A|E|UNEP|UN-?Habitat)(?:/[A-Za-z0-9.\-]+){1,5}"
_PARAGRAPH = r"(?:\s*(?:¶|para(?:graph)?\.?|paragraph|第)\s*(\d{1,3})\s*段?)?"
_MENTION = re.compile(
    rf"(?P<symbol>{_SYMBOL}){_PARAGRAPH}"
    r"|(?P<numbered>(?:resolution|decision|res\.|dec\.)\s*\d{1,3}/\d{1,3}|第\s*\d{1,3}/\d{1,3}\s*号\s*(?:决议|决定))"
    r"|(?P<code>\bHA\.?\s?\d\b|\bWUF\s?\d{1,2}\b|\bEB\.\d{4}[-.]\d{1,2}\b)",
    re.IGNORECASE,
)
SUMMARY_CHARS = 200


def mentions(text: str, catalog: Catalog) -> list[tuple[Entry, str | None]]:
    """Entries a message names exactly (and a paragraph number when one follows a symbol)."""
    found: list[tuple[Entry, str | None]] = []
    for match in _MENTION.finditer(text[:2000]):
        candidate = match.group("symbol") or match.group("numbered") or match.group("code")
        resolution = catalog.resolve(candidate.strip())
        if isinstance(resolution, Found) and not resolution.fuzzy:
            paragraph = match.group(2) if match.group("symbol") else None
            if all(entry.id != resolution.entry.id for entry, _p in found):
                found.append((resolution.entry, paragraph))
    return found


def compact_card(entry: Entry, paragraph: str | None, catalog: Catalog, now: dt.datetime, lang: str) -> Reply:
    """A few lines: name, when and where, the paragraph named or a short summary; a button for more."""
    _ = gettext_for(lang)
    lines = [f"<b>{esc(short_label(entry, lang))}</b> — {esc(entry.names.get(lang))}"]
    when = when_line(entry, now, lang)
    if when:
        lines.append(when)
    buttons = [Button(_("Full card"), data=EntryButton(entry.id).pack())]
    doc_id = next((d.id for d in catalog.documents.values() if entry.symbol and d.symbol == entry.symbol), None) \
        if entry.kind is Kind.DOCUMENT else None
    text = catalog.paragraph(doc_id, paragraph) if doc_id and paragraph else None
    if doc_id and paragraph and text is not None:
        body = text.text if len(text.text) <= SUMMARY_CHARS else text.text[: SUMMARY_CHARS - 1] + "…"
        lines.append(f"¶{esc(paragraph)}: {esc(body)}")
        buttons.insert(0, Button(f"¶{paragraph}", data=ParagraphButton(doc_id, paragraph).pack()))
    elif entry.summary:
        summary = entry.summary.get(lang)
        lines.append(esc(summary if len(summary) <= SUMMARY_CHARS else summary[: SUMMARY_CHARS - 1] + "…"))
    return Reply("\n".join(lines), (tuple(buttons),), meta={"entry": entry.id})


class GroupMode:
    """Whether a group has group mode on (stored: every replica agrees), and its compact answers."""

    def __init__(self, engine: Engine, content: ContentService, clock: Clock) -> None:
        self.engine = engine
        self.content = content
        self.clock = clock

    def enabled(self, chat_id: int) -> bool:
        with session_scope(self.engine) as session:
            row = session.get(GroupSetting, chat_id)
            return bool(row and row.enabled)

    def switch(self, chat_id: int, on: bool, by: int) -> None:
        with session_scope(self.engine) as session:
            row = session.get(GroupSetting, chat_id) or GroupSetting(chat_id=chat_id, changed_by=by,
                                                                      changed_at=self.clock.now())
            row.enabled, row.changed_by, row.changed_at = on, by, self.clock.now()
            session.add(row)

    def feature(self) -> Feature:
        describe = lambda lang: gettext_for(lang)("group mode: /groupmode on|off (group administrators)")  # noqa: E731
        return Feature(name="groups", commands=[Command("groupmode", self.explain, describe, shows=True)])

    def explain(self, args: str, who: Asker) -> list[Reply]:
        """Outside Telegram groups (the console, a private chat) there is nothing to switch."""
        _ = gettext_for(who.lang)
        return [Reply(_("Group mode works in group chats: add me to your delegation's group, and a group "
                        "administrator sends /groupmode on there."))]

    def answer(self, text: str, lang: str) -> Reply | None:
        """The compact card for the first thing the message names, or None (the bot stays quiet)."""
        catalog = self.content.catalog
        if not re.search(r"[A-Za-z0-9]", fold(text)):
            return None
        found = mentions(text, catalog)
        if not found:
            return None
        entry, paragraph = found[0]
        return compact_card(entry, paragraph, catalog, self.clock.now(), lang)
