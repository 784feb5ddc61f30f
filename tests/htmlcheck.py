"""Checks that mirror what Telegram's Bot API accepts, so bad markup fails in tests, not in production.

Telegram rejects a whole message (400 "can't parse entities") when its HTML is off by one
unescaped ``<``; these helpers apply the same rules locally.  ``parse_telegram_html`` also yields
the plain text and entities Telegram would store, which the fake server echoes back.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "ALLOWED_TAGS",
    "MAX_CALLBACK_DATA_BYTES",
    "MAX_CAPTION_LENGTH",
    "MAX_MESSAGE_LENGTH",
    "TelegramHtmlError",
    "assert_callback_data",
    "assert_telegram_html",
    "assert_text_length",
    "parse_telegram_html",
]

MAX_MESSAGE_LENGTH = 4096
MAX_CAPTION_LENGTH = 1024
MAX_CALLBACK_DATA_BYTES = 64

# Tag -> MessageEntity type (Bot API "HTML style" section).
ALLOWED_TAGS: dict[str, str] = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
}

_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_ENTITY_RE = re.compile(r"&(?:#([0-9]+)|#[xX]([0-9a-fA-F]+)|([a-zA-Z]+));")
_TAG_NAME_RE = re.compile(r"[a-zA-Z][a-zA-Z0-9-]*")
_ATTR_RE = re.compile(r"""\s*([a-zA-Z_][a-zA-Z0-9_-]*)(?:\s*=\s*("[^"]*"|'[^']*'|[^\s"'>]+))?""")


class TelegramHtmlError(AssertionError):
    """An AssertionError that also carries the description Telegram would answer with."""

    def __init__(self, message: str, description: str) -> None:
        super().__init__(message)
        self.description = description


@dataclass
class _OpenTag:
    name: str
    start: int  # offset in UTF-16 code units of the plain text
    byte_offset: int
    attrs: dict[str, str] = field(default_factory=dict)
    language: str | None = None


def _utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _decode_entity(match: re.Match[str]) -> str | None:
    """Decode one ``&...;`` entity the way Telegram does, or None when Telegram would reject it."""
    dec, hexa, name = match.groups()
    if name is not None:
        return _NAMED_ENTITIES.get(name)
    code = int(dec) if dec is not None else int(hexa, 16)
    if code == 0 or code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
        return None
    return chr(code)


def _decode_attr_value(value: str) -> str:
    """Attribute values may contain entities; unknown ones stay literal (as in Telegram)."""

    def repl(m: re.Match[str]) -> str:
        decoded = _decode_entity(m)
        return m.group(0) if decoded is None else decoded

    return _ENTITY_RE.sub(repl, value)


def _fail(text: str, pos: int, reason: str) -> TelegramHtmlError:
    """Build the error with context so a failing test shows exactly where the markup breaks."""
    byte_offset = len(text[:pos].encode("utf-8"))
    snippet = text[max(0, pos - 30) : pos + 30]
    detail = f"{reason} at byte offset {byte_offset}"
    return TelegramHtmlError(
        f"Telegram would reject this HTML: {detail}; near {snippet!r}\nfull text: {text!r}",
        f"Bad Request: can't parse entities: {detail}",
    )


def _parse_attrs(text: str, raw: str, pos: int, tag: str) -> dict[str, str]:
    attrs: dict[str, str] = {}
    rest = raw
    while rest.strip():
        m = _ATTR_RE.match(rest)
        if not m or m.end() == 0:
            raise _fail(text, pos, f'Invalid attributes in start tag "{tag}"')
        value = m.group(2)
        if value is None:
            value = ""
        elif value[:1] in "\"'":
            value = value[1:-1]
        attrs[m.group(1).lower()] = _decode_attr_value(value)
        rest = rest[m.end() :]
    return attrs


def parse_telegram_html(text: str) -> tuple[str, list[dict[str, Any]]]:
    """Parse Telegram HTML into (plain text, entities) or raise TelegramHtmlError.

    Entities use UTF-16 offsets like the Bot API. Length limits are not checked here.
    """
    out: list[str] = []
    out_len = 0  # UTF-16 units emitted so far
    stack: list[_OpenTag] = []
    entities: list[dict[str, Any]] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c == "<":
            end = text.find(">", i)
            if end == -1:
                raise _fail(text, i, "Unescaped '<' (or unclosed tag); write &lt;")
            if text.startswith("</", i):
                name = text[i + 2 : end].strip().lower()
                if name not in ALLOWED_TAGS:
                    raise _fail(text, i, f'Unsupported end tag "{name}"')
                if not stack:
                    raise _fail(text, i, f'Unexpected end tag "</{name}>" with no open tag')
                top = stack[-1]
                if top.name != name:
                    raise _fail(text, i, f'Unmatched end tag, expected "</{top.name}>", found "</{name}>"')
                stack.pop()
                length = out_len - top.start
                entity: dict[str, Any] = {"type": ALLOWED_TAGS[name], "offset": top.start, "length": length}
                if name == "a":
                    entity["url"] = top.attrs["href"]
                elif name == "blockquote" and "expandable" in top.attrs:
                    entity["type"] = "expandable_blockquote"
                elif name == "pre" and top.language:
                    entity["language"] = top.language
                keep = length > 0
                if name == "code" and stack and stack[-1].name == "pre" and top.start == stack[-1].start:
                    lang = top.attrs.get("class", "")
                    if lang.startswith("language-"):
                        stack[-1].language = lang[len("language-") :]
                        keep = False  # merged into the enclosing pre, like Telegram does
                if keep:
                    entities.append(entity)
                i = end + 1
                continue
            m = _TAG_NAME_RE.match(text, i + 1)
            if not m:
                raise _fail(text, i, "Unescaped '<'; write &lt;")
            name = m.group(0).lower()
            if name not in ALLOWED_TAGS:
                raise _fail(text, i, f'Unsupported start tag "{name}"')
            raw_attrs = text[m.end() : end]
            if raw_attrs.rstrip().endswith("/"):
                raise _fail(text, i, f'Self-closing tag "{name}" is not supported')
            if raw_attrs and not raw_attrs[0].isspace():
                raise _fail(text, i, f'Unsupported start tag "{name}{raw_attrs.split()[0]}"')
            attrs = _parse_attrs(text, raw_attrs, i, name)
            if name == "a" and not attrs.get("href"):
                raise _fail(text, i, 'Tag "a" must have a non-empty "href" attribute')
            if name == "span" and attrs.get("class") != "tg-spoiler":
                raise _fail(text, i, 'Tag "span" must have class "tg-spoiler"')
            stack.append(_OpenTag(name, out_len, len(text[:i].encode("utf-8")), attrs))
            i = end + 1
        elif c == ">":
            raise _fail(text, i, "Unescaped '>'; write &gt;")
        elif c == "&":
            m = _ENTITY_RE.match(text, i)
            decoded = _decode_entity(m) if m else None
            if m is None or decoded is None:
                raise _fail(text, i, "Unescaped '&' or unsupported entity; write &amp;")
            out.append(decoded)
            out_len += _utf16_len(decoded)
            i = m.end()
        else:
            out.append(c)
            out_len += 2 if ord(c) > 0xFFFF else 1
            i += 1
    if stack:
        top = stack[-1]
        raise TelegramHtmlError(
            f'Telegram would reject this HTML: unclosed start tag "<{top.name}>" opened at byte offset '
            f"{top.byte_offset}\nfull text: {text!r}",
            f"Bad Request: can't parse entities: Can't find end tag corresponding to start tag \"{top.name}\"",
        )
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return "".join(out), entities


def assert_text_length(
    plain: str, *, max_length: int = MAX_MESSAGE_LENGTH, allow_empty: bool = False
) -> None:
    """Telegram drops whitespace-only text and refuses text over the limit (after entity parsing)."""
    if not plain.strip() and not allow_empty:
        raise TelegramHtmlError(
            "Telegram would reject this message: text is empty after parsing",
            "Bad Request: message text is empty",
        )
    if len(plain) > max_length:
        raise TelegramHtmlError(
            f"Telegram would reject this message: {len(plain)} characters after parsing, limit {max_length}",
            "Bad Request: message is too long",
        )


def assert_telegram_html(
    text: str, *, max_length: int = MAX_MESSAGE_LENGTH, allow_empty: bool = False
) -> None:
    """Raise AssertionError unless ``text`` is valid for ``parse_mode="HTML"``.

    Only Telegram's tags, balanced and nested; bare ``<``, ``>``, ``&`` must be escaped;
    1..max_length characters once tags are stripped and entities decoded.
    """
    if not isinstance(text, str):
        raise TelegramHtmlError(
            f"expected str, got {type(text).__name__}", "Bad Request: message text is empty"
        )
    plain, _ = parse_telegram_html(text)
    assert_text_length(plain, max_length=max_length, allow_empty=allow_empty)


def assert_callback_data(markup: Mapping[str, Any] | Any | None) -> None:
    """Raise AssertionError unless every inline button's callback_data is 1-64 bytes of UTF-8.

    Accepts a reply_markup dict (or a PTB markup object); non-inline keyboards pass unchecked.
    """
    if markup is None:
        return
    if hasattr(markup, "to_dict"):
        markup = markup.to_dict()
    rows = markup.get("inline_keyboard") if isinstance(markup, Mapping) else None
    if rows is None:
        return
    for r, row in enumerate(rows):
        for c, button in enumerate(row):
            if "callback_data" not in button:
                continue
            data = button["callback_data"]
            where = f"button [{r}][{c}] {button.get('text', '')!r}"
            if not isinstance(data, str):
                raise TelegramHtmlError(
                    f"{where}: callback_data must be a string, got {type(data).__name__}",
                    "Bad Request: BUTTON_DATA_INVALID",
                )
            size = len(data.encode("utf-8"))
            if not 1 <= size <= MAX_CALLBACK_DATA_BYTES:
                raise TelegramHtmlError(
                    f"{where}: callback_data is {size} bytes, must be 1-{MAX_CALLBACK_DATA_BYTES}: {data!r}",
                    "Bad Request: BUTTON_DATA_INVALID",
                )
