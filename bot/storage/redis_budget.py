"""The send budget's shared slots in Redis (``REDIS_URL``): one hash per bot token.

The same slots, by the same rules, as the PostgreSQL row (:mod:`bot.storage.budget`): each
grant takes the next free slot of its lane and moves it on by one interval; a crisis reply
takes the crisis lane's next slot or the main lane's, whichever comes first; a flood wait moves
every later slot past it. Each request is one Lua script, run atomically by the server on its
own clock (``TIME``), so every instance takes slots from the same hash in turn and by the one
clock they share (Redis 5 or newer: a script may write after reading ``TIME``). Times are
seconds since the epoch, kept as exact decimal strings.

The hash expires a minute after its last slot or pause has passed: a token that sends nothing
leaves nothing behind, and an expired hash is a budget with every slot free, which is what it
was. Only the send budget lives in Redis; conversations, the inbox and check-ins stay in the
database.

redis-py is imported only when a Redis budget is opened, so nothing else needs it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.storage.budget import Slot

if TYPE_CHECKING:
    from redis.asyncio import Redis

KEY_PREFIX = "recovery-bot:send-budget:"
"""One hash per bot token: ``KEY_PREFIX`` + the bot's id (never the token)."""
KEEP_SECONDS = 60
"""How long the hash outlives its last booked slot or pause."""
TIMEOUT = 2.0
"""Seconds to connect, and to wait for one answer, before a request counts as failed."""

_READ = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local row = redis.call('HMGET', KEYS[1], 'next_slot', 'crisis_slot', 'paused_until')
local next_slot = tonumber(row[1]) or 0
local crisis_slot = tonumber(row[2]) or 0
local paused = tonumber(row[3]) or 0
local function num(x) return string.format('%.17g', x) end
local function save()
  redis.call('HSET', KEYS[1], 'next_slot', num(next_slot), 'crisis_slot', num(crisis_slot),
    'paused_until', num(paused))
  local last = math.max(next_slot, crisis_slot, paused)
  local keep = math.max(1, math.ceil((last - now + tonumber(ARGV[1])) * 1000))
  redis.call('PEXPIRE', KEYS[1], string.format('%d', keep))
end
"""
"""Every script starts here: the server's time, the token's three times (0 when the hash does
not exist), and ``save`` to write them back with the expiry (``ARGV[1]``: seconds to keep)."""

_TAKE = (
    _READ
    + """
local interval, horizon, lead = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local slot = math.max(next_slot, paused, now + lead)
local granted = 0
if slot <= now + lead + horizon then
  granted = 1
  next_slot = slot + interval
  save()
end
return {num(slot), num(now), granted}
"""
)
"""The main lane's next slot, taken (``granted``) when it is at most ``horizon`` after
``lead`` from now."""

_TAKE_CRISIS = (
    _READ
    + """
local interval, crisis_interval, lead = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local slot = math.max(next_slot, paused, now + lead)
local crisis = math.max(crisis_slot, paused, now + lead)
local lane = 0
if crisis < slot then
  lane = 1
  slot = crisis
  crisis_slot = crisis + crisis_interval
else
  next_slot = slot + interval
end
save()
return {num(slot), num(now), lane}
"""
)
"""A crisis reply's slot, always granted: the main lane's when it is free as soon (the crisis
lane stays for the next one), else the crisis lane's next one."""

_PAUSE = (
    _READ
    + """
paused = math.max(paused, now + tonumber(ARGV[2]))
save()
return num(now)
"""
)


class RedisSendBudgets:
    """:class:`~bot.storage.budget.SlotBudgets` in Redis. Build with :meth:`open`; close
    with :meth:`close`. Never logs or shows ``url`` (it may hold a password)."""

    def __init__(self, client: Redis) -> None:
        self.client = client
        self._take = client.register_script(_TAKE)
        self._take_crisis = client.register_script(_TAKE_CRISIS)
        self._pause = client.register_script(_PAUSE)

    @classmethod
    def open(cls, url: str, *, timeout: float = TIMEOUT) -> RedisSendBudgets:
        """A client for ``url`` (``redis://``, ``rediss://`` or ``unix://``). It connects on
        first use, so an unreachable server shows as failed requests, not here.

        One quick retry on a dropped connection (a pooled connection the server closed),
        none after a timeout or anything else: the caller
        (:class:`~bot.telegram.shared_budget.SharedSendBudget`) decides when to ask again, or
        to pace sends alone.
        """
        from redis.asyncio import Redis
        from redis.asyncio.retry import Retry
        from redis.backoff import NoBackoff
        from redis.exceptions import ConnectionError as Dropped

        client = Redis.from_url(
            url,
            socket_timeout=timeout,
            socket_connect_timeout=timeout,
            retry=Retry(NoBackoff(), 1, supported_errors=(Dropped,)),
        )
        return cls(client)

    async def close(self) -> None:
        await self.client.aclose()

    @property
    def shared(self) -> bool:
        """Always: every instance given the same ``REDIS_URL`` shares the slots."""
        return True

    @staticmethod
    def key(bot_id: int) -> str:
        return f"{KEY_PREFIX}{bot_id}"

    async def take(
        self,
        bot_id: int,
        interval: float,
        horizon: float,
        *,
        lead: float = 0.0,
        urgent: bool = False,
    ) -> Slot:
        """As :meth:`bot.storage.budget.SendBudgets.take` (``urgent`` changes nothing here:
        each request holds a connection for a fraction of a millisecond)."""
        horizon = min(horizon, 1e9)
        slot, now, granted = await self._take(
            keys=[self.key(bot_id)], args=[KEEP_SECONDS, interval, horizon, lead]
        )
        if int(granted):
            return Slot(True, float(slot), float(now))
        return Slot(False, float(slot) - horizon - lead, float(now))

    async def take_crisis(
        self, bot_id: int, interval: float, crisis_interval: float, *, lead: float = 0.0
    ) -> Slot:
        """As :meth:`bot.storage.budget.SendBudgets.take_crisis`."""
        slot, now, lane = await self._take_crisis(
            keys=[self.key(bot_id)], args=[KEEP_SECONDS, interval, crisis_interval, lead]
        )
        return Slot(True, float(slot), float(now), bool(int(lane)))

    async def pause(self, bot_id: int, seconds: float) -> None:
        """Telegram asked for a flood wait: no instance sends before it ends."""
        await self._pause(keys=[self.key(bot_id)], args=[KEEP_SECONDS, seconds])
