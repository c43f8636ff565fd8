"""The lexicon file: loads, and a broken one fails with the file, the line and the problem."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.crisis import CrisisDetector, LexiconError
from bot.crisis.detector import DEFAULT_LEXICON
from bot.crisis.lexicon import KINDS, load_lexicon

GOOD = """\
version: 1
sets:
  self: [myself, my self]
rules:
  - id: suicide.kill_self
    kind: suicide
    patterns:
      - "kill <self>"
"""


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "lexicon.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_shipped_lexicon_loads_with_every_kind() -> None:
    lexicon = load_lexicon(DEFAULT_LEXICON)
    assert lexicon.version == 1
    assert {rule.kind for rule in lexicon.rules} == set(KINDS)
    assert {rule.language for rule in lexicon.rules} == {"en", "es"}


def test_custom_lexicon_path(tmp_path: Path) -> None:
    detector = CrisisDetector.load(_write(tmp_path, GOOD))
    assert detector.detect("I’ll kill my self") is not None
    assert detector.detect("i want to die") is None


@pytest.mark.parametrize(
    ("broken", "line", "message"),
    [
        (GOOD.replace('"kill <self>"', '"kill <selves>"'), 8, "<selves>"),
        (GOOD.replace("kind: suicide", "kind: sadness"), 4, "kind"),
        (GOOD.replace('"kill <self>"', '"kill it\'s"'), 8, "plain lower-case word"),
        (GOOD.replace('"kill <self>"', '"kill * "'), 8, "gap"),
        (GOOD.replace('"kill <self>"', '"(kill <self>"'), 8, "parentheses"),
        (GOOD.replace("version: 1", "version: 7"), 1, "version"),
        (GOOD.replace("kind: suicide", "kind: suicide: oops"), 5, "YAML"),
        (GOOD + "  - id: suicide.kill_self\n    kind: suicide\n    patterns: [x]\n", 9, "twice"),
    ],
)
def test_broken_lexicon_names_file_and_line(
    tmp_path: Path, broken: str, line: int, message: str
) -> None:
    path = _write(tmp_path, broken)
    with pytest.raises(LexiconError) as err:
        CrisisDetector.load(path)
    text = str(err.value)
    assert text.startswith(f"{path}:"), text
    assert message in text, text
    reported = int(text[len(str(path)) + 1 :].split(":", 1)[0])
    assert abs(reported - line) <= 1, text


FIRM = """\
version: 1
rules:
  - id: suicide.firm
    kind: suicide
    guardable: false
    firm: true
    patterns:
      - "im suicidal"
guards:
  - id: guard.asking
    suppresses: [suicide]
    patterns:
      - "^ if i tell you"
    unless:
      - "right now"
"""


def test_a_guard_holds_back_a_rule_that_is_not_guardable_only_when_marked_firm_too(
    tmp_path: Path,
) -> None:
    text = "if i tell you im suicidal do you call the police"
    plain = CrisisDetector.load(_write(tmp_path, FIRM))
    assert plain.detect(text) is not None
    firm_too = FIRM.replace("suppresses: [suicide]", "suppresses: [suicide]\n    firm_too: true")
    detector = CrisisDetector.load(_write(tmp_path, firm_too))
    assert detector.detect(text) is None
    assert detector.inspect(text).guarded
    assert detector.detect("if i tell you im suicidal right now what do you do") is not None
    assert detector.detect("im suicidal") is not None


def test_firm_too_must_be_true_or_false(tmp_path: Path) -> None:
    broken = FIRM.replace("suppresses: [suicide]", "suppresses: [suicide]\n    firm_too: maybe")
    path = _write(tmp_path, broken)
    with pytest.raises(LexiconError, match="firm_too must be true or false") as err:
        CrisisDetector.load(path)
    assert str(err.value).startswith(f"{path}:")


def test_classifier_too_must_be_true_or_false(tmp_path: Path) -> None:
    broken = FIRM.replace(
        "suppresses: [suicide]", "suppresses: [suicide]\n    classifier_too: sometimes"
    )
    with pytest.raises(LexiconError, match="classifier_too must be true or false"):
        CrisisDetector.load(_write(tmp_path, broken))


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    missing = tmp_path / "nope.yaml"
    with pytest.raises(LexiconError, match="file not found") as err:
        CrisisDetector.load(missing)
    assert str(err.value).startswith(str(missing))
    with pytest.raises(LexiconError, match="cannot read the file"):
        CrisisDetector.load(tmp_path)  # a folder, not a file


def test_broken_yaml_names_the_file_and_line(tmp_path: Path) -> None:
    path = _write(tmp_path, FIRM + "  - [unclosed\n")
    with pytest.raises(LexiconError, match="YAML syntax error") as err:
        CrisisDetector.load(path)
    assert str(err.value).startswith(f"{path}:{len(FIRM.splitlines()) + 2}:")


def test_known_words_protect_real_words_from_fuzzy_matching() -> None:
    """Common words one typo away from a crisis word must stay themselves."""
    textstat = pytest.importorskip("textstat")
    easy = Path(textstat.__file__).parent / "resources" / "en" / "easy_words.txt"
    if not easy.exists():
        pytest.skip("easy word list not shipped with this textstat")
    detector = CrisisDetector.load()
    words = {w.strip().lower() for w in easy.read_text(encoding="utf-8").split() if w.isalpha()}
    changed = {w: c for w in sorted(words) if (c := detector._correct(w)) != w}
    assert not changed, f"add these to known_words in the lexicon: {changed}"


WAKING = """\
version: 1
sets:
  pills: [pills, tablets, the whole bottle]
rules:
  - id: overdose.took_all
    kind: overdose
    patterns:
      - "?i took * <pills>"
  - id: suicide.goodbye_first
    kind: suicide
    patterns:
      - "^ goodbye everyone"
  - id: suicide.tonight_end
    kind: suicide
    patterns:
      - "end it * tonight $"
"""


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ("i took all my tablets", "overdose.took_all"),  # the rare word is the last one
        ("so i just took the whole bottle", "overdose.took_all"),  # a several-word set entry
        ("took pills", "overdose.took_all"),  # the optional first word left out
        ("i think i took i took the pills", "overdose.took_all"),  # the second start fits
        ("goodbye everyone", "suicide.goodbye_first"),
        ("i will end it all tonight", "suicide.tonight_end"),
        ("i took a walk", None),  # no word of the pills slot
        ("pills took i", None),  # every word, wrong order
        ("i said goodbye everyone", None),  # ^: only at the start
        ("end it tonight or tomorrow", None),  # $: only at the end
    ],
)
def test_a_pattern_is_found_wherever_its_words_are_and_only_there(
    tmp_path: Path, text: str, rule: str | None
) -> None:
    # Patterns are woken by their rarest required word, not their first: every position a
    # match can start from must still be tried, anchors included.
    signal = CrisisDetector.load(_write(tmp_path, WAKING)).detect(text)
    assert (signal.rule if signal else None) == rule


def test_a_message_wakes_only_patterns_it_has_a_rare_word_of() -> None:
    lexicon = load_lexicon(DEFAULT_LEXICON)
    common = {"i", "my", "me", "to", "a", "the", "and", "it", "you", "is", "im"}
    woken = {p.key for word in common for p in lexicon.triggers.get(word, ())}
    starting = {p.key for p in lexicon.patterns if p.firsts & common}
    # many patterns start with "i" or "my"; most have a rarer word to be woken by
    assert len(woken) < len(starting) / 2
    # and each pattern is under all the words of one of its required slots
    under: dict[int, set[str]] = {}
    for word, patterns in lexicon.triggers.items():
        for p in patterns:
            under.setdefault(p.key, set()).add(word)
    assert all(under[p.key] in [set(need) for need in p.needs] for p in lexicon.patterns)
