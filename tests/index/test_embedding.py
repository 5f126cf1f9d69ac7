"""The embedding model's query cache under concurrent questions, and its packaged files."""

from __future__ import annotations

import re
import shutil
import threading
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from index.embedding import QueryCache


def v(x: float) -> np.ndarray:
    return np.array([x], dtype=np.float32)


def test_query_cache_is_a_bounded_lru() -> None:
    cache = QueryCache(size=2)
    cache.put("a", v(1.0))
    cache.put("b", v(2.0))
    assert cache.get("a") == v(1.0)  # "a" is now the most recently used
    cache.put("c", v(3.0))
    assert cache.get("b") is None
    assert cache.get("a") == v(1.0)
    assert cache.get("c") == v(3.0)
    assert len(cache) == 2


def test_query_cache_survives_threads_hammering_it() -> None:
    """Many threads reading, writing and evicting at once: no KeyError, never over size."""
    cache = QueryCache(size=8)
    errors: list[BaseException] = []
    start = threading.Barrier(16)

    def work(n: int) -> None:
        try:
            start.wait()
            for i in range(3000):
                key = f"q{(n * 7 + i) % 40}"
                if cache.get(key) is None:
                    cache.put(key, v(i))
                if i % 97 == 0:
                    cache.pop(key)
                assert len(cache) <= 8
        except BaseException as e:  # reported below, from the main thread
            errors.append(e)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(cache) <= 8


def test_model_answers_the_same_question_from_many_threads(embed_model) -> None:
    """The real model's cached query path, from threads asking overlapping questions."""
    questions = [f"What did the unions argue about contract {i}?" for i in range(20)]
    expected = {q: embed_model.get_query_embedding(q) for q in questions[:3]}
    embed_model.query_cache.size = 4  # force evictions while the threads run
    out: dict[str, list[float]] = {}
    errors: list[BaseException] = []

    def work(n: int) -> None:
        try:
            for i in range(40):
                q = questions[(n + i) % len(questions)]
                vector = embed_model.get_query_embedding(q)
                if q in expected:
                    out[q] = vector
        except BaseException as e:
            errors.append(e)

    try:
        threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        embed_model.query_cache.size = 512
    assert errors == []
    for q, v in out.items():
        assert max(abs(a - b) for a, b in zip(v, expected[q], strict=True)) < 1e-6


def test_parts_of_a_text_come_from_its_own_pass(embed_model) -> None:
    """What a question asks without its names is read from the question's token vectors:
    the texts' rows are exactly `embed`'s, a part spanning the whole text is the text's own
    vector, and a part means its words in context (closer to a sentence about them than
    the whole question is, when the rest of the question is about something else)."""
    question = "What did Boris Johnson say about hospital waiting lists?"
    words = [(m.start(), m.end()) for m in re.finditer(r"\S+", question)]
    asked = [w for w in words if question[w[0] : w[1]] not in ("Boris", "Johnson")]
    rows = embed_model.embed_parts([question, "short"], [(0, words), (0, asked)])
    assert np.array_equal(rows[:2], embed_model.embed([question, "short"]))
    assert float(rows[2] @ rows[0]) > 0.9999
    sentence = embed_model.embed(["Patients wait months on hospital waiting lists."])[0]
    assert float(rows[3] @ sentence) > float(rows[0] @ sentence)
    assert 0.99 < float(np.linalg.norm(rows[3])) < 1.01


def test_the_model_optimised_once_gives_the_same_vectors_and_is_checked_at_load(
    tmp_path: Path, embed_model: Any
) -> None:
    """The optimised model saved in the data folder embeds exactly as the model optimised in
    memory; a damaged copy is made again, never used; a folder it can't be written to
    still gives a working model."""
    from index.embedding import OPTIMIZED_ROOM, MiniLM

    if shutil.disk_usage(tmp_path).free < OPTIMIZED_ROOM:
        pytest.skip("too little free space for the optimised model")
    texts = ["What did the unions argue about private contracts in the NHS?", "NHS"]
    expected = embed_model.embed(texts)
    cache = tmp_path / "models"
    assert np.allclose(MiniLM(cache_dir=cache).embed(texts), expected, atol=1e-6)
    (folder,) = [p for p in cache.iterdir() if not p.name.startswith(".")]
    assert sorted(p.name for p in folder.iterdir()) == ["manifest.json", "model.data", "model.onnx"]
    made = (folder / "model.data").stat().st_mtime_ns

    with (folder / "model.data").open("r+b") as f:  # one weight damaged on disk
        f.seek(4096)
        byte = f.read(1)
        f.seek(4096)
        f.write(bytes([byte[0] ^ 0xFF]))
    assert np.allclose(MiniLM(cache_dir=cache).embed(texts), expected, atol=1e-6)
    assert (folder / "model.data").stat().st_mtime_ns != made  # made again

    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the cache folder would go")
    assert np.allclose(MiniLM(cache_dir=blocked / "models").embed(texts), expected, atol=1e-6)


def test_a_question_typed_without_capitals_is_read_by_the_model_once(
    seed_kb: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Typed in lower case, a question is searched once to find the case of its names, then
    read again with them. The model is uncased, so the second reading is the first: one
    pass of the model, and the answer of the question typed with capitals. Forgetting the
    question forgets that pass too (what the benchmarks' "nothing cached" relies on)."""
    session, _ = seed_kb.embed_model.encoder._ready()
    runs: list[int] = []
    real = session.run

    def counted(*args: Any, **kwargs: Any) -> Any:
        runs.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(session, "run", counted)
    cache = seed_kb.embed_model.query_cache
    cache.clear()
    lower = seed_kb.answer_sync("what did dave prentis say about foundation hospitals?")
    assert len(runs) == 1
    cache.clear()
    cased = seed_kb.answer_sync("What did Dave Prentis say about foundation hospitals?")
    assert len(runs) == 2
    assert not lower.refused and lower.answer == cased.answer
    assert [c.quote for c in lower.citations] == [c.quote for c in cased.citations]
