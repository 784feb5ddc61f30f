"""The command line as a newcomer uses it: ``python -m bot ask`` and the console chat."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.app import Habitat
from bot.console import run_console
from tests.conftest import CONTENT, ROOT


def run_bot(*args: str, database_url: str, stdin: str | None = None, **env: str) -> subprocess.CompletedProcess[str]:
    environment = dict(os.environ, DATABASE_URL=database_url, CONTENT_DIR=str(CONTENT), TELEGRAM_BOT_TOKEN="")
    environment.update(env)
    return subprocess.run(
        [sys.executable, "-m", "bot", *args], cwd=ROOT, env=environment, input=stdin,
        capture_output=True, text=True, timeout=120,
    )


def test_ask_prints_the_answer_and_exits_0(loaded_sqlite_url: str) -> None:
    done = run_bot("ask", "/session HA.2", database_url=loaded_sqlite_url)
    assert done.returncode == 0, done.stderr
    assert "2023年6月5日至9日" in done.stdout and "内罗毕" in done.stdout and "来源" in done.stdout
    assert "<b>" not in done.stdout  # plain text, not HTML


def test_ask_with_language_and_clock(loaded_sqlite_url: str) -> None:
    done = run_bot("ask", "/session WUF12", "--lang", "en", "--now", "2024-10-01T08:00+03:00",
                   database_url=loaded_sqlite_url)
    assert done.returncode == 0, done.stderr
    assert "4–8 November 2024" in done.stdout and "in 34 days" in done.stdout


def test_ask_jsonl_answers_one_json_object_per_line(loaded_sqlite_url: str) -> None:
    done = run_bot("ask", "--jsonl", database_url=loaded_sqlite_url,
                   stdin="/resolution 2/7\n/decision 2/2\n<script>x</script>\n")
    assert done.returncode == 0, done.stderr
    rows = [json.loads(line) for line in done.stdout.splitlines()]
    assert [r["query"] for r in rows] == ["/resolution 2/7", "/decision 2/2", "<script>x</script>"]
    assert all(set(r) >= {"query", "text", "buttons"} for r in rows)
    assert "适当住房" in rows[0]["text"] and rows[0]["text"] != rows[1]["text"]


def test_a_bad_setting_stops_start_up_with_one_line(loaded_sqlite_url: str) -> None:
    done = run_bot("ask", "/help", database_url=loaded_sqlite_url, TELEGRAM_BOT_TOKEN="your-token-here")
    assert done.returncode == 2
    assert done.stderr.strip().count("\n") == 0 and "TELEGRAM_BOT_TOKEN" in done.stderr
    done = run_bot("ask", "/help", database_url="mysql://nope", DEFAULT_TIMEZONE="Mars/Olympus")
    assert done.returncode == 2 and "DATABASE_URL" in done.stderr and "DEFAULT_TIMEZONE" in done.stderr


def test_invalid_content_on_an_empty_database_refuses_to_start(tmp_path: Path) -> None:
    broken = tmp_path / "content"
    (broken / "entries").mkdir(parents=True)
    (broken / "sources.yaml").write_text("documents: [")
    done = run_bot("ask", "/help", database_url=f"sqlite:///{tmp_path / 'x.db'}", CONTENT_DIR=str(broken))
    assert done.returncode == 2 and "cannot start" in done.stderr and "Traceback" not in done.stderr


def test_console_chat_answers_and_presses_buttons_by_number(services: Habitat) -> None:
    shown: list[str] = []
    script = ["/lang en", "/session HA.2", "press related", "/quit"]

    def read(_prompt: str) -> str:
        typed = script.pop(0)
        if typed == "press related":  # the number printed beside the first related-entry button
            line = next(line for line in shown[-1].splitlines() if "↗" in line)
            return line.strip().split("]")[0].lstrip("[")
        return typed

    assert run_console(services, read=read, write=shown.append) == 0
    assert "5–9 June 2023" in shown[-2]
    assert shown[-1].count("Sources:") == 1 and "5–9 June 2023" not in shown[-1]  # another entry's card


@pytest.mark.parametrize("end", [EOFError, KeyboardInterrupt])
def test_console_ends_cleanly(services: Habitat, end: type[BaseException]) -> None:
    def read(_prompt: str) -> str:
        raise end

    assert run_console(services, read=read, write=lambda _s: None) == 0
