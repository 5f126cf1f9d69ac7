"""The question reader (index/search/asking.py) against the labelled question files: what each
question asks for and the shape of its answer."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from index.search.asking import ASKS, SHAPE_OF, read

DATA = Path(__file__).resolve().parents[1] / "data"


def _labelled(name: str) -> list[dict[str, str]]:
    lines = (DATA / name).read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def _accuracy(rows: list[dict[str, str]], field: str) -> float:
    got = [read(r["question"]).kind if field == "asks" else read(r["question"]).shape for r in rows]
    return sum(g == r[field] for g, r in zip(got, rows, strict=True)) / len(rows)


def test_the_labelled_files_use_the_readers_kinds_and_shapes() -> None:
    for row in [
        *_labelled("shapes_tuning.jsonl"),
        *_labelled("shapes_tuning2.jsonl"),
        *_labelled("shapes_tuning3.jsonl"),
        *_labelled("shapes_tuning4.jsonl"),
        *_labelled("shapes_tuning5.jsonl"),
        *_labelled("shapes_holdout.jsonl"),
        *_labelled("shapes_second_reader.jsonl"),
        *_labelled("shapes_third_reader.jsonl"),
    ]:
        assert row["asks"] in ASKS, row
        assert row["shape"] in set(SHAPE_OF.values()), row


def test_the_reader_reads_its_tuning_questions() -> None:
    """A regression guard: the cue table was written reading these (0.979 / 0.887 read)."""
    rows = _labelled("shapes_tuning.jsonl")
    assert _accuracy(rows, "asks") >= 0.95
    assert _accuracy(rows, "shape") >= 0.85
    # written before the one-voice cue, on one speaker's words and reasons (0.75 read)
    rows = _labelled("shapes_tuning2.jsonl")
    assert _accuracy(rows, "shape") >= 0.70
    # written (stop 34) in the ways people type in chat, before the cues for lead-ins
    # ("remind me when …", "according to Hewitt how long …") were added: 0.683 / 0.792 read
    # before them, 0.858 / 0.833 after
    rows = _labelled("shapes_tuning3.jsonl")
    assert _accuracy(rows, "asks") >= 0.83
    assert _accuracy(rows, "shape") >= 0.80
    # written after them, formal, chat and embedded ("… came out when?"), read once as a
    # check (0.710 / 0.710), then tuned on: 0.860 / 0.720
    rows = _labelled("shapes_tuning4.jsonl")
    assert _accuracy(rows, "asks") >= 0.85
    assert _accuracy(rows, "shape") >= 0.70
    # written (stop 35) with context before the ask ("… . Which EDM number is it?"), read
    # once as a check (0.708 / 0.775), then tuned on: 0.817 / 0.792
    rows = _labelled("shapes_tuning5.jsonl")
    assert _accuracy(rows, "asks") >= 0.80
    assert _accuracy(rows, "shape") >= 0.77


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("remind me when the warwick agreement with the unions was", "time"),
        ("according to hewitt how long do ppl wait for an mri on the nhs", "number"),
        ("According to the Green Party leader, when did the marketisation start?", "time"),
        ("by when is oxford radcliffe expecting the first job losses", "time"),
        ("any idea why the labour left is acting so bullish", "cause"),
        ("remind me who dave prentis is", "person"),
        ("what was the upshot of the health debate at brighton", "summary"),
        ("how are the unions responding to the foundation hospital plans", "reaction"),
        ("what case did hewitt make for the private sector", "arguments"),
        ("can someone explain what the right to provide is", "fact"),
        ("whats the nhs annual budget these days", "number"),
        ("the manifesto that signalled the new private contracts came out when?", "time"),
        ("hewitt reckons most of the trust deficits are where", "place"),
        ("richard angell is who exactly", "person"),
        ("the deficit the managers were ordered to reduce was how large?", "number"),
        ("walker says members need to care about party structures because?", "cause"),
        ("not sure when the marketisation of the nhs started, does bennett say?", "time"),
        ("quick q: who chairs the nhs alliance", "person"),
        ("got any numbers on nhs job losses in oxfordshire?", "number"),
        ("tell me abt the quiet civil war in labour", "summary"),
        # the ask after its context, past a full stop or a dash
        ("The article asks readers to email their MP. Which EDM number is it?", "number"),
        ("the co-op conference on the same day as lansley's - where was it held?", "place"),
        ("The trust has balanced its books, so why is it cutting posts?", "cause"),
        ("i get that she hates the regs but why would the damage be impossible to undo", "cause"),
        ("so basically why does bennett think the regulations are a disaster", "cause"),
    ],
)
def test_what_comes_before_the_wh_word_does_not_hide_it(question: str, kind: str) -> None:
    assert read(question).kind == kind


@pytest.mark.parametrize(
    "question",
    [
        "according to " * 77 + "who?",  # each "according to X" may swallow the next
        "per " * 250,
        "so quick q not sure tell me " * 35 + "when",
    ],
)
def test_a_question_made_of_lead_ins_is_read_at_once(question: str) -> None:
    """A run of lead-ins a member could paste (up to the 1,000 characters a question may
    have): with their repetition unbounded, 25 "according to"s took 9 ms and each five
    more four times as long, so a question like these never finished."""
    start = time.perf_counter()
    read(question[:1000])
    assert time.perf_counter() - start < 0.5


@pytest.mark.xfail(
    strict=True,
    raises=AssertionError,
    reason="issue 24's floor: shape ≥ 0.95 on the held-out questions (0.831 read; a second "
    "careful reader agrees with their shape labels on 0.923, a third on 0.877, "
    "bench/tuning/label_agreement.py)",
)
def test_the_reader_meets_the_floor_on_held_out_questions() -> None:
    assert _accuracy(_labelled("shapes_holdout.jsonl"), "shape") >= 0.95


def test_held_out_questions_are_read_better_than_by_precedence() -> None:
    """The old regex reader read 0.785 of the held-out shapes right."""
    assert _accuracy(_labelled("shapes_holdout.jsonl"), "shape") > 0.785


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("How many staff could lose their jobs?", "number"),
        ("When is the Commons vote?", "time"),
        ("Who chairs the NHS Alliance?", "person"),
        ("Where did the unions defeat Hewitt?", "place"),
        ("Where does Dave Prentis stand on private sector involvement?", "position"),
        ("Why do unions oppose foundation hospitals?", "cause"),
        ("What are the pros and cons of co-ops in the NHS?", "arguments"),
        ("Compare Hewitt and Prentis on the private sector", "comparison"),
        ("How did Labour MPs react to foundation hospitals?", "reaction"),
        ("tldr on the right to provide", "summary"),
        ("Which retailer's model is the staff-run scheme compared to?", "fact"),
        ("What is the Right to Provide scheme?", "fact"),
        # concerns, risks, critics: the arguments against, over a bare "what are the"
        ("What are the risks of co-ops running NHS services?", "arguments"),
        ("What do critics of Momentum say about it?", "arguments"),
        # a body asked by "which": who, not a thing
        ("Which union co-authored the Oxfordshire motion?", "person"),
        ("Which organisation is Ed Mayo the Secretary General of?", "person"),
        ("whats the SI number on hunts nhs procurement regs", "number"),
        ("How did the party mainstream greet the wave of new members?", "reaction"),
        ("what's this 'quiet civil war' in labour actually about", "summary"),
        ("can you give me the big picture of the fights over private providers", "summary"),
        ("dixon reckons primary care is good at co-operation - what's his evidence", "arguments"),
    ],
)
def test_what_a_question_asks_for(question: str, kind: str) -> None:
    assert read(question).kind == kind


@pytest.mark.parametrize(
    ("question", "shape"),
    [
        # how one speaker put something: their words, one quote
        ("How did Dr Michael Dixon describe his view of co-operatives?", "fact"),
        ("how did richard angell characterise momentum's tactics", "fact"),
        ("How did Dave Prentis describe NHS workers?", "fact"),
        # a group's words, or a second question: several voices
        ("How did the unions describe the government's plans at Brighton?", "broad"),
        ("how did people in lewisham describe the fights in their CLPs", "broad"),
        ("How did Jeremy Hunt describe his regulations, and how did the Greens answer?", "broad"),
        # a how-question that isn't about one speaker's words stays broad
        ("How did Hewitt defend the use of the private sector?", "broad"),
    ],
)
def test_how_one_speaker_put_it_is_one_quote(question: str, shape: str) -> None:
    assert read(question).shape == shape
