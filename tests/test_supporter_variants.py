"""Supporter variants (content/answers/<id>.supporter.md) keep every safety fact of their answer.

A peer worker, sponsor, counsellor, recovery coach or nurse gets the supporter version of an
answer, either from the stored role or because the message says so ("one of my clients
relapsed"). The checks run on the reply that person actually gets: through ``decide()`` with the
stored role, with and without a country, and through the Conversation for a message that names a
client. A suggestion list or a fallback does not count, because the person would not see the
fact.

If a phrasing stops reaching the right answer, add catalog examples (intents/*.yaml); do not
weaken the assertion.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import pytest

from bot.config import Settings
from bot.conversation import Chat, Conversation
from bot.decision import Context
from bot.lint.readability import flesch_kincaid_grade, prose, word_count
from bot.storage import Store
from bot.understanding.engine import Engine

COUNTRIES = [None, "US", "GB", "CA"]
ME = Chat(42424, "private", 42424)

SUPPORTER_VARIANTS = (
    "relapse",
    "withdrawal",
    "overdose_response",
    "naloxone",
    "cravings",
    "moud_overview",
    "aftercare",
    "brain_recovery",
    "moud_myths",
    "find_treatment",
)

# What each supporter variant must still say: the safety facts of its base answer, plus where
# to send people. Lower-case substrings of the reply.
FACTS: dict[str, tuple[str, ...]] = {
    "relapse": (
        "tolerance falls",
        "overdose is far more likely",
        "fentanyl",
        "never to use alone",
        "naloxone",
        "medication can be started again",
        "call the emergency number",
        "not blame",
    ),
    "withdrawal": (
        "can't keep fluids down",
        "medical care",
        "pregnant",
        "medicine is safer than withdrawal",
        "methadone",
        "tolerance falls after a break",
        "risk of overdose",
        "(moud)",
    ),
    "overdose_response": (
        "dial your emergency number",
        "naloxone",
        "start cpr",
        "rescue breaths only if trained",
        "chest pushes only",
        "call taker",
        "onto their side",
        "stay",
        "naloxone wears off",
        "overdose can come back",
        "give more and restart cpr",
        "good samaritan",
    ),
    "naloxone": (
        "call your emergency number",
        "breathing, not waking",
        "dose again and help them breathe",
        "xylazine",
        "medetomidine",
        "give it anyway",
        "no opioids were used",
        "alcohol or benzos",
        "30 to 90 minutes",
        "overdose can return",
        "stay",
        "nalmefene",
        "in the uk",
    ),
    "cravings": (
        "like a wave",
        "not a failure",
        "care team",
        "(moud) can ease them",
        "safety plan",
        "/crisis",
    ),
    "moud_overview": (
        "first-line",
        "buprenorphine",
        "methadone",
        "naltrexone",
        "risk of death from an overdose",
        "not been shown to cut deaths",
        "no one has to take part",
        "prescriber",
    ),
    "aftercare": (
        "(moud)",
        "standard of care",
        "dying from an overdose",
        "confirm first that the house allows it",
        "tolerance drops",
        "naloxone",
        "written plan",
    ),
    "brain_recovery": ("neuroplasticity", "weeks and months", "(moud)", "not too late"),
    "moud_myths": (
        "generally don't make people high",
        "drowsy",
        "tell their prescriber",
        "counts as recovery",
        "lifesaving",
        "relapse and overdose more likely",
        "never push anyone to stop",
        "stigma, not science",
    ),
    "find_treatment": (
        "/crisis",
        "samhsa national helpline",
        "findahelpline.com",
        "(moud)",
        "alongside counselling",
    ),
}

# Realistic ways a supporter asks, each expected to reach the answer.
PHRASINGS: dict[str, tuple[str, ...]] = {
    "relapse": ("a client relapsed last night", "one of my clients relapsed what do i do"),
    "withdrawal": ("how long does withdrawal last", "my client is going through withdrawal"),
    "overdose_response": (
        "what do i do if someone overdoses",
        "do i need to do cpr for an overdose",
    ),
    "naloxone": ("how do i use narcan", "does narcan work on tranq", "what is nalmefene"),
    "cravings": ("how do i deal with cravings", "my client keeps having cravings"),
    "moud_overview": ("what is moud", "what medications treat opioid addiction"),
    "aftercare": ("aftercare after detox", "what happens after rehab"),
    "brain_recovery": ("can the brain heal from opioids",),
    "moud_myths": ("isnt suboxone just trading one drug for another",),
    "find_treatment": ("where can i find treatment", "how do i find a rehab for my client"),
}


def _sentences(text: str) -> list[str]:
    """The claims of a reply, sentence by sentence; the "Source:" line only names documents."""
    lines = [
        line for line in text.splitlines() if not line.lower().startswith(("source:", "sources:"))
    ]
    return [s.strip() for s in re.split(r"(?<=[.!?])\s+|\n+", "\n".join(lines)) if s.strip()]


def _supporter_reply(engine: Engine, text: str, country: str | None, intent: str) -> str:
    """What a person who chose "I support others" sees; it must be the supporter variant."""
    decision = engine.decide(text, Context(country=country, role="supporter"))
    assert decision.kind == "answer", (text, decision.kind, decision.suggestions)
    assert decision.intent == intent, (text, decision.intent)
    variant = engine.catalog.variants[intent]["supporter"].text
    assert variant in decision.reply, text  # a crisis-topic banner may come first
    return decision.reply.lower()


def test_every_supporter_variant_exists(engine: Engine) -> None:
    have = {i for i, v in engine.catalog.variants.items() if "supporter" in v}
    assert set(SUPPORTER_VARIANTS) <= have


@pytest.mark.parametrize("intent", SUPPORTER_VARIANTS)
def test_a_supporter_variant_cites_its_answers_sources_and_reads_easily(
    engine: Engine, intent: str
) -> None:
    base = engine.catalog.intents[intent].answer
    variant = engine.catalog.variants[intent]["supporter"]
    assert set(base.sources) <= set(variant.sources)
    assert variant.review is not None and variant.review.checked
    assert word_count(variant.text) <= 120
    assert flesch_kincaid_grade(prose(variant.text)) <= 8.0
    assert "you support" in variant.text  # addressed to the supporter


@pytest.mark.parametrize("country", COUNTRIES)
@pytest.mark.parametrize(
    ("intent", "text"), [(i, t) for i, texts in PHRASINGS.items() for t in texts]
)
def test_a_supporter_gets_every_safety_fact(
    engine: Engine, intent: str, text: str, country: str | None
) -> None:
    reply = _supporter_reply(engine, text, country, intent)
    missing = [fact for fact in FACTS[intent] if fact not in reply]
    assert not missing, (intent, text, missing)


@pytest.mark.parametrize("intent", ["relapse", "overdose_response", "naloxone"])
def test_the_emergency_pointer_still_follows_a_supporter_variant(
    engine: Engine, intent: str
) -> None:
    reply = engine.answer_for(intent, Context(role="supporter", country="GB")).reply
    assert "call 999" in reply and "give naloxone" in reply


@pytest.mark.parametrize("country", COUNTRIES)
def test_supporter_country_facts_are_said_for_their_country(
    engine: Engine, country: str | None
) -> None:
    sentences = _sentences(
        engine.answer_for("naloxone", Context(role="supporter", country=country)).reply.lower()
    )
    for sentence in sentences:
        if "over the counter" in sentence or "without a prescription" in sentence:
            assert "in the us" in sentence, sentence
        if "nalmefene" in sentence:
            assert "in the us" in sentence and "prescription" in sentence, sentence
    assert not any(re.search(r"\bpharmacies sell it\b", s) for s in sentences)
    sentences = _sentences(
        engine.answer_for(
            "overdose_response", Context(role="supporter", country=country)
        ).reply.lower()
    )
    said = [s for s in sentences if "good samaritan" in s]
    assert said
    for sentence in said:
        assert "us states" in sentence or "in the us" in sentence, sentence
        assert "canada" in sentence, sentence
    assert not re.search(
        r"\byou (?:will not|won't|can't|cannot) (?:be|get) (?:arrested|charged)",
        " ".join(sentences),
    )
    sentences = _sentences(
        engine.answer_for("moud_overview", Context(role="supporter", country=country)).reply.lower()
    )
    assert any("fda" in s and "in the us" in s for s in sentences)


def test_a_supporter_variant_speaks_to_the_supporter_not_the_person(engine: Engine) -> None:
    relapse = engine.answer_for("relapse", Context(role="supporter")).reply
    assert relapse.startswith("If someone you support has used again")
    assert "If you used again" not in relapse
    family = engine.catalog.variants["relapse"]["family"].text
    assert family not in relapse
    note = engine.catalog.role_notes["supporter"].text
    assert note not in relapse  # the variant replaces the supporter's one-line note
    person = engine.answer_for("relapse", Context(role="recovery")).reply
    assert engine.catalog.variants["relapse"]["supporter"].text not in person


@pytest.fixture
async def conv(engine: Engine, sqlite_store: Store) -> AsyncIterator[Conversation]:
    yield Conversation(engine, sqlite_store, Settings(default_country="US"))


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("one of my clients relapsed what do i do", "relapse"),
        ("my client is going through withdrawal", "withdrawal"),
        ("my client keeps having cravings", "cravings"),
        ("how do i find a rehab for my client", "find_treatment"),
    ],
)
async def test_a_message_naming_a_client_gets_the_supporter_variant_with_its_facts(
    conv: Conversation, text: str, intent: str
) -> None:
    await conv.update_user(ME.id, role="recovery", country="US")  # the message wins
    replies = await conv.handle_text(ME, text)
    answer = replies[0]
    assert conv.engine.catalog.variants[intent]["supporter"].text in answer.text
    assert conv.engine.catalog.intents[intent].answer.text not in answer.text
    reply = answer.text.lower()
    missing = [fact for fact in FACTS[intent] if fact not in reply]
    assert not missing, (text, missing)
