"""Quantities in text, read so that two ways of writing one amount compare equal.

"£5.9m" and "5.9 million pounds" are one amount; "around 20,000" is "20,000"; "tens of
thousands" covers 20,000; "about a year" is not "about ten years"; 2001 is a year, not an
amount. Each quantity becomes a range of values with a unit class (money, percent, a time
unit, or none), and two quantities agree when their ranges overlap and their units don't
conflict."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from index.text import terms

_UNITS = {
    "year": "year",
    "years": "year",
    "decade": "decade",
    "decades": "decade",
    "month": "month",
    "months": "month",
    "week": "week",
    "weeks": "week",
    "day": "day",
    "days": "day",
    "century": "century",
    "centuries": "century",
    "hour": "hour",
    "hours": "hour",
    "per cent": "percent",
    "percent": "percent",
    "%": "percent",
}
_TIME_IN_YEARS = {"year": 1.0, "decade": 10.0, "month": 1 / 12, "week": 1 / 52, "day": 1 / 365}
_SMALL = {
    "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
    "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
    "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20,
    "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80,
    "ninety": 90, "dozen": 12, "half": 0.5,
}  # fmt: skip
_SCALE = {
    "hundred": 1e2, "thousand": 1e3, "k": 1e3, "million": 1e6, "m": 1e6, "mn": 1e6,
    "billion": 1e9, "bn": 1e9, "trillion": 1e12,
}  # fmt: skip
# Vague amounts: "hundreds of jobs", "tens of thousands of people", "dozens".
_VAGUE = {
    "dozens": (24.0, 144.0),
    "scores": (40.0, 200.0),
    "hundreds": (200.0, 999.0),
    "thousands": (2e3, 9999.0),
    "tens of thousands": (2e4, 99999.0),
    "hundreds of thousands": (2e5, 999999.0),
    "millions": (2e6, 9.99e8),
}
# How far an approximate amount may be from an exact one and still be it.
APPROX = 0.25
_APPROX = r"(?:about|around|roughly|nearly|almost|approximately|some|close to|up to|over|more than|at least|fewer than|less than|under)"  # noqa: E501
_NUMBER = (
    r"(?P<cur>[£$€])?\s*(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)"
    r"(?:\s*(?P<scale>bn|mn|m|k|million|billion|trillion|thousand|hundred)\b)?"
)
_WORDNUM = r"(?P<word>" + "|".join(sorted(_SMALL, key=len, reverse=True)) + r")\b"
_PATTERN = re.compile(
    rf"(?:(?P<approx>{_APPROX})\s+)?"
    rf"(?:(?P<vague>tens of thousands|hundreds of thousands|dozens|hundreds|thousands|millions)"
    rf"|{_NUMBER}|(?<![\w-]){_WORDNUM}(?:[\s-]+(?P<wscale>hundred|thousand|million|billion))?"
    rf"|\b(?P<one>an?|one)(?=[\s-]+(?:year|decade|month|week|day|century)s?\b))"
    rf"(?:(?P<pct>\s*%|\s+per\s?cent)|[\s-]+(?P<unit>years?|decades?|months?|weeks?|days?|"
    rf"centur(?:y|ies)|hours?)\b)?"
    rf"(?:\s+(?P<cur2>pounds|dollars|euros)\b)?",
    re.I,
)


@dataclass(frozen=True)
class Quantity:
    text: str  # as written
    low: float
    high: float
    unit: str  # "money", "percent", a time unit, "times", "year-date" or ""

    def agrees(self, other: Quantity) -> bool:
        if self.unit in _EXACT or other.unit in _EXACT:
            return self.unit == other.unit and self.low == other.low
        if self.unit and other.unit and self.unit != other.unit:
            a, b = _in_years(self), _in_years(other)
            if a is None or b is None:
                return False
            return a[0] <= b[1] * (1 + 1e-9) and b[0] <= a[1] * (1 + 1e-9)
        return self.low <= other.high * (1 + 1e-9) and other.low <= self.high * (1 + 1e-9)


_EXACT = ("year-date", "weekday", "ordinal")  # compared as they are, never as amounts


def _in_years(q: Quantity) -> tuple[float, float] | None:
    per = _TIME_IN_YEARS.get(q.unit)
    return (q.low * per, q.high * per) if per else None


_DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_ORDINALS = ("second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth")
# A multiple stated in a word ("has already doubled waiting times", "twice as many"): a
# figure as much as "2" is. Not the adjective "double" ("double standards").
_MULTIPLES = {
    "doubled": 2.0, "doubling": 2.0, "twice": 2.0, "twofold": 2.0,
    "tripled": 3.0, "tripling": 3.0, "trebled": 3.0, "trebling": 3.0, "threefold": 3.0,
    "quadrupled": 4.0, "fourfold": 4.0, "halve": 0.5, "halved": 0.5, "halving": 0.5,
}  # fmt: skip
_MULTIPLE = re.compile(r"\b(" + "|".join(_MULTIPLES) + r")\b", re.I)
_MAYBE = re.compile(
    r"[\d£$€%]|\b(?:"
    + "|".join([*_SMALL, *_VAGUE, *_UNITS, *_DAYS, *_ORDINALS, *_MULTIPLES])
    + r")",
    re.I,
)
_FRACTIONS = {"half": 50.0, "third": 100 / 3, "quarter": 25.0, "fifth": 20.0, "tenth": 10.0}
_FRACTION = re.compile(
    r"\b(?:(about|around|roughly|nearly|almost|some)\s+)?(?:a|one)\s+"
    r"(half|third|quarter|fifth|tenth)\s+of\b",
    re.I,
)
_NAMED = re.compile(r"\b(" + "|".join(_DAYS + _ORDINALS) + r")\b", re.I)


@lru_cache(maxsize=4096)
def quantities(text: str) -> tuple[Quantity, ...]:
    """The amounts, figures, years, ordinals ("the third defeat") and days of the week
    stated in `text`."""
    out: list[Quantity] = []
    if not _MAYBE.search(text):  # most sentences state no amount: skip the long pattern
        return ()
    fractions = list(_FRACTION.finditer(text))
    for m in fractions:
        share = _FRACTIONS[m.group(2).lower()]
        spread = APPROX if m.group(1) else 0.0
        out.append(Quantity(m.group(0), share * (1 - spread), share * (1 + spread), "percent"))
    for m in _NAMED.finditer(text):
        if any(f.start() <= m.start() < f.end() for f in fractions):
            continue  # "a third of": a share, not an ordinal
        word = m.group(1).lower()
        if word in _DAYS:
            out.append(Quantity(m.group(0), _DAYS.index(word), _DAYS.index(word), "weekday"))
        else:
            n = _ORDINALS.index(word) + 2.0
            out.append(Quantity(m.group(0), n, n, "ordinal"))
    for m in _MULTIPLE.finditer(text):
        n = _MULTIPLES[m.group(1).lower()]
        out.append(Quantity(m.group(0), n, n, "times"))
    for m in _PATTERN.finditer(text):
        written = m.group(0).strip()
        if not written:
            continue
        g = m.groupdict()
        unit = _unit(g)
        if g["vague"]:
            low, high = _VAGUE[g["vague"].lower()]
        elif g["num"]:
            raw = g["num"].replace(",", "")
            value = float(raw)
            if (
                not g["cur"]
                and not g["scale"]
                and not unit
                and "," not in g["num"]
                and "." not in raw
                and 1500 <= value <= 2099
            ):
                out.append(Quantity(written, value, value, "year-date"))
                continue
            value *= _SCALE.get((g["scale"] or "").lower(), 1.0)
            low = high = value
        elif g["word"]:
            after = text[m.end("word") : m.end("word") + 2]
            if after.startswith("-") and not (g["unit"] or g["wscale"]):
                continue  # "two-tier", "one-off": a word, not an amount
            value = _SMALL[g["word"].lower()] * _SCALE.get((g["wscale"] or "").lower(), 1.0)
            low = high = value
        elif g["one"]:
            if not unit:
                continue
            low = high = 1.0
        else:
            continue
        approx = (g["approx"] or "").lower()
        # "more than 38,000" is not 380,000: an open bound reads as up to half as far again
        if approx in ("over", "more than", "at least"):
            high = high * (1 + 2 * APPROX)
        elif approx in ("up to", "fewer than", "less than", "under"):
            low = low * (1 - 2 * APPROX)
        elif approx:
            low, high = low * (1 - APPROX), high * (1 + APPROX)
        out.append(Quantity(written, low, high, unit))
    return tuple(out)


def _unit(g: dict[str, str | None]) -> str:
    if g["cur"] or g["cur2"]:
        return "money"
    if g["pct"]:
        return "percent"
    if g["unit"]:
        return _UNITS[g["unit"].lower()]
    return ""


def unmatched(claim: str, support: str) -> list[tuple[Quantity, Quantity | None]]:
    """Each quantity of the claim that no quantity of `support` agrees with, paired with the
    support's nearest quantity of the same kind (for saying what the source gives)."""
    theirs = quantities(support)
    out = []
    for q in quantities(claim):
        if any(q.agrees(s) for s in theirs):
            continue
        same = [s for s in theirs if s.unit == q.unit] or [
            s for s in theirs if (s.unit in _EXACT) == (q.unit in _EXACT)
        ]
        out.append((q, same[0] if same else None))
    return out


_CLAUSE = re.compile(r"[,;:](?=\s)|[()–—]|\s-\s")  # not inside "20,000" or "10:30"


def misplaced(claim: str, sentences: list[str]) -> tuple[Quantity, Quantity] | None:
    """A quantity of the claim that its support gives, but in another sentence than the one
    saying the rest of its clause, which gives another of the same kind ("the *third*
    defeat of the week for the government" against "It was the second defeat of the week
    for the government … A third defeat followed …"): (the claim's, that sentence's)."""
    if len(sentences) < 2:
        return None
    for clause in _CLAUSE.split(claim):
        mine = quantities(clause)
        if not mine:
            continue
        words = set(terms(clause)) - {t for q in mine for t in terms(q.text)}
        overlap = sorted(((len(words & set(terms(s))), s) for s in sentences), reverse=True)
        (best, there), (runner_up, _) = overlap[0], overlap[1]
        if best < 2 * max(runner_up, 1):  # no one sentence clearly says the clause
            continue
        theirs = quantities(there)
        for q in mine:
            same = [t for t in theirs if t.unit == q.unit]
            if same and not any(q.agrees(t) for t in theirs):
                return q, same[0]
    return None
