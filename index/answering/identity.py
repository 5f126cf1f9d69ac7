"""Questions asking who a named person is ("Who is Hewitt?", "What position does Richard
Angell hold?"), and the sentences that say it: the person with their role."""

from __future__ import annotations

import re

from index import lexicon

_NAME = r"(?P<name>[\w'’.-]+(?:\s+[\w'’.-]+){0,3}?)"
_IDENTITY = tuple(
    re.compile(p, re.I)
    for p in (
        rf"^\W*who(?:'s|’s|\s+is|\s+was)\s+{_NAME}\W*$",
        rf"^\W*what\s+(?:position|job|role|post|title|office)\s+(?:does|did)\s+{_NAME}\s+"
        r"(?:hold|have|occupy)\W*$",
        rf"^\W*what(?:'s|’s|\s+is|\s+was)\s+{_NAME}['’]s\s+(?:job|role|position|post|title)\W*$",
    )
)
_NOT_A_ROLE = frozenset(
    "who whom whose which that but and or as if when while though although said says "  # noqa: SIM905
    "saying added adds told".split()
)
_TITLES = frozenset({"mr", "mrs", "ms", "miss", "dr", "sir", "lord", "lady", "dame"})


def identity_asked(question: str) -> tuple[str, ...]:
    """The words of the name whose person the question asks about, as written (none when
    it asks something else); only a name written with a capital ("Who is Hewitt?")."""
    for pattern in _IDENTITY:
        m = pattern.match(question)
        words = m["name"].split() if m else []
        if words and words[0][:1].isupper() and words[-1][:1].isupper():
            return tuple(words)
    return ()


def describes(name: tuple[str, ...], sentence: str) -> bool:
    """Does the sentence say who the person is: a role in commas after the name ("Richard
    Angell, the director of …"), "is a …" ("Marie le Conte is a freelance journalist"), or
    a role just before it ("Health Secretary Patricia Hewitt", "Oxford member Paul
    Flather": a word before it whose first WordNet sense is a person)?"""
    last = re.escape(name[-1])
    for m in re.finditer(rf"\b{last}(?:['’]s)?,\s+(?:(?:the|a|an)\s+)?([a-z][\w'’-]*)", sentence):
        if m.group(1) not in _NOT_A_ROLE:  # "Hewitt, who …", "Hewitt, said …"
            return True
    if re.search(rf"\b{last}\s+(?:is|was)\s+(?:a|an|the)\b", sentence):
        return True
    for m in re.finditer(rf"((?:[\w'’,-]+\s+){{1,3}}){re.escape(name[0])}\b", sentence):
        before = [w.strip(",;:") for w in m.group(1).split() if w.lower() not in _TITLES]
        if any(lexicon.usually_person(w) for w in before[-2:]):
            return True
    return False
