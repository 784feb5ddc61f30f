"""The console chat: the same answers as Telegram, in a terminal, with buttons as numbers.

Due reminders print between inputs: the features' jobs run in a background thread, and reminders
addressed to the console user are written to the terminal with their buttons numbered too, so
every button of every message can be pressed. Files (a calendar) are written under ``var/``.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import threading
from collections.abc import Callable
from pathlib import Path

from bot.app import Habitat
from bot.kernel.reply import Attachment, Reply, plain_text
from bot.kernel.router import Asker
from handlers.jobs import run_job
from reminders.dispatcher import Outcome, Pacer, SendResult

log = logging.getLogger(__name__)

CONSOLE_USER = 0  # the person at the terminal; runs the bot, so may use admin commands
#: Where the console writes the files replies carry (``/ics``), relative to where it runs.
FILES = Path("var")


class ButtonPad:
    """The buttons the person at the terminal can press by number: the last answer's, numbered
    from 1, and every reminder's and notice's printed in this session, numbered from 101 on so
    they stay pressable whatever is typed in between (the jobs' thread adds them)."""

    FIRST_PUSHED = 101

    def __init__(self) -> None:
        self._answer: list[str] = []
        self._pushed: dict[int, str] = {}
        self._next = self.FIRST_PUSHED
        self._lock = threading.Lock()

    def replace(self, data: list[str]) -> None:
        """The buttons of a new answer (at most 100: the numbers above are the reminders')."""
        with self._lock:
            self._answer = list(data[: self.FIRST_PUSHED - 1])

    def add(self, data: list[str]) -> int:
        """Number the buttons of a message that arrived by itself; returns the first number."""
        with self._lock:
            first = self._next
            for offset, item in enumerate(data):
                self._pushed[first + offset] = item
            self._next += len(data)
            return first

    def get(self, number: int) -> str | None:
        with self._lock:
            if number in self._pushed:
                return self._pushed[number]
            return self._answer[number - 1] if 1 <= number <= len(self._answer) else None


def render_plain(reply: Reply, first_number: int = 1, *, files: Path | None = None) -> tuple[str, list[str]]:
    """Plain text of a reply and the callback data of its buttons, numbered from ``first_number``;
    with ``files``, an attached file is written there and its path printed."""
    lines = [plain_text(reply.text)]
    data: list[str] = []
    for row in reply.buttons:
        for button in row:
            if button.data:
                data.append(button.data)
                lines.append(f"  [{first_number + len(data) - 1}] {button.text}")
            elif button.url:
                lines.append(f"  [{button.text}] {button.url}")
    if reply.attachment and files is not None:
        path = save_attachment(reply.attachment, files)
        lines.append(f"  (file written: {path}, {len(reply.attachment.data)} bytes)")
    elif reply.attachment:
        lines.append(f"  (file: {reply.attachment.filename}, {len(reply.attachment.data)} bytes)")
    return "\n".join(lines), data


def save_attachment(attachment: Attachment, directory: Path) -> Path:
    """Write a reply's file under ``directory`` (its name made safe: no path can escape it)."""
    name = "".join(c if c.isalnum() or c in "._-" else "_" for c in Path(attachment.filename).name).lstrip(".")
    directory.mkdir(parents=True, exist_ok=True)
    path = (directory / (name or "file")).resolve()
    path.write_bytes(attachment.data)
    return path


def console_asker(habitat: Habitat) -> Asker:
    return dataclasses.replace(habitat.askers.asker(CONSOLE_USER), is_admin=True)


def run_console(habitat: Habitat, read: Callable[[str], str] = input, write: Callable[[str], object] = print, *,
                pad: ButtonPad | None = None, files: Path = FILES) -> int:
    """Chat in the terminal until EOF or ``/quit``; a number presses that button of the last reply
    (or of a reminder printed since); files (``/ics``) are written under ``files``."""
    write("人居助手 Habitat Assistant — console. Type /help, a question, a button number, or /quit.")
    pad = pad or ButtonPad()
    while True:
        try:
            text = read("> ").strip()
        except (EOFError, KeyboardInterrupt):
            write("")
            return 0
        if text in ("/quit", "/exit"):
            return 0
        who = console_asker(habitat)
        pressed = pad.get(int(text)) if text.isascii() and text.isdigit() and len(text) < 6 else None
        replies = habitat.router.callback(pressed, who) if pressed is not None else habitat.router.message(text, who)
        buttons: list[str] = []
        for reply in replies:
            shown, data = render_plain(reply, len(buttons) + 1, files=files)
            buttons.extend(data)
            write(shown + "\n")
        pad.replace(buttons)


class ConsoleSender:
    """Prints reminders addressed to the console user, their buttons numbered to be pressed;
    everyone else's are not deliverable here."""

    def __init__(self, write: Callable[[str], object], pad: ButtonPad | None = None) -> None:
        self.write = write
        self.pad = pad or ButtonPad()

    async def send(self, chat_id: int, reply: Reply) -> SendResult:
        if chat_id != CONSOLE_USER:
            return SendResult(Outcome.GONE, error="not the console user")
        first = self.pad.add([b.data for row in reply.buttons for b in row if b.data])
        shown, _data = render_plain(reply, first)
        self.write(f"\n{shown}\n> ")
        return SendResult(Outcome.SENT)


def start_background_jobs(habitat: Habitat, write: Callable[[str], object],
                          pad: ButtonPad | None = None) -> Callable[[], None]:
    """Run the features' jobs and the console reminders in a daemon thread; returns a stopper."""
    stop = threading.Event()
    reminders = habitat.reminders(ConsoleSender(write, pad), pacer=Pacer(per_chat_interval=0.0), elect=False)
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
