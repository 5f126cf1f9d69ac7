"""Every gold quote of the tuning question files is found in a source as policybot reads it
(index.ingest.loaders.load_document), exactly (the default) or as the evaluation matches it
(`--normalised`: typographic quotes and spacing aside, index.eval_metrics.normalise). A
quote that isn't can never be cited, and the figures measured on it would be wrong without
saying so.

    .venv/bin/python bench/tuning/check_gold.py [--normalised] [FILE.jsonl ...]
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from index.eval_metrics import normalise
from index.ingest.loaders import load_document

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ROOT / "sources"


def main(paths: list[Path], loose: bool = False) -> int:
    read = normalise if loose else str
    texts = [read(load_document(p, SOURCES).text) for p in sorted(SOURCES.iterdir()) if p.is_file()]
    bad = 0
    for path in paths:
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            item = json.loads(line)
            quotes = list(item.get("gold_quotes", [])) + [
                q for group in item.get("groups", []) for q in group
            ]
            for quote in quotes:
                if not any(read(quote) in t for t in texts):
                    bad += 1
                    print(f"{path.name}:{n} ({item.get('id')}): not in any source: {quote!r}")
    print(f"{bad} gold quote(s) not found verbatim")
    return 1 if bad else 0


if __name__ == "__main__":
    args = [Path(a) for a in sys.argv[1:] if a != "--normalised"]
    sys.exit(main(args or [ROOT / "bench" / "tuning" / "qa_own.jsonl"], "--normalised" in sys.argv))
