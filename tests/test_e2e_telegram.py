"""End to end: the real ``recovery-bot run`` process against the in-repo fake Bot API server.

A scripted person (and a group) talk to the bot through the fake server exactly as Telegram
would deliver their messages: long polling by default, then webhook mode with its secret.
"""

from __future__ import annotations

import asyncio
import os
import socket
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from bot_process import Person, bot_env, buttons, start_bot, stop_bot
from fake_bot_api import BOT_ID, BOT_USERNAME, TOKEN, FakeBotApi

from bot.storage import Store

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(90)]

PERSON = 5551234
NEWCOMER = 5557777
GROUP = -1009876


async def test_polling_private_and_group_conversation(api: FakeBotApi, tmp_path: Path) -> None:
    db = tmp_path / "bot.db"
    proc = await start_bot(bot_env(api, db))
    try:
        await api.wait_for(lambda calls: any(c.method == "setMyCommands" for c in calls), 30)
        me = Person(api, PERSON)

        (welcome,) = await me.say("/start")
        assert "not a doctor" in welcome.params["text"]
        assert "v1:r:family" in buttons(welcome)
        (countries,) = await me.press("v1:r:family")
        assert "v1:c:US" in buttons(countries)
        (lines,) = await me.press("v1:c:US")
        assert "988" in lines.params["text"]
        (parent,) = await me.say("my son relapsed what do i do")
        assert "someone you love" in parent.params["text"]
        assert "If you used again" not in parent.params["text"]

        (answer,) = await me.say("what is methadone")
        assert answer.params["text"].count("Opioid Addiction and the Brain") <= 1
        assert "more (/sources)" in answer.params["text"]
        (sources,) = await me.say("/sources")
        assert "https://" in sources.params["text"]
        assert "v1:f:methadone:1" in buttons(answer)
        assert len(buttons(answer)) <= 4 and "v1:mo:methadone" in buttons(answer)
        (more,) = await me.press("v1:mo:methadone")
        related = [b for b in buttons(more) if b.startswith("v1:t:")]
        assert related
        (suggest,) = await me.say("hmm maybe meds or methadone or bupe")
        assert suggest.params["text"] and sum(b.startswith("v1:t:") for b in buttons(suggest)) >= 2
        assert "1." not in suggest.params["text"]  # the titles are the buttons, shown once
        (fallback,) = await me.say("what's the best pizza topping")
        assert any(b.startswith("v1:g:") for b in buttons(fallback))
        (tapped,) = await me.press(related[0])
        assert f"v1:f:{related[0][5:]}:1" in buttons(tapped)

        newcomer = Person(api, NEWCOMER)  # a first message that is a question
        answer_first, who = await newcomer.say("what is naloxone", expect=2)
        assert "v1:f:naloxone:1" in buttons(answer_first)
        assert "who are you" in who.params["text"] and "v1:ob:role" in buttons(who)
        (where,) = await newcomer.press("v1:ob:role")
        assert "Which country" in where.params["text"]
        await newcomer.say("/checkin now")
        await newcomer.press("v1:ci:m:struggling", expect=2)
        await newcomer.press("v1:ci:c:7")

        (crisis,) = await me.say("i want to kill myself tonight")
        assert "988" in crisis.params["text"]

        (confirm,) = await me.say("/forget")
        assert "v1:fg:yes" in buttons(confirm)
        (done,) = await me.press("v1:fg:yes")
        assert "erased" in done.params["text"]

        group = Person(api, GROUP, user_id=PERSON + 1)
        await api.say(GROUP, "anyone know about methadone?", user_id=PERSON + 1)
        (mentioned,) = await group.say(f"@{BOT_USERNAME} what is methadone")
        assert mentioned.params["reply_parameters"]["message_id"]
        assert len(api.sent(GROUP)) == 1  # the unaddressed message got no reply
        (alarm,) = await group.say("i just want to die, cant do this anymore")
        assert "988" in alarm.params["text"]
        (private_only,) = await group.say("/safetyplan")
        assert "private chat" in private_only.params["text"]
        bot_message = {
            "message_id": 1,
            "date": 0,
            "chat": {"id": GROUP, "type": "supergroup"},
            "from": {"id": BOT_ID, "is_bot": True, "first_name": "Bot"},
            "text": "x",
        }
        (reply_to_bot,) = await group.say("naloxone?", reply_to=_msg(bot_message))
        assert reply_to_bot.params["text"]
    finally:
        code, err = await stop_bot(proc)
    assert code == 0, err[-2000:]
    assert TOKEN not in err and TOKEN.split(":")[1] not in err
    assert "kill myself" not in err and "methadone" not in err
    store = await Store.open(f"sqlite:///{db}")
    try:
        assert await store.people.get(PERSON) is None  # /forget erased the person
        since = datetime(2000, 1, 1, tzinfo=timezone.utc)
        answers = await store.checkins.answers(NEWCOMER, since)
        assert [(a.mood, a.craving) for a in answers] == [("struggling", None), ("craving", 7)]
    finally:
        await store.close()


def _msg(data: dict[str, Any]) -> Any:
    from telegram import Message

    return Message.de_json(data, None)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_webhook_mode_checks_the_secret(api: FakeBotApi, tmp_path: Path) -> None:
    port = _free_port()
    env = bot_env(
        api,
        tmp_path / "bot.db",
        WEBHOOK_URL=f"http://127.0.0.1:{port}/tg-hook",
        PORT=str(port),
        WEBHOOK_SECRET="s3cret-value",
    )
    proc = await start_bot(env)
    try:
        await api.wait_for(lambda calls: any(c.method == "setWebhook" for c in calls), 30)
        (hook,) = api.sent(method="setWebhook")
        assert hook.params["url"].endswith("/tg-hook")
        assert hook.params["secret_token"] == "s3cret-value"
        update = api.message_update(PERSON, "what is naloxone")
        update["update_id"] = 77
        url = f"http://127.0.0.1:{port}/tg-hook"
        async with aiohttp.ClientSession() as http:
            async with http.get(f"http://127.0.0.1:{port}/healthz") as health:
                assert health.status == 200
            bad = {"X-Telegram-Bot-Api-Secret-Token": "wrong"}
            async with http.post(url, json=update, headers=bad) as refused:
                assert refused.status == 403
            async with http.post(url, json=update) as missing:
                assert missing.status == 403
            await asyncio.sleep(0.5)
            assert api.sent(PERSON) == []
            good = {"X-Telegram-Bot-Api-Secret-Token": "s3cret-value"}
            async with http.post(url, json=update, headers=good) as accepted:
                assert accepted.status == 200
        (reply,) = await api.wait_sent(PERSON, 1)
        assert "v1:f:naloxone:1" in buttons(reply)
    finally:
        code, err = await stop_bot(proc)
    assert code == 0, err[-2000:]
    assert TOKEN not in err


async def test_run_without_token_explains_and_exits_2(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TELEGRAM")}
    proc = await start_bot(env)
    _, err = await proc.communicate()
    assert proc.returncode == 2
    assert b"@BotFather" in err and b"recovery-bot chat" in err and b"Traceback" not in err


async def test_revoked_token_exits_2(api: FakeBotApi, tmp_path: Path) -> None:
    env = bot_env(api, tmp_path / "bot.db")
    env["TELEGRAM_BOT_TOKEN"] = "987654321:AAThisTokenIsNotKnownToTheServer_xyz"
    proc = await start_bot(env)
    _, err = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode == 2
    assert b"rejected" in err and b"Traceback" not in err
