"""How soon a new `policybot bot` process answers its first question.

Starts the Discord stand-in of the tests on 127.0.0.1, then, `--runs` times, a fresh
`policybot bot` process over the library in `--sources`/`--data` (index built), and times
from the process's start to: the gateway's READY (connected), and the answer to a question
posted as soon as it is connected, delivered in the channel. No LLM (the embedded default).

    .venv/bin/python bench/bot_start.py --sources DIR --data DIR [--runs 3]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BOT_TESTS = ROOT / "tests" / "bot"
QUESTION = "Which union is the biggest NHS union?"
TIMEOUT = 120.0


async def one_start(standin: object, sources: Path, data: Path) -> dict[str, float]:
    from bot_harness import RUNNER, answer_in, process_env

    s = standin
    env = process_env(s)  # type: ignore[arg-type]
    readies = sum(1 for e in s.gateway_log if e.kind == "ready")  # type: ignore[attr-defined]
    started = time.perf_counter()
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        str(RUNNER),
        "--sources",
        str(sources),
        "--data",
        str(data),
        "bot",
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        await s.wait_until(  # type: ignore[attr-defined]
            lambda: sum(1 for e in s.gateway_log if e.kind == "ready") > readies,
            timeout=TIMEOUT,
            what="the bot's READY",
        )
        ready = time.perf_counter() - started
        asked = await s.user_message(QUESTION, user="bob", mention_bot=True)  # type: ignore[attr-defined]
        answer = await answer_in(s, asked.id)  # type: ignore[arg-type]  # its thread
        answered = time.perf_counter() - started
        if "Unison" not in answer.content and not answer.embeds:
            raise SystemExit(f"unexpected answer: {answer.content[:200]!r}")
    finally:
        proc.terminate()
        await proc.wait()
    return {"ready_s": ready, "first_answer_s": answered}


async def run(sources: Path, data: Path, runs: int) -> list[dict[str, float]]:
    from discord_standin import DiscordStandin

    out = []
    async with DiscordStandin() as standin:
        for _ in range(runs):
            out.append(await one_start(standin, sources, data))
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sources", type=Path, required=True)
    p.add_argument("--data", type=Path, required=True)
    p.add_argument("--runs", type=int, default=3)
    args = p.parse_args()
    sys.path[:0] = [str(BOT_TESTS), str(ROOT), str(ROOT / "bench")]
    from common import command, machine

    results = asyncio.run(run(args.sources, args.data, args.runs))
    print(f"command: {command()}")
    print(f"machine: {machine()}")
    for key in ("ready_s", "first_answer_s"):
        values = [r[key] for r in results]
        print(
            f"{key}: median {statistics.median(values):.2f} "
            f"(runs: {', '.join(f'{v:.2f}' for v in values)})"
        )


if __name__ == "__main__":
    main()
