"""Lead times as a delegate writes them after ``/subscribe WUF12``: split off, checked, refusals worded.

Each lead time is one reminder per occurrence, so a subscription has at most ten, each between a
minute and a year ahead; a refused one is named in the answer ("banana is not a lead time").
"""

from __future__ import annotations

import re

from bot.kernel.i18n import gettext_for
from bot.kernel.occurrences import MAX_LEADS, Lead, LeadError, parse_lead, parse_leads
from bot.kernel.reply import esc

#: Written like a lead time, whether or not it is a valid one: 7d, 0m, 9999d, 7x, 25:00.
_SHAPED = re.compile(r"^(?:\d+\s*[^\d\s:：]+|@?\d{1,2}[:：]\d{1,2})$")


def looks_like_lead(token: str) -> bool:
    try:
        parse_lead(token)
    except LeadError as exc:
        return exc.reason != "unknown" or bool(_SHAPED.match(token.strip().lower()))
    return True


def split_leads(tokens: list[str]) -> tuple[list[str], list[str]]:
    """(what to follow, lead times): the trailing tokens written like lead times, as long as
    something is left before them to follow."""
    split = len(tokens)
    while split > 1 and looks_like_lead(tokens[split - 1]):
        split -= 1
    if split == 1 and looks_like_lead(tokens[0]) and all(looks_like_lead(t) for t in tokens):
        split = 0  # only lead times: the caller asks what to follow
    return tokens[:split], tokens[split:]


def check_leads(tokens: list[str]) -> tuple[Lead, ...]:
    """The leads of ``tokens``; LeadError names the first refused one (or says there are too many)."""
    for token in tokens:
        parse_lead(token)
    return parse_leads(" ".join(tokens))


def refusal(error: LeadError, lang: str) -> str:
    """Why a lead time is refused, naming it, in ``lang`` (HTML-escaped)."""
    _ = gettext_for(lang)
    lead = esc(error.token[:40])
    if error.reason == "short":
        return _("“%(lead)s” is too short: a lead time is at least a minute (1m).") % {"lead": lead}
    if error.reason == "long":
        return _("“%(lead)s” is too far ahead: a lead time is at most a year (365d).") % {"lead": lead}
    if error.reason == "many":
        return _("At most %(max)d lead times per subscription; you gave %(n)d.") % {"max": MAX_LEADS, "n": error.count}
    return _("“%(lead)s” is not a lead time. Write them like 30d 7d 1d 2h 08:00: from a minute to a year "
             "ahead, at most %(max)d.") % {"lead": lead, "max": MAX_LEADS}
