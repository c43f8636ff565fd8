"""Load, validate and compile the crisis lexicon (``content/crisis_lexicon.yaml``).

The lexicon is data so that people who are not programmers can add a phrase after a miss.
A broken file must never half-load: every problem is reported with the file, the line and what
is wrong, and the bot refuses to start rather than run without its crisis check.

Pattern language (one phrase per string, matched against normalised words; see
bot.understanding.text):
    word        that word
    a|b|c       any one of these words (or <sets>)
    (a b|c)     any one of these phrases: inside parentheses alternatives may be several words
    <name>      any entry of the named set (entries may be several words)
    ?X          X is optional (X is a word, alternatives, a (group) or a <set>)
    *  / *N     skip up to 3 (or N, at most 6) words
    ^           (first item only) the phrase must start the message
    $           (last item only) the phrase must end the message
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, cast

from bot.understanding.text import normalize
from bot.yamlfile import ContentError, load_yaml

Kind = Literal["suicide", "overdose", "violence"]
KINDS: tuple[Kind, ...] = ("overdose", "violence", "suicide")
"""Every kind, most urgent first: an overdose needs the emergency number before anything else."""

SUPPORTED_VERSIONS = (1,)
MAX_GAP = 6
_ID = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)*$")
_SET_REF = re.compile(r"^<([a-z][a-z0-9_]*)>$")
_WORD = re.compile(r"^[a-z0-9]+$")
_ITEM = re.compile(r"\??\([^()]*\)|\S+")


class LexiconError(ValueError):
    """The lexicon file is unusable; the message names the file, the line and the problem."""


def load_yaml_with_lines(path: Path, error: type[ValueError] = LexiconError) -> Any:
    """Parse YAML keeping line numbers (``bot.yamlfile``); a broken file raises ``error``
    naming the file and line."""
    try:
        return load_yaml(path)
    except ContentError as exc:
        raise error(str(exc)) from None


def line_of(value: object, default: int = 0) -> int:
    """The line a loaded YAML value started on (0 when unknown)."""
    return int(getattr(value, "line", default))


@dataclass(frozen=True)
class Slot:
    """One position of a compiled pattern: a choice of word sequences, or a gap."""

    singles: frozenset[str] = frozenset()
    multis: tuple[tuple[str, ...], ...] = ()
    optional: bool = False
    by_first: Mapping[str, tuple[tuple[str, ...], ...]] = field(default_factory=dict, hash=False)
    """``multis`` grouped by their first word, so matching only tries the ones that can fit."""
    gap: int = 0
    """When > 0 this slot skips 0..gap arbitrary words and the other fields are unused."""

    def first_words(self) -> frozenset[str]:
        return self.singles | frozenset(seq[0] for seq in self.multis)

    def words(self) -> Iterable[str]:
        yield from self.singles
        for seq in self.multis:
            yield from seq


@dataclass(frozen=True)
class Pattern:
    """A compiled phrase pattern; ``key`` identifies it inside the compiled lexicon."""

    key: int
    slots: tuple[Slot, ...]
    anchored: bool = False
    anchored_end: bool = False
    firsts: frozenset[str] = frozenset()
    """The words a match can start with (through optional leading slots)."""
    needs: tuple[frozenset[str], ...] = ()
    """For each required slot, the words it can start with: a message lacking all the words of
    any one of them cannot match."""


@dataclass(frozen=True)
class Rule:
    """A crisis rule: fires when any one of its alternatives matches.

    Each alternative is a tuple of pattern keys that must all match somewhere in the message
    (most alternatives hold a single pattern).
    """

    id: str
    kind: Kind
    language: str
    alternatives: tuple[tuple[int, ...], ...]
    guardable: bool = True
    firm: bool = False
    """The classifier may never silence this rule: a person saying, in the first person, that
    they mean to end their life now ("i want to kill myself, what is methadone")."""


@dataclass(frozen=True)
class Guard:
    """Informational wording ("what are the signs of...") that cancels guardable rules."""

    id: str
    suppresses: frozenset[Kind]
    patterns: tuple[int, ...]
    unless: tuple[int, ...] = ()
    """Urgent wording ("right now", "help") that keeps the crisis reply despite the guard."""
    requires: tuple[int, ...] = ()
    """When set, one of these must match too ("years ago" *and* "I'm doing well now")."""
    firm_too: bool = False
    """Also holds back rules that are not guardable: the message asks what the bot would do *if*
    the person said such a thing ("if i tell you i'm suicidal, do you call the police?")."""
    classifier_too: bool = False
    """Also holds back the classifier's alarm however sure it is (``GUARD_OVERRIDE`` does not
    apply): the message is not about a person at all ("my dog ate my pills and he's not moving"
    needs a vet, not the emergency steps for a person)."""


@dataclass(frozen=True)
class FuzzySettings:
    """How far a misspelt word may be from a lexicon word to count as that word."""

    min_word_length: int = 5
    """Lexicon words shorter than this are matched exactly (short words collide too easily)."""
    long_word_length: int = 8
    """Lexicon words at least this long allow two edits; shorter ones allow one."""


@dataclass(frozen=True)
class Lexicon:
    """The compiled lexicon: patterns indexed by the words that wake them."""

    version: int
    path: Path
    rules: tuple[Rule, ...]
    guards: tuple[Guard, ...]
    patterns: tuple[Pattern, ...]
    triggers: Mapping[str, tuple[Pattern, ...]]
    """Each pattern under the words of its most selective required slot (``_triggers``)."""
    fuzzy: FuzzySettings
    fuzzy_targets: Mapping[int, tuple[str, ...]]
    """Rule words that a misspelling may be corrected to, grouped by length."""
    exact_words: frozenset[str] = field(default_factory=frozenset)
    """Words never corrected: every lexicon word plus ``known_words`` (real words near them)."""


class _Compiler:
    def __init__(self, path: Path, sets: Mapping[str, tuple[tuple[str, ...], ...]]) -> None:
        self.path = path
        self.sets = sets
        self.patterns: list[Pattern] = []
        self.cache: dict[str, int] = {}

    def fail(self, line: int, message: str) -> LexiconError:
        return LexiconError(f"{self.path}:{line}: {message}")

    def _choice(self, item: str, line: int, raw: str) -> Slot:
        singles: set[str] = set()
        multis: list[tuple[str, ...]] = []
        if item.startswith("(") != item.endswith(")") or item.count("(") > 1:
            raise self.fail(line, f"pattern {raw!r}: unbalanced parentheses in {item!r}")
        for alt in item.strip("()").split("|"):
            alt = " ".join(alt.split())
            ref = _SET_REF.match(alt)
            if ref:
                name = ref.group(1)
                if name not in self.sets:
                    raise self.fail(line, f"pattern {raw!r} uses <{name}>, which is not in sets")
                for entry in self.sets[name]:
                    if len(entry) == 1:
                        singles.add(entry[0])
                    else:
                        multis.append(entry)
            elif _WORD.match(alt):
                singles.add(alt)
            elif alt and all(_WORD.match(w) for w in alt.split()):
                multis.append(tuple(alt.split()))
            else:
                raise self.fail(
                    line,
                    f"pattern {raw!r}: {alt!r} is not a plain lower-case word "
                    "(write words as normalised text: no apostrophes, accents or punctuation)",
                )
        by_first: dict[str, list[tuple[str, ...]]] = {}
        for seq in dict.fromkeys(multis):
            by_first.setdefault(seq[0], []).append(seq)
        return Slot(
            frozenset(singles),
            tuple(dict.fromkeys(multis)),
            by_first={w: tuple(seqs) for w, seqs in by_first.items()},
        )

    def compile(self, raw: object, line: int) -> int:
        if not isinstance(raw, str) or not raw.strip():
            raise self.fail(line, f"a pattern must be a non-empty string, got {raw!r}")
        line = line_of(raw, line)
        if raw in self.cache:
            return self.cache[raw]
        items = _ITEM.findall(raw)
        anchored = items[0] == "^"
        if anchored:
            items = items[1:]
        anchored_end = bool(items) and items[-1] == "$"
        if anchored_end:
            items = items[:-1]
        slots: list[Slot] = []
        for item in items:
            if item.startswith("*"):
                size = item[1:] or "3"
                if not size.isdigit() or not 1 <= int(size) <= MAX_GAP:
                    raise self.fail(
                        line, f"pattern {raw!r}: gap {item!r} must be * or *1..*{MAX_GAP}"
                    )
                slots.append(Slot(gap=int(size)))
                continue
            optional = item.startswith("?")
            slot = self._choice(item[1:] if optional else item, line, raw)
            slots.append(Slot(slot.singles, slot.multis, optional, by_first=slot.by_first))
        if not slots or all(slot.optional or slot.gap for slot in slots):
            raise self.fail(line, f"pattern {raw!r} needs at least one required word")
        if slots[0].gap or slots[-1].gap:
            raise self.fail(line, f"pattern {raw!r} cannot start or end with a gap")
        key = len(self.patterns)
        firsts: set[str] = set()
        for slot in slots:
            firsts |= slot.first_words()
            if not slot.optional:
                break
        needs = tuple(slot.first_words() for slot in slots if not (slot.optional or slot.gap))
        self.patterns.append(
            Pattern(key, tuple(slots), anchored, anchored_end, frozenset(firsts), needs)
        )
        self.cache[raw] = key
        return key


def _triggers(patterns: Sequence[Pattern]) -> dict[str, tuple[Pattern, ...]]:
    """Map words to the patterns they wake: each pattern under the words of one required slot.

    A match needs a word of every required slot, so any one slot will do; the one chosen is the
    slot whose words the fewest patterns need ("i" and "my" are needed by hundreds, "overdose"
    by a few), so a message wakes only the patterns it has a rare word of.
    """
    demand: Counter[str] = Counter(w for p in patterns for need in p.needs for w in need)
    index: dict[str, list[Pattern]] = {}
    for pattern in patterns:
        slot = min(pattern.needs, key=lambda need: (sum(demand[w] for w in need), sorted(need)))
        for word in slot:
            index.setdefault(word, []).append(pattern)
    return {word: tuple(found) for word, found in index.items()}


def _mapping(value: object, path: Path, line: int, what: str) -> Mapping[str, Any]:
    if not isinstance(value, dict):
        raise LexiconError(f"{path}:{line_of(value, line)}: {what} must be a mapping")
    return cast(Mapping[str, Any], value)


def _list(value: object, path: Path, line: int, what: str) -> list[Any]:
    if not isinstance(value, list) or not value:
        raise LexiconError(f"{path}:{line_of(value, line)}: {what} must be a non-empty list")
    return value


def _check_keys(
    data: Mapping[str, Any], allowed: set[str], required: set[str], path: Path, what: str
) -> None:
    line = line_of(data)
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise LexiconError(f"{path}:{line}: {what} has unknown field(s) {unknown}")
    missing = sorted(required - set(data))
    if missing:
        raise LexiconError(f"{path}:{line}: {what} is missing {missing}")


def _parse_sets(raw: object, path: Path) -> dict[str, tuple[tuple[str, ...], ...]]:
    sets: dict[str, tuple[tuple[str, ...], ...]] = {}
    if raw is None:
        return sets
    data = _mapping(raw, path, 0, "sets")
    for name, entries in data.items():
        line = line_of(entries, line_of(data))
        if not isinstance(name, str) or not _ID.match(name):
            raise LexiconError(f"{path}:{line}: set name {name!r} must be snake_case")
        seqs: list[tuple[str, ...]] = []
        for entry in _list(entries, path, line, f"set {name!r}"):
            words = tuple(str(entry).split())
            if not isinstance(entry, str) or not words or not all(_WORD.match(w) for w in words):
                raise LexiconError(
                    f"{path}:{line_of(entry, line)}: set {name!r} entry {entry!r} must be "
                    "plain lower-case words"
                )
            seqs.append(words)
        sets[name] = tuple(seqs)
    return sets


def _pattern_alternatives(
    raw: object, compiler: _Compiler, path: Path, line: int, what: str
) -> tuple[tuple[int, ...], ...]:
    alternatives: list[tuple[int, ...]] = []
    for entry in _list(raw, path, line, f"{what} patterns"):
        entry_line = line_of(entry, line)
        if isinstance(entry, dict):
            _check_keys(entry, {"all"}, {"all"}, path, f"{what} pattern")
            parts = _list(entry["all"], path, entry_line, f"{what} 'all'")
            part_line = line_of(parts, entry_line)
            alternatives.append(tuple(compiler.compile(p, part_line) for p in parts))
        else:
            alternatives.append((compiler.compile(entry, entry_line),))
    return tuple(alternatives)


def _flag(entry: Mapping[str, Any], name: str, path: Path, what: str) -> bool:
    """An optional true/false setting of a lexicon entry (false when absent)."""
    value = entry.get(name, False)
    if not isinstance(value, bool):
        raise LexiconError(f"{path}:{line_of(entry)}: {what} {name} must be true or false")
    return value


def parse_lexicon(data: object, path: Path) -> Lexicon:
    """Validate loaded YAML and compile it; raise :class:`LexiconError` on the first problem."""
    top = _mapping(data, path, 1, "the lexicon file")
    _check_keys(
        top,
        {"version", "fuzzy", "known_words", "sets", "rules", "guards"},
        {"version", "rules"},
        path,
        "the lexicon file",
    )
    version = top["version"]
    if version not in SUPPORTED_VERSIONS:
        raise LexiconError(
            f"{path}:{line_of(top)}: version {version!r} is not supported "
            f"(this bot reads {list(SUPPORTED_VERSIONS)})"
        )
    fuzzy = FuzzySettings()
    if top.get("fuzzy") is not None:
        fz = _mapping(top["fuzzy"], path, line_of(top), "fuzzy")
        _check_keys(fz, {"min_word_length", "long_word_length", "words"}, {"words"}, path, "fuzzy")
        try:
            fuzzy = FuzzySettings(**{k: int(v) for k, v in fz.items() if k != "words"})
        except (TypeError, ValueError):
            raise LexiconError(
                f"{path}:{line_of(fz)}: fuzzy settings must be whole numbers"
            ) from None
        if fuzzy.min_word_length < 4:
            raise LexiconError(f"{path}:{line_of(fz)}: fuzzy.min_word_length must be at least 4")

    sets = _parse_sets(top.get("sets"), path)
    compiler = _Compiler(path, sets)
    rules: list[Rule] = []
    seen: set[str] = set()
    for raw_rule in _list(top["rules"], path, line_of(top), "rules"):
        rule = _mapping(raw_rule, path, line_of(top), "each rule")
        what = f"rule {rule.get('id')!r}"
        _check_keys(
            rule,
            {"id", "kind", "language", "patterns", "guardable", "firm", "note"},
            {"id", "kind", "patterns"},
            path,
            what,
        )
        rid = rule["id"]
        if not isinstance(rid, str) or not _ID.match(rid):
            raise LexiconError(f"{path}:{line_of(rule)}: rule id {rid!r} must look like kind.name")
        if rid in seen:
            raise LexiconError(f"{path}:{line_of(rule)}: rule id {rid!r} is used twice")
        seen.add(rid)
        if rule["kind"] not in KINDS:
            raise LexiconError(
                f"{path}:{line_of(rule)}: {what} kind {rule['kind']!r} must be one of {list(KINDS)}"
            )
        language = rule.get("language", "en")
        if language not in ("en", "es"):
            raise LexiconError(f"{path}:{line_of(rule)}: {what} language must be en or es")
        guardable = rule.get("guardable", True)
        if not isinstance(guardable, bool):
            raise LexiconError(f"{path}:{line_of(rule)}: {what} guardable must be true or false")
        firm = rule.get("firm", False)
        if not isinstance(firm, bool):
            raise LexiconError(f"{path}:{line_of(rule)}: {what} firm must be true or false")
        alternatives = _pattern_alternatives(rule["patterns"], compiler, path, line_of(rule), what)
        rules.append(Rule(rid, rule["kind"], str(language), alternatives, guardable, firm))

    rule_words = {w for p in compiler.patterns for s in p.slots for w in s.words()}
    fuzzy_words: list[str] = []
    if top.get("fuzzy") is not None:
        raw_words = _list(top["fuzzy"].get("words"), path, line_of(top["fuzzy"]), "fuzzy.words")
        for word in raw_words:
            if not isinstance(word, str) or word not in rule_words:
                raise LexiconError(
                    f"{path}:{line_of(raw_words)}: fuzzy word {word!r} is not used by any rule"
                )
            fuzzy_words.append(str(word))
    guards: list[Guard] = []
    for raw_guard in top.get("guards") or []:
        guard = _mapping(raw_guard, path, line_of(top), "each guard")
        what = f"guard {guard.get('id')!r}"
        _check_keys(
            guard,
            {"id", "suppresses", "patterns", "unless", "requires", "note"}
            | {"firm_too", "classifier_too"},
            {"id", "suppresses", "patterns"},
            path,
            what,
        )
        gid = guard["id"]
        if not isinstance(gid, str) or not _ID.match(gid) or gid in seen:
            raise LexiconError(f"{path}:{line_of(guard)}: guard id {gid!r} is malformed or reused")
        seen.add(gid)
        kinds = _list(guard["suppresses"], path, line_of(guard), f"{what} suppresses")
        if any(k not in KINDS for k in kinds):
            raise LexiconError(
                f"{path}:{line_of(kinds)}: {what} suppresses {kinds!r}; kinds are {list(KINDS)}"
            )
        pats = tuple(
            compiler.compile(p, line_of(guard))
            for p in _list(guard["patterns"], path, line_of(guard), f"{what} patterns")
        )
        unless = tuple(compiler.compile(p, line_of(guard)) for p in guard.get("unless") or [])
        requires = tuple(compiler.compile(p, line_of(guard)) for p in guard.get("requires") or [])
        firm_too, classifier_too = (
            _flag(guard, name, path, what) for name in ("firm_too", "classifier_too")
        )
        guards.append(
            Guard(gid, frozenset(kinds), pats, unless, requires, firm_too, classifier_too)
        )

    known = top.get("known_words") or []
    if not isinstance(known, list) or not all(isinstance(w, str) and _WORD.match(w) for w in known):
        raise LexiconError(f"{path}:{line_of(known, 1)}: known_words must be a list of plain words")
    all_words = {w for p in compiler.patterns for s in p.slots for w in s.words()}
    targets: dict[int, list[str]] = {}
    for word in sorted(set(fuzzy_words)):
        if len(word) >= fuzzy.min_word_length:
            targets.setdefault(len(word), []).append(word)
    return Lexicon(
        version=int(version),
        path=path,
        rules=tuple(rules),
        guards=tuple(guards),
        patterns=tuple(compiler.patterns),
        triggers=_triggers(compiler.patterns),
        fuzzy=fuzzy,
        fuzzy_targets={n: tuple(ws) for n, ws in targets.items()},
        exact_words=frozenset(all_words | {normalize(w) for w in known}),
    )


def load_lexicon(path: Path) -> Lexicon:
    """Read and compile the lexicon at ``path``."""
    return parse_lexicon(load_yaml_with_lines(path), path)
