"""Human-readable terminal output. (JSON output is the contract; this is free to change.)

Nothing printed here can drive the terminal: a control character (the library's text has
none, its loaders drop them, but a file's name or a language model's reply may) is shown as
its escape ("\\x1b"), not sent raw."""

from __future__ import annotations

import dataclasses
import os
import shutil
import sys
import textwrap
import unicodedata
from typing import Any, TextIO

from index.answering.types import shown
from index.text import CONTROL


def safe(text: str) -> str:
    """`text` with every control character but newline and tab written as its escape."""
    return CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def _width() -> int:
    return max(40, min(100, shutil.get_terminal_size((88, 24)).columns) - 2)


def _wrap(text: str, indent: str = "") -> str:
    return textwrap.fill(
        safe(" ".join(text.split())), _width(), initial_indent=indent, subsequent_indent=indent
    )


def _where(c: Any) -> str:
    page = getattr(c, "page", None)
    return f"{c.source}" + (f", p. {page}" if page else "")


def print_answer(answer: Any) -> None:
    # A broad answer puts each speaker on a line of its own: keep those lines.
    for line in answer.answer.split("\n"):
        if line.strip():
            print(_wrap(line))
    if answer.note:
        print(_wrap(f"({answer.note})"))
    if answer.citations:
        print()
        print("Nearest passages:" if answer.refused else "Sources:")
        for line in answer.source_lines():
            c = line.citation
            print(_wrap(f"{line.markers} {c.title} — {_where(c)}"))
            if not line.quoted:
                print(_wrap(shown(c.quote), "     "))
    print()


# Select Graphic Rendition: dim (the draft is not the answer yet), back to normal; cursor up
# N rows, then erase from the cursor to the end of the screen (ECMA-48, every VT100 descendant).
DIM, NORMAL = "\x1b[2m", "\x1b[22m"
DRAFT_LABEL = "Draft, being checked against the sources…"
DRAFT_KEPT = "The draft above is not the answer. Checked against the sources, the answer is:"
DRAFT_DROPPED = "The draft above is not the answer; quotes from the sources:"
DRAFT_SAME = "Checked against the sources, the draft above is the answer."


def _cells(line: str) -> int:
    """Terminal columns `line` takes: wide (CJK) characters two, combining ones none, a tab
    to the next multiple of 8."""
    width = 0
    for ch in line:
        if ch == "\t":
            width += 8 - width % 8
        elif not unicodedata.combining(ch):
            width += 2 if unicodedata.east_asian_width(ch) in "WF" else 1
    return width


def _rows(text: str, columns: int) -> int:
    """Terminal rows `text` takes once written from the start of a row (the terminal wraps
    a line at its margin)."""
    return sum(max(1, -(-_cells(line) // columns)) for line in text.split("\n"))


class Draft:
    """A generative answer's draft, streamed to a terminal while it is checked: dimmed under
    a label, then erased so that only the checked answer stays (the checker may drop or
    renumber the draft's claims, and a reader shouldn't have two answers to tell apart). A
    draft taller than the screen can't be erased (its top has scrolled off): it stays, and a
    line says the answer below replaces it. Only for a terminal: piped, the CLI prints the
    checked answer alone."""

    def __init__(self, out: TextIO | None = None) -> None:
        self.out = out or sys.stdout
        self.text = ""

    def write(self, piece: str) -> None:
        if not self.text:
            self.out.write(f"{DIM}{DRAFT_LABEL}\n")
        piece = safe(piece)
        self.text += piece
        self.out.write(piece)
        self.out.flush()

    def abandon(self) -> None:
        """The answer won't come (an error, Ctrl-C): leave the terminal's style as it was."""
        if self.text:
            self.out.write(f"{NORMAL}\n")
            self.out.flush()

    def replace(self, answer: Any) -> None:
        """Show the checked `answer` in the draft's place."""
        if not self.text:
            print_answer(answer)
            return
        try:
            columns, lines = os.get_terminal_size(self.out.fileno())
        except (OSError, ValueError):
            columns, lines = shutil.get_terminal_size()
        rows = _rows(DRAFT_LABEL, columns) + _rows(self.text, columns)
        self.out.write(NORMAL)
        if rows < lines:  # all of it on the screen: up to the label's row, erase to the end
            self.out.write(f"\r\x1b[{rows - 1}A\x1b[J")
            self.out.flush()
            print_answer(answer)
            return
        self.out.write("\n\n")
        if " ".join(self.text.split()) == " ".join(answer.answer.split()):
            print(DRAFT_SAME)
            print_answer(dataclasses.replace(answer, answer=""))  # its sources
            return
        print(DRAFT_KEPT if answer.mode == "generative" else DRAFT_DROPPED)
        print_answer(answer)


def print_hits(question: str, hits: list[Any]) -> None:
    print(f"Results for: {question}")
    for rank, h in enumerate(hits, start=1):
        print(_wrap(f"{rank}. {h.title} — {_where(h)}  (score {h.fused:.2f})"))
        # line by line: a heading or a table row in the passage keeps a line of its own
        for line in h.text.split("\n"):
            if line.strip():
                print(_wrap(line, "     "))
    print()


def print_report(report: Any) -> None:
    verb = "Would index" if report.dry_run else "Indexed"
    print(
        f"{verb} {report.documents} documents ({report.chunks} chunks) in {report.seconds:.1f} s."
    )
    for label, items in (
        ("added", report.added),
        ("updated", report.updated),
        ("removed", report.removed),
    ):
        for path in items:
            print(safe(f"  {label:8} {path}"))
    print(f"  unchanged {len(report.unchanged)}")
    for skipped in report.skipped:
        print(safe(f"  skipped  {skipped.path}: {skipped.reason}"))
    if not report.changed and not report.dry_run:
        print("Nothing changed.")


def print_library(library: Any) -> None:
    when = library.refreshed_at or "never"
    print(f"{len(library.documents)} documents, {library.chunks} chunks; last refreshed {when}")
    for d in library.documents:
        by = f" — {d.metadata['author']}" if d.metadata.get("author") else ""
        print(_wrap(f"• {d.title}{by}"))
        print(safe(f"    {d.source}  ({d.chunks} chunks, indexed {d.indexed_at})"))


def print_gaps(gaps: list[Any]) -> None:
    if not gaps:
        print("No gaps: every question was answered (or none was asked).")
        return
    for g in gaps:
        status = f"answered by the refresh of {g.answered_by}" if g.answered_by else g.status
        members = f"{g.askers} member" + ("s" if g.askers != 1 else "")
        print(
            _wrap(
                f"[{status}] asked {g.count}× by {members}, {g.first_asked[:10]} to "
                f"{g.last_asked[:10]}: {g.reason}  (id {g.id})"
            )
        )
        for q in g.questions:
            print(_wrap(f"“{q}”", "     "))
    print()


def print_reasked(reasked: Any) -> None:
    """The refresh's answer to the open gaps: "this refresh answered 3 of 7 open questions"."""
    line = reasked.line()
    print(line[0].upper() + line[1:] + (":" if reasked.answered else "."))
    for a in reasked.answered:
        print(_wrap(f"“{a.question}”", "  "))
