"""The answers: what the bot says to a command, a message or a button, as transport-free data.

Telegram handlers, the console and the CLI all call this one core and only carry its replies.
Other areas (search, subscriptions, admin) plug in their commands and button prefixes through
``register_command`` and ``register_callback`` so help, menus and routing stay in one place.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from bot.kernel.cards import choice_reply, entry_reply, paragraph_reply, short_label
from bot.kernel.clock import Clock
from bot.kernel.dates import date_range, until
from bot.kernel.i18n import gettext_for, ngettext_for, t
from bot.kernel.occurrences import upcoming
from bot.kernel.reply import Button, Reply, esc, rows
from store.catalog import Ambiguous, Catalog, Found, NotFound
from store.normalize import fold, parse_identifier
from store.schema import Kind

log = logging.getLogger(__name__)

MAX_QUERY = 300  # characters; a longer message is not an identifier or a question we can match

#: Plain words that mean a command (a delegate types "help" or "帮助" without the slash).
PLAIN_COMMANDS: dict[str, str] = {
    **dict.fromkeys(("help", "帮助", "?", "？", "menu", "菜单", "命令", "commands"), "help"),
    **dict.fromkeys(("hi", "hello", "hey", "start", "你好", "您好", "开始"), "start"),
    **dict.fromkeys(("upcoming", "coming up", "what's next", "whats next", "即将", "近期日程", "日程", "接下来"), "upcoming"),
}


def to_deep_link(value: str) -> str:
    """Encode an entry id for a ``?start=`` payload, which allows only ``A-Z a-z 0-9 _ -``.

    Ids never contain ``_``, so it can escape: ``.`` → ``_d``, ``/`` → ``_s`` (HA.2 → HA_d2).
    """
    return value.replace(".", "_d").replace("/", "_s")


def from_deep_link(payload: str) -> str:
    """Decode what ``to_deep_link`` made; a plain id passes through unchanged."""
    return payload.replace("_d", ".").replace("_s", "/")


@dataclass(frozen=True)
class Asker:
    """Who is asking, as far as answers care: id, language, time zone, admin or not."""

    user_id: int | None = None
    lang: str = "zh"
    timezone: str = "Africa/Nairobi"
    chat_id: int | None = None
    is_admin: bool = False


Handler = Callable[[str, Asker], list[Reply]]

#: What each lookup command may find.
LOOKUP_KINDS: dict[str, frozenset[Kind]] = {
    "session": frozenset({Kind.SESSION, Kind.MEETING}),
    "resolution": frozenset({Kind.RESOLUTION}),
    "decision": frozenset({Kind.DECISION}),
    "doc": frozenset({Kind.DOCUMENT}),
    "event": frozenset({Kind.EVENT, Kind.MEETING, Kind.SESSION}),
}
EXAMPLES: dict[str, tuple[str, ...]] = {
    "session": ("HA.2", "人居大会第一届会议", "WUF12"),
    "resolution": ("2/7", "第2/2号决议", "2/1"),
    "decision": ("2/2", "2/1"),
    "doc": ("HSP/EB.2023/18", "HSP/HA.2/7"),
    "event": ("城市十月", "World Cities Day", "WUF13"),
}


@dataclass
class Command:
    name: str
    handler: Handler
    description: Callable[[str], str]  # language -> one line for /help and the command menu
    admin: bool = False


@dataclass
class Core:
    catalog: Catalog
    clock: Clock
    default_timezone: str = "Africa/Nairobi"
    set_language: Callable[[int, str], None] | None = None
    commands: dict[str, Command] = field(default_factory=dict)
    callbacks: dict[str, Handler] = field(default_factory=dict)
    #: Plain messages that are not identifiers go here (the search area replaces it).
    search: Handler | None = None

    def __post_init__(self) -> None:
        self.register_command("start", self.start, lambda lang: t(lang, "what this bot does"))
        self.register_command("help", self.help, lambda lang: t(lang, "commands and examples"))
        for name, describe in (
            ("session", lambda lang: t(lang, "a session or meeting: /session HA.2")),
            ("resolution", lambda lang: t(lang, "a resolution: /resolution 2/7")),
            ("decision", lambda lang: t(lang, "a decision: /decision 2/2")),
            ("doc", lambda lang: t(lang, "a document: /doc HSP/EB.2023/18")),
            ("event", lambda lang: t(lang, "an event: /event 城市十月")),
        ):
            self.register_command(name, self._lookup_command(name), describe)
        self.register_command("upcoming", self.upcoming, lambda lang: t(lang, "the next milestones"))
        self.register_command("lang", self.lang, lambda lang: t(lang, "language: /lang zh or /lang en"))
        self.register_callback("e", self._entry_button)
        self.register_callback("p", self._paragraph_button)
        self.register_callback("lang", lambda data, who: self.lang(data, who))
        self.register_callback("up", lambda data, who: self.upcoming(data, who))
        self.register_callback("x", self._example_button)

    # -- registry ------------------------------------------------------------------------------

    def register_command(
        self, name: str, handler: Handler, description: Callable[[str], str], *, admin: bool = False
    ) -> None:
        self.commands[name] = Command(name, handler, description, admin)

    def register_callback(self, prefix: str, handler: Handler) -> None:
        """Buttons whose data is ``<prefix>:<rest>`` call ``handler(rest, asker)``."""
        self.callbacks[prefix] = handler

    # -- entry points --------------------------------------------------------------------------

    def now(self) -> dt.datetime:
        return self.clock.now()

    def command(self, name: str, args: str, who: Asker) -> list[Reply]:
        """Answer ``/name args``; an unknown command points to /help."""
        _ = gettext_for(who.lang)
        command = self.commands.get(name.lower())
        if command is None:
            return [Reply(_("Unknown command /%(name)s. Send /help for the list of commands.") % {"name": esc(name[:40])})]
        if len(args) > MAX_QUERY * 10:
            return [self._too_long(who)]
        return command.handler(args.strip(), who)

    def message(self, text: str, who: Asker) -> list[Reply]:
        """Answer a plain message: an identifier is resolved as one, anything else is searched."""
        text = text.strip()
        _ = gettext_for(who.lang)
        if not text:
            return [Reply(_("Send an identifier such as HA.2 or 2/7, or a question. /help lists the commands."))]
        if len(text) > MAX_QUERY:
            return [self._too_long(who)]
        if fold(text[:1]) == "/":
            name, _sep, args = text[1:].partition(" ")
            return self.command(fold(name.split("@")[0]), args, who)
        plain = PLAIN_COMMANDS.get(fold(text).rstrip("!！.。"))
        if plain is not None:
            return self.command(plain, "", who)
        resolution = self.catalog.resolve(text)
        if isinstance(resolution, Found) and not resolution.fuzzy:
            return [entry_reply(resolution.entry, self.catalog, self.now(), who.lang)]
        if isinstance(resolution, Ambiguous):
            return [choice_reply(_("Several entries match “%(q)s”:") % {"q": esc(text)}, resolution.entries, who.lang)]
        if self.search is not None:
            return self.search(text, who)
        return self._not_found(text, resolution, who)

    def callback(self, data: str, who: Asker) -> list[Reply]:
        """Answer a button press; stale or unknown buttons get a clear answer."""
        prefix, _sep, rest = data.partition(":")
        handler = self.callbacks.get(prefix)
        if handler is None:
            return [Reply(t(who.lang, "This button is no longer valid. Send /help."))]
        return handler(rest, who)

    # -- commands ------------------------------------------------------------------------------

    def start(self, args: str, who: Asker) -> list[Reply]:
        _ = gettext_for(who.lang)
        if args and "_" in args:  # a deep link: t.me/<bot>?start=sub_HA_d2 runs the button sub:HA.2
            prefix, _sep, rest = args.partition("_")
            if prefix in self.callbacks:
                return self.callback(f"{prefix}:{from_deep_link(rest)}", who)
        text = "\n".join([
            _("<b>Habitat Assistant</b> answers questions about UN-Habitat's governing bodies: "
              "sessions, resolutions, decisions, documents and events, each with its source "
              "(document symbol and paragraph)."),
            "",
            _("Type an identifier or a question, for example:"),
            "• <code>/session HA.2</code>",
            "• <code>/resolution 2/7</code>",
            "• <code>/doc HSP/EB.2023/18</code>",
            "• <code>/event 城市十月</code>",
            "• <code>贫民窟改造</code>",
            "",
            _("/help lists every command."),
        ])
        buttons = [
            Button("HA.2", data="e:HA.2") if "HA.2" in self.catalog.entries else None,
            Button(_("Resolution 2/7"), data="e:res-2/7") if "res-2/7" in self.catalog.entries else None,
            Button(_("Upcoming"), data="up:"),
            Button("中文 / English", data="lang:" + ("en" if who.lang == "zh" else "zh")),
        ]
        return [Reply(text, rows([b for b in buttons if b is not None]))]

    def help(self, args: str, who: Asker) -> list[Reply]:
        _ = gettext_for(who.lang)
        lines = ["<b>{}</b>".format(_("Commands"))]
        for command in self.commands.values():
            if command.admin and not who.is_admin:
                continue
            lines.append(f"/{command.name} — {esc(command.description(who.lang))}")
        lines += ["", _("Or just type an identifier (HA2, ２／７, 人居大会第二届会议) or a question.")]
        return [Reply("\n".join(lines))]

    def lang(self, args: str, who: Asker) -> list[Reply]:
        choice = args.strip().lower()
        if choice not in ("zh", "en"):
            _ = gettext_for(who.lang)
            return [Reply(_("Usage: /lang zh or /lang en"), rows([Button("中文", data="lang:zh"), Button("English", data="lang:en")]))]
        if self.set_language is not None and who.user_id is not None:
            self.set_language(who.user_id, choice)
        _ = gettext_for(choice)
        return [Reply(_("I will answer in English."), meta={"lang": choice})]

    def _lookup_command(self, name: str) -> Handler:
        kinds = LOOKUP_KINDS[name]

        def lookup(args: str, who: Asker) -> list[Reply]:
            _ = gettext_for(who.lang)
            if not args:
                examples = "\n".join(f"• <code>/{name} {esc(x)}</code>" for x in EXAMPLES[name])
                buttons = [Button(f"/{name} {x}", data=f"x:{name} {x}") for x in EXAMPLES[name][:2]]
                return [Reply(_("Usage: /%(name)s followed by an identifier, for example:") % {"name": name}
                              + "\n" + examples, rows(buttons))]
            if len(args) > MAX_QUERY:
                return [self._too_long(who)]
            resolution = self.catalog.resolve(args, kinds)
            if isinstance(resolution, Found):
                fuzzy = args if resolution.fuzzy else None
                return [entry_reply(resolution.entry, self.catalog, self.now(), who.lang, fuzzy_from=fuzzy)]
            if isinstance(resolution, Ambiguous):
                return [choice_reply(_("Several entries match “%(q)s”:") % {"q": esc(args)}, resolution.entries, who.lang)]
            return self._not_found(args, resolution, who, kinds)

        return lookup

    def upcoming(self, args: str, who: Asker) -> list[Reply]:
        """The next milestones from now; recurring ones computed for the coming year."""
        _ = gettext_for(who.lang)
        now = self.now()
        found = upcoming(self.catalog.entries.values(), now, days=366)[:12]
        if not found:
            return [Reply(_("Nothing is scheduled in the coming year in the bot's sources."))]
        lines = ["<b>{}</b>".format(_("Coming up"))]
        buttons = []
        for occurrence in found:
            entry = self.catalog.entries[occurrence.entry_id]
            span = date_range(occurrence.first_day, occurrence.last_day, who.lang)
            distance = until(now, occurrence.starts_at, occurrence.ends_at, who.lang)
            place = f" · {esc(entry.place.get(who.lang))}" if entry.place else ""
            lines.append(f"• <b>{span}</b> — {esc(entry.names.get(who.lang))}{place} ({distance})")
            buttons.append(Button(short_label(entry, who.lang), data=f"e:{entry.id}"))
        return [Reply("\n".join(lines), rows(buttons[:8]))]

    # -- buttons -------------------------------------------------------------------------------

    def _entry_button(self, entry_id: str, who: Asker) -> list[Reply]:
        entry = self.catalog.entries.get(entry_id)
        if entry is None:
            return [Reply(t(who.lang, "This entry is no longer in the content. Send /help."))]
        return [entry_reply(entry, self.catalog, self.now(), who.lang)]

    def _paragraph_button(self, data: str, who: Asker) -> list[Reply]:
        doc, _sep, number = data.rpartition(":")
        paragraph = self.catalog.paragraph(doc, number)
        if paragraph is None:
            return [Reply(t(who.lang, "This paragraph is no longer in the content. Send /help."))]
        return [paragraph_reply(doc, paragraph, self.catalog, who.lang)]

    def _example_button(self, data: str, who: Asker) -> list[Reply]:
        name, _sep, args = data.partition(" ")
        return self.command(name, args, who)

    # -- helpers -------------------------------------------------------------------------------

    def _too_long(self, who: Asker) -> Reply:
        n_ = ngettext_for(who.lang)
        return Reply(n_("That message is too long to look up (at most %(n)d character). Try a few key words.",
                        "That message is too long to look up (at most %(n)d characters). Try a few key words.",
                        MAX_QUERY) % {"n": MAX_QUERY})

    def _not_found(self, query: str, resolution: object, who: Asker, kinds: frozenset[Kind] | None = None) -> list[Reply]:
        _ = gettext_for(who.lang)
        shown = esc(query if len(query) <= 60 else query[:59] + "…")
        suggestions = resolution.suggestions if isinstance(resolution, NotFound) else ()
        parsed = parse_identifier(query)
        if parsed and not suggestions and kinds:
            # An unknown number: offer the known numbers of the same session (2/11 → 2/1 … 2/10).
            session = parsed.numbers[0].split("/")[0]
            suggestions = tuple(
                e for e in self.catalog.by_kind(kinds) if e.number and e.number.split("/")[0] == session
            )[:5]
        if suggestions:
            return [choice_reply(_("Nothing found for “%(q)s”. Did you mean:") % {"q": shown}, suggestions, who.lang)]
        return [Reply(_("Nothing found for “%(q)s”. Send /help for commands and examples.") % {"q": shown})]

