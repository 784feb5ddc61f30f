"""The console chat: the same answers as Telegram, in a terminal, with buttons as numbers.

Due reminders print between inputs: the features' jobs run in a background thread, and reminders
addressed to the console user are written to the terminal.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import threading
from collections.abc import Callable

from bot.app import Habitat
from bot.kernel.reply import Reply, plain_text
from bot.kernel.router import Asker
from handlers.jobs import run_job
from reminders.dispatcher import Outcome, Pacer, SendResult

log = logging.getLogger(__name__)

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


def console_asker(habitat: Habitat) -> Asker:
    return dataclasses.replace(habitat.askers.asker(CONSOLE_USER), is_admin=True)


def run_console(habitat: Habitat, read: Callable[[str], str] = input, write: Callable[[str], object] = print) -> int:
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
        who = console_asker(habitat)
        if text.isascii() and text.isdigit() and 1 <= int(text) <= len(buttons):
            replies = habitat.router.callback(buttons[int(text) - 1], who)
        else:
            replies = habitat.router.message(text, who)
        buttons = []
        for reply in replies:
            shown, data = render_plain(reply, len(buttons) + 1)
            buttons.extend(data)
            write(shown + "\n")


class ConsoleSender:
    """Prints reminders addressed to the console user; everyone else's are not deliverable here."""

    def __init__(self, write: Callable[[str], object]) -> None:
        self.write = write

    async def send(self, chat_id: int, reply: Reply) -> SendResult:
        if chat_id != CONSOLE_USER:
            return SendResult(Outcome.GONE, error="not the console user")
        labels = " ".join(f"[{b.text}]" for row in reply.buttons for b in row)
        self.write(f"\n{plain_text(reply.text)}\n{labels}\n> ")
        return SendResult(Outcome.SENT)


def start_background_jobs(habitat: Habitat, write: Callable[[str], object]) -> Callable[[], None]:
    """Run the features' jobs and the console reminders in a daemon thread; returns a stopper."""
    stop = threading.Event()
    reminders = habitat.reminders(ConsoleSender(write), pacer=Pacer(per_chat_interval=0.0), elect=False)
    jobs = [*habitat.jobs, *reminders.jobs()]

    def run() -> None:
        async def loop() -> None:
            clock = asyncio.get_running_loop().time
            due: dict[str, float] = {job.name: clock() + job.first for job in jobs}
            while not stop.is_set():
                for job in jobs:
                    if job.name in due and clock() >= due[job.name]:
                        try:
                            await run_job(job)
                        except Exception:
                            log.exception("console job %s", job.name)
                        if job.every > 0:
                            due[job.name] = clock() + job.every
                        else:
                            del due[job.name]
                await asyncio.sleep(0.2)

        asyncio.run(loop())

    thread = threading.Thread(target=run, name="console-jobs", daemon=True)
    thread.start()

    def stopper() -> None:
        stop.set()
        thread.join(timeout=2)
        reminders.close()

    return stopper
