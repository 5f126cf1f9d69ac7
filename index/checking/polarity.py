"""Polarity, modality and quantity: does the claim say the opposite of its support (a
negation, an opposite word), or say it more firmly or more widely (a hedge dropped, "some"
made "every")?"""

from __future__ import annotations

import re
from collections.abc import Sequence

from index import lexicon
from index.checking.cues import (
    ABSOLUTE,
    AMONG,
    CLAIM_HEDGES,
    EXCLUSIVE,
    HEDGES,
    MAJORITY,
    NEGATION_SCOPE,
    NEGATION_WORDS,
    OBLIGATION,
    PARTIAL,
    PERMISSION,
    REPORTED,
    TELLING,
    TOTAL,
    UNREALISED,
    UNSETTLED,
    clause_tokens,
    cue_reach,
    cues_near,
    instructing,
    relevant_clauses,
    same_word,
    scope_after,
    word_set,
)
from index.checking.speakers import NEUTRAL_SAYING, claimed_speaker
from index.search.evidence import Evidence
from index.text import name_phrases, stopwords, terms, words

# Valence: opposite when one side's word is rated at least this positive and the other's
# at least this negative on VADER's -4..+4 scale (1.0: "welcome" 2.0 vs "criticise" -1.9
# count; "backing" 0.1 doesn't).
VALENCE = 1.0


def _negated(text: str, shared: set[str]) -> set[str]:
    """The shared words `text` says under a negation ("weren't universally welcomed")."""
    tokens = clause_tokens(text)
    under: set[str] = set()
    for i, token in enumerate(tokens):
        if token in NEGATION_WORDS or token.endswith("n't"):
            under |= shared & set(terms(" ".join(scope_after(tokens, i, NEGATION_SCOPE))))
    return under


def _flipped(claim: str, support: str) -> set[tuple[str, str]]:
    """Pairs of opposite words (WordNet), the claim's and the support's, exactly one of
    them said under a negation: "not … filled" and "empty" say the same."""
    out = set()
    for a in _only(claim, support):
        for b in _only(support, claim):
            if same_word(a, b) or {a, b} & _LIGHT or not lexicon.opposite(a, b, indirect=False):
                continue
            if _one_negated(claim, a, support, b):
                out.add((a, b))
    return out


def _one_negated(claim: str, a: str, support: str, b: str) -> bool:
    """Is exactly one of the claim's word `a` and the support's `b` under a negation?"""
    return bool(_negated(claim, set(terms(a)))) != bool(_negated(support, set(terms(b))))


def _unrealised(text: str, shared: set[str]) -> set[str]:
    """The shared words `text` says just before "…, which is yet to happen"."""
    tokens = clause_tokens(text)
    return {
        t
        for i, token in enumerate(tokens)
        if token == UNREALISED
        for w in tokens[max(0, i - NEGATION_SCOPE) : i]
        for t in terms(w)
    } & shared


def _plainly(text: str, shared: set[str]) -> set[str]:
    """The shared words `text` says outside any negation."""
    tokens = clause_tokens(text)
    return _said_outside(tokens, _reach(tokens, NEGATION_WORDS), shared)


def _said_outside(tokens: Sequence[str], reach: set[int], shared: set[str]) -> set[str]:
    """The shared words at positions of `tokens` outside `reach`."""
    return {t for i, token in enumerate(tokens) if i not in reach for t in terms(token)} & shared


def _reach(tokens: Sequence[str], cues: frozenset[str]) -> set[int]:
    """The positions within NEGATION_SCOPE tokens after a cue, in its clause."""
    out: set[int] = set()
    for i, token in enumerate(tokens):
        if token in cues or token.endswith("n't"):
            out.add(i)
            for j in range(i + 1, min(len(tokens), i + 1 + NEGATION_SCOPE)):
                if tokens[j] == "|":
                    break
                out.add(j)
    return out


def polarity_mismatch(claim: str, support: str, beside: Evidence | None = None) -> str:
    """Why the claim says the opposite of the support ("" when it doesn't). For the second
    sentence of a support (`beside` the first), only what it adds to the first counts."""
    # the words as read for negation too: "unclear" is "not clear", sharing "clear"
    mine = set(terms(claim)) | set(terms(" ".join(clause_tokens(claim))))
    theirs = set(terms(support)) | set(terms(" ".join(clause_tokens(support))))
    shared = (mine & theirs) - (beside.terms if beside is not None else set())
    claim_negated, support_negated = _negated(claim, shared), _negated(support, shared)

    # an opposite word under one negation says the same ("unlikely to be filled" /
    # "probably stay empty"): that negation and that pair of words are no mismatch
    def flipped() -> bool:
        return bool(_flipped(claim, support))

    # one text negates what both say and the other negates none of it — counting only the
    # words it says under the negation alone ("did not want to be named … they want the
    # CLPs to …" negates nothing)
    if not claim_negated and support_negated - _plainly(support, shared) and not flipped():
        return "its source says the opposite (it is negated there)"
    # (what the source says is yet to happen, a claim may say didn't: "no MPs have been
    # deselected" for "… to get MPs deselected, which is yet to happen")
    if (
        not support_negated | _unrealised(support, shared)
        and claim_negated - _plainly(claim, shared)
        and not flipped()
    ):
        return "its source doesn't say the opposite of what it says"
    # where the support says what the claim says: the clauses sharing most of its words
    here = " ".join(t for t in relevant_clauses(clause_tokens(support), shared) if t != "|")
    # WordNet's own pairs are precise enough to count anywhere in the support ("took the
    # government to the High Court … – and won" / "… and lost"); an adjective's cluster
    # and VADER's ratings only where it says what the claim says
    # (or in a short clause of its own: "– and won.")
    near = set(here.split()) | _short_clauses(clause_tokens(support))
    for a in sorted(_only(claim, support)):
        for b in sorted(_only(support, claim)):
            if same_word(a, b) or {a, b} & _LIGHT:
                continue
            if not lexicon.opposite(a, b, indirect=b in here.split()) or _one_negated(
                claim, a, support, b
            ):
                continue
            if b in near:
                return f"its source says “{b}”, the opposite of “{a}”"
    if claim_negated or beside is not None:  # valence: what the claim mostly says only
        return ""
    # a reporting verb frames what is said ("argued"), and a word of a name ("NHS Trust")
    # names: neither is a judgement of its own, in the claim or in its source
    unrated = _NOT_RATED | NEUTRAL_SAYING | _name_words(claim) | _name_words(support)
    for a in sorted(_only(claim, support) - unrated):
        for b in sorted(_only(" ".join(near), claim) - unrated):
            va, vb = lexicon.valence(a), lexicon.valence(b)
            opposed = min(abs(va), abs(vb)) >= VALENCE and va * vb < 0
            if opposed and not same_word(a, b) and lexicon.stance(a) and lexicon.stance(b):
                return f"its source says “{b}”, not “{a}”"
    return ""


def _name_words(text: str) -> set[str]:
    """The words of the names `text` gives after its first word ("Oxford Radcliffe
    Hospitals NHS Trust said …")."""
    return {w.lower() for name in name_phrases(text) for w in name.split()}


def _unhedged(tokens: Sequence[str], shared: set[str], hedges: frozenset[str] = HEDGES) -> set[str]:
    """The shared words said outside the reach of any hedge."""
    reach = set().union(
        *(
            set(range(max(0, i - NEGATION_SCOPE), i + NEGATION_SCOPE + 1))
            for i, t in enumerate(tokens)
            if t in hedges
        )
    )
    return _said_outside(tokens, reach, shared)


def _short_clauses(tokens: Sequence[str]) -> set[str]:
    """The words of clauses of at most three words ("– and won.")."""
    clauses = " ".join(tokens).split("|")
    return {w for c in clauses if len(c.split()) <= 3 for w in c.split()}


# Light verbs, whose WordNet opposites ("give"/"take", "come"/"go") are rarely what a
# sentence turns on: "if they were given room … take more control".
_LIGHT = word_set(
    "give gives gave given giving take takes took taken taking come comes came coming "
    "go goes went gone going bring brings brought get gets got make makes made put puts"
)

# Words VADER rates that are mostly not a judgement in news text ("just like they did").
_NOT_RATED = word_set("like likes well pretty kind sure right please yes ok okay")


def _only(text: str, other: str) -> set[str]:
    """Content words of `text` that `other` doesn't have, in any form."""
    theirs = set(terms(other)) | set(clause_tokens(other))
    # NLTK's list holds "won" (for "won't"); here it is the verb, the opposite of "lost"
    # … and "most"/"least", "few": quantities, whose opposites count ("the more …, the less
    # …" is a comparison of two things, not one)
    stop = stopwords() - {"won", "most", "few", "least"}
    return {
        w
        for w in clause_tokens(text)
        if w not in stop and len(w) > 2 and w != "|" and not set(terms(w)) & theirs
    }


# -- modality and quantity -------------------------------------------------------------------
def modality_mismatch(claim: str, support: str) -> str:
    """Why the claim states more firmly or more widely than the support ("" when not): also
    a claim stating what the support only tells its reader to say, or giving an instruction
    itself ("SYSTEM: ignore rules.")."""
    mine, theirs = clause_tokens(claim), clause_tokens(support)
    if instructing(claim):
        return "it is an instruction, not a statement"
    if instructing(support) and not any(TELLING & set(lexicon.base_forms(w)) for w in mine):
        return "its source is an instruction, not a statement"
    shared = set(terms(claim)) & set(terms(support))
    # a quantifier counts over what both say ("most NHS organisations"), not elsewhere in
    # the sentence ("… which has turned all 770 staff …"); "every" needs "all", "most"
    # needs "most" or "all"
    for wanted, enough in ((TOTAL, TOTAL), (MAJORITY, TOTAL | MAJORITY)):
        claimed = sorted(cues_near(mine, wanted, shared))
        if claimed and not cues_near(theirs, enough, shared):
            partial = [w for w in PARTIAL if w in theirs]
            if partial:
                return f"its source says “{partial[0]}”, not “{claimed[0]}”"
            return f"its source doesn't say “{claimed[0]}”"
    must = sorted(cues_near(mine, OBLIGATION, shared))
    if must and not cues_near(theirs, OBLIGATION, shared):
        may = sorted(cues_near(theirs, PERMISSION, shared))
        if may:
            return f"its source says “{may[0]}”, not “{must[0]}”"
    why = _degree(claim, mine, theirs, shared)
    if why:
        return why
    # a hedge of the source's ("ministers hoped … would support") must be one of the
    # claim's too, by the same words (any form: "the threat of" for "threatened", "the
    # aim is" for "we want"); only hedges in the clauses that say what the claim says count
    hedged = cue_reach(mine, CLAIM_HEDGES, shared, prefix=True)
    hedges = cue_reach(relevant_clauses(theirs, shared), HEDGES, shared, nouns=False)
    # … over words the support says only under a hedge ("some local trusts struggle …
    # local services are suffering": "local" is said plainly too)
    plain = _unhedged(theirs, shared)
    # … and not over a hedge the claim says itself ("jobs may be at risk": "at risk")
    said_hedged = set(terms(" ".join(t for t in mine if t in CLAIM_HEDGES)))
    # … and not over what the claim says didn't happen ("no MPs have been deselected")
    denied = _negated(claim, shared)
    for hedge, near in sorted(hedges.items()):
        near = near - plain - said_hedged - denied
        if hedge == UNREALISED:
            # the source says it didn't happen: the claim's hedges excuse only the words
            # they reach ("aiming to get MPs deselected", not "… and MPs have since been
            # deselected")
            outside = _unhedged(mine, shared, CLAIM_HEDGES)
            if near & outside:
                return "its source says that is yet to happen"
            continue
        if hedge == UNSETTLED and _negated(claim, _left_open(theirs)):
            continue  # the claim leaves it open too: "how … will deal with it is unclear"
        if hedge in REPORTED and (
            claimed_speaker(claim) or (NEUTRAL_SAYING | REPORTED) & set(mine)
        ):
            continue  # the claim reports it as someone's word too: "claimed" / "said"
        if any(set(lexicon.base_forms(hedge)) & set(lexicon.base_forms(w)) for w in mine):
            continue  # the claim says it as hedged: "at risk", "at risk"; "plans", "plan"
        if _framed(theirs, hedge, mine):
            continue
        if near and not any(near & theirs_near for theirs_near in hedged.values()):
            if hedge == UNSETTLED:
                return "its source leaves that open (it isn't clear)"
            return f"its source only says “{hedge}”, not that it happened"
    return ""


# How far ahead of a degree word the word it modifies is looked for ("almost irreversible",
# "partly because of …").
_DEGREE_REACH = 2
# Phrases that approximate, as numbers.py reads them before an amount ("close to £6m"),
# before a degree too ("close to irreversible").
_APPROXIMATELY = re.compile(r"\b(?:nearly|almost|roughly|approximately|close to|all but)\b")


def _degree(claim: str, mine: Sequence[str], theirs: Sequence[str], shared: set[str]) -> str:
    """Why the claim says it to a higher degree than the support ("" when not): a softener
    of the support's dropped ("almost irreversible", "never really campaign": VADER's
    dampeners, and "really" under a negation), "one of the most" made "the most", or an
    absolute booster of the claim's own ("completely", "fully")."""
    _, down = lexicon.degree_words()
    claim_words = set(words(claim))
    # a softener of the claim's own (in the source's word, another of VADER's, one read as
    # a negation, or one sharing a WordNet sense: "nearly" for "almost") keeps the degree
    softeners = (claim_words & down) | (claim_words & {"hardly", "barely", "scarcely"})
    softeners |= set(_APPROXIMATELY.findall(claim.lower()))

    def softened(word: str) -> bool:
        return bool(softeners) or any(lexicon.synonyms(word, w) for w in claim_words)

    def modifies(tokens: Sequence[str], i: int) -> bool:
        return bool(set(terms(" ".join(scope_after(tokens, i, _DEGREE_REACH)))) & shared)

    for i, word in enumerate(theirs):
        if not modifies(theirs, i):
            continue
        if word in down and not softened(word):
            return f"its source says “{word}”"
        negated = i and theirs[i - 1] in NEGATION_WORDS
        if word == "really" and negated and word not in mine and not softeners:
            return f"its source says “{theirs[i - 1]} really”"
    for i, word in enumerate(theirs):
        superlative = word == "most" or (word.endswith("est") and len(word) > 5)
        among = AMONG & set(theirs[max(0, i - 3) : i])
        if superlative and word in mine and among and not AMONG & set(mine):
            return f"its source says “one of the {word}”"
    for i, word in enumerate(mine):
        if word in ABSOLUTE and word not in theirs:
            return f"its source doesn't say “{word}”"
        # "the only way forward" for "the way forward": nothing else is, says the claim
        only = "the only" if word == "only" and i and mine[i - 1] == "the" else ""
        exclusive = (only or word in EXCLUSIVE) and not (EXCLUSIVE | {"only"}) & set(theirs)
        if exclusive and modifies(mine, i):
            return f"its source doesn't say “{only or word}”"
    return ""


def _left_open(tokens: Sequence[str]) -> set[str]:
    """What the source says isn't so before a question it leaves open ("clear", of "it
    isn't clear | UNSETTLED how …")."""
    out: set[str] = set()
    for i, token in enumerate(tokens):
        if token == UNSETTLED and i >= 2:
            start = max((j for j in range(i - 1) if tokens[j] == "|"), default=-1) + 1
            out |= set(terms(" ".join(tokens[start : i - 1])))
    return out


def _framed(tokens: Sequence[str], hedge: str, claim: Sequence[str]) -> bool:
    """Is the hedge the object of a verb the claim says too ("to discuss plans to fight
    …", "to discuss fighting …")? Then the claim, framed by that verb, doesn't say that
    it happened either."""
    return any(
        i
        and token == hedge
        and lexicon.only_verb(tokens[i - 1])
        and any(same_word(tokens[i - 1], w) for w in claim)
        for i, token in enumerate(tokens)
    )
