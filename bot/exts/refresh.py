"""/refresh (moderators): re-read the sources folder, showing progress, then the diff; and
the scheduled refresh (REFRESH_INTERVAL), which posts its diff to MODERATOR_CHANNEL_ID.
Either report counts the open questions the refresh answered, never lists them: only the
moderator who ran /refresh is shown which (bot/refreshing.py), and /gaps shows them."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot import schedules
from bot.checks import moderators_only
from bot.delivery import NO_PINGS
from bot.operator_log import log_moderator_action, log_refresh
from bot.refreshing import changed
from bot.render_admin import refresh_report
from index.errors import PolicybotError, RefreshInProgress

if TYPE_CHECKING:
    from bot.client import PolicyBot

log = logging.getLogger(__name__)
SCHEDULED = "the scheduled refresh"


class Refresh(commands.Cog):
    """One refresh at a time; questions keep being answered while it runs."""

    def __init__(self, bot: PolicyBot) -> None:
        self.bot = bot
        self._schedule: asyncio.Task[None] | None = None
        self._skipped: frozenset[tuple[str, str]] = frozenset()  # as of the last scheduled run

    async def cog_load(self) -> None:
        seconds = self.bot.config.refresh_interval
        if seconds <= 0:
            return
        if not self.bot.config.moderator_channel_id:
            log.warning(
                "REFRESH_INTERVAL is set but MODERATOR_CHANNEL_ID is not: "
                "scheduled refreshes report to the log only"
            )
        self._schedule = schedules.start(self._every(seconds), "scheduled-refresh")

    async def cog_unload(self) -> None:
        await schedules.stop(self._schedule)
        self._schedule = None
        self.bot.refresher.cancel()

    @app_commands.command(
        name="refresh", description="Update the index from the sources folder (moderators)"
    )
    @app_commands.guild_only()
    @app_commands.default_permissions(manage_guild=True)  # hidden from members by default
    @app_commands.check(moderators_only)
    async def refresh(self, interaction: discord.Interaction) -> None:
        log_moderator_action(interaction, "/refresh")
        with self.bot.refresher.claim(interaction.user.display_name):
            await interaction.response.defer(thinking=True)
            await self.bot.refresher.run_shown(interaction)

    # -- the schedule ----------------------------------------------------------------
    async def _every(self, seconds: float) -> None:
        await self.bot.wait_until_ready()
        log.info("refreshing the index every %g s", seconds)
        while True:
            await asyncio.sleep(seconds)
            try:
                await self.scheduled_refresh()
            except PolicybotError as error:  # e.g. the store is away: try again next time
                log.warning("the scheduled refresh failed: %s", error)
            except Exception:
                log.exception("the scheduled refresh failed")

    async def scheduled_refresh(self) -> Any:
        """One scheduled run: the report, or None when another refresh was running. Posts
        the diff to the moderators' channel when the index changed or a file is newly
        skipped; nothing when nothing changed."""
        refresher = self.bot.refresher
        if (busy := refresher.busy()) is not None:
            log.info("scheduled refresh skipped: %s", busy)
            return None
        try:
            with refresher.claim(SCHEDULED):
                report = await refresher.run()
        except RefreshInProgress as error:  # another process holds the lock
            log.info("scheduled refresh skipped: %s", error)
            return None
        skipped = frozenset((s.path, s.reason) for s in report.skipped)
        newly_skipped = skipped - self._skipped
        self._skipped = skipped
        log_refresh(report, by="schedule")
        if newly_skipped:
            log.info("scheduled refresh: %d newly skipped files", len(newly_skipped))
        if changed(report) or newly_skipped:
            await self._post(report)
        return report

    async def _post(self, report: Any) -> None:
        channel_id = self.bot.config.moderator_channel_id
        if not channel_id:
            return
        try:
            channel = self.bot.get_channel(channel_id) or await self.bot.fetch_channel(channel_id)
            if not isinstance(channel, discord.abc.Messageable):
                log.warning("MODERATOR_CHANNEL_ID %s is not a channel I can post in", channel_id)
                return
            guild = getattr(channel, "guild", None)  # its guild's questions only, counted
            reasked = self.bot.refresher.reasked_for(guild.id if guild else None)
            await channel.send(
                "🕒 Scheduled refresh of the sources folder:",
                embed=refresh_report(report, reasked),
                allowed_mentions=NO_PINGS,
            )
        except discord.HTTPException:
            log.warning(
                "could not post the scheduled refresh to channel %s", channel_id, exc_info=True
            )


async def setup(bot: PolicyBot) -> None:
    await bot.add_cog(Refresh(bot))
