"""MiniLM as a llama-index embedding model, for the refresh's ingestion pipeline.

Kept apart from index/embedding.py so that answering a question never imports llama-index
(over a second of a fresh process, bench/startup.py); only a refresh does."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from llama_index.core.base.embeddings.base import BaseEmbedding
from pydantic import PrivateAttr

from index.embedding import MODEL_ID, MiniLM, Part, QueryCache, cached_query_embedding


class MiniLMEmbedding(BaseEmbedding):
    """A llama-index embedding model over a MiniLM (its own, or the one given)."""

    model_name: str = MODEL_ID
    embed_batch_size: int = 256
    _encoder: MiniLM = PrivateAttr()

    def __init__(self, threads: int | None = None, encoder: MiniLM | None = None, **kw: Any):
        super().__init__(**kw)
        self._encoder = encoder or MiniLM(threads)

    @classmethod
    def class_name(cls) -> str:
        return "PolicybotMiniLMEmbedding"

    @property
    def encoder(self) -> MiniLM:
        return self._encoder

    @property
    def query_cache(self) -> QueryCache:
        return self._encoder.query_cache

    def embed(self, texts: list[str]) -> np.ndarray:
        """Embed texts as an (n, 384) float32 array (MiniLM.embed)."""
        return self._encoder.embed(texts)

    def embed_parts(self, texts: list[str], parts: Sequence[Part]) -> np.ndarray:
        """Texts and parts of them from one pass (MiniLM.embed_parts)."""
        return self._encoder.embed_parts(texts, parts)

    def _get_query_embedding(self, query: str) -> list[float]:
        return cached_query_embedding(self._encoder.query_cache, query, self.embed)

    async def _aget_query_embedding(self, query: str) -> list[float]:
        return self._get_query_embedding(query)

    def _get_text_embedding(self, text: str) -> list[float]:
        return self.embed([text])[0].tolist()

    def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
        return self.embed(texts).tolist()


def as_llama_embedding(model: Any) -> BaseEmbedding:
    """`model` as a llama-index embedding: itself if it is one, else wrapped (a MiniLM)."""
    if isinstance(model, BaseEmbedding):
        return model
    if isinstance(model, MiniLM):
        return MiniLMEmbedding(encoder=model)
    raise TypeError(f"can't use {type(model).__name__} as a llama-index embedding model")
