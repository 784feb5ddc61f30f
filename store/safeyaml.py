"""Load content YAML within bounds: no aliases, no duplicate keys, and a node, depth and time budget.

Content needs no anchors or aliases, and refusing them closes the "billion laughs" bomb, where a
few hundred bytes of aliases to aliases expand to gigabytes when constructed. The document is
first composed into nodes (an alias is then the same node object seen twice, so composing stays
as small as the text), checked in one pass over the nodes, and only then turned into Python data.
A key written twice in one mapping is refused with its name, instead of the last one silently
winning.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

MAX_NODES = 100_000  # the bundled content has about 2,000 in its largest file
MAX_DEPTH = 40
TIME_BUDGET = 10.0  # seconds to compose, check and construct one file
_CHECK_EVERY = 2048
STR, MAP, SEQ = "tag:yaml.org,2002:str", "tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"
#: Scalars content may hold, each only where the plain value itself means it (``5``, ``true``).
PLAIN = frozenset({STR} | {f"tag:yaml.org,2002:{name}" for name in ("int", "float", "bool", "null")})


class YamlRefused(yaml.MarkedYAMLError):
    """YAML that parses but that content may not contain; ``problem`` says why in plain words."""


def _line(node: Node) -> int:
    return node.start_mark.line + 1


def _tag_problem(node: Node, resolve: Callable[..., str] | None) -> str | None:
    """Content writes plain values; an explicit tag (``!!int abc``, ``!!binary``) is refused."""
    expected = MAP if isinstance(node, MappingNode) else SEQ if isinstance(node, SequenceNode) else None
    if expected is not None:
        return None if node.tag == expected else f"the tag {node.tag} is not allowed here"
    if node.tag == STR:
        return None
    if node.tag == "tag:yaml.org,2002:merge":
        return "merge keys (<<) are not allowed: write the values out"
    if node.tag not in PLAIN or (resolve is not None and resolve(ScalarNode, node.value, (True, False)) != node.tag):
        return f"tags such as {node.tag.replace('tag:yaml.org,2002:', '!!')} are not allowed: write the plain value"
    return None


def check_nodes(root: Node, *, deadline: float, max_nodes: int = MAX_NODES, max_depth: int = MAX_DEPTH,
                resolve: Callable[..., str] | None = None) -> None:
    """Refuse aliases, duplicate keys, explicit tags, too many nodes, too deep nesting, or running past
    ``deadline``; ``resolve`` is the loader's implicit tag resolver (to tell a written tag)."""
    seen: set[int] = set()
    stack: list[tuple[Node, int]] = [(root, 1)]
    while stack:
        node, depth = stack.pop()
        if id(node) in seen:
            raise YamlRefused(None, None, f"anchors and aliases (&name, *name) are not allowed: the value at line "
                              f"{_line(node)} is used twice; write it out", node.start_mark)
        seen.add(id(node))
        if len(seen) > max_nodes:
            raise YamlRefused(None, None, f"more than {max_nodes} values in one file", node.start_mark)
        if depth > max_depth:
            raise YamlRefused(None, None, f"nested more than {max_depth} levels deep", node.start_mark)
        if len(seen) % _CHECK_EVERY == 0 and time.monotonic() > deadline:
            raise YamlRefused(None, None, "the file takes too long to read", node.start_mark)
        problem = _tag_problem(node, resolve)
        if problem:
            raise YamlRefused(None, None, problem, node.start_mark)
        if isinstance(node, MappingNode):
            keys: dict[str, int] = {}
            for key, value in node.value:
                if isinstance(key, ScalarNode):
                    if key.value in keys:
                        raise YamlRefused(None, None, f"duplicate key '{key.value[:60]}' (first at line "
                                          f"{keys[key.value]})", key.start_mark)
                    keys[key.value] = _line(key)
                stack.append((key, depth + 1))
                stack.append((value, depth + 1))
        elif isinstance(node, SequenceNode):
            stack.extend((item, depth + 1) for item in node.value)


def load(text: str, loader_class: type, *, time_budget: float = TIME_BUDGET) -> Any:
    """Parse one YAML document with ``loader_class`` (a SafeLoader) after checking its nodes.

    Raises ``YamlRefused`` for what content may not contain and ``yaml.YAMLError`` for malformed
    YAML. The loader may read ``deadline`` (a ``time.monotonic()`` value) to stop construction.
    """
    deadline = time.monotonic() + time_budget
    loader = loader_class(text)
    loader.deadline = deadline
    try:
        root = loader.get_single_node()
        if root is None:
            return None
        check_nodes(root, deadline=deadline, resolve=loader.resolve)
        try:
            return loader.construct_document(root)
        except (ValueError, TypeError, AttributeError, KeyError, OverflowError) as exc:
            # PyYAML's own constructors fail this way on a few plain values (0b_, ._)
            raise YamlRefused(None, None, f"a value could not be read ({exc})", root.start_mark) from None
    finally:
        loader.dispose()
