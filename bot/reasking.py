"""After a refresh, ask the open gaps' questions again against the new generation.

This closes the moderators' loop: members ask → the bot refuses → moderators see the gap
and add a source → the refresh says which open questions it now answers. A question counts
as answered when the new answer is not a refusal and cites a passage; one whose earlier
answer was voted 👎 only when the new answer cites a document this refresh added or
updated (the same answer again is not an answer: it stays open, and /gaps lists it apart
from its group's answered questions, bot/gaps.py). Each distinct question is asked once,
whoever and wherever it was asked. No Discord here: `policybot index` uses it too.

The questions are asked of the extractive answerer even when an LLM is configured: it
decides the same thing (the evidence gate, then cited sentences) with no model call, so
re-asking stays fast, deterministic and offline while the refresh lock is held (200
questions × LLM_TIMEOUT could hold it for over an hour). The reply where a question was
asked (GAPS_REPLY_WHEN_ANSWERED, bot/replying.py) gets the full answer."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from bot.store import AnswerStore, GapQuestion

if TYPE_CHECKING:
    from index.service import KnowledgeBase

log = logging.getLogger(__name__)

Progress = Callable[[str, int, int], None]
STAGE = "re-asking open questions"


@dataclass(frozen=True)
class Reanswered:
    """One distinct question a refresh answered, and where it had been asked."""

    question: str
    ids: tuple[str, ...]  # the stored questions (answer ids) it stands for
    guild_ids: frozenset[int | None]


@dataclass(frozen=True)
class Reasked:
    """What re-asking found: how many distinct open questions, which are now answered."""

    refresh: str  # when the refresh finished (ISO): the "answered by" of its questions
    open: int
    answered: list[Reanswered] = field(default_factory=list)
    seconds: float = 0.0
    open_by_guild: dict[int | None, int] = field(default_factory=dict)

    def for_guild(self, guild_id: int | None) -> Reasked:
        """Only what was asked in `guild_id`: one community never sees another's questions."""
        return Reasked(
            self.refresh,
            self.open_by_guild.get(guild_id, 0),
            [a for a in self.answered if guild_id in a.guild_ids],
            self.seconds,
            {guild_id: self.open_by_guild.get(guild_id, 0)},
        )

    def line(self) -> str:
        return f"this refresh answered {len(self.answered)} of {self.open} open questions"

    def to_json(self) -> dict[str, Any]:
        return {
            "open": self.open,
            "answered": [a.question for a in self.answered],
            "seconds": round(self.seconds, 2),
        }


def _key(question: str) -> str:
    return " ".join(question.casefold().split())


def reask(
    store: AnswerStore,
    kb: KnowledgeBase,
    report: Any,
    progress: Progress | None = None,
) -> Reasked | None:
    """Re-ask the open questions (extractively) after the refresh `report` and mark those
    answered; None when the refresh changed no document (nothing could newly answer them)."""
    if getattr(report, "dry_run", False) or not (report.added or report.updated):
        return None
    started = time.perf_counter()
    refresh = datetime.now(UTC).isoformat(timespec="seconds")
    changed_docs = set(report.added) | set(report.updated)
    groups: dict[str, list[GapQuestion]] = {}
    for q in store.gap_questions(every_guild=True):
        if q.status == "open":
            groups.setdefault(_key(q.question), []).append(q)
    answered: list[Reanswered] = []
    new_answers: dict[str, str] = {}
    for done, same in enumerate(groups.values()):
        if progress is not None:
            progress(STAGE, done, len(groups))
        try:
            new = kb.answer_sync(same[0].question, extractive=True)
        except Exception:  # one bad question must not spoil the refresh's report
            log.warning("re-asking an open question failed", exc_info=True)
            continue
        if new.refused or not new.citations:
            continue
        if not any(c.path in changed_docs for c in new.citations):
            same = [q for q in same if q.refused]  # 👎 ones: the same answer again isn't one
            if not same:
                continue
        payload = json.dumps(new.to_json(), ensure_ascii=False)
        ids = tuple(q.id for q in same)
        new_answers.update(dict.fromkeys(ids, payload))
        answered.append(Reanswered(same[0].question, ids, frozenset(q.guild_id for q in same)))
    for a in answered:
        store.set_status(a.ids, "answered", refresh, {i: new_answers[i] for i in a.ids})
    if progress is not None:
        progress(STAGE, len(groups), len(groups))
    by_guild: dict[int | None, set[str]] = {}
    for key, same in groups.items():
        for q in same:
            by_guild.setdefault(q.guild_id, set()).add(key)
    seconds = time.perf_counter() - started
    log.info(
        "re-asked %d open questions in %.1f s: %d answered", len(groups), seconds, len(answered)
    )
    return Reasked(
        refresh, len(groups), answered, seconds, {g: len(k) for g, k in by_guild.items()}
    )
