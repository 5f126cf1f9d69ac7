"""What an answer is, for every answerer and every front end (CLI, Discord)."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from index.documents import Hit
    from index.search.evidence import Evidence
    from index.search.question import Question
    from index.search.retrieval import Generation


# A source's own reference marks ("… in 1948.[3]", as an encyclopaedia's text has them). In
# an answer's text they would read as its citation markers, citing nothing or another
# source, so a quote shown there leaves them out; the citation's `quote` keeps them.
_SOURCE_MARK = re.compile(r"\s*\[\d{1,3}\]")
# Such marks as a sentence splitter leaves them: one that follows a sentence's full stop
# ("… in 1948.[1] Bevan …", "… in 1948. ¹ Bevan …") opens the next "sentence", and so does a
# footnote's own number ("[3] The trust …", "¹ The trust …" in a list of notes).
_MARK = r"(?:\[\d{1,3}\]|[⁰¹²³⁴⁵⁶⁷⁸⁹]+)"
_LEADING_MARKS = re.compile(rf"(?:{_MARK}\s*)+")
_TRAILING_MARKS = re.compile(rf"{_MARK}+")


def as_answer_text(quote: str) -> str:
    """`quote` as an answer's text may show it: without the source's reference marks."""
    return _SOURCE_MARK.sub("", quote)


_OPEN, _CLOSE = "“", "”"
_INNER_OPEN, _INNER_CLOSE = "‘", "’"


def shown(quote: str) -> str:
    """A quote as the answer shows it, between quotation marks: the sentence on one line,
    without a quotation mark whose pair lies in the sentence before or after it, without
    the source's own reference marks ("[3]"), and without marks of ours around a sentence
    that is one quotation already. A quote holding double quotation marks of its own goes
    between single ones, as British print nests them (‘“If Momentum tried …,” he said.’),
    not between a second pair of doubles."""
    q = " ".join(as_answer_text(quote).split())
    if q.startswith(_OPEN) and q.count(_OPEN) > q.count(_CLOSE):
        q = q[1:]
    if q.endswith(_CLOSE) and q.count(_CLOSE) > q.count(_OPEN):
        q = q[:-1]
    if q.count('"') % 2:
        q = q[1:] if q.startswith('"') else q[:-1] if q.endswith('"') else q
    if q.count('"') == 2 and q.startswith('"') and q.endswith('"'):  # one quotation, typed
        return f"{_OPEN}{q[1:-1]}{_CLOSE}"
    if q.startswith(_OPEN) and q.endswith(_CLOSE) and q.count(_OPEN) == 1 == q.count(_CLOSE):
        return q
    if _OPEN in q or _CLOSE in q:
        return f"{_INNER_OPEN}{q}{_INNER_CLOSE}"
    return f"{_OPEN}{q}{_CLOSE}"


def quote_span(text: str, start: int, end: int) -> tuple[int, int]:
    """The span of the sentences text[start:end] as a citation quotes them: without the
    marks they open with (the sentence before's, or a footnote's number), with those
    written right after their end ("… the doctors.[2][3]"), as the quote keeps the marks
    within it."""
    lead = _LEADING_MARKS.match(text, start, end)
    if lead and lead.end() < end:
        start = lead.end()
    trail = _TRAILING_MARKS.match(text, end)
    return start, trail.end() if trail else end


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
    speaker: str | None = None  # who says the quote, as the text names them
    verb: str = ""  # the text's reporting verb for it ("argued"), when in the past tense
    quoted: bool = False  # it opens inside a quotation the passage opened before it

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
        if self.speaker:
            out["speaker"] = self.speaker
        return out


@dataclass(frozen=True)
class SourceLine:
    """One source listed under an answer: the markers citing it and its first citation."""

    numbers: tuple[int, ...]
    citation: Citation
    quoted: bool  # the answer's text shows the quote(s) already: name the source only

    @property
    def markers(self) -> str:
        """Its markers as the answer writes them: "[1] [3]"."""
        return " ".join(f"[{n}]" for n in self.numbers)


@dataclass
class Answer:
    question: str
    answer: str
    refused: bool
    citations: list[Citation] = field(default_factory=list)
    mode: str = "extractive"
    note: str | None = None
    timings_ms: dict[str, float] = field(default_factory=dict)
    shape: str = "fact"  # "fact" or "broad": one quote, or several voices
    # Why a refused answer was refused, in the judge's words (index.search.gate.Verdict.reason);
    # None when answered, or when the refusal came from elsewhere (an LLM declining). Kept
    # with each stored answer so moderators can see why a question went unanswered.
    reason: str | None = None

    def shows_quote(self, c: Citation) -> bool:
        """Does the answer's text already quote `c` word for word (an extractive answer)?
        A list of sources then names where each quote is from without repeating it."""
        quote = shown(c.quote)[1:-1]  # as an extractive answer shows it, marks aside
        return bool(quote) and quote in " ".join(self.answer.split())

    def source_lines(self) -> list[SourceLine]:
        """The sources to list under the answer, in marker order: one line per citation
        whose quote must be shown, and one per source (document and page) for those the
        answer's text quotes already ("[1] [2] [4] Unions defeat …")."""
        lines: list[SourceLine] = []
        shared: dict[tuple[str, str, int | None], int] = {}
        for c in self.citations:
            if not self.shows_quote(c):
                lines.append(SourceLine((c.n,), c, quoted=False))
                continue
            key = (c.path, c.source, c.page)
            if key in shared:
                at = shared[key]
                lines[at] = replace(lines[at], numbers=(*lines[at].numbers, c.n))
            else:
                shared[key] = len(lines)
                lines.append(SourceLine((c.n,), c, quoted=True))
        return lines

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "question": self.question,
            "answer": self.answer,
            "refused": self.refused,
            "citations": [c.to_json() for c in self.citations],
            "mode": self.mode,
            "shape": self.shape,
            "timings_ms": {k: round(v, 2) for k, v in self.timings_ms.items()},
        }
        if self.note:
            out["note"] = self.note
        return out


@dataclass(frozen=True)
class Gathered:
    """The evidence for one answer, gathered once by the service and read by the gate and
    the answerer alike: the passages retrieved, every sentence of them scored against the
    question (best first), and those from documents about the names it asks about
    (index.search.gate.about_names)."""

    hits: list[Hit]
    scored: list[Evidence]
    relevant: list[Evidence]


@dataclass(frozen=True)
class Condensed:
    """A follow-up rewritten as a standalone question (None: not rewritten), or why that
    failed."""

    question: str | None
    failure: str | None = None


class Answerer(Protocol):
    """What turns retrieved passages into an Answer: the extractive answerer (quotes) and
    the generative one (an LLM, checked) alike."""

    mode: str

    def condense(self, question: str, history: Sequence[Turn]) -> Condensed:
        """A follow-up as a standalone question, when the answerer can write one."""
        ...

    def run(
        self,
        asked: str,
        question: Question,
        gathered: Gathered,
        live: Generation,
        history: tuple[Turn, ...],
        condensed: Condensed | None,
        stream: bool,
    ) -> Iterator[str | Answer]:
        """Draft text pieces (when streaming), then the final Answer, for a question the
        service has judged covered by `gathered`. `asked` is what the user wrote;
        `question` the standalone question, analysed."""
        ...
