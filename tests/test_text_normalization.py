"""Normalisation shared by the crisis check and the matcher: disguises must not hide words."""

from __future__ import annotations

import pytest

from bot.understanding.text import normalize


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("sui\u200bcide", "suicide"),  # zero-width space inside a word
        ("sui\u00adcide", "suicide"),  # soft hyphen
        ("k\u200di\u2060ll", "kill"),  # zero-width joiner, word joiner
        ("\u0455u\u0456\u0441\u0456d\u0435", "suicide"),  # Cyrillic look-alikes
        ("\u041a\u0406LL \u041c\u0415", "kill me"),  # Cyrillic capitals
        ("k i l l   m y s e l f", "kill myself"),  # spaced letters
        ("k.i.l.l", "kill"),
        ("k1ll mys3lf", "kill myself"),  # digits for letters
        ("I\u2019M SO D\u00d3NE", "im so done"),  # curly apostrophe, capitals, accent
        ("qu\u00e9 d\u00eda ma\u00f1ana", "que dia manana"),
        ("\U0001d544\U0001d56a \U0001d555\U0001d556\U0001d552\U0001d563", "my dear"),  # maths
    ],
)
def test_disguised_words_read_as_plain_words(raw: str, expected: str) -> None:
    assert normalize(raw) == expected


@pytest.mark.parametrize("text", ["take 16mg", "2 b or not", "i m ok", "covid 19 shot"])
def test_ordinary_text_is_left_alone(text: str) -> None:
    assert normalize(text) == text


def test_unreadable_input_never_raises() -> None:
    for text in ["", " ", "\x00\x01", "\ud800", "🙂" * 5000, "a" * 100_000]:
        assert isinstance(normalize(text), str)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("\U0001f52a\U0001fa78 again", "knife blood again"),
        ("\U0001f48a\U0001f48a all of them tonight", "pills pills all of them tonight"),
        ("\u26b0\ufe0f soon", "coffin soon"),  # with the emoji variation selector
        ("\U0001f52b in the drawer", "gun in the drawer"),
        ("can i mix \U0001f48a and beer", "can i mix pills and beer"),
    ],
)
def test_emoji_of_a_crisis_means_read_as_their_words(raw: str, expected: str) -> None:
    assert normalize(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("lol im dead \U0001f480\U0001f480", "lol im dead"),  # skull: mostly laughing
        ("so tired \U0001f62d\u2764\ufe0f", "so tired"),
    ],
)
def test_other_emoji_become_spaces(raw: str, expected: str) -> None:
    assert normalize(raw) == expected
