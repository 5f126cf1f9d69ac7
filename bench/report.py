"""Print the benchmark figures saved in bench/out/*.json as Markdown tables, with the
policybot ÷ baseline ratios (run after scale.py and baseline_llamaindex.py).

    .venv/bin/python bench/report.py"""

from __future__ import annotations

from typing import Any

from common import command, load

METRICS = (
    "hit@1",
    "hit@5",
    "mrr@10",
    "citation_precision",
    "keyword_recall",
    "refusal_accuracy",
    "false_refusal_rate",
)


def _fmt(value: Any, digits: int = 3) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def _ratio(a: float | None, b: float | None) -> str:
    if a is None or b is None or b == 0:
        return "n/a"
    return f"{a / b:.2f}×"


def quality_table(ours: dict[str, Any], base: dict[str, Any], which: str) -> list[str]:
    mo = ours.get(which, {}).get("metrics", {})
    mb = base.get(which, {}).get("metrics", {})
    rows = [
        f"| {which} set | policybot | llama-index default | policybot ÷ baseline |",
        "| --- | ---: | ---: | ---: |",
    ]
    for key in METRICS:
        rows.append(
            f"| {key} | {_fmt(mo.get(key))} | {_fmt(mb.get(key))} | "
            f"{_ratio(mo.get(key), mb.get(key))} |"
        )
    return rows


def latency_table(ours: dict[str, Any], base: dict[str, Any]) -> list[str]:
    lo = ours.get("latency_ms_uncached", {})
    lb = base.get("latency_ms_uncached", {})
    b_retrieve = next((v for k, v in lb.items() if k.startswith("retrieve")), {})
    b_total = next((v for k, v in lb.items() if k.startswith("total")), {})
    rows = [
        "| latency (ms, query vector not cached) | p50 | p95 | max | p50 ÷ baseline |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for stage, other in (("retrieve", b_retrieve), ("answer", {}), ("total", b_total)):
        p = lo.get(stage, {})
        rows.append(
            f"| policybot {stage} | {_fmt(p.get('p50'), 1)} | {_fmt(p.get('p95'), 1)} "
            f"| {_fmt(p.get('max'), 1)} | {_ratio(p.get('p50'), other.get('p50'))} |"
        )
    for name, p in (("retrieve (top 2)", b_retrieve), ("total (query engine, MockLLM)", b_total)):
        rows.append(
            f"| baseline {name} | {_fmt(p.get('p50'), 1)} | {_fmt(p.get('p95'), 1)} "
            f"| {_fmt(p.get('max'), 1)} | |"
        )
    return rows


def ingest_table(
    build: dict[str, Any],
    raw: dict[str, Any],
    bbuild: dict[str, Any],
    query: dict[str, Any],
    bquery: dict[str, Any],
) -> list[str]:
    mib = 1024 * 1024
    rows = [
        "| ingestion and footprint | policybot | llama-index default |",
        "| --- | ---: | ---: |",
    ]
    pairs = [
        ("documents", build.get("documents"), bbuild.get("documents")),
        ("chunks", build.get("chunks"), bbuild.get("chunks")),
        ("ingestion seconds", build.get("ingest_seconds"), bbuild.get("ingest_seconds")),
        ("chunks / s", build.get("ingest_chunks_per_s"), bbuild.get("ingest_chunks_per_s")),
        (
            "model seconds inside the pipeline",
            build.get("model_seconds_inside_pipeline"),
            bbuild.get("model_seconds_inside_pipeline"),
        ),
        (
            "overhead over model time inside the pipeline, %",
            build.get("pipeline_overhead_vs_inside_model_pct"),
            bbuild.get("pipeline_overhead_vs_inside_model_pct"),
        ),
        ("raw model chunks / s (same texts, standalone)", raw.get("raw_chunks_per_s"), None),
        ("overhead over standalone raw model time, %", raw.get("pipeline_overhead_pct"), None),
        (
            "index on disk, MiB",
            round(query.get("index_bytes_on_disk", 0) / mib, 1) or None,
            round(bquery.get("index_bytes_on_disk", 0) / mib, 1) or None,
        ),
        ("query process peak RSS, MiB", query.get("peak_rss_mib"), bquery.get("peak_rss_mib")),
        ("index load seconds", query.get("index_load_seconds"), bquery.get("index_load_seconds")),
    ]
    for name, a, b in pairs:
        rows.append(f"| {name} | {_fmt(a, 1)} | {_fmt(b, 1)} |")
    return rows


def main() -> None:
    build, raw, query = load("scale-build"), load("scale-raw"), load("scale-query")
    bbuild, bquery = load("baseline-build"), load("baseline-query")
    out = [
        *ingest_table(build, raw, bbuild, query, bquery),
        "",
        *quality_table(query, bquery, "dev"),
        "",
        *quality_table(query, bquery, "holdout"),
        "",
        *latency_table(query, bquery),
        "",
    ]
    print("\n".join(out))
    for name, data in (
        ("scale build", build),
        ("scale raw", raw),
        ("scale query", query),
        ("baseline build", bbuild),
        ("baseline query", bquery),
    ):
        print(f"{name}: {data.get('command', '(not run)')}")
    print("command:", command())


if __name__ == "__main__":
    main()
