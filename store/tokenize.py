"""Turn text into search tokens the same way for paragraphs and for queries.

Chinese has no spaces, so jieba cuts it into words; its dictionary does not know the domain's
words (人居署, 城市十月, 贫民窟改造), so they are added from the content (``terms.txt`` and every
Chinese form in ``glossary.yaml``) — otherwise a query for the whole term would not match the
paragraph that uses it. Text is folded first (``store.normalize``: full-width → half-width,
traditional → simplified, case), because jieba cuts ``人居大會第二屆會議`` into pieces that match
nothing. Search mode (``cut_for_search``) also emits the shorter words inside a long one, so
``贫民窟改造`` finds a paragraph that only says ``贫民窟``.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterable
from pathlib import Path

import jieba

from store.normalize import fold

log = logging.getLogger(__name__)

#: Bump when tokenisation changes: persisted indexes built with other rules are rebuilt.
TOKENIZER_VERSION = "4"

# Function words and question words that carry no meaning for retrieval. These are the language's
# grammar, not the domain's vocabulary, so they live here and not in content.
STOPWORDS = frozenset(
    """
    的 了 是 在 和 与 及 或 等 对 为 以 于 其 之 这 那 也 都 就 而 把 被 由 从 向 将 并 中 上 下 有 个
    什么 是什么 什么是 哪些 哪个 哪里 哪年 哪天 怎么 怎样 如何 为何 为什么 吗 呢 吧 啊 请问 请 关于 一下
    告诉 我 我们 你 几 几次 几个 多少 何时 什么时候
    a an the of in on at to for and or is are was were be been being what which who whom when where why
    how does do did about with by from as that this these those it its tell me please show find will
    would can could should shall there have has had
    """.split()
)
_SYMBOL = re.compile(r"(?<![\w/.])[a-z]{1,5}/[\w./-]*[\w]")  # document symbols: hsp/ha.2/7
_NUMBER_PAIR = re.compile(r"(?<![\d/])\d{1,4}/\d{1,4}(?![\d/])")  # 2/7, 73/239
_WORDLIKE = re.compile(r"[0-9a-z\u3400-\u9fff]")
_LATIN = re.compile(r"^[a-z][a-z-]*$")
_CJK_RUN = re.compile(r"[\u3400-\u9fff]+")
# What jieba makes of text without Chinese (its rule for Latin runs: ``ha.2``, ``80%``, ``1.5``),
# done without it: jieba walks its word graph character by character, which costs an English
# question more than the whole search. ``#`` and ``+`` are left to jieba (its dictionary has c#, c++).
_ASCII_PIECE = re.compile(r"[a-z0-9]+(?:\.\d+)?%?|[^a-z0-9]")
_JIEBA_ONLY = re.compile(r"[#+A-Z]")


def light_stem(token: str) -> str:
    """Strip an English plural ``s`` so ``settlements`` meets ``settlement``.

    Only plurals: a full stemmer would merge words the glossary keeps apart (``planning`` and
    ``plan``), and the glossary already lists the forms delegates use.
    """
    if len(token) > 4 and token.endswith("ies") and _LATIN.match(token):
        return token[:-3] + "y"
    if len(token) > 3 and token.endswith("s") and not token.endswith(("ss", "us", "is")) and _LATIN.match(token):
        return token[:-1]
    return token


class Segmenter:
    """A jieba tokenizer with the domain's words, created once per process (loading takes ~1 s)."""

    def __init__(self) -> None:
        # jieba reports its dictionary loading on stderr through its own logger: keep it quiet.
        jieba.setLogLevel(logging.WARNING)
        self._jieba = jieba.Tokenizer()
        self._jieba.initialize()
        self._words: set[str] = set()
        self._lock = threading.Lock()

    def add_words(self, words: Iterable[str]) -> None:
        """Teach jieba the domain's words (idempotent; folded so they match folded text)."""
        with self._lock:
            for word in words:
                folded = fold.__wrapped__(word).replace(" ", "")
                if len(folded) >= 2 and folded not in self._words and _CJK_RUN.search(folded):
                    self._jieba.add_word(folded, freq=max(self._jieba.suggest_freq(folded), 2000))
                    self._words.add(folded)

    @property
    def words(self) -> frozenset[str]:
        return frozenset(self._words)

    def tokens(self, text: str, *, folded: bool = False) -> list[str]:
        """Search tokens of ``text``: folded, segmented, stop words and punctuation left out.

        Indexing passes long texts with ``folded=False`` through the uncached fold so that a
        hundred thousand paragraphs do not fill the query-sized cache of ``fold``.
        """
        if not folded:
            text = fold.__wrapped__(text)
        out: list[str] = []
        out.extend(_SYMBOL.findall(text))
        out.extend(_NUMBER_PAIR.findall(text))
        ascii_only = text.isascii() and not _JIEBA_ONLY.search(text)
        for piece in _ASCII_PIECE.findall(text) if ascii_only else self._jieba.cut_for_search(text):
            token = piece.strip()
            if not token or token in STOPWORDS or not _WORDLIKE.search(token):
                continue
            out.append(light_stem(token))
        return out


_segmenter: Segmenter | None = None
_segmenter_lock = threading.Lock()


def segmenter(words: Iterable[str] = ()) -> Segmenter:
    """The process-wide segmenter, created on first use, with ``words`` added."""
    global _segmenter
    with _segmenter_lock:
        if _segmenter is None:
            _segmenter = Segmenter()
    _segmenter.add_words(words)
    return _segmenter


def read_terms(path: Path) -> list[str]:
    """Words of a ``terms.txt`` file: one per line, ``#`` starts a comment; missing file → none."""
    if not path.is_file():
        return []
    words = []
    for line in path.read_text(encoding="utf-8").splitlines():
        word = line.split("#", 1)[0].strip()
        if word:
            words.append(word)
    return words
