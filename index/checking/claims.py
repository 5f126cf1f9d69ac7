"""Does a passage say what a claim says? A checker that reads support, not topic.

A claim (one sentence a language model wrote, citing a passage) is supported when the
passage has a sentence — or two adjacent ones — that says it, and nothing in them says
otherwise. The checker first finds that support (the sentence closest to the claim by
meaning and words, with the neighbour that completes it), then looks for each way a claim
can reuse a passage's words and still not be what it says:

- **numbers**: every amount, figure and year agrees with one the support states (number
  words, units, ranges and approximations read by `index.checking.numbers`);
- **names**: every name the claim gives is in the support, its neighbours, the title or
  author, or is who the support is attributed to (as the index resolved "he"/"she");
- **who says it**: "X said/argued/called for …" needs a support said by X (the index's
  attribution, or every phrase the library names that speaker by), or written by X's own
  words in the sentence; "the author says" needs the writer's own voice, not a quotation;
- **polarity**: a negation (not, never, n't, rather than …) on shared words in one text and
  not the other; or a word the claim has where the support has its opposite, from WordNet
  ("won"/"lost") or from the VADER valence lexicon ("welcomed"/"criticised");
- **modality and quantity**: "all/every/most/the majority" where the support has no such
  word, and a plain statement where the support only hopes, plans, proposes, tries or says
  something may or could happen;
- **additions**: too much of the claim's content in neither the support nor its neighbours.

Each rejection carries a reason in plain words, for the answer's note. The thresholds are
stated where they are defined, with the measurement that chose them
(bench/claims.py on ../shared/dev_claims.jsonl; never tuned on tests/data/holdout_claims.jsonl)."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from index.checking import lexicon
from index.checking.numbers import unmatched
from index.evidence import Coverage, Evidence
from index.retrieval import CorpusStats
from index.sentences import name_word, speaker_name
from index.text import name_phrases, split_sentences, stopwords, terms, words

# A sentence that speaks of someone named before it: a pronoun, or a quotation.
_REFERS_BACK = re.compile(r"\b(he|she|his|her|him|they|their|we|our|i)\b", re.I)

# -- thresholds ------------------------------------------------------------------------------
# Topic: the support is about the claim when its cosine with the claim reaches MEANING or
# this share of the claim's content words (IDF-weighted) is in the support and neighbours.
# Kept from the topical checker it replaces (faithful kept 20 of 21 on dev_claims).
MEANING = 0.6
WORDS = 0.5
# Additions: at most this share of the claim's content (IDF-weighted) may be missing from
# the support, its neighbours and the title, unless the meaning is this close.
MISSING = 0.5
MISSING_MEANING = 0.75
# Valence: opposite when one side's word is rated at least this positive and the other's
# at least this negative on VADER's -4..+4 scale (1.0: "welcome" 2.0 vs "criticise" -1.9
# count; "backing" 0.1 doesn't).
VALENCE = 1.0
# A negation governs the words up to this many tokens after it ("did not fully support").
NEGATION_SCOPE = 5
# The words after "made by", "started under" … compared as what fills that slot.
SLOT = 4


def _set(text: str) -> frozenset[str]:
    return frozenset(text.split())


# … and verbs whose complement doesn't happen ("failed to consult", "stop them keeping"),
# "unless" (if not), and words negated by their prefix ("unlikely", "unable"; see _tokens)
_NEGATION_WORDS = _set(
    "not no never none nobody nothing neither nor without cannot unless "
    "fail fails failed failing stop stops stopped prevent prevents prevented "
    "refuse refuses refused block blocks blocked"
)
_NEGATION_PHRASES = re.compile(
    r"\b(rather than|instead of|far from|no longer|not yet|yet to|hardly|barely|scarcely)\b", re.I
)
_TOTAL = _set("all every everyone everybody each entire universally always unanimously")
_MAJORITY = _set("most majority")
_PARTIAL = ("some", "several", "many", "few", "certain", "minority", "small")
_HEDGES = _set(
    "may might could should hope hoped hopes hoping plan plans planned planning "
    "propose proposes proposed proposing proposal proposals expect expects expected "
    "intend intends intended aim aims aimed aiming seek seeks sought try tries tried trying "
    "attempt attempts attempted battle battles battling struggle struggles struggling "
    "want wants wanted consider considers considered possible possibly likely potential "
    "potentially probably perhaps suggest suggests suggested need needs must "
    "risk risks endanger endangers endangering threaten threatens threatened threat "
    "seem seems seemed appear appears appeared"
)
_AUTHOR = re.compile(
    r"^\s*(?:the\s+)?(author|writer|article|piece|columnist|blog|editorial)\b", re.I
)
_TITLES = _set("mr mrs ms miss dr sir lord lady dame professor prof")
# Verbs that put words in someone's mouth: "X said/argued/called for …".
_SAYING = re.compile(
    r"\b(said|says|say|argued|argues|argue|warned|warns|claimed|claims|insisted|insists|"
    r"urged|urges|called\s+for|calls\s+for|demanded|demands|told|tells|admitted|admits|"
    r"denied|denies|promised|promises|pledged|pledges|stressed|stresses|declared|declares|"
    r"announced|announces|accused|accuses|suggested|suggests|believes|believed|feared|fears|"
    r"wants|wanted|criticised|criticized|criticises|criticizes|described|describes|"
    r"complained|complains|explained|explains|wrote|writes|added|adds|acknowledged|"
    r"conceded|maintained|maintains|predicted|predicts|welcomed|welcomes|rejected|rejects|"
    r"dismissed|dismisses|blamed|blames|proposed|proposes)\b",
    re.I,
)
_PASSIVE = re.compile(r"\b(been|being|be|is|are|was|were)\s*$", re.I)
_CLAUSE_WORDS = _set("is are was were what which that who has have had")
MAX_SPEAKER_WORDS = 6  # "The more pro-government alternative motion"
_LEADING = re.compile(
    r"^\s*(?:in|at|on|after|before|during|despite|while|when|although|though|however|but|"
    r"and|also|meanwhile|speaking|addressing|echoing|if|unless|once|as|because|since|whereas|"
    r"whether|having|according|among|including|like)\b",
    re.I,
)


UNJUDGED = "unjudged"  # Judgement.kind of a claim that must be embedded to be judged
_UNSURE = ("topic", "addition")  # kinds decided by an overall share, not by what is stated


@dataclass(frozen=True)
class Judgement:
    supported: bool
    reason: str = ""  # why not, in plain words ("its source says some, not every")
    kind: str = ""  # which check failed: topic, number, name, speaker, negation, modality, …
    evidence: tuple[Evidence, ...] = field(default=())  # the supporting sentence(s), in order
    # Decided on something the texts state (a number, a name, a negation …, or most of the
    # claim's words there); False when only the overall share of words or meaning decided,
    # the verdicts an optional second opinion (LLM_VERIFY=model) may overturn.
    sure: bool = True


@dataclass(frozen=True)
class Passage:
    """What the checker knows of the cited passage besides its sentences."""

    sentences: Sequence[Evidence]  # its sentences, scored against the claim (any order)
    context: str  # the document's title and author
    stats: CorpusStats  # for IDF weights
    author: str = ""
    described: Callable[[str], frozenset[str]] = lambda who: frozenset(terms(who))
    # The sentences' `meaning` holds their cosine with the claim. Without it (a claim not
    # embedded yet), only a claim that reuses the passage's words can be judged.
    meaning: bool = True
    before: tuple[str, ...] = ()  # who says the sentences just before the passage


def check(claim: str, passage: Passage) -> Judgement:
    """Is `claim` supported by `passage`? The judgement names the supporting sentences."""
    sentences = sorted(passage.sentences, key=lambda ev: ev.pos)
    if not sentences:
        return Judgement(False, "the passage has no sentences", "topic")
    own = set(terms(claim))
    weights = Coverage(dict.fromkeys(own, 1.0), passage.stats)
    primary, support = _support(sentences, own, weights)
    at = {ev.pos: ev for ev in sentences}
    window = [at[p] for p in range(support[0].pos - 1, support[-1].pos + 2) if p in at]
    # A quotation with no attribution of its own is the words of whoever the sentences
    # before it name ("Mr Prentis … described …. “We are told …”").
    lead = ""
    recent: list[str] = []  # who said the sentences before the support, latest last
    first = support[0]
    if first.speaker is None and (
        first.text.lstrip()[:1] in '“"' or _REFERS_BACK.search(first.text)
    ):
        earlier = [ev for ev in sentences if ev.pos < first.pos]
        # … and whom the index found saying the sentences before ("“…”, Walker explains")
        recent = [*passage.before, *filter(None, map(_who, earlier))]
        lead = " ".join([*(ev.text for ev in earlier), *recent])
    support_text = " ".join(ev.text for ev in support)
    window_text = " ".join(ev.text for ev in window)
    speakers = [s for ev in support if (s := speaker_name(ev.speaker))]
    around = " ".join([window_text, lead, passage.context, *speakers])
    best = max(ev.meaning for ev in support)
    found = _terms_with_speakers(window, passage)
    share = weights(found | _reworded(claim, own - found, window_text)) if own else 1.0
    evidence = tuple(support)

    def no(kind: str, reason: str) -> Judgement:
        return Judgement(False, reason, kind, evidence, sure=kind not in (UNJUDGED, *_UNSURE))

    if not passage.meaning and share < WORDS:
        return no(UNJUDGED, "it needs its meaning compared")
    if best < MEANING and share < WORDS:
        return no("topic", "its source doesn't say that")
    for q, theirs in unmatched(claim, " ".join([support_text, passage.context])):
        if theirs is None:
            return no("number", f"its source doesn't give {q.text}")
        return no("number", f"its source says {theirs.text}, not {q.text}")
    named = _Around.of(around, speakers, passage)
    for name in _names(claim):
        if not named.names(name):
            return no("name", f"its source doesn't name {name} there")
    why = _speaker(claim, support, f"{lead} {support_text}", passage, bool(lead), recent) or _slots(
        claim, support_text
    )
    if why:
        return no("speaker", why)
    why = _polarity(claim, primary.text) or next(
        (
            w
            for ev in support
            if ev is not primary
            for w in [_polarity(claim, ev.text, primary)]
            if w
        ),
        "",
    )
    if why:
        return no("negation", why)
    why = _modality(claim, primary.text)
    if why:
        return no("modality", why)
    if share < 1 - MISSING and best < MISSING_MEANING:
        return no("addition", "its source doesn't say all of that")
    # supported by its meaning with too few of its words there to check it by them
    return Judgement(True, "", "", evidence, sure=share >= WORDS)


# -- finding the support ------------------------------------------------------------------
def _support(
    sentences: list[Evidence], own: set[str], weights: Coverage
) -> tuple[Evidence, list[Evidence]]:
    """The sentence closest to the claim (cosine plus the share of its words), and with it
    the adjacent sentence when that one carries claim words the first lacks (a claim may
    join two sentences), in order."""

    def value(ev: Evidence) -> float:
        return ev.meaning + weights(ev.terms)

    best = max(sentences, key=value)
    chosen = [best]
    # a neighbour joins for words, not for a figure the best sentence lacks ("third")
    missing = {t for t in own - best.terms if not _FIGURE.search(t)}
    extra = [
        ev
        for ev in sentences
        if abs(ev.pos - best.pos) == 1 and weights(ev.terms & missing) > 0 and missing
    ]
    if extra:
        chosen.append(max(extra, key=lambda ev: weights(ev.terms & missing)))
    return best, sorted(chosen, key=lambda ev: ev.pos)


def _who(ev: Evidence) -> str | None:
    return speaker_name(ev.speaker)


def _reworded(claim: str, missing: set[str], text: str) -> set[str]:
    """The claim's terms in `missing` that the text says in other words: a word sharing a
    sense with one of the text's in WordNet ("drew delegates" for "attracted delegates")."""
    if not missing:
        return set()
    stop = stopwords()
    theirs = {w for w in words(text) if w not in stop and len(w) > 2}
    out = set()
    for word in words(claim):
        term = set(terms(word)) & missing
        if term and any(lexicon.synonyms(word, w) for w in theirs):
            out |= term
    return out


def _terms_with_speakers(window: list[Evidence], passage: Passage) -> set[str]:
    found = set(terms(passage.context))
    for ev in window:
        found |= ev.terms
        who = speaker_name(ev.speaker)
        if who:
            found |= passage.described(who)
    return found


_FIGURE = re.compile(r"\d|^(first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth)$")


# -- names -----------------------------------------------------------------------------------
def _names(claim: str) -> list[str]:
    """The names the claim gives: runs of capitalised words after its first word, titles
    aside ("Mr Prentis" is "Prentis")."""
    out = []
    for phrase in name_phrases(claim):
        kept = [w for w in phrase.split() if w.lower().strip(".") not in _TITLES]
        if kept and terms(" ".join(kept)):
            out.append(" ".join(kept))
    return out


@dataclass(frozen=True)
class _Around:
    """The words a claim's names are looked up in: the support, its neighbours, the title
    and author, and whoever says them (with every phrase the library names them by)."""

    words: frozenset[str]
    terms: frozenset[str]
    flat: str

    @classmethod
    def of(cls, text: str, speakers: list[str], passage: Passage) -> _Around:
        found = words(text)
        have = set(terms(text)).union(*(passage.described(who) for who in speakers))
        return cls(frozenset(found), frozenset(have), " ".join(found))

    def names(self, name: str) -> bool:
        if set(terms(name)) <= self.terms or name.lower() in self.flat:
            return True
        initials = "".join(w[0] for w in name.split() if w[:1].isupper())
        return len(initials) >= 2 and initials.lower() in self.words


# -- who says it -----------------------------------------------------------------------------
def claimed_speaker(claim: str) -> tuple[str, str] | None:
    """Who the claim says said it and what they said: the words before its first saying
    verb ("Mr Prentis, echoing …, called" -> "Mr Prentis") and those after it; None when it
    reports no one's words."""
    m = _SAYING.search(claim)
    if not m:
        return None
    before = claim[: m.start()].strip()
    if _PASSIVE.search(before):  # "has been blamed for": no one is quoted
        return None
    # the phrase next to the verb ("In his letter, Andrew Lansley told" -> "Andrew
    # Lansley"; "Mr Prentis, echoing …, called" -> "Mr Prentis")
    for part in reversed([p.strip() for p in before.split(",")]):
        if part and not _LEADING.match(part) and words(part):
            # a longer subject is a clause ("All factions seem to agree that … it wants")
            if len(words(part)) > MAX_SPEAKER_WORDS or _CLAUSE_WORDS & set(words(part)):
                return None
            return part, claim[m.end() :]
    return None


def _speaker(
    claim: str,
    support: list[Evidence],
    text: str,
    passage: Passage,
    quoted: bool = False,
    recent: Sequence[str] = (),
) -> str:
    """Why the support isn't the claimed speaker's words ("" when it is)."""
    found = claimed_speaker(claim)
    if found is None:
        return ""
    who, said = found
    # who says the sentence carrying the claim, when the index knows
    attributed = [s for ev in support if (s := speaker_name(ev.speaker))]
    attributed = attributed[:1] if len(support) == 1 else _primary_first(support, attributed)
    if _AUTHOR.match(who):
        others = [s for s in attributed if not _same_person(passage.author, s)]
        if others:
            return f"its source gives those words to {others[0]}, not the author"
        return ""
    # the speaker's name and description, not how the claim says they spoke ("cautiously")
    asked = {t for w in words(who) if not w.endswith("ly") for t in terms(w)} - _TITLES
    if not asked:
        return ""
    if any(_is(who, asked, said_by, passage) for said_by in attributed):
        return ""
    if attributed:
        return f"its source gives those words to {attributed[0]}, not {who}"
    people = _people(recent, text)
    if quoted and people:
        # a quotation or a "he" is the words of whoever the text last had speaking (for
        # "she", the last woman the text names by her title)
        if _is(who, asked, people[-1], passage):
            return ""
        return f"its source gives those words to {people[-1]}, not {who}"
    if asked <= set(terms(passage.context)) or _named_before(
        text, asked, set(terms(said)) - asked, quoted, _proper_name(who)
    ):
        return ""
    return f"its source doesn't say {who} said that"


_FEMALE = _set("ms mrs miss lady dame")
_TITLED_WOMAN = re.compile(r"\b(?:Ms|Mrs|Miss|Lady|Dame)\.? [A-Z][\w'’-]+")


def _people(speakers: Sequence[str], text: str) -> list[str]:
    """The speakers a "he", "she" or a quotation may stand for, latest last: not a group
    ("Ministers"), and for "she" only those a title says are women, when there are any."""
    people = [s for s in speakers if _proper_name(s) and not _is_group(s)]
    if re.search(r"\b(she|her)\b", text, re.I):
        women = [s for s in people if _FEMALE & set(words(s))]
        named = [m.group(0) for m in _TITLED_WOMAN.finditer(text)]
        return women or named[-1:] or people
    return people


def _is_group(phrase: str) -> bool:
    """ "Ministers", "Delegates": a plural noun and nothing else."""
    found = words(phrase)
    return len(found) == 1 and found[0].endswith("s") and found[0] not in _TITLES


def _is(who: str, asked: set[str], said_by: str, passage: Passage) -> bool:
    """Is the claimed speaker (`who`, its terms `asked`) the one the text has saying it?
    "NHS Alliance chairman Dr Michael Dixon" is who the parser found as "the NHS
    Alliance"; "an anonymous local Momentum organiser" is "a local Momentum organiser"."""
    theirs = set(terms(said_by)) - _TITLES
    return (
        asked <= passage.described(said_by)
        or bool(theirs and theirs <= asked)
        or _same_person(who, said_by)
    )


def _primary_first(support: list[Evidence], attributed: list[str]) -> list[str]:
    """The speakers of a two-sentence support: the one of the sentence saying most of the
    claim is the one that counts (its neighbour may be another speaker's)."""
    best = max(support, key=lambda ev: ev.meaning)
    own = speaker_name(best.speaker)
    return [own] if own else attributed


def _named_before(text: str, asked: set[str], said: set[str], quoted: bool, name: str = "") -> bool:
    """Does the support name the claimed speaker (`asked`) before what the claim says they
    said (`said`)? For a quotation or a pronoun, whose speaker is named in the sentences
    before it: anywhere in them."""
    if quoted:
        return asked <= set(terms(text)) or bool(name and name.lower() in set(words(text)))
    for sentence in split_sentences(text):
        tokens = _tokens(text[sentence.start : sentence.end])
        token_terms = [set(terms(t)) for t in tokens]
        # where the sentence has named all of the claimed speaker …
        seen: set[str] = set()
        named = None
        for i, found in enumerate(token_terms):
            seen |= found & asked
            if seen == asked:
                named = i + 1
                break
        if named is None:
            continue
        # … most of what the claim reports must come after that (a sentence may name two
        # sides: "a Unison-inspired motion which urged … versus a more pro-government
        # alternative which welcomed …")
        after = said & set().union(*token_terms[named:])
        before_only = (said & set().union(*token_terms[:named])) - after
        if after and len(after) >= len(before_only):
            return True
    return False


def _proper_name(phrase: str) -> str:
    """The last word of the name a phrase starts with, when it is a proper name ("Blair" in
    "Tony Blair"; "" for "the activist")."""
    word = name_word(phrase)
    return word if word[:1].isupper() else ""


def _same_person(a: str, b: str) -> bool:
    """Do two phrases name one person by the last word of their names ("Mr Prentis",
    "Dave Prentis, general secretary of Unison")?"""
    x, y = name_word(a), name_word(b)
    return bool(x) and x.lower() == y.lower() and x[0].isupper() and y[0].isupper()


# -- polarity --------------------------------------------------------------------------------
_COMPARED = re.compile(r"(?<=\bmore\b)((?:\s+[\w'’-]+){1,4}?)\s+than\b(?!\s+[\d£$€])", re.I)
# "unlikely", "unfilled", "unable", "non-binding": a negated adjective or participle
# ("unveil", "independent" are words of their own)
_PREFIXED = re.compile(r"\b(un|non-?)([a-z]{3,}(?:ly|ed|able|ible|ful|al|ic|ive|ous|ing))\b", re.I)


def _unprefix(m: re.Match[str]) -> str:
    """ "unlikely" -> "not likely" where WordNet has the two as opposites."""
    word = m.group(0)
    return f"not {m.group(2)}" if lexicon.opposite(word, m.group(2)) else word


_IDIOMS = re.compile(r"\b(?:all over|all along|after all|at all|all but|above all)\b", re.I)
# "the government's plans": the possessive kept as a token of its own ("s", a stopword), so
# that what follows it reads as a noun.
_POSSESSIVE = re.compile(r"(\w)['’]s\b")
_CLAUSE_BREAK = re.compile(r"[,;:()–—\"“”]|\s-\s")


@lru_cache(maxsize=4096)
def _tokens(text: str) -> tuple[str, ...]:
    """The text's words, negation phrases read as "not", with "|" where a clause breaks
    (a comma, a colon, a dash, a quotation mark): a cue's scope ends there."""
    marked = _NEGATION_PHRASES.sub(" not ", _POSSESSIVE.sub(r"\1 s ", text))
    marked = _IDIOMS.sub(" ", marked)  # "all over the UK" is not "all of the UK"
    # "more on prevention than treating": not treating
    marked = _COMPARED.sub(lambda m: f"{m.group(1)} not", marked)
    marked = _PREFIXED.sub(_unprefix, marked)
    marked = _CLAUSE_BREAK.sub(" | ", marked)
    return tuple(w for part in marked.split(" | ") for w in [*words(part), "|"] if w)


def _scope(tokens: Sequence[str], i: int, width: int) -> list[str]:
    """Up to `width` tokens after position i, within its clause."""
    out = []
    for token in tokens[i + 1 : i + 1 + width]:
        if token == "|":  # noqa: S105 - a clause break, not a password
            break
        out.append(token)
    return out


def _negated(text: str, shared: set[str]) -> bool:
    """Does a negation in `text` govern one of the shared words?"""
    tokens = _tokens(text)
    for i, token in enumerate(tokens):
        cue = token in _NEGATION_WORDS or token.endswith("n't")
        if cue and shared & set(terms(" ".join(_scope(tokens, i, NEGATION_SCOPE)))):
            return True
    return False


def _polarity(claim: str, support: str, beside: Evidence | None = None) -> str:
    """Why the claim says the opposite of the support ("" when it doesn't). For the second
    sentence of a support (`beside` the first), only what it adds to the first counts."""
    mine, theirs = set(terms(claim)), set(terms(support))
    shared = (mine & theirs) - (beside.terms if beside is not None else set())
    claim_negated, support_negated = _negated(claim, shared), _negated(support, shared)
    if claim_negated != support_negated:
        if support_negated:
            return "its source says the opposite (it is negated there)"
        return "its source doesn't say the opposite of what it says"
    # where the support says what the claim says: the clauses sharing most of its words
    here = " ".join(t for t in _relevant(_tokens(support), shared) if t != "|")
    # WordNet's own pairs are precise enough to count anywhere in the support ("took the
    # government to the High Court … – and won" / "… and lost"); an adjective's cluster
    # and VADER's ratings only where it says what the claim says
    for a in sorted(_only(claim, support)):
        for b in sorted(_only(support, claim)):
            if _related(a, b):
                continue
            if lexicon.opposite(a, b, indirect=b in here.split()):
                return f"its source says “{b}”, the opposite of “{a}”"
    if claim_negated or beside is not None:  # valence: what the claim mostly says only
        return ""
    for a in sorted(_only(claim, support) - _NOT_RATED):
        for b in sorted(_only(here, claim) - _NOT_RATED):
            va, vb = lexicon.valence(a), lexicon.valence(b)
            opposed = min(abs(va), abs(vb)) >= VALENCE and va * vb < 0
            if opposed and not _related(a, b) and lexicon.stance(a) and lexicon.stance(b):
                return f"its source says “{b}”, not “{a}”"
    return ""


# Words VADER rates that are mostly not a judgement in news text ("just like they did").
_NOT_RATED = _set("like likes well pretty kind sure right please yes ok okay")


def _only(text: str, other: str) -> set[str]:
    """Content words of `text` that `other` doesn't have, in any form."""
    theirs = set(terms(other))
    # NLTK's list holds "won" (for "won't"); here it is the verb, the opposite of "lost"
    stop = stopwords() - {"won"}
    return {
        w
        for w in _tokens(text)
        if w not in stop and len(w) > 2 and w != "|" and not set(terms(w)) & theirs
    }


def _related(a: str, b: str) -> bool:
    """One word in two forms ("suspending"/"suspension"): a shared start of 5 letters."""
    return a[:5] == b[:5]


_SLOT_WORDS = frozenset({"by", "under", "from", "against"})


def _slots(claim: str, support: str) -> str:
    """Why a phrase both say ("made by", "started under") is filled differently in the
    support ("speakers from Co-operatives UK" for "representatives of the Department for
    Health") — "" when it isn't."""
    mine, theirs = _tokens(claim), _tokens(support)
    for i, prep in enumerate(mine[1:], start=1):
        if prep not in _SLOT_WORDS or mine[i - 1] in stopwords():
            continue
        head = set(terms(mine[i - 1]))
        filler = mine[i + 1 : i + 1 + SLOT]
        if not any(w[:1].isupper() for w in _original(claim, filler)):
            continue  # a slot for a name or a body ("started under Tony Blair")
        ours = set(terms(" ".join(filler)))
        for j, word in enumerate(theirs[1:], start=1):
            if word != prep or not head & set(terms(theirs[j - 1])):
                continue
            yours = theirs[j + 1 : j + 1 + SLOT]
            if ours and set(terms(" ".join(yours))) and not ours & set(terms(" ".join(yours))):
                said = " ".join(_original(support, yours))
                return f"its source says {mine[i - 1]} {prep} {said}, not what the answer says"
    return ""


def _original(text: str, tokens: Sequence[str]) -> list[str]:
    """The tokens as `text` writes them (capitals kept)."""
    written = {w.lower().replace("’", "'").strip("'-"): w for w in re.findall(r"[\w'’-]+", text)}
    return [written.get(t, t) for t in tokens]


# -- modality and quantity -------------------------------------------------------------------
def _modality(claim: str, support: str) -> str:
    """Why the claim states more firmly or more widely than the support ("" when not)."""
    mine, theirs = _tokens(claim), _tokens(support)
    shared = set(terms(claim)) & set(terms(support))
    # a quantifier counts over what both say ("most NHS organisations"), not elsewhere in
    # the sentence ("… which has turned all 770 staff …"); "every" needs "all", "most"
    # needs "most" or "all"
    for wanted, enough in ((_TOTAL, _TOTAL), (_MAJORITY, _TOTAL | _MAJORITY)):
        claimed = sorted(_governing(mine, wanted, shared))
        if claimed and not _governing(theirs, enough, shared):
            partial = [w for w in _PARTIAL if w in theirs]
            if partial:
                return f"its source says “{partial[0]}”, not “{claimed[0]}”"
            return f"its source doesn't say “{claimed[0]}”"
    # a hedge of the source's ("ministers hoped … would support") must be one of the
    # claim's too, by the same words (any form: "the threat of" for "threatened", "the
    # aim is" for "we want"); only hedges in the clauses that say what the claim says count
    hedged = _governed(mine, _CLAIM_HEDGES, shared, prefix=True)
    hedges = _governed(_relevant(theirs, shared), _HEDGES, shared, nouns=False)
    for hedge, near in sorted(hedges.items()):
        if not any(near & theirs_near for theirs_near in hedged.values()):
            return f"its source only says “{hedge}”, not that it happened"
    return ""


# A claim with one of these doesn't state a fact outright either ("the unions fear that
# foundation hospitals would create …"), so it doesn't overstate a hedged source.
_IRREALIS = _set("would fear fears feared warn warns warned worry worries worried if unless")
_CLAIM_HEDGES = (
    _HEDGES | _IRREALIS | _set("threat aim attempt suggestion intention bid effort needed")
)
_DETERMINERS = _set("the a an this that its their his her our s")


def _relevant(tokens: Sequence[str], shared: set[str]) -> list[str]:
    """The clauses of `tokens` that say most of what both texts share (those sharing at
    least half as many of its terms as the clause sharing most); the others blanked."""
    clauses: list[list[str]] = [[]]
    for token in tokens:
        if token == "|":  # noqa: S105 - a clause break, not a password
            clauses.append([])
        else:
            clauses[-1].append(token)
    overlap = [len(shared & set(terms(" ".join(c)))) for c in clauses]
    top = max(overlap, default=0)
    out: list[str] = []
    for clause, n in zip(clauses, overlap, strict=True):
        out += clause if top and n * 2 >= top else ["|"]
        out.append("|")
    return out


def _governing(tokens: Sequence[str], cues: frozenset[str], shared: set[str]) -> set[str]:
    """The cue words of `tokens` near a shared term (see `_governed`)."""
    return set(_governed(tokens, cues, shared))


def _governed(
    tokens: Sequence[str],
    cues: frozenset[str],
    shared: set[str],
    prefix: bool = False,
    nouns: bool = True,
) -> dict[str, set[str]]:
    """Each cue word of `tokens` with the shared terms within NEGATION_SCOPE tokens of it,
    either side, in its clause. With `prefix`, a word sharing a cue's first five letters is
    that cue ("threatened", "threat"); without `nouns`, a cue used as a noun ("the plan for
    …") governs nothing."""
    stems = {c[:5] for c in cues if len(c) >= 5}
    out: dict[str, set[str]] = {}
    for i, token in enumerate(tokens):
        if token not in cues and not (prefix and len(token) >= 5 and token[:5] in stems):
            continue
        noun = not nouns and (
            (i and tokens[i - 1] in _DETERMINERS)
            or (i + 1 < len(tokens) and tokens[i + 1] in ("for", "of"))
        )
        before = list(reversed(_scope(list(reversed(tokens)), len(tokens) - 1 - i, NEGATION_SCOPE)))
        near = shared & set(terms(" ".join([*before, *_scope(tokens, i, NEGATION_SCOPE)])))
        if near and not noun:
            out.setdefault(token, set()).update(near)
    return out
