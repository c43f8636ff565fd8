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


def char_grams(text: str) -> Iterable[str]:
    """Character n-grams of each word of normalised ``text``, the word padded with spaces."""
    for word in text.split():
        padded = f" {word} "
        size = len(padded)
        for n in range(CHAR_MIN, CHAR_MAX + 1):
            if size < n:
                break
            for i in range(size - n + 1):
                yield padded[i : i + n]


def word_grams(text: str) -> Iterable[str]:
    """Words of normalised ``text`` and each pair of neighbouring words."""
    words = text.split()
    yield from words
    for a, b in pairwise(words):
        yield f"{a} {b}"


class GramIndex:
    """A vocabulary of grams in a few bytes a gram: each gram's hash, sorted, and its column.

    A ``dict`` of 100,000 grams costs about 12 MB of string objects; this costs 1.2 MB. The
    hashes are Python's own, made when the model is loaded, so they only need to agree within
    one process; two grams of one vocabulary sharing a 64-bit hash is as good as impossible.
    """

    def __init__(self, grams: Iterable[str]) -> None:
        hashes = np.fromiter((hash(str(g)) for g in grams), dtype=np.int64)
        order = np.argsort(hashes, kind="stable")
        self._hashes = hashes[order]
        self._columns = order.astype(np.intp)

    def __len__(self) -> int:
        return len(self._hashes)

    def columns(self, grams: Iterable[str]) -> npt.NDArray[np.intp]:
        """The column of each known gram, in order, repeats included (unknown grams left out)."""
        wanted = np.fromiter((hash(g) for g in grams), dtype=np.int64)
        if not len(wanted) or not len(self._hashes):
            return np.zeros(0, dtype=np.intp)
        at = np.searchsorted(self._hashes, wanted)
        at[at == len(self._hashes)] = 0
        found: npt.NDArray[np.intp] = self._columns[at[self._hashes[at] == wanted]]
        return found


def tfidf(
    grams: Iterable[str], vocabulary: Mapping[str, int] | GramIndex, idf: npt.NDArray[np.float32]
) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.float32]]:
    """Sparse, unit-length TF-IDF vector of the known grams (log-scaled counts): the column
    indexes and their values."""
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
