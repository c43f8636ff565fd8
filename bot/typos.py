"""Typo'd twins of messages: how a robustness measurement misspells what people write.

A twin is the message as someone texting in a hurry might send it: lower case, no final
punctuation, no apostrophes, texting spellings ("u", "wat", "cuz", "takin") and one or two
slips of the finger in longer words (a dropped vowel, two letters swapped, a doubled letter).
The same message always gets the same twin, so measurements repeat exactly.

``recovery-bot eval --typos`` answers every message of a set and its twin and reports how often
the twin gets the same reply (the same answer, or the same kind of reply).
"""

from __future__ import annotations

import hashlib
import random
import re

TEXTING = {
    "you": "u",
    "your": "ur",
    "youre": "ur",
    "what": "wat",
    "whats": "wats",
    "are": "r",
    "because": "cuz",
    "people": "ppl",
    "please": "pls",
    "really": "rly",
    "about": "abt",
    "tonight": "tonite",
    "though": "tho",
    "thanks": "thx",
    "someone": "some1",
    "before": "b4",
    "to": "2",
    "for": "4",
    "know": "kno",
    "okay": "ok",
}
"""Texting spellings; each is used on about half of the words it could replace."""

_VOWELS = "aeiou"
_WORD = re.compile(r"[a-z]+")


def _rng(text: str) -> random.Random:
    seed = int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest()[:8], "big")
    return random.Random(seed)


def _slip(word: str, rng: random.Random) -> str:
    """One slip of the finger in ``word`` (never its first letter)."""
    kind = rng.randrange(3)
    inner = [i for i in range(1, len(word)) if word[i] in _VOWELS]
    if kind == 0 and inner:  # a dropped vowel: happens -> happns
        i = rng.choice(inner)
        return word[:i] + word[i + 1 :]
    if kind == 1 and len(word) >= 4:  # two letters swapped: withdrawal -> withdrawla
        i = rng.randrange(1, len(word) - 1)
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    i = rng.randrange(1, len(word))  # a doubled letter: methadone -> methaddone
    return word[:i] + word[i] + word[i:]


def typo_twin(text: str) -> str:
    """``text`` as a hurried texter might type it (deterministic)."""
    rng = _rng(text)
    lowered = text.lower().replace("'", "").replace("\u2019", "").rstrip(" ?!.")
    words = lowered.split(" ")
    out: list[str] = []
    for word in words:
        core = _WORD.fullmatch(word)
        if core and word in TEXTING and rng.random() < 0.5:
            out.append(TEXTING[word])
        elif word.endswith("ing") and len(word) > 5 and rng.random() < 0.3:
            out.append(word[:-1])  # takin
        else:
            out.append(word)
    long_words = [i for i, w in enumerate(out) if _WORD.fullmatch(w) and len(w) >= 5]
    for i in rng.sample(long_words, k=min(len(long_words), 1 + (len(long_words) >= 6))):
        out[i] = _slip(out[i], rng)
    return " ".join(out)
