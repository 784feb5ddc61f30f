"""Write validated content into the database, idempotently, and report what changed.

Rows are compared with what is stored and only differences are written, so loading the same
content twice leaves the database exactly as it was, and the same comparison gives the admin's
reload diff (ids added, changed, removed).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session, SQLModel, select

from store.aliases import entry_aliases
from store.content import Content
from store.models import AliasRow, ContentVersion, DocumentRow, EntryRow, GlossaryRow, ParagraphRow


@dataclass
class ContentDiff:
    """Entry ids added, changed and removed by a content change, plus paragraph counts."""

    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    paragraphs_changed: int = 0

    @property
    def empty(self) -> bool:
        return not (self.added or self.changed or self.removed or self.paragraphs_changed)


def _entry_json(content: Content, entry_id: str) -> str:
    return content.entries[entry_id].model_dump_json(exclude_defaults=True)


def diff_content(session: Session, content: Content) -> ContentDiff:
    """What applying ``content`` would change, without changing anything."""
    stored = {row.id: row.data for row in session.exec(select(EntryRow))}
    diff = ContentDiff()
    for entry_id in content.entries:
        if entry_id not in stored:
            diff.added.append(entry_id)
        elif stored[entry_id] != _entry_json(content, entry_id):
            diff.changed.append(entry_id)
    diff.removed = sorted(set(stored) - set(content.entries))
    stored_paragraphs = {(r.doc_id, r.number): r.text for r in session.exec(select(ParagraphRow))}
    wanted = {(doc, p.number): p.text for doc, ps in content.paragraphs.items() for p in ps}
    diff.paragraphs_changed = sum(1 for k, v in wanted.items() if stored_paragraphs.get(k) != v) + len(
        set(stored_paragraphs) - set(wanted)
    )
    return diff


def _sync(session: Session, model: type[SQLModel], wanted: dict[tuple[Any, ...], dict[str, Any]],
          key_of: Callable[[Any], tuple[Any, ...]]) -> None:
    """Insert, update and delete rows of ``model`` so that they equal ``wanted``."""
    existing = {key_of(row): row for row in session.exec(select(model))}
    for key, values in wanted.items():
        row = existing.pop(key, None)
        if row is None:
            session.add(model(**values))
        elif any(getattr(row, name) != value for name, value in values.items()):
            for name, value in values.items():
                setattr(row, name, value)
            session.add(row)
    for row in existing.values():
        session.delete(row)


def apply_content(session: Session, content: Content, *, applied_by: str, now: dt.datetime) -> ContentDiff:
    """Make the database hold exactly ``content``; record a version when anything changed."""
    diff = diff_content(session, content)
    _sync(
        session, EntryRow,
        {(e.id,): {"id": e.id, "kind": e.kind.value, "data": _entry_json(content, e.id)}
         for e in content.entries.values()},
        lambda r: (r.id,),
    )
    aliases: dict[tuple, dict] = {}
    for entry in content.entries.values():
        for alias, key in entry_aliases(entry):
            aliases.setdefault((entry.id, key), {"entry_id": entry.id, "key": key, "alias": alias})
    _sync(session, AliasRow, aliases, lambda r: (r.entry_id, r.key))
    _sync(
        session, DocumentRow,
        {(d.id,): {"id": d.id, "data": d.model_dump_json(exclude_defaults=True)}
         for d in content.documents.values()},
        lambda r: (r.id,),
    )
    _sync(
        session, ParagraphRow,
        {(doc, p.number): {"doc_id": doc, "number": p.number, "position": i, "text": p.text, "raw": p.raw}
         for doc, ps in content.paragraphs.items() for i, p in enumerate(ps)},
        lambda r: (r.doc_id, r.number),
    )
    _sync(
        session, GlossaryRow,
        {(i,): {"position": i, "data": t.model_dump_json()} for i, t in enumerate(content.glossary)},
        lambda r: (r.position,),
    )
    latest = session.exec(select(ContentVersion).order_by(ContentVersion.id.desc()).limit(1)).first()  # type: ignore[union-attr]
    if latest is None or latest.digest != content.digest:
        summary = json.dumps(
            {"added": len(diff.added), "changed": len(diff.changed), "removed": len(diff.removed)}
        )
        session.add(ContentVersion(digest=content.digest, applied_at=now, applied_by=applied_by, summary=summary))
    session.flush()
    return diff
