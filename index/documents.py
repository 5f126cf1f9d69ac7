"""The units the knowledge base works with: source documents, chunks, and search hits."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class PageSpan:
    """Characters [start, end) of a document's text came from PDF page `number`."""

    number: int
    start: int
    end: int


@dataclass(frozen=True)
class Structure:
    """Characters [start, end) of a document's text that are not prose: a heading, a table
    or code (`kind`). They stay in the text, so a passage shows them and words find them,
    but they are never a sentence: never quoted, and never joined to one."""

    kind: str  # "heading", "table" or "code"
    start: int
    end: int


@dataclass(frozen=True)
class SourceDocument:
    """One article, its body text exactly as cited, and what is honestly known of it."""

    doc_id: str  # path relative to the sources folder, POSIX style
    title: str
    text: str
    sha256: str  # of the file's bytes: the refresh's change detector
    metadata: dict[str, str] = field(default_factory=dict)  # author, url, date, site …
    pages: tuple[PageSpan, ...] = ()
    structure: tuple[Structure, ...] = ()  # its headings, tables and code, in order

    @property
    def source(self) -> str:
        """What a citation points at: the article's URL when known, else its path."""
        return self.metadata.get("url") or self.doc_id

    def page_at(self, offset: int) -> int | None:
        for page in self.pages:
            if page.start <= offset < page.end:
                return page.number
        return None


@dataclass(frozen=True)
class Sentence:
    start: int
    end: int


@dataclass(frozen=True)
class Chunk:
    """A run of whole sentences of one document, with its span in that document's text."""

    doc_id: str
    index: int
    start: int
    end: int
    text: str
    sentences: tuple[Sentence, ...] = ()  # its sentences' spans in the document


@dataclass(frozen=True)
class Hit:
    """A retrieved chunk: its text, where it sits in its document, and how well it matched."""

    chunk_id: str
    doc_id: str
    title: str
    source: str
    text: str
    start: int
    end: int
    score: float  # cosine similarity of question and chunk, in [-1, 1]
    pages: tuple[PageSpan, ...] = ()  # PDF page spans of the chunk's text (not the document's)
    context: str = ""  # the document's title and author: who is speaking in this chunk
    # Rank-fusion score the hits are ordered by: retrieval's, then re-ranking's (0 to 1,
    # falling with rank: index/search/reranking.py), which `search` shows as its score.
    fused: float = 0.0

    def page_at(self, offset: int) -> int | None:
        """The PDF page holding document offset `offset` (a quote's start), if paged."""
        for page in self.pages:
            if page.start <= offset < page.end:
                return page.number
        return None

    @property
    def page(self) -> int | None:
        """The page the passage starts on."""
        return self.page_at(self.start)


def spans_to_str(chunk: Chunk) -> str:
    """The chunk's sentence spans, relative to the chunk, as "0-118 119-240" (compact:
    Chroma metadata holds strings, and there is one such list per chunk)."""
    return " ".join(f"{s.start - chunk.start}-{s.end - chunk.start}" for s in chunk.sentences)


def spans_from_str(value: str, offset: int) -> list[Sentence]:
    """Absolute sentence spans back from `spans_to_str` (the chunk starting at `offset`)."""
    out = []
    for pair in value.split():
        a, b = pair.split("-")
        out.append(Sentence(offset + int(a), offset + int(b)))
    return out
