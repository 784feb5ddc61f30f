"""Content: the bundled files validate, every citation holds, and loading is idempotent."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy import func
from sqlmodel import Session, select

from store.catalog import Catalog
from store.content import ContentInvalid, load_content, squash
from store.loader import apply_content
from store.models import AliasRow, ContentVersion, EntryRow, ParagraphRow
from store.paragraphs import split_paragraphs
from store.schema import Kind
from tests.conftest import CONTENT, T0


def test_bundled_content_is_valid_and_covers_every_kind() -> None:
    content = load_content(CONTENT)
    kinds = {entry.kind for entry in content.entries.values()}
    assert kinds == set(Kind)
    assert len(content.documents) == 5
    assert len(content.entries) >= 40


def test_every_cited_paragraph_exists_and_contains_its_key_terms() -> None:
    content = load_content(CONTENT)
    checked = 0
    for entry in content.entries.values():
        for source in entry.all_sources():
            if source.doc is None:
                assert source.public, entry.id
                continue
            cited = content.cited_text(source.doc, source.para or "")
            assert cited is not None, f"{entry.id}: {source.doc} para {source.para} missing"
            for term in source.terms:
                assert squash(term) in squash(cited), f"{entry.id}: '{term}' not in {source.doc} {source.para}"
                checked += 1
    assert checked >= 40


def test_symbols_are_never_invented() -> None:
    """A symbol on an entry must be printed in one of the source texts (or its public source named)."""
    content = load_content(CONTENT)
    texts = squash("".join(p.text + p.raw for ps in content.paragraphs.values() for p in ps))
    texts += squash("".join((CONTENT / d.file).read_text() for d in content.documents.values()))
    for entry in content.entries.values():
        if entry.symbol:
            assert squash(entry.symbol) in texts or any(s.public for s in entry.sources), entry.id
    unprinted = [d for d in content.documents.values() if d.symbol is None]
    assert {d.id for d in unprinted} == {"SG-NUA-2024", "HA2-DECLARATION", "HA1-PROCEEDINGS"}


def test_paragraphs_are_numbered_in_sequence() -> None:
    for path in sorted((CONTENT / "documents").glob("*.txt")):
        numbers = [int(p.number) for p in split_paragraphs(path.read_text()) if "(" not in p.number]
        assert numbers == list(range(1, len(numbers) + 1)), path.name
        assert len(numbers) >= 16


def test_loading_twice_leaves_the_same_state(engine) -> None:  # type: ignore[no-untyped-def]
    content = load_content(CONTENT)

    def snapshot(session: Session) -> tuple:  # type: ignore[type-arg]
        return (
            sorted((r.id, r.data) for r in session.exec(select(EntryRow))),
            sorted((r.entry_id, r.key) for r in session.exec(select(AliasRow))),
            session.exec(select(func.count()).select_from(ParagraphRow)).one(),
            session.exec(select(func.count()).select_from(ContentVersion)).one(),
        )

    with Session(engine) as session:
        first = apply_content(session, content, applied_by="test", now=T0)
        session.commit()
        state = snapshot(session)
    with Session(engine) as session:
        second = apply_content(session, content, applied_by="test", now=T0)
        session.commit()
        assert snapshot(session) == state
    assert len(first.added) == len(content.entries)
    assert second.empty


def test_a_changed_entry_is_reported_and_stored(engine, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    copy = tmp_path / "content"
    shutil.copytree(CONTENT, copy)
    with Session(engine) as session:
        apply_content(session, load_content(copy), applied_by="test", now=T0)
        session.commit()
    sessions = copy / "entries" / "sessions.yaml"
    sessions.write_text(sessions.read_text().replace("start: 2023-06-05", "start: 2023-06-04"))
    with Session(engine) as session:
        diff = apply_content(session, load_content(copy), applied_by="test", now=T0)
        session.commit()
        catalog = Catalog.from_session(session)
    assert diff.changed == ["HA.2"] and not diff.added and not diff.removed
    assert catalog.entries["HA.2"].dates is not None and str(catalog.entries["HA.2"].dates.start) == "2023-06-04"


@pytest.mark.parametrize(
    ("mutation", "expected"),
    [
        (lambda s: s.replace("end: 2023-06-09", "end: 2023-02-31"), "day value is outside expected range"),
        (lambda s: s.replace("timezone: Africa/Nairobi", "timezone: Africa/Atlantis", 1), "unknown time zone"),
        (lambda s: s + "\n  - {id: HA.2, kind: session, names: {en: x}, sources: [{public: x}]}\n", "duplicate id"),
        (lambda s: s.replace("kind: session", "kind: sesion", 1), "kind"),
        (lambda s: s + "\n  - [unclosed\n", "malformed YAML"),
    ],
)
def test_bad_content_is_rejected_with_a_located_error(tmp_path: Path, mutation, expected: str) -> None:  # type: ignore[no-untyped-def]
    copy = tmp_path / "content"
    shutil.copytree(CONTENT, copy)
    sessions = copy / "entries" / "sessions.yaml"
    sessions.write_text(mutation(sessions.read_text()))
    with pytest.raises(ContentInvalid) as caught:
        load_content(copy)
    messages = [str(e) for e in caught.value.errors]
    assert any(expected in m and "sessions.yaml" in m for m in messages), messages


def test_a_replica_picks_up_content_another_replica_applied(loaded_sqlite_url: str, tmp_path: Path) -> None:
    """Two processes share one database; the one that did not reload switches on its next check."""
    from bot.app import build
    from bot.kernel.clock import FixedClock
    from tests.conftest import make_settings

    copy = tmp_path / "content"
    shutil.copytree(CONTENT, copy)
    replica = build(make_settings(loaded_sqlite_url), FixedClock(T0))
    assert replica.content.refresh_from_database() is False  # nothing new yet
    sessions = copy / "entries" / "sessions.yaml"
    sessions.write_text(sessions.read_text().replace("start: 2023-06-05", "start: 2023-06-04"))
    with Session(replica.engine) as session:  # what the other replica's /reload writes
        apply_content(session, load_content(copy), applied_by="other replica", now=T0)
        session.commit()
    assert str(replica.content.catalog.entries["HA.2"].dates.start) == "2023-06-05"  # type: ignore[union-attr]
    assert replica.content.refresh_from_database() is True
    assert str(replica.content.catalog.entries["HA.2"].dates.start) == "2023-06-04"  # type: ignore[union-attr]
    replica.close()
