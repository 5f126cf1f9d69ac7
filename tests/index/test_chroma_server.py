"""The store against a real Chroma server (`chroma run` on 127.0.0.1) as well as embedded:
generations, refresh and answers work the same, and a server that goes away gives a clear
message and is used again, by the same knowledge base, once it is back."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from index.errors import PublishConflict, StoreUnavailable
from index.search.retrieval import Retriever
from index.service import KnowledgeBase
from index.settings import Settings
from index.store.catalog import Catalog
from index.store.chroma import ChromaStore
from tests.index.chroma_server import ChromaServer, running

pytestmark = pytest.mark.chroma_server
ROOT = Path(__file__).resolve().parents[2]

ARTICLES = {
    "bus-franchising.md": (
        "---\ntitle: Mayors take back control of buses\nauthor: Sam Okafor\n---\n\n"
        "Combined authorities in England can now franchise their bus services, setting routes, "
        "fares and timetables themselves instead of leaving them to private operators. "
        "Greater Manchester was the first to use the power, and its franchised network carried "
        "more passengers in its first year than the deregulated routes it replaced.\n"
    ),
    "school-meals.md": (
        "---\ntitle: Free school meals extended\n---\n\n"
        "Every child in a household receiving Universal Credit will be entitled to free school "
        "meals from September, the education secretary announced. Around half a million more "
        "pupils are expected to qualify, at a cost of about one billion pounds a year.\n"
    ),
}
Q_BUS = "Which combined authority was the first to franchise its buses?"


@pytest.fixture(scope="module")
def chroma_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ChromaServer]:
    with running(tmp_path_factory.mktemp("chroma-server")) as server:
        yield server


@pytest.fixture(params=["embedded", "server"])
def backend(request: pytest.FixtureRequest) -> dict[str, object]:
    """Settings overrides for each kind of store: embedded in tmp_path/data, or the server."""
    if request.param == "embedded":
        return {}
    return request.getfixturevalue("chroma_server").settings()


def write_articles(sources: Path) -> None:
    for name, text in ARTICLES.items():
        (sources / name).write_text(text, encoding="utf-8")


# -- the same behaviour on both stores ---------------------------------------------------
def test_publishing_a_generation_switches_readers_atomically(
    backend: dict[str, object], tmp_path: Path
) -> None:
    settings = Settings(sources_dir=tmp_path, data_dir=tmp_path / "data", **backend)
    store = ChromaStore(settings)
    assert store.live_generation() is None
    first, col = store.new_generation()
    col.add(ids=["a"], embeddings=[[1.0, 0.0]], documents=["first"], metadatas=[{"path": "a"}])
    assert store.live_generation() is None  # built, not yet published: nobody sees it
    store.publish(Catalog(version=1, generation=first, collection=col.name))
    other = ChromaStore(settings)  # another process's view
    assert other.live_generation() == first
    second, col2 = store.new_generation()
    assert other.read_catalog().collection == col.name
    store.publish(Catalog(version=2, generation=second, collection=col2.name))
    assert other.live_generation() == second
    assert set(store.generation_collections()) == {col.name, col2.name}
    store.drop(col.name)
    assert store.generation_collections() == [col2.name]
    assert (tmp_path / "data" / "chroma").exists() == (not backend)


def test_a_publish_that_lost_the_race_changes_nothing(
    backend: dict[str, object], tmp_path: Path
) -> None:
    """Two publishers started from the same version: the second is refused with
    PublishConflict, and the first stays live for everyone."""
    settings = Settings(sources_dir=tmp_path, data_dir=tmp_path / "data", **backend)
    mine, theirs = ChromaStore(settings), ChromaStore(settings)
    base, col = mine.new_generation()
    mine.publish(Catalog(version=1, generation=base, collection=col.name))
    winner, col_w = theirs.new_generation()
    loser, col_l = mine.new_generation()
    theirs.publish(Catalog(version=2, generation=winner, collection=col_w.name))
    with pytest.raises(PublishConflict, match=f"generation {winner}"):
        mine.publish(Catalog(version=2, generation=loser, collection=col_l.name))
    for store in (mine, theirs, ChromaStore(settings)):
        assert store.live_generation() == winner
        assert store.read_catalog().version == 2


def test_a_publish_left_half_done_is_finished_by_the_next_reader_of_the_record(
    backend: dict[str, object], tmp_path: Path
) -> None:
    """A process that claimed its version and died before pointing the catalog at it: the
    next refresh (point_to_latest) makes it live; a stale catalog never wins over it."""
    settings = Settings(sources_dir=tmp_path, data_dir=tmp_path / "data", **backend)
    store = ChromaStore(settings)
    first, col = store.new_generation()
    store.publish(Catalog(version=1, generation=first, collection=col.name))
    second, col2 = store.new_generation()
    half = Catalog(version=2, generation=second, collection=col2.name)
    store.stage(half)
    store.claim(half)  # … and the process dies here
    assert store.live_generation() == first
    assert ChromaStore(settings).point_to_latest().generation == second
    assert store.live_generation() == second
    with pytest.raises(PublishConflict):  # built on version 1: too late
        store.claim(Catalog(version=2, generation="late", collection="late"))


def test_refresh_and_answers_work_on_both_stores(
    make_kb: Callable[..., KnowledgeBase], backend: dict[str, object]
) -> None:
    kb = make_kb(seed=False, **backend)
    write_articles(kb.settings.sources_dir)
    assert sorted(kb.refresh().added) == sorted(ARTICLES)
    answer = kb.answer_sync(Q_BUS)
    assert not answer.refused
    assert any("Greater Manchester was the first" in c.quote for c in answer.citations)
    # An incremental refresh: one removed, one changed, the reader follows.
    (kb.settings.sources_dir / "school-meals.md").unlink()
    path = kb.settings.sources_dir / "bus-franchising.md"
    path.write_text(path.read_text() + "\nFares were capped at two pounds.\n")
    report = kb.refresh()
    assert (report.added, report.updated, report.removed) == (
        [],
        ["bus-franchising.md"],
        ["school-meals.md"],
    )
    assert [d.path for d in kb.library().documents] == ["bus-franchising.md"]
    assert kb.answer_sync("Who gets free school meals from September?").refused


def test_a_reader_reloads_when_another_process_publishes(
    make_kb: Callable[..., KnowledgeBase], backend: dict[str, object]
) -> None:
    kb = make_kb(seed=False, **backend)
    write_articles(kb.settings.sources_dir)
    kb.refresh()
    reader = Retriever(ChromaStore(kb.settings), kb.embed_model)  # a separate client
    before = reader.live().name
    (kb.settings.sources_dir / "school-meals.md").unlink()
    kb.refresh()
    assert reader.live().name != before
    assert {h.doc_id for h in reader.search("free school meals Universal Credit", 5)} == {
        "bus-franchising.md"
    }


# -- a server that goes away -------------------------------------------------------------
def test_a_server_that_goes_away_gives_a_clear_message_and_is_used_again_when_back(
    make_kb: Callable[..., KnowledgeBase], chroma_server: ChromaServer, tmp_path: Path
) -> None:
    overrides = chroma_server.settings()
    kb = make_kb(seed=False, **overrides)
    write_articles(kb.settings.sources_dir)
    kb.refresh()
    assert not kb.answer_sync(Q_BUS).refused

    chroma_server.stop()
    try:
        where = f"the Chroma server at {chroma_server.host}:{chroma_server.port}"
        for call in (lambda: kb.answer_sync(Q_BUS), kb.library, kb.refresh):
            with pytest.raises(StoreUnavailable, match=where) as caught:
                call()
            assert "\n" not in str(caught.value)
        env = {
            **os.environ,
            "CHROMA_HOST": chroma_server.host,
            "CHROMA_PORT": str(chroma_server.port),
            "CHROMA_COLLECTION_PREFIX": str(overrides["collection_prefix"]),
        }
        cli = subprocess.run(
            [sys.executable, "-m", "policybot", "--sources", str(kb.settings.sources_dir),
             "--data", str(kb.settings.data_dir), "ask", "--json", Q_BUS],
            capture_output=True, text=True, timeout=240, cwd=ROOT, env=env, check=False,
        )  # fmt: skip
        assert cli.returncode == 1
        assert cli.stdout == ""
        assert cli.stderr.count("\n") == 1 and where in cli.stderr, cli.stderr
        assert "Traceback" not in cli.stderr
    finally:
        chroma_server.start()  # same port, same data

    # The same knowledge base answers again: nothing restarted but the server.
    answer = kb.answer_sync(Q_BUS)
    assert any("Greater Manchester was the first" in c.quote for c in answer.citations)
    assert not kb.refresh().changed
    assert sorted(d.path for d in kb.library().documents) == sorted(ARTICLES)
