"""/forget asks first, deletes only the asker's own data, and keeps the audit under a pseudonym.

Before, /forget deleted at once from every table with a ``user_id``, the admin audit and the
admin list included: a non-admin who tried 26 admin commands removed every trace of it, and an
added admin's actions vanished from /audit.
"""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func
from sqlmodel import select

from bot.kernel.reply import plain_text
from reminders.forget import ForgetButton
from reminders.models import Subscription
from store.admin_models import AdminUser, AuditEntry
from store.db import session_scope
from store.users import pseudonym
from tests.test_admin import ADMIN, Live, live_sqlite, valid_content, valid_template  # noqa: F401 - fixtures

DELEGATE = 7301


def press(live: Live, data: str, user_id: int, chat_id: int | None = None) -> str:
    who = live.services.askers.asker(user_id, "en", chat_id=chat_id or user_id)
    return "\n".join(plain_text(r.text) for r in live.services.router.callback(data, who))


def subscriptions(live: Live, user_id: int) -> int:
    with session_scope(live.services.engine) as session:
        query = select(func.count()).select_from(Subscription).where(Subscription.user_id == user_id)
        return session.exec(query).one()


def audit_users(live: Live) -> list[int | None]:
    with session_scope(live.services.engine) as session:
        return [row.user_id for row in session.exec(select(AuditEntry))]


def test_forget_asks_and_only_the_askers_own_button_deletes(live_sqlite: Live) -> None:  # noqa: F811
    live = live_sqlite
    live.say("/subscribe WUF12", DELEGATE)
    [ask] = live.services.router.command("forget", "", live.who(DELEGATE))
    assert "Delete everything?" in ask.text and subscriptions(live, DELEGATE) == 1
    go, keep = (button.data or "" for button in ask.buttons[0])
    assert "Nothing was deleted" in press(live, keep, DELEGATE) and subscriptions(live, DELEGATE) == 1
    assert "for the person who sent /forget" in press(live, go, 7302, chat_id=-100_555)  # someone else, in a group
    assert "for the person who sent /forget" in press(live, ForgetButton("go", 7303).pack(), DELEGATE)  # forged
    assert subscriptions(live, DELEGATE) == 1
    assert "Subscribed" not in live.say("/start x_forget", DELEGATE) and subscriptions(live, DELEGATE) == 1
    assert "deleted everything" in press(live, go, DELEGATE) and subscriptions(live, DELEGATE) == 0


def test_denied_attempts_stay_in_the_audit_under_a_pseudonym(live_sqlite: Live) -> None:  # noqa: F811
    live = live_sqlite
    for command in ("/reload", "/broadcast hi", "/admin add 7304", "/rollback"):
        assert "Not authorized" in live.say(command, DELEGATE)
    assert audit_users(live).count(DELEGATE) == 4
    [ask] = live.services.router.command("forget", "", live.who(DELEGATE))
    press(live, ask.buttons[0][0].data or "", DELEGATE)
    users = audit_users(live)
    assert DELEGATE not in users and len({u for u in users if u is not None and u < 0}) == 1
    assert users.count(pseudonym(DELEGATE, live.services.subscriptions.forget_key)) == 4
    audit = live.say("/audit 20")
    assert audit.count("forgotten user") == 4 and "denied" in audit and str(DELEGATE) not in audit


def test_an_added_admin_who_forgets_stays_admin_and_their_actions_stay(live_sqlite: Live) -> None:  # noqa: F811
    live = live_sqlite
    assert "7305 is now an admin." in live.say("/admin add 7305")
    assert "Live content version" in live.say("/version", 7305)
    [ask] = live.services.router.command("forget", "", live.who(7305))
    press(live, ask.buttons[0][0].data or "", 7305)
    with session_scope(live.services.engine) as session:
        assert session.get(AdminUser, 7305) is not None
    assert "Live content version" in live.say("/version", 7305)
    audit = live.say("/audit 20")
    assert "version" in audit and "forgotten user" in audit and "admin add" in audit


def test_a_subscription_made_in_a_group_stays_with_the_group(live_sqlite: Live) -> None:  # noqa: F811
    live = live_sqlite
    group = -100_777
    live.services.router.command("subscribe", "WUF12", live.services.askers.asker(DELEGATE, "en", chat_id=group))
    live.say("/subscribe all", DELEGATE)
    [ask] = live.services.router.command("forget", "", live.who(DELEGATE))
    press(live, ask.buttons[0][0].data or "", DELEGATE)
    with session_scope(live.services.engine) as session:
        left = list(session.exec(select(Subscription)))
    assert [(s.chat_id, s.target) for s in left] == [(group, "WUF12")]
    assert left[0].user_id == pseudonym(DELEGATE, live.services.subscriptions.forget_key)


@given(st.integers(min_value=1, max_value=2**53), st.binary(min_size=1, max_size=40), st.binary(min_size=1, max_size=40))
def test_a_pseudonym_is_stable_negative_and_keyed(user_id: int, key: bytes, other: bytes) -> None:
    assert pseudonym(user_id, key) == pseudonym(user_id, key) < 0
    assert pseudonym(user_id, key) >= -(2**48)
    if other != key:
        assert pseudonym(user_id, other) != pseudonym(user_id, key)
