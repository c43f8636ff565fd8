"""The terminal chat: same conversation, buttons as numbered choices, no token needed."""

from __future__ import annotations

import io
from pathlib import Path

from bot.chat import run_chat
from bot.config import Settings


def chat(lines: list[str], tmp_path: Path) -> str:
    out = io.StringIO()
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'chat.db'}", default_country="US")
    code = run_chat(settings, io.StringIO("\n".join(lines) + "\n"), out)
    assert code == 0
    return out.getvalue()


def test_welcome_choices_and_numbered_buttons(tmp_path: Path) -> None:
    text = chat(["1", "what is methadone", "/crisis", "/quit"], tmp_path)
    assert "not a doctor" in text
    assert "[1] I'm in recovery" in text
    assert "Thank you for telling me" in text  # "1" picked the first role
    assert "👍 Helpful" in text and "988" in text
    assert text.rstrip().endswith("help lines.")


def test_end_of_input_leaves_cleanly_and_forget_works(tmp_path: Path) -> None:
    text = chat(["/forget", "1"], tmp_path)
    assert "erase everything" in text.lower() and "I erased everything" in text
