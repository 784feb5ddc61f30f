"""Routing a message, a command or a button to the feature that answers it, as transport-free data.

Features declare what they add in a ``Feature`` (commands, buttons, text handlers, jobs, content
subscribers); the composition root includes them in order. Telegram, the console and the CLI all
call ``Router`` and only carry its replies.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from rapidfuzz.distance import OSA

from bot.kernel.callbacks import BadButton, ButtonData, SuggestedCommand, from_deep_link, parse
from bot.kernel.i18n import gettext_for, ngettext_for, t
from bot.kernel.language import has_words, written_in
from bot.kernel.reply import Button, Reply, esc, rows
from store.catalog import Catalog
from store.normalize import fold

log = logging.getLogger(__name__)

MAX_QUERY = 300  # characters; a longer message is not an identifier or a question we can match
MAX_ARGS = MAX_QUERY * 10


@dataclass(frozen=True)
class Asker:
    """Who is asking, as far as answers care: id, language, time zone, admin or not."""

    user_id: int | None = None
    lang: str = "zh"
    timezone: str = "Africa/Nairobi"
    chat_id: int | None = None
    is_admin: bool = False
    #: The language was chosen with /lang (a question's own language does not override it).
    chosen_lang: bool = False


Handler = Callable[[str, Asker], list[Reply]]
B = TypeVar("B", bound=ButtonData)
ButtonHandler = Callable[[Any, Asker], list[Reply]]
#: A text handler answers a plain message, or returns None to let the next one try.
TextHandler = Callable[[str, Asker], list[Reply] | None]


@dataclass(frozen=True)
class Command:
    name: str
    handler: Handler
    description: Callable[[str], str]  # language -> one line for /help and the command menu
    admin: bool = False
    #: Shows something without changing anything, so an example button may run it.
    shows: bool = False
    #: Does what cannot be undone: a misspelt name is offered as a button, never run on a guess.
    irreversible: bool = False


@dataclass(frozen=True)
class Job:
    """Work a feature needs done periodically (off the event loop when ``run`` is synchronous)."""

    name: str
    every: float  # seconds
    run: Callable[[], Awaitable[object] | object]
    first: float = 1.0


@dataclass
class Feature:
    """What a feature adds to the bot; the composition root includes it into the router."""

    name: str
    commands: list[Command] = field(default_factory=list)
    buttons: dict[type[ButtonData], ButtonHandler] = field(default_factory=dict)
    #: How a ``?start=`` link opens a button, when it must differ from a press (an offer, say).
    links: dict[type[ButtonData], ButtonHandler] = field(default_factory=dict)
    text: list[TextHandler] = field(default_factory=list)
    jobs: list[Job] = field(default_factory=list)
    on_content_change: list[Callable[[Catalog, Catalog], None]] = field(default_factory=list)
    #: Plain words that mean a command without the slash ("help", "帮助").
    words: dict[str, str] = field(default_factory=dict)


class Router:
    """Commands, buttons and plain text, routed to the features included (in the order included)."""

    def __init__(self) -> None:
        self.commands: dict[str, Command] = {}
        self.buttons: dict[type[ButtonData], ButtonHandler] = {}
        self.links: dict[type[ButtonData], ButtonHandler] = {}
        self.text: list[TextHandler] = []
        self.words: dict[str, str] = {}
        self.features: list[Feature] = []
        self.buttons[SuggestedCommand] = self._suggested

    def include(self, feature: Feature) -> None:
        for command in feature.commands:
            if command.name in self.commands:
                raise ValueError(f"/{command.name} is declared twice")
            self.commands[command.name] = command
        self.buttons.update(feature.buttons)
        self.links.update(feature.links)
        self.text.extend(feature.text)
        self.words.update(feature.words)
        self.features.append(feature)

    def visible_commands(self, who: Asker) -> list[Command]:
        """The commands ``who`` may use, in the order declared (admins see theirs too)."""
        return [c for c in self.commands.values() if who.is_admin or not c.admin]

    def menu_commands(self, *, admin: bool) -> Iterable[Command]:
        return (c for c in self.commands.values() if admin or not c.admin)

    # -- entry points ----------------------------------------------------------------------------

    def command(self, name: str, args: str, who: Asker) -> list[Reply]:
        """Answer ``/name args``; a misspelt name runs or offers the closest command, else /help."""
        who = speaking(args, who)
        command = self.commands.get(name.lower())
        if command is None:
            return self._misspelt(name, args, who)
        if len(args) > MAX_ARGS:
            return [too_long(who)]
        return command.handler(args.strip(), who)

    def _misspelt(self, name: str, args: str, who: Asker) -> list[Reply]:
        """``/resolutoin 2/9`` runs /resolution when it is clearly the closest; when unsure, offer."""
        _ = gettext_for(who.lang)
        unknown = Reply(_("Unknown command /%(name)s. Send /help for the list of commands.") % {"name": esc(name[:40])})
        typed = fold(name)[:40]
        if len(typed) < 3:
            return [unknown]
        ranked = sorted((OSA.distance(typed, c.name), c.name) for c in self.visible_commands(who))
        if not ranked:
            return [unknown]
        best, closest = ranked[0]
        second = ranked[1][0] if len(ranked) > 1 else best + 99
        command = self.commands[closest]
        clear = best <= max(1, len(closest) // 4) and second - best >= 2
        if clear and not command.irreversible and not command.admin:
            return self.command(closest, args, who)
        near = [c for d, c in ranked if d <= max(1, len(c) // 3) and d <= best + 1]
        near = list(dict.fromkeys(near + [c for _d, c in ranked if c.startswith(typed)]))[:3]
        if not near:
            return [unknown]
        buttons = []
        for candidate in near:
            button = SuggestedCommand(candidate, args.strip())
            if button.fits():
                buttons.append(Button(f"/{candidate} {args.strip()}".rstrip()[:60], data=button.pack()))
        offered = ", ".join(f"/{c}" for c in near)
        text = _("Unknown command /%(name)s. Did you mean %(offered)s?") % {"name": esc(name[:40]), "offered": offered}
        return [Reply(text, rows(buttons, per_row=1))]

    def _suggested(self, button: SuggestedCommand, who: Asker) -> list[Reply]:
        """A command offered for a misspelt one, pressed: run it as if typed (admins' only for admins)."""
        command = self.commands.get(button.name)
        if command is None or (command.admin and not who.is_admin):
            return [stale(who)]
        return self.command(button.name, button.args, who)

    def run_shown(self, name: str, args: str, who: Asker) -> list[Reply]:
        """A command run by an example button: only one that shows something, never one that acts."""
        command = self.commands.get(name)
        if command is None or not command.shows or (command.admin and not who.is_admin):
            return [stale(who)]
        return self.command(name, args, who)

    def message(self, text: str, who: Asker) -> list[Reply]:
        """Answer a plain message: a command typed as text, a plain command word, then the text handlers."""
        text = text.strip()
        if fold(text[:1]) == "/" and len(text) > 1:
            name, _sep, args = text[1:].partition(" ")
            return self.command(fold(name.split("@")[0]), args, who)
        who = speaking(text, who)
        _ = gettext_for(who.lang)
        if not text:
            return [Reply(_("Send an identifier such as HA.2 or 2/7, or a question. /help lists the commands."))]
        if len(text) > MAX_QUERY:
            return [too_long(who)]
        key = fold(text).rstrip("!！.。")
        plain = self.words.get(key.rstrip("?？ ") or key)  # "help?" is "help"; "?" alone is a word too
        if plain is not None:
            return self.command(plain, "", who)
        if not has_words(text):
            return [Reply(_("Nothing found for “%(q)s”. Send /help for commands and examples.") % {"q": esc(text[:60])})]
        for handler in self.text:
            replies = handler(text, who)
            if replies is not None:
                return replies
        return [Reply(_("Nothing found for “%(q)s”. Send /help for commands and examples.") % {"q": esc(text[:60])})]

    def callback(self, data: str, who: Asker) -> list[Reply]:
        """Answer a button press; forged, foreign or stale data get a short, polite answer."""
        try:
            button = parse(data)
        except BadButton as exc:
            log.info("button refused: %s", exc)
            return [stale(who)]
        return self.press(button, who)

    def press(self, button: ButtonData, who: Asker) -> list[Reply]:
        handler = self.buttons.get(type(button))
        if handler is None:
            return [stale(who)]
        return handler(button, who)

    def open_link(self, payload: str, who: Asker) -> list[Reply] | None:
        """What a ``?start=`` payload opens, or None when it is not one of ours (plain /start)."""
        try:
            button = from_deep_link(payload)
        except BadButton as exc:
            log.info("deep link refused: %s", exc)
            return None
        handler = self.links.get(type(button)) or self.buttons.get(type(button))
        return handler(button, who) if handler is not None else None


def speaking(text: str, who: Asker) -> Asker:
    """``who``, answered in the language ``text`` is written in, unless they chose one with /lang.

    Text without words (``HA.2``, ``2/7``, a bare command) keeps Telegram's language.
    """
    if who.chosen_lang:
        return who
    lang = written_in(text)
    return dataclasses.replace(who, lang=lang) if lang and lang != who.lang else who


def stale(who: Asker) -> Reply:
    return Reply(t(who.lang, "This button is no longer valid. Send /help."))


def too_long(who: Asker) -> Reply:
    n_ = ngettext_for(who.lang)
    return Reply(n_("That message is too long to look up (at most %(n)d character). Try a few key words.",
                    "That message is too long to look up (at most %(n)d characters). Try a few key words.",
                    MAX_QUERY) % {"n": MAX_QUERY})
