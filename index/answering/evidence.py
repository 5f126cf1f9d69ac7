"""Scoring sentences of retrieved passages as evidence for a question.

Shared by the extractive answerer (which quotes the best sentences) and the generative one
(which needs, for each citation, the sentence that best supports the claim)."""

from __future__ import annotations

from dataclasses import dataclass

from index.documents import Hit
from index.retrieval import CorpusStats
from index.text import answer_type_match, named_entities, split_sentences, terms


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


def sentence_weights(question: str, context: str = "") -> dict[str, float]:
    """Weights for picking the answering sentence. The names a question is about are
    checked per document (answers often say "she" or "the motion" instead), so within a
    document what is asked counts for more than the names."""
    weights = question_terms(question, context)
    for name in {t for e in named_entities(question) for t in terms(e)}:
        if name in weights:
            weights[name] *= NAME_WEIGHT
    return weights


def coverage(weights: dict[str, float], present: set[str], stats: CorpusStats) -> float:
    """IDF-weighted share of the question's terms found in `present`."""
    total = sum(stats.idf(t) * w for t, w in weights.items())
    if total <= 0:
        return 0.0
    return sum(stats.idf(t) * w for t, w in weights.items() if t in present) / total


ANSWER_TYPE_BONUS = 0.1
NAME_WEIGHT = 0.4


def sentence_evidence(
    hits: list[Hit], weights: dict[str, float], stats: CorpusStats, question: str = ""
) -> list[Evidence]:
    """Every sentence of every hit, scored; best first. A sentence holding the kind of thing
    the question asks for (a number for "how many", a name for "who") gets a small bonus."""
    out: list[Evidence] = []
    for hit in hits:
        spans = split_sentences(hit.text)
        stems = [set(terms(hit.text[s.start : s.end])) for s in spans]
        context = set(terms(hit.context))
        for i, s in enumerate(spans):
            near = context.union(*stems[max(0, i - 1) : i + 2])
            lexical = coverage(weights, stems[i], stats)
            window = coverage(weights, near, stats)
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
