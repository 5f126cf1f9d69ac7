"""Putting rendered parts in front of the user: as an interaction's response or in a channel.

A delivery may first show a draft (a streaming answer so far), edited at most once per
`interval` seconds, which the final answer then replaces. A draft is unchecked model text:
when the answer fails or runs out of time instead, the draft is taken down (`retract`)."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from typing import Protocol

import discord

from bot.render import Part, draft_text

log = logging.getLogger(__name__)
NO_PINGS = discord.AllowedMentions.none()


class Delivery(Protocol):
    async def draft(self, text: str) -> None: ...

    async def finish(
        self, parts: Sequence[Part], view: discord.ui.View | None
    ) -> discord.Message: ...

    async def retract(self) -> None:
        """Delete the draft if one is showing (the final answer never came)."""


def _kwargs(part: Part) -> dict:
    return {"content": part.content, "embeds": part.embeds, "allowed_mentions": NO_PINGS}


class InteractionDelivery:
    """The deferred response: drafts and the first part edit it, further parts follow up."""

    def __init__(self, interaction: discord.Interaction) -> None:
        self.interaction = interaction
        self._drafted = False

    async def draft(self, text: str) -> None:
        await self.interaction.edit_original_response(
            content=draft_text(text), allowed_mentions=NO_PINGS
        )
        self._drafted = True

    async def retract(self) -> None:
        """The response shows the draft: delete it, so that the error that follows can be
        private (bot/errors.py)."""
        if self._drafted:
            await self.interaction.delete_original_response()
            self._drafted = False

    async def finish(self, parts: Sequence[Part], view: discord.ui.View | None) -> discord.Message:
        last = len(parts) - 1
        first = parts[0]
        message: discord.Message = await self.interaction.edit_original_response(
            **_kwargs(first), view=view if last == 0 else None
        )
        self._drafted = False
        for i, part in enumerate(parts[1:], start=1):
            followup = self.interaction.followup
            if i == last and view is not None:
                message = await followup.send(**_kwargs(part), wait=True, view=view)
            else:
                message = await followup.send(**_kwargs(part), wait=True)
        return message


class ChannelDelivery:
    """Messages in a channel or thread; the first may reply to the question's message."""

    def __init__(
        self,
        channel: discord.abc.Messageable,
        reference: discord.Message | discord.PartialMessage | None = None,
    ) -> None:
        self.channel = channel
        self.reference = reference
        self._draft: discord.Message | None = None

    async def draft(self, text: str) -> None:
        if self._draft is None:
            self._draft = await self._send(Part(content=draft_text(text)), None, first=True)
        else:
            await self._draft.edit(content=draft_text(text), allowed_mentions=NO_PINGS)

    async def retract(self) -> None:
        if self._draft is not None:
            await self._draft.delete()
            self._draft = None

    async def _send(
        self, part: Part, view: discord.ui.View | None, *, first: bool
    ) -> discord.Message:
        extra: dict = {"view": view} if view is not None else {}
        if first and self.reference is not None:
            extra.update(reference=self.reference, mention_author=False)
        return await self.channel.send(**_kwargs(part), **extra)

    async def finish(self, parts: Sequence[Part], view: discord.ui.View | None) -> discord.Message:
        if not parts:
            raise ValueError("nothing to deliver")
        last = len(parts) - 1
        messages: list[discord.Message] = []
        for i, part in enumerate(parts):
            item_view = view if i == last else None
            if i == 0 and self._draft is not None:
                messages.append(await self._draft.edit(**_kwargs(part), view=item_view))
                self._draft = None  # it shows the checked answer now
            else:
                messages.append(await self._send(part, item_view, first=i == 0))
        return messages[-1]


class DraftWriter:
    """Feeds streamed text to a delivery, editing at most once per `interval` seconds.

    An edit, once sent, is seen through even if the answer is cancelled meanwhile (its
    deadline): otherwise a draft could reach Discord after `retract` looked for it."""

    def __init__(
        self,
        delivery: Delivery,
        interval: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.delivery = delivery
        self.interval = interval
        self._clock = clock
        self._text = ""
        self._last: float | None = None
        self._sending: asyncio.Future[None] | None = None
        self.edits = 0

    async def add(self, delta: str) -> None:
        self._text += delta
        now = self._clock()
        if self._last is not None and now - self._last < self.interval:
            return
        if not self._text.strip():
            return
        self._last = now
        self.edits += 1
        self._sending = asyncio.ensure_future(self.delivery.draft(self._text))
        await asyncio.shield(self._sending)

    async def retract(self) -> None:
        """Take the draft down (the answer failed or ran out of time), once an edit still
        on its way has landed. Never raises: the caller is already reporting an error."""
        try:
            if (sending := self._sending) is not None:
                await asyncio.wait([sending])
                if not sending.cancelled():
                    sending.exception()  # seen: a failed edit just leaves less to take down
            await self.delivery.retract()
        except Exception:
            log.warning("could not take down an unfinished answer's draft", exc_info=True)
