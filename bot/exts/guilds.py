"""ALLOWED_GUILD_IDS: the bot serves only the listed guilds and leaves any other, whether it
is invited to one later or finds itself in one at start-up (Discord bots are public by
default, so anyone can invite it)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord
from discord.ext import commands

if TYPE_CHECKING:
    from bot.client import PolicyBot

log = logging.getLogger(__name__)


class Guilds(commands.Cog):
    def __init__(self, bot: PolicyBot) -> None:
        self.bot = bot

    async def leave_unless_allowed(self, guild: discord.Guild, when: str) -> None:
        if self.bot.config.serves(guild.id):
            return
        log.warning(
            "leaving guild %s (%s) %s: it is not in ALLOWED_GUILD_IDS", guild.id, guild.name, when
        )
        try:
            await guild.leave()
        except discord.HTTPException:
            log.warning("could not leave guild %s", guild.id, exc_info=True)

    @commands.Cog.listener()
    async def on_guild_join(self, guild: discord.Guild) -> None:
        await self.leave_unless_allowed(guild, "on joining")

    @commands.Cog.listener()
    async def on_guild_available(self, guild: discord.Guild) -> None:
        """Fired for every guild the bot is already in when it connects."""
        await self.leave_unless_allowed(guild, "at start-up")


async def setup(bot: PolicyBot) -> None:
    if bot.config.allowed_guild_ids:
        await bot.add_cog(Guilds(bot))
