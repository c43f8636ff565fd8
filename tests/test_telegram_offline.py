"""Telegram adapter, offline: real Application.process_update, a recording BaseRequest.

The engine here is a tiny stand-in so these tests pin the plumbing (escaping, splitting,
groups, errors); what a person reads with the real catalog is in test_conversation.py/e2e.
"""

from __future__ import annotations

import io
import itertools
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any, ClassVar

import pytest
from fake_bot_api import BOT_ID, TOKEN, FakeBotApi, RecordingRequest
from telegram import Update

from bot.config import Settings
from bot.decision import Context, Decision
from bot.storage import Store
from bot.telegram import runner
from bot.telegram.app import build_application, shutdown, startup
from bot.telegram.render import MESSAGE_LIMIT, split_text

PERSON = 4242
GROUP = -100777


@dataclass(frozen=True)
class _Intent:
    id: str
    group: str
    title: str
    related: tuple[str, ...] = ()


@dataclass(frozen=True)
class _Group:
    id: str
    title: str
    intent_ids: tuple[str, ...]


class _Catalog:
    groups = (_Group("treatment", "Treatment", ("methadone", "naloxone")),)
    intents: ClassVar[dict[str, _Intent]] = {
        "methadone": _Intent("methadone", "treatment", "What is methadone?", ("naloxone",)),
        "naloxone": _Intent("naloxone", "treatment", "What is naloxone?"),
    }


class _Resources:
    def countries(self) -> list[tuple[str, str]]:
        return [("US", "United States"), ("GB", "United Kingdom")]


class FakeEngine:
    """Keyword rules standing in for the lead's engine (same interface)."""

    catalog = _Catalog()
    resources = _Resources()

    def decide(self, text: str, context: Context) -> Decision:
        if "kill myself" in text:
            return Decision(
                "crisis", None, 100, reply="Please call 988 now.", crisis_kind="suicide"
            )
        if "methadone" in text:
            return self.answer_for("methadone", context)
        if "long" in text:
            return Decision("answer", "naloxone", 90, reply=("word " * 1500).strip())
        if "maybe" in text:
            return Decision("suggest", None, 50, ("methadone", "naloxone"), "Did you mean?")
        return Decision("fallback", None, 0, reply="I don't know that one yet.")

    def answer_for(self, intent_id: str, context: Context) -> Decision:
        return Decision("answer", intent_id, 100, reply=f"About {intent_id} <b>&</b> more.")

    def help_lines(self, context: Context) -> str:
        return f"Help lines for {context.country or 'anywhere'}: call 988."


@pytest.fixture
async def bot_app(sqlite_store: Store) -> AsyncIterator[tuple[Any, RecordingRequest, Store]]:
    request = RecordingRequest()
    settings = Settings(telegram_bot_token=TOKEN, database_url="sqlite:///unused.db")
    app = build_application(
        settings,
        FakeEngine(),
        request=request,
        updates_request=RecordingRequest(),
        limit_rate=False,
    )
    app.bot_data["store"] = sqlite_store
    async with app:
        await startup(app)
        yield app, request, sqlite_store
        await shutdown(app)


FAKE = FakeBotApi()


_UPDATE_IDS = itertools.count(1)


async def feed(app: Any, update: dict[str, Any]) -> None:
    # Each update its own id: the bot answers an update id once (Telegram's redeliveries).
    update.setdefault("update_id", next(_UPDATE_IDS))
    await app.process_update(Update.de_json(update, app.bot))


def buttons(params: dict[str, Any]) -> list[str]:
    markup = params.get("reply_markup") or {}
    return [b["callback_data"] for row in markup.get("inline_keyboard", []) for b in row]


async def test_startup_publishes_command_menu(bot_app: Any) -> None:
    _, request, _ = bot_app
    menus = request.sent("setMyCommands")
    names = {c["command"] for c in menus[0]["commands"]}
    assert {
        "help",
        "topics",
        "crisis",
        "country",
        "checkin",
        "safetyplan",
        "privacy",
        "forget",
    } <= names
    assert any(m.get("scope", {}).get("type") == "all_group_chats" for m in menus)


async def test_start_explains_the_bot_and_offers_roles(bot_app: Any) -> None:
    app, request, _ = bot_app
    await feed(app, FAKE.message_update(PERSON, "/start"))
    (sent,) = request.sent()
    assert "not a doctor" in sent["text"] and "/crisis" in sent["text"]
    assert sent["parse_mode"] == "HTML"
    assert "v1:r:recovery" in buttons(sent) and "v1:h" in buttons(sent)


async def test_answer_text_is_escaped_and_has_feedback_buttons(bot_app: Any) -> None:
    app, request, _ = bot_app
    await feed(app, FAKE.message_update(PERSON, "what is methadone"))
    sent, onboarding = request.sent()
    assert "&lt;b&gt;&amp;&lt;/b&gt;" in sent["text"]
    assert "who are you" in onboarding["text"] and "v1:r:family" in buttons(onboarding)
    assert {"v1:f:methadone:1", "v1:f:methadone:0", "v1:mo:methadone"} <= set(buttons(sent))


async def test_long_reply_is_split_below_limit_with_buttons_last(bot_app: Any) -> None:
    app, request, _ = bot_app
    await feed(app, FAKE.message_update(PERSON, "a long one"))
    sent = request.sent()
    assert len(sent) >= 2
    assert all(len(p["text"]) < MESSAGE_LIMIT for p in sent)
    assert not buttons(sent[0]) and buttons(sent[-1])


async def test_button_press_answers_the_query_and_old_buttons_get_the_menu(bot_app: Any) -> None:
    app, request, _ = bot_app
    await feed(app, await _press(PERSON, "v1:t:methadone"))
    assert "About methadone" in request.sent()[-1]["text"]
    await feed(app, await _press(PERSON, "v0:checkin_old_thing"))
    assert "older version" in request.sent()[-1]["text"]
    assert "v1:g:treatment" in buttons(request.sent()[-1])
    assert len(request.sent("answerCallbackQuery")) == 2


async def test_feedback_is_a_toast_and_removes_the_vote_buttons(bot_app: Any) -> None:
    app, request, _ = bot_app
    await feed(app, FAKE.message_update(PERSON, "methadone?"))
    answer = request.calls[-1]
    message = {
        "message_id": 9,
        "date": 0,
        "chat": {"id": PERSON, "type": "private"},
        "text": "x",
        "reply_markup": answer.params["reply_markup"],
    }
    await feed(app, await _press(PERSON, "v1:f:methadone:1", message=message))
    assert request.sent("answerCallbackQuery")[-1]["text"] == "Thanks for telling me."
    (edit,) = request.sent("editMessageReplyMarkup")
    assert not any(b.startswith("v1:f:") for b in buttons(edit))


async def test_group_answers_only_when_addressed(bot_app: Any) -> None:
    app, request, _ = bot_app
    await feed(app, FAKE.message_update(GROUP, "methadone talk among us", user_id=PERSON))
    assert request.sent() == []
    await feed(app, FAKE.message_update(GROUP, "@recovery_test_bot methadone?", user_id=PERSON))
    await feed(app, FAKE.message_update(GROUP, "/ask methadone", user_id=PERSON))
    assert [p["text"].startswith("About methadone") for p in request.sent()] == [True, True]


async def test_group_crisis_is_answered_unless_admins_turned_watch_off(bot_app: Any) -> None:
    app, request, _ = bot_app
    await feed(app, FAKE.message_update(GROUP, "i want to kill myself", user_id=PERSON))
    (crisis,) = request.sent()
    assert "988" in crisis["text"] and crisis["reply_parameters"]["message_id"]
    await feed(app, FAKE.message_update(GROUP, "/crisiswatch off", user_id=PERSON))
    assert "Only group admins" in request.sent()[-1]["text"]
    request.admins.add((GROUP, PERSON))
    await feed(app, FAKE.message_update(GROUP, "/crisiswatch off", user_id=PERSON))
    assert "off" in request.sent()[-1]["text"]
    before = len(request.sent())
    await feed(app, FAKE.message_update(GROUP, "i want to kill myself", user_id=PERSON))
    assert len(request.sent()) == before


async def test_personal_commands_are_refused_in_groups(bot_app: Any) -> None:
    app, request, _ = bot_app
    for command in ("/safetyplan", "/forget", "/checkin"):
        await feed(app, FAKE.message_update(GROUP, command, user_id=PERSON))
    assert all("private chat" in p["text"] for p in request.sent())


async def test_sticker_gets_a_kind_note(bot_app: Any) -> None:
    app, request, _ = bot_app
    update = FAKE.message_update(PERSON, None)
    update["message"]["sticker"] = {
        "file_id": "s",
        "file_unique_id": "s",
        "type": "regular",
        "width": 1,
        "height": 1,
        "is_animated": False,
        "is_video": False,
    }
    await feed(app, update)
    (sent,) = request.sent()
    assert "read text" in sent["text"] and "/crisis" in sent["text"]


async def test_edited_message_is_crisis_checked_again(bot_app: Any) -> None:
    app, request, _ = bot_app
    await feed(app, FAKE.message_update(PERSON, "fine thanks", edited=True))
    assert request.sent() == []
    await feed(app, FAKE.message_update(PERSON, "i want to kill myself", edited=True))
    assert "988" in request.sent()[0]["text"]


async def test_blocked_user_is_marked_inactive(bot_app: Any) -> None:
    app, request, store = bot_app
    request.fail("sendMessage", 403, "Forbidden: bot was blocked by the user")
    await feed(app, FAKE.message_update(PERSON, "methadone"))
    user = await store.people.get(PERSON)
    assert user is not None and user.active is False


async def test_flood_wait_and_server_errors_are_retried(bot_app: Any) -> None:
    app, request, store = bot_app
    request.fail("sendMessage", 429, "Too Many Requests: retry after 0", retry_after=0)
    request.fail("sendMessage", 502, "Bad Gateway")
    await store.people.update(PERSON, role="recovery", country="US")  # no onboarding question
    await feed(app, FAKE.message_update(PERSON, "methadone"))
    assert len(request.sent()) == 3  # two failures, then delivered


async def test_errors_are_logged_without_text_and_do_not_crash(
    bot_app: Any, caplog: pytest.LogCaptureFixture
) -> None:
    app, request, _ = bot_app
    request.fail("sendMessage", 400, "Bad Request: chat not found")
    await feed(app, FAKE.message_update(PERSON, "secret words about methadone"))
    assert "secret words" not in caplog.text
    await feed(app, FAKE.message_update(PERSON, "methadone"))
    assert request.sent()[-1]["text"].startswith("About methadone")


async def _press(chat_id: int, data: str, message: dict[str, Any] | None = None) -> dict[str, Any]:
    user = {"id": chat_id, "is_bot": False, "first_name": "Sam"}
    msg = message or {
        "message_id": 7,
        "date": 0,
        "chat": {"id": chat_id, "type": "private"},
        "from": {"id": BOT_ID, "is_bot": True, "first_name": "Bot"},
        "text": "x",
    }
    return {
        "callback_query": {
            "id": "q1",
            "from": user,
            "chat_instance": "c",
            "data": data,
            "message": msg,
        }
    }


def test_split_keeps_escaped_pieces_under_the_limit() -> None:
    text = "&<>" * 3000 + "\n\n" + "plain words " * 500
    pieces = split_text(text)
    assert "".join(pieces).replace(" ", "") in text.replace(" ", "").replace("\n", "") or pieces
    from bot.telegram.render import escape

    assert all(len(escape(p)) <= 4000 for p in pieces)
    assert sum(len(p) for p in pieces) >= len(text.strip()) - len(pieces) * 2 - 10


@pytest.mark.parametrize("token", [None, "not-a-token", "12345:short"])
def test_missing_or_malformed_token_exits_2_with_help(token: str | None) -> None:
    err = io.StringIO()
    code = runner.run(Settings(telegram_bot_token=token), err=err)
    assert code == 2
    assert "@BotFather" in err.getvalue() and "recovery-bot chat" in err.getvalue()
    assert "Traceback" not in err.getvalue()


async def test_craving_pick_after_struggling_stores_that_number(bot_app: Any) -> None:
    from datetime import datetime, timezone

    app, request, store = bot_app
    await feed(app, FAKE.message_update(PERSON, "/checkin now"))
    assert "v1:ci:m:struggling" in buttons(request.sent()[-1])
    await feed(app, await _press(PERSON, "v1:ci:m:struggling"))
    scale = buttons(request.sent()[-1])
    assert [f"v1:ci:c:{n}" for n in range(11)] == [b for b in scale if b[8:].isdigit()]
    await feed(app, await _press(PERSON, "v1:ci:c:7"))
    answers = await store.checkins.answers(PERSON, datetime(2000, 1, 1, tzinfo=timezone.utc))
    assert [(a.mood, a.craving) for a in answers] == [("struggling", None), ("craving", 7)]
