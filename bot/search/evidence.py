"""Finding the sentence that states an answer: split texts into sentences, keep those that hold
what the question asks for (a number for "how many", a date for "when", a role word for "who"),
and rank them by how much of the question they cover.

A sentence is only ever quoted, never rewritten, so what the bot says is what a source says.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from bot.search.question import Ask, Question
from bot.search.terms import Terms
from store.normalize import fold

MAX_QUOTE = 180  # characters of a quoted sentence; a longer one is cut around what it states
# Sentence ends; not after an abbreviation (Ms. Sharif, para. 3, No. 5).
_SPLIT = re.compile(r"(?<=[。；！？])|(?<!\bMs\.)(?<!\bMr\.)(?<!\bDr\.)(?<!\bNo\.)(?<!\bpara\.)(?<!\bMrs\.)(?<!\bSt\.)"
                    r"(?<=[.;!?])\s+(?=[A-Z“\"(（\d])")
_NUMBER = r"(?:\d[\d,  ]*(?:\.\d+)?|[一二两三四五六七八九十百千]+)"
_DIGITS = re.compile(r"\d[\d,  ]*(?:\.\d+)?")
_MONTHS_EN = "january|february|march|april|may|june|july|august|september|october|november|december"

_EVIDENCE: dict[Ask, re.Pattern[str]] = {
    Ask.WHEN: re.compile(rf"(?:19|20)\d\d|\d{{1,2}}\s*月\s*\d{{1,2}}\s*日|\b(?:{_MONTHS_EN})\b|每年"),
    Ask.WHERE: re.compile(r"在[^，。；]{1,16}(?:举行|举办|召开|设立|开设)|设在|设于|总部|主办|\b(?:in|at|based in|hosted by)\s+[a-z]"),
    Ask.THEME: re.compile(r"主题|\btheme\b"),
    Ask.COUNT: re.compile(rf"{_NUMBER}\s*(?:多)?\s*(?:个|项|名|位|份|次|家|座|届|人|国|席|\w)"),
    Ask.AMOUNT: re.compile(rf"{_NUMBER}\s*(?:亿|万|%|％|美元|\bpercent\b|\bper cent\b|\bmillion\b|\bbillion\b)|\$\s*\d|\busd\s*\d"),
    Ask.OFTEN: re.compile(r"每(?:年|两年|四年|\s*\d\s*年)|两次|\btwice\b|\bannual(?:ly)?\b|\bevery (?:year|two years|four years)\b|\ba year\b"),
    Ask.OUTCOME: re.compile(r"决定|通过|设立|建立|成立|请|呼吁|核准|启动|规定|"
                            r"\b(?:decided|adopted|established|requested|called|set up|created|approved|launched|provides?)\b"),
}
# A person's name: a transliterated Chinese name (迈穆娜·穆罕默德·谢里夫), a title, or capitalised
# words that are not the names of bodies and posts.
_PERSON_ZH = re.compile(r"[\u3400-\u9fff]·[\u3400-\u9fff]|女士|先生|阁下")
_PERSON_EN = re.compile(r"\b(?:Mr|Ms|Mrs|Dr)\.?\s+[A-Z]|\b([A-Z][a-zà-ÿ]+(?:\s+[A-Z][a-zà-ÿ]+)+)")
_NOT_NAMES = frozenset(
    "executive director deputy acting secretary general assembly united nations habitat un-habitat world urban forum "
    "session board committee council programme development sustainable goals new agenda report president "
    "vice rapporteur permanent representatives office nairobi state states member members government republic "
    "summit conference day days city cities declaration the of and first second third".split()
)


def _names_a_person(sentence: str) -> bool:
    if _PERSON_ZH.search(sentence):
        return True
    for found in _PERSON_EN.finditer(sentence):
        words = (found.group(1) or "").split()
        if not words or any(w.lower() not in _NOT_NAMES for w in words):
            return True
    return False

#: What a role word looks like in the sources (both languages), for "who opened / chaired …".
ROLE_WORDS: dict[str, re.Pattern[str]] = {
    "opened": re.compile(r"开幕|\bopen(?:ed|ing)\b"),
    "president": re.compile(r"主席|\bpresident\b"),
    "chair": re.compile(r"主席|主持|\bchair"),
    "vice-president": re.compile(r"副主席|\bvice-president"),
    "rapporteur": re.compile(r"报告员|\brapporteur\b"),
    "head": re.compile(r"执行主任|负责人|\bexecutive director\b|\bhead\b"),
    "elected": re.compile(r"当选|选举|选出|\belected\b"),
    "host": re.compile(r"主办|东道|\bhost"),
}


@dataclass(frozen=True)
class Candidate:
    """A text a sentence may be quoted from, and how much to trust it before reading it."""

    text: str
    prior: float
    source: object  # what to cite: an entry (its sources) or (doc, paragraph number)
    floor: float | None = None  # the coverage it needs, when not the common one


@dataclass(frozen=True)
class Found:
    sentence: str  # as the source writes it, cut to MAX_QUOTE around what it states
    score: float
    source: object
    relevance: float = 0.0


def sentences(text: str) -> list[str]:
    """The sentences of a text (Chinese ends at 。；！？, English at . ; ! ? before a capital)."""
    return [s.strip() for s in _SPLIT.split(text) if s and s.strip()]


_UNTIL = re.compile(r"至|到|截至|\buntil\b|\bended\b|\bthereafter\b|\bterm\b")
# A number that counts something: not a year, a date, an ordinal (第 2 届) or part of a symbol (2/7).
_COUNT = re.compile(r"(?<![\d/第.])(\d[\d,  ]*)(?![\d/])(?!\s*(?:年|月|日|号|段|届|次会议|st|nd|rd|th)\b)(?!\s*[年月日号段届])")
_YEARLIKE = re.compile(r"^(?:19|20)\d\d$")


def _counts(folded: str) -> bool:
    """Whether the text holds a number that counts something (17 000 名, 10 项, 36 members)."""
    for found in _COUNT.finditer(folded):
        digits = re.sub(r"[,  ]", "", found.group(1))
        if digits and not _YEARLIKE.match(digits):
            return True
    return bool(re.search(r"[两二三四五六七八九十]\s*(?:个|项|名|位|份|次|家|座)", folded))


def holds(question: Question, sentence: str) -> float:
    """How surely ``sentence`` states the kind of thing asked (a count, a date, a role …): 0 … 1."""
    folded = fold(sentence)
    pattern = _EVIDENCE.get(question.ask)
    if pattern is not None and not (pattern.search(folded) or pattern.search(sentence)):
        return 0.0
    if question.ask is Ask.WHO:
        if not _names_a_person(sentence):
            return 0.0
        if question.role in ROLE_WORDS and not ROLE_WORDS[question.role].search(folded):
            return 0.0
    if question.ask is Ask.COUNT:
        if not _counts(folded):
            return 0.0
        if question.counted:
            return 1.0 if _counted_near_number(folded, question.counted) else 0.0
    if question.until and not _UNTIL.search(folded):
        return 0.0
    return 1.0


def _counted_near_number(folded: str, counted: Iterable[str]) -> bool:
    """"132 个会员国", "10 项决议", "17 000 名与会者": a number shortly before what is counted."""
    for form in counted:
        if form.isascii():
            # "132 member States", "17,000 participants", "10 resolutions": a number, a few words, the thing.
            if re.search(rf"\d[\d,]*\s+(?:[a-z-]+\s+){{0,3}}{re.escape(form)}", folded):
                return True
        elif re.search(rf"{_NUMBER}\s*(?:多)?\s*(?:个|项|名|位|份|次|家|座|届)?\s*[^\d，。；,.;]{{0,12}}{re.escape(form)}", folded):
            return True
    return False


_CJK = re.compile(r"[\u3400-\u9fff]")


def coverage(terms: Terms, text: str) -> float:
    """Share of the question's weighted words that the text holds (0 … 1).

    Chinese words count against a Chinese text only (an English text cannot hold them); English
    stems count everywhere, as a Chinese text holds them through the words they gloss.
    """
    folded = fold(text)
    chinese = bool(_CJK.search(folded))
    total = 0.0
    matched = 0.0
    for word, weight in terms.words.items():
        found = word in folded
        if found:
            matched += weight
        if found or bool(_CJK.search(word)) == chinese or any(c.isdigit() for c in word):
            total += weight
    for stem_, weight in terms.stem_weights.items():
        total += weight
        if terms.find(stem_, folded):
            matched += weight
    return matched / total if total else 0.0


def best(question: Question, terms: Terms, candidates: Iterable[Candidate], *,
         floor: float = 0.3, strict: bool = False) -> Found | None:
    """The sentence that states what is asked and covers the question best, or None. ``strict``:
    it must also hold every rare word of the question (one of each group of alternatives).

    A candidate with ``floor`` of its own (the named entry's own text, which is about it whatever
    words it uses) overrides the common one.
    """
    winner: Found | None = None
    for candidate in candidates:
        own_floor = floor if candidate.floor is None else candidate.floor
        for sentence in sentences(candidate.text):
            strength = holds(question, sentence)
            if not strength or (strict and not terms.holds_rare(sentence)):
                continue
            relevance = coverage(terms, sentence)
            if question.year is not None and str(question.year) in sentence:
                relevance += 0.15
            score = candidate.prior * strength * (0.5 + relevance)
            if relevance >= own_floor and (winner is None or score > winner.score):
                winner = Found(clip(sentence, question), score, candidate.source, relevance)
    return winner


def clip(sentence: str, question: Question) -> str:
    """A long sentence cut to MAX_QUOTE characters around what it states."""
    if len(sentence) <= MAX_QUOTE:
        return sentence
    middle, stated_end = _where_stated(sentence, question)
    start = max(0, min(middle - MAX_QUOTE // 3, len(sentence) - MAX_QUOTE))
    end = min(len(sentence), start + MAX_QUOTE)
    if start > 0:  # begin at a clause or a word, never inside one
        breaks = [m.end() for m in _BREAK.finditer(sentence, max(0, start - 40), start + 1)]
        start = breaks[-1] if breaks else start
    if end < len(sentence):
        breaks = [m.start() for m in _BREAK.finditer(sentence, max(start, end - 40), end)]
        end = breaks[-1] if breaks and breaks[-1] >= stated_end else end
    text = sentence[start:end].strip()
    return ("…" if start > 0 else "") + text + ("…" if end < len(sentence) else "")


_BREAK = re.compile(r"[，；、,;:：]\s*|\s+")


def _where_stated(sentence: str, question: Question) -> tuple[int, int]:
    """Where in the sentence the asked thing stands (its span): the counted thing with its number,
    a role word, a date."""
    folded = sentence.lower()
    found: re.Match[str] | None = None
    if question.ask is Ask.COUNT and question.counted:
        for form in question.counted:
            found = re.search(rf"\d[\d,  ]*\s*(?:多)?\s*(?:个|项|名|位|份|次|家|座|届)?\s*[^\d，。；,.;]{{0,12}}{re.escape(form)}", folded)
            if found:
                return found.span()
    if question.ask is Ask.WHO and question.role in ROLE_WORDS:
        found = ROLE_WORDS[question.role].search(folded)
        if found:
            return found.span()
    pattern = _EVIDENCE.get(question.ask)
    found = pattern.search(sentence) if pattern is not None else None
    return found.span() if found else (0, 0)


def numbers(text: str) -> set[str]:
    """The numbers a text states, separators removed (17 000 = 17,000 = 17000)."""
    return {re.sub(r"[,  ]", "", n).rstrip(".") for n in _DIGITS.findall(text)}
