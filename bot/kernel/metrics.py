"""The bot's Prometheus metrics, defined once so every part counts into the same names.

A leaf module (it imports only prometheus-client), so features, the Telegram side and jobs can
all call it without crossing layers. ``GET /metrics`` renders ``REGISTRY`` (handlers/http.py).
Counters live for the life of the process; Prometheus computes rates from them.
"""

from __future__ import annotations

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    Info,
    generate_latest,
)
from prometheus_client.process_collector import ProcessCollector

#: The bot's own registry: tests and tools that import prometheus-client elsewhere do not mix in.
REGISTRY = CollectorRegistry(auto_describe=True)
ProcessCollector(registry=REGISTRY)  # CPU seconds, memory, open files of this process

UPDATES = Counter(
    "habitat_updates", "Updates received from Telegram, by type (message, callback_query, ...).",
    ["type"], registry=REGISTRY,
)
WEBHOOK_REFUSED = Counter(
    "habitat_webhook_refused", "Webhook requests refused, by reason (secret, stopping, malformed).",
    ["reason"], registry=REGISTRY,
)
REPLY_SECONDS = Histogram(
    "habitat_reply_seconds", "Time from the start of handling an update to the end (replies sent).",
    buckets=(0.01, 0.025, 0.05, 0.1, 0.15, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0), registry=REGISTRY,
)
SEARCH_QUERIES = Counter("habitat_search_queries", "Questions answered by search.", registry=REGISTRY)
SEARCH_MISSES = Counter("habitat_search_misses", "Questions for which search found nothing.", registry=REGISTRY)
REMINDERS = Counter(
    "habitat_reminders",
    "Reminder deliveries finished by this process, by outcome (sent, failed, unknown, gone, retry, ...).",
    ["outcome"], registry=REGISTRY,
)
OUTBOX = Gauge(
    "habitat_outbox_depth", "Outbox rows due and waiting to be sent (due) or claimed by a sender (sending).",
    ["status"], registry=REGISTRY,
)
CONTENT_VERSION = Gauge(
    "habitat_content_version", "Database id of the content version this process serves (0: none).",
    registry=REGISTRY,
)
CONTENT = Info("habitat_content", "Digest of the content version this process serves.", registry=REGISTRY)

#: Outcomes a reminder can end with; pre-created so a dashboard shows 0 rather than no series.
REMINDER_OUTCOMES = ("sent", "failed", "unknown", "gone", "retry")
for _outcome in REMINDER_OUTCOMES:
    REMINDERS.labels(_outcome)
for _status in ("due", "sending"):
    OUTBOX.labels(_status)


def count_update(kind: str) -> None:
    """One update of ``kind`` (the Update field that is set: message, callback_query, ...) arrived."""
    UPDATES.labels(kind).inc()


def count_refused(reason: str) -> None:
    """The webhook refused a request (wrong secret, shutting down, not an update)."""
    WEBHOOK_REFUSED.labels(reason).inc()


def observe_reply(seconds: float) -> None:
    """Handling one update (with its replies) took ``seconds``."""
    REPLY_SECONDS.observe(seconds)


def count_search_query() -> None:
    """Search answered a question (call once per question, not per result page)."""
    SEARCH_QUERIES.inc()


def count_search_miss() -> None:
    """Search found nothing for a question."""
    SEARCH_MISSES.inc()


def count_reminder(outcome: str) -> None:
    """A reminder delivery ended with ``outcome`` (its outbox status: sent, failed, unknown, gone, ...)
    or is retried later (``retry``)."""
    REMINDERS.labels(outcome).inc()


def set_outbox_depth(due: int, sending: int) -> None:
    """How many outbox rows are due and waiting, and how many are claimed right now."""
    OUTBOX.labels("due").set(due)
    OUTBOX.labels("sending").set(sending)


def set_content_version(version_id: int | None, digest: str) -> None:
    """The content this process serves: its database id and digest."""
    CONTENT_VERSION.set(version_id or 0)
    CONTENT.info({"digest": digest[:12]})


def render() -> tuple[bytes, str]:
    """The metrics in Prometheus' text format, with the content type to send them with."""
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST
