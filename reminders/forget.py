"""``/forget`` asks first: its buttons are bound to the person who asked, so a press in a group by
someone else, a forged button or a link never deletes anybody's data."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import ClassVar

from bot.kernel.callbacks import BadButton, ButtonData, register

_USER = re.compile(r"^[0-9]{1,16}$")


@dataclass(frozen=True)
class ForgetButton(ButtonData):
    """Confirm (``go``) or call off (``no``) the /forget of ``user_id``; never linkable."""

    prefix: ClassVar[str] = "forget"
    verb: str
    user_id: int

    def body(self) -> str:
        return f"{self.verb}:{self.user_id}"

    @classmethod
    def read(cls, body: str) -> ForgetButton:
        verb, _sep, ident = body.partition(":")
        if verb not in ("go", "no") or not _USER.match(ident):
            raise BadButton(f"not a forget button: {body[:30]!r}")
        return cls(verb, int(ident))


register(ForgetButton)
