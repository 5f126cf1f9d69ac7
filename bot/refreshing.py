"""One refresh of the index at a time, whoever starts it: /refresh, /source add|remove, or
the schedule. Shown in an interaction as progress, then the diff and how many open gap
questions the refresh now answers (bot/reasking.py); which ones only to the moderator who
ran it, in an ephemeral follow-up: questions are personal data, the report is public."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import discord

from bot import text as T
from bot.delivery import NO_PINGS
from bot.errors import explain
from bot.operator_log import log_refresh
from bot.reasking import Reasked, reask
from bot.render_admin import answered_questions, progress_text, refresh_report
from bot.store import AnswerStore
from index.errors import RefreshInProgress

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


def threadsafe_progress(
    loop: asyncio.AbstractEventLoop, progress: Progress
) -> Callable[[str, int, int], None]:
    """The callback the knowledge base calls from its worker thread: hop onto the loop."""

    def report(stage: str, done: int, total: int) -> None:
        with contextlib.suppress(RuntimeError):  # the loop has closed: nobody is watching
            loop.call_soon_threadsafe(progress.update, stage, done, total)

    return report


def changed(report: Any) -> bool:
    return bool(report.added or report.updated or report.removed)


class Refresher:
    """Holds who is refreshing (this process: the knowledge base's file lock covers others)
    and runs a refresh, shown in an interaction or quietly."""

    def __init__(
        self,
        kb: Any,
        store: AnswerStore | None = None,
        after: Callable[[], Awaitable[Any]] | None = None,
    ) -> None:
        self.kb = kb
        self.store = store  # where the open gap questions to re-ask are; None: none
        # run in the background after questions were newly answered (the reply in place)
        self.after = after
        self._after_tasks: set[asyncio.Task[Any]] = set()
        # one `after` at a time: a second refresh's replies wait for the first's to be
        # told, or both would read the same pending replies (bot/replying.py)
        self._after_lock = asyncio.Lock()
        self.running: tuple[str, float] | None = None  # who started it, and when
        self._watchers: set[asyncio.Task[None]] = set()
        # what the latest refresh's re-asking found (one refresh at a time: see `claim`)
        self.last_reasked: Reasked | None = None

    def busy(self) -> str | None:
        """Who is refreshing and for how long, or None when nobody is."""
        if self.running is None:
            return None
        who, since = self.running
        return f"{who} started one {time.monotonic() - since:.0f} s ago"

    @contextlib.contextmanager
    def claim(self, who: str) -> Iterator[None]:
        """Hold the refresh for `who`, or raise RefreshInProgress."""
        if (busy := self.busy()) is not None:
            raise RefreshInProgress(f"{busy}; wait for it to finish")
        self.running = (who, time.monotonic())
        try:
            yield
        finally:
            self.running = None

    async def run(self, progress: Callable[[str, int, int], None] | None = None) -> Any:
        """Refresh, then re-ask the open gap questions (`last_reasked`). A failure to
        re-ask is logged: the refresh itself has succeeded and its report still shows."""
        self.last_reasked = None
        report = await self.kb.arefresh(progress=progress)
        if self.store is not None:
            try:
                self.last_reasked = await asyncio.to_thread(
                    reask, self.store, self.kb, report, progress
                )
            except Exception:
                log.exception("re-asking the open questions after the refresh failed")
        if self.after is not None and self.last_reasked and self.last_reasked.answered:
            task = asyncio.create_task(self._after(), name="after-refresh")
            self._after_tasks.add(task)
            task.add_done_callback(self._after_tasks.discard)
        return report

    async def _after(self) -> None:
        assert self.after is not None  # noqa: S101 - only scheduled when set
        try:
            async with self._after_lock:
                await self.after()
        except Exception:
            log.exception("the work after a refresh failed")

    def reasked_for(self, guild_id: int | None) -> Reasked | None:
        """The latest re-asking as `guild_id`'s moderators may see it."""
        return None if self.last_reasked is None else self.last_reasked.for_guild(guild_id)

    async def run_shown(self, interaction: discord.Interaction, header: str = "") -> Any:
        """Refresh, editing the (deferred, public) response: `header`, progress, then the
        diff; the questions it answered follow privately. The caller holds `claim`."""
        progress = Progress()

        def with_header(line: str) -> str:
            return T.trim(f"{header}\n{line}" if header else line, T.CONTENT)

        await self._show(interaction, with_header(progress_text(progress.stage, 0, 0)))
        watcher = asyncio.create_task(
            self._watch(interaction, progress, with_header), name="refresh-progress"
        )
        self._watchers.add(watcher)
        watcher.add_done_callback(self._watchers.discard)
        try:
            report = await self.run(threadsafe_progress(asyncio.get_running_loop(), progress))
        except Exception as error:
            with contextlib.suppress(discord.HTTPException):
                await self._show(
                    interaction, with_header(f"❌ The refresh failed: {explain(error)[0]}")
                )
            raise
        finally:
            watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watcher
        log_refresh(report, by=f"user:{interaction.user.id}", guild_id=interaction.guild_id)
        reasked = self.reasked_for(interaction.guild_id)
        await self._show(interaction, header or None, refresh_report(report, reasked))
        await self._list_privately(interaction, reasked)
        return report

    async def _list_privately(self, interaction: discord.Interaction, reasked: Any) -> None:
        """The open questions the refresh answered, to the moderator who ran it only."""
        if reasked is None or not reasked.answered:
            return
        try:
            await interaction.followup.send(
                embed=answered_questions(reasked), ephemeral=True, allowed_mentions=NO_PINGS
            )
        except discord.HTTPException:  # e.g. the interaction expired: never post them publicly
            log.warning(
                "could not list the questions the refresh answered to the moderator "
                "(/gaps status:answered shows them)",
                exc_info=True,
            )

    async def _watch(
        self,
        interaction: discord.Interaction,
        progress: Progress,
        with_header: Callable[[str], str],
    ) -> None:
        """Edit the progress message when it changed, at most every PROGRESS_EDIT_SECONDS."""
        shown = ""
        while True:
            await progress.changed.wait()
            progress.changed.clear()
            text = with_header(progress_text(progress.stage, progress.done, progress.total))
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

    def cancel(self) -> None:
        """Stop showing progress (on unload); a refresh in its worker thread finishes."""
        for task in (*self._watchers, *self._after_tasks):
            task.cancel()
