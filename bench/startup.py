"""Where the time of a fresh-process `policybot ask "…"` goes, on the seed library (or on
the library in `--sources`/`--data`, e.g. the full SOTU corpus).

Builds the index of a copy of `sources/` once (not timed; with `--data`, uses that index as
it is), then, each `--runs` times in a new process:

- **wall**: `python -m policybot --sources … --data … ask QUESTION`, start to exit;
- **interpreter**: `python -c pass`, the floor no change of ours can go under;
- **stages**: this script with `--stages`, which walks the path `ask` takes (import the CLI
  and the knowledge base, build it, check for an index, load the live generation, answer)
  with timers around the real functions: model checksums, ONNX session (including
  `import onnxruntime`) and tokenizer (built on a thread that overlaps what follows, when
  the model loads in the background; the wait for it is part of the answer's time),
  the live generation's name (from the note beside an embedded store, or from Chroma:
  `import chromadb`, client, catalog), index load (the live generation's side files,
  memory-mapped; written first from Chroma if missing), answer;

and once with `python -X importtime`, the packages whose imports cost most in that path.
Figures are medians over the runs; every process is fresh, so nothing is cached but the OS's
page cache (the first, untimed, ask warms it). Usage:

    .venv/bin/python bench/startup.py [--runs 5] [--question Q] [--sources DIR --data DIR]
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
QUESTION = "What did the unions argue about private contracts in the NHS?"


def _stages(sources: str, data: str, question: str) -> None:
    """One fresh process's stage times, as JSON on stdout (run by the parent)."""
    started = time.perf_counter()
    import policybot.cli  # noqa: F401 - what `policybot` imports before it does anything
    from index.service import KnowledgeBase
    from index.settings import Settings

    imported = time.perf_counter()
    import index.embedding as embedding
    from index.store.chroma import ChromaStore

    spent: Counter[str] = Counter()

    def timed(owner: Any, name: str, label: str) -> None:
        inner: Callable[..., Any] = getattr(owner, name)

        def wrapper(*args: Any, **kwargs: Any) -> Any:
            t = time.perf_counter()
            try:
                return inner(*args, **kwargs)
            finally:
                spent[label] += time.perf_counter() - t

        setattr(owner, name, wrapper)

    timed(embedding, "model_files", "model checksums")
    timed(embedding, "_open_session", "ONNX session")
    timed(embedding, "_open_tokenizer", "tokenizer")
    if hasattr(embedding, "MiniLM"):  # the model loads on a thread: time the wait for it
        timed(embedding.MiniLM, "_ready", "waiting for the model")
    timed(ChromaStore, "_open", "Chroma client")

    t = time.perf_counter()
    kb = KnowledgeBase(Settings(sources_dir=Path(sources), data_dir=Path(data)))
    built = time.perf_counter() - t
    t = time.perf_counter()
    kb.ensure_index()  # the live generation's name: the note, or Chroma
    opened = time.perf_counter() - t
    t = time.perf_counter()
    kb.retriever.live()
    loaded = time.perf_counter() - t
    t = time.perf_counter()
    answer = kb.answer_sync(question)
    answered = time.perf_counter() - t
    if not answer.citations:
        raise SystemExit("the answer has no citation")
    background = hasattr(embedding, "MiniLM")
    model = spent["model checksums"] + (
        0.0 if background else spent["ONNX session"] + spent["tokenizer"]
    )
    out = {
        "import": imported - started,
        "model checksums": spent["model checksums"],
        ("ONNX session (on a thread)" if background else "ONNX session"): spent["ONNX session"],
        ("tokenizer (on a thread)" if background else "tokenizer"): spent["tokenizer"],
        "KnowledgeBase() other": built - model,
        "live generation's name": opened,
        "(of which Chroma client open)": spent["Chroma client"],
        "index load": loaded,
        "answer": answered,
        "(of which waiting for the model)": spent["waiting for the model"],
        "in-process total": time.perf_counter() - started,
    }
    stages = {k: round(v * 1000, 1) for k, v in out.items()}
    heavy = [m for m in ("chromadb", "llama_index.core", "spacy", "nltk") if m in sys.modules]
    print(json.dumps({"stages": stages, "imported": heavy}))


def _run(cmd: list[str]) -> tuple[float, subprocess.CompletedProcess[str]]:
    t = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, check=True, cwd=ROOT)
    return time.perf_counter() - t, done


def _import_costs(cmd: list[str], top: int) -> list[tuple[str, float]]:
    """Self time of every import in `cmd`'s process, summed by top-level package (ms)."""
    _, done = _run([sys.executable, "-X", "importtime", *cmd])
    by_package: Counter[str] = Counter()
    for line in done.stderr.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        self_us, _, name = (p.strip() for p in line[len("import time:") :].split("|"))
        by_package[name.split(".")[0]] += int(self_us) / 1000
    return [(name, round(ms, 1)) for name, ms in by_package.most_common(top)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--question", default=QUESTION)
    parser.add_argument("--sources", type=Path, help="an existing library (with --data)")
    parser.add_argument("--data", type=Path, help="its data folder, index built")
    parser.add_argument("--stages", nargs=2, metavar=("SOURCES", "DATA"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.stages:
        _stages(*args.stages, args.question)
        return

    from bench.common import command, machine

    with tempfile.TemporaryDirectory() as tmp:
        if args.data:
            sources, data = args.sources or ROOT / "sources", args.data
        else:
            sources, data = Path(tmp) / "sources", Path(tmp) / "data"
            shutil.copytree(ROOT / "sources", sources)
        ask = [
            sys.executable, "-m", "policybot", "--sources", str(sources), "--data", str(data),
            "ask", args.question,
        ]  # fmt: skip
        _run(ask)  # builds the index (or its side files) and warms the page cache; not timed
        walls, floors, stages = [], [], []
        for _ in range(args.runs):
            walls.append(_run(ask)[0])
            floors.append(_run([sys.executable, "-c", "pass"])[0])
            stage_cmd = [sys.executable, __file__, "--stages", str(sources), str(data)]
            stages.append(json.loads(_run([*stage_cmd, "--question", args.question])[1].stdout))
        imports = _import_costs(ask[1:], 12)

    print(f"command: {command()}")
    print(f"machine: {json.dumps(machine())}")
    print(f"runs: {args.runs}, question: {args.question!r}")
    print(
        f"wall of `policybot ask` (fresh process): median {statistics.median(walls):.2f} s "
        f"(runs: {', '.join(f'{w:.2f}' for w in walls)})"
    )
    print(f"python -c pass: median {statistics.median(floors) * 1000:.0f} ms")
    print("stages of one ask (median ms of the runs):")
    for key in stages[0]["stages"]:
        print(f"  {key:34} {statistics.median(s['stages'][key] for s in stages):8.1f}")
    imported = sorted({m for s in stages for m in s["imported"]})
    print(f"heavy packages imported on the way: {', '.join(imported) or 'none'}")
    print("imports by top-level package (self time, ms, one run under -X importtime):")
    for name, ms in imports:
        print(f"  {name:34} {ms:8.1f}")


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main()
