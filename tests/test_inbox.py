"""The webhook inbox in storage: stored once, taken over after its lease, erased by /forget."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone

from bot.storage import Store

BOT = 7
LEASE = timedelta(seconds=30)
WORDS = '{"update_id": 1, "message": {"text": "my cousin keeps her pills in the blue tin"}}'


async def test_an_update_is_stored_once_and_gone_when_handled(store: Store) -> None:
    assert await store.inbox.accept(BOT, 1, WORDS, chat_id=55, lease=LEASE)
    assert not await store.inbox.accept(BOT, 1, WORDS, chat_id=55, lease=LEASE)  # redelivered
    assert await store.inbox.waiting(BOT) == 1
    await store.inbox.done(BOT, 1)
    assert await store.inbox.waiting(BOT) == 0
    # Still known as taken: Telegram's later redelivery is not handled again.
    assert not await store.inbox.accept(BOT, 1, WORDS, chat_id=55, lease=LEASE)
    assert not await store.updates.claim(BOT, 1)


async def test_an_update_left_by_a_dead_instance_is_taken_over_once(database_url: str) -> None:
    first, second = await Store.open(database_url), await Store.open(database_url)
    try:
        past = datetime.now(timezone.utc) - timedelta(minutes=5)
        await first.inbox.accept(BOT, 10, WORDS, chat_id=55, lease=LEASE, now=past)
        await first.inbox.accept(BOT, 11, WORDS, chat_id=56, lease=LEASE)  # still leased
        taken = await asyncio.gather(
            first.inbox.take_abandoned(BOT, LEASE), second.inbox.take_abandoned(BOT, LEASE)
        )
        ids = sorted(p.update_id for batch in taken for p in batch)
        assert ids == [10]  # once, by one of the two
        assert [p.payload for batch in taken for p in batch] == [WORDS]
        # Leased again by whoever took it: nobody else takes it meanwhile.
        assert await first.inbox.take_abandoned(BOT, LEASE) == []
        await first.inbox.done(BOT, 10)
        # A lease that is renewed is never taken over.
        later = datetime.now(timezone.utc) + timedelta(seconds=20)
        await first.inbox.renew(BOT, [11], LEASE, now=later)
        assert await second.inbox.take_abandoned(BOT, LEASE, now=later + LEASE / 2) == []
    finally:
        await first.close()
        await second.close()


async def test_forget_erases_updates_not_yet_handled(store: Store) -> None:
    await store.inbox.accept(BOT, 20, WORDS, chat_id=55, lease=LEASE)
    await store.inbox.accept(BOT, 21, WORDS, chat_id=99, lease=LEASE)
    await store.forget(55)
    assert await store.inbox.waiting(BOT) == 1  # only the other person's


async def test_a_chats_updates_are_taken_in_the_order_they_were_sent(store: Store) -> None:
    past = datetime.now(timezone.utc) - timedelta(minutes=5)
    # Update 30 was left by a dead instance; 31 (same chat) arrived meanwhile and waits.
    await store.inbox.accept(BOT, 30, WORDS, chat_id=77, lease=LEASE, now=past)
    assert await store.inbox.accept(BOT, 31, WORDS, chat_id=77, lease=LEASE)
    assert await store.inbox.behind(BOT, 77, 31)
    assert not await store.inbox.behind(BOT, 77, 30)
    await store.inbox.release(BOT, 31)
    # Only the oldest of the chat is taken; the next one once it is done.
    assert [p.update_id for p in await store.inbox.take_abandoned(BOT, LEASE)] == [30]
    assert await store.inbox.take_abandoned(BOT, LEASE) == []
    await store.inbox.done(BOT, 30)
    taken = await store.inbox.take_abandoned(BOT, LEASE, chat_id=77)
    assert [p.update_id for p in taken] == [31]


async def test_updates_stored_together_keep_each_chats_order(store: Store) -> None:
    new, behind = await store.inbox.accept_many(
        BOT, [(30, WORDS, 77), (31, WORDS, 78), (32, WORDS, 77), (30, WORDS, 77)], lease=LEASE
    )
    assert new == {30, 31, 32}
    assert behind == {32}  # chat 77's second update waits for its first
    again, _ = await store.inbox.accept_many(BOT, [(31, WORDS, 78)], lease=LEASE)
    assert again == set()  # redelivered: not stored twice
    await store.inbox.done(BOT, 30)
    taken = await store.inbox.take_abandoned(BOT, LEASE, chat_id=77)
    assert [p.update_id for p in taken] == [32]
