"""A database the bot cannot use stops start-up with one line that names it and says why.

Read-only, corrupt and truncated SQLite files, and a PostgreSQL server that does not answer: the
operator reads one line (no traceback, no password) and the exit status is 2.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from store.db import make_engine
from store.dbcheck import DatabaseProblem, open_database
from store.migrations import upgrade
from tests.conftest import CONTENT, ROOT
from tests.fakebot import TOKEN, FakeBotApi


def start(database_url: str, *args: str, extra: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": database_url, "CONTENT_DIR": str(CONTENT), "TELEGRAM_BOT_TOKEN": "",
           **(extra or {})}
    return subprocess.run([sys.executable, "-m", "bot", *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120)


def one_line(result: subprocess.CompletedProcess[str]) -> str:
    """The only thing the failed start wrote: exactly one line on stderr, nothing on stdout."""
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, lines
    return lines[0]


def copy_of(loaded_template: Path, tmp_path: Path) -> Path:
    target = tmp_path / "bot.db"
    shutil.copyfile(loaded_template, target)
    return target


@contextmanager
def read_only(path: Path) -> Iterator[None]:
    """Make ``path`` unwritable even for root (the immutable attribute); skip where that is refused."""
    if os.geteuid() != 0:
        path.chmod(0o444)
        try:
            yield
        finally:
            path.chmod(0o644)
        return
    if shutil.which("chattr") is None or subprocess.run(["chattr", "+i", str(path)], capture_output=True).returncode:
        pytest.skip("running as root where the immutable attribute cannot be set: no way to make a file read-only")
    try:
        yield
    finally:
        subprocess.run(["chattr", "-i", str(path)], check=True)


def test_a_read_only_sqlite_file_stops_start_up(loaded_template: Path, tmp_path: Path) -> None:
    path = copy_of(loaded_template, tmp_path)
    with read_only(path):
        line = one_line(start(f"sqlite:///{path}", "ask", "/session HA.2"))
    assert line == f"cannot start: database sqlite:///{path}: it is read-only; the bot must be able to write the file and its folder"


def test_a_corrupt_sqlite_file_stops_start_up(loaded_template: Path, tmp_path: Path) -> None:
    path = copy_of(loaded_template, tmp_path)
    data = bytearray(path.read_bytes())
    middle = len(data) // 2
    data[middle:middle + 8192] = b"\x55" * 8192  # pages in the middle overwritten
    path.write_bytes(bytes(data))
    line = one_line(start(f"sqlite:///{path}", "ask", "/session HA.2"))
    assert line.startswith(f"cannot start: database sqlite:///{path}: ")
    assert "corrupt" in line and "restore it from a backup" in line


def test_a_truncated_sqlite_file_stops_start_up(loaded_template: Path, tmp_path: Path) -> None:
    path = copy_of(loaded_template, tmp_path)
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])  # a copy that stopped half way
    line = one_line(start(f"sqlite:///{path}", "ask", "/session HA.2"))
    assert line == f"cannot start: database sqlite:///{path}: the file is corrupt or truncated; restore it from a backup"


def test_a_file_that_is_not_a_database_stops_start_up(tmp_path: Path) -> None:
    path = tmp_path / "bot.db"
    path.write_bytes(b"these are not the pages you are looking for\n" * 200)
    line = one_line(start(f"sqlite:///{path}", "ask", "/session HA.2"))
    assert "the file is not a SQLite database" in line and str(path) in line


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_an_unreachable_postgresql_stops_start_up_without_showing_the_password() -> None:
    port = closed_port()
    line = one_line(start(f"postgresql://habitat:s3cret-pw@127.0.0.1:{port}/habitat", "ask", "/session HA.2"))
    assert line.startswith(f"cannot start: database postgresql://habitat:***@127.0.0.1:{port}/habitat: ")
    assert "Connection refused" in line and "s3cret-pw" not in line


def test_db_upgrade_on_a_bad_database_says_so_in_one_line(tmp_path: Path) -> None:
    path = tmp_path / "bot.db"
    path.write_bytes(b"\0" * 100 + b"not sqlite" * 100)
    line = one_line(start(f"sqlite:///{path}", "db", "upgrade"))
    assert line.startswith(f"cannot db upgrade: database sqlite:///{path}: ")


async def test_telegram_mode_stops_with_the_same_line(loaded_template: Path, tmp_path: Path) -> None:
    path = copy_of(loaded_template, tmp_path)
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 3])
    async with FakeBotApi() as server:
        env = {**os.environ, "DATABASE_URL": f"sqlite:///{path}", "CONTENT_DIR": str(CONTENT),
               "TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_BASE_URL": f"{server.url}/bot",
               "TELEGRAM_BASE_FILE_URL": f"{server.url}/file/bot"}
        process = await asyncio.create_subprocess_exec(sys.executable, "-m", "bot", cwd=ROOT, env=env,
                                                       stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        _out, err = await asyncio.wait_for(process.communicate(), 120)
    assert process.returncode == 2
    assert "Traceback" not in err.decode()
    assert err.decode().splitlines()[-1] == (
        f"cannot start: database sqlite:///{path}: the file is corrupt or truncated; restore it from a backup")


@pytest.mark.skipif(not os.environ.get("TEST_DATABASE_URL"), reason="needs TEST_DATABASE_URL")
def test_a_read_only_postgresql_stops_start_up(database_url: str) -> None:
    """A standby, or a user whose transactions are read-only: refused before any update is taken."""
    if not database_url.startswith("postgres"):
        pytest.skip("PostgreSQL only")
    engine = make_engine(database_url)
    upgrade(engine)
    engine.dispose()
    with pytest.raises(DatabaseProblem) as caught:
        open_database(database_url + "%20-cdefault_transaction_read_only%3Don")
    assert "it is read-only" in str(caught.value) and str(caught.value).count("\n") == 0
