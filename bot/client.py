"""PolicyBot: the discord.py bot, given its services, loading one extension per feature."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.errors import report_interaction_error
from bot.health import HealthServer
from bot.refreshing import Refresher
from bot.replying import reply_where_asked
from bot.settings import BotSettings
from bot.store import AnswerStore
from bot.throttle import Throttle
from bot.workers import Workers
from index.service import KnowledgeBase

log = logging.getLogger(__name__)

EXTENSIONS = (
    "bot.exts.ask",
    "bot.exts.digest",
    "bot.exts.feedback",
    "bot.exts.gaps",
    "bot.exts.guilds",
    "bot.exts.library",
    "bot.exts.privacy",
    "bot.exts.refresh",
    "bot.exts.sources",
)


class PolicyTree(app_commands.CommandTree):
    """The slash-command tree; every command's error goes to the one central handler."""

    async def on_error(
        self, interaction: discord.Interaction, error: app_commands.AppCommandError
    ) -> None:
        await report_interaction_error(interaction, error)

    async def interaction_check(self, interaction: discord.Interaction, /) -> bool:
        """Nothing for guilds outside ALLOWED_GUILD_IDS (in the moment before it leaves) or,
        then, for DMs, except the commands marked `extras={"anywhere": True}` (/forget: a
        member deletes their own data wherever they can reach the bot)."""
        bot = interaction.client
        command = interaction.command
        if command is not None and command.extras.get("anywhere"):
            return True
        if isinstance(bot, PolicyBot) and not bot.config.serves(interaction.guild_id):
            raise app_commands.CheckFailure("this server is not served")
        return True


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
        # shared by /refresh, /source and the schedule
        self.refresher = Refresher(kb, store, after=self._after_refresh)
        self.throttle = Throttle(
            config.cooldown_rate, config.cooldown_seconds, config.max_in_flight, config.max_queued
        )
        self.sync_dev_guild = sync_dev_guild
        # knowledge-base work for answers: at most max_in_flight calls, even timed-out ones
        self.workers = Workers(config.max_in_flight)
        self.draining = False  # set on SIGTERM/SIGINT: no new questions
        self._answer_scopes: set[asyncio.Timeout] = set()
        self._cutting_short = False  # shutdown's deadline has passed
        self._index_check: asyncio.Task[bool] | None = None
        self.health = (
            HealthServer(self.health_problem, config.health_host, config.health_port)
            if config.health_port is not None
            else None
        )

    async def start(self, token: str, *, reconnect: bool = True) -> None:
        """The health endpoint first, so that probes see 503 until the bot is ready."""
        if self.health is not None:
            await self.health.start()
        await super().start(token, reconnect=reconnect)

    async def close(self) -> None:
        if self.health is not None:
            await self.health.stop()
        await super().close()
        self.workers.shutdown(wait=False, cancel_futures=True)

    # -- health --------------------------------------------------------------------------
    def gateway_connected(self) -> bool:
        return (
            self.is_ready()
            and not self.is_closed()
            and all(not shard.is_closed() for shard in self.shards.values())
        )

    async def health_problem(self) -> str | None:
        """None when the gateway is connected and the index is loaded; else what is wrong."""
        if self.draining or self.is_closed():
            return "shutting down"
        if not self.gateway_connected():
            return "not connected to the Discord gateway"
        if self._index_check is None or self._index_check.done():
            # one check at a time: probes against a hung store don't pile up threads
            self._index_check = asyncio.create_task(asyncio.to_thread(self.kb.has_index))
        try:
            async with asyncio.timeout(5.0):
                loaded = await asyncio.shield(self._index_check)
        except TimeoutError:
            return "the index store is not answering"
        except Exception as error:
            return f"the index store is unavailable ({type(error).__name__})"
        return None if loaded else "no index loaded (run policybot index or /refresh)"

    # -- shutting down -------------------------------------------------------------------
    @contextlib.asynccontextmanager
    async def answer_scope(self) -> AsyncIterator[None]:
        """Wraps the work on one answer; when shutdown's deadline passes, it raises
        TimeoutError inside, so the answer ends with an apology instead of silence."""
        async with asyncio.timeout(None) as scope:
            if self._cutting_short:  # it arrived after the deadline: no time left at all
                scope.reschedule(asyncio.get_running_loop().time())
            self._answer_scopes.add(scope)
            try:
                yield
            finally:
                self._answer_scopes.discard(scope)

    async def shutdown(self, grace: float | None = None) -> None:
        """Stop taking questions, give those in flight `grace` seconds to be delivered,
        cut the rest short with an apology, then close the gateway."""
        if self.draining:
            return
        self.draining = True
        grace = self.config.shutdown_grace if grace is None else grace
        log.info("shutting down: %d questions in flight", self.throttle.admitted)
        if not await self._settled(grace):
            log.warning(
                "shutting down: cutting %d unfinished answers short", len(self._answer_scopes)
            )
            self._cutting_short = True
            now = asyncio.get_running_loop().time()
            for scope in list(self._answer_scopes):
                scope.reschedule(now)
            await self._settled(5.0)  # time to send the apologies
        await self.close()
        log.info("shut down cleanly")

    async def _settled(self, seconds: float) -> bool:
        """Whether every admitted question was finished within `seconds`."""
        try:
            async with asyncio.timeout(seconds):
                await self.throttle.idle.wait()
        except TimeoutError:
            return False
        return True

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

    async def _after_refresh(self) -> None:
        """A refresh answered open questions: reply where they were asked, when set to."""
        if self.config.reply_when_answered:
            await reply_where_asked(self, self.store, self.config, self.kb, self.workers)

    def is_moderator(self, member: discord.abc.User, permissions: discord.Permissions) -> bool:
        """Manage Server (in `permissions`) or one of MODERATOR_ROLE_IDS."""
        if permissions.manage_guild:
            return True
        if not isinstance(member, discord.Member):
            return False
        return any(member.get_role(rid) for rid in self.config.moderator_role_ids)
