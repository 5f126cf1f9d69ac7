"""The embedding model's query cache under concurrent questions, and its packaged files."""

from __future__ import annotations

import threading

import numpy as np

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
