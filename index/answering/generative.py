"""Answers written by a language model from the retrieved passages, with verified citations.

The order of things, each step able to end it:

1. Evidence gate, in the service (`KnowledgeBase.answer_iter`, `index.search.gate.judge`): the
   retrieved evidence decides whether the passages cover the question; if not, the refusal
   is shown and this answerer — the model — is never asked: a fluent model is not
   evidence. The model's own "not covered" is honoured.
2. Prompt. The passages go to the model numbered and delimited as untrusted data, with
   who wrote them (title, author), the conversation so far and the question.
3. Model. Streamed or not; every call has a timeout and no retries.
4. Verification (`citations.verify`, `index/checking`). A claim keeps its marker only when
   the cited passage supports it: the checker finds the sentence(s) behind it and checks
   its numbers, names, speaker, polarity, modality and additions. Unsupported claims are
   not shown (the note says why); each citation quotes the sentence(s) behind what cites
   it. With LLM_VERIFY=model the claims the checker couldn't decide get a second opinion.
5. Fallback. A failed call, an empty reply, or an answer left with no valid citation gives
   the extractive answer instead, with a short note saying why."""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Generator, Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Any

from index.answering.citations import NEVER_GIVEN, SecondOpinion, verify
from index.answering.deadline import DeadlineExceeded, call_within, stream_within
from index.answering.extractive import ExtractiveAnswerer
from index.answering.model_text import SINGLE, DraftFilter, clean_answer, strip_thinking
from index.answering.types import Answer, Condensed, Gathered, Turn
from index.documents import Hit
from index.errors import ModelUnavailable
from index.search.question import Question
from index.search.retrieval import Generation
from index.text import words

log = logging.getLogger(__name__)

MAX_PASSAGES = 6  # what a contested question may draw on
PER_DOCUMENT = 2  # … at most this many from one article, so several voices are heard
HISTORY_ANSWER_CHARS = 600
STREAM_BUDGET = 3  # a reply may take this many timeouts in all (each wait for bytes: one)
MAX_STANDALONE_CHARS = 400

_TAGS = re.compile(
    r"<\s*/?\s*(passages?|question|conversation|follow_up|system|user|assistant|pair|claim|"
    r"source)\b",
    re.I,
)


def defuse(text: str) -> str:
    """Untrusted text can't close or open the prompt's delimiting tags."""
    return _TAGS.sub(lambda m: m.group(0).replace("<", "&lt;"), text)


def _attr(text: str) -> str:
    return defuse(" ".join(text.split())).replace('"', "'")


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
        embed: Any,
        redact: Any = str,
        second_opinion: SecondOpinion | None = None,
    ) -> None:
        self.embed = embed  # texts -> (n, dim) unit vectors: judges reworded claims
        self.second_opinion = second_opinion  # LLM_VERIFY=model: claims the checker can't decide
        # The claim checker's word lists (~0.7 s to read) load while the first question is
        # still being retrieved and sent to the model, not after its reply.
        threading.Thread(target=_load_lexicon, name="policybot-lexicon", daemon=True).start()
        self.llm = llm
        self.prompts = prompts
        self.extractive = extractive
        self.timeout = timeout
        self.budget = STREAM_BUDGET * timeout  # a whole reply, however slowly it arrives
        self._redact = redact

    # -- before retrieval ---------------------------------------------------------------
    def condense(self, question: str, history: Sequence[Turn]) -> Condensed:
        """Rewrite a follow-up as a standalone question, for retrieval and the evidence gate.
        Llama-index's condense chat engines would do this but drop the citations; this is
        only the condensing step."""
        if not history:
            return Condensed(question)
        from llama_index.core.llms import ChatMessage

        prompt = fill(
            self.prompts.condense,
            {"history": self._history(history), "question": defuse(question)},
        )
        try:
            message = ChatMessage(role="user", content=prompt)
            reply = call_within(self.budget, lambda: self.llm.chat([message]))
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
    def run(
        self,
        asked: str,
        question: Question,
        gathered: Gathered,
        live: Generation,
        history: tuple[Turn, ...] = (),
        condensed: Condensed | None = None,
        stream: bool = True,
    ) -> Iterator[str | Answer]:
        """Yield the draft's text as the model writes it (when streaming), then the Answer.
        `asked` is what the user wrote; `question` the standalone question analysed; the
        service has judged the evidence covers it (else the model is never asked)."""

        def fallback(why: str) -> Answer:
            answer = self.extractive.answer(question, gathered)
            answer.question = asked
            return _fall_back(answer, why)

        if condensed is not None and condensed.failure and _unreachable(condensed.failure):
            yield fallback(condensed.failure)
            return
        passages = self.passages(question, gathered.relevant)
        messages = self.messages(asked, question.text, passages, live, history)
        try:
            if stream:
                text = yield from self._stream(messages, len(passages))
            else:
                text = self._chat(messages)
            yield self._finish(asked, question, text, passages, live, gathered.scored)
        except GenerationFailed as e:
            yield fallback(str(e))

    def passages(self, question: Question, relevant: list[Any]) -> list[Hit]:
        """The passages the model sees, best evidence first, from documents about what the
        question names; for a broad question at most PER_DOCUMENT from one article, so
        several voices are heard."""
        chosen: list[Hit] = []
        per_doc: dict[str, int] = {}
        for ev in relevant:
            hit = ev.hit
            if any(h.chunk_id == hit.chunk_id for h in chosen):
                continue
            if question.broad and per_doc.get(hit.doc_id, 0) >= PER_DOCUMENT:
                continue
            chosen.append(hit)
            per_doc[hit.doc_id] = per_doc.get(hit.doc_id, 0) + 1
            if len(chosen) == MAX_PASSAGES:
                break
        return chosen

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
            blocks.append(f"<passage {' '.join(attrs)}>\n{defuse(hit.text.strip())}\n</passage>")
        user = fill(
            self.prompts.question,
            {
                "passages": "\n\n".join(blocks),
                "history": self._history(history) or "(none)",
                "question": defuse(question),
                "standalone": defuse(standalone),
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
            reply = call_within(self.budget, lambda: self.llm.chat(messages))
        except Exception as e:  # any failure of the model becomes the extractive answer
            raise GenerationFailed(self._failure(e)) from None
        return reply.message.content or ""

    def _stream(self, messages: list[Any], count: int) -> Generator[str, None, str]:
        """Yield the cleaned draft as it arrives; return the raw text."""
        draft = DraftFilter(range(1, count + 1))
        deadline = time.monotonic() + self.budget
        raw = ""
        chunks = 0
        try:
            for chunk in stream_within(deadline, lambda: self.llm.stream_chat(messages)):
                chunks += 1
                delta = chunk.delta or ""
                raw += delta
                if shown := draft.feed(delta):
                    yield shown
        except Exception as e:  # any failure of the model becomes the extractive answer
            raise GenerationFailed(self._failure(e)) from None
        if not chunks:
            # Not even the opening chunk of a stream: a web page or an error said with
            # "200 OK" (LLM_BASE_URL on a chat UI, not its API), not a model's empty reply.
            log.warning("language model call failed: its reply held no streamed chunk")
            raise GenerationFailed("the language model's reply could not be read")
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
        if isinstance(error, DeadlineExceeded):
            return f"the language model did not finish its reply within {self.budget:g} s"
        return describe_failure(error, self.timeout)

    # -- after the model ----------------------------------------------------------------
    def _finish(
        self,
        asked: str,
        question: Question,
        text: str,
        passages: list[Hit],
        live: Generation,
        evidence: list[Any],
    ) -> Answer:
        shown = clean_answer(text, range(1, len(passages) + 1))
        if not words(SINGLE.sub("", shown)):  # nothing, or markers with no words to back
            raise GenerationFailed("the language model returned an empty answer")
        if self._is_refusal(shown):
            # The model says the passages don't answer it: honoured, with the nearest
            # passages shown, as the extractive side would.
            refused = self.extractive.refuse(asked, evidence, _MODEL_DECLINED)
            return replace(refused, mode=self.mode, shape=question.shape.value)
        started = time.perf_counter()
        try:
            checked = verify(text, passages, question, live, self.embed, self.second_opinion)
        except ModelUnavailable as e:  # no claim is shown unchecked
            log.error("claims could not be checked: %s", e)
            raise GenerationFailed("its claims could not be checked") from None
        checking_ms = (time.perf_counter() - started) * 1000
        if checked.removed:
            log.info("removed %d citation marker(s) the passages don't back", checked.removed)
        if not checked.citations:
            if not checked.cited:
                why = "the language model's answer cited none of the passages"
            elif set(checked.reasons) == {NEVER_GIVEN}:
                why = "the language model's answer cited only passages it was never given"
            else:
                why = "the language model's claims were not supported by the passages they cited"
            raise GenerationFailed(f"{why}, so it isn't shown")
        note = _dropped_note(checked.reasons) if checked.dropped else None
        return Answer(
            question=asked,
            answer=checked.text,
            refused=False,
            citations=checked.citations,
            mode=self.mode,
            note=note,
            shape=question.shape.value,
            timings_ms={"check": checking_ms},
        )

    def _is_refusal(self, text: str) -> bool:
        said = " ".join(words(text))
        first = re.split(r"(?<=[.!?])\s", self.prompts.refusal.strip(), maxsplit=1)[0]
        wanted = " ".join(words(first))
        return bool(wanted) and wanted in said

    def _history(self, history: Sequence[Turn]) -> str:
        lines = []
        for turn in history:  # as many turns as the front end chose to pass
            lines.append(f"User: {defuse(turn.question)}")
            if turn.answer:
                said = clean_answer(turn.answer, ())
                if len(said) > HISTORY_ANSWER_CHARS:
                    said = said[:HISTORY_ANSWER_CHARS].rsplit(" ", 1)[0] + " …"
                lines.append(f"policybot: {defuse(said)}")
        return "\n".join(lines)


_MODEL_DECLINED = "the language model found the passages don't answer it"


def _load_lexicon() -> None:
    from index import lexicon

    try:
        lexicon.load()
    except Exception:  # reported again, with its reason, when a claim is checked
        log.warning("the claim checker's lexicons could not be read", exc_info=True)


def _dropped_note(reasons: Sequence[str]) -> str:
    """Says which sentences of the model's answer were not shown, and why, in plain words:
    "One sentence of the language model's answer was not shown: its source says “some”,
    not “every”." """
    count = len(reasons)
    said = "; ".join(dict.fromkeys(r for r in reasons if r))
    said = said or "the cited passage doesn't support it"
    if count == 1:
        return f"One sentence of the language model's answer was not shown: {said}."
    return f"{count} sentences of the language model's answer were not shown: {said}."


def _unreachable(note: str) -> bool:
    return "could not be reached" in note or "did not answer within" in note


def _fall_back(extractive: Answer, why: str) -> Answer:
    note = f"{why[:1].upper()}{why[1:]}; this is the extractive answer (quotes from the sources)."
    return replace(extractive, note=note, mode="extractive")
