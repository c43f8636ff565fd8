"""Delivery under fault storms: the real bot process against the fake Bot API.

Prints, per scenario and per kind of reply (crisis, ordinary): replies the bot had to send,
replies that arrived, extra copies (duplicates), replies lost, and how long the first copy
took. The scenarios:

* calm: no faults;
* storm 40% / 70%: that share of sendMessage calls gets a fault (429 retry_after=1, 5xx, an
  HTML error page, an answer cut off after the message went out, an answer after the bot's
  timeout), seeded;
* crowd: 300 people and 20 in crisis at once under the 40% storm, so sends queue behind
  Telegram's 30 messages/s and the crisis replies' head start shows;
* outage: every sendMessage fails (5xx) for 150 s, then Telegram is back: ordinary replies
  run out of their 2-minute budget, crisis replies (15 minutes) get through.

Run: ``python bench/bench_delivery.py [--only calm,storm40,...]`` (about five minutes in all).
The bot runs with TELEGRAM_SEND_TIMEOUT=2 and slow answers of 3 s, so timeouts are cheap.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from bot_process import bot_env, start_bot, stop_bot
from delivery_storm import StormResult, expected_replies, run_storm
from fake_bot_api import start_fake_api

SCENARIOS: dict[str, dict[str, object]] = {
    "calm": {"rate": 0.0},
    "storm40": {"rate": 0.4},
    "storm70": {"rate": 0.7},
    "crowd": {"rate": 0.4, "people": 300, "in_crisis": 20, "settle": 180.0},
    "outage": {"rate": 1.0, "kinds": {"5xx": 1.0}, "calm_after": 150.0, "settle": 200.0},
}


async def scenario(name: str, options: dict[str, object], replies: dict[str, str]) -> StormResult:
    api, runner = await start_fake_api()
    with tempfile.TemporaryDirectory() as folder:
        env = bot_env(api, Path(folder) / "bot.db", LOG_LEVEL="INFO", TELEGRAM_SEND_TIMEOUT="2")
        proc = await start_bot(env)
        try:
            await api.wait_for(lambda calls: any(c.method == "setMyCommands" for c in calls), 30)
            return await run_storm(api, replies, seed=12, slow_seconds=3.0, **options)  # type: ignore[arg-type]
        finally:
            _, err = await stop_bot(proc)
            lines = [line for line in err.splitlines() if " WARNING " in line or " ERROR " in line]
            print(f"  ({name}: {len(lines)} warning/error log lines)")
            await api.close()
            await runner.cleanup()


async def main(only: list[str]) -> None:
    from bot.understanding.engine import default_engine

    replies = expected_replies(default_engine())
    for name, options in SCENARIOS.items():
        if only and name not in only:
            continue
        result = await scenario(name, options, replies)
        print(f"{name}:\n{result.table()}\n", flush=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="", help="comma-separated scenario names")
    args = parser.parse_args()
    asyncio.run(main([n for n in args.only.split(",") if n]))
