"""What re-asking the open gap questions adds to a refresh (issue 25: ≤ 10 s for 200).

On copies of a sources folder (default: the seed library), 200 distinct refused questions
are put in a fresh bot store, an article is added and the index refreshed; then
bot.reasking.reask answers all 200 against the new generation, as `policybot index`, /refresh
and the scheduled refresh do. Prints the refresh's time, re-asking's and per question.

    python bench/gap_reask.py                      # the seed library
    python bench/gap_reask.py --sources DIR        # another library (copied first)
    python bench/gap_reask.py --sources DIR --data DATA   # its index copied, not rebuilt
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

from common import ROOT, command, machine

from bot.reasking import reask
from bot.settings import DB_FILE
from bot.store import AnswerStore, Origin
from index.answering.types import Answer
from index.service import KnowledgeBase
from index.settings import Settings

QUESTIONS = ROOT / "bench" / "gaps" / "questions.txt"
OPEN = 200
ARTICLE = """---
title: "NHS dental charges rise"
---

NHS dental charges in England rose on 1 April. A check-up at an NHS dentist now costs
£26.80, the Department of Health said, and a course of treatment with fillings costs £73.50.
"""


def questions(n: int) -> list[str]:
    """n distinct questions: the labelled file's, then the same asked about places."""
    base = [
        line.split("\t")[1]
        for line in QUESTIONS.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    out = list(base)
    for place in ("in England", "in Scotland", "in Wales", "this year"):
        out += [f"{q.rstrip('?')} {place}?" for q in base]
    return out[:n]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sources", type=Path, default=ROOT / "sources")
    parser.add_argument(
        "--data", type=Path, help="an index already built for --sources: copied, not rebuilt"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        shutil.copytree(args.sources, root / "sources")
        if args.data:
            shutil.copytree(args.data, root / "data", ignore=shutil.ignore_patterns(DB_FILE))
        kb = KnowledgeBase(Settings(sources_dir=root / "sources", data_dir=root / "data"))
        kb.refresh()
        store = AnswerStore(root / "data" / DB_FILE)
        store.init()
        for n, q in enumerate(questions(OPEN)):
            store.add(f"{n:032x}", Origin(n, 1, 2), Answer(q, "-", True))
        (root / "sources" / "nhs-dental-charges.md").write_text(ARTICLE, encoding="utf-8")
        started = time.perf_counter()
        report = kb.refresh()
        refreshed = time.perf_counter() - started
        reasked = reask(store, kb, report)
        assert reasked is not None
        print(machine())
        print(f"library: {report.documents} documents, {report.chunks} chunks")
        print(f"refresh (one article added): {refreshed:.2f} s")
        print(
            f"re-asking {reasked.open} open questions: {reasked.seconds:.2f} s "
            f"({1000 * reasked.seconds / reasked.open:.1f} ms each); {reasked.line()}"
        )
        print("command:", command())


if __name__ == "__main__":
    main()
