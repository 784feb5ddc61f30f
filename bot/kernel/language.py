"""What a message is written in, and whether it holds any words: a question is answered in its own
language, and markup or punctuation alone is not searched for.

The router's ``speaking`` applies ``written_in`` to every message and command (inline mode to its
query): Telegram's ``language_code`` stays for text without words (``HA.2``, ``2/7``, ``/upcoming``),
and a language chosen with /lang always wins.
"""

from __future__ import annotations

import html
import re
import unicodedata

from store.normalize import parse_identifier

SAMPLE = 1000  # characters: enough to tell the language of any message we answer
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z'’]*")
_TAG = re.compile(r"<[^<>]{0,200}>")
_TOKEN = re.compile(r"[^\W_]+")
#: Words that only an English sentence has: with them, a question that also quotes a Chinese name
#: ("What is 城市十月?") is English.
_ENGLISH = frozenset(
    "what when where who whom whose which why how is are was were will did does do the of and for "
    "with about many much tell me please next last still already".split()
)


def written_in(text: str) -> str | None:
    """``"zh"``, ``"en"``, or None when the text has no words to tell (an identifier, a number)."""
    text = text[:SAMPLE]
    if parse_identifier(text) is not None:  # 第2/7号决议 and resolution 2/7 name the same thing
        return None
    text = unicodedata.normalize("NFKC", _TAG.sub(" ", text))
    chinese = bool(_CJK.search(text))
    # Acronyms and symbols (HSP, WUF12, EB) are the same in both languages; real words decide.
    words = [w.lower() for w in _LATIN_WORD.findall(text)
             if (len(w) >= 3 and not (w.isupper() and len(w) <= 5)) or w.lower() in _ENGLISH]
    if chinese and words:
        return "en" if any(w in _ENGLISH for w in words) else "zh"
    if chinese:
        return "zh"
    return "en" if words else None


def has_words(text: str) -> bool:
    """False for text that is only markup, punctuation or single letters and digits (``<b>x</b>``,
    ``(b)``, ``...``, ``a``): nothing in it can be looked up. Identifiers (``2/7``) have words."""
    text = text[:SAMPLE]
    if parse_identifier(text) is not None:
        return True
    plain = html.unescape(_TAG.sub(" ", text))
    return any(len(token) >= 2 or _CJK.search(token) for token in _TOKEN.findall(plain))
