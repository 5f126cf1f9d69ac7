"""`policybot eval QA.jsonl [--json]`, run as a user runs it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import DEV_QA, SEED_SOURCES


def run(workdir: Path, *args: str) -> subprocess.CompletedProcess:
    outside = ("CHROMA_", "LLM_", "POLICYBOT_")
    env = {k: v for k, v in os.environ.items() if not k.startswith(outside)}
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "policybot",
            "--sources",
            str(workdir / "sources"),
            "--data",
            str(workdir / "data"),
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("cli-eval")
    shutil.copytree(SEED_SOURCES, root / "sources")
    return root


def test_eval_json_reports_the_metrics(workdir: Path) -> None:
    done = run(workdir, "eval", "--json", str(DEV_QA))
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["questions"] == 25 and report["answerable"] == 20
    m = report["metrics"]
    for key in (
        "hit@1",
        "hit@5",
        "mrr@10",
        "citation_precision",
        "keyword_recall",
        "refusal_accuracy",
        "false_refusal_rate",
    ):
        assert 0.0 <= m[key] <= 1.0, key
    assert m["hit@5"] >= 0.95
    assert {"p50", "p95", "max"} <= set(report["latency_ms"]["total"])
    assert len(report["results"]) == 25 and report["results"][0]["id"] == "d01"


def test_eval_text_is_a_readable_table(workdir: Path) -> None:
    done = run(workdir, "eval", str(DEV_QA))
    assert done.returncode == 0, done.stderr
    assert "25 questions (20 answerable, 5 unanswerable)" in done.stdout
    assert "hit@5" in done.stdout and "citation_precision" in done.stdout
    assert "p50" in done.stdout


def test_eval_scores_a_broad_file_by_the_sides_its_answers_cite(workdir: Path) -> None:
    done = run(workdir, "eval", "--json", str(DEV_QA.parent / "dev_broad.jsonl"))
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["broad_questions"] == 6 and report["answerable"] == 0
    broad = report["broad"]
    assert set(broad) == {"coverage", "all_sides", "refused", "on_topic_quotes"}
    assert broad["refused"] == 0.0
    # nearly every answer cites at least one side's gold quote (the floors: tests/index)
    assert sum(r["covered"] >= 1 for r in report["results"]) >= 5, report["results"]
    assert all(r["citations"] >= 2 for r in report["results"] if r["question"][:5] != "Which")
    assert report["modes"] == {"extractive": 6} and report["fallbacks"] == {}


def test_eval_missing_file_is_a_usage_error(workdir: Path, tmp_path: Path) -> None:
    done = run(workdir, "eval", "--json", str(tmp_path / "missing.jsonl"))
    assert done.returncode == 2
    assert done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "missing.jsonl" in lines[0] and "does not exist" in lines[0]


def test_eval_bad_line_names_it(workdir: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text(DEV_QA.read_text().splitlines()[0] + "\n{oops\n")
    done = run(workdir, "eval", str(bad))
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "line 2" in lines[0]


def test_eval_reads_questions_with_undecodable_escapes(workdir: Path, tmp_path: Path) -> None:
    """A JSON question file can hold a lone surrogate escape: the question is asked without
    it (the model's tokenizer rejects one), and the report is still valid UTF-8 JSON."""
    qa = tmp_path / "qa.jsonl"
    qa.write_text(
        '{"question": "Who is the Secretary General of \\ud800Co-operatives UK?",'
        ' "answerable": true, "gold_quotes": ["Ed Mayo"]}\n'
        '{"question": "Which union is \\udcffthe biggest NHS union?",'
        ' "answerable": true, "gold_quotes": ["biggest NHS union"]}\n'
    )
    done = run(workdir, "eval", "--json", str(qa))
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["questions"] == 2 and report["metrics"]["hit@1"] == 1.0
    assert report["results"][1]["question"] == "Which union is \udcffthe biggest NHS union?"
