"""What an answer is, for every answerer and every front end (CLI, Discord)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Turn:
    """An earlier exchange in a conversation (a Discord thread)."""

    question: str
    answer: str = ""


@dataclass(frozen=True)
class Citation:
    n: int
    title: str
    source: str  # the article's URL when known, else its path in the sources folder
    path: str  # path in the sources folder
    quote: str  # verbatim sentence(s) of the document
    score: float
    start: int  # the quote's character span in the document's text
    end: int
    passage: str = ""  # the whole retrieved chunk, for "show full passages"
    page: int | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "n": self.n,
            "title": self.title,
            "source": self.source,
            "path": self.path,
            "quote": self.quote,
            "score": round(self.score, 4),
            "start": self.start,
            "end": self.end,
        }
        if self.page is not None:
            out["page"] = self.page
        return out


@dataclass
class Answer:
    question: str
    answer: str
    refused: bool
    citations: list[Citation] = field(default_factory=list)
    mode: str = "extractive"
    note: str | None = None
    timings_ms: dict[str, float] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "question": self.question,
            "answer": self.answer,
            "refused": self.refused,
            "citations": [c.to_json() for c in self.citations],
            "mode": self.mode,
            "timings_ms": {k: round(v, 2) for k, v in self.timings_ms.items()},
        }
        if self.note:
            out["note"] = self.note
        return out
