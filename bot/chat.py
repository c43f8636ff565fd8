"""``recovery-bot chat``: the same conversation in a terminal, no Telegram token needed.

Buttons are shown as numbered choices; typing the number picks one. Reads lines from
``inp`` and writes to ``out`` so tests can drive it with string streams.
"""

from __future__ import annotations

import asyncio
import re
import shutil
import string
import sys
import textwrap
import threading
from collections.abc import Iterator
from dataclasses import replace
from typing import Any, TextIO

from bot.config import Settings
from bot.conversation import Button, Chat, Conversation, Reply, load_features

TERMINAL_CHAT_ID = 1
"""The terminal person's chat id in the store (Telegram ids of real people are far larger)."""

QUIT = {"/quit", "/exit", "/q", "quit", "exit", "bye", "goodbye"}
INTRO = "recovery-bot chat: type a question, a number to pick a choice, or /quit to leave.\n"
SCALE_HINT = "(type the number you pick)"
HELP_QUIT = "/quit – leave this chat (or type exit or bye, or press Ctrl-C or Ctrl-D)"
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

    def __init__(self, conversation: Conversation, out: TextIO, width: int | None = None) -> None:
        self.conversation = conversation
        self.out = out
        self.fixed_width = width
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
            self.out.write(wrap(reply.text, self.width) + "\n")
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
        if not all(reply.toast for reply in replies):
            # Numbers refer only to the last menu shown: a reply without one clears them.
            self.choices = choices
        self.out.flush()

    @property
    def width(self) -> int:
        """The terminal's width now (it may have been resized), or the fixed one."""
        if self.fixed_width:
            return self.fixed_width
        return max(20, shutil.get_terminal_size().columns - 1)

    async def handle(self, line: str) -> list[Reply]:
        """One line the person typed: a choice, a command or a message."""
        text = line.strip()
        chosen = self.choices.get(text.lower())
        if chosen is not None:
            return await self.conversation.handle_action(self.chat, chosen.action)
        if text.startswith("/"):
            head, _, args = text.partition(" ")
            replies = await self.conversation.handle_command(self.chat, head[1:], args.strip())
            if head.lower() == "/help" and replies:
                # Leaving is the terminal's own command; Telegram has no /quit.
                first = replies[0]
                replies[0] = replace(first, text=f"{first.text}\n\n{HELP_QUIT}")
            return replies
        return await self.conversation.handle_text(self.chat, text)


BULLET = re.compile(r"^(\s*(?:[-*•]|\d+[.)])\s+)")


def wrap(text: str, width: int) -> str:
    """Wrap each line of ``text`` to ``width`` at spaces, never inside a word.

    Plain sentences get no indent at all; a list item's continuation lines line up with its
    text after the bullet, so it still reads as one item.
    """
    out: list[str] = []
    for line in text.split("\n"):
        bullet = BULLET.match(line)
        indent = " " * len(bullet.group(1)) if bullet else ""
        wrapped = textwrap.wrap(
            line,
            width,
            subsequent_indent=indent,
            break_long_words=False,
            break_on_hyphens=False,
        )
        out.append("\n".join(wrapped))
    return "\n".join(out)


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


def _start_reader(inp: TextIO, loop: asyncio.AbstractEventLoop) -> asyncio.Queue[str]:
    """Lines from ``inp`` on a daemon thread ("" at the end of input).

    A daemon thread, not the loop's executor: Ctrl-C must leave at once, and an executor
    thread blocked in ``readline`` would hold the process until Enter is pressed.
    """
    lines: asyncio.Queue[str] = asyncio.Queue()

    def read() -> None:
        while True:
            line = inp.readline()
            loop.call_soon_threadsafe(lines.put_nowait, line)
            if not line:
                return

    threading.Thread(target=read, name="chat-input", daemon=True).start()
    return lines


async def chat_loop(
    settings: Settings, inp: TextIO, out: TextIO, *, engine: Any = None, store: Any = None
) -> int:
    """Open the store, greet, then answer line by line until /quit, Ctrl-C or end of input."""
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
        # A thread reads input so scheduled check-ins can still print meanwhile.
        lines = _start_reader(inp, asyncio.get_running_loop())
        while True:
            out.write("> ")
            out.flush()
            line = await lines.get()
            if not line:
                out.write("\n")
                break
            if line.strip().lower().rstrip(".!") in QUIT:
                break
            if not line.strip():
                continue
            session.show(await session.handle(line))
    except asyncio.CancelledError:
        # Ctrl-C: asyncio.run cancels this task; leave at once, kindly.
        out.write("\n")
    finally:
        out.write(BYE)
        out.flush()
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
        # Ctrl-C before the conversation started (e.g. while the models load).
        (out or sys.stdout).write(f"\n{BYE}")
        return 0
