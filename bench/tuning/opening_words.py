"""How far into an unattributed quote a broad answer looks for the holder it belongs to
(framing.OPENING_WORDS): for each reach, the quotes of the broad tuning answers that join
a speaker of their answer, and those each longer reach adds, to be read and judged.

    .venv/bin/python bench/tuning/opening_words.py
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench"))

from common import OUT, patched  # noqa: E402

from index.answering import framing  # noqa: E402
from index.service import KnowledgeBase  # noqa: E402
from index.settings import Settings  # noqa: E402

TUNING = ROOT / "bench" / "tuning"
REACHES = (4, 6, 8, 12)


def main() -> None:
    kb = KnowledgeBase(Settings(sources_dir=ROOT / "sources", data_dir=OUT / "answers-data"))
    kb.ensure_index()
    files = [*sorted(TUNING.glob("broad*_own.jsonl")), TUNING / "shape_own.jsonl"]
    questions = [json.loads(line)["question"] for f in files for line in f.open() if line.strip()]
    answers = [a for q in questions if not (a := kb.answer_sync(q)).refused and a.shape == "broad"]
    before: set[tuple[str, str]] = set()
    for reach in REACHES:
        with patched({(framing, "OPENING_WORDS"): reach}):
            joined = {
                (key, " ".join(c.quote.split())[:90])
                for a in answers
                for key, c in zip(framing.holders(a.citations), a.citations, strict=True)
                if not c.speaker and not key.startswith("#")
            }
        print(f"{reach} words: {len(joined)} quotes join a speaker of their answer")
        for key, quote in sorted(joined - before):
            print(f"   + {key}: {quote}")
        before = joined
    print(f"in the code: OPENING_WORDS = {framing.OPENING_WORDS}")
    print("command: .venv/bin/python bench/tuning/opening_words.py")


if __name__ == "__main__":
    main()
