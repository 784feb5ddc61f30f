"""Admin area through the core: reload, dry run, bad content, uploads, rollback, admins, audit.

Each test runs on its own copy of the content (other people edit ``content/`` meanwhile) and its
own database, SQLite and PostgreSQL. What is asserted is what an admin or a delegate would read.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import shutil
import stat
import subprocess
import tarfile
import threading
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import func, text
from sqlmodel import select

from bot.app import Habitat, build
from bot.kernel.clock import FixedClock
from bot.kernel.reply import plain_text
from bot.kernel.router import Asker
from store.admin_models import AuditEntry
from store.admin_store import copy_content
from store.content import check_directory, content_digest
from store.db import session_scope
from store.models import ContentVersion, EntryRow
from tests.conftest import CONTENT, T0, make_settings

ADMIN = 4242  # in ADMIN_IDS (tests/conftest.make_settings)
STRANGER = 555


@dataclass
class Live:
    services: Habitat
    content: Path  # this test's CONTENT_DIR

    def who(self, user_id: int = ADMIN, lang: str = "en") -> Asker:
        return self.services.askers.asker(user_id, lang, chat_id=user_id)

    def say(self, text: str, user_id: int = ADMIN, lang: str = "en") -> str:
        """What the user reads after sending ``text`` (all replies, tags removed)."""
        replies = self.services.router.message(text, self.who(user_id, lang))
        return "\n".join(plain_text(r.text) for r in replies)

    def upload(self, name: str, data: bytes, caption_args: str = "", user_id: int = ADMIN) -> str:
        replies = self.services.admin.upload(name, data, caption_args, self.who(user_id))
        return "\n".join(plain_text(r.text) for r in replies)

    def edit(self, rel: str, change: Callable[[str], str]) -> None:
        path = self.content / rel
        path.write_text(change(path.read_text(encoding="utf-8")), encoding="utf-8")

    def database_state(self) -> tuple[list[tuple[str, str]], int]:
        """Every stored entry and the number of versions: what "nothing changed" means."""
        with session_scope(self.services.engine) as session:
            entries = sorted((r.id, r.data) for r in session.exec(select(EntryRow)))
            count = session.exec(select(func.count()).select_from(ContentVersion)).one()
        return entries, count


@pytest.fixture(scope="session")
def valid_content(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A valid content directory to start from: ``content/``, or the last commit's if it is invalid.

    Other people edit ``content/`` while these tests run; a half-edited file must not make the
    admin tests fail, since they test reloading, not the content.
    """
    folder = tmp_path_factory.mktemp("admin-content") / "content"
    folder.mkdir()
    copy_content(CONTENT, folder)
    if check_directory(folder):
        shutil.rmtree(folder)
        archive = subprocess.run(["git", "archive", "HEAD", "content"], cwd=CONTENT.parent,
                                 capture_output=True, check=True).stdout
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            tar.extractall(folder.parent, filter="data")
    assert check_directory(folder) == []
    return folder


@pytest.fixture(scope="session")
def valid_template(valid_content: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite database with ``valid_content`` loaded, copied for each SQLite test (fast)."""
    path = tmp_path_factory.mktemp("admin-template") / "admin.db"
    built = build(make_settings(f"sqlite:///{path}", content_dir=valid_content), FixedClock(T0))
    with built.engine.begin() as conn:
        conn.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
    built.close()
    return path


def private_copy(valid_content: Path, tmp_path: Path) -> Path:
    content = tmp_path / "content"
    content.mkdir()
    copy_content(valid_content, content)
    return content


def start_live(url: str, valid_content: Path, valid_template: Path, tmp_path: Path, clock: FixedClock) -> Live:
    content = private_copy(valid_content, tmp_path)
    if url.startswith("sqlite"):
        shutil.copyfile(valid_template, tmp_path / "admin.db")
        url = f"sqlite:///{tmp_path / 'admin.db'}"
    return Live(build(make_settings(url, content_dir=content), clock), content)


@pytest.fixture
def live(database_url: str, valid_content: Path, valid_template: Path, tmp_path: Path,
         clock: FixedClock) -> Iterator[Live]:
    """Habitat on a private copy of the content, on SQLite and on PostgreSQL."""
    started = start_live(database_url, valid_content, valid_template, tmp_path, clock)
    yield started
    started.services.close()


@pytest.fixture
def live_sqlite(valid_content: Path, valid_template: Path, tmp_path: Path, clock: FixedClock) -> Iterator[Live]:
    """The same on SQLite only, for checks that never reach the database (refused uploads, texts)."""
    started = start_live("sqlite://", valid_content, valid_template, tmp_path, clock)
    yield started
    started.services.close()


def ha2_block(change: Callable[[str], str]) -> Callable[[str], str]:
    """Apply ``change`` to the HA.2 entry only, so errors are attributed to a known entry."""

    def apply(text: str) -> str:
        start = text.index("\n  - id: HA.2\n")
        end = text.find("\n  - id: ", start + 5)
        end = len(text) if end < 0 else end
        return text[:start] + change(text[start:end]) + text[end:]

    return apply


def once(old: str, new: str) -> Callable[[str], str]:
    def replace(text: str) -> str:
        assert old in text, old
        return text.replace(old, new, 1)

    return replace


OLD_DATE = "2023年6月5日至9日"


def test_done_when_change_a_date_dry_run_reload_and_the_next_answer_shows_it(live: Live) -> None:
    notified: list[tuple[str, str]] = []
    live.services.content.subscribe(
        lambda old, new: notified.append(
            (old.entries["HA.2"].dates.start.isoformat(), new.entries["HA.2"].dates.start.isoformat()))
    )
    live.edit("entries/sessions.yaml", ha2_block(once("start: 2023-06-05", "start: 2023-06-06")))

    preview = live.say("/reload dry-run")
    assert "Dry run" in preview and "Nothing was changed" in preview
    assert re.search(r"Changed \(1\): HA\.2$", preview, re.M)
    assert OLD_DATE in live.say("/session HA.2", lang="zh")  # a dry run changes nothing

    applied = live.say("/reload")
    assert "Content reloaded: version" in applied
    assert re.search(r"Added \(0\)", applied) and re.search(r"Changed \(1\): HA\.2$", applied, re.M)
    assert "Removed (0)" in applied
    answer = live.say("/session HA.2", lang="zh")
    assert "2023年6月6日至9日" in answer and OLD_DATE not in answer
    assert notified == [("2023-06-05", "2023-06-06")]  # the listeners (reminders) hear of it once

    version = live.say("/version")
    assert content_digest(live.content)[:12] in version and f"by {ADMIN}" in version
    assert "as of 2024-10-01" in version.replace("Answers are as of", "as of")
    assert "unchanged" in live.say("/reload")  # same files again: no new version


BAD_CONTENT: list[tuple[str, str, Callable[[str], str], list[str]]] = [
    ("malformed YAML", "entries/sessions.yaml", lambda t: t + "\n  - id: [unclosed\n",
     ["entries/sessions.yaml:", "malformed YAML"]),
    ("missing field", "entries/sessions.yaml", ha2_block(once("    kind: session\n", "")),
     ["[HA.2] kind", "Field required"]),
    ("unknown reference", "entries/sessions.yaml", ha2_block(once("related: [", "related: [no-such-entry, ")),
     ["[HA.2] related", "unknown entry 'no-such-entry'"]),
    ("duplicate id", "entries/sessions.yaml", once("  - id: HA.1\n", "  - id: HA.2\n"),
     ["[HA.2] id", "duplicate id"]),
    ("5000-character text", "entries/sessions.yaml", ha2_block(once("zh: 联合国人居大会第二届会议", "zh: " + "长" * 5000)),
     ["[HA.2] names.zh", "text is 5000 characters; at most 1500"]),
    ("31 February", "entries/sessions.yaml", ha2_block(once("start: 2023-06-05", "start: 2023-02-31")),
     ["[HA.2] dates.start", "day value is outside expected range"]),
    ("unknown time zone", "entries/sessions.yaml", ha2_block(once("timezone: Africa/Nairobi", "timezone: Africa/Atlantis")),
     ["[HA.2] timezone", "unknown time zone 'Africa/Atlantis'"]),
    ("<script>", "entries/sessions.yaml", ha2_block(once("en: Nairobi", "en: <script>alert(1)</script>")),
     ["[HA.2] place.en", "contains < or >"]),
    ("bare <", "entries/sessions.yaml", ha2_block(once("en: Nairobi", "en: Nairobi < Geneva")),
     ["[HA.2] place.en", "contains < or >"]),
    ("reply over 4096", "entries/sessions.yaml",
     ha2_block(once("    outcomes:\n", "    outcomes:\n" + "".join(f"      - en: {'w' * 1400} {i}\n" for i in range(4)))),
     ["[HA.2]", "the en reply is", "Telegram allows 4096"]),
    ("sources.yaml not a list", "sources.yaml", lambda t: "documents: none\n",
     ["sources.yaml", "expected a mapping with a list under 'documents'"]),
]


def test_every_broken_content_gives_its_clear_error_and_changes_nothing(live: Live) -> None:
    before_db = live.database_state()
    before_catalog = live.services.content.catalog
    before_answer = live.say("/session HA.2", lang="zh")
    for name, rel, change, expected in BAD_CONTENT:
        original = (live.content / rel).read_text(encoding="utf-8")
        live.edit(rel, change)
        reply = live.say("/reload")
        assert "The content is invalid" in reply and "Nothing was changed" in reply, name
        for fragment in expected:
            assert fragment in reply, f"{name}: {fragment!r} not in\n{reply}"
        assert "dry run" not in reply.lower()
        assert live.services.content.catalog is before_catalog, name
        assert live.database_state() == before_db, name
        assert live.say("/session HA.2", lang="zh") == before_answer, name
        (live.content / rel).write_text(original, encoding="utf-8")
    live.edit("entries/sessions.yaml", ha2_block(once("timezone: Africa/Nairobi", "timezone: Africa/Atlantis")))
    assert "unknown time zone 'Africa/Atlantis'" in live.say("/reload dry-run")  # a dry run checks the same
    assert live.database_state() == before_db
    audit = live.say(f"/audit {len(BAD_CONTENT) + 1}")
    assert audit.count("invalid") >= len(BAD_CONTENT)


def test_errors_name_the_line_and_stop_at_twenty(live_sqlite: Live) -> None:
    live = live_sqlite
    for path in sorted((live.content / "entries").glob("*.yaml")):
        live.edit(f"entries/{path.name}", lambda t: t.replace("related: [", "related: [ghost-entry, "))
    reply = live.say("/reload")
    shown = [line for line in reply.splitlines() if line.startswith("• ")]
    total = int(re.search(r"invalid: (\d+) error", reply).group(1))  # type: ignore[union-attr]
    assert total > 20 and len(shown) == 20
    assert f"… and {total - 20} more errors." in reply
    assert all(re.match(r"• entries/\w+\.yaml:\d+ \[[^\]]+\] related: unknown entry 'ghost-entry'$", line)
               for line in shown), shown


def yaml_of(live: Live, rel: str) -> bytes:
    return (live.content / rel).read_bytes()


def test_uploaded_yaml_replaces_its_file_and_keeps_the_previous_one(live_sqlite: Live) -> None:
    live = live_sqlite
    original = yaml_of(live, "entries/sessions.yaml")
    changed = original.replace(b"start: 2023-06-05, end: 2023-06-09", b"start: 2023-06-05, end: 2023-06-10")
    assert changed != original
    assert "Dry run" in live.upload("sessions.yaml", changed, "dry-run")
    assert yaml_of(live, "entries/sessions.yaml") == original  # a dry run writes nothing

    reply = live.upload("sessions.yaml", changed)
    assert "sessions.yaml applied" in reply and "Changed (1): HA.2" in reply
    assert yaml_of(live, "entries/sessions.yaml") == changed
    [kept] = list((live.content / ".history").iterdir())
    assert (kept / "entries" / "sessions.yaml").read_bytes() == original
    assert "2023年6月5日至10日" in live.say("/session HA.2", lang="zh")


def test_broken_upload_says_what_is_wrong_and_changes_nothing(live_sqlite: Live) -> None:
    live = live_sqlite
    before = live.database_state()
    files_before = content_digest(live.content)
    broken = yaml_of(live, "entries/sessions.yaml").replace(b"timezone: Africa/Nairobi", b"timezone: Mars/Olympus", 1)
    reply = live.upload("sessions.yaml", broken)
    assert "unknown time zone 'Mars/Olympus'" in reply and "Nothing was changed" in reply
    assert "entries/sessions.yaml:" in reply
    for name, data, fragment in [
        ("notes.pdf", b"%PDF-1.4", "send a .yaml content file"),
        ("../../etc/passwd.yaml", b"entries: []", "file name must be like"),
        ("sessions.yaml", b"\xff\xfe\x00binary", "not UTF-8 text"),
        ("sessions.yaml", b"entries: [" * 300_000, "larger than"),
    ]:
        assert fragment in live.upload(name, data), name
    assert live.database_state() == before and content_digest(live.content) == files_before
    assert not (live.content / ".history").exists()


def zip_of(files: dict[str, bytes], *, links: dict[str, str] | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
        for name, target in (links or {}).items():
            info = zipfile.ZipInfo(name)
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
            archive.writestr(info, target)
    return buffer.getvalue()


def content_zip(live: Live, prefix: str = "content/", **extra: bytes) -> dict[str, bytes]:
    from store.admin_store import content_files

    files = {prefix + rel: (live.content / rel).read_bytes() for rel in content_files(live.content)}
    files.update(extra)
    return files


def test_zip_upload_applies_a_whole_content_directory(live_sqlite: Live) -> None:
    live = live_sqlite
    files = content_zip(live)
    files["content/entries/sessions.yaml"] = files["content/entries/sessions.yaml"].replace(
        b"start: 2023-06-05, end: 2023-06-09", b"start: 2023-06-04, end: 2023-06-09")
    reply = live.upload("content.zip", zip_of(files))
    assert "content.zip applied" in reply and "Changed (1): HA.2" in reply
    assert "2023年6月4日至9日" in live.say("/session HA.2", lang="zh")


@pytest.mark.parametrize(
    ("files", "links", "fragment"),
    [
        ({"../evil.yaml": b"entries: []"}, None, "'..' in a zip path is not allowed (path traversal)"),
        ({"content/../../evil.yaml": b"entries: []"}, None, "path traversal"),
        ({"/etc/cron.d/evil.yaml": b"x: 1"}, None, "absolute paths are not allowed"),
        ({"entries/x.yaml": b"entries: []"}, {"entries/link.yaml": "/etc/passwd"}, "symbolic links are not allowed"),
        ({"entries/x.yaml": b"entries: []", "tool.exe": b"MZ\x90\x00"}, None, "not a content file"),
        ({"documents/a.txt": b"\x89PNG\r\n\x1a\n\x00\x00"}, None, "not UTF-8 text"),
    ],
    ids=["dotdot", "nested-dotdot", "absolute", "symlink", "exe", "binary"],
)
def test_unsafe_zips_are_refused_and_change_nothing(
    live_sqlite: Live, files: dict[str, bytes], links: dict[str, str] | None, fragment: str
) -> None:
    live = live_sqlite
    before = live.database_state()
    files_before = content_digest(live.content)
    reply = live.upload("content.zip", zip_of(files, links=links))
    assert fragment in reply and "Nothing was changed" in reply
    assert live.database_state() == before and content_digest(live.content) == files_before
    assert not (live.content.parent / "evil.yaml").exists()


def test_oversized_and_invalid_zips_are_refused(live_sqlite: Live) -> None:
    live = live_sqlite
    assert "not a valid zip file" in live.upload("content.zip", b"PK\x03\x04 nope")
    bomb = zip_of({"entries/big.yaml": b"#" * 3_000_000})
    assert "larger than" in live.upload("content.zip", bomb)
    assert "at most 10000000" in live.upload("content.zip", b"0" * 10_000_001)


def entry_answers(live: Live) -> dict[tuple[str, str], str]:
    """The card of every entry in both languages, as delegates read it."""
    answers = {}
    for entry_id in sorted(live.services.content.catalog.entries):
        for lang in ("zh", "en"):
            replies = live.services.router.callback(f"e:{entry_id}", live.who(ADMIN, lang))
            answers[(entry_id, lang)] = "\n".join(r.text for r in replies)
    return answers


def test_rollback_restores_exactly_the_previous_answers_and_files(live: Live) -> None:
    before = entry_answers(live)
    files_before = content_digest(live.content)
    live.edit("entries/sessions.yaml", ha2_block(once("start: 2023-06-05", "start: 2023-06-07")))
    applied = live.upload("sessions.yaml", (live.content / "entries/sessions.yaml").read_bytes())
    assert "Changed (1): HA.2" in applied
    assert "2023年6月7日至9日" in live.say("/session HA.2", lang="zh")

    assert "Dry run" in live.say("/rollback dry-run")
    rolled = live.say("/rollback")
    assert "Rolled back to version" in rolled and "Changed (1): HA.2" in rolled
    assert entry_answers(live) == before
    assert content_digest(live.content) == files_before
    assert live.services.content.catalog.version == files_before
    assert "no earlier content version" in live.say("/rollback")


def test_queries_during_a_reload_see_old_or_new_content_never_a_mix(live: Live) -> None:
    """Threads ask while a reload runs; every answer is wholly the old or wholly the new one."""
    who = live.who(STRANGER, "zh")
    old = live.services.router.command("session", "HA.2", who)[0].text
    live.edit("entries/sessions.yaml", ha2_block(once("start: 2023-06-05", "start: 2023-06-06")))
    live.edit("entries/sessions.yaml", ha2_block(once("zh: 联合国人居大会第二届会议", "zh: 联合国人居大会第二届会议（新）")))
    seen: list[str] = []
    stop = threading.Event()
    started = threading.Barrier(4)

    def ask() -> None:
        started.wait()
        while not stop.is_set():
            seen.append(live.services.router.command("session", "HA.2", who)[0].text)
        seen.append(live.services.router.command("session", "HA.2", who)[0].text)

    threads = [threading.Thread(target=ask) for _ in range(3)]
    for thread in threads:
        thread.start()
    started.wait()
    assert "Content reloaded" in live.say("/reload")
    stop.set()
    for thread in threads:
        thread.join()
    new = live.services.router.command("session", "HA.2", who)[0].text
    assert new != old and "（新）" in new and "2023年6月6日" in new
    assert set(seen) <= {old, new}, "an answer mixed old and new content"
    assert new in seen


ADMIN_COMMANDS = ["/reload", "/reload dry-run", "/version", "/rollback", "/admin add 555", "/admin list",
                  "/stats", "/broadcast hello", "/audit"]


def test_a_non_admin_can_do_none_of_it(live_sqlite: Live) -> None:
    live = live_sqlite
    before = live.database_state()
    live.edit("entries/sessions.yaml", ha2_block(once("start: 2023-06-05", "start: 2023-06-06")))
    for command in ADMIN_COMMANDS:
        assert "Not authorized" in live.say(command, STRANGER), command
    assert "Not authorized" in live.upload("sessions.yaml", b"entries: []", user_id=STRANGER)
    assert "Not authorized" in "\n".join(
        plain_text(r.text) for r in live.services.router.callback("bc:go:1", live.who(STRANGER)))
    assert live.database_state() == before
    help_text = live.say("/help", STRANGER)
    assert "/reload" not in help_text and "/audit" not in help_text
    assert "/reload" in live.say("/help")
    with session_scope(live.services.engine) as session:
        denied = session.exec(select(AuditEntry).where(AuditEntry.result == "denied")).all()
    assert len(denied) == len(ADMIN_COMMANDS) + 2 and {d.user_id for d in denied} == {STRANGER}


def test_admins_added_and_removed_by_command(live_sqlite: Live) -> None:
    live = live_sqlite
    assert "Not authorized" in live.say("/version", STRANGER)
    assert f"{STRANGER} is now an admin." in live.say(f"/admin add {STRANGER}")
    assert "Live content version" in live.say("/version", STRANGER)
    listing = live.say("/admin list")
    assert f"{ADMIN} (ADMIN_IDS)" in listing and f"{STRANGER} — added by {ADMIN}" in listing
    assert "is in ADMIN_IDS" in live.say(f"/admin remove {ADMIN}", STRANGER)
    assert f"{STRANGER} is no longer an admin." in live.say(f"/admin remove {STRANGER}")
    assert "Not authorized" in live.say("/version", STRANGER)
    assert "Usage" in live.say("/admin add someone")
    audit = live.say("/audit 10")
    assert "admin add · ok" in audit and "admin remove · ok" in audit and "denied" in audit


def test_stats_and_audit(live_sqlite: Live, clock: FixedClock) -> None:
    live = live_sqlite
    live.say("/lang zh", STRANGER)
    assert "世界城市论坛第十二届会议" in live.say("/subscribe WUF12", STRANGER)
    for question in ("qwzx plorkbat", "QWZX  plorkbat", "qwzx plorkbat", "贫民窟改造"):  # the last one has answers
        live.say(question, STRANGER)
    clock.advance(dt.timedelta(hours=26, minutes=5))
    stats = live.say("/stats")
    assert "“qwzx plorkbat” ×3" in stats and "贫民窟" not in stats
    assert "Users: 2" in stats  # the stranger, and the admin asking in a private chat
    assert "Active subscriptions by event: WUF12 1" in stats
    assert re.search(r"Reminders in the last 7 days: pending \d+, sent 0, failed 0, unknown 0", stats)
    assert "Uptime: 1 day 2 hours 5 minutes" in stats
    assert content_digest(live.content)[:12] in stats
    audit = live.say("/audit 3")
    assert re.search(rf"· {ADMIN} · stats · ok", audit)
    assert "Usage" in live.say("/audit many")


def test_broadcast_needs_confirmation_and_goes_once(live: Live) -> None:
    live.say("/lang en", STRANGER)
    who = live.who()
    [preview] = live.services.router.command("broadcast", "Room change: <b>2</b> & more", who)
    assert "&lt;b&gt;2&lt;/b&gt; &amp; more" in preview.text  # shown as typed, never as markup
    assert "Send this message to 2 users?" in plain_text(preview.text)  # the stranger and the admin
    go, cancel = [b.data for row in preview.buttons for b in row]
    assert go.startswith("bc:go:") and cancel.startswith("bc:no:")
    [sending] = live.services.router.callback(go, who)
    assert "Sending to 2 users" in sending.text and sending.meta["broadcast"] == go.split(":")[2]
    assert "already sent or cancelled" in live.services.router.callback(go, who)[0].text
    assert "already sent or cancelled" in live.services.router.callback(cancel, who)[0].text
    [second] = live.services.router.command("broadcast", "never mind", who)
    cancel2 = second.buttons[0][1].data
    assert "cancelled" in live.services.router.callback(cancel2, who)[0].text
    assert live.services.admin.broadcast_text(int(cancel2.split(":")[2])) is None


def test_chinese_admin_replies(live_sqlite: Live) -> None:
    live = live_sqlite
    assert "未获授权" in live.say("/reload", STRANGER, lang="zh")
    assert "内容版本" in live.say("/version", lang="zh")


def test_repeated_rollbacks_walk_back_through_history(engine) -> None:  # type: ignore[no-untyped-def]
    """A → B → C, rollback to B, rollback again to A (not back to C)."""
    from store import admin_store as st
    from store.content_store import save_files

    def apply(digest: str, target: int | None = None) -> int:
        with session_scope(engine) as session:
            row = ContentVersion(digest=digest, applied_at=T0, applied_by="t")
            session.add(row)
            session.flush()
            save_files(session=session, digest=digest, files={"sources.yaml": digest.encode()})
            if target is not None:
                st.mark_rollback(session=session, version_id=row.id, target_version_id=target)  # type: ignore[arg-type]
            return row.id  # type: ignore[return-value]

    a, b, _c = apply("a" * 64), apply("b" * 64), apply("c" * 64)
    with session_scope(engine) as session:
        target = st.previous_version(session=session)
    assert target is not None and target.id == b
    apply("b" * 64, target=b)
    with session_scope(engine) as session:
        target = st.previous_version(session=session)
    assert target is not None and target.id == a
    apply("a" * 64, target=a)
    with session_scope(engine) as session:
        assert st.previous_version(session=session) is None
