"""Migrations: a database made by the first migration (or by create_all before there were any),
with data in it, upgrades to the newest revision and the bot finds everything it held.

Runs on SQLite and, with TEST_DATABASE_URL, on PostgreSQL (``database_url`` fixture).
"""

from __future__ import annotations

import datetime as dt
import importlib
import io
import os
import shutil
import subprocess
import sys
import threading
import zipfile
from pathlib import Path

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlmodel import Session, SQLModel

from bot.kernel.clock import FixedClock
from bot.kernel.reply import plain_text
from store import migrations
from store.content import load_content
from store.content_store import directory_files, files_digest, version_files
from store.db import import_models, make_engine, session_scope
from store.loader import apply_content
from tests.conftest import CONTENT, ROOT, T0, make_settings

ADMIN = 4242  # in ADMIN_IDS (tests/conftest.make_settings)
DELEGATE = 9_000_000_001  # a 64-bit Telegram id
NOT_CONTENT = ("bot_user", "search_miss", "admin_user", "admin_audit", "content_rollback", "admin_broadcast",
               "reminder_subscription", "reminder_outbox", "reminder_digest", "reminder_state")


def old_zip(files: dict[str, bytes]) -> bytes:
    """A content snapshot as revision 0001 stored it: one zip of the version's files."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for rel, data in sorted(files.items()):
            archive.writestr(zipfile.ZipInfo(rel, date_time=(2000, 1, 1, 0, 0, 0)), data)
    return buffer.getvalue()


def content_versions(engine: sa.Engine, tmp_path: Path) -> tuple[dict[str, bytes], dict[str, bytes]]:
    """Two content versions applied the 0001 way (rows, versions, snapshots): HA.2 moved, then the real one."""
    moved = tmp_path / "moved"
    shutil.copytree(CONTENT, moved)
    sessions = moved / "entries" / "sessions.yaml"
    sessions.write_text(sessions.read_text(encoding="utf-8").replace(
        "start: 2023-06-05", "start: 2023-06-07", 1), encoding="utf-8")
    snapshot = sa.Table("content_snapshot", sa.MetaData(), autoload_with=engine)
    applied = []
    for folder in (moved, CONTENT):
        content = load_content(folder)
        files = directory_files(folder)
        with Session(engine) as session:
            apply_content(session, content, applied_by="startup", now=T0)
            session.execute(snapshot.insert().values(digest=content.digest, created_at=T0, archive=old_zip(files)))
            session.commit()
        applied.append(files)
    return applied[0], applied[1]


def people_rows() -> dict[str, list[dict[str, object]]]:
    """Users, subscriptions, outbox, audit … as revision 0001 holds them (serial ids left to the
    database, so PostgreSQL's sequences stay right; the subscription gets id 1)."""
    later = T0 + dt.timedelta(days=3)
    return {
        "bot_user": [{"id": DELEGATE, "language": "en", "timezone": "Asia/Shanghai", "created_at": T0}],
        "search_miss": [{"query": "贫民窟改造", "day": dt.date(2024, 9, 30), "count": 3, "last_at": T0}],
        "admin_user": [{"user_id": 777, "added_by": ADMIN, "added_at": T0}],
        "admin_audit": [{"at": T0, "user_id": ADMIN, "action": "admin add", "detail": "777", "result": "ok"}],
        "content_rollback": [],
        "admin_broadcast": [{"created_by": ADMIN, "created_at": T0, "text": "Welcome to HA.2", "status": "done",
                             "recipients": 1, "sent": 1, "failed": 0}],
        "reminder_subscription": [{"user_id": DELEGATE, "chat_id": DELEGATE, "target_kind": "entry",
                                   "target": "WUF12", "leads": "7d 1d", "active": True, "inactive_reason": None,
                                   "created_at": T0}],
        "reminder_outbox": [{"key": "r:1:WUF12@2024-11-04:7d", "kind": "reminder", "subscription_id": 1,
                             "user_id": DELEGATE, "chat_id": DELEGATE, "entry_id": "WUF12",
                             "occurrence_key": "WUF12@2024-11-04", "lead": "7d", "due_at": later,
                             "starts_at": later + dt.timedelta(days=7), "available_at": later, "status": "pending",
                             "late": False, "attempts": 0, "claimed_by": None, "claimed_at": None, "sent_at": None,
                             "message_id": None, "last_error": None, "payload": None}],
        "reminder_digest": [{"user_id": DELEGATE, "chat_id": DELEGATE, "enabled": True, "at": "07:30", "created_at": T0}],
        "reminder_state": [{"name": "planner", "planned_until": later}],
    }


def every_row(engine: sa.Engine) -> dict[str, list[dict]]:  # type: ignore[type-arg]
    """Each table's rows in primary-key order (alembic's own table left out)."""
    meta = sa.MetaData()
    meta.reflect(engine)
    found = {}
    with engine.connect() as connection:
        for name, table in meta.tables.items():
            if name != "alembic_version":
                order = list(table.primary_key.columns) or list(table.columns)
                found[name] = [dict(row._mapping) for row in connection.execute(sa.select(table).order_by(*order))]
    return found


def test_a_database_of_the_first_migration_with_data_upgrades_and_loses_nothing(
    database_url: str, tmp_path: Path
) -> None:
    engine = make_engine(database_url)
    assert migrations.upgrade(engine, "0001").after == "0001"
    moved_files, live_files = content_versions(engine, tmp_path)
    meta = sa.MetaData()
    meta.reflect(engine)
    with engine.begin() as connection:
        for name, rows in people_rows().items():
            if rows:
                connection.execute(meta.tables[name].insert(), rows)
    before = every_row(engine)
    assert all(before[name] for name in NOT_CONTENT if name != "content_rollback")

    done = migrations.upgrade(engine)
    assert (done.before, done.after) == ("0001", migrations.head())
    after = every_row(engine)
    for name, rows in before.items():
        if name != "content_snapshot":  # its zips became content_file rows
            kept = [{column: row[column] for column in rows[0]} for row in after[name]] if rows else after[name]
            assert kept == rows, name  # columns added since hold new facts; the old ones are intact
    # Everyone stored had done something in their chat with the bot: broadcasts still reach them.
    assert all(row["talked_at"] == row["created_at"] and row["blocked_at"] is None for row in after["bot_user"])
    assert after["bot_user"]
    assert "content_snapshot" not in after
    with session_scope(engine) as session:
        for files in (moved_files, live_files):
            assert version_files(session=session, digest=files_digest(files)) == files
    engine.dispose()

    from bot.app import build

    private = tmp_path / "content"  # /rollback writes the files it restores into CONTENT_DIR
    shutil.copytree(CONTENT, private)
    services = build(make_settings(database_url, content_dir=private), FixedClock(T0))
    try:
        def say(text: str, user_id: int) -> str:
            replies = services.router.message(text, services.askers.asker(user_id, "en", chat_id=user_id))
            return "\n".join(plain_text(r.text) for r in replies)

        assert "5–9 June 2023" in say("/session HA.2", DELEGATE)
        subscriptions = say("/mysubs", DELEGATE)
        assert "Twelfth session of the World Urban Forum — 7 days before, 1 day before" in subscriptions
        assert "Asia/Shanghai" in subscriptions and "Daily digest: on at 07:30" in subscriptions
        assert "admin add" in say("/audit", ADMIN)
        assert services.askers.is_admin(777)
        rolled = say("/rollback", ADMIN)  # to the version whose files were a zip before the upgrade
        assert "Rolled back to version" in rolled, rolled
        assert "7–9 June 2023" in say("/session HA.2", DELEGATE)
    finally:
        services.close()


def test_models_and_migrations_agree(database_url: str) -> None:
    """Autogenerate finds nothing to do: every model change came with its migration."""
    engine = make_engine(database_url)
    migrations.upgrade(engine)
    import_models()
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, SQLModel.metadata) == []
    engine.dispose()


def first_revision_tables() -> list[sa.Table]:
    module = importlib.import_module("store.migrations.versions.0001_initial")
    return module.tables(sa.MetaData())


def test_a_database_made_by_create_all_before_migrations_is_taken_as_the_first_revision(database_url: str) -> None:
    """An older create_all database (no search_miss yet, no alembic_version) gets its missing table
    and every later migration; its rows stay."""
    engine = make_engine(database_url)
    tables = [t for t in first_revision_tables() if t.name != "search_miss"]
    with engine.begin() as connection:
        for table in tables:
            table.create(connection)
        users = next(t for t in tables if t.name == "bot_user")
        connection.execute(users.insert().values(id=DELEGATE, language="zh", timezone=None, created_at=T0))
    done = migrations.upgrade(engine)
    assert done.legacy and done.before is None and done.after == migrations.head()
    rows = every_row(engine)
    assert [r["id"] for r in rows["bot_user"]] == [DELEGATE]
    assert "search_miss" in rows and "content_file" in rows
    assert migrations.upgrade(engine).changed is False  # the second start finds nothing to do
    engine.dispose()


def test_downgrade_packs_the_files_back_and_upgrade_unpacks_them(database_url: str) -> None:
    """An older release can be put back: its snapshot zips return, and a new upgrade restores the rows."""
    engine = make_engine(database_url)
    migrations.upgrade(engine)
    files = directory_files(CONTENT)
    from store.content_store import save_files

    with session_scope(engine) as session:
        save_files(session=session, digest=files_digest(files), files=files)
    assert migrations.downgrade(engine, "0001").after == "0001"
    snapshot = sa.Table("content_snapshot", sa.MetaData(), autoload_with=engine)
    with engine.connect() as connection:
        [(digest, archive)] = connection.execute(sa.select(snapshot.c.digest, snapshot.c.archive)).all()
    with zipfile.ZipFile(io.BytesIO(archive)) as packed:
        assert {name: packed.read(name) for name in packed.namelist()} == files
    migrations.upgrade(engine)
    with session_scope(engine) as session:
        assert version_files(session=session, digest=digest) == files
    engine.dispose()


def test_replicas_upgrading_at_once_take_turns(database_url: str) -> None:
    """Three processes' worth of start-ups on one empty database: one upgrades, none fails."""
    results: list[object] = []

    def start() -> None:
        try:
            results.append(migrations.upgrade(database_url).after)
        except Exception as exc:  # noqa: BLE001 - the assertion shows it
            results.append(exc)

    threads = [threading.Thread(target=start) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [migrations.head()] * 3


def test_python_m_bot_db_upgrade(tmp_path: Path) -> None:
    """The deployment step: upgrade before the replicas start; a second run has nothing to do."""
    url = f"sqlite:///{tmp_path / 'deploy.db'}"
    env = {**os.environ, "DATABASE_URL": url, "CONTENT_DIR": str(CONTENT), "TELEGRAM_BOT_TOKEN": ""}
    first = subprocess.run([sys.executable, "-m", "bot", "db", "upgrade"], cwd=ROOT, env=env,
                           capture_output=True, text=True, timeout=120)
    assert first.returncode == 0, first.stderr
    assert first.stdout.strip() == f"database {url}: upgraded from empty to {migrations.head()}"
    second = subprocess.run([sys.executable, "-m", "bot", "db", "upgrade"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=120)
    assert second.stdout.strip() == f"database {url}: already at {migrations.head()}"
