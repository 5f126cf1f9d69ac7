"""Additions, clause by clause (index/checking/additions.py): for the claims the rest of the
checker lets through, does leaving out a clause with UNSUPPORTED_WORDS or more content words
found nowhere near the support bring the claim closer in meaning to its support?

Plays the tuning claims files through the real answering path with the clause check off,
and prints, for each claim let through that has such a clause, the largest gain in cosine
(the claim without the clause against the claim, each with its support) and its label.
The check flags a claim when the gain is above 0. The held-out file is never played here.

    .venv/bin/python bench/tuning/claim_clauses.py
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT))

from common import OUT, command, patched  # noqa: E402

from index.answering import citations  # noqa: E402
from index.checking import additions  # noqa: E402
from index.checking import claims as checker  # noqa: E402
from index.search.evidence import Evidence  # noqa: E402
from index.text import terms  # noqa: E402
from tests.index.claims_play import ClaimsPlayer  # noqa: E402

TUNING = [ROOT / "bench/tuning/claims_own.jsonl", ROOT / "bench/tuning/claims_own2.jsonl"]


def labels(paths: list[Path]) -> dict[str, tuple[str, bool, str]]:
    """Each claim's text (as the answerer splits it) -> (id, faithful, kind)."""
    out = {}
    for p in paths:
        for q in map(json.loads, filter(str.strip, p.read_text().splitlines())):
            for i, c in enumerate(q["claims"], start=1):
                text = c["text"].replace("{n}", "").strip().rstrip(".").strip()
                out[text] = (f"{q['id']}.{i}", c["faithful"], c["kind"])
    return out


def main() -> None:
    seen: list[tuple[str, checker.Passage, checker.Judgement]] = []
    real = citations.check

    def recording(claim: str, passage: checker.Passage) -> checker.Judgement:
        judged = real(claim, passage)
        seen.append((claim, passage, judged))
        return judged

    with (
        patched({(citations, "check"): recording, (checker, "added_clause"): lambda *a: ""}),
        ClaimsPlayer(OUT / "answers-data") as player,
    ):
        for f in TUNING:
            player.play_file(f)
        embed = player.kb.embed_texts if player.kb is not None else None
        known = labels(TUNING)
        rows = {}
        for claim, passage, judged in seen:
            label = known.get(claim.strip().rstrip(".").strip())
            if label is None or not judged.supported or embed is None:
                continue
            window = _window(passage, judged)
            found = checker._terms_with_speakers(window, passage)
            text = " ".join(ev.text for ev in window)
            found |= checker._reworded(claim, set(terms(claim)) - found, text)
            options = additions.candidates(claim, found)
            if not options:
                continue
            support = " ".join(ev.text for ev in judged.evidence)
            v = np.asarray(embed([claim, support, *(rest for _, rest in options)]), dtype=float)
            v /= np.linalg.norm(v, axis=1, keepdims=True)
            gains = [float(r @ v[1] - v[0] @ v[1]) for r in v[2:]]
            best = max(range(len(gains)), key=gains.__getitem__)
            rows[label[0]] = (gains[best], label, options[best][0])
    print("gain    label                     clause")
    for gain, (cid, faithful, kind), clause in sorted(rows.values(), key=lambda r: -r[0]):
        tag = "faithful" if faithful else f"NOT: {kind}"
        print(f"{gain:+.3f}  {cid:7s} {tag:16s}  {clause}")
    flagged = [r for r in rows.values() if r[0] > 0]
    print(
        f"\nflagged (gain > 0): {sum(not r[1][1] for r in flagged)} unfaithful, "
        f"{sum(r[1][1] for r in flagged)} faithful, of {len(rows)} claims with a candidate"
    )
    print(f"command: {command()}")


def _window(passage: checker.Passage, judged: checker.Judgement) -> list[Evidence]:
    at = {ev.pos: ev for ev in passage.sentences}
    lo, hi = judged.evidence[0].pos - 1, judged.evidence[-1].pos + 1
    return [at[p] for p in range(lo, hi + 1) if p in at]


if __name__ == "__main__":
    main()
