"""Gaps on the wire: the refresh report's re-asked questions, /gaps with its pages and
dismiss button, the reply where an answered question was asked, "forget me" and the digest."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import time

import pytest
from bot_harness import (
    DENTAL_ARTICLE,
    DENTAL_QUESTION,
    TIMEOUT,
    answer_id_of,
    answer_in,
    answered_privately,
    custom_ids,
    ephemeral_text,
    pings,
    public_report,
)

from bot.replying import HEADER
from bot.settings import DB_FILE
from bot.store import AnswerStore, Origin
from index.answering.types import Answer, Citation

pytestmark = pytest.mark.timeout(120)

OTHER_GUILD = 999_999


def refused(q: str) -> Answer:
    return Answer(q, "The sources don't cover this.", True, reason="no passage is about it")


async def test_a_refresh_tells_the_channel_how_many_and_only_the_moderator_which(
    standin, start_bot, make_kb
) -> None:
    """Questions are personal data: the public /refresh reply counts the open questions the
    refresh answered, and only the moderator who ran it is shown which (ephemerally)."""
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
        run = await standin.slash_command("refresh", user="moderator", channel="policy")
        listed = await answered_privately(standin, run)
        report = public_report(standin, run)
        fields = {f["name"]: f["value"] for f in report.embeds[0]["fields"]}
        assert "This refresh answered 1 of 1 open questions" in fields  # the count, publicly
        public = [m for m in standin.channel_messages("policy") if not m.ephemeral]
        assert public == [report]
        assert DENTAL_QUESTION not in report.text() and other.question not in report.text()

        assert listed.ephemeral and listed.channel_id == report.channel_id
        assert f"• {DENTAL_QUESTION}" in listed.text()  # to the moderator who ran it
        assert "NHS dental charges?" not in listed.text()  # this guild's questions only
        assert not pings(listed)
        statuses = {q.question: q.status for q in bot.store.gap_questions(every_guild=True)}
        assert statuses == {DENTAL_QUESTION: "answered", other.question: "answered"}


async def test_the_scheduled_refresh_posts_how_many_open_questions_it_answered_not_which(
    standin, start_bot, make_kb
) -> None:
    """MODERATOR_CHANNEL_ID is documented as where the diff goes, not as a channel only
    moderators read: the scheduled post counts the questions it answered and points to
    /gaps, which shows them privately."""
    kb = make_kb()
    await kb.arefresh()
    mod_log = standin.world.channels["mod-log"]
    async with start_bot(kb=kb, moderator_channel_id=mod_log) as bot:
        asked = await standin.user_message(DENTAL_QUESTION, user="bob", mention_bot=True)
        await answer_in(standin, asked.id)
        (kb.settings.sources_dir / "nhs-dental-charges.md").write_text(DENTAL_ARTICLE)
        await bot.get_cog("Refresh").scheduled_refresh()
        [post] = standin.channel_messages("mod-log")
        fields = {f["name"]: f["value"] for f in post.embeds[0]["fields"]}
        assert "/gaps" in fields["This refresh answered 1 of 1 open questions"]
        assert DENTAL_QUESTION not in post.text()
        [stored] = bot.store.gap_questions(standin.world.guild_id)
        assert stored.status == "answered"  # what /gaps status:answered lists


UNION_QUESTION = "What did the unions argue about private contracts in the NHS?"


async def test_gaps_answered_lists_what_a_refresh_answered_and_open_the_downvoted_one(
    standin, start_bot, make_kb
) -> None:
    """A question the seed articles answer, once refused and once answered but voted 👎: a
    refresh (of another article) answers the refused one, and /gaps status:answered lists it;
    the 👎 one got the same answer again, no answer, so it is the only open one."""
    kb = make_kb()
    await kb.arefresh()
    async with start_bot(kb=kb) as bot:
        guild = standin.world.guild_id
        bot.store.add("a1" + "0" * 30, Origin(5, guild, 6), refused(UNION_QUESTION))
        c = Citation(1, "T", "t.md", "t.md", "quote", 0.5, 0, 5)
        bot.store.add(
            "a2" + "0" * 30, Origin(6, guild, 6), Answer(UNION_QUESTION, "q [1]", False, [c])
        )
        bot.store.vote("a2" + "0" * 30, 7, -1, guild)
        (kb.settings.sources_dir / "nhs-dental-charges.md").write_text(DENTAL_ARTICLE)
        run = await standin.slash_command("refresh", user="moderator")
        listed = await answered_privately(standin, run)
        assert f"• {UNION_QUESTION}" in listed.text()

        async def gaps_embed(status: str) -> dict:
            rec = await standin.slash_command("gaps", {"status": status}, user="moderator")
            page = await standin.wait_for_message(
                lambda m: m.id in ephemeral_ids(rec) and m.embeds and not m.loading,
                timeout=TIMEOUT,
            )
            return page.embeds[0]

        answered = await gaps_embed("answered")
        assert answered["title"] == "Gaps (answered): 1"
        assert UNION_QUESTION in answered["description"] and "asked 1×" in answered["description"]
        still_open = await gaps_embed("open")
        assert still_open["title"] == "Gaps (open): 1"
        assert "answered, but voted 👎" in still_open["description"]


ASKED = [  # (user, question): seven gaps, the first asked three times by two members
    (1, "Is NHS dental treatment free?"),
    (2, "Is NHS dental treatment free for adults?"),
    (1, "Is NHS dental treatment free?"),
    (3, "Is abortion legal in Northern Ireland?"),
    (3, "Who is eligible for the free flu jab?"),
    (4, "What's the weather like tomorrow?"),
    (4, "Why is it so hard to get a GP appointment?"),
    (5, "Who pays for care homes for elderly people?"),
    (5, "Is mental health funding going up?"),
]


def seed_gaps(bot, guild_id: int) -> None:
    for n, (user, q) in enumerate(ASKED):
        bot.store.add(f"{n + 1:02x}" + "0" * 30, Origin(77_000 + user, guild_id, 6), refused(q))
    bot.store.add("ee" + "0" * 30, Origin(8, OTHER_GUILD, 6), refused("Secret other guild?"))


async def test_gaps_for_moderators_page_by_page_with_dismissal(standin, start_bot) -> None:
    async with start_bot() as bot:
        seed_gaps(bot, standin.world.guild_id)
        refused_ = await standin.slash_command("gaps", user="alice")
        await ephemeral_text(standin, refused_, lambda t: "Only moderators" in t)

        started = time.monotonic()
        rec = await standin.slash_command("gaps", user="moderator")
        await standin.wait_until(lambda: rec.response_type is not None, timeout=TIMEOUT)
        assert rec.response_type == 5 and time.monotonic() - started < 3.0  # deferred in time
        page = await standin.wait_for_message(
            lambda m: m.id in ephemeral_ids(rec) and m.embeds and not m.loading, timeout=TIMEOUT
        )
        embed = page.embeds[0]
        assert page.ephemeral and embed["title"] == "Gaps (open): 7"
        first = embed["description"].split("\n\n")[0]
        assert "asked 3× by 2 members" in first and "Is NHS dental treatment free?" in first
        assert "nothing near it in the library" in first
        assert "77001" not in page.text() and "Secret other guild" not in page.text()
        assert embed["footer"]["text"].startswith("Page 1 of 2")
        assert custom_ids(page).count("pb:gaps:next:open:0:1") == 1

        await standin.click_button(page, "pb:gaps:next:open:0:1", user="moderator")
        await standin.wait_until(lambda: page.embeds[0]["footer"]["text"].startswith("Page 2"))
        second = page.embeds[0]["description"]
        assert second.startswith("**6.**") and "**7.**" in second

        weather_id = "06" + "0" * 10  # its first (only) question's answer id
        button = f"pb:gaps:dismiss:open:0:1:{weather_id}"
        if button not in custom_ids(page):  # the weather gap may sort onto page 1
            await standin.click_button(page, "pb:gaps:prev:open:0:0", user="moderator")
            await standin.wait_until(lambda: page.embeds[0]["footer"]["text"].startswith("Page 1"))
            button = f"pb:gaps:dismiss:open:0:0:{weather_id}"
        await standin.click_button(page, button, user="moderator")
        await standin.wait_until(lambda: "Dismissed a gap asked 1×" in page.content)
        assert page.embeds[0]["title"] == "Gaps (open): 6"
        assert "weather" not in page.embeds[0]["description"]
        assert [g.status for g in bot.store.gap_questions(standin.world.guild_id)].count(
            "dismissed"
        ) == 1

        shown = await standin.slash_command("gaps", {"status": "dismissed"}, user="moderator")
        listed = await standin.wait_for_message(
            lambda m: m.id in ephemeral_ids(shown) and m.embeds and not m.loading, timeout=TIMEOUT
        )
        assert listed.embeds[0]["title"] == "Gaps (dismissed): 1"
        assert "weather" in listed.embeds[0]["description"] and not custom_ids(listed)


def ephemeral_ids(rec) -> list[int]:
    return [rec.original_id, *rec.followup_ids]


async def test_a_member_forgets_everything_and_old_questions_expire(
    standin, start_bot, tmp_path, caplog
) -> None:
    old = AnswerStore(tmp_path / "bot-data" / DB_FILE)  # where start_bot keeps the store
    old.init()
    old.add("0a" + "0" * 30, Origin(9, standin.world.guild_id, 6), refused("Asked long ago?"))
    with sqlite3.connect(old.path) as db:
        db.execute("UPDATE answers SET created_at = '2020-01-01T00:00:00+00:00'")
    async with start_bot() as bot:
        # ANSWER_RETENTION_DAYS (90) applied on start
        await standin.wait_until(lambda: not bot.store.gap_questions(every_guild=True))
        bob_q, alice_q = "What are foundation hospitals, bob asks?", "Who is Dave Prentis?"
        asked = await standin.user_message(bob_q, user="bob", mention_bot=True)
        await answer_in(standin, asked.id)
        asked = await standin.user_message(alice_q, user="alice", mention_bot=True)
        alices = await answer_in(standin, asked.id)
        await standin.click_button(alices, f"pb:vote:down:{answer_id_of(alices)}", user="bob")
        await standin.wait_until(lambda: bot.store.votes(answer_id_of(alices)))

        rec = await standin.slash_command("forget", user="bob")
        text = await ephemeral_text(standin, rec, lambda t: "Deleted" in t)
        assert "Deleted 1 question you asked" in text and "1 vote you cast" in text
        with sqlite3.connect(bot.store.path) as db:
            assert db.execute("SELECT question FROM answers").fetchall() == [(alice_q,)]
            assert db.execute("SELECT COUNT(*) FROM votes").fetchone() == (0,)
    bob = str(standin.world.users["bob"])
    logged = [r.getMessage() for r in caplog.records if r.levelno >= logging.INFO]
    assert not [m for m in logged if bob in m or bob_q in m or alice_q in m]


async def test_forgetting_counts_only_the_votes_the_member_cast(standin, start_bot) -> None:
    """Others' votes on the member's answers go with those answers, but the reply tells the
    member what *they* had: the questions they asked and the votes they cast."""
    async with start_bot() as bot:
        asked = await standin.user_message("Who is Dave Prentis?", user="alice", mention_bot=True)
        answer = await answer_in(standin, asked.id)
        aid = answer_id_of(answer)
        for voter in ("bob", "moderator"):
            await standin.click_button(answer, f"pb:vote:down:{aid}", user=voter)
        await standin.wait_until(lambda: len(bot.store.votes(aid)) == 2)

        rec = await standin.slash_command("forget", user="alice")
        text = await ephemeral_text(standin, rec, lambda t: "Deleted" in t)
        assert "Deleted 1 question you asked" in text and "0 votes you cast" in text
        assert bot.store.votes(aid) == {}  # gone with the answer all the same


async def test_with_the_setting_the_bot_replies_once_where_an_answered_question_was_asked(
    standin, start_bot, make_kb
) -> None:
    kb = make_kb()
    await kb.arefresh()
    async with start_bot(kb=kb, reply_when_answered=True):
        asked = await standin.user_message(DENTAL_QUESTION, user="bob", mention_bot=True)
        refusal = await answer_in(standin, asked.id)  # in the thread started from the question
        (kb.settings.sources_dir / "nhs-dental-charges.md").write_text(DENTAL_ARTICLE)
        run = await standin.slash_command("refresh", user="moderator")
        await standin.wait_for_message(
            lambda m: m.interaction_id == run.id and m.embeds, timeout=TIMEOUT
        )
        reply = await standin.wait_for_message(
            lambda m: m.channel_id == asked.id and m.content.startswith(HEADER), timeout=TIMEOUT
        )
        assert int(reply.data["message_reference"]["message_id"]) == refusal.id
        assert not reply.data["mentions"]  # nobody is pinged
        answer = await standin.wait_for_message(
            lambda m: m.channel_id == asked.id and m.id > reply.id and "26.80" in m.text(),
            timeout=TIMEOUT,
        )
        assert "NHS dental charges rise" in answer.text()  # the new source, cited

        # a later refresh changes the article again: the question is answered, not re-told
        (kb.settings.sources_dir / "nhs-dental-charges.md").write_text(DENTAL_ARTICLE + "\nMore.")
        run = await standin.slash_command("refresh", user="moderator")
        await standin.wait_for_message(
            lambda m: m.interaction_id == run.id and m.embeds and "Updated (1)" in m.text(),
            timeout=TIMEOUT,
        )
        await asyncio.sleep(0.5)
        told = [m for m in standin.bot_messages() if m.content.startswith(HEADER)]
        assert told == [reply]


async def test_the_digest_posts_a_chart_and_the_top_open_gaps(standin, start_bot) -> None:
    mod_log = standin.world.channels["mod-log"]
    async with start_bot(moderator_channel_id=mod_log) as bot:
        seed_gaps(bot, standin.world.guild_id)  # nine refused questions today
        c = Citation(1, "T", "t.md", "t.md", "quote", 0.5, 0, 5)
        here = Origin(1, standin.world.guild_id, 6)
        bot.store.add("aa" + "0" * 30, here, Answer("Q?", "q [1]", False, [c]))
        bot.store.vote("aa" + "0" * 30, 2, -1, standin.world.guild_id)
        message = await bot.get_cog("Digest").post_digest()
        posted = standin.messages[message.id]
        assert posted.channel_id == mod_log
        assert [a["filename"] for a in posted.data["attachments"]] == ["digest.png"]
        embed = posted.embeds[0]
        assert embed["image"]["url"] == "attachment://digest.png"
        assert embed["description"].startswith(
            "**10** questions asked, **1** answered, **9** refused; **1** answers voted 👎"
        )
        top = embed["fields"][0]["value"]
        assert top.startswith("**1.** asked 3× by 2 members") and "Secret other guild" not in top
        assert [f"**{n}.**" in top for n in range(1, 7)] == [True] * 5 + [False]
        assert "77001" not in posted.text()
