"""What a person sees, through the transport-neutral Conversation, with the real engine."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.config import Settings
from bot.conversation import Chat, Conversation, Reply, load_features
from bot.conversation.reply import MAX_ACTION_BYTES
from bot.features import safety_plan
from bot.storage import Store
from bot.understanding.engine import Engine

ME = Chat(31337, "private", 31337)
GROUP = Chat(-100555, "group", 31337)


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine.load("US")


@pytest.fixture
async def conv(engine: Engine, sqlite_store: Store) -> AsyncIterator[Conversation]:
    conversation = Conversation(engine, sqlite_store, Settings(default_country="US"))
    safety_plan.register(conversation)  # check-ins are registered only where a test says so
    yield conversation


def actions(replies: list[Reply]) -> list[str]:
    return [b.action for r in replies for b in r.all_buttons()]


async def test_welcome_says_what_the_bot_is_not_and_offers_roles(conv: Conversation) -> None:
    (welcome,) = await conv.handle_command(ME, "start")
    assert "not a doctor" in welcome.text and "not a crisis service" in welcome.text
    assert "/crisis" in welcome.text and "/privacy" in welcome.text
    assert {"v1:r:recovery", "v1:r:family", "v1:r:supporter", "v1:h"} <= set(actions([welcome]))


async def test_role_choice_is_stored_and_leads_to_country(conv: Conversation) -> None:
    replies = await conv.handle_action(ME, "v1:r:family")
    assert "v1:c:US" in actions(replies)
    user = await conv.store.people.get(ME.id)
    assert user is not None and user.role == "family"
    replies = await conv.handle_action(ME, "v1:c:US")
    assert "988" in replies[0].text
    assert (await conv.store.people.get(ME.id)).country == "US"  # type: ignore[union-attr]


async def test_answer_has_four_choices_feedback_help_and_more(conv: Conversation) -> None:
    answer, _who = await conv.handle_text(ME, "what is methadone")
    acts = actions([answer])
    assert acts == ["v1:f:methadone:1", "v1:f:methadone:0", "v1:h", "v1:mo:methadone"]
    (more,) = await conv.handle_action(ME, "v1:mo:methadone")
    related = conv.engine.catalog.intents["methadone"].related
    assert [f"v1:t:{r}" for r in related] == actions([more])[: len(related)]
    assert "v1:m" in actions([more])


async def test_fallback_offers_topics_and_help(conv: Conversation) -> None:
    reply = (await conv.handle_text(ME, "what's the best pizza topping"))[0]
    assert any(a.startswith("v1:g:") for a in actions([reply])) and "v1:h" in actions([reply])
    assert "/crisis" in reply.text


async def test_topics_menu_walks_groups_to_answers(conv: Conversation) -> None:
    (menu,) = await conv.handle_command(ME, "topics")
    group = next(a for a in actions([menu]) if a.startswith("v1:g:"))
    (intents,) = await conv.handle_action(ME, group)
    assert intents.edit
    topic = next(a for a in actions([intents]) if a.startswith("v1:t:"))
    (answer,) = await conv.handle_action(ME, topic)
    assert f"v1:f:{topic[5:]}:1" in actions([answer])


async def test_every_button_fits_telegram_callback_limit(conv: Conversation) -> None:
    for intent_id in conv.engine.catalog.intents:
        (answer,) = await conv.handle_action(ME, f"v1:t:{intent_id}")
        assert all(len(a.encode()) <= MAX_ACTION_BYTES for a in actions([answer]))


async def test_crisis_comes_first_even_inside_a_flow(conv: Conversation) -> None:
    await conv.handle_command(ME, "safetyplan")
    await conv.handle_action(ME, "v1:sp:start")
    replies = await conv.handle_text(ME, "i want to kill myself")
    assert "988" in replies[0].text
    crisis = await conv.handle_text(ME, "going to overdose on purpose tonight")
    assert "988" in crisis[0].text or "911" in crisis[0].text


async def test_safety_plan_guided_skippable_saved_viewed_deleted(conv: Conversation) -> None:
    (intro,) = await conv.handle_command(ME, "safetyplan")
    assert "v1:sp:start" in actions([intro])
    replies = await conv.handle_action(ME, "v1:sp:start")
    assert "v1:sp:skip" in actions(replies)
    await conv.handle_text(ME, "I stop answering my phone\nI sleep all day")
    await conv.handle_action(ME, "v1:sp:skip")
    plan = await conv.store.plans.get(ME.id)
    assert plan is not None and "I sleep all day" in next(iter(plan.values()))
    await conv.handle_action(ME, "v1:sp:stop")
    (view,) = await conv.handle_command(ME, "safetyplan")
    assert "I sleep all day" in view.text and "v1:sp:edit" in actions([view])
    await conv.handle_action(ME, "v1:sp:del")
    await conv.handle_action(ME, "v1:sp:delyes")
    assert await conv.store.plans.get(ME.id) is None


async def test_forget_asks_first_then_erases(conv: Conversation) -> None:
    await conv.handle_action(ME, "v1:r:recovery")
    (ask,) = await conv.handle_command(ME, "forget")
    assert "v1:fg:yes" in actions([ask])
    await conv.handle_action(ME, "v1:fg:no")
    assert await conv.store.people.get(ME.id) is not None
    await conv.handle_action(ME, "v1:fg:yes")
    assert await conv.store.people.get(ME.id) is None


async def test_old_buttons_get_the_menu(conv: Conversation) -> None:
    for stale in ("v0:topic:x", "v1:t:no_such_intent", "v1:zz", "garbage"):
        (reply,) = await conv.handle_action(ME, stale)
        assert "older version" in reply.text and "v1:h" in actions([reply])


async def test_groups_only_crisis_when_not_addressed(conv: Conversation) -> None:
    assert await conv.handle_text(GROUP, "what is methadone", addressed=False) == []
    (alarm,) = await conv.handle_text(GROUP, "i want to kill myself", addressed=False)
    assert "988" in alarm.text
    assert "private chat" in (await conv.handle_command(GROUP, "safetyplan"))[0].text


async def test_checkin_placeholder_until_a_feature_registers(conv: Conversation) -> None:
    (reply,) = await conv.handle_command(ME, "checkin")
    assert "not set up" in reply.text

    async def checkin(chat: Chat, args: str) -> list[Reply]:
        return [Reply("How often?")]

    conv.register_command("checkin", checkin, "Set up check-ins")
    assert (await conv.handle_command(ME, "checkin"))[0].text == "How often?"
    assert (await conv.handle_command(GROUP, "checkin"))[0].text.startswith("That's personal")

    async def on_button(chat: Chat, args: list[str]) -> list[Reply]:
        return [Reply("mood " + args[0])]

    conv.register_action("ci", on_button)
    assert (await conv.handle_action(ME, "v1:ci:good"))[0].text == "mood good"


async def test_message_text_is_never_stored(conv: Conversation, sqlite_url: str) -> None:
    await conv.handle_text(ME, "zebra-unique-words methadone")
    import sqlite3

    path = sqlite_url.removeprefix("sqlite:///")
    with sqlite3.connect(path) as db:
        for (table,) in db.execute("select name from sqlite_master where type='table'"):
            for row in db.execute(f"select * from {table}"):
                assert "zebra" not in repr(row)


async def test_somewhere_else_shows_worldwide_lines_even_with_a_default_country(
    conv: Conversation,
) -> None:
    (reply,) = await conv.handle_action(ME, "v1:c:-")
    assert "findahelpline.com" in reply.text
    assert "988" not in reply.text
    (crisis,) = await conv.handle_text(ME, "i want to end my life")
    assert "findahelpline.com" in crisis.text
    assert "988" not in crisis.text


async def test_sources_are_compact_and_slash_sources_shows_them_all(conv: Conversation) -> None:
    (none_yet,) = await conv.handle_command(ME, "sources")
    assert "Ask me something first" in none_yet.text
    (answer,) = await conv.handle_action(ME, "v1:t:moud_overview")
    line = answer.text.splitlines()[-1]
    assert line.startswith("Sources: Opioid Addiction and the Brain (§ ")
    assert line.endswith("more (/sources)")
    (sources,) = await conv.handle_command(ME, "sources")
    assert "Federal Register" in sources.text and "https://www.samhsa.gov/" in sources.text
    hello = (await conv.handle_text(ME, "hi"))[0]
    assert "Source" not in hello.text


async def test_a_first_question_is_answered_then_who_and_where_follow_once(
    conv: Conversation,
) -> None:
    await conv.handle_command(ME, "start")
    answer, ask = await conv.handle_text(ME, "what is naloxone")
    assert "naloxone" in answer.text.lower() and "v1:f:naloxone:1" in actions([answer])
    assert "who are you" in ask.text and "v1:r:family" in actions([ask])
    assert "v1:ob:role" in actions([ask])  # skippable
    (_again,) = await conv.handle_text(ME, "what is methadone")  # asked once only
    (where,) = await conv.handle_action(ME, "v1:r:family")
    assert "Which country" in where.text and {"v1:c:US", "v1:ob:country"} <= set(actions([where]))
    await conv.handle_action(ME, "v1:c:GB")
    (back,) = await conv.handle_command(ME, "start")  # both stored: neither asked again
    assert "Welcome back" in back.text and not any(
        a.startswith(("v1:r:", "v1:c:")) for a in actions([back])
    )


async def test_skipping_the_role_asks_the_country_then_never_again(conv: Conversation) -> None:
    await conv.handle_text(ME, "what is naloxone")
    (where,) = await conv.handle_action(ME, "v1:ob:role")
    assert "Which country" in where.text
    (done,) = await conv.handle_action(ME, "v1:ob:country")
    assert "/settings" in done.text
    (_answer,) = await conv.handle_text(ME, "what is methadone")  # no question again
    (start,) = await conv.handle_command(ME, "start")
    assert "who are you" not in start.text.lower() and "Which country" in start.text


async def test_role_chosen_with_country_stored_does_not_ask_the_country(
    conv: Conversation,
) -> None:
    await conv.update_user(ME.id, country="US")
    (thanks,) = await conv.handle_action(ME, "v1:r:recovery")
    assert "Which country" not in thanks.text and "v1:c:US" not in actions([thanks])


async def test_settings_show_and_change_role_country_zone_and_checkins(
    conv: Conversation,
) -> None:
    from bot.features.checkins import register

    register(conv)
    await conv.update_user(ME.id, role="family", country="US")
    (shown,) = await conv.handle_command(ME, "settings")
    assert "Who you are: Family or friend" in shown.text and "Country: United States" in shown.text
    assert "Time zone: not set" in shown.text and "Check-ins: off" in shown.text
    (role,) = await conv.handle_action(ME, "v1:st:role")
    assert "v1:r:supporter" in actions([role])
    await conv.handle_action(ME, "v1:r:supporter")
    assert (await conv.store.people.get(ME.id)).role == "supporter"  # type: ignore[union-attr]
    assert "v1:cm" in actions([shown])
    (checkins,) = await conv.handle_action(ME, "v1:ci:settings")
    assert "v1:ci:f:daily" in actions([checkins])
    await conv.handle_action(ME, "v1:ci:f:daily")
    await conv.handle_action(ME, "v1:ci:t:daily:-:0900")
    await conv.handle_action(ME, "v1:ci:z:daily:-:0900:America/Chicago")
    (after,) = await conv.handle_command(ME, "settings")
    assert "Time zone: America/Chicago" in after.text and "Check-ins: off" not in after.text
    assert "v1:ci:t:daily:-:0900" in actions([after])  # change the zone, keep the time


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("my son relapsed what do i do", "relapse"),
        ("my wife is going through withdrawal", "withdrawal"),
        ("how do i use narcan on my brother", "naloxone"),
    ],
)
async def test_a_parent_is_answered_as_a_parent_from_the_message(
    conv: Conversation, text: str, intent: str
) -> None:
    await conv.update_user(ME.id, role="recovery", country="US")  # stored role says otherwise
    (answer,) = await conv.handle_text(ME, text)
    variant = conv.engine.catalog.variants[intent]["family"].text
    assert variant in answer.text
    assert conv.engine.catalog.intents[intent].answer.text not in answer.text
    if intent == "relapse":
        assert "If you used again" not in answer.text and "someone you love" in answer.text


async def test_the_stored_family_role_chooses_the_variant_and_i_stays_personal(
    conv: Conversation,
) -> None:
    await conv.update_user(ME.id, role="family", country="US")
    (answer,) = await conv.handle_action(ME, "v1:t:cravings")
    assert conv.engine.catalog.variants["cravings"]["family"].text in answer.text
    assert "in /topics has ideas for you" not in answer.text  # the variant, not the note
    await conv.update_user(ME.id, role=None)
    mine = (await conv.handle_text(ME, "i relapsed last night"))[0]
    assert "If you used again" in mine.text


def test_audience_detector() -> None:
    from bot.conversation.audience import audience_of

    assert audience_of("my son relapsed") == "family"
    assert audience_of("My 19 year old daughter is dopesick") == "family"
    assert audience_of("how do i help my friend") == "family"
    assert audience_of("one of my clients relapsed") == "supporter"
    assert audience_of("a client asked about bupe") == "supporter"
    assert audience_of("i relapsed") is None and audience_of("what is methadone") is None


async def test_every_family_variant_the_issue_names_exists(conv: Conversation) -> None:
    names = {"relapse", "withdrawal", "overdose_response", "naloxone", "cravings"}
    names |= {"moud_overview", "aftercare", "brain_recovery", "moud_myths"}
    assert names <= {i for i, v in conv.engine.catalog.variants.items() if "family" in v}


def test_the_safety_plan_is_a_feature_the_core_does_not_name(engine: Engine) -> None:
    import ast
    from pathlib import Path

    import bot.conversation.service as service

    assert {"checkins", "safety_plan"} <= set(load_features(Conversation(engine, None, Settings())))
    tree = ast.parse(Path(service.__file__).read_text(encoding="utf-8"))
    imported = {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    # bot.safety_plan (the crisis layer's plan text) is fine; no feature module is imported.
    assert not any(name.startswith("bot.features") or "flow" in name for name in imported)


async def test_without_the_feature_safetyplan_is_unknown(
    engine: Engine, sqlite_store: Store
) -> None:
    bare = Conversation(engine, sqlite_store, Settings(default_country="US"))
    (reply,) = await bare.handle_command(ME, "safetyplan")
    assert "don't know that command" in reply.text
