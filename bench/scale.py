"""policybot at scale: the seed articles plus the State of the Union addresses as distractors.

    .venv/bin/python bench/build_sotu_corpus.py            # writes bench/out/corpus
    .venv/bin/python bench/scale.py build                  # ingestion (≈ 40 min, 2 cores)
    .venv/bin/python bench/scale.py raw                    # raw model throughput, same texts
    .venv/bin/python bench/scale.py query                  # latency, RSS, dev/holdout metrics
    .venv/bin/python bench/scale.py refresh                # RSS of a process refreshing in place
    .venv/bin/python bench/scale.py report                 # print everything measured

Each step saves its figures in bench/out/scale-<step>.json and prints them with the command
that produced them. `query` runs in a fresh process what the bot would: load the index,
answer questions; its peak RSS is that of a bot process holding this index."""

from __future__ import annotations

import argparse
import gc
import random
import shutil
import sys
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
    load,
    machine,
    peak_rss_mib,
    save,
)

from index.ingest.llama_embedding import MiniLMEmbedding
from index.search.evidence import clear_caches
from index.service import KnowledgeBase
from index.settings import Settings

CORPUS = OUT / "corpus"
DATA = OUT / "scale-data"


def _settings(corpus: Path, data: Path) -> Settings:
    return Settings(sources_dir=corpus, data_dir=data)


def step_build(args: argparse.Namespace) -> dict[str, Any]:
    """Build the index from nothing with policybot's own pipeline (KnowledgeBase.refresh)."""
    if not args.corpus.is_dir():
        sys.exit(f"no corpus at {args.corpus}: run bench/build_sotu_corpus.py first")
    if args.data.exists():
        shutil.rmtree(args.data)
    model = TimedMiniLM()
    kb = KnowledgeBase(_settings(args.corpus, args.data), embed_model=model)
    last = [0.0]

    def progress(stage: str, done: int, total: int) -> None:
        now = time.perf_counter()
        if now - last[0] > 30 or done == total:
            last[0] = now
            print(f"  {stage}: {done}/{total} documents", flush=True)

    started = time.perf_counter()
    report = kb.refresh(progress=progress)
    seconds = time.perf_counter() - started
    model_s = model.embed_seconds
    result = {
        "command": command(),
        "machine": machine(),
        "corpus": str(args.corpus),
        "documents": report.documents,
        "chunks": report.chunks,
        "skipped": [s.path for s in report.skipped],
        "ingest_seconds": round(seconds, 1),
        "ingest_chunks_per_s": round(report.chunks / seconds, 2),
        "model_seconds_inside_pipeline": round(model_s, 1),
        "pipeline_overhead_vs_inside_model_pct": round(100 * (seconds - model_s) / model_s, 1),
        "index_bytes_on_disk": dir_bytes(args.data),
        "build_peak_rss_mib": round(peak_rss_mib(), 1),
    }
    save("scale-build", result)
    return result


def _chunk_texts(data: Path, corpus: Path) -> list[str]:
    """The exact strings the ingestion pipeline embedded: each chunk with its title, in
    llama-index's embed format (so the comparison measures the pipeline, not the inputs)."""
    from llama_index.core.schema import MetadataMode, TextNode

    kb = KnowledgeBase(_settings(corpus, data), embed_model=MiniLMEmbedding())
    live = kb.retriever.live()
    return [
        TextNode(
            text=live.records[c].text, metadata={"title": live.records[c].meta.get("title", "")}
        ).get_content(metadata_mode=MetadataMode.EMBED)
        for c in live.ids
    ]


def step_raw(args: argparse.Namespace) -> dict[str, Any]:
    """The model alone (`MiniLMEmbedding.embed`) on the very chunk texts the index holds: on
    all of them, or on a seeded random sample (`--sample 0.2`) to save time."""
    texts = _chunk_texts(args.data, args.corpus)
    total = len(texts)
    if args.sample < 1:
        random.Random(5).shuffle(texts)  # noqa: S311 - a reproducible sample
        texts = texts[: max(1, int(total * args.sample))]
    gc.collect()
    model = MiniLMEmbedding()
    model.embed(texts[:32])  # warm-up, as the pipeline's first batch warms it
    started = time.perf_counter()
    model.embed(texts)  # one call: the model sorts all texts by length, little padding
    seconds = time.perf_counter() - started
    rate = len(texts) / seconds
    # As llama-index's pipeline feeds it: one call per `embed_batch_size` texts, sorted by
    # length only within each call (so each ORT batch pads to its longest text).
    started = time.perf_counter()
    for i in range(0, len(texts), model.embed_batch_size):
        model.embed(texts[i : i + model.embed_batch_size])
    batched_rate = len(texts) / (time.perf_counter() - started)
    build = load("scale-build")
    result: dict[str, Any] = {
        "command": command(),
        "machine": machine(),
        "texts_embedded": len(texts),
        "of_chunks": total,
        "raw_seconds": round(seconds, 1),
        "raw_chunks_per_s": round(rate, 2),
        "raw_seconds_for_all_chunks": round(total / rate, 1),
        "pipeline_embed_batch_size": model.embed_batch_size,
        "raw_chunks_per_s_in_pipeline_batches": round(batched_rate, 2),
    }
    if build.get("ingest_seconds"):
        raw_all = total / rate
        result["ingest_seconds"] = build["ingest_seconds"]
        result["pipeline_overhead_pct"] = round(
            100 * (build["ingest_seconds"] - raw_all) / raw_all, 1
        )
        batched_all = total / batched_rate
        result["pipeline_overhead_vs_pipeline_batches_pct"] = round(
            100 * (build["ingest_seconds"] - batched_all) / batched_all, 1
        )
    save("scale-raw", result)
    return result


def step_query(args: argparse.Namespace) -> dict[str, Any]:
    """What a bot process holding the index does: load it, answer, and how much RSS it needs."""
    from index.evaluation import load_qa, percentiles, run_eval

    rss_before = peak_rss_mib()
    started = time.perf_counter()
    kb = KnowledgeBase(_settings(args.corpus, args.data))
    kb.retriever.live()
    load_s = time.perf_counter() - started
    kb.answer_sync("warm-up question about the health service")
    dev = run_eval(kb, load_qa(args.qa))
    holdout = run_eval(kb, load_qa(args.holdout))
    # Latency over every question of both sets, `--repeat` rounds (query vectors are cached
    # after the first round, so only the first round pays the model: report both).
    questions = [q.question for q in load_qa(args.qa) + load_qa(args.holdout)]
    first: dict[str, list[float]] = {"retrieve": [], "answer": [], "total": []}
    later: dict[str, list[float]] = {"retrieve": [], "answer": [], "total": []}
    kb.embed_model.query_cache.clear()
    clear_caches()  # the first round pays for analysing every passage too
    for round_ in range(args.repeat):
        for q in questions:
            t = kb.answer_sync(q).timings_ms
            for stage in first:
                (first if round_ == 0 else later)[stage].append(t[stage])
    result = {
        "command": command(),
        "machine": machine(),
        "chunks": len(kb.retriever.live().ids),
        "index_load_seconds": round(load_s, 2),
        "latency_ms_uncached": {s: percentiles(v) for s, v in first.items()},
        "latency_ms_cached_query_vector": {s: percentiles(v) for s, v in later.items() if v},
        "latency_questions": len(questions) * args.repeat,
    }
    return finish_query("scale-query", result, args.data, rss_before, dev, holdout)


NEW_ARTICLE = (
    "---\ntitle: Hospital car park to close for repairs\n---\n\n"
    "The county hospital's main car park will close in May for six weeks of repairs, "
    "the trust said, and patients are asked to use the park-and-ride service instead.\n"
)


def _resident_mib() -> float:
    import psutil

    return psutil.Process().memory_info().rss / 2**20


def step_refresh(args: argparse.Namespace) -> dict[str, Any]:
    """What a bot process goes through when a moderator adds an article: it serves the
    index, refreshes in place, and answers from the new generation. Runs on copies of the
    corpus and data folders, so the measured index is left as it was."""
    import tempfile

    rss_before = peak_rss_mib()
    with tempfile.TemporaryDirectory(dir=OUT) as tmp:
        corpus, data = Path(tmp) / "corpus", Path(tmp) / "data"
        shutil.copytree(args.corpus, corpus)
        shutil.copytree(args.data, data)
        kb = KnowledgeBase(_settings(corpus, data))
        kb.answer_sync("Which union is the biggest NHS union?")
        serving = _resident_mib()
        (corpus / "seed" / "hospital-car-park.md").write_text(NEW_ARTICLE)
        started = time.perf_counter()
        report = kb.refresh()
        refresh_s = time.perf_counter() - started
        after_refresh = _resident_mib()
        started = time.perf_counter()
        answer = kb.answer_sync("When will the hospital car park close?")
        reload_s = time.perf_counter() - started
        if answer.refused or "car park" not in answer.answer:
            sys.exit(f"the new article was not used: {answer.answer[:200]!r}")
        result = {
            "command": command(),
            "machine": machine(),
            "chunks": report.chunks,
            "added": report.added,
            "resident_mib_serving": round(serving, 1),
            "refresh_seconds": round(refresh_s, 1),
            "resident_mib_after_refresh": round(after_refresh, 1),
            "first_answer_after_refresh_seconds": round(reload_s, 1),
            "resident_mib_after_reload": round(_resident_mib(), 1),
            "peak_rss_mib": round(peak_rss_mib(), 1),
            "rss_before_loading_mib": round(rss_before, 1),
        }
    save("scale-refresh", result)
    return result


def _show(title: str, data: dict[str, Any]) -> None:
    print(f"== {title}")
    if not data:
        print("  (not measured yet)")
        return
    for key, value in data.items():
        if key in {"dev", "holdout"}:
            print(f"  {key}: {_summary(value)}")
        else:
            print(f"  {key}: {value}")


def _summary(report: dict[str, Any]) -> str:
    m = report.get("metrics", {})
    keys = ("hit@1", "hit@5", "mrr@10", "citation_precision", "keyword_recall")
    keys += ("refusal_accuracy", "false_refusal_rate")
    return ", ".join(f"{k}={m[k]}" for k in keys if k in m)


def step_report(args: argparse.Namespace) -> dict[str, Any]:
    for step in ("build", "raw", "query", "refresh"):
        _show(f"scale-{step}", load(f"scale-{step}"))
    return {}


STEPS = {
    "build": step_build,
    "raw": step_raw,
    "query": step_query,
    "refresh": step_refresh,
    "report": step_report,
}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("step", choices=list(STEPS))
    p.add_argument("--corpus", type=Path, default=CORPUS)
    p.add_argument("--data", type=Path, default=DATA)
    p.add_argument("--sample", type=float, default=1.0, help="raw: share of chunks to embed")
    p.add_argument("--qa", type=Path, default=DEV_QA)
    p.add_argument("--holdout", type=Path, default=HOLDOUT_QA)
    p.add_argument("--repeat", type=int, default=3, help="query: latency rounds")
    args = p.parse_args()
    result = STEPS[args.step](args)
    if result:
        _show(f"scale-{args.step}", result)
        print("command:", command())


if __name__ == "__main__":
    main()
