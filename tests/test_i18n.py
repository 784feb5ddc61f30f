"""Every user-facing string in the code has a Chinese translation in the catalogs."""

from __future__ import annotations

from babel.messages.extract import extract_from_dir

from bot.kernel.i18n import gettext_for, ngettext_for, pick_language
from tests.conftest import ROOT

KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "n_": (1, 2), "t": (2,)}


def code_messages() -> set[str | tuple[str, str]]:
    found: set[str | tuple[str, str]] = set()
    for folder in ("bot", "handlers", "reminders", "store"):
        for _file, _line, message, _comments, _context in extract_from_dir(
            ROOT / folder, method_map=[("**.py", "python")], keywords=KEYWORDS
        ):
            if isinstance(message, tuple):
                found.add((message[0], message[1]))
            elif message:
                found.add(message)
    return found


def test_every_message_in_the_code_is_translated_to_chinese() -> None:
    zh = gettext_for("zh")
    zh_plural = ngettext_for("zh")
    missing = []
    for message in code_messages():
        if isinstance(message, tuple):
            if zh_plural(message[0], message[1], 5) in (message[0], message[1]):
                missing.append(message[0])
        elif zh(message) == message and any(c.isalpha() and c.isascii() for c in message):
            missing.append(message)
    assert not missing, f"{len(missing)} untranslated: {sorted(missing)[:20]}"


def test_language_codes_from_telegram_map_to_supported_languages() -> None:
    assert pick_language("zh-hans") == "zh" and pick_language("zh_TW") == "zh"
    assert pick_language("en-GB") == "en" and pick_language("fr", default="en") == "en"
    assert pick_language(None) == "zh"
