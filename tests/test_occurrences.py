"""Occurrences and due instants: recurring rules across years, venue zones, DST at European venues."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.kernel.occurrences import (
    DEFAULT_LEADS_TEXT,
    Lead,
    LeadError,
    due_at,
    next_occurrence,
    occurrences,
    parse_lead,
    parse_leads,
)
from tests.test_reminders_helpers import CITIES_DAY, HABITAT_DAY, WUF12, entry

UTC = dt.UTC
SPRING_FORUM = entry({  # a yearly meeting on 30 March at a European venue: DST starts around it
    "id": "spring-forum", "kind": "meeting", "category": "europe",
    "names": {"en": "Spring Forum"}, "recurrence": {"rrule": "FREQ=YEARLY;BYMONTH=3;BYMONTHDAY=30"},
    "timezone": "Europe/Warsaw",
})
URBAN_OCTOBER = entry({
    "id": "urban-october", "kind": "event", "category": "urban-october", "names": {"en": "Urban October"},
    "recurrence": {"rrule": "FREQ=YEARLY;BYMONTH=10;BYDAY=+1MO", "ends": "10-31"}, "timezone": "Africa/Nairobi",
})


def firsts(e: object, years: range) -> list[dt.date]:
    found = occurrences(e, dt.datetime(years.start, 1, 1, tzinfo=UTC), dt.datetime(years.stop, 1, 1, tzinfo=UTC))  # type: ignore[arg-type]
    return [o.first_day for o in found]


def test_world_habitat_day_is_the_first_monday_of_october_every_year() -> None:
    days = firsts(HABITAT_DAY, range(2022, 2028))
    assert days == [dt.date(2022, 10, 3), dt.date(2023, 10, 2), dt.date(2024, 10, 7), dt.date(2025, 10, 6),
                    dt.date(2026, 10, 5), dt.date(2027, 10, 4)]
    assert all(d.weekday() == 0 and d.day <= 7 for d in days)


def test_world_cities_day_is_31_october_every_year() -> None:
    assert firsts(CITIES_DAY, range(2023, 2027)) == [dt.date(y, 10, 31) for y in range(2023, 2027)]


def test_30_march_across_years_and_its_midnight_at_the_venue() -> None:
    found = list(occurrences(SPRING_FORUM, dt.datetime(2023, 1, 1, tzinfo=UTC), dt.datetime(2027, 1, 1, tzinfo=UTC)))
    assert [o.first_day for o in found] == [dt.date(y, 3, 30) for y in range(2023, 2027)]
    # 30 March 2025 is the day Poland moves to summer time (at 02:00): midnight is still CET.
    o2025 = next(o for o in found if o.first_day.year == 2025)
    assert o2025.starts_at.astimezone(UTC) == dt.datetime(2025, 3, 29, 23, 0, tzinfo=UTC)
    assert o2025.ends_at.astimezone(UTC) == dt.datetime(2025, 3, 30, 22, 0, tzinfo=UTC)  # a 23-hour day


@pytest.mark.parametrize(("year", "day_before_utc", "morning_utc"), [
    (2024, dt.datetime(2024, 3, 29, 7, 0, tzinfo=UTC), dt.datetime(2024, 3, 30, 7, 0, tzinfo=UTC)),  # DST on 31 March
    (2025, dt.datetime(2025, 3, 29, 7, 0, tzinfo=UTC), dt.datetime(2025, 3, 30, 6, 0, tzinfo=UTC)),  # DST that day
    (2026, dt.datetime(2026, 3, 29, 6, 0, tzinfo=UTC), dt.datetime(2026, 3, 30, 6, 0, tzinfo=UTC)),  # DST on 29 March
])
def test_reminders_stay_at_eight_local_across_the_spring_change(year: int, day_before_utc: dt.datetime,
                                                               morning_utc: dt.datetime) -> None:
    o = next(o for o in occurrences(SPRING_FORUM, dt.datetime(year, 1, 1, tzinfo=UTC), dt.datetime(year, 12, 1, tzinfo=UTC)))
    assert due_at(o, parse_lead("1d"), "Europe/Warsaw") == day_before_utc
    assert due_at(o, parse_lead("08:00"), "Europe/Warsaw") == morning_utc
    assert due_at(o, parse_lead("08:00"), "Europe/Warsaw").astimezone(ZoneInfo("Europe/Warsaw")).hour == 8


def test_hour_leads_count_real_hours_back_from_the_venue_start() -> None:
    o = next(o for o in occurrences(SPRING_FORUM, dt.datetime(2025, 1, 1, tzinfo=UTC), dt.datetime(2025, 12, 1, tzinfo=UTC)))
    # Midnight CET on 30 March 2025 is 23:00 UTC on the 29th; 2 h earlier is 21:00 UTC.
    assert due_at(o, parse_lead("2h"), "Asia/Shanghai") == dt.datetime(2025, 3, 29, 21, 0, tzinfo=UTC)
    # Autumn: the day after the change (28 Oct 2024, CET) minus 26 h crosses the 25-hour day.
    after = next(o for o in occurrences(entry({"id": "a", "kind": "event", "names": {"en": "A"}, "timezone": "Europe/Warsaw",
                                               "dates": {"start": "2024-10-28"}}), dt.datetime(2024, 10, 1, tzinfo=UTC),
                                         dt.datetime(2024, 12, 1, tzinfo=UTC)))
    assert due_at(after, parse_lead("26h"), "Europe/Warsaw") == dt.datetime(2024, 10, 26, 21, 0, tzinfo=UTC)


def test_autumn_change_at_a_european_venue() -> None:
    katowice = entry({"id": "k", "kind": "meeting", "names": {"en": "K"}, "timezone": "Europe/Warsaw",
                      "dates": {"start": "2024-10-27", "end": "2024-10-28"}})
    o = next_occurrence(katowice, dt.datetime(2024, 10, 1, tzinfo=UTC))
    assert o is not None
    assert due_at(o, parse_lead("1d"), "Europe/Warsaw") == dt.datetime(2024, 10, 26, 6, 0, tzinfo=UTC)  # CEST
    assert due_at(o, parse_lead("08:00"), "Europe/Warsaw") == dt.datetime(2024, 10, 27, 7, 0, tzinfo=UTC)  # CET
    # The first day has 25 hours (compare in UTC: same-zone subtraction is wall-clock time).
    assert o.ends_at.astimezone(UTC) - o.starts_at.astimezone(UTC) == dt.timedelta(hours=49)


def test_a_wall_time_in_the_spring_gap_lands_just_after_it() -> None:
    o = next(o for o in occurrences(SPRING_FORUM, dt.datetime(2025, 1, 1, tzinfo=UTC), dt.datetime(2025, 12, 1, tzinfo=UTC)))
    moment = due_at(o, parse_lead("02:30"), "Europe/Warsaw")
    assert moment == dt.datetime(2025, 3, 30, 1, 30, tzinfo=UTC)
    assert moment.astimezone(ZoneInfo("Europe/Warsaw")).strftime("%H:%M") == "03:30"


def test_day_leads_arrive_at_eight_in_the_readers_zone_not_the_venues() -> None:
    o = next_occurrence(WUF12, dt.datetime(2024, 10, 1, tzinfo=UTC))
    assert o is not None and o.zone == "Africa/Cairo"
    assert due_at(o, parse_lead("7d"), "Asia/Shanghai") == dt.datetime(2024, 10, 28, 0, 0, tzinfo=UTC)
    assert due_at(o, parse_lead("1d"), "Africa/Nairobi") == dt.datetime(2024, 11, 3, 5, 0, tzinfo=UTC)
    assert due_at(o, parse_lead("1w"), "Africa/Nairobi") == due_at(o, parse_lead("7d"), "Africa/Nairobi")


def test_urban_october_runs_from_world_habitat_day_to_31_october() -> None:
    o = next_occurrence(URBAN_OCTOBER, dt.datetime(2025, 10, 15, tzinfo=UTC))
    assert o is not None and (o.first_day, o.last_day) == (dt.date(2025, 10, 6), dt.date(2025, 10, 31))


def test_lead_times_are_parsed_in_english_and_chinese() -> None:
    assert [lead.text for lead in parse_leads("7d 1d 2h")] == ["7d", "1d", "2h"]
    assert [lead.text for lead in parse_leads(DEFAULT_LEADS_TEXT)] == ["30d", "7d", "1d", "08:00"]
    assert [lead.text for lead in parse_leads("7天, 2小时 1w 30m")] == ["7d", "2h", "30m"]
    assert parse_lead("８:３０") == Lead(at=dt.time(8, 30)) or parse_lead("8:30") == Lead(at=dt.time(8, 30))
    for bad in ("7x", "25:00", "d", "999d"):
        with pytest.raises(LeadError):
            parse_lead(bad)


@settings(max_examples=200, deadline=None)
@given(
    day=st.dates(min_value=dt.date(2020, 1, 1), max_value=dt.date(2035, 12, 31)),
    zone=st.sampled_from(["Europe/Warsaw", "Europe/London", "America/New_York", "Africa/Cairo", "Asia/Shanghai",
                          "Australia/Sydney", "Africa/Nairobi"]),
    days=st.integers(min_value=0, max_value=60),
)
def test_day_leads_always_fall_at_eight_local(day: dt.date, zone: str, days: int) -> None:
    o = next_occurrence(entry({"id": "x", "kind": "event", "names": {"en": "X"}, "timezone": "Europe/Warsaw",
                               "dates": {"start": day.isoformat()}}), dt.datetime(2019, 1, 1, tzinfo=UTC), 8000)
    assert o is not None
    local = due_at(o, Lead(days, "d"), zone).astimezone(ZoneInfo(zone))
    assert (local.date(), local.hour, local.minute) == (day - dt.timedelta(days=days), 8, 0)
