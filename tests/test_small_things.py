"""The small things a delegate notices: admin commands hidden from others, plural forms, /digest
that says what it is set to and what is wrong, a lead time named as invalid, the languages listed,
/upcoming without duplicates and with a button per item, and no invented hour for all-day events."""

from __future__ import annotations

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st
from icalendar import Calendar
from sqlalchemy.engine import Engine
from sqlmodel import select
from telegram import Bot

from bot.app import Habitat
from bot.kernel.clock import FixedClock
from bot.kernel.reply import plain_text
from bot.kernel.router import Asker
from reminders.area import RemindersArea
from reminders.ics import calendar
from reminders.store import forget_preview, forget_user
from store.db import session_scope
from store.models import ContentVersion
from store.schema import Entry
from tests.fakebot import FakeBotApi
from tests.test_reminders_helpers import (
    HA2,
    WUF12,
    bot,
    catalog_of,
    dispatcher_for,
    make_services,
    run_until,
    server,
)

__all__ = ["bot", "server"]  # fixtures
ADMIN = 4242  # in ADMIN_IDS (tests/conftest.make_settings)
UTC = dt.UTC


def test_help_shows_admin_commands_only_to_admins(services: Habitat) -> None:
    delegate = plain_text(services.router.command("help", "", services.askers.asker(8201, "en"))[0].text)
    admin = plain_text(services.router.command("help", "", services.askers.asker(ADMIN, "en"))[0].text)
    for command in ("/reload", "/rollback", "/broadcast", "/audit"):
        assert command not in delegate and command in admin
    assert "/today" in delegate and "/subscribe" in delegate


def test_plural_forms_one_day_one_event(services: Habitat) -> None:
    who = services.askers.asker(8202, "en", chat_id=8202)
    [one] = services.router.command("subscribe", "WUF12 1d 1h 1m 2d", who)
    assert "1 day before" in one.text and "1 hour before" in one.text and "1 minute before" in one.text
    assert "2 days before" in one.text and "1 days" not in one.text
    [calendar] = services.router.command("ics", "WUF12", who)
    assert "(1 event)" in calendar.text and "events" not in calendar.text
    [ask] = services.router.command("forget", "", who)
    assert "1 subscription\n" in plain_text(ask.text) + "\n"


def test_digest_without_arguments_shows_the_setting_and_a_wrong_hour_is_explained(services: Habitat) -> None:
    who = services.askers.asker(8203, "en", chat_id=8203)
    [off] = services.router.command("digest", "", who)
    assert "Your daily digest is off." in off.text and "Usage" in off.text
    [bad] = services.router.command("digest", "on 25:00", who)
    assert "“25:00” is not a time of day: the hour goes from 00 to 23." in bad.text
    [minutes] = services.router.command("digest", "on 07:75", who)
    assert "the minutes go from 00 to 59" in minutes.text
    services.router.command("digest", "on 7:30", who)
    [on] = services.router.command("digest", "", who)
    assert "on, every day at 07:30 (Africa/Nairobi)" in on.text
    [zh] = services.router.command("digest", "on 24:00", services.askers.asker(8204, "zh", chat_id=8204))
    assert "不是有效的时间" in zh.text


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=12))
def test_any_digest_hour_is_either_set_or_explained(text: str) -> None:

    hour = RemindersArea._digest_hour(text)
    if hour is not None:
        h, m = (int(part) for part in hour.split(":"))
        assert 0 <= h <= 23 and 0 <= m <= 59 and len(hour) == 5
    else:
        assert "is not a time of day" in RemindersArea._bad_hour(text, Asker(lang="en"))


def test_an_invalid_lead_time_is_named_as_such(services: Habitat) -> None:
    who = services.askers.asker(8205, "en", chat_id=8205)
    [banana] = services.router.command("subscribe", "WUF12 banana", who)
    assert "“banana” is not a lead time" in banana.text
    [two] = services.router.command("subscribe", "World Urban Forum Cairo 7d soon", who)
    assert "“soon” is not a lead time" in two.text
    [named] = services.router.command("subscribe", "World Urban Forum Cairo 7d", who)  # a name of several words
    assert "Subscribed to" in named.text


def test_lang_with_an_unknown_code_lists_the_languages(services: Habitat) -> None:
    [reply] = services.router.command("lang", "fr", services.askers.asker(8206, "zh"))
    assert "“fr”" in reply.text and "中文" in reply.text and "English" in reply.text
    assert [b.data for row in reply.buttons for b in row] == ["lang:zh", "lang:en"]


def test_upcoming_has_no_duplicates_and_a_button_for_every_item(services: Habitat, clock: FixedClock) -> None:
    clock.set(dt.datetime(2025, 10, 20, 7, 0, tzinfo=UTC))
    [reply] = services.router.command("upcoming", "", services.askers.asker(8207, "en"))
    lines = [line for line in plain_text(reply.text).splitlines() if line.startswith("• ")]
    assert sum("World Cities Day" in line for line in lines) == 1
    assert any("World Cities Day 2025 · Bogotá" in line for line in lines)
    opened = [b.data for row in reply.buttons for b in row]
    assert len(opened) == len(set(opened))
    names = {services.content.catalog.entries[d.removeprefix("e:")].names.en for d in opened if d}
    for line in lines:
        assert any(name and f"— {name}" in line for name in names), line


async def test_a_reminder_for_an_all_day_event_gives_its_days_and_the_venues_zone(
    engine: Engine, clock: FixedClock, server: FakeBotApi, bot: Bot
) -> None:
    services, _area = make_services(engine, clock)
    services.router.command("timezone", "Nairobi", services.askers.asker(8208, "zh", chat_id=8208))
    services.router.command("subscribe", "WUF12 1d", services.askers.asker(8208, "zh", chat_id=8208))
    clock.set(dt.datetime(2024, 11, 2, tzinfo=UTC))
    await run_until(services, dispatcher_for(services, bot), clock, dt.datetime(2024, 11, 4, tzinfo=UTC), dt.timedelta(hours=12))
    [reminder] = [m["text"] for m in server.sent("sendMessage", chat_id=8208)]
    shown = plain_text(reminder)
    assert "2024年11月4日至8日" in shown and "Africa/Cairo" in shown and "来源未给出开始时间" in shown
    assert "01:00" not in shown and "00:00" not in shown and "开始：" not in shown


def test_calendar_files_keep_all_day_events_all_day_and_time_only_what_the_sources_time() -> None:
    timed = Entry.model_validate({**WUF12.model_dump(exclude_defaults=True),
                                  "dates": {"start": "2024-11-04", "end": "2024-11-08", "time": "09:30"}})
    cancelled = Entry.model_validate({**HA2.model_dump(exclude_defaults=True), "id": "HA.9", "status": "cancelled"})
    data = calendar([timed, WUF12.model_copy(update={"id": "WUF12b"}), cancelled], catalog_of(),
                    dt.datetime(2024, 10, 1, tzinfo=UTC), "en", "test")
    events = {str(e.get("uid")): e for e in Calendar.from_ical(data).walk("VEVENT")}
    assert set(events) == {"WUF12@habitat-assistant", "WUF12b@habitat-assistant"}  # nothing for a cancelled one
    start = events["WUF12@habitat-assistant"].decoded("dtstart")
    assert start.utcoffset() == dt.timedelta(hours=2) and (start.hour, start.minute) == (9, 30)
    assert events["WUF12b@habitat-assistant"].decoded("dtstart") == dt.date(2024, 11, 4)
    assert b"BEGIN:VTIMEZONE" in data and b"TZID:Africa/Cairo" in data


def test_forget_pseudonymizes_who_applied_content_in_its_text_column(engine: Engine) -> None:
    now = dt.datetime(2026, 11, 22, tzinfo=UTC)
    with session_scope(engine) as session:
        session.add(ContentVersion(digest="a" * 64, applied_at=now, applied_by="8210"))
        session.add(ContentVersion(digest="b" * 64, applied_at=now, applied_by="startup"))
    with session_scope(engine) as session:
        deleted, kept = forget_preview(session=session, user_id=8210)
        assert kept == {"content_version": 1} and deleted == {}
        forget_user(session=session, user_id=8210, pseudonym=-12345)
    with session_scope(engine) as session:
        applied = sorted(row.applied_by for row in session.exec(select(ContentVersion)))
    assert applied == ["-12345", "startup"]


def test_asking_in_words_to_be_reminded_offers_the_subscription(services: Habitat, clock: FixedClock) -> None:
    clock.set(dt.datetime(2024, 9, 1, 6, tzinfo=dt.UTC))
    who = Asker(user_id=8801, chat_id=8801, lang="en")
    for asked in ("remind me about WUF12", "Remind me of WUF12!", "please remind me about WUF12?"):
        [offer] = services.router.message(asked, who)
        assert "Follow" in plain_text(offer.text) and "Subscribed" not in offer.text
        [[button]] = offer.buttons
        assert button.data == "sub:WUF12"
    [offer] = services.router.message("提醒我城市十月", Asker(user_id=8802, chat_id=8802, lang="zh"))
    assert "关注" in offer.text and offer.buttons[0][0].data and offer.buttons[0][0].data.startswith("sub:")
    # Only the button subscribes.
    [done] = services.router.callback("sub:WUF12", who)
    assert "Subscribed to" in done.text
    [unknown] = services.router.message("remind me about xyzzy plugh", who)
    assert "Nothing to follow matches" in unknown.text
    # A question that merely mentions reminders is still searched, not taken as a request.
    assert all("Follow" not in r.text for r in services.router.message("what reminders did the Assembly get", who))


def test_how_to_questions_in_words_get_the_explanation(services: Habitat) -> None:
    who = Asker(user_id=8803, chat_id=8803, lang="en")
    for asked in ("how do I subscribe?", "怎么订阅提醒", "subscribe"):
        assert "/subscribe WUF12" in plain_text(services.router.message(asked, who)[0].text)
    for asked in ("what can you do?", "你能做什么"):
        assert "/session HA.2" in plain_text(services.router.message(asked, who)[0].text)
