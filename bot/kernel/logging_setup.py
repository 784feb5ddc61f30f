"""Logs: one line per event, as text or JSON lines (``LOG_FORMAT=json``), never carrying the token.

Every line goes through ``redact``: the bot token (and anything shaped like one) is replaced,
because httpx and python-telegram-bot put request URLs — which contain the token — into their
messages and exceptions. Users' message text is not logged at INFO by this project's code; the
libraries that could (httpx request lines, APScheduler's per-run lines) are raised to WARNING.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
import sys
from typing import TextIO

#: A Telegram bot token: the bot's id, a colon, and the secret part.
TOKEN_SHAPE = re.compile(r"\d{5,}:[A-Za-z0-9_-]{30,}")
HIDDEN = "<token>"

#: Loggers that speak at INFO about every request or job run; only their warnings are kept.
CHATTY = ("httpx", "httpcore", "apscheduler", "aiohttp.access")

#: Attributes every LogRecord has; anything else on a record came from ``extra=`` and is logged.
_STANDARD = frozenset(vars(logging.makeLogRecord({}))) | {"message", "asctime", "taskName"}


def redact(text: str, secrets: tuple[str, ...] = ()) -> str:
    """``text`` with each secret and anything shaped like a bot token replaced by ``<token>``."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, HIDDEN)
    return TOKEN_SHAPE.sub(HIDDEN, text)


def _one_line(text: str) -> str:
    return text.replace("\r", "").replace("\n", " ⏎ ")


class _Redacting(logging.Formatter):
    """Formats a record, then removes secrets from the finished line."""

    def __init__(self, secrets: tuple[str, ...] = ()) -> None:
        super().__init__()
        self.secrets = secrets

    def extras(self, record: logging.LogRecord) -> dict[str, object]:
        return {k: v for k, v in vars(record).items() if k not in _STANDARD and not k.startswith("_")}

    def exception(self, record: logging.LogRecord) -> str | None:
        if record.exc_info:
            return self.formatException(record.exc_info)
        if record.exc_text:
            return record.exc_text
        return None

    def format(self, record: logging.LogRecord) -> str:
        return redact(self.render(record), self.secrets)

    def render(self, record: logging.LogRecord) -> str:
        raise NotImplementedError


class TextFormatter(_Redacting):
    """``2024-10-01T05:00:00.123Z INFO name: message key=value``; a traceback stays on the line."""

    def render(self, record: logging.LogRecord) -> str:
        when = dt.datetime.fromtimestamp(record.created, dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
        parts = [f"{when} {record.levelname} {record.name}: {record.getMessage()}"]
        parts += [f"{k}={v}" for k, v in self.extras(record).items()]
        if (exc := self.exception(record)) is not None:
            parts.append(f"exc={exc}")
        return _one_line(" ".join(parts))


class JsonFormatter(_Redacting):
    """One JSON object per line: ts, level, logger, msg, the record's extras, and exc if any."""

    def render(self, record: logging.LogRecord) -> str:
        line: dict[str, object] = {
            "ts": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for key, value in self.extras(record).items():
            line.setdefault(key, value)
        if (exc := self.exception(record)) is not None:
            line["exc"] = exc
        return json.dumps(line, ensure_ascii=False, default=str)


def configure_logging(
    fmt: str = "text", level: str | int = "INFO", *, secrets: tuple[str | None, ...] = (), stream: TextIO | None = None
) -> logging.Handler:
    """Send every log record to ``stream`` (stderr) in ``fmt`` ("text" or "json"); returns the handler."""
    kept = tuple(s for s in secrets if s)
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter(kept) if fmt == "json" else TextFormatter(kept))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    for name in CHATTY:
        logging.getLogger(name).setLevel(logging.WARNING)
    logging.captureWarnings(True)
    return handler
