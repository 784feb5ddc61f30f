"""``/calendar``: a secret address of a live calendar feed of everything the user follows.

The token in the address is 256 random bits (``secrets``), shown to the user once and stored only
as its SHA-256, so the database holds no working address; a request finds its feed by that hash.
``/calendar reset`` replaces the hash: the old address answers 404 from then on. Without
PUBLIC_URL nothing serves the feed, so the reply says so and carries the calendar as a file.
Serving it over HTTP is the handlers' part (handlers/calendar.py): here is what to serve.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from bot.kernel.callbacks import CalendarButton
from bot.kernel.clock import Clock
from bot.kernel.content import ContentService
from bot.kernel.dates import single_day
from bot.kernel.i18n import gettext_for, ngettext_for, pick_language
from bot.kernel.reply import Attachment, Button, Reply, esc, rows
from bot.kernel.router import Asker, Command, Feature
from reminders.feed import Feed, Follow, build_feed
from reminders.models import CalendarFeed
from reminders.store import subscriptions_of
from store.db import session_scope
from store.users import get_user

#: Random bytes in a token: 256 bits, far beyond guessing (at least 128 are asked for).
TOKEN_BYTES = 32
#: What ``secrets.token_urlsafe(TOKEN_BYTES)`` gives: 43 URL-safe characters.
TOKEN_PATTERN = re.compile(r"^[A-Za-z0-9_-]{43}$")
#: The feed's path under PUBLIC_URL; the handlers serve it, the command shows it.
FEED_PATH = "/calendar/{token}.ics"
RESET_WORDS = {"reset", "new", "revoke", "重置", "更换", "重新生成"}


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def token_hash(token: str) -> str:
    """What is stored of a token: its SHA-256, hex."""
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def issue_feed(*, session: Session, user_id: int, language: str, now: dt.datetime) -> str:
    """A new feed token for ``user_id``; an earlier one stops working (its hash is replaced)."""
    token = new_token()
    row = session.get(CalendarFeed, user_id)
    if row is None:
        row = CalendarFeed(user_id=user_id, token_hash=token_hash(token), language=language, created_at=now)
    else:
        row.token_hash, row.language, row.created_at = token_hash(token), language, now
    session.add(row)
    session.flush()
    return token


def feed_owner(*, session: Session, token: str) -> CalendarFeed | None:
    """The feed a token opens, or None (malformed, unknown or revoked)."""
    if not TOKEN_PATTERN.match(token):
        return None
    digest = token_hash(token)
    # Found by an index on the hash (a lookup's timing tells nothing of the token); compared
    # again in constant time so no code path compares secrets byte by byte.
    row = session.exec(select(CalendarFeed).where(col(CalendarFeed.token_hash) == digest)).first()
    if row is None or not hmac.compare_digest(row.token_hash.encode(), digest.encode()):
        return None
    return row


@dataclass(frozen=True)
class FeedAddress:
    """Where a user's feed is: https for browsers and apps, webcal:// to open a calendar app."""

    https: str

    @property
    def webcal(self) -> str:
        return "webcal://" + self.https.split("://", 1)[1]


class CalendarArea:
    """The /calendar command and the feeds it gives out, wired by the composition root."""

    def __init__(self, engine: Engine, content: ContentService, clock: Clock, *, public_url: str | None,
                 default_timezone: str, default_language: str) -> None:
        self.engine = engine
        self.content = content
        self.clock = clock
        self.public_url = public_url
        self.default_timezone = default_timezone
        self.default_language = default_language

    def feature(self) -> Feature:
        n = gettext_for
        return Feature(
            name="calendar",
            commands=[Command("calendar", self.calendar, lambda lang: n(lang)("live calendar feed of what you follow"))],
            buttons={CalendarButton: self._reset_button},
        )

    def address(self, token: str) -> FeedAddress:
        assert self.public_url is not None
        return FeedAddress(self.public_url + FEED_PATH.format(token=token))

    # -- the feed ---------------------------------------------------------------------------------

    def feed_of_user(self, user_id: int, *, lang: str | None = None) -> Feed:
        """The feed of everything ``user_id`` follows now, in their language and zone."""
        now = self.clock.now()
        with session_scope(self.engine) as session:
            follows = [Follow(s.target_kind, s.target, s.leads) for s in subscriptions_of(session=session, user_id=user_id)]
            user = get_user(session=session, user_id=user_id)
            stored = session.get(CalendarFeed, user_id)
        zone = (user.timezone if user else None) or self.default_timezone
        chosen = (user.language if user else None) or lang or (stored.language if stored else None)
        return build_feed(self.content.catalog, follows, now=now, zone=zone,
                          lang=pick_language(chosen, self.default_language))

    def feed_for_token(self, token: str) -> Feed | None:
        """The feed behind a token from a URL, or None when no live feed has it (answered 404)."""
        with session_scope(self.engine) as session:
            owner = feed_owner(session=session, token=token)
        return None if owner is None else self.feed_of_user(owner.user_id)

    # -- /calendar --------------------------------------------------------------------------------

    def calendar(self, args: str, who: Asker) -> list[Reply]:
        """``/calendar``: the feed's address (issued once); ``/calendar reset``: a new one."""
        _ = gettext_for(who.lang)
        words = args.lower().split()
        if words and words[0] not in RESET_WORDS:
            return [Reply(_("Usage: /calendar gives the address of your calendar feed; "
                            "/calendar reset makes a new one and the old one stops working."))]
        if who.user_id is None:
            return [Reply(_("Reminders need a chat with the bot."))]
        if who.chat_id is not None and who.chat_id != who.user_id:
            return [Reply(_("Your calendar address is private: send /calendar to me in a private chat."))]
        if self.public_url is None:
            return [self._file_only(who)]
        if not words:
            with session_scope(self.engine) as session:
                existing = session.get(CalendarFeed, who.user_id)
            if existing is not None:
                return [self._already(existing, who)]
        return [self._issue(who, reset=bool(words))]

    def _reset_button(self, button: CalendarButton, who: Asker) -> list[Reply]:
        return self.calendar("reset", who)

    def _issue(self, who: Asker, *, reset: bool) -> Reply:
        _ = gettext_for(who.lang)
        assert who.user_id is not None
        with session_scope(self.engine) as session:
            token = issue_feed(session=session, user_id=who.user_id, language=who.lang, now=self.clock.now())
        address = self.address(token)
        feed = self.feed_of_user(who.user_id, lang=who.lang)
        lines = [
            _("📅 <b>A new calendar address; the old one no longer works.</b>") if reset
            else _("📅 <b>Your calendar feed</b>"),
            _("Subscribe to this address in your calendar app (Apple Calendar, Outlook, Thunderbird, "
              "Google Calendar “From URL”):"),
            f"<code>{esc(address.https)}</code>",
            _("or open it in a calendar app directly:"),
            f"<code>{esc(address.webcal)}</code>",
            "",
            self._contents(feed, who.lang),
            _("It follows what you follow: new subscriptions, moved dates and cancellations show up by "
              "themselves. Each event has alarms at your lead times (some apps, Google Calendar among "
              "them, ignore a feed's alarms)."),
            _("Keep the address to yourself: anyone who has it sees what you follow. /calendar reset "
              "makes a new one and the old one stops working."),
        ]
        return Reply("\n".join(lines), rows([Button(_("Open the feed"), url=address.https)]),
                     meta={"calendar": address.https})

    def _contents(self, feed: Feed, lang: str) -> str:
        _ = gettext_for(lang)
        n_ = ngettext_for(lang)
        line = n_("It holds %(n)d event now.", "It holds %(n)d events now.", feed.events) % {"n": feed.events}
        if feed.events == 0:
            line = _("It is empty for now: follow something with /subscribe and it appears there.")
        if feed.waiting:
            sep = "、" if lang == "zh" else ", "
            line += " " + _("Without dates yet, added when they are announced: %(names)s.") % {
                "names": esc(sep.join(feed.waiting))}
        return line

    def _already(self, existing: CalendarFeed, who: Asker) -> Reply:
        _ = gettext_for(who.lang)
        made = existing.created_at
        made = made.replace(tzinfo=dt.UTC) if made.tzinfo is None else made
        text = _("📅 You already have a calendar address (made %(day)s). I keep only a fingerprint of it, "
                 "so I cannot show it again: it is in this chat above. Lost it? Make a new one; the old one "
                 "then stops working.") % {"day": single_day(made.date(), who.lang)}
        return Reply(text, rows([Button(f"🔄 {_('New calendar address')}", data=CalendarButton("reset").pack())]))

    def _file_only(self, who: Asker) -> Reply:
        """No PUBLIC_URL: nothing serves a feed, so the calendar of today comes as a file."""
        _ = gettext_for(who.lang)
        assert who.user_id is not None
        feed = self.feed_of_user(who.user_id, lang=who.lang)
        text = "\n".join([
            _("📅 This bot has no public web address (PUBLIC_URL is not set), so it cannot serve a live "
              "calendar feed. Here is a calendar file of what you follow now, with your alarms; it does "
              "not update itself."),
            self._contents(feed, who.lang),
        ])
        return Reply(text, attachment=Attachment("habitat-calendar.ics", feed.body, "text/calendar"))
