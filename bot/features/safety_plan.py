"""/safetyplan, a feature module: the guided flow, one step at a time, every step skippable,
saved as it goes. Registered like every feature (``register``), so the conversation core knows
it by no name.

The plan is the one place where the bot keeps words a person wrote: they write it to keep it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
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


@dataclass
class SafetyPlanFlow:
    """In-memory state while a person writes their plan (lost on restart, saved per step)."""

    conversation: Conversation
    plan: dict[str, list[str]] = field(default_factory=dict)
    step: int = 0
    accepts_crisis_text = True
    """A plan names warning signs in the person's words; they are saved after the crisis reply."""

    def prompt(self) -> Reply:
        """The question for the current step."""
        step = STEPS[self.step]
        text = STEP.format(
            number=self.step + 1, count=len(STEPS), title=step.title, prompt=step.prompt
        )
        current = self.plan.get(step.key) or []
        if current:
            text += STEP_CURRENT.format(current="\n".join(f"• {item}" for item in current))
        first = KEEP_BUTTON if current else SKIP_BUTTON
        return Reply(text, ((first, STOP_BUTTON), (HELP_BUTTON,)))

    async def on_text(self, chat: Chat, text: str) -> list[Reply]:
        """Save the answer to this step and ask the next one."""
        items = entries(text)
        if items:
            self.plan[STEPS[self.step].key] = items
            await self.conversation.store.plans.save(chat.id, dict(self.plan))
        return await self.advance(chat)

    async def advance(self, chat: Chat) -> list[Reply]:
        """Move to the next step, or finish."""
        self.step += 1
        if self.step < len(STEPS):
            return [self.prompt()]
        self.conversation.end_flow(chat.id)
        return [finished(self.plan)]


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


async def on_action(conversation: Conversation, chat: Chat, op: str) -> list[Reply]:
    """Buttons of the flow: start, skip, stop, edit, delete."""
    flow = conversation.flow_of(chat.id)
    current = flow if isinstance(flow, SafetyPlanFlow) else None
    if op in ("start", "edit"):
        plan = await conversation.store.plans.get(chat.id) if op == "edit" else None
        new = SafetyPlanFlow(conversation, plan=dict(plan or {}))
        conversation.start_flow(chat.id, new)
        replies = [Reply(INTRO.format(count=len(STEPS)))] if op == "start" else []
        return [*replies, new.prompt()]
    if op == "skip":
        if current is None:
            return await show(conversation, chat)
        return await current.advance(chat)
    if op == "stop":
        conversation.end_flow(chat.id)
        if current is not None and any(current.plan.values()):
            return [Reply(STOPPED)]
        return [Reply(EMPTY_STOPPED)]
    if op == "no":
        return [Reply(NOT_NOW)]
    if op == "del":
        return [Reply(DELETE_ASK, ((DELETE_YES, DELETE_NO),))]
    if op == "delyes":
        conversation.end_flow(chat.id)
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

    conversation.register_command("safetyplan", command, "Your plan for hard moments")
    conversation.register_action(PREFIX, action)
