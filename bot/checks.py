"""Slash-command checks."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

import discord

from bot.errors import NotModerator

if TYPE_CHECKING:
    from bot.client import PolicyBot


async def moderators_only(interaction: discord.Interaction) -> bool:
    """Pass members with Manage Server or a MODERATOR_ROLE_IDS role; refuse everyone else."""
    bot = cast("PolicyBot", interaction.client)
    if not bot.is_moderator(interaction.user, interaction.permissions):
        raise NotModerator("not a moderator")
    return True
