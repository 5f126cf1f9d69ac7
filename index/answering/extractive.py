"""The embedded default answerer: no LLM. Every word it shows is a verbatim quote of the
sources or a fixed frame naming who says it ("Dave Prentis, general secretary of Unison,
argued:" for their own words, "As reported of Dave Prentis, …:" for the writer's report of
them); it never writes a claim of its own.

- A question about one fact gets the sentence that answers it best (widened to a
  neighbouring sentence that completes it), and a second quote only when another place
  answers as well (it names a thing of the kind asked: "Which minister said …").
- A broad question (arguments, positions, what happened, why …) gets 2–5 quotes chosen by
  relevance minus similarity to what is quoted already (another side comes in by saying
  something else), each introduced by its speaker where the text names one, grouped by
  speaker.
- The service decides whether to answer at all (index.search.gate.judge); this answerer only
  composes, and lays out the refusal (the nearest passages) when the service refuses."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

import numpy as np

from index.answering.framing import by_holder, compose_broad, framed
from index.answering.identity import describes, identity_asked
from index.answering.types import (
    Answer,
    Citation,
    Condensed,
    Gathered,
    Turn,
    quote_span,
)
from index.documents import Hit
from index.search.answer_types import asks_for_one
from index.search.evidence import Evidence, must_hold_answer
from index.search.question import Question
from index.search.retrieval import Generation
from index.store.sentences import name_word, speaker_name
from index.text import OPENING_MARKS, QUOTATION_MARKS, quotation_open

# A neighbouring sentence joins the quote when it scores this share of the best sentence.
WIDEN = 0.85
MAX_SENTENCES = 2  # in one quote
# A second place is quoted for a fact question only when it scores this share of the best
# and names a thing of the kind asked (_fact): one that answers as well, not a partial
# restatement (bench/tuning/fact_quotes.py; the measurement and why 0.97
# stays: docs/answering.md).
EQUAL = 0.97
# Asked for one thing by a singular noun ("Which union co-authored …"), the sentence naming
# one ("… co-authored by public service union Unison") is the answer before a better-scoring
# one that names none; not for a plural ("Which votes did the government lose …": several).
# `bench/tuning/type_names.py`: 0.5 changes nothing, 1.0 and 2.0 the same (any named
# candidate first); without the singular test it loses a dev broad question read as a fact.
PREFER_NAMED = 1.0
# Broad answers: sentences scoring at least BROAD_FLOOR of the best are candidates, chosen
# by maximal marginal relevance (see _broad). A grid on the 32 broad tuning questions
# (dev_broad, bench/tuning/broad_own and broad2_own; docs/answering.md): floor 0.3–0.5,
# redundancy 0–0.45, voiced 0–0.2, a bonus of 0–0.3 for a document or a speaker not yet
# quoted; these values at the top (coverage 0.414). The bonuses only cost coverage (0.349
# with 0.1 each; full corpus 0.315 against 0.344): here a debate is mostly reported in one
# article, and a new document or speaker is more often off the question than another side.
BROAD_FLOOR = 0.4
MAX_BROAD = 5
REDUNDANCY = 0.3
VOICED = 0.1
NEAREST = 3


def citation(n: int, run: list[Evidence]) -> Citation:
    """A citation quoting consecutive sentences of one passage, verbatim, with who says it:
    its speaker as the run names them most fully, when every sentence is theirs (by
    surname: "Flather" is "Mr Flather"), goes on quoting (within quotation marks) or names
    them ("Ms Hewitt quoted from …"). A sentence
    of the writer's own beside a quotation ("“If Momentum tried …” Though the people at
    the helm …") leaves it unattributed."""
    hit: Hit = run[0].hit
    # the speaker as the run names them most fully ("Mr Flather" over "Flather")
    who = max((ev.speaker for ev in run if ev.speaker), key=lambda w: len(w[0]), default=None)
    if who:
        name = name_word(who[0])
        if not all(
            (ev.speaker is not None and name_word(ev.speaker[0]) == name)
            or (ev.speaker is None and any(m in ev.text for m in (*QUOTATION_MARKS, name)))
            for ev in run
        ):
            who = None
    a, b = quote_span(hit.text, run[0].start - hit.start, run[-1].end - hit.start)
    start, end = hit.start + a, hit.start + b
    return Citation(
        n=n,
        title=hit.title,
        source=hit.source,
        path=hit.doc_id,
        quote=hit.text[start - hit.start : end - hit.start],
        score=max(ev.score for ev in run),
        start=start,
        end=end,
        passage=hit.text,
        page=hit.page_at(start),
        speaker=speaker_name(who),
        verb=who[1] if who else "",
        quoted=_in_quotation(hit.text, start - hit.start),
    )


def _in_quotation(passage: str, at: int) -> bool:
    """Does `at` lie inside a quotation the passage opens before it (in the same paragraph,
    or one going on with it) and that doesn't end unclosed at a paragraph's end?"""
    if not quotation_open(passage[: at + 1])[0]:  # its first character: a line start ends it
        return False
    for n, line in enumerate(passage[at:].split("\n")):
        if n and line.strip() and line.lstrip()[:1] not in OPENING_MARKS:
            return False  # a paragraph that doesn't go on with it: it was left unclosed
        if quotation_open(line, True)[1] is not None:
            return True  # it closes
    return True  # the passage ends inside it


class ExtractiveAnswerer:
    """Quotes the answering sentences; `refusal` is the wording shown when it declines."""

    mode = "extractive"

    def __init__(self, refusal: str) -> None:
        self.refusal = refusal

    def condense(self, question: str, history: Sequence[Turn]) -> Condensed:
        """Without a model a follow-up isn't rewritten: the previous question joins the
        retrieval query and its words count, at half weight, as context."""
        return Condensed(None)

    def run(
        self,
        asked: str,
        question: Question,
        gathered: Gathered,
        live: Generation,
        history: tuple[Turn, ...] = (),
        condensed: Condensed | None = None,
        stream: bool = False,
    ) -> Iterator[Answer]:
        answer = self.answer(question, gathered)
        answer.question = asked
        yield answer

    def answer(self, question: Question, gathered: Gathered) -> Answer:
        """Quote the evidence (the service has judged that it covers the question)."""
        relevant = gathered.relevant
        runs = _broad(relevant, question) if question.broad else _fact(relevant, question)
        citations = [citation(i + 1, run) for i, run in enumerate(runs)]
        if question.broad:
            groups = by_holder(citations)
            citations = [c for group in groups for c in group]
            text = compose_broad(groups)
        else:
            text = " ".join(framed([c]) for c in citations)
        return Answer(
            question=question.text,
            answer=text,
            refused=False,
            citations=citations,
            shape=question.shape.value,
        )

    def refuse(self, question: str, evidence: list[Evidence], reason: str | None = None) -> Answer:
        """Say plainly the sources don't cover it, and show the nearest passages. `reason`:
        the judge's, kept on the Answer (not shown to the asker)."""
        nearest: list[Evidence] = []
        for ev in evidence:
            if all(ev.hit.chunk_id != e.hit.chunk_id for e in nearest):
                nearest.append(ev)
            if len(nearest) == NEAREST:
                break
        citations = [citation(i + 1, [ev]) for i, ev in enumerate(nearest)]
        return Answer(
            question=question,
            answer=self.refusal,
            refused=True,
            citations=citations,
            reason=reason,
        )


def fact_candidates(evidence: list[Evidence], question: Question) -> list[Evidence]:
    """The sentences a fact question may be answered from, best first: those holding a
    number, year or time when one is asked for, and the asked speaker's own when the
    question asks what someone said (all of them when none qualifies)."""
    if must_hold_answer(question.text):
        typed = [ev for ev in evidence if ev.typed]
        evidence = typed or evidence
    # "What did Prentis argue?": his words, where the text has them, or the writer's
    # sentences no one is attributed (the index misses some reports of him: "Ed Mayo has
    # given …, but says …"), never another speaker's: qa_own citing gold 0.904 -> 0.923,
    # precision 0.783 -> 0.800, every other tuning, dev and held-out figure unchanged.
    # Not a group's: its words are often reported with no one attributed ("The unions
    # fear …"), so they only weigh.
    if question.speaker:
        theirs = [ev for ev in evidence if ev.asked_speaker or ev.speaker is None]
        evidence = theirs or evidence
    return evidence


def _fact(evidence: list[Evidence], question: Question) -> list[list[Evidence]]:
    """The best sentence that holds the kind of thing asked for when that is a number, a
    year or a time ("how many", "what year", "when was"), or — asked for one thing by its
    noun — names one (PREFER_NAMED), widened; a second place only when
    it answers as well: it scores nearly as high (EQUAL) and names a thing of the kind the
    question asks for by its noun ("Which minister said …": "Housing minister Raj Patel
    said …"; Evidence.named), not another sentence on the topic."""
    evidence = fact_candidates(evidence, question)
    prefer = PREFER_NAMED if asks_for_one(question.text) else 0.0
    # "Who is Hewitt?", "What position does Richard Angell hold?": a sentence giving the
    # person with their role first, as one naming the thing asked for is (PREFER_NAMED)
    person = identity_asked(question.text)

    def value(ev: Evidence) -> float:
        named = prefer if ev.named else 0.0
        return ev.score + named + (PREFER_NAMED if person and describes(person, ev.text) else 0.0)

    best = max(evidence, key=value)
    runs = [_widen(best, evidence)]
    for ev in evidence:
        if ev.score < EQUAL * best.score:
            break
        if ev is not best and ev.named and not _taken(ev, runs) and not _near(ev, runs[0]):
            runs.append(_widen(ev, evidence, runs))
            break
    return runs


def _broad(evidence: list[Evidence], question: Question | None = None) -> list[list[Evidence]]:
    """Up to MAX_BROAD quotes by maximal marginal relevance: relevance (score,
    plus VOICED for a sentence someone says — a speaker or quotation marks — since views and
    arguments are voiced, relative to the best) minus REDUNDANCY × the cosine with the most
    similar sentence already quoted: another side or speaker comes in by saying something
    else. Ordered as chosen (most relevant first); each quote is then widened as a fact's.

    A question about what someone said ("What did Hewitt say about …") takes that person's
    own sentences first, as a fact question does, and fills the answer's other places from
    the rest (what others report of them, the other side).
    """

    def relevance(ev: Evidence) -> float:
        voiced = ev.speaker is not None or any(q in ev.text for q in QUOTATION_MARKS)
        return ev.score + (VOICED if voiced else 0.0)

    ranked = sorted(evidence, key=relevance, reverse=True)
    pool = [ev for ev in ranked if relevance(ev) >= BROAD_FLOOR * relevance(ranked[0])]
    theirs: list[Evidence] = []
    if question is not None and question.asks_whose_words:
        theirs = [ev for ev in ranked if ev.asked_speaker]
    own = {id(ev) for ev in theirs}
    if theirs:
        top = relevance(theirs[0])
        first = [ev for ev in theirs if relevance(ev) >= BROAD_FLOOR * top]
        pool = first + [ev for ev in pool if id(ev) not in own]
    if question is not None and question.speaker:
        # One person's (or party's) words asked: theirs, and what the writer says of them.
        # Others' sentences filled the places left ("Why does Ed Mayo say …" took Michael
        # Dixon's praise of co-ops; "what do the Tories think …" the unions' fears): qa_own
        # precision 0.758 -> 0.783, broad_own quotes on a side 0.338 -> 0.353, coverage
        # and every dev and held-out figure unchanged. Not for a group by its noun ("the
        # unions"): its members' words are theirs by how the library describes them, and
        # the sentences naming the noun lose sides (group_own coverage 0.667 -> 0.562).
        named = re.compile(rf"\b{re.escape(name_word(question.speaker))}\b", re.I)
        about = [ev for ev in pool if id(ev) in own or named.search(ev.text)]
        pool = about or pool
    best = pool[0]
    top = relevance(best)
    runs = [[best]]  # chosen a sentence at a time: each says one thing, by one speaker
    while len(runs) < MAX_BROAD:
        taken = [ev for run in runs for ev in run]
        vectors = np.stack([ev.vector for ev in taken])
        picked, picked_value = None, (False, -np.inf)
        for ev in pool:
            if _taken(ev, runs) or _goes_on(ev, runs):
                continue
            value = (  # the speaker's own sentences before anyone else's
                id(ev) in own,
                relevance(ev) / top - REDUNDANCY * float(np.max(vectors @ ev.vector)),
            )
            if value > picked_value:
                picked, picked_value = ev, value
        if picked is None:
            break
        runs.append([picked])
    # Each quote with its neighbour when that scores nearly as well, as a fact's quote is
    # (WIDEN), unless the neighbour is quoted already.
    widened: list[list[Evidence]] = []
    for i, run in enumerate(runs):
        widened.append(_widen(run[0], evidence, widened + runs[i + 1 :]))
    return widened


def _widen(
    ev: Evidence, evidence: list[Evidence], taken: Sequence[list[Evidence]] = ()
) -> list[Evidence]:
    """The sentence, with the sentence before or after it in its passage when that one
    scores nearly as well (an answer often spans two sentences)."""
    run = [ev]
    for other in evidence:
        if len(run) == MAX_SENTENCES or other.score < WIDEN * ev.score:
            break
        if (
            other.hit.chunk_id == ev.hit.chunk_id
            and abs(other.pos - ev.pos) == 1
            and _nothing_between(ev, other)
            and not _taken(other, taken)
        ):
            run.append(other)
    return sorted(run, key=lambda e: e.start)


def _nothing_between(a: Evidence, b: Evidence) -> bool:
    """Only blank space between two neighbouring sentences of a passage: a heading or a
    table between them (never a sentence itself) is not quoted as part of one."""
    first, second = sorted((a, b), key=lambda e: e.start)
    hit = first.hit
    return not hit.text[first.end - hit.start : second.start - hit.start].strip()


def _taken(ev: Evidence, runs: Sequence[list[Evidence]]) -> bool:
    return any(_overlaps(ev, t) for run in runs for t in run)


def _goes_on(ev: Evidence, runs: Sequence[list[Evidence]]) -> bool:
    """Does the sentence go on from one already quoted, in the same speaker's words (the
    next sentence of their quotation)? It would take a second place for one quotation."""
    who = speaker_name(ev.speaker)
    return who is not None and any(
        speaker_name(t.speaker) == who and _near(ev, [t]) for run in runs for t in run
    )


def _near(ev: Evidence, run: list[Evidence]) -> bool:
    """Next to a quote already taken (it would have widened it if it belonged there)."""
    return any(
        ev.hit.doc_id == t.hit.doc_id and (abs(ev.start - t.end) <= 2 or abs(t.start - ev.end) <= 2)
        for t in run
    )


def _overlaps(a: Evidence, b: Evidence) -> bool:
    return a.hit.doc_id == b.hit.doc_id and a.start < b.end and b.start < a.end
