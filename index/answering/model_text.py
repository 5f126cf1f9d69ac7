"""The text a language model wrote, read as the answer's parts: its reasoning blocks
dropped, its citation markers normalised (`[1, 2]`, `[1-3]`, `[Passage 2]` -> `[1][2]`), its
sentences with the passages each cites, and the draft a user may watch while it streams.
Whether a passage supports a sentence is index/answering/citations.py's job."""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from itertools import pairwise

from index.text import split_sentences, terms

# [1]  [1, 2]  [1; 3]  [1-3]  [1 and 2]; also "[Passage 2]" / "[source 2]", which small
# models write although told not to, and the forms models trained on other citation
# styles write: "[^2]" (a Markdown footnote), "[citation:2]", "【2†source】", "【2:0†source】".
# "(2)" is not read: a list's item or a year's parentheses look the same.
_NUMS = r"\d{1,3}(?:\s*(?:,|;|-|–|and)\s*\d{1,3})*"
MARKER = re.compile(
    rf"\[\s*(?:(?:passage|source|ref|citation)\s*:?\s*|\^)?({_NUMS})\s*\]"
    rf"|【\s*(?:(?:passage|source)\s*)?({_NUMS})(?::\d+)?(?:†[^】\n]*)?\s*】",
    re.I,
)
# A superscript number after a word or a sentence's end ("… service².", "… service.²"); not
# after a unit's one or two letters ("30 km²").
_SUPERSCRIPT = re.compile(r"(?:(?<=[^\W\d_]{3})|(?<=[.,;:!?”’\"')]))([⁰¹²³⁴⁵⁶⁷⁸⁹]+)")
_FROM_SUPERSCRIPT = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹", "0123456789")
SINGLE = re.compile(r"\[(\d+)\]")
_THINK = re.compile(r"<(think|thinking|reasoning)>.*?</\1>\s*", re.S | re.I)
_THINK_OPEN = re.compile(r"<(think|thinking|reasoning)>", re.I)
_SPACES = re.compile(r"[ \t]{2,}")
_SPACE_BEFORE_PUNCT = re.compile(r"[ \t]+([.,;:!?])")
RANGE_LIMIT = 10  # "[1-3]" is expanded; "[1-300]" is not a citation
ANY_NUMBER = 1000


def _numbers(group: str) -> list[int]:
    out: list[int] = []
    for part in re.split(r"\s*(?:,|;|and)\s*", group):
        bounds = re.split(r"\s*[-–]\s*", part.strip())
        if len(bounds) == 2 and all(b.isdigit() for b in bounds):
            lo, hi = int(bounds[0]), int(bounds[1])
            if 0 <= hi - lo <= RANGE_LIMIT:
                out.extend(range(lo, hi + 1))
        elif part.strip().isdigit():
            out.append(int(part))
    return list(dict.fromkeys(out))


def strip_thinking(text: str) -> str:
    """Drop a reasoning model's <think>…</think> blocks; an unclosed one hides the rest."""
    text = _THINK.sub("", text)
    opened = _THINK_OPEN.search(text)
    return text[: opened.start()] if opened else text


# A list of sources the model adds at the end ("Sources:", "**References**", "### Sources"
# on a line of its own): names, titles and addresses it remembers or invents. policybot
# lists the sources itself, from the citations it checked, so the list goes unread.
_OWN_SOURCES = re.compile(
    r"^[ \t>]*(?:#{1,6}[ \t]*)?[*_]*[ \t]*(?:sources|references|citations|bibliography|"
    r"works cited|sources cited)[ \t]*[*_]*[ \t]*:?[ \t]*[*_]*[ \t]*$",
    re.I | re.M,
)


def answer_body(text: str) -> str:
    """The model's answer without its reasoning blocks, without a list of sources of its
    own at the end, and without its images and link addresses (a link's words stay, to be
    checked like the rest; "[1](https://…)" stays the marker "[1]")."""
    text = strip_thinking(text)
    own = _OWN_SOURCES.search(text)
    text = text[: own.start()] if own else text
    return _LINK.sub(
        lambda m: f"[{m[1]}]" if m[1].strip().isdigit() else m[1], _IMAGE.sub("", text)
    )


# Markdown images and links ("![chart](https://…)", "[this page](https://…)"): an image
# glued to a sentence made it a claim no passage supports, and the address is the model's.
_IMAGE = re.compile(r"!\[[^\]\n]*\]\([^)\s]*\)")
_LINK = re.compile(r"\[([^\]\n]+)\]\((?:[a-z][a-z0-9+.-]*:|www\.)[^)\s]*\)", re.I)


def tidy(text: str) -> str:
    text = _SPACE_BEFORE_PUNCT.sub(r"\1", _SPACES.sub(" ", text))
    return "\n".join(line.rstrip() for line in text.split("\n")).strip()


def clean_markers(text: str, valid: Collection[int]) -> str:
    """Rewrite every marker as `[a][b]` keeping only passage numbers in `valid`;
    a marker naming no valid passage disappears."""

    def keep(m: re.Match[str]) -> str:
        return "".join(f"[{n}]" for n in _numbers(m.group(1) or m.group(2)) if n in valid)

    text = _SUPERSCRIPT.sub(lambda m: f" [{m.group(1).translate(_FROM_SUPERSCRIPT)}]", text)
    return tidy(MARKER.sub(keep, text))


def clean_answer(text: str, valid: Collection[int]) -> str:
    """The model's text as it may be shown: no reasoning, only markers for given passages."""
    return clean_markers(answer_body(text), valid)


class DraftFilter:
    """Cleans a streamed answer as it arrives, so the draft a user watches never shows a
    marker for a passage that wasn't given, nor a reasoning block. A tail that may still
    become a marker (`[1`) or a tag (`<thi`) is held back until it is complete."""

    HOLD = 24  # an unclosed "[" further back than this is plain text

    def __init__(self, valid: Collection[int]) -> None:
        self.valid = valid
        self.raw = ""
        self.shown = ""
        self.broken = False  # the cleaned text stopped extending what was shown

    def _visible(self, final: bool) -> str:
        text = answer_body(self.raw)
        if not final:
            bracket = max(text.rfind("["), text.rfind("【"))
            if (
                bracket >= 0
                and not {"]", "】"} & set(text[bracket:])
                and len(text) - bracket <= self.HOLD
            ):
                text = text[:bracket]
            angle = text.rfind("<")
            if angle >= 0 and ">" not in text[angle:] and len(text) - angle <= 12:
                text = text[:angle]
            text = text.rstrip()  # a space may yet turn out to precede a removed marker
        return clean_markers(text, self.valid)

    def feed(self, delta: str, final: bool = False) -> str:
        """The new text that can be shown now (possibly empty)."""
        self.raw += delta
        if self.broken:
            return ""
        visible = self._visible(final)
        if not visible.startswith(self.shown):
            self.broken = True  # rare; the final, verified answer replaces the draft anyway
            return ""
        new = visible[len(self.shown) :]
        self.shown = visible
        return new

    def finish(self) -> str:
        return self.feed("", final=True)


@dataclass
class Piece:
    """A sentence of the answer, exactly as written (markers and trailing space included),
    with the claim it makes (its text without markers) and the passages it cites."""

    raw: str

    @property
    def claim(self) -> str:
        return _ITEM_NUMBER.sub("", SINGLE.sub("", self.raw).strip(), count=1).strip()

    @property
    def numbers(self) -> list[int]:
        return list(dict.fromkeys(int(n) for n in SINGLE.findall(self.raw)))

    def hide(self) -> None:
        """Not shown: only the space after it is kept, so its neighbours still join."""
        self.raw = self.raw[len(self.raw.rstrip()) :]


_LEADING_MARKERS = re.compile(r"\s*(?:\[\d+\]\s*)+")
# A list item opening a line ("2. ", "2) ", "- "). The sentence splitter would read an
# item's number as the end of the sentence before ("… service [1].\n2.") or join it to
# that sentence (a "sentence" opening with a digit continues the one before).
_ITEM = re.compile(r"^[ \t]*(?:\d{1,3}[.)]|[-*•+])[ \t]+", re.M)
_ITEM_NUMBER = re.compile(r"^[ \t]*\d{1,3}[.)](?:[ \t]+|$)")


def pieces(text: str) -> list[Piece]:
    """The answer cut into sentences that join back to exactly `text`. A list item starts
    a sentence, with its number (no figure the claim states); a marker opening a sentence
    ("… plans. [2] Blair …") belongs to the sentence before it."""
    out: list[Piece] = []
    cuts = sorted({0, len(text), *(m.start() for m in _ITEM.finditer(text))})
    for a, b in pairwise(cuts):
        for raw in _sentences(text[a:b]):
            lead = _LEADING_MARKERS.match(raw)
            if out and lead and lead.end() > 0:
                out[-1].raw += raw[: lead.end()]
                raw = raw[lead.end() :]
            out.append(Piece(raw))
    return out


def _sentences(text: str) -> list[str]:
    """`text` cut into sentences, as strings that join back to it; a list item's number
    read as a sentence of its own ("1.") goes with the sentence after it."""
    spans = split_sentences(text)
    if not spans:
        return [text] if text else []
    out: list[str] = []
    for i, s in enumerate(spans):
        start = 0 if i == 0 else s.start
        end = spans[i + 1].start if i + 1 < len(spans) else len(text)
        if i == 1 and _ITEM_NUMBER.fullmatch(out[0].rstrip(" \t")):
            out[0] += text[start:end]
        else:
            out.append(text[start:end])
    return out


# What a sentence may say without a source: what the passages don't cover (the system
# prompt asks for it), as one clause that opens with them and denies they say it ("The
# passages don't say how the ballot went.", "None of the sources mention …"); the claim
# "The passages don't mention it, but …" or "The sources do not dispute that …" is no such
# clause. A sentence that merely names the passages and a "no" somewhere states anything.
_SOURCES = r"(?:passages?|sources?|articles?|texts?|library)"
_SAYING = (
    r"(?:say|mention|cover|state|address|discuss|give|include|describe|specify|explain|"
    r"report|provide|contain|answer|tell|indicate|detail|name|clarify|offer|go)(?:e?s)?"
)
_NOT = r"(?:(?:do|does|did)(?:n['’]t|\s+not)|never|cannot|can['’]t)"
_NOT_COVERED = re.compile(
    r"^(?:(?:but|however|unfortunately)\s*,?\s+)?(?:(?:the|these|those|my)\s+)?"
    rf"(?:(?:provided|given|retrieved)\s+)?{_SOURCES}(?:\s+(?:provided|given|here|above))?"
    rf"\s+(?:{_NOT}\s+(?:\w+\s+)?{_SAYING}\b|{_SAYING}\s+(?:no|nothing)\b|"
    r"(?:make|makes|have|has)\s+no\b)"
    rf"|^(?:none|neither|nothing)\s+(?:of|in)\s+(?:the|these|those)\s+{_SOURCES}\b"
    rf"|^no\s+(?:other\s+)?{_SOURCES}\s+(?:\w+\s+)?{_SAYING}\b"
    rf"|^there\s+is\s+no\s+(?:information|mention|detail|details)\s+(?:in|from)\s+(?:the\s+)?"
    rf"{_SOURCES}\b",
    re.I,
)
# … and after that opening, nothing that joins a second clause (or gives a figure)
_JOINED = re.compile(
    r"[,;:()—–]|\s-\s|\d|\b(?:and|but|however|although|though|yet|whereas|while|because|"
    r"since|therefore|instead|so(?![.!?]*$))\b",
    re.I,
)
# A heading ("Arguments for the plans:", "What Unison's Dave Prentis argued:") names a
# topic or a side; a longer line ending in a colon is a sentence that says something. No
# recorded measurement.
HEADING_WORDS = 6
_END = re.compile(r"[.!?…:]*[\"'”’)]*\s*$")


# A sentence answering yes or no ("No.", "Yes, they did."): it says something, however
# short.
_VERDICT = re.compile(r"\b(yes|no|yeah|yep|nope|correct|incorrect|true|false)\b", re.I)


def needs_source(claim: str, known: Collection[str] = frozenset()) -> bool:
    """Does this sentence (no marker of its own) state something a passage must back? Not
    a short heading, nor one with under two content words, whose words are all `known`
    (the question's and the passages'), unless it answers yes or no; nor one clause saying
    what the passages don't cover."""
    text = claim.strip().rstrip("*_").rstrip()  # "**Unison's arguments:**"
    own = set(terms(text))
    if text.endswith(":"):
        heading = len(text.split()) <= HEADING_WORDS and not re.search(r"\d", text)
        return not (heading and own <= set(known))
    if len(own) < 2:
        return bool(own - set(known) or _VERDICT.search(text))
    opening = _NOT_COVERED.match(text.lstrip("*_#>-•+ "))
    return not (opening and not _JOINED.search(text.lstrip("*_#>-•+ "), opening.end()))


def with_marker(raw: str, n: int) -> str:
    """The sentence with `[n]` after its words, before its closing punctuation."""
    end = _END.search(raw)
    at = end.start() if end else len(raw)
    return f"{raw[:at]} [{n}]{raw[at:]}"
