"""Measure retrieval and answers on a question file: what `policybot eval` reports.

The question file is JSON Lines, one question per line (blank lines are ignored):

    {"id": "d01", "question": "...", "answerable": true,
     "gold_quotes": ["verbatim words of the source"], "keywords": ["Unison"]}
    {"id": "du1", "question": "...", "answerable": false}
    {"id": "db1", "question": "...", "groups": [["side A quote", ...], ["side B quote"]]}

A line with `groups` is a *broad* question (arguments, positions, what happened): a good
answer cites every side, cause or speaker its groups stand for.

Every comparison below is made on *normalised* text: runs of whitespace become one space,
typographic quotes and apostrophes become their ASCII forms, and case is folded. "A contains
B" always means "normalised B is a substring of normalised A".

Metrics (answerable = questions with `"answerable": true`):

* **hit@k** — share of answerable questions for which some result among the top k of
  `kb.search(question, k=10)` contains one of the question's gold quotes.
* **MRR@10** — mean over answerable questions of 1/rank of the first result containing a
  gold quote, counting 0 when none of the top 10 does.
* **citation precision** — over the answerable questions the answerer did *not* refuse, the
  share of all their citation quotes (pooled) that are correct. A citation quote is correct
  when it contains one of the question's gold quotes, or is itself contained in one (a
  fragment of the gold evidence). Undefined (None) when no such question has a citation.
* **keyword recall** — over all answerable questions (a refusal finds no keyword), the share
  of their gold keywords (pooled) that appear in the answer text.
* **answered citing gold** — share of answerable questions answered with at least one
  correct citation quote.
* **refusal accuracy** — share of unanswerable questions the answerer refused.
* **false refusal rate** — share of answerable questions it refused;
  **answered rate** = 1 − false refusal rate.
Broad questions (lines with `groups`) are scored apart, in `broad`:

* **coverage** — share of a question's groups with at least one cited quote containing one
  of the group's gold quotes, averaged over broad questions (a refusal covers nothing).
* **all_sides** — share of broad questions with every group covered.
* **refused** — share of broad questions refused (they are all answerable).
* **on_topic_quotes** — share of the cited quotes of answered broad questions that contain
  a gold quote of some group.

Every run also counts the answers' **modes** (extractive, generative) and, for answers
that fell back from a language model, the **fallback reasons** (the answer's note).

* **latency** — p50, p95 (linear interpolation between closest ranks, as numpy's default)
  and max, in milliseconds, of the answer's own `timings_ms` stages (retrieve, answer,
  total) over every question, and of the `search` call used for hit@k. Each question is
  answered before it is searched, so the answer pays for embedding the question (unless the
  model's query cache already holds it) and the search usually does not.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from index.errors import UsageError
from index.eval_metrics import (
    SEARCH_K,
    citation_correct,
    contains_gold,
    first_rank,
    hit_at,
    keywords_found,
    mrr,
    normalise,
    percentiles,
)
from index.qa_file import QAItem, load_qa

# The question file and the metric maths have modules of their own; callers import them
# from here, with the run and its report.
__all__ = [
    "SEARCH_K",
    "EvalReport",
    "QAItem",
    "QuestionResult",
    "citation_correct",
    "contains_gold",
    "first_rank",
    "hit_at",
    "keywords_found",
    "latency",
    "load_qa",
    "modes",
    "mrr",
    "normalise",
    "percentiles",
    "run_eval",
    "summarise",
    "summarise_broad",
]


# -- one run ----------------------------------------------------------------------------


@dataclass
class QuestionResult:
    """What happened to one question. `rank` is None when no top-10 result held gold."""

    item: QAItem
    rank: int | None = None
    refused: bool = False
    answer: str = ""
    quotes: list[str] = field(default_factory=list)
    timings_ms: dict[str, float] = field(default_factory=dict)
    search_ms: float | None = None
    mode: str = "extractive"
    note: str | None = None

    @property
    def covered(self) -> list[bool]:
        """For a broad question: which of its groups a cited quote covers."""
        if self.refused:
            return [False] * len(self.item.groups)
        return [any(contains_gold(q, g) for q in self.quotes) for g in self.item.groups]

    @property
    def on_topic_quotes(self) -> int:
        """Cited quotes holding a gold quote of some group (broad questions)."""
        return sum(any(contains_gold(q, g) for g in self.item.groups) for q in self.quotes)

    @property
    def correct_quotes(self) -> int:
        return sum(citation_correct(q, self.item.gold_quotes) for q in self.quotes)

    @property
    def keywords_found(self) -> list[str]:
        return [] if self.refused else keywords_found(self.answer, self.item.keywords)

    @property
    def ok(self) -> bool:
        """Right by every measure: gold in the top 5, answered with only correct citations
        and every keyword (answerable); refused (unanswerable)."""
        if not self.item.answerable:
            return self.refused
        if self.item.broad:
            return all(self.covered)
        return (
            self.rank is not None
            and self.rank <= 5
            and not self.refused
            and self.correct_quotes == len(self.quotes) > 0
            and len(self.keywords_found) == len(self.item.keywords)
        )

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.item.id,
            "question": self.item.question,
            "answerable": self.item.answerable,
            "refused": self.refused,
            "answer": self.answer,
            "ok": self.ok,
            "mode": self.mode,
            "timings_ms": {k: round(v, 2) for k, v in self.timings_ms.items()},
        }
        if self.note:
            out["note"] = self.note
        if self.item.broad:
            out.update(
                groups=len(self.item.groups),
                covered=sum(self.covered),
                citations=len(self.quotes),
                on_topic_citations=self.on_topic_quotes,
            )
        elif self.item.answerable:
            out.update(
                rank=self.rank,
                citations=len(self.quotes),
                correct_citations=self.correct_quotes,
                keywords=list(self.item.keywords),
                keywords_found=self.keywords_found,
            )
        return out


def _ratio(num: int, den: int) -> float | None:
    return num / den if den else None


def summarise(results: Sequence[QuestionResult]) -> dict[str, float | None]:
    """The single-fact metrics of the module docstring, from per-question results (None =
    undefined); broad questions are left to `summarise_broad`."""
    results = [r for r in results if not r.item.broad]
    answerable = [r for r in results if r.item.answerable]
    unanswerable = [r for r in results if not r.item.answerable]
    ranks = [r.rank for r in answerable]
    answered = [r for r in answerable if not r.refused]
    keywords = [len(r.item.keywords) for r in answerable]
    false_refusals = sum(r.refused for r in answerable)
    return {
        "hit@1": hit_at(ranks, 1),
        "hit@5": hit_at(ranks, 5),
        "mrr@10": mrr(ranks, SEARCH_K),
        "citation_precision": _ratio(
            sum(r.correct_quotes for r in answered), sum(len(r.quotes) for r in answered)
        ),
        "keyword_recall": _ratio(sum(len(r.keywords_found) for r in answerable), sum(keywords)),
        "refusal_accuracy": _ratio(sum(r.refused for r in unanswerable), len(unanswerable)),
        "false_refusal_rate": _ratio(false_refusals, len(answerable)),
        "answered_rate": _ratio(len(answerable) - false_refusals, len(answerable)),
        "answered_citing_gold": _ratio(
            sum(1 for r in answered if r.correct_quotes > 0), len(answerable)
        ),
    }


def summarise_broad(results: Sequence[QuestionResult]) -> dict[str, float | None]:
    """coverage, all_sides, refused and on_topic_quotes over the broad questions."""
    broad = [r for r in results if r.item.broad]
    if not broad:
        return {}
    answered = [r for r in broad if not r.refused]
    return {
        "coverage": sum(sum(r.covered) / len(r.covered) for r in broad) / len(broad),
        "all_sides": sum(all(r.covered) for r in broad) / len(broad),
        "refused": sum(r.refused for r in broad) / len(broad),
        "on_topic_quotes": _ratio(
            sum(r.on_topic_quotes for r in answered), sum(len(r.quotes) for r in answered)
        ),
    }


def modes(results: Sequence[QuestionResult]) -> dict[str, Any]:
    """How many answers each mode gave, and why answers fell back from the model."""
    counts: dict[str, int] = {}
    reasons: dict[str, int] = {}
    for r in results:
        counts[r.mode] = counts.get(r.mode, 0) + 1
        if r.note:
            reasons[r.note] = reasons.get(r.note, 0) + 1
    return {"modes": counts, "fallbacks": reasons}


def latency(results: Sequence[QuestionResult]) -> dict[str, dict[str, float]]:
    out: dict[str, dict[str, float]] = {}
    for stage in ("total", "retrieve", "answer"):
        values = [r.timings_ms[stage] for r in results if stage in r.timings_ms]
        if values:
            out[stage] = percentiles(values)
    searches = [r.search_ms for r in results if r.search_ms is not None]
    if searches:
        out["search"] = percentiles(searches)
    return out


@dataclass
class EvalReport:
    results: list[QuestionResult]
    metrics: dict[str, float | None]
    latency_ms: dict[str, dict[str, float]]
    label: str = ""
    broad: dict[str, float | None] = field(default_factory=dict)
    modes: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def of(cls, results: list[QuestionResult], label: str = "") -> EvalReport:
        return cls(
            results,
            summarise(results),
            latency(results),
            label,
            summarise_broad(results),
            modes(results),
        )

    @property
    def answerable(self) -> int:
        return sum(r.item.answerable and not r.item.broad for r in self.results)

    @property
    def broad_count(self) -> int:
        return sum(r.item.broad for r in self.results)

    def to_json(self) -> dict[str, Any]:
        return {
            "questions": len(self.results),
            "answerable": self.answerable,
            "unanswerable": len(self.results) - self.answerable - self.broad_count,
            "broad_questions": self.broad_count,
            "metrics": _rounded(self.metrics),
            "broad": _rounded(self.broad),
            **self.modes,
            "latency_ms": self.latency_ms,
            "results": [r.to_json() for r in self.results],
        }

    def to_text(self) -> str:
        n, a, b = len(self.results), self.answerable, self.broad_count
        head = f"{self.label}: " if self.label else ""
        counts = f"{a} answerable, {n - a - b} unanswerable" + (f", {b} broad" if b else "")
        lines = [f"{head}{n} questions ({counts})", ""]
        lines.append(f"  {'metric':<22} {'value':>7}")
        shown_metrics = self.metrics if n > b else {}
        broad = {f"broad {k}": v for k, v in self.broad.items()}
        for name, value in [*shown_metrics.items(), *broad.items()]:
            shown = "n/a" if value is None else f"{value:.3f}"
            lines.append(f"  {name:<22} {shown:>7}")
        modes = ", ".join(f"{m} {c}" for m, c in self.modes.get("modes", {}).items())
        lines.append(f"  {'modes':<22} {modes}")
        for reason, count in self.modes.get("fallbacks", {}).items():
            lines.append(f"    fell back ×{count}: {reason}")
        lines += ["", f"  {'latency (ms)':<22} {'p50':>8} {'p95':>8} {'max':>8}"]
        for stage, p in self.latency_ms.items():
            lines.append(f"  {stage:<22} {p['p50']:>8.1f} {p['p95']:>8.1f} {p['max']:>8.1f}")
        wrong = [r for r in self.results if not r.ok]
        if wrong:
            lines += ["", "  not fully right:"]
            for r in wrong:
                lines.append(f"    {r.item.id}: {_why(r)} — {r.item.question[:70]}")
        return "\n".join(lines)


def _rounded(metrics: dict[str, float | None]) -> dict[str, float | None]:
    return {k: None if v is None else round(v, 4) for k, v in metrics.items()}


def _why(r: QuestionResult) -> str:
    if not r.item.answerable:
        return "answered an unanswerable question"
    if r.item.broad:
        if r.refused:
            return "refused"
        return f"{sum(r.covered)}/{len(r.covered)} sides cited"
    why = []
    if r.rank is None or r.rank > 5:
        why.append("gold not in top 5" if r.rank is None else f"gold at rank {r.rank}")
    if r.refused:
        why.append("refused")
    elif r.correct_quotes < len(r.quotes) or not r.quotes:
        why.append(f"{r.correct_quotes}/{len(r.quotes)} citations hold gold")
    missing = [k for k in r.item.keywords if k not in r.keywords_found]
    if missing and not r.refused:
        why.append("missing " + ", ".join(missing))
    return "; ".join(why)


def run_eval(kb: Any, questions: Sequence[QAItem], label: str = "") -> EvalReport:
    """Ask every question of `kb` (an index.service.KnowledgeBase): search for hit@k, then
    answer for citations, keywords and refusals."""
    results: list[QuestionResult] = []
    for item in questions:
        try:
            result = QuestionResult(item)
            answer = kb.answer_sync(item.question)  # first, so its timings are a user's
            if item.answerable and not item.broad:
                started = time.perf_counter()
                hits = kb.search(item.question, k=SEARCH_K)
                result.search_ms = (time.perf_counter() - started) * 1000
                result.rank = first_rank([h.text for h in hits], item.gold_quotes)
        except UsageError as e:
            raise UsageError(f"question {item.id}: {e}") from None
        result.refused = answer.refused
        result.answer = answer.answer
        result.quotes = [] if answer.refused else [c.quote for c in answer.citations]
        result.timings_ms = dict(answer.timings_ms)
        result.mode, result.note = answer.mode, answer.note
        results.append(result)
    return EvalReport.of(results, label)
