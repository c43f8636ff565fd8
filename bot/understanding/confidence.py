"""How sure the bot is about its best match: two small logistic models over the ranking.

* ``in_scope``: the message is about a catalog topic at all (else: fallback);
* ``correct``: the best intent is the right one (else: offer suggestions, don't answer).

The weights are fitted by ``tools/calibrate.py`` on cross-validated rankings of the catalog's
own examples and out-of-scope examples (never on the evaluation sets), and pasted below. Refit
after large content changes; the tool prints this block.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from bot.understanding.lexical import Match

OUT_OF_SCOPE = "out_of_scope"
"""The matcher's name for "closest to the off-topic examples": always a fallback."""

FEATURES = (
    "bias",
    "score",
    "runner_up_ratio",
    "coverage",
    "nearest",
    "known",
    "log_terms",
    "off_topic_ratio",
    "lead",
    "coverage_agrees",
    "nearest_agrees",
    "both_agree",
)

# fmt: off
CORRECT_WEIGHTS = (
    -0.830, 0.942, -2.304, 1.577, 0.423, 0.583, 0.742, -0.527, 1.316, 0.177, -0.152, 0.716,
)
IN_SCOPE_WEIGHTS = (
    -0.636, 1.022, -0.525, 1.565, 0.577, 1.568, 0.948, -1.374, 0.339, -0.346, -0.176, 0.218,
)
# fmt: on


def features(ranked: Sequence[Match], n_terms: int) -> tuple[float, ...]:
    """The model inputs for a ranking (best first) of a message with ``n_terms`` content words."""
    best = ranked[0]
    runner_up = ranked[1].score if len(ranked) > 1 else 0.0
    off_topic = next((m.score for m in ranked if m.intent == OUT_OF_SCOPE), 0.0)
    top = max(best.score, 1e-9)
    by_coverage = max(ranked, key=lambda m: m.coverage).intent == best.intent
    by_nearest = max(ranked, key=lambda m: m.nearest).intent == best.intent
    return (
        1.0,
        best.score / 100.0,
        runner_up / top,
        best.coverage,
        best.nearest,
        best.known,
        math.log1p(n_terms),
        off_topic / top,
        (best.score - runner_up) / 100.0,
        float(by_coverage),
        float(by_nearest),
        float(by_coverage and by_nearest),
    )


def _logistic(weights: Sequence[float], x: Sequence[float]) -> float:
    z = sum(w * v for w, v in zip(weights, x, strict=True))
    if z < -30.0:
        return 0.0
    return 1.0 / (1.0 + math.exp(-z))


@dataclass(frozen=True)
class Confidence:
    in_scope: float
    correct: float


def confidence(
    ranked: Sequence[Match],
    n_terms: int,
    correct_weights: Sequence[float] = CORRECT_WEIGHTS,
    in_scope_weights: Sequence[float] = IN_SCOPE_WEIGHTS,
) -> Confidence:
    """Probabilities that the message is on-topic and that the best intent is right."""
    if not ranked:
        return Confidence(0.0, 0.0)
    x = features(ranked, n_terms)
    return Confidence(_logistic(in_scope_weights, x), _logistic(correct_weights, x))
