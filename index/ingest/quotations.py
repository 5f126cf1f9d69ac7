"""Quotations read whole: a quotation is its speaker's from its opening mark to its closing
one, over sentences and paragraphs, and the writer's few words in marks after it go on
being theirs. Run over attribution's findings for one document (attribution.analyse)."""

from __future__ import annotations

import re
from collections.abc import Sequence

from index.ingest.reporting import REPORTED, Analysis
from index.store.sentences import same_person
from index.text import OPENING_MARKS, QUOTATION_MARKS, quotation_open


def quotations(
    sentences: Sequence[str], found: list[Analysis], paragraphs: Sequence[bool] = ()
) -> list[Analysis]:
    """`found` with each quotation's sentences given its speaker. A quotation runs from its
    opening mark to the mark that closes it, sentences or paragraphs later (a paragraph
    going on with it opens again: "“Haven't we learned …? They are part of … / “People in
    pain …”"). Its speaker is the one a sentence of it names ("“… ,” she said."), else,
    for one opening its sentence, that of the sentence just before it (the writer's
    report, then the words: "She said the NHS had always … “Haven't we learned …"). One
    naming two speakers, one never closed (a paragraph that doesn't open again ends it),
    or one that is only the subject of its sentence ("“Right to Provide” is a scheme …")
    gives nobody's words."""
    out = list(found)
    inside, start = False, 0
    for j, sentence in enumerate(sentences):
        if j < len(paragraphs) and paragraphs[j] and sentence.lstrip()[:1] not in OPENING_MARKS:
            inside = False  # left unclosed
        was_inside = inside
        inside, closed_at = quotation_open(sentence, inside)
        if not was_inside and (inside or closed_at is not None):
            start = j  # a quotation opens here (and may close here too)
        if inside or closed_at is None:
            continue
        after = sentence[closed_at + 1 :]
        if j == start and _WORDS.search(after) and not _SAID_AFTER.match(after):
            continue  # "“Right to Provide” is a scheme …": not words anyone says
        opens = sentences[start].lstrip()[:1] in OPENING_MARKS
        said = {who[0] for k in range(start, j + 1) if (who := found[k][0])}
        at = _last_speaking(sentences, out, start, paragraphs)
        before = out[at][0] if at is not None else None
        after_it = found[j + 1][0] if j + 1 < len(found) else None
        if (
            not said
            and opens
            and at is not None
            and before
            and (
                _reports_speech(sentences[at], found[at])
                # … or between two sentences of one speaker's ("Ms Hewitt has rejected
                # alarm … / “By and large …” / That inequality must be changed, Ms Hewitt
                # said.")
                or (after_it is not None and same_person(before[0], after_it[0]))
            )
        ):
            said = {before[0]}
        if len(said) == 1:
            who = (said.pop(), "")
            for k in range(start, j + 1):
                if found[k][0] is None:
                    out[k] = (who, found[k][1])
    # the writer going on to report the same speaker with a few of their words: "But he
    # said: “… the NHS is in difficulty.” / The pace of reform was “hurting patients,
    # hurting staff and hurting Labour”."
    for j in range(1, len(sentences)):
        before = out[j - 1][0]
        if out[j][0] is None and before and _partial_quote(sentences[j]):
            out[j] = ((before[0], ""), out[j][1])
    return out


def _last_speaking(
    sentences: Sequence[str], found: list[Analysis], start: int, paragraphs: Sequence[bool]
) -> int | None:
    """The sentence before `start` with a speaker, looking back within its paragraph past
    the writer's sentences that name no one ("Mr Prentis … described NHS staff as … / Yet
    health visitors … were threatened … / “We are told …”"); None when a sentence between
    names a person or speaks of one ("she sat down and wrote me a letter"), or none has a
    speaker. A quotation opening a paragraph looks only at the sentence just before it."""
    for k in range(start - 1, -1, -1):
        if found[k][0] is not None:
            return k
        if (
            "PERSON" in found[k][1].split()
            or _SOMEONE.search(sentences[k])
            or any(p < len(paragraphs) and paragraphs[p] for p in (k, k + 1))
        ):
            return None
    return None


_SOMEONE = re.compile(r"\b(he|she|him|her|they|them|we|i)\b", re.I)


def _partial_quote(sentence: str) -> bool:
    """Does a sentence of the writer's hold someone's words: PARTIAL_QUOTE_WORDS or more
    between quotation marks after its first word (fewer are a name or a scare quote: the
    so-called “Right to Provide”)?"""
    return any(
        _WORDS.search(sentence, 0, m.start()) and len(m.group(1).split()) >= PARTIAL_QUOTE_WORDS
        for m in _QUOTED.finditer(sentence)
    )


# The fewest words a partial quotation holds to be someone's words, not a name or a scare
# quote ("the so-called “internal market”"). `bench/tuning/partial_quotes.py` lists what
# each value gives: on the seed library every value from 1 to 6 gives the same one sentence,
# so 4 is a guard no measurement here supports or refutes.
PARTIAL_QUOTE_WORDS = 4
_QUOTED = re.compile(r"[“\"]([^“”\"]*)[”\"]")  # no nested repeats: linear in the sentence


def _reports_speech(sentence: str, found: Analysis) -> bool:
    """Does a sentence hand its speaker on to a quotation after it: it reports their words
    in the past tense ("She said the NHS had always …"), quotes them, or is itself part of
    a quotation of theirs? Not a present-tense want or hope ("What the branch also wants
    is …"), whose subject needn't be the one who speaks next."""
    who = found[0]
    return who is None or bool(who[1]) or any(m in sentence for m in QUOTATION_MARKS)


_WORDS = re.compile(r"\w")
# after the closing mark, an attribution: "… ,” Walker explains." / "… ,” said Ms Hewitt."
_SAID_AFTER = re.compile(r"^\W*(?:\w+\s+){0,4}?(?:" + "|".join(REPORTED) + r")\b", re.I)
