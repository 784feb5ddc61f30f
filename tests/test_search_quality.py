"""Search quality on labelled delegate queries: hit@1 and hit@3 are printed and held to targets.

The queries (``tests/search_queries.yaml``) are phrased as delegates ask them — Chinese, English,
mixed, misspelt, full-width, traditional — and include the ones the bot once got wrong, so the
figures measure something. They run through the real search area on the real content.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import yaml

from bot.search.area import area_of
from bot.services import Services
from store.search import Hit

QUERIES = Path(__file__).with_name("search_queries.yaml")
HIT1_TARGET = 0.85
HIT3_TARGET = 0.95


def answer_key(hit: Hit) -> str:
    return hit.entry_id if hit.entry_id else f"{hit.doc}#{hit.number}"


def report(request: pytest.FixtureRequest, capsys: pytest.CaptureFixture[str], lines: list[str]) -> None:
    """Show the figures whatever ``-s`` says: on the terminal reporter, and on stdout uncaptured."""
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    with capsys.disabled():
        for line in lines:
            if reporter is not None:
                reporter.write_line(line)
            else:  # pragma: no cover - pytest always has a terminal reporter unless -p no:terminal
                sys.stdout.write(line + "\n")


def test_labelled_queries_meet_hit_at_1_and_hit_at_3(
    services: Services, request: pytest.FixtureRequest, capsys: pytest.CaptureFixture[str]
) -> None:
    area = area_of(services.core)
    assert area is not None, "search is installed by install_areas"
    cases = yaml.safe_load(QUERIES.read_text(encoding="utf-8"))["queries"]
    assert len(cases) >= 80
    at1 = at3 = 0
    misses: list[str] = []
    by_tag: dict[str, list[int]] = {}
    for case in cases:
        _index, results = area.search(case["q"])
        got = [answer_key(h) for h in results.hits[:3]]
        wanted = set(case["expect"])
        first = bool(got) and got[0] in wanted
        top3 = bool(wanted & set(got))
        at1 += first
        at3 += top3
        by_tag.setdefault(case.get("tag", "-"), [0, 0, 0])
        by_tag[case.get("tag", "-")][0] += 1
        by_tag[case.get("tag", "-")][1] += first
        by_tag[case.get("tag", "-")][2] += top3
        if not first:
            misses.append(f"  {'miss@3' if not top3 else 'miss@1'}: {case['q']!r} → {got} (want {case['expect']})")
    n = len(cases)
    lines = [f"search quality: {n} queries, hit@1 = {at1 / n:.3f}, hit@3 = {at3 / n:.3f}"]
    lines += [f"  {tag:<12} n={t[0]:<3} hit@1={t[1] / t[0]:.2f} hit@3={t[2] / t[0]:.2f}" for tag, t in sorted(by_tag.items())]
    lines += misses
    report(request, capsys, lines)
    assert at3 / n >= HIT3_TARGET, "\n".join(lines)
    assert at1 / n >= HIT1_TARGET, "\n".join(lines)
