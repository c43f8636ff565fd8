"""Refit the confidence models of ``bot/understanding/confidence.py`` from the catalog itself.

    python tools/calibrate.py

Five-fold cross-validation over the intents' examples and the out-of-scope examples: each
fold's examples are ranked by a matcher built without them, which is how the bot meets a
message it has never seen. Two logistic regressions are fitted on those rankings ("is the best
intent right?", "is the message on a catalog topic?") and printed as the block to paste into
``bot/understanding/confidence.py``. The evaluation sets (tests/data, shared/eval) are never
read here.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.catalog import Catalog
from bot.understanding.confidence import OUT_OF_SCOPE, features
from bot.understanding.lexical import Matcher

FOLDS = 5


def _matcher(catalog: Catalog, fold: int | None) -> Matcher:
    def keep(k: int) -> bool:
        return fold is None or k % FOLDS != fold

    examples: dict[str, Sequence[str]] = {
        i.id: [e for k, e in enumerate(i.examples) if keep(k)] for i in catalog.intents.values()
    }
    examples[OUT_OF_SCOPE] = [e for k, e in enumerate(catalog.out_of_scope) if keep(k)]
    keywords = {i.id: (*i.keywords, i.title) for i in catalog.intents.values()}
    return Matcher(examples, keywords, catalog.synonyms)


def rows(catalog: Catalog) -> list[tuple[tuple[float, ...], bool, bool]]:
    """(features, best intent is right, message is on-topic) for every held-out example."""
    out: list[tuple[tuple[float, ...], bool, bool]] = []
    for fold in range(FOLDS):
        matcher = _matcher(catalog, fold)
        held: list[tuple[str, str]] = []
        for intent in catalog.intents.values():
            held += [(intent.id, e) for k, e in enumerate(intent.examples) if k % FOLDS == fold]
        held += [(OUT_OF_SCOPE, e) for k, e in enumerate(catalog.out_of_scope) if k % FOLDS == fold]
        for expected, text in held:
            ranking = matcher.analyse(text)
            if not ranking.matches or ranking.matches[0].intent == OUT_OF_SCOPE:
                continue  # already a fallback: the models never see these
            best = ranking.matches[0].intent
            on_topic = expected != OUT_OF_SCOPE
            out.append((features(ranking.matches, ranking.n_terms), best == expected, on_topic))
    return out


def fit(xs: Sequence[Sequence[float]], ys: Sequence[bool], epochs: int = 400) -> list[float]:
    """Logistic regression by full-batch gradient descent with a little L2."""
    weights = [0.0] * len(xs[0])
    rate, l2 = 0.5, 1e-4
    for _ in range(epochs):
        grad = [0.0] * len(weights)
        for x, y in zip(xs, ys, strict=True):
            z = sum(w * v for w, v in zip(weights, x, strict=True))
            p = 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))
            for j, v in enumerate(x):
                grad[j] += (p - float(y)) * v
        for j in range(len(weights)):
            weights[j] -= rate * grad[j] / len(xs) + l2 * weights[j]
    return weights


def main() -> int:
    catalog = Catalog.load()
    data = rows(catalog)
    xs = [r[0] for r in data]
    correct = fit(xs, [r[1] for r in data])
    in_scope = fit(xs, [r[2] for r in data])
    right = sum(r[1] for r in data) / len(data)
    print(f"# {len(data)} cross-validated rankings; best intent right in {right:.1%}")
    print("# fmt: off")
    print("CORRECT_WEIGHTS = (\n    " + ", ".join(f"{w:.3f}" for w in correct) + ",\n)")
    print("IN_SCOPE_WEIGHTS = (\n    " + ", ".join(f"{w:.3f}" for w in in_scope) + ",\n)")
    print("# fmt: on")
    return 0


if __name__ == "__main__":
    sys.exit(main())
