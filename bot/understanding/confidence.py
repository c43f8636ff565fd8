"""How sure the bot is about its best match: two small logistic models over the ranking.

* ``in_scope``: the message is about a catalog topic at all (else: fallback);
* ``correct``: the best intent is the right one (else: offer suggestions, don't answer).

Both read the fused ranking (``bot.understanding.fusion``): the scores of the words and of the
meaning, and how far the two agree. The weights are fitted by ``tools/calibrate.py`` on
cross-validated rankings of the catalog's own examples and out-of-scope examples, and on the
calibration parts of the realistic question sets (never on held-out or shared sets), and pasted
below. Refit after content changes; the tool prints this block.
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
    "lead",
    "lexical",
    "lexical_lead",
    "semantic",
    "semantic_lead",
    "coverage",
    "nearest",
    "known",
    "log_terms",
    "off_topic_ratio",
    "off_topic_semantic",
    "lexical_agrees",
    "semantic_agrees",
    "classifier",
    "classifier_lead",
    "classifier_agrees",
    "other_substance_only",
)

# fmt: off
CORRECT_WEIGHTS = (
    -0.528, 0.504, -1.555, 1.020, 0.198, 1.272, 0.040, 0.183,
    0.324, 0.095, 0.091, 0.522, -0.634, 0.127, 0.356, -0.092,
    1.275, 1.892, 0.057, -1.657,
)
IN_SCOPE_WEIGHTS = (
    -0.426, 0.555, -0.061, 0.193, 0.435, 0.196, 0.326, -0.033,
    0.704, 0.214, 0.590, 1.231, -2.186, -1.065, 0.039, -0.239,
    0.903, 0.424, 0.617, -2.121,
)
# fmt: on


def features(
    ranked: Sequence[Match], n_terms: int, other_substance: bool = False
) -> tuple[float, ...]:
    """The model inputs for a fused ranking (best first) of a message with ``n_terms`` words;
    ``other_substance``: it names another substance and no opioid
    (``bot.understanding.substances``)."""
    best = ranked[0]
    others = [m for m in ranked[1:] if m.intent != OUT_OF_SCOPE]
    runner_up = others[0].score if others else 0.0
    off_topic = next((m for m in ranked if m.intent == OUT_OF_SCOPE), None)
    top = max(best.score, 1e-9)
    lexical_runner_up = max((m.lexical for m in others), default=0.0)
    semantic_runner_up = max((m.semantic for m in others), default=0.0)
    return (
        1.0,
        best.score / 100.0,
        runner_up / top,
        (best.score - runner_up) / 100.0,
        best.lexical / 100.0,
        (best.lexical - lexical_runner_up) / 100.0,
        best.semantic,
        best.semantic - semantic_runner_up,
        best.coverage,
        best.nearest,
        best.known,
        math.log1p(n_terms),
        (off_topic.score / top) if off_topic else 0.0,
        (off_topic.semantic - best.semantic) if off_topic else -1.0,
        float(best.lexical >= max((m.lexical for m in ranked), default=0.0)),
        float(best.semantic >= max((m.semantic for m in ranked), default=0.0)),
        best.classifier,
        best.classifier - max((m.classifier for m in others), default=0.0),
        float(best.classifier >= max((m.classifier for m in ranked), default=0.0)),
        float(other_substance),
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
    other_substance: bool = False,
    correct_weights: Sequence[float] = CORRECT_WEIGHTS,
    in_scope_weights: Sequence[float] = IN_SCOPE_WEIGHTS,
) -> Confidence:
    """Probabilities that the message is on-topic and that the best intent is right."""
    if not ranked:
        return Confidence(0.0, 0.0)
    x = features(ranked, n_terms, other_substance)
    return Confidence(_logistic(in_scope_weights, x), _logistic(correct_weights, x))
