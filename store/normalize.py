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


# -- Executive Board sessions ------------------------------------------------------------------
# The sources name a Board session by year and number ("人居署执行局2024年第二届会议", "2023 年第三次
# 会议") or only by its dates; delegates add "EB.2023.1", "EB 2024/2", "Executive Board March 2023".
_BOARD_WORD = re.compile(r"(?<![a-z])eb(?![a-z])|executive board|执行局")
_YEAR = re.compile(r"(?<!\d)((?:19|20)\d\d)(?!\d)")
_MONTHS = {
    name: number
    for number, names in enumerate(
        (("january", "jan"), ("february", "feb"), ("march", "mar"), ("april", "apr"), ("may",),
         ("june", "jun"), ("july", "jul"), ("august", "aug"), ("september", "sep", "sept"),
         ("october", "oct"), ("november", "nov"), ("december", "dec")),
        start=1,
    )
    for name in names
}
_BOARD_PARTS: tuple[tuple[str, re.Pattern[str]], ...] = (
    # year, then a month written as two digits: EB.2023-03 (the ids of sessions the sources do not number)
    ("month", re.compile(r"(?<!\d)(?:19|20)\d\d\s*-\s*(0[1-9]|1[0-2])(?!\d)")),
    # year, then the number: EB.2023.1, EB 2024/2, eb2024-2
    ("number", re.compile(r"(?<!\d)(?:19|20)\d\d\s*[./-]\s*([1-9])(?!\d)")),
    ("number", re.compile(r"第\s*([1-9])\s*(?:届|次|期)")),
    ("number", re.compile(r"(?<!\d)([1-9])\s*(?:st|nd|rd|th)?\s+(?:regular\s+)?session")),
    ("number", re.compile(r"session\s*(?:no\.?\s*)?([1-9])(?!\d)")),
    ("month", re.compile(r"(?<!\d)(1[0-2]|0?[1-9])\s*月")),
    ("month_zh", re.compile(r"([一二三四五六七八九十]{1,3})\s*月")),
    ("month_en", re.compile(r"\b(" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\b\.?")),
)
# Words that may stand around a Board session's name without changing what it names.
_BOARD_FILLER = re.compile(
    r"联合国人类住区规划署|联合国人居署|人居署|联合国|un-habitat|un habitat|unhabitat|united nations|"
    r"executive board|执行局|(?<![a-z])eb(?![a-z])|regular|sessions?|meetings?|届会议|届会|会议|第|届|次|期|年|月|的|"
    r"\b(?:the|of|in|for|no)\b|(?<!\d)(?:19|20)\d\d(?!\d)|[\s.,/()（）:：'’-]+"
)


@dataclass(frozen=True, slots=True)
class BoardSession:
    """An Executive Board session as typed: its year, and its number in the year or its month."""

    year: int
    number: int | None = None
    month: int | None = None


@lru_cache(maxsize=65536)
def parse_board_session(text: str) -> BoardSession | None:
    """Recognise ``EB.2023.1``, ``人居署执行局2024年第二届会议``, ``Executive Board March 2023``.

    Only text that is nothing but a Board session's name is recognised (one year, a number and/or a
    month, and the words around them), so a question about the Board is left to search.
    """
    folded = fold(text)
    if not _BOARD_WORD.search(folded):
        return None
    years = set(_YEAR.findall(folded))
    if len(years) != 1:
        return None
    number = month = None
    rest = folded
    for part, pattern in _BOARD_PARTS:
        match = pattern.search(rest)
        if match is None:
            continue
        value = match.group(1)
        if part == "number":
            number = number or int(value)
        elif part == "month_zh":
            month = month or chinese_number(value)
        elif part == "month_en":
            month = month or _MONTHS[value]
        else:
            month = month or int(value)
        rest = rest[: match.start(1)] + " " + rest[match.end(1) :]
    if _BOARD_FILLER.sub("", rest).strip():
        return None
    return BoardSession(int(years.pop()), number, month)
