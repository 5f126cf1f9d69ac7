"""The knowledge base's public face: what the command line and the Discord bot call.

Everything here is synchronous and thread-safe; the `a*` methods run it in a worker thread
so an event loop (the bot's) is never blocked by Chroma, embeddings or an LLM."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import time
from collections.abc import AsyncIterator, Generator, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from index.answering.extractive import ExtractiveAnswerer
from index.answering.types import Answer, Answerer, Gathered, Turn
from index.documents import Hit
from index.embedding import Embedder
from index.errors import IndexNotReady, UsageError
from index.prompts import load_prompt
from index.search.casing import needs_casing, recase
from index.search.gate import gather, judge
from index.search.question import Question
from index.search.question_embedding import analyse_question
from index.search.reranking import POOL as RERANK_POOL
from index.search.reranking import rerank
from index.search.retrieval import Generation, Retriever, distinct_passages
from index.search.shorthand import expanded
from index.settings import Settings, check_top_k
from index.store.catalog import DocEntry
from index.store.chroma import ChromaStore
from index.streaming import in_thread
from index.text import CONTROL, without_escapes

if TYPE_CHECKING:  # the refresh (and llama-index, which it uses) is imported when needed
    from llama_index.core.base.embeddings.base import BaseEmbedding

    from index.store.refresh_report import Progress, RefreshReport

log = logging.getLogger(__name__)
# Lone surrogates are bytes that were never UTF-8 text: Python hands them over so from a
# terminal or a pipe (surrogateescape) and from JSON's "\udcff". The tokenizer rejects them.
_UNDECODABLE = re.compile("[\ud800-\udfff]")


@dataclass(frozen=True)
class SourceInfo:
    path: str
    title: str
    source: str
    chunks: int
    indexed_at: str
    metadata: dict[str, str]


@dataclass(frozen=True)
class LibraryInfo:
    documents: list[SourceInfo]
    refreshed_at: str | None

    @property
    def chunks(self) -> int:
        return sum(d.chunks for d in self.documents)


def _configure_llama_index(embed_model: BaseEmbedding) -> None:
    """llama-index's global defaults reach for OpenAI: pin them to what we run. Done where
    llama-index is first used (a refresh, an LLM), never on the way to an extractive answer,
    which doesn't import llama-index at all."""
    from llama_index.core import Settings as LlamaSettings
    from llama_index.core.llms import MockLLM

    LlamaSettings.embed_model = embed_model
    # Not `None`: that prints a notice on stdout. Generative answerers bring their own LLM.
    LlamaSettings.llm = MockLLM()


class KnowledgeBase:
    """Sources → index → answers. One per process; share it."""

    def __init__(
        self,
        settings: Settings,
        embed_model: Embedder | None = None,
        store: ChromaStore | None = None,
        answerer: Answerer | None = None,
    ) -> None:
        self.settings = settings
        if embed_model is None:
            from index.embedding import MiniLM

            embed_model = MiniLM(cache_dir=settings.data_dir / "cache" / "models")
        self.embed_model = embed_model
        self._llama_embed: BaseEmbedding | None = None
        self.store = store or ChromaStore(settings)
        self.retriever = Retriever(self.store, embed_model)
        self.extractive = ExtractiveAnswerer(load_prompt(settings, "refusal"))
        self.answerer = answerer or self._answerer_from_settings()

    # -- questions -------------------------------------------------------------------
    def clean_question(self, question: str) -> str:
        """Normalise a question, or raise UsageError saying what is wrong with it. Every way
        in (the command line, the bot, a question file) comes through here."""
        q = _UNDECODABLE.sub("", question or "")
        q = " ".join(CONTROL.sub(" ", without_escapes(q)).split())
        if not q:
            raise UsageError("the question is empty")
        if not any(c.isalnum() for c in q):  # "???", "...", "🙂": nothing to look up
            raise UsageError("the question has no words, only punctuation or symbols")
        if len(q) > self.settings.max_question_chars:
            raise UsageError(
                f"the question is too long ({len(q)} characters; "
                f"the limit is {self.settings.max_question_chars})"
            )
        return q

    def search(self, question: str, k: int | None = None) -> list[Hit]:
        """The k best passages, best first, none showing text another above it shows
        (re-ranking's score on each: Hit.fused, falling with the rank)."""
        q = self.clean_question(question)
        k = self.settings.top_k if k is None else check_top_k(k, "k")
        live = self.retriever.live()
        # the whole pool ranked, so that a passage with nothing new makes room for the next
        pool = max(k, RERANK_POOL)
        return distinct_passages(self._retrieve(self.question(q, live=live), q, pool, live), k)

    def question(
        self,
        text: str,
        query: str | None = None,
        context: str = "",
        live: Generation | None = None,
    ) -> Question:
        """The question analysed once, against `live` (default: the live generation): its
        embedding (that of the retrieval query, which for a follow-up carries the previous
        question), words, names and shape (index/search/question_embedding.py)."""
        query = query or text
        generation = live or self.retriever.live()
        return analyse_question(
            self.embed_model, self.embed_texts, text, query, context, generation
        )

    def depth(self, question: Question) -> int:
        """How many passages answering reads: broad questions look further, so that several
        articles and speakers are heard."""
        return max(2 * self.settings.top_k, RERANK_POOL) if question.broad else self.settings.top_k

    def _retrieve(
        self,
        question: Question,
        query: str,
        k: int,
        live: Generation,
        found: tuple[int, list[Hit]] | None = None,
    ) -> list[Hit]:
        """Hybrid retrieval of a wider pool, re-ranked by sentence evidence, best k.
        `found`: a search for `query` already made, as (its pool, its hits)."""
        pool = max(k, RERANK_POOL)
        if found is not None and found[0] == pool:
            hits = found[1]
        else:
            hits = self.retriever.search(query, pool, live=live)
        return rerank(question, hits, live, k)

    def _cased(
        self, text: str, query: str, live: Generation
    ) -> tuple[str, tuple[int, list[Hit]] | None]:
        """`text` with the case of the names in it given back when it was typed without
        (index/search/casing.py), from the passages a search for `query` finds; and that search,
        for retrieval to use again."""
        if not needs_casing(text):
            return text, None
        pool = max(self.settings.top_k, RERANK_POOL)
        hits = self.retriever.search(query, pool, live=live)
        return recase(text, [h.text for h in hits]), (pool, hits)

    def _answerer_from_settings(self) -> Answerer:
        """The extractive answerer, or a generative one when an LLM is configured."""
        if self.settings.llm_provider != "none":
            self._llama_embedding()  # pins llama-index's global defaults before it is used
        from index.answering.configured import answerer_for

        return answerer_for(self.settings, self.extractive, self.embed_texts)

    def embed_texts(self, texts: list[str]) -> Any:
        """Unit vectors for texts (claims to check against their sources)."""
        import numpy as np

        embed = getattr(self.embed_model, "embed", None)
        if embed is not None:
            return embed(texts)
        batch = self.embed_model.get_text_embedding_batch  # type: ignore[attr-defined]
        return np.asarray(batch(texts), dtype=np.float32)

    @property
    def generative(self) -> bool:
        return self.answerer.mode == "generative"

    def _understood_and_retrieved(
        self, standalone: str, query: str, context: str, live: Generation
    ) -> tuple[Question, list[Hit]]:
        """The question analysed (its shorthand spelt out and its names' capitals back
        first) and its passages."""

        def written(term: str) -> bool:
            return live.stats.df(term) > 0

        # the retrieval query (which may carry the previous question) spelt out too
        standalone, query = expanded(standalone, written), expanded(query, written)
        standalone, found = self._cased(standalone, query, live)
        analysed = self.question(standalone, query, context, live)
        return analysed, self._retrieve(analysed, query, self.depth(analysed), live, found)

    def evidence(self, question: str) -> tuple[Question, Gathered, Generation]:
        """A standalone question's evidence, gathered as an answer gathers it: what the
        gate judges and the answerers compose from (for tests and the tuning benches)."""
        q = self.clean_question(question)
        live = self.retriever.live()
        analysed, hits = self._understood_and_retrieved(q, q, "", live)
        return analysed, gather(analysed, hits, live), live

    def answer_sync(
        self, question: str, history: Sequence[Turn] = (), *, extractive: bool = False
    ) -> Answer:
        *_, answer = self.answer_iter(question, history, stream=False, extractive=extractive)
        assert isinstance(answer, Answer)  # noqa: S101 - answer_iter ends with the Answer
        return answer

    def answer_iter(
        self,
        question: str,
        history: Sequence[Turn] = (),
        stream: bool = True,
        *,
        extractive: bool = False,
    ) -> Generator[str | Answer, None, None]:
        """Synchronous `answer_stream`: the draft's text pieces (generative mode, when
        streaming), then the final Answer. `extractive`: answer with the extractive
        answerer whatever is configured — no model call, so fast, deterministic and
        offline (whether the library now answers a question: the gaps' re-asking)."""
        answerer = self.extractive if extractive else self.answerer
        started = time.perf_counter()
        q = self.clean_question(question)
        history = tuple(history)
        timings: dict[str, float] = {}
        live = self.retriever.live()  # one generation for the whole answer, even mid-refresh
        # A follow-up: rewritten as a standalone question when the answerer can (an LLM),
        # else the previous question joins the retrieval query.
        condensed = answerer.condense(q, history)
        if history and condensed.question is not None:
            timings["condense"] = (time.perf_counter() - started) * 1000
        standalone = condensed.question or q
        query = condensed.question or " ".join([*(t.question for t in history[-1:]), q])
        context = "" if condensed.question else " ".join(t.question for t in history)
        analysed, hits = self._understood_and_retrieved(standalone, query, context, live)
        retrieved = time.perf_counter()
        answer: Answer | None = None
        gathered = gather(analysed, hits, live)
        # The gate, once for every answerer: the evidence decides whether the sources cover
        # the question (index.search.gate.judge); if not, the refusal is shown, with the
        # nearest passages, and no answerer (no model) is asked.
        verdict = judge(analysed, gathered.relevant, live)
        if not verdict.answerable:
            # the nearest passages from documents about what it names, when there are any
            nearest = gathered.relevant or gathered.scored
            refused = self.extractive.refuse(q, nearest, verdict.reason)
            answer = replace(refused, shape=analysed.shape.value)
        else:
            for item in answerer.run(q, analysed, gathered, live, history, condensed, stream):
                if isinstance(item, Answer):
                    answer = item
                else:
                    yield item
        assert answer is not None  # noqa: S101 - an answerer's run ends with the Answer
        done = time.perf_counter()
        answer.timings_ms.update(
            timings,
            retrieve=(retrieved - started) * 1000 - timings.get("condense", 0.0),
            answer=(done - retrieved) * 1000,
            total=(done - started) * 1000,
        )
        yield answer

    async def answer(
        self, question: str, history: Sequence[Turn] = (), executor: Executor | None = None
    ) -> Answer:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(executor, self.answer_sync, question, history)

    async def answer_stream(
        self, question: str, history: Sequence[Turn] = (), executor: Executor | None = None
    ) -> AsyncIterator[str | Answer]:
        """Yield the answer's text as it is written (str pieces), then the final Answer.

        The extractive answerer writes nothing progressively: it yields the Answer only.
        A generative answerer that streams yields text deltas first. Front ends show the
        deltas as a draft and replace them with the final Answer, whose citations are
        verified. The work runs in `executor` (default: the loop's), so a caller can bound
        how many answers load the store and the model at once."""
        if not self.generative:
            yield await self.answer(question, history, executor)
            return
        # closed as soon as the consumer stops, so the worker stops reading the model then
        work = in_thread(lambda: self.answer_iter(question, history, stream=True), executor)
        async with contextlib.aclosing(work) as items:
            async for item in items:
                yield item

    async def asearch(self, question: str, k: int | None = None) -> list[Hit]:
        return await asyncio.to_thread(self.search, question, k)

    # -- the library -----------------------------------------------------------------
    def library(self) -> LibraryInfo:
        catalog = self.store.read_catalog()
        docs = [
            SourceInfo(path, e.title, e.source, e.chunks, e.indexed_at, e.metadata)
            for path, e in sorted(catalog.documents.items(), key=lambda kv: _by_title(kv[1]))
        ]
        return LibraryInfo(docs, catalog.refreshed_at)

    async def alibrary(self) -> LibraryInfo:
        return await asyncio.to_thread(self.library)

    def has_index(self) -> bool:
        return bool(self.store.live_generation())

    def ensure_index(self, progress: Progress | None = None) -> RefreshReport | None:
        """Build the index from the sources folder if there is none yet, or if the one
        there has never held a document (a first build whose every source was unreadable,
        published by an earlier policybot: the refresh no longer publishes one)."""
        if self.has_index() and not self._empty_from_the_start():
            return None
        report = self.refresh(progress=progress)
        if not report.documents:
            why = "; ".join(f"{x.path}: {x.reason}" for x in report.skipped[:3])
            raise IndexNotReady(
                f"no index could be built: {self.settings.sources_dir} holds no readable sources"
                + (f" ({why})" if why else "")
            )
        return report

    def _empty_from_the_start(self) -> bool:
        """Is the live index one that never held a document? Loading it is what the first
        question does anyway; the catalog is read only when it holds nothing."""
        try:
            self.retriever.live()
            return False
        except IndexNotReady:
            catalog = self.store.read_catalog()
            return not catalog.documents and catalog.version <= 1

    # -- changing the library (moderators only: front ends check permissions) -----------
    def add_url(self, url: str) -> dict[str, Any]:
        """Fetch an article or PDF and save it into the sources folder (no refresh).
        Returns {"added": path, "title": ..., ...}; raises SourceError/UsageError."""
        from index.ingest.intake import add_url

        return add_url(self.settings, url)

    def remove_source(self, ref: str) -> dict[str, Any]:
        """Take a source file out of the sources folder, by its path there or its URL: it is
        moved to <data>/removed-sources/, not deleted (no refresh). Returns {"removed": path,
        "title": ..., "kept_copy": ...}; raises UsageError if there is no such source."""
        from index.ingest.intake import remove_source

        return remove_source(self.settings, self.store.read_catalog(), ref)

    async def aadd_url(self, url: str) -> dict[str, Any]:
        return await asyncio.to_thread(self.add_url, url)

    async def aremove_source(self, ref: str) -> dict[str, Any]:
        return await asyncio.to_thread(self.remove_source, ref)

    # -- refresh ---------------------------------------------------------------------
    def _llama_embedding(self) -> BaseEmbedding:
        """The embedding model as llama-index's ingestion pipeline wants it (made once)."""
        if self._llama_embed is None:
            from index.ingest.llama_embedding import as_llama_embedding

            self._llama_embed = as_llama_embedding(self.embed_model)
            _configure_llama_index(self._llama_embed)
        return self._llama_embed

    def refresh(self, dry_run: bool = False, progress: Progress | None = None) -> RefreshReport:
        from index.store.refresh import Refresher

        return Refresher(self.settings, self.store, self._llama_embedding()).run(dry_run, progress)

    async def arefresh(
        self, dry_run: bool = False, progress: Progress | None = None
    ) -> RefreshReport:
        return await asyncio.to_thread(self.refresh, dry_run, progress)


def _by_title(entry: DocEntry) -> str:
    return entry.title.lower()
