"""Dates and distances in time, written in the reader's language (Babel for names of months)."""

from __future__ import annotations

import datetime as dt

from babel.dates import format_date, format_datetime

from bot.kernel.i18n import gettext_for, ngettext_for


def date_range(start: dt.date, end: dt.date | None, lang: str) -> str:
    """``2023年6月5日至9日`` / ``5–9 June 2023``."""
    if end is None or end == start:
        return format_date(start, "long", locale="zh_CN") if lang == "zh" else format_date(
            start, "d MMMM y", locale="en_GB"
        )
    if lang == "zh":  # written out: CLDR's interval pattern for zh changed between Babel releases
        if start.year != end.year:
            return f"{start.year}年{start.month}月{start.day}日至{end.year}年{end.month}月{end.day}日"
        if start.month != end.month:
            return f"{start.year}年{start.month}月{start.day}日至{end.month}月{end.day}日"
        return f"{start.year}年{start.month}月{start.day}日至{end.day}日"
    if (start.year, start.month) == (end.year, end.month):
        return f"{start.day}–{format_date(end, 'd MMMM y', locale='en_GB')}"
    if start.year == end.year:
        return f"{format_date(start, 'd MMMM', locale='en_GB')} – {format_date(end, 'd MMMM y', locale='en_GB')}"
    return f"{format_date(start, 'd MMMM y', locale='en_GB')} – {format_date(end, 'd MMMM y', locale='en_GB')}"


def instant(moment: dt.datetime, lang: str) -> str:
    """A date and time with its zone: ``2024年11月4日 08:00 (Africa/Cairo)``."""
    pattern = "y年M月d日 HH:mm" if lang == "zh" else "d MMMM y, HH:mm"
    locale = "zh_CN" if lang == "zh" else "en_GB"
    return f"{format_datetime(moment, pattern, locale=locale)} ({moment.tzinfo})"


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
