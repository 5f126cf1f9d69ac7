"""Answers written by a language model from the retrieved passages, with verified citations.

The order of things, each step able to end it:

1. Evidence gate. The extractive answerer's judgement (`judge`, `about_entities`) decides
   whether the passages cover the question. If not, the refusal is shown and the model is
   never called: a fluent model is not evidence.
2. Prompt. The passages go to the model numbered and delimited as untrusted data, with
   who wrote them (title, author), the conversation so far and the question.
3. Model. Streamed or not; every call has a timeout and no retries.
4. Verification (`citations.verify`). Markers naming no given passage, or a passage that
   shares nothing with the sentence citing it, are removed; each citation quotes the
   sentence(s) of its passage that best support what cites it.
5. Fallback. A failed call, an empty reply, or an answer left with no valid citation gives
   the extractive answer instead, with a short note saying why."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Generator, Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Any

from index.answering.citations import DraftFilter, clean_answer, strip_thinking, verify
from index.answering.evidence import question_terms, sentence_evidence
from index.answering.extractive import ExtractiveAnswerer, about_entities
from index.answering.types import Answer, Turn
from index.documents import Hit
from index.retrieval import Generation
from index.text import words

log = logging.getLogger(__name__)

MAX_PASSAGES = 6  # what a contested question may draw on
PER_DOCUMENT = 2  # … at most this many from one article, so several voices are heard
HISTORY_TURNS = 3
HISTORY_ANSWER_CHARS = 600
STREAM_BUDGET = 3  # a streamed reply may take this many timeouts in all (each gap: one)
MAX_STANDALONE_CHARS = 400

_CONTESTED = re.compile(
    r"\b(for and against|against and for|pros and cons|arguments?|case (for|against)|"
    r"both sides|each side|other side|sides|critics?|criticis\w*|supporters?|opponents?|"
    r"proponents?|debate\w*|disagree\w*|controvers\w*|contested|views?|positions?|"
    r"stances?|objections?|who (argued|argues|said|says|thinks?|believes?))\b",
    re.I,
)
_TAGS = re.compile(
    r"<\s*/?\s*(passages?|question|conversation|follow_up|system|user|assistant)\b", re.I
)


def is_contested(question: str) -> bool:
    """Does the question ask for arguments or positions rather than a fact?"""
    return bool(_CONTESTED.search(question))


def _defuse(text: str) -> str:
    """Untrusted text can't close or open the prompt's delimiting tags."""
    return _TAGS.sub(lambda m: m.group(0).replace("<", "&lt;"), text)


def _attr(text: str) -> str:
    return _defuse(" ".join(text.split())).replace('"', "'")


def fill(template: str, values: dict[str, str]) -> str:
    """Replace `{name}` placeholders in one pass: text put in is never scanned again, so a
    passage holding "{question}" stays as it is."""
    return re.sub(r"\{(\w+)\}", lambda m: values.get(m.group(1), m.group(0)), template)


@dataclass(frozen=True)
class Prompts:
    system: str
    question: str
    condense: str
    refusal: str


@dataclass(frozen=True)
class Condensed:
    """A follow-up rewritten as a standalone question, or why that failed."""

    question: str | None
    failure: str | None = None


class GenerationFailed(Exception):
    """The model gave nothing usable; the message is the note shown to the user."""


class GenerativeAnswerer:
    """Evidence gate → prompt → LLM → citation verification → fallback."""

    mode = "generative"

    def __init__(
        self,
        llm: Any,
        prompts: Prompts,
        extractive: ExtractiveAnswerer,
        timeout: float,
        redact: Any = str,
    ) -> None:
        self.llm = llm
        self.prompts = prompts
        self.extractive = extractive
        self.timeout = timeout
        self._redact = redact

    # -- before retrieval ---------------------------------------------------------------
    def retrieval_k(self, question: str, top_k: int) -> int:
        """Contested questions look further, so that more than one article is heard."""
        return max(top_k, 2 * MAX_PASSAGES) if is_contested(question) else top_k

    def condense(self, question: str, history: Sequence[Turn]) -> Condensed:
        """Rewrite a follow-up as a standalone question, for retrieval and the evidence gate.
        Llama-index's condense chat engines would do this but drop the citations; this is
        only the condensing step."""
        if not history:
            return Condensed(question)
        from llama_index.core.llms import ChatMessage

        prompt = fill(
            self.prompts.condense,
            {"history": self._history(history), "question": _defuse(question)},
        )
        try:
            reply = self.llm.chat([ChatMessage(role="user", content=prompt)])
            text = strip_thinking(reply.message.content or "")
        except Exception as e:  # any failure of the model: carry on without it
            note = self._failure(e)
            log.warning("condensing the follow-up failed: %s", note)
            return Condensed(None, note)
        line = next((ln.strip() for ln in text.splitlines() if ln.strip()), "")
        line = re.sub(r"^(standalone question|question)\s*:\s*", "", line, flags=re.I)
        line = line.strip(" \"'“”`*")[:MAX_STANDALONE_CHARS]
        return Condensed(line if words(line) else None)

    # -- answering ----------------------------------------------------------------------
    def answer(
        self,
        question: str,
        hits: list[Hit],
        live: Generation,
        history: tuple[Turn, ...] = (),
        condensed: Condensed | None = None,
    ) -> Answer:
        final: Answer | None = None
        for item in self.run(question, hits, live, history, condensed, stream=False):
            if isinstance(item, Answer):
                final = item
        assert final is not None  # noqa: S101 - run() always ends with an Answer
        return final

    def run(
        self,
        question: str,
        hits: list[Hit],
        live: Generation,
        history: tuple[Turn, ...] = (),
        condensed: Condensed | None = None,
        stream: bool = True,
    ) -> Iterator[str | Answer]:
        """Yield the draft's text as the model writes it (when streaming), then the Answer."""
        standalone = (condensed.question if condensed else None) or question
        fallback = self.extractive.answer(standalone, hits, live, history)
        fallback.question = question
        if fallback.refused:  # the evidence doesn't cover it: the model is not asked
            yield fallback
            return
        if condensed is not None and condensed.failure and _unreachable(condensed.failure):
            yield _fall_back(fallback, condensed.failure)
            return
        passages = self.passages(standalone, hits, live, history)
        messages = self.messages(question, standalone, passages, live, history)
        try:
            if stream:
                text = yield from self._stream(messages, len(passages))
            else:
                text = self._chat(messages)
            yield self._finish(question, standalone, text, passages, live, fallback)
        except GenerationFailed as e:
            yield _fall_back(fallback, str(e))

    def passages(
        self, question: str, hits: list[Hit], live: Generation, history: Sequence[Turn] = ()
    ) -> list[Hit]:
        """The passages the model sees: retrieved ones from articles about what the question
        names, in retrieval order; for a contested question, several articles' worth."""
        context = " ".join(t.question for t in history[-2:])
        evidence = sentence_evidence(hits, question_terms(question, context), live.stats)
        relevant = {ev.hit.chunk_id for ev in about_entities(question, evidence, live)}
        kept = [h for h in hits if h.chunk_id in relevant] or hits
        if not is_contested(question):
            return kept[:MAX_PASSAGES]
        chosen: list[Hit] = []
        per_doc: dict[str, int] = {}
        for h in kept:  # best first, but no article fills the prompt on its own
            if per_doc.get(h.doc_id, 0) < PER_DOCUMENT:
                chosen.append(h)
                per_doc[h.doc_id] = per_doc.get(h.doc_id, 0) + 1
        return chosen[:MAX_PASSAGES]

    def messages(
        self,
        question: str,
        standalone: str,
        passages: list[Hit],
        live: Generation,
        history: Sequence[Turn],
    ) -> list[Any]:
        from llama_index.core.llms import ChatMessage

        blocks = []
        for n, hit in enumerate(passages, start=1):
            meta = live.records[hit.chunk_id].meta if hit.chunk_id in live.records else {}
            attrs = [f'n="{n}"', f'title="{_attr(hit.title)}"']
            if meta.get("author"):
                attrs.append(f'author="{_attr(str(meta["author"]))}"')
            if meta.get("date"):
                attrs.append(f'date="{_attr(str(meta["date"]))}"')
            attrs.append(f'source="{_attr(hit.source)}"')
            blocks.append(f"<passage {' '.join(attrs)}>\n{_defuse(hit.text.strip())}\n</passage>")
        user = fill(
            self.prompts.question,
            {
                "passages": "\n\n".join(blocks),
                "history": self._history(history) or "(none)",
                "question": _defuse(question),
                "standalone": _defuse(standalone),
                "refusal": self.prompts.refusal,
            },
        )
        return [
            ChatMessage(role="system", content=self.prompts.system),
            ChatMessage(role="user", content=user),
        ]

    # -- the model ----------------------------------------------------------------------
    def _chat(self, messages: list[Any]) -> str:
        try:
            reply = self.llm.chat(messages)
        except Exception as e:  # any failure of the model becomes the extractive answer
            raise GenerationFailed(self._failure(e)) from None
        return reply.message.content or ""

    def _stream(self, messages: list[Any], count: int) -> Generator[str, None, str]:
        """Yield the cleaned draft as it arrives; return the raw text."""
        draft = DraftFilter(range(1, count + 1))
        deadline = time.monotonic() + STREAM_BUDGET * self.timeout
        raw = ""
        try:
            chunks = self.llm.stream_chat(messages)
            for chunk in chunks:
                delta = chunk.delta or ""
                raw += delta
                if shown := draft.feed(delta):
                    yield shown
                if time.monotonic() > deadline:
                    close = getattr(chunks, "close", None)
                    if close:
                        close()
                    raise TimeoutError("stream budget exceeded")
        except Exception as e:  # any failure of the model becomes the extractive answer
            raise GenerationFailed(self._failure(e)) from None
        if rest := draft.finish():
            yield rest
        return raw

    def _failure(self, error: BaseException) -> str:
        from index.answering.llm import describe_failure

        log.warning(
            "language model call failed: %s: %s",
            type(error).__name__,
            self._redact(str(error))[:300],
        )
        return describe_failure(error, self.timeout)

    # -- after the model ----------------------------------------------------------------
    def _finish(
        self,
        question: str,
        standalone: str,
        text: str,
        passages: list[Hit],
        live: Generation,
        fallback: Answer,
    ) -> Answer:
        shown = clean_answer(text, range(1, len(passages) + 1))
        if not words(shown):
            raise GenerationFailed("the language model returned an empty answer")
        checked = verify(text, passages, standalone, live.stats)
        if checked.removed:
            log.info("removed %d citation marker(s) the passages don't back", checked.removed)
        if not checked.citations:
            if self._is_refusal(shown):
                # The model says the passages don't answer it; the gate let it through, so
                # show the refusal with the nearest passages, as the extractive side would.
                refused = self.extractive.refuse(question, _nearest(standalone, passages, live))
                return replace(refused, mode=self.mode)
            raise GenerationFailed(
                "the language model's answer cited none of the passages, so it isn't shown"
            )
        return Answer(
            question=question,
            answer=checked.text,
            refused=False,
            citations=checked.citations,
            mode=self.mode,
        )

    def _is_refusal(self, text: str) -> bool:
        said = " ".join(words(text))
        first = re.split(r"(?<=[.!?])\s", self.prompts.refusal.strip(), maxsplit=1)[0]
        wanted = " ".join(words(first))
        return bool(wanted) and wanted in said

    def _history(self, history: Sequence[Turn]) -> str:
        lines = []
        for turn in list(history)[-HISTORY_TURNS:]:
            lines.append(f"User: {_defuse(turn.question)}")
            if turn.answer:
                said = clean_answer(turn.answer, ())
                if len(said) > HISTORY_ANSWER_CHARS:
                    said = said[:HISTORY_ANSWER_CHARS].rsplit(" ", 1)[0] + " …"
                lines.append(f"policybot: {_defuse(said)}")
        return "\n".join(lines)


def _nearest(question: str, passages: list[Hit], live: Generation) -> list[Any]:
    return sentence_evidence(passages, question_terms(question), live.stats, question)


def _unreachable(note: str) -> bool:
    return "could not be reached" in note or "did not answer within" in note


def _fall_back(extractive: Answer, why: str) -> Answer:
    note = f"{why[:1].upper()}{why[1:]}; this is the extractive answer (quotes from the sources)."
    return replace(extractive, note=note, mode="extractive")
