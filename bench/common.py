"""Shared helpers of the benchmark scripts: the machine, sizes on disk, percentiles, output."""

from __future__ import annotations

import contextlib
import json
import os
import platform
import resource
import shlex
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pydantic import PrivateAttr

from index.ingest.llama_embedding import MiniLMEmbedding

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
DEV_QA = ROOT.parent / "shared" / "dev_qa.jsonl"
HOLDOUT_QA = ROOT / "tests" / "data" / "holdout_qa.jsonl"


class TimedMiniLM(MiniLMEmbedding):
    """MiniLMEmbedding that adds up the time spent inside the model's own `embed`, so an
    ingestion can be split into model time and everything else (the pipeline's overhead)."""

    _seconds: float = PrivateAttr(default=0.0)
    _texts: int = PrivateAttr(default=0)

    def embed(self, texts: list[str]) -> Any:
        started = time.perf_counter()
        try:
            return super().embed(texts)
        finally:
            self._seconds += time.perf_counter() - started
            self._texts += len(texts)

    @property
    def embed_seconds(self) -> float:
        return self._seconds

    @property
    def embedded_texts(self) -> int:
        return self._texts


def seed_kb(description: str) -> Any:
    """The knowledge base a tuning script reads (`--sources`, default the seed articles;
    `--data`, default bench/out/answers-data), its index built if there is none."""
    import argparse

    from index.service import KnowledgeBase
    from index.settings import Settings

    p = argparse.ArgumentParser(description=description)
    p.add_argument("--sources", type=Path, default=ROOT / "sources")
    p.add_argument("--data", type=Path, default=OUT / "answers-data")
    args = p.parse_args()
    kb = KnowledgeBase(Settings(sources_dir=args.sources, data_dir=args.data))
    kb.ensure_index()
    return kb


def command() -> str:
    """The command line that is running, as one could paste it from the repo root."""
    exe = Path(os.path.normpath(os.path.abspath(sys.executable)))
    with contextlib.suppress(ValueError):
        exe = exe.relative_to(ROOT)
    script = Path(sys.argv[0]).resolve()
    with contextlib.suppress(ValueError):
        script = script.relative_to(ROOT)
    return shlex.join([str(exe), str(script), *sys.argv[1:]])


def machine() -> dict[str, Any]:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_gib = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem_gib = round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    return {
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "ram_gib": mem_gib,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "load_avg_1_5_15": [round(x, 2) for x in os.getloadavg()],
    }


def dir_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def peak_rss_mib() -> float:
    """This process's peak resident set size (Linux reports ru_maxrss in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def save(name: str, data: dict[str, Any]) -> Path:
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"{name}.json"
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    return path


def finish_query(
    name: str, result: dict[str, Any], data: Path, rss_before: float, dev: Any, holdout: Any
) -> dict[str, Any]:
    """The end of a query step: footprint and quality added, saved, the reports printed."""
    result.update(
        {
            "peak_rss_mib": round(peak_rss_mib(), 1),
            "rss_before_loading_mib": round(rss_before, 1),
            "index_bytes_on_disk": dir_bytes(data),
            "dev": dev.to_json(),
            "holdout": holdout.to_json(),
        }
    )
    save(name, result)
    print(dev.to_text())
    print(holdout.to_text())
    return result


def load(name: str) -> dict[str, Any]:
    path = OUT / f"{name}.json"
    return json.loads(path.read_text()) if path.exists() else {}


@contextlib.contextmanager
def patched(values: dict[tuple[Any, str], Any]) -> Iterator[None]:
    """Module constants set for a measurement ({(module, name): value}), then restored:
    how the tuning scripts in bench/tuning try a value without editing the code."""
    kept = {place: getattr(*place) for place in values}
    for (module, name), value in values.items():
        setattr(module, name, value)
    try:
        yield
    finally:
        for (module, name), value in kept.items():
            setattr(module, name, value)
