"""Plays a claims file (CONTRACT.md, "Claims files") through the real answering path.

A scripted OpenAI-compatible endpoint (`FakeOpenAI`, on 127.0.0.1) answers each question
with its claims, each citing the passage of the request that holds its anchor; the real
knowledge base (Chroma, embeddings, retrieval, evidence gate, citation check) decides what
is shown. The result says, per claim, whether it was shown, and sums it up per kind.

    with ClaimsPlayer(data=None) as player:       # a temporary index over sources/
        result = player.play_file(path)
        print(result.summary())

A test holding a knowledge base already (e.g. conftest's `seed_kb`) calls
`play(load_claims(path), generative_kb(seed_kb, fake), fake)`."""

from __future__ import annotations

import dataclasses
import json
import re
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from index.answering.types import Answer
from index.service import KnowledgeBase
from index.settings import SecretStr, Settings
from tests.index.fake_openai import FakeOpenAI, Reply, Request

ROOT = Path(__file__).resolve().parent.parent.parent
SEED_SOURCES = ROOT / "sources"

_QUOTES = str.maketrans(
    {"“": '"', "”": '"', "„": '"', "‟": '"', "‘": "'", "’": "'", "‚": "'", "‛": "'"}
)
_DASHES = str.maketrans({d: "-" for d in "‐‑‒–—―−"})
_SPACE = re.compile(r"\s+")
_SPACE_BEFORE_PUNCT = re.compile(r"\s+([.,;:!?])")
_MARKER = re.compile(r"\[\d+\]")
_MARKERS = re.compile(r"(?:\s*\[\d+\])+")
_WORD = re.compile(r"\w+")


# -- folding, as the contract says --------------------------------------------------------
def fold_anchor(text: str) -> str:
    """Whitespace, curly quotes and dashes folded (case kept): for anchors in passages."""
    text = text.replace("&lt;", "<")  # the prompt defuses "<" of tag-like text
    return _SPACE.sub(" ", text.translate(_QUOTES).translate(_DASHES)).strip()


def fold_shown(text: str) -> str:
    """Case, whitespace and quotes folded, markers gone: for claims in answers."""
    text = _MARKER.sub(" ", text.replace("{n}", " ")).translate(_QUOTES)
    return _SPACE_BEFORE_PUNCT.sub(r"\1", _SPACE.sub(" ", text)).strip().casefold()


def _words(text: str) -> set[str]:
    return set(_WORD.findall(text.casefold()))


# -- the file -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Claim:
    id: str
    anchor: str
    text: str  # with its "{n}" marker
    faithful: bool
    kind: str


@dataclass(frozen=True)
class ClaimsQuestion:
    id: str
    question: str
    claims: tuple[Claim, ...]


def load_claims(path: Path | str) -> list[ClaimsQuestion]:
    """The questions of a claims file; a claim without an id gets `<question id>.<i>`."""
    out = []
    for line_no, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        raw = json.loads(line)
        qid = str(raw.get("id") or f"line{line_no}")
        claims = tuple(
            Claim(
                id=str(c.get("id") or f"{qid}.{i}"),
                anchor=c["anchor"],
                text=c["text"],
                faithful=bool(c["faithful"]),
                kind=c["kind"],
            )
            for i, c in enumerate(raw["claims"], 1)
        )
        out.append(ClaimsQuestion(qid, raw["question"], claims))
    return out


# -- results --------------------------------------------------------------------------------
@dataclass
class ClaimResult:
    id: str
    question_id: str
    kind: str
    faithful: bool
    text: str
    scored: bool  # its anchor was in a passage sent, so the model "wrote" it
    shown: bool
    passage: int | None  # the number of the passage it cited in the request
    note: str | None  # the answer's note
    mode: str  # the answer's mode ("extractive": a fallback or refusal, nothing shown)
    cited: list[int] = field(default_factory=list)  # markers it carries in the answer
    quotes: list[str] = field(default_factory=list)  # what those citations quote

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass
class AnswerResult:
    question_id: str
    question: str
    answer: str
    mode: str
    refused: bool
    note: str | None
    model_called: bool
    answer_ms: float | None  # answer.timings_ms["answer"]: the checking cost lives inside
    check_ms: float | None = None  # answer.timings_ms["check"]: checking the claims alone
    claims_checked: int = 0  # claims the reply held (what the check time was spent on)
    replied: str = ""  # what the scripted model wrote

    @property
    def fallback(self) -> bool:
        """The model answered, but the extractive answer was shown instead."""
        return self.model_called and self.mode == "extractive" and not self.refused

    def to_json(self) -> dict[str, Any]:
        return {**dataclasses.asdict(self), "fallback": self.fallback}


def _pct(values: list[float], q: float) -> float | None:
    return round(float(np.percentile(np.asarray(values), q)), 2) if values else None


def _rate(shown: int, of: int) -> float | None:
    return round(shown / of, 4) if of else None


@dataclass
class PlayResult:
    claims: list[ClaimResult] = field(default_factory=list)
    answers: list[AnswerResult] = field(default_factory=list)

    def kinds(self) -> list[dict[str, Any]]:
        """One row per (faithful, kind), faithful kinds first: scored claims and shown."""
        rows: dict[tuple[bool, str], dict[str, Any]] = {}
        for c in self.claims:
            row = rows.setdefault(
                (c.faithful, c.kind),
                {"kind": c.kind, "faithful": c.faithful, "claims": 0, "shown": 0, "not_scored": 0},
            )
            if not c.scored:
                row["not_scored"] += 1
                continue
            row["claims"] += 1
            row["shown"] += c.shown
        out = [rows[k] for k in sorted(rows, key=lambda k: (not k[0], k[1]))]
        for row in out:
            row["rate"] = _rate(row["shown"], row["claims"])
        return out

    def summary(self) -> dict[str, Any]:
        """The headline figures: faithful kept, unfaithful shown, and what wasn't scored."""
        faithful = [c for c in self.claims if c.scored and c.faithful]
        unfaithful = [c for c in self.claims if c.scored and not c.faithful]
        times = [a.answer_ms for a in self.answers if a.answer_ms is not None]
        checks = [a.check_ms for a in self.answers if a.check_ms is not None]
        counts = [float(a.claims_checked) for a in self.answers if a.check_ms is not None]
        return {
            "questions": len(self.answers),
            "claims": len(self.claims),
            "faithful_scored": len(faithful),
            "faithful_shown": sum(c.shown for c in faithful),
            "faithful_kept": _rate(sum(c.shown for c in faithful), len(faithful)),
            "unfaithful_scored": len(unfaithful),
            "unfaithful_shown_count": sum(c.shown for c in unfaithful),
            "unfaithful_shown": _rate(sum(c.shown for c in unfaithful), len(unfaithful)),
            "not_scored": sum(not c.scored for c in self.claims),
            "fallbacks": sum(a.fallback for a in self.answers),
            "refused_before_model": sum(not a.model_called for a in self.answers),
            "answer_ms_p50": _pct(times, 50),
            "answer_ms_p95": _pct(times, 95),
            "check_ms_p50": _pct(checks, 50),
            "check_ms_p95": _pct(checks, 95),
            "claims_per_check": _pct(counts, 50),
            "per_kind": self.kinds(),
        }

    def to_json(self) -> dict[str, Any]:
        return {
            "summary": self.summary(),
            "answers": [a.to_json() for a in self.answers],
            "claims": [c.to_json() for c in self.claims],
        }


# -- the scripted model -----------------------------------------------------------------------
def passage_for(claim: Claim, passages: list[dict[str, str]]) -> int | None:
    """The number of the passage holding the claim's anchor: where several do, the one
    sharing most words with the claim, then the lowest number; None if none does."""
    anchor = fold_anchor(claim.anchor)
    holding = [p for p in passages if anchor in fold_anchor(p["text"])]
    if not holding:
        return None
    said = _words(claim.text.replace("{n}", " "))
    best = min(holding, key=lambda p: (-len(said & _words(p["text"])), int(p["n"])))
    return int(best["n"])


def script_reply(claims: Iterable[Claim], body: dict[str, Any]) -> tuple[str, dict[str, int]]:
    """The reply to one request: the claims whose anchor is in a passage sent, joined by
    spaces, `{n}` → `[k]`; and the passage number each of them cites (by claim id)."""
    passages = Request(body, {}).passages()
    cited: dict[str, int] = {}
    parts = []
    for c in claims:
        k = passage_for(c, passages)
        if k is not None:
            cited[c.id] = k
            parts.append(c.text.replace("{n}", f"[{k}]"))
    return " ".join(parts), cited


def _markers_after(claim: Claim, answer: str) -> list[int]:
    """The marker numbers that follow the claim's text in the answer, if it is there."""
    core = fold_shown(claim.text.split("{n}")[0])
    if not core:
        return []
    start = 0
    for m in _MARKERS.finditer(answer):
        before = fold_shown(answer[start : m.start()])
        if before.endswith(core):
            return [int(n) for n in re.findall(r"\d+", m.group(0))]
        start = m.end()
    return []


def second_opinion(claims: Iterable[Claim], asked: str, verifier: str) -> str:
    """A scripted reply to the second-opinion prompt: each pair's verdict from the claims'
    labels (`oracle`: a verifier that is always right), or "UNCLEAR" for every pair."""
    by_text = {fold_shown(c.text.replace("{n}", "")): c.faithful for c in claims}
    lines = []
    for m in re.finditer(r'<pair n="(\d+)">\s*<claim>(.*?)</claim>', asked, re.S):
        faithful = by_text.get(fold_shown(m.group(2)))
        if verifier == "oracle" and faithful is not None:
            lines.append(f"{m.group(1)}: {'SUPPORTED' if faithful else 'NOT SUPPORTED'}")
        else:
            lines.append(f"{m.group(1)}: UNCLEAR")
    return "\n".join(lines)


def play_question(
    kb: KnowledgeBase, fake: FakeOpenAI, q: ClaimsQuestion, verifier: str = "none"
) -> tuple[AnswerResult, list[ClaimResult]]:
    """Ask one question of `kb` (generative, talking to `fake`) with its claims scripted;
    with LLM_VERIFY=model set on `kb`, `verifier` says how the second opinion answers."""
    state: dict[str, Any] = {"cited": {}, "text": "", "calls": 0}

    def reply(body: dict[str, Any]) -> Reply:
        asked = Request(body, {}).user
        if "<pair n=" in asked:  # LLM_VERIFY=model asking about the claims it can't decide
            return Reply(second_opinion(q.claims, asked, verifier))
        text, cited = script_reply(q.claims, body)
        state.update(cited=cited, text=text, calls=state["calls"] + 1)
        return Reply(text)

    fake.reply(reply)
    answer: Answer = kb.answer_sync(q.question)
    called = state["calls"] > 0
    result = AnswerResult(
        question_id=q.id,
        question=q.question,
        answer=answer.answer,
        mode=answer.mode,
        refused=answer.refused,
        note=answer.note,
        model_called=called,
        answer_ms=answer.timings_ms.get("answer"),
        check_ms=answer.timings_ms.get("check"),
        claims_checked=len(re.findall(r"\[\d+\]", state["text"])),
        replied=state["text"],
    )
    generative = answer.mode == "generative" and not answer.refused
    shown_text = fold_shown(answer.answer) if generative else ""
    by_n = {c.n: c for c in answer.citations}
    claims = []
    for c in q.claims:
        k = state["cited"].get(c.id)
        shown = k is not None and generative and fold_shown(c.text) in shown_text
        cited = _markers_after(c, answer.answer) if shown else []
        claims.append(
            ClaimResult(
                id=c.id,
                question_id=q.id,
                kind=c.kind,
                faithful=c.faithful,
                text=c.text,
                scored=k is not None,
                shown=shown,
                passage=k,
                note=answer.note,
                mode=answer.mode,
                cited=cited,
                quotes=[by_n[n].quote for n in cited if n in by_n],
            )
        )
    return result, claims


def play(
    questions: Iterable[ClaimsQuestion],
    kb: KnowledgeBase,
    fake: FakeOpenAI,
    verifier: str = "none",
) -> PlayResult:
    """Play the questions through `kb`, whose LLM endpoint is `fake` (see `generative_kb`)."""
    result = PlayResult()
    for q in questions:
        answer, claims = play_question(kb, fake, q, verifier)
        result.answers.append(answer)
        result.claims.extend(claims)
    return result


# -- the knowledge base ------------------------------------------------------------------------
def generative_kb(base: KnowledgeBase, fake: FakeOpenAI, **overrides: Any) -> KnowledgeBase:
    """A generative knowledge base sharing `base`'s index and model, talking to `fake`
    (as tests/index/test_generative.py's `make_gen_kb`)."""
    settings = dataclasses.replace(
        base.settings,
        **{
            "llm_provider": "openai",
            "llm_base_url": fake.base_url,
            "llm_model": "claims-play",
            "llm_api_key": SecretStr("sk-claims-play"),
            "llm_timeout": 30.0,
            "llm_max_tokens": 1024,
            **overrides,
        },
    )
    return KnowledgeBase(settings, embed_model=base.embed_model, store=base.store)


class ClaimsPlayer:
    """The scripted endpoint and a generative knowledge base over a built index: `data`
    if given (used as it is when it holds an index), else one built in a temporary folder."""

    def __init__(
        self,
        data: Path | str | None = None,
        sources: Path | str = SEED_SOURCES,
        embed_model: Any = None,
        verifier: str = "none",
    ) -> None:
        self.verifier = verifier  # none | oracle | unclear: LLM_VERIFY=model unless none
        self.sources = Path(sources)
        self.data = Path(data) if data is not None else None
        self.embed_model = embed_model
        self.built = False  # an index was built for this run
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        self.fake: FakeOpenAI | None = None
        self.kb: KnowledgeBase | None = None
        self._warm = False

    def __enter__(self) -> ClaimsPlayer:
        data = self.data
        if data is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="claims-play-")
            data = Path(self._tmp.name) / "data"
        base = KnowledgeBase(
            Settings(sources_dir=self.sources, data_dir=data), embed_model=self.embed_model
        )
        self.built = base.ensure_index() is not None
        self.fake = FakeOpenAI().start()
        verify = {} if self.verifier == "none" else {"llm_verify": "model"}
        self.kb = generative_kb(base, self.fake, **verify)
        return self

    def __exit__(self, *exc: object) -> None:
        if self.fake is not None:
            self.fake.stop()
        if self._tmp is not None:
            self._tmp.cleanup()

    def play(self, questions: Iterable[ClaimsQuestion]) -> PlayResult:
        """Play the questions; the player's first question is played once more before, not
        counted, so lazy loading doesn't land in the first answer's timing."""
        assert self.kb is not None and self.fake is not None, "use ClaimsPlayer as a context"
        questions = list(questions)
        if questions and not self._warm:
            play_question(self.kb, self.fake, questions[0], self.verifier)
            self._warm = True
        return play(questions, self.kb, self.fake, self.verifier)

    def play_file(self, path: Path | str) -> PlayResult:
        return self.play(load_claims(path))


def play_file(path: Path | str, data: Path | str | None = None) -> PlayResult:
    """Play one claims file on its own player (builds a temporary index unless `data`)."""
    with ClaimsPlayer(data) as player:
        return player.play_file(path)
