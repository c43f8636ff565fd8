"""What a person in crisis receives: the help lines of their country, or, when the bot does not
know the country, every listed country's main line on one screen (issue #11 items 4-5, issue #15
item 3, clinical review rows 1 and 25-29)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.cli import main
from bot.config import Settings
from bot.conversation import actions, menus
from bot.conversation.reply import Chat, Reply
from bot.conversation.service import Conversation
from bot.crisis import CrisisResources
from bot.crisis.reply import MAX_REPLY_CHARS
from bot.decision import Context
from bot.storage import Store
from bot.understanding.engine import Engine

SUICIDE = "i want to end my life"
OVERDOSE = "my friend overdosed and isnt breathing"
VIOLENCE = "im going to hurt someone"
SUICIDE_ES = "quiero morir"
OVERDOSE_ES = "mi amigo tuvo una sobredosis y no respira"
# The main line of every listed country, as the review and FACTS.md give them.
NATIONAL = ("988", "116 123", "13 11 14", "1737", "14416", "0800 111 0 111", "024", "800 911 2000")
EMERGENCIES = ("911", "999", "112", "000", "111")
UNKNOWN = Context(country=None)


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine.load()


def reply(engine: Engine, text: str, context: Context = UNKNOWN) -> str:
    decision = engine.decide(text, context)
    assert decision.kind == "crisis", text
    return decision.reply


# --- country not known --------------------------------------------------------------------


def test_unknown_country_suicide_reply_names_every_national_line(engine: Engine) -> None:
    text = reply(engine, SUICIDE)
    for number in NATIONAL:
        assert number in text, number
    assert "US, Canada: call or text 988" in text
    assert "UK, Ireland: Samaritans, call 116 123" in text
    assert "findahelpline.com" in text and "local emergency number" in text
    assert "/country" in text
    assert len(text) <= MAX_REPLY_CHARS


def test_unknown_country_overdose_reply_names_the_emergency_numbers_first(engine: Engine) -> None:
    text = reply(engine, OVERDOSE)
    first_step = next(line for line in text.splitlines() if line.startswith("1. "))
    for number in EMERGENCIES:
        assert re.search(rf"\b{number}\b", first_step), number
    assert "local emergency number" in first_step
    assert text.count("findahelpline.com") == 1  # review: it was listed twice
    assert len(text) <= MAX_REPLY_CHARS


@pytest.mark.parametrize("message", [SUICIDE, OVERDOSE, VIOLENCE, SUICIDE_ES, OVERDOSE_ES])
def test_every_unknown_country_reply_fits_one_screen(engine: Engine, message: str) -> None:
    text = reply(engine, message)
    assert len(text) <= MAX_REPLY_CHARS
    assert len(text.splitlines()) <= 24
    assert text.count("findahelpline.com") == 1


def test_somewhere_else_gets_worldwide_lines_not_the_national_list(engine: Engine) -> None:
    text = reply(engine, SUICIDE, Context(country="ZZ"))
    assert "findahelpline.com" in text and "local emergency number" in text
    assert "Samaritans" not in text and "988" not in text


# --- Spanish ------------------------------------------------------------------------------


def test_spanish_unknown_country_leads_with_lines_that_answer_in_spanish(engine: Engine) -> None:
    text = reply(engine, SUICIDE_ES)
    assert text.startswith("Si es una emergencia")
    spanish_block = text.split("Líneas que atienden en español:")[1].split("Other countries")[0]
    assert "988" in spanish_block and "marca 2" in spanish_block
    assert "024" in spanish_block and "800 911 2000" in spanish_block
    assert "Canada" not in spanish_block  # Canada's 988 answers in English and French
    assert text.index("800 911 2000") < text.index("116 123")
    for number in NATIONAL:
        assert number in text
    assert len(text) <= MAX_REPLY_CHARS


def test_spanish_in_the_us_gets_the_spanish_option_of_988(engine: Engine) -> None:
    text = reply(engine, SUICIDE_ES, Context(country="US"))
    assert text.startswith("Si es una emergencia, llama al 911")
    assert "marca 2 para español" in text


@pytest.mark.parametrize(
    ("code", "emergency", "line"), [("ES", "112", "024"), ("MX", "911", "800 911 2000")]
)
def test_spain_and_mexico_have_their_own_lines(
    engine: Engine, code: str, emergency: str, line: str
) -> None:
    for message in (SUICIDE_ES, OVERDOSE_ES, SUICIDE):
        text = reply(engine, message, Context(country=code))
        assert emergency in text and line in text
        assert "findahelpline.com" not in text
        assert len(text) <= MAX_REPLY_CHARS


# --- known countries ----------------------------------------------------------------------


def test_overdose_steps_are_in_order_and_say_what_to_do_if_not_breathing(engine: Engine) -> None:
    text = reply(engine, OVERDOSE, Context(country="US"))
    order = ["Call 911", "naloxone", "rescue breaths or CPR", "recovery position", "Stay with"]
    positions = [text.index(part) for part in order]
    assert positions == sorted(positions)
    assert "Not trained? Push hard and fast" in text  # hands-only CPR
    assert "call taker will guide you" in text  # follow the dispatcher


@pytest.mark.parametrize("country", [None, "US", "GB", "AU"])
def test_a_child_who_swallowed_medicine_is_an_emergency_even_if_they_seem_fine(
    engine: Engine, country: str | None
) -> None:
    """Step 1 says to tell the call taker the person is not breathing; a parent whose toddler
    looks well must not read that as "not us" (FDA: a child who takes methadone or
    buprenorphine needs emergency help right away)."""
    text = reply(engine, "my toddler chewed one of my suboxone strips", Context(country=country))
    emergency = {None: "local emergency number", "US": "911", "GB": "999", "AU": "000"}[country]
    child = next(line for line in text.splitlines() if line.startswith("A child swallowed"))
    assert emergency in child and "even if they seem fine" in child
    assert "Took too much yourself" not in text  # the child line takes its place
    assert len(text) <= MAX_REPLY_CHARS
    # an adult's overdose keeps the line for someone who took too much themselves
    assert "even if they seem fine" not in reply(engine, OVERDOSE, Context(country=country))


@pytest.mark.parametrize("code", ["US", "CA", "GB", "IE", "AU", "NZ", "IN", "DE", "ES", "MX"])
@pytest.mark.parametrize("message", [SUICIDE, OVERDOSE, VIOLENCE, SUICIDE_ES])
def test_known_country_replies_fit_and_name_no_number_twice(
    engine: Engine, code: str, message: str
) -> None:
    text = reply(engine, message, Context(country=code))
    assert len(text) <= MAX_REPLY_CHARS
    bullets = [line for line in text.splitlines() if line.startswith("- ")]
    assert len(bullets) == len(set(bullets))
    assert "/country for your country" not in text


def test_northern_ireland_is_covered_within_the_uk(engine: Engine) -> None:
    text = reply(engine, SUICIDE, Context(country="GB"))
    assert "Lifeline (Northern Ireland): call 0808 808 8000" in text
    assert "not in Northern Ireland" in text  # the 111 mental health option


def test_help_lines_show_costs_hours_and_text_lines(engine: Engine) -> None:
    assert "€0.20 per call" in engine.help_lines(Context(country="DE"))
    au = engine.help_lines(Context(country="AU"))
    assert "text 0477 13 11 14" in au and "South Australia" in au
    assert "Monday to Friday" in engine.help_lines(Context(country="IE"))
    unknown = engine.help_lines(UNKNOWN)
    for number in NATIONAL:
        assert number in unknown


# --- the data -----------------------------------------------------------------------------


def test_every_line_has_a_source_url_and_a_check_date() -> None:
    resources = CrisisResources.load()
    checked = dt.date(2026, 12, 2)
    codes = [code for code, _ in resources.countries()]
    for code in [*codes, None]:
        country = resources.for_country(code) if code else resources.fallback
        for line in country.all_lines():
            assert line.source.startswith("https://"), (code, line.name)
            if line.verified_on != checked:
                # Not found in the stored copies: the reason and what to re-check are recorded.
                assert line.source_note and "re-check" in line.source_note, (code, line.name)


def test_resources_header_has_no_build_machine_path() -> None:
    header = Path("content/crisis_resources.yaml").read_text(encoding="utf-8").split("version:")[0]
    assert "/work/" not in header and "not by dialling" in header


# --- recovery-bot ask --country -------------------------------------------------------------


def test_ask_country_shows_the_reply_for_that_country(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DEFAULT_COUNTRY", raising=False)
    assert main(["ask", "--country", "uk", SUICIDE]) == 0
    out = capsys.readouterr().out
    assert "116 123" in out and "988" not in out
    assert main(["ask", "--country", "MX", "--json", SUICIDE_ES]) == 0
    assert "800 911 2000" in capsys.readouterr().out
    assert main(["ask", SUICIDE]) == 0
    assert "Samaritans" in capsys.readouterr().out  # no country: the national list


def test_ask_unknown_country_is_a_clear_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ask", "--country", "FR", SUICIDE]) == 2
    err = capsys.readouterr().err
    assert "unknown country 'FR'" in err and "US" in err and "ZZ" in err


# --- the one-tap country choice ---------------------------------------------------------------


def test_likely_countries_from_the_telegram_language() -> None:
    listed = ["US", "CA", "GB", "IE", "AU", "NZ", "IN", "DE", "ES", "MX"]
    assert menus.likely_countries("en-GB", listed) == ("GB",)
    assert menus.likely_countries("es", listed) == ("ES", "MX", "US")
    assert menus.likely_countries("es-MX", listed) == ("MX",)
    assert menus.likely_countries("de", listed) == ("DE",)
    assert menus.likely_countries("en", listed) == ()
    assert menus.likely_countries(None, listed) == ()
    assert menus.likely_countries("pt-BR", listed) == ()


@pytest.fixture
async def conv(engine: Engine, sqlite_store: Store) -> AsyncIterator[Conversation]:
    yield Conversation(engine, sqlite_store, Settings(default_country=None))


def _country_actions(reply: Reply) -> list[str]:
    prefix = actions.make(actions.COUNTRY) + ":"
    return [b.action for b in reply.all_buttons() if b.action.startswith(prefix)]


async def test_crisis_reply_offers_the_country_choice_when_the_country_is_unknown(
    conv: Conversation,
) -> None:
    me = Chat(777, "private", 777, language_code="es")
    (crisis,) = await conv.handle_text(me, SUICIDE_ES)
    assert "Samaritans" in crisis.text or "116 123" in crisis.text
    first_row = crisis.buttons[0]
    assert [b.label for b in first_row] == ["📍 Spain", "📍 Mexico"]
    chosen = _country_actions(crisis)
    for code in ("US", "CA", "GB", "IE", "AU", "NZ", "IN", "DE", "ES", "MX", "-"):
        assert actions.make(actions.COUNTRY, code) in chosen  # the full list is never hidden
    # One tap: that country's own lines.
    (lines,) = await conv.handle_action(me, actions.make(actions.COUNTRY, "ES"))
    assert "024" in lines.text and "Spain" in lines.text
    (again,) = await conv.handle_text(me, SUICIDE_ES)
    assert "024" in again.text and "116 123" not in again.text
    assert not _country_actions(again)


async def test_no_language_means_no_preselection(conv: Conversation) -> None:
    (crisis,) = await conv.handle_text(Chat(778, "private", 778), SUICIDE)
    assert not crisis.buttons[0][0].label.startswith("📍")
    assert len(_country_actions(crisis)) == 11


def test_telegram_passes_the_language_code_to_the_conversation() -> None:
    from telegram import Chat as TgChat
    from telegram import Message, Update, User

    from bot.telegram.handlers import chat_of

    user = User(id=5, first_name="Sam", is_bot=False, language_code="es-MX")
    tchat = TgChat(id=5, type="private")
    message = Message(message_id=1, date=dt.datetime(2026, 12, 2), chat=tchat, from_user=user)
    chat = chat_of(Update(update_id=1, message=message))
    assert chat is not None and chat.language_code == "es-MX"
