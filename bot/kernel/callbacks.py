"""Button data: every kind of button packs and parses here, validated, within Telegram's 64 bytes.

Callback data and deep-link payloads come from users' devices and can be forged, so nothing else
splits them by hand: ``parse`` returns a typed value or raises ``BadButton`` (answered politely).
The wire formats (``e:HA.2``, ``s:1:q:text`` …) stay as they were, so buttons under messages sent
before an upgrade keep working.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import ClassVar

from store.schema import ENTRY_ID_PATTERN, PARAGRAPH_PATTERN

#: Telegram refuses callback data over 64 bytes (UTF-8).
CALLBACK_LIMIT = 64
#: Deep-link payloads (``?start=``) allow 64 characters of ``A-Z a-z 0-9 _ -``.
DEEP_LINK_LIMIT = 64

_ENTRY_ID = re.compile(ENTRY_ID_PATTERN)
_COMMAND = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
_CATEGORY = re.compile(r"^[a-z0-9][a-z0-9-]{0,29}$")
_KEY = re.compile(r"^[0-9a-f]{8,16}$")  # 8 hex digits in buttons made before keys were stored
_DIGITS = re.compile(r"^[0-9]{1,13}$")  # ASCII only: str.isdigit() also accepts "²"
_DEEP_LINK = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
MAX_ID = 10**12


class BadButton(ValueError):
    """Button data or a deep-link payload that no button of this bot could have produced."""


def _number(text: str, high: int = MAX_ID) -> int:
    if not _DIGITS.match(text):
        raise BadButton(f"not a number: {text[:20]!r}")
    value = int(text)
    if value > high:
        raise BadButton(f"number out of range: {value}")
    return value


def _matching(pattern: re.Pattern[str], text: str, what: str) -> str:
    if not pattern.match(text):
        raise BadButton(f"not {what}: {text[:40]!r}")
    return text


@dataclass(frozen=True)
class ButtonData:
    """A button's meaning; ``pack`` gives its callback data, ``parse`` reads it back."""

    prefix: ClassVar[str]
    #: May a ``t.me/<bot>?start=`` link open it? Only buttons that show something, never act.
    linkable: ClassVar[bool] = False

    def body(self) -> str:
        return ""

    def pack(self) -> str:
        data = f"{self.prefix}:{self.body()}"
        if len(data.encode()) > CALLBACK_LIMIT:
            raise ValueError(f"callback data over {CALLBACK_LIMIT} bytes: {data!r}")
        return data

    @classmethod
    def read(cls, body: str) -> ButtonData:
        raise NotImplementedError


@dataclass(frozen=True)
class EntryButton(ButtonData):
    """Open an entry's card."""

    prefix: ClassVar[str] = "e"
    linkable: ClassVar[bool] = True
    entry_id: str

    def body(self) -> str:
        return self.entry_id

    @classmethod
    def read(cls, body: str) -> EntryButton:
        return cls(_matching(_ENTRY_ID, body, "an entry id"))


@dataclass(frozen=True)
class AgendaButton(ButtonData):
    """Show a session's agenda and the documents under each item."""

    prefix: ClassVar[str] = "ag"
    linkable: ClassVar[bool] = True
    entry_id: str

    def body(self) -> str:
        return self.entry_id

    @classmethod
    def read(cls, body: str) -> AgendaButton:
        return cls(_matching(_ENTRY_ID, body, "an entry id"))


@dataclass(frozen=True)
class ParagraphButton(ButtonData):
    """Show a source paragraph whole."""

    prefix: ClassVar[str] = "p"
    linkable: ClassVar[bool] = True
    doc: str
    number: str

    def body(self) -> str:
        return f"{self.doc}:{self.number}"

    @classmethod
    def read(cls, body: str) -> ParagraphButton:
        doc, _sep, number = body.rpartition(":")
        return cls(_matching(_ENTRY_ID, doc, "a document id"), _matching(PARAGRAPH_PATTERN, number, "a paragraph"))


@dataclass(frozen=True)
class LanguageButton(ButtonData):
    """Switch the reply language."""

    prefix: ClassVar[str] = "lang"
    lang: str

    def body(self) -> str:
        return self.lang

    @classmethod
    def read(cls, body: str) -> LanguageButton:
        if body not in ("zh", "en"):
            raise BadButton(f"unknown language {body[:10]!r}")
        return cls(body)


@dataclass(frozen=True)
class UpcomingButton(ButtonData):
    """List the coming milestones."""

    prefix: ClassVar[str] = "up"
    linkable: ClassVar[bool] = True

    @classmethod
    def read(cls, body: str) -> UpcomingButton:
        if body:
            raise BadButton("upcoming takes nothing")
        return cls()


@dataclass(frozen=True)
class CommandButton(ButtonData):
    """Run a command that only shows something (an example under a usage line, ``/ics WUF12``)."""

    prefix: ClassVar[str] = "x"
    name: str
    args: str = ""

    def body(self) -> str:
        return f"{self.name} {self.args}".rstrip()

    @classmethod
    def read(cls, body: str) -> CommandButton:
        name, _sep, args = body.partition(" ")
        return cls(_matching(_COMMAND, name, "a command"), args.strip())


@dataclass(frozen=True)
class SuggestedCommand(ButtonData):
    """Run the command offered for a misspelt one (``/resolutoin 2/9`` → /resolution 2/9), as typed."""

    prefix: ClassVar[str] = "y"
    name: str
    args: str = ""

    def body(self) -> str:
        return f"{self.name} {self.args}".rstrip()

    @classmethod
    def read(cls, body: str) -> SuggestedCommand:
        name, _sep, args = body.partition(" ")
        return cls(_matching(_COMMAND, name, "a command"), args.strip())

    def fits(self) -> bool:
        return len(f"{self.prefix}:{self.body()}".encode()) <= CALLBACK_LIMIT


@dataclass(frozen=True)
class SearchPage(ButtonData):
    """A page of search results: the query travels in the button, or a key to the stored query."""

    prefix: ClassVar[str] = "s"
    page: int
    query: str = ""
    key: str = ""

    def body(self) -> str:
        return f"{self.page}:k:{self.key}" if self.key else f"{self.page}:q:{self.query}"

    @classmethod
    def read(cls, body: str) -> SearchPage:
        page_text, _sep, rest = body.partition(":")
        how, _sep, value = rest.partition(":")
        page = _number(page_text, 10_000)
        if how == "q" and value.strip():
            return cls(page, query=value)
        if how == "k":
            return cls(page, key=_matching(_KEY, value, "a query key"))
        raise BadButton("a search page needs a query")

    def fits(self) -> bool:
        return len(f"{self.prefix}:{self.body()}".encode()) <= CALLBACK_LIMIT


@dataclass(frozen=True)
class BroadcastButton(ButtonData):
    """Send or cancel a prepared broadcast (admins)."""

    prefix: ClassVar[str] = "bc"
    verb: str
    broadcast_id: int

    def body(self) -> str:
        return f"{self.verb}:{self.broadcast_id}"

    @classmethod
    def read(cls, body: str) -> BroadcastButton:
        verb, _sep, ident = body.partition(":")
        if verb not in ("go", "no"):
            raise BadButton(f"unknown broadcast action {verb[:10]!r}")
        return cls(verb, _number(ident))


@dataclass(frozen=True)
class SubscribeButton(ButtonData):
    """Follow an entry (its id), a category (``cat-wuf``) or everything (``all``)."""

    prefix: ClassVar[str] = "sub"
    linkable: ClassVar[bool] = True  # a link shows the offer; only the offer's button subscribes
    target: str

    def body(self) -> str:
        return self.target

    @property
    def category(self) -> str | None:
        return self.target[4:] if self.target.startswith("cat-") else None

    @classmethod
    def read(cls, body: str) -> SubscribeButton:
        if body == "all":
            return cls(body)
        if body.startswith("cat-"):
            _matching(_CATEGORY, body[4:], "a category")
            return cls(body)
        return cls(_matching(_ENTRY_ID, body, "an entry id"))


@dataclass(frozen=True)
class UnsubscribeButton(ButtonData):
    """Stop one subscription."""

    prefix: ClassVar[str] = "uns"
    subscription_id: int

    def body(self) -> str:
        return str(self.subscription_id)

    @classmethod
    def read(cls, body: str) -> UnsubscribeButton:
        return cls(_number(body))


@dataclass(frozen=True)
class SnoozeButton(ButtonData):
    """Remind again in an hour."""

    prefix: ClassVar[str] = "snz"
    delivery_id: int

    def body(self) -> str:
        return str(self.delivery_id)

    @classmethod
    def read(cls, body: str) -> SnoozeButton:
        return cls(_number(body))


@dataclass(frozen=True)
class CalendarButton(ButtonData):
    """Act on the user's calendar feed: ``reset`` gives a new address and revokes the old one."""

    prefix: ClassVar[str] = "cal"
    action: str

    def body(self) -> str:
        return self.action

    @classmethod
    def read(cls, body: str) -> CalendarButton:
        if body != "reset":
            raise BadButton(f"unknown calendar action {body[:10]!r}")
        return cls(body)


KINDS: dict[str, type[ButtonData]] = {
    cls.prefix: cls
    for cls in (EntryButton, AgendaButton, ParagraphButton, LanguageButton, UpcomingButton, CommandButton,
                SuggestedCommand, SearchPage,
                BroadcastButton, SubscribeButton, UnsubscribeButton, SnoozeButton, CalendarButton)
}


def register(cls: type[ButtonData]) -> type[ButtonData]:
    """Add a kind of button (a feature's own); its prefix must be new."""
    if cls.prefix in KINDS and KINDS[cls.prefix] is not cls:
        raise ValueError(f"button prefix {cls.prefix!r} is taken")
    KINDS[cls.prefix] = cls
    return cls


def parse(data: str) -> ButtonData:
    """The typed button for callback data; ``BadButton`` for anything this bot did not make."""
    if not isinstance(data, str) or len(data.encode("utf-8", "surrogatepass")) > CALLBACK_LIMIT:
        raise BadButton("callback data missing or too long")
    prefix, sep, body = data.partition(":")
    kind = KINDS.get(prefix)
    if kind is None or not sep:
        raise BadButton(f"unknown button {prefix[:10]!r}")
    return kind.read(body)


_ESCAPES = {".": "_d", "/": "_s", ":": "_c", "_": "_u"}
_UNESCAPES = {code[1]: char for char, code in _ESCAPES.items()}
_ESCAPED = re.compile(r"_(.?)")


def to_deep_link(button: ButtonData) -> str:
    """``?start=`` payload of a linkable button: ``sub_HA_d2`` (``.`` → ``_d``, ``/`` → ``_s``).

    A link allows only ``A-Z a-z 0-9 _ -``, so ``_`` escapes the rest (and itself, ``_u``).
    """
    if not button.linkable:
        raise ValueError(f"{type(button).__name__} cannot be opened from a link")
    body = "".join(_ESCAPES.get(char, char) for char in button.body())
    payload = f"{button.prefix}_{body}"
    if len(payload) > DEEP_LINK_LIMIT:
        raise ValueError(f"deep link over {DEEP_LINK_LIMIT} characters: {payload!r}")
    return payload


def from_deep_link(payload: str) -> ButtonData:
    """The button a ``?start=`` payload opens; only linkable (showing, never acting) buttons."""
    if not _DEEP_LINK.match(payload):
        raise BadButton("not a deep-link payload")
    prefix, _sep, body = payload.partition("_")
    kind = KINDS.get(prefix)
    if kind is None or not kind.linkable:
        raise BadButton(f"links cannot open {prefix[:10]!r}")

    def unescape(match: re.Match[str]) -> str:
        if match.group(1) not in _UNESCAPES:
            raise BadButton(f"bad escape in a link: {match.group(0)!r}")
        return _UNESCAPES[match.group(1)]

    return kind.read(_ESCAPED.sub(unescape, body))
