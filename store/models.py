"""SQLModel tables for content and users.

Content rows keep each validated entry as JSON (``data``) beside the columns that are queried,
so the in-memory catalog is rebuilt exactly from the database and every replica serves the same
content. Datetimes are stored timezone-aware in UTC.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, Column, DateTime, LargeBinary, Text
from sqlmodel import Field, SQLModel


def utc_column(nullable: bool = False) -> Column:
    """A timezone-aware timestamp column (PostgreSQL timestamptz; SQLite keeps the offset as text)."""
    return Column(DateTime(timezone=True), nullable=nullable)


class EntryRow(SQLModel, table=True):
    __tablename__ = "entry"

    id: str = Field(primary_key=True, max_length=40)
    kind: str = Field(index=True, max_length=20)
    data: str = Field(sa_column=Column(Text, nullable=False))  # Entry as JSON


class AliasRow(SQLModel, table=True):
    __tablename__ = "alias"

    entry_id: str = Field(primary_key=True, max_length=40)
    key: str = Field(primary_key=True, max_length=400)  # normalised, see store.normalize.compact
    alias: str = Field(sa_column=Column(Text, nullable=False))


class DocumentRow(SQLModel, table=True):
    __tablename__ = "document"

    id: str = Field(primary_key=True, max_length=40)
    data: str = Field(sa_column=Column(Text, nullable=False))  # SourceDocument as JSON


class ParagraphRow(SQLModel, table=True):
    __tablename__ = "paragraph"

    doc_id: str = Field(primary_key=True, max_length=40)
    number: str = Field(primary_key=True, max_length=12)
    position: int
    text: str = Field(sa_column=Column(Text, nullable=False))
    raw: str = Field(sa_column=Column(Text, nullable=False))


class GlossaryRow(SQLModel, table=True):
    __tablename__ = "glossary"

    position: int = Field(primary_key=True)
    data: str = Field(sa_column=Column(Text, nullable=False))


class ContentVersion(SQLModel, table=True):
    """Every content that was applied: its digest, when, by whom. The newest active one is live."""

    __tablename__ = "content_version"
    #: Who applied a version stays after /forget, under a pseudonym (a text column: the id as text).
    __table_args__ = {"info": {"forget": {"pseudonymize": ("applied_by",)}}}

    id: int | None = Field(default=None, primary_key=True)
    digest: str = Field(index=True, max_length=64)
    applied_at: dt.datetime = Field(sa_column=utc_column())
    applied_by: str = Field(default="startup", max_length=100)
    summary: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))


class ContentFile(SQLModel, table=True):
    """One file of a content version (keyed by the version's digest): the live content's source.

    Uploads and rollbacks are staged from these rows, never from a replica's ``CONTENT_DIR``,
    so a replica with older files cannot bring them back.
    """

    __tablename__ = "content_file"

    digest: str = Field(primary_key=True, max_length=64)
    path: str = Field(primary_key=True, max_length=200)  # relative, as in the digest: entries/sessions.yaml
    data: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


class User(SQLModel, table=True):
    """A person who talked to the bot: their preferences, and whether a broadcast can reach them."""

    __tablename__ = "bot_user"

    id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    language: str | None = Field(default=None, max_length=8)
    timezone: str | None = Field(default=None, max_length=64)
    created_at: dt.datetime = Field(sa_column=utc_column())
    #: First time they wrote to the bot in a private chat: from then on the bot may message them.
    talked_at: dt.datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    #: When Telegram said they blocked the bot (or cannot be reached); cleared when they write again.
    blocked_at: dt.datetime | None = Field(default=None, sa_column=utc_column(nullable=True))


class SearchMiss(SQLModel, table=True):
    """Questions that found nothing, counted per day: what delegates ask that the content lacks."""

    __tablename__ = "search_miss"

    query: str = Field(primary_key=True, max_length=300)  # folded, so 贫民窑 and 貧民窑 count together
    day: dt.date = Field(primary_key=True)
    count: int = 0
    last_at: dt.datetime = Field(sa_column=utc_column())


class GroupSetting(SQLModel, table=True):
    """Group mode of a group chat: on, the bot answers identifiers mentioned in the group."""

    __tablename__ = "group_setting"
    #: The group's setting stays after /forget; who switched it becomes a pseudonym.
    __table_args__ = {"info": {"forget": {"pseudonymize": ("changed_by",)}}}

    chat_id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    enabled: bool = False
    changed_by: int = Field(sa_column=Column(BigInteger, nullable=False))
    changed_at: dt.datetime = Field(sa_column=utc_column())


class SearchQuery(SQLModel, table=True):
    """A search too long for its paging buttons, named there by a key: any replica reads it back."""

    __tablename__ = "search_query"

    key: str = Field(primary_key=True, max_length=16)  # hex of the query's SHA-1
    query: str = Field(sa_column=Column(Text, nullable=False))
    #: Last time a page with this key was shown (refreshed at most daily); old rows are pruned.
    used_at: dt.datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False, index=True))
