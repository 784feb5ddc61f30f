"""Settings from the environment and ``.env`` (pydantic-settings).

A placeholder or malformed value stops start-up with one line naming the setting, instead of a
traceback minutes later when the value is first used.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from store.db import normalise_url

TOKEN_PATTERN = re.compile(r"^\d{5,}:[A-Za-z0-9_-]{30,}$")
PLACEHOLDERS = {"", "changeme", "your-token-here", "123456:ABC-DEF1234ghIkl-zyx57W2v1u123ew11"}
#: Telegram's rule for setWebhook's secret_token (1-256 of these); at least 16 here, so it is not guessable.
SECRET_PATTERN = re.compile(r"^[A-Za-z0-9_-]{16,256}$")
#: The port webhook mode listens on when HTTP_PORT is not set.
WEBHOOK_DEFAULT_PORT = 8080


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    telegram_bot_token: str | None = None
    telegram_base_url: str = "https://api.telegram.org/bot"
    telegram_base_file_url: str = "https://api.telegram.org/file/bot"
    database_url: str = "sqlite:///var/habitat.db"
    admin_ids: Annotated[frozenset[int], NoDecode] = Field(default_factory=frozenset)
    default_language: str = "zh"
    default_timezone: str = "Africa/Nairobi"
    content_dir: Path = Path("content")
    search_index_dir: Path | None = None  # default: beside the SQLite file, else var/search-index
    http_host: str = "127.0.0.1"
    http_port: int | None = None  # polling: no HTTP server unless set; webhook: WEBHOOK_DEFAULT_PORT
    public_url: str | None = None  # the externally reachable base URL, e.g. https://bot.example.org
    webhook_secret: str | None = None
    log_format: str = "text"
    log_level: str = "INFO"

    @field_validator("telegram_bot_token", mode="before")
    @classmethod
    def _token(cls, value: object) -> object:
        if value is None or (isinstance(value, str) and value.strip() == ""):
            return None
        if not isinstance(value, str) or value.strip() in PLACEHOLDERS or "your" in value.lower():
            raise ValueError("is the placeholder from .env.example: put the token BotFather gave you")
        if not TOKEN_PATTERN.match(value.strip()):
            raise ValueError("does not look like a bot token (digits:letters, as BotFather gives it)")
        return value.strip()

    @field_validator("search_index_dir", "http_port", "public_url", "webhook_secret", mode="before")
    @classmethod
    def _optional(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("http_port")
    @classmethod
    def _port(cls, value: int | None) -> int | None:
        if value is not None and not 0 <= value <= 65535:
            raise ValueError("must be a TCP port, 1 to 65535 (0: any free port)")
        return value

    @field_validator("http_host")
    @classmethod
    def _host(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must be an address to listen on, e.g. 127.0.0.1 or 0.0.0.0")
        return value.strip()

    @field_validator("public_url")
    @classmethod
    def _public_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        value = value.strip().rstrip("/")
        if not re.match(r"^https?://[^/\s?#]+(/[^\s?#]*)?$", value):
            raise ValueError("must be the bot's external base URL, e.g. https://bot.example.org")
        return value

    @field_validator("webhook_secret")
    @classmethod
    def _secret(cls, value: str | None) -> str | None:
        if value is None:
            return None
        value = value.strip()
        if value.lower() in PLACEHOLDERS or "your" in value.lower():
            raise ValueError("is the placeholder from .env.example: generate one, e.g. openssl rand -hex 32")
        if not SECRET_PATTERN.match(value):
            raise ValueError("must be 16 to 256 letters, digits, _ or - (e.g. openssl rand -hex 32)")
        return value

    @field_validator("log_format")
    @classmethod
    def _log_format(cls, value: str) -> str:
        value = value.strip().lower()
        if value not in ("text", "json"):
            raise ValueError("must be text or json")
        return value

    @field_validator("log_level")
    @classmethod
    def _log_level(cls, value: str) -> str:
        value = value.strip().upper()
        if value not in ("DEBUG", "INFO", "WARNING", "ERROR"):
            raise ValueError("must be DEBUG, INFO, WARNING or ERROR")
        return value

    def webhook_problems(self) -> list[str]:
        """What webhook mode lacks, one line per setting (empty: webhook mode can start)."""
        problems = []
        if not self.telegram_bot_token:
            problems.append("TELEGRAM_BOT_TOKEN: is needed to talk to Telegram")
        if self.public_url is None:
            problems.append("PUBLIC_URL: is needed in webhook mode (the https:// address Telegram posts to)")
        if self.webhook_secret is None:
            problems.append("WEBHOOK_SECRET: is needed in webhook mode (e.g. openssl rand -hex 32)")
        return problems

    @property
    def webhook_url(self) -> str:
        """Where Telegram posts updates: PUBLIC_URL/telegram."""
        return f"{self.public_url}/telegram"

    @field_validator("database_url")
    @classmethod
    def _database(cls, value: str) -> str:
        value = normalise_url(value.strip())
        if not re.match(r"^(sqlite|postgresql\+psycopg)://", value):
            raise ValueError("must start with sqlite:/// or postgresql://")
        return value

    @field_validator("admin_ids", mode="before")
    @classmethod
    def _admins(cls, value: object) -> object:
        if isinstance(value, str):
            parts = [p for p in re.split(r"[,\s]+", value.strip()) if p]
            if any(not re.fullmatch(r"-?\d+", p) for p in parts):
                raise ValueError("must be Telegram user ids (numbers) separated by commas")
            return frozenset(int(p) for p in parts)
        return value

    @field_validator("default_language")
    @classmethod
    def _language(cls, value: str) -> str:
        if value not in ("zh", "en"):
            raise ValueError("must be zh or en")
        return value

    @field_validator("default_timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r} (use an IANA name like Africa/Nairobi)") from exc
        return value

    @field_validator("telegram_base_url", "telegram_base_file_url")
    @classmethod
    def _url(cls, value: str) -> str:
        if not re.match(r"^https?://", value):
            raise ValueError("must be an http(s) URL")
        return value


class SettingsError(Exception):
    """A setting is wrong; the message is one line naming it."""


def load_settings(**overrides: object) -> Settings:
    """Read settings, turning pydantic's report into one line per wrong setting."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        lines = []
        for error in exc.errors():
            name = str(error["loc"][0]).upper() if error["loc"] else "settings"
            lines.append(f"{name}: {error['msg'].removeprefix('Value error, ')}")
        raise SettingsError("; ".join(lines)) from None
