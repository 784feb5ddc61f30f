"""Dates and distances in time in the project's own patterns, so no library release changes a reply.

Chinese follows the UN's Chinese style (``2023年6月5日至9日``); English is day-month-year with an en
dash (``5–9 June 2023``, ``28 June – 2 July 2023``). Nothing here comes from CLDR data.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from bot.kernel.i18n import gettext_for, ngettext_for

MONTHS_EN = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)


def _zh(day: dt.date, *, year: bool = True, month: bool = True) -> str:
    """``2023年6月5日``, or its tail from the month (``7月2日``) or the day (``9日``)."""
    text = f"{day.day}日"
    if month:
        text = f"{day.month}月{text}"
    if year:
        text = f"{day.year}年{text}"
    return text


def _en(day: dt.date, *, year: bool = True, month: bool = True) -> str:
    """``5 June 2023``, or its head without the year (``28 June``) or the month (``5``)."""
    text = str(day.day)
    if month:
        text += f" {MONTHS_EN[day.month - 1]}"
    if year:
        text += f" {day.year}"
    return text


def single_day(date: dt.date, lang: str) -> str:
    """One day: ``2023年6月5日`` / ``5 June 2023``."""
    return _zh(date) if lang == "zh" else _en(date)


def month_year(day: dt.date, lang: str) -> str:
    """``2023年9月`` / ``September 2023``: when a document was written."""
    return f"{day.year}年{day.month}月" if lang == "zh" else f"{MONTHS_EN[day.month - 1]} {day.year}"


def date_range(start: dt.date, end: dt.date | None, lang: str) -> str:
    """From ``start`` to ``end``, naming the year and month once when they are shared.

    zh ``2023年6月5日至9日``, ``2023年6月28日至7月2日``, ``2023年12月30日至2024年1月2日``;
    en ``5–9 June 2023``, ``28 June – 2 July 2023``, ``30 December 2023 – 2 January 2024``.
    """
    if end is None or end == start:
        return single_day(start, lang)
    same_year = start.year == end.year
    same_month = same_year and start.month == end.month
    if lang == "zh":
        return f"{_zh(start)}至{_zh(end, year=not same_year, month=not same_month)}"
    if same_month:
        return f"{start.day}–{_en(end)}"
    return f"{_en(start, year=not same_year)} – {_en(end)}"


def clock_time(moment: dt.datetime | dt.time) -> str:
    """A time of day on the 24-hour clock, the same in both languages: ``09:00``."""
    return f"{moment.hour:02d}:{moment.minute:02d}"


def utc_offset(zone: str, at: dt.datetime) -> str:
    """``UTC+03:00`` for ``zone`` at ``at`` (offsets change with DST)."""
    offset = at.astimezone(ZoneInfo(zone)).utcoffset() or dt.timedelta(0)
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    return f"UTC{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def instant(moment: dt.datetime, lang: str) -> str:
    """A date and time with its zone: ``2024年11月4日 08:00 (Africa/Cairo)`` / ``4 November 2024, 08:00 (…)``."""
    separator = " " if lang == "zh" else ", "
    return f"{single_day(moment.date(), lang)}{separator}{clock_time(moment)} ({moment.tzinfo})"


def beside(moment: dt.datetime, venue_zone: str, user_zone: str, lang: str) -> str:
    """A start in the reader's zone with the venue's beside it (once when they agree), escaped-safe
    (zone names and digits only): ``4 November 2024, 16:00 (Asia/Shanghai) UTC+08:00 — at the
    venue: 4 November 2024, 10:00 (Africa/Cairo) UTC+02:00``."""
    _ = gettext_for(lang)
    venue = f"{instant(moment.astimezone(ZoneInfo(venue_zone)), lang)} {utc_offset(venue_zone, moment)}"
    if user_zone == venue_zone:
        return venue
    mine = f"{instant(moment.astimezone(ZoneInfo(user_zone)), lang)} {utc_offset(user_zone, moment)}"
    colon = "：" if lang == "zh" else ": "
    return f"{mine} — {_('at the venue')}{colon}{venue}"


def until(now: dt.datetime, starts: dt.datetime, ends: dt.datetime, lang: str) -> str:
    """How far away an event is on the bot's clock, or that it is under way, or when it took place."""
    _ = gettext_for(lang)
    n_ = ngettext_for(lang)
    # Differences in UTC: Python subtracts wall-clock times when both sides share a zone, which is
    # an hour off across a DST change.
    now, utc_starts = now.astimezone(dt.UTC), starts.astimezone(dt.UTC)
    if starts <= now < ends:
        return _("under way now")
    if now < starts:
        days = (starts.date() - now.astimezone(starts.tzinfo).date()).days
        if days <= 0:
            hours = max(1, int((utc_starts - now).total_seconds() // 3600))
            return n_("in %(n)d hour", "in %(n)d hours", hours) % {"n": hours}
        if days < 60:
            return n_("in %(n)d day", "in %(n)d days", days) % {"n": days}
        months = round(days / 30.44)
        if months < 24:
            return n_("in about %(n)d month", "in about %(n)d months", months) % {"n": months}
        years = round(days / 365.25)
        return n_("in about %(n)d year", "in about %(n)d years", years) % {"n": years}
    days = (now.date() - ends.date()).days
    if days < 60:
        return n_("took place %(n)d day ago", "took place %(n)d days ago", max(days, 0)) % {"n": max(days, 0)}
    months = round(days / 30.44)
    if months < 24:
        return n_("took place about %(n)d month ago", "took place about %(n)d months ago", months) % {"n": months}
    years = round(days / 365.25)
    return n_("took place about %(n)d year ago", "took place about %(n)d years ago", years) % {"n": years}
