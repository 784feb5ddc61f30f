"""How the reminders area names what people follow: categories and lead times, in both languages."""

from __future__ import annotations

from bot.kernel.dates import clock_time
from bot.kernel.i18n import gettext_for, ngettext_for
from bot.kernel.occurrences import Lead, stored_leads

#: Display names (zh, en) of the categories one can follow; they are also typed to follow them.
CATEGORY_NAMES = {
    "assembly": ("人居大会", "UN-Habitat Assembly"),
    "board": ("执行局", "Executive Board"),
    "cpr": ("常驻代表委员会", "Committee of Permanent Representatives"),
    "wuf": ("世界城市论坛", "World Urban Forum"),
    "forum": ("区域和国家城市论坛", "Regional and national urban forums"),
    "conference": ("会议和峰会", "Conferences and summits"),
    "urban-october": ("城市十月", "Urban October"),
    "observance": ("纪念日和里程碑", "Observances and milestones"),
    "oecpr": ("常驻代表委员会不限成员名额会议", "Open-ended Committee of Permanent Representatives"),
}


def lead_words(lead: Lead, lang: str) -> str:
    """``7 days before`` / ``1 day before`` / ``on the day at 08:00``, with the right plural."""
    _ = gettext_for(lang)
    n_ = ngettext_for(lang)
    if lead.at is not None:
        return _("on the day at %(time)s") % {"time": clock_time(lead.at)}
    n = lead.amount
    if lead.unit == "d":
        return n_("%(n)d day before", "%(n)d days before", n) % {"n": n}
    if lead.unit == "w":
        return n_("%(n)d week before", "%(n)d weeks before", n) % {"n": n}
    if lead.unit == "h":
        return n_("%(n)d hour before", "%(n)d hours before", n) % {"n": n}
    return n_("%(n)d minute before", "%(n)d minutes before", n) % {"n": n}


def leads_label(text: str, lang: str) -> str:
    return ("、" if lang == "zh" else ", ").join(lead_words(lead, lang) for lead in stored_leads(text))


def category_label(category: str, lang: str) -> str:
    names = CATEGORY_NAMES.get(category)
    if names is None:
        return category
    return names[0] if lang == "zh" else names[1]


def category_labels(lang: str) -> dict[str, str]:
    return {category: category_label(category, lang) for category in CATEGORY_NAMES}
