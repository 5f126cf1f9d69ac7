"""Scoring sentences of retrieved passages as evidence for a question.

Shared by the extractive answerer (which quotes the best sentences) and the generative one
(which needs, for each citation, the sentence that best supports the claim)."""

from __future__ import annotations

from collections.abc import Collection, Set
from dataclasses import dataclass
from functools import lru_cache

from index.documents import Hit, Sentence
from index.retrieval import CorpusStats
from index.text import (
    acronym_terms,
    acronyms,
    answer_type_match,
    named_entities,
    split_sentences,
    terms,
    terms_with_acronyms,
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


def coverage(weights: dict[str, float], present: Set[str], stats: CorpusStats) -> float:
    """IDF-weighted share of the question's terms found in `present`."""
    return _Coverage(weights, stats)(present)


class _Coverage:
    """`coverage` with the question's IDF weights worked out once, for many sentences."""

    def __init__(self, weights: dict[str, float], stats: CorpusStats) -> None:
        self.mass = {t: stats.idf(t) * w for t, w in weights.items()}
        self.total = sum(self.mass.values())

    def __call__(self, present: Set[str]) -> float:
        if self.total <= 0:
            return 0.0
        return sum(m for t, m in self.mass.items() if t in present) / self.total


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
    analysed = [_analyse(hit.text) for hit in hits]
    # Names the question is about are checked per document (about_entities); within one,
    # answers often say "she" or "the motion" instead, so what is asked counts for more.
    scoring_weights = {t: w * NAME_WEIGHT if t in names else w for t, w in weights.items()}
    share = _Coverage(scoring_weights, stats)
    out: list[Evidence] = []
    for hit, (hit_spans, hit_stems) in zip(hits, analysed, strict=True):
        if expansions:
            hit_stems = tuple(
                st | acronym_terms(hit.text[s.start : s.end], expansions)
                for s, st in zip(hit_spans, hit_stems, strict=True)
            )
        context = _terms_of(hit.context)
        for i, s in enumerate(hit_spans):
            near = context.union(*hit_stems[max(0, i - 1) : i + 2])
            lexical = share(hit_stems[i])
            window = share(near)
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


def window_terms(ev: Evidence, question: str = "") -> set[str]:
    """Terms of a sentence, the sentences either side of it in its passage, and the
    passage's title: what a reader of the quote sees around it."""
    hit = ev.hit
    spans, _ = _analyse(hit.text)
    i = next(i for i, s in enumerate(spans) if hit.start + s.start == ev.start)
    lo, hi = spans[max(0, i - 1)].start, spans[min(len(spans) - 1, i + 1)].end
    return terms_with_acronyms(hit.text[lo:hi] + " " + hit.context, question)


@lru_cache(maxsize=4096)
def _analyse(text: str) -> tuple[tuple[Sentence, ...], tuple[frozenset[str], ...]]:
    """A passage's sentences and their terms. Cached: re-ranking and answering look at the
    same passages, and popular passages come back question after question."""
    spans = tuple(split_sentences(text))
    return spans, tuple(frozenset(terms(text[s.start : s.end])) for s in spans)


@lru_cache(maxsize=1024)
def _terms_of(text: str) -> frozenset[str]:
    return frozenset(terms(text))


def clear_caches() -> None:
    """Forget analysed passages (benchmarks measuring a cold start call this)."""
    _analyse.cache_clear()
    _terms_of.cache_clear()
