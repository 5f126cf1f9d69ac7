"""The peer: llama-index's default pipeline on the same corpus, model and questions.

    .venv/bin/python bench/baseline_llamaindex.py build    # ingestion of bench/out/corpus
    .venv/bin/python bench/baseline_llamaindex.py query    # quality, latency, RSS (fresh process)

Default means: SimpleDirectoryReader over the corpus folder, VectorStoreIndex over a
ChromaVectorStore (embedded Chroma), the default SentenceSplitter (1024 tokens, 200 overlap)
and the default query engine / retriever top-k (2). The embedding model is policybot's
MiniLMEmbedding (so both sides pay the same model), Settings.llm is MockLLM (no LLM on
either side). Quality uses the functions of index/evaluation.py:

* hit@1 / hit@5 / MRR@10 from `index.as_retriever(similarity_top_k=10)` (retrieval only,
  so the comparison with policybot's `search` is like for like);
* citation precision: the default query engine's source nodes (its top 2) play the part of
  citations; a node counts as correct when its text contains a gold quote, as for a quote;
* refusal: the default pipeline has no refusal, so it answers every unanswerable question;
* keyword recall: not measured: MockLLM writes no real answer.
Figures go to bench/out/baseline-<step>.json."""

from __future__ import annotations

import argparse
import shutil
import time
from pathlib import Path
from typing import Any

from common import (
    DEV_QA,
    HOLDOUT_QA,
    OUT,
    TimedMiniLM,
    command,
    dir_bytes,
    finish_query,
    machine,
    peak_rss_mib,
    save,
)

CORPUS = OUT / "corpus"
DATA = OUT / "baseline-data"
COLLECTION = "baseline"


def _configure(model: Any) -> None:
    from llama_index.core import Settings
    from llama_index.core.llms import MockLLM

    Settings.embed_model = model
    Settings.llm = MockLLM()


def _client(data: Path) -> Any:
    import chromadb

    return chromadb.PersistentClient(
        path=str(data), settings=chromadb.Settings(anonymized_telemetry=False)
    )


def step_build(args: argparse.Namespace) -> dict[str, Any]:
    from llama_index.core import SimpleDirectoryReader, StorageContext, VectorStoreIndex
    from llama_index.vector_stores.chroma import ChromaVectorStore

    if args.data.exists():
        shutil.rmtree(args.data)
    model = TimedMiniLM()
    _configure(model)
    started = time.perf_counter()
    docs = SimpleDirectoryReader(str(args.corpus), recursive=True).load_data()
    collection = _client(args.data).get_or_create_collection(COLLECTION)
    storage = StorageContext.from_defaults(
        vector_store=ChromaVectorStore(chroma_collection=collection)
    )
    VectorStoreIndex.from_documents(docs, storage_context=storage)
    seconds = time.perf_counter() - started
    chunks = collection.count()
    result = {
        "command": command(),
        "machine": machine(),
        "corpus": str(args.corpus),
        "documents": len(docs),
        "chunks": chunks,
        "ingest_seconds": round(seconds, 1),
        "ingest_chunks_per_s": round(chunks / seconds, 2),
        "ingest_words_per_s": round(sum(len(d.text.split()) for d in docs) / seconds, 1),
        "model_seconds_inside_pipeline": round(model.embed_seconds, 1),
        "pipeline_overhead_vs_inside_model_pct": round(
            100 * (seconds - model.embed_seconds) / model.embed_seconds, 1
        ),
        "index_bytes_on_disk": dir_bytes(args.data),
        "build_peak_rss_mib": round(peak_rss_mib(), 1),
    }
    save("baseline-build", result)
    return result


def _evaluate(index: Any, qa: Path, label: str) -> Any:
    from index.evaluation import EvalReport, QuestionResult, first_rank, load_qa

    retriever = index.as_retriever(similarity_top_k=10)
    engine = index.as_query_engine()  # the defaults: top-k 2, compact synthesis
    results = []
    for item in load_qa(qa):
        result = QuestionResult(item)
        if item.answerable:
            started = time.perf_counter()
            nodes = retriever.retrieve(item.question)
            result.search_ms = (time.perf_counter() - started) * 1000
            result.rank = first_rank([n.node.get_content() for n in nodes], item.gold_quotes)
        started = time.perf_counter()
        response = engine.query(item.question)
        total = (time.perf_counter() - started) * 1000
        result.quotes = [n.node.get_content() for n in response.source_nodes]
        result.answer = ""
        result.timings_ms = {"total": total}
        results.append(result)
    report = EvalReport.of(results, label)
    report.metrics["keyword_recall"] = None  # MockLLM writes no answer to look in
    return report


def step_query(args: argparse.Namespace) -> dict[str, Any]:
    from llama_index.core import VectorStoreIndex
    from llama_index.vector_stores.chroma import ChromaVectorStore

    from index.evaluation import load_qa, percentiles
    from index.ingest.llama_embedding import MiniLMEmbedding

    rss_before = peak_rss_mib()
    model = MiniLMEmbedding()
    _configure(model)
    started = time.perf_counter()
    collection = _client(args.data).get_collection(COLLECTION)
    index = VectorStoreIndex.from_vector_store(ChromaVectorStore(chroma_collection=collection))
    load_s = time.perf_counter() - started
    engine = index.as_query_engine()
    retriever = index.as_retriever()
    engine.query("warm-up question about the health service")
    dev = _evaluate(index, args.qa, "baseline dev")
    holdout = _evaluate(index, args.holdout, "baseline holdout")
    questions = [q.question for q in load_qa(args.qa) + load_qa(args.holdout)]
    stages: dict[str, list[float]] = {"retrieve": [], "total": []}
    model.query_cache.clear()
    for q in questions:  # query vectors not cached, as in policybot's first round
        model.query_cache.pop(q, None)
        t0 = time.perf_counter()
        engine.query(q)
        t1 = time.perf_counter()
        model.query_cache.pop(q, None)
        retriever.retrieve(q)
        t2 = time.perf_counter()
        stages["total"].append((t1 - t0) * 1000)
        stages["retrieve"].append((t2 - t1) * 1000)
    result = {
        "command": command(),
        "machine": machine(),
        "chunks": collection.count(),
        "index_load_seconds": round(load_s, 2),
        "latency_ms_uncached": {
            "retrieve (default retriever, top 2)": percentiles(stages["retrieve"]),
            "total (default query engine, MockLLM)": percentiles(stages["total"]),
        },
        "latency_questions": len(questions),
    }
    return finish_query("baseline-query", result, args.data, rss_before, dev, holdout)


STEPS = {"build": step_build, "query": step_query}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("step", choices=list(STEPS))
    p.add_argument("--corpus", type=Path, default=CORPUS)
    p.add_argument("--data", type=Path, default=DATA)
    p.add_argument("--qa", type=Path, default=DEV_QA)
    p.add_argument("--holdout", type=Path, default=HOLDOUT_QA)
    args = p.parse_args()
    result = STEPS[args.step](args)
    print(f"== baseline-{args.step}")
    for key, value in result.items():
        if key in {"dev", "holdout"}:
            print(f"  {key}: {value['metrics']}")
        else:
            print(f"  {key}: {value}")
    print("command:", command())


if __name__ == "__main__":
    main()
