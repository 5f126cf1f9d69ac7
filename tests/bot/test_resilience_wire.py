"""Faults on the wire: a dropped gateway, a 429 from the REST API, an unexpected error."""

from __future__ import annotations

import asyncio
import logging
import threading

import pytest
from bot_harness import TIMEOUT, GatedKB, answer_in, ephemeral_text

from bot.errors import UNEXPECTED

pytestmark = pytest.mark.timeout(120)

QUESTION = "Which union is the biggest NHS union?"


async def test_a_dropped_gateway_connection_resumes_and_questions_keep_being_answered(
    standin, start_bot
) -> None:
    async with start_bot():
        mark = await standin.drop_connection()
        asked = await standin.user_message(QUESTION, user="bob", mention_bot=True)  # while down
        await standin.wait_for_resume(mark, timeout=TIMEOUT)
        answer = await answer_in(standin, asked.id)
        assert "Unison, the biggest NHS union" in answer.content

        mark = await standin.invalidate_session(resumable=False)  # a fresh IDENTIFY
        await standin.wait_for_gateway("ready", since=mark, timeout=TIMEOUT)
        rec = await standin.slash_command("ask", {"question": QUESTION}, user="alice")
        header = await standin.wait_for_response(rec, timeout=TIMEOUT)
        assert "Unison" in (await answer_in(standin, header.id)).content


async def test_a_429_from_the_rest_api_is_waited_out_and_retried(standin, start_bot) -> None:
    async with start_bot():
        rule = standin.rate_limit("POST", "/channels/{channel_id}/messages", retry_after=0.4)
        start = len(standin.requests)
        asked = await standin.user_message(QUESTION, user="bob", mention_bot=True)
        answer = await answer_in(standin, asked.id)
        assert "Unison" in answer.content
    posts = [r for r in standin.requests[start:] if r.route == "/channels/{channel_id}/messages"]
    assert [r.status for r in posts][:2] == [429, 200]
    assert posts[0].json == posts[1].json and rule.hits == [posts[0]]


async def test_an_unexpected_error_is_a_short_ephemeral_message_and_a_logged_traceback(
    standin, start_bot, seed_kb, caplog
) -> None:
    kb = GatedKB(seed_kb, fail_with=RuntimeError("chroma exploded"))
    async with start_bot(kb=kb):
        rec = await standin.slash_command("ask", {"question": QUESTION}, user="alice")
        text = await ephemeral_text(standin, rec, lambda t: UNEXPECTED in t)
        assert "chroma exploded" not in text and "Traceback" not in text
        asked = await standin.user_message(QUESTION, user="bob", mention_bot=True)
        reply = await standin.wait_for_message(
            lambda m: (
                str((m.data.get("message_reference") or {}).get("message_id")) == str(asked.id)
            ),
            timeout=TIMEOUT,
        )
        assert reply.content == UNEXPECTED
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR and r.name == "bot.errors"]
    assert len(errors) == 2
    assert all(r.exc_info and "chroma exploded" in str(r.exc_info[1]) for r in errors)
    assert "Traceback" in caplog.text and standin.token not in caplog.text


class HungKB(GatedKB):
    """A store that accepts the question and never answers (a hung Chroma server)."""

    def __init__(self, kb, release):
        super().__init__(kb)
        self.release = release

    async def answer_stream(self, question, history=(), executor=None):
        await asyncio.to_thread(self.release.wait, 30)
        async for item in self._kb.answer_stream(question, history, executor):
            yield item


async def test_a_hung_store_gets_a_too_slow_message_and_frees_the_slot(
    standin, start_bot, seed_kb
) -> None:
    release = threading.Event()
    kb = HungKB(seed_kb, release)
    try:
        async with start_bot(kb=kb, answer_timeout=1.0) as bot:
            rec = await standin.slash_command(
                "ask", {"question": "Which union is the biggest NHS union?"}, user="alice"
            )
            text = await ephemeral_text(standin, rec, lambda t: "took too long" in t)
            assert "isn't responding" in text
            await standin.wait_until(lambda: bot.throttle.admitted == 0, timeout=TIMEOUT)
    finally:
        release.set()  # let the stuck worker thread finish
