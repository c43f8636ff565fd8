"""The crisis check every message passes before anything else.

Design: normalise the text (bot.understanding.text), find every lexicon pattern it holds (a
message wakes only the patterns it has a rare required word of, and tries them only where they
can start, so the cost grows with the message, not the lexicon), then let informational guards
cancel guardable rules. If nothing fired, misspelt words are corrected towards lexicon words
(OSA edit distance: one edit for short words, two for long ones; real words listed in
``known_words`` are never corrected) and the pass runs once more.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from rapidfuzz import process
from rapidfuzz.distance import OSA

from bot.crisis.lexicon import KINDS, Kind, Lexicon, Slot, load_lexicon
from bot.understanding.text import normalize

DEFAULT_LEXICON = Path(__file__).resolve().parents[2] / "content" / "crisis_lexicon.yaml"

EXACT_SCORE = 100.0
FUZZY_SCORE = 90.0
MAX_WORDS = 1000
"""Only the first words are checked; a crisis message says what matters near its start, and
this bounds the time spent on a pasted essay (normalize already cuts at 4096 characters)."""


@dataclass(frozen=True)
class CrisisSignal:
    """A crisis was recognised. ``rule`` is a lexicon rule id, never the person's words."""

    kind: Kind
    score: float
    rule: str
    language: str


@dataclass(frozen=True)
class LexiconReading:
    signal: CrisisSignal | None
    guarded: bool
    """An informational guard cancelled a rule ("what are the warning signs of suicide")."""
    firm: bool = False
    """A ``firm`` rule fired: the classifier may not overrule the signal."""
    held: frozenset[Kind] = frozenset()
    """The kinds a guard would hold back here, whether or not a rule fired: the message reads as
    a question, the past, an idiom or planning ahead. The classifier alone must then be surer to
    raise the alarm (``bot.crisis.screen.GUARD_OVERRIDE``)."""
    held_always: frozenset[Kind] = frozenset()
    """The kinds a ``classifier_too`` guard holds back here: the classifier alone may not raise
    their alarm however sure it is (a pet, not a person)."""


def _match(
    slots: tuple[Slot, ...], k: int, words: tuple[str, ...], pos: int, to_end: bool = False
) -> bool:
    """True when ``slots[k:]`` match ``words`` from ``pos`` (bounded backtracking).

    ``to_end``: the match must finish at the last word.
    """
    if k == len(slots):
        return pos == len(words) if to_end else True
    slot = slots[k]
    n = len(words)
    if slot.gap:
        last = min(pos + slot.gap, n)
        return any(_match(slots, k + 1, words, p, to_end) for p in range(pos, last + 1))
    if pos < n and words[pos] in slot.singles and _match(slots, k + 1, words, pos + 1, to_end):
        return True
    for seq in slot.by_first.get(words[pos], ()) if pos < n else ():
        end = pos + len(seq)
        if words[pos:end] == seq and _match(slots, k + 1, words, end, to_end):
            return True
    return slot.optional and _match(slots, k + 1, words, pos, to_end)


class CrisisDetector:
    """Recognises suicidal thoughts, overdoses happening now, and danger of violence."""

    def __init__(self, lexicon: Lexicon) -> None:
        self.lexicon = lexicon
        self._order = {kind: i for i, kind in enumerate(KINDS)}
        # Which rules and guards each pattern can start: a message wakes only those (a few of
        # hundreds), in the lexicon's order.
        self._rules_of = _users(
            (i, key) for i, r in enumerate(lexicon.rules) for alt in r.alternatives for key in alt
        )
        self._guards_of = _users(
            (i, key) for i, g in enumerate(lexicon.guards) for key in g.patterns
        )

    @classmethod
    def load(cls, path: Path | str | None = None) -> CrisisDetector:
        """Build a detector from the lexicon file (default ``content/crisis_lexicon.yaml``)."""
        return cls(load_lexicon(Path(path) if path is not None else DEFAULT_LEXICON))

    def _found(self, words: tuple[str, ...]) -> set[int]:
        """Keys of every pattern that matches somewhere in ``words``."""
        present = frozenset(words)
        triggers = self.lexicon.triggers
        woken = {p.key: p for w in present for p in triggers.get(w, ())}
        at: dict[str, list[int]] = {}
        for pos, word in enumerate(words):
            at.setdefault(word, []).append(pos)
        found: set[int] = set()
        for key, pattern in woken.items():
            if any(need.isdisjoint(present) for need in pattern.needs):
                continue
            if pattern.anchored:
                starts = [0] if words[0] in pattern.firsts else []
            else:
                starts = sorted(pos for w in pattern.firsts & present for pos in at[w])
            if any(_match(pattern.slots, 0, words, pos, pattern.anchored_end) for pos in starts):
                found.add(key)
        return found

    def _evaluate(self, words: tuple[str, ...], score: float) -> LexiconReading:
        """The signal (or None), whether an informational guard cancelled a rule, and whether
        a firm rule fired."""
        found = self._found(words)
        if not found:
            return LexiconReading(None, False)
        suppressed: set[Kind] = set()
        unguardable_too: set[Kind] = set()
        always: set[Kind] = set()
        guards = self.lexicon.guards
        for guard in (guards[i] for i in _woken(self._guards_of, found)):
            # woken: one of its patterns matched
            if guard.requires and not any(p in found for p in guard.requires):
                continue
            if not any(p in found for p in guard.unless):
                suppressed |= guard.suppresses
                if guard.firm_too:
                    unguardable_too |= guard.suppresses
                if guard.classifier_too:
                    always |= guard.suppresses
        best: CrisisSignal | None = None
        guarded = firm = False
        rules = self.lexicon.rules
        for rule in (rules[i] for i in _woken(self._rules_of, found)):
            if not any(all(p in found for p in alt) for alt in rule.alternatives):
                continue
            if rule.kind in (suppressed if rule.guardable else unguardable_too):
                guarded = True
                continue
            firm = firm or rule.firm
            if best is None or self._order[rule.kind] < self._order[best.kind]:
                best = CrisisSignal(rule.kind, score, rule.id, rule.language)
        return LexiconReading(best, guarded, firm, frozenset(suppressed), frozenset(always))

    def _correct(self, word: str) -> str:
        """The lexicon word ``word`` is a likely misspelling of, or ``word`` itself."""
        lex = self.lexicon
        if word in lex.exact_words or len(word) < lex.fuzzy.min_word_length - 1 or word.isdigit():
            return word
        best, best_distance = word, 3
        for length in range(len(word) - 2, len(word) + 3):
            targets = lex.fuzzy_targets.get(length)
            if not targets:
                continue
            allowed = 2 if length >= lex.fuzzy.long_word_length else 1
            if abs(length - len(word)) > allowed:
                continue
            hit = process.extractOne(word, targets, scorer=OSA.distance, score_cutoff=allowed)
            if hit is not None and hit[1] < best_distance:
                best, best_distance = hit[0], int(hit[1])
        return best

    def inspect(self, text: str) -> LexiconReading:
        """The crisis in ``text`` (most urgent kind first) and whether a guard held one back."""
        return self.inspect_normalized(normalize(text))

    def inspect_normalized(self, normalized: str) -> LexiconReading:
        """``inspect`` for a text already passed through ``normalize``."""
        words = tuple(normalized.split()[:MAX_WORDS])
        if not words:
            return LexiconReading(None, False)
        exact = self._evaluate(words, EXACT_SCORE)
        if exact.signal is not None and exact.firm:
            return exact
        corrected = tuple(self._correct(w) for w in words)
        if corrected == words:
            return exact
        fuzzy = self._evaluate(corrected, FUZZY_SCORE)
        held = exact.held | fuzzy.held
        always = exact.held_always | fuzzy.held_always
        if exact.signal is not None:
            # A misspelt firm phrase ("having suicidal thougts") still makes the signal firm.
            return LexiconReading(exact.signal, exact.guarded, fuzzy.firm, held, always)
        guarded = exact.guarded or fuzzy.guarded
        return LexiconReading(fuzzy.signal, guarded, fuzzy.firm, held, always)

    def detect(self, text: str) -> CrisisSignal | None:
        """The crisis in ``text``, most urgent kind first, or None. Never raises on any text."""
        return self.inspect(text).signal


def _users(pairs: Iterable[tuple[int, int]]) -> dict[int, tuple[int, ...]]:
    """Pattern key -> the indexes (ascending) of the rules or guards that use it."""
    users: dict[int, set[int]] = {}
    for index, key in pairs:
        users.setdefault(key, set()).add(index)
    return {key: tuple(sorted(indexes)) for key, indexes in users.items()}


def _woken(users: Mapping[int, tuple[int, ...]], found: set[int]) -> list[int]:
    """The indexes, in lexicon order, of the rules or guards that a found pattern belongs to."""
    return sorted({i for key in found for i in users.get(key, ())})
