"""Which sentences' speakers an attribution change moves: `index.ingest.attribution.analyse`
of this checkout and of another revision (`git show REV:index/ingest/attribution.py`, run
beside it) over every article in a sources folder, sentence by sentence. Prints each
sentence whose speaker differs (before -> after) and the count. Attribution is worked out
at indexing, so this is what a rebuilt index would hold.

    .venv/bin/python bench/attribution_diff.py REV [--sources DIR]
"""

from __future__ import annotations

import argparse
import importlib.util
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from common import command  # noqa: E402

from index.ingest import attribution  # noqa: E402
from index.ingest.loaders import load_document  # noqa: E402
from index.text import split_sentences  # noqa: E402


def _other(rev: str) -> object:
    """The attribution module as it was at `rev`."""
    text = subprocess.run(
        ["git", "show", f"{rev}:index/ingest/attribution.py"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    path = Path(tempfile.mkdtemp()) / "attribution_then.py"
    path.write_text(text)
    spec = importlib.util.spec_from_file_location("attribution_then", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("rev")
    parser.add_argument("--sources", type=Path, default=ROOT / "sources")
    args = parser.parse_args()
    then = _other(args.rev)
    total = changed = 0
    for path in sorted(args.sources.rglob("*.md")):
        text = load_document(path, args.sources).text
        spans = split_sentences(text)
        sentences = [" ".join(text[s.start : s.end].split()) for s in spans]
        paragraphs = [
            i > 0 and "\n" in text[spans[i - 1].end : spans[i].start] for i in range(len(spans))
        ]
        before = then.analyse(sentences, paragraphs)  # type: ignore[attr-defined]
        after = attribution.analyse(sentences, paragraphs)
        for sentence, (old, _), (new, _) in zip(sentences, before, after, strict=True):
            total += 1
            if old != new:
                changed += 1
                was, now = (w and w[0] for w in (old, new))
                print(f"{path.name[:28]:28s} {was} -> {now} | {sentence[:100]}")
    print(f"{changed} of {total} sentences change speaker")
    print(f"command: {command()}")


if __name__ == "__main__":
    main()
