"""Matching as a person meets it: near misses turned away kindly, stray letters never answered,
long posts read for their question, and the three rankers each pulling their weight."""

from __future__ import annotations

import pytest

from bot.understanding.engine import Engine
from bot.understanding.fusion import fuse
from bot.understanding.lexical import Match, Ranking


@pytest.mark.parametrize("text", ["b", "c", "t", "k", "?", "..", "x y", "hm"])
def test_stray_letters_are_never_answered(engine: Engine, text: str) -> None:
    assert engine.decide(text).kind in ("fallback", "suggest")


ALLOWED_FOR_NEAR_MISSES = {"find_treatment", "talk_to_human", None}


@pytest.mark.parametrize(
    "text",
    [
        "how long do the shakes last when you stop drinking alcohol",
        "is cocaine more addictive than weed",
        "i have a court date next week for a dui what should i wear",
        "what is the best nicotine patch for quitting smoking",
        "can i take ibuprofen and tylenol together for a headache",
    ],
)
def test_near_misses_never_get_a_confident_wrong_topic(engine: Engine, text: str) -> None:
    decision = engine.decide(text)
    assert decision.kind != "crisis"
    if decision.kind == "answer":
        assert decision.intent in ALLOWED_FOR_NEAR_MISSES, decision.intent


def test_a_long_post_is_read_for_its_question(engine: Engine) -> None:
    text = (
        "Our son is 24 and has been using heroin for about three years. Last night he came home "
        "high again and lied to our faces about it. We love him and we are exhausted. "
        "How do we help him without losing ourselves?"
    )
    decision = engine.decide(text)
    assert "family_help" in ((decision.intent,) if decision.intent else decision.suggestions)


def test_meaning_reaches_a_question_that_shares_no_words_with_the_examples(
    engine: Engine,
) -> None:
    ranking = engine.rank("my dad and his brother both got hooked, am i doomed too")
    assert "genetics" in [m.intent for m in ranking.matches[:3]]


def test_fusion_keeps_every_rankers_candidates_and_scores() -> None:
    lexical = Ranking([Match("a", 80.0, 0.8, 0.7), Match("b", 40.0, 0.4, 0.3)], 3)
    fused = fuse(lexical, {"a": 0.2, "b": 0.9, "c": 0.95}, {"a": 0.1, "b": 0.2, "d": 0.7})
    by_id = {m.intent: m for m in fused.matches}
    assert {"a", "b", "c", "d"} <= set(by_id)
    assert by_id["a"].lexical == 80.0 and by_id["b"].semantic == 0.9
    assert by_id["d"].classifier == 0.7 and by_id["d"].lexical == 0.0
    assert [m.score for m in fused.matches] == sorted(
        (m.score for m in fused.matches), reverse=True
    )


def test_without_a_classifier_the_two_other_rankers_share_its_weight() -> None:
    lexical = Ranking([Match("a", 60.0, 0.6, 0.6)], 2)
    fused = fuse(lexical, {"a": 0.6}).matches[0]
    assert fused.score == pytest.approx(60.0)


@pytest.mark.parametrize(
    "text",
    [
        "can i go to a meeting if i'm still using",
        "do you have to be clean first before you can join NA",
        "do i need to be sober already to go to a group",
    ],
)
def test_asking_whether_one_must_stop_first_hears_that_one_need_not(
    engine: Engine, text: str
) -> None:
    # A real question asked in many ways (session 11: one of them read as a crisis, "already"
    # pulling the crisis classifier). The answer says no one has to stop before a first meeting.
    decision = engine.decide(text)
    assert decision.kind == "answer" and decision.intent == "peer_support", text
    assert "don't have to stop using before you go" in decision.reply
