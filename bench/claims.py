"""What the citation check lets through: claims files (CONTRACT.md, "Claims files") played
through a scripted endpoint and the real answering path (tests/index/claims_play.py).

    .venv/bin/python bench/claims.py [FILE ...] [--json] [--data DIR] [-v]

Defaults to ../shared/dev_claims.jsonl and tests/data/holdout_claims.jsonl (a missing file
is skipped). Without --data an index of sources/ is built in a temporary folder. Prints,
per file, a table per kind, faithful kept, unfaithful shown, claims not scored, fallbacks
and p50/p95 of the answers' `answer` timing (where the checking cost lives)."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT)]

from common import command, machine  # noqa: E402

from tests.index.claims_play import ClaimsPlayer, PlayResult  # noqa: E402

DEFAULTS = [
    ROOT.parent / "shared" / "dev_claims.jsonl",
    ROOT / "tests" / "data" / "holdout_claims.jsonl",
]


def _fmt(rate: float | None) -> str:
    return "—" if rate is None else f"{rate:.2f}"


def text_report(name: str, result: PlayResult, verbose: bool) -> str:
    s = result.summary()
    lines = [f"== {name}: {s['questions']} questions, {s['claims']} claims", ""]
    lines.append(f"{'kind':14} {'faithful':8} {'claims':>6} {'shown':>6} {'rate':>6}")
    for row in s["per_kind"]:
        extra = f"  ({row['not_scored']} not scored)" if row["not_scored"] else ""
        lines.append(
            f"{row['kind']:14} {'yes' if row['faithful'] else 'no':8} {row['claims']:>6} "
            f"{row['shown']:>6} {_fmt(row['rate']):>6}{extra}"
        )
    lines += [
        "",
        f"faithful kept     {_fmt(s['faithful_kept'])}  "
        f"({s['faithful_shown']}/{s['faithful_scored']}; higher is better)",
        f"unfaithful shown  {_fmt(s['unfaithful_shown'])}  "
        f"({s['unfaithful_shown_count']}/{s['unfaithful_scored']}; lower is better)",
        f"not scored        {s['not_scored']}  (anchor in no passage sent)",
        f"fallbacks         {s['fallbacks']}  (extractive answer shown: none of its claims)",
        f"refused           {s['refused_before_model']}  (evidence gate; the model not called)",
        f"answer ms         p50 {s['answer_ms_p50']}  p95 {s['answer_ms_p95']}",
        f"check ms          p50 {s['check_ms_p50']}  p95 {s['check_ms_p95']}"
        f"  (claims per answer, median {s['claims_per_check']})",
    ]
    if verbose:
        notes = {a.question_id: a for a in result.answers}
        wrong = [c for c in result.claims if c.scored and c.shown != c.faithful]
        if wrong:
            lines += ["", "unfaithful shown / faithful dropped:"]
        for c in wrong:
            what = "SHOWN  " if c.shown else "DROPPED"
            a = notes[c.question_id]
            lines.append(f"  {what} {c.id} [{c.kind}] {c.text.replace(' {n}', '')}")
            lines.append(f"          cited passage {c.passage}; mode {a.mode}; note: {a.note}")
            for q in c.quotes:
                lines.append(f"          quote: {' '.join(q.split())}")
        unscored = [c for c in result.claims if not c.scored]
        for c in unscored:
            lines.append(f"  NOT SCORED {c.id} [{c.kind}] anchor in no passage sent")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("files", nargs="*", type=Path, help="claims files (default: dev and holdout)")
    ap.add_argument("--json", action="store_true", help="one JSON object on standard output")
    ap.add_argument(
        "--data",
        type=Path,
        help="an index to use (built there if it holds none; default: a temporary one)",
    )
    ap.add_argument("--sources", type=Path, default=ROOT / "sources")
    ap.add_argument("-v", "--verbose", action="store_true", help="list the claims judged wrong")
    ap.add_argument(
        "--verifier",
        choices=("none", "oracle", "unclear"),
        default="none",
        help="LLM_VERIFY=model with a scripted second opinion: always right (oracle: the "
        "most it can add) or always unclear (default: none, LLM_VERIFY off)",
    )
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)

    files = []
    for f in args.files or DEFAULTS:
        if f.exists():
            files.append(f)
        else:
            print(f"skipped {f}: no such file", file=sys.stderr)
    if not files:
        print("no claims file to play", file=sys.stderr)
        return 2

    out: dict[str, Any] = {"command": command(), "machine": machine(), "files": {}}
    with ClaimsPlayer(args.data, args.sources, verifier=args.verifier) as player:
        where = "a temporary folder" if args.data is None else str(args.data)
        out["index"] = f"{'built in' if player.built else 'reused from'} {where}"
        for f in files:
            result = player.play_file(f)
            out["files"][str(f)] = result.to_json() if args.json else result
    if args.json:
        print(json.dumps(out, indent=2, ensure_ascii=False))
        return 0
    for f, result in out["files"].items():
        print(text_report(f, result, args.verbose))
        print()
    print(f"command: {out['command']}")
    print(f"index:   {out['index']}")
    print("machine: " + json.dumps(out["machine"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
