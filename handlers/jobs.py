"""Features' jobs on python-telegram-bot's JobQueue: synchronous work runs in a thread.

A job is only a trigger (see ``reminders/service.py``): a run that is still going is never stacked
and a late one is dropped, which is harmless.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
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


def schedule(app: Application[Any, Any, Any, Any, Any, Any], jobs: list[Job]) -> None:
    """Put every job on the application's JobQueue (``every == 0``: once, at start)."""
    if app.job_queue is None:
        log.error("no JobQueue: install python-telegram-bot[job-queue]; jobs will not run")
        return
    for job in jobs:
        async def callback(_context: object, job: Job = job) -> None:
            await run_job(job)

        if job.every > 0:
            app.job_queue.run_repeating(callback, interval=job.every, first=job.first, name=job.name,
                                        job_kwargs=JOB_KWARGS)
        else:
            app.job_queue.run_once(callback, when=job.first, name=job.name)
