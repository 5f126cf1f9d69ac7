"""A generation's side files, on the real pipeline: a new process answers from them without
reading the index out of Chroma; damaged, stale or missing ones are rebuilt from Chroma,
never trusted; they go when their generation goes."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from index.service import KnowledgeBase
from index.store import side_files
from index.store.chroma import ChromaStore

QUESTION = "What did Dave Prentis say about the NHS?"


def _side_root(kb: KnowledgeBase) -> Path:
    return side_files.cache_dir(kb.settings.data_dir, kb.store.prefix)


def _reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every bulk read of chunks from Chroma from now on."""
    seen: list[str] = []
    original = ChromaStore.read

    def spy(self: ChromaStore, what: str, *args: Any, **kwargs: Any) -> Any:
        seen.append(what)
        return original(self, what, *args, **kwargs)

    monkeypatch.setattr(ChromaStore, "read", spy)
    return seen


def _answer(kb: KnowledgeBase) -> list[str]:
    answer = kb.answer_sync(QUESTION)
    return [c.quote for c in answer.citations]


def test_a_new_process_answers_from_the_side_files_the_refresh_wrote(
    make_kb: Callable[..., KnowledgeBase], monkeypatch: pytest.MonkeyPatch
) -> None:
    kb = make_kb()
    kb.refresh()
    live = kb.store.live_generation()
    assert live and (_side_root(kb) / live / side_files.MANIFEST).is_file()
    reads = _reads(monkeypatch)
    again = make_kb()  # what a new process builds: nothing loaded yet
    quotes = _answer(again)
    assert quotes and reads == []  # the chunks came from the side files, not from Chroma
    assert quotes == _answer(kb)


@pytest.mark.parametrize("damage", ["truncated", "other_format", "missing", "other_generation"])
def test_damaged_or_stale_side_files_are_rebuilt_from_chroma(
    make_kb: Callable[..., KnowledgeBase], monkeypatch: pytest.MonkeyPatch, damage: str
) -> None:
    kb = make_kb()
    kb.refresh()
    expected = _answer(kb)
    live = kb.store.live_generation()
    assert live
    folder = _side_root(kb) / live
    manifest = json.loads((folder / side_files.MANIFEST).read_text())
    if damage == "truncated":
        vectors = folder / "vectors.npy"
        vectors.write_bytes(vectors.read_bytes()[:-384])
    elif damage == "other_format":
        manifest["format"] = side_files.FORMAT + 1
        (folder / side_files.MANIFEST).write_text(json.dumps(manifest))
    elif damage == "missing":
        (folder / "texts.npy").unlink()
    else:
        manifest["generation"] = "20000101000000-00000000"
        (folder / side_files.MANIFEST).write_text(json.dumps(manifest))
    reads = _reads(monkeypatch)
    again = make_kb()
    assert _answer(again) == expected
    assert reads  # rebuilt from Chroma …
    assert side_files.open_generation(folder, live) is not None  # … and written back whole


def test_side_files_go_with_their_generation(make_kb: Callable[..., KnowledgeBase]) -> None:
    kb = make_kb(generation_grace_seconds=0)
    kb.refresh()
    first = kb.store.live_generation()
    root = _side_root(kb)
    abandoned = root / ".20000101000000-00000000.1.abc.tmp"  # a build killed long ago
    abandoned.mkdir()
    (abandoned / "vectors.npy").write_bytes(b"half")
    import os

    os.utime(abandoned, (0, 0))
    (kb.settings.sources_dir / "note.md").write_text("# A note\n\nThe NHS employs nurses.\n")
    kb.refresh()
    second = kb.store.live_generation()
    assert second != first
    assert sorted(p.name for p in root.iterdir() if not p.name.startswith(".")) == [second]
    assert not abandoned.exists()


def test_processes_loading_at_once_build_the_side_files_once(
    make_kb: Callable[..., KnowledgeBase], monkeypatch: pytest.MonkeyPatch
) -> None:
    kb = make_kb()
    kb.refresh()
    live = kb.store.live_generation()
    assert live
    import shutil

    shutil.rmtree(_side_root(kb) / live)
    builds: list[str] = []
    original = side_files.build

    def counting(*args: Any, **kwargs: Any) -> None:
        builds.append("build")
        original(*args, **kwargs)

    monkeypatch.setattr(side_files, "build", counting)
    results: list[list[str]] = []
    errors: list[BaseException] = []

    def ask() -> None:
        try:
            results.append(_answer(make_kb()))
        except BaseException as e:  # reported below
            errors.append(e)

    threads = [threading.Thread(target=ask) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors and len(results) == 3
    assert results[0] and results[0] == results[1] == results[2]
    assert builds == ["build"]


def test_bm25_from_the_side_files_scores_as_bm25s_does(seed_kb: KnowledgeBase) -> None:
    """Questions are scored from the saved BM25 columns without bm25s; the scores must be
    the ones bm25s gives over the same chunks."""
    import bm25s
    import numpy as np

    live = seed_kb.retriever.live()
    words = [""] * len(live.stats.vocab)
    for term, i in live.stats.vocab.items():
        words[i] = term
    chunks = [
        [words[t] for t in live.tokens[live.token_lo[i] : live.token_lo[i + 1]].tolist()]
        for i in range(len(live.ids))
    ]
    reference = bm25s.BM25()
    reference.index(chunks, show_progress=False)
    for query in (["union", "privat", "contract"], ["hewitt", "hewitt"], ["nurs", "zzz"]):
        ours = live.bm25.scores(query)
        theirs = reference.get_scores([q for q in query if q in reference.vocab_dict] or [""])
        assert ours.max() > 0
        assert np.allclose(ours, theirs, atol=1e-5)


def test_a_process_that_only_answers_drops_older_generations_side_files(
    make_kb: Callable[..., KnowledgeBase],
) -> None:
    """A machine that never refreshes (a bot shard on a Chroma server) would otherwise keep
    every generation's side files; newer ones (a refresh about to publish) stay."""
    kb = make_kb()
    kb.refresh()
    live = kb.store.live_generation()
    assert live
    root = _side_root(kb)
    older, newer = root / "20000101000000-0000aaaa", root / "29991231235959-0000bbbb"
    for folder in (older, newer):
        folder.mkdir()
        (folder / side_files.MANIFEST).write_text("{}")
    assert _answer(make_kb())
    assert not older.exists() and newer.exists() and (root / live).exists()


def test_the_noted_live_generation_is_trusted_only_while_no_refresh_runs(
    make_kb: Callable[..., KnowledgeBase],
) -> None:
    """A reader takes the live generation from the note beside the embedded store, unless a
    refresh is running (it may be changing it) or there is no note (a refresh died): then
    it asks Chroma, and writes the note back once no refresh runs."""
    from index.store import live_pointer
    from index.store.refresh_lock import refresh_lock

    kb = make_kb()
    kb.refresh()
    data, prefix = kb.settings.data_dir, kb.store.prefix
    live = kb.store.live_generation()
    assert live and live_pointer.read(data, prefix) == live

    live_pointer.write(data, prefix, "20000101000000-00000000")  # what a stale note says
    with refresh_lock(data):
        assert kb.store.live_generation() == live  # from Chroma, not the note
    assert kb.store.live_generation() == "20000101000000-00000000"  # no refresh: trusted

    live_pointer.forget(data, prefix)  # a refresh killed between forgetting and noting
    assert kb.store.live_generation() == live
    assert live_pointer.read(data, prefix) == live  # noted again


def test_an_index_run_with_nothing_to_do_writes_missing_side_files(
    make_kb: Callable[..., KnowledgeBase],
) -> None:
    """After an upgrade (an index without side files) `policybot index` leaves them ready,
    so the next question doesn't pay for them."""
    import shutil

    kb = make_kb()
    kb.refresh()
    live = kb.store.live_generation()
    assert live
    shutil.rmtree(_side_root(kb) / live)
    report = kb.refresh()
    assert not report.changed
    assert side_files.open_generation(_side_root(kb) / live, live) is not None
