"""The metric maths of an evaluation (index/evaluation.py defines each metric): gold
quotes found in normalised text, ranks, hit@k, MRR, and latency percentiles."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

import numpy as np

SEARCH_K = 10
_SPACE = re.compile(r"\s+")
_TYPOGRAPHIC = str.maketrans({"“": '"', "”": '"', "„": '"', "‘": "'", "’": "'", "‚": "'"})


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
