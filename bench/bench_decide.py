"""decide() latency and start-up cost. Prints numbers; asserts nothing (machines are noisy).

    python bench/bench_decide.py [--messages 10000]

1. Start-up: time to a ready Engine (catalog, matcher, crisis lexicon, help lines).
2. decide() p50/p99 over >= 10,000 messages on the real catalog: the held-out and crisis sets,
   each message also with typos, capitals and padding, cycled to the count.
3. The same on a synthetic catalog of 500 intents x 20 examples.
4. Peak memory (tracemalloc) of loading and deciding.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.decision import Context  # noqa: E402
from bot.evaluation import load_cases  # noqa: E402
from bot.understanding.engine import Engine  # noqa: E402
from bot.understanding.lexical import Matcher  # noqa: E402


def _crisis_set(name: str) -> list[str]:
    data = yaml.safe_load((ROOT / "tests" / "data" / f"{name}.yaml").read_text())
    return [c["text"] if isinstance(c, dict) else str(c) for c in data["cases"]]


def messages(count: int, rng: random.Random) -> list[str]:
    base = [c.text for c in load_cases(ROOT / "tests" / "data" / "heldout.yaml")]
    base += _crisis_set("crisis_positive") + _crisis_set("crisis_negative")
    variants: list[str] = []
    for text in base:
        variants.append(text)
        variants.append(text.upper())
        chars = list(text)
        if len(chars) > 4:
            i = rng.randrange(len(chars) - 1)
            chars[i], chars[i + 1] = chars[i + 1], chars[i]
        variants.append("".join(chars) + " pls ??")
    return [variants[i % len(variants)] for i in range(count)]


def timed(fn: Callable[[str], object], texts: list[str]) -> tuple[float, float, float]:
    for text in texts[:200]:
        fn(text)  # warm caches, as a running bot would have
    samples = []
    for text in texts:
        start = time.perf_counter_ns()
        fn(text)
        samples.append((time.perf_counter_ns() - start) / 1e6)
    samples.sort()
    return (
        statistics.median(samples),
        samples[int(0.99 * (len(samples) - 1))],
        samples[-1],
    )


def synthetic_matcher(rng: random.Random) -> tuple[Matcher, list[str]]:
    words = [f"w{n}" for n in range(3000)] + "opioid brain craving dose help sleep".split()
    examples = {
        f"intent_{i}": [" ".join(rng.choices(words, k=rng.randint(3, 9))) for _ in range(20)]
        for i in range(500)
    }
    queries = [" ".join(rng.choices(words, k=rng.randint(2, 10))) for _ in range(10_000)]
    return Matcher(examples, {}, {}), queries


def _rss_mib() -> float:
    """This process's resident memory now, from /proc (Linux); 0 elsewhere."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=10_000)
    args = parser.parse_args()
    rng = random.Random(7)

    rss_before = _rss_mib()
    start = time.perf_counter()
    engine = Engine.load()
    startup = time.perf_counter() - start
    rss_engine = _rss_mib() - rss_before
    tracemalloc.start()
    Engine.load()  # again, traced: Python-level peak while loading (tracing slows it down)
    _, peak_load = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(
        f"start-up to a ready engine: {startup * 1000:.0f} ms "
        f"({len(engine.catalog.intents)} intents, "
        f"{sum(len(i.examples) for i in engine.catalog.intents.values())} examples)"
    )
    print(f"peak memory while loading: {peak_load / 2**20:.1f} MiB (Python objects)")
    print(f"resident memory the engine adds: {rss_engine:.1f} MiB (model, classifiers, catalog)")

    texts = messages(args.messages, rng)
    context = Context(country="US")
    p50, p99, worst = timed(lambda t: engine.decide(t, context), texts)
    print(
        f"decide(), real catalog, {len(texts)} messages: "
        f"p50 {p50:.3f} ms  p99 {p99:.3f} ms  max {worst:.2f} ms"
    )

    long_text = "i keep thinking about my tolerance and what to do " * 200
    p50, p99, worst = timed(lambda t: engine.decide(t, context), [long_text] * 200)
    print(f"decide(), 10,000-character message: p50 {p50:.2f} ms  max {worst:.2f} ms")

    start = time.perf_counter()
    matcher, queries = synthetic_matcher(rng)
    built = time.perf_counter() - start
    p50, p99, worst = timed(matcher.analyse, queries)
    print(
        f"synthetic catalog 500 intents x 20 examples: built in {built * 1000:.0f} ms; "
        f"ranking p50 {p50:.3f} ms  p99 {p99:.3f} ms  max {worst:.2f} ms"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
