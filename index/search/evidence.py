"""Scoring the sentences of retrieved passages as evidence for a question, by meaning first.

Every sentence of the library has a vector (index/store/sentences.py), so a sentence is scored by
its cosine with the question — which survives paraphrase ("making money" / "profits") — and
by the cosine of its window (it and the sentences either side: "He argued that …" takes its
meaning from the sentence naming him). Words add what embeddings blur: the share of the
question's rarer words (IDF-weighted) in the window, which is what names and figures
contribute. The weights below were chosen on the dev sets and checked on the held-out sets
(docs/answering.md has the ablation).

Used by re-ranking (which orders passages by their best sentence), the extractive answerer
(which quotes sentences) and citation checking (which finds the sentence behind a claim)."""

from __future__ import annotations

import re
from collections.abc import Sequence, Set
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from index.documents import Hit
from index.search.answer_types import answer_kind, answer_type_match, names_beside
from index.search.question import Question, question_caches
from index.search.retrieval import CorpusStats, Generation
from index.store.sentences import DIM, SentenceBlock, Speaker, speaker_name
from index.text import acronym_terms, acronyms, looks_plural, split_sentences, terms

# score = MEANING_WEIGHT × (cosine of the sentence + cosine of its window)
#       + WORDS_WEIGHT × (IDF share of the question's words in the window
#                          + IDF share of what it asks, names aside, in the sentence)
#       + ANSWER_TYPE_WEIGHT if it holds the kind of thing asked for (a number for "how
#         many", a name for "who", a date for "when").
# These and NAMES_WEIGHT are the best point of a 1,200-point grid on the 60 tuning fact
# questions (gold sentence first for 0.695; bench/tuning/evidence_weights.py), which is flat
# in ANSWER_TYPE_WEIGHT (0–0.3) and SPEAKER_WEIGHT (0.1–0.5): those two keep their values.
MEANING_WEIGHT = 0.5
WORDS_WEIGHT = 0.8
ANSWER_TYPE_WEIGHT = 0.1
# … + NAMES_WEIGHT × share of the question's names found whole in the sentence — as written,
# as their acronym ("BMA"), or as the speaker attribution resolved ("He argued" is Dave
# Prentis): a bag of words can't tell "British Medical Association" from "a medical
# association … British patients".
NAMES_WEIGHT = 0.15
# … + SPEAKER_WEIGHT when the question asks what someone said ("What did Hewitt say …") and
# the sentence is theirs by the attribution found at refresh.
SPEAKER_WEIGHT = 0.3


# Not frozen, compared by identity: about 120 are made a question, and a frozen dataclass's
# __init__ costs three times as much (0.3 ms a question on the full corpus).
@dataclass(slots=True, eq=False)
class Evidence:
    hit: Hit
    start: int  # absolute span in the document
    end: int
    text: str
    meaning: float  # cosine of question and sentence
    window: float  # cosine of question and the sentence with its neighbours
    lexical: float  # IDF share of the question's terms in the window (and title/author)
    lexical_asked: float  # IDF share of what it asks (names, wh-words aside) in the sentence
    speaker: Speaker | None  # (who, reporting verb or ""), as the text says
    entities: frozenset[str] | None  # kinds of named entities in it (None: not known)
    vector: np.ndarray
    score: float
    typed: bool  # holds the kind of thing the question asks for (holds_answer)
    terms: frozenset[str]  # its stemmed content words (index.text.terms)
    pos: int = 0  # its place among the passage's sentences
    asked_speaker: bool = False  # said by whoever the question asks the words of
    named: bool = False  # names a thing by the noun the question asks for (names_beside)


class Coverage:
    """IDF-weighted share of a set of weighted terms found in a set of terms."""

    def __init__(self, weights: dict[str, float], stats: CorpusStats) -> None:
        self.mass = {t: stats.idf(t) * w for t, w in weights.items()}
        self.total = sum(self.mass.values())
        self.terms = frozenset(self.mass)

    def __call__(self, present: Set[str]) -> float:
        if self.total <= 0:
            return 0.0
        return sum([m for t, m in self.mass.items() if t in present]) / self.total


def score_sentences(question: Question, hits: list[Hit], live: Generation) -> list[Evidence]:
    """Every sentence of every hit as evidence, best first."""
    share = Coverage(question.weights, live.stats)
    # What is asked, names aside; when that is only the noun of the kind of answer ("Which
    # organisation is Ed Mayo the Secretary General of?"), a sentence saying "organisations"
    # would hold all of it: the whole question is read instead. qa_own citing gold 0.923 ->
    # 0.942, precision 0.800 -> 0.817; every other tuning, dev and held-out answer alike,
    # and the weights still at their grid's best (bench/tuning/evidence_weights.py: 0.700).
    asked = question.asked_weights
    if set(asked) <= question.type_terms:
        asked = {}
    asked_share = Coverage(asked or question.weights, live.stats)
    expansions = acronyms(question.text)
    out: list[Evidence] = []
    names = _NameLookup(question.name_texts)
    kind = answer_kind(question.text)
    said: dict[str | None, bool] = {}  # by speaker: few, repeated across sentences
    own_terms = frozenset(question.weights)
    keys = [(hit.chunk_id, hit.start, hit.end, live.name) for hit in hits]
    fresh = [i for i, key in enumerate(keys) if key not in question.scored]
    read = {}  # nothing to read when every hit was scored before (the answerer, after rerank)
    if fresh:
        read = dict(zip(fresh, _read([hits[i] for i in fresh], live, question.vector), strict=True))
    for n, (hit, key) in enumerate(zip(hits, keys, strict=True)):
        if key in question.scored:
            out.extend(question.scored[key])
            continue
        first = len(out)
        block, meaning, window_cosines = read[n]
        if not len(block):
            continue
        vectors = block.vectors
        spans = zip(block.starts, block.ends, strict=True)
        texts = [hit.text[b - hit.start : e - hit.start] for b, e in spans]
        stems = block.terms
        if expansions and any(a in hit.text for a in expansions):  # "CLP" for "constituency …"
            stems = [s | acronym_terms(t, expansions) for s, t in zip(stems, texts, strict=True)]
        # Only the question's terms count: the window's are gathered from those alone.
        context = _terms_of(hit.context) & share.terms
        in_question = [st & share.terms for st in stems]
        found = names.found_in(hit.text, texts, block.speakers)
        for i, text in enumerate(texts):
            speaker = block.speakers[i]
            entities = block.entities[i]
            lexical = share(context.union(*in_question[max(0, i - 1) : i + 2]))
            lexical_asked = asked_share(stems[i])
            typed = kind is None or holds_answer(question.text, text, entities)
            who = speaker_name(speaker)
            if who not in said:
                said[who] = question.said_by(who, live.sentences.described)
            score = (
                MEANING_WEIGHT * (meaning[i] + window_cosines[i])
                + WORDS_WEIGHT * (lexical + lexical_asked)
                + NAMES_WEIGHT * found[i]
                + (SPEAKER_WEIGHT if said[who] else 0.0)
                + (ANSWER_TYPE_WEIGHT if typed else 0.0)
            )
            out.append(
                Evidence(
                    hit=hit,
                    start=block.starts[i],
                    end=block.ends[i],
                    text=text,
                    meaning=meaning[i],
                    window=window_cosines[i],
                    lexical=lexical,
                    lexical_asked=lexical_asked,
                    speaker=speaker,
                    entities=entities,
                    vector=vectors[i],
                    score=score,
                    pos=i,
                    typed=typed,
                    asked_speaker=said[who],
                    terms=block.terms[i],
                    named=names_beside(text, question.type_terms, own_terms),
                )
            )
        question.scored[key] = out[first:]
    out.sort(key=lambda e: e.score, reverse=True)
    return out


# The kinds of answer a passage must hold to answer at all: "how many" a number, "what year"
# a year, and a time for a question that opens by asking when something happened or will
# ("When was Unison founded?", "On what date …"). Not "when" asking for a condition ("When
# must commissioners advertise?") or used as a conjunction ("What did she say when …"),
# nor persons and places, whose NER labels are too loose ("Labour's Brighton conference":
# Brighton, a PERSON): those only weigh in the score. Gating the time on the 65 unanswerable
# tuning questions refused two more at each scale, and no answerable one (docs/answering.md).
HARD_KINDS = ("number", "year")
_ASKS_WHEN = re.compile(
    r"^\W*(?:(?:on|by|until|since|from|at)\s+)?(?:when\b(?!\s+(?:must|should|can|could|may|"
    r"might|would|do|does|is it|are)\b)|what\s+(?:date|day|month|time)\b)",
    re.I,
)


@lru_cache(maxsize=1024)
def must_hold_answer(question: str) -> bool:
    """Can a sentence answer `question` only if it holds the kind of thing asked for (see
    HARD_KINDS)?"""
    kind = answer_kind(question)
    return kind in HARD_KINDS or (kind == "time" and _ASKS_WHEN.search(question) is not None)


# The named-entity kinds (spaCy's OntoNotes labels, found at refresh) that answer each kind
# of wh-question.
_KINDS = {
    "number": {"CARDINAL", "QUANTITY", "MONEY", "PERCENT"},
    "time": {"DATE", "TIME"},
    "person": {"PERSON", "ORG", "NORP"},
    "place": {"GPE", "LOC", "FAC", "ORG"},  # a university, a hospital: named as ORG
}


def holds_answer(question: str, sentence: str, entities: frozenset[str] | None) -> bool:
    """Does the sentence hold the kind of thing the question asks for — a number for "how
    many", a date for "when", a person for "who", a place for "where", a name for
    "which"? Told by the entities the NER model found in it at refresh; numbers and dates
    are also found by their form. Without entity kinds (an old index): by form alone."""
    kind = answer_kind(question)
    if kind is None:
        return True
    if entities is None or kind == "year":  # a year, written as one: not "this year"
        return answer_type_match(question, sentence)
    if kind in ("number", "time") and answer_type_match(question, sentence):
        return True
    wanted = _KINDS.get(kind)
    return bool(entities & wanted) if wanted else bool(entities)


_PRONOUN = re.compile(r"\b(he|his|him|she|her|hers|they|their|them|it|its)\b", re.I)


class _NameLookup:
    """The names a question is about, looked up whole in sentences: as written (case and
    spacing aside), as the acronym of their capitalised words ("BMA"), as the singular of a
    plural one ("the Greens" in "Green Party", "the Lib Dems" in "Lib Dem spokesman"), or —
    when a sentence refers back with a pronoun ("Under his plan …") — in the sentence before
    it."""

    def __init__(self, names: Sequence[str]) -> None:
        self.names = [
            (
                n.lower(),
                "".join(w[0] for w in n.split() if w[:1].isupper()),
                n.lower()[:-1] if n.split() and looks_plural(n.split()[-1]) else "",
            )
            for n in names
        ]

    def found_in(
        self, passage: str, texts: list[str], speakers: Sequence[Speaker | None]
    ) -> list[float]:
        """For each of a passage's consecutive sentences (`texts`, slices of `passage`), the
        share of the names found in it or in who says it (the attribution found at refresh)."""
        if not self.names:
            return [0.0] * len(texts)
        whos = [speaker_name(who) for who in speakers]
        names = self._possible(passage, whos)
        if not names:  # most passages: none of the names anywhere in them
            return [0.0] * len(texts)
        spoken = [f"{t} {who}" if who else t for t, who in zip(texts, whos, strict=True)]
        searched = [_NameSearch(t) for t in spoken]
        out = []
        for i, here in enumerate(searched):
            found = [n for n in names if here.has(*n)]
            if len(found) < len(names) and i:
                before = [n for n in names if n not in found and searched[i - 1].has(*n)]
                # the pronoun looked for last: the slowest test, and needed least often
                if before and _PRONOUN.search(spoken[i]) is not None:
                    found += before
            out.append(len(found) / len(self.names))
        return out

    def _possible(self, passage: str, whos: list[str | None]) -> list[tuple[str, str, str]]:
        """The names a sentence of the passage could hold. A name found in a sentence (or
        who says it) has its first word, or its initials, somewhere in the passage's text
        or its speakers' names: one look at those rules out the rest, exactly."""
        cased = " ".join([passage, *(w for w in whos if w)])
        lowered = cased.lower()
        return [
            (name, initials, singular)
            for name, initials, singular in self.names
            if (name.split() or [""])[0] in lowered
            or (singular and (singular.split() or [""])[0] in lowered)
            or (len(initials) >= 2 and initials in cased)
        ]


class _NameSearch:
    """A text made ready to look several names up in (whitespace and case aside)."""

    def __init__(self, text: str) -> None:
        self.split = text.split()
        self.flat = " ".join(self.split).lower()
        self._tokens: set[str] | None = None

    def has(self, lowered: str, initials: str, singular: str = "") -> bool:
        if lowered in self.flat:
            return True
        if singular and re.search(rf"\b{re.escape(singular)}\b", self.flat):
            return True
        if len(initials) < 2:
            return False
        if self._tokens is None:  # made only when an acronym is looked for
            self._tokens = set(self.split)
        return initials in self._tokens or initials + "s" in self._tokens


def _read(
    hits: list[Hit], live: Generation, vector: np.ndarray
) -> list[tuple[SentenceBlock, list[float], list[float]]]:
    """Each hit's sentences (from the generation's table, looked up together), with the
    cosine of the question and each sentence, and of the question and each sentence with
    its neighbours in the passage (the sum of their vectors), computed for all at once."""
    found = live.sentences.within_many([(h.doc_id, h.start, h.end) for h in hits])
    blocks = [b if len(b) else _from_text(h) for b, h in zip(found, hits, strict=True)]
    lengths = np.array([len(b) for b in blocks], dtype=np.int64)
    if not lengths.sum():
        return [(b, [], []) for b in blocks]
    vectors = np.concatenate([b.vectors for b in blocks if len(b)])
    ends = np.cumsum(lengths)[lengths > 0]
    starts = ends - lengths[lengths > 0]
    after = np.ones(len(vectors), dtype=bool)  # has a neighbour before it in its passage
    after[starts] = False
    before = np.ones(len(vectors), dtype=bool)  # … and after it
    before[ends - 1] = False
    windows = vectors.copy()
    inner = np.flatnonzero(after)
    windows[inner] = vectors[inner - 1] + vectors[inner]
    inner = np.flatnonzero(before)
    windows[inner] += vectors[inner + 1]
    norms = np.sqrt(np.maximum(np.einsum("ij,ij->i", windows, windows), 1e-24))
    meaning = (vectors @ vector).tolist()
    window_cosines = ((windows @ vector) / norms).tolist()
    at = [0, *np.cumsum(lengths).tolist()]
    return [
        (b, meaning[lo:hi], window_cosines[lo:hi])
        for b, lo, hi in zip(blocks, at, at[1:], strict=False)
    ]


def _from_text(hit: Hit) -> SentenceBlock:
    """No vectors for this passage (a generation built before they existed): its sentences
    still count by their words, so answers still come out until the next refresh."""
    spans = split_sentences(hit.text)
    return SentenceBlock(
        [hit.start + s.start for s in spans],
        [hit.start + s.end for s in spans],
        np.zeros((len(spans), DIM), dtype=np.float32),
        [None] * len(spans),
        [None] * len(spans),
        [_terms_of(hit.text[s.start : s.end]) for s in spans],
    )


@lru_cache(maxsize=8192)
def _terms_of(text: str) -> frozenset[str]:
    return frozenset(terms(text))


def clear_caches() -> None:
    """Forget analysed sentences and questions (benchmarks measuring a cold start call
    this; word stems stay, as in a process that has read its library's words)."""
    for cached in (_terms_of, must_hold_answer, acronyms, answer_kind, *question_caches()):
        cached.cache_clear()
