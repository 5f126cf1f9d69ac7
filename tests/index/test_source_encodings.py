"""Text in UTF-16 or UTF-32 with a byte order mark (what Windows Notepad's "Unicode" and
PowerShell 5's `>` write) is text, read as such: never "binary file, not text"."""

from __future__ import annotations

import codecs
from collections.abc import Callable
from pathlib import Path

import pytest

from index.errors import SourceError
from index.ingest.loaders import load_document
from index.service import KnowledgeBase

NOTE = (
    "# Kestrel Valley\r\n\r\nThe Kestrel Valley ambulance trust will open fourteen new "
    "ambulance stations by 2015, its chief executive, Dr Amélie Roux, said.\r\n"
)
Q_KESTREL = "How many new ambulance stations will the Kestrel Valley trust open?"
WIDE = [
    pytest.param(codecs.BOM_UTF16_LE + NOTE.encode("utf-16-le"), id="utf-16-le"),
    pytest.param(codecs.BOM_UTF16_BE + NOTE.encode("utf-16-be"), id="utf-16-be"),
    pytest.param(codecs.BOM_UTF32_LE + NOTE.encode("utf-32-le"), id="utf-32-le"),
    pytest.param(codecs.BOM_UTF32_BE + NOTE.encode("utf-32-be"), id="utf-32-be"),
]


@pytest.mark.parametrize("data", WIDE)
def test_wide_unicode_with_a_byte_order_mark_reads_as_its_utf8_twin(
    tmp_path: Path, data: bytes
) -> None:
    (tmp_path / "wide.md").write_bytes(data)
    (tmp_path / "utf8.md").write_bytes(NOTE.encode("utf-8"))
    wide, utf8 = (load_document(tmp_path / n, tmp_path) for n in ("wide.md", "utf8.md"))
    assert (wide.text, wide.title) == (utf8.text, utf8.title)
    assert "Amélie Roux" in wide.text


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(codecs.BOM_UTF16_LE + b"\x00\xd8abc", id="lone-surrogate"),
        pytest.param(b"\xff\xfe\x00garbage", id="ascii-pairs"),
        pytest.param(b"\xff\xfe not utf-8 \xff", id="not-utf8"),
    ],
)
def test_bytes_that_only_open_like_utf16_are_judged_as_before(tmp_path: Path, data: bytes) -> None:
    """Read as UTF-16, `\\xff\\xfe not utf-8` is six CJK-looking characters and no space:
    not text, so the reason is the one any other file would get."""
    (tmp_path / "odd.txt").write_bytes(data)
    with pytest.raises(SourceError, match=r"binary file|not valid UTF-8"):
        load_document(tmp_path / "odd.txt", tmp_path)


def test_a_utf16_note_is_indexed_and_quoted(make_kb: Callable[..., KnowledgeBase]) -> None:
    kb = make_kb()
    note = kb.settings.sources_dir / "kestrel.txt"
    note.write_bytes(codecs.BOM_UTF16_LE + NOTE.encode("utf-16-le"))
    report = kb.refresh()
    assert "kestrel.txt" in report.added and report.skipped == []
    answer = kb.answer_sync(Q_KESTREL)
    cited = [c for c in answer.citations if c.path == "kestrel.txt"]
    assert cited and "fourteen new ambulance stations" in cited[0].quote
    text = load_document(note, kb.settings.sources_dir).text
    assert text[cited[0].start : cited[0].end] == cited[0].quote
