"""Reminders end to end on real databases (SQLite, and PostgreSQL when TEST_DATABASE_URL is set)
and the fake Bot API, with the clock moved by hand: what users see, when, and how often."""

from __future__ import annotations

import datetime as dt
import json

from icalendar import Calendar
from sqlalchemy import BigInteger, select, update
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel
from telegram import Bot

from bot.kernel.clock import FixedClock
from bot.kernel.reply import plain_text
from handlers.sender import TelegramSender
from reminders.dispatcher import Pacer
from reminders.models import (
    GONE,
    PENDING,
    SENT,
    SKIPPED,
    UNKNOWN,
    Delivery,
    DigestSetting,
    Subscription,
)
from reminders.planner import plan_periodic
from reminders.store import aware
from store.admin_models import AuditEntry
from store.db import session_scope
from store.models import User
from tests.fakebot import FakeBotApi
from tests.htmlcheck import assert_telegram_html
from tests.test_reminders_helpers import (
    ENTRIES,
    WUF12,
    StampingSender,
    VirtualTime,
    bot,
    catalog_of,
    dispatcher_for,
    make_bot,
    make_services,
    rows_of,
    run_until,
    server,
)

__all__ = ["bot", "server"]  # fixtures
UTC = dt.UTC
H = dt.timedelta(hours=1)


def texts(server: FakeBotApi, chat_id: int) -> list[str]:
    return [m["text"] for m in server.sent("sendMessage", chat_id=chat_id)]


async def test_a_subscription_gets_exactly_its_reminders_at_the_right_instants(
    engine: Engine, clock: FixedClock, server: FakeBotApi, bot: Bot
) -> None:
    services, area = make_services(engine, clock)
    [reply] = services.router.command("subscribe", "WUF12", services.askers.asker(501, "en", chat_id=501))
    assert "Subscribed to" in reply.text and "Twelfth session of the World Urban Forum" in reply.text
    assert "5 October 2024, 08:00 (Africa/Nairobi)" in plain_text(reply.text)
    dispatcher = dispatcher_for(services, bot)
    arrivals: list[dt.datetime] = []

    async def note(now: dt.datetime) -> None:
        while len(arrivals) < len(server.sent("sendMessage", chat_id=501)):
            arrivals.append(now)

    await run_until(services, dispatcher, clock, dt.datetime(2024, 11, 10, tzinfo=UTC), dt.timedelta(days=1), note)
    # 30 and 7 days and 1 day before at 08:00 Nairobi (05:00 UTC), and 08:00 on the day.
    assert arrivals == [dt.datetime(2024, 10, 5, 5, 0, tzinfo=UTC), dt.datetime(2024, 10, 28, 5, 0, tzinfo=UTC),
                        dt.datetime(2024, 11, 3, 5, 0, tzinfo=UTC), dt.datetime(2024, 11, 4, 5, 0, tzinfo=UTC)]
    first = server.sent("sendMessage", chat_id=501)[0]
    assert_telegram_html(first["text"])
    assert "in 30 days" in first["text"] and "Cairo" in first["text"] and "Source" in first["text"]
    buttons = [b["callback_data"] for row in first["reply_markup"]["inline_keyboard"] for b in row]
    assert buttons[0].startswith("uns:") and buttons[1].startswith("snz:")
    assert {r.status for r in rows_of(engine)} == {SENT}


async def test_custom_leads_and_the_readers_zone_beside_the_venues(
    engine: Engine, clock: FixedClock, server: FakeBotApi, bot: Bot
) -> None:
    services, area = make_services(engine, clock)
    # The sources give this Forum an opening hour (10:00 in Cairo), so reminders can name it.
    timed = WUF12.model_copy(update={"dates": WUF12.dates.model_copy(update={"time": dt.time(10, 0)})})  # type: ignore[union-attr]
    services.content.swap(catalog_of([timed] + [e for e in ENTRIES if e.id != "WUF12"]))
    [tz] = services.router.command("timezone", "北京", services.askers.asker(502, "en", chat_id=502))
    assert "Asia/Shanghai" in tz.text
    who = services.askers.asker(502, "en", chat_id=502)
    assert who.timezone == "Asia/Shanghai"
    services.router.command("subscribe", "WUF12 7d 2h", who)
    clock.set(dt.datetime(2024, 10, 27, 23, 0, tzinfo=UTC))
    dispatcher = dispatcher_for(services, bot)
    await run_until(services, dispatcher, clock, dt.datetime(2024, 11, 4, 9, tzinfo=UTC), dt.timedelta(days=1))
    sent = texts(server, 502)
    assert len(sent) == 2
    week = plain_text(sent[0])
    # 7 days before at 08:00 Beijing = 00:00 UTC on 28 October; start shown in both zones.
    assert "Asia/Shanghai" in week and "Africa/Cairo" in week and "in 7 days" in week
    assert "4 November 2024, 16:00 (Asia/Shanghai)" in week and "4 November 2024, 10:00 (Africa/Cairo)" in week
    assert "in 2 hours" in plain_text(sent[1])


async def test_mysubs_unsubscribe_button_and_command(engine: Engine, clock: FixedClock, server: FakeBotApi, bot: Bot) -> None:
    services, area = make_services(engine, clock)
    who = services.askers.asker(503, "en", chat_id=503)
    services.router.command("subscribe", "WUF12", who)
    services.router.command("subscribe", "wuf 1d", who)
    services.router.command("subscribe", "all", who)
    [mine] = services.router.command("mysubs", "", who)
    lines = plain_text(mine.text)
    assert "Twelfth session" in lines and "category World Urban Forum" in lines and "everything" in lines
    assert [b.data for row in mine.buttons for b in row][0].startswith("uns:")
    [stopped] = services.router.callback(mine.buttons[0][0].data or "", who)
    assert "Unsubscribed" in stopped.text and stopped.buttons[0][0].data == "sub:WUF12"
    [again] = services.router.callback(mine.buttons[0][0].data or "", who)
    assert "already stopped" in again.text
    [both] = services.router.command("unsubscribe", "all", who)
    assert "Unsubscribed" in both.text
    [empty] = services.router.command("mysubs", "", who)
    assert "You follow nothing" in empty.text
    plan_periodic(engine, services.content.catalog, clock.now())
    clock.set(dt.datetime(2024, 11, 5, tzinfo=UTC))
    await dispatcher_for(services, bot).run_once()
    assert texts(server, 503) == []


async def test_subscribe_button_on_cards_and_deep_links(engine: Engine, clock: FixedClock) -> None:
    services, area = make_services(engine, clock)
    [card] = services.router.command("session", "WUF12", services.askers.asker(504, "en", chat_id=504))
    assert any(b.data == "sub:WUF12" for row in card.buttons for b in row)
    [resolution] = services.router.command("resolution", "2/7", services.askers.asker(504, "en", chat_id=504))
    assert not any((b.data or "").startswith("sub:") for row in resolution.buttons for b in row)
    # A link only offers the subscription; its button subscribes.
    [offer] = services.router.command("start", "sub_WUF12", services.askers.asker(505, "en", chat_id=505))
    assert "Subscribed" not in offer.text and "WUF12" in offer.text
    [confirm] = [b.data for row in offer.buttons for b in row]
    [linked] = services.router.callback(confirm or "", services.askers.asker(505, "en", chat_id=505))
    assert "Subscribed to" in linked.text
    # HA.2 (June 2023) is over on this clock: the link says so and offers its body's category.
    [offer] = services.router.command("start", "sub_HA_d2", services.askers.asker(505, "en", chat_id=505))
    assert "The <b>second session of the UN-Habitat Assembly</b> is over" in offer.text and "is over" in offer.text
    [category] = services.router.callback(offer.buttons[0][0].data or "", services.askers.asker(505, "en", chat_id=505))
    assert "Subscribed to" in category.text and "UN-Habitat Assembly" in category.text
    [everything] = services.router.callback("sub:all", services.askers.asker(506, "zh", chat_id=506))
    assert "全部" in everything.text or "everything" in everything.text
    [nothing] = services.router.command("subscribe", "res-2/7", services.askers.asker(530, "en", chat_id=530))
    assert "no dates" in nothing.text
    [bad] = services.router.command("subscribe", "WUF12 7x", services.askers.asker(530, "en", chat_id=530))
    assert "“7x” is not a lead time" in bad.text


async def test_ics_for_one_event_and_for_all_subscriptions(engine: Engine, clock: FixedClock) -> None:
    services, area = make_services(engine, clock)
    who = services.askers.asker(507, "en", chat_id=507)
    [one] = services.router.command("ics", "WUF12", who)
    assert one.attachment is not None and one.attachment.filename == "WUF12.ics"
    event = next(c for c in Calendar.from_ical(one.attachment.data).walk("VEVENT"))
    assert event.decoded("dtstart") == dt.date(2024, 11, 4) and event.decoded("dtend") == dt.date(2024, 11, 9)
    assert "Cairo" in str(event.get("location"))
    [none] = services.router.command("ics", "", who)
    assert none.attachment is None
    services.router.command("subscribe", "WUF12", who)
    services.router.command("subscribe", "urban-october", who)
    [mine] = services.router.command("ics", "", who)
    assert mine.attachment is not None
    events = list(Calendar.from_ical(mine.attachment.data).walk("VEVENT"))
    assert {str(e.get("uid")) for e in events} == {
        "WUF12@habitat-assistant", "world-habitat-day@habitat-assistant", "world-cities-day@habitat-assistant"}
    habitat = next(e for e in events if "habitat-day" in str(e.get("uid")))
    assert habitat.get("rrule")["BYDAY"] == ["+1MO"]


async def test_daily_digest_at_the_users_hour(engine: Engine, clock: FixedClock, server: FakeBotApi, bot: Bot) -> None:
    services, area = make_services(engine, clock)
    who = services.askers.asker(508, "en", chat_id=508)
    services.router.command("subscribe", "urban-october 1d", who)
    [on] = services.router.command("digest", "on 07:30", who)
    assert "07:30" in on.text
    dispatcher = dispatcher_for(services, bot)
    # 1 Oct 05:00 UTC = 08:00 Nairobi: today's 07:30 has passed; the next digest is 2 Oct 04:30 UTC.
    await run_until(services, dispatcher, clock, dt.datetime(2024, 10, 2, 4, 0, tzinfo=UTC), H)
    assert texts(server, 508) == []
    await run_until(services, dispatcher, clock, dt.datetime(2024, 10, 2, 4, 30, tzinfo=UTC), dt.timedelta(minutes=30))
    [digest] = texts(server, 508)
    assert "Your week ahead" in digest and "World Habitat Day" in digest and "World Cities Day" not in digest
    [off] = services.router.command("digest", "off", who)
    assert "off" in off.text
    await run_until(services, dispatcher, clock, dt.datetime(2024, 10, 4, tzinfo=UTC), dt.timedelta(days=1))
    assert len(texts(server, 508)) == 1


async def test_forget_leaves_nothing_of_the_user_in_any_table(
    engine: Engine, clock: FixedClock, server: FakeBotApi, bot: Bot
) -> None:
    services, area = make_services(engine, clock)
    uid = 7_000_000_509  # beyond 32 bits on purpose
    who = services.askers.asker(uid, "en", chat_id=uid)
    services.router.command("timezone", "Cairo", who)
    services.lookup.lang("en", who)
    services.router.command("subscribe", "WUF12", who)
    services.router.command("subscribe", "all 2h", who)
    services.router.command("digest", "on", who)
    other = services.askers.asker(510, "en", chat_id=510)
    services.router.command("subscribe", "WUF12", other)
    await run_until(services, dispatcher_for(services, bot), clock, dt.datetime(2024, 10, 6, tzinfo=UTC), dt.timedelta(days=1))
    [snooze_source] = [r for r in rows_of(engine) if r.user_id == uid and r.status == SENT][:1]
    services.router.callback(f"snz:{snooze_source.id}", who)

    def mentions(value: int) -> list[str]:
        found = []
        with engine.connect() as conn:
            for table in SQLModel.metadata.sorted_tables:
                for column in table.c:
                    if isinstance(column.type, BigInteger) or column.name in ("id", "user_id", "chat_id"):
                        try:
                            hit = conn.execute(select(table).where(column == value).limit(1)).first()
                        except Exception:  # a text column compared with a number on PostgreSQL
                            conn.rollback()
                            continue
                        if hit is not None:
                            found.append(f"{table.name}.{column.name}")
        return found

    services.router.command("reload", "", who)  # refused, and audited: the audit outlives /forget
    [ask] = services.router.command("forget", "", who)
    shown = plain_text(ask.text)
    assert "2 subscriptions" in shown and "your daily digest setting" in shown
    assert "Kept, with a pseudonym instead of your id: 1 record" in shown
    confirm, cancel = (b.data or "" for b in ask.buttons[0])
    [kept] = services.router.callback(cancel, who)
    assert "Nothing was deleted" in kept.text and mentions(uid) != []
    [stranger] = services.router.callback(confirm, other)  # only the one who asked can confirm
    assert "for the person who sent /forget" in stranger.text and mentions(uid) != []
    [done] = services.router.callback(confirm, who)
    assert "deleted everything" in done.text

    assert mentions(uid) == []
    assert mentions(510) != []  # the other delegate keeps everything
    with session_scope(engine) as session:
        [audit] = session.execute(select(AuditEntry).where(AuditEntry.action == "reload")).scalars().all()
    assert audit.user_id is not None and audit.user_id < 0  # a pseudonym, the same on every /forget
    [nothing] = services.router.command("forget", "", who)
    assert "nothing" in nothing.text


async def test_restart_after_downtime_sends_once_marked_late(
    engine: Engine, clock: FixedClock, server: FakeBotApi, bot: Bot
) -> None:
    services, area = make_services(engine, clock)
    clock.set(dt.datetime(2024, 11, 2, 12, 0, tzinfo=UTC))
    services.router.command("subscribe", "WUF12", services.askers.asker(511, "en", chat_id=511))
    plan_periodic(engine, services.content.catalog, clock.now())
    # The bot is down from now until 3 Nov 09:00: the "1 day before" reminder (05:00) is missed.
    clock.set(dt.datetime(2024, 11, 3, 9, 0, tzinfo=UTC))
    restarted = dispatcher_for(services, bot)
    plan_periodic(engine, services.content.catalog, clock.now())
    assert await restarted.run_once() == 1
    assert await restarted.run_once() == 0
    [late] = texts(server, 511)
    assert "Sent late" in late and "tomorrow" in late and "13 hours" not in late  # all day: no hour
    row = next(r for r in rows_of(engine) if r.lead == "1d")
    assert (row.status, row.late, row.attempts) == (SENT, True, 1)


async def test_downtime_past_the_start_records_skipped(engine: Engine, clock: FixedClock, server: FakeBotApi, bot: Bot) -> None:
    services, area = make_services(engine, clock)
    clock.set(dt.datetime(2024, 11, 2, 12, 0, tzinfo=UTC))
    services.router.command("subscribe", "WUF12 1d", services.askers.asker(512, "en", chat_id=512))
    # Down until the Forum is under way: the reminder would be useless now.
    clock.set(dt.datetime(2024, 11, 5, 9, 0, tzinfo=UTC))
    plan_periodic(engine, services.content.catalog, clock.now())
    await dispatcher_for(services, bot).run_once()
    assert texts(server, 512) == []
    assert [(r.lead, r.status) for r in rows_of(engine)] == [("1d", SKIPPED)]


async def test_blocked_user_one_attempt_and_subscriptions_deactivated(
    engine: Engine, clock: FixedClock, server: FakeBotApi, bot: Bot
) -> None:
    services, area = make_services(engine, clock)
    services.router.command("subscribe", "WUF12", services.askers.asker(513, "en", chat_id=513))
    services.router.command("subscribe", "all 1d", services.askers.asker(513, "en", chat_id=513))
    server.block(513)
    dispatcher = dispatcher_for(services, bot)
    await run_until(services, dispatcher, clock, dt.datetime(2024, 11, 10, tzinfo=UTC), dt.timedelta(days=1))
    attempts = server.sent("sendMessage", chat_id=513, include_failed=True)
    assert len(attempts) == 1
    rows = rows_of(engine)
    assert [(r.status, r.attempts) for r in rows if r.status != PENDING] == [(GONE, 1)]
    with session_scope(engine) as session:
        subs = list(session.execute(select(Subscription)).scalars())
    assert subs and all(not s.active and s.inactive_reason == "unreachable" for s in subs)


async def test_chat_not_found_is_treated_like_a_block(engine: Engine, clock: FixedClock, server: FakeBotApi, bot: Bot) -> None:
    services, area = make_services(engine, clock)
    services.router.command("subscribe", "WUF12 30d", services.askers.asker(514, "en", chat_id=514))
    server.unknown_chat(514)
    await run_until(services, dispatcher_for(services, bot), clock, dt.datetime(2024, 10, 6, tzinfo=UTC), dt.timedelta(days=1))
    [row] = rows_of(engine)
    assert (row.status, row.attempts) == (GONE, 1)


async def test_429_storm_pauses_everything_and_is_not_an_attempt(
    engine: Engine, clock: FixedClock, server: FakeBotApi, bot: Bot
) -> None:
    services, area = make_services(engine, clock)
    for chat in range(600, 640):
        services.router.command("subscribe", "WUF12 30d", services.askers.asker(chat, "en", chat_id=chat))
    clock.set(dt.datetime(2024, 10, 5, 5, 0, tzinfo=UTC))
    plan_periodic(engine, services.content.catalog, clock.now())
    time = VirtualTime()
    sender = StampingSender(TelegramSender(bot), time)
    server.fail("sendMessage", times=6, retry_after=3)
    dispatcher = dispatcher_for(services, bot, sender=sender,
                                pacer=Pacer(30, monotonic=time.monotonic, sleep=time.sleep))
    assert await dispatcher.run_once() == 40
    pauses = dispatcher.pacer.pauses
    assert pauses and all(until - start == 3 for start, until in pauses)
    # No request started while a pause was on, and every chat got exactly one reminder.
    for start, until in pauses:
        assert not [t for t, _chat in sender.starts if start < t < until]
    assert sorted(_chat for _t, _chat in sender.starts[-40:]) == list(range(600, 640))
    assert all(len(server.sent("sendMessage", chat_id=c)) == 1 for c in range(600, 640))
    assert {(r.status, r.attempts) for r in rows_of(engine)} == {(SENT, 1)}


async def test_per_chat_and_global_limits_on_the_virtual_clock(
    engine: Engine, clock: FixedClock, server: FakeBotApi, bot: Bot
) -> None:
    services, area = make_services(engine, clock)
    for chat in range(700, 760):
        services.router.command("subscribe", "WUF12 30d", services.askers.asker(chat, "en", chat_id=chat))
    services.router.command("subscribe", "world-habitat-day 2h 1h 30m", services.askers.asker(700, "en", chat_id=700))
    # World Habitat Day 2024 starts 7 Oct 00:00 Nairobi = 6 Oct 21:00 UTC: at 20:40 all of chat
    # 700's three reminders are due (two late, the event not started) besides the 60 WUF12 ones.
    clock.set(dt.datetime(2024, 10, 6, 20, 40, tzinfo=UTC))
    plan_periodic(engine, services.content.catalog, clock.now())
    time = VirtualTime()
    sender = StampingSender(TelegramSender(bot), time)
    dispatcher = dispatcher_for(services, bot, sender=sender, pacer=Pacer(30, monotonic=time.monotonic, sleep=time.sleep))
    await dispatcher.run_once()
    starts = [t for t, _ in sender.starts]
    assert len(starts) == 63
    for t in starts:  # at most 30 requests start in any one-second window
        assert sum(1 for u in starts if t <= u < t + 1.0) <= 30
    mine = [t for t, chat in sender.starts if chat == 700]
    assert len(mine) == 4 and all(b - a >= 1.0 for a, b in zip(mine, mine[1:], strict=False))


async def test_migrated_group_gets_the_reminder_at_its_new_id(
    engine: Engine, clock: FixedClock, server: FakeBotApi, bot: Bot
) -> None:
    services, area = make_services(engine, clock)
    group, supergroup = -4001, -1009876543210
    services.router.command("subscribe", "WUF12 30d 7d", services.askers.asker(515, "en", chat_id=group))
    server.fail("sendMessage", chat_id=group, migrate_to_chat_id=supergroup, times=None)
    dispatcher = dispatcher_for(services, bot)
    await run_until(services, dispatcher, clock, dt.datetime(2024, 10, 29, tzinfo=UTC), dt.timedelta(days=1))
    assert len(texts(server, supergroup)) == 2
    with session_scope(engine) as session:
        sub = session.execute(select(Subscription)).scalars().one()
    assert sub.chat_id == supergroup and sub.active


async def test_read_timeout_after_sending_is_unknown_and_not_resent(
    engine: Engine, clock: FixedClock, server: FakeBotApi
) -> None:
    services, area = make_services(engine, clock)
    services.router.command("subscribe", "WUF12 30d", services.askers.asker(516, "en", chat_id=516))
    slow = await make_bot(server, read_timeout=0.2)
    try:
        server.delay("sendMessage", 1.0)
        dispatcher = dispatcher_for(services, slow)
        clock.set(dt.datetime(2024, 10, 5, 5, 0, tzinfo=UTC))
        plan_periodic(engine, services.content.catalog, clock.now())
        await dispatcher.run_once()
        await server.wait_for("sendMessage", chat_id=516)  # the held request did reach "Telegram"
        clock.advance(H)
        await dispatcher.run_once()
        [row] = rows_of(engine)
        assert (row.status, row.attempts) == (UNKNOWN, 1)
        assert len(server.sent("sendMessage", chat_id=516, include_failed=True)) == 1
    finally:
        await slow.shutdown()


async def test_other_errors_retry_with_backoff_up_to_a_cap(
    engine: Engine, clock: FixedClock, server: FakeBotApi, bot: Bot
) -> None:
    services, area = make_services(engine, clock)
    services.router.command("subscribe", "WUF12 30d", services.askers.asker(517, "en", chat_id=517))
    services.router.command("subscribe", "WUF12 30d", services.askers.asker(518, "en", chat_id=518))
    server.fail("sendMessage", chat_id=517, error_code=500, description="Internal Server Error", times=2)
    server.fail("sendMessage", chat_id=518, error_code=500, description="Internal Server Error", times=None)
    dispatcher = dispatcher_for(services, bot, max_attempts=4)
    clock.set(dt.datetime(2024, 10, 5, 5, 0, tzinfo=UTC))
    plan_periodic(engine, services.content.catalog, clock.now())
    await dispatcher.run_once()
    row = next(r for r in rows_of(engine) if r.chat_id == 517)
    assert (row.status, row.attempts) == (PENDING, 1)
    assert aware(row.available_at) == clock.now() + dt.timedelta(seconds=30)
    await dispatcher.run_once()  # not yet due again: nothing happens
    assert len(server.sent("sendMessage", chat_id=517, include_failed=True)) == 1
    for _ in range(6):
        clock.advance(dt.timedelta(minutes=5))
        await dispatcher.run_once()
    assert len(texts(server, 517)) == 1
    done = {r.chat_id: (r.status, r.attempts) for r in rows_of(engine)}
    assert done == {517: (SENT, 3), 518: ("failed", 4)}


async def test_following_an_event_twice_sends_one_reminder(engine: Engine, clock: FixedClock, server: FakeBotApi, bot: Bot) -> None:
    services, area = make_services(engine, clock)
    who = services.askers.asker(519, "en", chat_id=519)
    services.router.command("subscribe", "WUF12 30d", who)
    services.router.command("subscribe", "wuf 30d", who)
    services.router.command("subscribe", "all 30d", who)
    await run_until(services, dispatcher_for(services, bot), clock, dt.datetime(2024, 10, 6, tzinfo=UTC), dt.timedelta(days=1))
    assert len(texts(server, 519)) == 1


async def test_snooze_sends_the_reminder_again_an_hour_later(
    engine: Engine, clock: FixedClock, server: FakeBotApi, bot: Bot
) -> None:
    services, area = make_services(engine, clock)
    who = services.askers.asker(520, "en", chat_id=520)
    services.router.command("subscribe", "WUF12 30d", who)
    dispatcher = dispatcher_for(services, bot)
    await run_until(services, dispatcher, clock, dt.datetime(2024, 10, 5, 5, 0, tzinfo=UTC), H)
    [first] = server.sent("sendMessage", chat_id=520)
    snooze = first["reply_markup"]["inline_keyboard"][0][1]["callback_data"]
    [ok] = services.router.callback(snooze, who)
    assert "remind you again" in ok.text
    await run_until(services, dispatcher, clock, dt.datetime(2024, 10, 5, 5, 50, tzinfo=UTC), dt.timedelta(minutes=10))
    assert len(texts(server, 520)) == 1
    await run_until(services, dispatcher, clock, dt.datetime(2024, 10, 5, 6, 10, tzinfo=UTC), dt.timedelta(minutes=10))
    assert len(texts(server, 520)) == 2
    [stranger] = services.router.callback(snooze, services.askers.asker(521, "en", chat_id=521))
    assert "no longer valid" in stranger.text


async def test_content_change_replans_cancels_and_tells_each_subscriber_once(
    engine: Engine, clock: FixedClock, server: FakeBotApi, bot: Bot
) -> None:
    services, area = make_services(engine, clock)
    a, b, c = (services.askers.asker(u, "en", chat_id=u) for u in (522, 523, 524))
    services.router.command("subscribe", "WUF12", a)
    services.router.command("subscribe", "wuf", a)  # two routes to WUF12: still one notice
    services.router.command("subscribe", "all", b)
    services.router.command("subscribe", "world-cities-day", c)
    clock.set(dt.datetime(2024, 10, 4, 6, tzinfo=UTC))
    plan_periodic(engine, services.content.catalog, clock.now())
    assert any(r.entry_id == "WUF12" and r.status == PENDING for r in rows_of(engine))
    old = services.content.catalog
    moved = WUF12.model_copy(update={"dates": WUF12.dates.model_copy(update={"start": dt.date(2024, 11, 11),  # type: ignore[union-attr]
                                                                              "end": dt.date(2024, 11, 15)})})
    new = catalog_of([moved] + [e for e in ENTRIES if e.id not in ("WUF12", "world-cities-day")], version="v2")
    services.content.swap(new)
    for listener in services.content.listeners:
        listener(old, new)
    assert not [r for r in rows_of(engine) if r.entry_id == "WUF12" and r.status == PENDING and "2024-11-04" in r.occurrence_key]
    dispatcher = dispatcher_for(services, bot)
    await dispatcher.run_once()
    [notice_a] = texts(server, 522)
    assert "4–8 November 2024" in notice_a and "11–15 November 2024" in notice_a
    [notice_b] = texts(server, 523)
    assert "World Cities Day" in notice_b and "Twelfth session" in notice_b
    [notice_c] = texts(server, 524)
    assert "no longer in the calendar" in notice_c and "Twelfth" not in notice_c
    with session_scope(engine) as session:
        removed = session.execute(select(Subscription).where(Subscription.chat_id == 524)).scalars().one()
    assert not removed.active
    # Calling the listener again (a second replica, a retried reload) sends nothing more.
    for listener in services.content.listeners:
        listener(old, new)
    await dispatcher.run_once()
    assert len(texts(server, 522)) == 1
    # Reminders follow the new dates: 7 days before 11 November.
    await run_until(services, dispatcher, clock, dt.datetime(2024, 11, 5, tzinfo=UTC), dt.timedelta(days=1))
    assert any("in 7 days" in t for t in texts(server, 522))
    assert not any("World Cities Day" in t and "Reminder" in t for t in texts(server, 524))


async def test_timezone_answers_and_replans(engine: Engine, clock: FixedClock) -> None:
    services, area = make_services(engine, clock)
    who = services.askers.asker(525, "en", chat_id=525)
    [current] = services.router.command("timezone", "", who)
    assert "Africa/Nairobi" in current.text
    [unknown] = services.router.command("timezone", "Atlantis", who)
    assert "do not know" in unknown.text
    clock.set(dt.datetime(2024, 11, 2, 12, 0, tzinfo=UTC))
    services.router.command("subscribe", "WUF12 1d", who)
    [row] = rows_of(engine)
    assert aware(row.due_at) == dt.datetime(2024, 11, 3, 5, 0, tzinfo=UTC)
    [ok] = services.router.command("timezone", "New York", services.askers.asker(525, "en", chat_id=525))
    assert "America/New_York" in ok.text
    [row] = rows_of(engine)
    assert aware(row.due_at) == dt.datetime(2024, 11, 3, 13, 0, tzinfo=UTC)  # 08:00 EST: the US left DST that night


async def test_chinese_replies(engine: Engine, clock: FixedClock, server: FakeBotApi, bot: Bot) -> None:
    services, area = make_services(engine, clock)
    who = services.askers.asker(526, "zh", chat_id=526)
    with session_scope(engine) as session:
        session.merge(User(id=526, language="zh", created_at=clock.now()))  # chose Chinese with /lang
    [reply] = services.router.command("subscribe", "世界城市论坛第十二届会议", who)
    assert "已订阅" in reply.text and "提前 30 天" in reply.text
    await run_until(services, dispatcher_for(services, bot), clock, dt.datetime(2024, 10, 6, tzinfo=UTC), dt.timedelta(days=1))
    [sent] = texts(server, 526)
    assert "提醒" in sent and "开罗" in sent and "还有 30 天" in sent and "会场时间" in sent


def test_delivery_keys_are_unique_per_subscription_occurrence_and_lead(engine: Engine, clock: FixedClock) -> None:
    services, area = make_services(engine, clock)
    services.router.command("subscribe", "all", services.askers.asker(527, "en", chat_id=527))
    for _ in range(3):
        plan_periodic(engine, services.content.catalog, dt.datetime(2024, 10, 4, tzinfo=UTC))
        with session_scope(engine) as session:
            session.execute(update(Delivery).values(available_at=Delivery.available_at))
    keys = [r.key for r in rows_of(engine)]
    assert keys and len(keys) == len(set(keys))
    payloads = [json.loads(r.payload) for r in rows_of(engine) if r.payload]
    assert payloads == []
    with session_scope(engine) as session:
        assert session.get(DigestSetting, 527) is None


async def test_in_a_group_another_member_cannot_take_over_or_stop_a_subscription(
    engine: Engine, clock: FixedClock, server: FakeBotApi, bot: Bot
) -> None:
    services, area = make_services(engine, clock)
    group = -100777
    first, second = services.askers.asker(601, "en", chat_id=group), services.askers.asker(602, "en", chat_id=group)
    [made] = services.router.command("subscribe", "WUF12 7d 1d", first)
    assert "Subscribed to" in made.text
    [refused] = services.router.command("subscribe", "WUF12", second)
    text = plain_text(refused.text)
    assert "already follows" in text and "7 days" in text and "Subscribed" not in text
    [pressed] = services.router.callback(made.buttons[0][0].data or "", second)  # A's Unsubscribe button, pressed by B
    assert "Only the member who set up" in pressed.text
    with session_scope(engine) as session:
        [sub] = list(session.execute(select(Subscription)).scalars())
    assert (sub.user_id, sub.leads, sub.active) == (601, "7d 1d", True)
    [mine] = services.router.command("mysubs", "", first)
    assert "Twelfth session" in plain_text(mine.text)
    # In B's own chat, B follows it for themself; A can still stop the group's.
    [own] = services.router.command("subscribe", "WUF12", services.askers.asker(602, "en", chat_id=602))
    assert "Subscribed to" in own.text
    [stopped] = services.router.callback(made.buttons[0][0].data or "", first)
    assert "Unsubscribed" in stopped.text
    # Once stopped, any member may follow it again in the group.
    [again] = services.router.command("subscribe", "WUF12", second)
    assert "Subscribed to" in again.text
