"""Which sentences of the seed library the writer's report with a partial quotation gives
to the speaker before it (index.ingest.quotations), by the fewest words the
quoted fragment must hold: the reason for `PARTIAL_QUOTE_WORDS`. Each sentence is listed
with the speaker it would get, to be read.

    .venv/bin/python bench/tuning/partial_quotes.py
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from index.ingest import attribution, quotations  # noqa: E402
from index.text import split_sentences  # noqa: E402


def main() -> None:
    documents = []
    for path in sorted((ROOT / "sources").rglob("*.md")):
        text = path.read_text()
        spans = split_sentences(text)
        sentences = [" ".join(text[s.start : s.end].split()) for s in spans]
        paragraphs = [
            i > 0 and "\n" in text[spans[i - 1].end : s.start] for i, s in enumerate(spans)
        ]
        documents.append((path.name, sentences, paragraphs))
    chosen = quotations.PARTIAL_QUOTE_WORDS
    try:
        for words in range(1, 7):
            quotations.PARTIAL_QUOTE_WORDS = words
            given = []
            for name, sentences, paragraphs in documents:
                found = attribution.analyse(sentences, paragraphs)
                quotations.PARTIAL_QUOTE_WORDS = 10**6  # none: what the rest gives
                without = attribution.analyse(sentences, paragraphs)
                quotations.PARTIAL_QUOTE_WORDS = words
                given += [
                    (name, s, f[0][0])
                    for s, f, w in zip(sentences, found, without, strict=True)
                    if f[0] and not w[0]
                ]
            mark = "  (the code's)" if words == chosen else ""
            print(f"at least {words} word(s): {len(given)} sentence(s){mark}")
            for name, sentence, who in given:
                print(f"    {who!r:28} {name[:28]:28} {sentence[:90]}")
    finally:
        quotations.PARTIAL_QUOTE_WORDS = chosen
    print("command: .venv/bin/python bench/tuning/partial_quotes.py")


if __name__ == "__main__":
    main()
