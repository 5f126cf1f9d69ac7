"""Constants with no measurement of their own, each swept alone around its value on the
tuning sets: what moving it does to facts, broad answers and refusals.

Tuning sets (bench/tuning/, written from the articles): facts asked in other words
(para*_own.jsonl), broad questions (broad*_own.jsonl) and questions the library can't
answer (unanswerable*_own.txt, one a line). Seed library; each row changes one constant,
the others keep the code's values. The dev and held-out sets are not read.

    .venv/bin/python bench/tuning/constants.py [NAME ...]
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench"))

from common import OUT, patched  # noqa: E402

from index import service  # noqa: E402
from index.answering import extractive  # noqa: E402
from index.evaluation import QAItem, load_qa, run_eval  # noqa: E402
from index.search import gate, reranking, retrieval  # noqa: E402
from index.service import KnowledgeBase  # noqa: E402
from index.settings import Settings  # noqa: E402

TUNING = ROOT / "bench" / "tuning"
# name: (the modules that hold it under that name or an alias, values tried)
SWEEPS: dict[str, tuple[tuple[tuple[Any, str], ...], tuple[float, ...]]] = {
    "RRF_K": (((retrieval, "RRF_K"), (reranking, "RRF_K")), (10, 30, 60, 100)),
    "POOL": (((reranking, "POOL"), (service, "RERANK_POOL")), (8, 10, 12, 16, 20)),
    "JUDGED": (((gate, "JUDGED"),), (5, 10, 20)),
    "ASKED_WORDS_WEIGHT": (((gate, "ASKED_WORDS_WEIGHT"),), (0.25, 0.5, 0.75)),
    "WIDEN": (((extractive, "WIDEN"),), (0.75, 0.85, 0.95, 10.0)),
    "MAX_SENTENCES": (((extractive, "MAX_SENTENCES"),), (1, 2, 3)),
}


def unanswerable(path: Path) -> list[QAItem]:
    lines = [line.strip() for line in path.read_text(encoding="utf-8").splitlines()]
    return [QAItem(f"{path.stem}:{n}", q, False) for n, q in enumerate(lines) if q]


def figures(kb: KnowledgeBase, sets: dict[str, list[QAItem]]) -> str:
    facts = run_eval(kb, sets["facts"]).metrics
    broad = run_eval(kb, sets["broad"]).broad
    refused = run_eval(kb, sets["unanswerable"]).metrics
    return (
        f"{facts['answered_citing_gold']:.3f}  {facts['citation_precision']:.3f}  "
        f"{facts['false_refusal_rate']:.3f}   {broad['coverage']:.3f}  "
        f"{refused['refusal_accuracy']:.3f}"
    )


def main() -> None:
    kb = KnowledgeBase(Settings(sources_dir=ROOT / "sources", data_dir=OUT / "answers-data"))
    kb.ensure_index()
    sets = {
        "facts": [i for p in sorted(TUNING.glob("para*_own.jsonl")) for i in load_qa(p)],
        "broad": [i for p in sorted(TUNING.glob("broad*_own.jsonl")) for i in load_qa(p)],
        "unanswerable": [
            i for p in sorted(TUNING.glob("unanswerable*_own.txt")) for i in unanswerable(p)
        ],
    }
    print(", ".join(f"{k} {len(v)}" for k, v in sets.items()))
    print(
        "constant = value        facts: gold  precision  refused   broad: coverage   "
        "unanswerable: refused"
    )
    print(f"(the code's values)            {figures(kb, sets)}")
    for name in sys.argv[1:] or SWEEPS:
        places, values = SWEEPS[name]
        now = getattr(*places[0])
        for value in values:
            if value == now:
                continue
            with patched(dict.fromkeys(places, value)):
                print(f"{name} = {value:<8} (is {now})  {figures(kb, sets)}")
    print("command: .venv/bin/python bench/tuning/constants.py " + " ".join(sys.argv[1:]))


if __name__ == "__main__":
    main()
