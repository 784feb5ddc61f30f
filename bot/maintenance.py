"""Operator commands: ``python -m bot db upgrade|revision`` and ``python -m bot content apply``.

They run once and exit, for deployments: the schema is upgraded before replicas start (they
would also do it themselves), and new content files are applied on purpose, validated exactly as
``/reload`` validates them, because a restart with other files never changes the live content.
"""

from __future__ import annotations

import argparse
import dataclasses
import subprocess
import sys

from bot.admin.area import diff_lines, errors_reply
from bot.app import build
from bot.console import console_asker
from bot.kernel.clock import Clock
from bot.kernel.reply import plain_text
from bot.settings import Settings
from store.dbcheck import DatabaseProblem, describe_url, explained, open_database
from store.migrations import new_revision, upgrade

COMMANDS = ("db", "content")


def say(text: str) -> None:
    sys.stdout.write(text + "\n")


def add_parsers(sub: argparse._SubParsersAction) -> None:
    db = sub.add_parser("db", help="database schema: upgrade to the newest migration, or write a new one")
    db_sub = db.add_subparsers(dest="db_command", required=True)
    db_sub.add_parser("upgrade", help="bring the database (DATABASE_URL) to the newest migration")
    revision = db_sub.add_parser("revision", help="write the next migration from the models (developers)")
    revision.add_argument("message", help="what the migration changes, e.g. 'digest language'")
    content = sub.add_parser("content", help="apply the files in CONTENT_DIR to the live content")
    content_sub = content.add_subparsers(dest="content_command", required=True)
    apply = content_sub.add_parser("apply", help="validate CONTENT_DIR like /reload and make it the live version")
    apply.add_argument("--dry-run", action="store_true", help="validate and show the changes, change nothing")


def run(args: argparse.Namespace, settings: Settings, clock: Clock) -> int:
    """Run ``db …`` or ``content …``; the exit status says whether it worked."""
    try:
        if args.command == "db":
            return db_upgrade(settings) if args.db_command == "upgrade" else db_revision(args.message)
        return content_apply(settings, clock, dry_run=args.dry_run)
    except DatabaseProblem as problem:
        sys.stderr.write(f"cannot {args.command} {getattr(args, 'db_command', None) or args.content_command}: {problem}\n")
        return 2


def db_upgrade(settings: Settings) -> int:
    engine = open_database(settings.database_url, migrate=False)
    try:
        with explained(settings.database_url):
            done = upgrade(engine)
    finally:
        engine.dispose()
    where = describe_url(settings.database_url)
    if done.changed:
        say(f"database {where}: upgraded from {done.before or 'empty'} to {done.after}")
    else:
        say(f"database {where}: already at {done.after}")
    return 0


def db_revision(message: str) -> int:
    path = new_revision(message)
    # Autogenerate leaves unused imports and its own blank lines; the project's linter tidies them.
    subprocess.run([sys.executable, "-m", "ruff", "check", "--fix", "--quiet", str(path)], check=False,
                   capture_output=True)
    say(f"wrote {path}: review it (types, data to move), then run the migration tests")
    return 0


def content_apply(settings: Settings, clock: Clock, *, dry_run: bool) -> int:
    """``/reload`` from the command line: validate CONTENT_DIR, apply it, print the diff or the errors."""
    habitat = build(settings, clock)
    try:
        who = dataclasses.replace(console_asker(habitat), user_id=None, lang="en")  # applied by "console"
        result = habitat.admin.apply_content_dir(who, dry_run=dry_run, action="content apply")
        if not result.ok:
            sys.stderr.write(plain_text(errors_reply(result.errors, "en").text) + "\n")
            return 1
        version = result.digest[:12]
        if dry_run:
            head = f"dry run: the files in {settings.content_dir} are valid; applying them (version {version}) would give:"
        elif result.unchanged:
            say(f"the live content already is version {version}: nothing to apply")
            return 0
        else:
            head = f"applied the files in {settings.content_dir}: version {version} is live"
        assert result.diff is not None
        say("\n".join([head, *(plain_text(line) for line in diff_lines(result.diff, "en"))]))
        for warning in result.warnings:
            say(f"warning: a follow-up step failed: {warning}")
        return 0
    finally:
        habitat.close()
