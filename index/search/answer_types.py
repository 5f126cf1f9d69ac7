"""What kind of answer a question asks for, told from its wh-phrase ("how many", "which
union", "when"), and whether a sentence holds one: a number, a year, a time, a name, or a
thing named by the noun asked for."""

from __future__ import annotations

import re
from functools import lru_cache

from index.text import WORD, looks_plural, named_entities, stopwords, term, terms, words

# "no one" is nobody, not a number; nor is a number word joined to a word by a hyphen
# ("two-tier", "one-off"), unless a unit or a digit's word follows ("two-year",
# "twenty-five"). The words are matched in the
# lower-cased text: a case-insensitive alternation took ~50 µs a sentence, a third of
# re-ranking's regex time.
_DIGIT_OR_SIGN = re.compile(r"[\d£$€%]")
_NUMBER_WORD = re.compile(
    r"\b(?<!no )(one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|"
    r"thirty|forty|fifty|hundred|hundreds|thousand|thousands|million|millions|billion|"
    r"billions|dozen|half)\b"
    r"(?!-(?!(?:year|month|week|day|hour|minute|one|two|three|four|five|six|seven|eight|"
    r"nine)s?\b))"
)


def _has_number(text: str) -> bool:
    return bool(_DIGIT_OR_SIGN.search(text) or _NUMBER_WORD.search(text.lower()))


_TIME = re.compile(
    r"\b(1[89]\d\d|20\d\d|monday|tuesday|wednesday|thursday|friday|saturday|sunday|"
    r"yesterday|today|tomorrow|tonight|last night|next week|last week|this week|next year|"
    r"last year|morning|spring|summer|autumn|winter)\b",
    re.I,
)
_YEAR = re.compile(r"\b(1[5-9]\d\d|20\d\d)s?\b")
# Month names only capitalised: "may" is far more often the verb.
_MONTH = re.compile(
    r"\b(January|February|March|April|May|June|July|August|September|October|November|"
    r"December)\b"
)
_WH = re.compile(
    r"\b(?P<number>how (many|much|big|large|long|old)|what (number|percentage|share))\b"
    r"|\b(?P<year>(what|which) year)\b"
    r"|\b(?P<time>when|what (date|day|month|time))\b"
    r"|\b(?P<name>(?P<person>who|whom|whose)|(?P<place>where)|which)\b",
    re.I,
)


_HOW_LONG = re.compile(r"\bhow long\b", re.I)
_DURATION = re.compile(
    r"\b(seconds?|minutes?|hours?|days?|weeks?|fortnights?|months?|years?|decades?)\b", re.I
)


@lru_cache(maxsize=1024)  # asked of every candidate sentence of a question
def answer_kind(question: str) -> str | None:
    """What the question's first wh-phrase asks for: "number", "time", "person", "place",
    "name" (which …), or None."""
    first = _WH.search(question)
    if first is None:
        return None
    for kind in ("number", "year", "time", "person", "place", "name"):
        if first.group(kind):
            return kind
    return None


def answer_type_terms(question: str) -> set[str]:
    """Terms of the question's wh-phrase ("what year", "how long"): the kind of answer
    asked for, not its topic."""
    first = _WH.search(question)
    return set(terms(first.group(0))) if first else set()


def answer_type_match(question: str, sentence: str) -> bool:
    """Does the sentence hold the kind of answer the question's wh-word asks for? The
    first wh-word decides: "who was minister when …" asks for a name, not a date."""
    kind = answer_kind(question)
    if kind is None:
        return False
    if kind == "number":
        if _HOW_LONG.search(question) and _DURATION.search(sentence):
            return True  # "wait months, sometimes years": a length of time without a figure
        return _has_number(sentence)
    if kind == "year":
        return bool(_YEAR.search(sentence))
    if kind == "time":
        return bool(_TIME.search(sentence) or _MONTH.search(sentence))
    asked = set(words(question))
    return any(w.lower() not in asked for w in named_entities(sentence))


# The noun a question opens by asking for, the kind of thing its answer names: "Which union
# co-authored …", "Under which prime minister …", "According to Bennett, which …", "Whose
# petition …", "What outlet …". Not a relative "which" later on ("the conference at which
# the unions …"), nor "what" asking a verb's object ("What did she promise?").
_ASKS_WHICH = re.compile(
    r"^\W*(?:[^,?]{1,60},\s*)?(?:(?:in|under|at|for|from|to|by|with|of|on|into|over)\s+)?"
    r"(?:which|whose|what)\s+(?P<noun>[\w'’-]+(?:\s+[\w'’-]+)?)",
    re.I,
)
_AUXILIARY = frozenset(
    {"is", "are", "was", "were", "be", "been", "am", "did", "does", "do", "has", "have", "had"}
    | {"will", "would", "can", "could", "should", "may", "might", "must", "shall"}
    | {"kind", "sort", "type"}  # "What kind of …": the noun comes later
)


@lru_cache(maxsize=1024)
def asked_type_terms(question: str) -> frozenset[str]:
    """The terms of the noun the question opens by asking for ("Which trade union helped
    …": trad, union); empty when it doesn't ask for a kind of thing by its noun."""
    return frozenset(t for token in _asked_type_words(question) for t in terms(token))


def asks_for_one(question: str) -> bool:
    """Does the question ask for one thing by a singular noun ("Which union co-authored
    …"), not several ("Which votes did the government lose …")?"""
    found = _asked_type_words(question)
    if not found:
        return False
    first = re.sub(r"['’]s?$", "", found[0])
    if looks_plural(first) or first.lower() in _MORE_THAN_ONE:
        return False  # "Which votes …", "Which two countries …"
    # the second word is the noun's head when it is plural and a verb follows it ("Which
    # trade unions co-authored …", "Which doctor posts are …"); followed by its object — a
    # determiner or a plural — it is the verb ("Which union leads the opposition?", "Which
    # union wants strikes?")
    if len(found) > 1 and not re.search(r"['’]s?$", found[1]) and looks_plural(found[1]):
        after = re.search(rf"{re.escape(found[1])}\s+([\w'’-]+)", question)
        return after is not None and (
            after.group(1).lower() in _DETERMINERS or looks_plural(after.group(1))
        )
    return True


_MORE_THAN_ONE = frozenset(
    ["two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "several"]
)
_DETERMINERS = frozenset(
    ["the", "a", "an", "their", "its", "his", "her", "this", "that", "these", "those", "our"]
)


def _asked_type_words(question: str) -> list[str]:
    """The words of the noun the question opens by asking for, as written."""
    m = _ASKS_WHICH.search(question)
    if m is None:
        return []
    out: list[str] = []
    for token in m.group("noun").split():
        word = token.lower().replace("’", "'")
        if word.strip("'") in _AUXILIARY or word in stopwords():
            break
        if token[0].isupper():  # a name of the question's ("Which NHS staff"): its topic
            continue
        if terms(token):
            out.append(token)
        if word.endswith("'s") or word.endswith("'"):  # "Which party's conference": party
            break
    return out


# Between a noun and the name it introduces: nothing but space, quotation marks and at most
# a comma ("union Unison", "‘Right to Provide’ scheme", "the conference, Voice ’11").
_BESIDE = re.compile(r"^[\s‘’“”\"',]*$")
# … or, a name first, its apposition: "Unison, the biggest NHS union".
_APPOSITION = re.compile(r"^,\s+(?:the|a|an)\s+(?:[\w'’-]+\s+){0,3}$")


def names_beside(sentence: str, noun: frozenset[str], asked: frozenset[str]) -> bool:
    """Does the sentence name something by the noun the question asks for — a capitalised
    word that isn't one of the question's own (`asked`: its terms) right beside a word of
    `noun`: "public service union Unison", "online left-wing outlet Novara Media", "Green
    Party", "Unison, the biggest NHS union"? Such a sentence supplies the answer, not only
    the question's words."""
    if not noun:
        return False
    tokens = list(WORD.finditer(sentence))
    stems = [term(t.group()) for t in tokens]
    at = [i for i, s in enumerate(stems) if s in noun]
    if not at:
        return False
    stop = stopwords()

    def new_name(j: int) -> bool:
        w = tokens[j].group()
        return w[0].isupper() and w.lower() not in stop and stems[j] not in asked

    for i in at:
        for j in (i - 1, i + 1):
            if 0 <= j < len(tokens) and new_name(j):
                lo, hi = sorted((i, j))
                if _BESIDE.match(sentence[tokens[lo].end() : tokens[hi].start()]):
                    return True
        for j in range(max(0, i - 6), i):  # "Name, the … noun"
            if new_name(j) and _APPOSITION.match(sentence[tokens[j].end() : tokens[i].start()]):
                return True
    return False
