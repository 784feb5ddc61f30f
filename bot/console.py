"""The console chat: the same answers as Telegram, in a terminal, with buttons as numbers."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from bot.kernel.core import Asker
from bot.kernel.reply import Reply, plain_text
from bot.services import Services

CONSOLE_USER = 0  # the person at the terminal; runs the bot, so may use admin commands


def render_plain(reply: Reply, first_number: int = 1) -> tuple[str, list[str]]:
    """Plain text of a reply and the callback data of its buttons, numbered from ``first_number``."""
    lines = [plain_text(reply.text)]
    data: list[str] = []
    for row in reply.buttons:
        for button in row:
            if button.data:
                data.append(button.data)
                lines.append(f"  [{first_number + len(data) - 1}] {button.text}")
            elif button.url:
                lines.append(f"  [{button.text}] {button.url}")
    if reply.attachment:
        lines.append(f"  (file: {reply.attachment.filename}, {len(reply.attachment.data)} bytes)")
    return "\n".join(lines), data


def console_asker(services: Services) -> Asker:
    return dataclasses.replace(services.asker(CONSOLE_USER), is_admin=True)


def run_console(services: Services, read: Callable[[str], str] = input, write: Callable[[str], object] = print) -> int:
    """Chat in the terminal until EOF or ``/quit``; a number presses that button of the last reply."""
    write("人居助手 Habitat Assistant — console. Type /help, a question, a button number, or /quit.")
    buttons: list[str] = []
    while True:
        try:
            text = read("> ").strip()
        except (EOFError, KeyboardInterrupt):
            write("")
            return 0
        if text in ("/quit", "/exit"):
            return 0
        who = console_asker(services)
        if text.isdigit() and 1 <= int(text) <= len(buttons):
            replies = services.core.callback(buttons[int(text) - 1], who)
        else:
            replies = services.core.message(text, who)
        buttons = []
        for reply in replies:
            shown, data = render_plain(reply, len(buttons) + 1)
            buttons.extend(data)
            write(shown + "\n")
