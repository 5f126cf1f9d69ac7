"""Polarity, modality and quantity: does the claim say the opposite of its support (a
negation, an opposite word), or say it more firmly or more widely (a hedge dropped, "some"
made "every")?"""

from __future__ import annotations

from index.checking import lexicon
from index.checking.cues import (
    CLAIM_HEDGES,
    HEDGES,
    MAJORITY,
    NEGATION_SCOPE,
    NEGATION_WORDS,
    PARTIAL,
    TOTAL,
    clause_tokens,
    cue_reach,
    cues_near,
    relevant_clauses,
    same_word,
    scope_after,
    word_set,
)
from index.evidence import Evidence
from index.text import stopwords, terms

# Valence: opposite when one side's word is rated at least this positive and the other's
# at least this negative on VADER's -4..+4 scale (1.0: "welcome" 2.0 vs "criticise" -1.9
# count; "backing" 0.1 doesn't).
VALENCE = 1.0


def _negated(text: str, shared: set[str]) -> bool:
    """Does a negation in `text` govern one of the shared words?"""
    tokens = clause_tokens(text)
    for i, token in enumerate(tokens):
        cue = token in NEGATION_WORDS or token.endswith("n't")
        if cue and shared & set(terms(" ".join(scope_after(tokens, i, NEGATION_SCOPE)))):
            return True
    return False


def polarity_mismatch(claim: str, support: str, beside: Evidence | None = None) -> str:
    """Why the claim says the opposite of the support ("" when it doesn't). For the second
    sentence of a support (`beside` the first), only what it adds to the first counts."""
    mine, theirs = set(terms(claim)), set(terms(support))
    shared = (mine & theirs) - (beside.terms if beside is not None else set())
    claim_negated, support_negated = _negated(claim, shared), _negated(support, shared)
    if claim_negated != support_negated:
        if support_negated:
            return "its source says the opposite (it is negated there)"
        return "its source doesn't say the opposite of what it says"
    # where the support says what the claim says: the clauses sharing most of its words
    here = " ".join(t for t in relevant_clauses(clause_tokens(support), shared) if t != "|")
    # WordNet's own pairs are precise enough to count anywhere in the support ("took the
    # government to the High Court … – and won" / "… and lost"); an adjective's cluster
    # and VADER's ratings only where it says what the claim says
    for a in sorted(_only(claim, support)):
        for b in sorted(_only(support, claim)):
            if same_word(a, b):
                continue
            if lexicon.opposite(a, b, indirect=b in here.split()):
                return f"its source says “{b}”, the opposite of “{a}”"
    if claim_negated or beside is not None:  # valence: what the claim mostly says only
        return ""
    for a in sorted(_only(claim, support) - _NOT_RATED):
        for b in sorted(_only(here, claim) - _NOT_RATED):
            va, vb = lexicon.valence(a), lexicon.valence(b)
            opposed = min(abs(va), abs(vb)) >= VALENCE and va * vb < 0
            if opposed and not same_word(a, b) and lexicon.stance(a) and lexicon.stance(b):
                return f"its source says “{b}”, not “{a}”"
    return ""


# Words VADER rates that are mostly not a judgement in news text ("just like they did").
_NOT_RATED = word_set("like likes well pretty kind sure right please yes ok okay")


def _only(text: str, other: str) -> set[str]:
    """Content words of `text` that `other` doesn't have, in any form."""
    theirs = set(terms(other))
    # NLTK's list holds "won" (for "won't"); here it is the verb, the opposite of "lost"
    stop = stopwords() - {"won"}
    return {
        w
        for w in clause_tokens(text)
        if w not in stop and len(w) > 2 and w != "|" and not set(terms(w)) & theirs
    }


# -- modality and quantity -------------------------------------------------------------------
def modality_mismatch(claim: str, support: str) -> str:
    """Why the claim states more firmly or more widely than the support ("" when not)."""
    mine, theirs = clause_tokens(claim), clause_tokens(support)
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
    # a hedge of the source's ("ministers hoped … would support") must be one of the
    # claim's too, by the same words (any form: "the threat of" for "threatened", "the
    # aim is" for "we want"); only hedges in the clauses that say what the claim says count
    hedged = cue_reach(mine, CLAIM_HEDGES, shared, prefix=True)
    hedges = cue_reach(relevant_clauses(theirs, shared), HEDGES, shared, nouns=False)
    for hedge, near in sorted(hedges.items()):
        if not any(near & theirs_near for theirs_near in hedged.values()):
            return f"its source only says “{hedge}”, not that it happened"
    return ""
