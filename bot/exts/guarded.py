"""Component callbacks whose errors reach the central handler like command errors do."""

from __future__ import annotations

import discord

from bot.errors import report_interaction_error


class Guarded:
    """Mix into a DynamicItem: implement `run`; any error is reported, never swallowed."""

    async def run(self, interaction: discord.Interaction) -> None:
        raise NotImplementedError

    async def callback(self, interaction: discord.Interaction) -> None:
        try:
            await self.run(interaction)
        except Exception as error:
            await report_interaction_error(interaction, error)
