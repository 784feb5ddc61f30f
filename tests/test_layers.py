"""The house rules of the layout: imports run one way (entry points → handlers → features → kernel →
store), features do not reach into each other, there is no import cycle, and no import hides
inside a function (breakage shows at start-up, not on the first request that needs it)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("bot", "handlers", "reminders", "store")

#: Highest first. A module may import its own layer or a lower one, never a higher one.
ENTRY, HANDLERS, FEATURES, KERNEL, STORE = 4, 3, 2, 1, 0
ENTRY_POINTS = {"bot.app", "bot.__main__", "bot.console", "bot.maintenance", "bot.settings", "reminders.worker"}
FEATURE_PACKAGES = ("bot.lookup", "bot.search", "bot.admin", "reminders")
#: What one feature may use of another: only its stored records (for counts in /stats).
SHARED_RECORDS = {"reminders.models"}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def layer(module: str) -> int:
    if module in ENTRY_POINTS:
        return ENTRY
    if module.startswith("handlers"):
        return HANDLERS
    if module.startswith("bot.kernel"):
        return KERNEL
    if module.startswith("store"):
        return STORE
    if module.startswith(FEATURE_PACKAGES) or module in ("bot", "reminders"):
        return FEATURES
    raise AssertionError(f"{module} belongs to no layer: add it to tests/test_layers.py")


def feature_of(module: str) -> str | None:
    return next((p for p in FEATURE_PACKAGES if module == p or module.startswith(p + ".")), None)


def project_modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            found[module_name(path)] = path
    return found


MODULES = project_modules()


def imports_of(path: Path) -> list[tuple[str, int, bool]]:
    """(imported project module, line, at module level) for every import in the file."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    top_level = {id(node) for node in tree.body}
    for node in tree.body:  # `if TYPE_CHECKING:` blocks count as module level
        if isinstance(node, ast.If):
            top_level |= {id(child) for child in node.body}
    found = []
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
        for name in names:
            if name in MODULES:
                found.append((name, node.lineno, id(node) in top_level))
    return found


GRAPH = {module: sorted({name for name, _line, _top in imports_of(path)} - {module}) for module, path in MODULES.items()}


@pytest.mark.parametrize("module", sorted(MODULES))
def test_imports_run_one_way(module: str) -> None:
    own = layer(module)
    upward = [f"{name} (line {line})" for name, line, _top in imports_of(MODULES[module]) if layer(name) > own]
    assert not upward, f"{module} (layer {own}) imports a higher layer: {upward}"


@pytest.mark.parametrize("module", sorted(m for m in MODULES if feature_of(m)))
def test_features_do_not_reach_into_each_other(module: str) -> None:
    mine = feature_of(module)
    others = [name for name, _line, _top in imports_of(MODULES[module])
              if feature_of(name) not in (None, mine) and name not in SHARED_RECORDS]
    assert not others, f"{module} imports another feature: {others}"


@pytest.mark.parametrize("module", sorted(MODULES))
def test_no_import_hides_inside_a_function(module: str) -> None:
    hidden = [f"{name} (line {line})" for name, line, top in imports_of(MODULES[module]) if not top]
    assert not hidden, f"{module} imports inside a function: {hidden}"


def test_there_is_no_import_cycle() -> None:
    """Tarjan's strongly connected components over the project's import graph."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in GRAPH.get(node, []):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for module in sorted(GRAPH):
        if module not in index:
            visit(module)
    assert cycles == [], f"import cycles: {cycles}"


def test_the_rules_can_fail() -> None:
    """A backward import is seen: the kernel importing a handler would be refused."""
    assert layer("bot.kernel.router") < layer("handlers.lookup")
    assert layer("store.catalog") < layer("bot.kernel.cards") < layer("bot.search.area") < layer("handlers.inline")
    assert feature_of("reminders.area") != feature_of("bot.admin.area")
