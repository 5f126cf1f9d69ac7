"""Memory of answering processes on one machine: one alone, then two at once.

Each process opens the library in `--sources`/`--data` (index built) as `policybot ask`
would, answers the dev and held-out questions, and reports its peak RSS and, while every
process of its round is still alive, its RSS and PSS (/proc/self/smaps_rollup: pages
shared with other processes, such as the memory-mapped side files and the libraries,
count in proportion). Two processes' PSS summed is what the machine pays for both.

    .venv/bin/python bench/processes.py --sources DIR --data DIR
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def _smaps() -> dict[str, float]:
    """RSS, PSS and private (anonymous and file) memory of this process now, in MiB."""
    out: dict[str, float] = {}
    for line in Path("/proc/self/smaps_rollup").read_text().splitlines()[1:]:
        key, _, rest = line.partition(":")
        parts = rest.split()
        if parts and parts[-1] == "kB":
            out[key] = int(parts[0]) / 1024
    return {
        "rss_mib": out.get("Rss", 0.0),
        "pss_mib": out.get("Pss", 0.0),
        "private_mib": out.get("Private_Clean", 0.0) + out.get("Private_Dirty", 0.0),
        "shared_mib": out.get("Shared_Clean", 0.0) + out.get("Shared_Dirty", 0.0),
    }


def child(sources: Path, data: Path) -> None:
    """One answering process: load, answer, report, wait for the parent's word to exit."""
    sys.path[:0] = [str(ROOT)]
    from index.evaluation import load_qa
    from index.service import KnowledgeBase
    from index.settings import Settings

    kb = KnowledgeBase(Settings(sources_dir=sources, data_dir=data))
    questions = [
        q.question
        for f in (ROOT.parent / "shared" / "dev_qa.jsonl", ROOT / "tests/data/holdout_qa.jsonl")
        for q in load_qa(f)
    ]
    for q in questions:
        kb.answer_sync(q)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"peak_rss_mib": peak, "questions": len(questions)}), flush=True)
    sys.stdin.readline()  # every process of the round has answered: measure now
    print(json.dumps(_smaps()), flush=True)
    sys.stdin.readline()


def _round(n: int, sources: Path, data: Path) -> list[dict[str, Any]]:
    cmd = [sys.executable, __file__, "--child", "--sources", str(sources), "--data", str(data)]
    procs = [
        subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        for _ in range(n)
    ]
    results: list[dict[str, Any]] = []
    for p in procs:
        assert p.stdout is not None
        results.append(json.loads(p.stdout.readline()))
    for p in procs:  # all loaded and answered, all alive
        assert p.stdin is not None
        p.stdin.write("\n")
        p.stdin.flush()
    for p, r in zip(procs, results, strict=True):
        assert p.stdout is not None
        r.update(json.loads(p.stdout.readline()))
    for p in procs:
        assert p.stdin is not None
        p.stdin.write("\n")
        p.stdin.close()
        p.wait()
    return results


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sources", type=Path, required=True)
    p.add_argument("--data", type=Path, required=True)
    p.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.child:
        child(args.sources, args.data)
        return
    sys.path[:0] = [str(ROOT / "bench")]
    from common import command, machine

    one = _round(1, args.sources, args.data)
    two = _round(2, args.sources, args.data)
    print(f"command: {command()}")
    print(f"machine: {json.dumps(machine())}")
    print(f"one process: {json.dumps({k: round(v, 1) for k, v in one[0].items()})}")
    for i, r in enumerate(two):
        print(f"two processes, #{i + 1}: {json.dumps({k: round(v, 1) for k, v in r.items()})}")
    total = sum(r["pss_mib"] for r in two)
    print(
        f"two processes together (PSS): {total:.1f} MiB = "
        f"{total / one[0]['pss_mib']:.2f}× one ({one[0]['pss_mib']:.1f} MiB); "
        f"peak RSS of one {one[0]['peak_rss_mib']:.1f} MiB"
    )


if __name__ == "__main__":
    main()
