"""Gaps: what members ask that the library can't answer, grouped by meaning, per guild.

A gap is a group of questions that were refused, or whose answer was voted 👎 where it
was asked, that mean the same thing. Moderators read gaps (`/gaps`, `policybot gaps`) to
decide which sources to add; each refresh re-asks the open ones (bot/reasking.py).

Grouping is average-linkage agglomerative clustering of the questions' embeddings (the
knowledge base's own model, `KnowledgeBase.embed_texts`) with a cosine threshold, over the
questions in the order they were asked: the same store always gives the same groups, and
a gap's id (its first question's) stays put as questions join it. A group whose questions
differ in status is listed as one gap per status (`_gaps`), so a question is always listed
under its own status. No Discord here: the command line uses it too."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np

from bot.store import AnswerStore, GapQuestion

Embed = Callable[[list[str]], Any]  # texts -> unit vectors, one row each

# Two groups merge while the mean cosine between their questions is at least this. Chosen
# on the tuning half of bench/gaps/questions.txt by bench/gap_grouping.py (pairwise F1
# there and on the held-out half in docs/benchmarks.md).
GROUP_SIMILARITY = 0.40
# Distinct questions grouped per guild, the most recently asked: grouping costs n² memory
# and time (2,000: 0.6 s and 16 MB; 3,000: 3.3 s in float64; bench/gap_grouping.py).
# Older ones beyond it are left out of the gaps until retention deletes them.
MAX_GROUPED = 2000
EXAMPLES = 3  # example questions per gap: enough to see what it is about, short in Discord
ID_CHARS = 12  # of the first question's answer id: unique enough within one store

# The judge's reasons (index.search.gate.Verdict.reason) in moderators' words.
PLAIN_REASONS = (
    ("the sources don't mention", None),  # already plain, and it names who or what
    ("no sentence of the passages says", "passages near it are too weak to answer"),
    ("no passage is about", "nothing near it in the library"),
)
REFUSED = "the sources don't cover it"  # refused without the judge's reason (an LLM declined)
DOWNVOTED = "answered, but voted 👎"
STATUS_ORDER = {"open": 0, "answered": 1, "dismissed": 2}


def plain_reason(q: GapQuestion) -> str:
    """Why this question is in a gap, in plain words."""
    if not q.refused:
        return DOWNVOTED
    for prefix, plain in PLAIN_REASONS:
        if q.reason and q.reason.startswith(prefix):
            return plain or q.reason
    return REFUSED


@dataclass(frozen=True)
class Gap:
    """One group of questions; `members` are answer ids (for dismissal and re-asking)."""

    id: str
    guild_id: int | None
    status: str
    count: int
    askers: int
    first_asked: str
    last_asked: str
    questions: list[str]
    reason: str
    answered_by: str | None = None
    members: tuple[str, ...] = field(default=(), repr=False)

    def to_json(self) -> dict[str, Any]:
        """The stable JSON form (README, "Gaps"): never who asked, only how many."""
        return {
            "id": self.id,
            "status": self.status,
            "count": self.count,
            "askers": self.askers,
            "first_asked": self.first_asked,
            "last_asked": self.last_asked,
            "questions": self.questions,
            "reason": self.reason,
            "answered_by": self.answered_by,
            "guild_id": self.guild_id,
        }


def group(
    vectors: np.ndarray, threshold: float = GROUP_SIMILARITY, weights: Sequence[int] = ()
) -> list[list[int]]:
    """Average-linkage clusters of unit `vectors` (rows), as lists of row numbers ordered by
    their first row. Ties go to the lowest rows, so the result depends on the order only.
    `weights`: how many questions each row stands for (a question asked word for word
    several times is one row), 1 each by default."""
    n = len(vectors)
    if n == 0:
        return []
    v = np.asarray(vectors, dtype=np.float32)
    sim = v @ v.T
    np.fill_diagonal(sim, -np.inf)
    sizes = np.asarray(weights, dtype=np.float32) if len(weights) else np.ones(n, np.float32)
    members: list[list[int]] = [[i] for i in range(n)]
    while True:
        i, j = divmod(int(np.argmax(sim)), n)
        if sim[i, j] < threshold:
            break
        i, j = min(i, j), max(i, j)  # the merged group lives on in its earlier row
        merged = (sizes[i] * sim[i] + sizes[j] * sim[j]) / (sizes[i] + sizes[j])
        sim[i], sim[:, i] = merged, merged
        sim[j], sim[:, j] = -np.inf, -np.inf
        sim[i, i] = -np.inf
        sizes[i] += sizes[j]
        members[i] += members[j]
        members[j] = []
    return [sorted(m) for m in members if m]


def embeddings(store: AnswerStore, questions: Sequence[GapQuestion], embed: Embed) -> np.ndarray:
    """The questions' unit vectors: stored ones read back, the others made and stored."""
    ids = [q.id for q in questions]
    stored = store.vectors(ids)
    missing = [q for q in questions if q.id not in stored]
    if missing:
        texts = list(dict.fromkeys(q.question for q in missing))  # each text once
        made = np.asarray(embed(texts), dtype=np.float32)
        row = {t: k for k, t in enumerate(texts)}
        new = {q.id: made[row[q.question]].tobytes() for q in missing}
        store.put_vectors(new)
        stored.update(new)
    if not ids:
        return np.zeros((0, 0), dtype=np.float32)
    vectors = np.stack([np.frombuffer(stored[i], dtype=np.float32) for i in ids])
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.where(norms == 0, 1, norms)


def find_gaps(
    store: AnswerStore,
    embed: Embed,
    guild_id: int | None = None,
    *,
    every_guild: bool = False,
    since_days: float | None = None,
    threshold: float = GROUP_SIMILARITY,
) -> list[Gap]:
    """The gaps of `guild_id` (or of every guild, each grouped on its own), open ones first,
    then the most asked. With `since_days`, only questions asked in that many days count;
    gaps are still found among all, so a gap keeps its id whatever the window."""
    questions = store.gap_questions(guild_id, every_guild=every_guild)
    vectors = embeddings(store, questions, embed)
    since = (
        (datetime.now(UTC) - timedelta(days=since_days)).isoformat(timespec="seconds")
        if since_days is not None
        else ""
    )
    # per guild, one row per distinct question (its first asking), weighted by how often
    by_guild: dict[int | None, dict[str, list[int]]] = {}
    for row, q in enumerate(questions):
        by_guild.setdefault(q.guild_id, {}).setdefault(_key(q.question), []).append(row)
    gaps = []
    for distinct in by_guild.values():
        kept = list(distinct.values())
        kept = sorted(kept, key=lambda rows: rows[-1])[-MAX_GROUPED:]  # the latest asked
        kept.sort(key=lambda rows: rows[0])
        firsts = [rows[0] for rows in kept]
        for cluster in group(vectors[firsts], threshold, [len(rows) for rows in kept]):
            members = sorted((questions[r] for k in cluster for r in kept[k]), key=_order)
            gaps += _gaps(members, since)
    gaps.sort(key=lambda g: g.id)
    gaps.sort(key=lambda g: g.last_asked, reverse=True)  # stable sorts: the last key first
    gaps.sort(key=lambda g: (STATUS_ORDER[g.status], -g.count))
    return gaps


def _key(question: str) -> str:
    return " ".join(question.casefold().split())


def _order(q: GapQuestion) -> tuple[str, str]:
    return q.created_at, q.id


def _gaps(members: list[GapQuestion], since: str) -> list[Gap]:
    """The gaps one group of questions makes. All of it is dismissed when a moderator
    dismissed any of it (a question like it that comes later stays dismissed). Otherwise the
    questions a refresh answered are one gap, `answered`, and those still open another: a
    question asked after that refresh, or one voted 👎 that the refresh answered with no
    document it added or changed (the same answer again is not an answer, bot/reasking.py)
    stays open, and a question the refresh answered is never listed as open."""
    if any(q.status == "dismissed" for q in members):
        parts = [("dismissed", members)]
    else:
        parts = [(s, [q for q in members if q.status == s]) for s in ("answered", "open")]
    return [g for status, part in parts if (g := _gap(part, status, since)) is not None]


def _gap(members: list[GapQuestion], status: str, since: str) -> Gap | None:
    """The gap these questions make with `status`, counted over those asked since `since`
    (None if none were)."""
    shown = [q for q in members if q.created_at >= since]
    if not shown:
        return None
    answered_by = max((q.refresh or "" for q in members), default="") or None
    return Gap(
        id=members[0].id[:ID_CHARS],
        guild_id=members[0].guild_id,
        status=status,
        count=len(shown),
        askers=len({q.user_id for q in shown}),
        first_asked=shown[0].created_at,
        last_asked=shown[-1].created_at,
        questions=_examples(shown),
        reason=Counter(plain_reason(q) for q in shown).most_common(1)[0][0],
        answered_by=answered_by if status == "answered" else None,
        members=tuple(q.id for q in members),
    )


def _examples(questions: list[GapQuestion]) -> list[str]:
    """Up to EXAMPLES distinct questions, the most asked first (then the earliest)."""
    seen: dict[str, tuple[int, str]] = {}
    for q in questions:
        key = _key(q.question)
        count, text = seen.get(key, (0, q.question))
        seen[key] = (count + 1, text)
    ranked = sorted(seen.values(), key=lambda ct: -ct[0])  # stable: earliest among equals
    return [text for _, text in ranked[:EXAMPLES]]


def dismiss(store: AnswerStore, embed: Embed, guild_id: int | None, gap_id: str) -> Gap | None:
    """Dismiss the gap `gap_id` of `guild_id` (off-topic: not a source to add) and return
    it as it now stands; None when the guild has no such gap (another guild's, or its
    questions deleted since). A gap's id is its earliest question's, so when later
    questions have joined it to an earlier group (a /gaps page opened before), the gap now
    holding that question is the one dismissed."""
    gaps = find_gaps(store, embed, guild_id)
    target = next((g for g in gaps if g.id == gap_id), None) or next(
        (g for g in gaps if any(m.startswith(gap_id) for m in g.members)), None
    )
    if target is None:
        return None
    store.set_status(target.members, "dismissed")
    return next(
        g for g in find_gaps(store, embed, guild_id) if set(target.members) <= set(g.members)
    )
