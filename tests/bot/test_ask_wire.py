"""Asking on the wire: /ask, mentions, thread follow-ups, refusals and hostile text."""

from __future__ import annotations

import time

import pytest
from bot_harness import (
    TIMEOUT,
    Gate,
    GatedKB,
    StreamingKB,
    answer_in,
    custom_ids,
    ephemeral_text,
    eventually,
    pings,
)

from bot.render import source_title
from index.answering.types import Turn
from tests.index.fake_openai import FakeOpenAI, Reply, Request

pytestmark = pytest.mark.timeout(120)

UNION_Q = "Which union is the biggest NHS union?"
FOLLOW_UP = "and what did Hewitt say back?"


async def test_slash_ask_defers_then_answers_in_a_thread_and_follow_ups_use_its_context(
    standin, start_bot, seed_kb
) -> None:
    async with start_bot():
        synced = {c["name"] for c in standin.commands[standin.world.guild_id]}
        assert synced == {"ask", "sources", "refresh", "feedback", "source", "gaps", "forget"}
        assert standin.commands[None] == []  # no global sync on start

        rec = await standin.slash_command("ask", {"question": UNION_Q}, user="alice")
        header = await standin.wait_for_response(rec, timeout=TIMEOUT)
        assert rec.response_type == 5  # deferred ("thinking…") before anything else
        assert UNION_Q in header.content and "Alice" in header.content
        answer = await answer_in(standin, header.id)  # in a thread started from the question
        assert standin.world.find_channel(header.id)[1]["name"] == UNION_Q
        assert "Unison, the biggest NHS union" in answer.content
        assert "[1]" in answer.content
        first = answer.embeds[0]
        assert first["title"].startswith("[1] ")
        # The answer's text quotes the sources; their embeds say where from, not it again.
        assert not first.get("description") and first["footer"]["text"].endswith(".md")
        assert {"pb:vote:up", "pb:vote:down", "pb:passages"} <= {
            c.rsplit(":", 1)[0] for c in custom_ids(answer)
        }

        # A follow-up in the thread, without a mention, is answered with the thread's context.
        await standin.user_message(FOLLOW_UP, user="alice", channel=header.id)
        follow = await answer_in(standin, header.id, after=answer.id)
        first_answer = await seed_kb.answer(UNION_Q)
        with_context = await seed_kb.answer(FOLLOW_UP, [Turn(UNION_Q, first_answer.answer)])
        without_context = await seed_kb.answer(FOLLOW_UP)
        assert [c.quote for c in with_context.citations] != [
            c.quote for c in without_context.citations
        ]  # the context changes the answer, so the check below means something
        assert [e["title"] for e in follow.embeds] == [
            source_title(line.citation, line.markers) for line in with_context.source_lines()
        ]
        assert "Hewitt" in follow.content
        # … and it quotes what the answer with the context quotes, not the one without it
        assert " ".join(with_context.citations[0].quote.split()[:8]) in " ".join(
            follow.content.split()
        )
        assert " ".join(without_context.citations[0].quote.split()[:8]) not in " ".join(
            follow.content.split()
        )

        # /ask inside the thread answers right there, as the command's response
        rec = await standin.slash_command(
            "ask", {"question": "What did Dave Prentis say?"}, user="bob", channel=header.id
        )
        in_thread = await standin.wait_for_response(rec, timeout=TIMEOUT)
        assert in_thread.channel_id == header.id and in_thread.embeds
        assert "Prentis" in in_thread.text() and "pb:passages" in " ".join(custom_ids(in_thread))
        assert not any(pings(m) for m in standin.bot_messages())


async def test_mention_answers_in_a_thread_from_the_message_and_other_bots_are_ignored(
    standin, start_bot
) -> None:
    async with start_bot():
        ignored = await standin.user_message(UNION_Q, user="otherbot", mention_bot=True)
        asked = await standin.user_message(UNION_Q, user="bob", mention_bot=True)
        answer = await answer_in(standin, asked.id)  # the thread has the message's id
        assert "Unison, the biggest NHS union" in answer.content
        assert answer.embeds and answer.embeds[0]["title"].startswith("[1] ")
        # the bot's answer came after the other bot's message: had it been answered, it
        # would have been first (a thread from that message, or a reply to it)
        assert ignored.id not in {c for g in standin.world.guilds for c in g.threads}
        assert not [
            m
            for m in standin.bot_messages()
            if str((m.data.get("message_reference") or {}).get("message_id")) == str(ignored.id)
        ]

        # A mention inside an existing thread is answered there, as a reply.
        await standin.user_message(
            "What did the unions fear about foundation hospitals?",
            user="bob",
            channel="ongoing-discussion",
            mention_bot=True,
        )
        reply = await answer_in(standin, standin.world.channels["ongoing-discussion"])
        assert "two-tier" in reply.content
        assert (
            int(reply.data["message_reference"]["channel_id"])
            == (standin.world.channels["ongoing-discussion"])
        )


async def test_other_mentions_in_a_question_are_not_part_of_it(standin, start_bot) -> None:
    """Someone else's mention, @everyone or a custom emoji beside the question: the same
    answer as the bare question (left in, their digits and names made it a refusal)."""
    alice = standin.world.users["alice"]
    question = "What did Hewitt say?"
    async with start_bot():
        plain = await standin.user_message(question, user="moderator", mention_bot=True)
        expected = await answer_in(standin, plain.id)
        assert "[1]" in expected.content and "don't cover" not in expected.content
        marked = await standin.user_message(
            f"<@{alice}> @everyone {question} <:thinking:123456789012345678>",
            user="bob",
            mention_bot=True,
        )
        got = await answer_in(standin, marked.id)
        assert got.content == expected.content
        assert not [m for m in standin.bot_messages() if pings(m)]


async def test_over_long_and_empty_questions_are_refused_with_a_message(
    standin, start_bot, seed_kb
) -> None:
    async with start_bot():
        limit = seed_kb.settings.max_question_chars
        rec = await standin.slash_command("ask", {"question": "why " * limit}, user="alice")
        text = await ephemeral_text(standin, rec, lambda t: "too long" in t)
        assert str(limit) in text
        assert rec.response_type == 4  # refused at once, no "thinking…"

        asked = await standin.user_message("   ", user="bob", mention_bot=True)
        reply = await standin.wait_for_message(
            lambda m: (
                str((m.data.get("message_reference") or {}).get("message_id")) == str(asked.id)
            ),
            timeout=TIMEOUT,
        )
        assert "empty" in reply.content
        assert len(standin.world.guild.threads) == 1  # only the pre-existing thread


async def test_in_flight_limit_queues_then_says_busy_and_cooldown_says_slow_down(
    standin, start_bot, seed_kb
) -> None:
    gate = Gate()
    kb = GatedKB(seed_kb, answer_gate=gate)
    settings = {"cooldown_rate": 1, "cooldown_seconds": 600, "max_in_flight": 1, "max_queued": 1}
    async with start_bot(kb=kb, **settings) as bot:
        held = await standin.slash_command("ask", {"question": UNION_Q}, user="alice")
        await gate.until_entered()  # alice's answer is being worked on, held there
        queued = await standin.slash_command("ask", {"question": UNION_Q}, user="bob")
        await standin.wait_until(lambda: queued.response_type == 5)  # thinking, in the queue
        busy = await standin.slash_command("ask", {"question": UNION_Q}, user="admin")
        await ephemeral_text(standin, busy, lambda t: "busy" in t)
        assert busy.response_type == 4

        gate.release.set()
        for rec in (held, queued):
            header = await standin.wait_for_response(rec, timeout=TIMEOUT)
            assert "Unison" in (await answer_in(standin, header.id)).content
        await eventually(lambda: bot.throttle.admitted == 0, "the answers to finish")

        again = await standin.slash_command("ask", {"question": UNION_Q}, user="alice")
        text = await ephemeral_text(standin, again, lambda t: "Slow down" in t)
        assert "Try again in" in text
        # admin's "busy" did not count against the cooldown: they can ask now
        ok = await standin.slash_command("ask", {"question": UNION_Q}, user="admin")
        header = await standin.wait_for_response(ok, timeout=TIMEOUT)
        await answer_in(standin, header.id)


async def test_hostile_question_and_source_ping_no_one_and_keep_their_markdown_inert(
    standin, start_bot, make_kb
) -> None:
    role = standin.world.roles["moderator"]
    bob = standin.world.users["bob"]
    kb = make_kb(seed=False)
    # The file's own Markdown is read away (index/ingest/markup.py): its text shows `**`
    # and `[…](…)` only where the Markdown escapes them, and that text must stay inert.
    (kb.settings.sources_dir / "hostile.md").write_text(
        "---\ntitle: Rota **policy** @everyone\nurl: https://example.org/rota\n---\n\n"
        f"The rota policy says @everyone and <@&{role}> and <@{bob}> must read \\*\\*this\\*\\* "
        "\\[click here\\](https://evil.example) and `rm -rf` now.\n\n"
        "# Heading that is not one\n\nSecond paragraph about the rota policy.\n",
        encoding="utf-8",
    )
    await kb.arefresh()
    async with start_bot(kb=kb):
        question = f"@everyone <@&{role}> what does the rota policy say all must read?"
        rec = await standin.slash_command("ask", {"question": question}, user="alice")
        header = await standin.wait_for_response(rec, timeout=TIMEOUT)
        answer = await answer_in(standin, header.id)
        assert "\\*\\*this\\*\\*" in answer.content and "**this**" not in answer.content
        assert "\\[click here\\]" in answer.content
        assert "\\<@&" in answer.content
        embed = answer.embeds[0]
        assert embed["url"] == "https://example.org/rota"  # the title links to the source
        assert "\\*\\*policy\\*\\*" in embed["title"]
        assert "@\u200beveryone" in answer.content
        assert not [m for m in standin.bot_messages() if pings(m)]


async def test_streamed_answers_show_drafts_at_a_rate_discord_accepts(
    standin, start_bot, seed_kb
) -> None:
    kb = StreamingKB(seed_kb, pieces=12, delay=0.25)  # ~3 s of streaming
    async with start_bot(kb=kb):
        started = time.monotonic()
        asked = await standin.user_message(UNION_Q, user="alice", mention_bot=True)
        answer = await answer_in(standin, asked.id)
        elapsed = time.monotonic() - started
    assert "Unison, the biggest NHS union" in answer.content and answer.embeds
    drafts = [h for h in answer.history if h["content"].endswith("▌")]
    assert drafts, "the draft was never shown"
    edits = [
        r for r in standin.requests if r.method == "PATCH" and r.path.endswith(f"/{answer.id}")
    ]
    # 12 pieces: at most one draft edit per 1.5 s, plus the final edit
    assert 1 <= len(edits) <= elapsed / 1.5 + 1


async def test_a_models_citation_marker_never_becomes_a_link(standin, start_bot, make_kb) -> None:
    """A model (or a source steering it) writing `[1](https://…)`: the sentence is checked
    and kept, but its marker must not turn into a masked link to an address nobody chose."""
    sentence = (
        "The unions fear plans for so-called foundation hospitals will create a two-tier "
        "health service"
    )
    link = "https://foundation-hospitals.health/two-tier"  # the passage's words: it passes

    def reply(body: dict) -> Reply:
        n = next(int(p["n"]) for p in Request(body, {}).passages() if "two-tier" in p["text"])
        return Reply(f"{sentence} [{n}]({link}).")

    fake = FakeOpenAI().start()
    fake.reply(reply)
    try:
        kb = make_kb(llm_provider="openai", llm_base_url=fake.base_url, llm_model="m")
        await kb.arefresh()
        async with start_bot(kb=kb):
            asked = await standin.user_message(
                "What did the unions fear about foundation hospitals?", user="bob", mention_bot=True
            )
            answer = await answer_in(standin, asked.id)
    finally:
        fake.stop()
    assert answer.content.startswith(sentence)  # the model's checked answer is what is shown
    assert f"]({link}" not in answer.content  # "[1](…)" would render as a link
    assert link not in answer.content and "[1]" in answer.content  # the address isn't a source's
