"""Query p50 of policybot against the llama-index default pipeline, in one run: fresh
processes of `bench/scale.py query` and `bench/baseline_llamaindex.py query` alternated
`--pairs` times on the same corpus, so that both meet the same hour of this machine (its
timings drift by a third between hours; a ratio of two separate runs says little).

    .venv/bin/python bench/query_ratio.py --corpus bench/out/corpus-full \
        --data bench/out/full-data --baseline-data bench/out/full-baseline --pairs 10

Both indexes must be built (`scale.py build`, `baseline_llamaindex.py build`). Each pair's
figure is its process's p50 over the dev and held-out questions, first round (query vectors
not cached, answering included). Prints every pair, the medians, their ratio and the
median of the pair ratios; saves bench/out/query-ratio.json."""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

from common import OUT, ROOT, command, load, machine, save

POLICYBOT_KEY = "total"
BASELINE_KEY = "total (default query engine, MockLLM)"


def _run(script: str, corpus: Path, data: Path) -> None:
    subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench" / script),
            "query",
            "--corpus",
            str(corpus),
            "--data",
            str(data),
        ],
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        cwd=ROOT,
    )


def _p50(name: str, key: str) -> tuple[float, dict[str, Any]]:
    result = load(name)
    return float(result["latency_ms_uncached"][key]["p50"]), result


def _load_avg() -> float:
    return float(Path("/proc/loadavg").read_text().split()[0])


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--corpus", type=Path, default=OUT / "corpus-full")
    p.add_argument("--data", type=Path, default=OUT / "full-data")
    p.add_argument("--baseline-data", type=Path, default=OUT / "full-baseline")
    p.add_argument("--pairs", type=int, default=10)
    args = p.parse_args()
    print(command())
    rows = []
    for n in range(args.pairs):
        _run("scale.py", args.corpus, args.data)
        ours, ours_result = _p50("scale-query", POLICYBOT_KEY)
        _run("baseline_llamaindex.py", args.corpus, args.baseline_data)
        theirs, theirs_result = _p50("baseline-query", BASELINE_KEY)
        rows.append(
            {
                "policybot_ms": ours,
                "baseline_ms": theirs,
                "ratio": ours / theirs,
                "load_1min": _load_avg(),
            }
        )
        print(
            f"pair {n + 1}: policybot {ours:6.2f} ms   default {theirs:6.2f} ms   "
            f"ratio {ours / theirs:.2f}   load {rows[-1]['load_1min']:.2f}",
            flush=True,
        )
    ours_median = statistics.median(r["policybot_ms"] for r in rows)
    theirs_median = statistics.median(r["baseline_ms"] for r in rows)
    ratios = sorted(r["ratio"] for r in rows)
    result = {
        "command": command(),
        "machine": machine(),
        "pairs": rows,
        "policybot_p50_median_ms": round(ours_median, 2),
        "baseline_p50_median_ms": round(theirs_median, 2),
        "ratio_of_medians": round(ours_median / theirs_median, 3),
        "pair_ratio_median": round(statistics.median(ratios), 3),
        "pair_ratio_range": [round(ratios[0], 3), round(ratios[-1], 3)],
        "pairs_at_or_below_1": sum(r <= 1.0 for r in ratios),
        "peak_rss_mib": {
            "policybot": ours_result.get("peak_rss_mib"),
            "baseline": theirs_result.get("peak_rss_mib"),
        },
    }
    save("query-ratio", result)
    print(
        f"medians: policybot {ours_median:.2f} ms, default {theirs_median:.2f} ms, "
        f"ratio {result['ratio_of_medians']:.2f}×; pair ratios {ratios[0]:.2f}–{ratios[-1]:.2f}, "
        f"median {result['pair_ratio_median']:.2f}; {result['pairs_at_or_below_1']} of "
        f"{len(rows)} pairs ≤ 1.0"
    )


if __name__ == "__main__":
    main()
