"""Time the crisis check, one core: the lexicon alone, the classifier alone, and both combined
(what every message pays), p50/p99 per message over the crisis test sets and ordinary questions.

Run: python bench/bench_crisis.py [--repeat N]
Prints numbers; asserts nothing (machines are noisy).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from crisis_sets import adjacent, positives  # noqa: E402

from bot.crisis import CrisisDetector  # noqa: E402
from bot.crisis.screen import CrisisScreen  # noqa: E402
from bot.crisis.semantic import CrisisClassifier  # noqa: E402


def _timings(check: Callable[[str], object], texts: list[str], repeat: int) -> list[float]:
    """Per message, the median of ``repeat`` runs (robust to other processes on a busy box)."""
    out: list[float] = []
    for text in texts:
        runs = []
        for _ in range(repeat):
            start = time.perf_counter()
            check(text)
            runs.append((time.perf_counter() - start) * 1000)
        out.append(statistics.median(runs))
    return out


def _report(name: str, ms: list[float]) -> None:
    ms = sorted(ms)
    p50 = statistics.median(ms)
    p99 = ms[min(len(ms) - 1, int(len(ms) * 0.99))]
    print(f"{name:<44} n={len(ms):>5}  p50={p50:.3f} ms  p99={p99:.3f} ms  max={ms[-1]:.3f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    start = time.perf_counter()
    lexicon = CrisisDetector.load()
    print(f"lexicon load: {(time.perf_counter() - start) * 1000:.1f} ms")
    start = time.perf_counter()
    classifier = CrisisClassifier()
    print(
        f"classifier load (with the embedding model): {(time.perf_counter() - start) * 1000:.1f} ms"
    )
    screen = CrisisScreen(lexicon, classifier)
    crisis = [c.text for c in positives("dev") + positives("heldout")]
    calm = [c.text for c in adjacent("dev") + adjacent("heldout")]
    heldout = ROOT / "tests" / "data" / "heldout.yaml"
    ordinary = [c["text"] for c in yaml.safe_load(heldout.read_text(encoding="utf-8"))]
    for name, check in (
        ("lexicon", lexicon.detect),
        ("classifier", classifier.read),
        ("both (the crisis check)", screen.check),
    ):
        _report(f"{name}: crisis messages", _timings(check, crisis, args.repeat))
        _report(f"{name}: messages next to a crisis", _timings(check, calm, args.repeat))
        _report(f"{name}: ordinary questions", _timings(check, ordinary, args.repeat))
    long_text = ("i went to my meeting and talked about cravings and sleep tonight " * 160)[:10_000]
    _report("both: 10,000 characters", _timings(screen.check, [long_text], 5))
    typo = " ".join(["brething", "overdosng", "unresposive", "threatend"] * 400)[:10_000]
    _report("both: 10,000 characters of typos", _timings(screen.check, [typo], 3))


if __name__ == "__main__":
    main()
