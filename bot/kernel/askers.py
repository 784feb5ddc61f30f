"""Who is asking: stored preferences first, then Telegram's language, then the defaults.

Looked up once per update (one short database read), off the event loop by the caller. The first
message in a private chat also records that the user talked to the bot (one write per user), so
a broadcast reaches everyone who did and has not blocked the bot.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.engine import Engine

from bot.kernel.clock import Clock
from bot.kernel.i18n import pick_language
from bot.kernel.router import Asker
from store.admin_store import is_stored_admin
from store.db import session_scope
from store.users import mark_unreachable, note_private_chat, profile, set_language


class Askers:
    """Builds an ``Asker`` from a user id, Telegram's language code and the chat."""

    def __init__(self, engine: Engine, clock: Clock, *, default_language: str, default_timezone: str,
                 admin_ids: frozenset[int]) -> None:
        self.engine = engine
        self.clock = clock
        self.default_language = default_language
        self.default_timezone = default_timezone
        self.admin_ids = admin_ids

    def asker(self, user_id: int | None, language_code: str | None = None, chat_id: int | None = None) -> Asker:
        lang = pick_language(language_code, self.default_language)
        zone = self.default_timezone
        chosen = False
        is_admin = user_id is not None and user_id in self.admin_ids
        if user_id is not None:
            with self.engine.begin() as connection:
                found = profile(connection=connection, user_id=user_id)
                if not found.reachable and chat_id == user_id:  # a private chat's id is its user's
                    note_private_chat(connection=connection, user_id=user_id, now=self.clock.now())
            chosen = bool(found.language)
            lang = found.language or lang
            zone = found.timezone or zone
            is_admin = is_admin or found.admin
        return Asker(user_id=user_id, lang=lang, timezone=zone, chat_id=chat_id, is_admin=is_admin,
                     chosen_lang=chosen)

    def blocked(self, user_id: int) -> None:
        """The user blocked the bot: broadcasts skip them until they write to it again."""
        with session_scope(self.engine) as session:
            mark_unreachable(session=session, user_id=user_id, now=self.clock.now())

    def is_admin(self, user_id: int) -> bool:
        """ADMIN_IDS, plus admins added with /admin add (stored, so every replica agrees)."""
        if user_id in self.admin_ids:
            return True
        with session_scope(self.engine) as session:
            return is_stored_admin(session=session, user_id=user_id)

    def remember_language(self, user_id: int, language: str, now: dt.datetime) -> None:
        with session_scope(self.engine) as session:
            set_language(session=session, user_id=user_id, language=language, now=now)
