"""Polling mode with PORT set also serves /healthz (a Procfile ``web`` process, a container).

The real ``recovery-bot run`` process polls the fake Bot API; the platform's probe (and the
container's HEALTHCHECK, ``recovery-bot healthcheck``) asks /healthz on PORT.
"""

from __future__ import annotations

import asyncio
import socket
import sys
from pathlib import Path

import aiohttp
import pytest
from bot_process import Person, bot_env, start_bot, stop_bot
from fake_bot_api import TOKEN, FakeBotApi

from bot.telegram.runner import health_port
from bot.telegram.webhook import HEALTH_PATH

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(90)]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def _healthcheck(port: int) -> int:
    """``recovery-bot healthcheck --port N`` as the container's HEALTHCHECK runs it."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "healthcheck",
        "--port",
        str(port),
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    return await proc.wait()


async def test_polling_with_port_serves_healthz(api: FakeBotApi, tmp_path: Path) -> None:
    port = _free_port()
    assert await _healthcheck(port) == 1  # nothing listens yet: the check fails
    proc = await start_bot(bot_env(api, tmp_path / "bot.db", PORT=str(port)))
    try:
        await api.wait_for(lambda calls: any(c.method == "setMyCommands" for c in calls), 30)
        async with aiohttp.ClientSession() as http:
            for _ in range(50):  # the updater starts polling right after start-up
                async with http.get(f"http://127.0.0.1:{port}{HEALTH_PATH}") as health:
                    if health.status == 200:
                        assert await health.json() == {"status": "ok"}
                        break
                await asyncio.sleep(0.1)
            else:
                raise AssertionError("/healthz never answered 200")
            async with http.post(f"http://127.0.0.1:{port}/", data=b"{}") as other:
                assert other.status in (404, 405)  # polling mode takes no updates over HTTP
        assert await _healthcheck(port) == 0
        # Still a polling bot: a person's message arrives through getUpdates and is answered.
        (answer,) = await Person(api, 4242).say("what is naloxone")
        assert answer.params["text"]
        assert not api.sent(method="setWebhook")
    finally:
        code, err = await stop_bot(proc)
    assert code == 0, err[-2000:]
    assert TOKEN not in err
    assert await _healthcheck(port) == 1  # stopped: the check fails again


def test_health_port_comes_from_port_only() -> None:
    """A worker (no PORT) listens on nothing; a web process listens on $PORT."""
    assert health_port({"PORT": "8080"}) == 8080
    assert health_port({"PORT": " 5000 "}) == 5000
    assert health_port({}) is None
    assert health_port({"PORT": ""}) is None
    assert health_port({"PORT": "0"}) is None
    assert health_port({"PORT": "70000"}) is None


def test_healthcheck_fails_cleanly_without_a_server_or_with_a_bad_port(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from bot.cli import main

    monkeypatch.setenv("PORT", "not-a-port")
    assert main(["healthcheck"]) == 1
    assert "PORT must be a port number" in capsys.readouterr().err
    monkeypatch.setenv("PORT", str(_free_port()))
    assert main(["healthcheck"]) == 1
    assert "/healthz" in capsys.readouterr().err
