"""Questions are personal data: /forget deletes everything a member asked or voted, and
ANSWER_RETENTION_DAYS deletes what is older, on start and every RETENTION_EVERY. Neither
logs who asked or what."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot import schedules

if TYPE_CHECKING:
    from bot.client import PolicyBot

log = logging.getLogger(__name__)
RETENTION_EVERY = 6 * 3600.0  # seconds: an expired question goes within a quarter of a day


class Privacy(commands.Cog):
    """/forget, and the retention schedule."""

    def __init__(self, bot: PolicyBot) -> None:
        self.bot = bot
        self._retention: asyncio.Task[None] | None = None

    async def cog_load(self) -> None:
        self._retention = schedules.start(self._expire_every(), "answer-retention")

    async def cog_unload(self) -> None:
        await schedules.stop(self._retention)

    async def _expire_every(self) -> None:
        days = self.bot.config.answer_retention_days
        while True:
            try:
                gone = await asyncio.to_thread(self.bot.store.expire, days)
                if gone.questions:
                    log.info(
                        "retention: deleted %d questions older than %d days", gone.questions, days
                    )
            except Exception:
                log.exception("deleting expired questions failed; trying again later")
            await asyncio.sleep(RETENTION_EVERY)

    @app_commands.command(
        name="forget",
        description="Delete every question you asked me and every vote you cast",
        extras={"anywhere": True},  # also where the bot no longer serves (bot/client.py)
    )
    async def forget(self, interaction: discord.Interaction) -> None:
        """Everything of the member's, in every guild and DM: questions, the answers to
        them, their place in gaps, and their votes."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        gone = await asyncio.to_thread(self.bot.store.forget_user, interaction.user.id)
        log.info("a member deleted their data: %d questions, %d votes", gone.questions, gone.votes)
        questions = f"{gone.questions} question" + ("s" if gone.questions != 1 else "")
        votes = f"{gone.votes} vote" + ("s" if gone.votes != 1 else "")
        await interaction.followup.send(
            f"🗑️ Deleted {questions} you asked (with my answers to them) and {votes} you cast. "
            "Moderators no longer see them in any count. Messages already posted stay where "
            "they are: delete your own as usual.",
            ephemeral=True,
        )


async def setup(bot: PolicyBot) -> None:
    await bot.add_cog(Privacy(bot))
