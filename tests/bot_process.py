"""Drive the real ``recovery-bot run`` process against the fake Bot API (shared by e2e tests)."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path
from typing import Any

from fake_bot_api import TOKEN, FakeBotApi


def bot_env(api: FakeBotApi, db: Path, **extra: str) -> dict[str, str]:
    """The bot's environment: the fake server, a SQLite file, no real token or webhook."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WEBHOOK", "TELEGRAM"))}
    env.update(
        TELEGRAM_BOT_TOKEN=TOKEN,
        TELEGRAM_API_BASE_URL=api.base_url,
        DATABASE_URL=f"sqlite:///{db}",
        DEFAULT_COUNTRY="US",
        LOG_LEVEL="DEBUG",
    )
    env.update(extra)  # may override the defaults above (LOG_LEVEL...)
    return {k: v for k, v in env.items() if v is not None}


async def start_bot(env: dict[str, str]) -> asyncio.subprocess.Process:
    """``python -m bot run`` as a subprocess."""
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "run",
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def stop_bot(proc: asyncio.subprocess.Process) -> tuple[int, str]:
    """SIGTERM (then kill after 20 s); the exit code and what it wrote to stderr."""
    if proc.returncode is None:
        proc.send_signal(signal.SIGTERM)
    try:
        _, err = await asyncio.wait_for(proc.communicate(), 20)
    except TimeoutError:
        proc.kill()
        _, err = await proc.communicate()
    assert proc.returncode is not None
    return proc.returncode, err.decode(errors="replace")


def buttons(call: Any) -> list[str]:
    """The callback data of every inline button on a sent message."""
    markup = call.params.get("reply_markup") or {}
    return [b["callback_data"] for row in markup.get("inline_keyboard", []) for b in row]


class Person:
    """A scripted person in one chat: says things, presses buttons, reads replies."""

    def __init__(self, api: FakeBotApi, chat_id: int, user_id: int | None = None) -> None:
        self.api, self.chat_id, self.user_id = api, chat_id, user_id or chat_id

    async def say(self, text: str, expect: int = 1, **kw: Any) -> list[Any]:
        before = len(self.api.sent(self.chat_id))
        await self.api.say(self.chat_id, text, user_id=self.user_id, **kw)
        sent = await self.api.wait_sent(self.chat_id, before + expect, timeout=15)
        return sent[before:]

    async def press(self, data: str, expect: int = 1) -> list[Any]:
        before = len(self.api.sent(self.chat_id))
        await self.api.press(self.chat_id, data, user_id=self.user_id)
        sent = await self.api.wait_sent(self.chat_id, before + expect, timeout=15)
        return sent[before:]
