"""Messages for /gaps: one page of gaps, within Discord's limits. Counts, never askers."""

from __future__ import annotations

import math
from collections.abc import Sequence

import discord

from bot import text as T
from bot.gaps import Gap
from bot.render_admin import timestamp

GAPS_PER_PAGE = 5  # five dismiss buttons fill one row of a message's components
QUESTION = 180  # one example question; 5 gaps × 3 of them stay inside 4,096 characters
STATUS_SHOWN = {"open": "open", "answered": "answered", "dismissed": "dismissed", "all": "all"}


def gap_pages(n_gaps: int) -> int:
    return max(1, math.ceil(n_gaps / GAPS_PER_PAGE))


def _status(gap: Gap) -> str:
    if gap.status == "answered":
        return f"✅ answered by the refresh of {timestamp(gap.answered_by, 'd')}"
    if gap.status == "dismissed":
        return "🚫 dismissed"
    return "❓ open"


def gap_lines(number: int, gap: Gap) -> str:
    members = f"{gap.askers} member" + ("s" if gap.askers != 1 else "")
    head = (
        f"**{number}.** asked {gap.count}× by {members} · first {timestamp(gap.first_asked, 'd')}"
        f" · last {timestamp(gap.last_asked, 'R')} · {_status(gap)}"
    )
    why = f"*{T.escape(gap.reason)}*"
    quotes = [f"> “{T.escape(T.trim(T.one_line(q), QUESTION))}”" for q in gap.questions]
    return "\n".join([head, why, *quotes])


def gaps_page(gaps: Sequence[Gap], page: int, status: str, since: int) -> discord.Embed:
    """Page `page` (0-based, already in range) of this guild's gaps with `status`."""
    pages = gap_pages(len(gaps))
    start = page * GAPS_PER_PAGE
    shown = gaps[start : start + GAPS_PER_PAGE]
    window = f" asked in the last {since} days" if since else ""
    lines = [gap_lines(start + k + 1, g) for k, g in enumerate(shown)]
    if not gaps:
        lines = [
            "No gaps here"
            + (" of that kind" if status != "open" else "")
            + ": every question was answered, or none was asked."
        ]
    embed = discord.Embed(
        title=f"Gaps ({STATUS_SHOWN[status]}): {len(gaps)}{window}",
        description=T.trim("\n\n".join(lines), T.EMBED_DESCRIPTION),
        colour=discord.Colour.gold(),
    )
    embed.set_footer(
        text=f"Page {page + 1} of {pages} · questions grouped by meaning; "
        "dismiss a gap that isn't about policy"
    )
    return embed


DIGEST_GAPS = 5  # the top open gaps in a digest: what a moderator can act on this week
LEGEND = "🟦 asked · 🟩 answered · 🟨 refused · 🟥 voted 👎"


def digest_embed(days: Sequence[tuple[str, list[int]]], top: Sequence[Gap]) -> discord.Embed:
    """The digest: totals over `days` (oldest first, each with asked, answered, refused,
    👎), the chart (attached as digest.png) and the most asked open gaps."""
    totals = [sum(counts[k] for _, counts in days) for k in range(4)]
    first, last = (days[0][0], days[-1][0]) if days else ("", "")
    embed = discord.Embed(
        title=f"Digest: {first} to {last}",
        description=(
            f"**{totals[0]}** questions asked, **{totals[1]}** answered, **{totals[2]}** "
            f"refused; **{totals[3]}** answers voted 👎.\n{LEGEND} (per day, oldest left)"
        ),
        colour=discord.Colour.gold(),
    )
    embed.set_image(url="attachment://digest.png")
    lines = [gap_lines(k + 1, g) for k, g in enumerate(top[:DIGEST_GAPS])]
    embed.add_field(
        name="Top open gaps (see /gaps)",
        value=T.trim("\n".join(lines), T.FIELD_VALUE) if lines else "None: nothing is open.",
        inline=False,
    )
    return embed
