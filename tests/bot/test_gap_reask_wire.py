"""Re-asking the open gap questions with a language model configured: the refresh decides
which are answered without calling the model (fast, while the refresh lock is held), and
only the reply where an answered question was asked (GAPS_REPLY_WHEN_ANSWERED) gets the
model's answer, within ASK_TIMEOUT_SECONDS."""

from __future__ import annotations

import time
from typing import Any

import pytest
from bot_harness import (
    DENTAL_ARTICLE,
    DENTAL_QUESTION,
    TIMEOUT,
    answer_in,
    answered_privately,
    public_report,
)

from bot.replying import HEADER
from tests.index.fake_openai import FakeOpenAI, Reply, Request

pytestmark = pytest.mark.timeout(120)

MODEL_SAYS = "A check-up at an NHS dentist now costs £26.80"


def dental_reply(body: dict[str, Any]) -> Reply:
    """The model's answer, citing whichever passage the prompt numbered for the charges."""
    n = next(int(p["n"]) for p in Request(body, {}).passages() if "26.80" in p["text"])
    return Reply(f"{MODEL_SAYS} [{n}].")


@pytest.fixture
def fake():
    server = FakeOpenAI().start()
    yield server
    server.stop()


@pytest.fixture
def gen_kb(make_kb, fake):
    def make(**overrides: Any):
        return make_kb(
            llm_provider="openai",
            llm_base_url=fake.base_url,
            llm_model="test-model",
            **overrides,
        )

    return make


async def refresh_report(standin) -> tuple[dict[str, str], str]:
    """/refresh as a moderator: the public report's fields, and the text of the follow-up
    only the moderator sees, which lists the open questions the refresh answered."""
    run = await standin.slash_command("refresh", user="moderator")
    listed = await answered_privately(standin, run)
    report = public_report(standin, run)
    return {f["name"]: f["value"] for f in report.embeds[0]["fields"]}, listed.text()


async def ask_and_get_refused(standin) -> tuple[Any, Any]:
    asked = await standin.user_message(DENTAL_QUESTION, user="bob", mention_bot=True)
    refusal = await answer_in(standin, asked.id)  # in the thread started from the question
    assert "26.80" not in refusal.text()
    return asked, refusal


async def test_a_refresh_finds_open_questions_answered_without_calling_the_model(
    standin, start_bot, gen_kb, fake
) -> None:
    fake.reply(dental_reply)
    kb = gen_kb()
    await kb.arefresh()
    async with start_bot(kb=kb):
        await ask_and_get_refused(standin)
        (kb.settings.sources_dir / "nhs-dental-charges.md").write_text(DENTAL_ARTICLE)
        fields, listed = await refresh_report(standin)
        assert "This refresh answered 1 of 1 open questions" in fields
        assert f"• {DENTAL_QUESTION}" in listed and DENTAL_QUESTION not in str(fields)
        assert fake.requests == []  # re-asking never waited on the model


async def test_the_reply_where_it_was_asked_is_the_models_answer(
    standin, start_bot, gen_kb, fake
) -> None:
    fake.reply(dental_reply)
    kb = gen_kb()
    await kb.arefresh()
    async with start_bot(kb=kb, reply_when_answered=True):
        asked, refusal = await ask_and_get_refused(standin)
        (kb.settings.sources_dir / "nhs-dental-charges.md").write_text(DENTAL_ARTICLE)
        await refresh_report(standin)
        reply = await standin.wait_for_message(
            lambda m: m.channel_id == asked.id and m.content.startswith(HEADER), timeout=TIMEOUT
        )
        assert int(reply.data["message_reference"]["message_id"]) == refusal.id
        answer = await standin.wait_for_message(
            lambda m: m.channel_id == asked.id and m.id > reply.id and "26.80" in m.text(),
            timeout=TIMEOUT,
        )
        assert answer.content.startswith(MODEL_SAYS)  # the model's words, checked
        assert "NHS dental charges rise" in answer.text()
        assert len(fake.requests) == 1  # for the reply only


async def test_a_model_too_slow_for_the_reply_leaves_the_extractive_answer_in_time(
    standin, start_bot, gen_kb, fake
) -> None:
    fake.reply(Reply("never mind [1].", delay=60))
    kb = gen_kb(llm_timeout=60.0)
    await kb.arefresh()
    async with start_bot(kb=kb, reply_when_answered=True, answer_timeout=2.0):
        asked, _ = await ask_and_get_refused(standin)
        (kb.settings.sources_dir / "nhs-dental-charges.md").write_text(DENTAL_ARTICLE)
        started = time.monotonic()
        fields, listed = await refresh_report(standin)
        assert "This refresh answered 1 of 1 open questions" in fields
        assert f"• {DENTAL_QUESTION}" in listed and DENTAL_QUESTION not in str(fields)
        answer = await standin.wait_for_message(
            lambda m: m.channel_id == asked.id and "26.80" in m.text(), timeout=TIMEOUT
        )
        assert time.monotonic() - started < 20  # the model's 60 s were not waited for
        assert "NHS dental charges rise" in answer.text() and "never mind" not in answer.text()
