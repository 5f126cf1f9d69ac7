"""Where a question's time goes: per-stage timers around the query path, over the
questions of dev_qa and holdout_qa asked once each in a fresh process (query vectors
and analysed sentences not cached), medians and means in ms.

    .venv/bin/python bench/query_stages.py [--sources DIR] [--data DIR] [--runs N]

The stages nest: `retrieval` holds `dense`, `sentences`, `bm25` and `passages`; `total`
is the answer's own timer. The timers wrap module functions, so they cost a few
microseconds each; the answers are the same as without them. Every word is stemmed here
for the first time, so totals run higher than `bench/scale.py query`'s first round, which
follows two evaluation passes over the same questions.
"""

from __future__ import annotations

import argparse
import functools
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from common import DEV_QA, HOLDOUT_QA, OUT, ROOT, command, machine

import index.search.retrieval as retrieval
import index.service as service
import index.store.sentences as sentences
from index.evaluation import load_qa
from index.search.evidence import clear_caches
from index.service import KnowledgeBase
from index.settings import Settings

_spent: dict[str, float] = {}


def _timed(name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(fn)
    def timed(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            _spent[name] = _spent.get(name, 0.0) + time.perf_counter() - started

    return timed


def _instrument() -> None:
    """Wrap the query path's stages (names as printed)."""
    service.KnowledgeBase.question = _timed("question (model)", service.KnowledgeBase.question)
    retrieval.Retriever.search = _timed("retrieval", retrieval.Retriever.search)
    retrieval._dense = _timed("  dense", retrieval._dense)
    sentences.SentenceTable.search = _timed("  sentences", sentences.SentenceTable.search)
    retrieval.Retriever._lexical = _timed("  bm25", retrieval.Retriever._lexical)
    retrieval.merge_overlaps = _timed("  passages", retrieval.merge_overlaps)
    service.rerank = _timed("re-ranking", service.rerank)


def run(sources: Path, data: Path) -> dict[str, list[float]]:
    """One fresh knowledge base, every question once: ms per stage per question."""
    kb = KnowledgeBase(Settings(sources_dir=sources, data_dir=data))
    kb.ensure_index()
    kb.answer_sync("warm-up question about the health service")
    questions = [q.question for path in (DEV_QA, HOLDOUT_QA) for q in load_qa(path)]
    kb.embed_model.query_cache.clear()
    clear_caches()
    per: dict[str, list[float]] = {}
    for question in questions:
        _spent.clear()
        answer = kb.answer_sync(question)
        stages = {name: seconds * 1000 for name, seconds in _spent.items()}
        stages["answering"] = answer.timings_ms["answer"]
        stages["total"] = answer.timings_ms["total"]
        for name, ms in stages.items():
            per.setdefault(name, []).append(ms)
    return per


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sources", type=Path, default=ROOT / "sources")
    p.add_argument("--data", type=Path, default=OUT / "answers-data")
    p.add_argument("--runs", type=int, default=1, help="fresh knowledge bases, one after another")
    args = p.parse_args()
    _instrument()
    print(command())
    print(machine())
    for n in range(args.runs):
        per = run(args.sources, args.data)
        print(f"run {n + 1}: {len(per['total'])} questions")
        for name, values in per.items():
            print(
                f"  {name:<18} median {statistics.median(values):6.2f}   "
                f"mean {statistics.mean(values):6.2f}"
            )


if __name__ == "__main__":
    main()
