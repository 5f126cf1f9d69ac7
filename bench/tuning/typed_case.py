"""The tuning questions as people type them: as written, all in lower case, in lower case
but for the acronyms ("what does paul flather think about the NHS"), and that with chat
shorthand ("govt", "regs", "lib dems": CHAT), answered on the seed library. What
index/search/casing.py's capitals and index/search/shorthand.py's expansions are worth
(docs/answering.md, section 2).

Sets: qa_own, para_own and para2_own (facts: answered citing gold, precision), broad_own and
broad2_own (coverage, quotes on a side) and the three unanswerable lists (share refused).
Held-out sets are never read here.

    .venv/bin/python bench/tuning/typed_case.py [--sources DIR] [--data DIR]
"""

from __future__ import annotations

import re
import sys
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from common import ROOT, command, seed_kb

from index.evaluation import load_qa, run_eval
from index.qa_file import QAItem

TUNING = ROOT / "bench" / "tuning"
ANSWERABLE = ["qa_own.jsonl", "para_own.jsonl", "para2_own.jsonl"]
BROAD = ["broad_own.jsonl", "broad2_own.jsonl"]
UNANSWERABLE = ["unanswerable_own.txt", "unanswerable2_own.txt", "unanswerable_broad_own.txt"]
_ACRONYM = re.compile(r"\b[A-Z]{2,}s?\b")


def lower_but_acronyms(text: str) -> str:
    kept = {m.start(): m.group() for m in _ACRONYM.finditer(text)}
    low = text.lower()
    for start, word in kept.items():
        low = low[:start] + word + low[start + len(word) :]
    return low


# The shorthand people type in chat, put for the words the questions spell out.
CHAT = {
    "government": "govt",
    "governments": "govts",
    "regulations": "regs",
    "regulation": "reg",
    "department": "dept",
    "liberal democrats": "lib dems",
    "people": "ppl",
    "about": "abt",
    "information": "info",
    "university": "uni",
    "because": "bc",
    "organisation": "org",
    "organisations": "orgs",
}
_CHAT = re.compile(r"\b(" + "|".join(sorted(CHAT, key=len, reverse=True)) + r")\b")


def in_shorthand(text: str) -> str:
    return _CHAT.sub(lambda m: CHAT[m.group()], lower_but_acronyms(text))


TYPINGS = {
    "as written": lambda t: t,
    "lower case": str.lower,
    "lower, acronyms kept": lower_but_acronyms,
    "… and chat shorthand": in_shorthand,
}


def unanswerable() -> list[QAItem]:
    return [
        QAItem(id=f"{name}:{i}", question=line.strip(), answerable=False)
        for name in UNANSWERABLE
        for i, line in enumerate((TUNING / name).read_text(encoding="utf-8").splitlines())
        if line.strip()
    ]


def main() -> None:
    kb = seed_kb(__doc__.splitlines()[0])
    facts = [q for name in ANSWERABLE for q in load_qa(TUNING / name)]
    broad = [q for name in BROAD for q in load_qa(TUNING / name)]
    refuse = unanswerable()
    print("typed as                 citing gold  precision  coverage  on a side  refused")
    for label, typed in TYPINGS.items():
        figures = []
        for items in (facts, broad, refuse):
            retyped = [replace(q, question=typed(q.question)) for q in items]
            report = run_eval(kb, retyped)
            figures.append({**report.metrics, **report.broad})
        f, b, u = figures
        print(
            f"{label:22} {f['answered_citing_gold']:12.3f} {f['citation_precision']:10.3f} "
            f"{b['coverage']:9.3f} {b['on_topic_quotes']:10.3f} {u['refusal_accuracy']:8.3f}"
        )
    print(f"({len(facts)} facts, {len(broad)} broad, {len(refuse)} unanswerable)")
    every = [q.question for q in [*facts, *broad, *refuse]]
    changed = sum(in_shorthand(q) != lower_but_acronyms(q) for q in every)
    print(f"({changed} of {len(every)} questions have a word put in shorthand)")
    print(f"command: {command()}")


if __name__ == "__main__":
    main()
