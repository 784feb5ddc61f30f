"""The dispatcher: claims due outbox rows and sends them within Telegram's limits.

Why it is built this way:

* **Claims are rows, not memory.** A row goes ``pending → sending`` in a committed transaction
  before anything is sent, and ``sending → sent`` right after Telegram answers. A crash between
  the two leaves it ``sending``: the next dispatcher to take over puts it back to ``pending``, so
  every reminder is sent and only the ones in flight at the crash (at most ``concurrency``) can
  go out twice. There is no other way: ``sendMessage`` has no idempotency key.
* **Replicas (PostgreSQL).** Claims use ``FOR UPDATE SKIP LOCKED``: two dispatchers never claim
  the same row, and neither waits for the other's locks. That alone makes delivery exactly-once,
  but not the *rate*: two processes each sending 30/s would send 60/s. So, in addition, only one
  replica dispatches at a time: the one holding a session-level advisory lock
  (``pg_try_advisory_lock``) on a connection it keeps open. If that process dies its connection
  closes, PostgreSQL drops the lock, and the next replica to try becomes the dispatcher and
  first returns the dead one's ``sending`` rows to ``pending``. One sender means one global
  rate limit and one per-chat limit, with no shared counters. On SQLite there is one process.
* **Limits.** ``Pacer`` allows a new request only while fewer than 30 requests were in flight or
  answered within the last second, counted from *answers*: a request's arrival at Telegram lies
  between its start and its answer, so no one-second window at Telegram can hold more than 30.
  Starts are also spaced 1/30 s apart, so the 30 are spread over the second, not one burst.
  Each chat waits 1 s between messages. A 429 pauses everything for ``retry_after`` and is not
  counted as an attempt.
* **Faults.** 403 (blocked, deactivated) and 400 "chat not found" deactivate the chat's
  subscriptions, no retry; a migrated group gets its new id everywhere and the message there;
  a read timeout after the request left is recorded ``unknown`` and not resent blindly; other
  errors retry with exponential backoff up to ``max_attempts``.
* **Time.** Due times and backoff use the injected clock (so tests move time by hand); pacing
  uses a monotonic clock and a sleep function that tests may replace with virtual ones.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import enum
import logging
import threading
import time
import uuid
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import select, text, update
from sqlalchemy.engine import Connection, Engine
from sqlmodel import col

from bot.kernel import metrics
from bot.kernel.clock import Clock
from bot.kernel.reply import Reply
from reminders.models import (
    CANCELLED,
    EMPTY,
    FAILED,
    GONE,
    MERGED,
    PENDING,
    SENDING,
    SENT,
    SKIPPED,
    UNKNOWN,
    Delivery,
    Subscription,
)
from reminders.planner import LATE_AFTER
from reminders.store import aware, deactivate_chat, migrate_chat
from store.db import affected, session_scope

log = logging.getLogger(__name__)


class Outcome(enum.Enum):
    SENT = "sent"
    RETRY_AFTER = "retry_after"  # 429: pause everything, try again, not an attempt
    GONE = "gone"  # 403 or chat not found: the chat will never accept messages
    MIGRATED = "migrated"  # the group is now a supergroup with another id
    UNKNOWN = "unknown"  # the request may or may not have reached Telegram
    FAILED = "failed"  # retry later


@dataclass(frozen=True)
class SendResult:
    outcome: Outcome
    retry_after: float = 0.0
    new_chat_id: int | None = None
    message_id: int | None = None
    error: str = ""


class Sender(Protocol):
    """Where messages go: Telegram (handlers.sender.TelegramSender) or the console."""

    async def send(self, chat_id: int, reply: Reply) -> SendResult: ...


#: Renders a claimed row for its reader at ``now``; None means there is nothing to say.
Renderer = Callable[[Delivery, dt.datetime], Reply | None]


class Pacer:
    """Global and per-chat rate limits on a monotonic clock (replaceable by a virtual one)."""

    def __init__(
        self,
        per_second: int = 30,
        *,
        per_chat_interval: float = 1.0,
        window: float = 1.0,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
    ) -> None:
        self.per_second = per_second
        self.per_chat_interval = per_chat_interval
        self.window = window
        self.monotonic = monotonic
        self.sleep = sleep
        self.paused_until = 0.0
        self.pauses: list[tuple[float, float]] = []  # (from, until) on the monotonic clock
        self._answers: deque[float] = deque()
        self._in_flight = 0
        self._next_start = float("-inf")
        self._chat_next: dict[int, float] = {}
        self._turn = asyncio.Lock()

    async def acquire(self) -> None:
        """Wait for a slot: not paused, and under the limit counting in-flight requests.

        Senders queue on a lock and only the first in line watches the clock: with hundreds of
        replies waiting, waking them all at every slot would cost more CPU than sending.
        """
        async with self._turn:
            await self._wait_for_slot()

    async def _wait_for_slot(self) -> None:
        while True:
            now = self.monotonic()
            if now < self.paused_until:
                await self.sleep(self.paused_until - now)
                continue
            while self._answers and self._answers[0] <= now - self.window:
                self._answers.popleft()
            if now < self._next_start:  # spread sends evenly instead of bursts of 30
                await self.sleep(self._next_start - now)
                continue
            if self._in_flight + len(self._answers) < self.per_second:
                self._in_flight += 1
                # Keep the cadence: a start a little late (sleep overshoot, a slow query) does not
                # push every later slot back, or the rate would settle below the limit.
                spacing = self.window / self.per_second
                self._next_start = max(self._next_start + spacing, now - spacing)
                return
            if self._answers:
                await self.sleep(max(self._answers[0] + self.window - now, 0.001))
            else:
                await self.sleep(0.005)  # all slots are in flight: one will answer soon

    def release(self, chat_id: int) -> None:
        now = self.monotonic()
        self._in_flight -= 1
        self._answers.append(now)
        self._chat_next[chat_id] = now + self.per_chat_interval

    def pause(self, seconds: float) -> None:
        now = self.monotonic()
        until = now + max(seconds, 0.0)
        if until > self.paused_until:
            self.paused_until = until
            self.pauses.append((now, until))

    def chat_wait(self, chat_id: int) -> float:
        """Seconds until ``chat_id`` may get another message."""
        return max(self._chat_next.get(chat_id, 0.0) - self.monotonic(), 0.0)


class Leadership:
    """Which replica dispatches: the holder of a PostgreSQL advisory lock (see module docstring)."""

    def __init__(self, engine: Engine, *, elect: bool = True) -> None:
        self.engine = engine
        self.elect = elect and engine.dialect.name == "postgresql"
        self._conn: Connection | None = None
        self.leader = False
        self._guard = threading.Lock()

    def check(self) -> tuple[bool, bool]:
        """(am I the dispatcher, did I just become it). The planner job asks from a worker thread
        while the dispatcher asks from the event loop: one connection, so one caller at a time."""
        with self._guard:
            return self._check()

    def _check(self) -> tuple[bool, bool]:
        if not self.elect:
            became = not self.leader
            self.leader = True
            return True, became
        if self._conn is not None:
            try:
                self._conn.exec_driver_sql("SELECT 1")
                self._conn.commit()
                return True, False
            except Exception:  # the connection died, and the lock with it
                log.warning("lost the dispatcher lock", exc_info=True)
                self._drop()
                return False, False
        conn = self.engine.connect()
        # Keyed by schema, so test schemas (and deployments sharing a server) elect separately.
        got = conn.execute(text("SELECT pg_try_advisory_lock(hashtext('habitat-reminders:' || current_schema()))")).scalar()
        conn.commit()
        if got:
            self._conn, self.leader = conn, True
            return True, True
        conn.close()
        return False, False

    def _drop(self) -> None:
        if self._conn is not None:
            try:
                self._conn.close()
            except Exception:  # already broken
                log.debug("closing a broken lock connection", exc_info=True)
        self._conn, self.leader = None, False

    def release(self) -> None:
        """Give up the lock at once, so another replica can take over without waiting: unlocked
        explicitly (a closed socket frees it only when the server notices), and the connection
        closed for real rather than returned to the pool with its session."""
        with self._guard:
            if self._conn is not None:
                try:
                    self._conn.exec_driver_sql("SELECT pg_advisory_unlock_all()")
                    self._conn.commit()
                    self._conn.invalidate()
                except Exception:  # already broken: its session, and the lock, are gone anyway
                    log.debug("releasing the dispatcher lock", exc_info=True)
            self._drop()


class Dispatcher:
    """Claims due rows and sends them; ``run_once`` is what the JobQueue job calls."""

    def __init__(
        self,
        engine: Engine,
        clock: Clock,
        sender: Sender,
        render: Renderer,
        *,
        pacer: Pacer | None = None,
        concurrency: int = 4,
        batch: int = 30,
        late_after: dt.timedelta = LATE_AFTER,
        max_attempts: int = 5,
        backoff: dt.timedelta = dt.timedelta(seconds=30),
        backoff_cap: dt.timedelta = dt.timedelta(hours=1),
        elect: bool = True,
        owner: str | None = None,
    ) -> None:
        self.engine = engine
        self.clock = clock
        self.sender = sender
        self.render = render
        self.pacer = pacer or Pacer()
        self.concurrency = concurrency
        self.batch = batch
        self.late_after = late_after
        self.max_attempts = max_attempts
        self.backoff = backoff
        self.backoff_cap = backoff_cap
        self.owner = owner or f"d-{uuid.uuid4().hex[:12]}"
        self.leadership = Leadership(engine, elect=elect)
        self._running = asyncio.Lock()
        self._busy: set[int] = set()
        self._answered = asyncio.Event()
        self.is_postgres = engine.dialect.name == "postgresql"
        self._active_subs: set[int] = set()
        self._reminded: set[tuple[int, str, str]] = set()
        self.stopping = False

    # -- the job ----------------------------------------------------------------------------------

    async def run_once(self, *, max_batches: int | None = None) -> int:
        """Send everything due now; returns how many messages went out. Overlapping calls return 0."""
        if self._running.locked():
            return 0
        async with self._running:
            # Database work runs in threads: a slow or locked database must not stall the event loop.
            if not await asyncio.to_thread(self.ensure_leader):
                return 0
            sent = 0
            batches = 0
            while (max_batches is None or batches < max_batches) and not self.stopping:
                rows = await asyncio.to_thread(self.claim, self.batch)
                if not rows:
                    break
                batches += 1
                sent += await self._deliver(rows)
            return sent

    def ensure_leader(self) -> bool:
        """Am I the dispatcher? On becoming it, first take back what a stopped one left claimed."""
        leader, became = self.leadership.check()
        if became:
            log.info("this process now sends the reminders (dispatcher %s)", self.owner)
            recovered = self.recover()
            if recovered:
                log.warning("returned %d in-flight reminders of a stopped dispatcher to the queue", recovered)
        return leader

    def stop(self) -> None:
        """Claim nothing more and start no new send; the sends in flight finish (graceful shutdown)."""
        self.stopping = True
        self._answered.set()

    def close(self) -> None:
        """Give back what this dispatcher claimed but did not send, then the dispatcher lock."""
        try:
            released = self.release_claims()
            if released:
                log.info("returned %d claimed reminders to the queue", released)
        except Exception:  # the database may be the reason we stop; the next dispatcher recovers them
            log.warning("could not return claimed reminders to the queue", exc_info=True)
        self.leadership.release()

    def release_claims(self) -> int:
        """Rows this dispatcher claimed and has not finished go back to pending, attempts unchanged."""
        with session_scope(self.engine) as session:
            result = session.execute(
                update(Delivery)
                .where(col(Delivery.status) == SENDING, col(Delivery.claimed_by) == self.owner)
                .values(status=PENDING, claimed_by=None, last_error="returned when the dispatcher stopped")
            )
            return affected(result)

    # -- claiming ---------------------------------------------------------------------------------

    def recover(self) -> int:
        """Rows another (stopped) dispatcher had claimed go back to pending, attempts unchanged."""
        with session_scope(self.engine) as session:
            result = session.execute(
                update(Delivery)
                .where(col(Delivery.status) == SENDING, col(Delivery.claimed_by) != self.owner)
                .values(status=PENDING, claimed_by=None, last_error="recovered after the dispatcher stopped")
            )
            return affected(result)

    def claim(self, limit: int) -> list[Delivery]:
        """Mark up to ``limit`` due rows as ours, in one short committed transaction."""
        now = self.clock.now()
        due = (
            select(col(Delivery.id))
            .where(col(Delivery.status) == PENDING, col(Delivery.available_at) <= now)
            .order_by(col(Delivery.available_at), col(Delivery.id))
            .limit(limit)
        )
        if self.is_postgres:
            due = due.with_for_update(skip_locked=True)
        with session_scope(self.engine) as session:
            ids = list(
                session.execute(
                    update(Delivery)
                    .where(col(Delivery.id).in_(due.scalar_subquery()), col(Delivery.status) == PENDING)
                    .values(status=SENDING, claimed_by=self.owner, claimed_at=now)
                    .returning(col(Delivery.id))
                ).scalars()
            )
            if not ids:
                return []
            rows = list(session.execute(select(Delivery).where(Delivery.id.in_(ids))).scalars())  # type: ignore[union-attr]
        return sorted(rows, key=lambda r: (aware(r.available_at), r.id or 0))

    # -- sending ----------------------------------------------------------------------------------

    async def _deliver(self, rows: list[Delivery]) -> int:
        await asyncio.to_thread(self._prepare, rows)
        queue = deque(rows)
        sent = 0

        async def worker() -> None:
            nonlocal sent
            while queue and not self.stopping:
                row = self._next_ready(queue)
                if row is None:
                    waits = [self.pacer.chat_wait(r.chat_id) for r in queue if r.chat_id not in self._busy]
                    if waits:
                        await self.pacer.sleep(max(min(waits), 0.001))
                    else:
                        self._answered.clear()
                        await self._answered.wait()
                    continue
                self._busy.add(row.chat_id)
                try:
                    done = await self._one(row)  # not `sent += await …`: that reads `sent` before awaiting
                    sent += done
                finally:
                    self._busy.discard(row.chat_id)
                    self._answered.set()

        await asyncio.gather(*(worker() for _ in range(max(1, min(self.concurrency, len(rows))))))
        if queue:  # stopped: what was claimed and not started goes back now, not after a takeover
            await asyncio.to_thread(self.release_claims)
        return sent

    def _next_ready(self, queue: deque[Delivery]) -> Delivery | None:
        for index, row in enumerate(queue):
            if row.chat_id not in self._busy and self.pacer.chat_wait(row.chat_id) == 0.0:
                del queue[index]
                return row
        return None

    def _prepare(self, rows: list[Delivery]) -> None:
        """Look up, for a whole claimed batch at once, what the per-row checks need: which
        subscriptions were stopped and which moments this chat was already reminded of."""
        sub_ids = {r.subscription_id for r in rows if r.subscription_id is not None}
        keys = {(r.chat_id, r.occurrence_key, r.lead) for r in rows if r.kind == "reminder"}
        with self.engine.connect() as conn:
            active: set[int] = {i for i in conn.execute(
                select(col(Subscription.id)).where(col(Subscription.id).in_(sub_ids), col(Subscription.active).is_(True))
            ).scalars() if i is not None} if sub_ids else set()
            done: set[tuple[int, str, str]] = set()
            if keys:
                chats = {k[0] for k in keys}
                found = conn.execute(
                    select(col(Delivery.chat_id), col(Delivery.occurrence_key), col(Delivery.lead)).where(
                        col(Delivery.chat_id).in_(chats), col(Delivery.kind) == "reminder",
                        col(Delivery.status).in_((SENT, UNKNOWN)),
                    )
                )
                done = {(c, o, lead) for c, o, lead in found if (c, o, lead) in keys}
        self._active_subs = active
        self._reminded = done
        prepare = getattr(self.render, "prepare", None)
        if prepare is not None:
            prepare(rows)

    def _precheck(self, row: Delivery, now: dt.datetime) -> str | None:
        """A terminal status to record instead of sending, or None to send."""
        late = now - aware(row.due_at) > self.late_after
        if row.kind == "reminder" and late and row.starts_at is not None and aware(row.starts_at) <= now:
            return SKIPPED  # came due while we were down and the event has begun: too late to help
        if row.kind == "reminder" and row.subscription_id is not None and row.subscription_id not in self._active_subs:
            return CANCELLED
        if row.kind == "reminder":
            key = (row.chat_id, row.occurrence_key, row.lead)
            # Following an event and its category gives two rows for one moment; send one.
            if key in self._reminded:
                return MERGED
            self._reminded.add(key)
        return None

    async def _one(self, row: Delivery) -> int:
        now = self.clock.now()
        terminal = self._precheck(row, now)
        if terminal is not None:
            await asyncio.to_thread(self._finish, row, status=terminal)
            return 0
        row.late = now - aware(row.due_at) > self.late_after
        try:
            reply = await asyncio.to_thread(self.render, row, now)
        except Exception as exc:  # a rendering bug must not stop the queue
            log.exception("cannot render delivery %s", row.id)
            await asyncio.to_thread(self._retry, row, f"render: {exc!r}")
            return 0
        if reply is None:
            await asyncio.to_thread(self._finish, row, status=EMPTY)
            return 0
        chat_id = row.chat_id
        while True:
            await self.pacer.acquire()
            try:
                result = await self.sender.send(chat_id, reply)
            except Exception as exc:  # a sender that raises is treated like any other error
                log.exception("sender failed for delivery %s", row.id)
                result = SendResult(Outcome.FAILED, error=repr(exc))
            finally:
                self.pacer.release(chat_id)
            if result.outcome is Outcome.RETRY_AFTER:
                log.warning("429: pausing all sends for %.1f s", result.retry_after)
                self.pacer.pause(result.retry_after)
                continue
            if result.outcome is Outcome.MIGRATED and result.new_chat_id is not None and result.new_chat_id != chat_id:
                await asyncio.to_thread(self._migrate, chat_id, result.new_chat_id)
                chat_id = row.chat_id = result.new_chat_id
                continue
            break
        if result.outcome is Outcome.SENT:
            await asyncio.to_thread(self._finish, row, status=SENT, attempt=True, sent_at=self.clock.now(),
                                    message_id=result.message_id)
            return 1
        if result.outcome is Outcome.GONE:
            await asyncio.to_thread(self._gone, row, chat_id, result.error)
            return 0
        if result.outcome is Outcome.UNKNOWN:
            await asyncio.to_thread(self._finish, row, status=UNKNOWN, attempt=True, error=result.error)
            return 0
        await asyncio.to_thread(self._retry, row, result.error)
        return 0

    def _migrate(self, old_chat_id: int, new_chat_id: int) -> None:
        with session_scope(self.engine) as session:
            migrate_chat(session=session, old_chat_id=old_chat_id, new_chat_id=new_chat_id)

    def _gone(self, row: Delivery, chat_id: int, error: str | None) -> None:
        self._finish(row, status=GONE, attempt=True, error=error)
        with session_scope(self.engine) as session:
            deactivate_chat(session=session, chat_id=chat_id, reason="unreachable", now=self.clock.now())

    def _finish(
        self, row: Delivery, *, status: str, attempt: bool = False, sent_at: dt.datetime | None = None,
        message_id: int | None = None, error: str | None = None,
    ) -> None:
        values: dict[str, object] = {"status": status, "late": row.late, "chat_id": row.chat_id}
        if attempt:
            values["attempts"] = col(Delivery.attempts) + 1
        if sent_at is not None:
            values["sent_at"] = sent_at
        if message_id is not None:
            values["message_id"] = message_id
        if error:
            values["last_error"] = error[:1000]
        with self.engine.begin() as conn:  # one short transaction per message: a crash loses at most the in-flight
            conn.execute(
                update(Delivery).where(col(Delivery.id) == row.id, col(Delivery.claimed_by) == self.owner).values(**values)
            )
        metrics.count_reminder(status)

    def _retry(self, row: Delivery, error: str) -> None:
        attempts = row.attempts + 1
        if attempts >= self.max_attempts:
            self._finish(row, status=FAILED, attempt=True, error=error)
            return
        delay = min(self.backoff * (2 ** (attempts - 1)), self.backoff_cap)
        with session_scope(self.engine) as session:
            session.execute(
                update(Delivery)
                .where(col(Delivery.id) == row.id, col(Delivery.claimed_by) == self.owner)
                .values(status=PENDING, attempts=attempts, claimed_by=None, last_error=error[:1000],
                        available_at=self.clock.now() + delay)
            )
        metrics.count_reminder("retry")
