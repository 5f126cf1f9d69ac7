"""The refresh's ingestion steps after chunking, as llama-index transformations: who says
each sentence and what kinds of names it holds (index/ingest/attribution.py), then a vector for
every sentence (index/store/sentences.py). Only a refresh imports this (and llama-index)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import numpy as np
from llama_index.core.schema import BaseNode, TransformComponent
from pydantic import ConfigDict

from index.documents import Sentence, spans_from_str
from index.ingest.attribution import ENTITIES_KEY, SPEAKERS_KEY, Analysis, analyse
from index.store.sentences import VECTORS_KEY, encode


class Attributor(TransformComponent):
    """Ingestion step after SentenceChunker: stores, for each chunk's sentences, who says
    them (JSON: [speaker, verb] or null each) and the kinds of entities they hold ("|"
    between sentences)."""

    def __call__(self, nodes: Sequence[BaseNode], **kwargs: Any) -> Sequence[BaseNode]:
        by_doc: dict[str, dict[int, str]] = {}
        opens_paragraph: set[tuple[str, int]] = set()  # a line break before it in its chunk
        for node in nodes:
            meta = node.metadata
            body, offset = node.get_content(), int(meta["start"])
            doc = by_doc.setdefault(meta["path"], {})
            end = None
            for sp in spans_from_str(meta["sentences"], offset):
                doc.setdefault(sp.start, body[sp.start - offset : sp.end - offset])
                if end is not None and "\n" in body[end - offset : sp.start - offset]:
                    opens_paragraph.add((meta["path"], sp.start))
                end = sp.end
        found: dict[tuple[str, int], Analysis] = {}
        for path, sentences in by_doc.items():
            starts = sorted(sentences)
            got = analyse(
                [" ".join(sentences[st].split()) for st in starts],
                [(path, st) in opens_paragraph for st in starts],
            )
            found.update(((path, st), a) for st, a in zip(starts, got, strict=True))
        for node in nodes:
            meta = node.metadata
            spans = spans_from_str(meta["sentences"], int(meta["start"]))
            each = [found.get((meta["path"], sp.start), (None, "")) for sp in spans]
            meta[SPEAKERS_KEY] = json.dumps([list(w) if w else None for w, _ in each])
            meta[ENTITIES_KEY] = "|".join(labels for _, labels in each)
        return nodes


class SentenceEmbedder(TransformComponent):
    """Ingestion step after SentenceChunker: embeds each chunk's sentences, stores them in
    its metadata, and gives the chunk the mean of its sentences' vectors."""

    model_config = ConfigDict(arbitrary_types_allowed=True)
    embed_model: Any

    def __call__(self, nodes: Sequence[BaseNode], **kwargs: Any) -> Sequence[BaseNode]:
        texts: dict[tuple[str, int, int], str] = {}
        spans_of: list[list[Sentence]] = []
        for node in nodes:
            meta = node.metadata
            spans = spans_from_str(meta["sentences"], int(meta["start"]))
            spans_of.append(spans)
            body = node.get_content()
            for s in spans:
                key = (meta["path"], s.start, s.end)
                if key not in texts:
                    texts[key] = body[s.start - int(meta["start"]) : s.end - int(meta["start"])]
        keys = list(texts)
        vectors = _embed(self.embed_model, [texts[k] for k in keys])
        row = {k: i for i, k in enumerate(keys)}
        for node, spans in zip(nodes, spans_of, strict=True):
            own = vectors[[row[(node.metadata["path"], s.start, s.end)] for s in spans]]
            node.metadata[VECTORS_KEY] = encode(own)
            mean = own.mean(axis=0)
            node.embedding = (mean / max(float(np.linalg.norm(mean)), 1e-12)).tolist()
            # Not embedded (already) and never shown to an LLM.
            for keys_attr in ("excluded_embed_metadata_keys", "excluded_llm_metadata_keys"):
                excluded = getattr(node, keys_attr)
                for k in (VECTORS_KEY, SPEAKERS_KEY, "sentences"):
                    if k not in excluded:
                        excluded.append(k)
        return nodes


def _embed(model: Any, texts: list[str]) -> np.ndarray:
    if hasattr(model, "embed"):  # MiniLMEmbedding: one sorted batch, as an array
        return np.asarray(model.embed(texts), dtype=np.float32)
    return np.asarray(model.get_text_embedding_batch(texts), dtype=np.float32)


# Per-sentence data: stored as the chunk's flat Chroma metadata only, not again inside the
# node JSON llama-index keeps in `_node_content` (that copy would double the index).
SENTENCE_KEYS = (VECTORS_KEY, SPEAKERS_KEY, ENTITIES_KEY, "sentences")


def chroma_records(nodes: Sequence[BaseNode]) -> dict[str, list[Any]]:
    """What ChromaVectorStore.add would send for `nodes` (ids, vectors, texts, metadata with
    llama-index's `_node_content`, so its readers still work), with the per-sentence data
    in the flat metadata only."""
    from llama_index.core.schema import MetadataMode
    from llama_index.core.vector_stores.utils import node_to_metadata_dict

    out: dict[str, list[Any]] = {"ids": [], "embeddings": [], "metadatas": [], "documents": []}
    for node in nodes:
        heavy = {k: node.metadata.pop(k) for k in SENTENCE_KEYS if k in node.metadata}
        try:
            meta = node_to_metadata_dict(node, remove_text=True, flat_metadata=True)
        finally:
            node.metadata.update(heavy)
        meta = {k: ("" if v is None else v) for k, v in meta.items()}
        meta.update(heavy)
        out["ids"].append(node.node_id)
        out["embeddings"].append(node.get_embedding())
        out["metadatas"].append(meta)
        out["documents"].append(node.get_content(metadata_mode=MetadataMode.NONE))
    return out
