"""How quotes are introduced: by whom, and whether as their words or as a report of them.

A quote is framed as a person's words only when it is theirs (a quotation attributed to
them); the writer's report of what someone argued is framed "As reported of …". A broad
answer's quotes are grouped under the holder of each position, each holder named once."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace

from index.answering.types import Citation, shown
from index.store.sentences import name_word
from index.text import QUOTATION_MARKS, looks_plural


def holders(citations: Sequence[Citation]) -> list[str]:
    """Whose position each quote gives, as a key: its speaker's surname ("Dave Prentis,
    general secretary of Unison", "Mr Prentis": "prentis"), or — for a speaker described,
    not named ("The motion", "delegates") — that description's word in its article only (the
    Oxford motion is not the Brighton one). A quote no one is named as saying belongs to a
    speaker of the answer it opens by naming ("Mr Prentis, echoing a term …, described …"),
    else to itself ("#3")."""
    keys = [_holder(c) if c.speaker else "" for c in citations]
    named = sorted({k for k in keys if k})
    for i, c in enumerate(citations):
        if keys[i]:
            continue
        opening = re.findall(r"[\w'’-]+", c.quote)[:OPENING_WORDS]
        # … by name, or by the word of a description of its own article ("Delegates at …")
        mine = {w.lower() for w in opening if w[:1].isupper()}
        mine |= {f"{c.path}#{w.lower()}" for w in opening}
        keys[i] = next((k for k in named if k in mine), f"#{c.n}")
    return keys


def _holder(c: Citation) -> str:
    """A quote's holder key: its speaker's surname, or a description's word with its article
    (a lone capitalised plural is a description: "Ministers", "Delegates")."""
    phrase = c.speaker or ""
    word = name_word(phrase)
    described = not word[:1].isupper() or (len(phrase.split()) == 1 and looks_plural(word))
    return f"{c.path}#{word.lower()}" if described else word.lower()


# How far into a quote its subject is looked for: a name and its title ("Meanwhile,
# Co-operatives UK Secretary General Ed Mayo has …"), not a passing mention further on. On
# the broad tuning answers 8 words join two quotes more than 4, both rightly; 12 joins four
# more, three wrongly ("… a speech by Oxford member Paul Flather": the defeat, not his
# view). bench/tuning/opening_words.py lists them.
OPENING_WORDS = 8


def by_holder(citations: Sequence[Citation]) -> list[list[Citation]]:
    """A broad answer's citations grouped by holder, in the order each holder is first
    quoted, renumbered so the markers read 1, 2, 3 down the answer."""
    groups: dict[str, list[Citation]] = {}
    for key, c in zip(holders(citations), citations, strict=True):
        groups.setdefault(key, []).append(c)
    n = 0
    out = []
    for group in groups.values():
        out.append([replace(c, n=n + i + 1) for i, c in enumerate(group)])
        n += len(group)
    return out


def compose_broad(groups: Sequence[list[Citation]]) -> str:
    """A broad answer's text, each holder named once (`by_holder`'s groups): one quote on
    their line, framed as a fact's is; several under their name, a line each, the writer's
    reports of them marked as reports."""
    return "\n".join(framed(group) if len(group) == 1 else _listed(group) for group in groups)


def _listed(group: list[Citation]) -> str:
    """Several quotes of one holder under their name, as the text names them most fully."""
    name = max((c.speaker or "" for c in group), key=len)  # one has a speaker: holders()
    lines = [f"{_opening(name)}:"]
    for c in group:
        shown_quote = f"{shown(c.quote)} [{c.n}]"
        lines.append(
            f"{BULLET}{shown_quote}" if own_words(c) else f"{BULLET}{REPORT}: {shown_quote}"
        )
    return "\n".join(lines)


BULLET = "• "
REPORT = "As reported"  # a bullet's frame for the writer's report of the holder's words


def framed(group: list[Citation]) -> str:
    """Quotes of one place introduced by who says them: as their words ("Dave Prentis,
    general secretary of Unison, argued: …") only when they are, else as a report."""
    quotes = " ".join(f"{shown(c.quote)} [{c.n}]" for c in group)
    first = group[0]
    if not first.speaker or first.speaker in first.quote:
        return quotes  # no speaker named, or the quote names them itself
    if not all(own_words(c) for c in group):
        # The writer's report of what someone argued ("He argued that ministers have …") is
        # not that person's words: it is framed as a report, never put in their mouth.
        return f"{REPORTED} {first.speaker}: {quotes}"
    # A fixed frame: the speaker's words and the reporting verb are the text's own ("Dave
    # Prentis, general secretary of Unison, argued:"). The verb is left out when the quote
    # says it itself, so the frame doesn't repeat it.
    if not first.verb or re.search(rf"\b{re.escape(first.verb)}\b", first.quote, re.I):
        return f"{_opening(first.speaker)}: {quotes}"
    comma = "," if "," in first.speaker else ""
    return f"{_opening(first.speaker)}{comma} {first.verb}: {quotes}"


def _opening(speaker: str) -> str:
    """A speaker as a line opens with them: "A local Momentum organiser", as the text has
    them but for the capital a line starts with."""
    return speaker[:1].upper() + speaker[1:]


REPORTED = "As reported of"  # opens the frame of a quote that reports someone's words


def own_words(c: Citation) -> bool:
    """Is the quote its speaker's own words: a quotation, opening with a quotation mark
    ("“We are told that …”", "“There's a risk …,” Walker explains.") or inside one the
    passage opened before it ("“Haven't we learned …? They are part of …"), rather than
    the writer's sentence about them ("He argued that …")?"""
    return c.quoted or c.quote.lstrip()[:1] in (*QUOTATION_MARKS, "‘")
