"""👍 / 👎 and "Show full passages" under each answer, and /feedback for moderators."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, cast

import discord
from discord import app_commands
from discord.ext import commands

from bot.checks import moderators_only
from bot.delivery import NO_PINGS
from bot.errors import BotError
from bot.exts.guarded import Guarded
from bot.operator_log import log_moderator_action
from bot.render import Part, render_passages
from bot.render_admin import feedback_parts

if TYPE_CHECKING:
    from bot.client import PolicyBot

ANSWER_ID = r"(?P<answer_id>[0-9a-f]{32})"
VOTES = {"up": 1, "down": -1}
VOTE_EMOJI = {1: "👍", -1: "👎"}


def _bot(interaction: discord.Interaction) -> PolicyBot:
    return cast("PolicyBot", interaction.client)


class VoteButton(
    Guarded,
    discord.ui.DynamicItem[discord.ui.Button],
    template=rf"pb:vote:(?P<vote>up|down):{ANSWER_ID}",
):
    """👍 or 👎 on an answer: one vote per user per answer, changeable."""

    def __init__(self, vote: str, answer_id: str) -> None:
        super().__init__(
            discord.ui.Button(
                style=discord.ButtonStyle.secondary,
                emoji=VOTE_EMOJI[VOTES[vote]],
                label="Helpful" if vote == "up" else "Not helpful",
                custom_id=f"pb:vote:{vote}:{answer_id}",
            )
        )
        self.vote = VOTES[vote]
        self.answer_id = answer_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> VoteButton:
        return cls(match["vote"], match["answer_id"])

    async def run(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        try:
            before = await _bot(interaction).store.avote(
                self.answer_id, interaction.user.id, self.vote, interaction.guild_id
            )
        except KeyError:
            raise BotError("That answer is no longer on record, so I can't store a vote.") from None
        emoji = VOTE_EMOJI[self.vote]
        if before == self.vote:
            text = f"You had already voted {emoji} on this answer."
        elif before is None:
            text = f"Thanks, your {emoji} is recorded. You can change it at any time."
        else:
            text = f"You changed your vote to {emoji}."
        await interaction.followup.send(text, ephemeral=True)


class PassagesButton(
    Guarded, discord.ui.DynamicItem[discord.ui.Button], template=rf"pb:passages:{ANSWER_ID}"
):
    """Shows (to the clicker only) the whole retrieved passage behind each citation."""

    def __init__(self, answer_id: str) -> None:
        super().__init__(
            discord.ui.Button(
                style=discord.ButtonStyle.primary,
                label="Show full passages",
                custom_id=f"pb:passages:{answer_id}",
            )
        )
        self.answer_id = answer_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> PassagesButton:
        return cls(match["answer_id"])

    async def run(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        citations = await _bot(interaction).store.acitations(self.answer_id)
        if citations is None:
            raise BotError("That answer is no longer on record, so I can't show its passages.")
        await send_parts(interaction, render_passages(citations))


async def send_parts(interaction: discord.Interaction, parts: list[Part]) -> None:
    """Ephemeral follow-ups, one per part (after a deferral)."""
    for part in parts:
        await interaction.followup.send(
            content=part.content or discord.utils.MISSING,
            embeds=part.embeds,
            ephemeral=True,
            allowed_mentions=NO_PINGS,
        )


def answer_view(answer_id: str, *, with_passages: bool) -> discord.ui.View:
    """The buttons under an answer; they keep working after a restart (dynamic items)."""
    view = discord.ui.View(timeout=None)
    view.add_item(VoteButton("up", answer_id))
    view.add_item(VoteButton("down", answer_id))
    if with_passages:
        view.add_item(PassagesButton(answer_id))
    return view


class Feedback(commands.Cog):
    """/feedback: recent 👎 answers, so that gaps in the sources can be found."""

    def __init__(self, bot: PolicyBot) -> None:
        self.bot = bot

    @app_commands.command(name="feedback", description="Recent answers voted 👎 (moderators)")
    @app_commands.describe(count="How many answers to show (1-25, default 10)")
    @app_commands.guild_only()
    @app_commands.default_permissions(manage_guild=True)  # hidden from members by default
    @app_commands.check(moderators_only)
    async def feedback(
        self, interaction: discord.Interaction, count: app_commands.Range[int, 1, 25] = 10
    ) -> None:
        """Only this guild's answers and votes: other communities' questions stay theirs."""
        log_moderator_action(interaction, "/feedback")
        await interaction.response.defer(ephemeral=True, thinking=True)
        items = await self.bot.store.arecent_downvoted(count, interaction.guild_id)
        await send_parts(interaction, feedback_parts(items))


async def setup(bot: PolicyBot) -> None:
    bot.add_dynamic_items(VoteButton, PassagesButton)
    await bot.add_cog(Feedback(bot))


async def teardown(bot: PolicyBot) -> None:
    bot.remove_dynamic_items(VoteButton, PassagesButton)
