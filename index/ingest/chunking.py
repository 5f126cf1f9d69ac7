"""Sentence-aware chunking that keeps each chunk's character span in its document.

It is a llama-index NodeParser, so it runs inside the ingestion pipeline; each node carries
`start_char_idx`/`end_char_idx`, which is what lets a citation quote exact sentences.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from typing import Any

from llama_index.core.node_parser import NodeParser
from llama_index.core.schema import (
    BaseNode,
    Document,
    NodeRelationship,
    RelatedNodeInfo,
    TextNode,
)
from pydantic import Field

from index.documents import Chunk, Sentence, Structure, spans_to_str
from index.text import split_sentences, words

# v6: chunks record their sentences' spans and carry a vector, speaker and entity kinds per
# sentence (index/store/sentences.py, index/ingest/attribution.py); chunk ids name the document (its
# path) as well as its text, so the same text under two names can never collide.
# v7: control characters are dropped from the texts (index/ingest/loaders.py); Markdown and
# HTML are read without their markup, and headings and tables are no sentences
# (index/ingest/markup.py).
# An index built by an earlier version is rebuilt once.
CHUNKER_VERSION = "sentences-v7"
# The document's metadata key for its headings, tables and code ([[kind, start, end], …]):
# read by the chunker, kept in no chunk.
STRUCTURE_KEY = "structure"
_NON_SPACE = re.compile(r"\S+")


def chunk_text(
    doc_id: str,
    text: str,
    target_words: int = 70,
    max_words: int = 120,
    overlap: int = 1,
    structure: Sequence[Structure] = (),
) -> list[Chunk]:
    """Group whole sentences into chunks of about `target_words`, overlapping by `overlap`
    sentences so an answer that straddles a boundary is found whole in one chunk. The
    document's headings, tables and code (`structure`) are no sentences: a chunk holds
    those between its sentences as text, and none begins or ends with one."""
    sentences = _bounded(split_sentences(text, structure), text, max_words)
    chunks: list[Chunk] = []
    i = 0
    while i < len(sentences):
        j, count = i, 0
        while j < len(sentences):
            n = len(words(text[sentences[j].start : sentences[j].end]))
            if j > i and count + n > max_words:
                break
            count += n
            j += 1
            if count >= target_words:
                break
        start, end = sentences[i].start, sentences[j - 1].end
        chunks.append(
            Chunk(doc_id, len(chunks), start, end, text[start:end], tuple(sentences[i:j]))
        )
        if j >= len(sentences):
            break
        i = max(j - overlap, i + 1)
    return chunks


def _bounded(sentences: list[Sentence], text: str, max_words: int) -> list[Sentence]:
    """Cut any run-on "sentence" (tables, PDF text without stops) at word boundaries."""
    out: list[Sentence] = []
    for s in sentences:
        spans = [m.span() for m in _NON_SPACE.finditer(text, s.start, s.end)]
        if len(spans) <= max_words:
            out.append(s)
            continue
        for k in range(0, len(spans), max_words):
            part = spans[k : k + max_words]
            out.append(Sentence(part[0][0], part[-1][1]))
    return out


def chunk_id(doc_id: str, sha256: str, index: int) -> str:
    """Unique per document and stable while its file is unchanged (an unchanged document
    is copied into the next generation under the same ids)."""
    path = hashlib.sha256(doc_id.encode("utf-8")).hexdigest()[:12]
    return f"{sha256[:16]}-{path}-{index}"


class SentenceChunker(NodeParser):
    """llama-index node parser around `chunk_text`."""

    target_words: int = Field(default=70)
    max_words: int = Field(default=120)
    overlap: int = Field(default=1)

    @classmethod
    def class_name(cls) -> str:
        return "PolicybotSentenceChunker"

    def _parse_nodes(
        self, nodes: Sequence[BaseNode], show_progress: bool = False, **kwargs: Any
    ) -> list[BaseNode]:
        out: list[BaseNode] = []
        for doc in nodes:
            if not isinstance(doc, Document):
                raise TypeError(f"SentenceChunker takes Documents, got {type(doc).__name__}")
            # A PDF's page table ([[page, start, end], ...]) is the document's: each chunk
            # keeps only the pages its own text spans, and the link back to its document
            # carries none, so a 300-page PDF no longer stores its whole table in each of
            # its ~720 chunks (twice, counting llama-index's copy of the node).
            shared = {k: v for k, v in doc.metadata.items() if k not in ("pages", STRUCTURE_KEY)}
            table = json.loads(doc.metadata.get("pages") or "[]")
            structure = [
                Structure(kind, a, b)
                for kind, a, b in json.loads(doc.metadata.get(STRUCTURE_KEY) or "[]")
            ]
            source = RelatedNodeInfo(
                node_id=doc.node_id, node_type=doc.get_type(), metadata=shared, hash=doc.hash
            )
            for chunk in chunk_text(
                doc.doc_id, doc.text, self.target_words, self.max_words, self.overlap, structure
            ):
                metadata = {
                    **shared,
                    "chunk": chunk.index,
                    "start": chunk.start,
                    "end": chunk.end,
                    "sentences": spans_to_str(chunk),
                }
                own = [p for p in table if p[1] < chunk.end and p[2] > chunk.start]
                if own:
                    metadata["pages"] = json.dumps(own)
                node = TextNode(
                    id_=chunk_id(doc.doc_id, doc.metadata["sha256"], chunk.index),
                    text=chunk.text,
                    start_char_idx=chunk.start,
                    end_char_idx=chunk.end,
                    metadata=metadata,
                    # Only the title is embedded with the text: it tells the model whose
                    # article this is; paths, hashes and offsets would only add noise.
                    excluded_embed_metadata_keys=[k for k in metadata if k != "title"],
                    excluded_llm_metadata_keys=list(metadata),
                )
                node.relationships[NodeRelationship.SOURCE] = source
                out.append(node)
        return out
