"""Answers cut short midway (an error, or ASK_TIMEOUT_SECONDS while the model still writes):
the unchecked draft is taken down, whatever the timing, and the apology is private where
Discord allows it (an /ask) or a reply to the question (a mention)."""

from __future__ import annotations

import asyncio
import dataclasses

import pytest
from bot_harness import TIMEOUT, StreamingKB, ephemeral_text
from discord_standin import DiscordStandin, StoredMessage

from bot.errors import UNEXPECTED
from index.service import KnowledgeBase
from tests.index.fake_openai import FakeOpenAI, Reply

pytestmark = pytest.mark.timeout(120)

UNION_Q = "Which union is the biggest NHS union?"
CURSOR = "▌"


def versions(m: StoredMessage) -> list[str]:
    return [*(h.get("content") or "" for h in m.history), m.content]


def drafted(standin: DiscordStandin) -> bool:
    """Whether a draft (with its typing cursor) was shown at some point."""
    return any(v.endswith(CURSOR) for m in standin.bot_messages() for v in versions(m))


def drafts_left(standin: DiscordStandin) -> list[StoredMessage]:
    """The bot's messages still showing unchecked draft text to anyone."""
    return [m for m in standin.bot_messages() if not m.deleted and m.content.endswith(CURSOR)]


def public_with(standin: DiscordStandin, text: str) -> list[StoredMessage]:
    return [
        m for m in standin.bot_messages() if not m.deleted and not m.ephemeral and text in m.content
    ]


async def reply_to(standin: DiscordStandin, message_id: int) -> StoredMessage:
    return await standin.wait_for_message(
        lambda m: str((m.data.get("message_reference") or {}).get("message_id")) == str(message_id),
        timeout=TIMEOUT,
    )


async def test_a_stream_failing_midway_takes_its_draft_down_and_says_sorry(
    standin, start_bot, seed_kb
) -> None:
    kb = StreamingKB(seed_kb, pieces=12, delay=0.1, fail_after=4)
    async with start_bot(kb=kb):
        asked = await standin.user_message(UNION_Q, user="bob", mention_bot=True)
        reply = await reply_to(standin, asked.id)
        assert reply.content == UNEXPECTED
        assert drafted(standin), "the draft was never shown"
        assert drafts_left(standin) == []


async def test_an_ask_in_a_thread_that_times_out_midway_leaves_only_a_private_apology(
    standin, start_bot, seed_kb
) -> None:
    kb = StreamingKB(seed_kb, pieces=12, delay=1.0)  # ~12 s of writing; the deadline is 2.5 s
    async with start_bot(kb=kb, answer_timeout=2.5) as bot:
        rec = await standin.slash_command(
            "ask", {"question": UNION_Q}, user="alice", channel="ongoing-discussion"
        )
        text = await ephemeral_text(standin, rec, lambda t: "took too long" in t)
        assert "isn't responding" in text
        assert drafted(standin), "the draft was never shown"
        assert drafts_left(standin) == []
        assert public_with(standin, "took too long") == []
        await standin.wait_until(lambda: bot.throttle.admitted == 0, timeout=TIMEOUT)


async def test_an_ask_answered_in_its_own_thread_keeps_the_question_and_drops_the_draft(
    standin, start_bot, seed_kb
) -> None:
    kb = StreamingKB(seed_kb, pieces=12, delay=0.1, fail_after=4)
    async with start_bot(kb=kb):
        rec = await standin.slash_command("ask", {"question": UNION_Q}, user="alice")
        await ephemeral_text(standin, rec, lambda t: UNEXPECTED in t)
        header = standin.messages[rec.original_id]
        assert not header.deleted and UNION_Q in header.content  # the question stays
        assert drafted(standin), "the draft was never shown"
        assert drafts_left(standin) == []
        assert public_with(standin, UNEXPECTED) == []


async def test_a_draft_still_on_its_way_when_time_runs_out_is_taken_down_once_it_lands(
    standin, start_bot, seed_kb
) -> None:
    kb = StreamingKB(seed_kb, pieces=12, delay=0.5)
    async with start_bot(kb=kb, answer_timeout=1.0):
        held = standin.hold("POST", "/channels/{channel_id}/messages")  # the first draft
        asked = await standin.user_message(UNION_Q, user="bob", mention_bot=True)
        await asyncio.wait_for(held.reached.wait(), TIMEOUT)
        await asyncio.sleep(1.5)  # the answer's time runs out while its draft is held
        held.release()
        reply = await reply_to(standin, asked.id)
        assert "took too long" in reply.content
        await standin.wait_until(
            lambda: drafted(standin) and not drafts_left(standin),
            timeout=TIMEOUT,
            what="the late draft to be taken down",
        )


async def test_a_model_still_writing_at_the_bot_deadline_leaves_no_draft(
    standin, start_bot, seed_kb, embed_model
) -> None:
    """The real generative answerer: a stream may take 3 × LLM_TIMEOUT (plus condensing
    and checking) while ASK_TIMEOUT_SECONDS is shorter, as with the defaults 60 and 120."""
    fake = FakeOpenAI().start()
    text = "Unison is the biggest union in the NHS, and it says so often and loudly [1]."
    fake.reply(Reply(text, chunk_delay=0.7))  # ~15 pieces: ~10 s of writing
    settings = dataclasses.replace(
        seed_kb.settings,
        llm_provider="openai",
        llm_base_url=fake.base_url,
        llm_model="test-model",
        llm_timeout=4.0,  # each pause is within it; the whole stream may take 12 s
    )
    kb = KnowledgeBase(settings, embed_model=embed_model, store=seed_kb.store)
    try:
        async with start_bot(kb=kb, answer_timeout=6.0):
            asked = await standin.user_message(UNION_Q, user="bob", mention_bot=True)
            reply = await reply_to(standin, asked.id)
            assert "took too long" in reply.content
            assert fake.requests and drafted(standin), "the model's draft was never shown"
            assert drafts_left(standin) == []
    finally:
        fake.stop()
