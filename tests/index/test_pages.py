"""PDF pages: each chunk keeps only the pages its own text spans (not the whole document's
table), and citations still name the page their quote is on — also from an index built
before, whose chunks carry the whole table."""

from __future__ import annotations

import json
from collections.abc import Callable

from index.documents import Hit, PageSpan
from index.ingest.loaders import load_document
from index.search.retrieval import Retriever, merge_overlaps
from index.service import KnowledgeBase
from tests.pdf_maker import make_pdf

PAGES = 40
SYLLABLES = ["kel", "mor", "vash", "tren", "dul", "pim", "sar", "gob"]
# One made-up town per page, so a question about a town has one right page.
TOWNS = [(a + b + "wick").capitalize() for a in SYLLABLES for b in SYLLABLES][:PAGES]


def _pdf() -> bytes:
    pages = []
    for p, town in enumerate(TOWNS, start=1):
        pages.append(
            "\n".join(
                [
                    f"In {town} the district council bought {p * 10 + 3} new ambulances.",
                    f"The {town} hospital board said the purchase was overdue.",
                    "Waiting times for emergency calls had grown every winter.",
                    "Local unions welcomed the decision but asked for more crews.",
                    "The regional health authority will review the plan next year.",
                ]
            )
        )
    return make_pdf(pages, title="District ambulance purchases")


def _kb(make_kb: Callable[..., KnowledgeBase]) -> KnowledgeBase:
    kb = make_kb(seed=False)
    (kb.settings.sources_dir / "ambulances.pdf").write_bytes(_pdf())
    kb.refresh()
    return kb


def _chunks(kb: KnowledgeBase) -> dict[str, dict]:
    catalog = kb.store.read_catalog()
    got = kb.store.collection(catalog.collection).get(include=["metadatas"])
    return dict(zip(got["ids"], got["metadatas"], strict=True))


def _check_pages(kb: KnowledgeBase) -> None:
    doc = load_document(kb.settings.sources_dir / "ambulances.pdf", kb.settings.sources_dir)
    for page in (3, 17, 38):
        town = TOWNS[page - 1]
        # Refused or not (the pages are near-identical), the quotes shown name their pages.
        answer = kb.answer_sync(f"How many ambulances did the council in {town} buy?")
        first = answer.citations[0]
        assert town in first.quote
        assert first.page == page == doc.page_at(first.start)
        for c in answer.citations:
            assert c.page == doc.page_at(c.start)


def test_chunks_keep_only_their_own_pages_and_citations_name_the_right_page(
    make_kb: Callable[..., KnowledgeBase],
) -> None:
    kb = _kb(make_kb)
    chunks = _chunks(kb)
    assert len(chunks) > 10
    spanning = 0
    for meta in chunks.values():
        pages = json.loads(meta["pages"])
        assert 1 <= len(pages) <= 3
        for _, start, end in pages:
            assert start < meta["end"] and end > meta["start"]
        spanning += len(pages) > 1
        # llama-index's copy of the node links back to the document without its page table
        # (and to its neighbours, each with its own pages only)
        links = json.loads(meta["_node_content"])["relationships"]
        assert "pages" not in links["1"]["metadata"]  # "1": NodeRelationship.SOURCE
        for link in links.values():
            assert len(json.loads(link["metadata"].get("pages", "[]"))) <= 3
        assert len(meta["_node_content"]) < 2500
    assert spanning, "some chunk should run over a page break"
    _check_pages(kb)


def test_an_index_whose_chunks_carry_the_whole_page_table_still_cites_the_right_page(
    make_kb: Callable[..., KnowledgeBase],
) -> None:
    """Indexes built before this change stored the document's whole table in every chunk:
    they keep working (no rebuild), and only the chunk's own pages are kept in memory."""
    kb = _kb(make_kb)
    doc = load_document(kb.settings.sources_dir / "ambulances.pdf", kb.settings.sources_dir)
    table = json.dumps([[p.number, p.start, p.end] for p in doc.pages])
    chunks = _chunks(kb)
    collection = kb.store.collection(kb.store.read_catalog().collection)
    collection.update(ids=list(chunks), metadatas=[{**m, "pages": table} for m in chunks.values()])
    live = Retriever(kb.store, kb.embed_model).live()
    for cid in live.ids:
        record = live.records[cid]
        assert "pages" not in record.meta
        assert 1 <= len(record.pages) <= 3
    old = KnowledgeBase(kb.settings, embed_model=kb.embed_model)
    _check_pages(old)


def test_merged_passages_keep_the_pages_of_both_chunks() -> None:
    def hit(cid: str, start: int, end: int, pages: tuple[PageSpan, ...]) -> Hit:
        return Hit(cid, "a.pdf", "A", "a.pdf", "x" * (end - start), start, end, 0.5, pages)

    first = hit("c1", 0, 120, (PageSpan(1, 0, 100), PageSpan(2, 102, 200)))
    second = hit("c2", 90, 260, (PageSpan(1, 0, 100), PageSpan(2, 102, 200), PageSpan(3, 202, 300)))
    [merged] = merge_overlaps([first, second], 5)
    assert (merged.start, merged.end) == (0, 260)
    assert [p.number for p in merged.pages] == [1, 2, 3]
    assert merged.page_at(250) == 3
