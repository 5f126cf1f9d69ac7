"""The bot's load floor: N questions fired at once at the real bot on the real knowledge base.

The Discord stand-in (tests/bot/discord_standin) runs in its own thread and event loop, so
that the figures are the bot's: every question must be answered or told "busy", none lost or
left "thinking…", no "heartbeat blocked" warning, and the bot's event-loop lag (measured by a
sampler task that sleeps 10 ms at a time) stays under 250 ms.

    .venv/bin/python bench/bot_load.py [--questions 50] [--max-in-flight 8] [--max-queued 64]
"""

from __future__ import annotations

import argparse
import asyncio
import concurrent.futures
import contextlib
import json
import logging
import shlex
import shutil
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests" / "bot")]

from discord_standin import DiscordStandin, StoredMessage  # noqa: E402
from pydantic import SecretStr  # noqa: E402

from bot.client import PolicyBot  # noqa: E402
from bot.settings import BotSettings  # noqa: E402
from bot.store import AnswerStore  # noqa: E402
from index.service import KnowledgeBase  # noqa: E402
from index.settings import Settings  # noqa: E402

T = TypeVar("T")
DEV_QA = ROOT.parent / "shared" / "dev_qa.jsonl"
FALLBACK_QUESTIONS = [
    "Which union is the biggest NHS union?",
    "What did the unions fear about foundation hospitals?",
    "What does the Health Secretary want to give NHS staff?",
]
LAG_LIMIT_MS = 250.0


class StandinThread:
    """The stand-in on its own event loop in a daemon thread; `call` runs a coroutine there."""

    def __init__(self, **kwargs: Any) -> None:
        self.kwargs = kwargs
        self.loop = asyncio.new_event_loop()
        self.standin: DiscordStandin | None = None
        self._stop: asyncio.Event | None = None
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._main, name="discord-standin", daemon=True)

    def _main(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_until_complete(self._serve())

    async def _serve(self) -> None:
        self._stop = asyncio.Event()
        async with DiscordStandin(**self.kwargs) as standin:
            self.standin = standin
            self._ready.set()
            await self._stop.wait()

    def __enter__(self) -> StandinThread:
        self._thread.start()
        if not self._ready.wait(30):
            raise RuntimeError("the stand-in did not start")
        return self

    def __exit__(self, *exc: object) -> None:
        if self._stop is not None:
            self.loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(10)

    async def call(self, make: Callable[[], Awaitable[T]]) -> T:
        """Run `make()` on the stand-in's loop and await its result from ours."""

        async def run() -> T:
            return await make()

        future: concurrent.futures.Future[T] = asyncio.run_coroutine_threadsafe(run(), self.loop)
        return await asyncio.wrap_future(future)


class LagSampler:
    """How late the event loop wakes a task that asked to sleep `interval` seconds."""

    def __init__(self, interval: float = 0.01) -> None:
        self.interval = interval
        self.samples: list[float] = []
        self._task: asyncio.Task[None] | None = None

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            start = loop.time()
            await asyncio.sleep(self.interval)
            self.samples.append((loop.time() - start - self.interval) * 1000)

    def start(self) -> None:
        self.samples.clear()
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task


class GatewayWarnings(logging.Handler):
    """Counts discord.py's "heartbeat blocked" and "can't keep up" warnings."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())

    def count(self, phrase: str) -> int:
        return sum(phrase in m for m in self.messages)


def questions(n: int) -> list[str]:
    pool = FALLBACK_QUESTIONS
    if DEV_QA.exists():
        lines = DEV_QA.read_text(encoding="utf-8").splitlines()
        pool = [json.loads(line)["question"] for line in lines if line.strip()] or pool
    return [pool[i % len(pool)] for i in range(n)]


def has_buttons(m: StoredMessage) -> bool:
    return any(
        c.get("custom_id", "").startswith("pb:vote:")
        for row in m.components
        for c in row.get("components", [])
    )


def outcome(standin: DiscordStandin, kind: str, handle: Any) -> str | None:
    """'answered', 'busy', 'slow', 'error', or None while undecided."""
    # The stand-in runs on its own thread: read a snapshot (one C-level copy under the GIL),
    # never its live dict, which grows while we look.
    msgs = list(standin.messages.values())
    if kind == "slash":
        related = [m for m in msgs if m.interaction_id == handle.id]
        origin = standin.messages.get(handle.original_id or 0)
        thread_answers = [
            m for m in msgs if origin is not None and m.channel_id == origin.id and has_buttons(m)
        ]
        texts = [m.content for m in related]
    else:
        replies = [
            m
            for m in msgs
            if str((m.data.get("message_reference") or {}).get("message_id")) == str(handle.id)
        ]
        thread_answers = [m for m in msgs if m.channel_id == handle.id and has_buttons(m)]
        related = replies
        texts = [m.content for m in replies]
    if thread_answers or any(has_buttons(m) for m in related):
        return "answered"
    for text in texts:
        if "busy" in text:
            return "busy"
        if "Slow down" in text:
            return "slow"
        if "Sorry" in text or "can't" in text:
            return "error"
    return None


def pct(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def bench(args: argparse.Namespace) -> dict[str, Any]:
    work = Path(tempfile.mkdtemp(prefix="policybot-bench-"))
    try:
        shutil.copytree(ROOT / "sources", work / "sources")
        settings = Settings(sources_dir=work / "sources", data_dir=work / "data")
        started = time.perf_counter()
        kb = await asyncio.to_thread(KnowledgeBase, settings)
        await kb.arefresh()
        build_s = time.perf_counter() - started

        warnings = GatewayWarnings()
        logging.getLogger("discord").addHandler(warnings)
        with StandinThread(heartbeat_interval_ms=args.heartbeat_ms) as host:
            runner = host.standin
            assert runner is not None
            users = [runner.world.add_user(f"user{i:03}") for i in range(args.questions)]
            config = BotSettings(
                token=SecretStr(runner.token),
                data_dir=work / "data",
                dev_guild_id=runner.world.guild_id,
                cooldown_rate=1000,
                cooldown_seconds=1.0,
                max_in_flight=args.max_in_flight,
                max_queued=args.max_queued,
            )
            bot = PolicyBot(kb, config, AnswerStore(config.db_path), guild_ready_timeout=0.1)
            bot_task = asyncio.create_task(bot.start(runner.token))
            deadline = time.monotonic() + 30
            while not bot.is_ready():
                if bot_task.done():
                    bot_task.result()
                if time.monotonic() > deadline:
                    raise TimeoutError("the bot did not become ready")
                await asyncio.sleep(0.05)

            qs = questions(args.questions)
            kinds = [
                "slash"
                if args.mode == "slash" or (args.mode == "mixed" and i % 2 == 0)
                else "mention"
                for i in range(args.questions)
            ]

            async def fire() -> list[Any]:
                calls = [
                    runner.slash_command("ask", {"question": q}, user=uid)
                    if kind == "slash"
                    else runner.user_message(q, user=uid, mention_bot=True)
                    for q, uid, kind in zip(qs, users, kinds, strict=True)
                ]
                return await asyncio.gather(*calls)

            sampler = LagSampler()
            sampler.start()
            t0 = time.perf_counter()
            handles = await host.call(fire)
            results: dict[int, str] = {}
            times: list[float] = []
            end = time.monotonic() + args.timeout
            while len(results) < len(handles) and time.monotonic() < end:
                for i, (kind, handle) in enumerate(zip(kinds, handles, strict=True)):
                    if i not in results and (got := outcome(runner, kind, handle)):
                        results[i] = got
                        if got == "answered":
                            times.append(time.perf_counter() - t0)
                await asyncio.sleep(0.05)
            wall = time.perf_counter() - t0
            await asyncio.sleep(0.5)  # let the last releases and DB writes land
            await sampler.stop()
            hanging = sum(
                1
                for kind, h in zip(kinds, handles, strict=True)
                if kind == "slash"
                and (m := runner.messages.get(h.original_id or 0)) is not None
                and m.loading
            )
            late_acks = sum(
                1
                for kind, h in zip(kinds, handles, strict=True)
                if kind == "slash" and not h.callbacks
            )
            await bot.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(bot_task, 5)
        logging.getLogger("discord").removeHandler(warnings)
        counts = {
            k: sum(1 for v in results.values() if v == k)
            for k in ("answered", "busy", "slow", "error")
        }
        lag = sampler.samples
        return {
            "questions": len(handles),
            "mode": args.mode,
            "max_in_flight": args.max_in_flight,
            "max_queued": args.max_queued,
            **counts,
            "lost": len(handles) - len(results),
            "left_thinking": hanging,
            "unacknowledged_interactions": late_acks,
            "loop_lag_ms": {
                "max": round(max(lag, default=0), 1),
                "p95": round(pct(lag, 0.95), 1),
                "p50": round(statistics.median(lag) if lag else 0, 1),
                "samples": len(lag),
            },
            "answer_seconds": {
                "p50": round(pct(times, 0.5), 2),
                "p95": round(pct(times, 0.95), 2),
                "max": round(max(times, default=0), 2),
            },
            "burst_wall_seconds": round(wall, 2),
            "heartbeat_blocked_warnings": warnings.count("heartbeat blocked"),
            "gateway_behind_warnings": warnings.count("behind"),
            "index_build_seconds": round(build_s, 1),
        }
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--questions", type=int, default=50)
    p.add_argument("--max-in-flight", type=int, default=BotSettings().max_in_flight)
    p.add_argument("--max-queued", type=int, default=BotSettings().max_queued)
    p.add_argument("--mode", choices=("mixed", "slash", "mention"), default="mixed")
    p.add_argument("--timeout", type=float, default=120.0, help="seconds to wait for all")
    p.add_argument("--heartbeat-ms", type=int, default=1000, help="gateway heartbeat interval")
    p.add_argument("--json", action="store_true", help="print the figures as one JSON object")
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    for noisy in ("chromadb", "httpx", "aiohttp.access"):
        logging.getLogger(noisy).setLevel(logging.ERROR)
    argv_text = " ".join(shlex.quote(a) for a in (argv if argv is not None else sys.argv[1:]))
    command = f".venv/bin/python bench/bot_load.py {argv_text}".strip()
    figures = asyncio.run(bench(args))
    figures["command"] = command
    ok = (
        figures["lost"] == 0
        and figures["left_thinking"] == 0
        and figures["answered"] + figures["busy"] == figures["questions"]
        and figures["heartbeat_blocked_warnings"] == 0
        and figures["loop_lag_ms"]["max"] < LAG_LIMIT_MS
    )
    figures["floor_met"] = ok
    if args.json:
        print(json.dumps(figures))
    else:
        print(f"command: {command}")
        for key, value in figures.items():
            if key != "command":
                print(f"{key}: {value}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
