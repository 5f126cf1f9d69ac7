"""/refresh (moderators): re-read the sources folder, showing progress, then the diff."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.checks import moderators_only
from bot.delivery import NO_PINGS
from bot.errors import explain
from bot.render_admin import progress_text, refresh_report
from index.errors import RefreshInProgress

if TYPE_CHECKING:
    from bot.client import PolicyBot

log = logging.getLogger(__name__)
PROGRESS_EDIT_SECONDS = 1.5


@dataclass
class Progress:
    """The latest progress of a refresh, updated on the event loop."""

    stage: str = "starting"
    done: int = 0
    total: int = 0
    changed: asyncio.Event = field(default_factory=asyncio.Event)

    def update(self, stage: str, done: int, total: int) -> None:
        self.stage, self.done, self.total = stage, done, total
        self.changed.set()


def threadsafe_progress(loop: asyncio.AbstractEventLoop, progress: Progress):
    """The callback the knowledge base calls from its worker thread: hop onto the loop."""

    def report(stage: str, done: int, total: int) -> None:
        with contextlib.suppress(RuntimeError):  # the loop has closed: nobody is watching
            loop.call_soon_threadsafe(progress.update, stage, done, total)

    return report


class Refresh(commands.Cog):
    """One refresh at a time; questions keep being answered while it runs."""

    def __init__(self, bot: PolicyBot) -> None:
        self.bot = bot
        self.running: tuple[str, float] | None = None  # who started it, and when
        self._watchers: set[asyncio.Task[None]] = set()

    async def cog_unload(self) -> None:
        for task in self._watchers:
            task.cancel()

    @app_commands.command(
        name="refresh", description="Update the index from the sources folder (moderators)"
    )
    @app_commands.guild_only()
    @app_commands.check(moderators_only)
    async def refresh(self, interaction: discord.Interaction) -> None:
        if self.running is not None:
            who, since = self.running
            raise RefreshInProgress(
                f"{who} started one {time.monotonic() - since:.0f} s ago; wait for it to finish"
            )
        self.running = (interaction.user.display_name, time.monotonic())
        try:
            await interaction.response.defer(thinking=True)
            await self._run(interaction)
        finally:
            self.running = None

    async def _run(self, interaction: discord.Interaction) -> None:
        progress = Progress()
        await self._show(interaction, progress_text(progress.stage, 0, 0))
        watcher = asyncio.create_task(self._watch(interaction, progress), name="refresh-progress")
        self._watchers.add(watcher)
        watcher.add_done_callback(self._watchers.discard)
        try:
            report = await self.bot.kb.arefresh(
                progress=threadsafe_progress(asyncio.get_running_loop(), progress)
            )
        except Exception as error:
            with contextlib.suppress(discord.HTTPException):
                await self._show(interaction, f"❌ The refresh failed: {explain(error)[0]}")
            raise
        finally:
            watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watcher
        log.info(
            "refresh by %s: %d added, %d updated, %d removed, %d skipped",
            interaction.user.id,
            len(report.added),
            len(report.updated),
            len(report.removed),
            len(report.skipped),
        )
        await self._show(interaction, None, refresh_report(report))

    async def _watch(self, interaction: discord.Interaction, progress: Progress) -> None:
        """Edit the progress message when it changed, at most every PROGRESS_EDIT_SECONDS."""
        shown = ""
        while True:
            await progress.changed.wait()
            progress.changed.clear()
            text = progress_text(progress.stage, progress.done, progress.total)
            if text != shown:
                try:
                    await interaction.edit_original_response(
                        content=text, allowed_mentions=NO_PINGS
                    )
                    shown = text
                except discord.HTTPException:
                    log.warning("could not show refresh progress", exc_info=True)
            await asyncio.sleep(PROGRESS_EDIT_SECONDS)

    async def _show(
        self,
        interaction: discord.Interaction,
        content: str | None,
        embed: discord.Embed | None = None,
    ) -> None:
        """Edit the response; once the interaction token has expired (15 min), post anew."""
        embeds = [embed] if embed else []
        try:
            await interaction.edit_original_response(
                content=content, embeds=embeds, allowed_mentions=NO_PINGS
            )
        except discord.HTTPException:
            channel = interaction.channel
            if embed is None or not isinstance(channel, discord.abc.Messageable):
                raise
            log.info("refresh outlived its interaction; posting the report in the channel")
            await channel.send(content=content, embeds=embeds, allowed_mentions=NO_PINGS)


async def setup(bot: PolicyBot) -> None:
    await bot.add_cog(Refresh(bot))
