"""When a fact question gets a second quote: extractive.EQUAL (a second place is quoted when
it scores this share of the best), swept over the tuning fact questions.

A second quote can carry the gold when the first misses (answered citing gold goes up) and
costs precision when the first had it. Retrieval and scores are the code's; only the
composer's choice changes. The dev sets are printed for seeing, never chosen on.

    .venv/bin/python bench/tuning/fact_quotes.py
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench"))

from common import OUT, patched  # noqa: E402

from index.answering import extractive  # noqa: E402
from index.evaluation import load_qa, run_eval  # noqa: E402
from index.service import KnowledgeBase  # noqa: E402
from index.settings import Settings  # noqa: E402

TUNING = [
    *sorted((ROOT / "bench" / "tuning").glob("para*_own.jsonl")),
    ROOT / "bench" / "tuning" / "qa_own.jsonl",
]
DEV = [ROOT.parent / "shared" / "dev_qa.jsonl", ROOT.parent / "shared" / "dev_para.jsonl"]
SWEEP = (0.90, 0.93, 0.95, 0.97, 0.98, 0.99, float("inf"))  # inf: never a second quote


def main() -> None:
    kb = KnowledgeBase(Settings(sources_dir=ROOT / "sources", data_dir=OUT / "answers-data"))
    kb.ensure_index()
    tuning = [i for p in TUNING for i in load_qa(p)]
    dev = [i for p in DEV for i in load_qa(p)]
    print(f"EQUAL   tuning ({len(tuning)}): precision, citing gold   dev ({len(dev)}): same")
    for equal in SWEEP:
        row = []
        with patched({(extractive, "EQUAL"): equal}):
            for items in (tuning, dev):
                m = run_eval(kb, items).metrics
                row.append(f"{m['citation_precision']:.3f}  {m['answered_citing_gold']:.3f}")
        label = "never" if equal == float("inf") else f"{equal:.2f}"
        print(f"{label:6}  {row[0]:>28}   {row[1]:>20}")
    print(f"in the code: EQUAL = {extractive.EQUAL}")
    print("command: .venv/bin/python bench/tuning/fact_quotes.py")


if __name__ == "__main__":
    main()
