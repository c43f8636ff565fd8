"""How feature modules (check-ins, ...) plug into the conversation without editing its core.

A feature module exposes ``register(conversation)`` and calls, for example::

    conversation.register_command("checkin", handler, "Set up, change or stop check-ins")
    conversation.register_action("ci", on_button)        # buttons "v1:ci:..."
    conversation.register_flow("ci.time", on_time_text)  # typed answers, state in storage
    conversation.on_startup(start_scheduler)             # receives a Sender
    conversation.on_shutdown(stop_scheduler)

Modules in the ``bot.features`` package that define ``register`` are loaded by
:func:`load_features`, which both transports call at start-up.
"""

from __future__ import annotations

import importlib
import logging
import pkgutil
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Protocol

from bot.conversation.reply import Chat, Reply, Rows

if TYPE_CHECKING:
    from bot.conversation.service import Conversation

log = logging.getLogger(__name__)

CommandHandler = Callable[[Chat, str], Awaitable[list[Reply]]]
"""(chat, argument text after the command) -> replies."""
ActionHandler = Callable[[Chat, list[str]], Awaitable[list[Reply]]]
"""(chat, the action's parts after ``v1:<prefix>``) -> replies."""


class Sender(Protocol):
    """Sends a reply on the bot's own initiative (check-ins). Transports implement it."""

    async def send(self, chat_id: int, reply: Reply) -> bool:
        """Deliver ``reply``; False when the person can't be reached (e.g. blocked the bot)."""
        ...


FlowHandler = Callable[[Chat, str, str], Awaitable[list[Reply]]]
"""(chat, the flow's stored state, the text the person sent) -> replies."""


@dataclass(frozen=True)
class Flow:
    """A kind of multi-step exchange (e.g. "waiting for safety-plan step 3").

    Which flow a chat is in, and its state (ids and numbers, never the person's words), is
    kept in storage (``store.flows``) with an expiry, so any instance continues it.
    """

    kind: str
    handler: FlowHandler
    accepts_crisis_text: bool
    """After a crisis reply, still hand the text to the flow (True) or pause the flow (False)."""
    ttl: timedelta
    """How long the flow waits for the next text before it lapses."""


SettingsSection = Callable[[Chat], Awaitable[tuple[list[str], Rows]]]
"""A feature's part of /settings: lines describing it, and buttons to change it."""
StartupHook = Callable[[Sender], Awaitable[None]]
ShutdownHook = Callable[[], Awaitable[None]]


@dataclass(frozen=True)
class Command:
    """A slash command: its handler, its line in Telegram's command menu, where it may run."""

    name: str
    handler: CommandHandler
    description: str | None
    private_only: bool


@dataclass(frozen=True)
class Action:
    """A button prefix owned by a feature."""

    prefix: str
    handler: ActionHandler
    private_only: bool


FEATURES_PACKAGE = "bot.features"


def load_features(conversation: Conversation, package: str = FEATURES_PACKAGE) -> list[str]:
    """Import every module in ``package`` that has ``register`` and let it register itself."""
    try:
        pkg = importlib.import_module(package)
    except ModuleNotFoundError:
        return []
    loaded: list[str] = []
    for info in sorted(pkgutil.iter_modules(pkg.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{package}.{info.name}")
        register = getattr(module, "register", None)
        if callable(register):
            register(conversation)
            loaded.append(info.name)
    if loaded:
        log.debug("features loaded: %s", ", ".join(loaded))
    return loaded
