"""Logs: one line per event, JSON lines on request, and never the token or what a user wrote."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.kernel.logging_setup import CHATTY, HIDDEN, JsonFormatter, TextFormatter, configure_logging, redact
from handlers.errors import ErrorHandler
from tests.conftest import TelegramHarness
from tests.fakebot import TOKEN

SECRET_PART = TOKEN.split(":")[1]
TOKEN_CHARS = st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")


@pytest.fixture
def captured() -> Iterator[io.StringIO]:
    """The bot's log configuration writing into a buffer; the test run's own logging is restored after."""
    root = logging.getLogger()
    saved = (list(root.handlers), root.level, {name: logging.getLogger(name).level for name in CHATTY})
    buffer = io.StringIO()
    configure_logging("json", "INFO", secrets=(TOKEN,), stream=buffer)
    yield buffer
    handlers, level, levels = saved
    for handler in list(root.handlers):
        root.removeHandler(handler)
    for handler in handlers:
        root.addHandler(handler)
    root.setLevel(level)
    for name, value in levels.items():
        logging.getLogger(name).setLevel(value)
    logging.captureWarnings(False)


@given(
    bot_id=st.integers(min_value=10_000, max_value=99_999_999_999),
    secret=st.text(TOKEN_CHARS, min_size=30, max_size=50),
    before=st.text(st.characters(blacklist_characters=":"), max_size=40),
    after=st.text(st.characters(blacklist_characters=":"), max_size=40),
)
def test_anything_shaped_like_a_token_is_redacted_wherever_it_stands(bot_id: int, secret: str, before: str,
                                                                     after: str) -> None:
    line = redact(f"{before}https://api.telegram.org/bot{bot_id}:{secret}/getUpdates{after}")
    assert f":{secret}" not in line and f"bot{HIDDEN}/getUpdates" in line


def test_a_configured_secret_is_redacted_even_when_it_is_not_token_shaped() -> None:
    assert redact("secret_token=abc-123-xyz", ("abc-123-xyz",)) == f"secret_token={HIDDEN}"


def record_with_error(message: str, *args: object, **extra: object) -> logging.LogRecord:
    try:
        raise RuntimeError(f"request to https://api.telegram.org/bot{TOKEN}/sendMessage failed\nsecond line")
    except RuntimeError:
        import sys

        record = logging.getLogger("t").makeRecord("t", logging.ERROR, __file__, 1, message, args, sys.exc_info(),
                                                   extra=extra)
    return record


def test_json_lines_carry_the_event_its_fields_and_its_traceback_on_one_line() -> None:
    line = JsonFormatter((TOKEN,)).format(record_with_error("update %s failed", 41, update_id=41, kind="message"))
    assert "\n" not in line
    event = json.loads(line)
    assert event["level"] == "ERROR" and event["logger"] == "t" and event["msg"] == "update 41 failed"
    assert event["update_id"] == 41 and event["kind"] == "message"
    assert "RuntimeError" in event["exc"] and "second line" in event["exc"]
    assert SECRET_PART not in line


def test_text_lines_keep_a_traceback_on_the_same_line() -> None:
    line = TextFormatter().format(record_with_error("sending failed"))
    assert "\n" not in line and "ERROR t: sending failed" in line and "RuntimeError" in line
    assert SECRET_PART not in line


def test_library_loggers_that_print_the_token_at_info_are_silenced(captured: io.StringIO) -> None:
    logging.getLogger("httpx").info("HTTP Request: POST https://api.telegram.org/bot%s/getMe", TOKEN)
    logging.getLogger("apscheduler.scheduler").info("Running job")
    logging.getLogger("telegram.ext.Updater").warning("Network error with %s", f"/bot{TOKEN}/getUpdates")
    lines = [json.loads(line) for line in captured.getvalue().splitlines()]
    assert [line["logger"] for line in lines] == ["telegram.ext.Updater"]
    assert SECRET_PART not in captured.getvalue()


async def test_a_failing_update_is_logged_without_what_the_user_wrote_and_admins_hear_once(
    telegram: TelegramHarness, captured: io.StringIO
) -> None:
    server = telegram.server
    words = "/session HA.2 zebra-umbrella-question"
    for attempt in range(2):  # the same bug twice: two log lines, one notice to the admins
        server.fail("sendMessage", error_code=400, description="Bad Request: can't parse entities", chat_id=6001)
        server.send_text(6001, words, user_id=6001, language_code="en")
        sorry = await server.wait_for("sendMessage", chat_id=6001, count=attempt + 1)
        assert sorry[-1]["text"] in ("Sorry, something went wrong. Please try again.", "抱歉，出了点问题。请重试。")
    notices = server.sent("sendMessage", chat_id=4242)
    assert len(notices) == 1 and "BadRequest" in notices[0]["text"]
    lines = [json.loads(line) for line in captured.getvalue().splitlines()]
    failures = [line for line in lines if line["msg"].startswith("update ") and "failed" in line["msg"]]
    assert len(failures) == 2 and all("BadRequest" in f["exc"] for f in failures)
    assert all(line["level"] in ("INFO", "WARNING", "ERROR", "CRITICAL") for line in lines)
    text = captured.getvalue()
    assert "zebra-umbrella-question" not in text and SECRET_PART not in text


def test_admins_hear_of_a_kind_of_error_again_only_after_an_hour() -> None:
    now = [0.0]
    errors = ErrorHandler(lambda: {4242}, monotonic=lambda: now[0])
    assert errors.should_alert(ValueError("one"))
    assert not errors.should_alert(ValueError("two"))
    assert errors.should_alert(KeyError("x"))  # another kind is told at once
    now[0] = 3599
    assert not errors.should_alert(ValueError("three"))
    now[0] = 3600
    assert errors.should_alert(ValueError("four"))
