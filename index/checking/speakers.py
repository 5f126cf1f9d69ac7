"""Names and speakers: is whoever the claim names, and whoever it says said it, the one the
source has? A claim's names must be in or next to its support; "X said/argued/called for …"
needs a support the index attributes to X, or one naming X before what is reported; a
quotation or a "he"/"she" is the words of whoever the text last had speaking."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from index import lexicon
from index.checking.cues import TITLES, as_written, clause_tokens, word_set
from index.checking.passage import Passage
from index.search.evidence import Evidence
from index.store.sentences import name_word, same_person, speaker_name
from index.text import (
    CAPITAL,
    looks_plural,
    name_phrases,
    split_sentences,
    stopwords,
    terms,
    words,
)

MAX_SPEAKER_WORDS = 6  # "The more pro-government alternative motion"

# The words after "made by", "started under" … compared as what fills that slot.
SLOT = 6

_AUTHOR = re.compile(
    r"^\s*(?:the\s+)?(author|writer|article|piece|columnist|blog|editorial)\b", re.I
)

# Verbs that put words in someone's mouth: "X said/argued/called for …".
SAYING_WORDS = word_set(
    "said says say argued argues argue warned warns claimed claims insisted insists urged urges "
    "demanded demands told tells admitted admits denied denies promised promises pledged "
    "pledges stressed stresses declared declares announced announces accused accuses "
    "suggested suggests believes believed feared fears wants wanted criticised criticized "
    "criticises criticizes described describes complained complains explained explains wrote "
    "writes added adds acknowledged conceded maintained maintains predicted predicts welcomed "
    "welcomes rejected rejects dismissed dismisses blamed blames proposed proposes"
)
# … of which these only report, with no stance of their own (unlike "welcomed", "rejected")
NEUTRAL_SAYING = word_set(
    "said says say told tells argued argues argue claimed claims added adds wrote writes "
    "explained explains described describes stressed stresses declared declares announced "
    "announces insisted insists suggested suggests maintained maintains"
)
# Verbs that put words in someone's mouth: "X said/argued/called for …".
_SAYING = re.compile(
    r"\b(" + "|".join(sorted(SAYING_WORDS)) + r"|called\s+for|calls\s+for)\b", re.I
)

_ASIDE = re.compile(r"\b(among|including)\b", re.I)  # "many Labour MPs among them"
_PASSIVE = re.compile(r"\b(been|being|be|is|are|was|were)\s*$", re.I)

_CLAUSE_WORDS = word_set("is are was were what which that who has have had")

_LEADING = re.compile(
    r"^\s*(?:in|at|on|after|before|during|despite|while|when|although|though|however|but|"
    r"and|also|meanwhile|speaking|addressing|echoing|if|unless|once|as|because|since|whereas|"
    r"whether|having|according|among|including|like)\b",
    re.I,
)


# -- names -----------------------------------------------------------------------------------
def claim_names(claim: str) -> list[str]:
    """The names the claim gives: runs of capitalised words after its first word, titles
    aside ("Mr Prentis" is "Prentis")."""
    out = []
    for phrase in name_phrases(claim):
        kept = [w for w in phrase.split() if w.lower().strip(".") not in TITLES]
        if kept and terms(" ".join(kept)):
            out.append(" ".join(kept))
    return out


@dataclass(frozen=True)
class NameContext:
    """The words a claim's names are looked up in: the support, its neighbours, the title
    and author, and whoever says them (with every phrase the library names them by)."""

    words: frozenset[str]
    terms: frozenset[str]
    flat: str

    @classmethod
    def of(cls, text: str, speakers: list[str], passage: Passage) -> NameContext:
        found = words(text)
        have = set(terms(text)).union(*(passage.described(who) for who in speakers))
        return cls(frozenset(found), frozenset(have), " ".join(found))

    def names(self, name: str) -> bool:
        if set(terms(name)) <= self.terms or name.lower() in self.flat:
            return True
        initials = "".join(w[0] for w in name.split() if w[:1].isupper())
        return len(initials) >= 2 and initials.lower() in self.words


def described_before(name: str, claim: str, support: str, before: str) -> bool:
    """Does the support speak of what the claim names by a description the passage gave it
    earlier? "the Momentum branch wants …" where the support says "the branch" and a
    sentence before it "the local Momentum branch"."""
    after = re.search(rf"\b{re.escape(name)}\W+(\w+)", claim)
    if after is None:
        return False
    head = after.group(1).lower()
    if not re.search(rf"\bthe\s+{re.escape(head)}\b", support, re.I):
        return False
    return bool(re.search(rf"\b{re.escape(name)}\W+(?:\w+\W+)?{re.escape(head)}\b", before, re.I))


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
    parts = [p.strip() for p in before.split(",")]
    for i in range(len(parts) - 1, -1, -1):
        part = parts[i]
        if part and not _LEADING.match(part) and not _ASIDE.search(part) and words(part):
            # a longer subject is a clause ("All factions seem to agree that … it wants")
            if len(words(part)) > MAX_SPEAKER_WORDS or _CLAUSE_WORDS & set(words(part)):
                return None
            # a role in commas after a name is that person's ("Dr Michael Dixon, chairman
            # of the NHS Alliance, said")
            name = parts[i - 1] if i else ""
            if part[:1].islower() and proper_name(name) and len(words(name)) <= 4:
                return f"{name}, {part}", claim[m.end() :]
            return part, claim[m.end() :]
    return None


def speaker_mismatch(
    claim: str,
    support: list[Evidence],
    text: str,
    passage: Passage,
    quoted: bool = False,
    recent: Sequence[str] = (),
    just_before: str = "",
) -> str:
    """Why the support isn't the claimed speaker's words ("" when it is). `just_before`:
    the sentence before a quotation or a "he" of the support."""
    found = claimed_speaker(claim)
    if found is None:
        return ""
    who, said = found
    # who says the sentence carrying the claim, when the index knows
    attributed = [s for ev in support if (s := speaker_name(ev.speaker))]
    attributed = attributed[:1] if len(support) == 1 else _primary_first(support, attributed)
    if _AUTHOR.match(who):
        others = [s for s in attributed if not same_person(passage.author, s)]
        if others:
            return f"its source gives those words to {others[0]}, not the author"
        return ""
    # the speaker's name and description, not how the claim says they spoke ("cautiously")
    asked = {t for w in words(who) if not w.endswith("ly") for t in terms(w)} - TITLES
    if not asked:
        return ""
    if any(_is(who, asked, said_by, passage) for said_by in attributed):
        return ""
    reported = set(terms(said))
    if attributed:
        if _apposed(asked, attributed[0], passage):
            return ""
        # … or a second speaker of the sentence saying most of what the claim reports
        saying = max(support, key=lambda ev: len(ev.terms & reported)).text
        if _saying_subject(saying, asked, proper_name(who)):
            return ""
        # … or two descriptions of one person: the passage described them as the claim does
        # before the words ("a local Momentum organiser … says. … the activist was critical
        # … “…,” he says": "the organiser" is "the activist")
        if _described_earlier(who, asked, attributed[0], support, passage):
            return ""
        return f"its source gives those words to {attributed[0]}, not {who}"
    people = _people(recent, text)
    if quoted and people:
        # a quotation or a "he" is the words of whoever the text last had speaking (for
        # "she", the last woman the text names by her title)
        if _is(who, asked, people[-1], passage) or _apposed(asked, people[-1], passage):
            return ""
        # … or the person the sentence just before describes, though the index found no
        # words of theirs there ("This was echoed by the Momentum activist – …")
        if _a_person(who) and asked <= set(terms(just_before)):
            return ""
        # … or the sentence names the claimed speaker itself, ahead of what it says ("The
        # health secretary will not moderate her policies …": "her" is the secretary)
        own = " ".join(ev.text for ev in support)
        if _named_before(own, asked, reported - asked, False, proper_name(who)):
            return ""
        return f"its source gives those words to {people[-1]}, not {who}"
    if asked <= set(terms(passage.context)) or _named_before(
        text, asked, reported - asked, quoted, proper_name(who)
    ):
        return ""
    return f"its source doesn't say {who} said that"


def _described_earlier(
    who: str, asked: set[str], said_by: str, support: list[Evidence], passage: Passage
) -> bool:
    """Are the claimed speaker and the one the index found (`said_by`) both people described,
    not named, and does the passage describe someone in the claim's words before the
    support? A text calls one person by several descriptions."""
    if proper_name(who) or proper_name(said_by) or not (_a_person(who) and _a_person(said_by)):
        return False
    if _is_group(who) or _is_group(said_by):
        return False
    first = min(ev.pos for ev in support)
    before = " ".join(ev.text for ev in passage.sentences if ev.pos < first)
    return asked <= set(terms(before))


# A second speaker in one sentence, by a participle of saying after their name ("The Liberal
# Democrats have pledged to fight the Bill, with health spokesman Dr Evan Harris saying …"):
# the index gives the sentence one speaker, its first.
_SAYING_PARTICIPLES = word_set("saying arguing adding warning insisting claiming telling")


def _saying_subject(sentence: str, asked: set[str], name: str) -> bool:
    """Does the sentence name the claimed speaker (`asked`, or their surname `name`) as the
    subject of a verb of saying, their name just before it ("… with health spokesman Dr
    Evan Harris saying …")?"""
    tokens = clause_tokens(sentence)
    for i, token in enumerate(tokens[1:], start=1):
        if token not in SAYING_WORDS and token not in _SAYING_PARTICIPLES:
            continue
        last = tokens[i - 1]
        if not (set(terms(last)) & asked or last == name.lower()):
            continue  # "pitted against Ms Hewitt. He argued": the subject is "he"
        before = tokens[max(0, i - MAX_SPEAKER_WORDS) : i]
        if "|" in before:
            before = before[len(before) - before[::-1].index("|") :]
        if asked <= set(terms(" ".join(before))) or (name and name.lower() in before):
            return True
    return False


_FEMALE = word_set("ms mrs miss lady dame")

_TITLED_WOMAN = re.compile(rf"\b(?:Ms|Mrs|Miss|Lady|Dame)\.? [{CAPITAL}][\w'’-]+")


def _people(speakers: Sequence[str], text: str) -> list[str]:
    """The speakers a "he", "she" or a quotation may stand for, latest last: a person named
    or described ("a local Momentum organiser"), not a group ("Ministers"), and for "she"
    only those a title says are women, when there are any."""
    people = [s for s in speakers if not _is_group(s) and _a_person(s)]
    if re.search(r"\b(she|her)\b", text, re.I):
        women = [s for s in people if _FEMALE & set(words(s))]
        named = [m.group(0) for m in _TITLED_WOMAN.finditer(text)]
        return women or named[-1:] or people
    return people


def _a_person(phrase: str) -> bool:
    """A name ("Mr Prentis"), or a description whose noun is a person ("a local Momentum
    organiser"; not "the branch")."""
    return bool(proper_name(phrase)) or lexicon.person(name_word(phrase))


def _is_group(phrase: str) -> bool:
    """ "Ministers", "Labour members", "the people at the helm of Momentum": a phrase whose
    head (its last word before a comma or a preposition) is a plural noun."""
    head = re.split(r",|\s(?:of|at|in|from|for|with|on)\s", phrase, maxsplit=1)[0].split()
    last = head[-1].strip("'’\"“”") if head else ""
    if last.lower() in _IRREGULAR_PLURALS:
        return True
    # a capitalised word counts only alone ("Ministers"): "Mr Prentis" is a name
    lone = len(head) == 1 or last.islower()
    return lone and looks_plural(last)


_IRREGULAR_PLURALS = word_set("people men women children")


def _is(who: str, asked: set[str], said_by: str, passage: Passage) -> bool:
    """Is the claimed speaker (`who`, its terms `asked`) the one the text has saying it?
    "NHS Alliance chairman Dr Michael Dixon" is who the parser found as "the NHS
    Alliance"; "an anonymous local Momentum organiser" is "a local Momentum organiser"."""
    theirs = set(terms(said_by)) - TITLES
    return (
        asked <= passage.described(said_by)
        or bool(theirs and theirs <= asked)
        or same_person(who, said_by)
    )


# How near a person's name the passage must describe them for the description to be theirs
# ("the health secretary, Patricia Hewitt"; "Health Secretary Alan Milburn"): the longest
# such apposition in the seed library puts 3 words between; not swept.
_APPOSED = 4


def _apposed(asked: set[str], said_by: str, passage: Passage) -> bool:
    """Does the passage describe the speaker the index found (`said_by`) as the claim does
    (`asked`), beside their name?"""
    name = proper_name(said_by).lower()
    if not name:
        return False
    for ev in passage.sentences:
        tokens = words(ev.text)
        for i, token in enumerate(tokens):
            if token == name:
                near = tokens[max(0, i - _APPOSED) : i + _APPOSED + 1]
                if asked <= set(terms(" ".join(near))):
                    return True
    return False


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
        tokens = clause_tokens(text[sentence.start : sentence.end])
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
        # … as the agent of a passive ("the case … was made by speakers from Co-operatives
        # UK"; "… was hardly welcomed by the party's mainstream") …
        agent = [i for i, t in enumerate(tokens) if t == "by"]
        by_them = any(asked <= set().union(*token_terms[i + 1 : i + 1 + SLOT]) for i in agent)
        if by_them and said & set().union(*token_terms):
            return True
        # … most of what the claim reports must come after that (a sentence may name two
        # sides: "a Unison-inspired motion which urged … versus a more pro-government
        # alternative which welcomed …")
        after = said & set().union(*token_terms[named:])
        before_only = (said & set().union(*token_terms[:named])) - after
        if after and len(after) >= len(before_only):
            return True
    return False


def proper_name(phrase: str) -> str:
    """The last word of the name a phrase starts with, when it is a proper name ("Blair" in
    "Tony Blair"; "" for "the activist")."""
    word = name_word(phrase)
    return word if word[:1].isupper() else ""


_SLOT_WORDS = frozenset({"by", "under", "from", "against"})


def _words_after(tokens: Sequence[str], i: int) -> list[str]:
    """SLOT words after position i, across commas ("a plea from the health secretary,
    Patricia Hewitt")."""
    return [t for t in tokens[i + 1 : i + 1 + SLOT + 2] if t != "|"][:SLOT]


def slot_mismatch(claim: str, support: str) -> str:
    """Why a phrase both say ("made by", "started under") is filled differently in the
    support ("speakers from Co-operatives UK" for "representatives of the Department for
    Health") — "" when it isn't."""
    mine, theirs = clause_tokens(claim), clause_tokens(support)
    for i, prep in enumerate(mine[1:], start=1):
        if prep not in _SLOT_WORDS or mine[i - 1] in stopwords():
            continue
        head = set(terms(mine[i - 1]))
        filler = _words_after(mine, i)
        if not any(w[:1].isupper() for w in as_written(claim, filler)):
            continue  # a slot for a name or a body ("started under Tony Blair")
        ours = set(terms(" ".join(filler)))
        for j, word in enumerate(theirs[1:], start=1):
            if word != prep or not head & set(terms(theirs[j - 1])):
                continue
            yours = _words_after(theirs, j)
            if ours and set(terms(" ".join(yours))) and not ours & set(terms(" ".join(yours))):
                said = " ".join(as_written(support, yours))
                return f"its source says {mine[i - 1]} {prep} {said}, not what the answer says"
    return ""
