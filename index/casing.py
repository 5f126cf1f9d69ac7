"""Names in a question typed without capitals ("what did hewitt say about profits?", or
all in capitals), given back the case the library writes them in.

What a question is about is read from its capitalised words (index/question.py): a name
the library knows narrows the documents answering, a speaker's own words come first, a
name it never mentions makes a refusal. Typed in lower case, a question lost all of that:
on the tuning sets lower-cased, the unanswerable ones refused fell from 0.79 to 0.46 on
the seed library (0.68 → 0.25 at full scale). Retrieval doesn't need case, so the
passages it finds say how the question's words are written: a word that appears there
only capitalised, and not at the start of a sentence ("Hewitt", "NHS", "Momentum"), is a
name. A name no passage holds stays as typed (docs/answering.md measures the rest).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

from index.text import stopwords

_TOKEN = re.compile(r"[A-Za-z][A-Za-z'’-]*")
_SENTENCE_END = ".!?:\"“”'’\n"


def _all_capitals(text: str) -> bool:
    letters = [c for c in text if c.isalpha()]
    return bool(letters) and all(c.isupper() for c in letters)


def needs_casing(text: str) -> bool:
    """Is `text` typed without case: no capital after its first letter, or all capitals?"""
    letters = [c for c in text if c.isalpha()]
    if len(letters) < 2:
        return False
    return not any(c.isupper() for c in letters[1:]) or _all_capitals(text)


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
        pattern = re.compile(rf"(?<![\w'’-]){re.escape(word)}(?![\w'’-])", re.I)
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

    return _TOKEN.sub(cased, text)
