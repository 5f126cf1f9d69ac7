"""What a question is: its meaning (one embedding), its words, the names it is about, the
kind of answer it wants, and its shape — one fact, or a broad question answered from
several sides. Worked out once per question and passed down, so re-ranking, answering and
citation checking all read the question the same way."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from functools import lru_cache
from typing import Any

import numpy as np

from index.search.answer_types import answer_type_terms, asked_type_terms
from index.search.asking import read
from index.text import CAPITAL, name_phrases, terms


class Shape(Enum):
    FACT = "fact"  # one fact: one quote (two when two places each name an answer)
    BROAD = "broad"  # arguments, positions, what happened: several voices, each attributed


def shape_of(text: str) -> Shape:
    """One fact or broad, by what the question asks for (index/search/asking.py's cue table)."""
    return Shape(read(text).shape)


# A question is analysed three times over (what to embed, where what it asks is, then the
# rest): its names and what it asks without them are worked out once.
@lru_cache(maxsize=256)
def without_names(text: str, names: tuple[str, ...]) -> str:
    """The question with the names it is about taken out: what it asks of them ("In what
    year was the NHS founded?" → "In what year was the founded?")."""
    return " ".join(m.group() for m in _kept_words(text, names))


def _kept_words(text: str, names: Sequence[str]) -> list[re.Match[str]]:
    """The question's words (as `str.split` finds them) that aren't words of its names."""
    drop = {_bare(w) for n in names for w in n.split()} - {"of"}
    return [m for m in re.finditer(r"\S+", text) if _bare(m.group()) not in drop]


@lru_cache(maxsize=256)
def _names(text: str) -> tuple[str, ...]:
    """The names the question is about that have words to match (not "The" alone)."""
    return tuple(e for e in name_phrases(text) if terms(e))


def question_caches() -> tuple[Any, ...]:
    """The caches of analysed questions (for index.search.evidence.clear_caches)."""
    return (_names, without_names)


def _unknown(found: Sequence[str], known: Callable[[frozenset[str]], bool] | None) -> list[bool]:
    """Which names are embedded: those the library doesn't use (all of them, without
    `known`). `to_embed` and `of` read the same answer, so the vectors line up."""
    return [known is None or not known(frozenset(terms(n))) for n in found]


def _bare(word: str) -> str:
    w = word.strip('?!.,;:"“”()').lower()
    for suffix in ("'s", "’s"):
        w = w.removesuffix(suffix)
    return w.strip("'’")


# "What did Hewitt say …", "How did Dave Prentis respond …": asks what that person said.
ASKING_WHO = r"\b(?:did|does|do|has|have)\s+"
SAYING_VERBS = (  # noqa: SIM905 - one word list, read as prose
    "say argue think believe want claim warn urge fear call describe tell promise propose "
    "demand criticise criticize respond reply answer insist suggest mean justify defend "
    "explain admit concede announce pledge react see view feel"
).split()
SAYING = rf"\s+(?:{'|'.join(SAYING_VERBS)})\b"
# their terms: what such a question asks beside its topic is the speaker's words
SAYING_TERMS = frozenset(t for verb in SAYING_VERBS for t in terms(verb))
_NAME_WORD = rf"[{CAPITAL}][\w'’-]*"
_ASKS_WHAT_SAID = re.compile(
    ASKING_WHO + rf"(?:the\s+)?(?P<who>(?:{_NAME_WORD}\s+){{0,3}}{_NAME_WORD})" + SAYING
)


# "What happened to …", "What is going on in …": asks for what took place, in words that are
# none of its topic (a sentence saying "make that happen" is not about it).
_EVENTS = re.compile(
    r"\bwhat(?:s|'s|’s|\s+is|\s+was|\s+has|\s+had)?\s+(happened|happening|going\s+on|went\s+on)\b",
    re.I,
)


def _events_asked(text: str) -> frozenset[str]:
    m = _EVENTS.search(text)
    return frozenset(terms(m.group(1))) if m else frozenset()


def speaker_asked_about(text: str) -> str | None:
    """The person whose words the question asks for, as written ("Dave Prentis")."""
    m = _ASKS_WHAT_SAID.search(text)
    return m.group("who") if m else None


# "What did the unions argue …", "What do trade unions think …": a group, by a plural noun.
_ASKS_WHAT_GROUP_SAID = re.compile(
    ASKING_WHO + r"(?:the\s+)?(?:[\w'’-]+\s+){0,2}?(?P<group>[a-z][a-z-]*[a-rt-z]s)" + SAYING
)


def group_asked_about(text: str) -> str | None:
    """The stemmed noun of the group whose words the question asks for ("union")."""
    m = _ASKS_WHAT_GROUP_SAID.search(text)
    found = terms(m.group("group")) if m else []
    return found[0] if len(found) == 1 else None


@dataclass(frozen=True)
class ToEmbed:
    """What a question needs embedded besides itself (Question.to_embed), by name."""

    asked: str | None  # the question without its names (None: it asks nothing beyond them)
    names: tuple[str, ...]  # the names it is about that the library doesn't use

    @property
    def texts(self) -> list[str]:
        return [*([self.asked] if self.asked else []), *self.names]


_TITLES = {"mr", "ms", "mrs", "miss", "dr", "sir", "lord", "lady", "dame", "professor"}


@dataclass(frozen=True)
class Question:
    text: str
    vector: np.ndarray  # unit-length embedding of the question (the retrieval query's)
    weights: dict[str, float]  # stemmed content words: 1.0; words of earlier turns: 0.5
    names: tuple[frozenset[str], ...]  # each name it is about, as its terms
    name_texts: tuple[str, ...]  # … as written
    wh_terms: frozenset[str]  # terms of its wh-phrase ("what year"): not its topic
    shape: Shape
    # The embedding of what it asks without its names (the question's own when it has none),
    # and of each name: a sentence about the NHS is close to "In what year was the NHS
    # founded?" but far from "In what year was the founded?".
    asked_vector: np.ndarray
    # … and of each name the library doesn't know (None: a name it knows, matched by words)
    name_vectors: tuple[np.ndarray | None, ...] = ()
    speaker: str | None = None  # whose words it asks for ("What did Hewitt say …")
    group: str | None = None  # … or which group's, stemmed ("What did the unions say": "union")
    # The noun it opens by asking for, as terms ("Which union …": union), if any
    type_terms: frozenset[str] = frozenset()
    # Sentences already scored for this question, by passage: re-ranking and the answerer
    # look at the same passages (index.search.evidence.score_sentences).
    scored: dict[tuple[str, int, int, str], list[Any]] = field(
        default_factory=dict, compare=False, repr=False
    )

    def said_by(self, attributed: str | None, described: Callable[[str], frozenset[str]]) -> bool:
        """Is a sentence attributed to `attributed` said by whoever the question asks the
        words of: the person (said_by_speaker), or one of the group, as the library
        describes them (`described`: the terms of every phrase naming that speaker —
        "Dave Prentis, leader of Britain's biggest health union Unison" is a union's)."""
        if not attributed:
            return False
        if self.speaker:
            return self.said_by_speaker(attributed)
        return self.group is not None and self.group in described(attributed)

    @property
    def asks_whose_words(self) -> bool:
        return bool(self.speaker or self.group)

    def said_by_speaker(self, attributed: str | None) -> bool:
        """Is a sentence attributed to `attributed` (as the text names them) said by the
        person the question asks about? "Hewitt" and "Patricia Hewitt" are "Ms Hewitt";
        "British Medical Association" is "the BMA", not "a medical association"."""
        if not self.speaker or not attributed:
            return False
        asked = [w.lower().removesuffix("'s").removesuffix("’s") for w in self.speaker.split()]
        said = [w.strip(",.'’").lower() for w in attributed.split()]
        initials = "".join(w[0] for w in asked if w).lower()
        if len(asked) > 1 and initials in said:
            return True
        if asked[-1] not in said:
            return False
        at = said.index(asked[-1])
        titled = at > 0 and said[at - 1].rstrip(".") in _TITLES
        return len(asked) == 1 or titled or all(w in said for w in asked)

    @staticmethod
    def to_embed(text: str, known: Callable[[frozenset[str]], bool] | None = None) -> ToEmbed:
        """What a question needs embedded besides itself: what it asks without its names
        (when that is anything: "Who is the Secretary General of Co-operatives UK?" asks
        nothing beyond its name), and each name the library doesn't know (`known`: does it
        use every word of the name). A known name is matched by its words, only an unknown
        one by meaning (index.search.gate.judge); each text costs as much as the question."""
        found = _names(text)
        if not found:
            return ToEmbed(None, ())
        asked = without_names(text, found)
        unknown = [n for n, embed in zip(found, _unknown(found, known), strict=True) if embed]
        return ToEmbed(asked if terms(asked) else None, tuple(unknown))

    @staticmethod
    def asked_spans(text: str) -> list[tuple[int, int]] | None:
        """Where what it asks is in the question: the character spans of the words of
        `to_embed`'s `asked` (None when it asks nothing beyond its names), so that a model
        can read what is asked from the question's own token vectors."""
        found = _names(text)
        if not found or not terms(without_names(text, found)):
            return None
        return [m.span() for m in _kept_words(text, found)]

    @classmethod
    def of(
        cls,
        text: str,
        vector: np.ndarray | list[float],
        context: str = "",
        asked: np.ndarray | None = None,
        named: Mapping[str, np.ndarray] | None = None,
        known: Callable[[frozenset[str]], bool] | None = None,
    ) -> Question:
        """Analyse `text`; `vector` is its retrieval embedding; `asked` the embedding of
        `to_embed(text, known).asked` (without it, what is asked is the question itself) and
        `named` those of its `names`, by name."""
        weights = dict.fromkeys(terms(context), 0.5)
        weights.update(dict.fromkeys(terms(text), 1.0))
        found = _names(text)
        unit = np.asarray(vector, dtype=np.float32)
        asked_vector = unit if asked is None else np.asarray(asked, dtype=np.float32)
        name_vectors: tuple[np.ndarray | None, ...] = ()
        if named:
            name_vectors = tuple(
                np.asarray(named[n], dtype=np.float32) if embed and n in named else None
                for n, embed in zip(found, _unknown(found, known), strict=True)
            )
        return cls(
            text=text,
            vector=unit,
            weights=weights,
            names=tuple(frozenset(terms(e)) for e in found),
            name_texts=tuple(found),
            wh_terms=frozenset(answer_type_terms(text)) | _events_asked(text),
            shape=shape_of(text),
            asked_vector=asked_vector,
            name_vectors=name_vectors,
            speaker=speaker_asked_about(text),
            group=group_asked_about(text),
            type_terms=asked_type_terms(text),
        )

    @property
    def name_terms(self) -> frozenset[str]:
        return frozenset().union(*self.names) if self.names else frozenset()

    @property
    def asked_weights(self) -> dict[str, float]:
        """Its words but the names it is about and its wh-phrase: what it asks of them."""
        not_asked = self.name_terms | self.wh_terms
        return {t: w for t, w in self.weights.items() if t not in not_asked}

    @property
    def broad(self) -> bool:
        return self.shape is Shape.BROAD
