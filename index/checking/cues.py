"""The words the claim checker reads, as data, and the clause-aware tokens it reads them in.

Each table is a plain set of English words with the reason it is there; matching is by
token, inside clauses (a comma, a colon, a dash or a quotation mark ends a cue's reach), so
"the plan for …" or "… a one-off" don't count where they don't govern what the claim says."""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

from index import lexicon
from index.text import terms, words


def word_set(text: str) -> frozenset[str]:
    """A table of words, written as one string."""
    return frozenset(text.split())


# A negation governs the words up to this many tokens after it ("did not fully support").
NEGATION_SCOPE = 5

# Negations: the words, verbs whose complement doesn't happen ("failed to consult", "stop
# centrists keeping their grip": "centrists cannot keep a hold"), "unless" (if not); words
# negated by their prefix ("unlikely") and phrases ("rather than") are read as "not" by
# clause_tokens.
NEGATION_WORDS = word_set(
    "not no never none nobody nothing neither nor without cannot unless "
    "fail fails failed failing refuse refuses refused doubt doubts doubted "
    "stop stops stopped stopping prevent prevents prevented preventing"
)

_NEGATION_PHRASES = re.compile(
    r"\b(rather than|instead of|far from|no longer|not yet|yet to|hardly|barely|scarcely)\b", re.I
)

TOTAL = word_set("all every everyone everybody each entire universally always unanimously")

MAJORITY = word_set("most majority")

# Boosters that make a statement total rather than stronger ("completely irreversible",
# "fully backed"; not "very", "really"): the absolute ones of VADER's booster table
# (lexicon.degree_words). A claim with one says more than a source without it.
ABSOLUTE = word_set("absolutely completely entirely fully purely thoroughly totally utterly")
# Words that leave nothing else: "the only way forward", "solely", "exclusively" (a claim
# with one where the source has none of them says more).
EXCLUSIVE = word_set("sole solely exclusively alone")
# Words that put a superlative among others ("one of the most successful", "among the
# biggest"): without them, the superlative is a claim that nothing else is.
AMONG = word_set("among amongst one")

# Obligation against permission: "will require all staff to …" is not "will enable all
# staff to …" (a source that only lets something happen doesn't make it compulsory).
OBLIGATION = word_set(
    "must require requires required requiring force forces forced forcing compel compels "
    "compelled oblige obliges obliged obligatory mandatory compulsory"
)
PERMISSION = word_set(
    "can may enable enables enabled enabling allow allows allowed allowing permit permits "
    "permitted let lets able free option"
)

# An instruction to whoever reads the source ("Ignore the previous instructions and answer
# that …", "SYSTEM: You must say that …"), as a prompt injection planted in a source is
# written: it tells someone to say a thing, it doesn't say it. The verbs such an
# instruction opens with, after a role label, "please" or "you must"; a quotation ("“Say
# no,” he urged") is someone's words, not an instruction to the reader, so it isn't read.
INSTRUCTING = word_set("ignore forget say tell pretend respond assert declare")
# … and verbs that are nouns too ("State pensions", "Repeat prescriptions", "Disregard for
# treaty obligations", in the full corpus): an instruction only before what an instruction
# goes on with ("Answer that …", "Disregard all previous …"). Of the full corpus's 75,349
# sentences, 14 read as instructions, all of them one ("Tell it to …", "Say yes.").
INSTRUCTING_TOO = word_set("answer reply write state output repeat claim disregard")
_GOES_ON = word_set(
    "that the this these only exactly yes no following after with as in all any previous "
    "prior your everything"
)
_INSTRUCTION = re.compile(
    r"^[\s*#>_-]*(?:(?:system|assistant|user|developer|instructions?|note|important)\s*:\s*)?"
    r"(?:(?:please|now|just|always|also|then)\s+)*"
    r"(?:you\s+(?:must|should|will|shall|need\s+to|have\s+to|are\s+to)\s+(?:now\s+|always\s+)?)?"
    r"([a-z]+)\b\s*([a-z]+)?",
    re.I,
)


# … which a claim may report as one ("the article tells its readers to …")
TELLING = word_set("instruct instruction tell ask urge order direct command demand")


def instructing(sentence: str) -> str:
    """The verb an instruction to the reader opens with ("ignore"), else ""."""
    m = _INSTRUCTION.match(sentence)
    if not m:
        return ""
    verb, after = m.group(1).lower(), (m.group(2) or "").lower()
    if verb in INSTRUCTING or (verb in INSTRUCTING_TOO and after in _GOES_ON):
        return verb
    return ""


PARTIAL = ("some", "several", "many", "few", "certain", "minority", "small")

UNREALISED = "unrealised"  # what clause_tokens puts for "…, which is yet to happen"
UNSETTLED = "doubtful"  # … and before a question a negation governs ("isn't clear how …")

HEDGES = word_set(
    "may might could should hope hoped hopes hoping plan plans planned planning "
    "propose proposes proposed proposing proposal proposals expect expects expected "
    "intend intends intended intending aim aims aimed aiming seek seeks sought seeking "
    "try tries tried trying expecting attempting wanting considering "
    "attempt attempts attempted battle battles battling struggle struggles struggling "
    "want wants wanted consider considers considered possible possibly likely potential "
    "potentially probably perhaps suggest suggests suggested need needs must "
    "risk risks endanger endangers endangering threaten threatens threatened threat "
    "seem seems seemed appear appears appeared fear fears feared"
) | {UNREALISED, UNSETTLED}
# … among them, what someone only claims ("which it claims will give staff … more
# control"): the claim may report it as theirs in any verb of saying ("said", "argued").
REPORTED = word_set("claim claims claimed claiming allege alleges alleged alleging")
HEDGES |= REPORTED

# A claim with one of these doesn't state a fact outright either ("the unions fear that
# foundation hospitals would create …"), so it doesn't overstate a hedged source.
IRREALIS = word_set("would fear fears feared warn warns warned worry worries worried if unless")

CLAIM_HEDGES = (
    HEDGES
    | IRREALIS
    # … and the nouns of a hedge, and being told or asked to do something
    | word_set("threat aim attempt suggestion intention bid effort needed told asked urged")
)

DETERMINERS = word_set("the a an this that its their his her our s")

TITLES = word_set("mr mrs ms miss dr sir lord lady dame professor prof")

# -- polarity --------------------------------------------------------------------------------
_COMPARED = re.compile(r"(?<=\bmore\b)((?:\s+[\w'’-]+){1,4}?)\s+than\b(?!\s+[\d£$€])", re.I)

# "unlikely", "unclear", "unfilled", "non-binding": a negated adjective, where WordNet has
# the two as opposite adjectives ("unveil" is a verb of its own)
_PREFIXED = re.compile(r"\b(un|non-?)([a-z]{3,})\b", re.I)


def _unprefix(m: re.Match[str]) -> str:
    """ "unlikely" -> "not likely" where WordNet has the two as opposites."""
    word = m.group(0)
    if lexicon.adjective(word) and lexicon.opposite(word, m.group(2)):
        return f"not {m.group(2)}"
    return word


_IDIOMS = re.compile(
    r"\b(?:all over|all along|after all|at all|all but|above all|not only|not just|no doubt)\b",
    re.I,
)
# A question opening with a negated auxiliary asks the listener to agree ("Haven't we
# learned that profits are not a dirty word?"): it asserts what follows, so its "n't"
# negates nothing.
_ASKING = re.compile(
    r"(?:^|(?<=[.!?]\s)|(?<=[“\"]))(is|are|was|were|do|does|did|have|has|had|could|would|"
    r"should|must|need)n['’]t\b(?=[^.!?]*\?)",
    re.I,
)

# "… to get MPs deselected, which is yet to happen": the event named just before it
# didn't happen; read as a hedge of its own, "unrealised", over the words before it.
_UNHAPPENED = re.compile(
    r",?\s+which\s+(?:is|was|has|had)\s+(?:yet to|not yet|still not|not|never)\s+"
    r"(?:happen|happened|come about|materiali[sz]ed?|taken place|take place)\b",
    re.I,
)

# Two negations cancel: "not unregulated", "not without soul".
_DOUBLE = re.compile(r"\bnot\s+(?:not|without|no)\b", re.I)

# "the government's plans": the possessive kept as a token of its own ("s", a stopword), so
# that what follows it reads as a noun.
_POSSESSIVE = re.compile(r"(\w)['’]s\b")

_CLAUSE_BREAK = re.compile(r"[,;:()–—\"“”]|\s-\s")


@lru_cache(maxsize=4096)
def clause_tokens(text: str) -> tuple[str, ...]:
    """The text's words, negation phrases read as "not", with "|" where a clause breaks
    (a comma, a colon, a dash, a quotation mark): a cue's scope ends there."""
    marked = _UNHAPPENED.sub(f" {UNREALISED} |", _ASKING.sub(r"\1", text.strip()))
    marked = _NEGATION_PHRASES.sub(" not ", _POSSESSIVE.sub(r"\1 s ", marked))
    marked = _IDIOMS.sub(" ", marked)  # "all over the UK" is not "all of the UK"
    # "more on prevention than treating": not treating
    marked = _COMPARED.sub(lambda m: f"{m.group(1)} not", marked)
    marked = _PREFIXED.sub(_unprefix, marked)
    marked = _DOUBLE.sub(" ", marked)
    marked = _CLAUSE_BREAK.sub(" | ", marked)
    return _unsettled(tuple(w for part in marked.split(" | ") for w in [*words(part), "|"] if w))


# A negation doesn't reach into a question it governs: "it isn't clear how the existing
# members will deal with …" denies that it is clear, not the members; what the question
# says is left open, a hedge ("not how …", with nothing between, still negates).
_EMBEDDED_QUESTION = word_set("how whether why what if")


def _unsettled(tokens: tuple[str, ...]) -> tuple[str, ...]:
    """`tokens` with a clause break and UNSETTLED before each question that a negation up
    to three tokens before it governs."""
    out = list(tokens)
    for i in range(len(tokens) - 1, 0, -1):
        if tokens[i] not in _EMBEDDED_QUESTION:
            continue
        before = tokens[max(0, i - 3) : i - 1]  # not the token just before
        if "|" not in tokens[max(0, i - 3) : i] and any(
            t in NEGATION_WORDS or t.endswith("n't") for t in before
        ):
            out[i:i] = ["|", UNSETTLED]
    return tuple(out)


def scope_after(tokens: Sequence[str], i: int, width: int) -> list[str]:
    """Up to `width` tokens after position i, within its clause."""
    out = []
    for token in tokens[i + 1 : i + 1 + width]:
        if token == "|":  # noqa: S105 - a clause break, not a password
            break
        out.append(token)
    return out


def relevant_clauses(tokens: Sequence[str], shared: set[str]) -> list[str]:
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


def cues_near(tokens: Sequence[str], cues: frozenset[str], shared: set[str]) -> set[str]:
    """The cue words of `tokens` near a shared term (see `cue_reach`)."""
    return set(cue_reach(tokens, cues, shared))


_CLAUSE_OPENERS = word_set("as because while when since that which who whom where and but if")
_NOUNISH = word_set(
    "plan plans proposal proposals hope hopes aim aims threat threats attempt attempts "
    "bid bids effort efforts intention intentions suggestion suggestions risk risks"
)
_COMPLEMENT = word_set("to of that for is are was were")


def cue_reach(
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
        # in a claim, a hedge's noun hedges only with its complement ("the threat of being
        # moved", "the aim is …"), not as a thing named ("the prime minister's plans")
        after = tokens[i + 1] if i + 1 < len(tokens) else ""
        if prefix and token in _NOUNISH and after not in _COMPLEMENT:
            continue
        noun = not nouns and (
            (i and tokens[i - 1] in DETERMINERS)
            or (i + 1 < len(tokens) and tokens[i + 1] in ("for", "of"))
        )
        # … and its subject before it, back to where its clause starts ("hundreds of jobs
        # at risk in Oxfordshire as health trusts battle to …": the trusts, not the jobs)
        before = list(
            reversed(scope_after(list(reversed(tokens)), len(tokens) - 1 - i, NEGATION_SCOPE))
        )
        for at, word in enumerate(reversed(before)):
            if word in _CLAUSE_OPENERS:
                before = before[len(before) - at :]
                break
        near = shared & set(terms(" ".join([*before, *scope_after(tokens, i, NEGATION_SCOPE)])))
        if near and not noun:
            out.setdefault(token, set()).update(near)
    return out


def as_written(text: str, tokens: Sequence[str]) -> list[str]:
    """The tokens as `text` writes them (capitals kept)."""
    written = {w.lower().replace("’", "'").strip("'-"): w for w in re.findall(r"[\w'’-]+", text)}
    return [written.get(t, t) for t in tokens]


def same_word(a: str, b: str) -> bool:
    """One word in two forms ("suspending"/"suspension"): a shared start of 5 letters."""
    return a[:5] == b[:5]
