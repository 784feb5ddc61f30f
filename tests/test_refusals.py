"""Small refusals of issue 11: nobody's id as an admin, a forged category button, and faults of
Telegram's side (a blocked user, a dropped connection) logged as one warning line, no traceback."""

from __future__ import annotations

import logging

import pytest
from sqlmodel import select

from bot.kernel.reply import plain_text
from store.admin_models import AdminUser
from store.db import session_scope
from tests.conftest import TelegramHarness
from tests.test_admin import ADMIN, Live, live_sqlite, valid_content, valid_template  # noqa: F401 - fixtures


@pytest.mark.parametrize("user_id", ["-1", "0", "-1001234567890"])
def test_admin_add_refuses_ids_that_are_no_user(live_sqlite: Live, user_id: str) -> None:  # noqa: F811
    reply = live_sqlite.say(f"/admin add {user_id}")
    assert f"{user_id} is not a user id" in reply and "now an admin" not in reply
    with session_scope(live_sqlite.services.engine) as session:
        assert list(session.exec(select(AdminUser))) == []


def test_a_forged_category_button_subscribes_to_nothing(live_sqlite: Live) -> None:  # noqa: F811
    who = live_sqlite.who(ADMIN)
    for data in ("sub:cat-<b>", "sub:cat-nosuch", "sub:cat-"):
        text = "\n".join(plain_text(r.text) for r in live_sqlite.services.router.callback(data, who))
        assert "Subscribed" not in text and "<b>" not in text, data


async def test_a_blocked_user_and_a_dropped_connection_are_one_warning_line(
    telegram: TelegramHarness, caplog: pytest.LogCaptureFixture
) -> None:
    server = telegram.server
    with caplog.at_level(logging.INFO):
        server.block(8400)
        server.send_text(8400, "/session HA.2", user_id=8400, language_code="en")
        await server.wait_for("sendMessage", chat_id=8400, include_failed=True)
        server.fail("sendMessage", chat_id=8401, error_code=502, description="Bad Gateway")
        server.send_text(8401, "/session HA.2", user_id=8401, language_code="en")
        await server.wait_for("sendMessage", chat_id=8401, include_failed=True)
        server.send_text(8402, "/help", user_id=8402, language_code="en")  # the next update is handled
        await server.wait_for("sendMessage", chat_id=8402)
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert [r.levelname for r in warnings] == ["WARNING", "WARNING"], [r.getMessage() for r in warnings]
    assert "Forbidden" in warnings[0].getMessage() and "Bad Gateway" in warnings[1].getMessage()
    assert not [r for r in caplog.records if r.exc_info]
    assert not server.sent("sendMessage", chat_id=ADMIN)
