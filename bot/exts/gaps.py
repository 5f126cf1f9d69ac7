"""/gaps for moderators: the questions this guild asked that the library can't answer,
grouped by meaning (bot/gaps.py), page by page, with a button to dismiss an off-topic gap."""

from __future__ import annotations

import asyncio
import logging
import re
from typing import TYPE_CHECKING, Any, Literal, cast

import discord
from discord import app_commands
from discord.ext import commands

from bot.checks import moderators_only
from bot.delivery import NO_PINGS
from bot.errors import BotError
from bot.exts.guarded import Guarded
from bot.gaps import ID_CHARS, Gap, dismiss, find_gaps
from bot.operator_log import log_moderator_action
from bot.render_gaps import GAPS_PER_PAGE, gap_pages, gaps_page

if TYPE_CHECKING:
    from bot.client import PolicyBot

log = logging.getLogger(__name__)
Status = Literal["open", "answered", "dismissed", "all"]
STATE = r"(?P<status>open|answered|dismissed|all):(?P<since>\d{1,4}):(?P<page>\d{1,5})"


def _bot(interaction: discord.Interaction) -> PolicyBot:
    return cast("PolicyBot", interaction.client)


async def guild_gaps(bot: PolicyBot, guild_id: int | None, status: str, since: int) -> list[Gap]:
    """This guild's gaps with `status` ("all": every one), asked in the last `since` days
    (0: any time). Grouping embeds new questions: off the event loop."""
    gaps = await asyncio.to_thread(
        find_gaps, bot.store, bot.kb.embed_texts, guild_id, since_days=since or None
    )
    return [g for g in gaps if status in ("all", g.status)]


async def gaps_message(
    bot: PolicyBot, guild_id: int | None, status: str, since: int, page: int
) -> tuple[discord.Embed, discord.ui.View]:
    gaps = await guild_gaps(bot, guild_id, status, since)
    pages = gap_pages(len(gaps))
    page = min(max(page, 0), pages - 1)
    view = discord.ui.View(timeout=None)
    start = page * GAPS_PER_PAGE
    for k, gap in enumerate(gaps[start : start + GAPS_PER_PAGE]):
        if gap.status != "dismissed":
            view.add_item(DismissButton(status, since, page, gap.id, start + k + 1))
    if pages > 1:
        for direction, to in (("prev", page - 1), ("next", page + 1)):
            view.add_item(
                GapsPageButton(status, since, max(0, min(to, pages - 1)), direction, page, pages)
            )
    return gaps_page(gaps, page, status, since), view


class GapsPageButton(
    Guarded,
    discord.ui.DynamicItem[discord.ui.Button],
    template=rf"pb:gaps:(?P<direction>prev|next):{STATE}",
):
    """◀ / ▶ under /gaps: page `page` (0-based) of a fresh listing."""

    def __init__(
        self, status: str, since: int, page: int, direction: str, now: int = 0, pages: int = 0
    ) -> None:
        at_end = now <= 0 if direction == "prev" else now >= pages - 1
        super().__init__(
            discord.ui.Button(
                style=discord.ButtonStyle.secondary,
                emoji="◀️" if direction == "prev" else "▶️",
                custom_id=f"pb:gaps:{direction}:{status}:{since}:{page}",
                disabled=bool(pages) and at_end,
                row=1,
            )
        )
        self.status, self.since, self.page = status, since, page

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> GapsPageButton:
        return cls(match["status"], int(match["since"]), int(match["page"]), match["direction"])

    async def run(self, interaction: discord.Interaction) -> None:
        await moderators_only(interaction)
        await interaction.response.defer()
        embed, view = await gaps_message(
            _bot(interaction), interaction.guild_id, self.status, self.since, self.page
        )
        await interaction.edit_original_response(embed=embed, view=view)


class DismissButton(
    Guarded,
    discord.ui.DynamicItem[discord.ui.Button],
    template=rf"pb:gaps:dismiss:{STATE}:(?P<gap>[0-9a-f]{{{ID_CHARS}}})",
):
    """Dismiss gap `gap` (not about policy: no source to add), then show the page again."""

    def __init__(self, status: str, since: int, page: int, gap_id: str, number: int = 0) -> None:
        super().__init__(
            discord.ui.Button(
                style=discord.ButtonStyle.danger,
                label=f"Dismiss {number}" if number else "Dismiss",
                custom_id=f"pb:gaps:dismiss:{status}:{since}:{page}:{gap_id}",
                row=0,
            )
        )
        self.status, self.since, self.page, self.gap_id = status, since, page, gap_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> DismissButton:
        return cls(match["status"], int(match["since"]), int(match["page"]), match["gap"])

    async def run(self, interaction: discord.Interaction) -> None:
        await moderators_only(interaction)
        await interaction.response.defer()
        bot = _bot(interaction)
        gap = await asyncio.to_thread(
            dismiss, bot.store, bot.kb.embed_texts, interaction.guild_id, self.gap_id
        )
        if gap is None:
            raise BotError("That gap is no longer on record (its questions may have expired).")
        log_moderator_action(interaction, "/gaps dismiss", f"gap={self.gap_id}")
        embed, view = await gaps_message(
            bot, interaction.guild_id, self.status, self.since, self.page
        )
        await interaction.edit_original_response(
            content=f"🚫 Dismissed a gap asked {gap.count}×.",
            embed=embed,
            view=view,
            allowed_mentions=NO_PINGS,
        )


class Gaps(commands.Cog):
    """/gaps: what this guild asked that the library can't answer."""

    def __init__(self, bot: PolicyBot) -> None:
        self.bot = bot

    @app_commands.command(
        name="gaps", description="Questions the library couldn't answer, grouped (moderators)"
    )
    @app_commands.describe(
        status="Which gaps (default: open)", since="Only questions asked in the last N days"
    )
    @app_commands.guild_only()
    @app_commands.default_permissions(manage_guild=True)  # hidden from members by default
    @app_commands.check(moderators_only)
    async def gaps(
        self,
        interaction: discord.Interaction,
        status: Status = "open",
        since: app_commands.Range[int, 1, 3650] | None = None,
    ) -> None:
        """This guild's gaps only; counts of askers, never who they are."""
        log_moderator_action(interaction, "/gaps")
        await interaction.response.defer(ephemeral=True, thinking=True)  # within 3 s
        embed, view = await gaps_message(self.bot, interaction.guild_id, status, since or 0, 0)
        await interaction.followup.send(embed=embed, view=view, ephemeral=True)


async def setup(bot: PolicyBot) -> None:
    bot.add_dynamic_items(GapsPageButton, DismissButton)
    await bot.add_cog(Gaps(bot))


async def teardown(bot: PolicyBot) -> None:
    bot.remove_dynamic_items(GapsPageButton, DismissButton)
