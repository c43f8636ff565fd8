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


def stored_cravings(tmp_path: Path) -> list[tuple[str, int | None]]:
    import asyncio
    from datetime import datetime, timezone

    from bot.chat import TERMINAL_CHAT_ID
    from bot.storage import Store

    async def read() -> list[tuple[str, int | None]]:
        store = await Store.open(f"sqlite:///{tmp_path / 'chat.db'}")
        try:
            since = datetime(2000, 1, 1, tzinfo=timezone.utc)
            answers = await store.checkin_answers(TERMINAL_CHAT_ID, since)
            return [(a.mood, a.craving) for a in answers]
        finally:
            await store.close()

    return asyncio.run(read())


def test_craving_scale_stores_the_number_typed_after_struggling(tmp_path: Path) -> None:
    # "Struggling" shows support choices and then the 0-10 scale: typing 7 means 7 out of 10.
    text = chat(["/checkin now", "3", "7", "/quit"], tmp_path)
    assert "[5]" not in text and "[15]" not in text
    assert "0  1  2  3  4  5  6  7  8  9  10" in text
    assert "strong craving" in text  # 7 counts as a high craving
    assert stored_cravings(tmp_path) == [("struggling", None), ("craving", 7)]


def test_craving_scale_after_good_stores_zero_and_ten(tmp_path: Path) -> None:
    chat(["/checkin now", "1", "0", "/checkin now", "2", "10", "/quit"], tmp_path)
    assert stored_cravings(tmp_path) == [
        ("good", None),
        ("craving", 0),
        ("okay", None),
        ("craving", 10),
    ]
