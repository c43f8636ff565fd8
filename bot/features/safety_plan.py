"""/safetyplan, a feature module: the guided flow, one step at a time, every step skippable,
saved as it goes; the step it is at is stored (``store.flows``), so any instance goes on
with the next text. Registered like every feature (``register``), so the conversation core knows
it by no name.

The plan is the one place where the bot keeps words a person wrote: they write it to keep it.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from bot.conversation import actions
from bot.conversation.menus import HELP_BUTTON
from bot.conversation.reply import Button, Chat, Reply
from bot.safety_plan import STEPS, SafetyPlan, render

if TYPE_CHECKING:
    from bot.conversation.service import Conversation

PREFIX = "sp"
"""Buttons ``v1:sp:<op>``."""

INTRO = (
    "A safety plan is a short list you write for hard moments: your warning signs, things that "
    "help, people to call, and how to stay safe. Making it while you feel okay makes it easier "
    "to use when things get hard.\n\n"
    "I'll ask {count} short questions. You can skip any of them or stop at any time. "
    "I keep the plan so you can see it later with /safetyplan; you can delete it whenever you "
    "want."
)
STEP = "Step {number} of {count}: {title}\n\n{prompt}\n\nYou can write a few things, one per line."
STEP_CURRENT = "\n\nWhat you wrote before:\n{current}\n\nType new text to replace it, or keep it."
DONE = "Your safety plan is saved. Here it is:\n\n{plan}\n\nSee it any time with /safetyplan."
STOPPED = "Okay, I stopped here. What you wrote so far is saved. /safetyplan to go on later."
EMPTY_STOPPED = "Okay, no plan for now. /safetyplan whenever you want to start."
DELETE_ASK = "Delete your safety plan? This can't be undone."
DELETED = "Your safety plan is deleted."
KEPT = "Okay, your plan stays as it is."
NOT_NOW = "Okay. /safetyplan whenever you want to start."
INTRO_HAVE = "Your safety plan:\n\n{plan}"

START_BUTTON = Button("Start my plan", actions.make(PREFIX, "start"))
NOT_NOW_BUTTON = Button("Not now", actions.make(PREFIX, "no"))
SKIP_BUTTON = Button("Skip this step", actions.make(PREFIX, "skip"))
KEEP_BUTTON = Button("Keep it", actions.make(PREFIX, "skip"))
STOP_BUTTON = Button("Stop for now", actions.make(PREFIX, "stop"))
EDIT_BUTTON = Button("✏️ Edit", actions.make(PREFIX, "edit"))
DELETE_BUTTON = Button("🗑 Delete", actions.make(PREFIX, "del"))
DELETE_YES = Button("Yes, delete it", actions.make(PREFIX, "delyes"))
DELETE_NO = Button("No, keep it", actions.make(PREFIX, "delno"))


def entries(text: str) -> list[str]:
    """One entry per line: commas stay, since "my sister, Ana" is one entry."""
    return [line.strip(" \t•-*") for line in text.splitlines() if line.strip(" \t•-*")]


FLOW = "sp"
"""The flow kind; its state is the step number (the words go to the saved plan only)."""
FLOW_TTL = timedelta(hours=24)
"""A plan half-written tonight can be finished tomorrow evening with the next text."""


def prompt(step_index: int, plan: dict[str, list[str]]) -> Reply:
    """The question for step ``step_index``, showing what the plan already holds for it."""
    step = STEPS[step_index]
    text = STEP.format(
        number=step_index + 1, count=len(STEPS), title=step.title, prompt=step.prompt
    )
    current = plan.get(step.key) or []
    if current:
        text += STEP_CURRENT.format(current="\n".join(f"• {item}" for item in current))
    first = KEEP_BUTTON if current else SKIP_BUTTON
    return Reply(text, ((first, STOP_BUTTON), (HELP_BUTTON,)))


def step_of(state: str) -> int | None:
    """The step a stored state names, or None if it names none."""
    return int(state) if state.isdigit() and int(state) < len(STEPS) else None


async def on_text(conversation: Conversation, chat: Chat, state: str, text: str) -> list[Reply]:
    """Save the answer to the stored step and ask the next one (any instance can)."""
    step = step_of(state)
    if step is None:
        await conversation.end_flow(chat.id)
        return await show(conversation, chat)
    plan = await _saved(conversation, chat)
    items = entries(text)
    if items:
        plan[STEPS[step].key] = items
        await conversation.store.plans.save(chat.id, plan)
    return await advance(conversation, chat, step, plan)


async def advance(
    conversation: Conversation, chat: Chat, step: int, plan: dict[str, list[str]]
) -> list[Reply]:
    """Move past ``step`` to the next one, or finish."""
    step += 1
    if step < len(STEPS):
        await conversation.start_flow(chat.id, FLOW, str(step))
        return [prompt(step, plan)]
    await conversation.end_flow(chat.id)
    return [finished(plan)]


async def _saved(conversation: Conversation, chat: Chat) -> dict[str, list[str]]:
    return dict(await conversation.store.plans.get(chat.id) or {})


def finished(plan: dict[str, list[str]]) -> Reply:
    """The saved plan, with edit/delete buttons."""
    if not any(plan.values()):
        return Reply(EMPTY_STOPPED)
    return Reply(DONE.format(plan=render(SafetyPlan.from_dict(plan))), _plan_buttons())


def _plan_buttons() -> tuple[tuple[Button, ...], ...]:
    return ((EDIT_BUTTON, DELETE_BUTTON), (HELP_BUTTON,))


async def show(conversation: Conversation, chat: Chat) -> list[Reply]:
    """/safetyplan: the plan if there is one, otherwise an invitation to write it."""
    plan = await conversation.store.plans.get(chat.id)
    if plan and any(plan.values()):
        text = INTRO_HAVE.format(plan=render(SafetyPlan.from_dict(plan)))
        return [Reply(text, _plan_buttons())]
    intro = INTRO.format(count=len(STEPS))
    return [Reply(intro, ((START_BUTTON, NOT_NOW_BUTTON), (HELP_BUTTON,)))]


async def _current_step(conversation: Conversation, chat: Chat) -> int | None:
    current = await conversation.flow_of(chat.id)
    if current is None or current[0].kind != FLOW:
        return None
    return step_of(current[1])


async def on_action(conversation: Conversation, chat: Chat, op: str) -> list[Reply]:
    """Buttons of the flow: start, skip, stop, edit, delete."""
    if op in ("start", "edit"):
        plan = await _saved(conversation, chat)
        await conversation.start_flow(chat.id, FLOW, "0")
        replies = [Reply(INTRO.format(count=len(STEPS)))] if op == "start" else []
        return [*replies, prompt(0, plan)]
    if op == "skip":
        step = await _current_step(conversation, chat)
        if step is None:
            return await show(conversation, chat)
        return await advance(conversation, chat, step, await _saved(conversation, chat))
    if op == "stop":
        step = await _current_step(conversation, chat)
        await conversation.end_flow(chat.id)
        if step is not None and any((await _saved(conversation, chat)).values()):
            return [Reply(STOPPED)]
        return [Reply(EMPTY_STOPPED)]
    if op == "no":
        return [Reply(NOT_NOW)]
    if op == "del":
        return [Reply(DELETE_ASK, ((DELETE_YES, DELETE_NO),))]
    if op == "delyes":
        await conversation.end_flow(chat.id)
        await conversation.store.plans.delete(chat.id)
        return [Reply(DELETED)]
    if op == "delno":
        return [Reply(KEPT)]
    return await conversation.old_button(chat)


def register(conversation: Conversation) -> None:
    """Called by ``load_features``: /safetyplan and its buttons, in private chats only."""

    async def command(chat: Chat, args: str) -> list[Reply]:
        return await show(conversation, chat)

    async def action(chat: Chat, args: list[str]) -> list[Reply]:
        if len(args) != 1:
            return await conversation.old_button(chat)
        return await on_action(conversation, chat, args[0])

    async def text(chat: Chat, state: str, text: str) -> list[Reply]:
        return await on_text(conversation, chat, state, text)

    conversation.register_command("safetyplan", command, "Your plan for hard moments")
    # A plan names warning signs in the person's words; they are saved after the crisis reply.
    conversation.register_flow(FLOW, text, accepts_crisis_text=True, ttl=FLOW_TTL)
    conversation.register_action(PREFIX, action)
