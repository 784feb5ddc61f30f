"""Sessions that recur, on the bot's clock: "the next Executive Board session" is the first of the
Board's sessions to come, "the last" the latest to have begun, "in May 2024" the one dated then; when
the sources name none, the answer says so and names the last one they give.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from bot.kernel.dates import date_range
from bot.kernel.i18n import gettext_for
from bot.kernel.occurrences import occurrences
from bot.search import phrasing
from bot.search.citing import Answer, cited, date_needles, rule_needles
from bot.search.question import Question, Time
from store.catalog import Catalog
from store.schema import Entry, Kind


@dataclass(frozen=True)
class Series:
    """Sessions that recur: "the next Executive Board session" is the first of these to come."""

    pattern: re.Pattern[str]
    member: Callable[[Entry], bool]
    label: tuple[str, str]  # zh, en


SERIES: tuple[Series, ...] = (
    Series(re.compile(r"executive board|执行局|\beb\b"),
           lambda e: e.kind is Kind.SESSION and e.body == "executive-board", ("执行局会议", "Executive Board session")),
    Series(re.compile(r"world urban forum|世界城市论坛|\bwuf\b"),
           lambda e: e.kind in (Kind.MEETING, Kind.SESSION) and e.body == "wuf", ("世界城市论坛会议", "session of the World Urban Forum")),
    Series(re.compile(r"committee of permanent representatives|常驻代表委员会|\bcpr\b|\boecpr\b"),
           lambda e: e.kind is Kind.SESSION and e.body == "cpr", ("常驻代表委员会会议", "meeting of the Committee of Permanent Representatives")),
    Series(re.compile(r"un-habitat assembly|人居大会|(?<!general )\bassembly\b"),
           lambda e: e.kind is Kind.SESSION and e.body == "assembly", ("人居大会会议", "session of the UN-Habitat Assembly")),
)


def next_or_last(catalog: Catalog, series: Series, time: Time, now: dt.datetime, lang: str) -> Answer:
    """The next session of the series (or that the sources name none after the last), or the last."""
    _ = gettext_for(lang)
    members = [e for e in catalog.entries.values() if series.member(e)]
    label = series.label[0] if lang == "zh" else series.label[1]
    if time is Time.NEXT:
        found = next_of(catalog, members, now, lang, label)
        if found is not None:
            return found
        last = latest(members)
        if last is None or last.dates is None:
            return Answer(_("The sources give no dates for any %(series)s.") % {"series": label})
        dates = date_range(last.dates.start, last.dates.end, lang)
        return Answer(_("The sources name no %(series)s after %(dates)s.") % {"series": label, "dates": dates},
                      last.id)
    past = [(o.ends_at, e) for e in members for o in occurrences(e, now - dt.timedelta(days=366 * 60), now)
            if o.ends_at <= now or o.starts_at <= now]
    if not past:
        return Answer(_("The sources name no %(series)s before today.") % {"series": label})
    entry = max(past, key=lambda pair: pair[0])[1]
    line = phrasing.when_where(entry, now, lang) or phrasing.name(entry, lang)
    lead = _("The last %(series)s in the sources:") % {"series": label}
    return cited(_joined(lead, line, lang), entry, catalog, lang, date_needles(entry.dates.start) if entry.dates else [])


def next_of(catalog: Catalog, members: list[Entry], now: dt.datetime, lang: str,
            label: str | None = None) -> Answer | None:
    """The first of ``members`` to come (or under way), on the clock; None when none is dated ahead."""
    _ = gettext_for(lang)
    coming = sorted((o.starts_at, o.entry_id) for e in members for o in occurrences(e, now, now + dt.timedelta(days=366 * 10)))
    if not coming:
        return None
    entry = catalog.entries[coming[0][1]]
    line = phrasing.when_where(entry, now, lang) or phrasing.yearly(entry, now, lang) or phrasing.name(entry, lang)
    lead = (_("The next %(series)s in the sources:") % {"series": label}) if label else _("Next in the sources:")
    needles = date_needles(entry.dates.start) if entry.dates else rule_needles(entry)
    return cited(_joined(lead, line, lang), entry, catalog, lang, needles)


def within(catalog: Catalog, series: Series, question: Question, now: dt.datetime, lang: str) -> Answer | None:
    """"When did the Executive Board meet in May 2024?": the member dated in that month or year."""
    _ = gettext_for(lang)
    matching = [e for e in catalog.entries.values() if series.member(e) and e.dates is not None
                and e.dates.start.year == question.year
                and (question.month is None or question.month in (e.dates.start.month, (e.dates.end or e.dates.start).month))]
    nth = _ORDINAL.search(question.folded)
    if nth is not None:  # "the Board's second session of 2024", "2024 年第二次会议"
        number = int(nth.group(1) or nth.group(2))
        matching = [e for e in matching if e.number_in_year == number] or matching
    if not matching:
        label = series.label[0] if lang == "zh" else series.label[1]
        return Answer(_("The sources name no %(series)s in that period.") % {"series": label})
    lines = []
    for entry in sorted(matching, key=lambda e: e.dates.start if e.dates else dt.date.min)[:3]:
        line = phrasing.when_where(entry, now, lang)
        if line:
            lines.append(cited(line, entry, catalog, lang, date_needles(entry.dates.start) if entry.dates else []).html)
    return Answer(" ".join(lines), matching[0].id) if lines else None


_ORDINAL = re.compile(r"\b(\d) (?:session|meeting)\b|第\s*(\d)\s*(?:次|届)")


def _joined(lead: str, line: str, lang: str) -> str:
    return f"{lead}{line}" if lang == "zh" else f"{lead} {line}"


def latest(entries: Iterable[Entry]) -> Entry | None:
    dated = [e for e in entries if e.dates is not None]
    return max(dated, key=lambda e: e.dates.start) if dated else None  # type: ignore[union-attr]
