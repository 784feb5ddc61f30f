"""One normaliser for every way delegates type an identifier.

``HA2``, ``ha.2``, ``ＨＡ．２``, ``人居大会第二届会议``, ``人居大會第二屆會議`` and ``second session of
the UN-Habitat Assembly`` must all reach the same entry. ``fold`` makes text comparable (NFKC,
traditional → simplified, case, Chinese and English ordinals → digits, spacing); ``compact`` turns
folded text into an exact-match key; ``parse_identifier`` recognises resolution/decision numbers and
the words that say which kind of entry is meant.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import opencc

from store.kinds import kind_words

_T2S = opencc.OpenCC("t2s")
_CJK = re.compile(r"[\u3400-\u9fff]")

_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_CN_NUMBER = re.compile(r"[零〇一二两三四五六七八九十百]+")
# Chinese numerals are converted only where they count something (第二届, 十二届, 三次), so that
# words like 一些 or 统一 are left alone.
_CN_COUNTED = re.compile(r"(第?)([零〇一二两三四五六七八九十百]+)(?=\s*(届|次|号|期|个|项|段|部分|委员会)|$)")

_EN_ORDINALS = {
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7,
    "eighth": 8, "ninth": 9, "tenth": 10, "eleventh": 11, "twelfth": 12, "thirteenth": 13,
    "fourteenth": 14, "fifteenth": 15,
}
_EN_ORDINAL = re.compile(r"\b(" + "|".join(_EN_ORDINALS) + r")\b")
_EN_NUMERIC_ORDINAL = re.compile(r"\b(\d+)(st|nd|rd|th)\b")
_DASHES = re.compile(r"[‐‑‒–—―−﹣－]")
_SPACE = re.compile(r"\s+")
_NOT_KEY = re.compile(r"[^0-9a-z/\u3400-\u9fff]+")


def chinese_number(text: str) -> int:
    """Value of a Chinese numeral up to 999 (``十二`` → 12, ``二十五`` → 25, ``一〇`` → 10)."""
    if "百" not in text and "十" not in text:
        value = 0
        for char in text:
            value = value * 10 + _CN_DIGITS[char]
        return value
    total, current = 0, 0
    for char in text:
        if char == "百":
            total += (current or 1) * 100
            current = 0
        elif char == "十":
            total += (current or 1) * 10
            current = 0
        else:
            current = _CN_DIGITS[char]
    return total + current


def to_simplified(text: str) -> str:
    """Fold traditional characters to simplified (only when the text has any CJK at all)."""
    return _T2S.convert(text) if _CJK.search(text) else text


@lru_cache(maxsize=65536)
def fold(text: str) -> str:
    """Make text comparable: NFKC, simplified, lower case, ordinals as digits, single spaces."""
    text = unicodedata.normalize("NFKC", text)
    text = to_simplified(text)
    text = text.casefold()
    text = _DASHES.sub("-", text)
    text = _CN_COUNTED.sub(lambda m: f"{m.group(1)}{chinese_number(m.group(2))}", text)
    text = _EN_ORDINAL.sub(lambda m: str(_EN_ORDINALS[m.group(1)]), text)
    text = _EN_NUMERIC_ORDINAL.sub(r"\1", text)
    return _SPACE.sub(" ", text).strip()


@lru_cache(maxsize=65536)
def compact(text: str) -> str:
    """Exact-match key: folded text without spaces and punctuation (``/`` is kept: 2/7 ≠ 27)."""
    return _NOT_KEY.sub("", fold(text))


KIND_WORDS: dict[str, str] = kind_words()
_NUMBER = re.compile(r"(?<![\d/])(\d{1,4})\s*/\s*(\d{1,4})(?![\d/])")
_GA_SYMBOL = re.compile(r"\ba\s*/\s*res\s*/\s*")
# What may surround resolution numbers: kind words, 第 … 号, "and", commas, body names.
_NUMBER_FRAME = re.compile(
    r"^(?:\s|第|号|和|及|与|、|,|;|and|&|no\.?|nos\.?|number|"
    r"resolutions?|res\.?|decisions?|dec\.?|决议|决定|"
    r"(?:联合国)?人居大会|un-habitat assembly|assembly|ha|"
    r"(?:联合国)?大会|general assembly|ga|a/res|"
    r"理事会|governing council|gc|执行局|executive board|eb|"
    r"人类住区委员会|commission on human settlements|commission|chs)*$"
)
_GA_WORDS = re.compile(r"general assembly|\bga\b|a/res|(?<!人居)(?<!城市)大会")
_GC_WORDS = re.compile(r"governing council|\bgc\b|理事会")
_CHS_WORDS = re.compile(r"commission|\bchs\b|人类住区委员会")
_EB_WORDS = re.compile(r"executive board|\beb\b|执行局")


@dataclass(frozen=True, slots=True)
class ParsedIdentifier:
    """What the text names: resolution/decision numbers, and a kind when the words say one."""

    kind: str | None
    numbers: tuple[str, ...]  # "2/7" style numbers, in order
    body: str | None  # "general-assembly" / "governing-council" when the words say so


@lru_cache(maxsize=65536)
def parse_identifier(text: str) -> ParsedIdentifier | None:
    """Recognise ``2/7``, ``第2/7号决议``, ``resolution 2/7``, ``第 2/1 和 2/2 号决定``.

    Returns None when the text is not made only of numbers and the words around them, so that a
    question that merely contains a number is left to search.
    """
    folded = _GA_SYMBOL.sub("a/res ", fold(text))
    numbers = tuple(f"{a}/{b}" for a, b in _NUMBER.findall(folded))
    if not numbers:
        return None
    rest = _NUMBER.sub(" ", folded)
    if not _NUMBER_FRAME.match(rest):
        return None
    kind = None
    if "决定" in rest or re.search(r"\bdec", rest):
        kind = "decision"
    elif "决议" in rest or re.search(r"\bres", rest):
        kind = "resolution"
    body = None
    if _GA_WORDS.search(rest):
        body = "general-assembly"
    elif _GC_WORDS.search(rest):
        body = "governing-council"
    elif _CHS_WORDS.search(rest):
        body = "commission-on-human-settlements"
    elif _EB_WORDS.search(rest):
        body = "executive-board"
    return ParsedIdentifier(kind, numbers, body)


def strip_kind_words(text: str) -> str:
    """Drop leading/trailing words that only name the kind (``document HSP/HA.2/7`` → the symbol)."""
    folded = fold(text)
    for word in sorted(KIND_WORDS, key=len, reverse=True):
        if folded.startswith(word + " "):
            folded = folded[len(word) + 1 :]
        if folded.endswith(" " + word):
            folded = folded[: -len(word) - 1]
    return folded.strip()
