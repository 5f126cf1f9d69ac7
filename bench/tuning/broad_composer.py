"""The broad composer's constants (index/answering/extractive.py: BROAD_FLOOR, REDUNDANCY,
VOICED, MAX_BROAD), swept over the broad tuning questions: coverage (share of a question's
sides cited), all sides, and the share of cited quotes on a side.

Tuning: bench/tuning/broad_own.jsonl, broad2_own.jsonl (written from the articles). The dev
set (dev_broad) is printed for seeing, never chosen on. Retrieval and scores are the code's.

    .venv/bin/python bench/tuning/broad_composer.py
"""

from __future__ import annotations

import itertools
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench"))

from common import OUT, patched  # noqa: E402

from index.answering import extractive  # noqa: E402
from index.evaluation import load_qa, run_eval  # noqa: E402
from index.service import KnowledgeBase  # noqa: E402
from index.settings import Settings  # noqa: E402

TUNING = sorted((ROOT / "bench" / "tuning").glob("broad*_own.jsonl"))
DEV = [ROOT.parent / "shared" / "dev_broad.jsonl"]
GRID = {
    "BROAD_FLOOR": (0.3, 0.4, 0.5),
    "REDUNDANCY": (0.0, 0.15, 0.3, 0.45),
    "VOICED": (0.0, 0.1, 0.2),
    "MAX_BROAD": (3, 4, 5, 6),
}


def figures(kb: KnowledgeBase, items: list) -> tuple[float, float, float]:
    broad = run_eval(kb, items).broad
    return broad["coverage"], broad["all_sides"], broad["on_topic_quotes"]


def _at(values: tuple[float, ...]) -> dict[tuple[object, str], float]:
    return {(extractive, k): v for k, v in zip(GRID, values, strict=True)}


def main() -> None:
    kb = KnowledgeBase(Settings(sources_dir=ROOT / "sources", data_dir=OUT / "answers-data"))
    kb.ensure_index()
    tuning = [i for p in TUNING for i in load_qa(p)]
    dev = [i for p in DEV for i in load_qa(p)]
    rows = []
    for values in itertools.product(*GRID.values()):
        with patched(_at(values)):
            rows.append((figures(kb, tuning), values))
    rows.sort(key=lambda r: (-r[0][0], -r[0][2]))  # coverage, then quotes on a side
    now = tuple(getattr(extractive, k) for k in GRID)
    mine = next(f for f, v in rows if v == now)
    print(f"tuning: {len(tuning)} broad questions; {len(rows)} settings of {', '.join(GRID)}")
    print(
        f"in the code {now}: coverage {mine[0]:.3f}, all sides {mine[1]:.3f}, "
        f"on a side {mine[2]:.3f}; dev {figures(kb, dev)}"
    )
    # MAX_BROAD trades coverage for length (more quotes cover more sides and fewer are on
    # one): the best three settings at each length
    best = [r for m in GRID["MAX_BROAD"] for r in [r for r in rows if r[1][-1] == m][:3]]
    print("best on tuning at each MAX_BROAD (coverage, all sides, on a side)  dev coverage")
    for f, values in best:
        with patched(_at(values)):
            dev_cov = figures(kb, dev)[0]
        print(f"  {values}: {f[0]:.3f} {f[1]:.3f} {f[2]:.3f}   {dev_cov:.3f}")
    print("command: .venv/bin/python bench/tuning/broad_composer.py")


if __name__ == "__main__":
    main()
