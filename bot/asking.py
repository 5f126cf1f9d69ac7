"""One question, start to finish: answer it (streaming drafts), record it, deliver it."""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Sequence
from typing import TYPE_CHECKING

import discord

from bot.delivery import Delivery, DraftWriter
from bot.errors import CUT_SHORT, RESTARTING, Restarting, TooSlow
from bot.exts.feedback import answer_view
from bot.operator_log import log_answer
from bot.render import render_answer, thread_name
from bot.store import Origin
from bot.throttle import Ticket
from index.answering.types import Answer, Turn

if TYPE_CHECKING:
    from bot.client import PolicyBot

log = logging.getLogger(__name__)


def admit(bot: PolicyBot, user_id: int) -> Ticket:
    """A place for this user's question, or a refusal: restarting, busy, or slow down."""
    if bot.draining:
        raise Restarting(RESTARTING)
    return bot.throttle.admit(user_id)


def can_start_thread(permissions: discord.Permissions) -> bool:
    return permissions.create_public_threads and permissions.send_messages_in_threads


async def start_thread(message: discord.Message, question: str) -> discord.Thread | None:
    """A public thread from `message`, or None (and a log line) if Discord refuses."""
    try:
        return await message.create_thread(name=thread_name(question))
    except discord.HTTPException:
        log.warning("could not start a thread from message %s", message.id, exc_info=True)
        return None


async def answer_and_deliver(
    bot: PolicyBot,
    question: str,
    history: Sequence[Turn],
    delivery: Delivery,
    origin: Origin,
    ticket: Ticket,
    channel: str,
) -> str:
    """Answer `question`, record it and deliver it with its buttons; returns the answer id.
    `channel` is the kind of channel it was asked in, for the log. If it fails or runs out
    of time, the draft shown so far is taken down before the error goes on to be reported:
    no unchecked model text stays in the channel."""
    writer = DraftWriter(delivery, bot.config.draft_edit_seconds)
    try:
        return await _answer_and_deliver(
            bot, question, history, delivery, writer, origin, ticket, channel
        )
    except BaseException:
        await writer.retract()
        raise


async def _answer_and_deliver(
    bot: PolicyBot,
    question: str,
    history: Sequence[Turn],
    delivery: Delivery,
    writer: DraftWriter,
    origin: Origin,
    ticket: Ticket,
    channel: str,
) -> str:
    answer: Answer | None = None
    try:
        async with bot.answer_scope(), ticket.turn():  # at most max_in_flight at once
            try:
                async with asyncio.timeout(bot.config.answer_timeout):
                    async for item in bot.kb.answer_stream(question, history, bot.workers):
                        if isinstance(item, str):
                            await writer.add(item)
                        else:
                            answer = item
            except TimeoutError:
                # The worker thread may stay stuck on a hung store; the slot and the user
                # don't, and the bounded workers keep such threads from piling up.
                log.warning("no answer within %.0f s", bot.config.answer_timeout)
                raise TooSlow(
                    "That took too long: the library or the language model isn't responding. "
                    "Please try again shortly."
                ) from None
    except TimeoutError:  # the bot is shutting down and this answer's time is up
        raise Restarting(CUT_SHORT) from None
    if answer is None:
        raise RuntimeError("the answerer finished without an answer")
    answer_id = uuid.uuid4().hex
    await bot.store.aadd(answer_id, origin, answer)
    view = answer_view(answer_id, with_passages=bool(answer.citations))
    message = await delivery.finish(render_answer(answer), view)
    await bot.store.aset_message(answer_id, message.channel.id, message.id)
    log_answer(
        guild_id=origin.guild_id,
        channel=channel,
        mode=answer.mode,
        refused=answer.refused,
        latency_ms=(time.monotonic() - ticket.admitted_at) * 1000,
        answer_id=answer_id,
        question=question,
    )
    return answer_id
