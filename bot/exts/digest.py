"""The digest (DIGEST_INTERVAL): to MODERATOR_CHANNEL_ID, questions asked, answered,
refused and voted 👎 per day as a chart, and the most asked open gaps of that channel's
guild. The chart (bot/chart.py) is imported when a digest is made, never to answer."""

from __future__ import annotations

import asyncio
import io
import logging
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import discord
from discord.ext import commands

from bot import schedules
from bot.delivery import NO_PINGS
from bot.exts.gaps import guild_gaps
from bot.render_gaps import digest_embed

if TYPE_CHECKING:
    from bot.client import PolicyBot

log = logging.getLogger(__name__)
DIGEST_DAYS = 14  # two weeks: a trend, and one bar group per day still reads at 480 px


class Digest(commands.Cog):
    def __init__(self, bot: PolicyBot) -> None:
        self.bot = bot
        self._schedule: asyncio.Task[None] | None = None

    async def cog_load(self) -> None:
        seconds = self.bot.config.digest_interval
        if seconds <= 0:
            return
        if not self.bot.config.moderator_channel_id:
            log.warning("DIGEST_INTERVAL is set but MODERATOR_CHANNEL_ID is not: no digest")
            return
        self._schedule = schedules.start(self._every(seconds), "digest")

    async def cog_unload(self) -> None:
        await schedules.stop(self._schedule)

    async def _every(self, seconds: float) -> None:
        await self.bot.wait_until_ready()
        while True:
            await asyncio.sleep(seconds)
            try:
                await self.post_digest()
            except Exception:
                log.exception("the digest failed; trying again at the next one")

    async def post_digest(self) -> discord.Message | None:
        """Post one digest now; None when there is no channel to post in."""
        from bot.chart import bar_chart  # only here: the chart stays off the answering path

        channel_id = self.bot.config.moderator_channel_id
        if not channel_id:
            return None
        channel = self.bot.get_channel(channel_id) or await self.bot.fetch_channel(channel_id)
        if not isinstance(channel, discord.abc.Messageable):
            log.warning("MODERATOR_CHANNEL_ID %s is not a channel I can post in", channel_id)
            return None
        guild = getattr(channel, "guild", None)  # its guild's questions only
        guild_id = guild.id if guild is not None else None
        today = datetime.now(UTC).date()
        days = [(today - timedelta(days=n)).isoformat() for n in range(DIGEST_DAYS - 1, -1, -1)]
        counts = await asyncio.to_thread(self.bot.store.daily_counts, guild_id, days[0])
        series = [(day, counts.get(day, [0, 0, 0, 0])) for day in days]
        top = await guild_gaps(self.bot, guild_id, "open", 0)
        png = await asyncio.to_thread(bar_chart, [c for _, c in series])
        return await channel.send(
            embed=digest_embed(series, top),
            file=discord.File(io.BytesIO(png), filename="digest.png"),
            allowed_mentions=NO_PINGS,
        )


async def setup(bot: PolicyBot) -> None:
    await bot.add_cog(Digest(bot))
