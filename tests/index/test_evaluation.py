"""`index.evaluation`: the metric maths on hand-made cases, the QA file's errors, and the
regression gate — the issue's quality floors on the dev set and honest floors on the
holdout set, both over the seed articles."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from index.errors import UsageError
from index.evaluation import (
    EvalReport,
    QAItem,
    QuestionResult,
    citation_correct,
    contains_gold,
    first_rank,
    load_qa,
    percentiles,
    run_eval,
    summarise,
)
from index.service import KnowledgeBase
from tests.conftest import DEV_QA, HOLDOUT_QA, ROOT, SHARED

GOLD = ("Unison, the biggest NHS union",)


def item(qid: str = "q", answerable: bool = True, keywords: tuple[str, ...] = ()) -> QAItem:
    return QAItem(
        qid, "Which union is the biggest?", answerable, GOLD if answerable else (), keywords
    )


# -- metric maths -------------------------------------------------------------------------


def test_gold_matching_ignores_whitespace_case_and_curly_quotes() -> None:
    assert contains_gold("... of  UNISON,\nthe biggest NHS union, pitted", GOLD)
    assert contains_gold("put the “soul” back in Labour", ['put the "soul" back'])
    assert not contains_gold("Unison, the biggest union", GOLD)  # words missing: no match


def test_first_rank_is_one_based_and_limited_to_k() -> None:
    texts = ["nothing", "also nothing", "Unison, the biggest NHS union"]
    assert first_rank(texts, GOLD) == 3
    assert first_rank(texts, GOLD, k=2) is None
    assert first_rank([], GOLD) is None


def test_hit_at_k_and_mrr_on_hand_made_ranks() -> None:
    results = [QuestionResult(item(str(i)), rank=r) for i, r in enumerate([1, 2, 6, None])]
    m = summarise(results)
    assert m["hit@1"] == pytest.approx(1 / 4)
    assert m["hit@5"] == pytest.approx(2 / 4)
    assert m["mrr@10"] == pytest.approx((1 + 1 / 2 + 1 / 6 + 0) / 4)


def test_citation_precision_pools_quotes_of_answered_answerable_questions() -> None:
    good = "Dave Prentis, general secretary of Unison, the biggest NHS union, spoke."
    fragment = "the biggest NHS union"  # inside the gold quote: counts as correct
    results = [
        QuestionResult(item("a"), rank=1, quotes=[good, "An unrelated sentence."]),
        QuestionResult(item("b"), rank=1, quotes=[fragment]),
        # refused: its quotes (none) don't count, nor does the unanswerable one's
        QuestionResult(item("c"), rank=1, refused=True),
        QuestionResult(item("u", answerable=False), quotes=["An unrelated sentence."]),
    ]
    assert summarise(results)["citation_precision"] == pytest.approx(2 / 3)
    assert citation_correct(good, GOLD) and citation_correct(fragment, GOLD)
    assert not citation_correct("", GOLD)
    assert summarise([QuestionResult(item(), refused=True)])["citation_precision"] is None


def test_keyword_recall_counts_refusals_as_missing_every_keyword() -> None:
    results = [
        QuestionResult(item("a", keywords=("Unison", "Prentis")), answer="unison said so"),
        QuestionResult(item("b", keywords=("Brighton",)), refused=True, answer="Brighton?"),
    ]
    assert summarise(results)["keyword_recall"] == pytest.approx(1 / 3)


def test_refusal_accuracy_and_false_refusals_are_separate() -> None:
    results = [
        QuestionResult(item("u1", answerable=False), refused=True),
        QuestionResult(item("u2", answerable=False), refused=False),
        QuestionResult(item("u3", answerable=False), refused=True),
        QuestionResult(item("a1"), rank=1, refused=True),
        QuestionResult(item("a2"), rank=1),
    ]
    m = summarise(results)
    assert m["refusal_accuracy"] == pytest.approx(2 / 3)
    assert m["false_refusal_rate"] == pytest.approx(1 / 2)
    assert m["answered_rate"] == pytest.approx(1 / 2)
    assert summarise([QuestionResult(item())])["refusal_accuracy"] is None


def test_percentiles_and_report_text() -> None:
    assert percentiles([10.0, 20.0, 30.0, 40.0, 1000.0]) == {
        "p50": 30.0,
        "p95": 808.0,
        "max": 1000.0,
    }
    assert percentiles([]) == {}
    report = EvalReport.of(
        [
            QuestionResult(
                item("a1"),
                rank=7,
                quotes=["nope"],
                answer="x",
                timings_ms={"total": 5.0, "retrieve": 3.0, "answer": 2.0},
            ),
            QuestionResult(
                item("u1", answerable=False),
                refused=False,
                answer="y",
                timings_ms={"total": 7.0, "retrieve": 4.0, "answer": 3.0},
            ),
        ]
    )
    text = report.to_text()
    assert "hit@5" in text and "p95" in text
    assert "a1: gold at rank 7" in text and "u1: answered an unanswerable question" in text
    data = report.to_json()
    json.dumps(data)
    assert data["metrics"]["hit@5"] == 0.0 and data["latency_ms"]["total"]["max"] == 7.0
    assert data["results"][0]["rank"] == 7 and data["results"][0]["ok"] is False


# -- the QA file --------------------------------------------------------------------------


def test_load_qa_reads_the_dev_set() -> None:
    questions = load_qa(DEV_QA)
    assert len(questions) == 25
    assert sum(q.answerable for q in questions) == 20
    first = questions[0]
    assert first.id == "d01" and first.gold_quotes and first.keywords


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ('{"question": "ok?", "answerable": false}\nnot json\n', "line 2: not valid JSON"),
        ('{"question": "", "answerable": false}\n', "line 1: 'question' must be"),
        ('{"question": "q?", "answerable": "yes"}\n', "line 1: 'answerable' must be true"),
        ('{"question": "q?", "answerable": true}\n', "line 1: an answerable question needs"),
        ('{"question": "q?", "answerable": true, "gold_quotes": "x"}\n', "'gold_quotes' must"),
        ("[1, 2]\n", "line 1: expected a JSON object"),
        (
            '{"id": "a", "question": "q?", "answerable": false}\n'
            '{"id": "a", "question": "r?", "answerable": false}\n',
            "line 2: duplicate id 'a'",
        ),
        ("\n\n", "holds no questions"),
    ],
)
def test_load_qa_names_the_bad_line(tmp_path: Path, content: str, expected: str) -> None:
    path = tmp_path / "qa.jsonl"
    path.write_text(content)
    with pytest.raises(UsageError) as caught:
        load_qa(path)
    message = str(caught.value)
    assert expected in message and "\n" not in message


def test_load_qa_missing_or_unreadable_file(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="does not exist"):
        load_qa(tmp_path / "nope.jsonl")
    binary = tmp_path / "binary.jsonl"
    binary.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(UsageError, match="can't read"):
        load_qa(binary)


# -- the regression gate ------------------------------------------------------------------
# Issue 10's floors on the seed index. Those the answerer meets are gates; those it doesn't
# yet are strict xfails carrying the figure measured, so the suite says when one is met.
# The held-out sets (tests/data/holdout_*.jsonl, written before tuning and never tuned on)
# are gated at what they measured when these gates were written, less a margin.

PARA = SHARED / "dev_para.jsonl"
BROAD = SHARED / "dev_broad.jsonl"
HOLDOUT = {
    name: ROOT / "tests" / "data" / f"holdout_{name}.jsonl"
    for name in ("para", "broad", "unanswerable")
}


@pytest.fixture(scope="module")
def reports(seed_kb: KnowledgeBase) -> dict[str, EvalReport]:
    files = {"dev_qa": DEV_QA, "dev_para": PARA, "dev_broad": BROAD, "holdout_qa": HOLDOUT_QA}
    files.update({f"holdout_{k}": v for k, v in HOLDOUT.items()})
    return {name: run_eval(seed_kb, load_qa(path), name) for name, path in files.items()}


@pytest.fixture(scope="module")
def dev_report(reports: dict[str, EvalReport]) -> EvalReport:
    return reports["dev_qa"]


def _value(report: EvalReport, metric: str) -> float:
    value = report.broad.get(metric) if metric in report.broad else report.metrics.get(metric)
    assert value is not None, (metric, report.to_text())
    return value


def _unmet(measured: str) -> pytest.MarkDecorator:
    """Expected to fail on the floor's own assertion only: an exception of any other kind
    (a broken pipeline) fails the test instead of passing as the expected failure."""
    return pytest.mark.xfail(
        strict=True, raises=AssertionError, reason=f"issue 10 floor not met yet: {measured}"
    )


@pytest.mark.parametrize(
    ("name", "metric", "floor", "at_least"),
    [
        ("dev_qa", "hit@5", 1.0, True),
        ("dev_qa", "refusal_accuracy", 0.80, True),
        ("dev_qa", "citation_precision", 0.90, True),  # 0.90 (18 of 20) since stop 33
        ("dev_para", "false_refusal_rate", 0.05, False),
        pytest.param("dev_para", "answered_citing_gold", 0.90, True, marks=_unmet("0.63")),
        pytest.param("dev_broad", "coverage", 0.85, True, marks=_unmet("0.61")),
        ("dev_broad", "refused", 0.0, False),
        pytest.param("holdout_para", "answered_citing_gold", 0.90, True, marks=_unmet("0.65")),
        pytest.param("holdout_para", "false_refusal_rate", 0.05, False, marks=_unmet("0.10")),
        pytest.param("holdout_broad", "coverage", 0.85, True, marks=_unmet("0.46")),
        pytest.param("holdout_broad", "refused", 0.0, False, marks=_unmet("0.05")),
        pytest.param("holdout_unanswerable", "refusal_accuracy", 0.80, True, marks=_unmet("0.50")),
    ],
)
def test_issue_10_floor(
    reports: dict[str, EvalReport], name: str, metric: str, floor: float, at_least: bool
) -> None:
    value = _value(reports[name], metric)
    detail = reports[name].to_text()
    assert value >= floor if at_least else value <= floor, detail


@pytest.mark.parametrize(
    ("name", "metric", "floor", "at_least"),
    [
        # measured when written: dev 0.69 / 0.90 / 0.90 / 0.63 / 0.44; held-out 0.58 / 0.21
        # / 0.38 / 0.15 / 0.56, holdout_qa 0.93 citing gold and 5/8 refused; since what is
        # asked is read from the question's own pass: held-out 0.65 / 0.10 / 0.40 / 0.05 / 0.50;
        # since broad quotes lost the bonus for a new document or speaker: broad coverage dev
        # 0.61, held-out 0.44; since they are widened as a fact's quote is: held-out 0.49;
        # since questions typed without capitals get them back: held-out 0.46; since how one
        # speaker put something is one quote (stop 33): dev precision 0.90
        ("dev_qa", "citation_precision", 0.65, True),
        ("dev_qa", "answered_citing_gold", 0.90, True),
        ("dev_qa", "mrr@10", 0.80, True),
        ("dev_para", "answered_citing_gold", 0.50, True),
        ("dev_broad", "coverage", 0.55, True),
        ("holdout_para", "answered_citing_gold", 0.50, True),
        ("holdout_para", "hit@5", 0.90, True),
        ("holdout_para", "false_refusal_rate", 0.20, False),
        ("holdout_broad", "coverage", 0.40, True),
        ("holdout_broad", "refused", 0.15, False),
        ("holdout_unanswerable", "refusal_accuracy", 0.45, True),
        ("holdout_qa", "answered_citing_gold", 0.85, True),
        ("holdout_qa", "refusal_accuracy", 0.50, True),
    ],
)
def test_quality_does_not_regress(
    reports: dict[str, EvalReport], name: str, metric: str, floor: float, at_least: bool
) -> None:
    value = _value(reports[name], metric)
    detail = reports[name].to_text()
    assert value >= floor if at_least else value <= floor, detail


def test_broad_answers_cite_several_documents_or_speakers(
    reports: dict[str, EvalReport], seed_kb: KnowledgeBase
) -> None:
    """A broad answer is 2–5 quotes, not one sentence: counted on the dev broad set."""
    for item in load_qa(BROAD):
        answer = seed_kb.answer_sync(item.question)
        assert answer.shape == "broad" or item.id == "db6", item.question
        if answer.shape == "broad":
            assert 2 <= len(answer.citations) <= 5, answer.answer


def test_eval_latency_is_reported_per_stage(dev_report: EvalReport) -> None:
    lat = dev_report.latency_ms
    assert set(lat) == {"total", "retrieve", "answer", "search"}
    assert all(0 < p["p50"] <= p["p95"] <= p["max"] for p in lat.values())
