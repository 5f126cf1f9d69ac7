"""The buttons under an answer (votes, full passages) and /feedback, on the wire."""

from __future__ import annotations

import sqlite3

import pytest
from bot_harness import TIMEOUT, answer_id_of, answer_in, ephemeral_text

pytestmark = pytest.mark.timeout(120)

QUESTION = "Which union is the biggest NHS union?"


async def test_votes_are_one_per_user_changeable_and_reach_feedback(standin, start_bot) -> None:
    async with start_bot() as bot:
        rec = await standin.slash_command("ask", {"question": QUESTION}, user="alice")
        header = await standin.wait_for_response(rec, timeout=TIMEOUT)
        answer = await answer_in(standin, header.id)
        aid = answer_id_of(answer)

        up = await standin.click_button(answer, f"pb:vote:up:{aid}", user="alice")
        await ephemeral_text(standin, up, lambda t: "👍 is recorded" in t)
        again = await standin.click_button(answer, f"pb:vote:up:{aid}", user="alice")
        await ephemeral_text(standin, again, lambda t: "already voted 👍" in t)
        down = await standin.click_button(answer, f"pb:vote:down:{aid}", user="alice")
        await ephemeral_text(standin, down, lambda t: "changed your vote to 👎" in t)
        bob = await standin.click_button(answer, f"pb:vote:down:{aid}", user="bob")
        await ephemeral_text(standin, bob, lambda t: "👎 is recorded" in t)
        assert bot.store.votes(aid) == {
            standin.world.users["alice"]: -1,
            standin.world.users["bob"]: -1,
        }
        # the vote is stored with the question, the answer and the cited chunks
        with sqlite3.connect(bot.config.db_path) as db:
            question, text, citations = db.execute(
                "SELECT question, answer, citations FROM answers WHERE id = ?", (aid,)
            ).fetchone()
        assert question == QUESTION and "Unison" in text and "passage" in citations

        refused = await standin.slash_command("feedback", user="alice")
        await ephemeral_text(standin, refused, lambda t: "Only moderators" in t)

        shown = await standin.slash_command("feedback", user="moderator")
        text = await ephemeral_text(standin, shown, lambda t: QUESTION in t)
        assert "👎 2" in text and "Unison" in text
        assert all(m.ephemeral for m in [standin.messages[i] for i in shown.followup_ids])


async def test_show_full_passages_sends_the_whole_chunks_to_the_clicker_only(
    standin, start_bot, seed_kb
) -> None:
    async with start_bot():
        asked = await standin.user_message(QUESTION, user="bob", mention_bot=True)
        answer = await answer_in(standin, asked.id)
        click = await standin.click_button(
            answer, f"pb:passages:{answer_id_of(answer)}", user="alice"
        )
        expected = await seed_kb.answer(QUESTION)
        passage = expected.citations[0].passage
        tail = passage[-60:]  # a part of the chunk that the quote does not contain
        assert tail not in expected.citations[0].quote
        text = await ephemeral_text(standin, click, lambda t: tail.strip() in t)
        assert f"**{expected.citations[0].quote}**" in text  # the quoted sentence in bold
        replies = [standin.messages[i] for i in click.followup_ids]
        assert replies and all(m.ephemeral for m in replies)
        assert len(replies[0].embeds) == len(expected.citations)


async def test_a_hostile_question_shows_literally_in_feedback(standin, start_bot) -> None:
    """/feedback titles each answer with its question: the member's own text, which must
    show as typed (embed titles render bold, spoilers and code) like everywhere else."""
    hostile = "Which union is the **biggest** ||NHS|| union `now`?"
    async with start_bot():
        asked = await standin.user_message(hostile, user="bob", mention_bot=True)
        answer = await answer_in(standin, asked.id)
        down = await standin.click_button(answer, f"pb:vote:down:{answer_id_of(answer)}")
        await ephemeral_text(standin, down, lambda t: "👎 is recorded" in t)
        shown = await standin.slash_command("feedback", user="moderator")
        await ephemeral_text(standin, shown, lambda t: "biggest" in t)
    (title,) = [
        e["title"]
        for i in shown.followup_ids
        for e in standin.messages[i].embeds
        if "biggest" in e["title"]
    ]
    assert title == "Q: Which union is the \\*\\*biggest\\*\\* \\|\\|NHS\\|\\| union \\`now\\`?"
