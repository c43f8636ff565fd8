"""An in-repo fake Telegram Bot API server (aiohttp) for end-to-end tests and benchmarks.

It speaks enough of the Bot API for the bot: getMe, getUpdates (a real long poll with offset
and timeout), sendMessage, editMessageText, editMessageReplyMarkup, answerCallbackQuery,
setMyCommands, setWebhook/deleteWebhook/getWebhookInfo, getChatMember. Responses are built
from python-telegram-bot objects' ``to_dict()`` so they have Telegram's shape. Tests push
updates as a user would and read what the bot sent.

Faults, per method and optionally per chat: errors (403, 429 with retry_after, 400, 5xx, with a
JSON or an HTML body), answers cut off mid-body after the call was carried out (``truncate``),
answers that come late after the call was carried out (``slow``), updates served again after
the bot confirmed them (``redeliver``), and a seeded random ``storm`` of all of these.
``delivered()`` counts the messages that reached "Telegram", whatever answer the bot got.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import random
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

import pytest
from aiohttp import web
from telegram import (
    CallbackQuery,
    Chat,
    ChatMemberAdministrator,
    ChatMemberMember,
    Message,
    MessageEntity,
    User,
)
from telegram.request import BaseRequest, RequestData

TOKEN = "123456789:AAFakeTokenForTestsOnly_abcdefghijkl"
BOT_ID = 123456789
BOT_USERNAME = "recovery_test_bot"
JSON_FIELDS = {
    "reply_markup",
    "allowed_updates",
    "commands",
    "scope",
    "reply_parameters",
    "link_preview_options",
    "entities",
}
INT_FIELDS = {"chat_id", "offset", "timeout", "limit", "message_id", "user_id", "max_connections"}


@dataclass
class Injected:
    """A fault the next matching call(s) get.

    ``kind``: "error" (a JSON error answer, the call not carried out), "html" (an error answer
    that is not JSON, like a proxy's page), "truncate" (the call carried out when ``deliver``,
    its answer cut to ``keep`` of its length), "slow" (carried out at once, answered after
    ``delay`` seconds).
    """

    method: str
    code: int
    description: str
    retry_after: int | None = None
    chat_id: int | None = None
    times: int = 1
    kind: str = "error"
    delay: float = 0.0
    keep: float = 0.5
    deliver: bool = True


STORM_KINDS: dict[str, float] = {
    "429": 0.3,
    "5xx": 0.2,
    "html": 0.1,
    "truncate": 0.2,
    "slow": 0.2,
}
"""The default mix of a storm's faults (weights)."""


@dataclass
class Storm:
    """Random faults on ``methods`` (optionally only for ``chats``) at ``rate`` per call."""

    rate: float
    methods: tuple[str, ...]
    kinds: dict[str, float]
    slow_seconds: float
    retry_after: int
    chats: frozenset[int] | None
    rng: random.Random
    faults: list[tuple[str, int | None]] = field(default_factory=list)

    def pick(self, method: str, chat_id: Any) -> Injected | None:
        if method.lower() not in {m.lower() for m in self.methods}:
            return None
        if self.chats is not None and chat_id not in self.chats:
            return None
        if self.rng.random() >= self.rate:
            return None
        kind = self.rng.choices(list(self.kinds), weights=list(self.kinds.values()))[0]
        self.faults.append((kind, chat_id))
        if kind == "429":
            return Injected(
                method,
                429,
                f"Too Many Requests: retry after {self.retry_after}",
                retry_after=self.retry_after,
            )
        if kind == "5xx":
            return Injected(method, self.rng.choice((500, 502, 503)), "Internal Server Error")
        if kind == "html":
            return Injected(method, 502, "Bad Gateway", kind="html")
        if kind == "truncate":
            return Injected(method, 200, "", kind="truncate", keep=self.rng.uniform(0.1, 0.9))
        return Injected(method, 200, "", kind="slow", delay=self.slow_seconds)


@dataclass
class Call:
    """One Bot API call the bot made."""

    method: str
    params: dict[str, Any]
    at: float = field(default_factory=time.monotonic)


class FakeBotApi:
    """State of the fake server; the aiohttp app is built by :meth:`app`."""

    def __init__(self, token: str = TOKEN) -> None:
        self.token = token
        self.me = User(
            BOT_ID,
            "Recovery Bot",
            is_bot=True,
            username=BOT_USERNAME,
            can_join_groups=True,
            can_read_all_group_messages=False,
            supports_inline_queries=False,
        )
        self.updates: list[dict[str, Any]] = []
        self.calls: list[Call] = []
        self.errors: list[Injected] = []
        self.admins: set[tuple[int, int]] = set()
        self.webhook: dict[str, Any] = {"url": "", "secret_token": None}
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(1000)
        self._changed = asyncio.Condition()
        self.chats: dict[int, Chat] = {}
        self.users: dict[int, User] = {}
        self.port = 0
        self.history: dict[int, dict[str, Any]] = {}
        self.again: list[dict[str, Any]] = []
        self.storm_: Storm | None = None
        self.closing = asyncio.Event()

    # ------------------------------------------------------------------ for tests
    @property
    def base_url(self) -> str:
        """TELEGRAM_API_BASE_URL for the bot (the token is appended by the client)."""
        return f"http://127.0.0.1:{self.port}/bot"

    def user(self, user_id: int, name: str = "Sam") -> User:
        return self.users.setdefault(user_id, User(user_id, name, is_bot=False))

    def chat(self, chat_id: int, title: str = "Peer group") -> Chat:
        if chat_id not in self.chats:
            if chat_id > 0:
                self.chats[chat_id] = Chat(chat_id, Chat.PRIVATE, first_name="Sam")
            else:
                self.chats[chat_id] = Chat(chat_id, Chat.SUPERGROUP, title=title)
        return self.chats[chat_id]

    def _message(self, chat_id: int, user: User, text: str | None, **extra: Any) -> Message:
        return Message(
            next(self._message_ids),
            datetime.now(timezone.utc),
            self.chat(chat_id),
            from_user=user,
            text=text,
            **extra,
        )

    async def push(self, update: dict[str, Any]) -> int:
        """Queue a raw update (``update_id`` is assigned); wakes long polls."""
        update_id = next(self._update_ids)
        update["update_id"] = update_id
        async with self._changed:
            self.updates.append(update)
            self.history[update_id] = update
            self._changed.notify_all()
        return update_id

    async def redeliver(self, update_id: int) -> None:
        """Serve an update again, as Telegram does when the bot's confirmation got lost."""
        async with self._changed:
            self.again.append(self.history[update_id])
            self._changed.notify_all()

    async def close(self) -> None:
        """End long polls and slow answers at once, so the server can stop without waiting."""
        self.closing.set()
        async with self._changed:
            self._changed.notify_all()

    def message_update(
        self,
        chat_id: int,
        text: str | None,
        *,
        user_id: int | None = None,
        reply_to: Message | None = None,
        edited: bool = False,
        **extra: Any,
    ) -> dict[str, Any]:
        """An update dict for a message from a person (user id = chat id in private chats)."""
        user = self.user(user_id if user_id is not None else chat_id)
        entities: list[MessageEntity] = []
        if text and text.startswith("/"):
            entities.append(MessageEntity(MessageEntity.BOT_COMMAND, 0, len(text.split()[0])))
        mention = f"@{BOT_USERNAME}"
        if text and mention in text:
            entities.append(MessageEntity(MessageEntity.MENTION, text.index(mention), len(mention)))
        message = self._message(
            chat_id, user, text, entities=entities or None, reply_to_message=reply_to, **extra
        )
        if edited:
            message = Message.de_json({**message.to_dict(), "edit_date": int(time.time())}, None)
        return {("edited_message" if edited else "message"): message.to_dict()}

    async def say(self, chat_id: int, text: str, **kwargs: Any) -> int:
        """A person writes ``text``."""
        return await self.push(self.message_update(chat_id, text, **kwargs))

    async def press(
        self,
        chat_id: int,
        data: str,
        *,
        message: dict[str, Any] | None = None,
        user_id: int | None = None,
    ) -> int:
        """A person presses an inline button with callback ``data`` (on a message the bot sent)."""
        user = self.user(user_id if user_id is not None else chat_id)
        msg = Message.de_json(message, None) if message else self._message(chat_id, self.me, "…")
        query = CallbackQuery(str(next(self._update_ids)), user, "ci", message=msg, data=data)
        return await self.push({"callback_query": query.to_dict()})

    def fail(
        self,
        method: str,
        code: int,
        description: str,
        *,
        retry_after: int | None = None,
        chat_id: int | None = None,
        times: int = 1,
    ) -> None:
        """Make the next ``times`` calls of ``method`` (optionally to one chat) fail."""
        self.errors.append(Injected(method, code, description, retry_after, chat_id, times))

    def truncate(
        self,
        method: str,
        *,
        chat_id: int | None = None,
        times: int = 1,
        keep: float = 0.5,
        deliver: bool = True,
    ) -> None:
        """The next ``times`` calls are carried out (unless not ``deliver``) but their JSON
        answer is cut to ``keep`` of its length, as a broken proxy or connection would."""
        self.errors.append(
            Injected(method, 200, "", None, chat_id, times, "truncate", keep=keep, deliver=deliver)
        )

    def slow(
        self, method: str, seconds: float, *, chat_id: int | None = None, times: int = 1
    ) -> None:
        """The next ``times`` calls are carried out at once and answered after ``seconds``."""
        self.errors.append(Injected(method, 200, "", None, chat_id, times, "slow", delay=seconds))

    def storm(
        self,
        rate: float,
        *,
        seed: int = 12,
        methods: tuple[str, ...] = ("sendMessage",),
        kinds: dict[str, float] | None = None,
        slow_seconds: float = 5.0,
        retry_after: int = 1,
        chats: set[int] | None = None,
    ) -> Storm:
        """Random faults at ``rate`` per call until :meth:`calm` (seeded: reproducible)."""
        self.storm_ = Storm(
            rate,
            methods,
            dict(kinds or STORM_KINDS),
            slow_seconds,
            retry_after,
            frozenset(chats) if chats is not None else None,
            random.Random(seed),
        )
        return self.storm_

    def calm(self) -> None:
        """End the storm."""
        self.storm_ = None

    def delivered(self, chat_id: int | None = None) -> list[Call]:
        """sendMessage calls that reached the chat (a cut-off or late answer still delivered)."""
        return [c for c in self.sent(chat_id) if "_failed" not in c.params]

    def sent(self, chat_id: int | None = None, method: str = "sendMessage") -> list[Call]:
        """Calls of ``method`` (optionally to one chat), in order."""
        return [
            c
            for c in self.calls
            if c.method == method and (chat_id is None or c.params.get("chat_id") == chat_id)
        ]

    async def wait_for(
        self, predicate: Callable[[list[Call]], bool], timeout: float = 10.0
    ) -> None:
        """Wait until ``predicate(self.calls)`` holds, or fail the test."""
        deadline = time.monotonic() + timeout
        async with self._changed:
            while not predicate(self.calls):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    methods = [(c.method, c.params.get("text", "")[:60]) for c in self.calls[-8:]]
                    raise AssertionError(f"timed out; last calls: {methods}")
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._changed.wait(), remaining)

    async def wait_sent(self, chat_id: int, count: int, timeout: float = 10.0) -> list[Call]:
        """Wait until the bot has sent ``count`` messages to ``chat_id``; return them."""
        await self.wait_for(lambda _: len(self.sent(chat_id)) >= count, timeout)
        return self.sent(chat_id)

    # ------------------------------------------------------------------ server
    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        return app

    async def _params(self, request: web.Request) -> dict[str, Any]:
        if request.content_type == "application/json":
            body = await request.read()
            return dict(json.loads(body)) if body else {}
        raw = dict(await request.post()) if request.can_read_body else {}
        raw.update(request.query)
        params: dict[str, Any] = {}
        for key, value in raw.items():
            value = str(value)
            if key in JSON_FIELDS:
                params[key] = json.loads(value)
            elif key in INT_FIELDS:
                params[key] = int(value)
            elif value in ("true", "false"):
                params[key] = value == "true"
            else:
                params[key] = value
        return params

    async def _handle(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return _error(401, "Unauthorized")
        method = request.match_info["method"]
        params = await self._params(request)
        polling = method.lower() == "getupdates"
        # A poll's fault hits the first answer that carries updates (see below).
        injected = None if polling else self._fault(method, params)
        if injected is not None and _not_carried_out(injected):
            await self._record(method, {**params, "_failed": injected.code or 200})
            return _failure(injected)
        handler = getattr(self, f"api_{method.lower()}", None)
        if handler is None:
            return _error(404, "Not Found: method not found")
        if method.lower() != "getupdates":
            marker = {"_answer": injected.kind} if injected is not None else {}
            await self._record(method, {**params, **marker})
        result = await handler(params)
        if isinstance(result, web.Response):
            return result
        if polling and result:
            injected = self._fault(method, params)
            if injected is not None and _not_carried_out(injected):
                return _failure(injected)  # the updates stay pending, as with Telegram
        body = json.dumps({"ok": True, "result": result})
        if injected is not None and injected.kind == "truncate":
            return _cut(body, injected.keep)
        if injected is not None and injected.kind == "slow":
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.closing.wait(), injected.delay)
        return web.Response(body=body.encode(), content_type="application/json")

    def _fault(self, method: str, params: dict[str, Any]) -> Injected | None:
        for injected in self.errors:
            if (
                injected.method.lower() == method.lower()
                and injected.times > 0
                and (injected.chat_id is None or injected.chat_id == params.get("chat_id"))
            ):
                injected.times -= 1
                return injected
        if self.storm_ is not None:
            return self.storm_.pick(method, params.get("chat_id"))
        return None

    async def _record(self, method: str, params: dict[str, Any]) -> None:
        async with self._changed:
            self.calls.append(Call(method, params))
            self._changed.notify_all()

    # ------------------------------------------------------------------ Bot API methods
    async def api_getme(self, params: dict[str, Any]) -> Any:
        return self.me.to_dict()

    async def api_getupdates(self, params: dict[str, Any]) -> Any:
        if self.webhook["url"]:
            return _error(409, "Conflict: can't use getUpdates method while webhook is active")
        offset = int(params.get("offset") or 0)
        timeout = float(params.get("timeout") or 0)
        limit = int(params.get("limit") or 100)
        deadline = time.monotonic() + timeout
        async with self._changed:
            if offset:
                self.updates = [u for u in self.updates if u["update_id"] >= offset]
            while (
                not self.updates
                and not self.again
                and time.monotonic() < deadline
                and not self.closing.is_set()
            ):
                try:
                    await asyncio.wait_for(self._changed.wait(), deadline - time.monotonic())
                except TimeoutError:
                    break
            again, self.again = self.again, []
            return (again + self.updates)[:limit]

    async def api_sendmessage(self, params: dict[str, Any]) -> Any:
        chat_id = int(params["chat_id"])
        extra: dict[str, Any] = {}
        if params.get("reply_markup"):
            extra["reply_markup"] = params["reply_markup"]
        message = self._message(chat_id, self.me, str(params.get("text", ""))).to_dict()
        message.update(extra)
        return message

    async def api_editmessagetext(self, params: dict[str, Any]) -> Any:
        chat_id = int(params.get("chat_id") or 0)
        message = self._message(chat_id, self.me, str(params.get("text", ""))).to_dict()
        message["message_id"] = int(params.get("message_id") or 0)
        if params.get("reply_markup"):
            message["reply_markup"] = params["reply_markup"]
        return message

    async def api_editmessagereplymarkup(self, params: dict[str, Any]) -> Any:
        chat_id = int(params.get("chat_id") or 0)
        message = self._message(chat_id, self.me, "…").to_dict()
        message["message_id"] = int(params.get("message_id") or 0)
        if params.get("reply_markup"):
            message["reply_markup"] = params["reply_markup"]
        return message

    async def api_answercallbackquery(self, params: dict[str, Any]) -> Any:
        return True

    async def api_setmycommands(self, params: dict[str, Any]) -> Any:
        return True

    async def api_deletemycommands(self, params: dict[str, Any]) -> Any:
        return True

    async def api_setwebhook(self, params: dict[str, Any]) -> Any:
        self.webhook = {"url": params.get("url", ""), "secret_token": params.get("secret_token")}
        return True

    async def api_deletewebhook(self, params: dict[str, Any]) -> Any:
        self.webhook = {"url": "", "secret_token": None}
        return True

    async def api_getwebhookinfo(self, params: dict[str, Any]) -> Any:
        return {
            "url": self.webhook["url"],
            "has_custom_certificate": False,
            "pending_update_count": 0,
        }

    async def api_getchatmember(self, params: dict[str, Any]) -> Any:
        chat_id, user_id = int(params["chat_id"]), int(params["user_id"])
        user = self.user(user_id)
        if (chat_id, user_id) in self.admins:
            return ChatMemberAdministrator(
                user,
                can_be_edited=False,
                is_anonymous=False,
                can_manage_chat=True,
                can_delete_messages=True,
                can_manage_video_chats=True,
                can_restrict_members=True,
                can_promote_members=False,
                can_change_info=True,
                can_invite_users=True,
                can_post_stories=False,
                can_edit_stories=False,
                can_delete_stories=False,
            ).to_dict()
        return ChatMemberMember(user).to_dict()


def _not_carried_out(injected: Injected) -> bool:
    return injected.kind in ("error", "html") or (
        injected.kind == "truncate" and not injected.deliver
    )


def _failure(injected: Injected) -> web.Response:
    """The answer to a call that was not carried out."""
    if injected.kind == "html":
        page = f"<html><body><h1>{injected.code} {injected.description}</h1></body></html>"
        return web.Response(status=injected.code, text=page, content_type="text/html")
    if injected.kind == "truncate":
        return _cut(json.dumps({"ok": True, "result": {"message_id": 1}}), injected.keep)
    extra = {"retry_after": injected.retry_after} if injected.retry_after else None
    return _error(injected.code, injected.description, extra)


def _cut(body: str, keep: float) -> web.Response:
    """A complete HTTP answer whose JSON body stops part way (at least one byte is missing)."""
    data = body.encode()
    size = min(len(data) - 1, max(1, int(len(data) * keep)))
    return web.Response(body=data[:size], content_type="application/json")


def _error(code: int, description: str, parameters: dict[str, Any] | None = None) -> web.Response:
    body: dict[str, Any] = {"ok": False, "error_code": code, "description": description}
    if parameters:
        body["parameters"] = parameters
    return web.json_response(body, status=code)


async def start_fake_api(api: FakeBotApi | None = None) -> tuple[FakeBotApi, web.AppRunner]:
    """Start the server on a free localhost port; returns the state and the runner to clean up."""
    api = api or FakeBotApi()
    runner = web.AppRunner(api.app(), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    server = site._server
    assert server is not None
    api.port = server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    return api, runner


@pytest.fixture
async def fake_api() -> AsyncIterator[FakeBotApi]:
    """A running fake Bot API; ``fake_api.base_url`` is the bot's TELEGRAM_API_BASE_URL."""
    api, runner = await start_fake_api()
    try:
        yield api
    finally:
        await api.close()
        await runner.cleanup()


class RecordingRequest(BaseRequest):
    """A ``BaseRequest`` that never touches the network: records calls, returns canned JSON.

    For offline handler tests (``Application.process_update``) and the throughput benchmark.
    ``fail`` makes the next call of a method return a Telegram-style error.
    """

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[Call] = []
        self.errors: list[Injected] = []
        self.admins: set[tuple[int, int]] = set()
        self.me = User(BOT_ID, "Recovery Bot", is_bot=True, username=BOT_USERNAME)
        self._message_ids = itertools.count(5000)
        self.record = True

    @property
    def read_timeout(self) -> float | None:
        return 5.0

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None

    def fail(
        self,
        method: str,
        code: int,
        description: str,
        *,
        retry_after: int | None = None,
        times: int = 1,
    ) -> None:
        self.errors.append(Injected(method, code, description, retry_after, None, times))

    def sent(self, method: str = "sendMessage") -> list[dict[str, Any]]:
        return [c.params for c in self.calls if c.method == method]

    def texts(self) -> list[str]:
        return [str(p.get("text", "")) for p in self.sent()]

    async def do_request(  # type: ignore[override]
        self, url: str, method: str, request_data: RequestData | None = None, **_: Any
    ) -> tuple[int, bytes]:
        name = url.rsplit("/", 1)[-1]
        params = dict(request_data.parameters) if request_data is not None else {}
        if self.record:
            self.calls.append(Call(name, params))
        for injected in self.errors:
            if injected.method == name and injected.times > 0:
                injected.times -= 1
                body: dict[str, Any] = {
                    "ok": False,
                    "error_code": injected.code,
                    "description": injected.description,
                }
                if injected.retry_after:
                    body["parameters"] = {"retry_after": injected.retry_after}
                return injected.code, json.dumps(body).encode()
        return 200, json.dumps({"ok": True, "result": self._result(name, params)}).encode()

    def _result(self, name: str, params: dict[str, Any]) -> Any:
        if name == "getMe":
            return self.me.to_dict()
        if name in ("sendMessage", "editMessageText", "editMessageReplyMarkup"):
            chat_id = int(params.get("chat_id") or 1)
            chat = Chat(chat_id, Chat.PRIVATE if chat_id > 0 else Chat.SUPERGROUP)
            message = Message(
                int(params.get("message_id") or next(self._message_ids)),
                datetime.now(timezone.utc),
                chat,
                from_user=self.me,
                text=str(params.get("text", "…")),
            ).to_dict()
            if params.get("reply_markup"):
                message["reply_markup"] = params["reply_markup"]
            return message
        if name == "getChatMember":
            user = User(int(params["user_id"]), "Sam", is_bot=False)
            if (int(params["chat_id"]), int(params["user_id"])) in self.admins:
                return {
                    "status": "administrator",
                    "user": user.to_dict(),
                    "can_be_edited": False,
                    "is_anonymous": False,
                    "can_manage_chat": True,
                    "can_delete_messages": True,
                    "can_manage_video_chats": True,
                    "can_restrict_members": True,
                    "can_promote_members": False,
                    "can_change_info": True,
                    "can_invite_users": True,
                    "can_post_stories": False,
                    "can_edit_stories": False,
                    "can_delete_stories": False,
                }
            return ChatMemberMember(user).to_dict()
        if name == "getUpdates":
            return []
        return True
