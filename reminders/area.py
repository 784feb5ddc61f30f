"""The reminders area in the core: /subscribe, /mysubs, /unsubscribe, /timezone, /ics, /digest,
/forget, the Subscribe / Unsubscribe / Snooze buttons, deep links, and the content listener.

Every answer is a transport-free ``Reply``; the console and Telegram show the same thing. Each
command that changes what a user follows plans that user's reminders at once (the periodic
planner only looks ahead from its watermark), so a reminder due within the hour is not missed.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.engine import Engine
from sqlmodel import col

from bot.kernel.callbacks import (
    CommandButton,
    EntryButton,
    SnoozeButton,
    SubscribeButton,
    UnsubscribeButton,
)
from bot.kernel.cards import choice_reply, named, short_label
from bot.kernel.clock import Clock
from bot.kernel.content import ContentService
from bot.kernel.dates import clock_time, date_range, until
from bot.kernel.i18n import gettext_for, ngettext_for
from bot.kernel.occurrences import (
    DEFAULT_LEADS_TEXT,
    MAX_LEADS,
    LeadError,
    is_lead,
    parse_leads,
    upcoming,
)
from bot.kernel.reply import Attachment, Button, Reply, esc, rows
from bot.kernel.router import Asker, Command, Feature, stale
from bot.kernel.timing import ALIVE, Stage, next_in_series, span, stage
from reminders import ics
from reminders.changes import Change, changes, names, told
from reminders.forget import ForgetButton
from reminders.labels import CATEGORY_NAMES, category_label, leads_label
from reminders.leadtimes import check_leads, refusal, split_leads
from reminders.models import PENDING, Delivery, DigestSetting, Subscription
from reminders.notices import content_transition, write_notices
from reminders.planner import AHEAD, FOLLOWABLE, entries_for, followable, next_reminder, plan, plan_digests
from reminders.store import (
    ALL,
    CATEGORY,
    ENTRY,
    drop_pending,
    forget_preview,
    forget_user,
    held_by_another,
    set_digest,
    subscribe,
    subscriptions_of,
    unsubscribe,
)
from reminders.text import due_text
from reminders.zones import find_zone, utc_offset
from store.catalog import Ambiguous, Catalog, Found
from store.db import session_scope
from store.normalize import fold
from store.schema import Entry
from store.users import ensure_user, pseudonym, set_timezone

log = logging.getLogger(__name__)

ALL_WORDS = {"all", "everything", "*", "全部", "所有", "一切", "全部活动"}
SNOOZE = dt.timedelta(hours=1)
#: What a category id may look like in a button (``cat-urban-october``).
_CATEGORY = re.compile(r"^[a-z0-9][a-z0-9-]{0,29}$")


def forget_lines(deleted: dict[str, int], lang: str) -> list[str]:
    """What /forget deletes, in words: per kind of record, with counts."""
    _ = gettext_for(lang)
    n_ = ngettext_for(lang)
    words = {
        "reminder_subscription": lambda n: n_("%(n)d subscription", "%(n)d subscriptions", n) % {"n": n},
        "reminder_outbox": lambda n: n_("%(n)d reminder or notice (sent or due)",
                                        "%(n)d reminders and notices (sent or due)", n) % {"n": n},
        "reminder_digest": lambda n: _("your daily digest setting"),
        "bot_user": lambda n: _("your language and time zone"),
        "admin_user": lambda n: _("the admin rights given to you by command"),
        "last_search": lambda n: _("your last search (what “more” pages)"),
        "calendar_feed": lambda n: _("your calendar feed address (it stops working)"),
    }
    lines = [say(deleted[name]) for name, say in words.items() if deleted.get(name)]
    others = sum(count for name, count in deleted.items() if name not in words)
    if others:
        lines.append(n_("%(n)d other record", "%(n)d other records", others) % {"n": others})
    return lines


#: Asking in words to be reminded of something: "remind me about WUF13", "提醒我城市十月", "订阅 WUF12".
_REMIND_ME = re.compile(
    r"^(?:please\s+|请)?(?:remind\s+me\s+(?:about|of|before)|notify\s+me\s+(?:about|of)|提醒我|订阅|关注)"
    r"\s*(?P<what>.*?)[\s?？!！.。]*$", re.IGNORECASE)
#: Asking how to be reminded, in words: the /subscribe explanation.
PLAIN_WORDS: dict[str, str] = dict.fromkeys(
    ("subscribe", "reminders", "how do i subscribe", "how to subscribe", "how do i get reminders",
     "订阅", "提醒", "怎么订阅", "如何订阅", "怎么订阅提醒", "如何订阅提醒", "怎么设置提醒"), "subscribe")


class RemindersArea:
    """Commands and buttons of the reminders area, wired by the composition root (``bot.app``)."""

    def __init__(self, engine: Engine, content: ContentService, clock: Clock, *, default_timezone: str,
                 forget_key: bytes = b"habitat-assistant") -> None:
        self.engine = engine
        self.content = content
        self.clock = clock
        self.default_timezone = default_timezone
        self.forget_key = forget_key  # keys the pseudonym that replaces a forgotten user's id in the audit

    @property
    def catalog(self) -> Catalog:
        return self.content.catalog

    def now(self) -> dt.datetime:
        return self.clock.now()

    # -- wiring -----------------------------------------------------------------------------------

    def feature(self) -> Feature:
        n = gettext_for
        return Feature(
            name="reminders",
            commands=[
                Command("subscribe", self.subscribe, lambda lang: n(lang)("reminders: /subscribe WUF12 7d 1d")),
                Command("mysubs", self.mysubs, lambda lang: n(lang)("what you follow"), shows=True),
                Command("unsubscribe", self.unsubscribe_command, lambda lang: n(lang)("stop reminders")),
                Command("timezone", self.timezone, lambda lang: n(lang)("your time zone: /timezone Beijing")),
                Command("ics", self.ics, lambda lang: n(lang)("calendar file: /ics WUF12"), shows=True),
                Command("digest", self.digest, lambda lang: n(lang)("daily digest: /digest on 08:00")),
                Command("forget", self.forget, lambda lang: n(lang)("delete everything stored about you"), irreversible=True),
            ],
            buttons={
                SubscribeButton: self._subscribe_button,
                UnsubscribeButton: self._unsubscribe_button,
                SnoozeButton: self._snooze_button,
                ForgetButton: self._forget_button,
            },
            links={SubscribeButton: self._subscribe_offer},
            text=[self.remind_me],
            on_content_change=[self.on_content_change],
            words=PLAIN_WORDS,
        )

    def remind_me(self, text: str, who: Asker) -> list[Reply] | None:
        """"Remind me about WUF13", "提醒我城市十月": the offer to follow it, with its button;
        None for any other message (a question is searched)."""
        match = _REMIND_ME.match(text.strip())
        if match is None:
            return None
        wanted = match.group("what").strip()
        if not wanted:
            return self.subscribe("", who)
        target = self._target(wanted, who, follow=True)
        if isinstance(target, list):
            return target
        kind, ident = target
        body = "all" if kind == ALL else f"cat-{ident}" if kind == CATEGORY else ident
        return self._subscribe_offer(SubscribeButton(body), who)

    def _categories(self) -> set[str]:
        return set(CATEGORY_NAMES) | {e.category for e in self.catalog.entries.values() if e.category}

    def _subscribe_offer(self, button: SubscribeButton, who: Asker) -> list[Reply]:
        """A link (``?start=sub_WUF12``) offers the subscription; only the button subscribes."""
        _ = gettext_for(who.lang)
        if button.category is not None and button.category not in self._categories():
            return [stale(who)]
        entry = self.catalog.entries.get(button.target)
        if button.category is None and button.target != "all" and entry is None:
            return [stale(who)]
        refused = self._not_followable(entry, who) if entry is not None else None
        if refused is not None:
            return refused
        label = (short_label(entry, who.lang) if entry is not None
                 else category_label(button.category, who.lang) if button.category is not None else _("Everything"))
        text = _("Follow %(what)s and be reminded before it?") % {"what": f"<b>{esc(label)}</b>"}
        return [Reply(text, rows([Button(f"🔔 {_('Subscribe')}", data=button.pack())]))]

    # -- helpers ----------------------------------------------------------------------------------

    def _chat(self, who: Asker) -> int | None:
        return who.chat_id if who.chat_id is not None else who.user_id

    def _target(self, text: str, who: Asker, *, follow: bool = False) -> tuple[str, str] | list[Reply]:
        """(kind, target) for what the user typed, or replies explaining what went wrong.

        Order: "all"; a category id (``wuf``); an entry by id or exact name; a category's display
        name (so 城市十月 stays the Urban October event, which is also a category name); fuzzy.
        To ``follow`` it, an entry must still be ahead (a past one is over: say so, offer the next).
        """
        _ = gettext_for(who.lang)
        key = fold(text)
        if key in ALL_WORDS:
            return ALL, "*"
        categories = {e.category for e in self.catalog.entries.values() if e.category and followable(e)}
        for category in categories:
            if key in (fold(category), f"cat-{fold(category)}", f"category {fold(category)}"):
                return CATEGORY, category
        entry = self.catalog.entries.get(text)
        resolution = None if entry is not None else self.catalog.resolve(text, FOLLOWABLE)
        if isinstance(resolution, Found) and not resolution.fuzzy:
            entry = resolution.entry
        if entry is None:
            for category in categories:
                if key in {fold(x) for x in CATEGORY_NAMES.get(category, ())}:
                    return CATEGORY, category
            if isinstance(resolution, Found):
                entry = resolution.entry
            elif isinstance(resolution, Ambiguous):
                choice = choice_reply(_("Several entries match “%(q)s”:") % {"q": esc(text)}, resolution.entries, who.lang)
                buttons = rows([Button(f"🔔 {short_label(e, who.lang)}", data=SubscribeButton(e.id).pack())
                                for e in resolution.entries if followable(e)], per_row=1)
                return [Reply(choice.text, buttons)]
            else:
                return [Reply(_("Nothing to follow matches “%(q)s”. Try /subscribe WUF12, /subscribe wuf or /subscribe all.")
                              % {"q": esc(text[:60])}, self._suggestions(who))]
        refused = self._not_followable(entry, who) if follow else None
        if refused is not None:
            return refused
        if not followable(entry):
            return [Reply(_("%(name)s has no dates in the bot's sources, so there is nothing to remind you of.")
                          % {"name": named(entry, who.lang, start=True)})]
        return ENTRY, entry.id

    def _not_followable(self, entry: Entry, who: Asker) -> list[Reply] | None:
        """Why ``entry`` cannot be followed now (over, cancelled, no dates), or None when it can."""
        _ = gettext_for(who.lang)
        now = self.now()
        where = stage(entry, now)
        if where in ALIVE and entry.kind in FOLLOWABLE:
            return None
        name = named(entry, who.lang, start=True)
        if where is Stage.CANCELLED:
            return [Reply(_("%(name)s was cancelled, so there is nothing to remind you of.") % {"name": name})]
        if where is not Stage.OVER:
            return None  # no dates at all: the caller says so
        if entry.dates is not None:
            bounds = span(entry)
            assert bounds is not None
            text = _("%(name)s is over (%(dates)s, %(ago)s).") % {
                "name": name, "dates": date_range(entry.dates.start, entry.dates.end, who.lang),
                "ago": until(now, bounds[0], bounds[1], who.lang)}
        else:
            text = _("%(name)s is over: the sources expected it in %(year)d.") % {"name": name, "year": entry.expected}
        buttons: list[Button] = []
        following = next_in_series(entry, self.catalog, now)
        if following is not None:
            text += "\n" + _("The next one the sources know: %(name)s (%(when)s).") % {
                "name": named(following, who.lang), "when": self._when(following, who.lang)}
            buttons += [Button(f"🔔 {short_label(following, who.lang)}", data=SubscribeButton(following.id).pack()),
                        Button(f"↗ {short_label(following, who.lang)}", data=EntryButton(following.id).pack())]
        elif entry.category and _CATEGORY.match(entry.category):
            label = category_label(entry.category, who.lang)
            text += "\n" + _("The sources know of no later one yet. Follow %(category)s to be told when one is added.") % {
                "category": f"<b>{esc(label)}</b>"}
            buttons.append(Button(f"🔔 {label}", data=SubscribeButton(f"cat-{entry.category}").pack()))
        return [Reply(text, rows(buttons))]

    def _when(self, entry: Entry, lang: str) -> str:
        """Its dates, or the year the sources expect it in."""
        _ = gettext_for(lang)
        if entry.dates is not None:
            return date_range(entry.dates.start, entry.dates.end, lang)
        if entry.expected is not None:
            return _("expected in %(year)d, dates not announced yet") % {"year": entry.expected}
        return _("dates not announced yet")

    def _label(self, kind: str, target: str, lang: str) -> str:
        _ = gettext_for(lang)
        if kind == ALL:
            return _("everything")
        if kind == CATEGORY:
            return _("category %(name)s") % {"name": category_label(target, lang)}
        entry = self.catalog.entry(target)
        return entry.names.get(lang) if entry else target

    def _suggestions(self, who: Asker) -> tuple[tuple[Button, ...], ...]:
        _ = gettext_for(who.lang)
        soon = upcoming([e for e in self.catalog.entries.values() if followable(e)], self.now(), days=400)
        seen: list[Button] = []
        for occurrence in soon:
            if len(seen) >= 4:
                break
            entry = self.catalog.entries[occurrence.entry_id]
            if all(b.data != f"sub:{entry.id}" for b in seen):
                seen.append(Button(f"🔔 {short_label(entry, who.lang)}", data=SubscribeButton(entry.id).pack()))
        seen.append(Button(f"🔔 {_('Everything')}", data=SubscribeButton("all").pack()))
        return rows(seen)

    def _next_due(self, kind: str, target: str, leads: str, zone: str) -> tuple[dt.datetime, Entry] | None:
        return next_reminder(self.catalog, [(kind, target, leads)], self.now(), zone)

    def _plan_now(self, subscription_ids: list[int], *, lo: dt.datetime | None = None) -> None:
        plan(self.engine, self.catalog, self.now(), subscription_ids=subscription_ids, lo=lo,
             default_zone=self.default_timezone)

    # -- /subscribe -------------------------------------------------------------------------------

    def subscribe(self, args: str, who: Asker) -> list[Reply]:
        """Follow an event, a session, a category or everything, with optional lead times."""
        _ = gettext_for(who.lang)
        chat = self._chat(who)
        if who.user_id is None or chat is None:
            return [Reply(_("Reminders need a chat with the bot."))]
        target_tokens, lead_tokens = split_leads(args.split())
        target_text = " ".join(target_tokens)
        if not target_text:
            if lead_tokens:
                return [Reply(_("Say what to follow before the lead times: /subscribe WUF12 7d 1d"))]
            return [Reply(
                _("Usage: /subscribe followed by an event, a session, a category or all, and optionally "
                  "lead times, for example:") + "\n• <code>/subscribe WUF12</code>\n• <code>/subscribe HA.2 7d 1d 2h</code>"
                  "\n• <code>/subscribe wuf</code>\n• <code>/subscribe all</code>\n"
                  + _("Without lead times: 30, 7 and 1 day before, and 08:00 on the day, in your time zone."),
                self._suggestions(who))]
        try:
            leads = " ".join(lead.text for lead in (check_leads(lead_tokens) if lead_tokens else parse_leads(DEFAULT_LEADS_TEXT)))
        except LeadError as exc:
            return [Reply(refusal(exc, who.lang))]
        misplaced = self._misplaced_lead(target_tokens)
        if misplaced is not None:
            return [Reply(refusal(LeadError(misplaced), who.lang))]
        target = self._target(target_text, who, follow=True)
        if isinstance(target, list):
            return target
        return [self._do_subscribe(target[0], target[1], leads, who)]

    def _exact_target(self, text: str) -> bool:
        """Whether ``text`` names something to follow exactly (no fuzzy match)."""
        key = fold(text)
        if key in ALL_WORDS or text in self.catalog.entries:
            return True
        for category in self._categories():
            names = {fold(category), f"cat-{fold(category)}", f"category {fold(category)}"}
            if key in names | {fold(x) for x in CATEGORY_NAMES.get(category, ())}:
                return True
        resolution = self.catalog.resolve(text, FOLLOWABLE)
        return isinstance(resolution, Found) and not resolution.fuzzy

    def _misplaced_lead(self, tokens: list[str]) -> str | None:
        """The word that was meant as a lead time in ``WUF12 7d banana 1d`` ("banana"): when the
        whole text matches nothing but its first words name something exactly."""
        if len(tokens) < 2 or self._exact_target(" ".join(tokens)):
            return None
        if isinstance(self.catalog.resolve(" ".join(tokens), FOLLOWABLE), Found | Ambiguous):
            return None
        for cut in range(len(tokens) - 1, max(0, len(tokens) - 1 - MAX_LEADS), -1):
            if self._exact_target(" ".join(tokens[:cut])):
                return next((t for t in tokens[cut:] if not is_lead(t)), tokens[-1])
        return None

    def _do_subscribe(self, kind: str, target: str, leads: str, who: Asker) -> Reply:
        _ = gettext_for(who.lang)
        chat = self._chat(who)
        assert who.user_id is not None and chat is not None
        with session_scope(self.engine) as session:
            user = ensure_user(session=session, user_id=who.user_id, now=self.now())
            if user.language is None:
                user.language = who.lang  # reminders arrive later, without Telegram's language_code
                session.add(user)
            zone = user.timezone or who.timezone
            held = held_by_another(session=session, user_id=who.user_id, chat_id=chat, target_kind=kind, target=target)
            if held is not None:
                return Reply(_("This group already follows %(what)s: another member set it up, with reminders "
                               "%(leads)s. Only they can change or stop it; to follow it yourself, send me "
                               "/subscribe in a private chat.") % {
                    "what": f"<b>{esc(self._label(kind, target, who.lang))}</b>",
                    "leads": esc(leads_label(held.leads, who.lang))})
            sub, _new = subscribe(session=session, user_id=who.user_id, chat_id=chat, target_kind=kind,
                                  target=target, leads=leads, now=self.now())
            sub_id = sub.id
        assert sub_id is not None
        self._plan_now([sub_id])
        lines = [
            _("🔔 Subscribed to %(what)s.") % {"what": f"<b>{esc(self._label(kind, target, who.lang))}</b>"},
            _("Reminders: %(leads)s (your time zone: %(zone)s).") % {"leads": esc(leads_label(leads, who.lang)), "zone": esc(zone)},
        ]
        upcoming_due = self._next_due(kind, target, leads, zone)
        followed = self.catalog.entry(target) if kind == ENTRY else None
        where = stage(followed, self.now()) if followed is not None else None
        if upcoming_due is not None:
            moment, entry = upcoming_due
            lines.append(_("Next reminder: %(when)s — %(name)s.") % {
                "when": esc(due_text(moment, zone, who.lang)), "name": esc(entry.names.get(who.lang))})
        elif followed is not None and where is Stage.EXPECTED:
            lines.append(_("Its dates are not announced yet (expected in %(year)d): you will be told when they are, "
                           "and reminded before it.") % {"year": followed.expected})
        elif followed is not None and where is Stage.POSTPONED:
            lines.append(_("It is postponed: you will be told when new dates are announced."))
        elif followed is not None and where is Stage.RUNNING:
            lines.append(_("It is under way now: you will be told if anything about it changes."))
        else:
            lines.append(_("Nothing is scheduled yet; you will be reminded when dates are known."))
        lines.append(_("/timezone changes your zone, /mysubs lists what you follow."))
        buttons = [Button(f"🔕 {_('Unsubscribe')}", data=UnsubscribeButton(sub_id).pack())]
        if kind == ENTRY and followed is not None and (followed.dates is not None or followed.recurrence is not None):
            buttons.append(Button(f"📅 {_('Add to calendar')}", data=CommandButton("ics", target).pack()))
        return Reply("\n".join(lines), rows(buttons), meta={"subscription": str(sub_id)})

    def _subscribe_button(self, button: SubscribeButton, who: Asker) -> list[Reply]:
        """``sub:<entry id>``, ``sub:cat-<category>``, ``sub:all``; deep links may mangle ids."""
        rest = button.target
        if button.category is not None and button.category not in self._categories():
            return [stale(who)]
        if rest == "all":
            target: tuple[str, str] | list[Reply] = (ALL, "*")
        elif rest.startswith("cat-"):
            target = (CATEGORY, rest[4:])
        elif rest in self.catalog.entries:
            target = self._not_followable(self.catalog.entries[rest], who) or (ENTRY, rest)
        else:
            # Deep-link parameters allow only A-Z a-z 0-9 _ -, so HA.2 may arrive as HA2 or HA-2.
            target = self._target(rest.replace("-", "."), who, follow=True) \
                if rest.replace("-", ".") in self.catalog.entries else self._target(rest, who, follow=True)
        if isinstance(target, list):
            return target
        return [self._do_subscribe(target[0], target[1], DEFAULT_LEADS_TEXT, who)]

    # -- /mysubs, /unsubscribe ---------------------------------------------------------------------

    def mysubs(self, args: str, who: Asker) -> list[Reply]:
        """What this user follows, each with an Unsubscribe button."""
        _ = gettext_for(who.lang)
        if who.user_id is None:
            return [Reply(_("Reminders need a chat with the bot."))]
        with session_scope(self.engine) as session:
            subs = subscriptions_of(session=session, user_id=who.user_id)
            user = ensure_user(session=session, user_id=who.user_id, now=self.now()) if subs else None
            zone = (user.timezone if user else None) or who.timezone
            digest = session.get(DigestSetting, who.user_id)
            digest_on, digest_at = (digest.enabled, digest.at) if digest else (False, "")
        if not subs:
            return [Reply(_("You follow nothing yet. /subscribe WUF12, /subscribe wuf or /subscribe all."),
                          self._suggestions(who))]
        lines = [f"<b>{_('Your subscriptions')}</b> ({_('time zone')}: {esc(zone)})"]
        buttons = []
        for sub in subs:
            label = self._label(sub.target_kind, sub.target, who.lang)
            lines.append(f"• {esc(label)} — {esc(leads_label(sub.leads, who.lang))}")
            short = label if len(label) <= 24 else label[:23] + "…"
            buttons.append(Button(f"🔕 {short}", data=UnsubscribeButton(sub.id or 0).pack()))
        lines.append(_("Daily digest: on at %(at)s") % {"at": digest_at} if digest_on else _("Daily digest: off (/digest on)"))
        return [Reply("\n".join(lines), rows(buttons, per_row=1))]

    def unsubscribe_command(self, args: str, who: Asker) -> list[Reply]:
        """``/unsubscribe <what>``, ``/unsubscribe all`` (every subscription), or a list to choose from."""
        _ = gettext_for(who.lang)
        if who.user_id is None:
            return [Reply(_("Reminders need a chat with the bot."))]
        if not args:
            return self.mysubs("", who)
        with session_scope(self.engine) as session:
            subs = subscriptions_of(session=session, user_id=who.user_id)
        if fold(args) in ALL_WORDS:
            chosen = subs
        else:
            target = self._target(args, who)
            if isinstance(target, list):
                return target
            chosen = [s for s in subs if (s.target_kind, s.target) == target]
        if not chosen:
            return [Reply(_("You do not follow %(what)s.") % {"what": esc(args[:60])})] + self.mysubs("", who)
        labels = []
        with session_scope(self.engine) as session:
            for sub in chosen:
                assert sub.id is not None
                unsubscribe(session=session, user_id=who.user_id, subscription_id=sub.id)
                labels.append(self._label(sub.target_kind, sub.target, who.lang))
        return [Reply(_("🔕 Unsubscribed from %(what)s.") % {"what": esc(", ".join(labels))})]

    def _unsubscribe_button(self, button: UnsubscribeButton, who: Asker) -> list[Reply]:
        _ = gettext_for(who.lang)
        if who.user_id is None:
            return [stale(who)]
        with session_scope(self.engine) as session:
            sub = unsubscribe(session=session, user_id=who.user_id, subscription_id=button.subscription_id)
            if sub is None:
                theirs = session.get(Subscription, button.subscription_id)
                if theirs is not None and theirs.active:
                    return [Reply(_("Only the member who set up this subscription can stop it."))]
                return [Reply(_("That subscription is already stopped."))]
            label = self._label(sub.target_kind, sub.target, who.lang)
            again = "all" if sub.target_kind == ALL else (f"cat-{sub.target}" if sub.target_kind == CATEGORY else sub.target)
        return [Reply(_("🔕 Unsubscribed from %(what)s.") % {"what": esc(label)},
                      rows([Button(f"🔔 {_('Subscribe again')}", data=SubscribeButton(again).pack())]))]

    def _snooze_button(self, button: SnoozeButton, who: Asker) -> list[Reply]:
        """Send this reminder again in an hour."""
        _ = gettext_for(who.lang)
        if who.user_id is None:
            return [stale(who)]
        now = self.now()
        with session_scope(self.engine) as session:
            original = session.get(Delivery, button.delivery_id)
            if original is None or original.user_id != who.user_id:
                return [Reply(_("This button is no longer valid. Send /help."))]
            moment = now + SNOOZE
            session.add(Delivery(
                key=f"z:{original.id}:{moment.isoformat()}", kind="snooze", subscription_id=original.subscription_id,
                user_id=original.user_id, chat_id=original.chat_id, entry_id=original.entry_id,
                occurrence_key=original.occurrence_key, lead="snooze", due_at=moment, starts_at=original.starts_at,
                available_at=moment, status=PENDING,
            ))
        zone = who.timezone
        return [Reply(_("⏰ I will remind you again at %(when)s.") % {"when": esc(due_text(moment, zone, who.lang))})]

    # -- /timezone --------------------------------------------------------------------------------

    def timezone(self, args: str, who: Asker) -> list[Reply]:
        """Set the zone dates and reminders are shown in; a city name is enough."""
        _ = gettext_for(who.lang)
        now = self.now()
        if not args:
            return [Reply(_("Your time zone is %(zone)s (%(offset)s). Change it with /timezone and a city or zone, "
                            "for example /timezone Beijing, /timezone 北京 or /timezone Europe/Warsaw.")
                          % {"zone": esc(who.timezone), "offset": utc_offset(who.timezone, now)})]
        zone = find_zone(args)
        if zone is None:
            return [Reply(_("I do not know the time zone “%(q)s”. Try a city (Nairobi, 北京, New York) or an IANA name "
                            "like Africa/Nairobi.") % {"q": esc(args[:60])})]
        if who.user_id is None:
            return [Reply(_("Reminders need a chat with the bot."))]
        with session_scope(self.engine) as session:
            set_timezone(session=session, user_id=who.user_id, timezone=zone, now=now)
            # Reminders counted in days arrive at 08:00 *your* time: plan them again in the new zone.
            drop_pending(session=session, user_id=who.user_id, due_after=now)
            session.execute(
                Delivery.__table__.delete().where(  # type: ignore[attr-defined]
                    col(Delivery.user_id) == who.user_id, col(Delivery.kind) == "digest", col(Delivery.status) == PENDING)
            )
            sub_ids = [s.id for s in subscriptions_of(session=session, user_id=who.user_id) if s.id is not None]
        self._plan_now(sub_ids, lo=now)
        plan_digests(self.engine, now, lo=now, hi=now + AHEAD, user_ids=[who.user_id],
                     default_zone=self.default_timezone)
        return [Reply(_("Time zone set to %(zone)s (%(offset)s, now %(time)s there).") % {
            "zone": esc(zone), "offset": utc_offset(zone, now), "time": clock_time(now.astimezone(ZoneInfo(zone)))},
            meta={"timezone": zone})]

    # -- /ics ---------------------------------------------------------------------------------------

    def ics(self, args: str, who: Asker) -> list[Reply]:
        """An .ics calendar file for one event, or for everything this user follows."""
        _ = gettext_for(who.lang)
        now = self.now()
        if args:
            target = self._target(args, who)
            if isinstance(target, list):
                return target
            entries = entries_for(self.catalog, *target)
            name = self._label(*target, who.lang)
            filename = f"{target[1] if target[0] == ENTRY else target[1].replace('*', 'all')}.ics"
        else:
            if who.user_id is None:
                return [Reply(_("Reminders need a chat with the bot."))]
            with session_scope(self.engine) as session:
                subs = subscriptions_of(session=session, user_id=who.user_id)
            found: dict[str, Entry] = {}
            for sub in subs:
                for entry in entries_for(self.catalog, sub.target_kind, sub.target):
                    found[entry.id] = entry
            if not found:
                return [Reply(_("You follow nothing yet, so there is no calendar to send. /ics WUF12 sends one event."))]
            entries, name, filename = list(found.values()), _("Habitat Assistant: my subscriptions"), "habitat-subscriptions.ics"
        safe = "".join(c if c.isalnum() or c in "._-" else "_" for c in filename)
        data = ics.calendar(entries, self.catalog, now, who.lang, name)
        count = data.count(b"BEGIN:VEVENT")
        if count == 0:
            return [Reply(_("%(what)s has no dates yet, so there is nothing to add to a calendar. /subscribe to be "
                            "told when dates are announced.") % {"what": esc(name)})]
        n_ = ngettext_for(who.lang)
        text = n_("📅 Calendar file for %(what)s (%(n)d event). Open it to add it to your calendar.",
                  "📅 Calendar file for %(what)s (%(n)d events). Open it to add them to your calendar.", count) % {
            "what": esc(name), "n": count}
        return [Reply(text, attachment=Attachment(safe, data, "text/calendar"))]

    # -- /digest ------------------------------------------------------------------------------------

    def digest(self, args: str, who: Asker) -> list[Reply]:
        """``/digest on [HH:MM]`` or ``/digest off``: a daily note of the coming week."""
        _ = gettext_for(who.lang)
        chat = self._chat(who)
        if who.user_id is None or chat is None:
            return [Reply(_("Reminders need a chat with the bot."))]
        words = args.lower().split()
        usage = _("Usage: /digest on [HH:MM] or /digest off. The digest lists, once a day at your hour, "
                  "what is coming in the next 7 days among what you follow.")
        if not words:
            return [Reply(self._digest_now(who) + "\n" + usage)]
        if words[0] not in ("on", "off", "开", "关", "开启", "关闭"):
            return [Reply(usage)]
        enabled = words[0] in ("on", "开", "开启")
        at = None
        if len(words) > 1:
            at = self._digest_hour(words[1])
            if at is None:
                return [Reply(self._bad_hour(args.split()[1], who) + "\n" + usage)]
        now = self.now()
        with session_scope(self.engine) as session:
            ensure_user(session=session, user_id=who.user_id, now=now)
            setting = set_digest(session=session, user_id=who.user_id, chat_id=chat, enabled=enabled, at=at, now=now)
            hour = setting.at
        if not enabled:
            return [Reply(_("Daily digest turned off."))]
        plan_digests(self.engine, now, lo=now, hi=now + AHEAD, user_ids=[who.user_id],
                     default_zone=self.default_timezone)
        return [Reply(_("Daily digest on: every day at %(at)s (%(zone)s), what is coming in the next 7 days.")
                      % {"at": hour, "zone": esc(who.timezone)})]

    def _digest_now(self, who: Asker) -> str:
        """The current digest setting, in the asker's zone."""
        _ = gettext_for(who.lang)
        assert who.user_id is not None
        with session_scope(self.engine) as session:
            setting = session.get(DigestSetting, who.user_id)
            on, at = (setting.enabled, setting.at) if setting is not None else (False, "")
        if on:
            return _("Your daily digest is on, every day at %(at)s (%(zone)s).") % {"at": at, "zone": esc(who.timezone)}
        return _("Your daily digest is off.")

    @staticmethod
    def _digest_hour(text: str) -> str | None:
        """``08:00`` / ``8:30`` / ``08：00`` → canonical ``HH:MM``; None for anything else."""
        try:
            lead = parse_leads(text)[0]
        except (LeadError, IndexError):
            return None
        return lead.text if lead.at is not None else None

    @staticmethod
    def _bad_hour(text: str, who: Asker) -> str:
        """Why ``text`` is not a time of day: an hour past 23 or minutes past 59, or not a time."""
        _ = gettext_for(who.lang)
        match = re.fullmatch(r"@?(\d{1,2})[:：](\d{2})", text.strip())
        if match and int(match.group(1)) > 23:
            return _("“%(at)s” is not a time of day: the hour goes from 00 to 23.") % {"at": esc(text[:20])}
        if match:
            return _("“%(at)s” is not a time of day: the minutes go from 00 to 59.") % {"at": esc(text[:20])}
        return _("“%(at)s” is not a time of day; write it like 08:00.") % {"at": esc(text[:20])}

    # -- /forget ------------------------------------------------------------------------------------

    def forget(self, args: str, who: Asker) -> list[Reply]:
        """Say what would be deleted and what kept, and ask first: only the button deletes."""
        _ = gettext_for(who.lang)
        if who.user_id is None:
            return [Reply(_("Reminders need a chat with the bot."))]
        with session_scope(self.engine) as session:
            deleted, kept = forget_preview(session=session, user_id=who.user_id)
        if not deleted and not kept:
            return [Reply(_("I store nothing about you."))]
        lines = [_("This deletes:")]
        lines += [f"• {esc(line)}" for line in forget_lines(deleted, who.lang)]
        if kept:
            n_ = ngettext_for(who.lang)
            count = sum(kept.values())
            lines.append(n_("Kept, with a pseudonym instead of your id: %(n)d record others rely on "
                            "(admin actions, subscriptions made in a group).",
                            "Kept, with a pseudonym instead of your id: %(n)d records others rely on "
                            "(admin actions, subscriptions made in a group).", count) % {"n": count})
        lines += [_("This cannot be undone."), f"<b>{_('Delete everything?')}</b>"]
        buttons = [Button("🗑 " + _("Delete everything"), data=ForgetButton("go", who.user_id).pack()),
                   Button(_("Keep my data"), data=ForgetButton("no", who.user_id).pack())]
        return [Reply("\n".join(lines), rows(buttons))]

    def _forget_button(self, button: ForgetButton, who: Asker) -> list[Reply]:
        """The confirmation of /forget, pressed by the person who asked."""
        _ = gettext_for(who.lang)
        if who.user_id is None or button.user_id != who.user_id:
            return [Reply(_("This button is for the person who sent /forget; send /forget yourself."))]
        if button.verb == "no":
            return [Reply(_("Nothing was deleted."))]
        with session_scope(self.engine) as session:
            deleted = forget_user(session=session, user_id=who.user_id,
                                  pseudonym=pseudonym(who.user_id, self.forget_key))
        total = sum(deleted.values())
        n_ = ngettext_for(who.lang)
        return [Reply(n_("Done: I deleted everything I stored about you (%(n)d record).",
                         "Done: I deleted everything I stored about you (%(n)d records).", total) % {"n": total})]

    # -- content changes ----------------------------------------------------------------------------

    @staticmethod
    def _notices(found: dict[str, Change], follows: list[tuple[int, int, str, str]],
                 now: dt.datetime) -> dict[int, tuple[int, list[dict[str, object]]]]:
        """One notice per chat: what changed for everything the chat follows (``follows`` rows are
        user, chat, kind, target). Worked out once per target and once per set of targets, since
        many chats follow the same things."""
        per_target: dict[tuple[str, str], dict[str, list[dict[str, object]]]] = {}
        per_chat: dict[int, tuple[int, set[tuple[str, str]]]] = {}
        for user_id, chat_id, kind, target in follows:
            key = (kind, target)
            if key not in per_target:
                per_target[key] = told(found, kind, target, now)
            if per_target[key]:
                per_chat.setdefault(chat_id, (user_id, set()))[1].add(key)
        payloads: dict[frozenset[tuple[str, str]], list[dict[str, object]]] = {}
        notices: dict[int, tuple[int, list[dict[str, object]]]] = {}
        for chat_id, (user_id, keys) in per_chat.items():
            targets = frozenset(keys)
            if targets not in payloads:
                merged: dict[str, list[dict[str, object]]] = {}
                for key in sorted(targets):
                    for entry_id, aspects in per_target[key].items():
                        known = merged.setdefault(entry_id, [])
                        known.extend(a for a in aspects if a not in known)
                payloads[targets] = [{"entry": i, "names": names(found[i]), "what": merged[i]} for i in sorted(merged)]
            notices[chat_id] = (user_id, payloads[targets])
        return notices

    def on_content_change(self, old: Catalog, new: Catalog) -> None:
        """New content is live: re-plan what moved, and tell each follower of an affected future
        item once, in one message, what changed for what they follow (``reminders/changes.py``).

        Every replica calls this when it switches to the new content; the notices are keyed by
        chat and content version in the outbox, and only a replica that saw the same transition
        as the one recorded in the database (previous version → this one) writes them, so a chat
        is told once per version, never the same change twice.
        """
        now = self.now()
        found = changes(old, new, now)
        notices: dict[int, tuple[int, list[dict[str, object]]]] = {}
        canonical = True
        if found:
            with session_scope(self.engine) as session:
                replan = sorted(i for i, c in found.items() if c.replan)
                if replan:
                    drop_pending(session=session, entry_ids=replan)
                transition = content_transition(session, new.version)
                canonical = transition.previous is None or transition.previous == old.version
                follows = session.execute(
                    select(col(Subscription.user_id), col(Subscription.chat_id), col(Subscription.target_kind),
                           col(Subscription.target)).where(col(Subscription.active).is_(True))
                ).all()
                removed = [i for i, c in found.items() if c.after is None]
                if removed:  # followers of a removed entry are told (below), and follow it no more
                    session.execute(update(Subscription).where(
                        col(Subscription.target_kind) == ENTRY, col(Subscription.target).in_(removed),
                        col(Subscription.active).is_(True)).values(active=False, inactive_reason="removed"))
            if canonical:
                notices = self._notices(found, [tuple(row) for row in follows], now)
                write_notices(self.engine, now, transition.key, notices)
            log.info("content change: %d followed entries changed, %d chats told%s", len(found), len(notices),
                     "" if canonical else " (not by this replica: it skipped a version)")
        # New and moved entries (and new members of followed categories) are planned from now on.
        plan(self.engine, new, now, lo=now, default_zone=self.default_timezone)
