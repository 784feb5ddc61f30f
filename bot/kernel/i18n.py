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


def _compile(po: Path, lang: str) -> gettext.GNUTranslations:
    with po.open("rb") as handle:
        catalog = read_po(handle, locale=lang)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


@cache
def translations(lang: str) -> gettext.NullTranslations:
    """The catalog for ``lang``; English is the source language, so it needs none.

    Each area keeps its own ``<area>.po`` beside ``messages.po``; they are chained as fallbacks.
    """
    files = sorted((LOCALES / lang / "LC_MESSAGES").glob("*.po")) if lang != "en" else []
    if not files:
        return gettext.NullTranslations()
    first, *rest = (_compile(po, lang) for po in files)
    for other in rest:
        first.add_fallback(other)
    return first


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


def t(lang: str, message: str) -> str:
    """Translate one message for ``lang`` (for strings that are built before the language is known)."""
    return gettext_for(lang)(message)
