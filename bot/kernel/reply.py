"""A reply as data: HTML text and buttons, shown the same way by Telegram, the console and the CLI."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field

TELEGRAM_LIMIT = 4096
CALLBACK_LIMIT = 64


@dataclass(frozen=True, slots=True)
class Button:
    """An inline button: exactly one of ``data`` (callback), ``url`` or ``inline`` (switch query)."""

    text: str
    data: str | None = None
    url: str | None = None
    inline: str | None = None

    def __post_init__(self) -> None:
        if self.data is not None and not 1 <= len(self.data.encode()) <= CALLBACK_LIMIT:
            raise ValueError(f"callback data must be 1-64 bytes: {self.data!r}")


@dataclass(frozen=True, slots=True)
class Attachment:
    """A file to send with the reply (an .ics calendar, say)."""

    filename: str
    data: bytes
    mime: str = "application/octet-stream"


@dataclass(frozen=True)
class Reply:
    text: str  # Telegram HTML: content escaped, only b/i/u/s/code/pre/a/blockquote tags
    buttons: tuple[tuple[Button, ...], ...] = ()
    attachment: Attachment | None = None
    meta: dict[str, str] = field(default_factory=dict, compare=False)  # e.g. {"entry": id}


def esc(text: str) -> str:
    """Escape text for Telegram HTML (``<``, ``>``, ``&`` and quotes)."""
    return html.escape(text, quote=True)


def rows(buttons: list[Button], per_row: int = 2) -> tuple[tuple[Button, ...], ...]:
    return tuple(tuple(buttons[i : i + per_row]) for i in range(0, len(buttons), per_row))


_TAG = re.compile(r"<[^>]+>")


def plain_text(markup: str) -> str:
    """What a reader sees: tags removed, entities decoded (for the console and the CLI)."""
    return html.unescape(_TAG.sub("", markup))


def visible_length(markup: str) -> int:
    """Length as Telegram counts it after parsing entities (UTF-16 code units)."""
    return len(plain_text(markup).encode("utf-16-le")) // 2


def split_html(markup: str, limit: int = TELEGRAM_LIMIT) -> list[str]:
    """Split at line breaks into parts that each fit ``limit``; our tags never span lines.

    A single line longer than the limit is cut at a character boundary outside tags.
    """
    parts: list[str] = []
    current = ""
    for line in markup.split("\n"):
        candidate = f"{current}\n{line}" if current else line
        if visible_length(candidate) <= limit:
            current = candidate
            continue
        if current:
            parts.append(current)
        while visible_length(line) > limit:
            text = plain_text(line)
            parts.append(esc(text[: limit - 1]) + "…")
            line = esc(text[limit - 1 :])
        current = line
    if current.strip():
        parts.append(current)
    return parts or [markup]
