"""The terminal chat: same conversation, buttons as numbered choices, no token needed."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

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
            answers = await store.checkins.answers(TERMINAL_CHAT_ID, since)
            return [(a.mood, a.craving) for a in answers]
        finally:
            await store.close()

    return asyncio.run(read())


def test_craving_scale_stores_the_number_typed_after_struggling(tmp_path: Path) -> None:
    # "Struggling" shows support choices and then the 0-10 scale: typing 7 means 7 out of 10.
    text = chat(["/checkin now", "3", "7", "/quit"], tmp_path)
    struggling = text[text.index("> Thanks for telling me") :]
    assert "[5]" not in struggling and "[15]" not in struggling
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


def test_text_wraps_to_the_terminal_width_without_indent_or_broken_words(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "40")
    text = chat(["what is methadone", "/quit"], tmp_path)
    answer = text[text.index("> Methadone") + 2 :]
    lines = answer[: answer.index("[1]")].splitlines()
    assert max(len(line) for line in lines) <= 40
    words = {w for line in lines for w in line.split()}
    assert "Methadone" in words and "medicine" in " ".join(lines)
    first_paragraph = lines[: lines.index("")]
    assert len(first_paragraph) > 1
    assert not any(line.startswith(" ") for line in first_paragraph)  # no hanging indent


def test_wrap_keeps_words_whole_and_lines_up_bullets() -> None:
    from bot.chat import wrap

    assert wrap("buprenorphine helps", 8) == "buprenorphine\nhelps"
    assert wrap("- one two three four", 10) == "- one two\n  three\n  four"


def test_suggestions_are_listed_once_as_choices(tmp_path: Path) -> None:
    text = chat(["hmm maybe meds or methadone or bupe", "/quit"], tmp_path)
    reply = text[text.index("Did you mean") :]
    reply = reply[: reply.index("\n> ")]
    choices = [
        line.split("] ", 1)[1] for line in reply.splitlines() if line.strip().startswith("[")
    ]
    assert choices[0] != "Skip" and "Myths about MOUD" in choices
    # Each suggestion once, as a numbered choice, never also as a "1." list in the text.
    suggested = choices[: choices.index("None of these")]
    assert len(suggested) == len(set(suggested))
    assert reply.count("Myths about MOUD") == 1 and "1. " not in reply


@pytest.mark.parametrize("word", ["exit", "quit", "bye", "Bye!"])
def test_exit_quit_and_bye_leave_with_the_goodbye_line(tmp_path: Path, word: str) -> None:
    text = chat([word, "what is methadone"], tmp_path)
    assert text.rstrip().endswith("help lines.") and "Methadone" not in text


def test_ctrl_c_leaves_at_once_with_the_goodbye_line(tmp_path: Path) -> None:
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'c.db'}", "COLUMNS": "80"}
    exe = Path(sys.executable).with_name("recovery-bot")
    proc = subprocess.Popen(
        [str(exe), "chat"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env
    )
    try:
        assert proc.stdout is not None
        seen = b""
        deadline = time.monotonic() + 60
        while b"\n> " not in seen and time.monotonic() < deadline:
            seen += os.read(proc.stdout.fileno(), 4096)
        assert b"\n> " in seen
        proc.send_signal(signal.SIGINT)  # stdin stays open: nothing is typed, no Enter
        out, _ = proc.communicate(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0
    assert (seen + out).decode().rstrip().endswith("help lines.")


def test_ctrl_d_leaves_with_the_goodbye_line(tmp_path: Path) -> None:
    text = chat(["what is naloxone"], tmp_path)  # input ends: Ctrl-D
    assert text.rstrip().endswith("help lines.")


def test_a_number_after_a_reply_without_a_menu_is_text(tmp_path: Path) -> None:
    text = chat(["/nosuchcommand", "1", "/quit"], tmp_path)
    assert "Thank you for telling me" not in text  # "1" did not pick the welcome's role
    assert "[1] I'm in recovery" in text


def test_an_answer_offers_four_choices_and_more_shows_the_rest(tmp_path: Path) -> None:
    text = chat(["what is methadone", "4", "/quit"], tmp_path)
    answer = text[text.index("> Methadone") :]
    answer = answer[: answer.index("One quick question")]  # then: who are you (once)
    assert "[4] ➕ More" in answer and "[5]" not in answer
    more = text[text.index("More on this:") :]
    assert "[1] " in more and "📚 Topics" in more


def test_help_mentions_quit_and_progress(tmp_path: Path) -> None:
    text = chat(["/help", "/quit"], tmp_path)
    assert "/quit" in text and "/progress" in text and "Ctrl-C" in text
