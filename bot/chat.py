"""``recovery-bot chat``: the same conversation in a terminal, no Telegram token needed.

Buttons are shown as numbered choices; typing the number picks one. Reads lines from
``inp`` and writes to ``out`` so tests can drive it with string streams.
"""

from __future__ import annotations

import asyncio
import string
import sys
import textwrap
from collections.abc import Iterator
from typing import Any, TextIO

from bot.config import Settings
from bot.conversation import Button, Chat, Conversation, Reply, load_features

TERMINAL_CHAT_ID = 1
"""The terminal person's chat id in the store (Telegram ids of real people are far larger)."""

QUIT = {"/quit", "/exit", "/q"}
INTRO = "recovery-bot chat: type a question, a number to pick a choice, or /quit to leave.\n"
SCALE_HINT = "(type the number you pick)"
BYE = "Take care. /crisis in any chat shows help lines.\n"


class TerminalSender:
    """Check-ins and other bot-initiated messages, printed straight away."""

    def __init__(self, session: ChatSession) -> None:
        self.session = session

    async def send(self, chat_id: int, reply: Reply) -> bool:
        if chat_id != TERMINAL_CHAT_ID:
            return False
        self.session.show([reply])
        return True


class ChatSession:
    """One terminal conversation: prints replies, remembers the last numbered choices."""

    def __init__(self, conversation: Conversation, out: TextIO, width: int = 78) -> None:
        self.conversation = conversation
        self.out = out
        self.width = width
        self.chat = Chat(TERMINAL_CHAT_ID, "private", TERMINAL_CHAT_ID)
        self.choices: dict[str, Button] = {}

    def show(self, replies: list[Reply]) -> None:
        """Print replies; their buttons become the choices (replacing the previous ones).

        A row of number buttons (the 0-10 craving scale) is a scale: typing a number picks the
        button with that number, never the n-th choice. When a scale is shown, the other
        choices are lettered [a], [b]... so a number can mean only one thing.
        """
        has_scale = any(_is_scale(row) for reply in replies for row in reply.buttons)
        choices: dict[str, Button] = {}
        keys = iter(_letters() if has_scale else (str(n) for n in range(1, 1000)))
        for reply in replies:
            if reply.toast:
                self.out.write(f"({reply.text})\n\n")
                continue
            for paragraph in reply.text.split("\n"):
                wrapped = textwrap.wrap(paragraph, self.width, subsequent_indent="  ")
                self.out.write(("\n".join(wrapped) if wrapped else "") + "\n")
            scale = [button for row in reply.buttons if _is_scale(row) for button in row]
            if scale:
                choices.update((button.label, button) for button in scale)
                labels = "  ".join(button.label for button in scale)
                self.out.write(f"  {labels}  {SCALE_HINT}\n")
            for row in reply.buttons:
                if _is_scale(row):
                    continue
                for button in row:
                    key = next(keys)
                    choices[key] = button
                    self.out.write(f"  [{key}] {button.label}\n")
            self.out.write("\n")
        if choices:
            self.choices = choices
        self.out.flush()

    async def handle(self, line: str) -> list[Reply]:
        """One line the person typed: a choice, a command or a message."""
        text = line.strip()
        chosen = self.choices.get(text.lower())
        if chosen is not None:
            return await self.conversation.handle_action(self.chat, chosen.action)
        if text.startswith("/"):
            head, _, args = text.partition(" ")
            return await self.conversation.handle_command(self.chat, head[1:], args.strip())
        return await self.conversation.handle_text(self.chat, text)


def _is_scale(row: tuple[Button, ...]) -> bool:
    """A row of buttons labelled 0, 1, 2...: typing the number picks the button so labelled."""
    return len(row) > 1 and all(button.label.isdigit() for button in row)


def _letters() -> Iterator[str]:
    """a, b, ... z, then aa, ab...: choice keys when numbers belong to a scale."""
    letters = string.ascii_lowercase
    yield from letters
    for first in letters:
        for second in letters:
            yield first + second


async def chat_loop(
    settings: Settings, inp: TextIO, out: TextIO, *, engine: Any = None, store: Any = None
) -> int:
    """Open the store, greet, then answer line by line until /quit or end of input."""
    from bot.storage import Store

    if engine is None:
        from bot.understanding.engine import Engine

        engine = Engine.load(settings.default_country)
    owns_store = store is None
    if store is None:
        store = await Store.open(settings.database_url)
    conversation = Conversation(engine, store, settings)
    load_features(conversation)
    session = ChatSession(conversation, out)
    try:
        await conversation.start(TerminalSender(session))
        out.write(INTRO + "\n")
        session.show(await conversation.handle_command(session.chat, "start"))
        loop = asyncio.get_running_loop()
        while True:
            out.write("> ")
            out.flush()
            # A thread reads input so scheduled check-ins can still print meanwhile.
            line = await loop.run_in_executor(None, inp.readline)
            if not line:
                out.write("\n")
                break
            if line.strip().lower() in QUIT:
                break
            if not line.strip():
                continue
            session.show(await session.handle(line))
        out.write(BYE)
        out.flush()
    finally:
        await conversation.stop()
        if owns_store:
            await store.close()
    return 0


def run_chat(settings: Settings, inp: TextIO | None = None, out: TextIO | None = None) -> int:
    """Entry point of ``recovery-bot chat``."""
    from bot.storage import StorageError

    try:
        return asyncio.run(chat_loop(settings, inp or sys.stdin, out or sys.stdout))
    except StorageError as exc:
        sys.stderr.write(f"recovery-bot: cannot open the database: {exc}\n")
        return 2
    except KeyboardInterrupt:
        return 0
