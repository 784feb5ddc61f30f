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

from store.catalog import Catalog
from store.content import ContentInvalid
from store.content_store import live_digest
from store.content_store import open_content as store_open_content
from store.db import session_scope

log = logging.getLogger(__name__)

Listener = Callable[[Catalog, Catalog], None]


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


def open_content(engine: Engine, content_dir: Path, now: dt.datetime) -> ContentService:
    """The live content at start-up: the newest version in the database. ``content_dir`` only seeds
    an empty database (files that differ are reported, not applied: store/content_store.py); an
    empty database with invalid files stops start-up."""
    try:
        store_open_content(engine, content_dir, now=now)
    except ContentInvalid as exc:
        for error in exc.errors[:20]:
            log.error("content: %s", error)
        raise StartupError(
            f"the database holds no content and the content in {content_dir} is invalid "
            f"({len(exc.errors)} errors), first: {exc.errors[0]}"
        ) from None
    return ContentService(engine, read_catalog(engine))
