"""Benchmark identifier resolution, cold start and memory. Prints figures; asserts nothing.

    .venv/bin/python bench/lookup.py

Targets (issue 2): exact p99 ≤ 50 µs, fuzzy fallback p99 ≤ 2 ms, cold start ≤ 2 s, RSS ≤ 150 MB.
"""

from __future__ import annotations

import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.app import build  # noqa: E402
from bot.kernel.clock import SystemClock  # noqa: E402
from bot.settings import Settings  # noqa: E402
from store.catalog import Found  # noqa: E402
from store.normalize import compact, fold, parse_identifier  # noqa: E402


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def misspell(text: str, rng: random.Random) -> str:
    """One typo: drop, double or swap a character."""
    if len(text) < 4:
        return text + text[-1]
    i = rng.randrange(1, len(text) - 1)
    return rng.choice([text[:i] + text[i + 1 :], text[:i] + text[i] + text[i:], text[:i - 1] + text[i] + text[i - 1] + text[i + 1 :]])


def timed(fn, inputs: list[str], repeat: int) -> list[float]:  # type: ignore[no-untyped-def]
    samples = []
    for _ in range(repeat):
        for text in inputs:
            start = time.perf_counter_ns()
            fn(text)
            samples.append((time.perf_counter_ns() - start) / 1000)
    return samples


def report(name: str, samples: list[float]) -> None:
    print(f"{name:<34} n={len(samples):>6}  p50={statistics.median(samples):8.1f} µs  p99={percentile(samples, 0.99):8.1f} µs")


def main() -> None:
    workdir = Path(tempfile.mkdtemp(prefix="bench-lookup-"))
    url = f"sqlite:///{workdir / 'bench.db'}"
    settings = Settings(_env_file=None, database_url=url, content_dir=ROOT / "content")  # type: ignore[call-arg]
    started = time.perf_counter()
    services = build(settings, SystemClock())
    print(f"first start (validate + load content into a new database): {time.perf_counter() - started:.2f} s")
    catalog = services.content.catalog
    aliases = sorted({a for written in catalog.aliases.values() for a in written})
    numbers = [f"/{'resolution' if e.kind == 'resolution' else 'decision'} {e.number}" for e in catalog.entries.values() if e.number]
    exact = aliases + [n.split(" ", 1)[1] for n in numbers]
    rng = random.Random(7)
    owner = {a: entry_id for entry_id, written in catalog.aliases.items() for a in written}
    typo_pairs = [(misspell(a, rng), owner[a]) for a in aliases if len(a) >= 5]
    typos = [typo for typo, _owner in typo_pairs]
    misses = [t for t in typos if not isinstance(catalog.resolve(t), Found) or catalog.resolve(t).fuzzy]  # type: ignore[union-attr]

    fold.cache_clear()
    compact.cache_clear()
    parse_identifier.cache_clear()
    report("normaliser (fold, uncached)", timed(lambda t: (fold.cache_clear(), fold(t)), exact, 3))
    report("exact identifiers (resolve)", timed(catalog.resolve, exact, 20))
    report("misspellings (fuzzy fallback)", timed(catalog.resolve, misses, 5))
    resolved = sum(1 for t in exact if isinstance(catalog.resolve(t), Found))
    print(f"exact identifiers resolved to one entry: {resolved}/{len(exact)} (others are shared names, answered with choices)")
    right = sum(
        1 for typo, entry_id in typo_pairs
        if (r := catalog.resolve(typo)) and (
            (isinstance(r, Found) and r.entry.id == entry_id)
            or entry_id in {e.id for e in getattr(r, "suggestions", ()) + getattr(r, "entries", ())}
        )
    )
    print(f"misspelt aliases answered with the right entry or offering it: {right}/{len(typo_pairs)}")
    print(f"aliases: {len(aliases)}, entries: {len(catalog.entries)}, misspellings that needed fuzzy: {len(misses)}")
    services.close()

    env = dict(os.environ, DATABASE_URL=url, CONTENT_DIR=str(ROOT / "content"), TELEGRAM_BOT_TOKEN="")
    runs = []
    for _ in range(5):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "bot", "ask", "/session HA.2"], cwd=ROOT, env=env,
                       check=True, capture_output=True)
        runs.append(time.perf_counter() - start)
    print(f"cold start to first answer (python -m bot ask, unchanged content): median {statistics.median(runs):.2f} s, max {max(runs):.2f} s")
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS of this process (catalog loaded, all lookups done): {rss:.0f} MB")


if __name__ == "__main__":
    main()
