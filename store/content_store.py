"""The database as the one truth for content: each version's files stored beside it.

The live content is the newest ``ContentVersion``; its files are ``ContentFile`` rows under its
digest. ``CONTENT_DIR`` only seeds an empty database: at start-up, files that differ from the
live version are reported, not applied, so a restart or a redeploy with older files never
reverts an admin's upload, reload or rollback. Applying files is an explicit act (``/reload``,
``python -m bot content apply``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import tempfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from store.content import content_files, load_content
from store.db import exclusive, session_scope
from store.loader import apply_content
from store.models import ContentFile, ContentVersion

log = logging.getLogger(__name__)

SEED_LOCK_KEY = 0x4841_4249_5441_55  # pg_advisory lock while an empty database is seeded
APPLY_HINT = "apply them with /reload (an admin in the bot) or `python -m bot content apply`"


# -- files -----------------------------------------------------------------------------------


def directory_files(directory: Path) -> dict[str, bytes]:
    """The content files of ``directory`` (exactly those in its digest) by relative path."""
    directory = Path(directory)
    return {
        path.relative_to(directory).as_posix(): path.read_bytes()
        for path in content_files(directory) if not path.is_symlink()
    }


def files_digest(files: dict[str, bytes]) -> str:
    """The digest ``store.content.content_digest`` gives for a directory holding ``files``."""
    digest = hashlib.sha256()
    for rel in sorted(files, key=PurePosixPath):
        digest.update(rel.encode() + b"\0")
        digest.update(files[rel])
    return digest.hexdigest()


def safe_path(rel: str) -> bool:
    """A relative path inside a content directory: top-level file or one folder deep, no '..'."""
    path = PurePosixPath(rel)
    return (
        0 < len(path.parts) <= 2 and not path.is_absolute() and ".." not in path.parts
        and "\\" not in rel and not rel.startswith("/")
    )


def write_files(files: dict[str, bytes], target: Path) -> None:
    """Write ``files`` into the directory ``target`` (a staging copy); refuse unsafe paths."""
    for rel, data in files.items():
        if not safe_path(rel):
            raise ValueError(f"unsafe content path {rel!r}")
        destination = target / rel
        destination.parent.mkdir(parents=True, exist_ok=True)
        destination.write_bytes(data)


# -- stored versions -------------------------------------------------------------------------


def live_version(*, session: Session) -> ContentVersion | None:
    """The newest version: the content every replica serves."""
    query = select(ContentVersion).order_by(col(ContentVersion.id).desc()).limit(1)
    return session.exec(query).first()


def live_digest(engine: Engine) -> str | None:
    """Digest of the live content, None when the database holds none yet."""
    with session_scope(engine) as session:
        live = live_version(session=session)
        return live.digest if live else None


def has_files(*, session: Session, digest: str) -> bool:
    query = select(ContentFile.path).where(ContentFile.digest == digest).limit(1)
    return session.exec(query).first() is not None


def save_files(*, session: Session, digest: str, files: dict[str, bytes]) -> None:
    """Keep the files of the version ``digest`` (once: equal digests mean equal files)."""
    if has_files(session=session, digest=digest):
        return
    for rel, data in sorted(files.items()):
        session.add(ContentFile(digest=digest, path=rel, data=data))
    session.flush()


def version_files(*, session: Session, digest: str) -> dict[str, bytes] | None:
    """The stored files of version ``digest``, None when they were never stored."""
    rows = session.exec(select(ContentFile).where(ContentFile.digest == digest)).all()
    return {row.path: row.data for row in rows} or None


def stage_live(engine: Engine, target: Path, fallback: Path) -> bool:
    """Write the live version's files into ``target``; False (and ``fallback``'s files) if none are stored.

    An upload of one file is staged on top of this, so it changes that file and nothing else,
    whatever this replica's ``CONTENT_DIR`` holds.
    """
    with session_scope(engine) as session:
        live = live_version(session=session)
        files = version_files(session=session, digest=live.digest) if live else None
    if files is None:
        write_files(directory_files(fallback), target)
        return False
    write_files(files, target)
    return True


# -- start-up --------------------------------------------------------------------------------


@dataclass(frozen=True)
class StartContent:
    """The content at start-up: the live digest, and how the files in ``CONTENT_DIR`` relate to it."""

    live: str
    seeded: bool = False  # the database was empty; CONTENT_DIR became the first version
    files: str | None = None  # digest of CONTENT_DIR when it differs from the live version


def _seed(engine: Engine, directory: Path, now: dt.datetime) -> StartContent:
    """Validate ``directory`` and make it the first version (one replica at a time)."""
    files = directory_files(directory)
    with exclusive(engine, SEED_LOCK_KEY) as connection, Session(bind=connection) as session:
        live = live_version(session=session)
        if live is not None:  # another replica seeded it meanwhile
            return StartContent(live.digest)
        with tempfile.TemporaryDirectory(prefix="habitat-seed-") as folder:
            write_files(files, Path(folder))
            content = load_content(Path(folder))  # ContentInvalid: nothing is written
        apply_content(session, content, applied_by="seed", now=now)
        save_files(session=session, digest=content.digest, files=files)
        session.commit()
    log.info("empty database seeded with the content of %s (version %s)", directory, content.digest[:12])
    return StartContent(content.digest, seeded=True)


def open_content(engine: Engine, directory: Path, *, now: dt.datetime) -> StartContent:
    """Start-up: seed an empty database from ``directory``; otherwise only compare and report.

    Raises ``store.content.ContentInvalid`` when the database is empty and the files are invalid.
    The live version's files are stored if they are missing and ``directory`` holds exactly them
    (a database from before files were stored).
    """
    if live_digest(engine) is None:
        return _seed(engine, directory, now)
    with session_scope(engine) as session:
        live = live_version(session=session)
        assert live is not None  # versions are never deleted
        files = directory_files(directory)
        digest = files_digest(files)
        if digest == live.digest:
            save_files(session=session, digest=digest, files=files)
            return StartContent(live.digest)
        log.warning(
            "content files in %s (version %s) differ from the live version %s in the database "
            "(applied %s by %s); they are not applied: %s",
            directory, digest[:12], live.digest[:12], live.applied_at, live.applied_by, APPLY_HINT,
        )
        return StartContent(live.digest, files=digest)
