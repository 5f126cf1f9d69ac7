"""Every dev and held-out question's answer, as sorted JSON: a restructuring's before/after
check (`cmp` the two dumps; byte-identical means no answer changed).

    .venv/bin/python bench/tuning/dump_answers.py OUT.json [--sources DIR]

Builds a knowledge base over the seed articles (sources/) in a temporary data folder, with
the environment's LLM and Chroma settings ignored (extractive answers, local store), as
tests/conftest.py does; then asks every question of ../shared/dev_{qa,para,broad}.jsonl and
of each tests/data/*.jsonl file whose lines have a "question".
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from index.ingest.llama_embedding import MiniLMEmbedding  # noqa: E402
from index.service import KnowledgeBase  # noqa: E402
from index.settings import Settings  # noqa: E402
from tests.conftest import OUTSIDE_CONFIG  # noqa: E402

SHARED = ROOT.parent / "shared"
DEV = [SHARED / "dev_qa.jsonl", SHARED / "dev_para.jsonl", SHARED / "dev_broad.jsonl"]
# The same variables the tests keep out: no outside LLM, Chroma server or folders.
IGNORED_ENV = OUTSIDE_CONFIG


def question_files() -> list[Path]:
    """The dev sets, then every held-out file whose lines ask a question."""
    held_out = []
    for path in sorted((ROOT / "tests" / "data").glob("*.jsonl")):
        first = next((line for line in path.read_text().splitlines() if line.strip()), "")
        if first and "question" in json.loads(first):
            held_out.append(path)
    return [*DEV, *held_out]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("out", type=Path)
    p.add_argument("--sources", type=Path, default=ROOT / "sources")
    args = p.parse_args()
    for name in IGNORED_ENV:
        os.environ.pop(name, None)

    dump: dict[str, dict[str, object]] = {}
    with tempfile.TemporaryDirectory(prefix="dump-answers-") as tmp:
        settings = Settings(sources_dir=args.sources, data_dir=Path(tmp) / "data")
        kb = KnowledgeBase(settings, embed_model=MiniLMEmbedding())
        kb.refresh()
        for path in question_files():
            for line in path.read_text().splitlines():
                if not line.strip():
                    continue
                item = json.loads(line)
                answer = kb.answer_sync(item["question"])
                key = f"{path.stem}/{item.get('id') or item['question']}"
                dump[key] = {
                    "question": item["question"],
                    "answer": answer.answer,
                    "refused": answer.refused,
                    "reason": answer.reason,
                    "note": answer.note,
                    "shape": answer.shape,
                    "citations": [{"source": c.source, "quote": c.quote} for c in answer.citations],
                }
    args.out.write_text(json.dumps(dump, indent=1, sort_keys=True, ensure_ascii=False) + "\n")
    print(f"{len(dump)} answers -> {args.out}")


if __name__ == "__main__":
    main()
