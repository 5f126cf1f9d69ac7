"""The embedded default answerer: no LLM. It quotes the sentences of the retrieved passages
that best answer the question, each with a numbered citation, and refuses when the
evidence doesn't cover the question instead of guessing."""

from __future__ import annotations

from dataclasses import dataclass

from index.answering.evidence import (
    Evidence,
    coverage,
    question_names,
    question_terms,
    sentence_evidence,
    window_terms,
)
from index.answering.types import Answer, Citation, Turn
from index.documents import Hit
from index.retrieval import Generation
from index.text import (
    answer_type_match,
    answer_type_terms,
    named_entities,
    terms,
    terms_with_acronyms,
)

MIN_COVERAGE = 0.4  # share of the question's information (IDF mass) the passage must hold
MIN_ASKED = 1 / 3  # share of what it asks the answering sentence and its neighbours hold
MAX_SENTENCES = 3  # in one quote
MAX_QUOTES = 2
RELATIVE_CUTOFF = 0.7  # a neighbour joins the quote if it scores this share of the best
SECOND_QUOTE_CUTOFF = 0.9  # another place is cited only when nearly as strong as the best
NEAREST = 3
JUDGED_PASSAGES = 3  # the question is covered if one of the best passages covers it


def _passages(evidence: list[Evidence]) -> list[Hit]:
    """The distinct passages behind the evidence, best first."""
    seen: dict[str, Hit] = {}
    for ev in evidence:
        seen.setdefault(ev.hit.chunk_id, ev.hit)
    return list(seen.values())


@dataclass(frozen=True)
class Verdict:
    answerable: bool
    reason: str
    coverage: float


def about_entities(question: str, evidence: list[Evidence], live: Generation) -> list[Evidence]:
    """Only evidence from documents that mention every name the question is about."""
    wanted = [set(terms(e)) for e in named_entities(question)]
    if not wanted:
        return evidence
    return [
        ev for ev in evidence if all(w <= live.doc_terms.get(ev.hit.doc_id, set()) for w in wanted)
    ]


def _related(a: str, b: str) -> bool:
    """Same stem, or one a prefix of the other ('chair'/'chairman'), beyond 4 letters."""
    return a == b or (min(len(a), len(b)) >= 4 and (a.startswith(b) or b.startswith(a)))


def judge(question: str, best: Evidence | None, live: Generation) -> Verdict:
    """Is the question covered? Decided from evidence, not from how fluent an answer looks:
    the passage must hold enough of the question's information, and the best sentence with
    its neighbours, beyond the names the question is about and its wh-phrase ("what year"),
    a good share of what it asks (a passage about Oxford that never mentions population
    doesn't answer "what is the population of Oxford?", and a sentence about the NHS that
    only has "year" in it doesn't say when it was founded)."""
    if best is None:
        return Verdict(False, "no passage is about what the question names", 0.0)
    weights = question_terms(question)
    passage = terms_with_acronyms(best.hit.text + " " + best.hit.context, question)
    cov = coverage(weights, passage, live.stats)
    not_asked = question_names(question) | answer_type_terms(question)
    asked = {t: w for t, w in weights.items() if t not in not_asked}
    near = window_terms(best, question)
    found = {a for a in asked if any(_related(a, w) for w in near)}
    if asked and coverage(asked, found, live.stats) < MIN_ASKED:
        return Verdict(False, "the passages name the same things but not what is asked", cov)
    if cov < MIN_COVERAGE:
        return Verdict(False, "the passages found share too little with the question", cov)
    return Verdict(True, "", cov)


def _citation(n: int, run: list[Evidence]) -> Citation:
    """A citation quoting consecutive sentences of one passage, verbatim."""
    hit: Hit = run[0].hit
    start, end = run[0].start, run[-1].end
    return Citation(
        n=n,
        title=hit.title,
        source=hit.source,
        path=hit.doc_id,
        quote=hit.text[start - hit.start : end - hit.start],
        score=max(ev.score for ev in run),
        start=start,
        end=end,
        passage=hit.text,
        page=hit.page_at(start),
    )


class ExtractiveAnswerer:
    """Picks the answering sentences; `refusal` is the wording shown when it declines."""

    mode = "extractive"

    def __init__(self, refusal: str) -> None:
        self.refusal = refusal

    def answer(
        self, question: str, hits: list[Hit], live: Generation, history: tuple[Turn, ...] = ()
    ) -> Answer:
        context = " ".join(t.question for t in history[-2:])
        weights = question_terms(question, context)
        evidence = sentence_evidence(
            hits, weights, live.stats, question, names=question_names(question)
        )
        relevant = about_entities(question, evidence, live)
        passing: set[str] = set()
        for hit in _passages(relevant)[:JUDGED_PASSAGES]:
            best = next(ev for ev in relevant if ev.hit.chunk_id == hit.chunk_id)
            if judge(question, best, live).answerable:
                passing.add(hit.chunk_id)
        if not passing:
            return self.refuse(question, evidence)
        chosen = self._choose([ev for ev in relevant if ev.hit.chunk_id in passing], question)
        citations = [_citation(i + 1, run) for i, run in enumerate(chosen)]
        text = " ".join(f"{c.quote} [{c.n}]" for c in citations)
        return Answer(question=question, answer=text, refused=False, citations=citations)

    def refuse(self, question: str, evidence: list[Evidence]) -> Answer:
        """Say plainly the sources don't cover it, and show the nearest passages."""
        nearest: list[Evidence] = []
        for ev in evidence:
            if all(ev.hit.chunk_id != e.hit.chunk_id for e in nearest):
                nearest.append(ev)
            if len(nearest) == NEAREST:
                break
        citations = [_citation(i + 1, [ev]) for i, ev in enumerate(nearest)]
        return Answer(question=question, answer=self.refusal, refused=True, citations=citations)

    @staticmethod
    def _choose(evidence: list[Evidence], question: str) -> list[list[Evidence]]:
        """Quotes to cite, each a run of consecutive sentences of one passage.

        The first quote is the best sentence, widened to the sentences next to it that score
        nearly as well and add to it (an answer often spans two sentences); a further quote
        is added only when another place scores almost as well as the best, so the reader
        isn't sent to passages that don't hold the answer."""
        best = evidence[0]
        ordered = sorted(evidence, key=lambda ev: (ev.hit.chunk_id, ev.start))
        index = {id(ev): i for i, ev in enumerate(ordered)}
        asked = set(terms(question))
        quotes: list[list[Evidence]] = []
        for ev in evidence:
            if (
                len(quotes) == MAX_QUOTES
                or ev.score < (RELATIVE_CUTOFF if not quotes else SECOND_QUOTE_CUTOFF) * best.score
            ):
                break
            if any(_overlaps(ev, taken) for quote in quotes for taken in quote):
                continue
            if quotes and not _matched(asked, [ev]) >= _matched(asked, quotes[0]):
                continue  # not an equal answer: the best quote answers alone
            run = [ev]
            for step in (-1, 1):  # widen to strong neighbours in the same passage
                j = index[id(ev)] + step
                while 0 <= j < len(ordered) and len(run) < MAX_SENTENCES:
                    near = ordered[j]
                    if (
                        near.hit.chunk_id != ev.hit.chunk_id
                        or near.score < (RELATIVE_CUTOFF * best.score)
                        or any(_overlaps(near, t) for q in quotes for t in q)
                        or not _adds_to(run, near, question)
                    ):
                        break
                    run.append(near)
                    j += step
            quotes.append(sorted(run, key=lambda e: e.start))
        return quotes


def _adds_to(run: list[Evidence], near: Evidence, question: str) -> bool:
    """Does a neighbouring sentence complete the quote — a term of the question the quote
    lacks, or the kind of answer asked for (a number, a name, a date) it doesn't hold yet?"""
    asked = set(terms(question))
    have = {t for ev in run for t in terms(ev.text)}
    if (asked & set(terms(near.text))) - have:
        return True
    return answer_type_match(question, near.text) and not any(
        answer_type_match(question, ev.text) for ev in run
    )


def _matched(asked: set[str], run: list[Evidence]) -> set[str]:
    """The question's terms a run of sentences holds."""
    return set().union(*(asked & set(terms(ev.text)) for ev in run))


def _overlaps(a: Evidence, b: Evidence) -> bool:
    return a.hit.doc_id == b.hit.doc_id and a.start < b.end and b.start < a.end
