"""What the bot's classifiers (crisis, intents) read in a message: three blocks of numbers.

- **meaning**: the message's sentence embedding (``bot.understanding.embedding``), so that
  "no one would notice if I were gone" lands near "everyone would be better off without me";
- **letters**: character 2-4-grams inside words, TF-IDF weighted, so that "tonite", "leters" and
  "kiero morirme" still share most of their pieces with the words they stand for;
- **words**: words and word pairs, TF-IDF weighted, for phrases that carry the meaning
  ("pills lined up", "took my phone").

The same code builds the features when ``tools/train_classifiers.py`` fits a model and when the
bot reads a message (``bot.understanding.linear``), so training and use can't drift apart.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from itertools import pairwise

import numpy as np
import numpy.typing as npt

CHAR_MIN, CHAR_MAX = 2, 4


def char_grams(text: str) -> list[str]:
    """Character n-grams of each word of normalised ``text``, the word padded with spaces."""
    grams: list[str] = []
    for word in text.split():
        padded = f" {word} "
        size = len(padded)
        for n in range(CHAR_MIN, CHAR_MAX + 1):
            grams += [padded[i : i + n] for i in range(size - n + 1)]
    return grams


def word_grams(text: str) -> list[str]:
    """Words of normalised ``text`` and each pair of neighbouring words."""
    words = text.split()
    return words + [f"{a} {b}" for a, b in pairwise(words)]


Hashes = npt.NDArray[np.int64]


def gram_hashes(grams: Iterable[str]) -> Hashes:
    """The grams as a ``GramIndex`` looks them up: computed once per message, shared by every
    classifier that reads it."""
    return np.fromiter(map(hash, grams), dtype=np.int64)


class GramIndex:
    """A vocabulary of grams in a few bytes a gram: each gram's hash, sorted, and its column.

    A ``dict`` of 100,000 grams costs about 12 MB of string objects; this costs 1.2 MB. The
    hashes are Python's own, made when the model is loaded, so they only need to agree within
    one process; two grams of one vocabulary sharing a 64-bit hash is as good as impossible.
    """

    def __init__(self, grams: Iterable[str]) -> None:
        listed = grams.tolist() if isinstance(grams, np.ndarray) else [str(g) for g in grams]
        hashes = np.fromiter(map(hash, listed), dtype=np.int64, count=len(listed))
        order = np.argsort(hashes, kind="stable")
        self._hashes = hashes[order]
        self._columns = order.astype(np.intp)

    def __len__(self) -> int:
        return len(self._hashes)

    def columns(self, grams: Iterable[str] | Hashes) -> npt.NDArray[np.intp]:
        """The column of each known gram, in order, repeats included (unknown grams left out).
        ``grams`` may be given as their ``gram_hashes``."""
        wanted = grams if isinstance(grams, np.ndarray) else gram_hashes(grams)
        if not len(wanted) or not len(self._hashes):
            return np.zeros(0, dtype=np.intp)
        at = np.searchsorted(self._hashes, wanted)
        at[at == len(self._hashes)] = 0
        found: npt.NDArray[np.intp] = self._columns[at[self._hashes[at] == wanted]]
        return found


def tfidf(
    grams: Iterable[str] | Hashes,
    vocabulary: Mapping[str, int] | GramIndex,
    idf: npt.NDArray[np.float32],
) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.float32]]:
    """Sparse, unit-length TF-IDF vector of the known grams (log-scaled counts): the column
    indexes and their values. With a ``GramIndex``, ``grams`` may be their ``gram_hashes``."""
    if isinstance(vocabulary, GramIndex):
        index, tf = np.unique(vocabulary.columns(grams), return_counts=True)
    else:
        counts = Counter(vocabulary[g] for g in grams if g in vocabulary)
        index = np.fromiter(counts.keys(), dtype=np.intp, count=len(counts))
        tf = np.fromiter(counts.values(), dtype=np.float32, count=len(counts))
    if not len(index):
        return np.zeros(0, dtype=np.intp), np.zeros(0, dtype=np.float32)
    values = (1.0 + np.log(tf.astype(np.float32))) * idf[index]
    values /= float(np.linalg.norm(values)) or 1.0
    return index.astype(np.intp), values.astype(np.float32)
