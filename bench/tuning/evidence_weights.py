"""The weights of index/evidence.py's sentence score, measured: how often a single-fact
question's best-scored sentence holds its gold quote, over a grid of weights.

Each tuning question (bench/tuning/para*_own.jsonl: facts asked in other words, written
from the articles) is retrieved and scored once with the weights in the code; each
sentence's parts (meaning, words, names, speaker, answer type) are kept, and every grid
point re-ranks them. Sentences the fact answerer would pass over (no figure for "how many",
not the speaker asked about) are left out as it leaves them. Retrieval is held fixed, so a
point's figure is what it does to the choice of quote; bench/answers.py measures the rest.
The dev sets are printed for seeing, never chosen on.

    .venv/bin/python bench/tuning/evidence_weights.py
"""

from __future__ import annotations

import itertools
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench"))

from common import OUT  # noqa: E402

from index.answering.extractive import fact_candidates  # noqa: E402
from index.evaluation import QAItem, citation_correct, load_qa  # noqa: E402
from index.search import evidence as ev  # noqa: E402
from index.service import KnowledgeBase  # noqa: E402
from index.settings import Settings  # noqa: E402

TUNING = sorted((ROOT / "bench" / "tuning").glob("para*_own.jsonl"))
DEV = [ROOT.parent / "shared" / "dev_qa.jsonl", ROOT.parent / "shared" / "dev_para.jsonl"]
GRID = {
    "MEANING_WEIGHT": (0.3, 0.5, 0.7, 0.9),
    "WORDS_WEIGHT": (0.4, 0.6, 0.8, 1.0, 1.2),
    "NAMES_WEIGHT": (0.0, 0.15, 0.3, 0.5, 0.8),
    "ANSWER_TYPE_WEIGHT": (0.0, 0.1, 0.2, 0.3),
    "SPEAKER_WEIGHT": (0.1, 0.3, 0.5),
}


def parts(kb: KnowledgeBase, item: QAItem) -> np.ndarray | None:
    """One row per candidate sentence: meaning, words, names, speaker, type, gold (0/1)."""
    question, gathered, _ = kb.evidence(item.question)
    if question.broad:
        return None  # answered by the broad composer: not this score's first place
    cands = fact_candidates(gathered.relevant, question)
    rows = []
    for e in cands:
        said = 1.0 if e.asked_speaker else 0.0
        typed = 1.0 if e.typed else 0.0
        rest = (
            ev.MEANING_WEIGHT * (e.meaning + e.window)
            + ev.WORDS_WEIGHT * (e.lexical + e.lexical_asked)
            + ev.SPEAKER_WEIGHT * said
            + ev.ANSWER_TYPE_WEIGHT * typed
        )
        names = (e.score - rest) / ev.NAMES_WEIGHT if ev.NAMES_WEIGHT else 0.0
        gold = 1.0 if citation_correct(e.text, item.gold_quotes) else 0.0
        rows.append((e.meaning + e.window, e.lexical + e.lexical_asked, names, said, typed, gold))
    return np.asarray(rows) if rows else None


def first_is_gold(tables: list[np.ndarray], w: tuple[float, ...]) -> float:
    """Share of questions whose best sentence under weights `w` holds gold (stable order:
    ties keep the code's ranking)."""
    hits = 0
    for t in tables:
        score = t[:, :5] @ np.asarray(w)
        hits += t[int(np.argmax(score)), 5] > 0
    return hits / len(tables)


def collect(kb: KnowledgeBase, paths: list[Path]) -> list[np.ndarray]:
    items = [i for p in paths for i in load_qa(p) if i.answerable and not i.broad]
    return [t for i in items if (t := parts(kb, i)) is not None]


def main() -> None:
    kb = KnowledgeBase(Settings(sources_dir=ROOT / "sources", data_dir=OUT / "answers-data"))
    kb.ensure_index()
    tuning, dev = collect(kb, TUNING), collect(kb, DEV)
    now = tuple(getattr(ev, k) for k in GRID)
    print(f"tuning questions answered as facts: {len(tuning)}; dev: {len(dev)}")
    print(
        f"weights in the code {now}: gold first, tuning {first_is_gold(tuning, now):.3f}, "
        f"dev {first_is_gold(dev, now):.3f}"
    )
    scored = sorted(
        ((first_is_gold(tuning, w), w) for w in itertools.product(*GRID.values())),
        key=lambda s: -s[0],
    )
    best = scored[0][0]
    ties = [w for f, w in scored if f == best]
    print(f"best on tuning: {best:.3f}, reached by {len(ties)} of {len(scored)} grid points")
    for w in ties[:10]:
        print(f"  {dict(zip(GRID, w, strict=True))}  dev {first_is_gold(dev, w):.3f}")
    print("command: .venv/bin/python bench/tuning/evidence_weights.py")


if __name__ == "__main__":
    main()
