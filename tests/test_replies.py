"""Every reply the content can produce is valid Telegram HTML, fits the limits and cites sources."""

from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from bot.app import Habitat
from bot.kernel.cards import entry_reply
from bot.kernel.dates import date_range
from bot.kernel.reply import TELEGRAM_LIMIT, esc, split_html, visible_length
from bot.settings import Settings
from tests.htmlcheck import assert_telegram_html


def test_every_entry_renders_valid_html_within_limits_in_both_languages(services: Habitat) -> None:
    now = services.clock.now()
    for entry in services.content.catalog.entries.values():
        for lang in ("zh", "en"):
            reply = entry_reply(entry, services.content.catalog, now, lang)
            assert_telegram_html(reply.text)
            assert visible_length(reply.text) <= TELEGRAM_LIMIT
            assert ("来源" if lang == "zh" else "Sources") in reply.text, entry.id
            for row in reply.buttons:
                for button in row:
                    assert button.data and len(button.data.encode()) <= 64


def test_dates_are_written_in_the_readers_language() -> None:
    assert date_range(dt.date(2023, 6, 5), dt.date(2023, 6, 9), "zh") == "2023年6月5日至9日"
    assert date_range(dt.date(2023, 6, 5), dt.date(2023, 6, 9), "en") == "5–9 June 2023"
    assert date_range(dt.date(2025, 5, 29), dt.date(2025, 6, 2), "en") == "29 May – 2 June 2025"
    assert date_range(dt.date(2025, 5, 29), dt.date(2025, 6, 2), "zh") == "2025年5月29日至6月2日"
    assert date_range(dt.date(2024, 12, 30), dt.date(2025, 1, 2), "zh") == "2024年12月30日至2025年1月2日"
    assert date_range(dt.date(2024, 11, 4), None, "zh") == "2024年11月4日"


def test_sources_that_disagree_are_both_shown(services: Habitat) -> None:
    disputed = [e for e in services.content.catalog.entries.values() if e.also_reported]
    assert disputed, "the content keeps at least one disagreement (the 8th Asia-Pacific Urban Forum)"
    reply = entry_reply(disputed[0], services.content.catalog, services.clock.now(), "en")
    assert "Another source gives" in reply.text


@given(st.lists(st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=300), max_size=60))
def test_long_replies_split_into_valid_parts_that_keep_every_line(lines: list[str]) -> None:
    markup = "\n".join(f"<b>{i}</b> {esc(line)}" for i, line in enumerate(lines)) or "x"
    parts = split_html(markup, limit=500)
    for part in parts:
        assert visible_length(part) <= 500
        assert_telegram_html(part, max_length=500)
    assert sum(visible_length(p) for p in parts) >= visible_length(markup) - len(parts)


def test_settings_reject_placeholders_and_malformed_values() -> None:
    import pytest

    from bot.settings import SettingsError, load_settings

    with pytest.raises(SettingsError, match="TELEGRAM_BOT_TOKEN"):
        load_settings(_env_file=None, telegram_bot_token="123456:ABC-DEF1234ghIkl-zyx57W2v1u123ew11")
    with pytest.raises(SettingsError, match="ADMIN_IDS"):
        load_settings(_env_file=None, admin_ids="12, bob")
    ok = load_settings(_env_file=None, database_url="postgres://u@h/db", admin_ids="1, 2")
    assert isinstance(ok, Settings)
    assert ok.database_url.startswith("postgresql+psycopg://") and ok.admin_ids == frozenset({1, 2})
