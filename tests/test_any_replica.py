"""Any replica answers any button: what a later press needs is in the button or in the database,
never only in the memory of the process that made the message."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest

from bot.app import Habitat, build
from bot.kernel.clock import FixedClock
from bot.kernel.reply import CALLBACK_LIMIT, Reply
from bot.kernel.router import Asker
from bot.settings import Settings
from tests.conftest import T0, make_settings

ZH = Asker(user_id=7, lang="zh")
ADMIN = Asker(user_id=4242, lang="en", is_admin=True)
#: Far too long for a 64-byte button: its pages go by key.
LONG = "人居署 支持 会员国 推进 新城市议程 的 实施 可持续城市化 多层次治理 城市规划 地方政府 伙伴关系"


def button(reply: Reply, mark: str) -> str:
    return next(b.data for row in reply.buttons for b in row if mark in b.text and b.data)


@pytest.fixture
def replicas(database_url: str, clock: FixedClock) -> Iterator[tuple[Habitat, Habitat]]:
    """Two bots on one database (SQLite file, or PostgreSQL when configured), as two replicas."""
    settings: Settings = make_settings(database_url)
    first = build(settings, clock)
    second = build(settings, clock)
    yield first, second
    first.close()
    second.close()


def test_a_long_search_made_at_one_replica_pages_at_another(replicas: tuple[Habitat, Habitat]) -> None:
    one, other = replicas
    [first] = one.router.command("search", LONG, ZH)
    more = button(first, "▶")
    assert len(more.encode()) <= CALLBACK_LIMIT and ":k:" in more
    [second] = other.router.callback(more, ZH)
    assert "第 6–" in second.text
    [back] = one.router.callback(button(second, "◀"), ZH)
    assert back.text == first.text


def test_a_restart_keeps_long_searches_pageable(settings: Settings, clock: FixedClock) -> None:
    before = build(settings, clock)
    [first] = before.router.command("search", LONG, ZH)
    before.close()
    after = build(settings, clock)
    try:
        [second] = after.router.callback(button(first, "▶"), ZH)
    finally:
        after.close()
    assert "第 6–" in second.text


def test_searches_not_shown_for_a_month_are_pruned_and_say_so(settings: Settings) -> None:
    clock = FixedClock(T0)
    bot = build(settings, clock)
    try:
        [old] = bot.router.command("search", LONG, ZH)
        clock.set(T0 + dt.timedelta(days=20))
        [recent] = bot.router.command("search", LONG + " 住房", ZH)
        clock.set(T0 + dt.timedelta(days=35))
        assert bot.search.queries.prune(clock.now()) == 1
        [expired] = bot.router.callback(button(old, "▶"), ZH)
        [kept] = bot.router.callback(button(recent, "▶"), ZH)
    finally:
        bot.close()
    assert "过期" in expired.text
    assert "第 6–" in kept.text


def test_a_broadcast_prepared_at_one_replica_is_confirmed_at_another_once(
    replicas: tuple[Habitat, Habitat],
) -> None:
    one, other = replicas
    [preview] = one.admin.broadcast("Room change: plenary moves to hall B", ADMIN)
    send = button(preview, "Send")
    [sending] = other.router.callback(send, ADMIN)
    assert "broadcast" in sending.meta
    [again] = one.router.callback(send, ADMIN)
    assert "already" in again.text


def test_forget_asked_at_one_replica_is_confirmed_at_another(replicas: tuple[Habitat, Habitat]) -> None:
    one, other = replicas
    who = Asker(user_id=7007, lang="en", chat_id=7007)
    one.router.command("subscribe", "WUF12", who)
    assert "World Urban Forum" in " ".join(r.text for r in other.router.command("mysubs", "", who))
    [question] = one.router.command("forget", "", who)
    confirm = next(b.data for row in question.buttons for b in row if b.data and b.text.startswith("🗑"))
    other.router.callback(confirm, who)
    assert "World Urban Forum" not in " ".join(r.text for r in one.router.command("mysubs", "", who))
