"""What a fact answer does with a sentence that names a thing by the noun the question asks
for ("Which union co-authored …": "… co-authored by public service union Unison";
index.search.answer_types.names_beside, Evidence.named), measured on the tuning fact questions:

1. the second quote (extractive._fact): any place scoring EQUAL of the best (the rule before),
   only one that names a thing of the kind asked (the code), or never;
2. preferring such a sentence as the first quote, by a weight added to its score: for any
   question, or (the code's, `extractive.PREFER_NAMED`) only for one asking for one thing
   by a singular noun.

Retrieval and scores are the code's; only the fact answerer's choice changes. Broad
coverage is printed because some questions of the broad sets are read as facts. The dev
sets are printed for seeing, never chosen on.

    .venv/bin/python bench/tuning/type_names.py
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench"))

from common import OUT, patched  # noqa: E402

from index.answering import extractive  # noqa: E402
from index.evaluation import QAItem, load_qa, run_eval  # noqa: E402
from index.search.answer_types import asks_for_one  # noqa: E402
from index.search.evidence import Evidence  # noqa: E402
from index.search.question import Question  # noqa: E402
from index.service import KnowledgeBase  # noqa: E402
from index.settings import Settings  # noqa: E402

TUNING = [
    *sorted((ROOT / "bench" / "tuning").glob("para*_own.jsonl")),
    ROOT / "bench" / "tuning" / "qa_own.jsonl",
]
TUNING_BROAD = sorted((ROOT / "bench" / "tuning").glob("broad*_own.jsonl"))
SHARED = ROOT.parent / "shared"
DEV = [SHARED / "dev_qa.jsonl", SHARED / "dev_para.jsonl"]
DEV_BROAD = [SHARED / "dev_broad.jsonl"]

Fact = Callable[[list[Evidence], Question], list[list[Evidence]]]


def fact(second: str, prefer: float, singular: bool = False) -> Fact:
    """extractive._fact with the second quote `second` ("any", "named", "never") and a
    first quote chosen by score + `prefer` for a sentence that names the kind asked (with
    `singular`, only when the question asks for one thing:
    index.search.answer_types.asks_for_one)."""

    def _fact(evidence: list[Evidence], question: Question) -> list[list[Evidence]]:
        evidence = extractive.fact_candidates(evidence, question)
        weight = prefer if not singular or asks_for_one(question.text) else 0.0
        best = max(evidence, key=lambda ev: ev.score + (weight if ev.named else 0.0))
        runs = [extractive._widen(best, evidence)]
        for ev in evidence:
            if second == "never" or ev.score < extractive.EQUAL * best.score:
                break
            if ev is best or (second == "named" and not ev.named):
                continue
            if not extractive._taken(ev, runs) and not extractive._near(ev, runs[0]):
                runs.append(extractive._widen(ev, evidence, runs))
                break
        return runs

    return _fact


def figures(kb: KnowledgeBase, facts: list[QAItem], broad: list[QAItem]) -> str:
    m = run_eval(kb, facts).metrics
    b = run_eval(kb, broad).broad or {}
    return f"{m['citation_precision']:.3f} {m['answered_citing_gold']:.3f} {b['coverage']:.3f}"


def main() -> None:
    kb = KnowledgeBase(Settings(sources_dir=ROOT / "sources", data_dir=OUT / "answers-data"))
    kb.ensure_index()
    tuning = [i for p in TUNING for i in load_qa(p)]
    tuning_broad = [i for p in TUNING_BROAD for i in load_qa(p)]
    dev = [i for p in DEV for i in load_qa(p)]
    dev_broad = [i for p in DEV_BROAD for i in load_qa(p)]
    print(
        f"tuning: {len(tuning)} fact, {len(tuning_broad)} broad; dev: {len(dev)} fact, "
        f"{len(dev_broad)} broad. Each: fact precision, fact citing gold, broad coverage"
    )
    rows = [(s, 0.0, False) for s in ("any", "named", "never")]
    rows += [("named", w, False) for w in (0.1, 0.3, 0.5, 1.0, 2.0, float("inf"))]
    rows += [("named", w, True) for w in (0.5, 1.0, 2.0, float("inf"))]
    print("second  prefer  singular   tuning                 dev")
    for second, prefer, singular in rows:
        with patched({(extractive, "_fact"): fact(second, prefer, singular)}):
            row = [figures(kb, tuning, tuning_broad), figures(kb, dev, dev_broad)]
        print(f"{second:6}  {prefer:6}  {singular!s:8}   {row[0]:20}   {row[1]}")
    print("in the code: second 'named', prefer PREFER_NAMED = 1.0 when asked for one thing")
    print("command: .venv/bin/python bench/tuning/type_names.py")


if __name__ == "__main__":
    main()
