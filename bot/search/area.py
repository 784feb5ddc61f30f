"""The search area: ``/search``, plain questions, result pages and inline results, as core replies.

Everything here is transport-free: the Telegram handlers (``handlers/inline.py`` and the core's
generic handlers) and the console only carry what these functions return.

Paging buttons must fit Telegram's 64-byte callback data, so a short query travels in the button
itself and a long one as a key to the query stored in the database (``store/queries.py``): any
replica answers the press, also after a restart.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from bot.kernel import metrics
from bot.kernel.callbacks import CommandButton, EntryButton, ParagraphButton, SearchPage
from bot.kernel.cards import entry_reply, paragraph_reply, short_label
from bot.kernel.clock import Clock
from bot.kernel.content import ContentService
from bot.kernel.dates import date_range, until
from bot.kernel.i18n import gettext_for
from bot.kernel.language import has_words
from bot.kernel.occurrences import upcoming
from bot.kernel.reply import Button, Reply, esc, plain_text, rows, split_html
from bot.kernel.router import Asker, Command, Feature, Job, speaking
from bot.search.answers import Answer, Answers
from bot.search.memory import SearchMemory
from store.catalog import Catalog
from store.search import Hit, Results, SearchIndex, SearchService, snippet

log = logging.getLogger(__name__)

PAGE_SIZE = 5
INLINE_LIMIT = 20  # Telegram allows 50; 20 fills a phone screen and answers faster
SNIPPET_WIDTH = 150
PREFIX = "s"
PRUNE_EVERY = 6 * 3600.0  # seconds between two prunings of stored long queries
#: Words that page on through the last result list ("more" and the like), typed alone.
MORE_WORDS = ("more", "next", "next page", "more results", "更多", "下一页", "下页", "再来", "继续")


@dataclass(frozen=True)
class InlineItem:
    """One inline result, transport-free: Telegram turns it into an InlineQueryResultArticle."""

    id: str  # ≤ 64 bytes
    title: str
    description: str
    text: str  # HTML message sent when the delegate picks the result; cites the source


class QueryStore(Protocol):
    """Where long queries behind paging buttons are kept (``store.queries.StoredQueries``)."""

    def remember(self, query: str, now: dt.datetime) -> str: ...

    def recall(self, key: str) -> str | None: ...

    def prune(self, now: dt.datetime) -> int: ...


def index_directory(database_url: str, configured: Path | None = None) -> Path:
    """Where indexes live: ``SEARCH_INDEX_DIR``, else beside the SQLite file, else ``var/``."""
    if configured:
        return Path(configured)
    if database_url.startswith("sqlite:///") and ":memory:" not in database_url:
        return Path(database_url.removeprefix("sqlite:///")).parent / "search-index"
    return Path("var") / "search-index"


class SearchArea:
    """Answers searches for the core; installed as ``core.search`` (so it is also the hook)."""

    def __init__(self, content: ContentService, clock: Clock, service: SearchService,
                 on_miss: Callable[[str], None] | None = None, memory: SearchMemory | None = None, *,
                 queries: QueryStore) -> None:
        self.content = content
        self.clock = clock
        self.service = service
        self.queries = queries  # long queries behind paging buttons, shared by every replica
        self.on_miss = on_miss  # told of questions that found nothing (counted for /stats)
        self.memory = memory  # each user's last result list, for "more" (in the database)
        self.answers = Answers(clock)

    def feature(self) -> Feature:
        def describe(lang: str) -> str:
            return gettext_for(lang)("search paragraphs and entries: /search 贫民窟改造")

        def describe_more(lang: str) -> str:
            return gettext_for(lang)("the next page of your last search (or type “more”)")

        return Feature(
            name="search",
            commands=[Command("search", self.command, describe, shows=True),
                      Command("more", self.more, describe_more, shows=True)],
            buttons={SearchPage: self.button},
            text=[self],
            jobs=[Job("search-warm", every=0, run=self.service.warm, first=0.0),
                  Job("search-keys-prune", every=PRUNE_EVERY, run=self._prune, first=60.0)],
            on_content_change=[self._rebuild],
            words=dict.fromkeys(MORE_WORDS, "more"),
        )

    def _prune(self) -> None:
        pruned = self.queries.prune(self.clock.now())
        if pruned:
            log.info("forgot %d long search queries not shown for a month", pruned)

    def _rebuild(self, _old: Catalog, _new: Catalog) -> None:
        """A content change needs a new index; build it now, off the request path."""
        threading.Thread(target=self.service.warm, name="search-index", daemon=True).start()

    # -- router hooks ----------------------------------------------------------------------------

    def __call__(self, text: str, who: Asker) -> list[Reply]:
        """A plain message that is not an identifier: search it."""
        return [self._first_page(text, who)]

    def command(self, args: str, who: Asker) -> list[Reply]:
        """``/search <text>``; without text, how to use it."""
        _ = gettext_for(who.lang)
        if not args.strip():
            examples = ("贫民窟改造", "homelessness", "城市十月是什么")
            lines = [_("Usage: /search followed by words, for example:")]
            lines += [f"• <code>/search {esc(x)}</code>" for x in examples]
            buttons = [Button(x, data=CommandButton("search", x).pack()) for x in examples]
            return [Reply("\n".join(lines), rows(buttons, per_row=3))]
        if not has_words(args):
            return [Reply(_("Nothing found for “%(q)s”. Try other words, or send /help for commands and examples.")
                          % {"q": esc(args.strip()[:60])}, meta={"results": "0"})]
        return [self._first_page(args.strip(), who)]

    def _first_page(self, text: str, who: Asker) -> Reply:
        """The answer to the question, if it asks for one, above the first page of results."""
        index, results = self.search(text)
        answer = None
        try:
            answer = self.answers.answer(text, who.lang, index, results)
        except Exception:  # an answer is a help on top of the results: never lose the results
            log.exception("direct answer failed for %r", text[:100])
        reply = self.page(text, 0, who, found=(index, results), answer=answer)
        metrics.count_search_query()
        if reply.meta.get("results") == "0" and answer is None:
            metrics.count_search_miss()
            if self.on_miss is not None:
                self.on_miss(text)
        return reply

    def button(self, button: SearchPage, who: Asker) -> list[Reply]:
        """A "more" button: the query in the button, or the key of a long one."""
        _ = gettext_for(who.lang)
        query = button.query or self.queries.recall(button.key)
        if not query:
            return [Reply(_("This search has expired. Please send it again."))]
        return [self.page(query, button.page, speaking(query, who))]

    def more(self, args: str, who: Asker) -> list[Reply]:
        """"more", "更多", /more: the next page of the last result list this user saw."""
        _ = gettext_for(who.lang)
        remembered = self.memory.recall(who.user_id) if self.memory is not None and who.user_id is not None else None
        if remembered is None:
            return [Reply(_("There is no earlier search to continue. Send a question or some words to search for."))]
        query, shown = remembered
        who = speaking(query, who)
        _ = gettext_for(who.lang)
        index, results = self.search(query)
        if (shown + 1) * PAGE_SIZE >= len(results.hits):
            return [Reply(_("That was the last page of results for “%(q)s”.") % {"q": esc(_short(query))})]
        return [self.page(query, shown + 1, who, found=(index, results))]

    # -- pages -----------------------------------------------------------------------------------

    def search(self, text: str) -> tuple[SearchIndex, Results]:
        index = self.service.index()
        return index, index.search(text)

    def page(self, text: str, page: int, who: Asker, *, found: tuple[SearchIndex, Results] | None = None,
             answer: Answer | None = None) -> Reply:
        """One page of results: citation, snippet with the matched words in bold, buttons; the
        answer to the question, when there is one, comes first."""
        _ = gettext_for(who.lang)
        index, results = found or self.search(text)
        shown = esc(_short(text))
        head = [f"💡 {answer.html}", ""] if answer is not None else []
        meta = {"answer": answer.plain} if answer is not None else {}
        if not results.hits:
            if answer is not None:
                return Reply(answer_text(answer), meta={**meta, "results": "0"})
            return Reply(_("Nothing found for “%(q)s”. Try other words, or send /help for commands and examples.")
                         % {"q": shown}, meta={"results": "0"})
        total = len(results.hits)
        page = max(0, min(page, (total - 1) // PAGE_SIZE))
        if self.memory is not None and who.user_id is not None:
            self.memory.remember(who.user_id, text, page)
        first = page * PAGE_SIZE
        chunk = results.hits[first : first + PAGE_SIZE]
        lines = head + [
            "🔎 " + _("Results for “%(q)s”: %(a)d–%(b)d of %(n)d")
            % {"q": shown, "a": first + 1, "b": first + len(chunk), "n": total}
        ]
        for typed, fixed in results.repaired:
            lines.append("<i>" + _("Also searched for “%(fixed)s” (you typed “%(typed)s”).")
                         % {"fixed": esc(fixed), "typed": esc(typed)} + "</i>")
        buttons: list[Button] = []
        for number, hit in enumerate(chunk, start=first + 1):
            lines.append("")
            lines.append(self._result_text(number, hit, index.catalog, results.terms, who.lang))
            buttons.append(self._result_button(number, hit, index.catalog, who.lang))
        layout = list(rows(buttons, per_row=1))
        navigation = []
        pages = [(page - 1, "◀ " + _("Previous"))] if page > 0 else []
        pages += [(page + 1, _("More") + " ▶")] if first + PAGE_SIZE < total else []
        key = ""
        for number, label in pages:
            data = SearchPage(number, query=text)
            if not data.fits():
                key = key or self.queries.remember(text, self.clock.now())
                data = SearchPage(number, key=key)
            navigation.append(Button(label, data=data.pack()))
        if navigation:
            layout.append(tuple(navigation))
        return Reply("\n".join(lines), tuple(layout), meta={**meta, "results": str(total)})

    def _result_text(self, number: int, hit: Hit, catalog: Catalog, terms: tuple[str, ...], lang: str) -> str:
        _ = gettext_for(lang)
        if hit.entry_id:
            entry = catalog.entries[hit.entry_id]
            head = f"{number}. 📌 <b>{esc(entry.names.get(lang))}</b>"
            body = entry.summary.get(lang) if entry.summary else (entry.theme.get(lang) if entry.theme else "")
            return head + (f"\n{snippet(body, terms, SNIPPET_WIDTH)}" if body else "")
        doc = catalog.documents.get(hit.doc or "")
        label = doc.citation() if doc else hit.doc or ""
        paragraph = catalog.paragraph(hit.doc or "", hit.number or "")
        cited = _("%(doc)s, para. %(para)s") % {"doc": esc(label), "para": esc(hit.number or "")}
        text = snippet(paragraph.text, terms, SNIPPET_WIDTH) if paragraph else ""
        return f"{number}. 📄 <b>{cited}</b>\n{text}"

    @staticmethod
    def _result_button(number: int, hit: Hit, catalog: Catalog, lang: str) -> Button:
        if hit.entry_id:
            entry = catalog.entries[hit.entry_id]
            return Button(f"{number}. {short_label(entry, lang)}", data=EntryButton(entry.id).pack())
        doc = catalog.documents.get(hit.doc or "")
        label = doc.citation() if doc else hit.doc or ""
        label = label if len(label) <= 30 else label[:29] + "…"
        return Button(f"{number}. {label} ¶{hit.number}", data=ParagraphButton(hit.doc or "", hit.number or "").pack())

    # -- inline mode -----------------------------------------------------------------------------

    def inline(self, text: str, who: Asker) -> list[InlineItem]:
        """Results for ``@bot <text>``; an empty query lists the coming milestones."""
        text = text.strip()
        if not text:
            return self._upcoming_items(who)
        if not has_words(text):
            return []
        who = speaking(text, who)
        index, results = self.search(text[:300])
        catalog = index.catalog
        items: list[InlineItem] = []
        answer = None
        try:
            answer = self.answers.answer(text[:300], who.lang, index, results)
        except Exception:  # the results still come
            log.exception("direct answer failed for inline %r", text[:100])
        if answer is not None:
            item_id = "a" + hashlib.sha1(text.encode()).hexdigest()[:31]
            items.append(InlineItem(item_id, "💡 " + answer.plain[:118], answer.plain[118:318] or answer.plain[:200],
                                    _fit(answer_text(answer))))
        for hit in results.hits[: INLINE_LIMIT - len(items)]:
            item_id = hashlib.sha1(hit.key.encode()).hexdigest()[:32]
            if hit.entry_id:
                entry = catalog.entries[hit.entry_id]
                card = entry_reply(entry, catalog, self.clock.now(), who.lang)
                about = entry.summary.get(who.lang) if entry.summary else short_label(entry, who.lang)
                items.append(InlineItem(item_id, entry.names.get(who.lang)[:120], about[:200], _fit(card.text)))
                continue
            paragraph = catalog.paragraph(hit.doc or "", hit.number or "")
            if paragraph is None:
                continue
            doc = catalog.documents.get(hit.doc or "")
            label = doc.citation() if doc else hit.doc or ""
            _ = gettext_for(who.lang)
            title = _("%(doc)s, para. %(para)s") % {"doc": label, "para": hit.number}
            about = plain_text(snippet(paragraph.text, results.terms, 120))
            reply = paragraph_reply(hit.doc or "", paragraph, catalog, who.lang)
            items.append(InlineItem(item_id, title[:120], about[:200], _fit(reply.text)))
        return items

    def _upcoming_items(self, who: Asker) -> list[InlineItem]:
        catalog = self.content.catalog
        now = self.clock.now()
        items = []
        for occurrence in upcoming(catalog.entries.values(), now, days=366)[:INLINE_LIMIT]:
            entry = catalog.entries[occurrence.entry_id]
            span = date_range(occurrence.first_day, occurrence.last_day, who.lang)
            distance = until(now, occurrence.starts_at, occurrence.ends_at, who.lang)
            card = entry_reply(entry, catalog, now, who.lang)
            item_id = hashlib.sha1(occurrence.key.encode()).hexdigest()[:32]
            items.append(InlineItem(item_id, entry.names.get(who.lang)[:120], f"{plain_text(span)} ({plain_text(distance)})"[:200], _fit(card.text)))
        return items


def answer_text(answer: Answer) -> str:
    """An answer on its own (inline, or when no result list follows)."""
    return f"💡 {answer.html}"


def _short(text: str) -> str:
    return text if len(text) <= 60 else text[:59] + "…"


def _fit(markup: str) -> str:
    """An inline message is one message: keep the first part if the text is over Telegram's limit."""
    return split_html(markup)[0]
