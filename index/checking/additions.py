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

import difflib
import re
from collections.abc import Callable

import numpy as np

from index import lexicon
from index.text import stopwords, terms, words

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


def gains(
    claim: str,
    options: list[tuple[str, str]],
    support: str,
    embed: Embed,
    support_vector: np.ndarray | None = None,
) -> list[float]:
    """For each of `options` (from `candidates`), how much closer in meaning (cosine) the
    claim without that clause is to `support` than the claim is; the texts embedded in one
    call, the support among them unless its vector is given (a sentence of the index: the
    longest text, it would cost two thirds of the call)."""
    texts = [claim, *(rest for _, rest in options)]
    if support_vector is None:
        texts.insert(1, support)
    vectors = np.asarray(embed(texts), dtype=float)
    if support_vector is not None:
        vectors = np.insert(vectors, 1, np.asarray(support_vector, dtype=float), axis=0)
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


def added_clause(
    claim: str,
    found: set[str],
    support: str,
    embed: Embed,
    support_vector: np.ndarray | None = None,
) -> str:
    """The clause of `claim` that adds to `support` ("" if none): one of `candidates`
    whose removal brings the claim closer in meaning to the support."""
    options = candidates(claim, found)
    if not options:
        return ""
    closer = gains(claim, options, support, embed, support_vector)
    return next((clause for (clause, _), g in zip(options, closer, strict=True) if g > 0), "")


# A word swapped for another in words otherwise copied from the support ("promised to protect
# the *pensions* of workers" where it says "the *rights* of workers"): a faithful claim swaps
# a word for one near it in meaning, an unfaithful one for another thing of the same kind.
# WordNet tells the near ones it knows (lexicon.kin); for the rest, the two words alone must
# be at least this close in the embedding ("staff"/"workers" 0.61, "cash"/"money" 0.71;
# "pensions"/"rights" 0.26, "funding"/"action" 0.30). bench/tuning/claim_swaps.py prints
# every swap the tuning claims make, with both figures and its label.
SWAP_SIMILARITY = 0.35


def replaced_word(
    claim: str, support: str, found: set[str], embed: Embed
) -> tuple[str, str] | None:
    """(the claim's word, the support's) where the claim copies the support's words around
    one content word and swaps that one for a word of another meaning: a thing (a noun),
    neither a verb of saying nor a modifier, absent from the support's neighbourhood
    (`found`). None when there is no such swap."""
    for mine, theirs in swaps(claim, support, found):
        if lexicon.kin(mine, theirs) is not False:  # near, or unknown to WordNet
            continue
        vectors = np.asarray(embed([mine, theirs]), dtype=float)
        vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
        if float(vectors[0] @ vectors[1]) < SWAP_SIMILARITY:
            return mine, theirs
    return None


def swaps(claim: str, support: str, found: set[str]) -> list[tuple[str, str]]:
    """Each (claim word, support word) the claim puts in place of the support's, one content
    word for one, with copied content words on both sides of it (or two before it at the
    claim's end), where the claim's word is a noun (not a modifier, a verb form or a verb
    of saying) that `found` lacks."""
    mine, theirs = words(claim), words(support)
    ops = difflib.SequenceMatcher(
        None, [_key(w) for w in mine], [_key(w) for w in theirs], autojunk=False
    ).get_opcodes()
    out = []
    for i, (tag, a1, a2, b1, b2) in enumerate(ops):
        claimed, said = _content(mine[a1:a2]), _content(theirs[b1:b2])
        if tag != "replace" or len(claimed) != 1 or len(said) != 1:
            continue
        word = claimed[0]
        if _key(word) in found or not _a_thing(word):
            continue
        before = _copied(mine, ops[i - 1]) if i else 0
        after = _copied(mine, ops[i + 1]) if i + 1 < len(ops) else 0
        if (before and after) or (a2 == len(mine) and before >= 2):
            out.append((word, said[0]))
    return out


def _key(word: str) -> str:
    found = terms(word)
    return found[0] if found else word


def _content(tokens: list[str]) -> list[str]:
    stop = stopwords()
    return [w for w in tokens if w not in stop and len(w) > 2 and terms(w)]


def _copied(tokens: list[str], op: tuple[str, int, int, int, int]) -> int:
    """How many content words an `equal` opcode copies (0 for any other)."""
    return len(_content(tokens[op[1] : op[2]])) if op[0] == "equal" else 0


def _a_thing(word: str) -> bool:
    """A noun, not an adjective or adverb as written, a verb's past or -ing form, or a
    verb of saying ("pensions", "funding"; not "early", "extended", "warned")."""
    if lexicon.adverb_or_adjective(word) or lexicon.past_verb(word) or lexicon.saying(word):
        return False
    if word.endswith("ing") and not lexicon.noun(word, as_written=True):
        return False
    return lexicon.noun(word)
