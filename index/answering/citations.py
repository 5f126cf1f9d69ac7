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

import re
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from index.answering.types import Citation
from index.checking.additions import Embed
from index.checking.claims import UNJUDGED, Passage, check
from index.documents import Hit
from index.search.evidence import Evidence, score_sentences
from index.search.question import Question
from index.search.retrieval import Generation
from index.store.sentences import DIM, SentenceBlock, speaker_name
from index.text import split_sentences, terms

# [1]  [1, 2]  [1; 3]  [1-3]  [1 and 2]; also "[Passage 2]" / "[source 2]", which small
# models write although told not to.
_NUMS = r"\d{1,3}(?:\s*(?:,|;|-|–|and)\s*\d{1,3})*"
MARKER = re.compile(rf"\[\s*(?:(?:passage|source|ref)\s*)?({_NUMS})\s*\]", re.I)
_SINGLE = re.compile(r"\[(\d+)\]")
_THINK = re.compile(r"<(think|thinking|reasoning)>.*?</\1>\s*", re.S | re.I)
_THINK_OPEN = re.compile(r"<(think|thinking|reasoning)>", re.I)
_SPACES = re.compile(r"[ \t]{2,}")
_SPACE_BEFORE_PUNCT = re.compile(r"[ \t]+([.,;:!?])")
MAX_QUOTE_SENTENCES = 3  # a wider span than this is no longer "the sentence that supports it"
RANGE_LIMIT = 10  # "[1-3]" is expanded; "[1-300]" is not a citation
ANY_NUMBER = 1000


def _numbers(group: str) -> list[int]:
    out: list[int] = []
    for part in re.split(r"\s*(?:,|;|and)\s*", group):
        bounds = re.split(r"\s*[-–]\s*", part.strip())
        if len(bounds) == 2 and all(b.isdigit() for b in bounds):
            lo, hi = int(bounds[0]), int(bounds[1])
            if 0 <= hi - lo <= RANGE_LIMIT:
                out.extend(range(lo, hi + 1))
        elif part.strip().isdigit():
            out.append(int(part))
    return list(dict.fromkeys(out))


def strip_thinking(text: str) -> str:
    """Drop a reasoning model's <think>…</think> blocks; an unclosed one hides the rest."""
    text = _THINK.sub("", text)
    opened = _THINK_OPEN.search(text)
    return text[: opened.start()] if opened else text


def tidy(text: str) -> str:
    text = _SPACE_BEFORE_PUNCT.sub(r"\1", _SPACES.sub(" ", text))
    return "\n".join(line.rstrip() for line in text.split("\n")).strip()


def clean_markers(text: str, valid: Collection[int]) -> str:
    """Rewrite every marker as `[a][b]` keeping only passage numbers in `valid`;
    a marker naming no valid passage disappears."""

    def keep(m: re.Match[str]) -> str:
        return "".join(f"[{n}]" for n in _numbers(m.group(1)) if n in valid)

    return tidy(MARKER.sub(keep, text))


def clean_answer(text: str, valid: Collection[int]) -> str:
    """The model's text as it may be shown: no reasoning, only markers for given passages."""
    return clean_markers(strip_thinking(text), valid)


class DraftFilter:
    """Cleans a streamed answer as it arrives, so the draft a user watches never shows a
    marker for a passage that wasn't given, nor a reasoning block. A tail that may still
    become a marker (`[1`) or a tag (`<thi`) is held back until it is complete."""

    HOLD = 24  # an unclosed "[" further back than this is plain text

    def __init__(self, valid: Collection[int]) -> None:
        self.valid = valid
        self.raw = ""
        self.shown = ""
        self.broken = False  # the cleaned text stopped extending what was shown

    def _visible(self, final: bool) -> str:
        text = strip_thinking(self.raw)
        if not final:
            bracket = text.rfind("[")
            if bracket >= 0 and "]" not in text[bracket:] and len(text) - bracket <= self.HOLD:
                text = text[:bracket]
            angle = text.rfind("<")
            if angle >= 0 and ">" not in text[angle:] and len(text) - angle <= 12:
                text = text[:angle]
            text = text.rstrip()  # a space may yet turn out to precede a removed marker
        return clean_markers(text, self.valid)

    def feed(self, delta: str, final: bool = False) -> str:
        """The new text that can be shown now (possibly empty)."""
        self.raw += delta
        if self.broken:
            return ""
        visible = self._visible(final)
        if not visible.startswith(self.shown):
            self.broken = True  # rare; the final, verified answer replaces the draft anyway
            return ""
        new = visible[len(self.shown) :]
        self.shown = visible
        return new

    def finish(self) -> str:
        return self.feed("", final=True)


@dataclass
class Piece:
    """A sentence of the answer, exactly as written (markers and trailing space included),
    with the claim it makes (its text without markers) and the passages it cites."""

    raw: str

    @property
    def claim(self) -> str:
        return _SINGLE.sub("", self.raw).strip()

    @property
    def numbers(self) -> list[int]:
        return list(dict.fromkeys(int(n) for n in _SINGLE.findall(self.raw)))


_LEADING_MARKERS = re.compile(r"\s*(?:\[\d+\]\s*)+")


def pieces(text: str) -> list[Piece]:
    """The answer cut into sentences that join back to exactly `text`. A marker opening a
    sentence ("… plans. [2] Blair …") belongs to the sentence before it."""
    spans = split_sentences(text)
    if not spans:
        return [Piece(text)] if text else []
    out: list[Piece] = []
    for i, s in enumerate(spans):
        start = 0 if i == 0 else s.start
        end = spans[i + 1].start if i + 1 < len(spans) else len(text)
        raw = text[start:end]
        lead = _LEADING_MARKERS.match(raw)
        if out and lead and lead.end() > 0:
            out[-1].raw += raw[: lead.end()]
            raw = raw[lead.end() :]
        out.append(Piece(raw))
    return out


# What a sentence may say without a source: that the passages don't cover something (the
# system prompt asks for it), or a heading for what follows ("Unison's arguments:").
_ABOUT_SOURCES = re.compile(r"\b(passages?|sources?|articles?|library)\b", re.I)
_NEGATED = re.compile(
    r"\b(not|no|nothing|neither|nor|cannot|none|only)\b|n['’]t\b", re.I
)
_END = re.compile(r"[.!?…]*[\"'”’)]*\s*$")


def needs_source(claim: str) -> bool:
    """Does this sentence (no marker of its own) state something a passage must back? Not a
    heading, nor a sentence with under two content words ("In short:"), nor one saying
    what the passages don't cover."""
    text = claim.strip()
    if text.endswith(":") or len(terms(text)) < 2:
        return False
    return not (_ABOUT_SOURCES.search(text) and _NEGATED.search(text))


def _with_marker(raw: str, n: int) -> str:
    """The sentence with `[n]` after its words, before its closing punctuation."""
    end = _END.search(raw)
    at = end.start() if end else len(raw)
    return f"{raw[:at]} [{n}]{raw[at:]}"


NEVER_GIVEN = "it cites a passage never given"


@dataclass(frozen=True)
class Verified:
    text: str
    citations: list[Citation]
    removed: int  # markers dropped: unknown passage, or no support in the passage named
    dropped: int = 0  # sentences not shown because no passage they cited supports them
    reasons: tuple[str, ...] = ()  # why each dropped sentence's passage didn't support it
    cited: bool = True  # the model's answer had a marker at all


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
    return tuple(dict.fromkeys(s for s in map(speaker_name, block.speakers) if s))


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
    parts = pieces(clean_markers(strip_thinking(text), range(1, ANY_NUMBER)))
    cited_parts = [p for p in parts if p.numbers and p.claim]
    # A sentence that states something without a marker is shown only if a passage says
    # it (and then with that passage's marker): what the model adds unprompted, or was
    # talked into by a source, is checked like the rest.
    uncited = [p for p in parts if not p.numbers and needs_source(p.claim)]
    asked = [(p, n) for p in cited_parts for n in p.numbers if n in valid]
    asked += [(p, n) for p in uncited for n in valid]
    # Most claims reuse their passage's words and are judged by words alone; the others
    # are embedded, all in one pass of the model, and judged by meaning too.
    judged: dict[tuple[int, int], Support] = {}
    ahead = {n: _speakers_before(passages[n - 1], live) for n in {n for _, n in asked}}
    by_id = {id(p): p for p in [*cited_parts, *uncited]}
    for part, n in asked:
        judged[id(part), n] = supports(part.claim, None, passages[n - 1], live, ahead[n], embed)
    unsure = [(p, n) for (i, n), s in judged.items() if s.kind == UNJUDGED for p in [by_id[i]]]
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
    removed = dropped = 0
    reasons: list[str] = []
    for part in uncited:
        backing = sorted((n for n in valid if judged[id(part), n].ok),
                         key=lambda n: not judged[id(part), n].sure)  # fmt: skip
        if backing:
            part.raw = _with_marker(part.raw, backing[0])
        else:
            part.raw = part.raw[len(part.raw.rstrip()) :]
            dropped += 1
            reasons.append("it cited no passage, and none of them says it")
    evidence: dict[int, list[Evidence]] = {}
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
                evidence.setdefault(n, []).extend(ok.evidence)
        if cited and not part.numbers:
            # It claimed support that isn't there: not shown, rather than shown unsourced.
            part.raw = part.raw[len(part.raw.rstrip()) :]
            dropped += 1
            reasons.append(why)
    cleaned = tidy("".join(p.raw for p in parts))
    citations = []
    for n in sorted({int(x) for x in _SINGLE.findall(cleaned)}):
        hit = passages[n - 1]
        best = evidence.get(n) or score_sentences(question, [hit], live)[:1]
        a, b, score = (
            _quote(hit, best, _sentences(hit, live)) if best else (0, len(hit.text), hit.score)
        )
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
    return Verified(
        cleaned, citations, max(removed, 0), dropped, tuple(reasons), cited=bool(cited_parts)
    )
