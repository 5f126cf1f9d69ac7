"""Slash-command checks: who may change the shared library, and from which guilds.

The library is shared by every guild the bot serves, so changing it (and reading what
people voted down) is limited twice: to the guilds in MODERATOR_GUILD_IDS (by default
ALLOWED_GUILD_IDS, else DEV_GUILD_ID), and there to members with Manage Server or a role
in MODERATOR_ROLE_IDS. A server that merely invited the bot can't touch it."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

import discord

from bot.errors import NotLibraryGuild, NotModerator

if TYPE_CHECKING:
    from bot.client import PolicyBot

TURNED_OFF = (
    "Changing the library from Discord is turned off. The bot's operator can turn it on "
    "for a server by listing its id in MODERATOR_GUILD_IDS (or ALLOWED_GUILD_IDS or "
    "DEV_GUILD_ID); `policybot add` and `policybot remove` work meanwhile."
)
ELSEWHERE = "The library can only be changed from the moderators' server, not from this one."


def library_refusal(bot: PolicyBot, guild_id: int | None) -> str | None:
    """Why the library can't be changed from `guild_id`, or None if it can."""
    guilds = bot.config.library_guild_ids
    if not guilds:
        return TURNED_OFF
    if guild_id not in guilds:
        return ELSEWHERE
    return None


def may_change_library(bot: PolicyBot, interaction: discord.Interaction) -> bool:
    """The same test as `moderators_only`, without raising (for autocomplete)."""
    return library_refusal(bot, interaction.guild_id) is None and bot.is_moderator(
        interaction.user, interaction.permissions
    )


async def moderators_only(interaction: discord.Interaction) -> bool:
    """Pass moderators of a library guild; refuse everyone else, saying why."""
    bot = cast("PolicyBot", interaction.client)
    if (why := library_refusal(bot, interaction.guild_id)) is not None:
        raise NotLibraryGuild(why)
    if not bot.is_moderator(interaction.user, interaction.permissions):
        raise NotModerator("not a moderator")
    return True
