"""Safety facts from the clinical review of 2026-12-01, checked on what a person actually gets.

One test per harmful or wrong finding (review rows 2-6), plus the two country-dependent facts
that went with them (row 7, methadone take-homes; row 15, naloxone over the counter). Each test
sends several realistic phrasings through the decision core, with and without a country, and
asserts on the reply text: a suggestion list or a fallback does not count, because the person
would not see the fact. A crisis reply counts only where it carries the same fact (an overdose
that may be happening gets the emergency steps first).

If a phrasing stops reaching the right answer, add catalog examples (intents/*.yaml); do not
weaken the assertion.
"""

from __future__ import annotations

import re

import pytest

from bot.decision import Context, Decision
from bot.understanding.engine import Engine

COUNTRIES = [None, "US", "GB", "CA"]


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine.load()


def _sentences(text: str) -> list[str]:
    """The claims of a reply, sentence by sentence; the "Source:" line only names documents."""
    lines = [
        line for line in text.splitlines() if not line.lower().startswith(("source:", "sources:"))
    ]
    return [s.strip() for s in re.split(r"(?<=[.!?])\s+|\n+", "\n".join(lines)) if s.strip()]


def _answered(engine: Engine, text: str, country: str | None, intent: str) -> str:
    """The reply the person sees, which must be the vetted answer of ``intent``."""
    decision: Decision = engine.decide(text, Context(country=country))
    assert decision.kind == "answer", (text, decision.kind, decision.suggestions)
    assert decision.intent == intent, (text, decision.intent)
    return decision.reply.lower()


def _offered(engine: Engine, text: str) -> tuple[str | None, ...]:
    """The intents the person is offered for ``text`` (the answer's, or the suggestions, best
    first), which must not be a crisis alarm or a fallback."""
    decision = engine.decide(text, Context(country="US"))
    assert decision.kind in ("answer", "suggest"), (text, decision.kind)
    return (decision.intent,) if decision.kind == "answer" else decision.suggestions


# Row 2 (harmful): no breathing -> CPR and rescue breaths, hands-only if untrained, following the
# dispatcher; Good Samaritan reassurance stated for the countries where the law holds.
@pytest.mark.parametrize("country", COUNTRIES)
@pytest.mark.parametrize(
    "text",
    [
        "do i need to do cpr for an overdose",
        "should i do chest compressions if someone ods",
        "what if someone who overdosed isnt breathing at all",
        "do you give cpr or just narcan for an opioid overdose",
        "my friend uses, what do i do if he ods and stops breathing",
    ],
)
def test_row2_not_breathing_means_cpr_with_rescue_breaths(
    engine: Engine, text: str, country: str | None
) -> None:
    decision = engine.decide(text, Context(country=country))
    assert decision.kind in ("answer", "crisis"), (text, decision.kind, decision.suggestions)
    if decision.kind == "answer":
        assert decision.intent == "overdose_response", (text, decision.intent)
    reply = decision.reply.lower()
    assert "cpr" in reply or "chest compression" in reply, text
    assert "rescue breath" in reply, text
    if decision.kind == "answer":
        # hands-only CPR for people who are not trained, and the call taker's instructions
        assert "chest pushes only" in reply
        assert "call taker" in reply


@pytest.mark.parametrize("country", COUNTRIES)
@pytest.mark.parametrize(
    "text",
    [
        "will i get in trouble for calling 911 for an od",
        "can i get arrested for calling 911 about an overdose",
        "is there a good samaritan law for overdoses",
    ],
)
def test_row2_good_samaritan_laws_are_stated_per_country(
    engine: Engine, text: str, country: str | None
) -> None:
    reply = _answered(engine, text, country, "overdose_response")
    said = [s for s in _sentences(reply) if "good samaritan" in s]
    assert said, text
    for sentence in said:
        assert "in the us" in sentence or "canada" in sentence, sentence
    never_arrested = r"\byou (?:will not|won't|can't|cannot) (?:be|get) (?:arrested|charged)"
    assert not re.search(never_arrested, reply)


# Row 3 (harmful): pregnancy. MOUD is recommended; no detox, no sudden stop; keep taking it.
@pytest.mark.parametrize("country", COUNTRIES)
@pytest.mark.parametrize(
    "text",
    [
        "is suboxone safe while pregnant",
        "im pregnant and on methadone, should i stop",
        "should i detox now that i found out im pregnant",
        "can i keep taking subs while breastfeeding",
        "pregnant and still using fent, what should i do",
        "is being dopesick bad for my unborn baby",
    ],
)
def test_row3_pregnancy_recommends_staying_on_medicine(
    engine: Engine, text: str, country: str | None
) -> None:
    reply = _answered(engine, text, country, "pregnancy")
    assert "buprenorphine and methadone are safe in pregnancy" in reply
    assert "recommended treatment" in reply
    assert "don't stop" in reply and "suddenly" in reply
    assert "detox during pregnancy is not advised" in reply
    assert "keep taking your medicine" in reply
    assert "breastfeeding" in reply


def test_row3_withdrawal_answer_does_not_send_a_pregnant_person_through_it_alone(
    engine: Engine,
) -> None:
    reply = _answered(engine, "how long does withdrawal last", None, "withdrawal")
    assert "pregnant" in reply
    assert "medicine is safer for you and the baby than withdrawal" in reply


# Row 4 (harmful): methadone safe storage and the risk in the first weeks.
@pytest.mark.parametrize("country", COUNTRIES)
@pytest.mark.parametrize(
    "text",
    [
        "where should i keep my methadone take homes",
        "how do i store take home methadone safely",
        "i have little kids, how do i keep my methadone away from them",
        "is a lock box really needed for my take homes",
    ],
)
def test_row4_methadone_take_homes_are_locked_away_from_children(
    engine: Engine, text: str, country: str | None
) -> None:
    reply = _answered(engine, text, country, "methadone")
    assert "locked box" in reply
    assert "children" in reply
    assert "one dose can kill a child or anyone without tolerance" in reply
    assert "first weeks carry the most risk" in reply
    assert "sleepy" in reply


# Row 7 (outdated, with row 4): the 2024 take-home rules are a US rule and are said as one.
@pytest.mark.parametrize("country", COUNTRIES)
@pytest.mark.parametrize(
    "text",
    [
        "can i get take homes in my first week at the methadone clinic",
        "how do you earn take homes at the clinic",
        "what are the rules for methadone take homes now",
    ],
)
def test_row7_take_home_rules_are_the_2024_us_rules(
    engine: Engine, text: str, country: str | None
) -> None:
    reply = _answered(engine, text, country, "methadone")
    assert "since 2024" in reply
    assert "earn" not in reply
    for sentence in _sentences(reply):
        if "take-homes from the first weeks" in sentence:
            assert "us rules" in sentence
    assert "in the us" in reply


# Row 5: naloxone with xylazine or medetomidine: give it anyway, aim for breathing, support it.
@pytest.mark.parametrize("country", COUNTRIES)
@pytest.mark.parametrize(
    "text",
    [
        "does narcan work on tranq",
        "will naloxone reverse xylazine",
        "should i still give narcan if the dope has tranq in it",
        "does narcan work on medetomidine",
    ],
)
def test_row5_naloxone_is_given_anyway_and_breathing_is_the_goal(
    engine: Engine, text: str, country: str | None
) -> None:
    reply = _answered(engine, text, country, "naloxone")
    assert "xylazine" in reply and "medetomidine" in reply
    assert "give it anyway" in reply
    assert "watch breathing, not waking" in reply
    assert "help them breathe" in reply
    assert "does not wake up" not in reply


@pytest.mark.parametrize("country", COUNTRIES)
@pytest.mark.parametrize(
    "text",
    [
        "how much narcan do i give",
        "how many sprays of narcan should i use",
        "when do you give a second dose of naloxone",
    ],
)
def test_row5_how_much_naloxone_gets_breathing_as_the_goal_and_help_first(
    engine: Engine, text: str, country: str | None
) -> None:
    """Either vetted answer may carry it (the dose answer's naloxone line, or naloxone's own)."""
    decision = engine.decide(text, Context(country=country))
    assert decision.kind == "answer", (text, decision.kind, decision.suggestions)
    assert decision.intent in ("dosing_question", "naloxone"), (text, decision.intent)
    reply = decision.reply.lower()
    assert "call your emergency number" in reply
    assert "breathing, not waking" in reply
    assert "does not wake up" not in reply
    if decision.intent == "dosing_question":
        assert "call your emergency number first" in reply


@pytest.mark.parametrize("text", ["what is nalmefene", "is there something stronger than narcan"])
def test_row5_nalmefene_is_named_as_a_us_prescription_option(engine: Engine, text: str) -> None:
    reply = _answered(engine, text, "US", "naloxone")
    sentence = next(s for s in _sentences(reply) if "nalmefene" in s)
    assert "in the us" in sentence and "prescription" in sentence


# Row 15 (country-aware, with row 5): over the counter is a US fact, never a universal one.
@pytest.mark.parametrize(
    "text",
    [
        "can i buy narcan over the counter",
        "do i need a prescription for naloxone",
        "where can i get naloxone",
    ],
)
def test_row15_over_the_counter_is_said_for_the_us_only(engine: Engine, text: str) -> None:
    for country in COUNTRIES:
        reply = _answered(engine, text, country, "naloxone")
        for sentence in _sentences(reply):
            if "over the counter" in sentence or "without a prescription" in sentence:
                assert "in the us" in sentence, (country, sentence)
    gb = _answered(engine, text, "GB", "naloxone")
    assert "in the uk" in gb
    assert not re.search(r"\bpharmacies sell it\b", gb)


# Row 6 (wrong): precipitated withdrawal, and how a buprenorphine start is timed.
@pytest.mark.parametrize("country", COUNTRIES)
@pytest.mark.parametrize(
    "text",
    [
        "what is precipitated withdrawal",
        "why did my first sub make me so sick",
        "can i take suboxone right after using fent",
        "what is precipitated withdrawal from subs and why does it happen",
        "why do you have to wait to be sick before starting bupe",
    ],
)
def test_row6_buprenorphine_explains_precipitated_withdrawal(
    engine: Engine, text: str, country: str | None
) -> None:
    reply = _answered(engine, text, country, "buprenorphine")
    assert "precipitated withdrawal" in reply
    assert "sudden, severe withdrawal" in reply
    assert "once withdrawal has begun" in reply
    assert "fentanyl or methadone" in reply and "prescriber" in reply


@pytest.mark.parametrize("country", COUNTRIES)
@pytest.mark.parametrize(
    "text",
    [
        "my friend says she wants to die",
        "how do i help my brother, he keeps saying he's a burden and wants to die",
        "what should i say to someone who talks about suicide",
    ],
)
def test_helping_someone_who_talks_about_suicide_leads_with_the_line_and_the_steps(
    engine: Engine, text: str, country: str | None
) -> None:
    # Not an alarm (nothing says it is happening now), but the crisis line comes first and the
    # answer gives the 988 Lifeline's steps: ask directly, keep them safe from the means, connect
    # them to help, and call the emergency number if they are in danger now.
    reply = _answered(engine, text, country, "helping_someone_at_risk")
    first = reply.split("\n\n")[0]
    assert "988" in first or "116 123" in first or "findahelpline" in first
    assert reply.count("if you or someone near you is in danger now") == 1
    assert "ask them straight out" in reply and "does not put the idea" in reply
    assert "pills, guns" in reply
    assert "call your emergency number" in reply


@pytest.mark.parametrize(
    "text",
    [
        "my friend has pills and says she wants to die",
        "how do i help my son, he says he wants to end it tonight",
    ],
)
def test_someone_else_with_the_means_or_a_time_gets_the_crisis_reply(
    engine: Engine, text: str
) -> None:
    decision = engine.decide(text, Context(country="US"))
    assert decision.kind == "crisis", text
    assert "988" in decision.reply and "911" in decision.reply


# Session 10: leftover opioids at home (storage and disposal), country by country. Checked
# against FDA's disposal page and flush list, DEA's take-back sites and the NHS page.
@pytest.mark.parametrize("country", COUNTRIES)
@pytest.mark.parametrize(
    "text",
    [
        "how do i get rid of my old oxycodone after surgery",
        "where can i drop off leftover pain pills",
        "how do we get rid of leftover morphine after a death in the family",
    ],
)
def test_leftover_opioids_are_locked_away_or_taken_back(
    engine: Engine, text: str, country: str | None
) -> None:
    reply = _answered(engine, text, country, "safe_storage")
    assert "one dose can kill a child" in reply
    assert "lock them away" in reply
    # the US way, said as the US way: take-back first, then the FDA's flush list
    assert "us: take them to a drug take-back site" in reply
    assert "the fda says most opioids can be flushed" in reply
    # the UK way is different: back to a pharmacy, never the bin or the toilet
    assert "uk: take them to any pharmacy. not the bin or the toilet." in reply
    assert "elsewhere, ask a pharmacist" in reply


@pytest.mark.parametrize("country", COUNTRIES)
def test_a_flush_question_offers_the_storage_answer_first(
    engine: Engine, country: str | None
) -> None:
    """A borderline phrasing (session 11: its confidence moves across the answer threshold from
    one refit to the next): answered, or offered as the first suggestion, and the answer one tap
    away says how flushing differs by country."""
    context = Context(country=country)
    decision = engine.decide("is it ok to just flush old percocets", context)
    assert decision.kind in ("answer", "suggest")
    if decision.kind == "answer":
        assert decision.intent == "safe_storage"
    else:
        assert decision.suggestions[0] == "safe_storage"
    reply = engine.answer_for("safe_storage", context).reply.lower()
    assert "the fda says most opioids can be flushed" in reply
    assert "uk: take them to any pharmacy. not the bin or the toilet." in reply


# Session 11: a missed dose. Never doubled (MedlinePlus, methadone for opioid addiction); after
# about 3 days in a row without methadone tolerance can drop, so clinics check and restart lower
# (Australia's methadone guidelines, section 3.5; "about" and "often": services differ).
@pytest.mark.parametrize("country", COUNTRIES)
@pytest.mark.parametrize(
    "text",
    [
        "missed my methadone yesterday, can i take two today",
        "i skipped my dose yesterday, should i double up",
        "forgot my suboxone this morning what do i do",
        "i missed 4 days at the clinic, can i go back to my usual dose",
    ],
)
def test_a_missed_dose_is_never_doubled_and_the_clinic_is_called(
    engine: Engine, text: str, country: str | None
) -> None:
    reply = _answered(engine, text, country, "dosing_question")
    assert "don't double up" in reply
    assert "call your clinic or prescriber" in reply
    sentence = next(s for s in _sentences(reply) if "tolerance can drop" in s)
    assert "methadone" in sentence and "restart lower" in sentence
    # the overdose risk of lower tolerance is said on the same reply
    assert "lower tolerance can cause an overdose" in reply


# Session 13: a pet that ate someone's opioid medicine needs a vet now, not the person's
# emergency number (Pet Poison Helpline; ASPCA Animal Poison Control for the US line, marked as
# the US one; naloxone for a dog that collapsed, per Ohio State's veterinary center). A person who
# took some too still gets the crisis reply first.
@pytest.mark.parametrize("country", COUNTRIES)
@pytest.mark.parametrize(
    "text",
    [
        "the cat knocked a morphine tablet off my bedside table and ate it",
        "my beagle swallowed two of my oxycodone",
    ],
)
def test_a_pet_that_ate_medicine_is_sent_to_a_vet(
    engine: Engine, text: str, country: str | None
) -> None:
    reply = _answered(engine, text, country, "pet_swallowed_medicine")
    assert "needs a vet now, even if it seems fine" in reply
    assert "call your vet or an emergency vet now" in reply
    assert "us: aspca animal poison control, (888) 426-4435" in reply
    assert "elsewhere: your vet or an out-of-hours vet" in reply
    assert "if you have naloxone (narcan), give it" in reply
    assert "don't make your pet sick unless a vet tells you to" in reply


@pytest.mark.parametrize(
    "text",
    [
        "i found my spaniel chewing an empty suboxone wrapper, there might have been a film in it",
        "our old lab just wolfed down a methadone tablet i dropped",
    ],
)
def test_a_pet_phrased_unlike_the_examples_is_at_least_offered_the_vet_answer(
    engine: Engine, text: str
) -> None:
    """Phrasings far from the catalog's examples (session 13: these two got suggestions): never
    the person's overdose steps, and the pet answer is one tap away."""
    offered = _offered(engine, text)
    assert "pet_swallowed_medicine" in offered, (text, offered)


def test_a_person_who_took_some_with_the_pet_gets_the_crisis_reply(engine: Engine) -> None:
    decision = engine.decide(
        "the dog ate some of my pills and i took 10 of them too", Context(country="US")
    )
    assert decision.kind == "crisis"
    assert "911" in decision.reply


# Session 14: a dose that is gone (lost, spilled, stolen, thrown up). The clinic or prescriber
# decides about a replacement (SAMHSA TIP 63); nothing is made up with extra or street opioids
# (MedlinePlus; fentanyl, CDC); a spill is kept from children (FDA methadone label); a swallowed
# dose is an emergency (US Poison Help, marked as the US line); UK pharmacies cannot hand out
# more without a prescription (NHS), marked as the UK rule.
@pytest.mark.parametrize("country", COUNTRIES)
@pytest.mark.parametrize(
    "text",
    [
        "my bupe strips were in my jacket and the jacket got stolen",
        "my meds got taken from my bag at the hostel last night",
    ],
)
def test_a_dose_that_is_gone_goes_to_the_clinic_and_is_never_made_up(
    engine: Engine, text: str, country: str | None
) -> None:
    reply = _answered(engine, text, country, "lost_dose")
    assert "tell your clinic, prescriber or pharmacy today" in reply
    assert "don't make up for it with an extra dose, someone else's medicine or street drugs" in (
        reply
    )
    assert "street drugs may contain fentanyl" in reply
    assert "keep children and pets away" in reply and "one dose can kill a child" in reply
    sentence = next(s for s in _sentences(reply) if "1-800-222-1222" in s)
    assert sentence.startswith("us: poison help"), sentence
    assert "someone may have swallowed some? call your emergency number now" in reply
    assert "uk: call your drug service or prescriber" in reply
    assert "some us clinics ask for a police report" in reply


@pytest.mark.parametrize(
    "text",
    [
        "somebody nicked my methadone out of the fridge at the hostel",
        "knocked the cup and my whole methadone dose went down the sink",
        "i dropped my methadone bottle and it smashed",
    ],
)
def test_a_gone_dose_phrased_unlike_the_examples_is_offered_that_answer_first(
    engine: Engine, text: str
) -> None:
    """Phrasings far from the catalog's examples (session 14: these got suggestions): never an
    alarm, and the lost-dose answer is the first choice."""
    offered = _offered(engine, text)
    assert offered[0] == "lost_dose", (text, offered)


@pytest.mark.parametrize("country", COUNTRIES)
def test_a_thrown_up_dose_is_never_doubled_and_goes_to_the_clinic(
    engine: Engine, country: str | None
) -> None:
    """Session 14: "puked up my methadone" raised the overdose alarm (P 0.78); guard.dose_thrown_up
    holds it back, and either answer that takes it says the same two things."""
    decision = engine.decide(
        "i puked up my methadone half an hour after dosing", Context(country=country)
    )
    assert decision.kind == "answer", decision.kind
    assert decision.intent in ("lost_dose", "dosing_question"), decision.intent
    reply = decision.reply.lower()
    assert "don't double up" in reply or "don't make up for it with an extra dose" in reply
    assert "call your clinic or prescriber" in reply or "tell your clinic" in reply


@pytest.mark.parametrize(
    "text",
    [
        "my toddler drank some of the methadone i spilled",
        "my friend drank my take home dose by mistake and now he can't stay awake",
    ],
)
def test_a_spilled_dose_someone_swallowed_gets_the_crisis_reply(engine: Engine, text: str) -> None:
    decision = engine.decide(text, Context(country="US"))
    assert decision.kind == "crisis", (text, decision.kind)
    assert "911" in decision.reply
