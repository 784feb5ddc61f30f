"""A question's words, weighted, as the sentences that may answer it are read: the Chinese words it
was typed or translated in, the English stems it reaches Chinese text through (the dictionary's
glosses), the counted thing and the verb it asks about, and the rare words that tell one statement
from its neighbours.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from bot.search.question import Question
from store.catalog import Catalog
from store.glosses import english_stems, stem
from store.normalize import fold
from store.schema import Entry
from store.search import SearchIndex


@dataclass(frozen=True)
class Terms:
    """A question's words, weighted: Chinese words (typed or translated) found as they are, and
    English stems found as themselves or through the Chinese words the dictionary glosses them with."""

    words: dict[str, float]
    find: Callable[[str, str], bool]  # (stem, folded text) → whether the text holds the stem
    stem_weights: dict[str, float]
    #: Words and stems few texts hold, in groups of alternatives (自愿地方评估 / 自愿地方审查): what
    #: tells one statement from its neighbours. A question that names no entry needs each group.
    rare: tuple[frozenset[str], ...] = ()

    def without(self, drop_word: Callable[[str], bool], drop_stem: Callable[[str], bool]) -> Terms:
        words = {w: v for w, v in self.words.items() if not drop_word(w)}
        kept = {s: v for s, v in self.stem_weights.items() if not drop_stem(s)}
        if not words and not kept:
            return self
        rare = tuple(g for g in (frozenset(t for t in group if t in words or t in kept) for group in self.rare) if g)
        return Terms(words, self.find, kept, rare)

    def holds_rare(self, text: str) -> bool:
        """Whether ``text`` holds one term of every rare group."""
        folded = fold(text)
        return all(any(t in folded if t in self.words else self.find(t, folded) for t in group)
                   for group in self.rare)


COMMON_STEM = 0.5  # an English stem in more of the texts than this says nothing about which
RARE = 0.015  # a word in fewer of the texts than this tells one statement from another
#: Words that say what is asked, not what about: never required of the sentence that answers.
ASK_WORDS = frozenset(
    "money amount number date time day year place venue location person name often frequent frequently "
    "share percentage proportion many much total happen held hold take".split()
) | {"多少", "几", "时候", "哪里", "地点", "时间", "日期", "什么", "现任", "已经", "举行", "举办"}


def question_terms(index: SearchIndex, text: str, question: Question) -> Terms:
    """The question's weighted words (typed, translated, and English stems), without those another
    one contains (人居 inside 人居署) or that only say what is asked, plus the counted thing and the
    verb asked about."""
    weights, english, _repaired = index.query_terms(text)
    words = {t: w for t, w in weights.items()
             if len(t) >= 2 and t not in ASK_WORDS and not any(t != o and t in o for o in weights)
             and not (english and t.isascii() and t.isalpha())}
    stems = {s: w for s, w in english.items()
             if s not in ASK_WORDS and stem(s) not in ASK_WORDS and index.english_share(s) <= COMMON_STEM}
    rare_words = [w for w in words if 0 < index.body_share(w) <= RARE]
    rare = [frozenset({s}) for s in stems if 0 < index.english_share(s) <= RARE]
    for word in rare_words:  # glossary alternatives share their head (自愿地方评估, 自愿地方审查)
        group = next((g for g in rare if any(len(w) >= 4 and w[:4] == word[:4] for w in g)), None)
        if group is not None:
            rare[rare.index(group)] = group | {word}
        else:
            rare.append(frozenset({word}))
    for form in question.counted[:1]:
        words[form] = max(words.get(form, 0.0), 1.0)
    for form in question.verbs:
        if form.isascii():
            stems[stem(form.split()[0])] = max(stems.get(stem(form.split()[0]), 0.0), 0.5)
        else:
            words[form] = max(words.get(form, 0.0), 0.5)
    return Terms(words, index.english_found, stems, tuple(rare))


def without_names(terms: Terms, entry: Entry, catalog: Catalog) -> Terms:
    """The question's words less those that only name the entry (its sentences need not repeat them)."""
    written = " ".join([entry.names.zh or "", entry.names.en or "", entry.symbol or "", *catalog.aliases.get(entry.id, [])])
    named_as = fold(written)
    named_stems = set(english_stems(written))
    return terms.without(lambda w: w in named_as, lambda s: s in named_stems)
