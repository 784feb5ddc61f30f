"""Lead times: at most ten per subscription, each between a minute and a year; a refused one is named.

Before, ``/subscribe WUF12 1m 2m … 618m`` wrote 618 reminders for one event, ``0m`` was accepted,
and ``WUF12 7d banana 1d`` answered that nothing matches "WUF12 7d banana".
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func
from sqlmodel import select

from bot.app import Habitat as Services
from bot.kernel.occurrences import MAX_LEADS, LeadError, parse_lead, parse_leads, stored_leads
from bot.kernel.reply import plain_text
from reminders.leadtimes import split_leads
from reminders.models import Delivery, Subscription
from store.db import session_scope


def say(services: Services, text: str, user: int = 640, lang: str = "en") -> str:
    replies = services.router.message(text, services.askers.asker(user, lang, chat_id=user))
    return "\n".join(plain_text(r.text) for r in replies)


def rows(services: Services) -> tuple[int, int]:
    with session_scope(services.engine) as session:
        subscriptions = session.exec(select(func.count()).select_from(Subscription)).one()
        deliveries = session.exec(select(func.count()).select_from(Delivery)).one()
    return subscriptions, deliveries


@pytest.mark.parametrize(
    ("args", "answer"),
    [
        ("WUF12 banana", "“banana” is not a lead time"),
        ("WUF12 7d banana 1d", "“banana” is not a lead time"),
        ("WUF12 7x", "“7x” is not a lead time"),
        ("WUF12 25:00", "“25:00” is not a lead time"),
        ("WUF12 0m", "“0m” is too short: a lead time is at least a minute"),
        ("WUF12 0d", "“0d” is too short"),
        ("WUF12 366d", "“366d” is too far ahead: a lead time is at most a year"),
        ("WUF12 53w", "“53w” is too far ahead"),
        ("WUF12 999h 999d", "“999d” is too far ahead"),
        ("WUF12 " + " ".join(f"{n}m" for n in range(1, 619)), "At most 10 lead times per subscription; you gave 618."),
        ("WUF12 " + " ".join(f"{n}d" for n in range(1, 12)), "you gave 11"),
    ],
)
def test_a_refused_lead_time_is_named_and_nothing_is_written(services: Services, args: str, answer: str) -> None:
    before = rows(services)
    reply = say(services, f"/subscribe {args}")
    assert answer in reply and "Subscribed" not in reply
    assert rows(services) == before


def test_ten_lead_times_from_a_minute_to_a_year_are_accepted(services: Services) -> None:
    reply = say(services, "/subscribe WUF12 365d 52w 30d 7d 1d 12h 2h 30m 1m 08:00")
    assert "Subscribed to" in reply and "365 days before" in reply and "on the day at 08:00" in reply
    assert "30 minutes before" in reply
    assert rows(services)[1] <= 10


def test_chinese_refusals_name_the_lead_time(services: Services) -> None:
    assert "“香蕉”不是提前时间" in say(services, "/subscribe WUF12 7天 香蕉", lang="zh")
    assert "每项订阅最多 10 个提前时间" in say(services, "/subscribe WUF12 " + " ".join(f"{n}h" for n in range(1, 13)),
                                            lang="zh")


def test_names_of_several_words_are_still_followed(services: Services) -> None:
    assert "Subscribed to" in say(services, "/subscribe World Urban Forum 7d")
    assert "Say what to follow before the lead times" in say(services, "/subscribe 7d 1d")


def test_stored_subscriptions_from_before_the_limits_still_plan() -> None:
    many = " ".join(f"{n}m" for n in range(1, 619)) + " 0m 999d"
    kept = stored_leads(many)
    assert len(kept) == MAX_LEADS and all(lead.text.endswith("m") for lead in kept)
    assert stored_leads("banana") == ()


@given(st.lists(st.from_regex(r"\d{1,4}(m|h|d|w|天|小时)|\d{1,2}:\d{2}", fullmatch=True), min_size=1, max_size=15))
def test_parsed_leads_are_within_bounds_or_refused_by_name(tokens: list[str]) -> None:
    try:
        leads = parse_leads(" ".join(tokens))
    except LeadError as exc:
        assert exc.reason in ("unknown", "short", "long", "many")
        if exc.reason != "many":
            assert exc.token in tokens
        return
    assert 1 <= len(leads) <= MAX_LEADS
    for lead in leads:
        assert lead.at is not None or 60 <= lead.offset.total_seconds() <= 365 * 86400


@given(st.lists(st.text(min_size=1, max_size=8).filter(lambda t: t.split() == [t]), min_size=1, max_size=8))
def test_splitting_off_lead_times_keeps_every_word(tokens: list[str]) -> None:
    target, leads = split_leads(tokens)
    assert target + leads == tokens
    for token in leads:
        try:
            parse_lead(token)
        except LeadError as exc:
            assert exc.token == token
