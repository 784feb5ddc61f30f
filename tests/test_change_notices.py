"""Every change told once: when new content goes live, each follower of an affected future item gets
one message listing what changed for what they follow — in their language and zone, never for
past items, never twice (replicas, repeated listener calls, restarts) — on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.engine import Engine
from telegram import Bot

from bot.app import Habitat, build
from bot.kernel.clock import FixedClock
from bot.kernel.reply import plain_text
from reminders.models import Subscription
from store.catalog import Catalog
from store.db import session_scope
from store.models import ContentVersion
from store.schema import Entry
from tests.conftest import T0, make_settings
from tests.fakebot import FakeBotApi
from tests.htmlcheck import assert_telegram_html
from tests.test_admin import private_copy, valid_content, valid_template  # noqa: F401 - fixtures
from tests.test_reminders_helpers import (
    CITIES_DAY,
    ENTRIES,
    HA2,
    HABITAT_DAY,
    WUF12,
    bot,
    catalog_of,
    dispatcher_for,
    entry,
    make_services,
    rows_of,
    run_until,
    server,
)

__all__ = ["bot", "server", "valid_content", "valid_template"]  # fixtures
UTC = dt.UTC
NOV_22_2026 = dt.datetime(2026, 11, 22, 7, 0, tzinfo=UTC)

HA3 = entry({
    "id": "HA.3", "kind": "session", "category": "assembly", "body": "assembly", "expected": 2029,
    "names": {"zh": "人居大会第三届会议", "en": "Third session of the UN-Habitat Assembly"},
    "place": {"zh": "内罗毕", "en": "Nairobi"}, "timezone": "Africa/Nairobi",
})
WUF13 = entry({
    "id": "WUF13", "kind": "meeting", "category": "wuf", "body": "wuf",
    "names": {"zh": "世界城市论坛第十三届会议", "en": "Thirteenth session of the World Urban Forum"},
    "dates": {"start": "2026-05-17", "end": "2026-05-22"}, "place": {"zh": "巴库", "en": "Baku"},
    "timezone": "Asia/Baku",
})


def changed(base: Entry, **fields: object) -> Entry:
    return Entry.model_validate({**base.model_dump(exclude_defaults=True), **fields})


def go_live(services: Habitat, entries: list[Entry], version: str) -> Catalog:
    """New content goes live in this process: recorded as a version, swapped, listeners told."""
    with session_scope(services.engine) as session:
        session.add(ContentVersion(digest=version, applied_at=services.clock.now(), applied_by="test"))
    new = catalog_of(entries, version=version)
    old = services.content.swap(new)
    services.content.notify(old, new)
    return old


def texts(server: FakeBotApi, chat_id: int) -> list[str]:
    return [m["text"] for m in server.sent("sendMessage", chat_id=chat_id)]


def start(engine: Engine, clock: FixedClock, entries: list[Entry]) -> Habitat:
    services, _area = make_services(engine, clock)
    with session_scope(engine) as session:
        session.add(ContentVersion(digest="v1", applied_at=clock.now(), applied_by="test"))
    services.content.swap(catalog_of(entries, version="v1"))
    return services


async def test_dates_announced_for_a_session_without_dates_are_told_once_and_reminders_follow(
    engine: Engine, clock: FixedClock, server: FakeBotApi, bot: Bot
) -> None:
    clock.set(NOV_22_2026)
    base = [*ENTRIES, HA3]
    services = start(engine, clock, base)
    services.router.command("timezone", "Beijing", services.askers.asker(901, "en", chat_id=901))
    [followed] = services.router.command("subscribe", "HA.3", services.askers.asker(901, "en", chat_id=901))
    assert "you will be told when they are" in followed.text
    services.router.command("subscribe", "人居大会", services.askers.asker(902, "zh", chat_id=902))
    services.router.command("subscribe", "wuf", services.askers.asker(903, "en", chat_id=903))
    dispatcher = dispatcher_for(services, bot)

    dated = changed(HA3, dates={"start": "2029-05-28", "end": "2029-06-01", "time": "10:00"})
    go_live(services, [*ENTRIES, dated], "v2")
    await dispatcher.run_once()
    [notice] = texts(server, 901)
    assert_telegram_html(notice)
    shown = plain_text(notice)
    assert "Third session of the UN-Habitat Assembly: dates announced: 28 May – 1 June 2029" in shown
    # The opening hour in the follower's zone, the venue's beside it.
    assert "28 May 2029, 15:00 (Asia/Shanghai)" in shown and "28 May 2029, 10:00 (Africa/Nairobi)" in shown
    assert "Next reminder: 28 April 2029, 08:00 (Asia/Shanghai)" in shown
    [zh] = texts(server, 902)
    assert "日期已公布" in zh and "2029年5月28日至6月1日" in zh and "2029年5月28日 10:00 (Africa/Nairobi)" in zh
    assert texts(server, 903) == []  # follows the Forum only: nothing to tell
    # The listener runs again (another replica switching to the same content): nothing more.
    services.content.notify(catalog_of(base, version="v1"), services.content.catalog)
    await dispatcher.run_once()
    assert len(texts(server, 901)) == 1 and len(texts(server, 902)) == 1

    # Reminders are planned from the new dates: 30 days before, 08:00 in Beijing.
    clock.set(dt.datetime(2029, 4, 26, tzinfo=UTC))
    await run_until(services, dispatcher, clock, dt.datetime(2029, 4, 28, 1, 0, tzinfo=UTC), dt.timedelta(hours=6))
    reminders = [t for t in texts(server, 901) if "Reminder" in t]
    assert len(reminders) == 1 and "in 30 days" in reminders[0]

    # Later the venue changes: exactly one more message, naming the new venue and its zone.
    moved = changed(dated, place={"zh": "日内瓦", "en": "Geneva"}, timezone="Europe/Zurich")
    go_live(services, [*ENTRIES, moved], "v3")
    await dispatcher.run_once()
    notices = [t for t in texts(server, 901) if t.startswith("📢")]
    assert len(notices) == 2
    venue = plain_text(notices[1])
    assert "new venue: Geneva (was Nairobi)" in venue and "Venue time is now Europe/Zurich" in venue


async def test_one_message_per_reload_lists_every_kind_of_change_and_nothing_past(
    engine: Engine, clock: FixedClock, server: FakeBotApi, bot: Bot
) -> None:
    services = start(engine, clock, list(ENTRIES))  # 1 October 2024: WUF12 ahead, HA.2 long past
    services.router.command("subscribe", "all", services.askers.asker(911, "en", chat_id=911))
    services.router.command("subscribe", "wuf", services.askers.asker(912, "en", chat_id=912))
    with session_scope(engine) as session:  # followed when it was still ahead
        session.add(Subscription(user_id=913, chat_id=913, target_kind="entry", target="HA.2", leads="1d",
                                 created_at=dt.datetime(2023, 1, 1, tzinfo=UTC)))
    timed = changed(WUF12, dates={"start": "2024-11-04", "end": "2024-11-08", "time": "09:30"},
                    place={"zh": "新开罗", "en": "New Cairo"})
    fixed_past = changed(HA2, dates={"start": "2023-06-06", "end": "2023-06-09"}, place={"en": "Gigiri"})
    upcoming_wuf = changed(WUF13, dates={"start": "2026-05-17", "end": "2026-05-22"})
    go_live(services, [timed, fixed_past, upcoming_wuf, changed(HABITAT_DAY, status="postponed"),
                       changed(CITIES_DAY, status="cancelled"), *[e for e in ENTRIES if e.kind.value == "resolution"]],
            "v2")
    await dispatcher_for(services, bot).run_once()
    [everything] = texts(server, 911)
    shown = plain_text(everything)
    assert "Twelfth session of the World Urban Forum" in shown and "new start time" in shown
    assert "4 November 2024, 10:30 (Africa/Nairobi)" in shown and "4 November 2024, 09:30 (Africa/Cairo)" in shown
    assert "new venue: New Cairo (was Cairo)" in shown
    assert "World Habitat Day: postponed" in shown and "World Cities Day: cancelled" in shown
    assert "new in the calendar: 17–22 May 2026" in shown
    assert "Second session" not in shown  # a past session's corrected record is nobody's news
    [forum] = texts(server, 912)
    assert "new in World Urban Forum" in plain_text(forum) and "World Habitat Day" not in forum
    assert texts(server, 913) == []
    # Cancelled and postponed events have no reminders any more.
    plan_rows = [r for r in rows_of(engine) if r.kind == "reminder" and r.entry_id in ("world-habitat-day", "world-cities-day")]
    assert plan_rows == []


async def test_a_replica_that_skipped_a_version_writes_nothing_and_a_revert_is_told(
    engine: Engine, clock: FixedClock, server: FakeBotApi, bot: Bot
) -> None:
    services = start(engine, clock, list(ENTRIES))
    services.router.command("subscribe", "WUF12", services.askers.asker(921, "en", chat_id=921))
    moved = changed(WUF12, dates={"start": "2024-11-11", "end": "2024-11-15"})
    later = changed(moved, place={"en": "Giza"})
    with session_scope(engine) as session:
        for digest in ("v2", "v3"):
            session.add(ContentVersion(digest=digest, applied_at=clock.now(), applied_by="test"))
    v1, v3 = catalog_of(list(ENTRIES), version="v1"), catalog_of([later, *ENTRIES[1:]], version="v3")
    # This replica went from v1 straight to v3: its diff is not the recorded transition (v2 → v3).
    services.content.notify(v1, v3)
    assert [r for r in rows_of(engine) if r.kind == "change"] == []
    # The replica that saw v2 → v3 tells the venue only (the dates were v2's news).
    services.content.notify(catalog_of([moved, *ENTRIES[1:]], version="v2"), v3)
    dispatcher = dispatcher_for(services, bot)
    await dispatcher.run_once()
    [venue] = texts(server, 921)
    assert "new venue: Giza" in plain_text(venue) and "dates changed" not in plain_text(venue)
    # A rollback to v2's text is a new version: told; and applying v3 again is told again, once.
    services.content.swap(v3)
    go_live(services, [moved, *ENTRIES[1:]], "v2")
    go_live(services, [later, *ENTRIES[1:]], "v3")
    services.content.notify(catalog_of([moved, *ENTRIES[1:]], version="v2"), services.content.catalog)
    await dispatcher.run_once()
    assert len(texts(server, 921)) == 3


def test_a_restart_after_a_reload_tells_nobody_again(
    valid_content: Path, valid_template: Path, tmp_path: Path  # noqa: F811
) -> None:
    content = private_copy(valid_content, tmp_path)
    (tmp_path / "bot.db").write_bytes(valid_template.read_bytes())
    settings = make_settings(f"sqlite:///{tmp_path / 'bot.db'}", content_dir=content)
    clock = FixedClock(T0)
    first = build(settings, clock)
    first.router.command("subscribe", "WUF12", first.askers.asker(931, "en", chat_id=931))
    path = content / "entries" / "meetings.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace(
        "dates: {start: 2024-11-04, end: 2024-11-08}", "dates: {start: 2024-11-05, end: 2024-11-09}"), encoding="utf-8")
    [reloaded] = first.router.command("reload", "", first.askers.asker(4242, "en", chat_id=4242))
    assert "Content reloaded" in reloaded.text
    first.close()
    for _restart in range(2):  # each start reads the live content; nothing is told twice
        again = build(settings, clock)
        again.content.refresh_from_database()
        notices = [r for r in rows_of(again.engine) if r.kind == "change"]
        again.close()
        assert len(notices) == 1 and notices[0].chat_id == 931


async def test_a_renamed_entry_keeps_its_followers_and_tells_only_real_changes(
    engine: Engine, clock: FixedClock, server: FakeBotApi, bot: Bot
) -> None:
    services = start(engine, clock, list(ENTRIES))
    services.router.command("subscribe", "WUF12", services.askers.asker(941, "en", chat_id=941))
    renamed = changed(WUF12, id="WUF.12", former_ids=["WUF12"])
    go_live(services, [renamed, *ENTRIES[1:]], "v2")
    dispatcher = dispatcher_for(services, bot)
    await dispatcher.run_once()
    assert texts(server, 941) == []
    with session_scope(engine) as session:
        [sub] = session.execute(select(Subscription)).scalars().all()
    assert sub.active and sub.target == "WUF12"
    go_live(services, [changed(renamed, dates={"start": "2024-11-05", "end": "2024-11-09"}), *ENTRIES[1:]], "v3")
    await dispatcher.run_once()
    [moved] = texts(server, 941)
    assert "dates changed from 4–8 November 2024 to" in plain_text(moved) and "5–9 November 2024" in plain_text(moved)
