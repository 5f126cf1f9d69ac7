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

import json
import re
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from index.errors import UsageError

SEARCH_K = 10
_SPACE = re.compile(r"\s+")
_TYPOGRAPHIC = str.maketrans({"“": '"', "”": '"', "„": '"', "‘": "'", "’": "'", "‚": "'"})


@dataclass(frozen=True)
class QAItem:
    """One question of a QA file."""

    id: str
    question: str
    answerable: bool
    gold_quotes: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    groups: tuple[tuple[str, ...], ...] = ()  # a broad question's sides (see module doc)

    @property
    def broad(self) -> bool:
        return bool(self.groups)


# -- the question file ------------------------------------------------------------------


def _strings(value: Any, name: str, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise UsageError(f"{where}: '{name}' must be a list of non-empty strings")
    return tuple(value)


def _item(obj: Any, where: str) -> QAItem:
    if not isinstance(obj, dict):
        raise UsageError(f"{where}: expected a JSON object")
    question = obj.get("question")
    if not isinstance(question, str) or not question.strip():
        raise UsageError(f"{where}: 'question' must be a non-empty string")
    qid = obj.get("id", where)
    if not isinstance(qid, (str, int)):
        raise UsageError(f"{where}: 'id' must be a string")
    if "groups" in obj:
        groups = obj["groups"]
        if not isinstance(groups, list) or not groups:
            raise UsageError(f"{where}: 'groups' must be a non-empty list of lists of quotes")
        parsed = tuple(_strings(g, "groups", where) for g in groups)
        if not all(parsed):
            raise UsageError(f"{where}: every group in 'groups' needs at least one quote")
        if obj.get("answerable", True) is not True:
            raise UsageError(f"{where}: a question with 'groups' is answerable")
        return QAItem(str(qid), question, True, groups=parsed)
    answerable = obj.get("answerable")
    if not isinstance(answerable, bool):
        raise UsageError(f"{where}: 'answerable' must be true or false")
    gold = _strings(obj.get("gold_quotes"), "gold_quotes", where)
    if answerable and not gold:
        raise UsageError(f"{where}: an answerable question needs 'gold_quotes'")
    keywords = _strings(obj.get("keywords"), "keywords", where)
    return QAItem(str(qid), question, answerable, gold, keywords)


def load_qa(path: Path) -> list[QAItem]:
    """Read a QA file, or raise UsageError with a one-line reason (naming a bad line)."""
    path = Path(path)
    if not path.is_file():
        raise UsageError(f"the QA file {path} does not exist")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        reason = getattr(e, "strerror", None) or type(e).__name__
        raise UsageError(f"can't read the QA file {path}: {reason}") from None
    items: list[QAItem] = []
    seen: set[str] = set()
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{path.name} line {number}"
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as e:
            raise UsageError(f"{where}: not valid JSON ({e.msg})") from None
        item = _item(obj, where)
        if item.id in seen:
            raise UsageError(f"{where}: duplicate id {item.id!r}")
        seen.add(item.id)
        items.append(item)
    if not items:
        raise UsageError(f"the QA file {path} holds no questions")
    return items


# -- the metric maths -------------------------------------------------------------------


def normalise(text: str) -> str:
    return _SPACE.sub(" ", text.translate(_TYPOGRAPHIC)).strip().casefold()


def contains_gold(text: str, gold_quotes: Iterable[str]) -> bool:
    """Does `text` contain one of the gold quotes?"""
    hay = normalise(text)
    return any((g := normalise(q)) and g in hay for q in gold_quotes)


def first_rank(texts: Sequence[str], gold_quotes: Sequence[str], k: int = SEARCH_K) -> int | None:
    """1-based rank of the first of the top k texts that contains a gold quote, else None."""
    for rank, text in enumerate(texts[:k], start=1):
        if contains_gold(text, gold_quotes):
            return rank
    return None


def citation_correct(quote: str, gold_quotes: Iterable[str]) -> bool:
    """A citation quote is correct when it contains a gold quote or lies inside one."""
    q = normalise(quote)
    if not q:
        return False
    return any((g := normalise(gq)) and (g in q or q in g) for gq in gold_quotes)


def keywords_found(answer: str, keywords: Iterable[str]) -> list[str]:
    hay = normalise(answer)
    return [kw for kw in keywords if normalise(kw) in hay]


def hit_at(ranks: Sequence[int | None], k: int) -> float | None:
    if not ranks:
        return None
    return sum(1 for r in ranks if r is not None and r <= k) / len(ranks)


def mrr(ranks: Sequence[int | None], k: int = SEARCH_K) -> float | None:
    if not ranks:
        return None
    return sum(1.0 / r for r in ranks if r is not None and r <= k) / len(ranks)


def percentiles(values: Sequence[float]) -> dict[str, float]:
    """p50, p95 and max in the values' unit (numpy's linear interpolation); {} if empty."""
    if not values:
        return {}
    arr = np.asarray(values, dtype=float)
    return {
        "p50": round(float(np.percentile(arr, 50)), 2),
        "p95": round(float(np.percentile(arr, 95)), 2),
        "max": round(float(arr.max()), 2),
    }


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
