"""What the conversation hands to a transport (replies with button rows) and who is talking."""

from __future__ import annotations

from dataclasses import dataclass

from bot.decision import ChatType

MAX_ACTION_BYTES = 64
"""Telegram's limit for callback data; every transport shares it so buttons work everywhere."""


@dataclass(frozen=True)
class Button:
    """One choice a person can tap (Telegram) or pick by number (terminal)."""

    label: str
    action: str

    def __post_init__(self) -> None:
        if len(self.action.encode("utf-8")) > MAX_ACTION_BYTES:
            raise ValueError(f"button action longer than {MAX_ACTION_BYTES} bytes: {self.action!r}")


Rows = tuple[tuple[Button, ...], ...]


@dataclass(frozen=True)
class Reply:
    """Plain text (the transport escapes it) plus rows of buttons.

    ``edit``: replace the message whose button was pressed (menu navigation) instead of sending
    a new one. ``toast``: a short acknowledgement (Telegram shows it on the pressed button).
    ``urgent``: crisis help; a transport sends it ahead of everything else and keeps trying.
    """

    text: str
    buttons: Rows = ()
    edit: bool = False
    toast: bool = False
    urgent: bool = False

    def all_buttons(self) -> list[Button]:
        """Buttons in reading order (the terminal numbers them this way)."""
        return [button for row in self.buttons for button in row]


@dataclass(frozen=True)
class Chat:
    """Where a message came from. ``id`` is the chat (a person, or a group)."""

    id: int
    type: ChatType = "private"
    user_id: int | None = None
    is_admin: bool = False
    """Filled in by the transport only for admin-only commands (it costs a Bot API call)."""
    language_code: str | None = None
    """The person's app language as the transport reports it ("es", "en-GB"); used only to
    put a likely country first in the country choice, never stored."""

    @property
    def private(self) -> bool:
        """True in a one-to-one chat with the bot."""
        return self.type == "private"
