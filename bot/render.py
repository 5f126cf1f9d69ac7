"""Answers as Discord messages: the answer with [n] markers, then one embed per source.

Everything here is pure (no network) so that Discord's limits can be tested directly:
content ≤ 2,000 characters per message, ≤ 10 embeds per message, ≤ 6,000 characters of
embed text per message, and the per-field limits of each embed."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import discord

from bot import text as T
from index.answering.types import Answer, Citation

MARKER = re.compile(r"\[(\d+)\]")
QUOTE_CHARS = 1500  # a quote is a sentence or two; keep room for several sources per message
ANSWER_COLOUR = discord.Colour.blurple()
REFUSED_COLOUR = discord.Colour.light_grey()


@dataclass
class Part:
    """One message: text content and/or embeds."""

    content: str | None = None
    embeds: list[discord.Embed] = field(default_factory=list)


def web_url(source: str) -> str | None:
    """`source` if it is an http(s) URL Discord will accept as a link, else None."""
    if len(source) > 2048 or any(c.isspace() for c in source):
        return None
    parts = urlsplit(source)
    return source if parts.scheme in ("http", "https") and parts.netloc else None


# What Markdown reads inside a masked link's target: a ")" there ends the link early and
# the rest of the URL ("…)[Official](https://…") would be a link of its own.
_LINK_UNSAFE = re.compile(r"[()\[\]<>\\`]")


def link_target(url: str) -> str:
    """`url` to put in "[text](…)": the characters Markdown reads there percent-encoded
    (to web servers, the same address)."""
    return _LINK_UNSAFE.sub(lambda m: f"%{ord(m[0]):02X}", url)


def _after_marker(text: str) -> str:
    """Escaped text that follows a kept [n] marker: a "(" right after it would make the
    marker a masked link ("[1](https://…)", as models like to write citations)."""
    text = T.escape(text)
    return "\\" + text if text.startswith("(") else text


def answer_text(answer: Answer) -> str:
    """The answer, escaped, keeping the [n] markers that refer to a citation."""
    known = {c.n for c in answer.citations}
    out: list[str] = []
    pos = 0
    escape = T.escape
    for m in MARKER.finditer(answer.answer):
        if int(m.group(1)) in known:
            out += [escape(answer.answer[pos : m.start()]), m.group(0)]
            pos, escape = m.end(), _after_marker
    out.append(escape(answer.answer[pos:]))
    body = "".join(out).strip() or "(no answer text)"
    if answer.note:
        body += "\n-# " + T.escape(T.one_line(answer.note))
    return body


def source_title(c: Citation, markers: str = "") -> str:
    """The source's markers ("[1] [3]"; default the citation's own) and its title."""
    return T.trim(
        f"{markers or f'[{c.n}]'} {T.escape(T.one_line(c.title) or c.path)}", T.EMBED_TITLE
    )


def source_embed(
    c: Citation,
    description: str | None,
    colour: discord.Colour,
    markers: str = "",
) -> discord.Embed:
    """An embed for one source: title with its markers (default the citation's own; linked
    to the URL if any) and `description`."""
    embed = discord.Embed(
        title=source_title(c, markers),
        url=web_url(c.source),
        description=T.trim(description, T.EMBED_DESCRIPTION) if description else None,
        colour=colour,
    )
    where = c.path if c.page is None else f"{c.path}, page {c.page}"
    if not web_url(c.source) or c.page is not None:
        embed.set_footer(text=T.trim(where, 200))
    return embed


def quote_block(quote: str, limit: int = QUOTE_CHARS) -> str:
    return "> " + T.trim(T.escape(T.one_line(quote)), limit - 2)


def pack(contents: Sequence[str], embeds: Sequence[discord.Embed]) -> list[Part]:
    """Messages for text `contents` then `embeds`, each message within Discord's limits.

    The embeds ride with the last text piece while they fit; the rest follow in as
    few messages as the 10-embed and 6,000-character limits allow."""
    parts = [Part(content=c) for c in contents] or [Part()]
    current = parts[-1]
    for embed in embeds:
        if len(current.embeds) >= T.EMBEDS_PER_MESSAGE or (
            sum(map(len, current.embeds)) + len(embed) > T.EMBED_TOTAL
        ):
            current = Part()
            parts.append(current)
        current.embeds.append(embed)
    return [p for p in parts if p.content or p.embeds]


def render_answer(answer: Answer) -> list[Part]:
    """The answer text, then an embed per source line (Answer.source_lines): where it is
    from, with its quoted sentence(s) unless the answer's text already quotes them."""
    colour = REFUSED_COLOUR if answer.refused else ANSWER_COLOUR
    embeds = [
        source_embed(
            line.citation,
            None if line.quoted else quote_block(line.citation.quote),
            colour,
            line.markers,
        )
        for line in answer.source_lines()
    ]
    return pack(T.split(answer_text(answer), T.CONTENT), embeds)


def passage_text(c: Citation) -> str:
    """The whole retrieved passage, escaped, with the quoted sentence(s) in bold."""
    passage = c.passage or c.quote
    at = passage.find(c.quote) if c.quote else -1
    if at < 0:
        return T.trim(T.escape(passage), T.EMBED_DESCRIPTION)
    before, after = passage[:at], passage[at + len(c.quote) :]
    marked = f"{T.escape(before)}**{T.escape(c.quote)}**{T.escape(after)}"
    if len(marked) <= T.EMBED_DESCRIPTION:
        return marked
    return T.trim(T.escape(passage), T.EMBED_DESCRIPTION)  # too long to mark up safely


def render_passages(citations: Iterable[Citation]) -> list[Part]:
    """The full retrieved passage behind each citation ("Show full passages")."""
    embeds = [source_embed(c, passage_text(c), ANSWER_COLOUR) for c in citations]
    if not embeds:
        return [Part(content="This answer has no passages to show.")]
    return pack([], embeds)


def draft_text(text: str) -> str:
    """A streaming answer so far, shown while it is written."""
    return T.trim(T.escape(text.strip()), T.CONTENT - 2) + " ▌"


def question_header(asker: str, question: str) -> str:
    return T.trim(f"**{T.escape(asker)}** asked: {T.escape(question)}", T.CONTENT)


def thread_name(question: str) -> str:
    return T.trim(T.one_line(question), T.THREAD_NAME) or "Question"
