"""How far two careful readers agree on what a question asks for and on its answer's shape:
the ceiling a question reader can be held to.

tests/data/shapes_second_reader.jsonl holds a second labelling of every question of
shapes_tuning.jsonl, shapes_tuning2.jsonl and shapes_holdout.jsonl (shuffled together) and,
separately, of shapes_tuning3.jsonl (stop 34), of shapes_tuning4.jsonl (stop 35, shuffled
with the held-out questions, whose labels from that session are the third reader's,
shapes_third_reader.jsonl) and of shapes_tuning5.jsonl (stop 35), made by sessions that read
the six articles and the labelling guide of docs/answering.md (section 3, "The labels"),
without the first labels, the code or the answer sets. Prints, per file, the share of
questions both label alike and Cohen's kappa, for the kind asked and the shape, and for the
held-out questions how many of them the third reader settles (two of three readers agree);
--show-tuning lists the tuning questions whose shape the two readers disagree on (never the
held-out ones).

    .venv/bin/python bench/tuning/label_agreement.py [--show-tuning]
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

DATA = Path(__file__).resolve().parents[2] / "tests" / "data"
FILES = [
    ("tuning", "shapes_tuning.jsonl"),
    ("tuning 2", "shapes_tuning2.jsonl"),
    ("tuning 3", "shapes_tuning3.jsonl"),
    ("tuning 4", "shapes_tuning4.jsonl"),
    ("tuning 5", "shapes_tuning5.jsonl"),
    ("held-out", "shapes_holdout.jsonl"),
]


def rows(name: str) -> list[dict]:
    text = (DATA / name).read_text(encoding="utf-8")
    return [json.loads(line) for line in text.splitlines() if line]


def agreement(pairs: list[tuple[dict, dict]], field: str) -> tuple[float, float]:
    """Observed agreement and Cohen's kappa (agreement beyond what the two readers'
    label frequencies give by chance)."""
    n = len(pairs)
    observed = sum(a[field] == b[field] for a, b in pairs) / n
    first, second = Counter(a[field] for a, _ in pairs), Counter(b[field] for _, b in pairs)
    chance = sum(first[k] * second[k] for k in first.keys() | second.keys()) / (n * n)
    return observed, (observed - chance) / (1 - chance) if chance < 1 else 1.0


def main() -> None:
    second = {r["id"]: r for r in rows("shapes_second_reader.jsonl")}
    print("file          n   kind: agree  kappa   shape: agree  kappa")
    for part, name in FILES:
        pairs = [(r, second[r["id"]]) for r in rows(name)]
        kind, kind_k = agreement(pairs, "asks")
        shape, shape_k = agreement(pairs, "shape")
        row = f"{part:10} {len(pairs):4}   {kind:11.3f}  {kind_k:5.2f}"
        print(f"{row}   {shape:12.3f}  {shape_k:5.2f}")
        if part.startswith("tuning") and "--show-tuning" in sys.argv:
            for a, b in pairs:
                if a["shape"] != b["shape"]:
                    print(
                        f"   {a['asks']}/{a['shape']} | {b['asks']}/{b['shape']}: {a['question']}"
                    )
    third = {r["id"]: r for r in rows("shapes_third_reader.jsonl")}
    held = rows("shapes_holdout.jsonl")
    for field in ("asks", "shape"):
        trio = [(r[field], second[r["id"]][field], third[r["id"]][field]) for r in held]
        first_third = sum(a == c for a, _, c in trio) / len(trio)
        disputed = [t for t in trio if t[0] != t[1]]
        kept = sum(a == c for a, _, c in disputed)
        print(
            f"held-out {field}: the third reader agrees with the first on {first_third:.3f}; "
            f"of the {len(disputed)} the first two split on, sides with the first on {kept}"
        )
    print("command: .venv/bin/python bench/tuning/label_agreement.py")


if __name__ == "__main__":
    main()
