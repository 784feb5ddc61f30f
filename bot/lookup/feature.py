"""Lookups: an identifier or a name gives the entry's card; /start, /help, /lang, /upcoming.

Transport-free: the router calls these handlers and Telegram, the console and the CLI carry the
replies. The kinds each lookup command finds come from the kinds table (``store/kinds.py``).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable

from bot.kernel.callbacks import (
    AgendaButton,
    CommandButton,
    EntryButton,
    LanguageButton,
    ParagraphButton,
    UpcomingButton,
)
from bot.kernel.cards import choice_reply, entry_reply, paragraph_reply
from bot.kernel.clock import Clock
from bot.kernel.content import ContentService
from bot.kernel.i18n import LANGUAGES, gettext_for, t
from bot.kernel.reply import Button, Reply, esc, rows
from bot.kernel.router import MAX_QUERY, Asker, Command, Feature, Handler, too_long
from bot.lookup.agenda import agenda_reply
from bot.lookup.calendar import today_reply, upcoming_reply, year_asked, year_reply
from store.catalog import Ambiguous, Catalog, Found, NotFound
from store.kinds import LOOKUPS, LookupSpec
from store.normalize import parse_identifier
from store.schema import Kind

log = logging.getLogger(__name__)

#: What /agenda looks among: sessions and meetings.
SESSION_KINDS = frozenset({Kind.SESSION, Kind.MEETING})

#: Plain words that mean a command (a delegate types "help" or "帮助" without the slash).
PLAIN_COMMANDS: dict[str, str] = {
    **dict.fromkeys(("help", "帮助", "?", "？", "menu", "菜单", "命令", "commands"), "help"),
    **dict.fromkeys(("hi", "hello", "hey", "start", "你好", "您好", "开始", "what can you do", "what do you do",
                     "how does this work", "how to use", "你能做什么", "你会什么", "怎么用", "如何使用"), "start"),
    **dict.fromkeys(("upcoming", "coming up", "what's next", "whats next", "即将", "近期日程", "日程", "接下来"), "upcoming"),
    **dict.fromkeys(("today", "今天", "今日", "this week", "本周"), "today"),
}


class LookupFeature:
    """Entry cards, paragraphs, the welcome, help, language and upcoming milestones."""

    def __init__(
        self,
        content: ContentService,
        clock: Clock,
        *,
        commands: Callable[[Asker], list[Command]],
        run_command: Callable[[str, str, Asker], list[Reply]],
        open_link: Callable[[str, Asker], list[Reply] | None],
        remember_language: Callable[[int, str], None],
    ) -> None:
        self.content = content
        self.clock = clock
        self.commands = commands  # what /help lists (the router's, for this asker)
        self.run_command = run_command
        self.open_link = open_link
        self.remember_language = remember_language

    @property
    def catalog(self) -> Catalog:
        return self.content.catalog

    def now(self) -> dt.datetime:
        return self.clock.now()

    def feature(self) -> Feature:
        n = gettext_for
        commands = [
            Command("start", self.start, lambda lang: t(lang, "what this bot does"), shows=True),
            Command("help", self.help, lambda lang: t(lang, "commands and examples"), shows=True),
        ]
        commands += [Command(spec.command, self._lookup_command(spec), self._describe(spec), shows=True)
                     for spec in LOOKUPS]
        commands += [
            Command("upcoming", self.upcoming, lambda lang: t(lang, "the next milestones"), shows=True),
            Command("today", self.today, lambda lang: n(lang)("what is on today and this week"), shows=True),
            Command("agenda", self.agenda, lambda lang: t(lang, "a session's agenda: /agenda HA.1"), shows=True),
            Command("lang", self.lang, lambda lang: n(lang)("language: /lang zh or /lang en"), shows=False),
        ]
        return Feature(
            name="lookup",
            commands=commands,
            buttons={
                EntryButton: self._entry_button,
                AgendaButton: lambda button, who: self.agenda(button.entry_id, who),
                ParagraphButton: self._paragraph_button,
                LanguageButton: lambda button, who: self.lang(button.lang, who),
                UpcomingButton: lambda button, who: self.upcoming("", who),
                CommandButton: self._command_button,
            },
            text=[self.in_year, self.identifier],
            words=PLAIN_COMMANDS,
        )

    @staticmethod
    def _describe(spec: LookupSpec) -> Callable[[str], str]:
        return lambda lang: gettext_for(lang)(spec.help)

    # -- plain text ----------------------------------------------------------------------------

    def identifier(self, text: str, who: Asker) -> list[Reply] | None:
        """An identifier or a name gives its card (or a choice); anything else is not ours."""
        _ = gettext_for(who.lang)
        resolution = self.catalog.resolve(text)
        if isinstance(resolution, Found) and not resolution.fuzzy:
            return [entry_reply(resolution.entry, self.catalog, self.now(), who.lang)]
        if isinstance(resolution, Ambiguous):
            return [choice_reply(_("Several entries match “%(q)s”:") % {"q": esc(text)}, resolution.entries, who.lang)]
        return None

    # -- commands ------------------------------------------------------------------------------

    def start(self, args: str, who: Asker) -> list[Reply]:
        _ = gettext_for(who.lang)
        if args:  # a deep link (t.me/<bot>?start=e_HA_d2) opens what it names, never more
            opened = self.open_link(args.split()[0], who)
            if opened is not None:
                return opened
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
            Button("HA.2", data=EntryButton("HA.2").pack()) if "HA.2" in self.catalog.entries else None,
            Button(_("Resolution 2/7"), data=EntryButton("res-2/7").pack()) if "res-2/7" in self.catalog.entries else None,
            Button(_("Upcoming"), data=UpcomingButton().pack()),
            Button("中文 / English", data=LanguageButton("en" if who.lang == "zh" else "zh").pack()),
        ]
        return [Reply(text, rows([b for b in buttons if b is not None]))]

    def help(self, args: str, who: Asker) -> list[Reply]:
        _ = gettext_for(who.lang)
        lines = ["<b>{}</b>".format(_("Commands"))]
        for command in self.commands(who):
            lines.append(f"/{command.name} — {esc(command.description(who.lang))}")
        lines += ["", _("Or just type an identifier (HA2, ２／７, 人居大会第二届会议) or a question.")]
        return [Reply("\n".join(lines))]

    def lang(self, args: str, who: Asker) -> list[Reply]:
        choice = args.strip().lower()
        if choice not in LANGUAGES:
            _ = gettext_for(who.lang)
            buttons = rows([Button("中文", data=LanguageButton("zh").pack()), Button("English", data=LanguageButton("en").pack())])
            if not choice:
                return [Reply(_("Usage: /lang zh or /lang en"), buttons)]
            return [Reply(_("I do not speak “%(code)s”. The languages are: 中文 (/lang zh) and English (/lang en).")
                          % {"code": esc(args.strip()[:20])}, buttons)]
        if who.user_id is not None:
            self.remember_language(who.user_id, choice)
        _ = gettext_for(choice)
        return [Reply(_("I will answer in English."), meta={"lang": choice})]

    def _lookup_command(self, spec: LookupSpec) -> Handler:
        name, kinds, examples = spec.command, spec.kinds, spec.examples

        def lookup(args: str, who: Asker) -> list[Reply]:
            _ = gettext_for(who.lang)
            if not args:
                lines = "\n".join(f"• <code>/{name} {esc(x)}</code>" for x in examples)
                buttons = [Button(f"/{name} {x}", data=CommandButton(name, x).pack()) for x in examples[:2]]
                return [Reply(_("Usage: /%(name)s followed by an identifier, for example:") % {"name": name}
                              + "\n" + lines, rows(buttons))]
            if len(args) > MAX_QUERY:
                return [too_long(who)]
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
        return [upcoming_reply(self.catalog, self.now(), who.lang)]

    def in_year(self, text: str, who: Asker) -> list[Reply] | None:
        """"2026年有哪些活动", "events in 2026": what the sources date in that year."""
        year = year_asked(text)
        return None if year is None else [year_reply(self.catalog, year, self.now(), who.lang)]

    def today(self, args: str, who: Asker) -> list[Reply]:
        """What is in session or observed today and in the next 7 days, in the asker's zone."""
        return [today_reply(self.catalog, self.now(), who.lang, who.timezone)]

    def agenda(self, args: str, who: Asker) -> list[Reply]:
        """``/agenda HA.1``: the items the sources give and the documents under each."""
        _ = gettext_for(who.lang)
        with_agenda = [e for e in self.catalog.entries.values() if e.agenda is not None]
        if not args:
            examples = [e.id for e in with_agenda][:3]
            lines = [_("Usage: /%(name)s followed by an identifier, for example:") % {"name": "agenda"}]
            lines += [f"• <code>/agenda {esc(x)}</code>" for x in examples]
            buttons = [Button(f"/agenda {x}", data=CommandButton("agenda", x).pack()) for x in examples]
            return [Reply("\n".join(lines), rows(buttons))]
        if len(args) > MAX_QUERY:
            return [too_long(who)]
        resolution = self.catalog.resolve(args, SESSION_KINDS)
        if isinstance(resolution, Found):
            return [agenda_reply(resolution.entry, self.catalog, who.lang)]
        if isinstance(resolution, Ambiguous):
            return [choice_reply(_("Several entries match “%(q)s”:") % {"q": esc(args)}, resolution.entries, who.lang)]
        return self._not_found(args, resolution, who, SESSION_KINDS)

    # -- buttons -------------------------------------------------------------------------------

    def _entry_button(self, button: EntryButton, who: Asker) -> list[Reply]:
        entry = self.catalog.entry(button.entry_id)  # an old button may carry the id an entry had before
        if entry is None:
            return [Reply(t(who.lang, "This entry is no longer in the content. Send /help."))]
        return [entry_reply(entry, self.catalog, self.now(), who.lang)]

    def _paragraph_button(self, button: ParagraphButton, who: Asker) -> list[Reply]:
        paragraph = self.catalog.paragraph(button.doc, button.number)
        if paragraph is None:
            return [Reply(t(who.lang, "This paragraph is no longer in the content. Send /help."))]
        return [paragraph_reply(button.doc, paragraph, self.catalog, who.lang)]

    def _command_button(self, button: CommandButton, who: Asker) -> list[Reply]:
        """An example under a usage line; only commands that show something run from a button."""
        return self.run_command(button.name, button.args, who)

    # -- helpers -------------------------------------------------------------------------------

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

