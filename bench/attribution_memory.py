"""Peak memory of attributing a long document's sentences (index.ingest.attribution.analyse),
by the document's length and by `attribution.WINDOW` (how many parsed sentences are held at
once). Each size runs in a fresh process, so its peak RSS is its own; the sentences are the
longest seed article's, repeated.

    .venv/bin/python bench/attribution_memory.py [--sizes 4000,16000] [--windows 1000,0]

A window of 0 holds every sentence at once (what the code did before windowing).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time

from common import ROOT, command, machine

CHILD = """
import json, resource, sys, time
sys.path.insert(0, {root!r})
from pathlib import Path
from index.ingest import attribution
from index.ingest.loaders import scan_sources
from index.text import split_sentences
docs, _ = scan_sources(Path({root!r}) / "sources")
doc = max(docs, key=lambda d: len(d.text))
one = [doc.text[s.start : s.end] for s in split_sentences(doc.text, doc.structure)]
sentences = (one * ({n} // len(one) + 1))[: {n}]
attribution._nlp()
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
if {window}:
    attribution.WINDOW = {window}
else:
    attribution.WINDOW = len(sentences)
start = time.perf_counter()
attribution.analyse(sentences)
seconds = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({{"loaded_mib": before, "peak_mib": peak, "seconds": seconds}}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="4000,16000", help="sentences, comma-separated")
    parser.add_argument("--windows", default="1000,0", help="WINDOW values; 0: all at once")
    args = parser.parse_args()
    print("sentences  window  peak RSS MiB  (model loaded)  seconds")
    for n in (int(x) for x in args.sizes.split(",")):
        for window in (int(x) for x in args.windows.split(",")):
            code = CHILD.format(root=str(ROOT), n=n, window=window)
            started = time.perf_counter()
            out = subprocess.run(
                [sys.executable, "-c", code], capture_output=True, text=True, check=True
            )
            got = json.loads(out.stdout.strip().splitlines()[-1])
            label = window or "all"
            print(
                f"{n:9}  {label!s:>6}  {got['peak_mib']:12.0f}  ({got['loaded_mib']:.0f})"
                f"  {got['seconds']:8.1f}   (process {time.perf_counter() - started:.0f} s)"
            )
    print(f"machine: {json.dumps(machine())}")
    print(f"command: {command()}")


if __name__ == "__main__":
    main()
