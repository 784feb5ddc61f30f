"""Read and validate the content directory as one unit.

Everything is checked before anything is used: schema, unique ids, references between entries,
cited paragraphs (they must exist and contain the entry's key terms), dates, time zones and text
that must be safe inside Telegram HTML. Errors are collected, not raised one at a time, so an
admin sees every problem of a bad upload at once.
"""

from __future__ import annotations

import hashlib
import re
import time
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from store import safeyaml
from store.paragraphs import Paragraph, cover_text, split_paragraphs
from store.safeyaml import YamlRefused
from store.schema import COVER, Entry, GlossaryFile, GlossaryTerm, Kind, SourceDocument

MAX_TEXT = 1500  # characters in one text field; a reply must stay far below Telegram's 4096
MAX_FILE_BYTES = 2_000_000
MARKUP = re.compile(r"[<>]")


@dataclass(frozen=True)
class ContentError:
    """One problem found in the content, located as precisely as we can."""

    file: str
    message: str
    line: int | None = None
    entry: str | None = None
    field: str | None = None

    def __str__(self) -> str:
        where = self.file + (f":{self.line}" if self.line else "")
        what = " ".join(
            part for part in (f"[{self.entry}]" if self.entry else "", self.field or "") if part
        )
        return f"{where}{' ' + what if what else ''}: {self.message}"


class ContentInvalid(Exception):
    """Raised with every error found; the old content stays live."""

    def __init__(self, errors: list[ContentError]) -> None:
        super().__init__(f"{len(errors)} content error(s)")
        self.errors = errors


@dataclass
class Content:
    """A validated content directory."""

    documents: dict[str, SourceDocument]
    paragraphs: dict[str, list[Paragraph]]  # document id -> paragraphs in order
    entries: dict[str, Entry]
    glossary: list[GlossaryTerm] = field(default_factory=list)
    digest: str = ""  # sha256 over every file: the content version
    covers: dict[str, str] = field(default_factory=dict)  # document id -> its cover page text

    def paragraph(self, doc: str, number: str) -> Paragraph | None:
        for paragraph in self.paragraphs.get(doc, []):
            if paragraph.number == number:
                return paragraph
        return None

    def cited_text(self, doc: str, para: str) -> str | None:
        """The text a citation points to: a paragraph, or the cover page (``cover``)."""
        if para == COVER:
            return self.covers.get(doc)
        paragraph = self.paragraph(doc, para)
        return paragraph.text if paragraph is not None else None


def squash(text: str) -> str:
    """Fold text for term containment checks: NFKC, no white space, case-insensitive."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text)).casefold()


class _LineLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """A YAML loader that remembers the line of each mapping, for error messages.

    Built on libyaml's C parser when PyYAML has it: an admin's /reload parses every file, and the
    pure-Python parser takes four times as long; marks (lines) are the same.
    """


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> dict[str, Any]:
    if time.monotonic() > getattr(loader, "deadline", float("inf")):
        raise YamlRefused(None, None, "the file takes too long to read", node.start_mark)
    mapping = loader.construct_mapping(node, deep=True)
    mapping["__line__"] = node.start_mark.line + 1
    return mapping


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
# Dates stay strings for pydantic to parse, so "2023-02-31" is reported with its entry and field
# instead of PyYAML raising a bare ValueError.
_LineLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _strip_lines(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _strip_lines(v) for k, v in value.items() if k != "__line__"}
    if isinstance(value, list):
        return [_strip_lines(v) for v in value]
    return value


def _read_yaml(path: Path, rel: str, errors: list[ContentError]) -> Any:
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            errors.append(ContentError(rel, f"file is larger than {MAX_FILE_BYTES} bytes"))
            return None
        return safeyaml.load(path.read_text(encoding="utf-8"), _LineLoader)
    except UnicodeDecodeError:
        errors.append(ContentError(rel, "not UTF-8 text"))
    except YamlRefused as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else None
        errors.append(ContentError(rel, str(exc.problem), line=line))
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else None
        errors.append(ContentError(rel, f"malformed YAML: {exc.problem}", line=line))
    except yaml.YAMLError as exc:
        errors.append(ContentError(rel, f"malformed YAML: {exc}"))
    return None


def _pydantic_errors(
    exc: ValidationError, rel: str, line: int | None, entry: str | None
) -> Iterable[ContentError]:
    for err in exc.errors():
        loc = ".".join(str(part) for part in err["loc"])
        message = err["msg"].removeprefix("Value error, ")
        yield ContentError(rel, message, line=line, entry=entry, field=loc or None)


def _texts(value: Any, path: str = "") -> Iterable[tuple[str, str]]:
    """Every string inside a raw YAML value, with its dotted field path."""
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, sub in value.items():
            if key != "__line__":
                yield from _texts(sub, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list):
        for index, sub in enumerate(value):
            yield from _texts(sub, f"{path}[{index}]")


def _check_text(raw: dict[str, Any], rel: str, errors: list[ContentError]) -> None:
    entry = raw.get("id") if isinstance(raw.get("id"), str) else None
    for path, text in _texts(raw):
        if MARKUP.search(text):
            errors.append(
                ContentError(rel, "contains < or >: content is plain text, replies add the markup",
                             line=raw.get("__line__"), entry=entry, field=path)
            )
        if len(text) > MAX_TEXT:
            errors.append(
                ContentError(rel, f"text is {len(text)} characters; at most {MAX_TEXT}",
                             line=raw.get("__line__"), entry=entry, field=path)
            )


def _items(data: Any, key: str, rel: str, errors: list[ContentError]) -> list[dict[str, Any]]:
    if not isinstance(data, dict) or not isinstance(data.get(key), list):
        errors.append(ContentError(rel, f"expected a mapping with a list under '{key}'"))
        return []
    items = []
    for index, item in enumerate(data[key]):
        if isinstance(item, dict):
            items.append(item)
        else:
            errors.append(ContentError(rel, f"item {index + 1} of '{key}' is not a mapping"))
    return items


_ID_LINE = re.compile(r"^\s*-?\s*id:\s*['\"]?([^'\"\s#,}]+)", re.M)


def _ids_written(path: Path) -> set[str]:
    """Ids written in a file that could not be parsed, so other files' references to them stay quiet."""
    try:
        return set(_ID_LINE.findall(path.read_text(encoding="utf-8", errors="replace")))
    except OSError:
        return set()


def content_files(directory: Path) -> list[Path]:
    """The files that make up the content: YAML at the top and in entries/, texts in documents/."""
    directory = Path(directory)
    patterns = ("*.yaml", "entries/*.yaml", "documents/*.txt")
    return sorted({p for pattern in patterns for p in directory.glob(pattern) if p.is_file()})


def content_digest(directory: Path) -> str:
    """sha256 over every content file's name and bytes: the content version, cheap to compute."""
    digest = hashlib.sha256()
    for path in content_files(directory):
        digest.update(path.relative_to(directory).as_posix().encode() + b"\0")
        digest.update(path.read_bytes())
    return digest.hexdigest()


def load_content(directory: Path) -> Content:
    """Read, validate and return the content in ``directory``; raise ContentInvalid with every error."""
    errors: list[ContentError] = []
    directory = Path(directory)

    broken: set[str] = set()  # ids written in the files but invalid: reported once, where written
    sources_path = directory / "sources.yaml"
    documents: dict[str, SourceDocument] = {}
    paragraphs: dict[str, list[Paragraph]] = {}
    covers: dict[str, str] = {}
    if not sources_path.is_file():
        errors.append(ContentError("sources.yaml", "missing"))
    else:
        data = _read_yaml(sources_path, "sources.yaml", errors)
        if data is None:
            broken |= _ids_written(sources_path)
        for raw in _items(data, "documents", "sources.yaml", errors) if data is not None else []:
            try:
                doc = SourceDocument.model_validate(_strip_lines(raw))
            except ValidationError as exc:
                errors.extend(_pydantic_errors(exc, "sources.yaml", raw.get("__line__"), raw.get("id")))
                broken.add(str(raw.get("id")))
                continue
            if doc.id in documents:
                errors.append(ContentError("sources.yaml", "duplicate id", raw.get("__line__"), doc.id))
                continue
            text_path = (directory / doc.file).resolve()
            if not text_path.is_relative_to(directory.resolve()) or not text_path.is_file():
                errors.append(
                    ContentError("sources.yaml", f"document file {doc.file} not found", raw.get("__line__"),
                                 doc.id, "file")
                )
                continue
            text = text_path.read_text(encoding="utf-8")
            documents[doc.id] = doc
            paragraphs[doc.id] = split_paragraphs(text)
            covers[doc.id] = cover_text(text)

    entries: dict[str, Entry] = {}
    lines: dict[str, tuple[str, int | None]] = {}
    entry_files = sorted((directory / "entries").glob("*.yaml")) if (directory / "entries").is_dir() else []
    if not entry_files:
        errors.append(ContentError("entries/", "no entry files (*.yaml)"))
    for path in entry_files:
        rel = f"entries/{path.name}"
        data = _read_yaml(path, rel, errors)
        if data is None:
            broken |= _ids_written(path)
            continue
        for raw in _items(data, "entries", rel, errors):
            _check_text(raw, rel, errors)
            try:
                entry = Entry.model_validate(_strip_lines(raw))
            except ValidationError as exc:
                errors.extend(_pydantic_errors(exc, rel, raw.get("__line__"), raw.get("id")))
                broken.add(str(raw.get("id")))
                continue
            if entry.id in entries:
                first = lines[entry.id]
                errors.append(
                    ContentError(rel, f"duplicate id (first at {first[0]}:{first[1]})", raw.get("__line__"),
                                 entry.id, "id")
                )
                continue
            entries[entry.id] = entry
            lines[entry.id] = (rel, raw.get("__line__"))

    glossary: list[GlossaryTerm] = []
    glossary_path = directory / "glossary.yaml"
    if glossary_path.is_file():
        data = _read_yaml(glossary_path, "glossary.yaml", errors)
        if data is not None:
            try:
                glossary = GlossaryFile.model_validate(_strip_lines(data)).terms
            except ValidationError as exc:
                errors.extend(_pydantic_errors(exc, "glossary.yaml", None, None))

    content = Content(documents, paragraphs, entries, glossary, content_digest(directory), covers)
    errors.extend(_check_references(content, lines, broken))
    if errors:
        raise ContentInvalid(errors)
    return content


def _check_references(
    content: Content, lines: dict[str, tuple[str, int | None]], broken: frozenset[str] | set[str] = frozenset()
) -> Iterable[ContentError]:
    """Related ids must exist; cited paragraphs must exist and contain the key terms.

    Ids in ``broken`` are written but invalid (already reported): references to them are not
    reported again, so one typo gives one error, not one per entry that points to it.
    """
    former: dict[str, str] = {}
    for entry in content.entries.values():
        rel, line = lines[entry.id]
        for old in entry.former_ids:
            if old in content.entries:
                yield ContentError(rel, f"former id '{old}' is the id of another entry", line, entry.id, "former_ids")
            elif old in former:
                yield ContentError(rel, f"former id '{old}' is also listed by '{former[old]}'", line, entry.id,
                                   "former_ids")
            former[old] = entry.id
    for entry in content.entries.values():
        rel, line = lines[entry.id]
        for related in entry.related:
            if related not in content.entries and related not in broken:
                yield ContentError(rel, f"unknown entry '{related}'", line, entry.id, "related")
        for field_name, wanted, kind in _pointers(entry):
            target = content.entries.get(wanted)
            if target is None:
                if wanted not in broken:
                    yield ContentError(rel, f"unknown entry '{wanted}'", line, entry.id, field_name)
            elif target.kind is not kind:
                yield ContentError(rel, f"'{wanted}' is a {target.kind.value}, not a {kind.value}", line, entry.id,
                                   field_name)
        for source in entry.all_sources():
            if source.doc is None:
                continue
            if source.doc not in content.documents:
                if source.doc in broken:
                    continue
                yield ContentError(rel, f"unknown document '{source.doc}'", line, entry.id, "sources.doc")
                continue
            cited = content.cited_text(source.doc, source.para or "")
            if cited is None:
                yield ContentError(
                    rel, f"paragraph {source.para} not found in {source.doc}", line, entry.id, "sources.para"
                )
                continue
            body = squash(cited)
            for term in source.terms:
                if squash(term) not in body:
                    yield ContentError(
                        rel, f"paragraph {source.doc} {source.para} does not contain '{term}'", line,
                        entry.id, "sources.terms",
                    )


def _pointers(entry: Entry) -> Iterable[tuple[str, str, Kind]]:
    """(field, entry id, kind it must be) for every field that names another entry."""
    for officer in entry.officers:
        if officer.person:
            yield "officers.person", officer.person, Kind.PERSON
    for term in entry.terms:
        yield "terms.person", term.person, Kind.PERSON
    if entry.agenda is not None:
        for document in entry.agenda.documents:
            yield "agenda.documents", document, Kind.DOCUMENT
        for item in entry.agenda.items:
            for document in item.documents:
                yield f"agenda.items[{item.number}].documents", document, Kind.DOCUMENT
    if entry.during:
        yield "during", entry.during, Kind.SESSION


def check_directory(directory: Path) -> list[ContentError]:
    """Validate without raising: the list of errors, empty when the content is valid."""
    try:
        load_content(directory)
    except ContentInvalid as exc:
        return exc.errors
    return []
