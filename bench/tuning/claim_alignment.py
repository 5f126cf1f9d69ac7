"""Additions by token alignment, measured and not adopted: for the claims the rest of the
checker lets through on the tuning files, each content word of the claim that its
support's neighbourhood lacks (`found`) is aligned to the support's words by the cosine of
MiniLM's contextual token vectors (BERTScore's precision, word by word); a claim whose
least-aligned such word falls under a threshold would be an addition. Prints, per
threshold, the faithful claims it would drop and the additions it would catch, over the
new words of every kind and over nouns (`additions._a_thing`) only.

The held-out file is never played here.

    .venv/bin/python bench/tuning/claim_alignment.py [--data DIR]
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT / "bench/tuning"))
sys.path.insert(0, str(ROOT))

from claim_clauses import recorded  # noqa: E402
from common import OUT, command  # noqa: E402

from index import lexicon  # noqa: E402
from index.checking.additions import _a_thing  # noqa: E402
from index.embedding import MiniLM  # noqa: E402
from index.text import stopwords, terms  # noqa: E402

TUNING = [ROOT / f"bench/tuning/claims_own{n}.jsonl" for n in ("", "2", "3", "4", "5", "6")]
THRESHOLDS = (0.15, 0.2, 0.25, 0.3, 0.35, 0.4)


def word_vectors(model: MiniLM, text: str) -> list[tuple[str, np.ndarray]]:
    """Each content word of `text` with the mean of its tokens' contextual vectors."""
    session, tokenizer = model._ready()
    encoding = tokenizer.encode(text)
    ids = np.array([encoding.ids], dtype=np.int64)
    feeds = {"input_ids": ids, "attention_mask": np.ones_like(ids)}
    feeds["token_type_ids"] = np.zeros_like(ids)
    hidden = session.run(None, feeds)[0][0]
    hidden /= np.linalg.norm(hidden, axis=1, keepdims=True)
    stop = stopwords()
    out = []
    for m in re.finditer(r"[A-Za-z][\w'’-]*", text):
        word = m.group().lower()
        if word in stop or len(word) < 3 or not terms(word):
            continue
        at = [k for k, (a, b) in enumerate(encoding.offsets) if a >= m.start() and b <= m.end()]
        if at:
            v = hidden[at].mean(axis=0)
            out.append((word, v / np.linalg.norm(v)))
    return out


def least_aligned(claim: str, new: list[tuple[str, float]], keep: object) -> float:
    """The lowest alignment among the claim's new words that `keep` accepts, names and
    verbs of saying aside (1.0 when there is none)."""
    names = {w.lower() for w in re.findall(r"\b[A-Z][\w'’-]*", claim)}
    kept = [
        s
        for w, s in new
        if keep(w) and not lexicon.saying(w) and w not in names  # type: ignore[operator]
    ]
    return min(kept, default=1.0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=OUT / "answers-data")
    args = parser.parse_args()
    model = MiniLM()
    rows = {}
    with recorded("replaced_word", None, TUNING, args.data) as (seen, _, known):
        for claim, support, found in seen:
            label = known.get(claim.strip().rstrip(".").strip())
            theirs = word_vectors(model, support)
            if label is None or not theirs:
                continue
            matrix = np.stack([v for _, v in theirs])
            new = [
                (w, float(np.max(matrix @ v)))
                for w, v in word_vectors(model, claim)
                if not set(terms(w)) & found
            ]
            rows[label[0]] = (label, claim, new)
    kinds = {
        "every new word": lambda w: True,
        "nouns only": _a_thing,
    }
    for name, keep in kinds.items():
        faithful = [least_aligned(c, n, keep) for (lab, c, n) in rows.values() if lab[1]]
        added = [least_aligned(c, n, keep) for (lab, c, n) in rows.values() if lab[2] == "addition"]
        print(f"{name}: {len(faithful)} faithful claims, {len(added)} additions")
        print("  below   faithful dropped   additions caught")
        for t in THRESHOLDS:
            dropped = sum(x < t for x in faithful)
            caught = sum(x < t for x in added)
            share = dropped / len(faithful)
            print(f"  {t:5.2f}   {dropped:4d} ({share:.3f})    {caught:3d} of {len(added)}")
    print(f"\ncommand: {command()}")


if __name__ == "__main__":
    main()
