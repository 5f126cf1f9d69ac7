"""Additions, clause by clause: a claim that says what its source says and then adds a
clause of its own ("… will be able to set aside contracts *and dismiss their boards*").

The share of a claim's words its source lacks doesn't tell additions from faithful
rewordings (both lack a third to a half of them). What does, more often: an added clause
holds several content words found nowhere near the support, and leaving it out brings the
claim *closer* in meaning to its support, while leaving out a clause that a faithful claim
reworded takes away what it shares with the support. Over the claims the rest of the
checker let through on the tuning files (`.venv/bin/python bench/tuning/claim_clauses.py`),
every faithful claim with such a clause moved away from its support (by 0.03 to 0.68), and
2 of the 4 additions moved closer (+0.06); the other two ("… which is why the government
will abolish waiting lists") reuse enough of the passage's words to look like it."""

from __future__ import annotations

import re
from collections.abc import Callable

import numpy as np

from index.text import terms

# A clause of its own starts at a comma, a semicolon, a colon, a dash or a bracket, or at a
# word that opens one (an infinitive's "to" too: "… on Friday to plan a national strike");
# the claim's first clause (its subject) is never left out. A clause
# is tried with what it governs ("and demanded that Hewitt resign") and without it ("that
# has already doubled waiting times").
_OPENS = r"and|but|which|while|whereas|because|so|after|before|with|thereby|thus"
_OPENS_ALL = f"{_OPENS}|that|who|to"
_BREAKS = tuple(
    re.compile(rf"\s*[,;:()–—]\s*|\s+(?=\b(?:{opens})\b)", re.I) for opens in (_OPENS, _OPENS_ALL)
)
_OPENER = re.compile(rf"^(?:{_OPENS_ALL})\s+", re.I)

# A clause is a candidate when at least this many of its content words are found nowhere
# in the support, its neighbours, the title or the speakers (one is a reworded word).
UNSUPPORTED_WORDS = 2

Embed = Callable[[list[str]], np.ndarray]


def candidates(claim: str, found: set[str]) -> list[tuple[str, str]]:
    """(clause, the claim without it) for each clause after the first holding at least
    UNSUPPORTED_WORDS content words not in `found`."""
    out: dict[str, tuple[str, str]] = {}
    for breaks in _BREAKS:
        parts = [p for p in breaks.split(claim) if p and p.strip()]
        for i, part in enumerate(parts[1:], start=1):
            if sum(t not in found for t in terms(part)) >= UNSUPPORTED_WORDS:
                said = _OPENER.sub("", part.strip(" .")) or part
                out.setdefault(said, (said, " ".join(parts[:i] + parts[i + 1 :])))
    return list(out.values())


def gains(claim: str, options: list[tuple[str, str]], support: str, embed: Embed) -> list[float]:
    """For each of `options` (from `candidates`), how much closer in meaning (cosine) the
    claim without that clause is to `support` than the claim is; claim, support and the
    shortened claims embedded in one call."""
    vectors = np.asarray(embed([claim, support, *(rest for _, rest in options)]), dtype=float)
    vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
    base = float(vectors[0] @ vectors[1])
    return [float(rest @ vectors[1]) - base for rest in vectors[2:]]


# A cause the claim gives ("because …", "which is why …", "… caused …"), and the words
# by which a source gives one, read broadly ("as a result", "in turn could mean", "blamed
# for", "since"), so that only a cause the source gives in no words at all counts as added.
_CLAIMED_CAUSE = re.compile(
    r"\b(because|which is why|that is why|this is why|therefore|hence|due to|"
    r"caus(?:e|es|ed|ing))\b",
    re.I,
)
_SOURCE_CAUSE = re.compile(
    r"\b(because|why|therefore|hence|thus|since|due|thanks|owing|so that|so as|in turn|"
    r"caus\w*|result\w*|lead|leads|leading|led|blam\w*|mean|means|meant|explanation|"
    r"reason\w*|driv\w*|consequen\w*|effect\w*|in order)\b",
    re.I,
)


def added_cause(claim: str, window: str) -> str:
    """The cause the claim gives where its support and neighbours (`window`) give none, in
    any words ("" if they do): a language model likes to join two facts with "because"."""
    found = _CLAIMED_CAUSE.search(claim)
    if found is None or _SOURCE_CAUSE.search(window):
        return ""
    return found.group(1).lower()


def added_clause(claim: str, found: set[str], support: str, embed: Embed) -> str:
    """The clause of `claim` that adds to `support` ("" if none): one of `candidates`
    whose removal brings the claim closer in meaning to the support."""
    options = candidates(claim, found)
    if not options:
        return ""
    closer = gains(claim, options, support, embed)
    return next((clause for (clause, _), g in zip(options, closer, strict=True) if g > 0), "")
