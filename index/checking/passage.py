"""What the claim checker is given (a Passage) and what it decides (a Judgement)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from index.checking.additions import Embed
from index.search.evidence import Evidence
from index.search.retrieval import CorpusStats
from index.text import terms

UNJUDGED = "unjudged"  # Judgement.kind of a claim that must be embedded to be judged

UNSURE = ("topic", "addition")  # kinds decided by an overall share, not by what is stated


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
    named_before: tuple[str, ...] = ()  # … and those a little further before it
    # Embeds texts (unit or not): to weigh a clause the claim may have added
    # (index.checking.additions); None judges without that check.
    embed: Embed | None = None
