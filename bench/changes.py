"""Benchmark of a content change told to followers: 100,000 subscriptions, one reload that moves
WUF12, gives World Habitat Day an opening time and adds a Forum to the ``wuf`` category.

    .venv/bin/python bench/changes.py                       # SQLite in a temporary folder
    .venv/bin/python bench/changes.py --database-url postgresql://postgres@127.0.0.1:5432/test

Prints how long the content listener takes (diff, dropping and re-planning reminders, one notice
per chat written under its unique key) and how long a second replica's call takes (it writes
nothing new). Asserts nothing.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import sys
import time
from pathlib import Path

from sqlalchemy import insert, text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.reminders import LEADS, TARGETS, ZONES, drop, fresh_database  # noqa: E402
from bot.app import wire  # noqa: E402
from bot.kernel.clock import FixedClock  # noqa: E402
from bot.kernel.content import ContentService  # noqa: E402
from reminders.models import Subscription  # noqa: E402
from store.db import make_engine  # noqa: E402
from store.migrations import upgrade  # noqa: E402
from store.models import User  # noqa: E402
from store.schema import Entry  # noqa: E402
from tests.conftest import make_settings  # noqa: E402
from tests.test_reminders_helpers import ENTRIES, HABITAT_DAY, WUF12, catalog_of, entry, store_entries  # noqa: E402

NOW = dt.datetime(2024, 10, 1, 5, 0, tzinfo=dt.UTC)


def changed(base: Entry, **fields: object) -> Entry:
    return Entry.model_validate({**base.model_dump(exclude_defaults=True), **fields})


def bench(url: str, count: int) -> None:
    engine = make_engine(url)
    upgrade(engine)
    store_entries(engine)
    rng = random.Random(4)
    users = [{"id": 2_000_000 + i, "timezone": rng.choice(ZONES), "language": rng.choice(["zh", "en"]),
              "created_at": NOW} for i in range(count)]
    subs = [{"user_id": u["id"], "chat_id": u["id"], "target_kind": kind, "target": target,
             "leads": rng.choice(LEADS), "active": True, "created_at": NOW}
            for u in users for kind, target in [rng.choice(TARGETS)]]
    with engine.begin() as conn:
        for start in range(0, count, 10_000):
            conn.execute(insert(User), users[start : start + 10_000])
            conn.execute(insert(Subscription), subs[start : start + 10_000])
    clock = FixedClock(NOW)
    services = wire(make_settings(url), clock, engine, ContentService(engine, catalog_of(ENTRIES)))
    new_forum = entry({"id": "WUF13", "kind": "meeting", "category": "wuf", "body": "wuf",
                       "names": {"en": "Thirteenth session of the World Urban Forum"},
                       "dates": {"start": "2026-05-17", "end": "2026-05-22"}, "timezone": "Asia/Baku"})
    new = catalog_of([changed(WUF12, dates={"start": "2024-11-05", "end": "2024-11-09"}),
                      changed(HABITAT_DAY, recurrence={"rrule": "FREQ=YEARLY;BYMONTH=10;BYDAY=+1MO"},
                              timezone="Africa/Nairobi", place={"en": "Nairobi"}),
                      new_forum, *ENTRIES[2:]], version="v2")
    old = services.content.swap(new)
    began = time.perf_counter()
    services.subscriptions.on_content_change(old, new)
    first = time.perf_counter() - began
    began = time.perf_counter()
    services.subscriptions.on_content_change(old, new)  # another replica switching to the same content
    second = time.perf_counter() - began
    with engine.connect() as conn:
        notices = conn.execute(text("SELECT count(*) FROM reminder_outbox WHERE kind = 'change'")).scalar()
    print(f"content change: {count:,} subscriptions → {notices:,} notices (one per chat) in {first:.2f} s, "
          f"re-planning included; a second replica's call {second:.2f} s (nothing new written)")
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--subscriptions", type=int, default=100_000)
    args = parser.parse_args()
    url, handle = fresh_database(args.database_url)
    try:
        bench(url, args.subscriptions)
    finally:
        drop(handle)


if __name__ == "__main__":
    main()
