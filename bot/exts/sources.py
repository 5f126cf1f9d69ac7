"""/source add and /source remove (moderators): change the library, then refresh the index."""

from __future__ import annotations

import logging
from collections import Counter
from typing import TYPE_CHECKING, Any, cast

import discord
from discord import app_commands
from discord.ext import commands

from bot import text as T
from bot.checks import may_change_library, moderators_only
from bot.delivery import NO_PINGS
from bot.errors import BotError
from bot.operator_log import log_moderator_action
from index.errors import RefreshInProgress, SourceError, UsageError

if TYPE_CHECKING:
    from bot.client import PolicyBot

log = logging.getLogger(__name__)
CHOICES = 25  # Discord shows at most 25 autocomplete choices
CHOICE_CHARS = 100  # … each name and (string) value at most 100 characters
URL_CHARS = 2000


def _named(title: str | None, path: str) -> str:
    """**Title** (path), escaped, on one line, of a bounded length."""
    name = T.escape(T.trim(T.one_line(title or ""), 200))
    where = T.escape(T.trim(path, 200))
    return f"**{name}** ({where})" if name else where


def _matches(current: str, library: Any) -> list[app_commands.Choice[str]]:
    """Sources whose title or path contains `current` (title prefixes first), at most 25,
    named by title (with the path when titles repeat). The value is the path, which
    `/source remove` takes; paths over 100 characters can't be a choice's value and are
    left out (type them in full)."""
    want = current.strip().casefold()
    titles = {d.path: T.one_line(d.title or "") or d.path for d in library.documents}
    repeated = Counter(t.casefold() for t in titles.values())
    found: list[tuple[int, str, str]] = []
    for path, title in titles.items():
        if len(path) > CHOICE_CHARS or (want and want not in f"{title} {path}".casefold()):
            continue
        found.append((0 if title.casefold().startswith(want) else 1, title.casefold(), path))
    choices = []
    for _, _, path in sorted(found)[:CHOICES]:
        label = titles[path]
        if repeated[label.casefold()] > 1 and label != path:
            label = f"{T.trim(label, CHOICE_CHARS - len(path) - 3)} · {path}"
        choices.append(app_commands.Choice(name=T.trim(label, CHOICE_CHARS), value=path))
    return choices


class Sources(commands.Cog):
    """Adding a web article or PDF by URL, and removing a source, each followed by the
    same refresh as /refresh (or, when one is running, left for the next one)."""

    source = app_commands.Group(
        name="source",
        description="Add or remove a source (moderators)",
        guild_only=True,
        default_permissions=discord.Permissions(manage_guild=True),  # hidden from members
    )

    def __init__(self, bot: PolicyBot) -> None:
        self.bot = bot

    @source.command(name="add", description="Fetch a web article or PDF into the library")
    @app_commands.describe(url="The page's address (http:// or https://)")
    @app_commands.check(moderators_only)
    async def add(
        self, interaction: discord.Interaction, url: app_commands.Range[str, 1, URL_CHARS]
    ) -> None:
        await interaction.response.defer(thinking=True)  # fetching can take seconds
        try:
            added = await self.bot.kb.aadd_url(url)
        except (UsageError, SourceError) as error:
            log_moderator_action(interaction, "/source add", f"{url} refused: {error}")
            raise BotError(f"❌ Couldn't add that page: {T.escape(str(error))}.") from error
        log_moderator_action(interaction, "/source add", f"{url} saved as {added['added']}")
        await self._refresh(interaction, f"📥 Added {_named(added.get('title'), added['added'])}.")

    @source.command(name="remove", description="Remove a source from the library")
    @app_commands.describe(source="The source's title, its path in the sources folder, or its URL")
    @app_commands.check(moderators_only)
    async def remove(
        self, interaction: discord.Interaction, source: app_commands.Range[str, 1, URL_CHARS]
    ) -> None:
        await interaction.response.defer(thinking=True)
        ref = await self._path_of(source)
        try:
            removed = await self.bot.kb.aremove_source(ref)
        except (UsageError, SourceError) as error:
            log_moderator_action(interaction, "/source remove", f"{source} refused: {error}")
            raise BotError(f"❌ Couldn't remove that source: {T.escape(str(error))}.") from error
        log_moderator_action(interaction, "/source remove", f"removed {removed['removed']}")
        await self._refresh(
            interaction, f"🗑️ Removed {_named(removed.get('title'), removed['removed'])}."
        )

    @remove.autocomplete("source")
    async def _complete_source(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        bot = cast("PolicyBot", interaction.client)
        if not may_change_library(bot, interaction):
            return []
        try:
            library = await bot.kb.alibrary()
        except Exception:  # an autocomplete can only answer with choices: offer none
            log.warning("no source choices: the library could not be read", exc_info=True)
            return []
        return _matches(current, library)

    async def _path_of(self, ref: str) -> str:
        """A title typed in full (not picked from the choices) names its path; anything
        else (a path, a URL) is passed on as given."""
        ref = ref.strip()
        if ref.lower().startswith(("http://", "https://")):
            return ref
        library = await self.bot.kb.alibrary()
        if any(d.path == ref for d in library.documents):
            return ref
        title = T.one_line(ref).casefold()
        same = [d.path for d in library.documents if T.one_line(d.title).casefold() == title]
        if len(same) > 1:
            raise BotError(
                f"❌ {len(same)} sources have that title; pick one from the list offered while "
                "you type (or give its path)."
            )
        return same[0] if same else ref

    async def _refresh(self, interaction: discord.Interaction, header: str) -> None:
        """The same refresh as /refresh under `header`; if one is running, say so: the file
        change stays and the next refresh picks it up."""
        refresher = self.bot.refresher
        busy = refresher.busy()
        if busy is None:
            try:
                with refresher.claim(interaction.user.display_name):
                    await refresher.run_shown(interaction, header)
                return
            except RefreshInProgress as error:  # another process holds the index's lock
                busy = str(error)
        log.info("no refresh after a source change: %s", busy)
        await interaction.edit_original_response(
            content=T.trim(
                f"{header}\nA refresh is already running, so this change will be indexed by "
                "the next one: run /refresh when it has finished.",
                T.CONTENT,
            ),
            allowed_mentions=NO_PINGS,
        )


async def setup(bot: PolicyBot) -> None:
    await bot.add_cog(Sources(bot))
