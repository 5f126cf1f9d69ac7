"""Chat shorthand in a question ("govt", "regs", "lib dems") read as the words it stands for,
unless the library itself writes it: a retrieval model and a word index match
"regulations", not "regs" ("what does bennett think of the hunt regs" was answered with
her biography). bench/tuning/typed_case.py measures what it is worth."""

from __future__ import annotations

import re
from collections.abc import Callable

from index.text import terms

# Shorthand of general written English (and of UK politics, the product's field) with one
# reading; a word with several ("docs", "mins", "PM") is left as typed.
SHORTHAND = {
    "govt": "government",
    "gov't": "government",
    "govts": "governments",
    "regs": "regulations",
    "dept": "department",
    "depts": "departments",
    "ppl": "people",
    "abt": "about",
    "info": "information",
    "uni": "university",
    "bc": "because",
    "cuz": "because",
    "coz": "because",
    "thru": "through",
    "org": "organisation",
    "orgs": "organisations",
    "mgmt": "management",
    "intl": "international",
    "yrs": "years",
    "lib dems": "Liberal Democrats",
    "lib dem": "Liberal Democrat",
    "libdems": "Liberal Democrats",
}
_ALTERNATIVES = "|".join(map(re.escape, sorted(SHORTHAND, key=len, reverse=True)))
# a whole word, not part of an address ("example.org", "gov.uk", "/info")
_SHORTHAND = re.compile(rf"(?<![\w'’./@-])(?:{_ALTERNATIVES})(?![\w'’/@-]|\.\w)", re.I)


def expanded(question: str, written: Callable[[str], bool]) -> str:
    """`question` with each shorthand the library doesn't write (`written(term)`: does any
    document hold the term) put as the words it stands for."""

    def expand(m: re.Match[str]) -> str:
        short = m.group()
        # in capitals it is an acronym ("BC", "ORG"), not chat
        if short.isupper() or all(written(t) for t in terms(short)):
            return short
        return SHORTHAND[short.lower()]

    return _SHORTHAND.sub(expand, question)
