"""The names an entry can be found by, generated from its fields plus the aliases its author listed."""

from __future__ import annotations

import re
from collections.abc import Iterator

from store.normalize import compact
from store.schema import Entry, Kind

_UN_PREFIX = re.compile(r"^(联合国|united nations |un )", re.IGNORECASE)


def entry_aliases(entry: Entry) -> Iterator[tuple[str, str]]:
    """Yield (alias as written, exact-match key) pairs; keys are unique per entry."""
    seen: set[str] = set()
    written: list[str] = [entry.id, *entry.former_ids, *entry.aliases]
    for name in (entry.names.zh, entry.names.en):
        if name:
            written.append(name)
            # "第 2/7 号决议：人人享有适当住房" is also found by its title alone.
            for part in re.split(r"[：:]", name, maxsplit=1)[1:]:
                written.append(part)
            written.append(_UN_PREFIX.sub("", name))
    if entry.symbol:
        written.append(entry.symbol)
        written.append(re.sub(r"^HSP/", "", entry.symbol))
    if entry.kind is Kind.DOCUMENT and entry.id.startswith("doc-"):
        written.append(entry.id.removeprefix("doc-"))
    for alias in written:
        key = compact(alias)
        if key and key not in seen:
            seen.add(key)
            yield alias, key
