"""`policybot bot` as a real process, stopped the way container platforms stop it: SIGTERM
while an answer is being written. New questions are turned away, the answer in flight is
delivered, the gateway is closed with a close frame, and the process exits with 0."""

from __future__ import annotations

import asyncio
import shutil
import signal
import socket
import sys
import threading
from collections.abc import AsyncIterator, Iterator
from typing import Any

import aiohttp
import pytest
from bot_harness import RUNNER, answer_in, process_env

from tests.index.fake_openai import FakeOpenAI, Reply, Request

pytestmark = pytest.mark.timeout(240)

START = 120.0  # loading the embedding model in a fresh process on a busy machine
QUESTION = "Which union is the biggest NHS union?"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def llm() -> Iterator[tuple[FakeOpenAI, threading.Event]]:
    """An OpenAI-compatible server whose replies wait until the test lets them go."""
    release = threading.Event()

    def held(body: dict[str, Any]) -> Reply:
        release.wait(START)
        n = next(int(p["n"]) for p in Request(body, {}).passages() if "Unison" in p["text"])
        return Reply(f"Unison is the biggest NHS union [{n}].")

    server = FakeOpenAI(script=[held]).start()
    try:
        yield server, release
    finally:
        release.set()
        server.stop()


class Process:
    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.proc = proc
        self.lines: list[str] = []
        self.reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        assert self.proc.stderr is not None
        async for raw in self.proc.stderr:
            self.lines.append(raw.decode(errors="replace").rstrip("\n"))

    @property
    def log(self) -> str:
        return "\n".join(self.lines)


@pytest.fixture
async def bot_process(standin, seed_kb, llm, tmp_path) -> AsyncIterator[tuple[Process, int]]:
    server, _ = llm
    shutil.copytree(seed_kb.settings.sources_dir, tmp_path / "sources")
    shutil.copytree(seed_kb.settings.data_dir, tmp_path / "data")  # the built index
    health = free_port()
    env = process_env(
        standin,
        LLM_PROVIDER="openai",
        LLM_BASE_URL=server.base_url,
        LLM_MODEL="test-model",
        LLM_TIMEOUT="120",
        HEALTH_PORT=str(health),
        SHUTDOWN_GRACE_SECONDS="60",
    )
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        str(RUNNER),
        "--sources",
        str(tmp_path / "sources"),
        "--data",
        str(tmp_path / "data"),
        "bot",
        cwd=tmp_path,
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    process = Process(proc)
    try:
        yield process, health
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
        await process.reader


async def healthy(port: int) -> bool:
    try:
        async with (
            aiohttp.ClientSession() as session,
            session.get(f"http://127.0.0.1:{port}/") as response,
        ):
            return response.status == 200
    except aiohttp.ClientError:
        return False


async def test_sigterm_delivers_the_answer_in_flight_refuses_new_ones_and_exits_0(
    standin, bot_process, llm
) -> None:
    process, health = bot_process
    server, release = llm
    loop = asyncio.get_running_loop()
    deadline = loop.time() + START
    while not await healthy(health):  # connected, index loaded
        assert process.proc.returncode is None, process.log
        assert loop.time() < deadline, f"the bot never became healthy:\n{process.log}"
        await asyncio.sleep(0.2)

    asked = await standin.user_message(QUESTION, user="bob", mention_bot=True)
    await standin.wait_until(lambda: server.requests, timeout=START, what="the model's call")
    process.proc.send_signal(signal.SIGTERM)  # the answer is being written
    await standin.wait_until(
        lambda: any("shutting down" in line for line in process.lines), timeout=START
    )
    assert not await healthy(health)  # probes see it going

    late = await standin.user_message(QUESTION, user="alice", mention_bot=True)
    refusal = await standin.wait_for_message(
        lambda m: str((m.data.get("message_reference") or {}).get("message_id")) == str(late.id),
        timeout=START,
    )
    assert "restarting" in refusal.content

    release.set()  # the model answers
    answer = await answer_in(standin, asked.id)
    assert "Unison" in answer.content and answer.embeds
    assert await asyncio.wait_for(process.proc.wait(), START) == 0, process.log
    await process.reader

    closes = [e for e in standin.gateway_log if e.kind == "disconnect"]
    assert closes and not closes[-1].detail["aborted"]  # closed with a close frame
    assert "shut down cleanly" in process.log
    answers = [line for line in process.lines if " answer guild=" in line]
    assert len(answers) == 1 and "mode=generative refused=no" in answers[0]  # INFO by default
    assert standin.token not in process.log and QUESTION not in process.log
    assert "Traceback" not in process.log
