"""The operator's view on the wire: log lines, the health endpoint, bounded knowledge-base
work, and shutting down with answers in flight."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Iterator, Sequence

import aiohttp
import pytest
from bot_harness import TIMEOUT, FastPolicyBot, Gate, GatedKB, answer_in, ephemeral_text

from bot.errors import CUT_SHORT
from bot.settings import BotSettings
from bot.store import AnswerStore
from index.answering.types import Answer, Turn
from index.service import KnowledgeBase
from index.settings import SecretStr
from policybot.cli import main

pytestmark = pytest.mark.timeout(120)

QUESTION = "Which union is the biggest NHS union?"


def operator_lines(caplog: pytest.LogCaptureFixture, level: int = logging.INFO) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= level]


async def test_answers_refreshes_and_moderator_actions_are_logged_without_the_question(
    standin, start_bot, make_kb, caplog
) -> None:
    kb = make_kb()
    await kb.arefresh()
    async with start_bot(kb=kb):
        asked = await standin.user_message(QUESTION, user="bob", mention_bot=True)
        await answer_in(standin, asked.id)
        rec = await standin.slash_command("refresh", user="moderator")
        await standin.wait_for_message(
            lambda m: m.interaction_id == rec.id and m.embeds, timeout=TIMEOUT
        )
    guild = standin.world.guild_id
    info = operator_lines(caplog)
    (answer,) = [m for m in info if m.startswith("answer ")]
    assert f"guild={guild} channel=text mode=extractive refused=no latency_ms=" in answer
    assert str(standin.world.users["bob"]) not in answer  # never who asked (issue 25)
    (refresh,) = [m for m in info if m.startswith("refresh ")]
    moderator = standin.world.users["moderator"]
    assert f"by=user:{moderator} guild={guild} added=0 updated=0 removed=0 skipped=0" in refresh
    assert f"moderator action=/refresh user={moderator} guild={guild}" in info
    # the question is personal: only at DEBUG
    assert not [m for m in info if QUESTION in m]
    assert [m for m in operator_lines(caplog, logging.DEBUG) if QUESTION in m]


def test_a_bad_log_level_is_a_one_line_usage_error(tmp_path, capsys, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("LOG_LEVEL", "chatty")
    assert main(["--data", str(tmp_path / "data"), "sources"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "LOG_LEVEL must be one of" in err


async def probe(port: int) -> tuple[int, str]:
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"http://127.0.0.1:{port}/healthz") as response,
    ):
        return response.status, await response.text()


async def test_health_is_503_until_connected_with_an_index_then_200(
    standin, make_kb, tmp_path
) -> None:
    kb = make_kb()  # not built yet
    config = BotSettings(
        token=SecretStr(standin.token), data_dir=tmp_path / "bot-data", health_port=0
    )
    bot = FastPolicyBot(kb, config, AnswerStore(config.db_path), guild_ready_timeout=0.1)
    held = standin.hold("GET", "/gateway/bot")  # logged in, not yet on the gateway
    task = asyncio.create_task(bot.start(standin.token))
    try:
        await standin.wait_until(held.reached.is_set, timeout=TIMEOUT)
        assert bot.health is not None
        status, text = await probe(bot.health.port)
        assert (status, text.strip()) == (503, "not connected to the Discord gateway")

        held.release()
        await standin.wait_until(bot.is_ready, timeout=TIMEOUT)
        status, text = await probe(bot.health.port)
        assert status == 503 and "no index" in text  # connected, but nothing to answer from

        await kb.arefresh()
        assert await probe(bot.health.port) == (200, "ok\n")
    finally:
        held.release()
        await bot.close()
        await asyncio.wait_for(task, TIMEOUT)


class StuckKB(KnowledgeBase):
    """The real knowledge base whose every answer hangs (a Chroma server that stopped
    answering) until `release` is set; counts the calls that actually started."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.release = threading.Event()
        self.started = 0

    def answer_iter(
        self,
        question: str,
        history: Sequence[Turn] = (),
        stream: bool = True,
        *,
        extractive: bool = False,
    ) -> Iterator[str | Answer]:
        self.started += 1  # the workers run one call per thread: no lost updates here
        self.release.wait(TIMEOUT)
        yield from super().answer_iter(question, history, stream, extractive=extractive)


async def test_timed_out_answers_never_load_the_store_beyond_max_in_flight(
    standin, start_bot, seed_kb, embed_model
) -> None:
    kb = StuckKB(seed_kb.settings, embed_model=embed_model, store=seed_kb.store)
    try:
        async with start_bot(kb=kb, max_in_flight=2, max_queued=8, answer_timeout=1.0) as bot:
            asks = [
                await standin.slash_command("ask", {"question": QUESTION}, user=user)
                for user in ("alice", "bob", "admin", "moderator")
            ]
            for rec in asks:
                await ephemeral_text(standin, rec, lambda t: "took too long" in t)
            # all four gave up; only two calls ever reached the store, and they still hang
            assert (kb.started, bot.workers.busy) == (2, 2)

            kb.release.set()  # the store answers again
            await standin.wait_until(lambda: bot.workers.busy == 0, timeout=TIMEOUT)
            assert kb.started == 2  # the abandoned calls that never started never run
            rec = await standin.slash_command("ask", {"question": QUESTION}, user="owner")
            header = await standin.wait_for_response(rec, timeout=TIMEOUT)
            assert "Unison" in (await answer_in(standin, header.id)).content
            assert kb.started == 3
    finally:
        kb.release.set()


async def test_shutting_down_apologises_for_an_answer_not_done_by_the_deadline(
    standin, start_bot, seed_kb
) -> None:
    gate = Gate()
    try:
        async with start_bot(kb=GatedKB(seed_kb, answer_gate=gate)) as bot:
            rec = await standin.slash_command("ask", {"question": QUESTION}, user="alice")
            await gate.until_entered()  # the answer is being worked on
            await bot.shutdown(grace=0.5)
            text = await ephemeral_text(standin, rec, lambda t: "restarting" in t)
            assert text == CUT_SHORT
            assert bot.is_closed()
            closed = [e for e in standin.gateway_log if e.kind == "disconnect"]
            assert closed and not closed[-1].detail["aborted"]  # a close frame, not a drop
    finally:
        gate.release.set()
