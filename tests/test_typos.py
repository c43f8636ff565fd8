"""Typos and texting slang: a message typed in a hurry gets the reply its spelled-out twin gets.

Twins are made mechanically (``bot.typos``): lower case, no apostrophes or final punctuation,
texting spellings ("u", "wat", "cuz", "takin") and one or two slips in longer words. The floors
are today's measurements, a little below, on sets the catalog never saw; the README's
``recovery-bot eval --typos FILE`` prints them.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.evaluation import evaluate, load_cases, typo_agreement
from bot.paths import project_root
from bot.typos import typo_twin
from bot.understanding.engine import Engine

DATA = Path(__file__).parent / "data"
SHARED = project_root().parent / "shared" / "eval"


def test_a_twin_is_lower_case_texting_with_slips_and_always_the_same() -> None:
    text = "What happens when you stop taking opiates cold turkey? I'm scared because of work."
    twin = typo_twin(text)
    assert twin == typo_twin(text)
    assert twin != text.lower()
    assert twin == twin.lower() and "'" not in twin and not twin.endswith("?")
    # Words are misspelt, never added or dropped.
    assert len(twin.split()) == len(text.split())


def test_a_twin_of_an_empty_or_one_letter_message_is_safe() -> None:
    assert typo_twin("") == ""
    assert typo_twin("b") == "b"


@pytest.mark.parametrize(
    ("typed", "spelled"),
    [
        (
            "wat happns when u stop takin opiates cold turky",
            "what happens when you stop taking opiates cold turkey",
        ),
        ("wats narcan", "what's narcan"),
        ("how long dose withdrawl last", "how long does withdrawal last"),
        ("can i tak subs wile pregnent", "can i take subs while pregnant"),
    ],
)
def test_texting_and_typos_get_the_reply_of_the_spelled_out_message(
    engine: Engine, typed: str, spelled: str
) -> None:
    a, b = engine.decide(spelled), engine.decide(typed)
    assert (b.kind, b.intent, b.suggestions) == (a.kind, a.intent, a.suggestions)
    assert a.kind in ("answer", "suggest")


FLOORS = {
    # measured (session 6), same reply:
    # heldout 93.8%, brain_treatment 93.2%, recovery_safety 95.2%, everyday 98.2%, faq 95.5%, pages
    # 94.0%, posts 89.9%, search 96.3%, expert 93.8%, threads 95.6%, headings 94.0%, qa 91.9%,
    # groupchat 93.2%, family 89.3%, professionals 91.3%, plain 88.7%, practical 97.3%, young 96.0%,
    # real_dev 90.9%. Session 8 (three more styles in the intent classifier): practical 94.7%,
    # real_dev 87.9%. Session 11's refit: groupchat 90.4% (one pair of 146).
    "heldout": (DATA / "heldout.yaml", 0.91),
    "brain_treatment_heldout": (DATA / "real_style" / "brain_treatment_heldout.yaml", 0.91),
    "recovery_safety_heldout": (DATA / "real_style" / "recovery_safety_heldout.yaml", 0.93),
    "everyday_heldout": (DATA / "real_style" / "everyday_heldout.yaml", 0.96),
    "faq_heldout": (DATA / "real_style" / "faq_heldout.yaml", 0.93),
    "pages_heldout": (DATA / "real_style" / "pages_heldout.yaml", 0.92),
    "posts_heldout": (DATA / "real_style" / "posts_heldout.yaml", 0.87),
    "search_heldout": (DATA / "real_style" / "search_heldout.yaml", 0.94),
    "expert_heldout": (DATA / "real_style" / "expert_heldout.yaml", 0.91),
    "threads_heldout": (DATA / "real_style" / "threads_heldout.yaml", 0.93),
    "headings_heldout": (DATA / "real_style" / "headings_heldout.yaml", 0.92),
    "qa_heldout": (DATA / "real_style" / "qa_heldout.yaml", 0.89),
    "groupchat_heldout": (DATA / "real_style" / "groupchat_heldout.yaml", 0.90),
    "family_heldout": (DATA / "real_style" / "family_heldout.yaml", 0.87),
    "professionals_heldout": (DATA / "real_style" / "professionals_heldout.yaml", 0.89),
    "plain_heldout": (DATA / "real_style" / "plain_heldout.yaml", 0.86),
    "practical_heldout": (DATA / "real_style" / "practical_heldout.yaml", 0.93),
    "young_heldout": (DATA / "real_style" / "young_heldout.yaml", 0.94),
    "real_dev": (SHARED / "real_dev.yaml", 0.87),
}


@pytest.mark.parametrize("name", list(FLOORS))
def test_typod_twins_get_the_same_reply(engine: Engine, name: str) -> None:
    path, floor = FLOORS[name]
    if not path.exists():
        pytest.skip(f"{path} is not here")
    report = evaluate(engine.decide, load_cases(path, engine.catalog.intents))
    twins = typo_agreement(engine.decide, report.outcomes)
    assert twins.rate >= floor, f"{name}: same reply for {twins.rate:.1%} of twins (>= {floor})"
