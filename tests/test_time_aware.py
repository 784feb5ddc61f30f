"""Answers worded against the bot's clock, on the real content: past events took place, what the
sources expected before an event is shown as expected, nothing past can be subscribed to, a
session without dates can be followed, and /today lists the week in the reader's zone."""

from __future__ import annotations

import datetime as dt

import pytest
from pydantic import ValidationError

from bot.app import Habitat
from bot.kernel.clock import FixedClock
from bot.kernel.reply import Reply, plain_text
from bot.kernel.router import Asker
from bot.kernel.timing import Stage, stage
from store.schema import Entry
from tests.htmlcheck import assert_telegram_html

#: The clock of the issue: the Assembly week of November 2026.
NOV_22_2026 = dt.datetime(2026, 11, 22, 7, 0, tzinfo=dt.UTC)


def who(services: Habitat, user_id: int = 8101, lang: str = "en") -> Asker:
    return services.askers.asker(user_id, lang, chat_id=user_id)


def datas(reply: Reply) -> list[str]:
    return [b.data or "" for row in reply.buttons for b in row]


def test_on_22_november_2026_wuf12_has_no_subscribe_button_and_subscribing_says_it_is_over(
    services: Habitat, clock: FixedClock
) -> None:
    clock.set(NOV_22_2026)
    [card] = services.router.command("event", "WUF12", who(services))
    assert "took place about 2 years ago" in plain_text(card.text)
    assert not any(d.startswith("sub:") for d in datas(card))
    [over] = services.router.command("subscribe", "WUF12", who(services))
    text = plain_text(over.text)
    assert "is over" in text and "4–8 November 2024" in text and "Subscribed" not in text
    # No later Forum is in the sources: following the category is offered instead.
    assert datas(over) == ["sub:cat-wuf"]
    [category] = services.router.callback(datas(over)[0], who(services))
    assert "Subscribed to" in category.text and "World Urban Forum" in category.text
    # The same on an old card's button and a link: nothing past is subscribed to.
    [pressed] = services.router.callback("sub:WUF13", who(services, 8102))
    assert "is over" in pressed.text
    [linked] = services.router.command("start", "sub_WUF12", who(services, 8102))
    assert "is over" in linked.text
    [zh] = services.router.command("subscribe", "WUF12", who(services, 8103, "zh"))
    assert "已经结束" in zh.text and "世界城市论坛" in zh.text


def test_a_past_session_offers_the_next_one_the_sources_know(services: Habitat, clock: FixedClock) -> None:
    clock.set(NOV_22_2026)
    [over] = services.router.command("subscribe", "HA.2", who(services))
    text = plain_text(over.text)
    assert "is over" in text and "The next one the sources know: the third session of the UN-Habitat Assembly" in text and "expected in 2029" in text
    assert "sub:HA.3" in datas(over)
    [follow] = services.router.callback("sub:HA.3", who(services))
    assert "Subscribed to" in follow.text and "Third session" in follow.text
    # Two years earlier the resumed session was still ahead: it is the next one then.
    clock.set(dt.datetime(2024, 11, 22, tzinfo=dt.UTC))
    [earlier] = services.router.command("subscribe", "HA.2", who(services, 8104))
    assert "The next one the sources know: the resumed second session" in plain_text(earlier.text) and "sub:HA.2-resumed" in datas(earlier)


def test_what_a_source_expected_before_the_event_is_shown_as_expected(services: Habitat, clock: FixedClock) -> None:
    clock.set(NOV_22_2026)
    [card] = services.router.command("event", "WUF12", who(services))
    text = plain_text(card.text)
    # HSP/EB.2023/18 is dated 19 September 2023 (content/sources.yaml), before the Forum opened.
    assert "Expected, as of HSP/EB.2023/18, September 2023" in text and "Outcomes" not in text
    [zh] = services.router.command("event", "WUF12", who(services, lang="zh"))
    assert "预期（截至 HSP/EB.2023/18，2023年9月）" in plain_text(zh.text)
    # Outcomes reported after the event (a public report) stay outcomes.
    [ha2] = services.router.command("session", "HA.2", who(services))
    assert "Outcomes" in plain_text(ha2.text) and "Expected" not in plain_text(ha2.text)


def test_a_session_without_dates_can_be_followed(services: Habitat, clock: FixedClock) -> None:
    clock.set(NOV_22_2026)
    [card] = services.router.command("session", "HA.3", who(services))
    assert "Expected in 2029; dates not announced yet" in plain_text(card.text)
    assert "sub:HA.3" in datas(card)
    [followed] = services.router.command("subscribe", "HA.3", who(services))
    text = plain_text(followed.text)
    assert "Subscribed to" in text and "you will be told when they are" in text
    assert "x:ics HA.3" not in datas(followed)  # no dates: nothing for a calendar yet
    [calendar] = services.router.command("ics", "HA.3", who(services))
    assert calendar.attachment is None and "no dates yet" in calendar.text
    # An entry without dates that nothing expects still has nothing to follow.
    [nothing] = services.router.command("subscribe", "WUF1", who(services))
    assert "no dates" in nothing.text


def test_cards_of_coming_events_name_no_hour_the_sources_do_not_give(services: Habitat, clock: FixedClock) -> None:
    clock.set(dt.datetime(2026, 1, 10, tzinfo=dt.UTC))
    [card] = services.router.command("event", "WUF13", who(services))
    text = plain_text(card.text)
    assert "No start time in the sources; the days are the venue's (Asia/Baku)." in text
    assert "00:00" not in text
    clock.set(NOV_22_2026)
    [past] = services.router.command("event", "WUF13", who(services))
    assert "No start time" not in plain_text(past.text) and "took place" in plain_text(past.text)


def test_every_card_renders_valid_html_on_the_assembly_week_clock(services: Habitat, clock: FixedClock) -> None:
    clock.set(NOV_22_2026)
    for entry in services.content.catalog.entries.values():
        for lang in ("zh", "en"):
            [card] = services.router.callback(f"e:{entry.id}", who(services, lang=lang))
            assert_telegram_html(card.text)
            if any(d.startswith("sub:") for d in datas(card)):
                assert stage(entry, NOV_22_2026) in (Stage.COMING, Stage.RUNNING, Stage.RECURRING, Stage.EXPECTED)


def test_stages_of_dated_timed_cancelled_and_postponed_entries() -> None:
    base = {"id": "X.1", "kind": "session", "names": {"en": "X"}, "sources": [{"public": "p"}],
            "dates": {"start": "2026-11-23", "end": "2026-11-24", "time": "10:00"}, "timezone": "Africa/Nairobi"}
    timed = Entry.model_validate(base)
    assert stage(timed, dt.datetime(2026, 11, 23, 6, 59, tzinfo=dt.UTC)) is Stage.COMING  # 09:59 Nairobi
    assert stage(timed, dt.datetime(2026, 11, 23, 7, 0, tzinfo=dt.UTC)) is Stage.RUNNING
    assert stage(timed, dt.datetime(2026, 11, 24, 21, 0, tzinfo=dt.UTC)) is Stage.OVER
    assert stage(Entry.model_validate({**base, "status": "cancelled"}), NOV_22_2026) is Stage.CANCELLED
    assert stage(Entry.model_validate({**base, "status": "postponed"}), NOV_22_2026) is Stage.POSTPONED
    undated = {k: v for k, v in base.items() if k != "dates"}
    assert stage(Entry.model_validate({**undated, "expected": 2026}), NOV_22_2026) is Stage.EXPECTED
    assert stage(Entry.model_validate({**undated, "expected": 2025}), NOV_22_2026) is Stage.OVER
    assert stage(Entry.model_validate(undated), NOV_22_2026) is Stage.UNDATED


def test_today_lists_what_is_on_in_the_readers_day_and_the_next_week(services: Habitat, clock: FixedClock) -> None:
    # 5 November 2024, 23:30 in Beijing: the Forum in Cairo is on its second day.
    clock.set(dt.datetime(2024, 11, 5, 15, 30, tzinfo=dt.UTC))
    services.router.command("timezone", "Beijing", who(services, 8110))
    [today] = services.router.command("today", "", who(services, 8110))
    text = plain_text(today.text)
    assert "Today, 5 November 2024 (Asia/Shanghai)" in text
    head, _sep, later = text.partition("In the next 7 days")
    assert "Twelfth session of the World Urban Forum" in head and "4–8 November 2024 (Africa/Cairo)" in head
    assert "day 2 of 5" in head and "00:00" not in text
    assert "e:WUF12" in datas(today)
    # The plain words work too, in both languages.
    for word in ("今天", "今日"):
        [again] = services.router.message(word, who(services, 8110, "zh"))
        assert "今天" in plain_text(again.text) and "世界城市论坛第十二届会议" in plain_text(again.text)
    [plain] = services.router.message("today", who(services, 8110, "en"))
    assert "Today, 5 November 2024" in plain_text(plain.text)
    # An observance the next week, dated at its venue; nothing invented for today.
    clock.set(dt.datetime(2025, 10, 27, 12, 0, tzinfo=dt.UTC))
    [week] = services.router.command("today", "", who(services, 8111))
    text = plain_text(week.text)
    today_part, _sep, week_part = text.partition("In the next 7 days")
    assert "Urban October" in today_part
    assert "World Cities Day 2025" in week_part and "31 October 2025 (America/Bogota)" in week_part
    assert week_part.count("World Cities Day") == 1  # the observance's rule and its 2025 entry: once
    assert_telegram_html(week.text)


def test_an_opening_time_must_be_written_in_quotes() -> None:
    base = {"id": "X.1", "kind": "session", "names": {"en": "X"}, "sources": [{"public": "p"}]}
    with pytest.raises(ValidationError, match="write the time in quotes"):
        Entry.model_validate({**base, "dates": {"start": "2029-05-28", "time": 600}})  # YAML's reading of 10:00
    with pytest.raises(ValidationError, match="HH:MM"):
        Entry.model_validate({**base, "dates": {"start": "2029-05-28", "time": "ten"}})
    timed = Entry.model_validate({**base, "dates": {"start": "2029-05-28", "time": "10:00"}})
    assert Entry.model_validate_json(timed.model_dump_json(exclude_defaults=True)) == timed  # as stored
