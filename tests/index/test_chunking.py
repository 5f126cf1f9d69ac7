"""Chunks are runs of whole sentences whose spans point exactly into the document."""

from __future__ import annotations

from pathlib import Path

from index.ingest.chunking import chunk_text
from index.ingest.loaders import scan_sources
from index.text import split_sentences

SOURCES = Path(__file__).resolve().parents[2] / "sources"


def test_chunk_spans_are_exact_and_cover_every_sentence() -> None:
    docs, _ = scan_sources(SOURCES)
    for doc in docs:
        chunks = chunk_text(doc.doc_id, doc.text, structure=doc.structure)
        assert chunks
        for c in chunks:
            assert doc.text[c.start : c.end] == c.text
        covered = set()
        for c in chunks:
            covered.update(range(c.start, c.end))
        sentences = split_sentences(doc.text, doc.structure)
        for s in sentences:
            assert s.start in covered and s.end - 1 in covered
        # chunks begin and end on sentence boundaries; a heading is none
        starts = {s.start for s in sentences}
        ends = {s.end for s in sentences}
        assert all(c.start in starts and c.end in ends for c in chunks)
        assert {s for c in chunks for s in c.sentences} == set(sentences)


def test_sentences_survive_abbreviations_and_stay_within_paragraphs() -> None:
    text = "Mr Prentis spoke first. Ms Hewitt replied (S.I., 2013, No. 257) at length.\n\nNew para."
    got = [text[s.start : s.end] for s in split_sentences(text)]
    assert got == [
        "Mr Prentis spoke first.",
        "Ms Hewitt replied (S.I., 2013, No. 257) at length.",
        "New para.",
    ]


def test_a_sentence_opening_with_a_figure_is_a_sentence_after_a_sentence() -> None:
    # a model's answer, one claim a sentence: a merged pair would be checked as one claim
    text = (
        "500 staff could lose their jobs by the end of 2006 [1]. 29 hospital staff have been "
        "made redundant [2]. See p. 12 of the report."
    )
    got = [text[s.start : s.end] for s in split_sentences(text)]
    assert got == [
        "500 staff could lose their jobs by the end of 2006 [1].",
        "29 hospital staff have been made redundant [2].",
        "See p. 12 of the report.",
    ]


def test_a_run_on_text_is_cut_into_bounded_chunks_without_losing_words() -> None:
    text = " ".join(f"word{i}" for i in range(1000))  # no full stop anywhere
    chunks = chunk_text("x", text, target_words=70, max_words=120)
    assert all(len(c.text.split()) <= 120 for c in chunks)
    assert " ".join(c.text for c in chunks).split()[-1] == "word999"
    assert {w for c in chunks for w in c.text.split()} == set(text.split())
