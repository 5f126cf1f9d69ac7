"""What the claim checker's lexical resources cost a process: the seconds to read WordNet
and VADER (`index.lexicon.load`, once per process, on a thread the generative
answerer starts) and the resident memory they add. Each run is a fresh process; numpy is
imported first, as an answering process has it already.

    .venv/bin/python bench/lexicon_load.py [--runs 3]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from common import command, machine  # noqa: E402

_ONE_RUN = """
import json, time, numpy
from index import lexicon
def rss():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096 / 2**20
before = rss()
started = time.perf_counter()
lexicon.load()
print(json.dumps({"seconds": time.perf_counter() - started, "mib": rss() - before}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    runs = []
    for _ in range(args.runs):
        out = subprocess.run(
            [sys.executable, "-c", _ONE_RUN], cwd=ROOT, capture_output=True, text=True, check=True
        )
        runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
    seconds = sorted(r["seconds"] for r in runs)
    mib = sorted(r["mib"] for r in runs)
    print(f"load seconds  min {seconds[0]:.2f}  median {seconds[len(seconds) // 2]:.2f}")
    print(f"RSS added     min {mib[0]:.1f} MiB  median {mib[len(mib) // 2]:.1f} MiB")
    print(f"command: {command()}")
    print(f"machine: {json.dumps(machine())}")


if __name__ == "__main__":
    main()
