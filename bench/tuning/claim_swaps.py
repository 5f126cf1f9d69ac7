"""Swapped words (index/checking/additions.py, `replaced_word`): for the claims the rest of
the checker lets through, every word the claim puts in place of one of its support's, in
words otherwise copied (`additions.swaps`), with whether WordNet finds the two near
(`lexicon.kin`, at each KIN_STEPS from 0 to 3), the cosine of the two words alone and of
the support's words around the swap with each word in place, and the claim's label.

Plays the tuning claims files through the real answering path with the swap check off.
The held-out file is never played here.

    .venv/bin/python bench/tuning/claim_swaps.py [--data DIR]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT / "bench/tuning"))
sys.path.insert(0, str(ROOT))

from claim_clauses import recorded  # noqa: E402
from common import OUT, command, patched  # noqa: E402

from index import lexicon  # noqa: E402
from index.checking import additions  # noqa: E402
from index.text import words  # noqa: E402

TUNING = [ROOT / f"bench/tuning/claims_own{n}.jsonl" for n in ("", "2", "3", "4", "5", "6")]
PAIRS = ROOT / "bench/tuning/swap_pairs.txt"
AROUND = 3  # words of the support each side of the swap, for the cosine in context


def in_context(support: str, theirs: str, mine: str, around: int = AROUND) -> tuple[str, str]:
    """The support's words around its word `theirs`, as written and with `mine` in place."""
    tokens = words(support)
    at = tokens.index(theirs) if theirs in tokens else 0
    left, right = tokens[max(0, at - around) : at], tokens[at + 1 : at + 1 + around]
    return " ".join([*left, theirs, *right]), " ".join([*left, mine, *right])


def cosine(embed: additions.Embed, a: str, b: str) -> float:
    v = np.asarray(embed([a, b]), dtype=float)
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    return float(v[0] @ v[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=OUT / "answers-data")
    args = parser.parse_args()
    # for each claim the rest of the checker let through: the claim, its support, and the
    # words found near it
    with recorded("replaced_word", None, TUNING, args.data) as (seen, embed, known):
        rows = {}
        for claim, support, found in seen:
            label = known.get(claim.strip().rstrip(".").strip())
            if label is None:
                continue
            for mine, theirs in additions.swaps(claim, support, found):
                steps = []
                for n in range(4):
                    with patched({(lexicon, "KIN_STEPS"): n}):
                        steps.append(lexicon.kin(mine, theirs))
                alone = cosine(embed, mine, theirs)
                context = cosine(embed, *in_context(support, theirs, mine))
                rows[(label[0], mine)] = (label, mine, theirs, steps, alone, context)
    print("label                    swap                          kin@0-3      alone  context")
    for (cid, faithful, kind), mine, theirs, steps, alone, context in sorted(
        rows.values(), key=lambda r: (r[0][1], r[5])
    ):
        tag = "faithful" if faithful else f"NOT: {kind}"
        kin = "".join("?" if k is None else "y" if k else "n" for k in steps)
        swap = f"{theirs} -> {mine}"
        print(f"{cid:7s} {tag:16s} {swap:30s} {kin:12s} {alone:5.2f}  {context:5.2f}")
    print("\nword pairs (bench/tuning/swap_pairs.txt)")
    print("label  swap                          kin@0-3      alone")
    pairs = [line.split() for line in PAIRS.read_text().splitlines() if line[:1] not in "#"]
    for theirs, mine, label in sorted(pairs, key=lambda p: (p[2], -cosine(embed, p[1], p[0]))):
        kin = ""
        for n in range(4):
            with patched({(lexicon, "KIN_STEPS"): n}):
                k = lexicon.kin(mine, theirs)
            kin += "?" if k is None else "y" if k else "n"
        alone = cosine(embed, mine, theirs)
        print(f"{label:6s} {theirs + ' -> ' + mine:30s} {kin:12s} {alone:5.2f}")
    print(f"\ncommand: {command()}")


if __name__ == "__main__":
    main()
