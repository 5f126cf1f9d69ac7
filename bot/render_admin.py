"""Messages for /sources, /refresh and /feedback, within Discord's limits."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import discord

from bot import text as T
from bot.render import Part, link_target, pack, web_url
from bot.store import DownvotedAnswer

SOURCES_PER_PAGE = 10
LINE = 380  # one source line; 10 of them stay well inside a 4,096-character description
LIST_FIELD = 900  # each list in the refresh report; four of them stay inside 6,000


def timestamp(iso: str | None, style: str = "f") -> str:
    """Discord's <t:…> markup (shown in the reader's time zone), or the text as given."""
    if not iso:
        return "never"
    try:
        return discord.utils.format_dt(datetime.fromisoformat(iso), style)  # type: ignore[arg-type]
    except ValueError:
        return T.escape(iso)


def page_count(n_documents: int) -> int:
    return max(1, math.ceil(n_documents / SOURCES_PER_PAGE))


def library_page(library: Any, page: int) -> discord.Embed:
    """One page of /sources: titles (linked when there is a URL), chunks, indexing time."""
    docs = library.documents
    pages = page_count(len(docs))
    page = min(max(page, 0), pages - 1)
    when = library.refreshed_at
    lines = [f"Last refreshed {timestamp(when)} ({timestamp(when, 'R')})", ""]
    start = page * SOURCES_PER_PAGE
    for i, d in enumerate(docs[start : start + SOURCES_PER_PAGE], start=start + 1):
        title = T.trim(T.escape(T.one_line(d.title) or d.path), 200)
        url = web_url(d.source)
        name = f"[{title}]({link_target(url)})" if url else title
        where = "" if url else f" · {T.trim(T.escape(d.path), 80)}"
        line = (
            f"**{i}.** {name} — {d.chunks} chunks{where} · indexed {timestamp(d.indexed_at, 'd')}"
        )
        lines.append(line if len(line) <= LINE else f"**{i}.** {title[: LINE - 20]}…")
    if not docs:
        lines.append("The index holds no documents yet. A moderator can run /refresh.")
    embed = discord.Embed(
        title=f"Sources: {len(docs)} documents, {library.chunks} chunks",
        description=T.trim("\n".join(lines), T.EMBED_DESCRIPTION),
        colour=discord.Colour.blurple(),
    )
    embed.set_footer(text=f"Page {page + 1} of {pages}")
    return embed


def progress_text(stage: str, done: int, total: int) -> str:
    bar = ""
    if total > 0:
        filled = round(10 * min(done, total) / total)
        bar = f" `{'█' * filled}{'░' * (10 - filled)}` {done}/{total}"
    return T.trim(f"🔄 Refreshing the index… {T.escape(stage)}{bar}", T.CONTENT)


def _listing(items: Sequence[str], limit: int = LIST_FIELD) -> str:
    """Bullet lines that fit in `limit` characters, ending with "… and N more"."""
    if not items:
        return "—"
    lines: list[str] = []
    used = 0
    for i, item in enumerate(items):
        line = "• " + T.trim(T.escape(T.one_line(item)), 200)
        after = len(items) - i - 1
        reserve = len(f"… and {after} more") + 1 if after else 0
        if used + len(line) + 1 + reserve > limit:
            lines.append(f"… and {len(items) - i} more")
            break
        lines.append(line)
        used += len(line) + 1
    return "\n".join(lines)


# Questions are personal data and a refresh report is posted where anyone in the channel
# reads it: it counts the open questions the refresh answered and says where moderators see
# which (the moderator who ran /refresh is also sent them, ephemerally: `answered_questions`).
WHICH_ANSWERED = "Moderators see which, privately: `/gaps status:answered`."


def refresh_report(report: Any, reasked: Any = None) -> discord.Embed:
    """The diff of a refresh: added, updated, removed, and skipped files with reasons; and,
    when it re-asked the open gap questions (`reasked`, this guild's only), how many it now
    answers, never which: the report is public (see `answered_questions`)."""
    changed = bool(report.added or report.updated or report.removed)
    embed = discord.Embed(
        title="Index refreshed" if changed else "Index refreshed: no changes",
        description=(
            f"{report.documents} documents, {report.chunks} chunks; "
            f"{len(report.unchanged)} unchanged; took {report.seconds:.1f} s."
        ),
        colour=discord.Colour.green() if not report.skipped else discord.Colour.orange(),
    )
    embed.add_field(name=f"Added ({len(report.added)})", value=_listing(report.added))
    embed.add_field(name=f"Updated ({len(report.updated)})", value=_listing(report.updated))
    embed.add_field(name=f"Removed ({len(report.removed)})", value=_listing(report.removed))
    skipped = [f"{s.path}: {s.reason}" for s in report.skipped]
    embed.add_field(name=f"Skipped ({len(skipped)})", value=_listing(skipped), inline=False)
    if reasked is not None and reasked.open:
        embed.add_field(
            name=T.trim(_sentence(reasked.line()), T.FIELD_NAME),
            value=WHICH_ANSWERED if reasked.answered else "—",
            inline=False,
        )
    return embed


def answered_questions(reasked: Any) -> discord.Embed:
    """The open questions a refresh answered (`reasked`, this guild's only), for the
    moderator who ran it alone: sent ephemerally, never in the public report."""
    questions = [a.question for a in reasked.answered]
    embed = discord.Embed(
        title=T.trim(_sentence(reasked.line()), T.EMBED_TITLE),
        description=_listing(questions, T.EMBED_DESCRIPTION),
        colour=discord.Colour.green(),
    )
    embed.set_footer(text="Only you can see this. /gaps status:answered shows them again.")
    return embed


def _sentence(line: str) -> str:
    return line[0].upper() + line[1:]


def feedback_embed(item: DownvotedAnswer) -> discord.Embed:
    embed = discord.Embed(
        title=T.trim("Q: " + T.escape(T.one_line(item.question)), T.EMBED_TITLE),
        url=item.jump_url,
        description=T.trim(T.escape(item.answer), 700),
        colour=discord.Colour.red(),
    )
    if item.sources:
        cited = ", ".join(T.escape(T.one_line(s)) for s in item.sources)
        embed.add_field(name="Cited", value=T.trim(cited, 300), inline=False)
    refused = " · answered “not covered”" if item.refused else ""
    embed.set_footer(
        text=f"👎 {item.down} · 👍 {item.up} · asked {item.created_at[:16].replace('T', ' ')}"
        + refused
    )
    return embed


def feedback_parts(items: Sequence[DownvotedAnswer]) -> list[Part]:
    if not items:
        return [Part(content="No answers have been voted 👎 yet.")]
    header = f"The {len(items)} most recent answers voted 👎 (newest first):"
    return pack([header], [feedback_embed(i) for i in items])
