"""A number before a noun agrees with it ("1 day", "2 days"), and Chinese replies say it their way."""

from __future__ import annotations

import re

from sqlalchemy.engine import Engine

from bot.admin.area import errors_reply
from bot.kernel.clock import FixedClock
from store.content import ContentError
from tests.test_reminders_helpers import make_services

NOUNS = ("day", "week", "hour", "minute", "event", "record", "error", "user", "character")


def disagreements(text: str) -> list[str]:
    """Every "1 days" or "2 day" in an English text."""
    wrong = []
    for match in re.finditer(r"\b(\d+) (?:more )?(" + "|".join(NOUNS) + r")(s?)\b", text):
        if (match.group(1) == "1") == (match.group(3) == "s"):
            wrong.append(match.group(0))
    return wrong


def test_lead_times_agree_with_their_numbers(engine: Engine, clock: FixedClock) -> None:
    services, _area = make_services(engine, clock)
    [en] = services.router.command("subscribe", "WUF12 1w 2d 1d 2h 1h 2m 1m 08:00", services.askers.asker(601, "en", chat_id=601))
    for phrase in ("7 days before", "2 days before", "1 day before", "2 hours before",
                   "1 hour before", "2 minutes before", "1 minute before", "on the day at 08:00"):
        assert phrase in en.text
    assert not disagreements(en.text), en.text
    [zh] = services.router.command("subscribe", "WUF12 1d 7d 08:00", services.askers.asker(602, "zh", chat_id=602))
    assert "提前 7 天、提前 1 天、当天 08:00" in zh.text


def test_calendar_files_count_one_event_and_several(engine: Engine, clock: FixedClock) -> None:
    services, _area = make_services(engine, clock)
    who = services.askers.asker(603, "en", chat_id=603)
    [one] = services.router.command("ics", "WUF12", who)
    assert "(1 event). Open it to add it" in one.text
    services.router.command("subscribe", "WUF12", who)
    services.router.command("subscribe", "urban-october", who)
    [several] = services.router.command("ics", "", who)
    assert "(3 events). Open it to add them" in several.text
    [zh] = services.router.command("ics", "WUF12", services.askers.asker(604, "zh", chat_id=604))
    assert "1 项活动" in zh.text


def test_forget_counts_its_records_in_agreement(engine: Engine, clock: FixedClock) -> None:
    services, _area = make_services(engine, clock)
    who = services.askers.asker(605, "en", chat_id=605)
    services.router.command("subscribe", "WUF12", who)
    [ask] = services.router.command("forget", "", who)  # says what it would delete, asks first
    assert "1 subscription" in ask.text and not disagreements(ask.text), ask.text
    [done] = services.router.callback(ask.buttons[0][0].data or "", who)
    assert re.search(r"\(\d+ records?\)", done.text) and not disagreements(done.text), done.text


def test_content_errors_are_counted_in_agreement() -> None:
    one = errors_reply([ContentError("entries/sessions.yaml", "bad date", line=3)], "en").text
    assert "The content is invalid: 1 error. Nothing was changed." in one
    many = errors_reply([ContentError("entries/sessions.yaml", f"bad date {i}", line=i) for i in range(1, 22)], "en").text
    assert "21 errors." in many and "… and 1 more error." in many
    assert not disagreements(one) and not disagreements(many)
    zh = errors_reply([ContentError("entries/sessions.yaml", "bad date", line=3)], "zh").text
    assert "内容无效：共 1 个错误。" in zh


def test_the_disagreement_check_itself_notices_a_wrong_plural() -> None:
    assert disagreements("in 1 days, 2 event, 1 hour, 3 minutes") == ["1 days", "2 event"]
