"""Query latency of policybot and the llama-index default pipeline, paired question by
question in one fresh process: both pipelines loaded side by side (each with its own model
session), every question asked of one then the other, the order alternating.

    .venv/bin/python bench/query_paired.py --corpus bench/out/corpus-full \
        --data bench/out/full-data --baseline-data bench/out/full-baseline --runs 3

This machine's speed drifts by a third between hours and a process's p50 by ±30% between
fresh processes (bench/query_ratio.py alternates whole processes and sees both). Asked within
a millisecond of each other, the two answers to one question meet the same moment of the
machine, so the ratio carries far less of its noise. Each run is a fresh process; in it,
as in `scale.py query` and `baseline_llamaindex.py query`, both pipelines first answer the
dev and held-out questions once (the evaluation passes there), then policybot forgets its
analysed sentences and questions (`clear_caches`) and both forget their query vectors, and
every question is asked once of each: "nothing cached", answering included (policybot's
extractive answer; the default query engine's synthesis with MockLLM).

Prints each run's p50s, their ratio, the median of per-question ratios; saves
bench/out/query-paired.json."""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from common import DEV_QA, HOLDOUT_QA, OUT, ROOT, command, machine, save


def _one_run(args: argparse.Namespace) -> dict[str, Any]:
    """In this process: load both, warm both as their own benchmarks do, ask every question
    of each, alternating which goes first."""
    from baseline_llamaindex import COLLECTION, _client, _configure
    from llama_index.core import VectorStoreIndex
    from llama_index.vector_stores.chroma import ChromaVectorStore

    from index.evaluation import load_qa
    from index.ingest.llama_embedding import MiniLMEmbedding
    from index.search.evidence import clear_caches
    from index.service import KnowledgeBase
    from index.settings import Settings

    kb = KnowledgeBase(Settings(sources_dir=args.corpus, data_dir=args.data))
    kb.retriever.live()
    # One model session for both (two sessions' thread pools on two cores slowed both
    # pipelines by ~2x); each side has its question's vector forgotten before it asks.
    model = MiniLMEmbedding(encoder=kb.embed_model)
    _configure(model)
    collection = _client(args.baseline_data).get_collection(COLLECTION)
    index = VectorStoreIndex.from_vector_store(ChromaVectorStore(chroma_collection=collection))
    engine = index.as_query_engine()  # the defaults: top-k 2, compact synthesis
    questions = [q.question for path in (args.qa, args.holdout) for q in load_qa(path)]
    for q in questions:  # the evaluation passes of both benchmarks
        kb.answer_sync(q)
        engine.query(q)
    cache = kb.embed_model.query_cache
    cache.clear()
    clear_caches()
    ours: list[float] = []
    theirs: list[float] = []
    for i, q in enumerate(questions):
        for side in ("policybot", "default") if i % 2 == 0 else ("default", "policybot"):
            cache.pop(q)
            if side == "policybot":
                ours.append(kb.answer_sync(q).timings_ms["total"])
            else:
                started = time.perf_counter()
                engine.query(q)
                theirs.append((time.perf_counter() - started) * 1000)
    return {"policybot_ms": ours, "default_ms": theirs}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--corpus", type=Path, default=OUT / "corpus-full")
    p.add_argument("--data", type=Path, default=OUT / "full-data")
    p.add_argument("--baseline-data", type=Path, default=OUT / "full-baseline")
    p.add_argument("--qa", type=Path, default=DEV_QA)
    p.add_argument("--holdout", type=Path, default=HOLDOUT_QA)
    p.add_argument("--runs", type=int, default=3, help="fresh processes, one after another")
    p.add_argument("--one", action="store_true", help=argparse.SUPPRESS)  # a run's process
    args = p.parse_args()
    if args.one:
        print(json.dumps(_one_run(args)))
        return
    print(command())
    runs = []
    for n in range(args.runs):
        out = subprocess.run(
            [sys.executable, __file__, "--one", *sys.argv[1:]],
            check=True,
            capture_output=True,
            text=True,
            cwd=ROOT,
        ).stdout
        times = json.loads(out.strip().splitlines()[-1])
        ours, theirs = times["policybot_ms"], times["default_ms"]
        per_question = [a / b for a, b in zip(ours, theirs, strict=True)]
        row = {
            "policybot_p50_ms": round(statistics.median(ours), 2),
            "default_p50_ms": round(statistics.median(theirs), 2),
            "ratio_of_p50s": round(statistics.median(ours) / statistics.median(theirs), 3),
            "question_ratio_median": round(statistics.median(per_question), 3),
            "questions": len(ours),
        }
        runs.append(row)
        print(
            f"run {n + 1}: policybot p50 {row['policybot_p50_ms']:6.2f} ms   default p50 "
            f"{row['default_p50_ms']:6.2f} ms   ratio {row['ratio_of_p50s']:.2f}   "
            f"per-question ratio median {row['question_ratio_median']:.2f}",
            flush=True,
        )
    ratios = [r["ratio_of_p50s"] for r in runs]
    result = {
        "command": command(),
        "machine": machine(),
        "runs": runs,
        "ratio_median": round(statistics.median(ratios), 3),
        "ratio_range": [min(ratios), max(ratios)],
        "runs_at_or_below_1": sum(r <= 1.0 for r in ratios),
    }
    save("query-paired", result)
    print(
        f"ratio of p50s: median {result['ratio_median']:.2f}, range {min(ratios):.2f}–"
        f"{max(ratios):.2f}; {result['runs_at_or_below_1']} of {len(runs)} runs ≤ 1.0"
    )
    print("command:", command())


if __name__ == "__main__":
    main()
