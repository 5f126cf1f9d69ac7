"""Discord's text limits, and escaping, trimming and splitting that respect them."""

from __future__ import annotations

import re

CONTENT = 2000
EMBED_TITLE = 256
EMBED_DESCRIPTION = 4096
FIELD_NAME = 256
FIELD_VALUE = 1024
FOOTER = 2048
EMBED_TOTAL = 6000
EMBEDS_PER_MESSAGE = 10
THREAD_NAME = 100
ELLIPSIS = "…"

# Inline markdown, masked links, and <@…>/<#…>/<t:…>/<:emoji:…> syntax.
_INLINE = re.compile(r"([\\*_~|`\[\]<])")
# Block markup at the start of a line: headings, subtext, quotes, lists ("1." → "1\.").
_LINE_START = re.compile(r"^([ \t]*)(?:([#>+-])|(\d+)\.)", re.MULTILINE)
_MASS_MENTION = re.compile(r"@(everyone|here)")
_BREAKS = ("\n\n", "\n", ". ", "? ", "! ", "; ", ", ", " ")
# A citation marker ("[3]", "[3][4]"; escaped brackets are text) after a break belongs to
# the sentence before it: models write "… sentence. [3]".
_MARKER_NEXT = re.compile(r"\s*\[\d+\]")


def _escape_line_start(m: re.Match[str]) -> str:
    indent, mark, number = m.groups()
    return f"{indent}\\{mark}" if mark else f"{indent}{number}\\."


def escape(text: str) -> str:
    """Make `text` show literally: no markdown, links, mentions or block markup survive."""
    text = _INLINE.sub(r"\\\1", text)
    text = _LINE_START.sub(_escape_line_start, text)
    return _MASS_MENTION.sub("@\u200b\\1", text)


def one_line(text: str) -> str:
    """Collapse all whitespace (newlines included) to single spaces."""
    return " ".join(text.split())


def _safe_cut(text: str, cut: int) -> int:
    """Move `cut` back so that it does not separate a backslash from what it escapes."""
    run = 0
    while cut - run - 1 >= 0 and text[cut - run - 1] == "\\":
        run += 1
    return cut - 1 if run % 2 else cut


def trim(text: str, limit: int) -> str:
    """`text` if it fits in `limit` characters, else cut at a word and ended with "…"."""
    if len(text) <= limit:
        return text
    if limit <= len(ELLIPSIS):
        return ELLIPSIS[:limit]
    cut = limit - len(ELLIPSIS)
    space = text.rfind(" ", 0, cut + 1)
    if space > cut * 0.8:
        cut = space
    cut = _safe_cut(text, cut)
    return text[:cut].rstrip() + ELLIPSIS


def _break(text: str, limit: int) -> int:
    """Where to end the first piece of `text`: the cleanest break within `limit` (and past
    a third of it), never one that leaves a citation marker to start the next piece."""
    for brk in _BREAKS:
        end = limit - len(brk.rstrip()) + 1
        while (at := text.rfind(brk, 0, end)) > limit // 3:
            cut = at + len(brk.rstrip())
            if not _MARKER_NEXT.match(text, cut):
                return cut
            end = at + len(brk) - 1  # look further back
    return limit


def split(text: str, limit: int) -> list[str]:
    """Split `text` into pieces of at most `limit` characters at the cleanest break found.

    Breaks are tried in order: paragraph, line, sentence, clause, word, then anywhere;
    a citation marker stays with the sentence before it and an escape sequence is never
    cut in two. Joining the pieces with the whitespace that was dropped at the breaks
    gives `text` back."""
    if limit < 2:
        raise ValueError("limit must be at least 2")
    pieces: list[str] = []
    rest = text.strip()
    while len(rest) > limit:
        cut = _safe_cut(rest, _break(rest, limit))
        pieces.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest:
        pieces.append(rest)
    return pieces
