"""Time zones from what delegates type: an IANA name, a city (English or Chinese), or UTC±H.

Delegates know their city, not ``Africa/Nairobi``; the cities below are the seats of UN-Habitat's
governing bodies, past and future WUF hosts and the capitals delegates most often write from.
"""

from __future__ import annotations

import re
from functools import cache
from zoneinfo import available_timezones

from bot.kernel.dates import utc_offset
from store.normalize import fold

__all__ = ["CITIES", "find_zone", "utc_offset"]

CITIES: dict[str, str] = {
    # UN-Habitat and WUF cities
    "nairobi": "Africa/Nairobi", "内罗毕": "Africa/Nairobi", "cairo": "Africa/Cairo", "开罗": "Africa/Cairo",
    "katowice": "Europe/Warsaw", "卡托维兹": "Europe/Warsaw", "warsaw": "Europe/Warsaw", "华沙": "Europe/Warsaw",
    "baku": "Asia/Baku", "巴库": "Asia/Baku", "kuala lumpur": "Asia/Kuala_Lumpur", "吉隆坡": "Asia/Kuala_Lumpur",
    "abu dhabi": "Asia/Dubai", "阿布扎比": "Asia/Dubai", "dubai": "Asia/Dubai", "迪拜": "Asia/Dubai",
    "quito": "America/Guayaquil", "基多": "America/Guayaquil", "medellin": "America/Bogota",
    "麦德林": "America/Bogota", "naples": "Europe/Rome", "napoli": "Europe/Rome", "那不勒斯": "Europe/Rome",
    "rome": "Europe/Rome", "罗马": "Europe/Rome", "vancouver": "America/Vancouver", "温哥华": "America/Vancouver",
    # capitals and big cities
    "beijing": "Asia/Shanghai", "北京": "Asia/Shanghai", "shanghai": "Asia/Shanghai", "上海": "Asia/Shanghai",
    "guangzhou": "Asia/Shanghai", "广州": "Asia/Shanghai", "shenzhen": "Asia/Shanghai", "深圳": "Asia/Shanghai",
    "chongqing": "Asia/Shanghai", "重庆": "Asia/Shanghai", "hong kong": "Asia/Hong_Kong", "香港": "Asia/Hong_Kong",
    "macau": "Asia/Macau", "澳门": "Asia/Macau", "taipei": "Asia/Taipei", "台北": "Asia/Taipei",
    "tokyo": "Asia/Tokyo", "东京": "Asia/Tokyo", "seoul": "Asia/Seoul", "首尔": "Asia/Seoul",
    "singapore": "Asia/Singapore", "新加坡": "Asia/Singapore", "bangkok": "Asia/Bangkok", "曼谷": "Asia/Bangkok",
    "jakarta": "Asia/Jakarta", "雅加达": "Asia/Jakarta", "manila": "Asia/Manila", "马尼拉": "Asia/Manila",
    "new delhi": "Asia/Kolkata", "delhi": "Asia/Kolkata", "新德里": "Asia/Kolkata", "mumbai": "Asia/Kolkata",
    "dhaka": "Asia/Dhaka", "达卡": "Asia/Dhaka", "karachi": "Asia/Karachi", "islamabad": "Asia/Karachi",
    "tehran": "Asia/Tehran", "德黑兰": "Asia/Tehran", "riyadh": "Asia/Riyadh", "利雅得": "Asia/Riyadh",
    "istanbul": "Europe/Istanbul", "伊斯坦布尔": "Europe/Istanbul", "ankara": "Europe/Istanbul",
    "moscow": "Europe/Moscow", "莫斯科": "Europe/Moscow", "london": "Europe/London", "伦敦": "Europe/London",
    "paris": "Europe/Paris", "巴黎": "Europe/Paris", "berlin": "Europe/Berlin", "柏林": "Europe/Berlin",
    "madrid": "Europe/Madrid", "马德里": "Europe/Madrid", "geneva": "Europe/Zurich", "日内瓦": "Europe/Zurich",
    "vienna": "Europe/Vienna", "维也纳": "Europe/Vienna", "brussels": "Europe/Brussels", "布鲁塞尔": "Europe/Brussels",
    "the hague": "Europe/Amsterdam", "amsterdam": "Europe/Amsterdam", "stockholm": "Europe/Stockholm",
    "addis ababa": "Africa/Addis_Ababa", "亚的斯亚贝巴": "Africa/Addis_Ababa", "lagos": "Africa/Lagos",
    "abuja": "Africa/Lagos", "阿布贾": "Africa/Lagos", "johannesburg": "Africa/Johannesburg",
    "pretoria": "Africa/Johannesburg", "比勒陀利亚": "Africa/Johannesburg", "dakar": "Africa/Dakar",
    "kampala": "Africa/Kampala", "dar es salaam": "Africa/Dar_es_Salaam", "kigali": "Africa/Kigali",
    "rabat": "Africa/Casablanca", "new york": "America/New_York", "纽约": "America/New_York",
    "washington": "America/New_York", "华盛顿": "America/New_York", "ottawa": "America/Toronto",
    "mexico city": "America/Mexico_City", "墨西哥城": "America/Mexico_City", "brasilia": "America/Sao_Paulo",
    "巴西利亚": "America/Sao_Paulo", "sao paulo": "America/Sao_Paulo", "rio de janeiro": "America/Sao_Paulo",
    "buenos aires": "America/Argentina/Buenos_Aires", "布宜诺斯艾利斯": "America/Argentina/Buenos_Aires",
    "santiago": "America/Santiago", "lima": "America/Lima", "bogota": "America/Bogota",
    "sydney": "Australia/Sydney", "悉尼": "Australia/Sydney", "canberra": "Australia/Sydney",
    "utc": "UTC", "gmt": "UTC",
}  # fmt: skip

_OFFSET = re.compile(r"^(?:utc|gmt)\s*([+-])\s*(\d{1,2})$")


@cache
def _zones_by_fold() -> dict[str, str]:
    return {fold(name): name for name in available_timezones()}


def find_zone(text: str) -> str | None:
    """The IANA zone meant by ``text``, or None.

    ``UTC+3`` becomes ``Etc/GMT-3`` (the Etc zones count the other way round, a POSIX legacy).
    """
    query = " ".join(text.strip().split())
    if not query:
        return None
    key = fold(query)
    if key in CITIES:
        return CITIES[key]
    plain = key.replace("市", "")
    if plain in CITIES:
        return CITIES[plain]
    offset = _OFFSET.match(key.replace(" ", ""))
    if offset:
        hours = int(offset.group(2))
        if hours > 14:
            return None
        if hours == 0:
            return "UTC"
        return f"Etc/GMT{'-' if offset.group(1) == '+' else '+'}{hours}"
    candidate = _zones_by_fold().get(key.replace(" ", "_"))
    if candidate:
        return candidate
    # "Nairobi" typed as a zone's last part: Africa/Nairobi.
    tail = [z for k, z in _zones_by_fold().items() if k.rsplit("/", 1)[-1] == key.replace(" ", "_")]
    return tail[0] if len(tail) == 1 else None
