"""GAPS_REPLY_WHEN_ANSWERED: when a refresh answers an open question, reply once where it
was asked (its thread, else its channel, as a reply to the bot's earlier answer), with the
new cited answer. Once: a question is marked told before the message is sent, so a failure
is logged and never retried into a second reply.

Re-asking found the question answered extractively (bot/reasking.py); the reply is the
full answer, an LLM's when one is configured, asked here: only for the questions found
answered, one at a time, after the refresh (its lock released), each within
ASK_TIMEOUT_SECONDS. A model that fails, is late or cites nothing leaves the extractive
answer re-asking stored."""

from __future__ import annotations

import asyncio
import json
import logging
from concurrent.futures import Executor
from typing import TYPE_CHECKING, Any

import discord

from bot.delivery import ChannelDelivery
from bot.render import Part, render_answer
from bot.settings import BotSettings
from bot.store import AnswerStore, PendingReply
from index.answering.types import Answer, Citation

if TYPE_CHECKING:
    from index.service import KnowledgeBase

log = logging.getLogger(__name__)
HEADER = "📚 The library has been updated since this was asked, and it can now answer it:"


def answer_from_json(data: dict[str, Any]) -> Answer:
    """The Answer stored by bot/reasking.py (Answer.to_json) back as an Answer."""
    citations = [Citation(**c) for c in data.get("citations", [])]
    return Answer(
        data["question"],
        data["answer"],
        bool(data["refused"]),
        citations,
        mode=data.get("mode", "extractive"),
        note=data.get("note"),
        shape=data.get("shape", "fact"),
    )


async def full_answer(
    kb: KnowledgeBase, found: Answer, seconds: float, executor: Executor | None = None
) -> Answer:
    """The configured answerer's answer to a question re-asking `found` answered, within
    `seconds`; `found` itself when that is the extractive answerer, or when the
    model fails, is late or leaves no citation (its fallback would be `found` again)."""
    if not kb.generative:
        return found
    try:
        async with asyncio.timeout(seconds):
            full = await kb.answer(found.question, (), executor)
    except TimeoutError:
        log.warning("no full answer within %.0f s: replying with the extractive one", seconds)
        return found
    except Exception:
        log.warning("the full answer failed: replying with the extractive one", exc_info=True)
        return found
    if full.refused or not full.citations or full.mode != "generative":
        return found
    return full


async def reply_where_asked(
    client: discord.Client,
    store: AnswerStore,
    config: BotSettings,
    kb: KnowledgeBase,
    executor: Executor | None = None,
) -> int:
    """Post every pending reply of the guilds this bot serves; returns how many it posted."""
    pending = await asyncio.to_thread(store.pending_replies)
    told: set[tuple[int | None, str]] = set()  # one reply per place and question
    answers: dict[str, Answer] = {}  # one full answer per question
    posted = 0
    for reply in pending:
        if not config.serves(reply.guild_id) or not (reply.thread_id or reply.channel_id):
            continue
        await asyncio.to_thread(store.mark_notified, [reply.id])
        found = answer_from_json(json.loads(reply.answer))
        key = " ".join(found.question.casefold().split())
        place = (reply.thread_id or reply.channel_id, key)
        if place in told:
            continue
        told.add(place)
        if key not in answers:
            answers[key] = await full_answer(kb, found, config.answer_timeout, executor)
        try:
            await _post(client, reply, answers[key])
            posted += 1
        except discord.HTTPException:
            log.warning("could not reply where an answered question was asked", exc_info=True)
    if posted:
        log.info("replied where %d newly answered questions were asked", posted)
    return posted


async def _post(client: discord.Client, reply: PendingReply, answer: Answer) -> None:
    where = reply.thread_id or reply.channel_id
    assert where is not None  # noqa: S101 - reply_where_asked skips those without a place
    channel = client.get_channel(where) or await client.fetch_channel(where)
    if not isinstance(channel, discord.TextChannel | discord.Thread):
        return
    reference = None
    if reply.message_id and reply.channel_id == where:
        reference = channel.get_partial_message(reply.message_id)
    parts = [Part(content=HEADER), *render_answer(answer)]
    await ChannelDelivery(channel, reference).finish(parts, None)
