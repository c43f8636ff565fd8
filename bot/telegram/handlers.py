"""Thin adapters: Telegram updates -> Conversation calls -> Telegram messages."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from telegram import (
    CallbackQuery,
    ChatMemberUpdated,
    InlineKeyboardMarkup,
    Message,
    MessageEntity,
    Update,
)
from telegram.constants import ChatMemberStatus, ChatType, ParseMode
from telegram.error import BadRequest, Forbidden
from telegram.ext import ApplicationHandlerStop, ContextTypes

from bot.conversation import actions
from bot.conversation.reply import Chat, Reply
from bot.conversation.service import Conversation
from bot.telegram.delivery import NO_PREVIEW, mark_inactive, send_reply
from bot.telegram.limiter import GaveUp
from bot.telegram.render import messages

log = logging.getLogger(__name__)

ADMIN_STATUSES = (ChatMemberStatus.ADMINISTRATOR, ChatMemberStatus.OWNER)


class UpdateClaims:
    """``Store.claim_updates`` for updates that arrive together, in one transaction.

    A poll brings up to 100 updates at once; claiming them one transaction each would make the
    last of them (a crisis message, maybe) wait behind a hundred writes.
    """

    def __init__(self, store: Any, bot_id: int) -> None:
        self.store = store
        self.bot_id = bot_id
        self._waiting: list[tuple[int, asyncio.Future[bool]]] = []
        self._flusher: asyncio.Task[None] | None = None
        self.taken: set[int] = set()
        """Updates claimed already, with their inbox row (webhook mode): no second claim."""

    async def claim(self, update_id: int) -> bool:
        """True if this instance takes the update (nobody took it before)."""
        if update_id in self.taken:
            return True
        future: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._waiting.append((update_id, future))
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._flush())
        return await future

    async def _flush(self) -> None:
        await asyncio.sleep(0)  # updates handed over together join this batch
        while self._waiting:
            batch, self._waiting = self._waiting, []
            try:
                new = await self.store.updates.claim_many(self.bot_id, [u for u, _ in batch])
            except Exception as exc:
                for _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                continue
            for update_id, future in batch:
                if not future.done():
                    future.set_result(update_id in new)
                new.discard(update_id)  # the same id twice in one batch: only the first


@dataclass
class Services:
    """What handlers need, built at start-up and kept in ``bot_data["services"]``."""

    conversation: Conversation
    store: Any


def services(context: ContextTypes.DEFAULT_TYPE) -> Services:
    """The services of this application."""
    found: Services = context.bot_data["services"]
    return found


@contextlib.asynccontextmanager
async def turn(update: Update, context: ContextTypes.DEFAULT_TYPE) -> AsyncIterator[None]:
    """Webhook mode: an ordinary update waits its turn to do its work (reads, matching,
    writes); a crisis update goes at once (:class:`bot.telegram.inbox.OrdinaryGate`). The
    reply is sent after the turn, so waiting for a send slot holds no turn."""
    gate = context.bot_data.get("ordinary_gate")
    if gate is None:
        yield
        return
    async with gate.turn(update.update_id):
        yield


def chat_of(update: Update) -> Chat | None:
    """The conversation's view of where an update came from (channels are not served)."""
    tchat = update.effective_chat
    if tchat is None or tchat.type == ChatType.CHANNEL:
        return None
    user = update.effective_user
    private = tchat.type == ChatType.PRIVATE
    return Chat(
        tchat.id,
        "private" if private else "group",
        user.id if user else None,
        language_code=user.language_code if user else None,
    )


def _mentions_bot(message: Message, username: str) -> tuple[bool, str]:
    """Whether the text mentions the bot, and the text without that mention."""
    text = message.text or ""
    handle = f"@{username}".lower()
    for entity in message.entities:
        if entity.type == MessageEntity.MENTION:
            value = message.parse_entity(entity)
            if value.lower() == handle:
                return True, (text.replace(value, " ")).strip()
    return False, text


async def deliver(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    chat: Chat,
    replies: list[Reply],
    *,
    reply_to: int | None = None,
) -> None:
    """Send replies; a 403 marks the person inactive instead of raising.

    A reply whose retry budget ran out (logged by the limiter) does not stop the next one.
    """
    query = update.callback_query
    toast: str | None = None
    try:
        for reply in replies:
            if reply.toast:
                toast = reply.text
                continue
            if reply.edit and query is not None and await _edit(query, reply):
                continue
            try:
                await send_reply(context.bot, chat.id, reply, reply_to=reply_to)
            except GaveUp:
                continue
    except Forbidden:
        await mark_inactive(services(context).store, chat.id)
    finally:
        if query is not None:
            # A query older than ~15 min can't be answered; the reply still went out.
            with contextlib.suppress(BadRequest, GaveUp):
                await query.answer(toast)


async def _edit(query: CallbackQuery, reply: Reply) -> bool:
    """Replace the menu the person pressed (menu navigation); False if that isn't possible."""
    parts = messages(reply)
    if len(parts) != 1 or query.message is None or not isinstance(query.message, Message):
        return False
    text, markup = parts[0]
    try:
        await query.edit_message_text(
            text,
            parse_mode=ParseMode.HTML,
            reply_markup=markup,
            link_preview_options=NO_PREVIEW,
        )
    except BadRequest as exc:
        # "not modified": an earlier try whose answer was lost already made the edit.
        return "not modified" in str(exc).lower()
    except GaveUp:
        return False
    return True


async def _drop_feedback_buttons(query: CallbackQuery) -> None:
    """After 👍/👎, remove that row so a person can't vote twice on one answer."""
    message = query.message
    if not isinstance(message, Message) or message.reply_markup is None:
        return
    prefix = actions.make(actions.FEEDBACK) + ":"
    rows = [
        [b for b in row if not str(b.callback_data or "").startswith(prefix)]
        for row in message.reply_markup.inline_keyboard
    ]
    markup = InlineKeyboardMarkup([row for row in rows if row])
    with contextlib.suppress(BadRequest, GaveUp):
        await query.edit_message_reply_markup(markup)


async def claim_update(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Group -1, before any handler: an update another instance (or an earlier delivery)
    already took is dropped, so nobody is answered twice when Telegram redelivers it.

    If the database cannot say, the update is answered (the error is logged): a possible
    duplicate is better than a lost reply.
    """
    found = context.bot_data.get("services")
    claims = context.bot_data.get("claims")
    if found is None or claims is None:
        return
    if not await claims.claim(update.update_id):
        log.debug("update %d was already taken; not answered again", update.update_id)
        await found.conversation.counters.add("duplicate_update")
        raise ApplicationHandlerStop
    log.debug("update %d taken", update.update_id)


async def on_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Any /command (ours or a feature's), with or without @botname."""
    message = update.effective_message
    chat = chat_of(update)
    if message is None or chat is None or not message.text:
        return
    head, _, args = message.text.partition(" ")
    name, _, target = head[1:].partition("@")
    if target and target.lower() != (context.bot.username or "").lower():
        return  # meant for another bot in this group
    name = name.lower()
    if name == "crisiswatch" and not chat.private and chat.user_id is not None:
        member = await context.bot.get_chat_member(chat.id, chat.user_id)
        chat = Chat(
            chat.id,
            chat.type,
            chat.user_id,
            is_admin=member.status in ADMIN_STATUSES,
            language_code=chat.language_code,
        )
    async with turn(update, context):
        replies = await services(context).conversation.handle_command(chat, name, args.strip())
    await deliver(update, context, chat, replies, reply_to=None if chat.private else message.id)


async def on_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A text message; in groups, answered only when addressed, always crisis-checked."""
    message = update.effective_message
    chat = chat_of(update)
    if message is None or chat is None or message.text is None:
        return
    text = message.text
    addressed = chat.private
    if not chat.private:
        mentioned, text = _mentions_bot(message, context.bot.username or "")
        replied = message.reply_to_message
        to_bot = (
            replied is not None
            and replied.from_user is not None
            and replied.from_user.id == context.bot.id
        )
        addressed = mentioned or to_bot
    async with turn(update, context):
        replies = await services(context).conversation.handle_text(chat, text, addressed=addressed)
    await deliver(update, context, chat, replies, reply_to=None if chat.private else message.id)


async def on_edited(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """An edited message: a changed text gets the crisis check again (nothing else)."""
    message = update.edited_message
    chat = chat_of(update)
    if message is None or chat is None or message.text is None:
        return
    replies = await services(context).conversation.crisis_check(chat, message.text)
    await deliver(update, context, chat, replies, reply_to=message.id)


async def on_non_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Stickers, photos, voice...: in private (or when replying to the bot), a kind note."""
    message = update.effective_message
    chat = chat_of(update)
    if message is None or chat is None:
        return
    if not chat.private:
        replied = message.reply_to_message
        if replied is None or replied.from_user is None or replied.from_user.id != context.bot.id:
            return
    if message.caption:
        # A caption is text the person wrote: it gets the crisis check like any message.
        crisis = await services(context).conversation.crisis_check(chat, message.caption)
        if crisis:
            await deliver(update, context, chat, crisis, reply_to=message.id)
            return
    replies = await services(context).conversation.non_text(chat)
    await deliver(update, context, chat, replies, reply_to=None if chat.private else message.id)


async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """An inline button: its callback data is the conversation's action string."""
    query = update.callback_query
    chat = chat_of(update)
    if query is None:
        return
    if chat is None:
        await query.answer()
        return
    action = query.data or ""
    async with turn(update, context):
        replies = await services(context).conversation.handle_action(chat, action)
    if action.startswith(actions.make(actions.FEEDBACK) + ":"):
        await _drop_feedback_buttons(query)
    await deliver(update, context, chat, replies)


async def on_my_chat_member(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The person blocked (or unblocked) the bot in a private chat."""
    change: ChatMemberUpdated | None = update.my_chat_member
    if change is None or change.chat.type != ChatType.PRIVATE:
        return
    store = services(context).store
    status = change.new_chat_member.status
    if status in (ChatMemberStatus.BANNED, ChatMemberStatus.LEFT):
        await mark_inactive(store, change.chat.id)
    elif status == ChatMemberStatus.MEMBER and await store.people.get(change.chat.id) is not None:
        await store.people.update(change.chat.id, active=True)


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log the failure (never the text people wrote) and keep the bot running."""
    update_id = update.update_id if isinstance(update, Update) else None
    if isinstance(context.error, GaveUp):
        return  # logged once by the limiter
    log.error("error while handling update %s", update_id, exc_info=context.error)
    if isinstance(context.error, Forbidden) and isinstance(update, Update):
        chat = update.effective_chat
        if chat is not None:
            await mark_inactive(services(context).store, chat.id)
