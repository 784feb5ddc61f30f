"""The live calendar feed without Telegram: what /calendar gives out, what the feed holds (an event
per followed occurrence, alarms when the bot's own reminders come, all-day days), whose it is,
and that a reset token stops working."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar, Component
from sqlalchemy import select

from bot.app import Habitat, build
from bot.console import run_console
from bot.kernel.clock import FixedClock
from bot.kernel.occurrences import due_at, occurrences, stored_leads
from bot.kernel.reply import Reply, plain_text
from reminders.calendar import TOKEN_PATTERN, feed_owner, issue_feed
from reminders.feed import AHEAD
from reminders.forget import ForgetButton
from reminders.models import CalendarFeed, Delivery
from reminders.planner import plan
from store.catalog import Catalog
from store.db import session_scope
from tests.conftest import CONTENT, T0, make_settings

PUBLIC = "https://bot.example.org"
URL = re.compile(r"https://bot\.example\.org/calendar/([A-Za-z0-9_-]+)\.ics")


@pytest.fixture
def habitat(loaded_sqlite_url: str) -> Iterator[Habitat]:
    built = build(make_settings(loaded_sqlite_url, public_url=PUBLIC), FixedClock(T0))
    yield built
    built.close()


def say(habitat: Habitat, text: str, user_id: int, lang: str = "en", chat_id: int | None = None) -> list[Reply]:
    return habitat.router.message(text, habitat.askers.asker(user_id, lang, chat_id=chat_id or user_id))


def token_from(replies: list[Reply]) -> str:
    [reply] = replies
    tokens = set(URL.findall(plain_text(reply.text)))
    assert len(tokens) == 1, reply.text
    token = tokens.pop()
    assert f"webcal://bot.example.org/calendar/{token}.ics" in plain_text(reply.text)
    return token


def feed(habitat: Habitat, token: str) -> Calendar:
    found = habitat.calendar.feed_for_token(token)
    assert found is not None
    return Calendar.from_ical(found.body)


def events(calendar: Calendar) -> dict[str, Component]:
    return {str(e["uid"]): e for e in calendar.walk("VEVENT")}


def alarm_instants(event: Component, zone: str) -> set[dt.datetime]:
    """When each alarm fires, read as a calendar app in ``zone`` reads it."""
    start = event.decoded("dtstart")
    if not isinstance(start, dt.datetime):  # all-day: midnight where the calendar is read
        start = dt.datetime.combine(start, dt.time(0), ZoneInfo(zone))
    instants = set()
    for alarm in event.walk("VALARM"):
        offset = alarm.decoded("trigger")
        wall = start.replace(tzinfo=None) + offset  # the reader's wall clock, as calendar apps count
        instants.add(wall.replace(tzinfo=start.tzinfo).astimezone(dt.UTC))
    return instants


def test_calendar_gives_a_secret_https_and_webcal_address_and_keeps_only_its_hash(habitat: Habitat) -> None:
    say(habitat, "/subscribe WUF12", 7101)
    replies = say(habitat, "/calendar", 7101)
    token = token_from(replies)
    assert TOKEN_PATTERN.match(token) and len(token) * 6 >= 128  # url-safe base64: 6 bits a character
    [button] = [b for row in replies[0].buttons for b in row]
    assert button.url == f"{PUBLIC}/calendar/{token}.ics"
    with session_scope(habitat.engine) as session:
        [row] = session.execute(select(CalendarFeed)).scalars().all()
    assert row.user_id == 7101 and row.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in repr(row)
    # Asked again, the address cannot be shown (only its hash is kept): a button makes a new one.
    [again] = say(habitat, "/calendar", 7101)
    assert "already have a calendar address" in again.text and token not in again.text
    assert [b.data for row in again.buttons for b in row] == ["cal:reset"]
    assert feed(habitat, token)  # and the first address still works


def test_reset_revokes_the_old_address(habitat: Habitat) -> None:
    say(habitat, "/subscribe WUF12", 7102)
    first = token_from(say(habitat, "/calendar", 7102))
    second = token_from(say(habitat, "/calendar reset", 7102))
    assert first != second
    assert habitat.calendar.feed_for_token(first) is None
    assert "WUF12@habitat-assistant" in events(feed(habitat, second))
    # The button under "you already have one" resets too.
    [already] = say(habitat, "/calendar", 7102)
    [pressed] = habitat.router.callback(already.buttons[0][0].data or "", habitat.askers.asker(7102, "en", chat_id=7102))
    third = token_from([pressed])
    assert habitat.calendar.feed_for_token(second) is None and habitat.calendar.feed_for_token(third) is not None


@pytest.mark.parametrize("token", ["", "x", "A" * 43, "A" * 42 + "!", "../" * 15, "A" * 44])
def test_unknown_or_malformed_tokens_open_nothing(habitat: Habitat, token: str) -> None:
    say(habitat, "/subscribe WUF12", 7103)
    token_from(say(habitat, "/calendar", 7103))
    assert habitat.calendar.feed_for_token(token) is None


def test_tokens_are_issued_by_hash_and_found_by_hash(engine: object) -> None:
    from sqlalchemy.engine import Engine

    assert isinstance(engine, Engine)
    with session_scope(engine) as session:
        tokens = {issue_feed(session=session, user_id=u, language="en", now=T0) for u in range(8000, 8050)}
    assert len(tokens) == 50  # fresh randomness every time
    with session_scope(engine) as session:
        for token in tokens:
            owner = feed_owner(session=session, token=token)
            assert owner is not None and owner.token_hash == hashlib.sha256(token.encode()).hexdigest()
        stored = {row.token_hash for row in session.execute(select(CalendarFeed)).scalars()}
    assert not stored & tokens


def test_the_feed_has_an_event_per_followed_occurrence_with_alarms_when_the_bot_reminds(habitat: Habitat) -> None:
    user, zone = 7104, "Asia/Shanghai"
    say(habitat, "/timezone Beijing", user)
    say(habitat, "/subscribe WUF12 30d 7d 1d 2h 08:00", user)
    say(habitat, "/subscribe world-cities-day 1d", user)
    calendar = feed(habitat, token_from(say(habitat, "/calendar", user)))
    found = events(calendar)
    catalog = habitat.content.catalog
    # The yearly observance is listed occurrence by occurrence: this year's and next year's.
    cities = sorted(uid for uid in found if uid.startswith("world-cities-day"))
    assert cities == ["world-cities-day-2024-10-31@habitat-assistant", "world-cities-day-2025-10-31@habitat-assistant"]
    assert set(found) == {"WUF12@habitat-assistant", *cities}
    # All-day events are all-day: dates, the end exclusive.
    wuf = found["WUF12@habitat-assistant"]
    assert wuf["dtstart"].to_ical() == b"20241104" and wuf["dtstart"].params["VALUE"] == "DATE"
    assert wuf.decoded("dtend") == dt.date(2024, 11, 9)
    assert str(wuf["summary"]) == "Twelfth session of the World Urban Forum" and str(wuf["location"]) == "Cairo"
    # An alarm per lead time, each firing when the bot's own reminder comes (08:00 Beijing for days).
    [occurrence] = occurrences(catalog.entries["WUF12"], T0, T0 + dt.timedelta(days=60))
    leads = stored_leads("30d 7d 1d 2h 08:00")
    expected = {due_at(occurrence, lead, zone) for lead in leads}
    assert alarm_instants(wuf, zone) == expected and len(expected) == 5
    assert dt.datetime(2024, 10, 28, 0, 0, tzinfo=dt.UTC) in expected  # 7 days before, 08:00 in Beijing
    # The same instants as the reminders the planner writes for Telegram.
    plan(habitat.engine, catalog, T0, lo=T0, hi=T0 + AHEAD, default_zone=habitat.settings.default_timezone)
    with session_scope(habitat.engine) as session:
        planned = session.execute(select(Delivery).where(Delivery.user_id == user)).scalars().all()
    by_event: dict[str, set[dt.datetime]] = {}
    for row in planned:
        key = row.occurrence_key
        uid = "WUF12@habitat-assistant" if key.startswith("WUF12@") else f"{key.replace('@', '-')}@habitat-assistant"
        due = row.due_at if row.due_at.tzinfo else row.due_at.replace(tzinfo=dt.UTC)
        by_event.setdefault(uid, set()).add(due)
    assert by_event == {uid: alarm_instants(event, zone) for uid, event in found.items()}


def test_alarms_already_due_are_left_out(habitat: Habitat) -> None:
    habitat.clock.set(dt.datetime(2024, 10, 30, 12, tzinfo=dt.UTC))  # type: ignore[attr-defined]
    say(habitat, "/subscribe WUF12 30d 1d", 7105)
    wuf = events(feed(habitat, token_from(say(habitat, "/calendar", 7105))))["WUF12@habitat-assistant"]
    assert [str(a["trigger"].to_ical(), "ascii") for a in wuf.walk("VALARM")] == ["-PT16H"]  # 08:00 the day before


def test_the_feed_holds_nothing_of_other_users(habitat: Habitat) -> None:
    say(habitat, "/subscribe WUF12 7d", 7106)
    say(habitat, "/subscribe 世界人居日 3d", 7107, lang="zh")
    say(habitat, "/timezone 东京", 7107, lang="zh")
    mine = habitat.calendar.feed_for_token(token_from(say(habitat, "/calendar", 7106)))
    theirs = habitat.calendar.feed_for_token(token_from(say(habitat, "/calendar", 7107, lang="zh")))
    assert mine is not None and theirs is not None
    assert set(events(Calendar.from_ical(mine.body))) == {"WUF12@habitat-assistant"}
    assert all(uid.startswith("world-habitat-day-") for uid in events(Calendar.from_ical(theirs.body)))
    text = mine.body.decode()
    assert "habitat-day" not in text and "Tokyo" not in text and "7107" not in text and "世界" not in text
    assert "世界人居日" in theirs.body.decode() and "Asia/Tokyo" in theirs.body.decode()  # their language, zone


def test_the_feed_follows_subscriptions_and_content_as_they_change(habitat: Habitat) -> None:
    say(habitat, "/subscribe WUF12 7d", 7108)
    token = token_from(say(habitat, "/calendar", 7108))
    before = habitat.calendar.feed_for_token(token)
    assert before is not None and habitat.calendar.feed_for_token(token) == before  # same bytes, same ETag
    say(habitat, "/subscribe world-cities-day", 7108)
    assert any(uid.startswith("world-cities-day") for uid in events(feed(habitat, token)))
    old = habitat.content.catalog
    wuf = old.entries["WUF12"]
    assert wuf.dates is not None
    moved = wuf.model_copy(update={"dates": wuf.dates.model_copy(update={"start": dt.date(2024, 11, 11),
                                                                         "end": dt.date(2024, 11, 15)})})
    habitat.content.swap(Catalog({**old.entries, "WUF12": moved}, old.documents, old.paragraphs, old.glossary,
                                 old.aliases, "moved"))
    after = events(feed(habitat, token))["WUF12@habitat-assistant"]
    assert after.decoded("dtstart") == dt.date(2024, 11, 11)
    say(habitat, "/unsubscribe WUF12", 7108)
    assert "WUF12@habitat-assistant" not in events(feed(habitat, token))
    changed = habitat.calendar.feed_for_token(token)
    assert changed is not None and changed.etag != before.etag


def test_forget_deletes_the_address(habitat: Habitat) -> None:
    say(habitat, "/subscribe WUF12", 7109)
    token = token_from(say(habitat, "/calendar", 7109))
    [asked] = say(habitat, "/forget", 7109)
    assert "calendar feed address" in asked.text and habitat.calendar.feed_for_token(token) is not None
    habitat.router.callback(ForgetButton("go", 7109).pack(), habitat.askers.asker(7109, "en", chat_id=7109))
    assert habitat.calendar.feed_for_token(token) is None


def test_calendar_in_a_group_is_refused_and_without_public_url_a_file_comes(habitat: Habitat, loaded_sqlite_url: str) -> None:
    say(habitat, "/subscribe WUF12", 7110)
    [group] = say(habitat, "/calendar", 7110, chat_id=-100_123)
    assert "private chat" in group.text and "calendar/" not in group.text
    plain = build(make_settings(loaded_sqlite_url), FixedClock(T0))  # no PUBLIC_URL
    try:
        [reply] = say(plain, "/calendar", 7110)
    finally:
        plain.close()
    assert "PUBLIC_URL is not set" in reply.text and "calendar/" not in reply.text
    assert reply.attachment is not None and reply.attachment.mime == "text/calendar"
    calendar = Calendar.from_ical(reply.attachment.data)
    assert set(events(calendar)) == {"WUF12@habitat-assistant"}
    assert len(events(calendar)["WUF12@habitat-assistant"].walk("VALARM")) == 4  # the default leads


def test_calendar_answers_in_chinese(habitat: Habitat) -> None:
    say(habitat, "/subscribe WUF12", 7111, lang="zh")
    [reply] = say(habitat, "/calendar", 7111, lang="zh")
    assert "你的订阅日历" in reply.text and "目前包含 1 个活动" in reply.text
    calendar = feed(habitat, token_from([reply]))
    assert str(calendar["x-wr-calname"]) == "人居助手：我关注的活动"
    assert str(events(calendar)["WUF12@habitat-assistant"]["summary"]) == "世界城市论坛第十二届会议"


def test_a_timed_event_carries_its_venue_zone_and_alarms_count_on_its_clock(habitat: Habitat) -> None:
    """An opening time in a zone with summer time: the alarm a month ahead, read in Warsaw's zone
    across the end of summer time, still fires at 08:00 in Beijing as the bot's reminder does."""
    old = habitat.content.catalog
    wuf = old.entries["WUF12"]
    assert wuf.dates is not None
    timed = wuf.model_copy(update={"timezone": "Europe/Warsaw", "dates": wuf.dates.model_copy(update={"time": dt.time(10)})})
    habitat.content.swap(Catalog({**old.entries, "WUF12": timed}, old.documents, old.paragraphs, old.glossary,
                                 old.aliases, "timed"))
    say(habitat, "/timezone Beijing", 7112)
    say(habitat, "/subscribe WUF12 30d 2h", 7112)
    found = habitat.calendar.feed_for_token(token_from(say(habitat, "/calendar", 7112)))
    assert found is not None
    assert b"DTSTART;TZID=Europe/Warsaw:20241104T100000" in found.body
    assert b"DTEND;TZID=Europe/Warsaw:20241109T000000" in found.body
    calendar = Calendar.from_ical(found.body)
    assert [str(tz["tzid"]) for tz in calendar.walk("VTIMEZONE")] == ["Europe/Warsaw"]
    wuf_event = events(calendar)["WUF12@habitat-assistant"]
    assert sorted(str(a["trigger"].to_ical(), "ascii") for a in wuf_event.walk("VALARM")) == ["-P30DT8H", "-PT2H"]
    [occurrence] = occurrences(timed, T0, T0 + dt.timedelta(days=60))
    assert alarm_instants(wuf_event, "Asia/Shanghai") == {due_at(occurrence, lead, "Asia/Shanghai")
                                                         for lead in stored_leads("30d 2h")}
    assert dt.datetime(2024, 10, 5, 0, 0, tzinfo=dt.UTC) in alarm_instants(wuf_event, "Asia/Shanghai")


def test_calendar_in_the_console_writes_the_file_under_var_and_prints_its_path(services: Habitat, tmp_path: Path) -> None:
    lines = ["/subscribe WUF12", "/calendar", "/quit"]
    shown: list[str] = []
    files = tmp_path / "var"
    assert run_console(services, read=lambda _prompt: lines.pop(0), write=shown.append, files=files) == 0
    written = files / "habitat-calendar.ics"
    assert written.is_file() and f"file written: {written.resolve()}" in shown[2]
    assert "PUBLIC_URL" in shown[2]  # the console speaks the default language (zh)
    assert set(events(Calendar.from_ical(written.read_bytes()))) == {"WUF12@habitat-assistant"}


def test_the_console_gives_a_file_even_where_public_url_is_set(loaded_sqlite_url: str, tmp_path: Path) -> None:
    """The console serves no HTTP: an address it gave would open nothing while it runs."""
    env = {**os.environ, "DATABASE_URL": loaded_sqlite_url, "CONTENT_DIR": str(CONTENT), "TELEGRAM_BOT_TOKEN": "",
           "PUBLIC_URL": PUBLIC, "SEARCH_INDEX_DIR": str(tmp_path / "index")}
    done = subprocess.run([sys.executable, "-m", "bot", "--now", "2024-10-01T05:00:00Z"], cwd=tmp_path, env=env,
                          input="/subscribe WUF12\n/calendar\n/quit\n", capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert f"file written: {tmp_path / 'var' / 'habitat-calendar.ics'}" in done.stdout
    assert "/calendar/" not in done.stdout
