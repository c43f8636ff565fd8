"""Time CrisisDetector.detect over the crisis test sets: p50/p99 per message, one core.

Run: python bench/bench_crisis.py [--repeat N]
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import yaml

from bot.crisis import CrisisDetector

ROOT = Path(__file__).resolve().parents[1]


def _timings(detector: CrisisDetector, texts: list[str], repeat: int) -> list[float]:
    """Per message, the median of ``repeat`` runs (robust to other processes on a busy box)."""
    out: list[float] = []
    for text in texts:
        runs = []
        for _ in range(repeat):
            start = time.perf_counter()
            detector.detect(text)
            runs.append((time.perf_counter() - start) * 1000)
        out.append(statistics.median(runs))
    return out


def _report(name: str, ms: list[float]) -> None:
    ms = sorted(ms)
    p50 = statistics.median(ms)
    p99 = ms[min(len(ms) - 1, int(len(ms) * 0.99))]
    print(f"{name:<28} n={len(ms):>6}  p50={p50:.3f} ms  p99={p99:.3f} ms  max={ms[-1]:.3f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    start = time.perf_counter()
    detector = CrisisDetector.load()
    print(f"lexicon load: {(time.perf_counter() - start) * 1000:.1f} ms")
    data = ROOT / "tests" / "data"
    cases = yaml.safe_load((data / "crisis_positive.yaml").read_text())["cases"]
    positive = [c["text"] for c in cases]
    negative = list(yaml.safe_load((data / "crisis_negative.yaml").read_text())["cases"])
    heldout = data / "heldout.yaml"
    if heldout.exists():
        ordinary = [c["text"] for c in yaml.safe_load(heldout.read_text())]
        _report("ordinary (heldout.yaml)", _timings(detector, ordinary, args.repeat))
    _report("ordinary (negative set)", _timings(detector, negative, args.repeat))
    _report("crisis (positive set)", _timings(detector, positive, args.repeat))
    long_text = ("i went to my meeting and talked about cravings and sleep tonight " * 160)[:10_000]
    _report("10,000 characters", _timings(detector, [long_text], 20))
    typo = " ".join(["brething", "overdosng", "unresposive", "threatend"] * 400)[:10_000]
    _report("10,000 chars of typos", _timings(detector, [typo], 5))


if __name__ == "__main__":
    main()
