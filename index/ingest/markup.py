"""Markdown read as the text a reader sees: what a citation quotes and its spans point into.

A quote must be the document's own words, and a reader of an article never sees `## `,
`**`, `[…](https://…)`, `> ` or `| --- |`: those are how the file is written, not what it
says. So a Markdown file (and a web page, which trafilatura turns into Markdown) is read
as its text, with the markup gone (CommonMark with GFM tables and strikethrough, by
markdown-it-py):

- every block (paragraph, list item, quoted paragraph, heading, table, code) is a paragraph
  of its own, separated from the next by a blank line, so no sentence runs from one into
  the next ("# Norwich rail plan" is not the start of the sentence after it);
- list and blockquote markers, emphasis, link syntax (the link's words stay, its address
  goes), images, raw HTML tags and backslash escapes are not part of the text;
- headings, tables (a row a line, cells between " | ") and code stay in the text, so a
  passage shows them and words find them, but they are recorded as `Structure`: never a
  sentence, so never quoted nor joined to one (index/text.py, `split_sentences`).

The document's text is this reading, as a PDF's is pypdf's; spans count in it.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from functools import cache

from markdown_it import MarkdownIt
from markdown_it.token import Token

from index.documents import Structure

_TAG = re.compile(r"<[^>]*>")
# Raw HTML that is never text: comments, scripts, styles.
_NOT_TEXT = re.compile(r"<!--.*?-->|<(script|style)\b.*?</\1\s*>", re.S | re.I)
_BREAK_TAG = re.compile(r"<br\s*/?>", re.I)


@dataclass(frozen=True)
class Read:
    """A document's text as a reader sees it, and where its headings, tables and code are."""

    text: str
    structure: tuple[Structure, ...]


@cache
def _parser() -> MarkdownIt:
    return MarkdownIt("commonmark").enable(["table", "strikethrough"])


def read_markdown(source: str, soft_break: str = "\n") -> Read:
    """The text of Markdown `source`, block by block (see the module's docstring). A line
    break inside a paragraph is `soft_break`: kept in a file's text as its writer wrapped
    it; a space in a web page's, where it was only the HTML's layout."""
    blocks: list[tuple[str | None, str]] = []  # (structure kind or None for prose, text)
    tokens = _parser().parse(source)
    i = 0
    while i < len(tokens):
        token = tokens[i]
        kind = token.type
        if kind == "heading_open":
            blocks.append(("heading", _inline(tokens[i + 1], soft_break)))
            i += 3
            continue
        if kind == "paragraph_open":
            blocks.append((None, _inline(tokens[i + 1], soft_break)))
            i += 3
            continue
        if kind == "table_open":
            end = next(j for j in range(i, len(tokens)) if tokens[j].type == "table_close")
            blocks.append(("table", _table(tokens[i:end])))
            i = end + 1
            continue
        if kind in ("fence", "code_block"):
            blocks.append(("code", token.content.rstrip("\n")))
        elif kind == "html_block":
            blocks.append((None, _html_text(token.content)))
        i += 1
    return _join(blocks)


def _inline(token: Token, soft_break: str = "\n") -> str:
    """An inline run's words: emphasis, link syntax and images gone, breaks kept."""
    out: list[str] = []
    for child in token.children or []:
        if child.type in ("text", "code_inline"):
            out.append(child.content)
        elif child.type == "softbreak":
            out.append(soft_break)
        elif child.type == "hardbreak" or (
            child.type == "html_inline" and _BREAK_TAG.fullmatch(child.content.strip())
        ):
            out.append("\n")
        # em/strong/s/link open and close, images, other inline HTML: markup, not text
    return "\n".join(line.strip() for line in "".join(out).strip().split("\n"))


def _table(tokens: list[Token]) -> str:
    """A table a row a line, its cells between " | " (the |---| line is markup)."""
    rows: list[list[str]] = []
    for token in tokens:
        if token.type == "tr_open":
            rows.append([])
        elif token.type == "inline" and rows:
            rows[-1].append(" ".join(_inline(token).split()))
    return "\n".join(" | ".join(cells) for cells in rows if any(cells))


def _html_text(raw: str) -> str:
    """The words of a raw HTML block (a `<p>` or `<div>` written into the Markdown)."""
    text = _BREAK_TAG.sub("\n", _NOT_TEXT.sub("", raw))
    text = html.unescape(_TAG.sub("", text))
    return "\n".join(" ".join(line.split()) for line in text.split("\n") if line.strip())


def _join(blocks: list[tuple[str | None, str]]) -> Read:
    parts: list[str] = []
    structure: list[Structure] = []
    pos = 0
    for kind, text in blocks:
        if not text.strip():
            continue
        if parts:
            parts.append("\n\n")
            pos += 2
        if kind is not None:
            structure.append(Structure(kind, pos, pos + len(text)))
        parts.append(text)
        pos += len(text)
    return Read("".join(parts), tuple(structure))
