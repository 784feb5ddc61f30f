"""The admin area: who is an admin, reloading and uploading content, versions, stats, broadcast, audit.

Every change of content goes through one path (``AdminArea._apply``): copy into a staging
folder, validate everything (``load_content`` plus the checks that need the renderer), then in
one database transaction write the content, its snapshot and the audit record, build the new
catalog, and only after the commit swap the catalog reference. A query is therefore answered
wholly by the old or wholly by the new content, and a file with a typo changes nothing.

The replies are transport-free like the rest of the core; ``handlers/admin.py`` adds what needs
Telegram (downloading uploads, sending a broadcast, per-admin command menus).
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import func, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from bot.kernel.callbacks import BroadcastButton
from bot.kernel.cards import entry_reply, paragraph_reply
from bot.kernel.clock import Clock
from bot.kernel.content import ContentService
from bot.kernel.i18n import gettext_for, ngettext_for
from bot.kernel.reply import CALLBACK_LIMIT, TELEGRAM_LIMIT, Button, Reply, esc, rows, visible_length
from bot.kernel.router import Asker, Command, Feature, Handler
from reminders.models import Delivery, Subscription
from store import admin_store as st
from store import content_store as cs
from store.admin_models import Broadcast
from store.aliases import entry_aliases
from store.catalog import Catalog
from store.content import Content, ContentError, ContentInvalid, load_content
from store.db import session_scope
from store.loader import ContentDiff, apply_content, diff_content
from store.models import ContentVersion, SearchMiss, User
from store.users import blocked_users, mark_unreachable, reachable_users

log = logging.getLogger(__name__)

MAX_ERRORS_SHOWN = 20
MAX_IDS_SHOWN = 30
AUDIT_DEFAULT = 20
AUDIT_MAX = 100
#: Commands that change nothing; the others write their own audit record with the outcome.
READ_ONLY = frozenset({"version", "stats", "audit"})
ALLOWED_TAGS = {"b", "i", "u", "s", "code", "pre", "a", "blockquote", "tg-spoiler"}
_TAG = re.compile(r"<(/?)([a-zA-Z-]+)[^>]*>")


# -- validation beyond load_content ----------------------------------------------------------


def _entry_locations(directory: Path) -> dict[str, tuple[str, int]]:
    """Where each entry id is written (file and line), for errors found after parsing."""
    found: dict[str, tuple[str, int]] = {}
    pattern = re.compile(r"^\s*-?\s*id:\s*['\"]?([^'\"\s#]+)")
    for path in sorted((directory / "entries").glob("*.yaml")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            match = pattern.match(line)
            if match:
                found.setdefault(match.group(1), (f"entries/{path.name}", number))
    return found


def _html_problem(markup: str) -> str | None:
    """Why ``markup`` would be refused by Telegram's HTML parser (tags balanced and allowed)."""
    stack: list[str] = []
    for closing, name in _TAG.findall(markup):
        name = name.lower()
        if name not in ALLOWED_TAGS:
            return f"tag <{name}> is not allowed by Telegram"
        if closing:
            if not stack or stack.pop() != name:
                return f"unbalanced </{name}>"
        else:
            stack.append(name)
    if stack:
        return f"unclosed <{stack[-1]}>"
    if re.search(r"<(?![/a-zA-Z])", markup) or re.search(r"&(?![a-zA-Z]+;|#\d+;|#x[0-9a-fA-F]+;)", markup):
        return "an unescaped < or & would break Telegram's HTML"
    return None


def check_rendering(content: Content, directory: Path, now: dt.datetime) -> list[ContentError]:
    """Render every entry in both languages as the bot would; each reply must be valid for Telegram.

    ``load_content`` checks each text field; only rendering shows whether a whole card (names,
    sources, outcomes together) stays within 4096 characters and every button within 64 bytes.
    """
    errors: list[ContentError] = []
    locations = _entry_locations(directory)
    aliases = {e.id: [alias for alias, _key in entry_aliases(e)] for e in content.entries.values()}
    catalog = Catalog(content.entries, content.documents, content.paragraphs, content.glossary, aliases)
    for entry in content.entries.values():
        file, line = locations.get(entry.id, ("entries/", 0))
        for lang in ("zh", "en"):
            try:
                reply = entry_reply(entry, catalog, now, lang)
            except ValueError as exc:  # a Button refuses callback data over 64 bytes
                errors.append(ContentError(file, f"{lang} reply: {exc}", line or None, entry.id, "related"))
                continue
            length = visible_length(reply.text)
            if length > TELEGRAM_LIMIT:
                errors.append(ContentError(
                    file, f"the {lang} reply is {length} characters; Telegram allows {TELEGRAM_LIMIT}",
                    line or None, entry.id, None,
                ))
            problem = _html_problem(reply.text)
            if problem:
                errors.append(ContentError(file, f"{lang} reply: {problem}", line or None, entry.id, None))
        cited = list(entry.sources) + (list(entry.dates.sources) if entry.dates else [])
        for source in cited:
            if source.doc and source.para:
                data = f"p:{source.doc}:{source.para}"
                if len(data.encode()) > CALLBACK_LIMIT:
                    errors.append(ContentError(
                        file, f"button data {data!r} is over {CALLBACK_LIMIT} bytes", line or None,
                        entry.id, "sources",
                    ))
                    continue
                paragraph = catalog.paragraph(source.doc, source.para)
                if paragraph is not None:
                    problem = _html_problem(paragraph_reply(source.doc, paragraph, catalog, "zh").text)
                    if problem:
                        errors.append(ContentError(
                            "sources.yaml", f"paragraph {source.para}: {problem}", None, source.doc, None
                        ))
    return errors


def validate_directory(directory: Path, now: dt.datetime) -> Content:
    """Everything the bot checks before content may go live; raise ContentInvalid with every error."""
    content = load_content(directory)
    errors = check_rendering(content, directory, now)
    if errors:
        raise ContentInvalid(errors)
    return content


# -- presentation ----------------------------------------------------------------------------


def errors_reply(errors: list[ContentError], lang: str) -> Reply:
    """The errors an admin must fix: at most 20 shown, each with file, line, entry, field and why."""
    n_ = ngettext_for(lang)
    lines = [
        "❌ " + n_("The content is invalid: %(n)d error. Nothing was changed.",
                   "The content is invalid: %(n)d errors. Nothing was changed.", len(errors)) % {"n": len(errors)},
        "",
    ]
    lines += [f"• <code>{esc(str(error))}</code>" for error in errors[:MAX_ERRORS_SHOWN]]
    if len(errors) > MAX_ERRORS_SHOWN:
        more = len(errors) - MAX_ERRORS_SHOWN
        lines.append(n_("… and %(n)d more error.", "… and %(n)d more errors.", more) % {"n": more})
    return Reply("\n".join(lines))


def _ids(ids: list[str]) -> str:
    shown = ", ".join(esc(i) for i in ids[:MAX_IDS_SHOWN])
    return shown + (f" … (+{len(ids) - MAX_IDS_SHOWN})" if len(ids) > MAX_IDS_SHOWN else "")


def diff_lines(diff: ContentDiff, lang: str) -> list[str]:
    _ = gettext_for(lang)
    lines = []
    for label, ids in ((_("Added"), diff.added), (_("Changed"), diff.changed), (_("Removed"), diff.removed)):
        lines.append(f"<b>{label} ({len(ids)})</b>" + (f": {_ids(ids)}" if ids else ""))
    if diff.paragraphs_changed:
        lines.append(_("Source paragraphs changed: %(n)d") % {"n": diff.paragraphs_changed})
    if diff.empty:
        lines.append(_("No entry changes."))
    return lines


def _aware(value: dt.datetime) -> dt.datetime:
    """SQLite gives timestamps back without their offset; they were stored in UTC."""
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def _when(value: dt.datetime, zone: str) -> str:
    return _aware(value).astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M %Z")


def _who(user_id: int | None, lang: str) -> str:
    """An audit row's user: the id, or a pseudonym (negative) for a user who used /forget."""
    if user_id is None or user_id >= 0:
        return str(user_id)
    return gettext_for(lang)("forgotten user %(tag)s") % {"tag": f"{-user_id:x}"[-8:]}


def _duration(seconds: float, lang: str) -> str:
    """``2 days 3 hours 1 minute`` / ``2 天 3 小时 1 分钟`` (days only when there are any)."""
    n_ = ngettext_for(lang)
    days, rest = divmod(int(seconds), 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    parts = [n_("%(n)d day", "%(n)d days", days) % {"n": days}] if days else []
    parts.append(n_("%(n)d hour", "%(n)d hours", hours) % {"n": hours})
    parts.append(n_("%(n)d minute", "%(n)d minutes", minutes) % {"n": minutes})
    return " ".join(parts)


# -- the area --------------------------------------------------------------------------------


@dataclass
class ApplyResult:
    """What one content operation did; ``ok`` is False when nothing changed because of errors."""

    ok: bool
    diff: ContentDiff | None = None
    errors: list[ContentError] = field(default_factory=list)
    digest: str = ""
    unchanged: bool = False
    warnings: list[str] = field(default_factory=list)


class AdminArea:
    """Admin commands: content operations, admins, audit, stats and broadcasts."""

    #: Optional hooks the Telegram layer sets: update an admin's command menu when admins change.
    on_admins_changed: Callable[[int, bool], None] | None = None

    def __init__(self, engine: Engine, content: ContentService, clock: Clock, *, content_dir: Path,
                 admin_ids: frozenset[int]) -> None:
        self._engine = engine
        self.content = content
        self.clock = clock
        self.content_dir = Path(content_dir)
        self.settings_admins = admin_ids
        self.started_at = clock.now()
        self.on_admins_changed = None

    def feature(self) -> Feature:
        n = gettext_for
        commands: list[tuple[str, Handler, Callable[[str], str]]] = [
            ("reload", self.reload, lambda lang: n(lang)("admin: reload content (/reload dry-run)")),
            ("version", self.version, lambda lang: n(lang)("admin: the live content version")),
            ("rollback", self.rollback, lambda lang: n(lang)("admin: return to the previous content")),
            ("admin", self.admin, lambda lang: n(lang)("admin: /admin add|remove|list")),
            ("stats", self.stats, lambda lang: n(lang)("admin: usage statistics")),
            ("broadcast", self.broadcast, lambda lang: n(lang)("admin: message every user")),
            ("audit", self.audit, lambda lang: n(lang)("admin: recent admin actions (/audit 50)")),
        ]
        return Feature(
            name="admin",
            commands=[Command(name, self._guarded(name, handler), describe, admin=True)
                      for name, handler, describe in commands],
            buttons={BroadcastButton: self._broadcast_press},
        )

    def _broadcast_press(self, button: BroadcastButton, who: Asker) -> list[Reply]:
        if not who.is_admin:
            return self.deny("broadcast", who, button.pack())
        return self.broadcast_button(button, who)

    # -- plumbing ------------------------------------------------------------------------------

    @property
    def engine(self) -> Engine:
        return self._engine

    def now(self) -> dt.datetime:
        return self.clock.now()

    def audit_record(self, who: Asker, action: str, detail: str, result: str) -> None:
        with session_scope(self.engine) as session:
            st.record_audit(session=session, user_id=who.user_id, action=action, detail=detail,
                            result=result, now=self.now())

    def deny(self, action: str, who: Asker, detail: str = "") -> list[Reply]:
        """Refuse an admin action: log it, audit it, and say so plainly."""
        log.warning("user %s is not an admin and tried %s %s", who.user_id, action, detail[:80])
        self.audit_record(who, action, detail, "denied")
        _ = gettext_for(who.lang)
        return [Reply("⛔ " + _("Not authorized: this command is for admins."))]

    def _guarded(self, action: str, handler: Handler) -> Handler:
        """Refuse non-admins; audit the commands that do not audit themselves (the read-only ones)."""

        def run(args: str, who: Asker) -> list[Reply]:
            if not who.is_admin:
                return self.deny(action, who, args)
            replies = handler(args, who)
            if action in READ_ONLY or (action == "admin" and args.strip().lower() in ("", "list")):
                self.audit_record(who, action, args[:200], "ok")
            return replies

        run.__doc__ = handler.__doc__
        return run

    # -- content operations --------------------------------------------------------------------

    def _apply(
        self, staging: Path, who: Asker, *, dry_run: bool, install: bool, action: str,
        rollback_to: ContentVersion | None = None,
    ) -> ApplyResult:
        """Validate ``staging`` and, unless a dry run, make it the live content (files, DB, catalog).

        Holds ``reload_lock`` so two admins cannot interleave; the catalog is swapped only after
        the transaction committed, and the files are put back if the commit fails.
        """
        if not self.content.lock.acquire(timeout=30):
            return ApplyResult(False, errors=[ContentError("reload", "another reload is still running")])
        try:
            now = self.now()
            try:
                content = validate_directory(staging, now)
            except ContentInvalid as exc:
                first = str(exc.errors[0]) if exc.errors else ""
                self.audit_record(who, action, f"{len(exc.errors)} error(s); first: {first}", "invalid")
                return ApplyResult(False, errors=exc.errors)
            files = cs.directory_files(staging)
            kept: Path | None = None
            try:
                with session_scope(self.engine) as session:
                    live = st.live_version(session=session)
                    if dry_run:
                        diff = diff_content(session, content)
                        st.record_audit(session=session, user_id=who.user_id, action=action,
                                        detail=self._summary(diff, content.digest), result="dry-run", now=now)
                        return ApplyResult(True, diff, digest=content.digest)
                    if live is not None and live.digest == content.digest:
                        diff = diff_content(session, content)
                        if diff.empty:
                            cs.save_files(session=session, digest=content.digest, files=files)
                            st.record_audit(session=session, user_id=who.user_id, action=action,
                                            detail=f"version {content.digest[:12]}", result="unchanged", now=now)
                            return ApplyResult(True, diff, digest=content.digest, unchanged=True)
                    applied_by = str(who.user_id) if who.user_id is not None else "console"
                    diff = apply_content(session, content, applied_by=applied_by, now=now)
                    cs.save_files(session=session, digest=content.digest, files=files)
                    new_live = st.live_version(session=session)
                    if rollback_to is not None and new_live is not None and new_live.id is not None \
                            and rollback_to.id is not None and new_live.id != rollback_to.id:
                        st.mark_rollback(session=session, version_id=new_live.id, target_version_id=rollback_to.id)
                    catalog = Catalog.from_session(session)
                    if install:
                        kept = st.history_dir(self.content_dir, now)
                        st.install_files(staging, self.content_dir, kept)
                    st.record_audit(session=session, user_id=who.user_id, action=action,
                                    detail=self._summary(diff, content.digest), result="ok", now=now)
            except Exception:
                log.exception("applying content failed; the live content is unchanged")
                if kept is not None and kept.is_dir():
                    st.restore_files(kept, self.content_dir)
                self.audit_record(who, action, "database error", "error")
                return ApplyResult(False, errors=[ContentError("database", "the change could not be saved")])
            old = self.content.swap(catalog)
            warnings = self._notify(old, catalog)
            log.info("content %s applied by %s: %s", content.digest[:12], who.user_id, self._summary(diff, content.digest))
            return ApplyResult(True, diff, digest=content.digest, warnings=warnings)
        finally:
            self.content.lock.release()

    def _notify(self, old: Catalog, new: Catalog) -> list[str]:
        """Tell the other areas (reminders re-plan and notify subscribers); a failure is reported."""
        return [f"{name} failed (see the log)" for name in self.content.notify(old, new)]

    @staticmethod
    def _summary(diff: ContentDiff, digest: str) -> str:
        """One audit line: the version and the ids (the first ten of each kind of change)."""
        parts = [f"{label} {','.join(ids[:10])}" + ("…" if len(ids) > 10 else "")
                 for label, ids in (("added", diff.added), ("changed", diff.changed), ("removed", diff.removed))
                 if ids]
        counts = f"+{len(diff.added)} ~{len(diff.changed)} -{len(diff.removed)}"
        return f"version {digest[:12]}: {counts}" + (f" ({'; '.join(parts)})" if parts else "")

    def _result_replies(
        self, result: ApplyResult, who: Asker, *, dry_run: bool, done: Callable[[str], str]
    ) -> list[Reply]:
        """The diff (or the errors) of a content operation; ``done`` words a success for a version."""
        _ = gettext_for(who.lang)
        if not result.ok:
            return [errors_reply(result.errors, who.lang)]
        assert result.diff is not None
        if dry_run:
            head = "🔎 " + _("Dry run: the content is valid. Nothing was changed; applying it would give:")
        elif result.unchanged:
            return [Reply("✅ " + _("The content is unchanged (version %(v)s).") % {"v": result.digest[:12]})]
        else:
            head = "✅ " + done(result.digest[:12])
        lines = [head, "", *diff_lines(result.diff, who.lang)]
        for warning in result.warnings:
            lines.append("⚠️ " + _("A follow-up step failed: %(w)s") % {"w": esc(warning)})
        return [Reply("\n".join(lines))]

    @staticmethod
    def _dry_run(args: str) -> bool | None:
        word = args.strip().lower()
        if word in ("", "apply"):
            return False
        if word in ("dry-run", "dryrun", "dry", "--dry-run", "preview"):
            return True
        return None

    def reload(self, args: str, who: Asker) -> list[Reply]:
        """Re-read CONTENT_DIR, validate it, and apply it (or only show the diff with dry-run)."""
        _ = gettext_for(who.lang)
        dry_run = self._dry_run(args)
        if dry_run is None:
            return [Reply(_("Usage: /reload or /reload dry-run"))]
        result = self.apply_content_dir(who, dry_run=dry_run)
        return self._result_replies(
            result, who, dry_run=dry_run, done=lambda v: _("Content reloaded: version %(v)s.") % {"v": v}
        )

    def apply_content_dir(self, who: Asker, *, dry_run: bool, action: str = "reload") -> ApplyResult:
        """Validate the files in CONTENT_DIR and make them live: ``/reload`` and ``python -m bot content apply``."""
        with tempfile.TemporaryDirectory(prefix="habitat-reload-") as folder:
            staging = Path(folder)
            st.copy_content(self.content_dir, staging)
            return self._apply(staging, who, dry_run=dry_run, install=False, action=action)

    def upload(self, file_name: str, data: bytes, args: str, who: Asker) -> list[Reply]:
        """A content file or zip sent to the bot: validated in a staging copy, then written and applied."""
        if not who.is_admin:
            return self.deny("upload", who, file_name)
        _ = gettext_for(who.lang)
        dry_run = self._dry_run(args)
        if dry_run is None:
            return [Reply(_("Usage: send the file with the caption /reload or /reload dry-run"))]
        lower = file_name.lower()
        with tempfile.TemporaryDirectory(prefix="habitat-upload-") as folder:
            staging = Path(folder)
            cs.stage_live(self.engine, staging, fallback=self.content_dir)
            if lower.endswith(".zip"):
                problems = st.unpack_zip(data, staging, replace_entries=True, name=file_name)
            elif lower.endswith(".yaml"):
                problems = self._stage_yaml(file_name, data, staging)
            else:
                problems = [ContentError(
                    file_name, "send a .yaml content file (sessions.yaml, sources.yaml, glossary.yaml …) "
                    "or a .zip of the content directory")]
            if problems:
                self.audit_record(who, "upload", f"{file_name}: {problems[0]}", "invalid")
                return [errors_reply(problems, who.lang)]
            result = self._apply(staging, who, dry_run=dry_run, install=True, action="upload")
        return self._result_replies(
            result, who, dry_run=dry_run,
            done=lambda v: _("%(file)s applied: version %(v)s. The previous files are kept in .history.")
            % {"file": esc(file_name), "v": v},
        )

    @staticmethod
    def _stage_yaml(file_name: str, data: bytes, staging: Path) -> list[ContentError]:
        target = st.yaml_target(file_name)
        if target is None:
            return [ContentError(file_name, "the file name must be like sessions.yaml (letters, digits, - and _)")]
        if len(data) > st.MAX_FILE_BYTES:
            return [ContentError(file_name, f"file is larger than {st.MAX_FILE_BYTES} bytes")]
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            return [ContentError(file_name, "not UTF-8 text")]
        path = staging / target
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        return []

    def rollback(self, args: str, who: Asker) -> list[Reply]:
        """Return to the previous content version: its files and its database content."""
        _ = gettext_for(who.lang)
        dry_run = self._dry_run(args)
        if dry_run is None:
            return [Reply(_("Usage: /rollback or /rollback dry-run"))]
        with session_scope(self.engine) as session:
            target = st.previous_version(session=session)
            files = cs.version_files(session=session, digest=target.digest) if target else None
        if target is None or files is None:
            self.audit_record(who, "rollback", "no earlier version", "invalid")
            return [Reply(_("There is no earlier content version to return to."))]
        with tempfile.TemporaryDirectory(prefix="habitat-rollback-") as folder:
            staging = Path(folder)
            cs.write_files(files, staging)
            result = self._apply(staging, who, dry_run=dry_run, install=True, action="rollback", rollback_to=target)
        when = _when(target.applied_at, who.timezone)
        return self._result_replies(
            result, who, dry_run=dry_run,
            done=lambda v: _("Rolled back to version %(v)s (first applied %(when)s).") % {"v": v, "when": when},
        )

    # -- versions ------------------------------------------------------------------------------

    def version(self, args: str, who: Asker) -> list[Reply]:
        """The live content version (hash, when, by whom) and the ones before it."""
        _ = gettext_for(who.lang)
        with session_scope(self.engine) as session:
            history = st.versions(session=session, limit=6)
        if not history:
            return [Reply(_("No content version has been applied yet."))]
        live, *earlier = history
        lines = [
            f"<b>{_('Live content version')}</b>: <code>{live.digest[:12]}</code>",
            _("Applied %(when)s by %(who)s.") % {"when": _when(live.applied_at, who.timezone), "who": esc(live.applied_by)},
            _("Answers are as of %(date)s.") % {"date": _aware(live.applied_at).date().isoformat()},
        ]
        if earlier:
            lines += ["", f"<b>{_('Earlier')}</b>"]
            lines += [f"• <code>{v.digest[:12]}</code> {_when(v.applied_at, who.timezone)} · {esc(v.applied_by)}"
                      for v in earlier]
        return [Reply("\n".join(lines))]

    # -- admins --------------------------------------------------------------------------------

    def admin(self, args: str, who: Asker) -> list[Reply]:
        """``/admin add <id>``, ``/admin remove <id>``, ``/admin list``."""
        _ = gettext_for(who.lang)
        verb, _sep, rest = args.strip().partition(" ")
        verb = verb.lower()
        usage = Reply(esc(_("Usage: /admin add <user id>, /admin remove <user id>, /admin list")))
        if verb in ("", "list"):
            return [self._admin_list(who)]
        if verb not in ("add", "remove") or not re.fullmatch(r"\s*-?\d{1,15}\s*", rest):
            return [usage]
        user_id = int(rest)
        if user_id <= 0:  # Telegram user ids are positive; 0 and -1 (or a group's id) are nobody
            return [Reply(esc(_("%(id)d is not a user id: a user id is a positive number, like 123456789.")
                              % {"id": user_id}))]
        now = self.now()
        with session_scope(self.engine) as session:
            if verb == "add":
                done = st.add_admin(session=session, user_id=user_id, added_by=who.user_id or 0, now=now)
                text = (_("%(id)d is now an admin.") if done else _("%(id)d is already an admin.")) % {"id": user_id}
            elif user_id in self.settings_admins:
                done = False
                text = _("%(id)d is in ADMIN_IDS; remove it from the setting instead.") % {"id": user_id}
            else:
                done = st.remove_admin(session=session, user_id=user_id)
                text = (_("%(id)d is no longer an admin.") if done else _("%(id)d is not a stored admin.")) % {"id": user_id}
            st.record_audit(session=session, user_id=who.user_id, action=f"admin {verb}", detail=str(user_id),
                            result="ok" if done else "unchanged", now=now)
        if done and self.on_admins_changed is not None:
            try:
                self.on_admins_changed(user_id, verb == "add")
            except Exception:  # noqa: BLE001 - the menu is a convenience; the change stands
                log.exception("could not update the command menu of %s", user_id)
        return [Reply(text)]

    def _admin_list(self, who: Asker) -> Reply:
        _ = gettext_for(who.lang)
        with session_scope(self.engine) as session:
            stored = st.stored_admins(session=session)
        lines = [f"<b>{_('Admins')}</b>"]
        lines += [f"• <code>{i}</code> (ADMIN_IDS)" for i in sorted(self.settings_admins)]
        lines += [
            f"• <code>{a.user_id}</code> — " + _("added by %(by)d, %(when)s") % {"by": a.added_by, "when": _when(a.added_at, who.timezone)}
            for a in stored if a.user_id not in self.settings_admins
        ]
        return Reply("\n".join(lines))

    def admin_ids(self) -> set[int]:
        """Every admin: ADMIN_IDS and the stored ones."""
        with session_scope(self.engine) as session:
            stored = {a.user_id for a in st.stored_admins(session=session)}
        return set(self.settings_admins) | stored

    # -- audit ---------------------------------------------------------------------------------

    def audit(self, args: str, who: Asker) -> list[Reply]:
        """The newest admin actions: who, what, when, result."""
        _ = gettext_for(who.lang)
        count = AUDIT_DEFAULT
        if args.strip():
            if not args.strip().isdigit():
                return [Reply(_("Usage: /audit or /audit 50"))]
            count = max(1, min(AUDIT_MAX, int(args.strip())))
        with session_scope(self.engine) as session:
            rows_ = st.recent_audit(session=session, limit=count)
        if not rows_:
            return [Reply(_("The audit log is empty."))]
        lines = [f"<b>{_('Admin actions')}</b> ({len(rows_)})"]
        for row in rows_:
            detail = row.detail if len(row.detail) <= 120 else row.detail[:119] + "…"
            lines.append(
                f"• {_when(row.at, who.timezone)} · <code>{_who(row.user_id, who.lang)}</code> · {esc(row.action)} · "
                f"<b>{esc(row.result)}</b>" + (f" — {esc(detail)}" if detail else "")
            )
        return [Reply("\n".join(lines))]

    # -- stats ---------------------------------------------------------------------------------

    def stats(self, args: str, who: Asker) -> list[Reply]:
        """Users, subscriptions, reminder deliveries, unanswered searches, version and uptime."""
        _ = gettext_for(who.lang)
        now = self.now()
        since = now - dt.timedelta(days=7)
        na = _("n/a")
        with session_scope(self.engine) as session:
            users = session.exec(select(func.count()).select_from(User)).one()
            live = st.live_version(session=session)
            subscriptions = _subscriptions_by_event(session)
            deliveries = _deliveries_since(session, since)
            misses = _search_misses(session, since)
        lines = [f"<b>{_('Statistics')}</b>", f"{_('Users')}: {users}"]
        lines.append(f"{_('Active subscriptions by event')}: "
                     + (", ".join(f"{esc(k)} {v}" for k, v in subscriptions) or "0"))
        lines.append(f"{_('Reminders in the last 7 days')}: " + ", ".join(
            f"{_(state)} {deliveries.get(state, 0)}" for state in ("pending", "sent", "failed", "unknown")))
        lines.append(f"{_('Searches without a result (7 days)')}: "
                     + ("; ".join(f"“{esc(q)}” ×{n}" for q, n in misses) or "0"))
        version = f"<code>{live.digest[:12]}</code> ({_when(live.applied_at, who.timezone)})" if live else na
        lines.append(f"{_('Content version')}: {version}")
        started = self.started_at
        uptime = _duration((now - started).total_seconds(), who.lang) if isinstance(started, dt.datetime) else na
        lines.append(f"{_('Uptime')}: {uptime}")
        return [Reply("\n".join(lines))]

    # -- broadcast -----------------------------------------------------------------------------

    def broadcast(self, args: str, who: Asker) -> list[Reply]:
        """Prepare a message to every user; it is sent only after the confirmation button."""
        _ = gettext_for(who.lang)
        n_ = ngettext_for(who.lang)
        text = args.strip()
        if not text:
            return [Reply(_("Usage: /broadcast followed by the message text"))]
        if len(text) > TELEGRAM_LIMIT - 100:
            most = TELEGRAM_LIMIT - 100
            return [Reply(n_("The message is too long (at most %(n)d character).",
                             "The message is too long (at most %(n)d characters).", most) % {"n": most})]
        now = self.now()
        with session_scope(self.engine) as session:
            users = len(reachable_users(session=session))
            blocked = blocked_users(session=session)
            row = Broadcast(created_by=who.user_id or 0, created_at=now, text=text, recipients=users)
            session.add(row)
            session.flush()
            st.record_audit(session=session, user_id=who.user_id, action="broadcast", detail=f"#{row.id} prepared: {text[:200]}",
                            result="pending", now=now)
            broadcast_id = row.id or 0
        who_gets = _("It goes to everyone who has written to the bot in a private chat and has not blocked it.")
        if blocked:
            who_gets += " " + n_("%(n)d user who blocked the bot is left out.",
                                 "%(n)d users who blocked the bot are left out.", blocked) % {"n": blocked}
        preview = "\n".join([
            "<b>" + n_("Send this message to %(n)d user?", "Send this message to %(n)d users?", users) % {"n": users}
            + "</b>", esc(who_gets), "", esc(text),
        ])
        buttons = [Button(_("Send"), data=BroadcastButton("go", broadcast_id).pack()), Button(_("Cancel"), data=BroadcastButton("no", broadcast_id).pack())]
        return [Reply(preview, rows(buttons))]

    def broadcast_button(self, button: BroadcastButton, who: Asker) -> list[Reply]:
        """Confirm or cancel a prepared broadcast; a second press does nothing."""
        _ = gettext_for(who.lang)
        verb, ident = button.verb, str(button.broadcast_id)
        status = "sending" if verb == "go" else "cancelled"
        now = self.now()
        with session_scope(self.engine) as session:
            changed = session.exec(
                update(Broadcast).where(col(Broadcast.id) == int(ident), col(Broadcast.status) == "pending")
                .values(status=status)
            ).rowcount
            row = session.get(Broadcast, int(ident))
            if not changed or row is None:
                return [Reply(_("This broadcast was already sent or cancelled."))]
            recipients = len(reachable_users(session=session))
            row.recipients = recipients
            session.add(row)
            st.record_audit(session=session, user_id=who.user_id, action="broadcast", detail=f"#{ident} {status}",
                            result="ok", now=now)
        if verb == "no":
            return [Reply(_("Broadcast cancelled."))]
        n_ = ngettext_for(who.lang)
        return [Reply(n_("Sending to %(n)d user…", "Sending to %(n)d users…", recipients) % {"n": recipients},
                      meta={"broadcast": ident})]

    def broadcast_recipients(self) -> list[int]:
        with session_scope(self.engine) as session:
            return reachable_users(session=session)

    def unreachable(self, user_ids: list[int]) -> None:
        """Telegram refused these users (blocked, deactivated): later broadcasts skip them."""
        with session_scope(self.engine) as session:
            for user_id in user_ids:
                mark_unreachable(session=session, user_id=user_id, now=self.now())

    def broadcast_text(self, broadcast_id: int) -> str | None:
        with session_scope(self.engine) as session:
            row = session.get(Broadcast, broadcast_id)
            return row.text if row is not None and row.status == "sending" else None

    def broadcast_done(self, broadcast_id: int, sent: int, failed: int) -> None:
        with session_scope(self.engine) as session:
            row = session.get(Broadcast, broadcast_id)
            if row is None:
                return
            row.status, row.sent, row.failed = "done", sent, failed
            session.add(row)
            st.record_audit(session=session, user_id=row.created_by, action="broadcast",
                            detail=f"#{broadcast_id} done: sent {sent}, failed {failed}",
                            result="ok" if not failed else "partial", now=self.now())


# -- statistics from other areas' tables (read only if they exist) ---------------------------


def _subscriptions_by_event(session: Session) -> list[tuple[str, int]]:
    """Active subscriptions per followed target (event id, category or *), most followed first."""
    count = func.count()
    query = (
        select(Subscription.target, count)
        .where(Subscription.active.is_(True))  # type: ignore[attr-defined]
        .group_by(Subscription.target)
        .order_by(count.desc(), col(Subscription.target))
    )
    return [(str(target), int(n)) for target, n in session.exec(query)]


def _deliveries_since(session: Session, since: dt.datetime) -> dict[str, int]:
    """Reminders due since ``since`` by state (pending, sent, failed, unknown, …)."""
    query = (
        select(Delivery.status, func.count())
        .where(Delivery.due_at >= since)
        .group_by(Delivery.status)
    )
    return {str(status): int(n) for status, n in session.exec(query)}


def _search_misses(session: Session, since: dt.datetime, limit: int = 5) -> list[tuple[str, int]]:
    """The most frequent questions that found nothing since ``since``."""
    total = func.sum(SearchMiss.count)
    query = (
        select(SearchMiss.query, total)
        .where(SearchMiss.last_at >= since)
        .group_by(SearchMiss.query)
        .order_by(total.desc(), col(SearchMiss.query))
        .limit(limit)
    )
    return [(str(q), int(n)) for q, n in session.exec(query)]
