"""A long document's sentences go through spaCy a window at a time: a 5 MB text's ~50,000
parsed sentences held at once took over a gigabyte (about 14 KB each). Windowing must not
change what is found, speakers carried across a window's edge included."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from index.ingest import attribution
from index.ingest.loaders import scan_sources
from index.text import split_sentences

SEED = Path(__file__).resolve().parents[2] / "sources"


def _seed_sentences() -> list[str]:
    docs, _ = scan_sources(SEED)
    doc = max(docs, key=lambda d: len(d.text))
    return [doc.text[s.start : s.end] for s in split_sentences(doc.text, doc.structure)]


def test_a_long_document_is_parsed_a_window_at_a_time(monkeypatch: pytest.MonkeyPatch) -> None:
    nlp = attribution._nlp()
    sizes: list[int] = []
    original = type(nlp).pipe

    def counting(self: Any, texts: Any, *args: Any, **kwargs: Any) -> Iterator[Any]:
        texts = list(texts)
        sizes.append(len(texts))
        return original(self, texts, *args, **kwargs)

    sentences = _seed_sentences() * 40  # well over a window
    monkeypatch.setattr(type(nlp), "pipe", counting)
    found = attribution.analyse(sentences)
    assert len(found) == len(sentences)
    assert sizes and max(sizes) <= attribution.WINDOW < len(sentences)


def test_windows_find_what_one_pass_finds(monkeypatch: pytest.MonkeyPatch) -> None:
    sentences = _seed_sentences()
    whole = attribution.analyse(sentences)
    assert any(who for who, _ in whole)
    for window in (1, 2, 3, 7):  # every edge: "he" two sentences after the name, quotes
        monkeypatch.setattr(attribution, "WINDOW", window)
        assert attribution.analyse(sentences) == whole, window
