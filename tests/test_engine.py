"""decide(): what a person gets back, on the real catalog, for good and bad input."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.decision import Context
from bot.understanding.engine import Engine


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine.load()


def test_a_clear_question_gets_its_vetted_answer_with_sources(engine: Engine) -> None:
    decision = engine.decide("how does narcan work")
    assert decision.kind == "answer"
    assert decision.intent == "naloxone"
    assert engine.catalog.intents["naloxone"].answer.text in decision.reply
    assert "Sources: " in decision.reply


def test_typos_slang_and_caps_still_find_the_topic(engine: Engine) -> None:
    for text, intent in [
        ("WHAT IS SUBOXONE", "buprenorphine"),
        ("how long does withdrawl last", "withdrawal"),
        ("whats vivitrol", "naltrexone"),
    ]:
        decision = engine.decide(text)
        assert intent in (decision.intent, *decision.suggestions), text


def test_a_crisis_is_answered_before_any_topic(engine: Engine) -> None:
    decision = engine.decide("i want to kill myself, what is methadone")
    assert decision.kind == "crisis"
    assert decision.intent is None
    assert "988" in engine.decide("i want to end my life", Context(country="US")).reply


def test_crisis_reply_uses_the_persons_country(engine: Engine) -> None:
    uk = engine.decide("i want to end my life", Context(country="GB"))
    assert "116 123" in uk.reply
    assert "999" in uk.reply


def test_overdose_topics_carry_a_pointer_to_emergency_help(engine: Engine) -> None:
    decision = engine.answer_for("overdose_response", Context(country="AU"))
    assert "000" in decision.reply


def test_off_topic_messages_fall_back_kindly_with_the_topic_menu(engine: Engine) -> None:
    decision = engine.decide("whats a good pizza topping")
    assert decision.kind == "fallback"
    assert decision.intent is None
    assert "/topics" in decision.reply
    assert "/crisis" in decision.reply


def test_suggestions_are_real_intents_and_listed_in_the_reply(engine: Engine) -> None:
    decision = engine.decide("brain")
    if decision.kind == "suggest":
        assert 1 <= len(decision.suggestions) <= 3
        for intent in decision.suggestions:
            assert engine.catalog.intents[intent].title in decision.reply
    else:
        assert decision.kind in ("answer", "fallback")


def test_never_a_dose(engine: Engine) -> None:
    decision = engine.decide("how many mg of suboxone should i take")
    assert decision.kind == "answer"
    assert decision.intent == "dosing_question"


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   \n\t ",
        "😭😭😭",
        "x" * 10_000,
        "hola " * 2_000,
        "\x00\x01\x02 control \x1b[31m",
        "<b>bold</b> <script>alert(1)</script>",
        "**markdown** _it_ [link](http://x)",
        "Как дела?",
        "我很好",
        "مرحبا",
        "\u200b\u200b",
    ],
)
def test_bad_input_never_raises_and_gets_a_sensible_kind(engine: Engine, text: str) -> None:
    decision = engine.decide(text)
    assert decision.kind in ("fallback", "suggest", "answer", "crisis")
    assert decision.reply
    if not text.strip():
        assert decision.kind == "fallback"


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.text(max_size=400))
def test_decide_never_raises_on_any_text(engine: Engine, text: str) -> None:
    decision = engine.decide(text)
    assert decision.kind in ("fallback", "suggest", "answer", "crisis")
    assert 0 <= decision.score <= 100
    assert len(decision.suggestions) <= 3
    assert decision.reply


def test_family_members_get_a_line_for_them_under_topic_answers(engine: Engine) -> None:
    note = engine.catalog.role_notes["family"].text
    family = engine.answer_for("genetics", Context(role="family"))  # no family variant
    person = engine.answer_for("genetics", Context(role="recovery"))
    assert note in family.reply
    assert note not in person.reply
    assert note not in engine.answer_for("family_help", Context(role="family")).reply
    assert note not in engine.answer_for("greeting", Context(role="family")).reply


@pytest.mark.parametrize(
    "text",
    [
        "what should i do if my buddy ods at a party",
        "my cousin ods a lot, what do i do",
        "narcan at a festival??",
    ],
)
def test_a_question_naming_an_overdose_is_never_just_turned_away(engine: Engine, text: str) -> None:
    decision = engine.decide(text)
    assert decision.kind != "fallback"
    if decision.kind == "suggest":
        assert decision.suggestions[0] in ("overdose_response", "naloxone", "overdose_risk")


def test_off_topic_words_that_only_look_like_topics_still_fall_back(engine: Engine) -> None:
    assert engine.decide("how do i reset my phone").kind == "fallback"


def test_source_line_names_the_article_once_with_its_sections(engine: Engine) -> None:
    reply = engine.answer_for("brain_development", Context()).reply
    line = reply.splitlines()[-1]
    assert line.startswith("Sources: Opioid Addiction and the Brain (§ ")
    assert line.count("Opioid Addiction and the Brain") == 1 and "section" not in line
    assert "NIDA: Drugs, Brains, and Behavior" in line


@pytest.mark.parametrize("intent", ["greeting", "thanks", "bot_help"])
def test_no_source_line_on_greeting_thanks_or_help(engine: Engine, intent: str) -> None:
    reply = engine.answer_for(intent, Context()).reply
    assert "Source" not in reply and "user guide" not in reply


def test_a_long_source_list_is_cut_only_where_sources_can_be_shown(engine: Engine) -> None:
    whole = engine.answer_for("moud_overview", Context()).reply.splitlines()[-1]
    assert "Federal Register" in whole and "more (/sources)" not in whole
    cut = engine.answer_for("moud_overview", Context(sources_limit=200)).reply.splitlines()[-1]
    assert cut.endswith("and 4 more (/sources)") and len(cut) < 240
    assert cut.startswith("Sources: Opioid Addiction and the Brain (§ Medication-Assisted")


def test_a_family_variant_replaces_the_answer_and_its_note(engine: Engine) -> None:
    variant = engine.catalog.variants["withdrawal"]["family"].text
    family = engine.answer_for("withdrawal", Context(role="family")).reply
    assert family.startswith(variant) and engine.catalog.role_notes["family"].text not in family
    by_message = engine.answer_for("withdrawal", Context(role="recovery", audience="family"))
    assert by_message.reply.startswith(variant)
    assert not engine.answer_for("withdrawal", Context(role="recovery")).reply.startswith(variant)


def test_why_do_i_crave_is_answered_with_why_cravings_happen(engine: Engine) -> None:
    decision = engine.decide("why do i crave so bad")
    assert (decision.kind, decision.intent) == ("answer", "cravings")
    reply = decision.reply.lower()
    assert "why it happens" in reply and "places, people" in reply  # the cause first...
    assert "right now:" in reply  # ...then what to do about it
    later = engine.decide("why do cravings come back months after quitting")
    assert later.intent == "cravings" or "cravings" in later.suggestions
