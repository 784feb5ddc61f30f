"""The live content: one catalog every answer reads, swapped whole when new content goes live.

Reloads (admin), refreshes (another replica applied content) and start-up all go through here, and
features that must react to new content (reminders re-plan, search re-indexes) subscribe to it.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlmodel import col, select

from store.catalog import Catalog
from store.content import ContentInvalid, content_digest, load_content
from store.db import session_scope
from store.loader import ContentDiff, apply_content
from store.models import ContentVersion

log = logging.getLogger(__name__)

Listener = Callable[[Catalog, Catalog], None]


def live_digest(engine: Engine) -> str | None:
    """Digest of the content the database holds (its newest version), None when empty."""
    with session_scope(engine) as session:
        latest = session.exec(select(ContentVersion).order_by(col(ContentVersion.id).desc()).limit(1)).first()
        return latest.digest if latest else None


def read_catalog(engine: Engine) -> Catalog:
    with session_scope(engine) as session:
        return Catalog.from_session(session)


class ContentService:
    """Holds the live catalog; tells subscribers when it changes."""

    def __init__(self, engine: Engine, catalog: Catalog) -> None:
        self.engine = engine
        self._catalog = catalog
        self.listeners: list[Listener] = []
        #: Held while this process applies new content (reload, rollback, refresh).
        self.lock = threading.Lock()

    @property
    def catalog(self) -> Catalog:
        return self._catalog

    def subscribe(self, listener: Listener) -> None:
        self.listeners.append(listener)

    def swap(self, catalog: Catalog) -> Catalog:
        """Switch to new content in one reference assignment (no answer sees a mix); returns the old."""
        old, self._catalog = self._catalog, catalog
        return old

    def notify(self, old: Catalog, new: Catalog) -> list[str]:
        """Tell every subscriber; a failing one is logged and named, the others still run."""
        failed: list[str] = []
        for listener in list(self.listeners):
            try:
                listener(old, new)
            except Exception:
                log.exception("content listener %s failed", getattr(listener, "__qualname__", listener))
                failed.append(getattr(listener, "__qualname__", repr(listener)))
        return failed

    def refresh_from_database(self) -> bool:
        """Pick up content another replica applied: rebuild the catalog if the stored version differs.

        Skipped while this process is applying content itself (it swaps the catalog when done).
        """
        if not self.lock.acquire(blocking=False):
            return False
        try:
            digest = live_digest(self.engine)
            if digest is None or digest == self._catalog.version:
                return False
            new = read_catalog(self.engine)
            old = self.swap(new)
            log.info("content version %s picked up from the database", digest[:12])
        finally:
            self.lock.release()
        self.notify(old, new)
        return True


class StartupError(Exception):
    """The bot cannot start: the message says why in one line."""


def load_into_database(engine: Engine, content_dir: Path, now: dt.datetime, applied_by: str) -> ContentDiff:
    """Validate the content files and write them to the database; raise ContentInvalid on any error."""
    content = load_content(content_dir)
    with session_scope(engine) as session:
        return apply_content(session, content, applied_by=applied_by, now=now)


def open_content(engine: Engine, content_dir: Path, now: dt.datetime) -> ContentService:
    """The live content at start-up: the files are applied when their digest differs from the
    database's; invalid files leave the stored content live (and stop start-up if there is none)."""
    try:
        if content_digest(content_dir) != live_digest(engine):
            load_into_database(engine, content_dir, now, applied_by="startup")
    except ContentInvalid as exc:
        for error in exc.errors[:20]:
            log.error("content: %s", error)
        if not read_catalog(engine).entries:
            raise StartupError(
                f"content in {content_dir} is invalid ({len(exc.errors)} errors), first: {exc.errors[0]}"
            ) from None
        log.warning("content files are invalid; serving the content stored in the database")
    return ContentService(engine, read_catalog(engine))
