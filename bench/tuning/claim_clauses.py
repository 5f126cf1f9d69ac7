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
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT))

from common import OUT, command, patched  # noqa: E402

from index.checking import additions  # noqa: E402
from index.checking import claims as checker  # noqa: E402
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


@contextmanager
def recorded(
    check: str, answer: Any, files: list[Path], data: Path
) -> Iterator[tuple[list[tuple[Any, ...]], additions.Embed, dict[str, tuple[str, bool, str]]]]:
    """Play the claims files through the real answering path with one check of the claim
    checker (`check`, a name in index/checking/claims.py) replaced by a recorder that
    answers `answer` (as the check does when it finds nothing): yields what the check was
    given for each claim the rest of the checker let through (its arguments but the last,
    the embedding), the embedding, and the claims' labels."""
    seen: list[tuple[Any, ...]] = []

    def recording(*args: Any, **options: Any) -> Any:
        seen.append(args[:-1])  # the positional arguments (keyword ones: a vector given)
        return answer

    with patched({(checker, check): recording}), ClaimsPlayer(data) as player:
        for f in files:
            player.play_file(f)
        assert player.kb is not None  # set on entering the player
        yield seen, player.kb.embed_texts, labels(files)


def main() -> None:
    # for each claim the rest of the checker let through: the claim, the words found near
    # its support, and the support
    with recorded("added_clause", "", TUNING, OUT / "answers-data") as (seen, embed, known):
        rows = {}
        for claim, found, support in seen:
            label = known.get(claim.strip().rstrip(".").strip())
            options = additions.candidates(claim, found)
            if label is None or not options:
                continue
            gains = additions.gains(claim, options, support, embed)
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


if __name__ == "__main__":
    main()
