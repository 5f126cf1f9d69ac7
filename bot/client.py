"""PolicyBot: the discord.py bot, given its services, loading one extension per feature."""

from __future__ import annotations

import logging
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.errors import report_interaction_error
from bot.refreshing import Refresher
from bot.settings import BotSettings
from bot.store import AnswerStore
from bot.throttle import Throttle
from index.service import KnowledgeBase

log = logging.getLogger(__name__)

EXTENSIONS = (
    "bot.exts.ask",
    "bot.exts.feedback",
    "bot.exts.library",
    "bot.exts.refresh",
    "bot.exts.sources",
)


class PolicyTree(app_commands.CommandTree):
    """The slash-command tree; every command's error goes to the one central handler."""

    async def on_error(
        self, interaction: discord.Interaction, error: app_commands.AppCommandError
    ) -> None:
        await report_interaction_error(interaction, error)


def intents_for(config: BotSettings) -> discord.Intents:
    """Guilds and messages; message content only to answer thread follow-ups unmentioned."""
    intents = discord.Intents.default()
    intents.message_content = config.follow_ups_without_mention
    intents.typing = False
    intents.presences = False
    intents.members = False
    return intents


class PolicyBot(commands.AutoShardedBot):
    """Answers policy questions on Discord from the knowledge base it is given."""

    def __init__(
        self,
        kb: KnowledgeBase,
        config: BotSettings,
        store: AnswerStore,
        *,
        sync_dev_guild: bool = True,
        **options: Any,
    ) -> None:
        options.setdefault("intents", intents_for(config))
        if config.shard_count is not None:
            options.setdefault("shard_count", config.shard_count)
            options.setdefault("shard_ids", config.shard_ids)
        super().__init__(
            command_prefix=(),  # slash commands and mentions only: no text commands
            help_command=None,
            allowed_mentions=discord.AllowedMentions.none(),
            tree_cls=PolicyTree,
            **options,
        )
        self.kb = kb
        self.config = config
        self.store = store
        self.refresher = Refresher(kb)  # shared by /refresh, /source and the schedule
        self.throttle = Throttle(
            config.cooldown_rate, config.cooldown_seconds, config.max_in_flight, config.max_queued
        )
        self.sync_dev_guild = sync_dev_guild

    async def setup_hook(self) -> None:
        await self.store.ainit()
        for name in EXTENSIONS:
            await self.load_extension(name)
        if self.sync_dev_guild and self.config.dev_guild_id:
            synced = await self.sync_commands(self.config.dev_guild_id)
            log.info("synced %d commands to guild %s", len(synced), self.config.dev_guild_id)

    async def sync_commands(self, guild_id: int | None) -> list[app_commands.AppCommand]:
        """Register the slash commands with Discord: in one guild (instant) or globally."""
        if guild_id is None:
            return await self.tree.sync()
        guild = discord.Object(guild_id)
        self.tree.copy_global_to(guild=guild)
        return await self.tree.sync(guild=guild)

    def is_moderator(self, member: discord.abc.User, permissions: discord.Permissions) -> bool:
        """Manage Server (in `permissions`) or one of MODERATOR_ROLE_IDS."""
        if permissions.manage_guild:
            return True
        if not isinstance(member, discord.Member):
            return False
        return any(member.get_role(rid) for rid in self.config.moderator_role_ids)
