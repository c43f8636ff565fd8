"""What the container does, with the installed wheel and no Docker engine.

    python .ci/container_smoke.py VENV

Starts the in-repo fake Bot API (tests/fake_bot_api.py), then, from an empty folder and with
the image's environment (PORT=8080-style port, HF_HUB_OFFLINE=1, XDG_DATA_HOME for the SQLite
file): the image's CMD ``recovery-bot run`` (polling), its HEALTHCHECK ``recovery-bot
healthcheck`` until it passes, a person's message and the bot's answer, ``recovery-bot doctor``
(which must find the deploy ready and send nothing), then SIGTERM and a clean exit.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from fake_bot_api import TOKEN, start_fake_api  # noqa: E402


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def run(venv: Path) -> int:
    api, _runner = await start_fake_api()
    bin_ = venv / "bin"
    home = Path(tempfile.mkdtemp(prefix="container-"))
    port = free_port()
    env = {
        "PATH": f"{bin_}:/usr/bin:/bin",
        "HOME": str(home),
        "PORT": str(port),
        "HF_HUB_OFFLINE": "1",
        "XDG_DATA_HOME": str(home / "data"),
        "PYTHONUNBUFFERED": "1",
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_BASE_URL": api.base_url,
        "DEFAULT_COUNTRY": "US",
    }

    async def command(*args: str, check: bool = True) -> tuple[int, str]:
        proc = await asyncio.create_subprocess_exec(
            str(bin_ / "recovery-bot"),
            *args,
            cwd=home,
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        out, _ = await proc.communicate()
        text = out.decode(errors="replace")
        if check and proc.returncode != 0:
            raise SystemExit(f"recovery-bot {' '.join(args)} exited {proc.returncode}:\n{text}")
        return proc.returncode or 0, text

    bot = await asyncio.create_subprocess_exec(
        str(bin_ / "recovery-bot"),
        "run",
        cwd=home,
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        for _ in range(120):
            code, _ = await command("healthcheck", check=False)
            if code == 0:
                break
            if bot.returncode is not None:
                raise SystemExit("recovery-bot run stopped before /healthz answered")
            await asyncio.sleep(0.5)
        else:
            raise SystemExit("HEALTHCHECK never passed")
        print(f"HEALTHCHECK passed: /healthz on port {port} in polling mode")
        await api.say(4242, "what is naloxone")
        (reply,) = await api.wait_sent(4242, 1, timeout=30)
        assert "naloxone" in reply.params["text"].lower(), reply.params["text"]
        print("a person's message was answered")
        before = len(api.calls)
        _, report = await command("doctor")  # in full: lint's rules included
        print(report.rstrip())
        assert "doctor: ready" in report and "no content errors" in report, report
        doctor_calls = {c.method for c in api.calls[before:]} - {"getUpdates", "sendMessage"}
        # The bot itself may send in the meantime; doctor's own calls are read-only.
        assert doctor_calls <= {"getMe", "getWebhookInfo"}, doctor_calls
    finally:
        if bot.returncode is None:
            bot.send_signal(signal.SIGTERM)
        _, err = await asyncio.wait_for(bot.communicate(), 30)
    if bot.returncode != 0:
        raise SystemExit(f"recovery-bot run exited {bot.returncode}:\n{err.decode()[-3000:]}")
    if TOKEN.encode() in err:
        raise SystemExit("the token appeared in the bot's log")
    print("SIGTERM: recovery-bot run stopped cleanly")
    return 0


if __name__ == "__main__":
    code = asyncio.run(run(Path(sys.argv[1])))
    sys.stdout.flush()
    os._exit(code)  # skip waiting for the fake server's open long poll
