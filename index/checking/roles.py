"""Who did what to whom. A claim can reuse every word of its source and say the opposite by
swapping the two sides of its verb ("The government inflicted a sharp defeat on the unions"
for "The unions inflicted a sharp defeat on the government"), or by swapping the verb alone
between the same words ("Delegates … rejected a motion by Oxford West" for "… backed a
motion by Oxford West")."""

from __future__ import annotations

import difflib
from collections import Counter

from index import lexicon
from index.checking.cues import clause_tokens, word_set
from index.text import stopwords, terms, words

# A passive or a "by" turns the sides round legitimately ("the plans were defeated by the
# unions"): no swap is read across one.
_PASSIVE = word_set("was were been be being is are am by")


def role_swap(claim: str, support: str) -> str:
    """Why the claim has the sides of a verb both texts share the other way round ("" when
    it doesn't): a past verb said once in each, in a clause holding a word before it in
    the claim and after it in the support, and another the other way."""
    mine, theirs = _clauses(claim), _clauses(support)
    for verb in sorted(_once(mine) & _once(theirs)):
        if not lexicon.past_verb(verb):
            continue
        a, b = _sides(mine, verb), _sides(theirs, verb)
        if a is None or b is None:
            continue
        (before, after), (their_before, their_after) = a, b
        moved_on = before & their_after
        moved_back = after & their_before
        if moved_on and moved_back:
            clause = next(c for c in theirs if verb in c)
            i = clause.index(verb)
            doer = next(w for w in reversed(clause[:i]) if set(terms(w)) & moved_back)
            done_to = next(w for w in clause[i + 1 :] if set(terms(w)) & moved_on)
            return f"its source says {doer} {verb} … {done_to}, not the other way round"
    return ""


# A swapped verb counts between words both texts say: at least this many content words
# right before it and right after it.
VERB_CONTEXT = (1, 2)


def swapped_verb(claim: str, support: str) -> str:
    """Why the claim puts another verb where its support has one, between the same words
    ("" when it doesn't): a past verb for a past verb that WordNet doesn't give as the same
    or a broader sense ("pledged"/"promised" are one; "rejected"/"backed" are not)."""
    mine, theirs = words(claim), words(support)
    ops = difflib.SequenceMatcher(a=mine, b=theirs, autojunk=False).get_opcodes()
    for k, (tag, i1, i2, j1, j2) in enumerate(ops):
        if tag != "replace" or i2 - i1 != 1 or j2 - j1 != 1:
            continue
        before = ops[k - 1] if k and ops[k - 1][0] == "equal" else None
        after = ops[k + 1] if k + 1 < len(ops) and ops[k + 1][0] == "equal" else None
        if before is None or after is None:
            continue
        context = (_content(mine[before[1] : before[2]]), _content(mine[after[1] : after[2]]))
        if any(n < want for n, want in zip(context, VERB_CONTEXT, strict=True)):
            continue
        a, b = mine[i1], theirs[j1]
        if not (lexicon.past_verb(a) and lexicon.past_verb(b)):
            continue
        if not set(terms(a)) & set(terms(b)) and not lexicon.related(a, b):
            return f"its source says “{b}”, not “{a}”"
    return ""


def crossed_pairs(claim: str, support: str) -> str:
    """Why the claim pairs up crosswise what its support says in two clauses ("" when it
    doesn't): "the deficits were in poorer areas, with the underspends in wealthier parts"
    for "the deficits are in wealthier parts …, the underspends are in poorer areas". Two
    clauses of the claim each take a word said once from each of two clauses of the
    support."""
    mine, theirs = _parts(_clauses(claim)), _parts(_clauses(support))
    where = _clause_of(theirs)
    shared = _clause_of(mine).keys() & where.keys()
    sides = [{where[t]: w for w in clause for t in terms(w) if t in shared} for clause in mine]
    for i, one in enumerate(sides):
        for other in sides[i + 1 :]:
            common = sorted(one.keys() & other.keys())
            if len(common) >= 2:
                a, b = common[:2]
                return (
                    f"its source puts “{one[a]}” with “{other[a]}” and “{one[b]}” with "
                    f"“{other[b]}”, not the other way round"
                )
    return ""


_JOINS = word_set("and but while whereas")


def _parts(clauses: list[list[str]]) -> list[list[str]]:
    """The clauses cut again where "and", "but", "while" or "whereas" joins two."""
    out: list[list[str]] = []
    for clause in clauses:
        out.append([])
        for w in clause:
            if w in _JOINS:
                out.append([])
            else:
                out[-1].append(w)
    return [c for c in out if c]


def _clause_of(clauses: list[list[str]]) -> dict[str, int]:
    """The content terms said once in the text, each with the number of its clause."""
    stop = stopwords()
    seen = Counter(t for c in clauses for w in c if w not in stop for t in terms(w))
    return {
        t: n
        for n, clause in enumerate(clauses)
        for w in clause
        if w not in stop
        for t in terms(w)
        if seen[t] == 1
    }


def _content(tokens: list[str]) -> int:
    stop = stopwords()
    return sum(t not in stop and len(t) > 2 for t in tokens)


def _clauses(text: str) -> list[list[str]]:
    return [c.split() for c in " ".join(clause_tokens(text)).split("|")]


def _once(clauses: list[list[str]]) -> set[str]:
    counts = Counter(w for c in clauses for w in c)
    return {w for w, n in counts.items() if n == 1}


def _sides(clauses: list[list[str]], verb: str) -> tuple[set[str], set[str]] | None:
    """The content words (stemmed) before and after `verb` in its clause; None when a
    passive or "by" is next to it."""
    for clause in clauses:
        if verb not in clause:
            continue
        i = clause.index(verb)
        near = set(clause[max(0, i - 2) : i]) | set(clause[i + 1 : i + 5])
        if near & _PASSIVE:
            return None
        before = {t for w in clause[:i] for t in terms(w)}
        after = {t for w in clause[i + 1 :] for t in terms(w)}
        return before - after, after - before
    return None
