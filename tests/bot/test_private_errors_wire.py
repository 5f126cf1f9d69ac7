"""Errors after a public "thinking…" are private: on Discord the first follow-up after a
deferral takes the deferral's place and visibility, so an error sent as an ephemeral
follow-up would be shown to everyone. The bot deletes the thinking message first."""

from __future__ import annotations

import pytest
from bot_harness import FlakyKB, Gate, GatedKB, ephemeral_text
from discord_standin import DiscordStandin, InteractionRecord
from discord_standin.permissions import CREATE_PUBLIC_THREADS

from bot.errors import UNAVAILABLE, UNEXPECTED

pytestmark = pytest.mark.timeout(120)

QUESTION = "Which union is the biggest NHS union?"


async def private_only(standin: DiscordStandin, rec: InteractionRecord, text: str) -> str:
    """The ephemeral message holding `text`; nobody else sees `text` or a thinking message."""
    shown = await ephemeral_text(standin, rec, lambda t: text in t)
    assert rec.response_type == 5  # it had deferred publicly ("thinking…")
    public = [
        m
        for m in standin.bot_messages()
        if not m.deleted and not m.ephemeral and (text in m.text() or m.loading)
    ]
    assert public == []
    return shown


@pytest.mark.parametrize("failure", ["unexpected", "store down", "too slow"])
async def test_an_ask_in_a_thread_that_fails_tells_only_the_asker(
    standin, start_bot, seed_kb, failure
) -> None:
    gate = Gate()
    kb: GatedKB = {
        "unexpected": GatedKB(seed_kb, fail_with=RuntimeError("chroma exploded")),
        "store down": FlakyKB(seed_kb),
        "too slow": GatedKB(seed_kb, answer_gate=gate),
    }[failure]
    if isinstance(kb, FlakyKB):
        kb.down = True
    expected = {"unexpected": UNEXPECTED, "store down": UNAVAILABLE}.get(failure, "took too long")
    try:
        async with start_bot(kb=kb, answer_timeout=1.0):
            rec = await standin.slash_command(
                "ask", {"question": QUESTION}, user="alice", channel="ongoing-discussion"
            )
            await private_only(standin, rec, expected)
    finally:
        gate.release.set()


async def test_an_ask_where_no_thread_can_be_made_fails_privately(
    standin, start_bot, seed_kb
) -> None:
    world = standin.world
    no_threads = world.add_channel(
        "no-threads",
        overwrites=[
            {"id": str(world.guild_id), "type": 0, "allow": "0",
             "deny": str(CREATE_PUBLIC_THREADS)},
        ],
    )  # fmt: skip
    kb = GatedKB(seed_kb, fail_with=RuntimeError("chroma exploded"))
    async with start_bot(kb=kb):
        rec = await standin.slash_command(
            "ask", {"question": QUESTION}, user="alice", channel=no_threads
        )
        await private_only(standin, rec, UNEXPECTED)
        assert len(world.guild.threads) == 1  # only the pre-existing one: none was made


async def test_a_source_add_refusal_is_private(standin, start_bot, make_kb, site) -> None:
    kb = make_kb()
    await kb.arefresh()
    async with start_bot(kb=kb):
        rec = await standin.slash_command(
            "source add", {"url": site.url("/no-such-article")}, user="moderator"
        )
        text = await private_only(standin, rec, "Couldn't add that page")
        assert "404" in text
