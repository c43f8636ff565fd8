"""Several real ``recovery-bot run`` processes in webhook mode on one PostgreSQL (issue #16).

Shared by ``tests/test_instances_e2e.py`` (small, pass/fail on correctness) and
``bench/bench_instances.py`` (the measurements). The pieces:

* the fake Bot API (``fake_bot_api``) every instance sends to; it records each call's time;
* N bot processes, webhook mode, sharing ``DATABASE_URL``;
* :class:`Proxy`, a round-robin load balancer: each chat's next update goes to the next live
  instance, so a person hops instances on every message; a dead instance is skipped;
* :class:`Telegram`, which posts updates through the proxy and, like Telegram, sends an update
  again until it gets a 200;
* scripted people: a whole safety plan, a whole check-in set-up, one live question; and due
  check-ins written straight into the database.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import socket
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from datetime import time as dtime
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web
from bot_process import bot_env, start_bot, stop_bot
from fake_bot_api import FakeBotApi
from telegram import CallbackQuery, Message

SECRET = "inst4nces"
HEADERS = {"X-Telegram-Bot-Api-Secret-Token": SECRET}

PLAN_ANSWERS: tuple[str | None, ...] = (
    "I stop answering texts",
    "go for a walk",
    None,  # skipped with the button
    "my sponsor, 555 0100",
    "the clinic on main street",
    "naloxone at home",
)
QUESTIONS = (
    "how does naloxone work",
    "what is methadone",
    "what does tolerance mean",
    "how long does withdrawal last",
    "what is buprenorphine",
)
CRISIS = "i want to kill myself tonight"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def chat_of(update: dict[str, Any]) -> int:
    if "callback_query" in update:
        return int(update["callback_query"]["message"]["chat"]["id"])
    return int(update["message"]["chat"]["id"])


class Proxy:
    """Round robin per chat over the instances; a refused connection tries the next one.

    ``arrived``: per chat, when each update reached the proxy, which hands it on at once (its
    own pool has no connection limit, like a load balancer's), so this is when the bot got
    it. The time from there to the reply is the bot's own; the time before it is spent in
    the sender's queue (:class:`Telegram` keeps 100 connections, as Telegram keeps up to
    ``max_connections``, each busy until the bot answers 200).
    """

    def __init__(self, ports: list[int]) -> None:
        self.ports = ports
        self.down: set[int] = set()
        self.turn: dict[int, int] = {}
        self.hops: dict[int, list[int]] = {}
        self.arrived: dict[int, list[float]] = {}
        self.port = free_port()
        self._session: aiohttp.ClientSession | None = None
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        self._session = aiohttp.ClientSession(
            timeout=aiohttp.ClientTimeout(total=30), connector=aiohttp.TCPConnector(limit=0)
        )
        app = web.Application()
        app.router.add_post("/tg", self._forward)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
        if self._runner is not None:
            await self._runner.cleanup()

    async def _forward(self, request: web.Request) -> web.Response:
        assert self._session is not None
        body = await request.read()
        chat = chat_of(json.loads(body))
        self.arrived.setdefault(chat, []).append(time.monotonic())
        for _ in range(len(self.ports)):
            index = self.turn.get(chat, chat) % len(self.ports)
            self.turn[chat] = index + 1
            if index in self.down:
                continue
            url = f"http://127.0.0.1:{self.ports[index]}/tg"
            try:
                async with self._session.post(url, data=body, headers=HEADERS) as answer:
                    self.hops.setdefault(chat, []).append(index)
                    return web.Response(status=answer.status)
            except (aiohttp.ClientError, asyncio.TimeoutError):
                continue  # that instance is gone: the next one
        return web.Response(status=502)


class Telegram:
    """Posts updates to the proxy as Telegram does: again and again until a 200."""

    def __init__(self, api: FakeBotApi, proxy_port: int) -> None:
        self.api = api
        self.url = f"http://127.0.0.1:{proxy_port}/tg"
        self._ids = itertools.count(1)
        self._session: aiohttp.ClientSession | None = None
        self.retries = 0
        self.sent = Sent(api)
        self.arrived: dict[int, list[float]] | None = None
        """The proxy's arrival times (:attr:`Proxy.arrived`), when the caller wants them."""

    async def __aenter__(self) -> Telegram:
        self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30))
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._session is not None:
            await self._session.close()

    async def post(self, update: dict[str, Any]) -> None:
        assert self._session is not None
        update["update_id"] = next(self._ids)
        for _ in range(300):
            with contextlib.suppress(aiohttp.ClientError, asyncio.TimeoutError):
                async with self._session.post(self.url, json=update) as answer:
                    if answer.status == 200:
                        return
            self.retries += 1
            await asyncio.sleep(0.2)
        raise AssertionError("Telegram could not deliver an update for a minute")

    def press_update(self, chat_id: int, data: str) -> dict[str, Any]:
        user = self.api.user(chat_id)
        msg = Message(1, datetime.now(timezone.utc), self.api.chat(chat_id), from_user=self.api.me)
        query = CallbackQuery(str(chat_id), user, "ci", message=msg, data=data)
        return {"callback_query": query.to_dict()}


@dataclass
class Outcome:
    """What one scripted person saw."""

    chat_id: int
    kind: str
    ok: bool = False
    latencies: list[float] = field(default_factory=list)
    in_bot: list[float] = field(default_factory=list)
    """From the update's arrival at the proxy (at the bot) to the reply, when known."""
    detail: str = ""


class Sent:
    """sendMessage calls per chat, read incrementally from the fake's call list.

    ``FakeBotApi.wait_sent`` scans every call on every change; with hundreds of people waiting
    that scan would slow the fake Telegram itself (and bunch the times it records).
    """

    def __init__(self, api: FakeBotApi) -> None:
        self.api = api
        self.seen = 0
        self.by_chat: dict[int, list[Any]] = {}

    def of(self, chat_id: int) -> list[Any]:
        calls = self.api.calls
        while self.seen < len(calls):
            call = calls[self.seen]
            self.seen += 1
            if call.method == "sendMessage" and "_failed" not in call.params:
                self.by_chat.setdefault(int(call.params["chat_id"]), []).append(call)
        return self.by_chat.get(chat_id, [])

    async def wait(self, chat_id: int, count: int, timeout: float) -> list[Any]:
        deadline = time.monotonic() + timeout
        while len(self.of(chat_id)) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"chat {chat_id}: {len(self.of(chat_id))} of {count} sent")
            await asyncio.sleep(0.02)
        return self.of(chat_id)


async def step(
    tg: Telegram,
    chat_id: int,
    update: dict[str, Any],
    expect: int,
    timeout: float,
    in_bot: list[float] | None = None,
) -> float:
    """Send one update; wait until the chat has ``expect`` more messages; the reply time.

    ``in_bot``: gets the time from the update's first arrival at the proxy to the reply."""
    before = len(tg.sent.of(chat_id))
    start = time.monotonic()
    await tg.post(update)
    sent = await tg.sent.wait(chat_id, before + expect, timeout)
    if in_bot is not None and tg.arrived is not None:
        arrived = [t for t in tg.arrived.get(chat_id, []) if t >= start]
        if arrived:
            in_bot.append(float(sent[before].at - arrived[0]))
    return float(sent[before].at - start)


async def last_reply(tg: Telegram, chat_id: int, needle: str, timeout: float) -> str:
    """The chat's newest message once one contains ``needle`` (or when ``timeout`` runs out).
    After an instance dies, a step it answered may be answered again, so the counted replies
    can run ahead of the flow; the flow's last message then comes a little later."""
    deadline = time.monotonic() + timeout
    while True:
        texts = [str(m.params.get("text", "")) for m in tg.sent.of(chat_id)]
        if any(needle in t for t in texts) or time.monotonic() > deadline:
            return next((t for t in reversed(texts) if needle in t), texts[-1] if texts else "")
        await asyncio.sleep(0.1)


async def safety_plan_person(tg: Telegram, chat_id: int, timeout: float) -> Outcome:
    out = Outcome(chat_id, "safety plan")
    api = tg.api
    try:
        out.latencies.append(
            await step(tg, chat_id, api.message_update(chat_id, "/safetyplan"), 1, timeout)
        )
        out.latencies.append(
            await step(tg, chat_id, tg.press_update(chat_id, "v1:sp:start"), 2, timeout)
        )
        for answer in PLAN_ANSWERS:
            update = (
                tg.press_update(chat_id, "v1:sp:skip")
                if answer is None
                else api.message_update(chat_id, answer)
            )
            out.latencies.append(await step(tg, chat_id, update, 1, timeout))
        last = await last_reply(tg, chat_id, "Your safety plan is saved", timeout)
        out.ok = "Your safety plan is saved" in last and "555 0100" in last
        out.detail = "" if out.ok else last[:80]
    except AssertionError as exc:
        out.detail = str(exc)[:200]
    return out


async def checkin_setup_person(tg: Telegram, chat_id: int, timeout: float) -> Outcome:
    out = Outcome(chat_id, "check-in set-up")
    api = tg.api
    try:
        script: list[tuple[dict[str, Any], int]] = [
            (api.message_update(chat_id, "/checkin"), 1),
            (tg.press_update(chat_id, "v1:ci:f:weekly"), 1),
            (tg.press_update(chat_id, "v1:ci:w:2"), 1),
            (api.message_update(chat_id, "7:30 pm"), 1),
            (api.message_update(chat_id, "europe/london"), 1),
        ]
        for update, expect in script:
            out.latencies.append(await step(tg, chat_id, update, expect, timeout))
        last = await last_reply(tg, chat_id, "19:30 (Europe/London)", timeout)
        out.ok = "19:30 (Europe/London)" in last
        out.detail = "" if out.ok else last[:80]
    except AssertionError as exc:
        out.detail = str(exc)[:200]
    return out


async def question_person(tg: Telegram, chat_id: int, text: str, timeout: float) -> Outcome:
    out = Outcome(chat_id, "crisis" if text == CRISIS else "question")
    try:
        out.latencies.append(
            await step(
                tg, chat_id, tg.api.message_update(chat_id, text), 1, timeout, in_bot=out.in_bot
            )
        )
        out.ok = True
    except AssertionError as exc:
        out.detail = str(exc)[:200]
    return out


async def add_due_checkins(pg_url: str, chat_ids: Iterable[int]) -> None:
    """People with a daily check-in that fell due a minute ago."""
    from bot.storage import CheckinSettings, Store

    store = await Store.open(pg_url)
    try:
        due = datetime.now(timezone.utc) - timedelta(minutes=1)
        for chat_id in chat_ids:
            await store.people.ensure(chat_id)
            await store.checkins.save(
                chat_id,
                CheckinSettings(
                    frequency="daily", local_time=dtime(9, 0), timezone="UTC", next_due_at=due
                ),
            )
    finally:
        await store.close()


async def saved(pg_url: str, chat_id: int) -> tuple[Any, Any]:
    """The plan and check-in settings stored for a chat."""
    from bot.storage import Store

    store = await Store.open(pg_url)
    try:
        return await store.plans.get(chat_id), await store.checkins.get(chat_id)
    finally:
        await store.close()


class Cluster:
    """N webhook instances on one database behind the proxy."""

    def __init__(
        self,
        api: FakeBotApi,
        pg_url: str,
        folder: Path,
        n: int,
        log_level: str = "WARNING",
        **env: str,
    ) -> None:
        self.api = api
        self.pg_url = pg_url
        self.folder = folder
        self.ports = [free_port() for _ in range(n)]
        self.env = env
        self.log_level = log_level
        self.procs: list[asyncio.subprocess.Process] = []
        self.proxy = Proxy(self.ports)
        self.errors: list[str] = []
        self.killed_at: float | None = None
        self.logs: list[str] = []

    async def start(self) -> None:
        await self.proxy.start()
        for port in self.ports:
            env = bot_env(
                self.api,
                self.folder / "unused.db",
                DATABASE_URL=self.pg_url,
                WEBHOOK_URL=f"http://127.0.0.1:{self.proxy.port}/tg",
                PORT=str(port),
                WEBHOOK_SECRET=SECRET,
                LOG_LEVEL=self.log_level,
                **self.env,
            )
            self.procs.append(await start_bot(env))
        try:
            await self.api.wait_for(
                lambda calls: sum(c.method == "setWebhook" for c in calls) >= len(self.ports), 60
            )
        except AssertionError as exc:
            # Say which instance did not come up, and why if it exited (CI saw this once).
            exited = []
            for i, proc in enumerate(self.procs):
                if proc.returncode is not None:
                    _, err = await proc.communicate()
                    exited.append(f"instance {i} exited {proc.returncode}: {err.decode()[-1500:]}")
            hooks = sum(c.method == "setWebhook" for c in self.api.calls)
            raise AssertionError(
                f"{hooks} of {len(self.ports)} instances set their webhook in 60 s; "
                f"exited: {exited or 'none'}; {exc}"
            ) from None
        # setWebhook comes just before the server answers; wait for every /healthz.
        async with aiohttp.ClientSession() as http:
            for port in self.ports:
                for _ in range(100):
                    with contextlib.suppress(aiohttp.ClientError):
                        async with http.get(f"http://127.0.0.1:{port}/healthz") as health:
                            if health.status == 200:
                                break
                    await asyncio.sleep(0.1)

    def kill(self, index: int) -> None:
        """SIGKILL: no goodbye, whatever it had accepted is left in the inbox."""
        self.procs[index].kill()
        self.proxy.down.add(index)
        self.killed_at = time.monotonic()

    async def stop(self) -> None:
        for proc in self.procs:
            if proc.returncode is None:
                code, err = await stop_bot(proc)
                self.logs.append(err)
                if code != 0:
                    self.errors.append(err[-2000:])
            else:
                _, raw = await proc.communicate()
                self.logs.append(raw.decode(errors="replace"))
        await self.proxy.close()


def checkins_per_instance(logs: list[str]) -> list[int]:
    """Check-ins each instance sent, from its INFO lines ("check-ins: N sent, ...")."""
    import re

    return [sum(int(n) for n in re.findall(r"check-ins: (\d+) sent", log)) for log in logs]


def sends_in_worst_second(api: FakeBotApi) -> int:
    """The most sendMessage calls that reached the fake Telegram in any sliding second."""
    times = sorted(c.at for c in api.sent() if "_failed" not in c.params)
    most, start = 0, 0
    for end, moment in enumerate(times):
        while moment - times[start] >= 1.0:
            start += 1
        most = max(most, end - start + 1)
    return most


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]
