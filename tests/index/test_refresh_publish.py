"""Publishing is compare-and-set, and old generations outlive their replacement by a grace
period: two refreshes of one library racing (as on two machines sharing a Chroma store,
each with its own refresh lock) never roll the library back, and nobody still reading or
copying a generation has it dropped under them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest

from index.errors import PublishConflict
from index.search.retrieval import Retriever
from index.service import KnowledgeBase
from index.store.chroma import ChromaStore
from index.store.refresh import Refresher

NOTE = "# Depot note\n\nThe {name} bus depot will close in {year}, the council said.\n"


def other_machine(kb: KnowledgeBase, tmp_path: Path, **settings: object) -> Refresher:
    """A refresher on the same store and sources folder with its own client and data folder,
    so its own refresh lock: a refresh on another machine."""
    other = replace(kb.settings, data_dir=tmp_path / "other-machine", **settings)
    return Refresher(other, ChromaStore(kb.settings), kb.embed_model)


def test_a_refresh_that_lost_the_race_is_not_published_and_says_so(
    make_kb: Callable[..., KnowledgeBase], tmp_path: Path
) -> None:
    kb = make_kb()
    kb.refresh()
    sources = kb.settings.sources_dir
    (sources / "ashby.md").write_text(NOTE.format(name="Ashby", year=2031))
    rival = other_machine(kb, tmp_path)
    won: list[str | None] = []

    def meanwhile(stage: str, done: int, total: int) -> None:
        # While this refresh publishes, another machine sees one more change and wins.
        if stage == "publishing" and not won:
            (sources / "brent.md").write_text(NOTE.format(name="Brent", year=2032))
            won.append(rival.run().generation)

    before = kb.store.generation_collections()
    with pytest.raises(PublishConflict) as caught:
        kb.refresh(progress=meanwhile)
    said = str(caught.value)
    assert f"another refresh published a new index (generation {won[0]})" in said
    assert "run the refresh again" in said and "\n" not in said
    catalog = kb.store.read_catalog()
    assert catalog.generation == won[0]
    assert {"ashby.md", "brent.md"} <= set(catalog.documents)  # the winner is intact
    # The loser's generation is gone; the winner and the one before are there.
    assert sorted(kb.store.generation_collections()) == sorted([*before, catalog.collection])
    answer = kb.answer_sync("When will the Brent bus depot close?")
    assert any("2032" in c.quote for c in answer.citations)
    # The next refresh starts from the winner and has nothing left to do.
    assert not kb.refresh().changed


def test_a_refresh_whose_base_was_replaced_while_it_ran_publishes_nothing_and_says_so(
    make_kb: Callable[..., KnowledgeBase], tmp_path: Path
) -> None:
    kb = make_kb()
    kb.refresh()
    sources = kb.settings.sources_dir
    (sources / "ashby.md").write_text(NOTE.format(name="Ashby", year=2031))
    rival = other_machine(kb, tmp_path, generation_grace_seconds=0.0)
    start_building = kb.store.new_generation

    def meanwhile() -> tuple[str, object]:
        # Just before this refresh builds on the live generation, another machine
        # replaces it twice, with no grace period.
        for name in ("brent.md", "crewe.md"):
            (sources / name).write_text(NOTE.format(name=name[:-3], year=2033))
            rival.run()
        return start_building()

    kb.store.new_generation = meanwhile  # type: ignore[method-assign]
    with pytest.raises(PublishConflict, match="another refresh published a new index"):
        kb.refresh()
    kb.store.new_generation = start_building  # type: ignore[method-assign]
    live = kb.store.read_catalog()
    assert {"brent.md", "crewe.md"} <= set(live.documents)
    published = {f"{kb.store.prefix}-g{g}" for _, g, _ in kb.store.tickets()}
    # nothing half-built left: what is left is published or read by the live generation
    assert set(kb.store.generation_collections()) <= published | live.collections
    assert kb.refresh().changed is False


def test_replaced_generations_stay_for_the_grace_period_then_go(
    make_kb: Callable[..., KnowledgeBase], tmp_path: Path
) -> None:
    kb = make_kb()
    kb.refresh()
    reader = Retriever(kb.store, kb.embed_model)
    first = reader.live()
    sources = kb.settings.sources_dir
    for year in (2031, 2032):
        (sources / "ashby.md").write_text(NOTE.format(name="Ashby", year=year))
        kb.refresh()  # the default grace period: an hour
    # A reader still on the first generation can read all of it.
    old = kb.store.collection(first.catalog.collection)
    assert old.count() == first.catalog.chunk_count
    assert len(kb.store.generation_collections()) == 3
    # With no grace period, the next refresh drops all but the live generation.
    (sources / "ashby.md").write_text(NOTE.format(name="Ashby", year=2033))
    other_machine(kb, tmp_path, generation_grace_seconds=0.0).run()
    (sources / "ashby.md").write_text(NOTE.format(name="Ashby", year=2034))
    other_machine(kb, tmp_path, generation_grace_seconds=0.0).run()
    live = kb.store.read_catalog()
    # Only what the live generation reads is left: its own collection and the first
    # generation's, which still holds the articles no refresh changed since.
    assert set(kb.store.generation_collections()) == live.collections
    assert live.collections == {live.collection, first.catalog.collection}
    assert len(kb.store.tickets()) == 1
    answer = kb.answer_sync("When will the Ashby bus depot close?")
    assert any("2034" in c.quote for c in answer.citations)


def test_a_generation_another_process_is_building_is_never_dropped(
    make_kb: Callable[..., KnowledgeBase], tmp_path: Path
) -> None:
    kb = make_kb()
    kb.refresh()
    _, collection = kb.store.new_generation()  # another machine, mid-build
    collection.add(ids=["x"], embeddings=[[0.0] * 384], documents=["x"], metadatas=[{"p": 1}])
    (kb.settings.sources_dir / "ashby.md").write_text(NOTE.format(name="Ashby", year=2031))
    other_machine(kb, tmp_path, generation_grace_seconds=0.0).run()
    assert collection.name in kb.store.generation_collections()
    assert collection.count() == 1
    # Only once it is older than ABANDONED_BUILD_SECONDS is it a dead refresh's left-over.
    (kb.settings.sources_dir / "ashby.md").write_text(NOTE.format(name="Ashby", year=2032))
    other_machine(kb, tmp_path, abandoned_build_seconds=0.0).run()
    assert collection.name not in kb.store.generation_collections()
