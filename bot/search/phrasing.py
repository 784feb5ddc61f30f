"""How an answer is worded: dates and places on the bot's clock, yearly rules, citations and quotes,
in the asker's language. Every text from content is escaped here.
"""

from __future__ import annotations

import datetime as dt
import re

from bot.kernel.cards import named
from bot.kernel.dates import MONTHS_EN, date_range, single_day, until
from bot.kernel.i18n import gettext_for
from bot.kernel.occurrences import Occurrence, last_occurrence, next_occurrence
from bot.kernel.reply import esc
from store.catalog import Catalog
from store.schema import COVER, Entry, Kind, Source

_ORDINALS_EN = {1: "first", 2: "second", 3: "third", 4: "fourth", -1: "last"}
_ORDINALS_ZH = {1: "第一个", 2: "第二个", 3: "第三个", 4: "第四个", -1: "最后一个"}
_DAYS = {"MO": ("Monday", "星期一"), "TU": ("Tuesday", "星期二"), "WE": ("Wednesday", "星期三"),
         "TH": ("Thursday", "星期四"), "FR": ("Friday", "星期五"), "SA": ("Saturday", "星期六"), "SU": ("Sunday", "星期日")}


def name(entry: Entry, lang: str) -> str:
    """The entry's name in bold, as a label ("First session of the UN-Habitat Assembly: …")."""
    return f"<b>{esc(entry.names.get(lang))}</b>"


def labelled(entry: Entry, said: str, lang: str) -> str:
    """"<b>Resolution 2/7</b>: Decided to establish …" — the entry's own words under its name."""
    return f"{name(entry, lang)}{'：' if lang == 'zh' else ': '}{esc(said)}"


def cite_paragraph(doc_id: str, number: str, catalog: Catalog, lang: str) -> str:
    """``HSP/EB.2023/18, para. 3`` / ``HSP/EB.2023/18 第 3 段``."""
    _ = gettext_for(lang)
    doc = catalog.documents.get(doc_id)
    label = doc.citation() if doc else doc_id
    if number == COVER:
        return _("%(doc)s, cover page") % {"doc": esc(label)}
    return _("%(doc)s, para. %(para)s") % {"doc": esc(label), "para": esc(number)}


def cite_source(source: Source, catalog: Catalog, lang: str) -> str:
    if source.doc and source.para:
        return cite_paragraph(source.doc, source.para, catalog, lang)
    _ = gettext_for(lang)
    return _("public source: %(source)s") % {"source": esc(source.public or "")}


def cited(text: str, citation: str, lang: str) -> str:
    """The answer with its citation after it, in brackets of the language."""
    return f"{text}（{citation}）" if lang == "zh" else f"{text} ({citation})"


def quote(citation: str, sentence: str, lang: str) -> str:
    """A source's own sentence, with where it stands."""
    _ = gettext_for(lang)
    return _("According to %(cite)s: “%(quote)s”") % {"cite": citation, "quote": esc(sentence)}


def occurrence_of(entry: Entry, now: dt.datetime) -> Occurrence | None:
    return next_occurrence(entry, now) or last_occurrence(entry, now)


def when_where(entry: Entry, now: dt.datetime, lang: str) -> str | None:
    """"WUF12 will be held in Cairo on 4–8 November 2024 (in 34 days)." — on the bot's clock."""
    _ = gettext_for(lang)
    if entry.dates is None:
        return None
    dates = date_range(entry.dates.start, entry.dates.end, lang)
    values = {"name": named(entry, lang, start=True), "dates": dates, "place": esc(entry.place.get(lang)) if entry.place else ""}
    occurrence = occurrence_of(entry, now)
    if occurrence is None:
        return None
    values["distance"] = until(now, occurrence.starts_at, occurrence.ends_at, lang)
    if occurrence.starts_at <= now < occurrence.ends_at:
        form = (_("%(name)s is under way in %(place)s: %(dates)s.") if entry.place
                else _("%(name)s is under way: %(dates)s."))
    elif now < occurrence.starts_at:
        form = (_("%(name)s will be held in %(place)s on %(dates)s (%(distance)s).") if entry.place
                else _("%(name)s will be held on %(dates)s (%(distance)s)."))
    elif entry.kind in (Kind.SESSION, Kind.MEETING):
        form = (_("%(name)s was held in %(place)s on %(dates)s.") if entry.place
                else _("%(name)s was held on %(dates)s."))
    else:  # an observance the sources announce: they date it, they do not report it
        form = (_("%(name)s: %(dates)s, %(place)s.") if entry.place else _("%(name)s: %(dates)s."))
    line = form % values
    if entry.dates.note:  # split dates, planned dates …: said with the dates, never dropped
        line = line[:-1] + (f"（{esc(entry.dates.note)}）。" if lang == "zh" else f" ({esc(entry.dates.note)}).")
    if entry.also_reported:
        other = entry.also_reported[0]
        line += " " + _("Another source gives %(dates)s.") % {"dates": date_range(other.start, other.end, lang)}
    return line


def yearly(entry: Entry, now: dt.datetime, lang: str, *, last: bool = False) -> str | None:
    """"World Cities Day: 31 October every year; next on 31 October 2024 (in 30 days)." — or the
    last time, when that is asked."""
    _ = gettext_for(lang)
    if entry.recurrence is None:
        return None
    rule = describe_rule(entry.recurrence.rrule, entry.recurrence.ends, lang)
    occurrence = last_occurrence(entry, now) if last else next_occurrence(entry, now)
    if occurrence is None:
        return None
    values = {"name": named(entry, lang, start=True), "rule": rule or "",
              "date": date_range(occurrence.first_day, occurrence.last_day, lang),
              "distance": until(now, occurrence.starts_at, occurrence.ends_at, lang)}
    if last:
        return (_("%(name)s: %(rule)s; last %(date)s (%(distance)s).") if rule
                else _("%(name)s: every year; last %(date)s (%(distance)s).")) % values
    if rule:
        return _("%(name)s: %(rule)s; next %(date)s (%(distance)s).") % values
    return _("%(name)s: every year; next %(date)s (%(distance)s).") % values


def describe_rule(rrule: str, ends: str | None, lang: str) -> str | None:
    """A yearly RFC 5545 rule in words: ``31 October every year``, ``每年10月的第一个星期一``."""
    parts = dict(p.split("=", 1) for p in rrule.upper().split(";") if "=" in p)
    if parts.get("FREQ") != "YEARLY" or "BYMONTH" not in parts or not parts["BYMONTH"].isdigit():
        return None
    month = int(parts["BYMONTH"])
    if not 1 <= month <= 12:
        return None
    if parts.get("BYMONTHDAY", "").isdigit():
        day = int(parts["BYMONTHDAY"])
        first = f"{month}月{day}日" if lang == "zh" else f"{day} {MONTHS_EN[month - 1]}"
    else:
        found = re.fullmatch(r"([+-]?\d)([A-Z]{2})", parts.get("BYDAY", ""))
        if not found or int(found.group(1)) not in _ORDINALS_EN or found.group(2) not in _DAYS:
            return None
        nth, weekday = int(found.group(1)), _DAYS[found.group(2)]
        first = (f"{month}月的{_ORDINALS_ZH[nth]}{weekday[1]}" if lang == "zh"
                 else f"the {_ORDINALS_EN[nth]} {weekday[0]} of {MONTHS_EN[month - 1]}")
    last = None
    if ends:
        end_month, end_day = (int(x) for x in ends.split("-"))
        last = f"{end_month}月{end_day}日" if lang == "zh" else f"{end_day} {MONTHS_EN[end_month - 1]}"
    if lang == "zh":
        return f"每年{first}至{last}" if last else f"每年{first}"
    return f"every year from {first} to {last}" if last else f"{first} every year"


def day(date: dt.date, lang: str) -> str:
    return single_day(date, lang)
