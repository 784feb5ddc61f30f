"""User-facing strings in Chinese and English through gettext catalogs.

The catalogs are kept as ``.po`` files (the source translators edit) and compiled in memory with
Babel at first use, so there is no build step and no stale ``.mo`` file to forget.
"""

from __future__ import annotations

import gettext
import io
from collections.abc import Callable
from functools import cache
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LOCALES = Path(__file__).parent / "locales"
LANGUAGES = ("zh", "en")


@cache
def translations(lang: str) -> gettext.NullTranslations:
    """The catalog for ``lang``; English is the source language, so it needs none."""
    po = LOCALES / lang / "LC_MESSAGES" / "messages.po"
    if lang == "en" or not po.is_file():
        return gettext.NullTranslations()
    with po.open("rb") as handle:
        catalog = read_po(handle, locale=lang)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


def gettext_for(lang: str) -> Callable[[str], str]:
    return translations(pick_language(lang)).gettext


def ngettext_for(lang: str) -> Callable[[str, str, int], str]:
    return translations(pick_language(lang)).ngettext


def pick_language(code: str | None, default: str = "zh") -> str:
    """Map a Telegram ``language_code`` (``zh-hans``, ``en-GB``, ``fr``) to a supported language."""
    if not code:
        return default
    base = code.lower().split("-")[0].split("_")[0]
    return base if base in LANGUAGES else default
