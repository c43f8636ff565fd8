"""Refit the confidence models of ``bot/understanding/confidence.py``.

    python tools/calibrate.py [--write]      # needs the 'train' extra (scikit-learn, scipy)

Every row is ranked the way the bot ranks a message it has never seen: five-fold
cross-validation in which each fold's messages are ranked by rankers built without them (the
lexical matcher, the semantic ranker and the intent classifier, refitted per fold). The
messages are the intents' examples, the out-of-scope examples, and the calibration parts of
the realistic question sets (``tests/data/real_style/*_calib.yaml``: longer, messier, indirect
questions, the way people really ask), the latter weighted ``REALISTIC_WEIGHT`` times because
that is the traffic the bot meets.

Two logistic regressions are fitted ("is the best intent right?", "is the message on a catalog
topic?") and printed as the block for ``bot/understanding/confidence.py`` (``--write`` puts it
there). Held-out sets (``*_heldout.yaml``, ``tests/data/heldout.yaml``) and ``shared/eval`` are
never read here.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tools")]

import numpy as np  # noqa: E402
from train_classifiers import (  # noqa: E402
    REALISTIC_CLASSIFIER_WEIGHT,
    Examples,
    intent_arrays,
    realistic_calibration,
)

from bot.catalog import Catalog  # noqa: E402
from bot.understanding.confidence import OUT_OF_SCOPE, features  # noqa: E402
from bot.understanding.embedding import shared_embedder  # noqa: E402
from bot.understanding.linear import LinearTextModel  # noqa: E402
from bot.understanding.message import Message  # noqa: E402
from bot.understanding.rankers import Rankers  # noqa: E402

FOLDS = 5
REALISTIC_WEIGHT = 3.0
Row = tuple[tuple[float, ...], bool, bool, float]


class FoldRankers:
    """The three rankers, built from one fold's training part."""

    def __init__(
        self, catalog: Catalog, examples: dict[str, list[str]], realistic: list[tuple[str, str]]
    ) -> None:
        keywords = {i.id: (*i.keywords, i.title) for i in catalog.intents.values()}
        train = Examples()
        for intent, phrases in examples.items():
            train.add(phrases, intent)
        for text, label in realistic:
            train.add([text], label, REALISTIC_CLASSIFIER_WEIGHT)
        arrays = intent_arrays(catalog, train, dict(examples))
        embedder = shared_embedder()
        self.rankers = Rankers(
            examples,
            keywords,
            catalog.synonyms,
            embedder,
            LinearTextModel.from_arrays(arrays, embedder),
            arrays["example_vectors"],
        )

    def row(self, text: str, expected: Sequence[str], weight: float) -> Row | None:
        ranking = self.rankers.rank(Message.read(text, self.rankers.embedder))
        if not ranking.matches or ranking.matches[0].intent == OUT_OF_SCOPE:
            return None  # already a fallback: the models never see these
        best = ranking.matches[0].intent
        on_topic = OUT_OF_SCOPE not in expected
        x = features(ranking.matches, ranking.n_terms, self.rankers.other_substance_only(ranking))
        return x, best in expected, on_topic, weight


def rows(catalog: Catalog) -> list[Row]:
    """Features and labels for every cross-validated example and realistic question."""
    known = set(catalog.intents) | {OUT_OF_SCOPE}
    realistic = [(text, expect) for text, expect in realistic_calibration() if set(expect) & known]
    all_examples = {i.id: list(i.examples) for i in catalog.intents.values()}
    all_examples[OUT_OF_SCOPE] = list(catalog.out_of_scope)
    out: list[Row] = []
    for fold in range(FOLDS):
        print(f"fold {fold + 1} of {FOLDS}", file=sys.stderr)
        train = {
            i: [e for k, e in enumerate(ex) if k % FOLDS != fold] for i, ex in all_examples.items()
        }
        train_real = [
            (t, next(e for e in exp if e in known))
            for k, (t, exp) in enumerate(realistic)
            if k % FOLDS != fold
        ]
        rankers = FoldRankers(catalog, train, train_real)
        for intent, ex in all_examples.items():
            for k, text in enumerate(ex):
                if k % FOLDS == fold and (row := rankers.row(text, [intent], 1.0)) is not None:
                    out.append(row)
        for k, (text, expect) in enumerate(realistic):
            if k % FOLDS == fold and (row := rankers.row(text, expect, REALISTIC_WEIGHT)):
                out.append(row)
    return out


def fit(
    xs: Sequence[Sequence[float]], ys: Sequence[bool], ws: Sequence[float], epochs: int = 3000
) -> list[float]:
    """Weighted logistic regression by full-batch gradient descent with a little L2."""
    x = np.asarray(xs, dtype=np.float64)
    y = np.asarray(ys, dtype=np.float64)
    w = np.asarray(ws, dtype=np.float64) / float(np.mean(ws))
    beta = np.zeros(x.shape[1])
    rate, l2 = 0.5, 1e-4
    for _ in range(epochs):
        p = 1.0 / (1.0 + np.exp(-np.clip(x @ beta, -30, 30)))
        grad = x.T @ ((p - y) * w) / len(y)
        beta -= rate * grad + l2 * beta
    return [float(b) for b in beta]


def main() -> int:
    catalog = Catalog.load()
    data = rows(catalog)
    xs = [r[0] for r in data]
    ws = [r[3] for r in data]
    correct = fit(xs, [r[1] for r in data], ws)
    in_scope = fit(xs, [r[2] for r in data], ws)
    right = sum(r[1] for r in data) / len(data)
    print(
        f"# {len(data)} rankings (cross-validated and realistic); best intent right in {right:.1%}"
    )
    block = "\n".join(
        [
            "# fmt: off",
            "CORRECT_WEIGHTS = (\n" + _wrap(correct) + "\n)",
            "IN_SCOPE_WEIGHTS = (\n" + _wrap(in_scope) + "\n)",
            "# fmt: on",
        ]
    )
    print(block)
    _thresholds(data, correct, in_scope)
    if "--write" in sys.argv[1:]:
        target = ROOT / "bot" / "understanding" / "confidence.py"
        text = target.read_text(encoding="utf-8")
        start, end = text.index("# fmt: off"), text.index("# fmt: on") + len("# fmt: on")
        target.write_text(text[:start] + block + text[end:], encoding="utf-8")
        print(f"written to {target}")
    return 0


def _thresholds(data: list[Row], correct: list[float], in_scope: list[float]) -> None:
    """What each answer threshold would do to the cross-validated rows: the realistic
    questions, then the catalog's own (short, chat-style) examples."""
    for kind, weight in (("realistic questions", REALISTIC_WEIGHT), ("catalog examples", 1.0)):
        _threshold_table(kind, [r for r in data if r[3] == weight], correct, in_scope)


def _threshold_table(
    kind: str, real: list[Row], correct: list[float], in_scope: list[float]
) -> None:
    x = np.asarray([r[0] for r in real])
    p_right = 1.0 / (1.0 + np.exp(-(x @ np.asarray(correct))))
    p_topic = 1.0 / (1.0 + np.exp(-(x @ np.asarray(in_scope))))
    on_topic = np.asarray([r[2] for r in real])
    right = np.asarray([r[1] for r in real])
    n = max(1, int(on_topic.sum()))
    print(f"# {kind}, cross-validated ({len(real)} ranked, {n} on topic):")
    off_topic = ~on_topic
    for topic_t in (0.7, 0.8, 0.9):
        kept = p_topic >= topic_t
        print(
            f"#   in_scope {topic_t:.2f}: on-topic offered something"
            f" {(kept & on_topic).sum() / n:.1%}"
            f", off-topic turned away {(~kept & off_topic).sum()} of {off_topic.sum()}"
        )
    for topic_t in (0.9,):
        for answer_t in (0.7, 0.75, 0.8, 0.85, 0.88, 0.9, 0.92):
            answered = (p_right >= answer_t) & (p_topic >= topic_t)
            ok = int((answered & right & on_topic).sum())
            wrong = int((answered & ~right & on_topic).sum())
            off = int((answered & ~on_topic).sum())
            print(
                f"#   in_scope {topic_t:.2f} answer {answer_t:.2f}: answered right {ok / n:.1%}"
                f", wrong {wrong / n:.1%}, off-topic answered {off}"
            )


def _wrap(weights: Sequence[float], per_line: int = 8) -> str:
    lines = [
        "    " + " ".join(f"{w:.3f}," for w in weights[i : i + per_line])
        for i in range(0, len(weights), per_line)
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
