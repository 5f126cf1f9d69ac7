"""The refusal judge's scatter on tuning questions only: for each answerable dev question
and each unanswerable one, the judge's strength, the best passage's cosine with the
question, their sum (held against index.search.gate.min_support for the library's size) and
the verdict, then how many of each set are answered. Answerable: dev_qa, dev_para and
bench/tuning/para_own.jsonl and para2_own.jsonl; broad: dev_broad and
bench/tuning/broad_own.jsonl and broad2_own.jsonl; unanswerable: dev_qa's and
bench/tuning/unanswerable_own.txt, unanswerable_broad_own.txt and unanswerable2_own.txt.
Held-out sets are never shown here.

    .venv/bin/python bench/judge_scatter.py [--sources DIR] [--data DIR]
"""

from __future__ import annotations

from pathlib import Path

from common import ROOT, command, seed_kb

from index.evaluation import load_qa
from index.search.evidence import score_sentences
from index.search.gate import about_names, judge

SHARED = ROOT.parent / "shared"
OWN_UNANSWERABLE = ROOT / "bench" / "tuning" / "unanswerable_own.txt"
OWN_UNANSWERABLE_BROAD = ROOT / "bench" / "tuning" / "unanswerable_broad_own.txt"
OWN_UNANSWERABLE_2 = ROOT / "bench" / "tuning" / "unanswerable2_own.txt"
OWN_PARAPHRASES = ROOT / "bench" / "tuning" / "para_own.jsonl"
OWN_PARAPHRASES_2 = ROOT / "bench" / "tuning" / "para2_own.jsonl"
OWN_BROAD = ROOT / "bench" / "tuning" / "broad_own.jsonl"
OWN_BROAD_2 = ROOT / "bench" / "tuning" / "broad2_own.jsonl"


def _questions(path: Path, answerable: bool) -> list[str]:
    return [q.question for q in load_qa(path) if not q.broad and q.answerable == answerable]


def _lines(path: Path) -> list[str]:
    return [q for q in path.read_text(encoding="utf-8").splitlines() if q.strip()]


def main() -> None:
    kb = seed_kb(__doc__.splitlines()[0])
    live = kb.retriever.live()
    sets = {
        "answerable": _questions(SHARED / "dev_qa.jsonl", True)
        + _questions(SHARED / "dev_para.jsonl", True)
        + _questions(OWN_PARAPHRASES, True)
        + _questions(OWN_PARAPHRASES_2, True),
        "broad": [
            q.question
            for p in (SHARED / "dev_broad.jsonl", OWN_BROAD, OWN_BROAD_2)
            for q in load_qa(p)
        ],
        "unanswerable": _questions(SHARED / "dev_qa.jsonl", False)
        + _lines(OWN_UNANSWERABLE)
        + _lines(OWN_UNANSWERABLE_BROAD)
        + _lines(OWN_UNANSWERABLE_2),
    }
    print(command())
    print(f"{'set':<13} {'strength':>8} {'passage':>7} {'sum':>5} verdict  question")
    answered = dict.fromkeys(sets, 0)
    for name, questions in sets.items():
        for text in questions:
            question = kb.question(text)
            hits = kb._retrieve(question, text, kb.depth(question), live)
            relevant = about_names(question, score_sentences(question, hits, live), live)
            verdict = judge(question, relevant, live)
            passage = max((ev.hit.score for ev in relevant), default=0.0)
            total = verdict.strength + passage
            shown = "answer" if verdict.answerable else "refuse"
            answered[name] += verdict.answerable
            print(
                f"{name:<13} {verdict.strength:8.2f} {passage:7.2f} {total:5.2f} {shown:<7}  "
                f"{text[:70]}"
            )
    for name, questions in sets.items():
        print(f"{name}: {answered[name]} of {len(questions)} answered")


if __name__ == "__main__":
    main()
