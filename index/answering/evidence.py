"""Scoring sentences of retrieved passages as evidence for a question.

Shared by the extractive answerer (which quotes the best sentences) and the generative one
(which needs, for each citation, the sentence that best supports the claim)."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from index.documents import Hit
from index.retrieval import CorpusStats
from index.text import (
    acronym_terms,
    acronyms,
    answer_type_match,
    named_entities,
    split_sentences,
    terms,
)


@dataclass(frozen=True)
class Evidence:
    hit: Hit
    start: int  # absolute span in the document
    end: int
    text: str
    lexical: float  # share of the question's (IDF-weighted) terms this sentence contains
    window: float  # the same over the sentence and its neighbours in the passage
    score: float


def question_terms(question: str, context: str = "") -> dict[str, float]:
    """Stemmed content words of the question (weight 1) and of earlier turns (weight 0.5)."""
    weights = dict.fromkeys(terms(context), 0.5)
    weights.update(dict.fromkeys(terms(question), 1.0))
    return weights


def question_names(question: str) -> frozenset[str]:
    """Terms of the names the question is about ("Patricia Hewitt" → patricia, hewitt)."""
    return frozenset(t for e in named_entities(question) for t in terms(e))


def coverage(weights: dict[str, float], present: set[str], stats: CorpusStats) -> float:
    """IDF-weighted share of the question's terms found in `present`."""
    total = sum(stats.idf(t) * w for t, w in weights.items())
    if total <= 0:
        return 0.0
    return sum(stats.idf(t) * w for t, w in weights.items() if t in present) / total


ANSWER_TYPE_BONUS = 0.1
NAME_WEIGHT = 0.4


def sentence_evidence(
    hits: list[Hit],
    weights: dict[str, float],
    stats: CorpusStats,
    question: str = "",
    names: Collection[str] = (),
) -> list[Evidence]:
    """Every sentence of every hit, scored; best first. A sentence holding the kind of thing
    the question asks for (a number for "how many", a name for "who") gets a small bonus,
    and acronyms count as the words they stand for ("CLPs" for "constituency Labour
    parties")."""
    expansions = acronyms(question)
    spans = [split_sentences(hit.text) for hit in hits]
    stems = [
        [
            set(terms(t := hit.text[s.start : s.end])) | acronym_terms(t, expansions)
            for s in hit_spans
        ]
        for hit, hit_spans in zip(hits, spans, strict=True)
    ]
    # Names the question is about are checked per document (about_entities); within one,
    # answers often say "she" or "the motion" instead, so what is asked counts for more.
    scoring_weights = {t: w * NAME_WEIGHT if t in names else w for t, w in weights.items()}
    out: list[Evidence] = []
    for hit, hit_spans, hit_stems in zip(hits, spans, stems, strict=True):
        context = set(terms(hit.context))
        for i, s in enumerate(hit_spans):
            near = context.union(*hit_stems[max(0, i - 1) : i + 2])
            lexical = coverage(scoring_weights, hit_stems[i], stats)
            window = coverage(scoring_weights, near, stats)
            text = hit.text[s.start : s.end]
            bonus = ANSWER_TYPE_BONUS if question and answer_type_match(question, text) else 0.0
            out.append(
                Evidence(
                    hit=hit,
                    start=hit.start + s.start,
                    end=hit.start + s.end,
                    text=text,
                    lexical=lexical,
                    window=window,
                    score=0.45 * lexical + 0.2 * window + 0.35 * max(hit.score, 0.0) + bonus,
                )
            )
    out.sort(key=lambda e: e.score, reverse=True)
    return out
