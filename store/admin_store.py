"""Storage of the admin area: stored admins, the audit log, versions and content file handling.

Functions are keyword-only and take a session, like the rest of ``store``. The file functions
here are the only code that writes into ``CONTENT_DIR``: uploads are unpacked into a staging
copy first (so a bad upload never touches the live directory), and the previous files are kept
under ``.history/`` before anything is overwritten.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import re
import shutil
import stat
import struct
import zipfile
from pathlib import Path, PurePosixPath

from sqlmodel import Session, col, select

from store.admin_models import AdminUser, AuditEntry, RollbackMark
from store.content import MAX_FILE_BYTES, ContentError
from store.content import content_files as store_content_files
from store.content_store import has_files, live_version
from store.models import ContentVersion
from store.unzip import MemberInvalid, MemberTooLarge, read_member

MAX_ZIP_BYTES = 10_000_000  # an uploaded zip; the whole content directory is a few hundred KB
MAX_UNPACKED_BYTES = 20_000_000  # all members together, against zip bombs
MAX_MEMBERS = 500
HISTORY = ".history"

#: Top-level files an upload may bring; any other top-level file has no use for the bot.
TOP_FILES = ("sources.yaml", "glossary.yaml")
SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
#: Noise that archivers add; skipped silently rather than refused.
ARCHIVER_NOISE = ("__MACOSX/", ".DS_Store", "Thumbs.db", "README.md")


# -- admins ----------------------------------------------------------------------------------


def is_stored_admin(*, session: Session, user_id: int) -> bool:
    return session.get(AdminUser, user_id) is not None


def add_admin(*, session: Session, user_id: int, added_by: int, now: dt.datetime) -> bool:
    """Store ``user_id`` as an admin; False if it already was one."""
    if session.get(AdminUser, user_id) is not None:
        return False
    session.add(AdminUser(user_id=user_id, added_by=added_by, added_at=now))
    session.flush()
    return True


def remove_admin(*, session: Session, user_id: int) -> bool:
    """Remove a stored admin; False if there was none."""
    row = session.get(AdminUser, user_id)
    if row is None:
        return False
    session.delete(row)
    session.flush()
    return True


def stored_admins(*, session: Session) -> list[AdminUser]:
    return list(session.exec(select(AdminUser).order_by(col(AdminUser.added_at))))


# -- audit -----------------------------------------------------------------------------------


def record_audit(
    *, session: Session, user_id: int | None, action: str, detail: str, result: str, now: dt.datetime
) -> None:
    session.add(AuditEntry(at=now, user_id=user_id, action=action, detail=detail[:2000], result=result))


def recent_audit(*, session: Session, limit: int) -> list[AuditEntry]:
    """The newest ``limit`` audit entries, newest first."""
    query = select(AuditEntry).order_by(col(AuditEntry.id).desc()).limit(limit)
    return list(session.exec(query))


# -- versions ---------------------------------------------------------------------------------


def _origin(session: Session, version: ContentVersion) -> ContentVersion:
    """The version a rollback version returned to (followed back to an ordinary version)."""
    seen: set[int] = set()
    while version.id is not None and version.id not in seen:
        seen.add(version.id)
        mark = session.get(RollbackMark, version.id)
        if mark is None:
            break
        target = session.get(ContentVersion, mark.target_version_id)
        if target is None:
            break
        version = target
    return version


def previous_version(*, session: Session) -> ContentVersion | None:
    """The version ``/rollback`` returns to: the newest earlier one with other content and files.

    After a rollback, "earlier" counts from the version it returned to, so repeated rollbacks
    walk back through history instead of toggling between two versions.
    """
    live = live_version(session=session)
    if live is None:
        return None
    origin = _origin(session, live)
    query = (
        select(ContentVersion)
        .where(col(ContentVersion.id) < origin.id, col(ContentVersion.digest) != live.digest)
        .order_by(col(ContentVersion.id).desc())
    )
    for candidate in session.exec(query):
        if has_files(session=session, digest=candidate.digest):
            return candidate
    return None


def mark_rollback(*, session: Session, version_id: int, target_version_id: int) -> None:
    session.add(RollbackMark(version_id=version_id, target_version_id=target_version_id))
    session.flush()


def versions(*, session: Session, limit: int = 5) -> list[ContentVersion]:
    query = select(ContentVersion).order_by(col(ContentVersion.id).desc()).limit(limit)
    return list(session.exec(query))


# -- content files ---------------------------------------------------------------------------


def content_files(directory: Path) -> list[str]:
    """Relative paths of the files that make up the content (exactly those in its digest)."""
    directory = Path(directory)
    return [p.relative_to(directory).as_posix() for p in store_content_files(directory) if not p.is_symlink()]


def copy_content(source: Path, target: Path) -> None:
    """Copy the content files of ``source`` into the empty directory ``target``."""
    for rel in content_files(source):
        destination = target / rel
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source / rel, destination)


def _member_problem(info: zipfile.ZipInfo) -> str | None:
    name = info.filename
    if not PurePosixPath(name).parts:
        return "a file in the zip has no name"
    if name.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", name):
        return "absolute paths are not allowed in the zip"
    if "\\" in name:
        return "backslashes are not allowed in zip paths"
    if any(part == ".." for part in PurePosixPath(name).parts):
        return "'..' in a zip path is not allowed (path traversal)"
    mode = info.external_attr >> 16
    if stat.S_ISLNK(mode):
        return "symbolic links are not allowed in the zip"
    if info.flag_bits & 0x1:
        return "encrypted files are not allowed"
    return None


def _target_path(rel: str) -> str | None:
    """Where a zip member goes in the content directory, or None if it has no place there."""
    parts = PurePosixPath(rel).parts
    if len(parts) == 1 and parts[0] in TOP_FILES:
        return parts[0]
    if len(parts) == 2 and SAFE_NAME.match(parts[1]):
        folder, name = parts
        if folder == "entries" and name.endswith(".yaml"):
            return rel
        if folder == "documents" and name.endswith(".txt"):
            return rel
    return None


def unpack_zip(data: bytes, target: Path, *, replace_entries: bool, name: str = "upload") -> list[ContentError]:
    """Write the files of a content zip into ``target``; refuse anything unsafe, write nothing then.

    Only YAML and text files at the places the bot reads are accepted. A single top folder
    (``content/…``, as zipping the folder gives) is stripped. When the zip holds entry files,
    they replace ``target/entries`` entirely, so an entry file left out of the zip is removed.
    Members are inflated with their real size bounded (``store.unzip``), so a zip whose headers
    lie stops at the limit; a corrupt or truncated archive is an "invalid file" error named
    after ``name`` (the uploaded file) or the member.
    """
    errors: list[ContentError] = []
    if len(data) > MAX_ZIP_BYTES:
        return [ContentError(name, f"the zip is {len(data)} bytes; at most {MAX_ZIP_BYTES}")]
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError, OverflowError, NotImplementedError,
            struct.error, KeyError, IndexError) as exc:
        return [ContentError(name, f"invalid file: not a valid zip file ({exc})")]
    with archive:
        infos = [
            i for i in archive.infolist()
            if not i.filename.endswith("/") and not any(n in i.filename for n in ARCHIVER_NOISE)
            and not i.filename.startswith(f"{HISTORY}/") and f"/{HISTORY}/" not in i.filename
        ]
        if len(infos) > MAX_MEMBERS:
            return [ContentError(name, f"the zip has {len(infos)} files; at most {MAX_MEMBERS}")]
        if sum(i.file_size for i in infos) > MAX_UNPACKED_BYTES:
            return [ContentError(name, f"the zip unpacks to more than {MAX_UNPACKED_BYTES} bytes")]
        for info in infos:
            problem = _member_problem(info)
            if problem:
                errors.append(ContentError(info.filename, problem))
        if errors:
            return errors
        names = [i.filename for i in infos]
        prefix = ""
        tops = {PurePosixPath(n).parts[0] for n in names}
        if len(tops) == 1 and not tops & {"entries", "documents"} and all(len(PurePosixPath(n).parts) > 1 for n in names):
            prefix = next(iter(tops)) + "/"
        planned: list[tuple[zipfile.ZipInfo, str]] = []
        for info in infos:
            rel = info.filename.removeprefix(prefix)
            place = _target_path(rel)
            if place is None:
                errors.append(ContentError(
                    info.filename,
                    "not a content file: only sources.yaml, glossary.yaml, entries/*.yaml and "
                    "documents/*.txt are accepted",
                ))
                continue
            if info.file_size > MAX_FILE_BYTES:
                errors.append(ContentError(info.filename, f"file is larger than {MAX_FILE_BYTES} bytes"))
                continue
            planned.append((info, place))
        contents: dict[str, bytes] = {}
        total = 0
        for info, place in planned:
            room = MAX_UNPACKED_BYTES - total
            try:
                raw = read_member(data, info, min(MAX_FILE_BYTES, room))
            except MemberTooLarge:  # the header lied about the size: reading stopped at the limit
                if room < MAX_FILE_BYTES:
                    return [ContentError(name, f"the zip unpacks to more than {MAX_UNPACKED_BYTES} bytes")]
                errors.append(ContentError(
                    info.filename, f"invalid file: it inflates to more than {MAX_FILE_BYTES} bytes although "
                    f"its zip header says {info.file_size}"))
                continue
            except MemberInvalid as exc:
                errors.append(ContentError(info.filename, f"invalid file: {exc}"))
                continue
            total += len(raw)
            if place in contents:
                errors.append(ContentError(info.filename, "this file is in the zip twice"))
                continue
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError:
                errors.append(ContentError(info.filename, "not UTF-8 text (only YAML and text files are accepted)"))
                continue
            contents[place] = raw
    if errors:
        return errors
    if not contents:
        return [ContentError(name, "the zip holds no content files")]
    if replace_entries and any(p.startswith("entries/") for p in contents):
        for old in (target / "entries").glob("*.yaml") if (target / "entries").is_dir() else []:
            old.unlink()
    for place, raw in contents.items():
        destination = target / place
        destination.parent.mkdir(parents=True, exist_ok=True)
        destination.write_bytes(raw)
    return []


def yaml_target(file_name: str) -> str | None:
    """Which content file an uploaded YAML file replaces, by its name (None: refused)."""
    name = file_name.strip()
    if not SAFE_NAME.match(name) or not name.endswith(".yaml"):  # no folders: the name says where
        return None
    if name in ("sources.yaml", "glossary.yaml"):
        return name
    return f"entries/{name}"


def _write_atomically(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_bytes(data)
    os.replace(temporary, path)


def history_dir(content_dir: Path, now: dt.datetime) -> Path:
    """A new, unused ``.history/<UTC timestamp>`` folder name."""
    base = content_dir / HISTORY / now.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    candidate, n = base, 1
    while candidate.exists():
        n += 1
        candidate = base.with_name(f"{base.name}-{n}")
    return candidate


def install_files(staging: Path, content_dir: Path, keep_in: Path) -> None:
    """Make ``content_dir`` hold the content files of ``staging``; keep the old ones in ``keep_in``.

    Each file is replaced atomically; content files absent from ``staging`` are removed (after
    being kept), so the directory ends exactly like the staging copy that was validated.
    """
    current = content_files(content_dir)
    keep_in.mkdir(parents=True, exist_ok=False)
    copy_content(content_dir, keep_in)
    wanted = content_files(staging)
    for rel in wanted:
        data = (staging / rel).read_bytes()
        target = content_dir / rel
        if not target.is_file() or target.read_bytes() != data:
            _write_atomically(target, data)
    for rel in set(current) - set(wanted):
        (content_dir / rel).unlink(missing_ok=True)


def restore_files(kept: Path, content_dir: Path) -> None:
    """Put back the files kept by ``install_files`` (when the database change failed)."""
    wanted = content_files(kept)
    for rel in set(content_files(content_dir)) - set(wanted):
        (content_dir / rel).unlink(missing_ok=True)
    for rel in wanted:
        _write_atomically(content_dir / rel, (kept / rel).read_bytes())
