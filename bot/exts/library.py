"""/sources: what the index holds, page by page, and when it was last refreshed."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, cast

import discord
from discord import app_commands
from discord.ext import commands

from bot.exts.guarded import Guarded
from bot.render_admin import library_page, page_count

if TYPE_CHECKING:
    from bot.client import PolicyBot


class PageButton(
    Guarded,
    discord.ui.DynamicItem[discord.ui.Button],
    template=r"pb:sources:(?P<direction>prev|next):(?P<page>\d{1,6})",
):
    """◀ / ▶ under /sources: shows page `page` (0-based) of a fresh listing."""

    def __init__(self, direction: str, page: int, *, disabled: bool = False) -> None:
        super().__init__(
            discord.ui.Button(
                style=discord.ButtonStyle.secondary,
                emoji="◀️" if direction == "prev" else "▶️",
                custom_id=f"pb:sources:{direction}:{page}",
                disabled=disabled,
            )
        )
        self.page = page

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> PageButton:
        return cls(match["direction"], int(match["page"]))

    async def run(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer()
        bot = cast("PolicyBot", interaction.client)
        embed, view = await sources_message(bot, self.page)
        await interaction.edit_original_response(embed=embed, view=view)


def pager(page: int, pages: int) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(PageButton("prev", max(page - 1, 0), disabled=page <= 0))
    view.add_item(PageButton("next", min(page + 1, pages - 1), disabled=page >= pages - 1))
    return view


async def sources_message(bot: PolicyBot, page: int) -> tuple[discord.Embed, discord.ui.View]:
    library = await bot.kb.alibrary()
    pages = page_count(len(library.documents))
    page = min(max(page, 0), pages - 1)
    return library_page(library, page), pager(page, pages)


class Library(commands.Cog):
    def __init__(self, bot: PolicyBot) -> None:
        self.bot = bot

    @app_commands.command(name="sources", description="List the sources the answers come from")
    async def sources(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        embed, view = await sources_message(self.bot, 0)
        await interaction.followup.send(embed=embed, view=view, ephemeral=True)


async def setup(bot: PolicyBot) -> None:
    bot.add_dynamic_items(PageButton)
    await bot.add_cog(Library(bot))


async def teardown(bot: PolicyBot) -> None:
    bot.remove_dynamic_items(PageButton)
