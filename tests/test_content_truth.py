"""The database is the one truth for content: CONTENT_DIR seeds an empty database and nothing more.

A restart or a redeploy with other files never reverts what an admin applied; applying files is
an explicit act (``/reload`` or ``python -m bot content apply``). SQLite and PostgreSQL.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bot.app import Habitat, build
from bot.kernel.clock import FixedClock
from bot.kernel.content import StartupError
from bot.kernel.reply import plain_text
from store.content_store import directory_files, version_files
from store.db import session_scope
from tests.conftest import CONTENT, ROOT, T0, make_settings

ADMIN = 4242  # in ADMIN_IDS (tests/conftest.make_settings)
DELEGATE = 1001
OLD = "5–9 June 2023"
NEW = "5–12 June 2023"


def content_copy(tmp_path: Path, name: str) -> Path:
    """A deployment's CONTENT_DIR: the bundled files, as a fresh image or checkout would bring them."""
    folder = tmp_path / name
    shutil.copytree(CONTENT, folder)
    return folder


def moved_sessions(folder: Path) -> bytes:
    """sessions.yaml with HA.2 ending on 12 June instead of 9 June."""
    text = (folder / "entries" / "sessions.yaml").read_text(encoding="utf-8")
    assert "start: 2023-06-05, end: 2023-06-09" in text
    return text.replace("start: 2023-06-05, end: 2023-06-09", "start: 2023-06-05, end: 2023-06-12", 1).encode()


def say(services: Habitat, text: str, user_id: int = DELEGATE) -> str:
    replies = services.router.message(text, services.askers.asker(user_id, "en", chat_id=user_id))
    return "\n".join(plain_text(r.text) for r in replies)


def start(url: str, content_dir: Path) -> Habitat:
    return build(make_settings(url, content_dir=content_dir), FixedClock(T0))


def test_an_empty_database_is_seeded_with_the_files_stored_beside_it(database_url: str, tmp_path: Path) -> None:
    folder = content_copy(tmp_path, "content")
    services = start(database_url, folder)
    try:
        assert OLD in say(services, "/session HA.2")
        assert "by seed" in say(services, "/version", ADMIN)
        with session_scope(services.engine) as session:
            stored = version_files(session=session, digest=services.content.catalog.version)
        assert stored == directory_files(folder)
    finally:
        services.close()


def test_an_empty_database_with_invalid_files_does_not_start(database_url: str, tmp_path: Path) -> None:
    folder = content_copy(tmp_path, "content")
    (folder / "entries" / "sessions.yaml").write_text("entries: [unclosed\n", encoding="utf-8")
    with pytest.raises(StartupError, match="holds no content and the content in .* is invalid"):
        start(database_url, folder)


def test_an_admin_upload_survives_a_restart_with_the_old_files(
    database_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    first = start(database_url, content_copy(tmp_path, "first"))
    try:
        reply = "\n".join(plain_text(r.text) for r in first.admin.upload(
            "sessions.yaml", moved_sessions(CONTENT), "", first.askers.asker(ADMIN, "en", chat_id=ADMIN)))
        assert "Changed (1): HA.2" in reply
        assert NEW in say(first, "/session HA.2")
        uploaded = first.content.catalog.version
    finally:
        first.close()

    redeployed = content_copy(tmp_path, "redeployed")  # the image still has the old sessions.yaml
    with caplog.at_level(logging.WARNING, logger="store.content_store"):
        second = start(database_url, redeployed)
    try:
        assert NEW in say(second, "/session HA.2")
        assert second.content.catalog.version == uploaded
        [warning] = [r.getMessage() for r in caplog.records if "differ from the live version" in r.getMessage()]
        assert str(redeployed) in warning and uploaded[:12] in warning
        assert "/reload" in warning and "python -m bot content apply" in warning

        # An upload on this replica changes its file only: the old sessions.yaml here is not brought back.
        glossary = (redeployed / "glossary.yaml").read_bytes() + b"\n# reviewed\n"
        reply = "\n".join(plain_text(r.text) for r in second.admin.upload(
            "glossary.yaml", glossary, "", second.askers.asker(ADMIN, "en", chat_id=ADMIN)))
        assert "glossary.yaml applied" in reply and "Changed (0)" in reply
        assert NEW in say(second, "/session HA.2")
    finally:
        second.close()


def test_rollback_restores_the_stored_files_whatever_content_dir_holds(database_url: str, tmp_path: Path) -> None:
    folder = content_copy(tmp_path, "content")
    services = start(database_url, folder)
    try:
        services.admin.upload("sessions.yaml", moved_sessions(CONTENT), "", services.askers.asker(ADMIN, "en", chat_id=ADMIN))
        assert NEW in say(services, "/session HA.2")
        shutil.rmtree(folder / "entries")  # the folder was wiped (or never had these files)
        assert "Rolled back to version" in say(services, "/rollback", ADMIN)
        assert OLD in say(services, "/session HA.2")
        assert (folder / "entries" / "sessions.yaml").read_bytes() == (CONTENT / "entries" / "sessions.yaml").read_bytes()
    finally:
        services.close()


def bot(database_url: str, content_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": database_url, "CONTENT_DIR": str(content_dir), "TELEGRAM_BOT_TOKEN": "",
           "ADMIN_IDS": str(ADMIN)}
    return subprocess.run([sys.executable, "-m", "bot", *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=180)


def test_content_apply_is_how_a_deployment_applies_new_files(database_url: str, tmp_path: Path) -> None:
    folder = content_copy(tmp_path, "content")
    start(database_url, folder).close()  # the running bot seeded the database
    (folder / "entries" / "sessions.yaml").write_bytes(moved_sessions(CONTENT))  # the new release's files
    assert OLD in live_answer(database_url, folder)  # a restart: unchanged

    preview = bot(database_url, folder, "content", "apply", "--dry-run")
    assert preview.returncode == 0, preview.stderr
    assert "would give" in preview.stdout and "Changed (1): HA.2" in preview.stdout
    assert OLD in live_answer(database_url, folder)

    applied = bot(database_url, folder, "content", "apply")
    assert applied.returncode == 0, applied.stderr
    assert "is live" in applied.stdout and "Changed (1): HA.2" in applied.stdout
    assert NEW in live_answer(database_url, folder)

    (folder / "entries" / "sessions.yaml").write_text(
        moved_sessions(CONTENT).decode().replace("timezone: Africa/Nairobi", "timezone: Mars/Olympus", 1), encoding="utf-8")
    refused = bot(database_url, folder, "content", "apply")
    assert refused.returncode == 1
    assert "Nothing was changed" in refused.stderr and "unknown time zone 'Mars/Olympus'" in refused.stderr
    assert NEW in live_answer(database_url, folder)


def live_answer(url: str, content_dir: Path) -> str:
    """What a delegate reads about HA.2 from a bot started now on this database and folder."""
    services = start(url, content_dir)
    try:
        return say(services, "/session HA.2")
    finally:
        services.close()
