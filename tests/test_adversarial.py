"""The adversarial suite: hundreds of hostile updates through the fake Bot API, a few batches.

The real application long-polls a fake Bot API that checks every request as Telegram would
(HTML, lengths, callback data). The inputs of ``tests/hostile.py`` are queued in waves of 100,
each from a user and chat of its own; once every answer that is due has arrived and the
application is idle, each input is checked on its own (a test per input) and the run as a whole:

* a reply where one is due (a message, an answered button, an answered inline query), and
  silence where the bot must stay quiet (a command for another bot, chatter in a group);
* no send Telegram would reject, no "Sorry, something went wrong";
* no traceback and no ERROR in the log; no message to an admin.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aiolimiter import AsyncLimiter
from telegram import Update

from bot.app import build_application
from bot.kernel.clock import FixedClock
from tests.conftest import T0, telegram_settings
from tests.fakebot import ApiError, Call, FakeBotApi
from tests.hostile import ANY, BUTTON, INLINE, MESSAGE, SILENT, Hostile, generate
from tests.htmlcheck import MAX_MESSAGE_LENGTH, assert_telegram_html

ADMIN = 4242  # ADMIN_IDS in tests/conftest.make_settings
SORRY = ("Sorry, something went wrong. Please try again.", "抱歉，出了点问题。请重试。")
INPUTS = generate()
#: Updates queued at once: a batch, not a load test (the pool and timeouts have tests of their own).
WAVE = 100
TIMEOUT = 60.0  # seconds one wave may take before its missing answers are reported


@dataclass
class Run:
    """What the fake Bot API saw and what was logged while the bot took every hostile input."""

    update_ids: dict[int, int]  # input index -> update_id
    calls: list[Call]
    errors: list[ApiError]
    undelivered: list[dict[str, Any]]
    records: list[logging.LogRecord] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # due answers that never came

    def sends(self, chat_id: int | None) -> list[dict[str, Any]]:
        return [c.params for c in self.calls if c.method == "sendMessage" and c.params.get("chat_id") == chat_id]

    def answered(self, method: str, key: str, query_id: str | None) -> list[Call]:
        return [c for c in self.calls if c.method == method and c.params.get(key) == query_id]


class _Keep(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


class _Answers:
    """What the bot has answered so far, read incrementally from the fake's calls."""

    def __init__(self, server: FakeBotApi) -> None:
        self.server = server
        self.seen = 0
        self.chats: set[Any] = set()
        self.buttons: set[Any] = set()
        self.inline: set[Any] = set()

    def done(self, hostile: Hostile) -> bool:
        """Whether the answer due to ``hostile`` has arrived."""
        for call in self.server.calls[self.seen:]:
            if call.method == "sendMessage":
                self.chats.add(call.params.get("chat_id"))
            elif call.method == "answerCallbackQuery":
                self.buttons.add(call.params.get("callback_query_id"))
            elif call.method == "answerInlineQuery":
                self.inline.add(call.params.get("inline_query_id"))
        self.seen = len(self.server.calls)
        if hostile.due == MESSAGE:
            return hostile.chat_id in self.chats
        if hostile.due == BUTTON:
            return hostile.query_id in self.buttons and hostile.chat_id in self.chats
        if hostile.due == INLINE:
            return hostile.query_id in self.inline
        return True


async def _idle(app: Any, server: FakeBotApi) -> None:
    """Until every update was fetched and no handler is running (three checks in a row)."""
    quiet = 0
    loop = asyncio.get_running_loop()
    deadline = loop.time() + TIMEOUT
    while quiet < 3 and loop.time() < deadline:
        busy = server._updates or not app.update_queue.empty() or app.update_processor.current_concurrent_updates
        quiet = 0 if busy else quiet + 1
        await asyncio.sleep(0.05)


async def _take_everything(database_url: str) -> Run:
    async with FakeBotApi() as server:
        app = build_application(telegram_settings(server, database_url), FixedClock(T0))
        await app.initialize()
        await app.start()
        await app.post_init(app)  # type: ignore[misc]  # registers the handlers, as run_polling would
        # The send budgets (the shared pacer, PTB's 30 requests a second) have tests of their own;
        # here they would only make the run take half a minute longer.
        app.bot_data["pacer"].per_second = 100_000
        app.bot.rate_limiter._base_limiter = AsyncLimiter(100_000, 1)  # type: ignore[union-attr]  # noqa: SLF001
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0, timeout=1, allowed_updates=Update.ALL_TYPES)
        keep = _Keep()
        logging.getLogger().addHandler(keep)
        try:
            update_ids: dict[int, int] = {}
            answers = _Answers(server)
            missing: list[str] = []
            loop = asyncio.get_running_loop()
            for first in range(0, len(INPUTS), WAVE):
                wave = list(enumerate(INPUTS))[first : first + WAVE]
                for index, hostile in wave:
                    update_ids[index] = server.send_update(hostile.update)
                pending = [hostile for _index, hostile in wave if hostile.due in (MESSAGE, BUTTON, INLINE)]
                deadline = loop.time() + TIMEOUT
                while pending and loop.time() < deadline:
                    pending = [hostile for hostile in pending if not answers.done(hostile)]
                    if pending:
                        with contextlib.suppress(AssertionError):  # wait_for's timeout; the deadline decides
                            await server.wait_for(None, count=len(server.calls) + 1, timeout=deadline - loop.time())
                missing += [hostile.name for hostile in pending]
            await _idle(app, server)
        finally:
            logging.getLogger().removeHandler(keep)
            await app.updater.stop()
            await app.stop()
            await app.post_shutdown(app)  # type: ignore[misc]
            await app.shutdown()
        return Run(update_ids, list(server.calls), list(server.errors), list(server.undelivered), keep.records,
                   missing)


@pytest.fixture(scope="module")
def run(loaded_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Run]:
    """Every hostile input, taken by one running bot (a database of its own, the bundled content)."""
    database = tmp_path_factory.mktemp("adversarial") / "bot.db"
    shutil.copyfile(loaded_template, database)
    yield asyncio.run(_take_everything(f"sqlite:///{database}"))


# -- the run as a whole -------------------------------------------------------------------------


def test_hundreds_of_hostile_inputs_of_every_kind_were_delivered(run: Run) -> None:
    assert len(INPUTS) >= 400
    kinds = {hostile.kind for hostile in INPUTS}
    assert set(Update.ALL_TYPES) <= kinds, set(Update.ALL_TYPES) - kinds
    assert run.undelivered == []
    assert run.missing == []


def test_no_send_was_rejected_and_every_message_is_valid_html_within_limits(run: Run) -> None:
    assert run.errors == [], run.errors[:5]
    refused = [(c.method, c.error_code, c.description) for c in run.calls if not c.ok]
    assert refused == []
    for call in run.calls:
        if call.method == "sendMessage" and call.params.get("parse_mode") == "HTML":
            assert_telegram_html(call.params["text"], max_length=MAX_MESSAGE_LENGTH)
        elif call.method == "sendMessage":
            assert 0 < len(call.params["text"]) <= MAX_MESSAGE_LENGTH


def test_no_traceback_and_no_error_in_the_log(run: Run) -> None:
    tracebacks = [f"{r.name}: {r.getMessage()[:200]}" for r in run.records if r.exc_info]
    errors = [f"{r.name}: {r.getMessage()[:200]}" for r in run.records if r.levelno >= logging.ERROR]
    assert tracebacks == [] and errors == []


def test_no_message_to_an_admin_and_no_apology(run: Run) -> None:
    assert run.sends(ADMIN) == []
    assert [c.params["chat_id"] for c in run.calls if c.method == "sendMessage" and c.params["text"] in SORRY] == []


# -- each input on its own ----------------------------------------------------------------------

def _id(index: int, hostile: Hostile) -> str:
    return f"{index:03d}-" + hostile.name.encode("unicode_escape").decode("ascii")[:50]


@pytest.mark.parametrize(("index", "hostile"), list(enumerate(INPUTS)),
                         ids=[_id(index, hostile) for index, hostile in enumerate(INPUTS)])
def test_each_hostile_input_is_answered_as_it_should(run: Run, index: int, hostile: Hostile) -> None:
    update_id = run.update_ids[index]
    sends = run.sends(hostile.chat_id) if hostile.chat_id is not None else []
    if hostile.due == MESSAGE:
        assert sends, "no reply"
    elif hostile.due == SILENT:
        assert sends == [], [s["text"][:80] for s in sends]
    elif hostile.due == BUTTON:
        assert run.answered("answerCallbackQuery", "callback_query_id", hostile.query_id), "button not answered"
        assert sends, "no reply to the button"
    elif hostile.due == INLINE:
        assert run.answered("answerInlineQuery", "inline_query_id", hostile.query_id), "inline query not answered"
    else:
        assert hostile.due == ANY
    assert not [s for s in sends if s["text"] in SORRY], "an apology instead of an answer"
    failed = [r.getMessage()[:120] for r in run.records if f"update {update_id} " in r.getMessage()]
    assert failed == []
