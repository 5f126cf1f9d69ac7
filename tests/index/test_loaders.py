"""Loaders: what each format yields, and every kind of bad file skipped with a reason."""

from __future__ import annotations

from pathlib import Path

import pytest

from index.errors import SourceError
from index.ingest.loaders import load_document, scan_sources
from tests.pdf_maker import make_pdf

ARTICLE_HTML = """<!doctype html><html><head>
<title>Hospital trusts face cuts | Daily Example</title>
<meta name="author" content="Jo Bloggs"><meta property="og:site_name" content="Daily Example">
</head><body>
<nav><a href="/">Home</a> <a href="/news">News</a> Subscribe now for £1</nav>
<article><h1>Hospital trusts face cuts</h1>
<p>Hospital trusts in the region must find savings of £12m next year, the health board said
on Monday, in a statement that warned of longer waiting lists for routine operations.</p>
<p>The board's chair said the savings would be found without closing any ward, but unions
said that staff numbers would fall by at least forty posts across the three trusts.</p>
<p>Campaigners plan a public meeting at the town hall on Thursday to oppose the plans, and
a petition has already gathered more than two thousand signatures from local residents.</p>
</article>
<aside>Most read: Celebrity chef opens restaurant</aside>
<footer>Cookie policy. Copyright Daily Example.</footer></body></html>"""


def write(root: Path, name: str, data: bytes | str) -> Path:
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    return path


def test_markdown_front_matter_gives_title_and_metadata(tmp_path: Path) -> None:
    write(tmp_path, "a.md", '---\ntitle: "A headline"\nauthor: Jo Bloggs\n---\n\nBody text here.\n')
    doc = load_document(tmp_path / "a.md", tmp_path)
    assert doc.title == "A headline"
    assert doc.metadata["author"] == "Jo Bloggs"
    assert doc.text == "Body text here."
    assert doc.source == "a.md"


def test_markdown_url_becomes_the_citable_source(tmp_path: Path) -> None:
    write(tmp_path, "a.md", "---\ntitle: T\nurl: https://example.org/a\n---\nBody.\n")
    assert load_document(tmp_path / "a.md", tmp_path).source == "https://example.org/a"


def test_no_headline_means_no_invented_title(tmp_path: Path) -> None:
    text = "Unions last night defeated the plans. A second sentence follows."
    write(tmp_path, "notes.txt", text)
    doc = load_document(tmp_path / "notes.txt", tmp_path)
    assert doc.title == "Unions last night defeated the plans."
    assert doc.text == text


def test_html_keeps_the_article_and_drops_page_furniture(tmp_path: Path) -> None:
    write(tmp_path, "page.html", ARTICLE_HTML)
    doc = load_document(tmp_path / "page.html", tmp_path)
    assert "savings of £12m next year" in doc.text
    assert "public meeting at the town hall" in doc.text
    for furniture in ("Subscribe now", "Most read", "Cookie policy"):
        assert furniture not in doc.text
    assert "Hospital trusts face cuts" in doc.title


def test_pdf_text_keeps_page_numbers(tmp_path: Path) -> None:
    pdf = make_pdf(
        ["The first page talks about waiting lists.", "Page two sets out the tender rules."],
        title="Procurement regulations",
    )
    write(tmp_path, "regs.pdf", pdf)
    doc = load_document(tmp_path / "regs.pdf", tmp_path)
    assert doc.title == "Procurement regulations"
    second = doc.text.index("Page two sets out")
    assert doc.page_at(second) == 2
    assert doc.page_at(doc.text.index("waiting lists")) == 1


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        ("binary.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary"),
        ("latin1.txt", "Caf\u00e9 society".encode("latin-1"), "not valid UTF-8"),
        ("empty.md", b"  \n\n", "empty"),
        ("unclosed.md", b"---\ntitle: x\nno closing line\n", "broken front matter"),
        ("badyaml.md", b"---\ntitle: [unclosed\n---\nBody\n", "broken front matter"),
        ("list.md", b"---\n- a\n- b\n---\nBody\n", "broken front matter"),
        ("truncated.pdf", b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog", "PDF"),
        ("image.png", b"\x89PNG\r\n", "unsupported file type"),
    ],
)
def test_unreadable_files_raise_a_reason(
    tmp_path: Path, name: str, data: bytes, reason: str
) -> None:
    write(tmp_path, name, data)
    with pytest.raises(SourceError, match=reason):
        load_document(tmp_path / name, tmp_path)


def test_scan_skips_bad_files_with_reasons_and_keeps_the_rest(tmp_path: Path) -> None:
    write(tmp_path, "good.md", "---\ntitle: Good\n---\nA readable article.\n")
    write(tmp_path, "sub/also-good.txt", "Another readable article.")
    write(tmp_path, "bad.txt", b"\xff\xfe\x00garbage")
    write(tmp_path, "broken.md", b"---\ntitle: [x\n---\nBody\n")
    write(tmp_path, ".hidden.md", "ignored entirely")
    docs, skipped = scan_sources(tmp_path)
    assert sorted(d.doc_id for d in docs) == ["good.md", "sub/also-good.txt"]
    assert {s.path: s.reason.split(" ")[0] for s in skipped} == {
        "bad.txt": "binary",
        "broken.md": "broken",
    }


def test_seed_articles_load_cleanly() -> None:
    root = Path(__file__).resolve().parents[2] / "sources"
    docs, skipped = scan_sources(root)
    assert skipped == []
    assert len(docs) == 6
    for doc in docs:
        for furniture in (
            "Show Hide image",
            "Join the Conversation",
            "Photograph:",
            "In this article",
        ):
            assert furniture not in doc.text, (doc.doc_id, furniture)
    by_title = {d.title: d for d in docs}
    assert by_title["The Government has broken a critical promise on the NHS"].metadata[
        "author"
    ] == ("Natalie Bennett")
    assert (
        "Marie le Conte"
        in by_title["The quiet civil war for control of the Labour grassroots machine"].metadata[
            "author"
        ]
    )
