"""Incremental refresh on the real pipeline: exactly the diff, and nothing re-embedded that
didn't change."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from index.ingest.llama_embedding import MiniLMEmbedding
from index.ingest.loaders import load_document
from index.service import KnowledgeBase

NEW_ARTICLE = """---
title: "Ambulance handover delays reach record"
---

Ambulance crews waited more than four hours to hand over patients at the county hospital
last winter, the regional ambulance trust said in its annual report.
"""


@pytest.fixture
def embedded(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every text the real model embeds for the index during the test (sentences: a chunk's
    vector is the mean of its sentences')."""
    seen: list[str] = []
    original = MiniLMEmbedding.embed

    def spy(self: MiniLMEmbedding, texts: list[str]) -> Any:
        seen.extend(texts)
        return original(self, texts)

    monkeypatch.setattr(MiniLMEmbedding, "embed", spy)
    return seen


def test_add_modify_delete_gives_exactly_that_diff(
    make_kb: Callable[..., KnowledgeBase], embedded: list[str]
) -> None:
    kb = make_kb()
    first = kb.refresh()
    assert len(first.added) == 6 and first.documents == 6
    sources = kb.settings.sources_dir
    before = {d.path: d.chunks for d in kb.library().documents}

    (sources / "ambulances.md").write_text(NEW_ARTICLE)
    changed = sources / "oxfordshire-labour-members-defeat-nhs-reforms.md"
    changed.write_text(changed.read_text().replace("29 hospital staff", "31 hospital staff"))
    (sources / "unions-step-up-opposition-to-foundation-hospitals.md").unlink()
    embedded.clear()

    report = kb.refresh()
    assert report.added == ["ambulances.md"]
    assert report.updated == ["oxfordshire-labour-members-defeat-nhs-reforms.md"]
    assert report.removed == ["unions-step-up-opposition-to-foundation-hospitals.md"]
    assert len(report.unchanged) == 4
    # only the sentences of the new and the changed document were embedded
    texts = {
        load_document(sources / name, sources).text
        for name in ("ambulances.md", "oxfordshire-labour-members-defeat-nhs-reforms.md")
    }
    assert embedded and all(any(t in text for text in texts) for t in embedded)
    expected = before["oxfordshire-labour-members-defeat-nhs-reforms.md"] + 1
    assert report.embedded_chunks == expected
    library = {d.path: d for d in kb.library().documents}
    assert "unions-step-up-opposition-to-foundation-hospitals.md" not in library
    assert library["ambulances.md"].title == "Ambulance handover delays reach record"
    # the index answers from the new state
    answer = kb.answer_sync("How long did ambulance crews wait to hand over patients?")
    assert not answer.refused
    assert any("four hours" in c.quote for c in answer.citations)
    hits = kb.search("foundation hospitals vote in the Commons next Wednesday", 10)
    assert all(h.doc_id != "unions-step-up-opposition-to-foundation-hospitals.md" for h in hits)
    assert any(
        "31 hospital staff" in h.text for h in kb.search("hospital staff made redundant", 10)
    )


def test_nothing_changed_embeds_nothing(
    make_kb: Callable[..., KnowledgeBase], embedded: list[str]
) -> None:
    kb = make_kb()
    kb.refresh()
    embedded.clear()
    report = kb.refresh()
    assert not report.changed and embedded == []
    assert len(report.unchanged) == 6 and report.chunks > 0


def test_dry_run_reports_the_diff_and_changes_nothing(
    make_kb: Callable[..., KnowledgeBase],
) -> None:
    kb = make_kb()
    kb.refresh()
    (kb.settings.sources_dir / "ambulances.md").write_text(NEW_ARTICLE)
    dry = kb.refresh(dry_run=True)
    assert dry.dry_run and dry.added == ["ambulances.md"]
    assert "ambulances.md" not in {d.path for d in kb.library().documents}
    assert kb.refresh().added == ["ambulances.md"]


def test_a_dry_run_gives_the_totals_the_run_will_give(
    make_kb: Callable[..., KnowledgeBase],
) -> None:
    """`policybot index --dry-run` says "Would index N documents (M chunks)": the index
    the run would leave, not the one there is (none, on a first build)."""
    kb = make_kb()
    dry = kb.refresh(dry_run=True)
    assert kb.library().documents == []
    done = kb.refresh()
    assert (dry.documents, dry.chunks) == (done.documents, done.chunks) == (6, done.chunks)
    assert dry.embedded_chunks == done.embedded_chunks == done.chunks > 0
    sources = kb.settings.sources_dir
    (sources / "ambulances.md").write_text(NEW_ARTICLE)
    (sources / "unions-step-up-opposition-to-foundation-hospitals.md").unlink()
    changed = sources / "oxfordshire-labour-members-defeat-nhs-reforms.md"
    changed.write_text(changed.read_text() + "\nA late correction was added to this article.\n")
    dry = kb.refresh(dry_run=True)
    done = kb.refresh()
    assert (dry.documents, dry.chunks, dry.embedded_chunks) == (
        done.documents, done.chunks, done.embedded_chunks
    )  # fmt: skip
    assert done.documents == 6 and done.embedded_chunks > 0


def test_bad_files_are_skipped_and_never_damage_the_index(
    make_kb: Callable[..., KnowledgeBase],
) -> None:
    kb = make_kb()
    kb.refresh()
    sources: Path = kb.settings.sources_dir
    (sources / "photo.txt").write_bytes(b"\x00\x01\x02binary")
    (sources / "broken.md").write_text("---\ntitle: [oops\n---\nText\n")
    # a previously indexed article becomes unreadable: its indexed version is kept
    seed = sources / "health-secretary-bids-to-give-power-to-nhs-staff.md"
    seed.write_bytes(b"\xff\xfe not utf-8 \xff")
    report = kb.refresh()
    reasons = {s.path: s.reason for s in report.skipped}
    assert "binary" in reasons["photo.txt"]
    assert "broken front matter" in reasons["broken.md"]
    assert "previously indexed version is kept" in reasons[seed.name]
    assert report.removed == [] and report.documents == 6
    answer = kb.answer_sync("Who is the Secretary General of Co-operatives UK?")
    assert any("Ed Mayo" in c.quote for c in answer.citations)


def test_an_empty_sources_folder_gives_a_clear_error(make_kb: Callable[..., KnowledgeBase]) -> None:
    from index.errors import IndexNotReady

    kb = make_kb(seed=False)
    with pytest.raises(IndexNotReady, match="holds no readable sources"):
        kb.ensure_index()


BROKEN_FIRST_SOURCE = "---\ntitle: [oops\n---\n\n" + NEW_ARTICLE.split("---\n", 2)[2]
Q_HANDOVER = "How long did ambulance crews wait to hand over patients?"


def test_a_first_build_with_nothing_readable_leaves_no_empty_index_behind(
    make_kb: Callable[..., KnowledgeBase],
) -> None:
    """The only source is broken: the refresh reports it and publishes nothing, so once it
    is fixed the index is built on demand (`ask`), as when there was never one."""
    from index.errors import IndexNotReady

    kb = make_kb(seed=False)
    source = kb.settings.sources_dir / "ambulances.md"
    source.write_text(BROKEN_FIRST_SOURCE)
    report = kb.refresh()
    assert report.documents == 0 and "broken front matter" in report.skipped[0].reason
    assert not kb.has_index()
    with pytest.raises(IndexNotReady, match=r"ambulances\.md: broken front matter"):
        kb.ensure_index()  # says why, each time it is asked
    source.write_text(NEW_ARTICLE)
    built = kb.ensure_index()
    assert built is not None and built.added == ["ambulances.md"]
    assert not kb.answer_sync(Q_HANDOVER).refused


def test_an_empty_index_left_by_an_earlier_version_is_built_on_demand(
    make_kb: Callable[..., KnowledgeBase],
) -> None:
    """policybot used to publish that empty first build; `ask` then said "the index holds
    no documents" even with the source fixed. An index that never held a document is built
    again; one that was emptied later is left as it is."""
    from index.ingest.chunking import CHUNKER_VERSION
    from index.store.catalog import Catalog

    kb = make_kb(seed=False)
    generation, collection = kb.store.new_generation()  # published as the refresh did
    empty = Catalog(
        version=1, generation=generation, collection=collection.name,
        embed_model=kb.embed_model.model_name, chunker=CHUNKER_VERSION,
    )  # fmt: skip
    kb.store.stage(empty)
    kb.store.claim(empty)
    kb.store.point_to_latest()
    assert kb.has_index() and kb.library().documents == []
    (kb.settings.sources_dir / "ambulances.md").write_text(NEW_ARTICLE)
    built = kb.ensure_index()
    assert built is not None and built.added == ["ambulances.md"]
    assert not kb.answer_sync(Q_HANDOVER).refused
    assert kb.ensure_index() is None  # built: nothing more to do
    (kb.settings.sources_dir / "ambulances.md").unlink()
    assert kb.refresh().removed == ["ambulances.md"]
    assert kb.ensure_index() is None  # emptied on purpose: not rebuilt behind one's back


def test_nodes_are_added_in_batches_within_chromas_limit(
    make_kb: Callable[..., KnowledgeBase],
) -> None:
    """Long documents make more chunks than one Chroma add may carry (~5,000); the refresh
    adds them in slices. Forced here to slices of 7 so every document spans several."""
    from index.store.refresh import Refresher

    kb = make_kb()
    report = Refresher(kb.settings, kb.store, kb.embed_model, add_batch=7).run()
    assert report.chunks > 7 * 6
    live = kb.store.collection(kb.store.read_catalog().collection)
    assert live.count() == report.chunks == sum(d.chunks for d in kb.library().documents)
    answer = kb.answer_sync("Who is the Secretary General of Co-operatives UK?")
    assert any("Ed Mayo" in c.quote for c in answer.citations)


def test_a_refresh_writes_side_files_equal_to_a_fresh_build_from_chroma(
    make_kb: Callable[..., KnowledgeBase], caplog: pytest.LogCaptureFixture
) -> None:
    """The refresh writes the new generation's side files from the previous generation's
    and the documents it embedded; a reader opens them, and they hold exactly what a build
    from Chroma alone would."""
    from index.search.retrieval import Retriever
    from index.store import side_files

    kb = make_kb()
    kb.refresh()
    reader = Retriever(kb.store, kb.embed_model)
    before = reader.live()
    sources = kb.settings.sources_dir
    removed, changed = sorted(sources.glob("*.md"))[:2]
    removed.unlink()
    changed.write_text(changed.read_text() + "\nA late correction was added to this article.\n")
    (sources / "ambulances.md").write_text(NEW_ARTICLE)
    with caplog.at_level("INFO", logger="index.store.side_files"):
        kb.refresh()
    kept = [r.getMessage() for r in caplog.records if "wrote side files" in r.getMessage()]
    assert kept and f"(4 documents kept from {before.name})" in kept[-1]

    after = reader.live()
    assert after.name != before.name
    fresh_root = kb.settings.data_dir / "fresh"
    side_files.build(kb.store, fresh_root / after.name, after.catalog)
    fresh = side_files.open_generation(fresh_root / after.name, after.name)
    assert fresh is not None
    assert sorted(after.ids) == sorted(fresh.ids)
    assert all(after.records[c] == fresh.records[c] for c in fresh.ids)
    assert after.vectors is not None and fresh.vectors is not None
    for cid in fresh.ids:  # Chroma's copy may differ in the last bit
        assert np.allclose(after.vectors[after.row[cid]], fresh.vectors[fresh.row[cid]], atol=1e-6)
    used = {t: after.stats.df(t) for t in after.stats.vocab if after.stats.df(t)}
    assert used == {t: fresh.stats.df(t) for t in fresh.stats.vocab if fresh.stats.df(t)}
    for doc in fresh.doc_terms.docs:
        assert after.doc_terms.has_all(doc, {"ambul"}) == fresh.doc_terms.has_all(doc, {"ambul"})
    assert not any(str(after.records[c].meta["path"]) == removed.name for c in after.ids)
    for q in ("When did ambulance crews wait four hours?", "Which union is the biggest?"):
        a, f = reader.search(q, 5, live=after), reader.search(q, 5, live=fresh)
        assert [h.text for h in a] == [h.text for h in f]
        assert len(after.sentences.within(a[0].doc_id, a[0].start, a[0].end)) == len(
            fresh.sentences.within(f[0].doc_id, f[0].start, f[0].end)
        )
    for doc in fresh.sentences.docs:  # kept documents' sentences keep their terms
        mine, theirs = after.sentences.within(doc, 0, 10**9), fresh.sentences.within(doc, 0, 10**9)
        assert mine.starts == theirs.starts and mine.terms == theirs.terms


# -- the same file under two names -----------------------------------------------------
SEED_FILE = "unions-defeat-private-sector-plans-for-nhs.md"
Q_UNIONS = "Which union is the biggest?"


def test_a_copied_file_never_breaks_a_fresh_build_and_is_indexed_once(
    make_kb: Callable[..., KnowledgeBase],
) -> None:
    kb = make_kb()
    sources = kb.settings.sources_dir
    copy = SEED_FILE.replace(".md", "-2.md")  # a fresh build keeps the shorter name
    (sources / copy).write_bytes((sources / SEED_FILE).read_bytes())
    report = kb.refresh()
    assert sorted(report.added) == sorted(p.name for p in sources.glob("*.md") if p.name != copy)
    reasons = {s.path: s.reason for s in report.skipped}
    assert reasons == {copy: f"the same file as {SEED_FILE}, which is indexed; not indexed twice"}
    assert report.documents == 6
    assert copy not in {d.path for d in kb.library().documents}
    answer = kb.answer_sync(Q_UNIONS)
    assert not answer.refused and {c.path for c in answer.citations} <= {
        d.path for d in kb.library().documents
    }


def test_a_copy_made_later_is_skipped_then_takes_over_when_the_original_goes(
    make_kb: Callable[..., KnowledgeBase],
) -> None:
    kb = make_kb()
    kb.refresh()
    sources = kb.settings.sources_dir
    (sources / "a-copy.md").write_bytes((sources / SEED_FILE).read_bytes())
    report = kb.refresh()
    assert (report.added, report.updated, report.removed) == ([], [], [])
    assert [s.path for s in report.skipped] == ["a-copy.md"]
    assert SEED_FILE in report.skipped[0].reason
    # The original is removed: the copy is indexed in its place.
    (sources / SEED_FILE).unlink()
    report = kb.refresh()
    assert (report.added, report.removed, report.skipped) == (["a-copy.md"], [SEED_FILE], [])
    hits = kb.search("Dave Prentis of Unison pitted against Ms Hewitt at Brighton", 3)
    assert hits[0].doc_id == "a-copy.md"
    # An indexed file edited into a copy of another leaves the index, with the reason.
    other = "oxfordshire-labour-members-defeat-nhs-reforms.md"
    (sources / other).write_bytes((sources / "a-copy.md").read_bytes())
    report = kb.refresh()
    assert report.removed == [other] and report.updated == []
    assert [s.path for s in report.skipped] == [other]
    assert report.documents == 5


def test_the_same_text_under_two_titles_is_indexed_twice_without_a_clash(
    make_kb: Callable[..., KnowledgeBase],
) -> None:
    """Not the same file (other front matter), the same text: both are sources in their own
    right, and their chunks get ids of their own."""
    kb = make_kb(seed=False)
    body = NEW_ARTICLE.split("---\n", 2)[2]
    for name, title in (("first.md", "Handover delays"), ("second.md", "Ambulance report")):
        (kb.settings.sources_dir / name).write_text(f"---\ntitle: {title}\n---\n{body}")
    report = kb.refresh()
    assert sorted(report.added) == ["first.md", "second.md"] and report.skipped == []
    live = kb.store.collection(kb.store.read_catalog().collection)
    ids = live.get(include=["metadatas"])
    assert len(set(ids["ids"])) == len(ids["ids"]) == report.chunks
    assert {m["path"] for m in ids["metadatas"]} == {"first.md", "second.md"}


def test_an_index_from_the_previous_chunker_is_rebuilt_with_the_new_ids(
    make_kb: Callable[..., KnowledgeBase], monkeypatch: pytest.MonkeyPatch
) -> None:
    from index.ingest import chunking
    from index.store import refresh

    kb = make_kb()
    with monkeypatch.context() as m:  # an index as the previous version built it
        m.setattr(refresh, "CHUNKER_VERSION", "sentences-v4")
        m.setattr(chunking, "chunk_id", lambda doc_id, sha256, index: f"{sha256[:16]}-{index}")
        kb.refresh()
    sources = kb.settings.sources_dir
    (sources / "a-copy.md").write_bytes((sources / SEED_FILE).read_bytes())
    report = kb.refresh()
    assert len(report.updated) == 6 and report.embedded_chunks == report.chunks
    assert report.added == [] and [s.path for s in report.skipped] == ["a-copy.md"]
    live = kb.store.collection(kb.store.read_catalog().collection)
    assert all(cid.count("-") == 2 for cid in live.get()["ids"])  # sha-path-index
    assert kb.store.read_catalog().chunker == chunking.CHUNKER_VERSION


# -- source URLs -------------------------------------------------------------------------
BAD_LINK = """---
title: "Ward closures"
url: "javascript:alert(1)"
---

The Kestrel Valley trust will close two wards next spring, its board said on Tuesday.
"""


def test_a_url_that_isnt_http_is_never_a_citations_source(
    make_kb: Callable[..., KnowledgeBase],
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A citation links to its source's URL (in Discord too): only http(s) is taken; any
    other is left out with a warning naming the file, and the path is cited instead."""
    from index.ingest import loaders

    kb = make_kb()
    sources = kb.settings.sources_dir
    (sources / "wards.md").write_text(BAD_LINK)
    (sources / "https.md").write_text(
        BAD_LINK.replace("javascript:alert(1)", "https://example.org/wards").replace(
            "two wards", "three clinics"
        )
    )
    with monkeypatch.context() as m:  # an index built before such URLs were refused
        m.setattr(loaders, "_web_url_only", lambda meta, doc_id: meta)
        kb.refresh()
    assert {d.path: d.source for d in kb.library().documents}["wards.md"] == "javascript:alert(1)"
    with caplog.at_level("WARNING", logger="index.ingest.loaders"):
        report = kb.refresh()
    assert report.updated == ["wards.md"]  # read again, though the file is unchanged
    assert [r.getMessage() for r in caplog.records] == [
        "wards.md: its url 'javascript:alert(1)' is not an http(s) address; it is not used"
    ]
    library = {d.path: d for d in kb.library().documents}
    assert library["wards.md"].source == "wards.md" and "url" not in library["wards.md"].metadata
    assert library["https.md"].source == "https://example.org/wards"
    answer = kb.answer_sync("How many wards will the Kestrel Valley trust close?")
    assert [c.source for c in answer.citations] == ["wards.md"]
    assert kb.search("Kestrel Valley ward closures", 1)[0].source == "wards.md"
