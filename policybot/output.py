"""Human-readable terminal output. (JSON output is the contract; this is free to change.)

Nothing printed here can drive the terminal: a control character (the library's text has
none, its loaders drop them, but a file's name or a language model's reply may) is shown as
its escape ("\\x1b"), not sent raw."""

from __future__ import annotations

import shutil
import textwrap
from typing import Any

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
                print(_wrap(f"“{c.quote}”", "     "))
    print()


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
