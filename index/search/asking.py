"""What a question asks for, read from a table of cues rather than regexes with precedence.

Each cue is a pattern, the kind of thing it says is asked (`ASKS`) and a weight; a question's
kinds add up the weights of the cues it matches and the heaviest kind wins (ties: the kind
listed first in `ASKS`). The kind decides the answer's shape (`SHAPE_OF`): one fact, or a
broad answer from several sides. A new phrasing is a new row, not a new branch.

Labelled questions: tests/data/shapes_tuning.jsonl (tuned on) and shapes_holdout.jsonl
(never tuned on); `python bench/shape_reader.py` prints both figures (docs/answering.md)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from index.text import looks_plural

# The kinds of thing a question asks for, and whether its answer is one fact or several
# voices. A "cause" is the one the labels split on: read as one fact, the labelled tuning
# questions' shapes go 0.879 -> 0.894 but the broad tuning and dev questions' 0.929 -> 0.762
# ("Why were unions opposed to foundation hospitals?" wants the reasons of several sides;
# bench/shape_reader.py prints both).
SHAPE_OF = {
    "fact": "fact",
    "number": "fact",
    "time": "fact",
    "person": "fact",
    "place": "fact",
    "cause": "broad",
    "position": "broad",
    "arguments": "broad",
    "comparison": "broad",
    "reaction": "broad",
    "summary": "broad",
}
ASKS = tuple(SHAPE_OF)

_W = r"[\w'’-]+"  # one word
_SOME = rf"(?:\s+{_W}){{0,6}}?"  # up to six words in between ("where does X Y stand")
# What may come before a question's wh-word without changing what it asks: "so", "remind
# me", "any idea", "according to the Green Party leader, …", "per Hewitt …". At most three
# of them: a phrase of several words may end where another starts, and unbounded, the ways
# to split a long run of them grow exponentially ("according to " 25 times took 9 ms, 100
# would never end); three keep any question under a millisecond (tests/index/test_asking.py).
_LEAD = (
    r"^\W*(?:(?:so|ok|okay|and|but|hey|basically|honestly|seriously|remind\s+me|any\s+idea|"
    r"(?:does\s+)?any(?:one|body)\s+know|"
    r"do\s+you\s+know|just\s+wondering|i\s+wonder|can\s+(?:someone|anyone|you)\s+"
    r"(?:tell\s+me|remind\s+me)|tell\s+me|quick\s+(?:q|question|one)|not\s+sure(?:\s+i\s+"
    r"(?:get|understand|follow))?|i'?m\s+trying\s+to\s+(?:work\s+out|figure\s+out|understand)|"
    r"i'?d\s+like\s+to\s+know|has\s+any(?:one|body)\s+(?:heard|said)|"
    rf"according\s+to(?:\s+{_W}){{1,4}}?|per(?:\s+{_W}){{1,2}}?)\W+){{0,3}}"
)

# (pattern, kind, weight). Weights: 1 a weak hint (a bare "what"), 2 a word that usually
# means the kind ("explain"), 3 the wh-form of the kind ("when", "how many") or a word that
# names it ("concerns", "risks", "critics": at 2 they tied with "what are the" and lost;
# at 3, stop 33, tuning kind 0.965 -> 0.979, held-out unchanged, no answer changed), 4 a
# form that overrides the wh-word ("where does she stand" asks a position, not a place).
CUES: tuple[tuple[str, str, int], ...] = (
    # one fact: a bare what/which, or a yes-or-no question
    (_LEAD + r"(what|which)\b", "fact", 1),
    (
        _LEAD + r"(is|are|was|were|does|do|did|has|have|had|can|could|will|would|should)\b",
        "fact",
        1,
    ),
    (r"\bwhat\s+(is|are|was|were|'s)\s+(a|an|the)\b", "fact", 1),
    # a number
    (
        _LEAD + r"(roughly\s+|about\s+)?how\s+(many|much|big|large|long|old|far|high|low|often)\b",
        "number",
        3,
    ),
    (r"\bhow\s+(many|much)\b", "number", 3),
    (r"\bwhat\s+(number|percentage|proportion|share|amount|figure|sum|size)\b", "number", 3),
    (
        r"\bwhat('s|s|\s+is|\s+was|\s+were)\s+(the\s+)?(\w+\s+){0,3}(budget|cost|costs|price|turnout)\b",
        "number",
        3,
    ),
    (r"\b(numbers|figures|stats|statistics)\s+(on|for|about)\b", "number", 3),
    # "what's the SI number", "which EDM number is it", "like the percentages"
    (
        rf"\b(what|which)('s|s|\s+is|\s+was)?\s+(the\s+)?({_W}\s+)?(number|percentages?|total)\b",
        "number",
        3,
    ),
    (r"\bpercentages\b", "number", 2),
    # a time
    (_LEAD + r"((by|since|until|from)\s+)?when\b", "time", 3),
    (r"\b(what|which)\s+(year|yr|date|day|month|time|week)\b", "time", 3),
    (r"\bhow\s+long\s+ago\b", "time", 4),
    # the wh-word asked last, as people type in chat: "… came out when?", "… were where?",
    # "… is who exactly", "… was how large?", "… because?"
    (r"\bwhen\W*$", "time", 3),
    (r"\bwhere\W*$", "place", 3),
    (r"\bwho(\s+exactly)?\W*$", "person", 3),
    (r"\bhow\s+(many|much|big|large|long|old)\W*$", "number", 3),
    (r"\b(why|because)\W*$", "cause", 3),
    # a person or a body
    (
        r"\bwhich\s+(body|bodies|organi[sz]ations?|unions?|groups?|party|parties|ministers?|mps?|"
        r"charity|charities|company|companies|firms?|councils?|think\s*tanks?)\b",
        "person",
        3,
    ),
    (_LEAD + r"(who|whom|whose)\b", "person", 3),
    (r"\b(so\s+)?who('s|\s+is|\s+was|\s+won|\s+chairs|\s+leads|\s+runs)\b", "person", 2),
    # a place
    (_LEAD + r"where\b", "place", 3),
    (
        r"\b(which|what)\s+(country|countries|city|cities|town|borough|region|area|county|"
        r"parts?\s+of|venue|hospital|court)\b",
        "place",
        3,
    ),
    (r"\bin\s+(which|what)\s+(country|city|town|place)\b", "place", 3),
    # a cause
    (_LEAD + r"why\b", "cause", 3),
    (r"\bthe\s+reason\b|\bexplanations?\b", "cause", 3),
    (r"\bhow\s+come\b", "cause", 3),
    (r"\b(but|so|then)\s+why\b", "cause", 3),
    (r"\bwhat('s|\s+is|\s+was)?\s+(actually\s+)?(behind|driving|causing|caused)\b", "cause", 3),
    (r"\breasons?\s+(for|why|behind)\b|\breasons\b", "cause", 3),
    # a position
    (rf"\bwhere\s+(do|does|did|do\s+the|is|are){_SOME}\s+stand\b", "position", 5),
    (r"\bstand\s+on\b", "position", 3),
    (r"\b(think|thinks|thought|feel|feels|felt)\s+(of|about)\b", "position", 3),
    (r"\bthink\s+(is|are|was|will|should)\b", "position", 2),
    (
        r"\b(view|views|stance|position|positions|line|opinion|opinions|take|takes)\s+"
        r"(on|of|about)\b",
        "position",
        3,
    ),
    (r"\bmake\s+of\b", "position", 3),
    (r"\b(views|opinions|positions|stances)\b", "position", 3),  # several, whatever follows
    (r"\bposition(ed)?\s+(themselves|itself|himself|herself)\b", "position", 4),
    (r"^\W*how\s+(do|does|did)\b.*\b(see|view|regard)\b", "position", 3),
    (r"\b(say|said|says)\s+(about|of|was\s+wrong|is\s+wrong)\b", "position", 2),
    (r"\bfor\s+or\s+against\b", "position", 3),
    (r"\b(back|backed|support|supported|oppose|opposed)\b.*\bor\s+not\b", "position", 3),
    # arguments for and against
    (r"\bargu(e|ed|es|ing|ment|ments)\b", "arguments", 3),
    (
        r"\bcase\s+(for|against)\b|\bwhat\s+case\b|\bmake\s+(the|a|their|his|her)\s+case\b",
        "arguments",
        3,
    ),
    (r"\bpros\s+and\s+cons\b", "arguments", 4),
    (r"\bfor\s+and\s+against\b", "arguments", 4),
    (r"\bin\s+favou?r\s+of\b", "arguments", 2),
    (
        r"\b(critics?|criticis\w*|criticiz\w*|concerns?|objections?|risks?|worries|fears)\b",
        "arguments",
        3,
    ),
    (r"\b(defend|defended|justify|justified|justification)\b", "arguments", 3),
    (
        rf"\bwhat('s|s|\s+is|\s+was)?\s+({_W}\s+)?evidence\b|\b(evidence|grounds)\s+for\b",
        "arguments",
        3,
    ),
    (
        r"\bwhy\s+(do\s+|did\s+)?(people|critics|some|many|they)\s+(say|think|argue)\b",
        "arguments",
        4,
    ),
    (
        r"\b(just|really|actually)\s+\w+\s+by\s+the\s+back\s+door\b|\bscaremongering\b",
        "arguments",
        3,
    ),
    # a comparison
    (r"\b(compare|compared|compares|comparison|contrast|contrasts)\b", "comparison", 4),
    (
        r"\b(differ|differs|differed|difference|differences|different\s+from|differently)\b",
        "comparison",
        3,
    ),
    (r"^\W*(do|does|did)\s+.+\s+and\s+.+\s+(agree|disagree)\b", "comparison", 3),
    (r"\b(vs\.?|versus)\b", "comparison", 4),
    (r"\bsquare\s+with\b|\bstacks?\s+up\b", "comparison", 3),
    # "What is X compared to?" asks for the one thing it is compared to
    (r"^\W*(which|what|who)\b.*\b(compared|likened)\s+(to|with)\W*$", "fact", 5),
    # a reaction
    (r"\b(react|reacted|reacts|reacting|reaction|reactions|hit\s+back)\b", "reaction", 4),
    (
        r"\b(respond|responded|responds|responding|response|responses|replied|reply)\b",
        "reaction",
        4,
    ),
    (r"\b(dealing|coping|cope|copes|coped)\s+with\b|\bin\s+response\b", "reaction", 3),
    (r"\b(greet|greets|greeted|welcome|welcomed|welcomes)\b", "reaction", 3),
    (r"^\W*how\s+(did|does|do|is|are|was|were|has|have)\s+.*\btak(e|ing)\b", "reaction", 3),
    (r"^\W*how\s+(was|were|is|are|has|have)\b.*\breceived\b", "reaction", 4),
    # a summary: what happened, in brief
    (
        r"\b(summary|summari[sz]e|overview|tl;?dr|recap|rundown|upshot|gist|lowdown|sum\s+up|"
        r"big\s+picture)\b",
        "summary",
        4,
    ),
    (r"\bwhat('s|s|\s+is|\s+was)\s+the\s+situation\b", "summary", 3),
    (r"\bcatch\s+me\s+up\b|\btell\s+me\s+(about|abt)\b|\bexplain\b", "summary", 3),
    # "explain what X is" asks what a thing is
    (r"\bexplain\s+(what|who)\b.*\b(is|are|was|were|means?)\W*$", "fact", 4),
    (r"\bwhat\s+(happened|went\s+on|went\s+wrong|is\s+happening)\b", "summary", 3),
    (
        r"\bwhat('s|s|\s+is)\s+((actually|really)\s+)?(going\s+on|the\s+deal|the\s+story|up)\b",
        "summary",
        3,
    ),
    (r"\bwent\s+wrong\b|\brecord\s+on\b|\blooking\s+for\b", "summary", 2),
    (r"\b(actually|all)\s+about\W*$|\bbeen\s+doing\b|\bplayed\s+out\b", "summary", 3),
    (r"^\W*how\s+(are|is|were|was)\s+.*\btrying\s+to\b", "summary", 3),  # a process
    (r"^\W*how\s+(the|a|an|this|that|these|those)\b", "summary", 2),  # "How the unions won"
    # "How did they …", "How are the unions …": a manner or a process, told from its sides.
    # The old reader's "how + verb is broad", kept: dropping it turns a how-question whose
    # best sentence misses into one wrong quote instead of five with the answer among them
    # (docs/answering.md, section 3). How one speaker described something is the exception
    # (one_voice, below).
    (r"^\W*how\s+(did|does|do|is|are|was|were|has|have|had)\b", "summary", 1),
    (r"\b(two|both|the\s+different|opposing)\s+sides\b", "arguments", 4),
    (r"\b(different|main|various)\s+(takes|views|sides)\b", "arguments", 3),
)
_COMPILED = tuple((re.compile(p, re.I), kind, weight) for p, kind, weight in CUES)

# One voice: how one speaker put something ("How did Dr Michael Dixon describe his view of
# co-operatives?", "How did Andrew Lansley link his reforms to the Big Society?") is answered
# by their words, one quote, whatever kind the cues read. Not a group's ("How did the unions
# describe …": a plural or collective subject) nor a question asking a second thing ("…, and
# how did the Greens answer?"). On the answer sets (bench/shape_reader.py --one-voice lists
# every question it reads): 3 fact questions read as broad before, no broad one. "Why did X
# say …" was tried too: it read two more held-out shapes right but made a held-out broad
# question a fact (coverage 0.512 -> 0.463); a speaker's reasons are often several
# sentences (docs/answering.md, stop 33).
_ONE_VOICE = re.compile(
    rf"^\W*(?:how\s+(?:did|does|has)\s+(?P<who>{_W}(?:\s+{_W}){{0,3}}?)\s+"
    r"(?:describe|put|call|characteri[sz]e|sum\s+up|portray|frame|word|link|connect|tie|relate))\b",
    re.I,
)
_SECOND_QUESTION = re.compile(
    r"\band\s+(what|who|whom|why|how|where|which|when|does|did|do|is|are|was|were)\b", re.I
)
_GROUPS = frozenset(["people", "everyone", "everybody", "they", "some", "many", "others"])


def one_voice(question: str) -> bool:
    """Does the question ask how one speaker put something (_ONE_VOICE), and nothing else?"""
    m = _ONE_VOICE.search(question)
    if m is None or _SECOND_QUESTION.search(question):
        return False
    words = [w.lower().strip("'’").removesuffix("'s") for w in m["who"].split()]
    return not _GROUPS.intersection(words) and not looks_plural(words[-1])


@dataclass(frozen=True)
class Asking:
    """What a question asks for (`kind`, one of ASKS) and the shape of its answer."""

    kind: str
    scores: tuple[tuple[str, int], ...]  # every kind a cue voted for, with its weight
    one_voice: bool = False  # one quote answers, whatever the kind (one_voice)

    @property
    def shape(self) -> str:
        return "fact" if self.one_voice else SHAPE_OF[self.kind]


# Where a question's context ends and its ask begins: "The article asks readers to email
# their MP. Which EDM number is it?", "the co-op conference on the same day - where was it
# held?". The cues anchored at the start (the wh-word, a yes-or-no opening) are looked for
# at the start of each part too; a cue counts once however many parts match it.
_PART_BREAK = re.compile(r"(?<=[.?!])\s+|\s+[-–—]+\s+")


def _parts(question: str) -> list[str]:
    return [question, *(p for p in _PART_BREAK.split(question)[1:] if p.strip())]


@lru_cache(maxsize=1024)
def read(question: str) -> Asking:
    """The kind the question's cues weigh most for ("fact" when none matches)."""
    totals = dict.fromkeys(ASKS, 0)
    parts = _parts(question)
    for pattern, kind, weight in _COMPILED:
        if any(pattern.search(part) for part in parts):
            totals[kind] += weight
    kind = max(ASKS, key=lambda k: totals[k])  # the first listed among equals
    return Asking(kind, tuple((k, w) for k, w in totals.items() if w), one_voice(question))
