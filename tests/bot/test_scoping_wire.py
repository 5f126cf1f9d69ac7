"""Guild scoping on the wire: which guilds are served, and which may change the library.

The stand-in holds two guilds, A (the first) and B, with the same people: "admin" has
Manage Server in both, "moderator" has the moderator role in both."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from typing import Any

import pytest
from bot_harness import TIMEOUT, answer_id_of, answer_in, ephemeral_text
from discord_standin import DiscordStandin

from bot.checks import ELSEWHERE
from bot.store import Origin
from index.answering.types import Answer

pytestmark = pytest.mark.timeout(120)

MANAGE_GUILD = 1 << 5
QUESTION_A = "Which union is the biggest NHS union?"
QUESTION_B = "What did the unions fear about foundation hospitals?"


@pytest.fixture
async def standin() -> AsyncIterator[DiscordStandin]:
    async with DiscordStandin(guilds=2) as s:
        yield s


def ids(standin: DiscordStandin) -> tuple[int, int]:
    return standin.world.guilds[0].id, standin.world.guilds[1].id


def general(standin: DiscordStandin, guild: int) -> int:
    return standin.world.guilds[guild].channel_id("general")


async def ask_and_vote_down(standin: DiscordStandin, guild: int, question: str, user: str) -> Any:
    asked = await standin.user_message(
        question, user=user, channel=general(standin, guild), mention_bot=True
    )
    answer = await answer_in(standin, asked.id)
    aid = answer_id_of(answer)
    vote = await standin.click_button(answer, f"pb:vote:down:{aid}", user=user)
    await ephemeral_text(standin, vote, lambda t: "👎 is recorded" in t)
    return answer


async def test_moderator_commands_are_registered_for_manage_server_and_guilds_only(
    standin, start_bot
) -> None:
    async with start_bot():
        synced = {c["name"]: c for c in standin.commands[standin.world.guild_id]}
    for name in ("refresh", "source", "feedback"):
        assert int(synced[name]["default_member_permissions"]) == MANAGE_GUILD, name
        # guild only, not in DMs (a group says it the older way, dm_permission)
        assert synced[name].get("contexts") == [0] or synced[name].get("dm_permission") is False
    for name in ("ask", "sources"):  # everyone sees these
        assert synced[name]["default_member_permissions"] is None, name


async def test_a_second_guilds_admin_cannot_change_the_library(
    standin, start_bot, make_kb, site
) -> None:
    a, b = ids(standin)
    kb = make_kb()
    await kb.arefresh()
    before = sorted(p.name for p in kb.settings.sources_dir.iterdir())
    async with start_bot(
        kb=kb, allowed_guild_ids=frozenset({a, b}), moderator_guild_ids=frozenset({a})
    ):
        url = site.url("/2013/07/social-care-cap")
        add = await standin.slash_command(
            "source add", {"url": url}, user="admin", channel=general(standin, 1)
        )
        text = await ephemeral_text(standin, add, lambda t: "moderators' server" in t)
        assert text == ELSEWHERE
        refresh = await standin.slash_command("refresh", user="admin", channel=general(standin, 1))
        await ephemeral_text(standin, refresh, lambda t: "moderators' server" in t)
        remove = await standin.slash_command(
            "source remove",
            {"source": before[0]},
            user="admin",
            channel=general(standin, 1),
        )
        await ephemeral_text(standin, remove, lambda t: "moderators' server" in t)
        # B's members still get answers: B is served, it just doesn't run the library
        asked = await standin.user_message(
            QUESTION_A, user="bob", channel=general(standin, 1), mention_bot=True
        )
        assert "Unison" in (await answer_in(standin, asked.id)).content
    assert site.hits == []  # nothing was fetched
    assert sorted(p.name for p in kb.settings.sources_dir.iterdir()) == before


async def test_feedback_in_a_guild_shows_only_that_guilds_questions(standin, start_bot) -> None:
    a, b = ids(standin)
    async with start_bot(allowed_guild_ids=frozenset({a, b})):  # both run the library
        await ask_and_vote_down(standin, 0, QUESTION_A, "alice")
        await ask_and_vote_down(standin, 1, QUESTION_B, "bob")

        in_a = await standin.slash_command("feedback", user="admin")
        text_a = await ephemeral_text(standin, in_a, lambda t: "voted 👎" in t)
        assert QUESTION_A in text_a and QUESTION_B not in text_a

        in_b = await standin.slash_command("feedback", user="admin", channel=general(standin, 1))
        text_b = await ephemeral_text(standin, in_b, lambda t: "voted 👎" in t)
        assert QUESTION_B in text_b and QUESTION_A not in text_b


async def test_with_no_library_guild_nobody_changes_the_library_and_is_told_how_to_enable_it(
    standin, start_bot
) -> None:
    async with start_bot(dev_guild_id=None):
        rec = await standin.slash_command("refresh", user="admin")
        text = await ephemeral_text(standin, rec, lambda t: "turned off" in t)
        assert "MODERATOR_GUILD_IDS" in text


async def test_a_guild_not_allowed_is_left_at_start_up_and_on_join(
    standin, start_bot, caplog
) -> None:
    a, b = ids(standin)
    async with start_bot(allowed_guild_ids=frozenset({a})):
        await standin.wait_until(lambda: standin.left_guilds == [b], timeout=TIMEOUT)
        joined = await standin.join_guild()
        await standin.wait_until(lambda: standin.left_guilds == [b, joined.id], timeout=TIMEOUT)
        # the allowed guild is still served
        asked = await standin.user_message(QUESTION_A, user="bob", mention_bot=True)
        assert "Unison" in (await answer_in(standin, asked.id)).content
    leaving = [r.getMessage() for r in caplog.records if r.getMessage().startswith("leaving")]
    assert len(leaving) == 2
    assert f"guild {b}" in leaving[0] and "at start-up" in leaving[0]
    assert f"guild {joined.id}" in leaving[1] and "on joining" in leaving[1]


async def test_a_guild_not_allowed_gets_nothing_while_the_bot_is_leaving_it(
    standin, start_bot
) -> None:
    a, b = ids(standin)
    leaving = standin.hold("DELETE", "/users/@me/guilds/{guild_id}")  # Discord is slow today
    try:
        async with start_bot(allowed_guild_ids=frozenset({a})):
            await standin.wait_until(leaving.reached.is_set, timeout=TIMEOUT)
            rec = await standin.slash_command(
                "ask", {"question": QUESTION_A}, user="alice", channel=general(standin, 1)
            )
            await ephemeral_text(standin, rec, lambda t: "can't use that command here" in t)
            await standin.user_message(
                QUESTION_A, user="bob", channel=general(standin, 1), mention_bot=True
            )
            asked = await standin.user_message(QUESTION_A, user="bob", mention_bot=True)
            await answer_in(standin, asked.id)  # A's question, asked after B's, is answered
            in_b = [
                m
                for m in standin.bot_messages()
                if m.data["guild_id"] == str(b) and not m.ephemeral
            ]
            assert in_b == [] and len(standin.world.guilds[1].threads) == 1  # no thread in B
            leaving.release()
            await standin.wait_until(lambda: standin.left_guilds == [b], timeout=TIMEOUT)
    finally:
        leaving.release()


async def test_forget_works_where_the_bot_no_longer_serves(standin, start_bot) -> None:
    """A guild dropped from ALLOWED_GUILD_IDS keeps its members' questions until they
    expire; /forget (and only it) still works there and in DMs: deleting one's own data is
    not a service the guild gets."""
    a, b = ids(standin)
    leaving = standin.hold("DELETE", "/users/@me/guilds/{guild_id}")
    try:
        async with start_bot(allowed_guild_ids=frozenset({a})) as bot:
            alice = standin.world.users["alice"]
            old = Answer("Asked while B was served?", "—", True, reason="no passage is about it")
            bot.store.add("c" * 32, Origin(alice, b, general(standin, 1)), old)
            await standin.wait_until(leaving.reached.is_set, timeout=TIMEOUT)
            rec = await standin.slash_command("forget", user="alice", channel=general(standin, 1))
            text = await ephemeral_text(standin, rec, lambda t: "Deleted" in t or "can't" in t)
            assert text.startswith("🗑️ Deleted 1 question you asked")
            assert bot.store.gap_questions(every_guild=True) == []
            asked = await standin.slash_command(
                "ask", {"question": QUESTION_A}, user="alice", channel=general(standin, 1)
            )
            await ephemeral_text(standin, asked, lambda t: "can't use that command here" in t)
            leaving.release()
    finally:
        leaving.release()


OLD_SCHEMA = """
CREATE TABLE answers (
    id TEXT PRIMARY KEY, created_at TEXT NOT NULL, guild_id INTEGER, channel_id INTEGER,
    thread_id INTEGER, message_id INTEGER, user_id INTEGER NOT NULL, question TEXT NOT NULL,
    answer TEXT NOT NULL, refused INTEGER NOT NULL, mode TEXT NOT NULL, citations TEXT NOT NULL
);
CREATE TABLE votes (
    answer_id TEXT NOT NULL REFERENCES answers (id), user_id INTEGER NOT NULL,
    vote INTEGER NOT NULL CHECK (vote IN (-1, 1)), voted_at TEXT NOT NULL,
    PRIMARY KEY (answer_id, user_id)
);
"""


async def test_votes_recorded_by_an_older_bot_keep_showing_in_their_own_guild(
    standin, start_bot, tmp_path
) -> None:
    a, b = ids(standin)
    data = tmp_path / "bot-data"  # where start_bot keeps the bot's store
    data.mkdir()
    with sqlite3.connect(data / "discord.sqlite3") as db:
        db.executescript(OLD_SCHEMA)
        for aid, guild, question in (("a" * 32, a, "Old question in A?"), ("b" * 32, b, "In B?")):
            db.execute(
                "INSERT INTO answers VALUES (?, '2026-01-01T00:00:00+00:00', ?, 1, 1, 1, 7, ?, "
                "'an answer', 0, 'extractive', '[]')",
                (aid, guild, question),
            )
            db.execute("INSERT INTO votes VALUES (?, 8, -1, '2026-01-02T00:00:00+00:00')", (aid,))
    # answered in January: kept by a long enough ANSWER_RETENTION_DAYS
    async with start_bot(allowed_guild_ids=frozenset({a, b}), answer_retention_days=3650):
        rec = await standin.slash_command("feedback", user="admin")
        text = await ephemeral_text(standin, rec, lambda t: "voted 👎" in t)
        assert "Old question in A?" in text and "In B?" not in text
    with sqlite3.connect(data / "discord.sqlite3") as db:
        assert db.execute("SELECT COUNT(*) FROM answers").fetchone() == (2,)
        assert db.execute(
            "SELECT answer_id, guild_id FROM votes ORDER BY answer_id"
        ).fetchall() == [
            ("a" * 32, a),
            ("b" * 32, b),
        ]
