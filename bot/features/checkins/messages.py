"""The check-in message, its buttons, and the answers to them (mood, then craving 0-10).

Answers are stored as button keys and numbers only, never as text the person typed.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import TYPE_CHECKING

from bot.checkins.dispatcher import Claimed, mark_answered
from bot.checkins.progress import CRAVING_KEY, MOODS
from bot.checkins.texts import CheckinTexts
from bot.conversation import actions
from bot.conversation.reply import Button, Chat, Reply, Rows

if TYPE_CHECKING:
    from bot.conversation import Conversation

PREFIX = "ci"
HIGH_CRAVING = 7


def act(*args: str) -> str:
    return actions.make(PREFIX, *args)


def checkin_message(texts: CheckinTexts) -> Reply:
    """'How are you doing today?' with buttons from good to 'I need help now'."""
    t = texts.sections["checkin"]
    rows: Rows = (
        (Button(t["good"], act("m", "good")), Button(t["okay"], act("m", "okay"))),
        (Button(t["struggling"], act("m", "struggling")),),
        (Button(t["help"], act("m", "help")),),
    )
    return Reply(f"{t['question']}\n\n{texts.get('setup', 'footer')}", rows)


def pause_note(texts: CheckinTexts) -> Reply:
    resume = Button(texts.get("buttons", "resume"), act("resume"))
    return Reply(texts.get("checkin", "pause_note"), ((resume,),))


def message_for(texts: CheckinTexts, claimed: Claimed) -> Reply:
    """What the sender sends for one claimed check-in."""
    return pause_note(texts) if claimed.pause_note else checkin_message(texts)


def craving_rows(texts: CheckinTexts) -> Rows:
    first = tuple(Button(str(n), act("c", str(n))) for n in range(6))
    second = tuple(Button(str(n), act("c", str(n))) for n in range(6, 11))
    skip = Button(texts.get("answers", "craving_skip"), act("c", "-"))
    return (first, second, (skip,))


def support_rows(texts: CheckinTexts) -> Rows:
    """Coping, the safety plan, people to talk to, help lines."""
    a = texts.sections["answers"]
    return (
        (
            Button(a["cravings_button"], actions.make(actions.TOPIC, "cravings")),
            Button(a["plan_button"], act("plan")),
        ),
        (
            Button(a["people_button"], actions.make(actions.TOPIC, "peer_support")),
            Button(a["lines_button"], actions.make(actions.HELP)),
        ),
    )


def _now() -> datetime:
    return datetime.now(timezone.utc)


async def on_mood(
    conversation: Conversation, texts: CheckinTexts, chat: Chat, mood: str
) -> list[Reply]:
    """A mood button: store it, reset the unanswered streak, answer without judgement."""
    if mood not in MOODS:
        return await conversation.old_button(chat)
    await conversation.store.checkins.record_answer(chat.id, mood, None, _now())
    await mark_answered(conversation.store, chat.id)
    if mood == "help":
        # Help lines for the person's country and their own safety plan, at once.
        await conversation.counters.add("crisis", key="checkin")
        return await conversation.help_now(chat)
    ask = texts.get("answers", "craving_ask")
    if mood == "struggling":
        return [
            Reply(texts.get("answers", "struggling"), support_rows(texts)),
            Reply(ask, craving_rows(texts)),
        ]
    return [Reply(f"{texts.get('answers', mood)}\n\n{ask}", craving_rows(texts))]


async def on_craving(
    conversation: Conversation, texts: CheckinTexts, chat: Chat, value: str
) -> list[Reply]:
    """The optional 0-10 craving rating (or Skip)."""
    if value == "-":
        return [Reply(texts.get("answers", "craving_thanks"), toast=True)]
    if not value.isdigit() or not 0 <= int(value) <= 10:
        return await conversation.old_button(chat)
    level = int(value)
    await conversation.store.checkins.record_answer(chat.id, CRAVING_KEY, level, _now())
    await mark_answered(conversation.store, chat.id)
    if level >= HIGH_CRAVING:
        return [Reply(texts.get("answers", "craving_high"), support_rows(texts))]
    return [Reply(texts.get("answers", "craving_thanks"))]
