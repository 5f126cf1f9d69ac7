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
# models write although told not to.
_NUMS = r"\d{1,3}(?:\s*(?:,|;|-|–|and)\s*\d{1,3})*"
MARKER = re.compile(rf"\[\s*(?:(?:passage|source|ref)\s*)?({_NUMS})\s*\]", re.I)
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


def tidy(text: str) -> str:
    text = _SPACE_BEFORE_PUNCT.sub(r"\1", _SPACES.sub(" ", text))
    return "\n".join(line.rstrip() for line in text.split("\n")).strip()


def clean_markers(text: str, valid: Collection[int]) -> str:
    """Rewrite every marker as `[a][b]` keeping only passage numbers in `valid`;
    a marker naming no valid passage disappears."""

    def keep(m: re.Match[str]) -> str:
        return "".join(f"[{n}]" for n in _numbers(m.group(1)) if n in valid)

    return tidy(MARKER.sub(keep, text))


def clean_answer(text: str, valid: Collection[int]) -> str:
    """The model's text as it may be shown: no reasoning, only markers for given passages."""
    return clean_markers(strip_thinking(text), valid)


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
        text = strip_thinking(self.raw)
        if not final:
            bracket = text.rfind("[")
            if bracket >= 0 and "]" not in text[bracket:] and len(text) - bracket <= self.HOLD:
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


# What a sentence may say without a source: that the passages don't cover something (the
# system prompt asks for it), or a heading for what follows ("Unison's arguments:").
_ABOUT_SOURCES = re.compile(r"\b(passages?|sources?|articles?|library)\b", re.I)
_NEGATED = re.compile(r"\b(not|no|nothing|neither|nor|cannot|none|only)\b|n['’]t\b", re.I)
_END = re.compile(r"[.!?…]*[\"'”’)]*\s*$")


def needs_source(claim: str) -> bool:
    """Does this sentence (no marker of its own) state something a passage must back? Not a
    heading, nor a sentence with under two content words ("In short:"), nor one saying
    what the passages don't cover."""
    text = claim.strip().rstrip("*_").rstrip()  # "**Unison's arguments:**"
    if text.endswith(":") or len(terms(text)) < 2:
        return False
    return not (_ABOUT_SOURCES.search(text) and _NEGATED.search(text))


def with_marker(raw: str, n: int) -> str:
    """The sentence with `[n]` after its words, before its closing punctuation."""
    end = _END.search(raw)
    at = end.start() if end else len(raw)
    return f"{raw[:at]} [{n}]{raw[at:]}"
