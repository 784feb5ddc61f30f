"""Dates, ranges and times read the same on every machine, in the project's own patterns."""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.kernel.dates import clock_time, date_range, instant, single_day

D = dt.date

SHAPES = [  # (start, end, Chinese, English): one day, one month, across months, across years
    (D(2023, 6, 5), None, "2023年6月5日", "5 June 2023"),
    (D(2023, 6, 5), D(2023, 6, 5), "2023年6月5日", "5 June 2023"),
    (D(2023, 6, 5), D(2023, 6, 9), "2023年6月5日至9日", "5–9 June 2023"),
    (D(2023, 6, 28), D(2023, 7, 2), "2023年6月28日至7月2日", "28 June – 2 July 2023"),
    (D(2023, 12, 30), D(2024, 1, 2), "2023年12月30日至2024年1月2日", "30 December 2023 – 2 January 2024"),
]


@pytest.mark.parametrize(("start", "end", "zh", "en"), SHAPES)
def test_each_shape_of_a_range_in_both_languages(start: D, end: D | None, zh: str, en: str) -> None:
    assert date_range(start, end, "zh") == zh
    assert date_range(start, end, "en") == en


def test_a_single_day() -> None:
    assert single_day(D(2024, 11, 4), "zh") == "2024年11月4日"
    assert single_day(D(2024, 11, 4), "en") == "4 November 2024"


def test_an_instant_names_its_day_time_and_zone() -> None:
    moment = dt.datetime(2024, 11, 4, 8, 5, tzinfo=ZoneInfo("Africa/Cairo"))
    assert instant(moment, "zh") == "2024年11月4日 08:05 (Africa/Cairo)"
    assert instant(moment, "en") == "4 November 2024, 08:05 (Africa/Cairo)"


def test_times_are_on_the_24_hour_clock_with_two_digit_hours() -> None:
    assert clock_time(dt.time(9, 0)) == "09:00"
    assert clock_time(dt.datetime(2024, 1, 1, 23, 59)) == "23:59"


ZH_RANGE = re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})日(?:至(?:(\d{4})年)?(?:(\d{1,2})月)?(\d{1,2})日)?")
MONTHS = ("January February March April May June July August September October November December").split()
EN_DAY = r"(\d{1,2})(?: (" + "|".join(MONTHS) + r"))?(?: (\d{4}))?"
EN_RANGE = re.compile(EN_DAY + r"(?:(?:–| – )" + EN_DAY + ")?")


def read_zh(text: str) -> tuple[D, D]:
    """What a Chinese reader takes from the range: the later parts repeat only what changed."""
    match = ZH_RANGE.fullmatch(text)
    assert match, text
    y1, m1, d1, y2, m2, d2 = match.groups()
    start = D(int(y1), int(m1), int(d1))
    if d2 is None:
        return start, start
    return start, D(int(y2 or y1), int(m2 or m1), int(d2))


def read_en(text: str) -> tuple[D, D]:
    """What an English reader takes from the range: the earlier parts borrow what they leave out."""
    match = EN_RANGE.fullmatch(text)
    assert match, text
    d1, m1, y1, d2, m2, y2 = match.groups()
    if d2 is None:
        return (day := D(int(y1), MONTHS.index(m1) + 1, int(d1))), day
    end = D(int(y2), MONTHS.index(m2) + 1, int(d2))
    return D(int(y1 or y2), MONTHS.index(m1 or m2) + 1, int(d1)), end


days = st.dates(min_value=D(1990, 1, 1), max_value=D(2100, 12, 31))


@given(days, days)
def test_a_reader_gets_both_days_back_from_any_range(a: D, b: D) -> None:
    start, end = min(a, b), max(a, b)
    assert read_zh(date_range(start, end, "zh")) == (start, end)
    assert read_en(date_range(start, end, "en")) == (start, end)


@given(days, days)
def test_the_year_is_written_once_when_both_days_share_it(a: D, b: D) -> None:
    start, end = min(a, b), max(a, b)
    for lang in ("zh", "en"):
        text = date_range(start, end, lang)
        assert str(start.day) in text and str(end.day) in text
        if start.year == end.year:
            assert text.count(str(start.year)) == 1, text
        else:
            assert str(start.year) in text and str(end.year) in text


@given(days, days)
def test_no_interval_spacing_artefacts(a: D, b: D) -> None:
    start, end = min(a, b), max(a, b)
    zh, en = date_range(start, end, "zh"), date_range(start, end, "en")
    assert "–" not in zh and " " not in zh and "\u2009" not in zh  # 至, never "日 – 9日"
    assert "\u2009" not in en and "  " not in en
    assert "–" in en or start == end
