"""The tuning answer sets, one line each, and the dev sets beside them for seeing: the
figures a change to the answerer is judged on before the held-out totals are read once
(bench/answers.py). Facts: answered citing gold, citation precision, false refusals;
broad: coverage, every side covered, quotes on a side.

    .venv/bin/python bench/tuning/answer_sets.py [--sources DIR] [--data DIR]
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from common import ROOT, command, seed_kb

from index.evaluation import load_qa, run_eval

TUNING = ROOT / "bench" / "tuning"
SHARED = ROOT.parent / "shared"
SETS = [
    *(TUNING / f"{name}_own.jsonl" for name in ("qa", "para", "para2")),
    *(TUNING / f"{name}_own.jsonl" for name in ("broad", "broad2", "group", "group2", "shape")),
    *(SHARED / f"dev_{name}.jsonl" for name in ("qa", "para", "broad")),
]
FIGURES = [
    ("answered_citing_gold", "citing gold"),
    ("citation_precision", "precision"),
    ("false_refusal_rate", "false refusals"),
    ("coverage", "coverage"),
    ("all_sides", "all sides"),
    ("on_topic_quotes", "on a side"),
]


def main() -> None:
    kb = seed_kb(__doc__.splitlines()[0])
    for path in SETS:
        report = run_eval(kb, load_qa(path))
        figures = {**report.metrics, **report.broad}
        shown = [
            f"{label} {figures[key]:.3f}"
            for key, label in FIGURES
            if isinstance(figures.get(key), int | float)
        ]
        print(f"{path.name:18} {len(report.results):3}  " + "  ".join(shown))
    print(f"command: {command()}")


if __name__ == "__main__":
    main()
