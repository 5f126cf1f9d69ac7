"""Names in a question typed without capitals ("what did hewitt say about profits?", or
all in capitals), given back the case the library writes them in.

What a question is about is read from its capitalised words (index/search/question.py): a name
the library knows narrows the documents answering, a speaker's own words come first, a
name it never mentions makes a refusal. Typed in lower case, a question lost all of that:
on the tuning sets lower-cased, the unanswerable ones refused fell from 0.79 to 0.46 on
the seed library (0.68 → 0.25 at full scale). Retrieval doesn't need case, so the
passages it finds say how the question's words are written: a word that appears there
only capitalised, and not at the start of a sentence ("Hewitt", "NHS", "Momentum"), is a
name. A name no passage holds stays as typed (docs/answering.md measures the rest), but
for the person whose words the question asks for ("what did boris johnson say …"): none
of whose words any passage holds, that is a name the library doesn't know, and it is
capitalised so that the question is judged as the written one is (refused when no
passage is about them).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

from index.search.question import ASKING_WHO, SAYING
from index.text import LETTER_WORD, stopwords

_TOKEN = LETTER_WORD  # accented letters are letters: "müller" is recased as one word
# "what did boris johnson say …": one to three words between the asking verb and a verb
# of saying, typed without capitals.
_ASKED_SPEAKER = re.compile(
    ASKING_WHO + r"(?P<who>[a-z][\w'’-]*(?:\s+[a-z][\w'’-]*){0,2})" + SAYING
)
_SENTENCE_END = ".!?:\"“”'’\n"


def _all_capitals(text: str) -> bool:
    letters = [c for c in text if c.isalpha()]
    return bool(letters) and all(c.isupper() for c in letters)


# A word in capitals ("NHS", "GP", "MPs") is typed so by people who type names in lower
# case: "what does paul flather think about the NHS" is a question typed without case.
_ACRONYM = re.compile(r"\b[A-Z]{2,}s?\b")


def needs_casing(text: str) -> bool:
    """Is `text` typed without case: no capital after its first letter (acronyms aside),
    or all capitals?"""
    letters = [c for c in text if c.isalpha()]
    if len(letters) < 2:
        return False
    if _all_capitals(text):
        return True
    rest = [c for c in _ACRONYM.sub(" ", text) if c.isalpha()][1:]
    return not any(c.isupper() for c in rest)


def _whole_words(words: Sequence[str]) -> re.Pattern[str]:
    """Any of `words` as a whole word, in any case ("may" not in "mayor" or "Mayo's")."""
    alternatives = "|".join(map(re.escape, words))
    return re.compile(rf"(?<![\w'’-])(?:{alternatives})(?![\w'’-])", re.I)


def recase(text: str, passages: Sequence[str]) -> str:
    """`text` with each lower-case word the passages write only capitalised (away from a
    sentence's start) in their most frequent capitalised form; other words as typed (an
    all-capitals text is lower-cased first)."""
    if _all_capitals(text):
        text = text.lower()
    stop = stopwords()

    def cased(m: re.Match[str]) -> str:
        word = m.group(0)
        if len(word) < 2 or not word.islower() or word in stop:
            return word
        pattern = _whole_words([word])
        forms: Counter[str] = Counter()
        for passage in passages:
            for found in pattern.finditer(passage):
                before = found.start() - 1  # the character before it, spaces aside
                while before >= 0 and passage[before].isspace():
                    before -= 1
                if before >= 0 and passage[before] not in _SENTENCE_END:  # a name's capital
                    forms[found.group(0)] += 1
        if not forms or word in forms:
            return word
        best = forms.most_common(1)[0][0]
        return best if best[0].isupper() else word

    return _unknown_speaker(_TOKEN.sub(cased, text), passages)


def _unknown_speaker(text: str, passages: Sequence[str]) -> str:
    """`text` with the person it asks the words of capitalised when no passage holds any
    of their words (not a pronoun or a group with an article: "what did they say")."""
    m = _ASKED_SPEAKER.search(text)
    if m is None:
        return text
    words = m.group("who").split()
    stop = stopwords()
    if any(w in stop for w in words):
        return text
    held = _whole_words(words)
    if any(held.search(p) for p in passages):
        return text
    named = " ".join(w[0].upper() + w[1:] for w in words)
    return text[: m.start("who")] + named + text[m.end("who") :]
