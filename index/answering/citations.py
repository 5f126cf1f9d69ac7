"""Checking what a language model wrote against the passages it was given.

A model's `[n]` markers are claims about evidence, not evidence. A sentence of the answer
(a claim) keeps the marker of passage n only when passage n supports it (`supports`):

- its meaning or its words: the claim's embedding is close to the passage's best sentence
  (a faithful rewording) or most of its content words (IDF-weighted) are there;
- every number and every name it states is in that sentence or the ones next to it;
- it doesn't flip a negation ("did not oppose" for "opposed").

A sentence left with none of the citations it claimed is not shown, and counted, so the
answer can say so. Each surviving citation quotes the sentence(s) of its passage that
support the claims citing it, verbatim from the source, so a reader sees the evidence
rather than a whole chunk."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from index.answering.model_text import (
    ANY_NUMBER,
    SINGLE,
    Piece,
    answer_body,
    clean_markers,
    needs_source,
    pieces,
    tidy,
    with_marker,
)
from index.answering.types import Citation, quote_span
from index.checking.additions import Embed
from index.checking.claims import MEANING, UNJUDGED, Passage, check
from index.documents import Hit
from index.search.evidence import Evidence, score_sentences
from index.search.question import Question
from index.search.retrieval import Generation
from index.store.sentences import DIM, SentenceBlock, speaker_name
from index.text import split_sentences, terms

MAX_QUOTE_SENTENCES = 3  # a wider span than this is no longer "the sentence that supports it"


NEVER_GIVEN = "it cites a passage never given"


@dataclass(frozen=True)
class Verified:
    text: str
    citations: list[Citation]
    removed: int  # markers dropped: unknown passage, or no support in the passage named
    reasons: tuple[str, ...] = ()  # why each sentence not shown had no passage behind it
    cited: bool = True  # the model's answer had a marker at all

    @property
    def dropped(self) -> int:
        """Sentences not shown: no passage supports them."""
        return len(self.reasons)


@dataclass(frozen=True)
class Support:
    ok: bool
    evidence: list[Evidence]  # the passage's sentences behind the claim, in order
    why: str = ""  # why not, in plain words, for the answer's note
    kind: str = ""  # which check failed (index.checking.claims.Judgement.kind)
    sure: bool = True  # Judgement.sure: no second opinion could overturn it


_NO_VECTOR = np.zeros(DIM, dtype=np.float32)


# Characters before a passage whose speakers a pronoun or quotation in it may stand for
# (the latest of them, for who says it), and whose speakers a claim may name: a quotation
# can run over three paragraphs (Lansley's, ~700 characters, in the seed library).
BEFORE = 600
NAMED_BEFORE = 1500


Before = tuple[tuple[str, ...], tuple[str, ...]]


def _speakers_before(hit: Hit, live: Generation) -> Before:
    """Who the index found saying the sentences before the passage in its document, within
    BEFORE and NAMED_BEFORE characters: "he" or a quotation at the passage's start may be
    theirs."""
    near, far = live.sentences.within_many(
        [
            (hit.doc_id, max(0, hit.start - BEFORE), hit.start),
            (hit.doc_id, max(0, hit.start - NAMED_BEFORE), hit.start),
        ]
    )
    return _names_of(near), _names_of(far)


def _names_of(block: SentenceBlock) -> tuple[str, ...]:
    """The speakers, each once where it last spoke, latest last."""
    latest = dict.fromkeys(reversed([s for s in map(speaker_name, block.speakers) if s]))
    return tuple(reversed(latest))


def supports(
    claim: str,
    vector: np.ndarray | None,
    hit: Hit,
    live: Generation,
    before: Before | None = None,
    embed: Embed | None = None,
) -> Support:
    """Does passage `hit` support `claim` (whose embedding is `vector`)? Judged by
    index.checking.claims over the passage's sentences scored against the claim. Without
    a vector it is judged by words alone, or left `unjudged` (Support.kind) when only its
    meaning can tell."""
    as_question = Question.of(claim, _NO_VECTOR if vector is None else vector)
    ranked = score_sentences(as_question, [hit], live)
    near, far = before if before is not None else _speakers_before(hit, live)
    meta = live.records[hit.chunk_id].meta if hit.chunk_id in live.records else {}
    passage = Passage(
        sentences=ranked,
        context=hit.context,
        stats=live.stats,
        author=str(meta.get("author") or ""),
        described=live.sentences.described,
        meaning=vector is not None,
        before=near,
        named_before=far,
        embed=embed,
    )
    judged = check(claim, passage)
    return Support(judged.supported, list(judged.evidence), judged.reason, judged.kind, judged.sure)


def _reconsider(
    judged: dict[tuple[int, int], Support], by_id: dict[int, Piece], ask: SecondOpinion
) -> None:
    """The verdicts the checker wasn't sure of, put to `ask` in one go; a clear answer
    replaces the checker's, anything else leaves it."""
    unsure = [key for key, s in judged.items() if not s.sure and s.evidence]
    if not unsure:
        return
    pairs = [(by_id[i].claim, " ".join(ev.text for ev in judged[i, n].evidence)) for i, n in unsure]
    for key, verdict in zip(unsure, ask(pairs), strict=True):
        before = judged[key]
        if verdict is True and not before.ok:
            judged[key] = replace(before, ok=True, why="", kind="", sure=True)
        elif verdict is False and before.ok:
            why = "the language model, asked again, found its source doesn't say that"
            judged[key] = replace(before, ok=False, why=why, kind="model", sure=True)


def _sentences(hit: Hit, live: Generation) -> list[tuple[int, int]]:
    """The passage's sentences, as spans relative to it (as the index split them: without
    its headings and tables; re-split from its text for a generation without a table)."""
    block = live.sentences.within(hit.doc_id, hit.start, hit.end)
    if len(block):
        pairs = zip(block.starts, block.ends, strict=True)
        return [(s - hit.start, e - hit.start) for s, e in pairs]
    return [(s.start, s.end) for s in split_sentences(hit.text)]


def _quote(
    hit: Hit, best: list[Evidence], sentences: list[tuple[int, int]]
) -> tuple[int, int, float]:
    """The span (relative to the passage) of the best sentences, joined when they are
    close together with only sentences between them (a heading or a table between two is
    not quoted as part of them), else the single best one."""
    chosen = sorted({(ev.start - hit.start, ev.end - hit.start) for ev in best})
    a, b = chosen[0][0], chosen[-1][1]
    inside = [(s, e) for s, e in sentences if s >= a and e <= b]
    rest, at = [], a
    for s, e in inside:
        rest.append(hit.text[at:s])
        at = e
    rest.append(hit.text[at:b])
    if len(inside) <= MAX_QUOTE_SENTENCES and not "".join(rest).strip():
        return a, b, max(ev.score for ev in best)
    top = max(best, key=lambda ev: ev.score)
    return top.start - hit.start, top.end - hit.start, top.score


# Asks about (claim, source sentences) pairs at once; a verdict each: True (supported),
# False (not), None (no clear answer: the checker's verdict stands).
SecondOpinion = Callable[[list[tuple[str, str]]], list[bool | None]]


def verify(
    text: str,
    passages: Sequence[Hit],
    question: Question,
    live: Generation,
    embed: Any,
    second_opinion: SecondOpinion | None = None,
) -> Verified:
    """Keep the markers whose passage supports their sentence; drop sentences left with no
    support; quote, for each passage cited, the sentence(s) behind what cites it."""
    valid = range(1, len(passages) + 1)
    # Markers normalised to [n] but not yet filtered, so that a sentence whose every
    # citation fails can be told from a sentence that cited nothing.
    parts = pieces(clean_markers(answer_body(text), range(1, ANY_NUMBER)))
    cited_parts = [p for p in parts if p.numbers and p.claim]
    # A sentence that states something without a marker is shown only if a passage says
    # it (and then with that passage's marker): what the model adds unprompted, or was
    # talked into by a source, is checked like the rest.
    known = set(terms(question.text)).union(*(terms(f"{h.title} {h.text}") for h in passages))
    uncited = [p for p in parts if not p.numbers and needs_source(p.claim, known)]
    asked = [(p, n) for p in cited_parts for n in p.numbers if n in valid]
    asked += [(p, n) for p in uncited for n in valid]
    # Most claims reuse their passage's words and are judged by words alone; the others
    # are embedded, all in one pass of the model, and judged by meaning too.
    judged: dict[tuple[int, int], Support] = {}
    ahead = {n: _speakers_before(passages[n - 1], live) for n in {n for _, n in asked}}
    by_id = {id(p): p for p in [*cited_parts, *uncited]}
    for part, n in asked:
        judged[id(part), n] = supports(part.claim, None, passages[n - 1], live, ahead[n], embed)
    # … and so is every sentence that cited nothing: judged against every passage, it must
    # be close in meaning to one, not only share words with it
    alone = {id(p) for p in uncited}
    unsure = [
        (p, n)
        for (i, n), s in judged.items()
        if s.kind == UNJUDGED or i in alone
        for p in [by_id[i]]
    ]
    if unsure:
        claims = list(dict.fromkeys(p.claim for p, _ in unsure))
        vector_of = dict(zip(claims, embed(claims), strict=True))
        for part, n in unsure:
            vector = vector_of[part.claim]
            judged[id(part), n] = supports(
                part.claim, vector, passages[n - 1], live, ahead[n], embed
            )
    if second_opinion is not None:
        _reconsider(judged, by_id, second_opinion)
    removed = 0
    reasons: list[str] = []  # one for each sentence not shown
    for part in uncited:
        backing = sorted((n for n in valid if _says(judged[id(part), n])),
                         key=lambda n: not judged[id(part), n].sure)  # fmt: skip
        if backing:
            part.raw = with_marker(part.raw, backing[0])
        else:
            part.hide()
            reasons.append("it cited no passage, and none of them says it")
    claims_of: dict[int, list[tuple[Piece, list[Evidence]]]] = {}  # passage -> its claims
    for part in parts:
        cited = part.numbers
        why = ""
        for n in cited:
            ok = judged.get((id(part), n))
            if ok is None or not ok.ok:
                removed += part.raw.count(f"[{n}]")
                part.raw = part.raw.replace(f"[{n}]", "")
                why = why or (ok.why if ok is not None else NEVER_GIVEN)
            else:
                claims_of.setdefault(n, []).append((part, list(ok.evidence)))
        if cited and not part.numbers:
            # It claimed support that isn't there: not shown, rather than shown unsourced.
            part.hide()
            reasons.append(why)
    spans = _quoted_spans(claims_of, passages, live)
    cleaned = tidy("".join(p.raw for p in parts))
    citations = []
    for n in sorted({int(x) for x in SINGLE.findall(cleaned)}):
        if n not in spans:  # never judged: the sentence that best answers the question
            hit = passages[n - 1]
            best = score_sentences(question, [hit], live)[:1]
            spans[n] = (n, _quote(hit, best, _sentences(hit, live)) if best else _whole(hit))
        n_passage, (a, b, score) = spans[n]
        hit = passages[n_passage - 1]
        a, b = quote_span(hit.text, a, b)
        citations.append(
            Citation(
                n=n,
                title=hit.title,
                source=hit.source,
                path=hit.doc_id,
                quote=hit.text[a:b],
                score=score,
                start=hit.start + a,
                end=hit.start + b,
                passage=hit.text,
                page=hit.page_at(hit.start + a),  # the quote's page, not the passage's
            )
        )
    return Verified(cleaned, citations, max(removed, 0), tuple(reasons), cited=bool(cited_parts))


Span = tuple[int, int, float]  # start, end (relative to the passage), score


def _quoted_spans(
    claims_of: dict[int, list[tuple[Piece, list[Evidence]]]],
    passages: Sequence[Hit],
    live: Generation,
) -> dict[int, tuple[int, Span]]:
    """For each marker: its passage and the span quoted under it. The claims citing one
    passage share its marker when one quote holds all their sentences; otherwise a claim
    whose sentences lie elsewhere in it gets a marker of its own (the lowest number the
    answer doesn't use), so that under every marker a reader sees the words behind its
    claim."""
    out: dict[int, tuple[int, Span]] = {}
    used = set(claims_of)
    free = (m for m in itertools.count(1) if m not in used)
    for n, claims in sorted(claims_of.items()):
        hit = passages[n - 1]
        sentences = _sentences(hit, live)
        together = _quote(hit, [ev for _, evs in claims for ev in evs], sentences)
        own = [_quote(hit, evs, sentences) for _, evs in claims]
        if all(together[0] <= a and b <= together[1] for a, b, _ in own):
            out[n] = (n, together)
            continue
        marker_of: dict[tuple[int, int], int] = {}
        for (part, _), span in zip(claims, own, strict=True):
            if span[:2] not in marker_of:
                marker_of[span[:2]] = next(free) if marker_of else n
                out[marker_of[span[:2]]] = (n, span)
            if marker_of[span[:2]] != n:
                part.raw = part.raw.replace(f"[{n}]", f"[{marker_of[span[:2]]}]")
    return out


def _says(verdict: Support) -> bool:
    """Supported, by a sentence close in meaning (for a sentence that cited nothing)."""
    return verdict.ok and max((ev.meaning for ev in verdict.evidence), default=0.0) >= MEANING


def _whole(hit: Hit) -> Span:
    return 0, len(hit.text), hit.score
