"""Fit the bot's two classifiers from the project's own data.

    python tools/train_classifiers.py [crisis] [intents]     # both when none is named

Needs the ``train`` extra (scikit-learn, scipy). Both are multinomial logistic regressions over
the features of ``bot.understanding.features`` (sentence embedding, letter n-grams, words and
word pairs), written as ``.npz`` files that ``bot.understanding.linear`` reads with numpy.

**crisis** (``bot/crisis/classifier.npz``), classes calm, info, suicide, overdose, violence:
- ``content/crisis_exemplars.yaml``: crisis messages by kind, and calm ones; the calm
  "informational" ones form ``info`` (questions about a crisis topic), the rest ``calm``;
- every catalog example and out-of-scope example as ``calm`` (those of intents that carry the
  emergency pointer, such as overdose_response, as ``info``);
- the calibration parts of the realistic question sets as ``calm``.
Its fingerprint is the exemplar file's.

**intents** (``bot/understanding/intents.npz``), one class per intent plus ``out_of_scope``:
- every catalog example and out-of-scope example;
- the calibration parts of the realistic question sets (their first acceptable id).
Its fingerprint is the catalog examples' (``catalog_fingerprint``).

The crisis test sets and every held-out set are never read. The fits are deterministic.
"""

from __future__ import annotations

import math
import sys
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import yaml  # noqa: E402

from bot.catalog import Catalog  # noqa: E402
from bot.crisis.semantic import CLASSES as CRISIS_CLASSES  # noqa: E402
from bot.crisis.semantic import DEFAULT_MODEL as CRISIS_MODEL  # noqa: E402
from bot.crisis.semantic import fingerprint, pieces  # noqa: E402
from bot.paths import content_dir  # noqa: E402
from bot.typos import typo_twin  # noqa: E402
from bot.understanding.classifier import DEFAULT_MODEL as INTENT_MODEL  # noqa: E402
from bot.understanding.classifier import catalog_fingerprint  # noqa: E402
from bot.understanding.confidence import OUT_OF_SCOPE  # noqa: E402
from bot.understanding.embedding import shared_embedder  # noqa: E402
from bot.understanding.features import char_grams, tfidf, word_grams  # noqa: E402
from bot.understanding.rankers import respelled_examples  # noqa: E402
from bot.understanding.spelling import Speller, example_words  # noqa: E402
from bot.understanding.text import normalize  # noqa: E402
from bot.yamlfile import ContentError, load_yaml  # noqa: E402

CRISIS_C = 30.0
INTENT_C = 10.0
HARD_NEGATIVE_WEIGHT = 2.0
"""The calm crisis exemplars were written to sit next to a crisis: they count double."""
TYPO_TWIN_WEIGHT = 0.5
"""Each crisis and calm exemplar also trains as its typo'd twin (``bot.typos``), at this weight:
people in crisis type fast, and the letter and word grams of a misspelt message differ from the
written exemplar's."""
TOLERANCE = 1e-6
"""The fits run until the loss stops improving by this much (scikit-learn's default is 1e-4).
Session 12: at 1e-4 the optimiser stopped after about 120 of the 400 steps a converged fit
takes, so refits on nearly the same data landed on different models. Dropping a random 0.3%
of the crisis training rows changed 390-450 decisions on the evaluation sets (81-96 held-out
crisis variants) at 1e-4, and 26 (8-14) at 1e-6: the rest was the optimiser's stopping point, not
the data. A converged fit is the same model for the same data, and a small change in the
content moves few decisions. Fitting takes about twice as long."""
MIN_CHAR_DF = 2
CRISIS_PRUNE = 0.03
"""The crisis classifier keeps the word grams whose largest coefficient reaches this (about three
in four; the typo'd twins add many misspelt pairs that carry nothing): the bot holds every kept
gram in memory."""
PIECE_WEIGHT = 0.3
"""The sentences of long calm questions train as calm at this weight. At 0 the last sentence of
an ordinary question often raised the alarm alone (10 realistic calibration questions); at 1
the development sets lost crises told in short sentences; 0.3 kept 3 and most of the recall."""
GRAM_COEF_DTYPE = np.float16
"""The letter- and word-gram coefficients are stored (and held in memory) as float16: half the
size (the engine's resident memory went from 97 to 78 MiB, start-up from about 0.9 to 0.75 s),
with the same decision on all 16,672 texts of the evaluation sets as float32."""
REALISTIC_CLASSIFIER_WEIGHT = 2.0
"""A realistic calibration question counts this many times a catalog example in the intent
classifier: it is worded the way people really ask."""


class Examples:
    """Texts with class labels and weights, gathered for one fit."""

    def __init__(self) -> None:
        self.texts: list[str] = []
        self.labels: list[str] = []
        self.weights: list[float] = []

    def add(self, items: Iterable[Any], label: str, weight: float = 1.0) -> None:
        for text in items:
            self.texts.append(str(text))
            self.labels.append(label)
            self.weights.append(weight)


def realistic_calibration() -> list[tuple[str, list[str]]]:
    """(text, acceptable ids) from the calibration parts of the realistic question sets."""
    out: list[tuple[str, list[str]]] = []
    for path in sorted((ROOT / "tests" / "data" / "real_style").glob("*_calib.yaml")):
        for case in yaml.safe_load(path.read_text(encoding="utf-8")):
            expect = case["expect"] if isinstance(case["expect"], list) else [case["expect"]]
            out.append((str(case["text"]), [str(e) for e in expect]))
    return out


def crisis_examples(catalog: Catalog) -> Examples:
    path = content_dir() / "crisis_exemplars.yaml"
    data = load_yaml(path)
    ex = Examples()
    for kind, items in (data.get("crisis") or {}).items():
        if kind not in CRISIS_CLASSES[2:]:
            raise ContentError(path, getattr(items, "line", None), f"unknown crisis kind {kind!r}")
        ex.add(items, kind)
        ex.add((typo_twin(str(t)) for t in items), kind, TYPO_TWIN_WEIGHT)
    for category, items in (data.get("calm") or {}).items():
        label = "info" if category == "informational" else "calm"
        ex.add(items, label, HARD_NEGATIVE_WEIGHT)
        ex.add((typo_twin(str(t)) for t in items), label, HARD_NEGATIVE_WEIGHT * TYPO_TWIN_WEIGHT)
    for intent in catalog.intents.values():
        ex.add(intent.examples, "info" if intent.safety_pointer else "calm")
    ex.add(catalog.out_of_scope, "calm")
    calm_questions = [t for t, expect in realistic_calibration() if "crisis" not in expect]
    ex.add(calm_questions, "calm")
    # A long message's last sentence can raise the alarm alone (``semantic.PIECE_ALARM``), so
    # the sentences of long questions are calm too ("...and I nodded along").
    questions = [*calm_questions, *(e for i in catalog.intents.values() for e in i.examples)]
    ex.add((p for t in questions for p in pieces(t)[1:]), "calm", PIECE_WEIGHT)
    return ex


def intent_examples(catalog: Catalog) -> Examples:
    ex = Examples()
    for intent in catalog.intents.values():
        ex.add(intent.examples, intent.id)
    ex.add(catalog.out_of_scope, OUT_OF_SCOPE)
    known = set(catalog.intents) | {OUT_OF_SCOPE}
    for text, expect in realistic_calibration():
        label = next((e for e in expect if e in known), None)
        if label is not None:
            ex.add([text], label, REALISTIC_CLASSIFIER_WEIGHT)
    return ex


def vocabulary(docs: list[list[str]], min_df: int) -> tuple[dict[str, int], np.ndarray]:
    """Grams seen in at least ``min_df`` documents, and their smoothed IDF."""
    df = Counter(g for grams in docs for g in set(grams))
    kept = sorted(g for g, n in df.items() if n >= min_df)
    n_docs = len(docs)
    idf = np.array([math.log((1 + n_docs) / (1 + df[g])) + 1.0 for g in kept], dtype=np.float32)
    return {g: i for i, g in enumerate(kept)}, idf


def _sparse(docs: list[list[str]], vocab: dict[str, int], idf: np.ndarray) -> Any:
    from scipy.sparse import csr_matrix

    rows: list[int] = []
    cols: list[int] = []
    vals: list[float] = []
    for r, grams in enumerate(docs):
        index, values = tfidf(grams, vocab, idf)
        rows += [r] * len(index)
        cols += index.tolist()
        vals += values.tolist()
    return csr_matrix((vals, (rows, cols)), shape=(len(docs), len(vocab)), dtype=np.float32)


def fit(
    ex: Examples,
    classes: Sequence[str],
    c: float,
    stamp: str,
    *,
    balanced: bool,
    prune: float = 0.0,
) -> dict[str, Any]:
    """Fit one classifier: the arrays of its ``.npz`` file. ``prune``: keep only the word
    grams whose largest coefficient reaches it (then fit again on those)."""

    norms = [normalize(t) for t in ex.texts]
    char_docs = [list(char_grams(t)) for t in norms]
    word_docs = [list(word_grams(t)) for t in norms]
    char_vocab, char_idf = vocabulary(char_docs, MIN_CHAR_DF)
    word_vocab, word_idf = vocabulary(word_docs, 1)
    embeddings = shared_embedder().encode(ex.texts)

    def fit_on(vocab: dict[str, int], idf: np.ndarray) -> Any:
        return _fit_model(
            ex,
            classes,
            c,
            balanced,
            embeddings,
            (char_docs, char_vocab, char_idf),
            (word_docs, vocab, idf),
        )

    if prune:
        # Fit once, keep the word grams that carried weight, and fit again on those alone
        # (so each message's unit-length word vector is made of the grams the bot will know).
        first, _, _ = fit_on(word_vocab, word_idf)
        d, nc = embeddings.shape[1], len(char_vocab)
        weight = np.abs(first.coef_.T[d + nc :]).max(axis=1)
        kept = sorted(
            (g for g, i in word_vocab.items() if weight[i] >= prune), key=word_vocab.__getitem__
        )
        word_idf = np.array([word_idf[word_vocab[g]] for g in kept], dtype=np.float32)
        word_vocab = {g: i for i, g in enumerate(kept)}
    model, x, y = fit_on(word_vocab, word_idf)
    if list(model.classes_) != list(range(len(classes))):
        missing = [classes[i] for i in set(range(len(classes))) - set(model.classes_)]
        raise SystemExit(f"no examples for {missing}")
    coef = model.coef_.T.astype(np.float32)  # features x classes
    d, nc = embeddings.shape[1], len(char_vocab)
    print(
        f"  {len(ex.texts)} messages in {len(classes)} classes; features: {d} meaning + "
        f"{nc} letter grams + {len(word_vocab)} word grams; training accuracy "
        f"{model.score(x, y):.3f}"
    )
    return dict(
        classes=np.array(classes),
        fingerprint=np.array(stamp),
        char_vocab=np.array(sorted(char_vocab, key=char_vocab.__getitem__)),
        char_idf=char_idf,
        char_coef=coef[d : d + nc].astype(GRAM_COEF_DTYPE),
        word_vocab=np.array(sorted(word_vocab, key=word_vocab.__getitem__)),
        word_idf=word_idf,
        word_coef=coef[d + nc :].astype(GRAM_COEF_DTYPE),
        emb_coef=coef[:d],
        intercept=model.intercept_.astype(np.float32),
    )


Grams = tuple[list[list[str]], dict[str, int], np.ndarray]
"""Each message's grams, the vocabulary kept, and its IDF weights."""


def _fit_model(
    ex: Examples,
    classes: Sequence[str],
    c: float,
    balanced: bool,
    embeddings: np.ndarray,
    chars: Grams,
    words: Grams,
) -> tuple[Any, Any, np.ndarray]:
    """One logistic regression over meaning, letter grams and word grams, with the feature
    matrix and labels it was fitted on."""
    from scipy.sparse import csr_matrix, hstack
    from sklearn.linear_model import LogisticRegression

    x = hstack([csr_matrix(embeddings), _sparse(*chars), _sparse(*words)]).tocsr()
    index = {name: i for i, name in enumerate(classes)}
    y = np.array([index[label] for label in ex.labels])
    model = LogisticRegression(
        C=c, tol=TOLERANCE, max_iter=5000, class_weight="balanced" if balanced else None
    )
    model.fit(x, y, sample_weight=np.array(ex.weights))
    return model, x, y


def save(arrays: dict[str, Any], out: Path) -> None:
    np.savez_compressed(out, **arrays)
    print(f"  wrote {out.relative_to(ROOT)} ({out.stat().st_size / 1e6:.2f} MB)")


def intent_arrays(
    catalog: Catalog, ex: Examples, examples: dict[str, Sequence[str]] | None = None
) -> dict[str, Any]:
    """Fit the intent classifier on ``ex`` for ``catalog``'s intents; ``examples`` are the
    intents' examples the rankers are built from (default: the whole catalog's). Texts are
    read the way the bot reads them: spelling repaired (``bot.understanding.spelling``)."""
    if examples is None:
        examples = {i.id: i.examples for i in catalog.intents.values()}
        examples[OUT_OF_SCOPE] = catalog.out_of_scope
    speller = Speller.for_catalog(examples, catalog.synonyms, shared_embedder().words)
    spelled = Examples()
    spelled.texts = [speller.correct_text(t) for t in ex.texts]
    spelled.labels, spelled.weights = ex.labels, ex.weights
    classes = [*catalog.intents, OUT_OF_SCOPE]
    arrays = fit(spelled, classes, INTENT_C, catalog_fingerprint(examples), balanced=False)
    # The semantic ranker's example vectors, in its order, so start-up needn't embed them.
    texts = [t for phrases in respelled_examples(examples, speller).values() for t in phrases]
    arrays["example_vectors"] = shared_embedder().encode(texts).astype(np.float16)
    # The examples' words, for the spelling repair at start-up (see Speller.for_catalog).
    arrays["example_words"] = np.array(example_words(examples))
    return arrays


def main() -> int:
    wanted = set(sys.argv[1:]) or {"crisis", "intents"}
    unknown = wanted - {"crisis", "intents"}
    if unknown:
        print(f"unknown classifier(s) {sorted(unknown)}: choose crisis and/or intents")
        return 2
    catalog = Catalog.load()
    if "crisis" in wanted:
        print("crisis classifier")
        stamp = fingerprint(content_dir() / "crisis_exemplars.yaml")
        arrays = fit(
            crisis_examples(catalog),
            CRISIS_CLASSES,
            CRISIS_C,
            stamp,
            balanced=True,
            prune=CRISIS_PRUNE,
        )
        save(arrays, CRISIS_MODEL)
    if "intents" in wanted:
        print("intent classifier")
        save(intent_arrays(catalog, intent_examples(catalog)), INTENT_MODEL)
    return 0


if __name__ == "__main__":
    sys.exit(main())
