"""Replies as Telegram messages: escaped HTML, split under the size limit, inline keyboards."""

from __future__ import annotations

import html

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.conversation.reply import Reply, Rows

MESSAGE_LIMIT = 4096
CHUNK_LIMIT = 4000
"""Below Telegram's 4096 with room to spare: the limit counts characters after entity parsing."""


def escape(text: str) -> str:
    """Every text that reaches Telegram is escaped: answers, help lines, the person's own plan."""
    return html.escape(text, quote=False)


def split_text(text: str, limit: int = CHUNK_LIMIT) -> list[str]:
    """Split raw text so each escaped piece fits; prefer paragraph, then line, then word breaks."""
    if len(escape(text)) <= limit:
        return [text]
    pieces: list[str] = []
    rest = text
    while rest:
        if len(escape(rest)) <= limit:
            pieces.append(rest)
            break
        cut = _cut_point(rest, limit)
        head, rest = rest[:cut].rstrip(), rest[cut:].lstrip()
        if head:
            pieces.append(head)
    return pieces


def _cut_point(text: str, limit: int) -> int:
    # Largest prefix whose escaped form fits (escaping only grows text, so search downwards).
    end = min(len(text), limit)
    while end > 1 and len(escape(text[:end])) > limit:
        end -= max(1, (len(escape(text[:end])) - limit) // 5)
    window = text[:end]
    for sep in ("\n\n", "\n", ". ", " "):
        at = window.rfind(sep)
        if at > end // 2:
            return at + len(sep)
    return end


def keyboard(rows: Rows) -> InlineKeyboardMarkup | None:
    """Button rows as an inline keyboard (callback data is the button's action)."""
    if not rows:
        return None
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(b.label, callback_data=b.action) for b in row] for row in rows]
    )


def messages(reply: Reply) -> list[tuple[str, InlineKeyboardMarkup | None]]:
    """(html text, markup) per message; the buttons go with the last piece."""
    parts = [escape(p) for p in split_text(reply.text)] or [""]
    markup = keyboard(reply.buttons)
    return [(p, markup if i == len(parts) - 1 else None) for i, p in enumerate(parts)]
