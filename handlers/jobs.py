"""Features' jobs on python-telegram-bot's JobQueue: synchronous work runs in a thread.

A job is only a trigger (see ``reminders/service.py``): a run that is still going is never stacked
and a late one is dropped, which is harmless.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import time
from collections.abc import Callable
from typing import Any

from telegram.ext import Application

from bot.kernel.router import Job

log = logging.getLogger(__name__)

JOB_KWARGS = {"max_instances": 1, "coalesce": True, "misfire_grace_time": None}


async def run_job(job: Job) -> None:
    """Run a job once: a coroutine function is awaited, anything else runs off the event loop."""
    if inspect.iscoroutinefunction(job.run):
        await job.run()
    else:
        await asyncio.to_thread(job.run)


class Backoff:
    """A failing job (the database is gone, read-only, locked) is retried with growing pauses, and
    only its first failure goes on to the error handler (which tells the admins): no alert a second."""

    def __init__(self, job: Job, *, cap: float = 300.0, monotonic: Callable[[], float] = time.monotonic) -> None:
        self.job = job
        self.cap = cap
        self.monotonic = monotonic
        self.failures = 0
        self.resume_at = 0.0

    async def run(self) -> None:
        if self.monotonic() < self.resume_at:
            return
        try:
            await run_job(self.job)
        except Exception as exc:
            self.failures += 1
            pause = min(self.cap, 2.0 ** self.failures)
            self.resume_at = self.monotonic() + pause
            if self.failures == 1:
                raise  # the error handler logs it with its traceback and tells the admins, once
            log.warning("job %s failed again (%d in a row), next try in %.0f s: %s: %s",
                        self.job.name, self.failures, pause, type(exc).__name__, exc)
            return
        if self.failures:
            log.warning("job %s works again after %d failures", self.job.name, self.failures)
            self.failures, self.resume_at = 0, 0.0


def schedule(app: Application[Any, Any, Any, Any, Any, Any], jobs: list[Job]) -> None:
    """Put every job on the application's JobQueue (``every == 0``: once, at start)."""
    if app.job_queue is None:
        log.error("no JobQueue: install python-telegram-bot[job-queue]; jobs will not run")
        return
    for job in jobs:
        backoff = Backoff(job)

        async def callback(_context: object, backoff: Backoff = backoff) -> None:
            await backoff.run()

        if job.every > 0:
            app.job_queue.run_repeating(callback, interval=job.every, first=job.first, name=job.name,
                                        job_kwargs=JOB_KWARGS)
        else:
            app.job_queue.run_once(callback, when=job.first, name=job.name)
