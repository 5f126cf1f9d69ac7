"""Latency of `policybot ask --json -` over the dev questions, start-up included.

Builds the index once (not timed), then times one `ask --json -` process answering every
question of the QA file, and reports the per-question `timings_ms` medians and the whole
process's wall time. Usage:

    .venv/bin/python bench/cli_batch.py [QA.jsonl] [--runs N]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def policybot(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "policybot", *args],
        input=stdin,
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("qa", nargs="?", default=str(ROOT.parent / "shared" / "dev_qa.jsonl"))
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    questions = [
        json.loads(line)["question"]
        for line in Path(args.qa).read_text().splitlines()
        if line.strip()
    ]
    with tempfile.TemporaryDirectory() as tmp:
        sources, data = Path(tmp) / "sources", Path(tmp) / "data"
        shutil.copytree(ROOT / "sources", sources)
        flags = ("--sources", str(sources), "--data", str(data))
        policybot(*flags, "index", "--json")
        walls, totals, retrieves, answers = [], [], [], []
        for _ in range(args.runs):
            started = time.perf_counter()
            done = policybot(*flags, "ask", "--json", "-", stdin="\n".join(questions) + "\n")
            walls.append(time.perf_counter() - started)
            rows = [json.loads(line) for line in done.stdout.splitlines()]
            assert len(rows) == len(questions)
            totals += [r["timings_ms"]["total"] for r in rows]
            retrieves += [r["timings_ms"]["retrieve"] for r in rows]
            answers += [r["timings_ms"]["answer"] for r in rows]
    print(f"command: {sys.executable} bench/cli_batch.py {args.qa} --runs {args.runs}")
    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}"
    )
    print(f"questions per process: {len(questions)}; processes: {args.runs}")
    print(
        f"timings_ms.total    median {statistics.median(totals):.1f}  "
        f"p95 {statistics.quantiles(totals, n=20)[-1]:.1f}  max {max(totals):.1f}"
    )
    print(f"timings_ms.retrieve median {statistics.median(retrieves):.1f}")
    print(f"timings_ms.answer   median {statistics.median(answers):.1f}")
    print(
        f"whole process (start-up included) median {statistics.median(walls):.2f} s, "
        f"max {max(walls):.2f} s"
    )


if __name__ == "__main__":
    main()
