"""The operator's view: one log line per answer, per refresh and per moderator action.

Lines are `key=value` so they can be grepped and parsed. A question's text and who asked it
are personal: the asker never appears, the text only at LOG_LEVEL=DEBUG (an operator's
choice while debugging); the token never appears in any of them."""

from __future__ import annotations

import logging
from typing import Any

import discord

log = logging.getLogger("bot.operator")


def channel_kind(channel: object) -> str:
    """Where a question was asked, as an operator would group it."""
    if isinstance(channel, discord.Thread):
        return "thread"
    if isinstance(channel, discord.DMChannel):
        return "dm"
    if isinstance(channel, discord.TextChannel):
        return "text"
    kind = getattr(channel, "type", None)
    return kind.name if isinstance(kind, discord.ChannelType) else "unknown"


def log_answer(
    *,
    guild_id: int | None,
    channel: str,
    mode: str,
    refused: bool,
    latency_ms: float,
    answer_id: str,
    question: str,
) -> None:
    log.info(
        "answer guild=%s channel=%s mode=%s refused=%s latency_ms=%.0f id=%s",
        guild_id or "dm",
        channel,
        mode,
        "yes" if refused else "no",
        latency_ms,
        answer_id,
    )
    log.debug("answer id=%s question=%r", answer_id, question)


def log_refresh(report: Any, *, by: str, guild_id: int | None = None) -> None:
    log.info(
        "refresh by=%s guild=%s added=%d updated=%d removed=%d skipped=%d documents=%d "
        "seconds=%.1f",
        by,
        guild_id or "-",
        len(report.added),
        len(report.updated),
        len(report.removed),
        len(report.skipped),
        report.documents,
        report.seconds,
    )


def log_moderator_action(interaction: discord.Interaction, command: str, detail: str = "") -> None:
    log.info(
        "moderator action=%s user=%s guild=%s%s",
        command,
        interaction.user.id,
        interaction.guild_id,
        f" {detail}" if detail else "",
    )
