"""A question's vectors, made in as few model calls as possible: the retrieval query's
(cached for the next question with the same query), what it asks without its names, and
the names it is about; then the question analysed with them (index/search/question.py).
What the command line and the bot ask goes through here (KnowledgeBase.question)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from index.embedding import Embedder
from index.search.gate import known_name
from index.search.question import Question
from index.search.retrieval import Generation


def analyse_question(
    embed_model: Embedder,
    embed_texts: Callable[[list[str]], Any],
    text: str,
    query: str,
    context: str,
    generation: Generation,
) -> Question:
    """The question `text` analysed once, against `generation`: its embedding (that of the
    retrieval `query`, which for a follow-up carries the previous question), words, names
    and shape. `embed_texts` gives unit vectors for texts (KnowledgeBase.embed_texts)."""

    def known(name: frozenset[str]) -> bool:
        return known_name(name, generation)

    need = Question.to_embed(text, known)
    spans = Question.asked_spans(text)
    embed_parts = getattr(embed_model, "embed_parts", None)
    cache = getattr(embed_model, "query_cache", None)
    cached = cache.get(query) if cache is not None else None
    if spans is not None and embed_parts is not None:
        # What it asks without its names, read from the question's own token vectors:
        # the question's pass gives it, where embedding it alone cost a second text as
        # long, and judged better on the tuning sets (docs/answering.md).
        texts = list(dict.fromkeys([text] if cached is not None else [query, text]))
        rows = embed_parts([*texts, *need.names], [(texts.index(text), spans)])
        by_text = dict(zip([*texts, *need.names], rows, strict=False))
        asked = rows[len(texts) + len(need.names)]  # the part, after every text's row
        vector = _query_vector(embed_model, query, cached, by_text)
        return Question.of(text, vector, context, asked, by_text, known)
    if need.texts and cached is None and cache is not None:
        # One model call for the query and the rest: two would cost nearly twice as much.
        texts = list(dict.fromkeys([query, *need.texts]))
        by_text = dict(zip(texts, embed_texts(texts), strict=True))
        vector = _query_vector(embed_model, query, None, by_text)
        return Question.of(text, vector, context, by_text.get(need.asked or ""), by_text, known)
    vector = embed_model.get_query_embedding(query)
    by_text = dict(zip(need.texts, embed_texts(need.texts), strict=True)) if need.texts else {}
    return Question.of(text, vector, context, by_text.get(need.asked or ""), by_text, known)


def _query_vector(embed_model: Any, query: str, cached: Any, by_text: dict[str, Any]) -> Any:
    """The retrieval query's vector: the cached one, or the one just made (then cached,
    read-only, for the next question with this query)."""
    if cached is not None:
        return cached
    vector = by_text[query].copy()
    vector.flags.writeable = False
    cache = getattr(embed_model, "query_cache", None)
    if cache is not None:
        cache.put(query, vector)
    return vector
