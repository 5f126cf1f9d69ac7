"""Answer quality on every question set, dev and held-out side by side, and what answering
costs: the figures issue 10 asks for (docs/answering.md).

    .venv/bin/python bench/answers.py [--sources DIR] [--data DIR] [--label NAME]

Builds the index first if the data folder has none (the seed library by default). The
held-out sets (tests/data/holdout_*.jsonl) were written from the articles before any tuning
and are never tuned on: report them, don't fit to them.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

from common import OUT, ROOT, command, machine, peak_rss_mib, save

from index.evaluation import EvalReport, load_qa, percentiles, run_eval
from index.service import KnowledgeBase
from index.settings import Settings

SHARED = ROOT.parent / "shared"
DATA = ROOT / "tests" / "data"
# (set, file): dev and held-out pairs of the same kind next to each other.
SETS = [
    ("dev_qa", SHARED / "dev_qa.jsonl"),
    ("holdout_qa", DATA / "holdout_qa.jsonl"),
    ("dev_para", SHARED / "dev_para.jsonl"),
    ("holdout_para", DATA / "holdout_para.jsonl"),
    ("dev_broad", SHARED / "dev_broad.jsonl"),
    ("holdout_broad", DATA / "holdout_broad.jsonl"),
    ("holdout_unanswerable", DATA / "holdout_unanswerable.jsonl"),
]
SHOWN = [
    "hit@5",
    "answered_citing_gold",
    "citation_precision",
    "false_refusal_rate",
    "refusal_accuracy",
    "coverage",
    "all_sides",
    "refused",
    "on_topic_quotes",
]


def _row(report: EvalReport) -> dict[str, float | None]:
    values: dict[str, float | None] = {**report.metrics, **report.broad}
    return {k: None if values.get(k) is None else round(float(values[k]), 3) for k in SHOWN}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sources", type=Path, default=ROOT / "sources")
    p.add_argument("--data", type=Path, default=OUT / "answers-data")
    p.add_argument("--label", default="seed")
    args = p.parse_args()

    kb = KnowledgeBase(Settings(sources_dir=args.sources, data_dir=args.data))
    kb.ensure_index()
    started = time.perf_counter()
    kb.retriever.live()
    load_s = time.perf_counter() - started
    rows: dict[str, Any] = {}
    answer_ms: list[float] = []
    total_ms: list[float] = []
    for name, path in SETS:
        report = run_eval(kb, load_qa(path), name)
        rows[name] = _row(report)
        answer_ms += [r.timings_ms["answer"] for r in report.results if "answer" in r.timings_ms]
        total_ms += [r.timings_ms["total"] for r in report.results if "total" in r.timings_ms]
    result = {
        "command": command(),
        "machine": machine(),
        "label": args.label,
        "chunks": len(kb.retriever.live().ids),
        "index_load_seconds": round(load_s, 2),
        "sets": rows,
        "answer_stage_ms": percentiles(answer_ms),
        "total_ms": percentiles(total_ms),
        "peak_rss_mib": round(peak_rss_mib(), 1),
    }
    path = save(f"answers-{args.label}", result)
    print(f"$ {result['command']}")
    print(f"{result['chunks']} chunks; index loaded in {load_s:.1f} s; saved {path}")
    head = f"{'metric':<22}" + "".join(f"{n:>22}" for n, _ in SETS)
    print(head)
    for metric in SHOWN:
        cells = []
        for name, _ in SETS:
            v = rows[name][metric]
            cells.append(f"{'-' if v is None else f'{v:.3f}':>22}")
        print(f"{metric:<22}" + "".join(cells))
    print(f"answer stage ms {result['answer_stage_ms']}; total ms {result['total_ms']}")
    print(f"peak RSS {result['peak_rss_mib']} MiB")


if __name__ == "__main__":
    main()
