"""Gaps on the wire: the refresh report's re-asked questions, /gaps with its pages and
dismiss button, the reply where an answered question was asked, "forget me" and the digest."""

from __future__ import annotations

import pytest
from bot_harness import TIMEOUT, answer_in

from bot.store import Origin
from index.answering.types import Answer

pytestmark = pytest.mark.timeout(120)

DENTAL_QUESTION = "How much is an NHS dental check-up?"
DENTAL_ARTICLE = """---
title: "NHS dental charges rise"
---

NHS dental charges in England rose on 1 April. A check-up at an NHS dentist now costs
£26.80, the Department of Health said, and a course of treatment with fillings costs £73.50.
"""
OTHER_GUILD = 999_999


def refused(q: str) -> Answer:
    return Answer(q, "The sources don't cover this.", True, reason="no passage is about it")


async def test_a_refresh_reports_the_open_questions_it_now_answers(
    standin, start_bot, make_kb
) -> None:
    kb = make_kb()
    await kb.arefresh()
    async with start_bot(kb=kb) as bot:
        asked = await standin.user_message(DENTAL_QUESTION, user="bob", mention_bot=True)
        await answer_in(standin, asked.id)
        [stored] = bot.store.gap_questions(standin.world.guild_id)
        assert stored.refused and stored.reason  # why, kept for moderators
        # another community's question the new article answers: answered, never shown here
        other = refused("What are NHS dental charges?")
        bot.store.add("f" * 32, Origin(5, OTHER_GUILD, 6), other)

        (kb.settings.sources_dir / "nhs-dental-charges.md").write_text(DENTAL_ARTICLE)
        run = await standin.slash_command("refresh", user="moderator")
        report = await standin.wait_for_message(
            lambda m: m.interaction_id == run.id and m.embeds, timeout=TIMEOUT
        )
        fields = {f["name"]: f["value"] for f in report.embeds[0]["fields"]}
        assert fields["This refresh answered 1 of 1 open questions"] == f"• {DENTAL_QUESTION}"
        assert "NHS dental charges?" not in report.text()
        statuses = {q.question: q.status for q in bot.store.gap_questions(every_guild=True)}
        assert statuses == {DENTAL_QUESTION: "answered", other.question: "answered"}
