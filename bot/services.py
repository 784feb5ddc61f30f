"""Everything the bot needs except Telegram: database, content, catalog and the answer core.

The console, the CLI and the Telegram application are built on the same ``Services``, so they
give the same answers.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.engine import Engine

from bot.kernel.clock import Clock
from bot.kernel.core import Asker, Core
from bot.kernel.i18n import pick_language
from bot.settings import Settings
from store.admin_store import is_stored_admin
from store.catalog import Catalog
from store.content import ContentInvalid
from store.content_store import live_digest, open_content
from store.db import make_engine, session_scope
from store.migrations import upgrade
from store.users import get_user, set_language

log = logging.getLogger(__name__)


class StartupError(Exception):
    """The bot cannot start: the message says why in one line per problem."""


@dataclass
class Services:
    settings: Settings
    clock: Clock
    engine: Engine
    core: Core
    started_at: object = None
    #: Called as ``listener(old_catalog, new_catalog)`` after new content went live (reminders
    #: re-plan and notify subscribers of changed events).
    content_listeners: list[Callable[[Catalog, Catalog], None]] = field(default_factory=list)
    reload_lock: threading.Lock = field(default_factory=threading.Lock)
    #: The admin area (bot.admin.area.AdminArea), set by install_areas; the Telegram layer uses it.
    admin: Any = None

    @property
    def catalog(self) -> Catalog:
        return self.core.catalog

    def swap_catalog(self, catalog: Catalog) -> None:
        """Switch to new content in one reference assignment: no query sees a mix."""
        self.core.catalog = catalog

    def refresh_from_database(self) -> bool:
        """Pick up content that another replica applied: rebuild the catalog if the stored version differs.

        Skipped while this process is reloading (it swaps the catalog itself when done).
        """
        if not self.reload_lock.acquire(blocking=False):
            return False
        try:
            digest = live_digest(self.engine)
            if digest is None or digest == self.catalog.version:
                return False
            with session_scope(self.engine) as session:
                self.swap_catalog(Catalog.from_session(session))
            log.info("content version %s picked up from the database", digest[:12])
            return True
        finally:
            self.reload_lock.release()

    def asker(self, user_id: int | None, language_code: str | None = None, chat_id: int | None = None) -> Asker:
        """Who is asking: stored preferences first, then Telegram's language, then the defaults."""
        lang = pick_language(language_code, self.settings.default_language)
        zone = self.settings.default_timezone
        if user_id is not None:
            with session_scope(self.engine) as session:
                user = get_user(session=session, user_id=user_id)
                if user is not None:
                    lang = user.language or lang
                    zone = user.timezone or zone
        is_admin = user_id is not None and self.is_admin(user_id)
        return Asker(user_id=user_id, lang=lang, timezone=zone, chat_id=chat_id, is_admin=is_admin)

    def is_admin(self, user_id: int) -> bool:
        """ADMIN_IDS, plus admins added with /admin add (stored, so every replica agrees)."""
        if user_id in self.settings.admin_ids:
            return True
        with session_scope(self.engine) as session:
            return is_stored_admin(session=session, user_id=user_id)

    def close(self) -> None:
        self.engine.dispose()


def build_services(settings: Settings, clock: Clock) -> Services:
    """Open the database (upgrading its schema when needed) and the content it holds.

    The database is the one truth for content: ``CONTENT_DIR`` only seeds an empty database, and
    files that differ from the live version are reported, not applied (store/content_store.py).
    """
    engine = make_engine(settings.database_url)
    upgrade(engine)
    try:
        open_content(engine, settings.content_dir, now=clock.now())
    except ContentInvalid as exc:
        for error in exc.errors[:20]:
            log.error("content: %s", error)
        raise StartupError(
            f"the database holds no content and the content in {settings.content_dir} is invalid "
            f"({len(exc.errors)} errors), first: {exc.errors[0]}"
        ) from None
    with session_scope(engine) as session:
        catalog = Catalog.from_session(session)

    def remember_language(user_id: int, language: str) -> None:
        with session_scope(engine) as session:
            set_language(session=session, user_id=user_id, language=language, now=clock.now())

    core = Core(catalog, clock, settings.default_timezone, set_language=remember_language)
    services = Services(settings, clock, engine, core, started_at=clock.now())
    install_areas(services)
    return services


def install_areas(services: Services) -> None:
    """Let each area (search, subscriptions, admin) add its commands and buttons to the core."""
    from bot.admin.area import install as install_admin  # the admin area imports this module

    install_admin(services)
    from bot.search.area import install as install_search  # the search area imports the core

    install_search(services)
    from reminders.area import install as install_reminders  # the reminders area imports the core

    install_reminders(services)
