"""Crisis replies and help lines: each country's own numbers, help first, short and safe."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from bot.crisis import (
    CrisisResources,
    CrisisSignal,
    ResourcesError,
    crisis_reply,
    help_lines_text,
    overdose_pointer,
)
from bot.crisis.resources import DEFAULT_RESOURCES

# (emergency number, first crisis line, a drug/poison line (or another line)) as FACTS.md and the
# 2026-12-01 clinical review give them.
EXPECTED = {
    "US": ("911", "988", "1-800-222-1222"),
    "CA": ("911", "988", "1-888-688-6677"),
    "GB": ("999", "116 123", "0300 123 6600"),
    "IE": ("112", "116 123", "1800 459 459"),
    "AU": ("000", "13 11 14", "1800 250 015"),
    "NZ": ("111", "1737", "0800 787 797"),
    "IN": ("112", "14416", "14446"),
    "DE": ("112", "0800 111 0 111", "01806 313031"),
    "ES": ("112", "024", "024"),
    "MX": ("911", "800 911 2000", "800 911 2000"),
}
OVERDOSE = CrisisSignal("overdose", 100.0, "overdose.not_breathing", "en")
SUICIDE = CrisisSignal("suicide", 100.0, "suicide.want_to_die", "en")
VIOLENCE = CrisisSignal("violence", 100.0, "violence.threat_to_me", "en")
SPANISH = CrisisSignal("suicide", 100.0, "suicide.es_want_to_die", "es")


@pytest.fixture(scope="module")
def resources() -> CrisisResources:
    return CrisisResources.load()


def test_every_facts_country_is_listed(resources: CrisisResources) -> None:
    assert [code for code, _ in resources.countries()] == list(EXPECTED)


@pytest.mark.parametrize("code", list(EXPECTED))
def test_overdose_reply_leads_with_emergency_number_and_steps(
    resources: CrisisResources, code: str
) -> None:
    emergency, crisis, _ = EXPECTED[code]
    reply = crisis_reply(OVERDOSE, resources.for_country(code))
    first_lines = reply.split("\n\n")[1]
    assert f"Call {emergency}" in first_lines.splitlines()[0]
    assert "naloxone" in reply.lower() and "recovery position" in reply
    assert "Stay with them" in reply
    assert "rescue breaths or CPR" in reply and "chest" in reply
    assert crisis in reply
    assert len(reply) <= 900


@pytest.mark.parametrize("code", list(EXPECTED))
def test_suicide_reply_leads_with_crisis_line(resources: CrisisResources, code: str) -> None:
    emergency, crisis, _ = EXPECTED[code]
    reply = crisis_reply(SUICIDE, resources.for_country(code))
    assert reply.index(crisis) < reply.index(f"call {emergency}")
    assert "bot" in reply and len(reply) <= 900


@pytest.mark.parametrize("code", list(EXPECTED))
def test_violence_reply_leads_with_emergency(resources: CrisisResources, code: str) -> None:
    emergency, crisis, _ = EXPECTED[code]
    reply = crisis_reply(VIOLENCE, resources.for_country(code))
    assert f"call {emergency}" in reply.splitlines()[0]
    assert crisis in reply and len(reply) <= 900


@pytest.mark.parametrize("code", list(EXPECTED))
def test_help_lines_text_names_all_three_kinds(resources: CrisisResources, code: str) -> None:
    text = help_lines_text(resources.for_country(code))
    for number in EXPECTED[code]:
        assert number in text
    assert "Numbers checked on 2026-1" in text


@pytest.mark.parametrize("code", list(EXPECTED))
def test_overdose_pointer_is_one_line(resources: CrisisResources, code: str) -> None:
    pointer = overdose_pointer(resources.for_country(code))
    assert "\n" not in pointer
    assert EXPECTED[code][0] in pointer and "naloxone" in pointer


@pytest.mark.parametrize("code", [None, "", "xx", "FR", "zz ", "ZZ"])
def test_unknown_country_gets_findahelpline(resources: CrisisResources, code: str | None) -> None:
    country = resources.for_country(code)
    assert country.is_fallback
    for signal in (OVERDOSE, SUICIDE, VIOLENCE):
        reply = crisis_reply(signal, country)
        assert "findahelpline.com" in reply
        assert "local emergency number" in reply
    assert "findahelpline.com" in help_lines_text(country)


@pytest.mark.parametrize("alias", ["UK", "uk", "gb", " GB "])
def test_uk_is_gb(resources: CrisisResources, alias: str) -> None:
    assert resources.for_country(alias).code == "GB"


def test_spanish_crisis_gets_a_spanish_first_line(resources: CrisisResources) -> None:
    reply = crisis_reply(SPANISH, resources.for_country("US"))
    assert reply.startswith("Si es una emergencia, llama al 911")
    fallback = crisis_reply(SPANISH, resources.for_country(None))
    assert "número de emergencias local" in fallback.splitlines()[0]


def test_safety_plan_follows_the_help(resources: CrisisResources) -> None:
    plan = "1. My warning signs\n- payday"
    reply = crisis_reply(SUICIDE, resources.for_country("US"), safety_plan_text=plan)
    assert reply.index("988") < reply.index("payday")
    assert crisis_reply(SUICIDE, resources.for_country("US"), "  ") == crisis_reply(
        SUICIDE, resources.for_country("US")
    )


@pytest.mark.parametrize("signal", [OVERDOSE, SUICIDE, VIOLENCE])
def test_no_method_words_or_promises(resources: CrisisResources, signal: CrisisSignal) -> None:
    reply = crisis_reply(signal, resources.for_country("US")).lower()
    for word in ("mg", "bridge", "rope", "gun", "everything will be", "i will call", "promise"):
        assert word not in reply


def test_every_line_has_source_and_fresh_date(resources: CrisisResources) -> None:
    assert not resources.stale_lines(dt.date(2026, 12, 2))
    assert resources.stale_lines(dt.date(2028, 1, 1))


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("verified_on: 2026-12-02}", "verified_on: someday}", "verified_on"),
        ('number: "911", how: call', 'number: "911", how: fax', "how must be"),
        ("languages: [en, es]", "languages: [english]", "languages must be"),
        ('number: "911"', 'number: "nine"', "digits"),
        ("  GB:\n", "  GBR:\n", "alpha-2"),
    ],
)
def test_broken_resources_name_file_and_line(
    tmp_path: Path, old: str, new: str, message: str
) -> None:
    text = DEFAULT_RESOURCES.read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "res.yaml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(ResourcesError) as err:
        CrisisResources.load(path)
    assert str(err.value).startswith(f"{path}:")
    assert int(str(err.value)[len(str(path)) + 1 :].split(":")[0]) > 1
    assert message in str(err.value)
