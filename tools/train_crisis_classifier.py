"""Fit the semantic crisis classifier (bot/crisis/classifier.npz) from the exemplars.

    python tools/train_crisis_classifier.py            # needs the 'train' extra (scikit-learn)

Training data, all written for the project (the crisis test sets are never read):
- ``content/crisis_exemplars.yaml``: crisis messages by kind (suicide, overdose, violence) and
  calm ones; the calm "informational" ones form the ``info`` class (questions about a crisis
  topic), the other calm ones (past, idioms, news, ordinary) the ``calm`` class;
- every catalog example and out-of-scope example, as ``calm`` (those of intents that carry the
  emergency pointer, such as overdose_response, as ``info``);
- the calibration parts of the realistic question sets (``tests/data/real_style/*_calib.yaml``,
  ordinary questions in the words real people use, long and messy), as ``calm``. Their
  held-out parts are never read.

The model is a multinomial logistic regression over the features of ``bot.crisis.features``
(sentence embedding, character n-grams, words and word pairs). The file records the SHA-256 of
the exemplar file it was fitted on; a test fails when the exemplars change and the model is
not refitted. The fit is deterministic (lbfgs, no sampling).
"""

from __future__ import annotations

import argparse
import math
import sys
from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np

from bot.catalog import Catalog
from bot.crisis.features import char_grams, tfidf, word_grams
from bot.crisis.semantic import CLASSES, DEFAULT_MODEL, fingerprint
from bot.paths import content_dir, project_root
from bot.understanding.embedding import shared_embedder
from bot.understanding.text import normalize
from bot.yamlfile import ContentError, load_yaml

C = 30.0
"""Inverse regularisation strength (a little regularisation: the exemplars are varied)."""
HARD_NEGATIVE_WEIGHT = 2.0
"""The calm exemplars were written to sit next to a crisis: they count double."""
MIN_CHAR_DF = 2


def training_set(root: Path) -> tuple[list[str], list[int], list[float]]:
    """(texts, class indexes, weights) from the exemplars and the catalog."""
    path = content_dir(root) / "crisis_exemplars.yaml"
    data = load_yaml(path)
    texts: list[str] = []
    labels: list[int] = []
    weights: list[float] = []

    def add(items: Iterable[str], label: str, weight: float) -> None:
        for text in items:
            texts.append(str(text))
            labels.append(CLASSES.index(label))
            weights.append(weight)

    for kind, items in (data.get("crisis") or {}).items():
        if kind not in CLASSES[2:]:
            raise ContentError(path, getattr(items, "line", None), f"unknown crisis kind {kind!r}")
        add(items, kind, 1.0)
    for category, items in (data.get("calm") or {}).items():
        add(items, "info" if category == "informational" else "calm", HARD_NEGATIVE_WEIGHT)
    catalog = Catalog.load(root)
    for intent in catalog.intents.values():
        add(intent.examples, "info" if intent.safety_pointer else "calm", 1.0)
    add(catalog.out_of_scope, "calm", 1.0)
    for calib in sorted((root / "tests" / "data" / "real_style").glob("*_calib.yaml")):
        add((str(case["text"]) for case in load_yaml(calib)), "calm", 1.0)
    return texts, labels, weights


def vocabulary(docs: list[list[str]], min_df: int) -> tuple[dict[str, int], np.ndarray]:
    """Grams seen in at least ``min_df`` documents, and their smoothed IDF."""
    df = Counter(g for grams in docs for g in set(grams))
    kept = sorted(g for g, n in df.items() if n >= min_df)
    n_docs = len(docs)
    idf = np.array([math.log((1 + n_docs) / (1 + df[g])) + 1.0 for g in kept], dtype=np.float32)
    return {g: i for i, g in enumerate(kept)}, idf


def sparse_block(docs: list[list[str]], vocab: dict[str, int], idf: np.ndarray):  # type: ignore[no-untyped-def]
    from scipy.sparse import csr_matrix

    rows, cols, vals = [], [], []
    for r, grams in enumerate(docs):
        for c, v in tfidf(grams, vocab, idf):
            rows.append(r)
            cols.append(c)
            vals.append(v)
    return csr_matrix((vals, (rows, cols)), shape=(len(docs), len(vocab)), dtype=np.float32)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_MODEL)
    parser.add_argument("--c", type=float, default=C)
    args = parser.parse_args()
    from scipy.sparse import csr_matrix, hstack
    from sklearn.linear_model import LogisticRegression

    root = project_root()
    texts, labels, weights = training_set(root)
    norms = [normalize(t) for t in texts]
    grams: list[Callable[[str], Iterable[str]]] = [char_grams, word_grams]
    char_docs = [list(grams[0](t)) for t in norms]
    word_docs = [list(grams[1](t)) for t in norms]
    char_vocab, char_idf = vocabulary(char_docs, MIN_CHAR_DF)
    word_vocab, word_idf = vocabulary(word_docs, 1)
    embeddings = shared_embedder().encode(texts)
    x = hstack(
        [
            csr_matrix(embeddings),
            sparse_block(char_docs, char_vocab, char_idf),
            sparse_block(word_docs, word_vocab, word_idf),
        ]
    ).tocsr()
    y = np.array(labels)
    model = LogisticRegression(C=args.c, max_iter=5000, class_weight="balanced")
    model.fit(x, y, sample_weight=np.array(weights))
    coef = model.coef_.T.astype(np.float32)  # features x classes
    d, nc = embeddings.shape[1], len(char_vocab)
    np.savez_compressed(
        args.out,
        classes=np.array(CLASSES),
        exemplars_sha256=np.array(fingerprint(content_dir(root) / "crisis_exemplars.yaml")),
        char_vocab=np.array(sorted(char_vocab, key=char_vocab.__getitem__)),
        char_idf=char_idf,
        char_coef=coef[d : d + nc],
        word_vocab=np.array(sorted(word_vocab, key=word_vocab.__getitem__)),
        word_idf=word_idf,
        word_coef=coef[d + nc :],
        emb_coef=coef[:d],
        intercept=model.intercept_.astype(np.float32),
    )
    counts = Counter(CLASSES[i] for i in labels)
    print(f"trained on {len(texts)} messages: {dict(counts)}")
    print(f"features: {d} meaning + {nc} letter grams + {len(word_vocab)} word grams")
    print(f"training accuracy {model.score(x, y, sample_weight=np.array(weights)):.3f}")
    print(f"wrote {args.out} ({args.out.stat().st_size / 1e6:.2f} MB)")


if __name__ == "__main__":
    main()
